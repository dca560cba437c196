"""The business calendar: opening, closing, holidays, DST and business-time arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailgate.config import BusinessDuration, HoursConfig
from mailgate.errors import ConfigError
from mailgate.hours.business import BusinessCalendar

TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
YEAR_END = ("2026-12-29", "2026-12-30", "2026-12-31", "2027-01-02", "2027-01-03")


def calendar(timezone: str = "Asia/Tokyo", **hours: Any) -> BusinessCalendar:
    """A calendar from `[hours]` keys as an admin writes them in config.toml."""
    return BusinessCalendar.from_config(HoursConfig(timezone=timezone, **hours))


def office(timezone: str = "Asia/Tokyo", span: str = "09:00-18:00", **hours: Any) -> BusinessCalendar:
    """Monday to Friday at `span`, plus any other `[hours]` keys."""
    return calendar(timezone, **{**dict.fromkeys(WEEKDAYS, span), **hours})


def every_day(timezone: str, span: str, **hours: Any) -> BusinessCalendar:
    days = (*WEEKDAYS, "sat", "sun")
    return calendar(timezone, **{**dict.fromkeys(days, span), **hours})


def minutes(count: int) -> BusinessDuration:
    return BusinessDuration(minutes=count)


def days(count: int, extra_minutes: int = 0) -> BusinessDuration:
    return BusinessDuration(days=count, minutes=extra_minutes)


def tokyo(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TOKYO)


JAPAN = office(holidays=("JP",), closed=YEAR_END)


# The INTERFACE.md examples -----------------------------------------------------------


def test_saturday_mail_is_due_tuesday_after_monday_holiday() -> None:
    """Saturday mail with a 4h window is due Tuesday 13:00: Monday is Labor Thanksgiving Day."""
    due = JAPAN.add(tokyo(2026, 11, 21, 10), minutes(240))
    assert due == tokyo(2026, 11, 24, 13)


def test_friday_afternoon_mail_is_due_tuesday_noon() -> None:
    """Mail at Friday 17:00 uses one hour on Friday and the other three on Tuesday morning."""
    due = JAPAN.add(tokyo(2026, 11, 20, 17), minutes(240))
    assert due == tokyo(2026, 11, 24, 12)


def test_saturday_explanation_names_the_weekend_day_the_holiday_and_the_opening() -> None:
    """`mailgate due` says why Saturday mail waits: closed Saturday, a holiday, open Tuesday."""
    text = JAPAN.explain(tokyo(2026, 11, 21, 10))
    assert text == "closed: Sat; holiday 2026-11-23 Labor Thanksgiving Day; opens Tue 09:00"


# Opening and closing instants -----------------------------------------------------------


def test_message_exactly_at_opening_counts_from_opening() -> None:
    """A message stamped 09:00:00 is received while open and its clock starts at once."""
    assert JAPAN.is_open(tokyo(2026, 11, 20, 9))
    assert JAPAN.next_opening(tokyo(2026, 11, 20, 9)) == tokyo(2026, 11, 20, 9)
    assert JAPAN.add(tokyo(2026, 11, 20, 9), minutes(240)) == tokyo(2026, 11, 20, 13)


def test_message_exactly_at_closing_waits_for_next_opening() -> None:
    """A message stamped 18:00:00 is after hours: its clock starts at the next opening."""
    closing = tokyo(2026, 11, 19, 18)
    assert not JAPAN.is_open(closing)
    assert JAPAN.next_opening(closing) == tokyo(2026, 11, 20, 9)
    assert JAPAN.add(closing, minutes(60)) == tokyo(2026, 11, 20, 10)


def test_one_second_before_closing_is_still_open() -> None:
    """17:59:59 is inside opening hours."""
    assert JAPAN.is_open(tokyo(2026, 11, 19, 17, 59, 59))


def test_last_business_minute_ends_at_the_closing_instant() -> None:
    """One hour from 17:00 is due at 18:00 the same day, not at the next opening."""
    assert JAPAN.add(tokyo(2026, 11, 20, 17), minutes(60)) == tokyo(2026, 11, 20, 18)


def test_message_before_opening_starts_at_opening() -> None:
    """Mail at 07:30 on a working day is due 4 hours after 09:00."""
    assert JAPAN.add(tokyo(2026, 11, 19, 7, 30), minutes(240)) == tokyo(2026, 11, 19, 13)


def test_next_closing_is_today_while_open_and_the_next_days_when_closed() -> None:
    """While open the team closes at 18:00 today; on Saturday the next closing is Tuesday's."""
    assert JAPAN.next_closing(tokyo(2026, 11, 20, 10)) == tokyo(2026, 11, 20, 18)
    assert JAPAN.next_closing(tokyo(2026, 11, 21, 10)) == tokyo(2026, 11, 24, 18)


