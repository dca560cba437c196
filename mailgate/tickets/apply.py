"""Apply: put one message on its ticket. Writes inside the processor's transaction.

Creates the ticket (with its first-response and resolution due times in
business time) or appends to it, adds participants, reopens a ticket the
customer answers, and attaches bounces to the ticket of the mail that bounced.
A closed ticket is not reopened: the customer's mail starts a follow-up
ticket linked to it, so closed work stays closed and the new request is timed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mailgate.config import Config
from mailgate.hours.business import BusinessCalendar
from mailgate.hours.sla import first_response_due, resolution_due
from mailgate.mail.addresses import is_own_address
from mailgate.mail.parse import Address, ParsedMessage
from mailgate.mail.subject import display_subject
from mailgate.store import tickets as store
from mailgate.store.tables import MessageRow, TicketRow
from mailgate.tickets.domain import (
    Direction,
    MessageKind,
    Status,
    TicketId,
    TicketMatch,
    Verdict,
)

DEFAULT_PRIORITY = "normal"
SUPPORTED_LANGUAGES = ("en", "ja")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff66-\uff9f]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True, slots=True)
class ApplyInput:
    inbox_id: int
    message: ParsedMessage
    verdict: Verdict
    match: TicketMatch
    received_at: datetime
    envelope_from: str | None


@dataclass(frozen=True, slots=True)
class Applied:
    """The ticket the message landed on (None: an unmatched bounce) and what changed."""

    ticket: TicketRow | None
    message: MessageRow | None
    created: bool
    linked_to: int | None = None


def choose_language(config: Config, address: str, message: ParsedMessage) -> str:
    """The customer's language: configured for them, declared by their client, or seen in their text."""
    for customer in config.customers:
        if customer.language and customer.matches(address):
            return customer.language
    declared = (message.header("content-language") or "").split(",")[0].strip().lower()[:2]
    if declared in SUPPORTED_LANGUAGES:
        return declared
    sample = f"{message.subject or ''}\n{message.text[:2000]}"
    if _JAPANESE.search(sample):
        return "ja"
    if len(_LATIN_WORD.findall(sample)) >= 3:
        return "en"
    return config.service.language


def sender_of(message: ParsedMessage, envelope_from: str | None) -> Address | None:
    if message.from_ is not None:
        return message.from_
    if envelope_from:
        return Address(envelope_from.lower())
    return None


def _customer_people(config: Config, message: ParsedMessage) -> list[tuple[str, str | None, str]]:
    """Everyone a customer's mail was sent to who is not mailgate or an engineer."""
    own = config.service.own_addresses
    engineers = {e.address for e in config.engineers}
    people: list[tuple[str, str | None, str]] = []
    for address in (*message.to, *message.cc):
        if is_own_address(address.address, own) or address.address in engineers:
            continue
        people.append((address.address, address.name, "cc"))
    return people


async def apply_message(
    session: AsyncSession, config: Config, calendar: BusinessCalendar, item: ApplyInput
) -> Applied:
    message, verdict, match = item.message, item.verdict, item.match
    sender = sender_of(message, item.envelope_from)
    ticket = await store.get_ticket(session, match.ticket) if match.ticket is not None else None
    linked_to: int | None = match.linked_to

    if verdict.kind is MessageKind.BOUNCE and ticket is None:
        return Applied(None, None, created=False)
    if ticket is not None and ticket.status == Status.CLOSED and verdict.kind is MessageKind.CUSTOMER:
        linked_to, ticket = ticket.id, None

    created = ticket is None
    if ticket is None:
        ticket = await _create_ticket(session, config, calendar, item, sender)
        if linked_to is not None:
            await store.add_link(session, ticket.id, linked_to, "follow-up", item.received_at)
    elif verdict.kind is MessageKind.CUSTOMER and ticket.status in (Status.PENDING, Status.RESOLVED):
        await store.add_event(
            session,
            ticket.id,
            "status-changed",
            {"from": ticket.status, "to": Status.OPEN.value, "by": "customer"},
            item.received_at,
        )
        ticket.status = Status.OPEN.value
        ticket.resolved_at = None

    if verdict.kind is MessageKind.CUSTOMER:
        people = _customer_people(config, message)
        if sender is not None:
            people.insert(0, (sender.address, sender.name, "requester" if created else "cc"))
        await store.add_participants(session, ticket.id, people, item.received_at)
    if verdict.kind is MessageKind.BOUNCE:
        await store.add_event(
            session,
            ticket.id,
            "bounce",
            {"from": sender.address if sender else None, "subject": message.subject},
            item.received_at,
        )

    row = MessageRow(
        ticket_id=ticket.id,
        inbox_id=item.inbox_id,
        direction=Direction.IN.value,
        kind=verdict.kind.value,
        from_addr=sender.address if sender else None,
        from_name=sender.name if sender else None,
        to_addrs=[a.address for a in message.to],
        cc_addrs=[a.address for a in message.cc],
        subject=message.subject or "",
        message_id=message.message_id,
        body_text=message.text,
        created_at=item.received_at,
        thread_method=match.method.value,
        rule_hits=list(verdict.rule_hits),
        defects=list(message.defects),
    )
    session.add(row)
    ticket.updated_at = item.received_at
    await session.flush()
    return Applied(ticket, row, created=created, linked_to=linked_to)


async def _create_ticket(
    session: AsyncSession,
    config: Config,
    calendar: BusinessCalendar,
    item: ApplyInput,
    sender: Address | None,
) -> TicketRow:
    requester = sender.address if sender else ""
    tier = config.tier_of(requester)
    first = first_response_due(
        calendar, config, received_at=item.received_at, priority=DEFAULT_PRIORITY, tier=tier
    )
    resolution = resolution_due(
        calendar, config, received_at=item.received_at, priority=DEFAULT_PRIORITY, tier=tier
    )
    ticket = TicketRow(
        status=Status.NEW.value,
        priority=DEFAULT_PRIORITY,
        subject=display_subject(item.message.subject, config.service.tag),
        requester=requester,
        requester_name=sender.name if sender else None,
        assignee=None,
        tier=tier,
        language=choose_language(config, requester, item.message),
        created_at=item.received_at,
        updated_at=item.received_at,
        first_response_due=first.at,
        resolution_due=resolution.at if resolution else None,
    )
    session.add(ticket)
    await session.flush()
    await store.add_event(
        session,
        ticket.id,
        "created",
        {"due_reason": first.reason, "inbox_id": item.inbox_id},
        item.received_at,
    )
    return ticket


def ticket_id_of(applied: Applied) -> TicketId | None:
    return TicketId(applied.ticket.id) if applied.ticket is not None else None
