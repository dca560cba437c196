"""The ticket tables: tickets, participants, links, messages, events, auto-reply counts.

Reads and writes inside the caller's session (the processor's transaction);
`load_ticket_view` and `list_ticket_views` build what `tickets show/list` print.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
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

MERGED = "merged"
"""The link reason written by `/merge`: `ticket_id` was merged into `other_id`."""
CUSTOMER_KIND = "customer"
CUSTOMER_FACING_OUT_KINDS = ("auto", "engineer")


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


async def remove_participant(session: AsyncSession, ticket_id: int, address: str) -> bool:
    """Take `address` off the ticket; False when it was not on it."""
    result = await session.execute(
        delete(ParticipantRow).where(
            ParticipantRow.ticket_id == ticket_id, ParticipantRow.address == address.lower()
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def add_link(session: AsyncSession, ticket_id: int, other_id: int, reason: str, at: datetime) -> None:
    session.add(LinkRow(ticket_id=ticket_id, other_id=other_id, reason=reason, created_at=at))


async def are_linked(session: AsyncSession, ticket_id: int, other_id: int) -> bool:
    found = await session.execute(
        select(LinkRow.id).where(
            or_(
                (LinkRow.ticket_id == ticket_id) & (LinkRow.other_id == other_id),
                (LinkRow.ticket_id == other_id) & (LinkRow.other_id == ticket_id),
            )
        )
    )
    return found.first() is not None


async def linked_tickets(session: AsyncSession, ticket_id: int) -> list[tuple[TicketRow, str]]:
    """The tickets linked to this one, either way round, with the link's reason, oldest link first."""
    rows = await session.execute(
        select(LinkRow)
        .where(or_(LinkRow.ticket_id == ticket_id, LinkRow.other_id == ticket_id))
        .order_by(LinkRow.id)
    )
    found: list[tuple[TicketRow, str]] = []
    for link in rows.scalars():
        other = await session.get(TicketRow, link.other_id if link.ticket_id == ticket_id else link.ticket_id)
        if other is not None and all(other.id != seen.id for seen, _ in found):
            found.append((other, link.reason))
    return found


async def merged_into(session: AsyncSession, ticket_id: int) -> int | None:
    """The ticket this one was merged into, if it was."""
    found = await session.execute(
        select(LinkRow.other_id).where(LinkRow.ticket_id == ticket_id, LinkRow.reason == MERGED)
    )
    return found.scalars().first()


async def move_messages(session: AsyncSession, from_ticket: int, to_ticket: int) -> int:
    """Put every message of `from_ticket` on `to_ticket`; return how many moved."""
    result = await session.execute(
        update(MessageRow).where(MessageRow.ticket_id == from_ticket).values(ticket_id=to_ticket)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def last_customer_message(session: AsyncSession, ticket_id: int) -> MessageRow | None:
    """The newest mail a customer sent to this ticket."""
    rows = await session.execute(
        select(MessageRow)
        .where(
            MessageRow.ticket_id == ticket_id, MessageRow.kind == CUSTOMER_KIND, MessageRow.direction == "in"
        )
        .order_by(MessageRow.id.desc())
        .limit(1)
    )
    return rows.scalars().first()


async def conversation_ids(session: AsyncSession, ticket_id: int) -> list[str]:
    """Message-IDs of the mail customers have seen on this ticket, oldest first.

    Their own mail and what mailgate sent them; never an engineer's own mail,
    whose Message-ID may name the engineer's mail host or address.
    """
    rows = await session.execute(
        select(MessageRow.message_id)
        .where(
            MessageRow.ticket_id == ticket_id,
            or_(
                (MessageRow.direction == "in") & (MessageRow.kind == CUSTOMER_KIND),
                (MessageRow.direction == "out") & MessageRow.kind.in_(CUSTOMER_FACING_OUT_KINDS),
            ),
        )
        .order_by(MessageRow.id)
    )
    return [message_id for message_id in rows.scalars() if message_id]


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


async def list_ticket_views(
    engine: AsyncEngine, *, status: str | None, with_messages: bool = False
) -> list[TicketView]:
    async with store_errors(), AsyncSession(engine, expire_on_commit=False) as session:
        query = select(TicketRow).order_by(TicketRow.id)
        if status is not None:
            query = query.where(TicketRow.status == status)
        tickets = list((await session.execute(query)).scalars())
        return [await _view(session, ticket, with_messages=with_messages) for ticket in tickets]
