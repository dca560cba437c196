"""The outbox table: mail to send, written in the transaction of the change that caused it.

The sender claims due rows, and records each outcome: sent, retry at a later
time, or failed for good (with an event on the ticket).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from mailgate.store.engine import store_errors
from mailgate.store.tables import EventRow, OutboxRow

# A row claimed by a sender that died is claimable again after this long.
CLAIM_LEASE = timedelta(minutes=5)


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    id: int
    ticket_id: int | None
    message_id: str
    mail_from: str
    rcpt_to: tuple[str, ...]
    raw: bytes
    attempts: int


def enqueue(
    session: AsyncSession,
    *,
    ticket_id: int | None,
    kind: str,
    message_id: str,
    mail_from: str,
    rcpt_to: Sequence[str],
    raw: bytes,
    at: datetime,
) -> OutboxRow:
    row = OutboxRow(
        ticket_id=ticket_id,
        kind=kind,
        message_id=message_id,
        mail_from=mail_from,
        rcpt_to=list(rcpt_to),
        raw=raw,
        state=OutboxState.PENDING.value,
        attempts=0,
        next_attempt_at=at,
        created_at=at,
    )
    session.add(row)
    return row


async def claim_due(engine: AsyncEngine, now: datetime, limit: int) -> list[OutgoingMail]:
    """Claim rows due now: pending ones, and `sending` ones whose claim has lapsed."""
    async with store_errors(), engine.begin() as connection:
        query = (
            select(OutboxRow)
            .where(
                ((OutboxRow.state == OutboxState.PENDING.value) & (OutboxRow.next_attempt_at <= now))
                | ((OutboxRow.state == OutboxState.SENDING.value) & (OutboxRow.next_attempt_at <= now))
            )
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await connection.execute(query)).all()
        if not rows:
            return []
        ids = [row.id for row in rows]
        await connection.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids))
            .values(
                state=OutboxState.SENDING.value,
                attempts=OutboxRow.attempts + 1,
                next_attempt_at=now + CLAIM_LEASE,
            )
        )
    return [
        OutgoingMail(
            row.id,
            row.ticket_id,
            row.message_id,
            row.mail_from,
            tuple(row.rcpt_to),
            row.raw,
            row.attempts + 1,
        )
        for row in rows
    ]


async def release_claims(engine: AsyncEngine, now: datetime) -> int:
    """Make rows a stopped sender left `sending` due again now; for a single-process database."""
    async with store_errors(), engine.begin() as connection:
        result = await connection.execute(
            update(OutboxRow)
            .where(OutboxRow.state == OutboxState.SENDING.value)
            .values(state=OutboxState.PENDING.value, next_attempt_at=now)
        )
    return int(result.rowcount or 0)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one delivery attempt: sent, retry at `retry_at`, or failed for good."""

    mail: OutgoingMail
    state: OutboxState
    at: datetime
    error: str | None = None
    retry_at: datetime | None = None


async def record_outcomes(engine: AsyncEngine, outcomes: Sequence[Outcome]) -> None:
    """Write a batch of delivery outcomes in one transaction; failures also go on their ticket."""
    async with store_errors(), engine.begin() as connection:
        for outcome in outcomes:
            mail = outcome.mail
            values: dict[str, object] = {
                "state": outcome.state.value,
                "last_error": outcome.error[:2000] if outcome.error else None,
            }
            if outcome.state is OutboxState.SENT:
                values["sent_at"] = outcome.at
            elif outcome.state is OutboxState.PENDING:
                values["next_attempt_at"] = outcome.retry_at or outcome.at
            await connection.execute(update(OutboxRow).where(OutboxRow.id == mail.id).values(**values))
            if outcome.state is OutboxState.FAILED and mail.ticket_id is not None:
                await connection.execute(
                    insert(EventRow).values(
                        ticket_id=mail.ticket_id,
                        at=outcome.at,
                        kind="delivery-failed",
                        detail={
                            "message_id": mail.message_id,
                            "to": list(mail.rcpt_to),
                            "error": (outcome.error or "")[:500],
                        },
                    )
                )


async def count_by_state(engine: AsyncEngine) -> dict[str, int]:
    async with store_errors(), engine.connect() as connection:
        rows = await connection.execute(select(OutboxRow.state, func.count()).group_by(OutboxRow.state))
        return {state: int(count) for state, count in rows.all()}
