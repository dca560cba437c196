"""The listener's promises at the SMTP level: no open relay, a size cap, 250 only after commit, 451 when it cannot."""

from __future__ import annotations

import asyncio
import smtplib
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailgate.clock import ManualClock
from mailgate.store.tables import InboxRow
from tests.support.harness import build_message, make_config, running_daemon, send_mail, settle
from tests.support.smarthost import CaptureSmarthost


async def _inbox_count(daemon: object) -> int:
    engine = daemon.engine  # type: ignore[attr-defined]
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(InboxRow)))


async def test_mail_for_foreign_domain_is_refused_with_550_and_not_stored(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """mailgate is no open relay: RCPT to another domain gets 550 and nothing is kept."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            await send_mail(
                daemon, build_message(to="nobody@elsewhere.example"), rcpt_to=["nobody@elsewhere.example"]
            )
        count = await _inbox_count(daemon)
    code, text = refused.value.recipients["nobody@elsewhere.example"]
    assert code == 550
    assert b"5.7.1" in text
    assert count == 0


async def test_mail_over_the_size_limit_is_refused_with_552(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A message larger than smtp.max_message_size (1MB here) is refused with 552 and not stored."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    big = build_message(body="x" * 70 + "\n")
    big.set_content(("y" * 76 + "\n") * 20_000)
    async with running_daemon(config, clock) as daemon:
        with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as refused:
            await send_mail(daemon, big)
        count = await _inbox_count(daemon)
    assert refused.value.smtp_code == 552
    assert count == 0


async def test_locked_database_answers_451_and_the_retry_is_accepted(
    tmp_path: Path, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """While the database cannot commit, SMTP says 451 (try later); once it can, the same mail is taken."""
    database = tmp_path / "mailgate.db"
    config = make_config(
        tmp_path, f"sqlite:///{database}", smarthost.port, {"database": {"busy_timeout": "0.2s"}}
    )
    message = build_message()
    async with running_daemon(config, clock) as daemon:
        # Another writer holds the lock (taken in a thread: the daemon's loop must keep running).
        blocker = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        await asyncio.to_thread(blocker.execute, "BEGIN EXCLUSIVE")
        try:
            with pytest.raises(smtplib.SMTPDataError) as refused:
                await send_mail(daemon, message)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        await send_mail(daemon, message)
        [ack] = await smarthost.expect(1, to="hanako@client.example")
        await settle(daemon)
        count = await _inbox_count(daemon)
    assert refused.value.smtp_code == 451
    assert b"4.3.0" in refused.value.smtp_error
    assert count == 1
    assert ack["Subject"] == "[EX#1] Cannot log in"


async def test_redelivered_message_is_not_a_second_ticket(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A sender that retries after a lost 250 delivers the same bytes: one ticket, one acknowledgement."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    message = build_message()
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, message)
        await send_mail(daemon, message)
        await settle(daemon)
        count = await _inbox_count(daemon)
    assert count == 1
    assert len(smarthost.matching(to="hanako@client.example")) == 1


async def test_messages_arriving_together_are_each_answered_250_and_all_kept(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """Many clients at once (group commit) each get 250, and every message becomes a ticket."""
    config = make_config(
        tmp_path, sqlite_url, smarthost.port, {"limits": {"auto_replies_per_sender_per_day": 100}}
    )
    async with running_daemon(config, clock) as daemon:
        await asyncio.gather(
            *(
                send_mail(daemon, build_message(sender=f"c{n}@client.example", subject=f"n{n}"))
                for n in range(40)
            )
        )
        await smarthost.expect(40)
        await settle(daemon)
        count = await _inbox_count(daemon)
    assert count == 40
