"""`mailgate demo`: a newcomer's first minute with mailgate, on one machine.

Writes a config into a demo folder (SQLite, listener on localhost), starts a
catch-all smarthost that writes every outgoing mail to `outbox/` and prints
it, runs the daemon, sends one customer message over SMTP and shows the
ticket and its acknowledgement. Not used by the daemon itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import sys
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import aiosmtplib
from aiosmtpd.smtp import SMTP, Envelope, Session

from mailgate.config import load
from mailgate.daemon import Daemon, install_signals

PROJECT_DIR = Path(__file__).resolve().parents[1]
SMTP_PORT = 2525
SMARTHOST_PORT = 2526
WAIT_SECONDS = 30.0

DEMO_CONFIG = """\
# A demo configuration written by `mailgate demo`. See config.example.toml for every key.
templates = "{templates}"

[service]
name = "Example Support"
address = "support@example.com"
domains = ["example.com"]
secret = "{secret}"
tag = "EX"
language = "en"

[database]
url = "sqlite:///mailgate.db"

[smtp]
listen = "127.0.0.1:{smtp_port}"

[outbound]
host = "127.0.0.1"
port = {smarthost_port}

[hours]
timezone = "Asia/Tokyo"
mon = "09:00-18:00"
tue = "09:00-18:00"
wed = "09:00-18:00"
thu = "09:00-18:00"
fri = "09:00-18:00"
holidays = ["JP"]
closed = ["2026-12-29", "2026-12-30", "2026-12-31", "2027-01-02", "2027-01-03"]

[sla.normal]
first_response = "4h"
resolution = "3d"

[[engineers]]
address = "alice@example.com"
name = "Alice"
"""


def _free_port(preferred: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CatchAll:
    """A smarthost that delivers nowhere: every mail lands in `outbox/` and on the terminal."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.received = asyncio.Event()
        self.count = len(list(folder.glob("*.eml")))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        self.count += 1
        path = self.folder / f"{self.count:04d}.eml"
        path.write_bytes(raw)
        message = message_from_bytes(raw, policy=default_policy)
        body = message.get_body(preferencelist=("plain",)) if isinstance(message, EmailMessage) else None
        print(f"\n=== outgoing mail → {', '.join(envelope.rcpt_tos)}  (saved as {path})")
        for name in ("From", "To", "Cc", "Subject", "Reply-To", "Auto-Submitted", "In-Reply-To"):
            if message[name]:
                print(f"{name}: {message[name]}")
        print()
        print(body.get_content().rstrip() if body is not None else "(no text part)")
        print("=== end\n", flush=True)
        self.received.set()
        return "250 2.0.0 Ok: caught"


def _write_config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "outbox").mkdir(exist_ok=True)
    config_file = folder / "config.toml"
    if not config_file.exists():
        config_file.write_text(
            DEMO_CONFIG.format(
                templates=(PROJECT_DIR / "templates").as_posix(),
                secret=secrets.token_hex(16),
                smtp_port=_free_port(SMTP_PORT),
                smarthost_port=_free_port(SMARTHOST_PORT),
            ),
            encoding="utf-8",
        )
    return config_file


def _sample_message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Hanako Yamada <hanako@client.example>"
    message["To"] = "support@example.com"
    message["Subject"] = "Cannot log in since this morning"
    message.set_content(
        "Hello,\n\nsince this morning none of our staff can log in to the portal.\n"
        "The error says 'session expired'. Could you have a look?\n\nHanako\n"
    )
    return message


async def _demo(folder: Path, keep_running: bool) -> int:
    config_file = _write_config(folder)
    config = load(config_file)
    catch_all = CatchAll(folder / "outbox")
    loop = asyncio.get_running_loop()
    smarthost = await loop.create_server(
        lambda: SMTP(catch_all, hostname="smarthost.demo", ident="demo catch-all"),
        host="127.0.0.1",
        port=config.outbound.port,
    )
    daemon = Daemon(config, config_path=config_file)
    remove_signals = install_signals(daemon)
    runner = asyncio.create_task(daemon.run())
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            await daemon.ready.wait()
        print(f"mailgate is listening on 127.0.0.1:{daemon.port}; outgoing mail goes to {folder / 'outbox'}")
        print("sending a customer's message …", flush=True)
        await aiosmtplib.send(_sample_message(), hostname="127.0.0.1", port=daemon.port)
        async with asyncio.timeout(WAIT_SECONDS):
            await catch_all.received.wait()
        print(f"the ticket:   mailgate -c {config_file} tickets show 1")
        print(f"all tickets:  mailgate -c {config_file} tickets list")
        if keep_running:
            print(
                f"\nSend more mail to any address @example.com at 127.0.0.1:{daemon.port}, e.g.\n"
                f"  mailgate -c {config_file} ingest some-message.eml\n"
                "Ctrl-C stops the demo.",
                flush=True,
            )
            await daemon.stopping.wait()
        return 0
    except TimeoutError:
        print("the demo did not see its auto-reply in time; see the log above", file=sys.stderr)
        return 1
    finally:
        daemon.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        remove_signals()
        smarthost.close()
        await smarthost.wait_closed()


def run_demo(folder: Path | None, *, keep_running: bool) -> int:
    return asyncio.run(_demo(folder or Path("mailgate-demo"), keep_running))