def test_instant_in_another_zone_is_read_as_the_same_moment() -> None:
    """00:30 UTC is 09:30 in Tokyo: open, and the due time comes back in Tokyo time."""
    received = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
    assert JAPAN.is_open(received)
    due = JAPAN.add(received, minutes(60))
    assert due == tokyo(2026, 11, 20, 10, 30)
    assert due.tzinfo == TOKYO
    assert due.utcoffset() == timedelta(hours=9)


def test_time_without_zone_is_refused() -> None:
    """A naive datetime is a programming error, named as such rather than guessed at."""
    with pytest.raises(ValueError, match="no time zone"):
        JAPAN.is_open(datetime(2026, 11, 20, 10))  # noqa: DTZ001


def test_zero_duration_leaves_the_instant_unchanged() -> None:
    """Adding nothing on a closed Saturday stays on Saturday."""
    assert JAPAN.add(tokyo(2026, 11, 21, 10), minutes(0)) == tokyo(2026, 11, 21, 10)


def test_negative_duration_is_refused() -> None:
    """A negative window is an error, not time travel."""
    with pytest.raises(ValueError, match="negative"):
        JAPAN.add(tokyo(2026, 11, 20, 10), minutes(-5))


# Several closed days in a row -------------------------------------------------------------


def test_window_from_christmas_friday_runs_past_weekend_and_year_end_closure() -> None:
    """11h from Fri 25 Dec 17:00: 1h Friday, 9h Monday 28th, then closed until Mon 4 Jan 10:00."""
    due = JAPAN.add(tokyo(2026, 12, 25, 17), minutes(11 * 60))
    assert due == tokyo(2027, 1, 4, 10)


def test_friday_evening_mail_skips_weekend_and_monday_holiday() -> None:
    """Mail on Friday evening before Labor Thanksgiving Day is due Tuesday 13:00."""
    assert JAPAN.add(tokyo(2026, 11, 20, 19), minutes(240)) == tokyo(2026, 11, 24, 13)


def test_golden_week_defers_mail_to_thursday() -> None:
    """Mail on Fri 1 May 2026 after hours waits through the holidays of 3 to 6 May."""
    assert JAPAN.next_opening(tokyo(2026, 5, 1, 19)) == tokyo(2026, 5, 7, 9)


def test_year_end_explanation_groups_closed_dates_and_dates_the_opening() -> None:
    """Over the year-end closure the reason lists closures, the holiday and the opening's date."""
    text = JAPAN.explain(tokyo(2026, 12, 28, 19))
    assert text == (
        "closed: Mon from 18:00; closed 2026-12-29 to 2026-12-31; "
        "holiday 2027-01-01 New Year's Day; closed 2027-01-02 to 2027-01-03; "
        "opens Mon 2027-01-04 09:00"
    )


def test_explanation_while_open_shows_todays_hours() -> None:
    """At Friday 10:00 the reason is the day's opening hours."""
    assert JAPAN.explain(tokyo(2026, 11, 20, 10)) == "open: Fri 09:00-18:00"


def test_explanation_before_opening_says_it_opens_later_today() -> None:
    """At 07:30 on a working day the reason says it opens at 09:00 the same day."""
    assert JAPAN.explain(tokyo(2026, 11, 19, 7, 30)) == "closed: Thu before 09:00; opens Thu 09:00"


def test_friday_evening_explanation_lists_monday_holiday() -> None:
    """Friday after hours: the weekend goes without saying, the Monday holiday is named."""
    text = JAPAN.explain(tokyo(2026, 11, 20, 19))
    assert text == "closed: Fri from 18:00; holiday 2026-11-23 Labor Thanksgiving Day; opens Tue 09:00"


