"""Apply: put one message on its ticket. Writes inside the processor's transaction.

Creates the ticket (with its first-response and resolution due times in
business time) or appends to it, adds participants, reopens a ticket the
customer answers, and attaches bounces to the ticket of the mail that bounced.
A closed ticket is not reopened: the customer's mail starts a follow-up
ticket linked to it, so closed work stays closed and the new request is timed.

An engineer's reply runs its commands (all of them or, when one is wrong,
none), and is stored as the engineer's answer, or as an internal note when it
says `/note`, carries only commands, has a bad command, or is unverified.
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
from mailgate.tickets.commands import STATUS_COMMANDS, Command, CommandError, CommandName
from mailgate.tickets.domain import (
    Direction,
    MessageKind,
    Status,
    TicketId,
    TicketMatch,
    Verdict,
)
from mailgate.tickets.trust import Trust

DEFAULT_PRIORITY = "normal"
SUPPORTED_LANGUAGES = ("en", "ja")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff66-\uff9f]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True, slots=True)
class EngineerReply:
    """An engineer's mail as read before it touches the ticket."""

    trust: Trust
    claimed: str
    """The engineer address in From (verified or not)."""
    visible: str
    """The reply without quotes and signature, commands included."""
    commands: tuple[Command, ...]
    errors: tuple[CommandError, ...]
    text: str
    """The visible text under the commands: what the customer would read."""


@dataclass(frozen=True, slots=True)
class EngineerOutcome:
    """What an engineer's reply did: whether its text goes to customers, and what engineers must hear."""

    author: str
    verified: bool
    reason: str
    """How the author was verified (`token`, `authentication-results`) or why not."""
    relay: bool
    note: bool
    text: str
    errors: tuple[CommandError, ...] = ()
    done: tuple[str, ...] = ()
    """The commands carried out, as written (`/assign bob@example.com`)."""
    merged_from: int | None = None


@dataclass(frozen=True, slots=True)
class ApplyInput:
    inbox_id: int
    message: ParsedMessage
    verdict: Verdict
    match: TicketMatch
    received_at: datetime
    envelope_from: str | None
    engineer: EngineerReply | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    """The ticket the message landed on (None: an unmatched bounce) and what changed."""

    ticket: TicketRow | None
    message: MessageRow | None
    created: bool
    linked_to: int | None = None
    engineer: EngineerOutcome | None = None


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
    ticket = await _follow_merges(session, ticket)
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

    kind, body, rule_hits = verdict.kind, message.text, list(verdict.rule_hits)
    outcome: EngineerOutcome | None = None
    if verdict.kind is MessageKind.ENGINEER and item.engineer is not None:
        outcome = await _apply_engineer(session, config, calendar, ticket, item.engineer, item.received_at)
        if outcome.merged_from is not None:
            merged = await store.get_ticket(session, ticket.id)
            target = await _follow_merges(session, merged)
            ticket = target if target is not None else ticket
        # A refused or unverified reply is kept whole, commands included, so
        # engineers can see what was attempted; an accepted one as its answer.
        accepted = outcome.verified and not outcome.errors
        body = outcome.text if accepted and (outcome.text or not outcome.note) else item.engineer.visible
        if outcome.note:
            kind = MessageKind.NOTE
        if not outcome.verified:
            rule_hits.append("unverified-engineer")
        elif outcome.errors:
            rule_hits.append("command-error")

    row = MessageRow(
        ticket_id=ticket.id,
        inbox_id=item.inbox_id,
        direction=Direction.IN.value,
        kind=kind.value,
        from_addr=sender.address if sender else None,
        from_name=sender.name if sender else None,
        to_addrs=[a.address for a in message.to],
        cc_addrs=[a.address for a in message.cc],
        subject=message.subject or "",
        message_id=message.message_id,
        body_text=body,
        created_at=item.received_at,
        thread_method=match.method.value,
        rule_hits=rule_hits,
        defects=list(message.defects),
    )
    session.add(row)
    ticket.updated_at = item.received_at
    await session.flush()
    return Applied(ticket, row, created=created, linked_to=linked_to, engineer=outcome)


