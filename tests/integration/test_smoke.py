"""Smoke: one customer mail in, one ticket, one acknowledgement out."""

from __future__ import annotations

from pathlib import Path

from mailgate.clock import ManualClock
from tests.support.harness import build_message, make_config, running_daemon, send_mail, settle, ticket_json
from tests.support.smarthost import CaptureSmarthost


async def test_customer_mail_becomes_ticket_with_acknowledgement(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A customer writing on Saturday gets one acknowledgement naming the ticket."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, build_message())
        [ack] = await smarthost.expect(1, to="hanako@client.example")
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    print(ack.raw.decode())
    print(ticket)
    assert "[EX#1]" in ack["Subject"]
