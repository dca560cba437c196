"""IMAP intake against a real Dovecot: mail in a mailbox becomes tickets, once each, whatever happens."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from structlog.testing import capture_logs

from mailgate.clock import ManualClock
from mailgate.daemon import Daemon
from mailgate.inbound.accept import Arrival, accept_once
from mailgate.inbound.imap import source_key
from mailgate.store.engine import create_engine
from mailgate.store.migrate import upgrade
from mailgate.store.tables import InboxRow, TicketRow
from tests.support.dovecot import Dovecot, Mailbox, free_port, running_dovecot, write_config_file
from tests.support.harness import PROJECT_DIR, build_message, make_config, running_daemon, send_mail, settle
from tests.support.smarthost import CaptureSmarthost

WAIT_SECONDS = 10.0


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    """One server for the module (a Dovecot stop takes seconds); each test gets its own user."""
    with running_dovecot() as server:
        yield server


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:
    return dovecot.add_mailbox()


async def ticket_count(daemon: Daemon) -> int:
    assert daemon.engine is not None
    async with daemon.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(TicketRow)) or 0)


async def wait_for_tickets(daemon: Daemon, count: int, within: float = WAIT_SECONDS) -> None:
    """Wait (bounded) until `count` tickets exist and everything accepted is processed."""
    deadline = time.monotonic() + within
    while (found := await ticket_count(daemon)) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"expected {count} tickets within {within}s, found {found}")
        await asyncio.sleep(0.05)
    await settle(daemon)


async def wait_for_events(logs: Sequence[MutableMapping[str, Any]], event: str, count: int) -> None:
    """Wait (bounded) until `event` has been logged `count` times, at any level."""
    deadline = time.monotonic() + WAIT_SECONDS
    while sum(e["event"] == event for e in logs) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"{event} logged fewer than {count} times within {WAIT_SECONDS}s")
        await asyncio.sleep(0.05)


async def wait_until(condition: Any, within: float = WAIT_SECONDS, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not met within {within}s")
        await asyncio.sleep(0.05)


def customers_answered(smarthost: CaptureSmarthost) -> list[str]:
    """Who outside the company got mail (engineers' notifications left out), sorted."""
    return sorted(r for m in smarthost.messages for r in m.rcpt_to if r.endswith("@client.example"))


def customer_mail(number: int, **headers: str) -> bytes:
    return build_message(
        sender=f"Customer {number} <customer{number}@client.example>",
        subject=f"Order {number} has not arrived",
        headers=headers or None,
    ).as_bytes()


async def test_messages_in_the_mailbox_become_tickets_with_acknowledgements(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock, mailbox: Mailbox
) -> None:
    """Three mails waiting at the provider become three tickets, each customer is answered, each mail is \\Seen."""
    mailbox.append(customer_mail(n) for n in range(3))
    config = make_config(tmp_path, sqlite_url, smarthost.port, {"imap": [mailbox.imap_config()]})
    async with running_daemon(config, clock) as daemon:
        await wait_for_tickets(daemon, 3)
        acks = [(await smarthost.expect(1, to=f"customer{n}@client.example"))[0] for n in range(3)]
        assert daemon.engine is not None
        async with daemon.engine.connect() as connection:
            sources = list(await connection.scalars(select(InboxRow.source)))
    assert all("[EX#" in str(a["Subject"]) for a in acks)
    assert sources == ["imap", "imap", "imap"]
    assert mailbox.count(criteria="SEEN") == 3


async def test_mail_appended_while_idling_becomes_a_ticket_within_five_seconds(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock, mailbox: Mailbox
) -> None:
    """A customer's mail that lands in the mailbox while mailgate waits is answered within seconds."""
    mailbox.append([customer_mail(1)])
    config = make_config(tmp_path, sqlite_url, smarthost.port, {"imap": [mailbox.imap_config()]})
    with capture_logs() as logs:
        async with running_daemon(config, clock) as daemon:
            await smarthost.expect(1, to="customer1@client.example")
            await asyncio.sleep(0.3)
            started = time.monotonic()
            await asyncio.to_thread(mailbox.append, [customer_mail(2)])
            await smarthost.expect(1, to="customer2@client.example", within=5)
            elapsed = time.monotonic() - started
            await wait_for_tickets(daemon, 2)
    assert elapsed < 5
    assert any(e["event"] == "imap.connected" and e["idle"] for e in logs)


async def test_processed_folder_receives_each_message_after_its_ticket(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock, mailbox: Mailbox
) -> None:
    """With processed_folder set, the mailbox is emptied into that folder (created if missing), one ticket each."""
    mailbox.append(customer_mail(n) for n in range(4))
    imap = mailbox.imap_config(processed_folder="Processed")
    config = make_config(tmp_path, sqlite_url, smarthost.port, {"imap": [imap]})
    async with running_daemon(config, clock) as daemon:
        await wait_for_tickets(daemon, 4)
        await wait_until(lambda: mailbox.count("Processed") == 4, what="4 messages in Processed")
        await asyncio.to_thread(mailbox.append, [customer_mail(5)])
        await wait_for_tickets(daemon, 5)
        await wait_until(lambda: mailbox.count("Processed") == 5, what="5 messages in Processed")
        tickets = await ticket_count(daemon)
    assert tickets == 5
    assert mailbox.count("INBOX") == 0


async def test_server_without_idle_or_move_is_polled_and_copied(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A plain IMAP4rev1 server (no IDLE, no MOVE) still gets its mail taken and filed, by polling and COPY."""
    with running_dovecot(capabilities="IMAP4rev1 LITERAL+ UIDPLUS") as plain:
        mailbox = plain.add_mailbox()
        mailbox.append(customer_mail(n) for n in range(2))
        imap = mailbox.imap_config(processed_folder="Done", poll_interval="1s")
        config = make_config(tmp_path, sqlite_url, smarthost.port, {"imap": [imap]})
        with capture_logs() as logs:
            async with running_daemon(config, clock) as daemon:
                await wait_for_tickets(daemon, 2)
                await asyncio.to_thread(mailbox.append, [customer_mail(3)])
                await wait_for_tickets(daemon, 3)
                await wait_until(lambda: mailbox.count("Done") == 3, what="3 messages in Done")
                tickets = await ticket_count(daemon)
        remaining = mailbox.count("INBOX")
    assert (tickets, remaining) == (3, 0)
    assert [e["idle"] for e in logs if e["event"] == "imap.connected"] == [False]


async def test_uidvalidity_change_takes_new_mail_without_duplicating_tickets(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock, mailbox: Mailbox
) -> None:
    """A folder recreated on the server (new UIDVALIDITY, same mails again) yields tickets only for new mail."""
    first, second, third = customer_mail(1), customer_mail(2), customer_mail(3)
    mailbox.create("Support")
    mailbox.append([first, second], folder="Support")
    before = mailbox.uidvalidity("Support")
    config = make_config(
        tmp_path, sqlite_url, smarthost.port, {"imap": [mailbox.imap_config(folder="Support")]}
    )
    with capture_logs() as logs:
        async with running_daemon(config, clock) as daemon:
            await wait_for_tickets(daemon, 2)

            def recreate() -> None:
                mailbox.delete("Support")
                mailbox.create("Support")
                mailbox.append([first, second, third], folder="Support")

            await asyncio.to_thread(recreate)
            await wait_for_tickets(daemon, 3)
            await wait_until(lambda: mailbox.count("Support", "SEEN") == 3, what="3 messages \\Seen")
            tickets = await ticket_count(daemon)
    after = mailbox.uidvalidity("Support")
    assert before != after
    assert tickets == 3
    changes = [e for e in logs if e["event"] == "imap.uidvalidity_changed"]
    assert [(e["before"], e["after"]) for e in changes] == [(before, after)]
    assert customers_answered(smarthost) == [f"customer{n}@client.example" for n in (1, 2, 3)]


async def test_message_committed_before_a_crash_is_flagged_not_ticketed_twice(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock, mailbox: Mailbox
) -> None:
    """A mail accepted just before a crash (never flagged on the server) is flagged after restart, still one ticket."""
    raw = customer_mail(1)
    mailbox.append([raw, customer_mail(2)])
    imap = mailbox.imap_config()
    config = make_config(tmp_path, sqlite_url, smarthost.port, {"imap": [imap]})
    engine = create_engine(config.database_url)
    try:
        await upgrade(engine)
        key = source_key(config.imap[0], mailbox.uidvalidity(), 1)
        await accept_once(engine, clock, Arrival(raw, source="imap", source_key=key))
    finally:
        await engine.dispose()
    with capture_logs() as logs:
        async with running_daemon(config, clock) as daemon:
            await wait_for_tickets(daemon, 2)
            await wait_until(lambda: mailbox.count(criteria="SEEN") == 2, what="both messages \\Seen")
            tickets = await ticket_count(daemon)
    assert tickets == 2
    [synced] = [e for e in logs if e["event"] == "imap.synced"]
    assert (synced["new"], synced["duplicates"]) == (1, 1)
    assert customers_answered(smarthost) == [
        "customer1@client.example",
        "customer2@client.example",
    ]


async def test_locked_database_leaves_the_message_unread_until_it_is_free(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock, mailbox: Mailbox
) -> None:
    """While the database cannot take the mail, it stays unread at the provider; afterwards it becomes a ticket."""
    imap = mailbox.imap_config()
    config = make_config(
        tmp_path, sqlite_url, smarthost.port, {"database": {"busy_timeout": "0.2s"}, "imap": [imap]}
    )
    with capture_logs() as logs:
        async with running_daemon(config, clock) as daemon:
            # The test's own writer holds the lock; in a thread, so the daemon's loop keeps running.
            path = sqlite_url.removeprefix("sqlite:///")
            locker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            try:
                await asyncio.to_thread(locker.execute, "BEGIN IMMEDIATE")
                await asyncio.to_thread(mailbox.append, [customer_mail(1)])
                await wait_for_events(logs, "imap.accept_failed", 1)
                unread_while_locked = await asyncio.to_thread(mailbox.count, "INBOX", "UNSEEN")
            finally:
                locker.execute("ROLLBACK")
                locker.close()
            await wait_for_tickets(daemon, 1)
            await wait_until(lambda: mailbox.count(criteria="SEEN") == 1, what="the message \\Seen")
    [failed] = [e for e in logs if e["event"] == "imap.accept_failed" and e["log_level"] == "error"]
    assert failed["reason"].startswith("database unavailable")
    assert unread_while_locked == 1


async def test_wrong_password_is_logged_once_and_smtp_keeps_working(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock, mailbox: Mailbox
) -> None:
    """A wrong IMAP password is reported once, clearly, while mail sent over SMTP still becomes a ticket."""
    mailbox.append([customer_mail(1)])
    imap = mailbox.imap_config(password="not-the-password")
    config = make_config(tmp_path, sqlite_url, smarthost.port, {"imap": [imap]})
    with capture_logs() as logs:
        async with running_daemon(config, clock) as daemon:
            await send_mail(daemon, build_message())
            [ack] = await smarthost.expect(1, to="hanako@client.example")
            await wait_for_tickets(daemon, 1)
            # Dovecot delays each repeated failure from one address by seconds: two attempts show the point.
            await wait_for_events(logs, "imap.error", 2)
            tickets = await ticket_count(daemon)
    errors = [e for e in logs if e["event"] == "imap.error"]
    assert len(errors) >= 2, "the poller should keep retrying"
    [logged] = [e for e in errors if e["log_level"] == "error"]
    assert logged["mailbox"] == f"{mailbox.username}@127.0.0.1:{mailbox.server.port}/INBOX"
    assert f"login as {mailbox.username} refused" in logged["reason"]
    assert "Authentication failed" in logged["reason"]
    assert "not-the-password" not in str(logs)
    assert "[EX#1]" in str(ack["Subject"])
    assert tickets == 1
    assert mailbox.count(criteria="UNSEEN") == 1


async def test_unreachable_server_is_logged_once_however_often_it_is_retried(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock, mailbox: Mailbox
) -> None:
    """A server that refuses connections gives one error line, not one per retry, and the reason names it."""
    imap = mailbox.imap_config(port=free_port())
    config = make_config(tmp_path, sqlite_url, smarthost.port, {"imap": [imap]})
    with capture_logs() as logs:
        async with running_daemon(config, clock):
            await wait_for_events(logs, "imap.error", 5)
    errors = [e for e in logs if e["event"] == "imap.error"]
    [logged] = [e for e in errors if e["log_level"] == "error"]
    assert f"cannot connect to 127.0.0.1:{imap['port']}" in logged["reason"]
    assert [e["retry_in"] for e in errors[:4]] == [1.0, 2.0, 4.0, 8.0]


async def test_missing_folder_is_reported_and_taken_once_created(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock, mailbox: Mailbox
) -> None:
    """A folder that does not exist yet is named in the log; mail put there later still becomes a ticket."""
    config = make_config(
        tmp_path, sqlite_url, smarthost.port, {"imap": [mailbox.imap_config(folder="Later")]}
    )
    with capture_logs() as logs:
        async with running_daemon(config, clock) as daemon:
            await wait_for_events(logs, "imap.error", 1)
            mailbox.create("Later")
            mailbox.append([customer_mail(1)], folder="Later")
            await wait_for_tickets(daemon, 1)
    [logged] = [e for e in logs if e["event"] == "imap.error" and e["log_level"] == "error"]
    assert "folder 'Later' cannot be opened" in logged["reason"]
    assert any(e["event"] == "imap.recovered" for e in logs)


async def test_automatic_mail_read_by_imap_is_not_acknowledged(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock, mailbox: Mailbox
) -> None:
    """An auto-reply found in the mailbox gets a ticket but no answer, exactly as over SMTP."""
    mailbox.append([customer_mail(1, **{"Auto-Submitted": "auto-replied"}), customer_mail(2)])
    config = make_config(tmp_path, sqlite_url, smarthost.port, {"imap": [mailbox.imap_config()]})
    async with running_daemon(config, clock) as daemon:
        await wait_for_tickets(daemon, 2)
        await smarthost.expect(1, to="customer2@client.example")
    assert customers_answered(smarthost) == ["customer2@client.example"]


async def test_server_restart_is_survived(
    tmp_path: Path,
    sqlite_url: str,
    smarthost: CaptureSmarthost,
    clock: ManualClock,
    dovecot: Dovecot,
    mailbox: Mailbox,
) -> None:
    """When the IMAP server restarts, mailgate reconnects by itself and takes the mail that arrives after."""
    mailbox.append([customer_mail(1)])
    config = make_config(tmp_path, sqlite_url, smarthost.port, {"imap": [mailbox.imap_config()]})
    with capture_logs() as logs:
        async with running_daemon(config, clock) as daemon:
            await wait_for_tickets(daemon, 1)
            await asyncio.to_thread(dovecot.restart)
            await asyncio.to_thread(mailbox.append, [customer_mail(2)])
            await wait_for_tickets(daemon, 2, within=20)
            tickets = await ticket_count(daemon)
    assert tickets == 2
    assert any(e["event"] == "imap.error" and "Server shutting down" in e["reason"] for e in logs)
    assert any(e["event"] == "imap.recovered" for e in logs)


async def test_check_config_connect_reports_each_mailbox(
    tmp_path: Path, smarthost: CaptureSmarthost, mailbox: Mailbox
) -> None:
    """`mailgate check-config --connect` says which mailbox works, which does not and why, and exits 1."""
    mailbox.append(customer_mail(n) for n in range(2))
    good = mailbox.imap_config()
    bad = mailbox.imap_config(password="wrong")
    wrong_tls = mailbox.imap_config(tls=True)
    config = write_config_file(tmp_path, [good, bad, wrong_tls], smarthost.port)
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "mailgate.cli", "check-config", "--connect", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_DIR,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
    )
    label = f"{mailbox.username}@127.0.0.1:{mailbox.server.port}/INBOX"
    lines = result.stdout.splitlines()
    assert f"imap[0] {label}: ok (2 messages)" in lines
    assert any(line.startswith(f"imap[1] {label}: login as {mailbox.username} refused") for line in lines)
    assert any(line.startswith(f"imap[2] {label}: TLS with 127.0.0.1:") for line in lines), lines
    assert f"outbound 127.0.0.1:{smarthost.port}: ok" in "\n".join(lines)
    assert result.returncode == 1, result.stderr
