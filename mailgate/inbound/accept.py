"""Accept: the only way into the inbox. `Arrival` in, `Accepted` out.

Raw bytes are committed before any adapter says yes (SMTP 250, IMAP flag,
`ingest` exit 0). Arrivals that wait together share one commit (group
commit): a commit per message caps throughput near 400/s, while one writer
committing whatever queued up meanwhile keeps every caller's "committed
before yes" and scales with load. Idempotent on source key and content hash.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from mailgate.clock import Clock
from mailgate.errors import StoreUnavailable
from mailgate.logs import get_logger
from mailgate.store import inbox
from mailgate.tickets.domain import InboxId

log = get_logger(__name__)

GROUP_COMMIT_MAX = 500


@dataclass(frozen=True, slots=True)
class Arrival:
    raw: bytes
    source: str
    """`smtp`, `imap`, `ingest` or `import`."""
    mail_from: str | None = None
    """The envelope sender; `""` is the null sender `<>`, None when the source has no envelope."""
    rcpt_to: tuple[str, ...] = ()
    source_key: str | None = None
    """What identifies this copy at its source, e.g. `imap:user@host/INBOX:1700000000:42`."""


@dataclass(frozen=True, slots=True)
class Accepted:
    inbox_id: InboxId
    duplicate: bool


def content_hash(raw: bytes) -> str:
    # Line endings differ between SMTP (CRLF) and files (LF): the same message is one hash.
    return hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()


def _entry(arrival: Arrival) -> inbox.NewInboxEntry:
    return inbox.NewInboxEntry(
        raw=arrival.raw,
        content_hash=content_hash(arrival.raw),
        source=arrival.source,
        source_key=arrival.source_key,
        mail_from=arrival.mail_from,
        rcpt_to=arrival.rcpt_to,
    )


class Acceptor:
    """Commits arrivals in groups; `accept()` returns only after its own commit.

    One writer task drains the queue: whatever arrived while the previous
    commit ran goes into the next one. `on_committed` is called after each
    commit that added something new (the processor's wake-up).
    """

    def __init__(self, engine: AsyncEngine, clock: Clock, on_committed: asyncio.Event | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self._queue: asyncio.Queue[tuple[Arrival, asyncio.Future[Accepted]]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self.committed = on_committed or asyncio.Event()

    async def accept(self, arrival: Arrival) -> Accepted:
        """Commit `arrival` to the inbox; raise `StoreUnavailable` if that cannot be done now."""
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_forever())
        future: asyncio.Future[Accepted] = asyncio.get_running_loop().create_future()
        await self._queue.put((arrival, future))
        return await future

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        while not self._queue.empty():
            _, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(StoreUnavailable("mailgate is stopping"))

    async def _write_forever(self) -> None:
        while True:
            group = [await self._queue.get()]
            while len(group) < GROUP_COMMIT_MAX and not self._queue.empty():
                group.append(self._queue.get_nowait())
            await self._write_group(group)

    async def _write_group(self, group: list[tuple[Arrival, asyncio.Future[Accepted]]]) -> None:
        try:
            stored = await inbox.insert_entries(
                self._engine, [_entry(arrival) for arrival, _ in group], self._clock.now()
            )
        except StoreUnavailable as exc:
            for _, future in group:
                if not future.done():
                    future.set_exception(StoreUnavailable(str(exc)))
            return
        except Exception as exc:  # noqa: BLE001  (boundary: a bug here must reach each waiting adapter, not kill the writer)
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        for (arrival, future), result in zip(group, stored, strict=True):
            log.info(
                "message.duplicate" if result.duplicate else "message.accepted",
                inbox_id=result.inbox_id,
                source=arrival.source,
                size=len(arrival.raw),
            )
            if not future.done():
                future.set_result(Accepted(InboxId(result.inbox_id), result.duplicate))
        if any(not result.duplicate for result in stored):
            self.committed.set()


async def accept_once(engine: AsyncEngine, clock: Clock, arrival: Arrival) -> Accepted:
    """Accept one arrival without a running writer (the CLI's `ingest`)."""
    stored = await inbox.insert_entries(engine, [_entry(arrival)], clock.now())
    log.info(
        "message.duplicate" if stored[0].duplicate else "message.accepted",
        inbox_id=stored[0].inbox_id,
        source=arrival.source,
    )
    return Accepted(InboxId(stored[0].inbox_id), stored[0].duplicate)
