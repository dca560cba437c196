"""Response windows: due times per priority and tier, deferral, after-hours cover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mailgate.config import Config, parse_config
from mailgate.hours.business import BusinessCalendar
from mailgate.hours.sla import Due, first_response_due, resolution_due, sla_window

TOKYO = ZoneInfo("Asia/Tokyo")
SATURDAY_REASON = "closed: Sat; holiday 2026-11-23 Labor Thanksgiving Day; opens Tue 09:00"


def tokyo(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TOKYO)


def make_config(**sections: Any) -> Config:
    """The INTERFACE.md configuration, with `sections` replacing whole tables."""
    data: dict[str, Any] = {
        "service": {
            "address": "support@example.com",
            "domains": ["example.com"],
            "secret": "change-me-please",
        },
        "hours": {
            "timezone": "Asia/Tokyo",
            **dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-18:00"),
            "holidays": ["JP"],
            "closed": ["2026-12-29", "2026-12-30", "2026-12-31", "2027-01-02", "2027-01-03"],
        },
        "sla": {
            "normal": {"first_response": "4h", "resolution": "3d"},
            "urgent": {"first_response": "1h"},
        },
        "customers": [{"match": "@bigcorp.example", "tier": "premium"}],
        "tiers": {"premium": {"after_hours": True, "oncall": "oncall@example.com"}},
    }
    data.update(sections)
    return parse_config(data, Path())


CONFIG = make_config()
CALENDAR = BusinessCalendar.from_config(CONFIG.hours)


def first_response(
    received_at: datetime, *, priority: str = "normal", tier: str = "standard", config: Config = CONFIG
) -> Due:
    calendar = BusinessCalendar.from_config(config.hours)
    return first_response_due(calendar, config, received_at=received_at, priority=priority, tier=tier)


def test_saturday_mail_is_due_tuesday_after_monday_holiday() -> None:
    """Saturday mail is answered by Tuesday 13:00, deferred, with the closure explained."""
    due = first_response(tokyo(2026, 11, 21, 10))
    assert due.at == tokyo(2026, 11, 24, 13)
    assert due.deferred
    assert due.reason == f"{SATURDAY_REASON}; first response within 4h business time (normal)"


def test_friday_afternoon_mail_is_due_tuesday_noon_and_not_deferred() -> None:
    """Mail at Friday 17:00 starts its clock at once and is due Tuesday 12:00."""
    due = first_response(tokyo(2026, 11, 20, 17))
    assert due.at == tokyo(2026, 11, 24, 12)
    assert not due.deferred
    assert due.reason.startswith("open: Fri 09:00-18:00; ")


def test_due_time_is_given_in_the_service_time_zone() -> None:
    """A receipt stamped in UTC gets a due time with the Tokyo offset, as ticket JSON shows it."""
    due = first_response(datetime(2026, 11, 20, 8, tzinfo=UTC))
    assert due.at.utcoffset() == timedelta(hours=9)
    assert due.at.isoformat() == "2026-11-24T12:00:00+09:00"


def test_urgent_priority_uses_its_own_window() -> None:
    """Urgent mail at Friday 17:30 gets one business hour: 30 minutes Friday, 30 Tuesday."""
    due = first_response(tokyo(2026, 11, 20, 17, 30), priority="urgent")
    assert due.at == tokyo(2026, 11, 24, 9, 30)
    assert due.reason.endswith("first response within 1h business time (urgent)")


def test_unknown_priority_gets_the_normal_window() -> None:
    """A priority nobody configured is answered within the normal window."""
    assert first_response(tokyo(2026, 11, 20, 10), priority="low").at == tokyo(2026, 11, 20, 14)


def test_tier_window_overrides_the_service_window() -> None:
    """A gold customer with a 2h normal window at Friday 17:00 is due Tuesday 10:00."""
    config = make_config(tiers={"gold": {"sla": {"normal": {"first_response": "2h"}}}})
    due = first_response(tokyo(2026, 11, 20, 17), tier="gold", config=config)
    assert due.at == tokyo(2026, 11, 24, 10)


def test_tier_without_a_window_for_the_priority_uses_the_service_one() -> None:
    """A tier that only shortens normal mail keeps the service's urgent window."""
    config = make_config(tiers={"gold": {"sla": {"normal": {"first_response": "2h"}}}})
    window = sla_window(config, priority="urgent", tier="gold")
    assert str(window.first_response) == "1h"