async def _follow_merges(session: AsyncSession, ticket: TicketRow | None) -> TicketRow | None:
    """The ticket a merged ticket lives on now: mail to the old one belongs to the merged whole."""
    seen: set[int] = set()
    while ticket is not None and ticket.status == Status.CLOSED and ticket.id not in seen:
        seen.add(ticket.id)
        target = await store.merged_into(session, ticket.id)
        if target is None:
            break
        ticket = await store.get_ticket(session, target) or ticket
    return ticket


async def _apply_engineer(
    session: AsyncSession,
    config: Config,
    calendar: BusinessCalendar,
    ticket: TicketRow,
    reply: EngineerReply,
    at: datetime,
) -> EngineerOutcome:
    """Run the reply's commands and decide whether its text goes to customers."""
    if not reply.trust.verified:
        await store.add_event(
            session,
            ticket.id,
            "unverified-engineer-mail",
            {"from": reply.claimed, "reason": reply.trust.method},
            at,
        )
        return EngineerOutcome(
            reply.claimed, verified=False, reason=reply.trust.method, relay=False, note=True, text=reply.text
        )
    author = reply.claimed
    errors = [*reply.errors, *await _refusals(session, config, ticket, reply.commands, author)]
    if errors:
        await store.add_event(
            session,
            ticket.id,
            "commands-refused",
            {"by": author, "errors": [f"{e.line}: {e.reason}" for e in errors]},
            at,
        )
        return EngineerOutcome(
            author, True, reply.trust.method, relay=False, note=True, text=reply.text, errors=tuple(errors)
        )
    note = any(c.name is CommandName.NOTE for c in reply.commands) or not reply.text.strip()
    relay = not note
    merged_from: int | None = None
    done: list[str] = []
    for command in reply.commands:
        await _run(session, config, calendar, ticket, command, author, at)
        done.append(f"/{command.name.value} {command.argument}" if command.argument else f"/{command.name}")
    merge = next((c for c in reply.commands if c.name is CommandName.MERGE), None)
    if merge is not None:
        # The answer under a `/merge` is an answer on the merged whole.
        merged_from = ticket.id
        ticket = await store.get_ticket(session, merge.ticket) or ticket
    if relay:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = at
        if ticket.status == Status.NEW and not any(c.name in STATUS_COMMANDS for c in reply.commands):
            await _set_status(session, ticket, Status.OPEN, author, at)
    return EngineerOutcome(
        author,
        True,
        reply.trust.method,
        relay=relay,
        note=note,
        text=reply.text,
        done=tuple(done),
        merged_from=merged_from,
    )


async def _refusals(
    session: AsyncSession, config: Config, ticket: TicketRow, commands: tuple[Command, ...], author: str
) -> list[CommandError]:
    """Commands that read well but cannot be carried out on this ticket; checked before any runs."""
    refused: list[CommandError] = []
    for command in commands:
        line = f"/{command.name.value} {command.argument or ''}".strip()
        if command.name is CommandName.ASSIGN and config.engineer(command.argument or "") is None:
            refused.append(CommandError(line, f"{command.argument} is not one of the configured engineers"))
        elif command.name is CommandName.CC_ADD and (
            is_own_address(command.argument or "", config.service.own_addresses)
            or config.engineer(command.argument or "") is not None
        ):
            refused.append(CommandError(line, "only customers can be added; engineers use /note"))
        elif command.name is CommandName.CC_REMOVE:
            if (command.argument or "") == ticket.requester:
                refused.append(CommandError(line, "the requester cannot be removed from the ticket"))
            elif not await store.is_participant(session, ticket.id, command.argument or ""):
                refused.append(CommandError(line, f"{command.argument} is not on this ticket"))
        elif command.name in (CommandName.LINK, CommandName.MERGE):
            other = await store.get_ticket(session, command.ticket)
            if other is None:
                refused.append(CommandError(line, f"there is no ticket {command.ticket}"))
            elif other.id == ticket.id:
                refused.append(CommandError(line, "a ticket cannot name itself"))
            elif command.name is CommandName.MERGE and other.status == Status.CLOSED:
                refused.append(CommandError(line, f"ticket {other.id} is closed; reopen it first"))
    if sum(c.name is CommandName.MERGE for c in commands) > 1:
        refused.append(CommandError("/merge", "a ticket can be merged into one other ticket only"))
    return refused


