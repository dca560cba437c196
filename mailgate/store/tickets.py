"""The ticket tables: tickets, participants, links, messages, events, auto-reply counts.

Reads and writes inside the caller's session (the processor's transaction);
`load_ticket_view` and `list_ticket_views` build what `tickets show/list` print.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from mailgate.store.engine import store_errors
from mailgate.store.tables import (
    AutoReplyRow,
    EventRow,
    LinkRow,
    MessageRow,
    ParticipantRow,
    TicketRow,
)


async def get_ticket(session: AsyncSession, ticket_id: int) -> TicketRow | None:
    return await session.get(TicketRow, ticket_id)


async def tickets_by_message_ids(session: AsyncSession, message_ids: Sequence[str]) -> dict[str, int]:
    """Map each known Message-ID to its ticket (mail in and out both count)."""
    if not message_ids:
        return {}
    rows = await session.execute(
        select(MessageRow.message_id, MessageRow.ticket_id).where(MessageRow.message_id.in_(message_ids))
    )
    return {message_id: ticket_id for message_id, ticket_id in rows.all() if message_id}


async def is_participant(session: AsyncSession, ticket_id: int, address: str) -> bool:
    found = await session.execute(
        select(ParticipantRow.id).where(
            ParticipantRow.ticket_id == ticket_id, ParticipantRow.address == address.lower()
        )
    )
    return found.first() is not None


async def participants_of(session: AsyncSession, ticket_id: int) -> list[ParticipantRow]:
    rows = await session.execute(
        select(ParticipantRow).where(ParticipantRow.ticket_id == ticket_id).order_by(ParticipantRow.id)
    )
    return list(rows.scalars())


async def add_participants(
    session: AsyncSession, ticket_id: int, people: Iterable[tuple[str, str | None, str]], at: datetime
) -> list[str]:
    """Add (address, name, role) entries not yet on the ticket; return the addresses added."""
    known = {p.address for p in await participants_of(session, ticket_id)}
    added: list[str] = []
    for address, name, role in people:
        address = address.lower()
        if address in known:
            continue
        known.add(address)
        session.add(ParticipantRow(ticket_id=ticket_id, address=address, name=name, role=role, added_at=at))
        added.append(address)
    return added


async def add_link(session: AsyncSession, ticket_id: int, other_id: int, reason: str, at: datetime) -> None:
    session.add(LinkRow(ticket_id=ticket_id, other_id=other_id, reason=reason, created_at=at))


async def add_event(
    session: AsyncSession, ticket_id: int, kind: str, detail: dict[str, Any], at: datetime
) -> None:
    session.add(EventRow(ticket_id=ticket_id, at=at, kind=kind, detail=detail))


async def count_auto_replies(session: AsyncSession, address: str, since: datetime) -> int:
    found = await session.execute(
        select(func.count())
        .select_from(AutoReplyRow)
        .where(AutoReplyRow.address == address.lower(), AutoReplyRow.sent_at >= since)
    )
    return int(found.scalar_one())


async def record_auto_reply(session: AsyncSession, address: str, at: datetime) -> None:
    session.add(AutoReplyRow(address=address.lower(), sent_at=at))


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    direction: str
    kind: str
    from_addr: str | None
    to: list[str]
    cc: list[str]
    subject: str
    message_id: str | None
    body_text: str
    created_at: datetime
    rule_hits: list[str]
    thread_method: str | None
    defects: list[str]


@dataclass(frozen=True, slots=True)
class EventView:
    at: datetime
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TicketView:
    ticket: TicketRow
    participants: list[str]
    linked: list[int]
    messages: list[MessageView]
    events: list[EventView]


async def _linked(session: AsyncSession, ticket_id: int) -> list[int]:
    rows = await session.execute(
        select(LinkRow.ticket_id, LinkRow.other_id).where(
            or_(LinkRow.ticket_id == ticket_id, LinkRow.other_id == ticket_id)
        )
    )
    return sorted({b if a == ticket_id else a for a, b in rows.all()})


async def load_ticket_view(
    engine: AsyncEngine, ticket_id: int, *, with_messages: bool = True
) -> TicketView | None:
    async with store_errors(), AsyncSession(engine, expire_on_commit=False) as session:
        ticket = await session.get(TicketRow, ticket_id)
        if ticket is None:
            return None
        return await _view(session, ticket, with_messages=with_messages)


async def _view(session: AsyncSession, ticket: TicketRow, *, with_messages: bool) -> TicketView:
    participants = [p.address for p in await participants_of(session, ticket.id)]
    messages: list[MessageView] = []
    events: list[EventView] = []
    if with_messages:
        rows = await session.execute(
            select(MessageRow).where(MessageRow.ticket_id == ticket.id).order_by(MessageRow.id)
        )
        messages = [
            MessageView(
                id=m.id,
                direction=m.direction,
                kind=m.kind,
                from_addr=m.from_addr,
                to=list(m.to_addrs),
                cc=list(m.cc_addrs),
                subject=m.subject,
                message_id=m.message_id,
                body_text=m.body_text,
                created_at=m.created_at,
                rule_hits=list(m.rule_hits),
                thread_method=m.thread_method,
                defects=list(m.defects),
            )
            for m in rows.scalars()
        ]
        event_rows = await session.execute(
            select(EventRow).where(EventRow.ticket_id == ticket.id).order_by(EventRow.id)
        )
        events = [EventView(e.at, e.kind, dict(e.detail)) for e in event_rows.scalars()]
    return TicketView(ticket, participants, await _linked(session, ticket.id), messages, events)


async def list_ticket_views(engine: AsyncEngine, *, status: str | None) -> list[TicketView]:
    async with store_errors(), AsyncSession(engine, expire_on_commit=False) as session:
        query = select(TicketRow).order_by(TicketRow.id)
        if status is not None:
            query = query.where(TicketRow.status == status)
        tickets = list((await session.execute(query)).scalars())
        return [await _view(session, ticket, with_messages=False) for ticket in tickets]