def test_unknown_priority_of_a_tier_uses_the_tiers_normal_window() -> None:
    """For a priority nobody configured, a tier's own normal window comes before the service's."""
    config = make_config(tiers={"gold": {"sla": {"normal": {"first_response": "2h"}}}})
    window = sla_window(config, priority="low", tier="gold")
    assert str(window.first_response) == "2h"


def test_premium_customer_is_due_in_wall_time_on_saturday() -> None:
    """Premium mail on Saturday 10:00 is due Saturday 14:00 and is not deferred."""
    due = first_response(tokyo(2026, 11, 21, 10), tier=CONFIG.tier_of("it@bigcorp.example"))
    assert due.at == tokyo(2026, 11, 21, 14)
    assert not due.deferred
    assert due.reason == ("after-hours cover (premium): first response within 4h around the clock (normal)")


def test_configured_after_hours_tier_runs_around_the_clock() -> None:
    """A tier with `after_hours = true` counts plain hours through the night."""
    config = make_config(tiers={"nightwatch": {"after_hours": True, "oncall": "oncall@x.example"}})
    due = first_response(tokyo(2026, 11, 20, 22), tier="nightwatch", config=config)
    assert due.at == tokyo(2026, 11, 21, 2)


def test_after_hours_window_across_dst_counts_real_hours() -> None:
    """In Berlin, 4h of cover from 00:30 on spring-forward night ends at 05:30 on the new clock."""
    hours = {"timezone": "Europe/Berlin", "mon": "09:00-18:00"}
    config = make_config(hours=hours)
    received = datetime(2026, 3, 29, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    due = first_response(received, tier="premium", config=config)
    assert due.at.astimezone(UTC) - received.astimezone(UTC) == timedelta(hours=4)
    assert (due.at.hour, due.at.minute) == (5, 30)


def test_resolution_is_due_three_business_days_after_the_opening() -> None:
    """Saturday mail with a 3d resolution window is due Friday 09:00: Tuesday plus three days."""
    due = resolution_due(
        CALENDAR, CONFIG, received_at=tokyo(2026, 11, 21, 10), priority="normal", tier="standard"
    )
    assert due is not None
    assert due.at == tokyo(2026, 11, 27, 9)
    assert due.deferred
    assert due.reason.endswith("resolution within 3d business time (normal)")


def test_no_resolution_window_means_no_resolution_due() -> None:
    """Urgent tickets have no resolution window configured, so none is due."""
    due = resolution_due(
        CALENDAR, CONFIG, received_at=tokyo(2026, 11, 20, 10), priority="urgent", tier="standard"
    )
    assert due is None


def test_zero_window_while_closed_is_due_at_the_next_opening() -> None:
    """A "0m" window on Saturday is due when the team opens, not on Saturday itself."""
    config = make_config(sla={"normal": {"first_response": "0m"}})
    assert first_response(tokyo(2026, 11, 21, 10), config=config).at == tokyo(2026, 11, 24, 9)


def test_received_time_without_zone_is_refused() -> None:
    """A naive receipt time is refused rather than read in some zone."""
    with pytest.raises(ValueError, match="no time zone"):
        first_response(datetime(2026, 11, 21, 10))  # noqa: DTZ001


def test_mail_received_at_closing_is_deferred() -> None:
    """Mail stamped exactly 18:00 counts as after hours."""
    due = first_response(tokyo(2026, 11, 19, 18))
    assert due.deferred
    assert due.at == tokyo(2026, 11, 20, 13)