# Closure reasons and holiday names --------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 11, 21), "Sat"),
        (date(2026, 11, 22), "Sun"),
        (date(2026, 11, 23), "holiday 2026-11-23 Labor Thanksgiving Day"),
        (date(2026, 12, 29), "closed 2026-12-29"),
        (date(2027, 1, 1), "holiday 2027-01-01 New Year's Day"),
        (date(2026, 11, 24), None),
    ],
)
def test_closure_reason_names_why_a_day_is_closed(day: date, reason: str | None) -> None:
    """Each closed day says why in English, open days say nothing."""
    assert JAPAN.closure_reason(day) == reason


def test_holiday_on_a_sunday_is_named_as_the_holiday() -> None:
    """Constitution Day on Sunday 3 May 2026 is reported as the holiday, the more telling reason."""
    assert JAPAN.closure_reason(date(2026, 5, 3)) == "holiday 2026-05-03 Constitution Day"


def test_subdivision_holidays_come_from_the_region() -> None:
    """California closes on Cesar Chavez Day, which is not a federal holiday."""
    california = office("America/Los_Angeles", holidays=("US-CA",))
    federal = office("America/Los_Angeles", holidays=("US",))
    assert california.closure_reason(date(2026, 3, 31)) == "holiday 2026-03-31 Cesar Chavez Day"
    assert federal.closure_reason(date(2026, 3, 31)) is None


def test_holidays_of_two_countries_are_labelled_with_the_country() -> None:
    """With Japan and Germany configured, each holiday says whose it is."""
    both = office(holidays=("JP", "DE"))
    assert both.closure_reason(date(2026, 11, 23)) == "holiday 2026-11-23 Labor Thanksgiving Day (JP)"
    assert both.closure_reason(date(2026, 10, 3)) == "holiday 2026-10-03 German Unity Day (DE)"


def test_holiday_tables_are_built_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of queries in one year build that year's holiday table once, not per message."""
    builds: list[object] = []
    real = holidays.country_holidays

    def counting(*args: Any, **kwargs: Any) -> Any:
        builds.append(kwargs.get("years"))
        return real(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting)
    fresh = office(holidays=("JP",))
    builds.clear()
    start = tokyo(2026, 1, 5, 9)
    for hour in range(2000):
        fresh.is_open(start + timedelta(hours=hour))
    assert builds == [2026]


# Extra open days ---------------------------------------------------------------------------


def test_open_date_overrides_the_weekend() -> None:
    """A Saturday listed under `open` works with the weekday hours."""
    cal = office(holidays=("JP",), open=("2026-11-21",))
    assert cal.is_open(tokyo(2026, 11, 21, 10))
    assert cal.closure_reason(date(2026, 11, 21)) is None
    assert cal.add(tokyo(2026, 11, 21, 10), minutes(240)) == tokyo(2026, 11, 21, 14)


def test_open_date_overrides_a_holiday() -> None:
    """Working on Labor Thanksgiving Day makes Saturday mail due Monday 13:00."""
    cal = office(holidays=("JP",), open=("2026-11-23",))
    assert cal.add(tokyo(2026, 11, 21, 10), minutes(240)) == tokyo(2026, 11, 23, 13)


def test_open_weekend_day_takes_the_most_common_hours_of_the_week() -> None:
    """With a short Friday, an extra open Saturday has the Monday-to-Thursday hours."""
    cal = office(fri="09:00-15:00", open=("2026-11-21",))
    opening = cal.opening_on(date(2026, 11, 21))
    assert opening is not None
    assert (opening.start, opening.end) == (tokyo(2026, 11, 21, 9), tokyo(2026, 11, 21, 18))


def test_date_both_closed_and_open_is_refused() -> None:
    """Listing one date as both closed and open is a configuration error naming the date."""
    with pytest.raises(ConfigError, match="2026-12-29"):
        office(closed=("2026-12-29",), open=("2026-12-29",))


def test_open_date_without_any_weekly_hours_is_refused() -> None:
    """An open date needs hours to open with; with none in the week the admin is told."""
    with pytest.raises(ConfigError, match=r"hours\.open"):
        BusinessCalendar("Asia/Tokyo", [None] * 7, open_days=[date(2026, 11, 21)])


# A calendar that never opens -------------------------------------------------------------


def test_calendar_without_any_opening_raises_instead_of_looping() -> None:
    """No opening hours at all is reported as a configuration error, promptly."""
    # config.py refuses such an [hours] table; the calendar still guards itself.
    never = BusinessCalendar("Asia/Tokyo", [None] * 7)
    received = tokyo(2026, 11, 21, 10)
    with pytest.raises(ConfigError, match="no opening hours"):
        never.next_opening(received)
    with pytest.raises(ConfigError, match="no opening hours"):
        never.add(received, minutes(60))
    with pytest.raises(ConfigError, match="no opening hours"):
        never.is_open(received)


