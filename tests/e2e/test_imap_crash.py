"""Crash safety of IMAP intake: the real `mailgate run`, SIGKILLed in the middle of a sync, then restarted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.dovecot import PROJECT_DIR, Mailbox, running_dovecot, write_config_file
from tests.support.harness import build_message
from tests.support.smarthost import CaptureSmarthost

MESSAGES = 300
START_TIMEOUT_SECONDS = 30.0
DRAIN_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


def count(database: Path, query: str) -> int:
    """One number from the daemon's SQLite database, opened read-only (0 before the schema exists)."""
    if not database.exists():
        return 0
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
        ) as connection:
            return int(connection.execute(query).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@contextlib.contextmanager
def mailgate_run(config: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`mailgate run` as its own process; whatever happens, it is gone when this block ends."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mailgate.cli", "run", "-c", str(config)],
            cwd=PROJECT_DIR,
            env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


def wait_for(condition: object, within: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise AssertionError(f"{what} not reached within {within}s; mailgate's log ends:\n{tail}")
        time.sleep(0.005)


def crash_and_recover(mailbox: Mailbox, folder: Path, smarthost_port: int) -> tuple[int, int]:
    """Run, SIGKILL once messages start arriving, run again until drained; (accepted at the kill, tickets)."""
    imap = mailbox.imap_config(processed_folder="Processed", batch_size=10)
    config = write_config_file(folder, [imap], smarthost_port)
    database = folder / "mailgate.db"
    log = folder / "mailgate.log"
    with mailgate_run(config, log) as first:
        wait_for(
            lambda: count(database, "SELECT count(*) FROM inbox") > 0,
            START_TIMEOUT_SECONDS,
            "first accept",
            log,
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=STOP_TIMEOUT_SECONDS)
    accepted_at_kill = count(database, "SELECT count(*) FROM inbox")
    with mailgate_run(config, log) as second:
        wait_for(
            lambda: (
                count(database, "SELECT count(*) FROM inbox") >= MESSAGES
                and count(database, "SELECT count(*) FROM inbox WHERE state IN ('pending', 'processing')")
                == 0
            ),
            DRAIN_TIMEOUT_SECONDS,
            f"{MESSAGES} messages accepted and processed",
            log,
        )
        # Killed too: what is under test is that the database already holds the whole truth.
        second.send_signal(signal.SIGKILL)
        second.wait(timeout=STOP_TIMEOUT_SECONDS)
    return accepted_at_kill, count(database, "SELECT count(*) FROM tickets")


async def test_sigkill_mid_sync_then_restart_makes_every_message_exactly_one_ticket(
    tmp_path: Path, smarthost: CaptureSmarthost
) -> None:
    """Killing mailgate in the middle of taking 300 messages loses none and duplicates none after a restart."""
    with running_dovecot() as server:
        mailbox = server.mailbox
        mailbox.append(
            build_message(sender=f"customer{n}@client.example", subject=f"Question {n}")
            for n in range(MESSAGES)
        )
        accepted_at_kill, tickets = await asyncio.to_thread(
            crash_and_recover, mailbox, tmp_path, smarthost.port
        )
        left, filed = mailbox.count("INBOX"), mailbox.count("Processed")
    database = tmp_path / "mailgate.db"
    distinct = count(database, "SELECT count(DISTINCT message_id) FROM messages WHERE direction = 'in'")
    inbound = count(database, "SELECT count(*) FROM messages WHERE direction = 'in'")
    assert 0 < accepted_at_kill < MESSAGES, "the kill should land in the middle of the sync"
    assert (tickets, inbound, distinct) == (MESSAGES, MESSAGES, MESSAGES)
    assert (left, filed) == (0, MESSAGES)
