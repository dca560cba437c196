"""A throwaway Dovecot IMAP server for tests and benchmarks.

`running_dovecot()` starts Debian's `dovecot` on a free 127.0.0.1 port
with its own config, passwd-file and Maildir in a temporary folder, and stops it
(SIGTERM to its master, then waits for the port to close). It never touches
the system's Dovecot. The test side speaks to it with the standard library's
`imaplib` (`append`, `count`, `folders`). `dovecot_or_skip()` skips with the
reason where Dovecot is not installed; CI turns that skip into a failure.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.support.cli import write_config
from tests.support.skips import need

PROJECT_DIR = Path(__file__).resolve().parents[2]
USERNAME = "support@example.com"
PASSWORD = "secret"
SPARE_USERS = 50
START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0
IMAP_TIMEOUT_SECONDS = 10.0

CONFIG_TEMPLATE = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = {uid}
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/mail/%u
}}
mail_location = maildir:~/Maildir
{extra}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def dovecot_or_skip() -> str:
    """The path of the `dovecot` binary, or skip (fail under CI) naming what is missing."""
    binary = shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/sbin/dovecot") if Path(p).exists()), None
    )
    need(binary is not None, "Dovecot is not installed (Debian package dovecot-imapd)")
    assert binary is not None
    return binary


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_until(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {within}s")
        time.sleep(0.02)


def _mail_user() -> tuple[str, int, int]:
    # Dovecot refuses uid 0 for mail processes: as root, run them as `mail`; otherwise as ourselves.
    entry = pwd.getpwnam("mail") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    return entry.pw_name, entry.pw_uid, entry.pw_gid


@dataclass
class Mailbox:
    """One user's mail on a running Dovecot, as the test side (stdlib `imaplib`) sees it."""

    server: Dovecot
    username: str
    password: str

    @contextlib.contextmanager
    def client(self, password: str | None = None) -> Iterator[imaplib.IMAP4]:
        connection = imaplib.IMAP4("127.0.0.1", self.server.port, timeout=IMAP_TIMEOUT_SECONDS)
        try:
            connection.login(self.username, password if password is not None else self.password)
            yield connection
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                connection.logout()

    def append(self, messages: Iterable[bytes | EmailMessage], folder: str = "INBOX", flags: str = "") -> int:
        """APPEND each message to `folder` over one connection; returns how many."""
        count = 0
        with self.client() as connection:
            for message in messages:
                raw = message.as_bytes() if isinstance(message, EmailMessage) else message
                status, detail = connection.append(_quote(folder), f"({flags})" if flags else None, None, raw)
                if status != "OK":
                    raise RuntimeError(f"APPEND to {folder} failed: {detail!r}")
                count += 1
        return count

    def create(self, folder: str) -> None:
        with self.client() as connection:
            status, detail = connection.create(_quote(folder))
            if status != "OK":
                raise RuntimeError(f"CREATE {folder} failed: {detail!r}")

    def delete(self, folder: str) -> None:
        with self.client() as connection:
            status, detail = connection.delete(_quote(folder))
            if status != "OK":
                raise RuntimeError(f"DELETE {folder} failed: {detail!r}")

    def count(self, folder: str = "INBOX", criteria: str = "ALL") -> int:
        """How many messages in `folder` match `criteria` (read-only: flags are not touched)."""
        with self.client() as connection:
            status, _ = connection.select(_quote(folder), readonly=True)
            if status != "OK":
                return 0
            _, data = connection.uid("SEARCH", criteria)
            return len(data[0].split()) if data and data[0] else 0

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as connection:
            connection.select(_quote(folder), readonly=True)
            _, data = connection.response("UIDVALIDITY")
            return int(data[0])

    def imap_config(self, **overrides: Any) -> dict[str, Any]:
        """An `[[imap]]` table for this mailbox (plain IMAP on localhost)."""
        return {
            "host": "127.0.0.1",
            "port": self.server.port,
            "tls": False,
            "username": self.username,
            "password": self.password,
            **overrides,
        }


