"""Replies find their ticket: by reply token, by References, by subject tag from a participant."""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path

from mailgate.clock import ManualClock
from mailgate.daemon import Daemon
from tests.support.harness import build_message, make_config, running_daemon, send_mail, settle, ticket_json
from tests.support.smarthost import Captured, CaptureSmarthost


async def _open_ticket(daemon: Daemon, smarthost: CaptureSmarthost) -> tuple[Captured, str]:
    first = build_message(subject="Printer on fire", cc="boss@client.example")
    await send_mail(daemon, first)
    [ack] = await smarthost.expect(1, to="hanako@client.example")
    return ack, str(first["Message-ID"])


async def test_reply_to_token_address_lands_on_same_ticket_without_second_acknowledgement(
    tmp_path: Path, database_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """Answering the acknowledgement (its Reply-To) adds to the ticket and is not acknowledged again."""
    config = make_config(tmp_path, database_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        ack, _ = await _open_ticket(daemon, smarthost)
        token_address = parseaddr(ack["Reply-To"])[1]
        # A client that drops In-Reply-To and the tag still reaches the ticket through the token.
        reply = build_message(subject="more details", to=token_address, body="It is the HP in room 3.\n")
        await send_mail(daemon, reply, rcpt_to=[token_address])
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
        total_acks = len(smarthost.matching(to="hanako@client.example"))
    assert [m["thread_method"] for m in ticket["messages"] if m["direction"] == "in"] == ["new", "token"]
    assert "HP in room 3" in ticket["messages"][-1]["body_text"]
    assert total_acks == 1


async def test_reply_by_references_lands_on_same_ticket(
    tmp_path: Path, database_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A reply that only carries In-Reply-To/References of the acknowledgement is threaded."""
    config = make_config(tmp_path, database_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        ack, original = await _open_ticket(daemon, smarthost)
        reply = build_message(
            subject="Re: something else entirely",
            headers={"In-Reply-To": ack["Message-ID"], "References": f"{original} {ack['Message-ID']}"},
        )
        await send_mail(daemon, reply)
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
        tickets_count = len(smarthost.matching(to="hanako@client.example"))
    assert [m["thread_method"] for m in ticket["messages"] if m["direction"] == "in"] == ["new", "references"]
    assert tickets_count == 1


async def test_participant_quoting_tag_lands_on_ticket_and_stranger_gets_linked_new_ticket(
    tmp_path: Path, database_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A Cc'd colleague writing with [EX#1] joins ticket 1; a stranger with the tag gets ticket 2 linked to 1."""
    config = make_config(tmp_path, database_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        await _open_ticket(daemon, smarthost)
        await send_mail(daemon, build_message(sender="boss@client.example", subject="[EX#1] any news?"))
        await send_mail(
            daemon, build_message(sender="mallory@evil.example", subject="Re: [EX#1] Printer on fire")
        )
        [stranger_ack] = await smarthost.expect(1, to="mallory@evil.example")
        await settle(daemon)
        first = await ticket_json(daemon, 1)
        second = await ticket_json(daemon, 2)
    assert "boss@client.example" in first["participants"]
    assert [m["from"] for m in first["messages"] if m["direction"] == "in"] == [
        "hanako@client.example",
        "boss@client.example",
    ]
    assert second["requester"] == "mallory@evil.example"
    assert second["linked"] == [1]
    assert first["linked"] == [2]
    assert "mallory@evil.example" not in first["participants"]
    assert stranger_ack["Subject"] == "[EX#2] Printer on fire"


async def test_forged_token_is_ignored(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A guessed token address does not reach an existing ticket: it opens a new one."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        ack, _ = await _open_ticket(daemon, smarthost)
        token = parseaddr(ack["Reply-To"])[1]
        forged = token.replace("support+", "support+a", 1)
        await send_mail(daemon, build_message(sender="eve@evil.example", to=forged), rcpt_to=[forged])
        await smarthost.expect(1, to="eve@evil.example")
        await settle(daemon)
        second = await ticket_json(daemon, 2)
    assert second["requester"] == "eve@evil.example"


async def test_customer_reply_reopens_resolved_ticket_but_closed_ticket_gets_follow_up(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """Answering a closed ticket opens a follow-up ticket linked to it and acknowledges that one."""
    from sqlalchemy import update

    from mailgate.store.tables import TicketRow

    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        ack, _ = await _open_ticket(daemon, smarthost)
        assert daemon.engine is not None
        async with daemon.engine.begin() as connection:
            await connection.execute(update(TicketRow).where(TicketRow.id == 1).values(status="closed"))
        await send_mail(
            daemon,
            build_message(subject="Re: [EX#1] Printer on fire", headers={"In-Reply-To": ack["Message-ID"]}),
        )
        acks = await smarthost.expect(2, to="hanako@client.example")
        await settle(daemon)
        follow_up = await ticket_json(daemon, 2)
        closed = await ticket_json(daemon, 1)
    assert follow_up["linked"] == [1]
    assert closed["status"] == "closed"
    assert acks[1]["Subject"] == "[EX#2] Printer on fire"