def test_business_time_between_counts_open_time_of_a_closed_calendar_as_zero() -> None:
    """Measuring over a calendar with no hours yields zero rather than an error."""
    assert (
        BusinessCalendar("Asia/Tokyo", [None] * 7).business_time_between(tokyo(2026, 1, 1), tokyo(2026, 2, 1))
        == timedelta()
    )


# 24-hour days --------------------------------------------------------------------------------


def test_day_open_around_the_clock_is_open_at_midnight() -> None:
    """ "00:00-24:00" is open at midnight and a full day of business time is 24 hours."""
    cal = office("Asia/Tokyo", span="00:00-24:00")
    assert cal.is_open(tokyo(2026, 11, 18, 0))
    assert cal.add(tokyo(2026, 11, 18, 6), minutes(24 * 60)) == tokyo(2026, 11, 19, 6)


def test_around_the_clock_weekdays_close_at_saturday_midnight() -> None:
    """Consecutive 24-hour days form one opening that closes when the weekend starts."""
    cal = office("Asia/Tokyo", span="00:00-24:00")
    assert cal.next_closing(tokyo(2026, 11, 18, 12)) == tokyo(2026, 11, 21, 0)
    assert cal.add(tokyo(2026, 11, 20, 23), minutes(120)) == tokyo(2026, 11, 23, 1)


def test_calendar_open_every_hour_of_every_day_never_closes() -> None:
    """Round-the-clock service has no next closing."""
    cal = every_day("Asia/Tokyo", "00:00-24:00")
    assert cal.next_closing(tokyo(2026, 11, 18, 12)) is None


# Business days --------------------------------------------------------------------------------


def test_three_business_days_from_friday_is_wednesday_same_time() -> None:
    """ "3d" from Friday 10:00 is Wednesday 10:00, as the config documentation promises."""
    plain = office()
    assert plain.add(tokyo(2026, 11, 13, 10), days(3)) == tokyo(2026, 11, 18, 10)


def test_business_day_skips_a_holiday() -> None:
    """One business day from Friday 10:00 before a Monday holiday is Tuesday 10:00."""
    assert JAPAN.add(tokyo(2026, 11, 20, 10), days(1)) == tokyo(2026, 11, 24, 10)


def test_business_day_from_after_hours_starts_at_next_opening() -> None:
    """One business day from Thursday evening is Monday 09:00: the day counted is Friday."""
    plain = office()
    assert plain.add(tokyo(2026, 11, 19, 19), days(1)) == tokyo(2026, 11, 23, 9)


def test_business_day_is_clamped_to_a_shorter_day() -> None:
    """A day from Thursday 17:00 ends at Friday's 15:00 closing when Friday is short."""
    cal = office(fri="09:00-15:00")
    assert cal.add(tokyo(2026, 11, 19, 17), days(1)) == tokyo(2026, 11, 20, 15)


def test_days_are_added_before_minutes() -> None:
    """ "1d2h" from Thursday 17:00 is a day to Friday 17:00, then 1h Friday and 1h Monday."""
    plain = office()
    assert plain.add(tokyo(2026, 11, 19, 17), days(1, 120)) == tokyo(2026, 11, 23, 10)


# Measuring ----------------------------------------------------------------------------------


def test_business_time_between_skips_closed_time() -> None:
    """Friday 17:00 to Tuesday 12:00 over a Monday holiday is four business hours."""
    spent = JAPAN.business_time_between(tokyo(2026, 11, 20, 17), tokyo(2026, 11, 24, 12))
    assert spent == timedelta(hours=4)


def test_business_time_between_reversed_instants_is_zero() -> None:
    """An end before the start measures nothing."""
    assert JAPAN.business_time_between(tokyo(2026, 11, 24), tokyo(2026, 11, 20)) == timedelta()


# Daylight saving time -------------------------------------------------------------------------

DST_DAYS = [
    pytest.param("Europe/Berlin", date(2026, 3, 29), date(2026, 10, 25), id="berlin"),
    pytest.param("America/New_York", date(2026, 3, 8), date(2026, 11, 1), id="new-york"),
]


