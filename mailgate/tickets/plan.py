"""Plan: decide what mailgate sends because of one message. Pure: no I/O, no clock.

Input: the applied change (ticket snapshot, verdict, reply target, how many
automatic mails that address got in the last 24 hours, the due time). Output:
`Draft`s for the outbox, or the stable name of the rule that suppressed the
acknowledgement, so "why did this customer get no reply?" has an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mailgate.hours.sla import Due
from mailgate.mail.addresses import is_own_address, is_role_address
from mailgate.mail.compose import Draft
from mailgate.mail.parse import Address, ParsedMessage
from mailgate.mail.subject import tagged_subject
from mailgate.mail.tokens import mint_token, reply_address
from mailgate.tickets.domain import Verdict

AUTO_REPLY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class TicketSnapshot:
    id: int
    ref: str
    subject: str
    priority: str
    status: str
    language: str
    tier: str


@dataclass(frozen=True, slots=True)
class AckInput:
    ticket: TicketSnapshot
    created: bool
    verdict: Verdict
    message: ParsedMessage
    reply_to: Address | None
    cc: tuple[Address, ...]
    recent_auto_replies: int
    auto_reply_limit: int
    own_addresses: frozenset[str]
    service_name: str
    service_address: str
    secret: str
    received_at: datetime
    due: Due
    next_opening: datetime | None
    hours: str
    after_hours_cover: bool


@dataclass(frozen=True, slots=True)
class Plan:
    drafts: tuple[Draft, ...] = ()
    suppressed_by: str | None = None


def reply_target(message: ParsedMessage) -> Address | None:
    """Who an answer goes to: Reply-To when the sender set one, else From."""
    if message.reply_to:
        return message.reply_to[0]
    return message.from_


def plan_acknowledgement(item: AckInput) -> Plan:
    """The acknowledgement of a new ticket, once, unless a rule forbids it."""
    if not item.created:
        return Plan(suppressed_by="existing-ticket")
    if not item.verdict.auto_reply_allowed:
        return Plan(suppressed_by=item.verdict.rule_hits[0] if item.verdict.rule_hits else "not-customer")
    target = item.reply_to
    if target is None:
        return Plan(suppressed_by="no-sender")
    if is_own_address(target.address, item.own_addresses):
        return Plan(suppressed_by="own-address")
    if is_role_address(target.address):
        return Plan(suppressed_by="role-address")
    if item.recent_auto_replies >= item.auto_reply_limit:
        return Plan(suppressed_by="rate-limit")
    cc = tuple(
        a
        for a in item.cc
        if a.address != target.address
        and not is_own_address(a.address, item.own_addresses)
        and not is_role_address(a.address)
    )
    ticket = item.ticket
    context: dict[str, object] = {
        "service": {"name": item.service_name, "address": item.service_address},
        "ticket": {
            "ref": ticket.ref,
            "number": ticket.id,
            "subject": ticket.subject,
            "priority": ticket.priority,
            "status": ticket.status,
        },
        "customer": {"name": target.name, "address": target.address},
        "received_at": item.received_at,
        "due_at": item.due.at,
        "due_reason": item.due.reason,
        "deferred": item.due.deferred and not item.after_hours_cover,
        "next_opening": item.next_opening,
        "hours": item.hours,
        "after_hours_cover": item.after_hours_cover and item.due.deferred,
    }
    draft = Draft(
        template="acknowledgement",
        language=ticket.language,
        to=(target,),
        cc=cc,
        subject=tagged_subject(ticket.subject, ticket.ref),
        context=context,
        in_reply_to=item.message.message_id,
        references=item.message.references,
        reply_to=reply_address(item.service_address, mint_token(item.secret, ticket.id)),
        auto_submitted="auto-replied",
        ticket_ref=ticket.ref,
    )
    return Plan(drafts=(draft,))
