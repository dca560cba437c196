"""Plan: decide what mailgate sends because of one message. Pure: no I/O, no clock.

Input: the applied change (ticket snapshot, verdict, reply target, how many
automatic mails that address got in the last 24 hours, the due time). Output:
`Draft`s for the outbox, or the stable name of the rule that suppressed the
acknowledgement, so "why did this customer get no reply?" has an answer.
An engineer's accepted answer is planned here too (`plan_relay`): it goes to
the customer and every participant from the support address. What engineers
themselves receive is planned in `notify`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailgate.hours.sla import Due
from mailgate.mail.addresses import is_own_address, is_role_address
from mailgate.mail.compose import Draft
from mailgate.mail.parse import Address, ParsedMessage
from mailgate.mail.subject import tagged_subject
from mailgate.mail.tokens import mint_token, reply_address
from mailgate.tickets.domain import Verdict
from mailgate.tickets.notify import TicketFacts

AUTO_REPLY_WINDOW = timedelta(hours=24)


def customer_ticket_context(ticket: TicketFacts) -> dict[str, object]:
    """What customer-facing templates may say about a ticket: nothing about staff."""
    return {
        "ref": ticket.ref,
        "number": ticket.id,
        "subject": ticket.subject,
        "priority": ticket.priority,
        "status": ticket.status,
    }


@dataclass(frozen=True, slots=True)
class AckInput:
    ticket: TicketFacts
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
        "ticket": customer_ticket_context(ticket),
        "customer": {"name": target.name, "address": target.address},
        "received_at": item.received_at,
        "due_at": item.due.at,
        "due_reason": item.due.reason,
        "deferred": item.due.deferred,
        "next_opening": item.next_opening,
        "hours": item.hours,
        "after_hours_cover": item.after_hours_cover,
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


@dataclass(frozen=True, slots=True)
class RelayInput:
    """An engineer's accepted answer and the ticket it goes out on."""

    ticket: TicketFacts
    author: Address
    text: str
    service_name: str
    service_address: str
    secret: str
    own_addresses: frozenset[str]
    engineer_addresses: frozenset[str]
    in_reply_to: str | None
    references: tuple[str, ...]


def relay_recipients(item: RelayInput) -> tuple[tuple[Address, ...], tuple[Address, ...]]:
    """(To, Cc): the requester, then every other participant; never mailgate or an engineer."""
    people = [
        Address(p.address, p.name)
        for p in item.ticket.participants
        if not is_own_address(p.address, item.own_addresses)
        and not is_own_address(p.address, item.engineer_addresses)
    ]
    requester = [a for a in people if a.address == item.ticket.requester]
    to = requester[:1] or people[:1]
    return tuple(to), tuple(a for a in people if a not in to)


# A contact line as signatures write one: "Alice | Example Corp | +81 3-1234-5678", "Tel: 03-…".
_CONTACT_LABEL = re.compile(
    r"^\s*(tel|phone|mobile|mob|cell|fax|t|m|e|p|電話|携帯|内線|TEL|FAX)\s*[.:：]", re.IGNORECASE
)
_PHONE = re.compile(r"\+?\(?\d[\d\s().\-]{7,}\d")
FOOTER_MAX_LINES = 4


def _is_contact_line(line: str) -> bool:
    if _CONTACT_LABEL.match(line):
        return True
    return "|" in line and bool(_PHONE.search(line) or "@" in line or "://" in line)


def without_contact_footer(text: str) -> str:
    """`text` without a trailing contact block the signature stripper could not recognise.

    A one-line signature ("Alice | +81 3-1234-5678 | alice@example.com") has no `-- `
    delimiter; an engineer must never hand a customer their phone number by accident.
    Only the last paragraph is looked at, and only lines shaped like contact details
    (a label such as "Tel:", or `|`-separated details) and what follows them are
    removed: "call us at +81 …" in a sentence stays. Addresses are handled apart,
    by `without_engineer_addresses`.
    """
    lines = text.rstrip().split("\n")
    start = len(lines)
    while start > 0 and lines[start - 1].strip():
        start -= 1
    paragraph = lines[start:]
    if not paragraph or len(paragraph) > FOOTER_MAX_LINES:
        return text
    first = next((i for i, line in enumerate(paragraph) if _is_contact_line(line)), None)
    if first is None:
        return text
    kept = lines[: start + first]
    return "\n".join(kept).rstrip() + ("\n" if kept else "")


def without_engineer_addresses(text: str, engineer_addresses: frozenset[str], service_address: str) -> str:
    """`text` with every engineer's own address replaced by the support address.

    Signatures are stripped before this, but an address typed into the answer
    or left in a signature the stripper could not see must not reach the
    customer either: replies are meant to come back through support.
    """
    for address in sorted(engineer_addresses, key=len, reverse=True):
        text = re.sub(re.escape(address), service_address, text, flags=re.IGNORECASE)
    return text


def plan_relay(item: RelayInput) -> Plan:
    """The engineer's answer as the customer and every participant receive it: from support, in their thread."""
    to, cc = relay_recipients(item)
    if not to:
        return Plan(suppressed_by="no-customer")
    ticket = item.ticket
    requester = to[0]
    text = without_contact_footer(item.text)
    text = without_engineer_addresses(text, item.engineer_addresses, item.service_address)
    name = item.author.name or item.service_name
    draft = Draft(
        template="engineer_reply",
        language=ticket.language,
        to=to,
        cc=cc,
        subject=f"Re: {tagged_subject(ticket.subject, ticket.ref)}",
        context={
            "service": {"name": item.service_name, "address": item.service_address},
            "ticket": customer_ticket_context(ticket),
            "customer": {"name": requester.name, "address": requester.address},
            "engineer": {"name": name},
            "text": text,
        },
        in_reply_to=item.in_reply_to,
        references=item.references,
        reply_to=reply_address(item.service_address, mint_token(item.secret, ticket.id)),
        # "Alice (Example Support)": the customer sees who answers, and the
        # only address they see is the service's.
        from_name=f"{name} ({item.service_name})",
        # A person's answer, not an automatic one (RFC 3834): no
        # Auto-Submitted, so the customer's own auto-replies are not silenced
        # and their mail client shows it like any answer.
        auto_submitted=None,
        ticket_ref=ticket.ref,
    )
    return Plan(drafts=(draft,))
