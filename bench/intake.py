"""Intake throughput: SMTP accept rate (group commit) and end-to-end rate, on SQLite.

Runs a real daemon in this process (listener on 127.0.0.1, temporary SQLite
database, a smarthost that accepts and discards), drives it with concurrent
aiosmtplib clients, and prints a table:

    python bench/intake.py [--messages 2000] [--clients 1,10,50] [--database URL]

"accepted/s" counts 250 replies (each after its commit); "end-to-end/s" is
until every message is a ticket and every acknowledgement left for the smarthost.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
import tomllib
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailgate import logs
from mailgate.clock import SystemClock
from mailgate.config import parse_config
from mailgate.daemon import Daemon

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
CONFIG = """
[service]
address = "support@example.com"
domains = ["example.com"]
secret = "bench-secret-0123456789"
[hours]
timezone = "Asia/Tokyo"
mon = "00:00-24:00"
tue = "00:00-24:00"
wed = "00:00-24:00"
thu = "00:00-24:00"
fri = "00:00-24:00"
sat = "00:00-24:00"
sun = "00:00-24:00"
[limits]
auto_replies_per_sender_per_day = 100000
"""


class Discard:
    def __init__(self, expected: int) -> None:
        self.count = 0
        self.expected = expected
        self.all_arrived = asyncio.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.count += 1
        if self.count >= self.expected:
            self.all_arrived.set()
        return "250 OK"


def message(number: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"customer{number}@client.example"
    mail["To"] = "support@example.com"
    mail["Subject"] = f"Problem number {number}"
    mail["Message-ID"] = f"<bench-{number}-{time.monotonic_ns()}@client.example>"
    mail.set_content("Hello,\n\nthe portal shows an error since this morning.\n\nRegards\n")
    return mail.as_bytes()


async def client(port: int, numbers: list[int]) -> None:
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=60)
    await smtp.connect()
    for number in numbers:
        await smtp.sendmail(f"customer{number}@client.example", ["support@example.com"], message(number))
    await smtp.quit()


async def count(daemon: Daemon, table: type, state: str) -> int:
    assert daemon.engine is not None
    async with daemon.engine.connect() as connection:
        result = await connection.scalar(select(func.count()).select_from(table).where(table.state == state))  # type: ignore[attr-defined]
        return int(result or 0)


async def run(messages: int, clients: int, database: str | None) -> tuple[float, float]:
    folder = Path(tempfile.mkdtemp(prefix="mailgate-bench-"))
    sink = Discard(messages)
    loop = asyncio.get_running_loop()
    smarthost = await loop.create_server(lambda: SMTP(sink, hostname="sink"), host="127.0.0.1", port=0)
    data = tomllib.loads(CONFIG)
    data["database"] = {"url": database or f"sqlite:///{folder / 'bench.db'}"}
    data["outbound"] = {"host": "127.0.0.1", "port": smarthost.sockets[0].getsockname()[1]}
    data["templates"] = str(TEMPLATES)
    config = parse_config(data, folder)
    daemon = Daemon(config, clock=SystemClock(), smtp_port=0)
    runner = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    numbers = list(range(messages))
    started = time.perf_counter()
    await asyncio.gather(*(client(daemon.port, numbers[i::clients]) for i in range(clients)))
    accepted = time.perf_counter() - started
    async with asyncio.timeout(600):
        await sink.all_arrived.wait()
    end_to_end = time.perf_counter() - started
    daemon.stop()
    await runner
    smarthost.close()
    return messages / accepted, messages / end_to_end


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--clients", default="1,10,50")
    parser.add_argument("--database", default=None, help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    logs.configure(level="warning")
    print(f"{'clients':>8} {'messages':>9} {'accepted/s':>11} {'end-to-end/s':>13}")
    for clients in (int(c) for c in args.clients.split(",")):
        accepted, end_to_end = asyncio.run(run(args.messages, clients, args.database))
        print(f"{clients:>8} {args.messages:>9} {accepted:>11.0f} {end_to_end:>13.0f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
