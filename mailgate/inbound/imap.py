"""IMAP intake: take every new message of a mailbox into the inbox, then wait with IDLE.

One `ImapPoller` per `[[imap]]` mailbox (aioimaplib). A message is flagged
\\Seen or moved to `processed_folder` only after `Acceptor.accept` committed
it, and the highest UID handled is kept with its UIDVALIDITY in `imap_state`.
A crash between commit and flag costs nothing: accept is idempotent on the
source key and the content hash. Failures are logged once, retried with
backoff, and never leave `ImapPoller.run()`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import ssl
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import aioimaplib
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from mailgate.clock import Clock
from mailgate.config import ImapConfig
from mailgate.errors import ConfigError, StoreUnavailable, TemporaryError
from mailgate.inbound.accept import Accepted, Acceptor, Arrival
from mailgate.logs import get_logger
from mailgate.store import inbox
from mailgate.store.engine import store_errors
from mailgate.store.tables import ImapStateRow

log = get_logger(__name__)

INACTIVITY_TIMEOUT_SECONDS = 30.0
"""aioimaplib gives up on a command when the server has sent nothing for this long."""
COMMAND_TIMEOUT_SECONDS = 120.0
LOGOUT_TIMEOUT_SECONDS = 5.0
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 300.0
PUSH_CHECK_SECONDS = 1.0
"""How often an IDLE wait looks at the clock (so an injected clock can end it)."""
PROGRESS_LOG_SECONDS = 5.0

_FETCH_START = re.compile(rb"^\d+ FETCH \(")
_UID = re.compile(rb"\bUID (\d+)")
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_EXISTS = re.compile(rb"^(\d+) EXISTS")
_TIMINGS = re.compile(r"\s*\([\d.+ ]+ secs\)")

T = TypeVar("T")


class ImapError(TemporaryError):
    """A mailbox cannot be read now; the message is one line for the log and `check-config`."""


@dataclass(frozen=True, slots=True)
class SelectedFolder:
    uidvalidity: int
    messages: int


@dataclass(frozen=True, slots=True)
class MailboxCheck:
    """What `check-config --connect` reports for one mailbox."""

    messages: int
    processed_folder_exists: bool | None
    """None when no `processed_folder` is configured."""


def mailbox_label(config: ImapConfig) -> str:
    """`user@host:port/folder`: how logs and `check-config` name a mailbox (never with the password)."""
    return f"{config.username}@{config.host}:{config.port}/{config.folder}"


def source_key(config: ImapConfig, uidvalidity: int, uid: int) -> str:
    """What identifies one message copy at its source; the inbox refuses a second row with it."""
    return f"imap:{mailbox_label(config)}:{uidvalidity}:{uid}"


def encode_mailbox_name(name: str) -> str:
    """A folder name as an IMAP quoted string, non-ASCII in modified UTF-7 (RFC 3501 5.1.3)."""
    parts: list[str] = []
    pending: list[str] = []

    def shift_out() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            parts.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            shift_out()
            parts.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    shift_out()
    text = "".join(parts)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def uid_set(uids: Sequence[int]) -> str:
    """`1:3,7,9:10` for [1, 2, 3, 7, 9, 10]: short commands for long runs of UIDs."""
    ranges: list[str] = []
    ordered = sorted(set(uids))
    start = previous = ordered[0]
    for uid in [*ordered[1:], None]:
        if uid is not None and uid == previous + 1:
            previous = uid
            continue
        ranges.append(str(start) if start == previous else f"{start}:{previous}")
        if uid is not None:
            start = previous = uid
    return ",".join(ranges)


def parse_fetched(lines: Sequence[Any]) -> list[tuple[int, bytes]]:
    """(UID, raw message) pairs from aioimaplib's lines for `UID FETCH … (UID BODY.PEEK[])`.

    Literals arrive as `bytearray`, protocol lines as `bytes`; the UID may come
    before or after the literal, and unsolicited FETCH responses (flag changes
    by another client) carry no literal and are skipped.
    """
    found: list[tuple[int, bytes]] = []
    uid: int | None = None
    body: bytes | None = None
    for line in lines:
        if isinstance(line, bytearray):
            body = bytes(line)
            continue
        if _FETCH_START.match(line):
            if uid is not None and body is not None:
                found.append((uid, body))
            uid, body = None, None
        match = _UID.search(line)
        if match:
            uid = int(match.group(1))
    if uid is not None and body is not None:
        found.append((uid, body))
    return found


def _text(response: Any) -> str:
    """The server's human-readable words from a tagged response (its last line)."""
    lines = [line for line in response.lines if isinstance(line, bytes)]
    text = lines[-1].decode("utf-8", "replace").strip() if lines else ""
    # Dovecot appends timings ("(0.001 + 0.000 secs)."): without them, a repeated failure reads the same.
    return _TIMINGS.sub("", text)


