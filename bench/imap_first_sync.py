"""How fast, and in how much memory, a first IMAP sync takes a large mailbox into the inbox.

Starts a throwaway Dovecot (Debian's dovecot-imapd, as the tests do), APPENDs N
messages to its INBOX, then runs `ImapPoller.sync_once()` into a fresh SQLite
database and prints messages, seconds, messages per second and the peak RSS
of this process. Intake only: no tickets are made and nothing is sent.

    .venv/bin/python bench/imap_first_sync.py [--messages N] [--batch-size B] [--body-kb K] [--move]

The peak RSS staying near the baseline while the mailbox holds far more bytes
shows that the sync does not hold the mailbox in memory (at most two batches).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from mailgate import logs
from mailgate.clock import SystemClock
from mailgate.config import ImapConfig
from mailgate.inbound.accept import Acceptor
from mailgate.inbound.imap import ImapPoller
from mailgate.store.engine import create_engine
from mailgate.store.migrate import upgrade
from mailgate.store.tables import InboxRow
from tests.support.dovecot import Mailbox, running_dovecot
from tests.support.harness import build_message

APPEND_CONNECTIONS = 4


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(mailbox: Mailbox, count: int, body_kb: int) -> float:
    """APPEND `count` distinct messages over a few connections; the seconds it took."""
    filler = ("Line of a long customer report about what went wrong. " * 20 + "\n") * max(1, body_kb)

    def messages(start: int, stop: int):  # type: ignore[no-untyped-def]
        for n in range(start, stop):
            yield build_message(
                sender=f"customer{n}@client.example", subject=f"Question {n}", body=f"Message {n}.\n{filler}"
            )

    started = time.perf_counter()
    share = -(-count // APPEND_CONNECTIONS)
    with ThreadPoolExecutor(APPEND_CONNECTIONS) as pool:
        parts = [(i * share, min(count, (i + 1) * share)) for i in range(APPEND_CONNECTIONS)]
        list(pool.map(lambda part: mailbox.append(messages(*part)), parts))
    return time.perf_counter() - started


async def first_sync(imap: ImapConfig, database: Path) -> tuple[float, int]:
    """Seconds for one `sync_once()` into an empty database, and the inbox rows it made."""
    engine = create_engine(f"sqlite:///{database}")
    await upgrade(engine)
    clock = SystemClock()
    acceptor = Acceptor(engine, clock)
    try:
        started = time.perf_counter()
        await ImapPoller(imap, acceptor, engine, clock).sync_once()
        seconds = time.perf_counter() - started
        async with engine.connect() as connection:
            rows = int(await connection.scalar(select(func.count()).select_from(InboxRow)) or 0)
    finally:
        await acceptor.close()
        await engine.dispose()
    return seconds, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=ImapConfig.model_fields["batch_size"].default)
    parser.add_argument("--body-kb", type=int, default=4, help="approximate body size of each message")
    parser.add_argument(
        "--move", action="store_true", help="move to a processed folder instead of flagging \\Seen"
    )
    args = parser.parse_args()
    logs.configure(level="info")
    if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
        raise SystemExit("Dovecot is not installed (Debian package dovecot-imapd)")

    with running_dovecot() as server, tempfile.TemporaryDirectory() as folder:
        mailbox = server.mailbox
        append_seconds = fill(mailbox, args.messages, args.body_kb)
        mailbox_mb = (server.base / "mail").exists() and sum(
            p.stat().st_size for p in (server.base / "mail").rglob("*") if p.is_file()
        ) / 2**20
        baseline = peak_rss_mb()
        overrides = {"processed_folder": "Processed"} if args.move else {}
        imap = ImapConfig.model_validate(mailbox.imap_config(batch_size=args.batch_size, **overrides))
        seconds, rows = asyncio.run(first_sync(imap, Path(folder) / "bench.db"))
        peak = peak_rss_mb()
        left = mailbox.count("INBOX", "UNSEEN")

    mode = "MOVE" if args.move else "\\Seen"
    print(f"APPEND of {args.messages} messages: {append_seconds:.1f} s (not part of the figures below)")
    print()
    print("| messages | batch | mark | mailbox MB | seconds | messages/s | RSS before MB | peak RSS MB |")
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {rows} | {args.batch_size} | {mode} | {float(mailbox_mb):.0f} | {seconds:.1f} "
        f"| {rows / seconds:.0f} | {baseline:.0f} | {peak:.0f} |"
    )
    if rows != args.messages or (left and not args.move):
        raise SystemExit(
            f"expected {args.messages} inbox rows and nothing left unseen; got {rows}, {left} unseen"
        )


if __name__ == "__main__":
    main()