async def _run(
    session: AsyncSession,
    config: Config,
    calendar: BusinessCalendar,
    ticket: TicketRow,
    command: Command,
    author: str,
    at: datetime,
) -> None:
    name, argument = command.name, command.argument or ""
    if name in STATUS_COMMANDS:
        await _set_status(session, ticket, _STATUS_OF[name], author, at)
    elif name in (CommandName.ASSIGN, CommandName.TAKE):
        assignee = author if name is CommandName.TAKE else argument
        await store.add_event(
            session, ticket.id, "assigned", {"from": ticket.assignee, "to": assignee, "by": author}, at
        )
        ticket.assignee = assignee
    elif name is CommandName.PRIORITY:
        await store.add_event(
            session,
            ticket.id,
            "priority-changed",
            {"from": ticket.priority, "to": argument, "by": author},
            at,
        )
        ticket.priority = argument
        # The windows of the new priority, counted from when the ticket came in:
        # `/priority urgent` on Monday's ticket makes it due Monday, not later.
        first = first_response_due(
            calendar, config, received_at=ticket.created_at, priority=argument, tier=ticket.tier
        )
        resolution = resolution_due(
            calendar, config, received_at=ticket.created_at, priority=argument, tier=ticket.tier
        )
        ticket.first_response_due = first.at
        ticket.resolution_due = resolution.at if resolution else None
    elif name is CommandName.CC_ADD:
        await store.add_participants(session, ticket.id, [(argument, None, "cc")], at)
        await store.add_event(
            session, ticket.id, "participant-added", {"address": argument, "by": author}, at
        )
    elif name is CommandName.CC_REMOVE:
        await store.remove_participant(session, ticket.id, argument)
        await store.add_event(
            session, ticket.id, "participant-removed", {"address": argument, "by": author}, at
        )
    elif name is CommandName.LINK:
        if not await store.are_linked(session, ticket.id, command.ticket):
            await store.add_link(session, ticket.id, command.ticket, "related", at)
        await store.add_event(session, ticket.id, "linked", {"to": command.ticket, "by": author}, at)
    elif name is CommandName.MERGE:
        await _merge(session, ticket, command.ticket, author, at)


async def _merge(session: AsyncSession, ticket: TicketRow, target_id: int, author: str, at: datetime) -> None:
    """Move the ticket's messages and people onto `target_id`, then close it as merged.

    The requester of the merged ticket joins the target as a participant, so
    both customers read every later answer; the closed ticket keeps its
    events and a `merged` link, and mail to it follows the link.
    """
    people = [(p.address, p.name, "cc") for p in await store.participants_of(session, ticket.id)]
    await store.add_participants(session, target_id, people, at)
    await session.flush()
    moved = await store.move_messages(session, ticket.id, target_id)
    await store.add_link(session, ticket.id, target_id, store.MERGED, at)
    await store.add_event(session, ticket.id, "merged-into", {"ticket": target_id, "by": author}, at)
    await store.add_event(
        session, target_id, "merged-from", {"ticket": ticket.id, "messages": moved, "by": author}, at
    )
    await _set_status(session, ticket, Status.CLOSED, author, at)


_STATUS_OF = {
    CommandName.CLOSE: Status.CLOSED,
    CommandName.RESOLVE: Status.RESOLVED,
    CommandName.PENDING: Status.PENDING,
    CommandName.OPEN: Status.OPEN,
}


async def _set_status(
    session: AsyncSession, ticket: TicketRow, status: Status, by: str, at: datetime
) -> None:
    if ticket.status == status:
        return
    await store.add_event(
        session, ticket.id, "status-changed", {"from": ticket.status, "to": status.value, "by": by}, at
    )
    ticket.status = status.value
    if status is Status.RESOLVED:
        ticket.resolved_at = at
    elif status is Status.CLOSED:
        ticket.closed_at = at
    else:
        ticket.resolved_at = None
        ticket.closed_at = None


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
