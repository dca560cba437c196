"""Shared fixtures: the database (SQLite and PostgreSQL), the capture smarthost, the clock."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailgate.clock import ManualClock
from tests.support.skips import need
from tests.support.smarthost import CaptureSmarthost

POSTGRES_ADMIN_DSN = os.environ.get("MAILGATE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
TOKYO = ZoneInfo("Asia/Tokyo")


async def _postgres_admin() -> object | None:
    import asyncpg

    try:
        return await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, dropped afterwards, so runs never see each other's data."""
    import asyncpg

    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        admin = None
    need(admin is not None, f"no PostgreSQL server reachable at {POSTGRES_ADMIN_DSN}")
    name = f"mailgate_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mailgate.db'}"
        return
    async with postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mailgate.db'}"


@pytest.fixture
async def smarthost() -> AsyncIterator[CaptureSmarthost]:
    server = CaptureSmarthost()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def clock() -> ManualClock:
    """Saturday 2026-11-21 10:00 in Tokyo unless a test moves it."""
    return ManualClock(datetime(2026, 11, 21, 10, 0, tzinfo=TOKYO))
