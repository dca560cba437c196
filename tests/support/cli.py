"""Running the installed `mailgate` command as a user would, bounded in time."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.support.harness import PROJECT_DIR

MAILGATE = Path(sys.executable).with_name("mailgate")
CLI_TIMEOUT_SECONDS = 60


LIBFAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"))), None)


def faketime_env(start: str) -> dict[str, str]:
    """Environment that starts the process's clock at `start` (UTC) and lets it run on.

    libfaketime is preloaded directly rather than through the `faketime` wrapper, so
    signals sent to the process reach mailgate itself.
    """
    if LIBFAKETIME is None:
        raise RuntimeError("libfaketime is not installed")
    return {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": f"@{start}", "DONT_FAKE_MONOTONIC": "1", "TZ": "UTC"}


def run_cli(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`mailgate ARGS…` with the test's environment plus `env`."""
    command = [str(MAILGATE), *args]
    full_env = {**os.environ, "TZ": "UTC", **(env or {})}
    completed = subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        timeout=CLI_TIMEOUT_SECONDS,
        env=full_env,
        check=False,
    )
    return subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode("utf-8", "replace"),
        completed.stderr.decode("utf-8", "replace"),
    )


def write_config(
    folder: Path, database_url: str, smarthost_port: int, smtp_port: int = 0, **sections: str
) -> Path:
    """A config.toml as an admin would write it (the test harness's config, as TOML text)."""
    from tests.support.harness import BASE_CONFIG

    text = BASE_CONFIG.replace('listen = "127.0.0.1:0"', f'listen = "127.0.0.1:{smtp_port}"')
    text = f'templates = "{(PROJECT_DIR / "templates").as_posix()}"\n' + text
    text += (
        f'\n[database]\nurl = "{database_url}"\n\n[outbound]\nhost = "127.0.0.1"\nport = {smarthost_port}\n'
    )
    for extra in sections.values():
        text += "\n" + extra + "\n"
    tomllib.loads(text)
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path
