"""The async database engine and the differences between SQLite and PostgreSQL.

`create_engine(url)` turns a config URL (`sqlite:///…`, `postgresql://…`) into
an async engine with the right driver and settings; `store_errors()` turns
"the database is down or locked" into `StoreUnavailable`, the one condition
callers handle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from mailgate.errors import StoreUnavailable

DEFAULT_BUSY_TIMEOUT_SECONDS = 5.0


def async_url(url: str) -> str:
    """The SQLAlchemy URL with an async driver: aiosqlite or asyncpg."""
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url.removeprefix("sqlite:")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_pragmas(busy_timeout: float) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling defers BEGIN and breaks SAVEPOINT; mailgate
        # emits BEGIN itself (below), as SQLAlchemy's SQLite notes recommend.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers (the CLI) work while the daemon commits; synchronous=FULL keeps
        # "committed before 250" true across a power cut.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


def _begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: a deferred transaction that reads and then writes can
    # fail at once with SQLITE_BUSY when another process committed in between.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS) -> AsyncEngine:
    """An async engine for `url`; `busy_timeout` bounds how long a write waits for a lock."""
    options: dict[str, Any] = {}
    if url.startswith(("postgresql", "postgres")):
        options["connect_args"] = {"timeout": busy_timeout, "command_timeout": max(busy_timeout, 30.0)}
        options["pool_pre_ping"] = True
    elif url.startswith("sqlite"):
        # One connection per process: SQLite has one writer anyway, and waiting for the pool is
        # an asyncio wait, where waiting for SQLite's lock is a sleeping busy handler in a thread.
        options.update(
            poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0, pool_timeout=max(busy_timeout, 30.0)
        )
    engine = create_async_engine(async_url(url), **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(busy_timeout))
        event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def describe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.partition(":")[0]
    return f"{scheme}://{user}@{host}" if user else f"{scheme}://{host}"


@asynccontextmanager
async def store_errors() -> AsyncIterator[None]:
    """Raise `StoreUnavailable` for a database that is unreachable or locked past its timeout."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailable(str(exc.orig or exc).splitlines()[0]) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StoreUnavailable(str(exc.orig or exc).splitlines()[0]) from exc
        raise
    except PoolTimeoutError as exc:
        raise StoreUnavailable("no database connection free in time") from exc
    except (OSError, TimeoutError) as exc:
        raise StoreUnavailable(str(exc)) from exc