class ImapConnection:
    """One aioimaplib session: every command bounded in time and ended at once if the link drops."""

    def __init__(self, config: ImapConfig) -> None:
        self._config = config
        self._client: Any = None
        self._lost = asyncio.Event()
        self._idle: asyncio.Future[Any] | None = None

    @property
    def where(self) -> str:
        return f"{self._config.host}:{self._config.port}"

    @property
    def has_idle(self) -> bool:
        return bool(self._client is not None and self._client.has_capability("IDLE"))

    def _has(self, capability: str) -> bool:
        return bool(self._client is not None and self._client.has_capability(capability))

    async def _guard(
        self, awaitable: Awaitable[T], what: str, limit: float | None = COMMAND_TIMEOUT_SECONDS
    ) -> T:
        """Await `awaitable`, but raise ImapError as soon as the connection drops or time runs out.

        aioimaplib leaves a command waiting forever when the socket closes under it
        (server restart, network loss); this race is what notices.
        """
        task = asyncio.ensure_future(awaitable)
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            done, _ = await asyncio.wait({task, lost}, timeout=limit, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not task.done():
                task.cancel()
                task.add_done_callback(_swallow)
        if task in done:
            return task.result()
        if lost in done:
            raise ImapError(f"connection to {self.where} lost during {what}")
        raise ImapError(f"{self.where} did not answer {what} within {limit:.0f} s")

    async def open(self, password: str) -> None:
        """Connect, read the greeting, log in, and learn the capabilities offered after login."""
        context = ssl.create_default_context() if self._config.tls else None
        self._client = aioimaplib.IMAP4(
            host=self._config.host,
            port=self._config.port,
            timeout=INACTIVITY_TIMEOUT_SECONDS,
            conn_lost_cb=lambda _exc: self._lost.set(),
            ssl_context=context,
        )
        try:
            await self._guard(self._client.wait_hello_from_server(), "the greeting", limit=None)
        except ssl.SSLCertVerificationError as exc:
            raise ImapError(f"TLS certificate of {self.where} not accepted: {exc.verify_message}") from exc
        except ssl.SSLError as exc:
            raise ImapError(f"TLS with {self.where} failed: {exc.reason or exc} (is `tls` right?)") from exc
        except OSError as exc:
            raise ImapError(f"cannot connect to {self.where}: {exc.strerror or exc}") from exc
        except TimeoutError as exc:
            hint = "" if self._config.tls else " (does the server expect TLS?)"
            raise ImapError(
                f"{self.where} sent no greeting within {INACTIVITY_TIMEOUT_SECONDS:.0f} s{hint}"
            ) from exc
        response = await self._guard(self._client.login(self._config.username, password), "LOGIN")
        if response.result != "OK":
            raise ImapError(f"login as {self._config.username} refused: {_text(response)}")
        # Servers offer more after login (IDLE, MOVE, UIDPLUS); ask again rather than parse the LOGIN reply.
        await self._guard(self._client.protocol.capability(), "CAPABILITY")

    async def select(self, folder: str) -> SelectedFolder:
        response = await self._guard(self._client.select(encode_mailbox_name(folder)), "SELECT")
        if response.result != "OK":
            raise ImapError(f"folder {folder!r} cannot be opened: {_text(response)}")
        uidvalidity = messages = None
        for line in response.lines:
            if isinstance(line, bytes):
                if found := _UIDVALIDITY.search(line):
                    uidvalidity = int(found.group(1))
                if found := _EXISTS.match(line):
                    messages = int(found.group(1))
        if uidvalidity is None:
            raise ImapError(f"folder {folder!r}: the server sent no UIDVALIDITY")
        return SelectedFolder(uidvalidity, messages or 0)

    async def folder_exists(self, folder: str) -> bool:
        response = await self._guard(self._client.list('""', encode_mailbox_name(folder)), "LIST")
        return bool(response.result == "OK" and len(response.lines) > 1)

    async def create_folder(self, folder: str) -> None:
        response = await self._guard(self._client.create(encode_mailbox_name(folder)), "CREATE")
        if response.result != "OK":
            raise ImapError(f"processed_folder {folder!r} cannot be created: {_text(response)}")

    async def search_after(self, last_uid: int, *, unseen_only: bool) -> list[int]:
        """UIDs above `last_uid` (and not \\Seen, if asked), ascending."""
        criteria = [f"UID {last_uid + 1}:*"] + (["UNSEEN"] if unseen_only else [])
        response = await self._guard(self._client.uid_search(*criteria, charset=None), "UID SEARCH")
        if response.result != "OK":
            raise ImapError(f"UID SEARCH refused: {_text(response)}")
        found: set[int] = set()
        for line in response.lines[:-1]:
            if isinstance(line, bytes):
                found.update(int(word) for word in line.split() if word.isdigit())
        # `n:*` always matches the highest UID, even below n (RFC 3501 6.4.8): drop what we have.
        return sorted(uid for uid in found if uid > last_uid)

    async def fetch(self, uids: Sequence[int]) -> list[tuple[int, bytes]]:
        """The raw messages, without setting \\Seen (BODY.PEEK): only accept may decide that."""
        # No overall limit: a large batch takes long, but aioimaplib ends it when the server goes quiet.
        response = await self._guard(
            self._client.uid("fetch", uid_set(uids), "(UID BODY.PEEK[])"), "UID FETCH", limit=None
        )
        if response.result != "OK":
            raise ImapError(f"UID FETCH refused: {_text(response)}")
        return parse_fetched(response.lines)

    async def mark_processed(self, uids: Sequence[int], processed_folder: str | None) -> None:
        """MOVE to `processed_folder` (COPY, \\Deleted, EXPUNGE without MOVE), else flag \\Seen."""
        which = uid_set(uids)
        if processed_folder is None:
            await self._expect_ok(self._client.uid("store", which, "+FLAGS.SILENT", r"(\Seen)"), "UID STORE")
            return
        target = encode_mailbox_name(processed_folder)
        if self._has("MOVE"):
            await self._expect_ok(self._client.uid("move", which, target), "UID MOVE")
            return
        await self._expect_ok(self._client.uid("copy", which, target), "UID COPY")
        await self._expect_ok(
            self._client.uid("store", which, "+FLAGS.SILENT", r"(\Seen \Deleted)"), "UID STORE"
        )
        if self._has("UIDPLUS"):
            await self._expect_ok(self._client.uid("expunge", which), "UID EXPUNGE")
        else:
            # Without UIDPLUS, EXPUNGE also removes what others flagged \Deleted: RFC 3501 has no other way.
            await self._expect_ok(self._client.expunge(), "EXPUNGE")

    async def _expect_ok(self, command: Awaitable[Any], what: str) -> None:
        response = await self._guard(command, what)
        if response.result != "OK":
            raise ImapError(f"{what} refused: {_text(response)}")

    async def idle_until(self, deadline: float, clock: Clock) -> None:
        """IDLE (RFC 2177) until the server reports new mail or `clock.monotonic()` passes `deadline`."""
        queue = self._client.protocol.idle_queue
        while not queue.empty():
            queue.get_nowait()
        idle = await self._guard(
            self._client.idle_start(timeout=max(deadline - clock.monotonic(), PUSH_CHECK_SECONDS)), "IDLE"
        )
        self._idle = idle
        while clock.monotonic() < deadline:
            wait = min(PUSH_CHECK_SECONDS, max(deadline - clock.monotonic(), 0.0))
            try:
                push = await self._guard(self._client.wait_server_push(timeout=wait), "IDLE")
            except TimeoutError:
                continue
            if push == aioimaplib.STOP_WAIT_SERVER_PUSH:
                break
            lines = [line for line in push if isinstance(line, bytes) and line]
            trouble = [line for line in lines if line.startswith((b"BYE", b"NO", b"BAD"))]
            if trouble:
                # Dovecot says `BYE`, or `NO Internal error`, when the folder is deleted under us:
                # this session is stale; a new one sees the folder as it is now.
                words = _TIMINGS.sub("", trouble[0].decode("utf-8", "replace"))
                raise ImapError(f"{self.where} interrupted the session: {words}")
            if any(not line.startswith(b"OK") for line in lines):
                # New mail (EXISTS) or any other change: look. `OK Still here` is only a keepalive.
                break
        self._client.idle_done()
        await self._guard(idle, "IDLE DONE")
        self._idle = None

    async def close(self) -> None:
        """Log out if the link is healthy; in any case close the socket and aioimaplib's tasks."""
        client, self._client = self._client, None
        if client is None:
            return
        if not self._lost.is_set() and self._idle is None and client.get_state() in ("AUTH", "SELECTED"):
            with contextlib.suppress(ImapError, aioimaplib.AioImapException, OSError, TimeoutError):
                await self._guard(client.logout(), "LOGOUT", limit=LOGOUT_TIMEOUT_SECONDS)
        for task in [self._idle, *client.tasks, *client.protocol.tasks]:
            if task is not None and not task.done():
                task.cancel()
                task.add_done_callback(_swallow)
        transport = client.protocol.transport
        if transport is not None:
            transport.close()


def _swallow(task: asyncio.Future[Any]) -> None:
    # A command abandoned on a dead connection: its outcome no longer matters, and must not be logged as lost.
    if not task.cancelled():
        task.exception()


def describe_failure(exc: BaseException) -> str:
    """One line for the operator; never the password."""
    if isinstance(exc, ImapError):
        return str(exc)
    if isinstance(exc, StoreUnavailable):
        return f"database unavailable: {exc}"
    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, aioimaplib.CommandTimeout):
        return "the server stopped answering in the middle of a command"
    if isinstance(exc, aioimaplib.AioImapException):
        return f"IMAP protocol error: {exc}"
    return f"{type(exc).__name__}: {exc}"


