"""Thread: decide which ticket a message belongs to. Reads the store, writes nothing.

In this order (DESIGN.md): a valid reply token in a recipient; In-Reply-To /
References against every Message-ID mailgate stored or sent; the subject tag,
only when the sender is already a participant or an engineer; otherwise a
new ticket. A stranger quoting a tag gets a new ticket linked to the one they
quoted.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from mailgate.config import Config
from mailgate.mail.addresses import normalize_address
from mailgate.mail.parse import ParsedMessage
from mailgate.mail.subject import find_tags
from mailgate.mail.tokens import read_token
from mailgate.store import tickets as store
from mailgate.tickets.domain import MessageKind, ThreadMethod, TicketId, TicketMatch, Verdict

# Headers where a relaying MTA or IMAP copy keeps the address the mail was sent to.
RECIPIENT_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "to", "cc")


@dataclass(frozen=True, slots=True)
class ThreadInput:
    message: ParsedMessage
    verdict: Verdict
    rcpt_to: tuple[str, ...]
    sender: str | None


def recipients_of(message: ParsedMessage, rcpt_to: tuple[str, ...]) -> list[str]:
    """Where the message was addressed: the SMTP envelope first, then the headers."""
    found = [normalize_address(r) for r in rcpt_to]
    for name in RECIPIENT_HEADERS[:3]:
        found.extend(normalize_address(v) for v in message.header_values(name))
    found.extend(a.address for a in (*message.to, *message.cc))
    return found


async def match_ticket(session: AsyncSession, config: Config, item: ThreadInput) -> TicketMatch:
    message = item.message
    # Token before References: a forwarded thread carries someone else's References.
    claim = read_token(
        config.service.secret,
        recipients_of(message, item.rcpt_to),
        config.service.address,
        [e.address for e in config.engineers],
    )
    if claim is not None and await store.get_ticket(session, claim.ticket) is not None:
        return TicketMatch(TicketId(claim.ticket), ThreadMethod.TOKEN, engineer=claim.engineer)

    references = _references_newest_first(message, item.verdict)
    if references:
        known = await store.tickets_by_message_ids(session, references)
        for reference in references:
            if reference in known:
                return TicketMatch(TicketId(known[reference]), ThreadMethod.REFERENCES)

    if item.verdict.kind is MessageKind.BOUNCE:
        # A bounce never starts a ticket, and a tag in a bounce proves nothing about its sender.
        return TicketMatch(None, ThreadMethod.NEW)

    linked_to: TicketId | None = None
    for number in find_tags(message.subject or "", config.service.tag):
        ticket = await store.get_ticket(session, number)
        if ticket is None:
            continue
        if item.verdict.kind is MessageKind.ENGINEER or (
            item.sender is not None and await store.is_participant(session, number, item.sender)
        ):
            # Engineers work every ticket. Whether this one really is an
            # engineer is decided after threading; a forgery becomes an
            # unverified note on the ticket it named, where engineers see it.
            return TicketMatch(TicketId(number), ThreadMethod.SUBJECT_TAG)
        linked_to = linked_to or TicketId(number)
    return TicketMatch(None, ThreadMethod.NEW, linked_to=linked_to)


def _references_newest_first(message: ParsedMessage, verdict: Verdict) -> list[str]:
    ordered: list[str] = [*message.in_reply_to, *reversed(message.references)]
    if verdict.kind is MessageKind.BOUNCE:
        # A DSN's own In-Reply-To is rare; what it reports on is the message it carries.
        ordered = [*message.embedded_message_ids, *ordered]
    seen: set[str] = set()
    unique = []
    for reference in ordered:
        if reference not in seen:
            seen.add(reference)
            unique.append(reference)
    return unique[:100]
