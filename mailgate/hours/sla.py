"""Response windows: when a ticket's first response and resolution are due, and why.

Takes the business calendar, the config's windows (per priority, overridden per
customer tier) and the instant a message was received; returns a `Due` with a
reason a person can read. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from mailgate.config import BusinessDuration, Config, SlaWindow
from mailgate.errors import ConfigError
from mailgate.hours.business import BusinessCalendar

DEFAULT_PRIORITY = "normal"

DueKind = Literal["first response", "resolution"]


@dataclass(frozen=True, slots=True)
class Due:
    """A due instant, in the calendar's zone, with the reason a person can read."""

    at: datetime
    reason: str
    deferred: bool = False
    """True when the message arrived while closed and the clock starts at the next opening."""


def sla_window(config: Config, *, priority: str, tier: str) -> SlaWindow:
    """The window for `priority` and `tier`.

    In order: the tier's own window for the priority, the service's window for the
    priority, then, for a priority nobody configured, the tier's and the service's
    "normal" window: an unknown priority is treated as normal for that customer.
    """
    tier_windows = config.tier_config(tier).sla
    for windows, key in (
        (tier_windows, priority),
        (config.sla, priority),
        (tier_windows, DEFAULT_PRIORITY),
        (config.sla, DEFAULT_PRIORITY),
    ):
        if key in windows:
            return windows[key]
    # Config validation requires sla.normal; a Config built without validation may lack it.
    raise ConfigError([(f"sla.{DEFAULT_PRIORITY}", "is required")])


def first_response_due(
    calendar: BusinessCalendar,
    config: Config,
    *,
    received_at: datetime,
    priority: str,
    tier: str,
) -> Due:
    """When the first response to a message received at `received_at` is due."""
    window = sla_window(config, priority=priority, tier=tier).first_response
    return _due(calendar, config, window, "first response", received_at, priority, tier)


def resolution_due(
    calendar: BusinessCalendar,
    config: Config,
    *,
    received_at: datetime,
    priority: str,
    tier: str,
) -> Due | None:
    """When a ticket opened at `received_at` must be resolved; None without a resolution window."""
    window = sla_window(config, priority=priority, tier=tier).resolution
    if window is None:
        return None
    return _due(calendar, config, window, "resolution", received_at, priority, tier)


def wall_time(duration: BusinessDuration) -> timedelta:
    """A window read around the clock: a day is 24 hours."""
    return timedelta(days=duration.days, minutes=duration.minutes)


def _due(
    calendar: BusinessCalendar,
    config: Config,
    window: BusinessDuration,
    kind: DueKind,
    received_at: datetime,
    priority: str,
    tier: str,
) -> Due:
    if received_at.utcoffset() is None:
        raise ValueError(f"received_at {received_at.isoformat()} has no time zone")
    if config.tier_config(tier).after_hours:
        # The tier pays for cover outside business hours: nothing is deferred, and
        # the on-call engineer is paged instead. Added in UTC: real elapsed time
        # across a DST change, not wall-clock time.
        at = (received_at.astimezone(UTC) + wall_time(window)).astimezone(calendar.zone)
        reason = f"after-hours cover ({tier}): {kind} within {window} around the clock ({priority})"
        return Due(at=at, reason=reason, deferred=False)
    # The clock starts at the next opening, so even a zero window is not due while closed.
    start = calendar.next_opening(received_at)
    at = calendar.add(start, window)
    reason = f"{calendar.explain(received_at)}; {kind} within {window} business time ({priority})"
    return Due(at=at, reason=reason, deferred=not calendar.is_open(received_at))


__all__ = ["Due", "first_response_due", "resolution_due", "sla_window", "wall_time"]
