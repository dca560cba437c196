"""Running a real mailgate daemon inside a test: config, database, clock, mail.

`running_daemon(config, clock)` starts the daemon (listener on a free
127.0.0.1 port, processor, sender) on the test's own loop and stops it;
`send_mail` speaks SMTP to it with the standard library's smtplib;
`settle` waits (bounded) until everything accepted has been processed and
sent; `ticket_json` is what `mailgate tickets show --json` prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import tomllib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from mailgate.cli import _dump, ticket_out
from mailgate.clock import ManualClock
from mailgate.config import Config, parse_config
from mailgate.daemon import Daemon
from mailgate.store.inbox import InboxState
from mailgate.store.outbox import OutboxState
from mailgate.store.tables import InboxRow, OutboxRow
from mailgate.store.tickets import load_ticket_view

PROJECT_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 20.0
SETTLE_TIMEOUT_SECONDS = 10.0

BASE_CONFIG = """
[service]
name = "Example Support"
address = "support@example.com"
domains = ["example.com"]
secret = "test-secret-0123456789"
tag = "EX"
language = "ja"

[smtp]
listen = "127.0.0.1:0"
max_message_size = "1MB"

[hours]
timezone = "Asia/Tokyo"
mon = "09:00-18:00"
tue = "09:00-18:00"
wed = "09:00-18:00"
thu = "09:00-18:00"
fri = "09:00-18:00"
sat = ""
sun = ""
holidays = ["JP"]
closed = ["2026-12-29", "2026-12-30", "2026-12-31", "2027-01-02", "2027-01-03"]

[sla.normal]
first_response = "4h"
resolution = "3d"

[sla.urgent]
first_response = "1h"

[limits]
auto_replies_per_sender_per_day = 5

[delivery]
retry_base = "1s"
retry_max = "4s"
max_attempts = 3

[[engineers]]
address = "alice@example.com"
name = "Alice"

[[customers]]
match = "@bigcorp.example"
tier = "premium"
"""


def make_config(
    folder: Path, database_url: str, smarthost_port: int, extra: dict[str, Any] | None = None
) -> Config:
    """The INTERFACE.md example config, pointed at a test database and smarthost."""
    data = tomllib.loads(BASE_CONFIG)
    data["database"] = {"url": database_url}
    data["outbound"] = {"host": "127.0.0.1", "port": smarthost_port}
    data["templates"] = str(PROJECT_DIR / "templates")
    for section, values in (extra or {}).items():
        if isinstance(values, dict) and isinstance(data.get(section), dict):
            data[section] = {**data[section], **values}
        else:
            data[section] = values
    return parse_config(data, folder)


@contextlib.asynccontextmanager
async def running_daemon(config: Config, clock: ManualClock) -> AsyncIterator[Daemon]:
    daemon = Daemon(config, clock=clock, smtp_port=0)
    task = asyncio.create_task(daemon.run())
    ready = asyncio.create_task(daemon.ready.wait())
    done, _ = await asyncio.wait(
        {task, ready}, timeout=START_TIMEOUT_SECONDS, return_when=asyncio.FIRST_COMPLETED
    )
    if task in done:
        ready.cancel()
        task.result()
        raise RuntimeError("the daemon stopped before it was ready")
    if ready not in done:
        ready.cancel()
        task.cancel()
        raise TimeoutError("the daemon did not start in time")
    try:
        yield daemon
    finally:
        daemon.stop()
        async with asyncio.timeout(START_TIMEOUT_SECONDS):
            await task


def build_message(
    *,
    sender: str = "Hanako Yamada <hanako@client.example>",
    to: str = "support@example.com",
    subject: str = "Cannot log in",
    body: str = "Hello,\nnone of our staff can log in since this morning.\n",
    cc: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="client.example")
    message["Date"] = "Sat, 21 Nov 2026 10:00:00 +0900"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def _smtp_send(port: int, raw: bytes | EmailMessage, mail_from: str, rcpt_to: list[str]) -> dict[str, Any]:
    data = raw.as_bytes() if isinstance(raw, EmailMessage) else raw
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail(mail_from, rcpt_to, data)


async def send_mail(
    daemon: Daemon,
    message: EmailMessage | bytes,
    *,
    mail_from: str | None = None,
    rcpt_to: list[str] | None = None,
) -> None:
    """Deliver over real SMTP to the daemon's listener (smtplib, in a thread)."""
    if isinstance(message, EmailMessage):
        from email.utils import parseaddr

        mail_from = mail_from if mail_from is not None else parseaddr(str(message["From"]))[1]
        rcpt_to = rcpt_to or [parseaddr(str(message["To"]))[1]]
    await asyncio.to_thread(
        _smtp_send, daemon.port, message, mail_from or "", rcpt_to or ["support@example.com"]
    )


async def settle(daemon: Daemon, within: float = SETTLE_TIMEOUT_SECONDS) -> None:
    """Wait until the inbox is processed and no outbox row is waiting to be sent now."""
    assert daemon.engine is not None
    async with asyncio.timeout(within):
        while True:
            async with daemon.engine.connect() as connection:
                busy_inbox = await connection.scalar(
                    select(func.count())
                    .select_from(InboxRow)
                    .where(InboxRow.state.in_([InboxState.PENDING.value, InboxState.PROCESSING.value]))
                )
                busy_outbox = await connection.scalar(
                    select(func.count())
                    .select_from(OutboxRow)
                    .where(
                        OutboxRow.state.in_([OutboxState.PENDING.value, OutboxState.SENDING.value]),
                        OutboxRow.next_attempt_at <= daemon.clock.now(),
                    )
                )
            if not busy_inbox and not busy_outbox:
                return
            await asyncio.sleep(0.02)


async def ticket_json(daemon: Daemon, ticket_id: int) -> dict[str, Any]:
    """What `mailgate tickets show ID --json` prints for this ticket."""
    assert daemon.engine is not None
    view = await load_ticket_view(daemon.engine, ticket_id)
    assert view is not None, f"no ticket {ticket_id}"
    return _dump(ticket_out(view, daemon.config, with_messages=True))
