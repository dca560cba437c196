"""Plan the mail engineers receive about a ticket. Pure: no I/O, no clock.

Input: a snapshot of the ticket (status, due times, people, links), the
engineers from the config, and what happened: a customer wrote, a delivery
failed, a colleague left a note, a reply's commands were refused, a mail
claimed an engineer's From without proof. Output: one `Draft` per engineer,
each with a Reply-To token minted for that engineer, so answering it is
answering the ticket. Every one is `Auto-Submitted: auto-generated`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from mailgate.mail.compose import Draft
from mailgate.mail.parse import Address
from mailgate.mail.subject import tagged_subject
from mailgate.mail.tokens import mint_token, reply_address
from mailgate.tickets.commands import USAGE, CommandError

TEXT_LIMIT_CHARS = 20_000
"""A notification quotes the customer's text up to this length; the rest stays on the ticket."""


@dataclass(frozen=True, slots=True)
class Person:
    address: str
    name: str | None
    role: str


@dataclass(frozen=True, slots=True)
class LinkedTicket:
    ref: str
    subject: str
    status: str
    reason: str


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """A ticket as engineers and customers are told about it."""

    id: int
    ref: str
    subject: str
    status: str
    priority: str
    language: str
    requester: str
    assignee: str | None
    first_response_due: datetime | None
    first_responded_at: datetime | None
    resolution_due: datetime | None
    participants: tuple[Person, ...] = ()
    linked: tuple[LinkedTicket, ...] = ()


@dataclass(frozen=True, slots=True)
class Staff:
    """The service and its engineers, as the config names them."""

    engineers: tuple[Address, ...]
    service_name: str
    service_address: str
    secret: str
    language: str


@dataclass(frozen=True, slots=True)
class Incoming:
    """The mail being told about: who sent it, its new text, and its ids to thread under."""

    sender: Address | None
    text: str
    subject: str
    message_id: str | None
    references: tuple[str, ...] = ()


def on_duty(ticket: TicketFacts, staff: Staff) -> tuple[Address, ...]:
    """The assignee, or every engineer while nobody (or nobody still configured) is assigned."""
    assigned = tuple(e for e in staff.engineers if e.address == ticket.assignee)
    return assigned or staff.engineers


def ticket_context(ticket: TicketFacts, staff: Staff) -> dict[str, object]:
    """The variables every engineer template shares: the ticket, its people and its links."""
    return {
        "service": {"name": staff.service_name, "address": staff.service_address},
        "ticket": {
            "ref": ticket.ref,
            "number": ticket.id,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "requester": ticket.requester,
            "assignee": ticket.assignee,
            "first_response_due": ticket.first_response_due,
            "first_responded_at": ticket.first_responded_at,
            "resolution_due": ticket.resolution_due,
        },
        "participants": [{"address": p.address, "name": p.name, "role": p.role} for p in ticket.participants],
        "linked": [
            {"ref": t.ref, "subject": t.subject, "status": t.status, "reason": t.reason}
            for t in ticket.linked
        ],
    }


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT_CHARS else text[:TEXT_LIMIT_CHARS] + "\n[…]"


def _drafts(
    template: str,
    recipients: tuple[Address, ...],
    ticket: TicketFacts,
    staff: Staff,
    extra: Mapping[str, object],
    *,
    incoming: Incoming | None,
    from_name: str | None = None,
    auto_submitted: str = "auto-generated",
) -> tuple[Draft, ...]:
    shared = {**ticket_context(ticket, staff), **extra}
    drafts = []
    for engineer in recipients:
        drafts.append(
            Draft(
                template=template,
                language=staff.language,
                to=(engineer,),
                subject=tagged_subject(ticket.subject, ticket.ref),
                context={**shared, "engineer": {"name": engineer.name, "address": engineer.address}},
                # Under the mail it reports, so the engineer's answer carries the
                # customer's Message-ID in References: a second way back to the ticket.
                in_reply_to=incoming.message_id if incoming else None,
                references=incoming.references if incoming else (),
                reply_to=reply_address(
                    staff.service_address, mint_token(staff.secret, ticket.id, engineer.address)
                ),
                from_name=from_name,
                auto_submitted=auto_submitted,
                ticket_ref=ticket.ref,
            )
        )
    return tuple(drafts)


def _sender_context(sender: Address | None) -> dict[str, object]:
    return {"name": sender.name if sender else None, "address": sender.address if sender else None}


def plan_notification(
    ticket: TicketFacts, staff: Staff, incoming: Incoming, *, created: bool
) -> tuple[Draft, ...]:
    """A new ticket or a customer's reply, for the assignee or every engineer."""
    sender = incoming.sender
    who = (sender.name or sender.address) if sender else staff.service_name
    return _drafts(
        "notification",
        on_duty(ticket, staff),
        ticket,
        staff,
        {"created": created, "sender": _sender_context(sender), "text": _clip(incoming.text)},
        incoming=incoming,
        from_name=f"{who} via {staff.service_name}",
    )


def plan_bounce_alert(ticket: TicketFacts, staff: Staff, incoming: Incoming) -> tuple[Draft, ...]:
    """A delivery failure on the ticket: someone must find another way to reach the customer."""
    return _drafts(
        "bounce_alert",
        on_duty(ticket, staff),
        ticket,
        staff,
        {
            "sender": _sender_context(incoming.sender),
            "report_subject": incoming.subject,
            "text": _clip(incoming.text),
        },
        incoming=incoming,
    )


def plan_note(ticket: TicketFacts, staff: Staff, author: str, text: str) -> tuple[Draft, ...]:
    """An internal note, for every engineer but its author."""
    others = tuple(e for e in staff.engineers if e.address != author)
    return _drafts(
        "note",
        others,
        ticket,
        staff,
        {"author": _author(staff, author), "text": _clip(text)},
        incoming=None,
        from_name=f"{_author_name(staff, author)} via {staff.service_name}",
    )


def plan_command_error(
    ticket: TicketFacts, staff: Staff, author: str, errors: tuple[CommandError, ...], text: str
) -> tuple[Draft, ...]:
    """Why a reply's commands were refused, for its author only; nothing else happened."""
    recipient = tuple(e for e in staff.engineers if e.address == author)
    return _drafts(
        "command_error",
        recipient,
        ticket,
        staff,
        {
            "errors": [{"line": e.line, "reason": e.reason} for e in errors],
            "usage": list(USAGE.values()),
            "text": _clip(text),
        },
        incoming=None,
        auto_submitted="auto-replied",
    )


def plan_unverified_alert(
    ticket: TicketFacts, staff: Staff, claimed: str, reason: str, incoming: Incoming
) -> tuple[Draft, ...]:
    """Mail in an engineer's name without proof: every engineer hears of it, no customer does."""
    return _drafts(
        "unverified_alert",
        staff.engineers,
        ticket,
        staff,
        {
            "claimed": _author(staff, claimed),
            "sender": _sender_context(incoming.sender),
            "reason": reason,
            "text": _clip(incoming.text),
        },
        incoming=None,
    )


def _author_name(staff: Staff, address: str) -> str:
    return next((e.name for e in staff.engineers if e.address == address and e.name), address)


def _author(staff: Staff, address: str) -> dict[str, object]:
    return {"name": _author_name(staff, address), "address": address}


__all__ = [
    "Incoming",
    "LinkedTicket",
    "Person",
    "Staff",
    "TicketFacts",
    "on_duty",
    "plan_bounce_alert",
    "plan_command_error",
    "plan_note",
    "plan_notification",
    "plan_unverified_alert",
    "ticket_context",
]
