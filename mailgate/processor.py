"""The processor: drains the inbox through parse → classify → thread → apply → plan.

Claims a batch of pending rows (committed first, so a crash still counts an
attempt), then works the batch in one transaction with a SAVEPOINT per
message: a message that raises rolls back alone and is marked `failed` with
its error, the rest commit together. Never stops on a bad message; a lost
database puts the batch back untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import time as perf
from dataclasses import dataclass, replace
from datetime import datetime

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from mailgate.clock import Clock
from mailgate.config import Config
from mailgate.errors import StoreUnavailable
from mailgate.hours.business import BusinessCalendar
from mailgate.hours.sla import Due
from mailgate.logs import get_logger
from mailgate.mail.compose import Composer, Draft, make_message_id
from mailgate.mail.parse import Address, ParsedMessage, parse_message
from mailgate.mail.reply import visible_text
from mailgate.store import inbox, outbox
from mailgate.store import tickets as store
from mailgate.store.engine import store_errors
from mailgate.store.inbox import InboxState
from mailgate.store.tables import InboxRow, MessageRow, TicketRow
from mailgate.tickets.apply import (
    Applied,
    ApplyInput,
    EngineerOutcome,
    EngineerReply,
    apply_message,
    sender_of,
)
from mailgate.tickets.classify import classify_message
from mailgate.tickets.commands import parse_commands
from mailgate.tickets.domain import Direction, MessageKind, TicketMatch, TicketRef, Verdict
from mailgate.tickets.notify import (
    Incoming,
    LinkedTicket,
    Person,
    Staff,
    TicketFacts,
    plan_bounce_alert,
    plan_command_error,
    plan_note,
    plan_notification,
    plan_unverified_alert,
)
from mailgate.tickets.plan import (
    AUTO_REPLY_WINDOW,
    AckInput,
    Plan,
    RelayInput,
    plan_acknowledgement,
    plan_relay,
    reply_target,
)
from mailgate.tickets.thread import ThreadInput, match_ticket
from mailgate.tickets.trust import claimed_engineer, verify_engineer

log = get_logger(__name__)

IDLE_POLL_SECONDS = 1.0
STORE_BACKOFF_SECONDS = 2.0
COMMIT_BUDGET_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class Runtime:
    """What a reload swaps at once: the config and everything built from it."""

    config: Config
    calendar: BusinessCalendar
    composer: Composer

    @classmethod
    def build(cls, config: Config) -> Runtime:
        calendar = BusinessCalendar.from_config(config.hours)
        return cls(config, calendar, Composer(config.templates_dir, config.service, calendar.zone))


@dataclass(frozen=True, slots=True)
class Claimed:
    inbox_id: int
    raw: bytes
    mail_from: str | None
    rcpt_to: tuple[str, ...]


class Processor:
    def __init__(self, engine: AsyncEngine, clock: Clock, runtime: Runtime) -> None:
        self._engine = engine
        self._clock = clock
        self.runtime = runtime
        self.wake = asyncio.Event()
        self.outbox_written = asyncio.Event()

    async def run(self) -> None:
        """Drain the inbox until cancelled; sleep until woken when it is empty."""
        while True:
            try:
                await inbox.recover_interrupted(self._engine, self.runtime.config.processing.max_attempts)
                break
            except StoreUnavailable as exc:
                log.warning("processor.store_unavailable", reason=str(exc))
                await self._clock.sleep(STORE_BACKOFF_SECONDS)
        while True:
            try:
                worked = await self.drain_once()
            except StoreUnavailable as exc:
                log.warning("processor.store_unavailable", reason=str(exc))
                await self._clock.sleep(STORE_BACKOFF_SECONDS)
                continue
            if not worked:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_POLL_SECONDS):
                        await self.wake.wait()

    async def drain_once(self) -> int:
        """Claim and process one batch; return how many messages it held."""
        config = self.runtime.config
        rows = await inbox.claim_pending(self._engine, config.processing.batch_size)
        if not rows:
            return 0
        batch = [Claimed(*row) for row in rows]
        try:
            failures = await self._process_batch(batch)
        except StoreUnavailable:
            with contextlib.suppress(StoreUnavailable):
                await inbox.release(self._engine, [c.inbox_id for c in batch])
            raise
        for inbox_id, error in failures:
            await inbox.mark_failed(self._engine, inbox_id, error, self._clock.now())
        self.outbox_written.set()
        return len(batch)

    async def _process_batch(self, batch: list[Claimed]) -> list[tuple[int, str]]:
        """Work the batch in transactions of at most COMMIT_BUDGET_SECONDS each.

        Committing every few dozen milliseconds keeps the batch's savings while letting
        intake commit in between: on SQLite both share one writer.
        """
        failures: list[tuple[int, str]] = []
        waiting = list(reversed(batch))
        while waiting:
            async with (
                store_errors(),
                AsyncSession(self._engine, expire_on_commit=False) as session,
                session.begin(),
            ):
                chunk_started = perf.perf_counter()
                while waiting and perf.perf_counter() - chunk_started < COMMIT_BUDGET_SECONDS:
                    claimed = waiting.pop()
                    error = await self._process_in_savepoint(session, claimed)
                    if error is not None:
                        failures.append((claimed.inbox_id, error))
        return failures

    async def _process_in_savepoint(self, session: AsyncSession, claimed: Claimed) -> str | None:
        """Process one message; on a bug roll back only its savepoint and return the error."""
        with structlog.contextvars.bound_contextvars(inbox_id=claimed.inbox_id, message_id=None, ticket=None):
            started = perf.perf_counter()
            try:
                async with session.begin_nested():
                    outcome = await self._process_one(session, claimed)
            except StoreUnavailable:
                raise
            # Boundary: the processor turns any bug on one message into a `failed` row, never a stop.
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.exception("message.failed", error=error)
                return error
            log.info(
                "message.processed", outcome=outcome, ms=round((perf.perf_counter() - started) * 1000, 2)
            )
            return None

    async def _process_one(self, session: AsyncSession, claimed: Claimed) -> str:
        runtime = self.runtime
        config = runtime.config
        now = self._clock.now()
        received_at = await session.scalar(
            update(InboxRow)
            .where(InboxRow.id == claimed.inbox_id)
            .values(state=InboxState.DONE.value, processed_at=now, error=None)
            .returning(InboxRow.received_at)
        )
        received_at = received_at or now

        message = parse_message(claimed.raw)
        structlog.contextvars.bind_contextvars(message_id=message.message_id)
        verdict = classify_message(
            message,
            envelope_from=claimed.mail_from,
            own_addresses=config.service.own_addresses,
            engineer_addresses=frozenset(e.address for e in config.engineers),
        )
        log.info("message.classified", kind=verdict.kind.value, rules=list(verdict.rule_hits))
        sender = sender_of(message, claimed.mail_from)
        match = await match_ticket(
            session,
            config,
            ThreadInput(message, verdict, claimed.rcpt_to, sender.address if sender else None),
        )
        engineer = (
            read_engineer_reply(config, message, match) if verdict.kind is MessageKind.ENGINEER else None
        )
        applied = await apply_message(
            session,
            config,
            runtime.calendar,
            ApplyInput(claimed.inbox_id, message, verdict, match, received_at, claimed.mail_from, engineer),
        )
        if applied.ticket is None:
            log.info("message.threaded", method=match.method.value, ticket=None)
            return "bounce-unmatched" if verdict.kind is MessageKind.BOUNCE else "no-ticket"
        ticket = applied.ticket
        structlog.contextvars.bind_contextvars(ticket=ticket.id)
        log.info("message.threaded", method=match.method.value, linked_to=applied.linked_to)
        log.info("ticket.created" if applied.created else "ticket.updated", status=ticket.status)
        await session.execute(
            update(InboxRow).where(InboxRow.id == claimed.inbox_id).values(ticket_id=ticket.id)
        )

        if verdict.kind is MessageKind.ENGINEER and applied.engineer is not None:
            return await self._answer_engineer(session, ticket, applied.engineer, message, now)

        plan = await self._plan_acknowledgement(session, applied, message, verdict, received_at)
        if plan.suppressed_by is not None and plan.suppressed_by != "existing-ticket":
            log.info("autoreply.suppressed", rule=plan.suppressed_by)
            await store.add_event(
                session, ticket.id, "autoreply-suppressed", {"rule": plan.suppressed_by}, now
            )
        for draft in plan.drafts:
            await self._enqueue(session, ticket, draft, now, record=MessageKind.AUTO, rate_limited=True)
            ticket.acknowledged_at = now
            log.info("autoreply.planned", template=draft.template, language=draft.language)

        if verdict.kind in (MessageKind.CUSTOMER, MessageKind.BOUNCE):
            facts = await self._ticket_facts(session, ticket)
            incoming = Incoming(
                sender=sender,
                text=_new_text(message),
                subject=message.subject or "",
                message_id=message.message_id,
                references=message.references,
            )
            if verdict.kind is MessageKind.CUSTOMER:
                drafts = plan_notification(facts, self._staff(), incoming, created=applied.created)
                oncall = self._oncall_for(ticket, received_at) if applied.created else None
                if oncall is not None:
                    log.info("oncall.paged", tier=ticket.tier)
                    paging = replace(self._staff(), engineers=(oncall,))
                    drafts = (*drafts, *plan_notification(facts, paging, incoming, created=True))
            else:
                drafts = plan_bounce_alert(facts, self._staff(), incoming)
            await self._enqueue_for_engineers(session, ticket, drafts, now)
        return "created" if applied.created else "updated"

    async def _answer_engineer(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        outcome: EngineerOutcome,
        message: ParsedMessage,
        now: datetime,
    ) -> str:
        """Relay an engineer's answer to the customers, or tell engineers what happened instead."""
        config = self.runtime.config
        facts = await self._ticket_facts(session, ticket)
        staff = self._staff()
        if not outcome.verified:
            log.warning("engineer.unverified", reason=outcome.reason)
            incoming = Incoming(
                message.from_, outcome.text or _new_text(message), message.subject or "", message.message_id
            )
            drafts = plan_unverified_alert(facts, staff, outcome.author, outcome.reason, incoming)
            await self._enqueue_for_engineers(session, ticket, drafts, now)
            return "unverified-engineer"
        log.info("engineer.replied", via=outcome.reason, commands=list(outcome.done), relay=outcome.relay)
        if outcome.errors:
            drafts = plan_command_error(facts, staff, outcome.author, outcome.errors, outcome.text)
            await self._enqueue_for_engineers(session, ticket, drafts, now)
            return "commands-refused"
        if outcome.note:
            if outcome.text.strip():
                await self._enqueue_for_engineers(
                    session, ticket, plan_note(facts, staff, outcome.author, outcome.text), now
                )
            return "note"
        last = await store.last_customer_message(session, ticket.id)
        engineer = config.engineer(outcome.author)
        plan = plan_relay(
            RelayInput(
                ticket=facts,
                author=Address(outcome.author, engineer.name if engineer else None),
                text=outcome.text,
                service_name=config.service.name,
                service_address=config.service.address,
                secret=config.service.secret,
                own_addresses=config.service.own_addresses,
                engineer_addresses=frozenset(e.address for e in config.engineers),
                in_reply_to=last.message_id if last is not None else None,
                references=tuple(await store.conversation_ids(session, ticket.id)),
            )
        )
        if plan.suppressed_by is not None:
            log.info("engineer.not_relayed", rule=plan.suppressed_by)
            await store.add_event(session, ticket.id, "reply-not-relayed", {"rule": plan.suppressed_by}, now)
        for draft in plan.drafts:
            await self._enqueue(session, ticket, draft, now, record=MessageKind.ENGINEER, rate_limited=False)
        return "relayed"

    def _oncall_for(self, ticket: TicketRow, received_at: datetime) -> Address | None:
        """Who to page: the tier's on-call address, for its mail arriving while the team is closed."""
        tier = self.runtime.config.tier_config(ticket.tier)
        if not tier.after_hours or tier.oncall is None or self.runtime.calendar.is_open(received_at):
            return None
        return Address(tier.oncall.lower(), "On call")

    def _staff(self) -> Staff:
        config = self.runtime.config
        return Staff(
            engineers=tuple(Address(e.address, e.name) for e in config.engineers),
            service_name=config.service.name,
            service_address=config.service.address,
            secret=config.service.secret,
            language=config.service.language,
        )

    async def _ticket_facts(self, session: AsyncSession, ticket: TicketRow) -> TicketFacts:
        """The ticket with its participants and linked tickets, as engineers are told about it."""
        config = self.runtime.config
        people = await store.participants_of(session, ticket.id)
        linked = await store.linked_tickets(session, ticket.id)
        return replace(
            self._ticket_basics(ticket),
            participants=tuple(Person(p.address, p.name, p.role) for p in people),
            linked=tuple(
                LinkedTicket(ticket_ref(config, other.id), other.subject, other.status, reason)
                for other, reason in linked
            ),
        )

    def _ticket_basics(self, ticket: TicketRow) -> TicketFacts:
        """The ticket's own fields, without reading who is on it."""
        return TicketFacts(
            id=ticket.id,
            ref=ticket_ref(self.runtime.config, ticket.id),
            subject=ticket.subject,
            status=ticket.status,
            priority=ticket.priority,
            language=ticket.language,
            requester=ticket.requester,
            assignee=ticket.assignee,
            first_response_due=ticket.first_response_due,
            first_responded_at=ticket.first_responded_at,
            resolution_due=ticket.resolution_due,
        )

    async def _enqueue_for_engineers(
        self, session: AsyncSession, ticket: TicketRow, drafts: tuple[Draft, ...], now: datetime
    ) -> None:
        # Mail to staff is neither kept as a ticket message nor counted
        # against anyone's daily limit of automatic mail: that limit protects
        # customers from loops, and engineers must hear of every reply.
        for draft in drafts:
            await self._enqueue(session, ticket, draft, now, record=None, rate_limited=False)
            log.info("engineers.notified", template=draft.template)

    async def _plan_acknowledgement(
        self,
        session: AsyncSession,
        applied: Applied,
        message: ParsedMessage,
        verdict: Verdict,
        received_at: datetime,
    ) -> Plan:
        runtime = self.runtime
        config = runtime.config
        ticket = applied.ticket
        if ticket is None:
            return Plan(suppressed_by="no-ticket")
        target = reply_target(message)
        recent = 0
        if applied.created and target is not None:
            recent = await store.count_auto_replies(session, target.address, received_at - AUTO_REPLY_WINDOW)
        tier = config.tier_config(ticket.tier)
        due_at = ticket.first_response_due or received_at
        due = Due(
            at=due_at.astimezone(runtime.calendar.zone),
            reason=runtime.calendar.explain(received_at),
            deferred=not runtime.calendar.is_open(received_at),
        )
        return plan_acknowledgement(
            AckInput(
                ticket=self._ticket_basics(ticket),
                created=applied.created,
                verdict=verdict,
                message=message,
                reply_to=target,
                cc=tuple(message.cc) + tuple(message.to),
                recent_auto_replies=recent,
                auto_reply_limit=config.limits.auto_replies_per_sender_per_day,
                own_addresses=config.service.own_addresses,
                service_name=config.service.name,
                service_address=config.service.address,
                secret=config.service.secret,
                received_at=received_at.astimezone(runtime.calendar.zone),
                due=due,
                next_opening=runtime.calendar.next_opening(received_at) if due.deferred else None,
                hours=runtime.calendar.describe_week(ticket.language),
                after_hours_cover=tier.after_hours,
            )
        )

    async def _enqueue(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        draft: Draft,
        now: datetime,
        *,
        record: MessageKind | None,
        rate_limited: bool,
    ) -> None:
        """Write `draft` to the outbox; keep it on the ticket as a message of kind `record`, if given."""
        config = self.runtime.config
        message_id = make_message_id(config.service.domain)
        email = self.runtime.composer.compose(draft, message_id=message_id, date=now)
        recipients = [a.address for a in (*draft.to, *draft.cc)]
        row = outbox.enqueue(
            session,
            ticket_id=ticket.id,
            kind=draft.template,
            message_id=message_id,
            mail_from=config.outbound.envelope_from or config.service.address,
            rcpt_to=recipients,
            raw=email.as_bytes(),
            at=now,
        )
        await session.flush()
        if record is not None:
            body = email.get_body(preferencelist=("plain",))
            session.add(
                MessageRow(
                    ticket_id=ticket.id,
                    outbox_id=row.id,
                    direction=Direction.OUT.value,
                    kind=record.value,
                    from_addr=config.service.address,
                    from_name=draft.from_name or config.service.name,
                    to_addrs=[a.address for a in draft.to],
                    cc_addrs=[a.address for a in draft.cc],
                    subject=draft.subject,
                    message_id=message_id,
                    body_text=body.get_content() if body is not None else "",
                    created_at=now,
                    rule_hits=[],
                    defects=[],
                )
            )
        if rate_limited:
            for address in recipients:
                await store.record_auto_reply(session, address, now)


def ticket_ref(config: Config, ticket_id: int) -> str:
    return str(TicketRef(config.service.tag, ticket_id))


def _new_text(message: ParsedMessage) -> str:
    """What the sender wrote this time: the quoted history is on the ticket already."""
    return visible_text(message.text, message.html) or message.text


def read_engineer_reply(config: Config, message: ParsedMessage, match: TicketMatch) -> EngineerReply:
    """Who an engineer's mail is from, whether that is proven, and its commands and text."""
    trust = verify_engineer(config, message, match)
    visible = visible_text(message.text, message.html)
    commands, errors, text = parse_commands(visible, priorities=frozenset(config.sla))
    return EngineerReply(
        trust=trust,
        claimed=claimed_engineer(config, message) or "",
        visible=visible,
        commands=tuple(commands),
        errors=tuple(errors),
        text=text,
    )