@pytest.mark.parametrize(("timezone", "spring", "fall"), DST_DAYS)
def test_night_shift_lasts_two_real_hours_on_spring_forward_day(
    timezone: str, spring: date, fall: date
) -> None:
    """Open 01:00-04:00 on the night the clock jumps an hour ahead gives two hours of work."""
    cal = every_day(timezone, "01:00-04:00")
    opening = cal.opening_on(spring)
    assert opening is not None
    assert opening.end.astimezone(UTC) - opening.start.astimezone(UTC) == timedelta(hours=2)
    start = datetime.combine(spring, datetime.min.time(), ZoneInfo(timezone)).replace(hour=1)
    assert cal.business_time_between(start, start + timedelta(days=1)) == timedelta(hours=2)


@pytest.mark.parametrize(("timezone", "spring", "fall"), DST_DAYS)
def test_night_shift_lasts_four_real_hours_on_fall_back_day(timezone: str, spring: date, fall: date) -> None:
    """Open 01:00-04:00 on fall-back night gives four hours, the repeated hour included."""
    zone = ZoneInfo(timezone)
    cal = every_day(timezone, "01:00-04:00")
    opening = cal.opening_on(fall)
    assert opening is not None
    assert opening.end.astimezone(UTC) - opening.start.astimezone(UTC) == timedelta(hours=4)
    repeated = datetime.combine(fall, datetime.min.time(), zone).replace(hour=1, minute=30)
    assert cal.is_open(repeated.replace(fold=0))
    assert cal.is_open(repeated.replace(fold=1))


@pytest.mark.parametrize(("timezone", "spring", "fall"), DST_DAYS)
def test_four_hour_window_across_spring_forward_counts_real_minutes(
    timezone: str, spring: date, fall: date
) -> None:
    """Four business hours from 00:30 on spring-forward day end at 05:30 on the new clock."""
    zone = ZoneInfo(timezone)
    cal = every_day(timezone, "00:00-24:00")
    received = datetime.combine(spring, datetime.min.time(), zone).replace(minute=30)
    due = cal.add(received, minutes(240))
    assert due.astimezone(UTC) - received.astimezone(UTC) == timedelta(hours=4)
    assert (due.hour, due.minute) == (5, 30)


@pytest.mark.parametrize(("timezone", "spring", "fall"), DST_DAYS)
def test_four_hour_window_across_fall_back_counts_real_minutes(
    timezone: str, spring: date, fall: date
) -> None:
    """Four business hours from 00:30 on fall-back day end at 03:30 on the new clock."""
    zone = ZoneInfo(timezone)
    cal = every_day(timezone, "00:00-24:00")
    received = datetime.combine(fall, datetime.min.time(), zone).replace(minute=30)
    due = cal.add(received, minutes(240))
    assert due.astimezone(UTC) - received.astimezone(UTC) == timedelta(hours=4)
    assert (due.hour, due.minute) == (3, 30)


@pytest.mark.parametrize(("timezone", "spring", "fall"), DST_DAYS)
def test_four_hour_window_over_a_short_night_shift_continues_next_night(
    timezone: str, spring: date, fall: date
) -> None:
    """With two real hours on spring-forward night, a 4h window ends at 03:00 the next night."""
    zone = ZoneInfo(timezone)
    cal = every_day(timezone, "01:00-04:00")
    received = datetime.combine(spring, datetime.min.time(), zone).replace(hour=1)
    assert cal.add(received, minutes(240)) == datetime.combine(
        spring + timedelta(days=1), datetime.min.time(), zone
    ).replace(hour=3)


def test_opening_inside_the_spring_forward_gap_starts_at_the_jump() -> None:
    """Opening at 02:30, a time that never shows that night, opens when the clock jumps to 03:00."""
    cal = every_day("America/New_York", "02:30-05:00")
    opening = cal.opening_on(date(2026, 3, 8))
    assert opening is not None
    assert opening.start == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert (opening.start.hour, opening.start.minute) == (3, 0)


def test_opening_wholly_inside_the_spring_forward_gap_is_closed_that_day() -> None:
    """02:00-02:30 never happens on spring-forward day: closed, with the clock change as reason."""
    cal = every_day("America/New_York", "02:00-02:30")
    assert cal.opening_on(date(2026, 3, 8)) is None
    assert cal.closure_reason(date(2026, 3, 8)) == "no opening 2026-03-08 (clock change)"
    saturday_night = datetime(2026, 3, 7, 23, tzinfo=NEW_YORK)
    assert cal.next_opening(saturday_night) == datetime(2026, 3, 9, 2, tzinfo=NEW_YORK)