@dataclass
class Dovecot:
    """One running Dovecot; `add_mailbox()` gives each test a user (and Maildir) of its own."""

    binary: str
    base: Path
    port: int = 0
    capabilities: str | None = None
    _handed_out: int = field(default=0, repr=False)
    _pid: int | None = field(default=None, repr=False)

    @property
    def config_file(self) -> Path:
        return self.base / "dovecot.conf"

    @property
    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    @property
    def mailbox(self) -> Mailbox:
        """The first user's mailbox, `USERNAME`/`PASSWORD`."""
        return Mailbox(self, USERNAME, PASSWORD)

    def add_mailbox(self) -> Mailbox:
        """A user of its own (and so an empty Maildir) for one test on a shared server."""
        # Users are written before start: Dovecot re-reads a changed passwd-file at most once a second.
        self._handed_out += 1
        if self._handed_out > SPARE_USERS:
            raise RuntimeError(f"only {SPARE_USERS} spare users; start another Dovecot")
        return Mailbox(self, f"support{self._handed_out}@example.com", PASSWORD)

    def _write_passwd(self) -> None:
        users = [USERNAME, *(f"support{n}@example.com" for n in range(1, SPARE_USERS + 1))]
        lines = "".join(f"{user}:{{PLAIN}}{PASSWORD}\n" for user in users)
        (self.base / "passwd").write_text(lines, encoding="utf-8")

    def start(self) -> None:
        """Start (or restart) on `self.port`, choosing a free port the first time."""
        user, uid, gid = _mail_user()
        self.base.mkdir(parents=True, exist_ok=True)
        mail = self.base / "mail"
        mail.mkdir(exist_ok=True)
        os.chown(mail, uid, gid)
        self._write_passwd()
        root = os.geteuid() == 0
        for attempt in range(3):
            port = self.port or free_port()
            extra = f"imap_capability = {self.capabilities}" if self.capabilities else ""
            self.config_file.write_text(
                CONFIG_TEMPLATE.format(
                    base=self.base,
                    port=port,
                    uid=uid,
                    gid=gid,
                    login_user="dovenull" if root else user,
                    internal_user="dovecot" if root else user,
                    extra=extra,
                ),
                encoding="utf-8",
            )
            errors = self.base / "dovecot.stderr"
            # The daemonized master keeps its stdio: never a pipe, or this would wait for it to exit.
            with errors.open("w") as stderr:
                result = subprocess.run(
                    [self.binary, "-c", str(self.config_file)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    timeout=30,
                    check=False,
                )
            if result.returncode == 0:
                self.port = port
                break
            # Someone took the port between our probe and Dovecot's bind: choose again.
            if self.port or attempt == 2:
                detail = errors.read_text(encoding="utf-8", errors="replace").strip() or self.log[-2000:]
                raise RuntimeError(f"dovecot did not start: {detail}")
        pid_file = self.base / "run" / "master.pid"
        # `dovecot` returns before its daemonized master has written the pid file.
        _wait_until(
            lambda: pid_file.exists() and pid_file.read_text().strip(), START_TIMEOUT_SECONDS, "no master.pid"
        )
        self._pid = int(pid_file.read_text().strip())
        _wait_until(self._logs_in, START_TIMEOUT_SECONDS, "dovecot did not accept a login")

    def _logs_in(self) -> bool:
        # The port opens before the auth process is ready ("Temporary authentication failure").
        try:
            with self.mailbox.client():
                return True
        except (imaplib.IMAP4.error, OSError):
            return False

    def stop(self) -> None:
        """SIGTERM to the master, then wait (bounded) until it has exited and the port is closed.

        Dovecot's master sleeps about a second while its children stop: a stop takes 1-3 s.
        """
        if self._pid is None:
            return
        # A stopped master leaves logged-in sessions running; a real restart drops them, so kick them.
        doveadm = Path(self.binary).with_name("doveadm")
        subprocess.run(
            [str(doveadm if doveadm.exists() else "doveadm"), "-c", str(self.config_file), "kick", "*"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=STOP_TIMEOUT_SECONDS,
            check=False,
        )
        pid, self._pid = self._pid, None
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)

        def gone() -> bool:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return not _accepts(self.port)
            return False

        try:
            _wait_until(gone, STOP_TIMEOUT_SECONDS, "dovecot did not stop")
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            raise

    def restart(self) -> None:
        self.stop()
        self.start()


def write_config_file(folder: Path, imap: list[dict[str, Any]], smarthost_port: int) -> Path:
    """A `config.toml` in `folder` (SQLite there too) for the real `mailgate` command."""
    tables = "".join(
        "[[imap]]\n" + "".join(f"{key} = {_toml(value)}\n" for key, value in entry.items()) for entry in imap
    )
    return write_config(folder, f"sqlite:///{folder / 'mailgate.db'}", smarthost_port, imap=tables)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextlib.contextmanager
def running_dovecot(*, capabilities: str | None = None) -> Iterator[Dovecot]:
    """A started Dovecot in a folder of its own; stopped and removed on exit, whatever happened.

    Not under pytest's `tmp_path`: that is mode 0700, and Dovecot's unprivileged
    processes (`mail`, `dovecot`, `dovenull`) must reach the passwd-file and the mail.
    """
    binary = dovecot_or_skip()
    base = Path(tempfile.mkdtemp(prefix="mailgate-dovecot-"))
    base.chmod(0o755)
    server = Dovecot(binary, base, capabilities=capabilities)
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(base, ignore_errors=True)
