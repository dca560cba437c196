"""Skips that CI turns into failures.

A test that needs something outside the project (the shared corpus, a
PostgreSQL server, Dovecot) calls `need(condition, reason)`. Locally it skips
with the reason; with `MAILGATE_REQUIRE_ALL=1` (set by `.ci/run`) it fails, so
a green CI run means every test really ran.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_ALL = os.environ.get("MAILGATE_REQUIRE_ALL") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip (or, under MAILGATE_REQUIRE_ALL=1, fail) unless `condition` holds."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required but missing: {reason}", pytrace=False)
    pytest.skip(reason)