def test_due_time_in_the_repeated_hour_carries_the_right_offset() -> None:
    """Two hours from 00:30 on fall-back night is the second 01:30, shown with winter offset."""
    cal = every_day("America/New_York", "00:00-24:00")
    received = datetime(2026, 11, 1, 0, 30, tzinfo=NEW_YORK)
    due = cal.add(received, minutes(120))
    assert due.utcoffset() == timedelta(hours=-5)
    assert (due.hour, due.minute) == (1, 30)


# Describing the week ---------------------------------------------------------------------------


def test_week_is_described_in_english_with_the_zone() -> None:
    """English templates say "Mon–Fri 09:00–18:00 JST"."""
    assert JAPAN.describe_week("en") == "Mon–Fri 09:00–18:00 JST"


def test_week_is_described_in_japanese_with_the_zone() -> None:
    """Japanese templates say "月〜金 9:00〜18:00（JST）"."""
    assert JAPAN.describe_week("ja") == "月〜金 9:00〜18:00（JST）"
    assert JAPAN.describe_week("ja-JP") == "月〜金 9:00〜18:00（JST）"


def test_week_with_a_short_saturday_lists_both_groups() -> None:
    """Different Saturday hours appear as a second group."""
    cal = office(sat="10:00-14:00")
    assert cal.describe_week("en") == "Mon–Fri 09:00–18:00; Sat 10:00–14:00 JST"
    assert cal.describe_week("ja") == "月〜金 9:00〜18:00、土 10:00〜14:00（JST）"


def test_days_with_equal_hours_are_grouped_even_when_apart() -> None:
    """Mon, Wed and Fri with the same hours read as one group."""
    cal = calendar(mon="09:00-18:00", wed="09:00-18:00", fri="09:00-18:00", tue="13:00-17:00")
    assert cal.describe_week("en") == "Mon, Wed, Fri 09:00–18:00; Tue 13:00–17:00 JST"


def test_zone_abbreviation_follows_the_described_instant() -> None:
    """Berlin hours read CET in winter, CEST in summer, and both when no instant is given."""
    cal = office("Europe/Berlin")
    assert cal.describe_week("en", at=datetime(2026, 1, 10, tzinfo=UTC)) == "Mon–Fri 09:00–18:00 CET"
    assert cal.describe_week("en", at=datetime(2026, 7, 10, tzinfo=UTC)) == "Mon–Fri 09:00–18:00 CEST"
    assert cal.describe_week("en") == "Mon–Fri 09:00–18:00 CET/CEST"


def test_zone_without_abbreviation_is_named_by_its_offset() -> None:
    """Dubai has no letters for its zone, so the offset is shown as UTC+04."""
    assert office("Asia/Dubai").describe_week("en") == "Mon–Fri 09:00–18:00 UTC+04"


def test_around_the_clock_hours_are_written_to_24_00() -> None:
    """A 24-hour day is written 00:00–24:00 and 0:00〜24:00."""
    cal = every_day("Asia/Tokyo", "00:00-24:00")
    assert cal.describe_week("en") == "Mon–Sun 00:00–24:00 JST"
    assert cal.describe_week("ja") == "月〜日 0:00〜24:00（JST）"


# Properties --------------------------------------------------------------------------------------

PROPERTY_CALENDARS = {
    "tokyo-office": JAPAN,
    "tokyo-open-saturday": office(holidays=("JP",), open=("2026-11-21", "2027-05-03")),
    "berlin-night-shift": every_day("Europe/Berlin", "01:00-04:00", holidays=("DE",)),
    "new-york-24h-weekdays": office(
        "America/New_York", span="00:00-24:00", sat="02:00-03:00", holidays=("US",)
    ),
}
calendars = st.sampled_from(sorted(PROPERTY_CALENDARS)).map(PROPERTY_CALENDARS.__getitem__)
any_instant = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001  (bounds are naive for Hypothesis)
    max_value=datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