# --- imap_state: the UIDVALIDITY seen and the highest UID handled, per mailbox --------------


async def load_state(engine: AsyncEngine, mailbox: str) -> tuple[int, int] | None:
    """(uidvalidity, last_uid) stored for `mailbox`, or None before its first sync."""
    async with store_errors(), engine.connect() as connection:
        row = (
            await connection.execute(
                select(ImapStateRow.uidvalidity, ImapStateRow.last_uid).where(ImapStateRow.mailbox == mailbox)
            )
        ).first()
    return (int(row.uidvalidity), int(row.last_uid)) if row is not None else None


async def save_state(
    engine: AsyncEngine, mailbox: str, uidvalidity: int, last_uid: int, at: datetime
) -> None:
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(ImapStateRow).values(
        mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid, updated_at=at
    )
    statement = statement.on_conflict_do_update(
        index_elements=[ImapStateRow.mailbox],
        set_={"uidvalidity": uidvalidity, "last_uid": last_uid, "updated_at": at},
    )
    async with store_errors(), engine.begin() as connection:
        await connection.execute(statement)


# --- the poller --------------------------------------------------------------------------------


@dataclass
class _Progress:
    total: int
    started: float
    logged: float
    done: int = 0
    new: int = 0
    duplicates: int = 0


class ImapPoller:
    """Keeps one mailbox drained into the inbox until cancelled."""

    def __init__(self, config: ImapConfig, acceptor: Acceptor, engine: AsyncEngine, clock: Clock) -> None:
        self._config = config
        self._acceptor = acceptor
        self._engine = engine
        self._clock = clock
        self.mailbox = mailbox_label(config)
        self._delay = BACKOFF_FIRST_SECONDS
        self._last_failure: str | None = None

    async def run(self) -> None:
        """Sync, then IDLE or poll; on any failure log it (once), back off and start over."""
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001  (boundary: a mailbox's trouble must not stop mailgate)
                self._report(exc)
            await self._clock.sleep(self._delay)
            self._delay = min(self._delay * 2, BACKOFF_MAX_SECONDS)

    def _report(self, exc: Exception) -> None:
        reason = describe_failure(exc)
        event = "imap.accept_failed" if isinstance(exc, StoreUnavailable) else "imap.error"
        if reason == self._last_failure:
            log.debug(event, mailbox=self.mailbox, reason=reason, retry_in=self._delay)
            return
        self._last_failure = reason
        known = isinstance(exc, ImapError | StoreUnavailable | ConfigError | aioimaplib.AioImapException)
        # A failure of an unknown kind is a bug: its traceback is what will fix it.
        details = {} if known else {"exc_info": exc}
        log.error(event, mailbox=self.mailbox, reason=reason, retry_in=self._delay, **details)

    def _healthy(self) -> None:
        if self._last_failure is not None:
            log.info("imap.recovered", mailbox=self.mailbox, after=self._last_failure)
        self._last_failure = None
        self._delay = BACKOFF_FIRST_SECONDS

    async def sync_once(self) -> None:
        """Connect, take everything new, disconnect; raise on failure (first syncs and benchmarks)."""
        await self._session(once=True)

    async def _session(self, *, once: bool = False) -> None:
        password = self._config.resolve_password()
        connection = ImapConnection(self._config)
        try:
            await connection.open(password)
            folder = await connection.select(self._config.folder)
            processed = self._config.processed_folder
            if processed is not None and not await connection.folder_exists(processed):
                await connection.create_folder(processed)
                log.info("imap.folder_created", mailbox=self.mailbox, folder=processed)
            last_uid = await self._last_uid(folder.uidvalidity)
            (log.info if self._last_failure is None else log.debug)(
                "imap.connected",
                mailbox=self.mailbox,
                uidvalidity=folder.uidvalidity,
                messages=folder.messages,
                last_uid=last_uid,
                idle=connection.has_idle,
            )
            while True:
                last_uid = await self._sync(connection, folder.uidvalidity, last_uid)
                self._healthy()
                if once:
                    return
                await self._wait(connection)
        finally:
            await connection.close()

    async def _last_uid(self, uidvalidity: int) -> int:
        state = await load_state(self._engine, self.mailbox)
        if state is not None and state[0] == uidvalidity:
            return state[1]
        if state is not None:
            # RFC 3501 2.3.1.1: the old UIDs mean nothing now. Start over; the content hash
            # keeps messages already taken from becoming second tickets.
            log.warning("imap.uidvalidity_changed", mailbox=self.mailbox, before=state[0], after=uidvalidity)
        await save_state(self._engine, self.mailbox, uidvalidity, 0, self._clock.now())
        return 0

    async def _wait(self, connection: ImapConnection) -> None:
        if connection.has_idle:
            # Renew before idle_renew (RFC 2177: servers may drop IDLE after 30 min), and re-check
            # at least every poll_interval in case a notification fell between two commands.
            renew = min(self._config.idle_renew, self._config.poll_interval)
            await connection.idle_until(self._clock.monotonic() + renew, self._clock)
        else:
            await self._clock.sleep(self._config.poll_interval)

    async def _sync(self, connection: ImapConnection, uidvalidity: int, last_uid: int) -> int:
        """Take every message above `last_uid` in batches; return the new `last_uid`."""
        uids = await connection.search_after(last_uid, unseen_only=self._config.processed_folder is None)
        if not uids:
            return last_uid
        size = self._config.batch_size
        batches = [uids[i : i + size] for i in range(0, len(uids), size)]
        now = self._clock.monotonic()
        progress = _Progress(total=len(uids), started=now, logged=now)
        # The next batch is fetched while this one is committed: the server and the database work at once,
        # and no more than two batches are ever held in memory.
        upcoming = asyncio.ensure_future(self._fetch_batch(connection, uidvalidity, batches[0]))
        try:
            for index, batch in enumerate(batches):
                known, messages = await upcoming
                if index + 1 < len(batches):
                    upcoming = asyncio.ensure_future(
                        self._fetch_batch(connection, uidvalidity, batches[index + 1])
                    )
                last_uid = await self._take(
                    connection, uidvalidity, batch, known, messages, last_uid, progress
                )
                self._log_progress(progress, final=index + 1 == len(batches))
        finally:
            # A prefetch cut short by a failure or a stop: wait for it to end, so that it never
            # outlives the session (it holds a database connection the daemon is about to close).
            upcoming.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await upcoming
        return last_uid

    async def _fetch_batch(
        self, connection: ImapConnection, uidvalidity: int, batch: Sequence[int]
    ) -> tuple[list[int], list[tuple[int, bytes]]]:
        """(UIDs already in the inbox, fetched messages for the rest)."""
        keys = {uid: source_key(self._config, uidvalidity, uid) for uid in batch}
        present = await inbox.source_keys_present(self._engine, list(keys.values()))
        # Taken before a crash but never flagged: only the flag is missing, not the bytes.
        known = [uid for uid in batch if keys[uid] in present]
        wanted = [uid for uid in batch if keys[uid] not in present]
        return known, (await connection.fetch(wanted) if wanted else [])

    async def _take(
        self,
        connection: ImapConnection,
        uidvalidity: int,
        batch: Sequence[int],
        known: Sequence[int],
        messages: Sequence[tuple[int, bytes]],
        last_uid: int,
        progress: _Progress,
    ) -> int:
        arrivals = [
            Arrival(
                raw,
                source="imap",
                mail_from=None,
                rcpt_to=(),
                source_key=source_key(self._config, uidvalidity, uid),
            )
            for uid, raw in messages
        ]
        # All at once: the acceptor commits them as one group.
        results: list[Accepted | BaseException] = await asyncio.gather(
            *(self._acceptor.accept(arrival) for arrival in arrivals), return_exceptions=True
        )
        committed = list(known)
        failed: list[tuple[int, BaseException]] = []
        for (uid, _), result in zip(messages, results, strict=True):
            if isinstance(result, BaseException):
                failed.append((uid, result))
                continue
            committed.append(uid)
            progress.new += not result.duplicate
            progress.duplicates += result.duplicate
        progress.duplicates += len(known)
        # Only now, every one of them committed, may the server be told (DESIGN: flag after accept).
        if committed:
            await connection.mark_processed(committed, self._config.processed_folder)
        progress.done += len(committed)
        # A message that vanished between SEARCH and FETCH (another client moved it) is simply gone.
        handled_up_to = min(uid for uid, _ in failed) - 1 if failed else max(batch)
        if handled_up_to > last_uid:
            last_uid = handled_up_to
            await save_state(self._engine, self.mailbox, uidvalidity, last_uid, self._clock.now())
        if failed:
            # Left untouched on the server (not flagged, not moved): the next attempt takes them.
            raise failed[0][1]
        return last_uid

    def _log_progress(self, progress: _Progress, *, final: bool) -> None:
        now = self._clock.monotonic()
        if not final and now - progress.logged < PROGRESS_LOG_SECONDS:
            return
        progress.logged = now
        log.info(
            "imap.synced",
            mailbox=self.mailbox,
            done=progress.done,
            total=progress.total,
            new=progress.new,
            duplicates=progress.duplicates,
            seconds=round(now - progress.started, 3),
            complete=final,
        )


async def check_mailbox(config: ImapConfig) -> MailboxCheck:
    """Connect, log in and open the folder, as `mailgate check-config --connect` does; raise ImapError."""
    connection = ImapConnection(config)
    try:
        await connection.open(config.resolve_password())
        folder = await connection.select(config.folder)
        exists = None
        if config.processed_folder is not None:
            exists = await connection.folder_exists(config.processed_folder)
        return MailboxCheck(folder.messages, exists)
    except (aioimaplib.AioImapException, OSError, TimeoutError) as exc:
        raise ImapError(describe_failure(exc)) from exc
    finally:
        await connection.close()
