"""Every message of the shared corpus, delivered over SMTP, becomes a ticket (or a bounce) without an error."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlalchemy import select

from mailgate.clock import ManualClock
from mailgate.mail.subject import display_subject
from mailgate.store.tables import InboxRow
from tests.support.corpus import CorpusCase, corpus_cases, require_case
from tests.support.harness import make_config, running_daemon, settle, ticket_json
from tests.support.smarthost import CaptureSmarthost

pytestmark = pytest.mark.asyncio(loop_scope="module")
CASES = corpus_cases()


@dataclass
class Delivered:
    inbox_id: int
    state: str
    error: str | None
    ticket: dict[str, Any] | None


def _envelope_sender(raw: bytes) -> str:
    for line in raw.split(b"\n", 200)[:200]:
        if line.lower().startswith(b"return-path:"):
            return parseaddr(line.split(b":", 1)[1].decode("ascii", "replace"))[1]
    return "customer@corpus.example"


def _deliver_all(port: int, cases: list[CorpusCase]) -> dict[str, int]:
    queued: dict[str, int] = {}
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        for case in cases:
            client.ehlo_or_helo_if_needed()
            client.mail(_envelope_sender(case.raw))
            client.rcpt("support@example.com")
            code, reply = client.data(case.raw)
            assert code == 250, f"{case.name}: {code} {reply!r}"
            queued[case.name] = int(reply.decode().rsplit(" ", 1)[1])
    return queued


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def delivered(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Delivered]]:
    cases = [param.values[0] for param in CASES if param.values[0] is not None]
    folder = tmp_path_factory.mktemp("corpus")
    smarthost = CaptureSmarthost()
    await smarthost.start()
    clock = ManualClock(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
    config = make_config(
        folder,
        f"sqlite:///{folder / 'mailgate.db'}",
        smarthost.port,
        {"limits": {"auto_replies_per_sender_per_day": 1000}},
    )
    results: dict[str, Delivered] = {}
    try:
        async with running_daemon(config, clock) as daemon:
            queued = await asyncio.to_thread(_deliver_all, daemon.port, cases)
            await settle(daemon, within=60)
            assert daemon.engine is not None
            async with daemon.engine.connect() as connection:
                rows = {
                    row.id: row
                    for row in await connection.execute(
                        select(InboxRow.id, InboxRow.state, InboxRow.error, InboxRow.ticket_id)
                    )
                }
            for name, inbox_id in queued.items():
                row = rows[inbox_id]
                ticket = await ticket_json(daemon, row.ticket_id) if row.ticket_id else None
                results[name] = Delivered(inbox_id, row.state, row.error, ticket)
    finally:
        await smarthost.stop()
    yield results


@pytest.mark.parametrize("case", CASES)
async def test_corpus_message_becomes_a_ticket_without_error(
    case: CorpusCase | None, delivered: dict[str, Delivered]
) -> None:
    """Real mail from real clients is processed, threaded and answered (or not) as a helpdesk should."""
    case = require_case(case)
    expected = case.expected
    result = delivered[case.name]
    assert (result.state, result.error) == ("done", None)
    if expected["kind"] == "bounce":
        # A bounce of mail mailgate never sent opens no ticket.
        assert result.ticket is None
        return
    assert result.ticket is not None
    ticket = result.ticket
    mine = [m for m in ticket["messages"] if m["direction"] == "in" and m["from"] == expected["from"]]
    assert mine, f"no message from {expected['from']} on ticket {ticket['ref']}"
    assert mine[-1]["kind"] == expected["kind"]
    created_here = (
        ticket["messages"][0]["from"] == expected["from"]
        and len([m for m in ticket["messages"] if m["direction"] == "in"]) == 1
    )
    if created_here:
        assert ticket["subject"] == display_subject(expected["subject"], "EX")
        assert ticket["requester"] == expected["from"]
        acknowledged = [m for m in ticket["messages"] if m["direction"] == "out" and m["kind"] == "auto"]
        assert bool(acknowledged) == expected["auto_reply"]
