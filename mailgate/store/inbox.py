"""The inbox table: accepted raw messages and their processing state.

Writes many arrivals in one transaction (group commit), idempotently on the
source key (IMAP mailbox+UIDVALIDITY+UID) and the content hash. The processor
claims pending rows here and marks them done or failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mailgate.store.engine import store_errors
from mailgate.store.tables import InboxRow


class InboxState(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class NewInboxEntry:
    raw: bytes
    content_hash: str
    source: str
    source_key: str | None
    mail_from: str | None
    rcpt_to: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoredEntry:
    inbox_id: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class InboxItem:
    """An inbox row as the CLI and the processor see it."""

    id: int
    received_at: datetime
    source: str
    mail_from: str | None
    rcpt_to: tuple[str, ...]
    state: InboxState
    attempts: int
    error: str | None
    ticket_id: int | None
    size: int


async def insert_entries(
    engine: AsyncEngine, entries: Sequence[NewInboxEntry], received_at: datetime
) -> list[StoredEntry]:
    """Commit every entry in one transaction; a known hash or source key is a duplicate."""
    results: list[StoredEntry] = []
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    async with store_errors(), engine.begin() as connection:
        for entry in entries:
            statement = (
                insert(InboxRow)
                .values(
                    received_at=received_at,
                    source=entry.source,
                    source_key=entry.source_key,
                    content_hash=entry.content_hash,
                    mail_from=entry.mail_from,
                    rcpt_to=list(entry.rcpt_to),
                    raw=entry.raw,
                    state=InboxState.PENDING.value,
                    attempts=0,
                )
                .on_conflict_do_nothing()
                .returning(InboxRow.id)
            )
            new_id = (await connection.execute(statement)).scalar_one_or_none()
            if new_id is not None:
                results.append(StoredEntry(new_id, duplicate=False))
                continue
            existing = await _find_existing(connection, entry)
            results.append(StoredEntry(existing, duplicate=True))
    return results


async def _find_existing(connection: AsyncConnection, entry: NewInboxEntry) -> int:
    conditions = [InboxRow.content_hash == entry.content_hash]
    if entry.source_key is not None:
        conditions.append(InboxRow.source_key == entry.source_key)
    found = await connection.execute(select(InboxRow.id).where(or_(*conditions)).limit(1))
    return int(found.scalar_one())


async def source_keys_present(engine: AsyncEngine, keys: Sequence[str]) -> set[str]:
    """Which of these source keys are already in the inbox (for IMAP resync)."""
    if not keys:
        return set()
    async with store_errors(), engine.connect() as connection:
        rows = await connection.execute(select(InboxRow.source_key).where(InboxRow.source_key.in_(keys)))
        return {key for key in rows.scalars() if key is not None}


async def claim_pending(
    engine: AsyncEngine, limit: int
) -> list[tuple[int, bytes, str | None, tuple[str, ...]]]:
    """Mark up to `limit` pending rows as processing (attempts + 1) and return them.

    Committed before the work starts, so a crash in the middle still counts an attempt.
    """
    async with store_errors(), engine.begin() as connection:
        query = (
            select(InboxRow.id, InboxRow.raw, InboxRow.mail_from, InboxRow.rcpt_to)
            .where(InboxRow.state == InboxState.PENDING.value)
            .order_by(InboxRow.id)
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await connection.execute(query)).all()
        if not rows:
            return []
        await connection.execute(
            update(InboxRow)
            .where(InboxRow.id.in_([row.id for row in rows]))
            .values(state=InboxState.PROCESSING.value, attempts=InboxRow.attempts + 1)
        )
    return [(row.id, row.raw, row.mail_from, tuple(row.rcpt_to)) for row in rows]


async def recover_interrupted(engine: AsyncEngine, max_attempts: int) -> int:
    """Put rows left `processing` by a crash back to pending, or failed past the cap."""
    async with store_errors(), engine.begin() as connection:
        failed = await connection.execute(
            update(InboxRow)
            .where(InboxRow.state == InboxState.PROCESSING.value, InboxRow.attempts >= max_attempts)
            .values(
                state=InboxState.FAILED.value,
                error=f"processing was interrupted {max_attempts} times; kept for `mailgate inbox retry`",
            )
        )
        pending = await connection.execute(
            update(InboxRow)
            .where(InboxRow.state == InboxState.PROCESSING.value)
            .values(state=InboxState.PENDING.value)
        )
    return int(failed.rowcount or 0) + int(pending.rowcount or 0)


async def release(engine: AsyncEngine, inbox_ids: Sequence[int]) -> None:
    """Give claimed rows back untouched, not counting the attempt (the store went away)."""
    async with store_errors(), engine.begin() as connection:
        await connection.execute(
            update(InboxRow)
            .where(InboxRow.id.in_(inbox_ids), InboxRow.state == InboxState.PROCESSING.value)
            .values(state=InboxState.PENDING.value, attempts=InboxRow.attempts - 1)
        )


async def mark_failed(engine: AsyncEngine, inbox_id: int, error: str, at: datetime) -> None:
    async with store_errors(), engine.begin() as connection:
        await connection.execute(
            update(InboxRow)
            .where(InboxRow.id == inbox_id)
            .values(state=InboxState.FAILED.value, error=error[:4000], processed_at=at)
        )


async def retry_failed(engine: AsyncEngine, inbox_ids: Sequence[int]) -> list[int]:
    """Put failed rows (all, or those named) back to pending with a fresh attempt count."""
    async with store_errors(), engine.begin() as connection:
        query = select(InboxRow.id).where(InboxRow.state == InboxState.FAILED.value)
        if inbox_ids:
            query = query.where(InboxRow.id.in_(inbox_ids))
        ids = list((await connection.execute(query)).scalars())
        if ids:
            await connection.execute(
                update(InboxRow)
                .where(InboxRow.id.in_(ids))
                .values(state=InboxState.PENDING.value, attempts=0, error=None)
            )
    return ids


async def list_items(engine: AsyncEngine, *, failed_only: bool) -> list[InboxItem]:
    query = select(
        InboxRow.id,
        InboxRow.received_at,
        InboxRow.source,
        InboxRow.mail_from,
        InboxRow.rcpt_to,
        InboxRow.state,
        InboxRow.attempts,
        InboxRow.error,
        InboxRow.ticket_id,
        func.length(InboxRow.raw).label("size"),
    ).order_by(InboxRow.id)
    if failed_only:
        query = query.where(InboxRow.state == InboxState.FAILED.value)
    async with store_errors(), engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return [
        InboxItem(
            id=row.id,
            received_at=row.received_at,
            source=row.source,
            mail_from=row.mail_from,
            rcpt_to=tuple(row.rcpt_to),
            state=InboxState(row.state),
            attempts=row.attempts,
            error=row.error,
            ticket_id=row.ticket_id,
            size=int(row.size or 0),
        )
        for row in rows
    ]


async def existing_ids(engine: AsyncEngine, inbox_ids: Sequence[int]) -> set[int]:
    async with store_errors(), engine.connect() as connection:
        rows = await connection.execute(select(InboxRow.id).where(InboxRow.id.in_(inbox_ids)))
        return set(rows.scalars())


async def count_by_state(engine: AsyncEngine) -> dict[str, int]:
    async with store_errors(), engine.connect() as connection:
        rows = await connection.execute(select(InboxRow.state, func.count()).group_by(InboxRow.state))
        return {state: int(count) for state, count in rows.all()}