# Random instants seldom land on a boundary; these sit whole minutes away from a DST
# switch, an opening, a closing or midnight, so exact boundaries are tried often.
LANDMARKS = (
    datetime(2026, 3, 8, 7, tzinfo=UTC),  # New York springs forward
    datetime(2026, 11, 1, 6, tzinfo=UTC),  # New York falls back
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # Berlin springs forward
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # Berlin falls back
    datetime(2026, 11, 20, 9, tzinfo=TOKYO),
    datetime(2026, 11, 20, 18, tzinfo=TOKYO),
    datetime(2026, 12, 28, 18, tzinfo=TOKYO),
)
near_landmark = st.builds(
    lambda landmark, offset: (landmark + timedelta(minutes=offset)).astimezone(UTC),
    st.sampled_from(LANDMARKS),
    st.integers(min_value=-300, max_value=300),
)
instants = st.one_of(any_instant, near_landmark)
minute_counts = st.integers(min_value=0, max_value=6000)
durations = st.builds(BusinessDuration, days=st.integers(min_value=0, max_value=20), minutes=minute_counts)
bounded = settings(max_examples=200, deadline=None)


def utc(t: datetime) -> datetime:
    """In UTC: two datetimes sharing a ZoneInfo compare by wall time, which is wrong in a fold."""
    return t.astimezone(UTC)


def is_closing(cal: BusinessCalendar, t: datetime) -> bool:
    return not cal.is_open(t) and cal.is_open(t - timedelta(microseconds=1))


@bounded
@given(cal=calendars, t=instants, a=minute_counts, b=minute_counts)
def test_adding_minutes_in_two_steps_equals_adding_them_at_once(
    cal: BusinessCalendar, t: datetime, a: int, b: int
) -> None:
    """A window measured in two parts ends where the whole window ends."""
    assert utc(cal.add(cal.add(t, minutes(a)), minutes(b))) == utc(cal.add(t, minutes(a + b)))


@bounded
@given(cal=calendars, t=instants, count=st.integers(min_value=1, max_value=6000))
def test_positive_minutes_end_open_or_exactly_at_a_closing(
    cal: BusinessCalendar, t: datetime, count: int
) -> None:
    """A due time never falls in closed time, except exactly at the closing instant."""
    due = cal.add(t, minutes(count))
    assert cal.is_open(due) or is_closing(cal, due)


@bounded
@given(cal=calendars, t=instants, duration=durations)
def test_positive_durations_with_days_end_open_or_exactly_at_a_closing(
    cal: BusinessCalendar, t: datetime, duration: BusinessDuration
) -> None:
    """Business days land on open time too, or on a day's closing when clamped."""
    due = cal.add(t, duration)
    if duration.days or duration.minutes:
        assert cal.is_open(due) or is_closing(cal, due)
    else:
        assert utc(due) == utc(t)


@bounded
@given(cal=calendars, t=instants)
def test_next_opening_is_not_before_and_is_open(cal: BusinessCalendar, t: datetime) -> None:
    """The next opening is now or later, and the team is there then."""
    opening = cal.next_opening(t)
    assert utc(opening) >= utc(t)
    assert cal.is_open(opening)
    assert cal.business_time_between(t, opening) == timedelta()


@bounded
@given(cal=calendars, t=instants)
def test_next_closing_follows_open_time(cal: BusinessCalendar, t: datetime) -> None:
    """The next closing is after the next opening, and open time runs up to it."""
    closing = cal.next_closing(t)
    assert closing is not None
    assert utc(closing) > utc(cal.next_opening(t))
    assert is_closing(cal, closing)


@bounded
@given(cal=calendars, t1=instants, t2=instants, duration=durations)
def test_later_mail_is_never_due_earlier(
    cal: BusinessCalendar, t1: datetime, t2: datetime, duration: BusinessDuration
) -> None:
    """Of two messages with the same window, the later one is not due before the earlier one."""
    early, late = sorted((t1, t2))
    assert utc(cal.add(early, duration)) <= utc(cal.add(late, duration))


@bounded
@given(cal=calendars, t=instants, count=minute_counts)
def test_measuring_an_added_window_gives_the_window_back(
    cal: BusinessCalendar, t: datetime, count: int
) -> None:
    """The business time between receipt and due time is exactly the window."""
    due = cal.add(t, minutes(count))
    assert cal.business_time_between(t, due) == timedelta(minutes=count)


@bounded
@given(cal=calendars, t=instants)
def test_explanation_matches_whether_the_team_is_open(cal: BusinessCalendar, t: datetime) -> None:
    """The reason text starts with "open" exactly when the team is open."""
    assert cal.explain(t).startswith("open: ") == cal.is_open(t)
