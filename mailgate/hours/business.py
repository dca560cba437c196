"""The business calendar: when the support team is open, and business time arithmetic.

Built from `[hours]` (time zone, weekly hours, public holidays of the `holidays`
package, extra closed and open dates), it answers "is it open at t", "when does
it next open or close" and "t plus a business duration". Pure: no I/O, no clock.

Every instant handed out is aware and in the calendar's zone; inside, every
comparison is made in UTC, because two datetimes sharing a `ZoneInfo` compare by
wall time and would get the repeated hour of a DST fall-back wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import holidays as holidays_package

from mailgate.config import BusinessDuration, HoursConfig, OpeningSpan
from mailgate.errors import ConfigError

MAX_CLOSED_DAYS = 3 * 366
"""The longest run of closed days searched before a calendar is judged never to open."""

MAX_ADD_DAYS = 100 * 366
"""The furthest `add` walks; a business duration reaching beyond it is a configuration mistake."""

ONE_DAY = timedelta(days=1)
HOLIDAY_NAME_LANGUAGE = "en_US"
# The holidays package joins two holidays on one date with "; ", which `explain` uses as separator.
_PACKAGE_NAME_SEPARATOR = "; "

_DAY_NAMES = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "ja": ("月", "火", "水", "木", "金", "土", "日"),
}
# A January and a July instant: one falls in standard time and one in summer time, in
# either hemisphere, so a zone with DST shows both of its abbreviations.
_SEASON_SAMPLES = (datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC))

_ClosureKind = Literal["closed", "holiday", "weekly", "clock-change"]


@dataclass(frozen=True, slots=True)
class Opening:
    """One day's opening as real instants: open from `start` (inclusive) to `end` (exclusive)."""

    day: date
    start: datetime
    end: datetime
    span: OpeningSpan


@dataclass(frozen=True, slots=True)
class _Closure:
    kind: _ClosureKind
    text: str


class BusinessCalendar:
    """When the support team is open, in real instants, and arithmetic in business time.

    Opening hours are wall-clock times in `zone`. Across a DST change an opening
    boundary is the first instant the wall clock shows that time: an opening at
    02:30 on the day the clock jumps from 02:00 to 03:00 starts at the jump, and a
    boundary in the repeated hour of a fall-back is its first occurrence. So a day
    open 01:00-04:00 lasts 2 real hours on spring-forward day and 4 on fall-back
    day, and business time counts real elapsed minutes.

    A date in `open_days` is open even on a weekly closed day or a public holiday,
    with its weekday's hours, or the most common hours of the week when its weekday
    has none. A date in `closed_days` is closed whatever else says.

    Immutable in behaviour; holiday names are looked up once per year and day
    openings once per date, and kept.
    """

    __slots__ = (
        "_closed",
        "_countries",
        "_default_span",
        "_holiday_cache",
        "_open",
        "_opening_cache",
        "_week",
        "_zone",
    )

    def __init__(
        self,
        zone: ZoneInfo | str,
        week: Sequence[OpeningSpan | None],
        *,
        holiday_countries: Iterable[str] = (),
        closed_days: Iterable[date] = (),
        open_days: Iterable[date] = (),
    ) -> None:
        """`week`: seven spans, Monday first; `holiday_countries`: codes like "JP", "US-CA"."""
        self._zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        if len(week) != 7:
            raise ConfigError([("hours", f"a week has 7 days, got {len(week)} spans")])
        for name, span in zip(_DAY_NAMES["en"], week, strict=True):
            if span is not None and span.end <= span.start:
                raise ConfigError([(f"hours.{name.lower()}", "ends before it starts")])
        self._week: tuple[OpeningSpan | None, ...] = tuple(week)
        self._closed = frozenset(closed_days)
        self._open = frozenset(open_days)
        both = sorted(self._closed & self._open)
        if both:
            raise ConfigError(
                [("hours.open", f"{', '.join(map(str, both))} also in hours.closed: choose one")]
            )
        self._default_span = _most_common_span(self._week)
        if self._open and self._default_span is None:
            first = min(self._open)
            raise ConfigError(
                [("hours.open", f"{first} has no hours to open with: no weekday has opening hours")]
            )
        self._countries = tuple(_holiday_source(code) for code in holiday_countries)
        self._holiday_cache: dict[int, dict[date, str]] = {}
        self._opening_cache: dict[date, Opening | None] = {}

    @classmethod
    def from_config(cls, hours: HoursConfig) -> BusinessCalendar:
        """The calendar of `[hours]`."""
        return cls(
            hours.zone,
            hours.week(),
            holiday_countries=hours.holidays,
            closed_days=hours.closed,
            open_days=hours.open,
        )

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    # Queries -----------------------------------------------------------------

    def is_open(self, t: datetime) -> bool:
        """Whether the team is open at `t` (aware, any zone); open at opening, closed at closing."""
        at = _utc(t)
        return self._opening_ending_after(at).start <= at

    def next_opening(self, t: datetime) -> datetime:
        """`t` itself when open, else the next instant the team opens."""
        at = _utc(t)
        return max(at, self._opening_ending_after(at).start).astimezone(self._zone)

    def next_closing(self, t: datetime) -> datetime | None:
        """The next instant after `t` at which the team is closed.

        Days that follow one another without a pause (00:00-24:00 on consecutive
        days) count as one opening. None when the calendar stays open for the whole
        search horizon (`MAX_CLOSED_DAYS`): open around the clock.
        """
        at = _utc(t)
        current = self._opening_ending_after(at)
        end = current.end
        for _ in range(MAX_CLOSED_DAYS):
            following = self._opening(current.day + ONE_DAY)
            if following is None or following.start != end:
                return end.astimezone(self._zone)
            current, end = following, following.end
        return None

    def opening_on(self, day: date) -> Opening | None:
        """The opening of `day` as instants in the calendar's zone, or None when closed all day."""
        opening = self._opening(day)
        if opening is None:
            return None
        return Opening(
            opening.day,
            opening.start.astimezone(self._zone),
            opening.end.astimezone(self._zone),
            opening.span,
        )

    def add(self, t: datetime, duration: BusinessDuration) -> datetime:
        """`t` plus `duration` in business time, in the calendar's zone.

        Days first, then minutes:

        * `days` = N: take s = `next_opening(t)` and its opening day D, and the
          business time p that s lies into D (0 when t was closed). The result is
          the opening of the Nth opening day after D plus p, clamped to that day's
          closing: "3d" from Fri 10:00 is Wed 10:00; "1d" from Fri 19:00 is Tue 09:00.
        * `minutes` = M: the instant at which M minutes of open time have passed
          since t. Time only runs while open, so a closed t starts at the next
          opening. When the last minute is used up exactly at a closing, the result
          is that closing instant (closed itself): 1h from Fri 17:00 is Fri 18:00,
          not Monday's opening. So the result of a positive duration is always open
          or exactly a closing instant.

        A zero duration returns `t` unchanged. Negative parts raise ValueError.
        """
        if duration.days < 0 or duration.minutes < 0:
            raise ValueError(f"business duration {duration} is negative")
        at = _utc(t)
        at = self._add_days(at, duration.days)
        at = self._add_minutes(at, timedelta(minutes=duration.minutes))
        return at.astimezone(self._zone)

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time within [start, end); zero when `end` is not after `start`.

        The measure of first-response and resolution times in reports, and the
        inverse of `add`: `business_time_between(t, add(t, 90m))` is 90 minutes.
        """
        begin, finish = _utc(start), _utc(end)
        total = timedelta()
        if finish <= begin:
            return total
        day = self._local_date(begin) - ONE_DAY
        last = self._local_date(finish) + ONE_DAY
        while day <= last:
            opening = self._opening(day)
            if opening is not None:
                overlap = min(finish, opening.end) - max(begin, opening.start)
                total += max(overlap, timedelta())
            day += ONE_DAY
        return total

    # Reasons -----------------------------------------------------------------

    def closure_reason(self, day: date) -> str | None:
        """Why `day` is closed all day ("Sat", "holiday 2026-11-23 Labor Thanksgiving Day",
        "closed 2026-12-29"), or None when it has opening hours.

        An extra closed date is named before a holiday, and a holiday before the
        weekly closed day it may fall on.
        """
        closure = self._closure(day)
        return None if closure is None else closure.text

    def explain(self, t: datetime) -> str:
        """Why the clock does or does not run at `t`, for `mailgate due` and auto-replies.

        Open: "open: Fri 09:00-18:00". Closed: the reason for t's own day, then each
        holiday or extra closure before the next opening (weekly closed days in
        between go without saying), then when it opens:
        "closed: Sat; holiday 2026-11-23 Labor Thanksgiving Day; opens Tue 09:00".
        The opening shows its date too when it is a week or more away.
        """
        at = _utc(t)
        current = self._opening_ending_after(at)
        if current.start <= at:
            return f"open: {self._day_name(current.day)} {_span_text(current.span, '-')}"
        today = self._local_date(at)
        parts: list[str] = []
        closures: list[tuple[date, _Closure]] = []
        first = self._closure(today)
        if first is None:
            parts.append(self._after_hours(today, at))
        else:
            closures.append((today, first))
        day = today + ONE_DAY
        while day < current.day:
            closure = self._closure(day)
            if closure is not None and closure.kind != "weekly":
                closures.append((day, closure))
            day += ONE_DAY
        parts.extend(_compress_closures(closures))
        opens = current.start.astimezone(self._zone)
        when = self._day_name(opens.date())
        if opens.date() - today >= timedelta(days=7):
            when = f"{when} {opens.date().isoformat()}"
        parts.append(f"opens {when} {opens:%H:%M}")
        return "closed: " + "; ".join(parts)

    def describe_week(self, language: str, at: datetime | None = None) -> str:
        """The weekly hours for a customer: "Mon–Fri 09:00–18:00 JST", "月〜金 9:00〜18:00（JST）".

        Days with equal hours are grouped (runs of consecutive days as ranges).
        The zone is named by its abbreviation at `at`; without `at`, by both of its
        seasonal abbreviations when it has summer time ("CET/CEST"). Languages
        other than "ja" are written in English; "ja-JP" counts as "ja".
        """
        japanese = language.lower().split("-")[0].split("_")[0] == "ja"
        names = _DAY_NAMES["ja" if japanese else "en"]
        groups: dict[OpeningSpan, list[list[int]]] = {}
        for weekday, span in enumerate(self._week):
            if span is None:
                continue
            runs = groups.setdefault(span, [])
            if runs and runs[-1][-1] == weekday - 1:
                runs[-1].append(weekday)
            else:
                runs.append([weekday])
        zone_name = self._zone_abbreviation(at)
        dash, day_separator = ("〜", "・") if japanese else ("–", ", ")
        texts = []
        for span, runs in groups.items():
            label = day_separator.join(
                names[run[0]] if len(run) == 1 else f"{names[run[0]]}{dash}{names[run[-1]]}" for run in runs
            )
            hours = _span_text(span, dash, japanese=japanese)
            texts.append(f"{label} {hours}")
        if japanese:
            body = "、".join(texts) if texts else "定時の営業なし"
            return f"{body}（{zone_name}）"
        body = "; ".join(texts) if texts else "no regular opening hours"
        return f"{body} {zone_name}"

    # Inside ------------------------------------------------------------------

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(self._zone).date()

    def _day_name(self, day: date) -> str:
        return _DAY_NAMES["en"][day.weekday()]

    def _zone_abbreviation(self, at: datetime | None) -> str:
        instants = _SEASON_SAMPLES if at is None else (_utc(at),)
        seen: list[tuple[timedelta, str]] = []
        for instant in instants:
            local = instant.astimezone(self._zone)
            name = local.tzname() or self._zone.key
            if name[:1] in "+-":
                name = f"UTC{name}"
            entry = (local.dst() or timedelta(), name)
            if entry not in seen:
                seen.append(entry)
        return "/".join(name for _, name in sorted(seen))

    def _after_hours(self, today: date, at: datetime) -> str:
        """A closed instant on an opening day: "Fri from 18:00" or "Mon before 09:00"."""
        opening = self._opening(today)
        name = self._day_name(today)
        if opening is None:
            return name
        if at < opening.start:
            return f"{name} before {_clock_text(opening.span.start)}"
        return f"{name} from {_clock_text(opening.span.end)}"

    def _holiday_name(self, day: date) -> str | None:
        if not self._countries:
            return None
        names = self._holiday_cache.get(day.year)
        if names is None:
            names = self._holidays_of(day.year)
            self._holiday_cache[day.year] = names
        return names.get(day)

    def _holidays_of(self, year: int) -> dict[date, str]:
        names: dict[date, list[str]] = {}
        labelled = len(self._countries) > 1
        for country, subdivision, language, label in self._countries:
            found = holidays_package.country_holidays(
                country, subdiv=subdivision, years=year, language=language
            )
            for day, name in found.items():
                text = " / ".join(str(name).split(_PACKAGE_NAME_SEPARATOR))
                names.setdefault(day, []).append(f"{text} ({label})" if labelled else text)
        return {day: ", ".join(texts) for day, texts in names.items()}

    def _span_of(self, day: date) -> OpeningSpan | None:
        if day in self._closed:
            return None
        weekly = self._week[day.weekday()]
        if day in self._open:
            return weekly or self._default_span
        if self._holiday_name(day) is not None:
            return None
        return weekly

    def _closure(self, day: date) -> _Closure | None:
        if day in self._closed:
            return _Closure("closed", f"closed {day.isoformat()}")
        if day in self._open:
            span: OpeningSpan | None = self._span_of(day)
        else:
            holiday = self._holiday_name(day)
            if holiday is not None:
                return _Closure("holiday", f"holiday {day.isoformat()} {holiday}")
            span = self._week[day.weekday()]
        if span is None:
            return _Closure("weekly", self._day_name(day))
        if self._opening(day) is None:
            return _Closure("clock-change", f"no opening {day.isoformat()} (clock change)")
        return None

    def _opening(self, day: date) -> Opening | None:
        if day in self._opening_cache:
            return self._opening_cache[day]
        opening = None
        span = self._span_of(day)
        if span is not None:
            start = self._first_instant_showing(datetime.combine(day, span.start))
            if span.end == time.max:
                end = self._first_instant_showing(datetime.combine(day + ONE_DAY, time()))
            else:
                end = self._first_instant_showing(datetime.combine(day, span.end))
            # A span inside a spring-forward gap (02:00-02:30 on that day) never happens.
            if start < end:
                opening = Opening(day, start, end, span)
        self._opening_cache[day] = opening
        return opening

    def _openings_from(self, day: date) -> Iterator[Opening]:
        """Successive openings from `day` on; raises once `MAX_CLOSED_DAYS` pass without one."""
        closed_run = 0
        while True:
            opening = self._opening(day)
            if opening is None:
                closed_run += 1
                if closed_run > MAX_CLOSED_DAYS:
                    raise ConfigError(
                        [("hours", f"no opening hours in the {MAX_CLOSED_DAYS} days after {day}")]
                    )
            else:
                closed_run = 0
                yield opening
            day += ONE_DAY

    def _opening_ending_after(self, at: datetime) -> Opening:
        # From the day before: in a fall-back at midnight, an instant dated today can
        # still belong to yesterday's opening.
        openings = self._openings_from(self._local_date(at) - ONE_DAY)
        return next(opening for opening in openings if opening.end > at)

    def _first_instant_showing(self, wall: datetime) -> datetime:
        """The first instant (UTC) at which the zone's wall clock shows `wall` or later."""
        earliest = wall.replace(tzinfo=self._zone, fold=0).astimezone(UTC)
        if earliest.astimezone(self._zone).replace(tzinfo=None) == wall:
            # Exists; fold=0 is the first of two occurrences in a fall-back hour.
            return earliest
        # In a spring-forward gap fold=0 maps past the gap and fold=1 before it; the
        # jump lies between, and the jump is when the wall clock first passes `wall`.
        low = wall.replace(tzinfo=self._zone, fold=1).astimezone(UTC)
        high = earliest
        # Halving a gap of hours down to one microsecond takes under 40 steps.
        for _ in range(64):
            if high - low <= timedelta(microseconds=1):
                break
            middle = low + (high - low) // 2
            if middle.astimezone(self._zone).replace(tzinfo=None) >= wall:
                high = middle
            else:
                low = middle
        return high

    def _add_days(self, at: datetime, days: int) -> datetime:
        if days == 0:
            return at
        first = self._opening_ending_after(at)
        into_day = max(at, first.start) - first.start
        for count, opening in enumerate(self._openings_from(first.day + ONE_DAY), start=1):
            if count == days:
                return min(opening.start + into_day, opening.end)
            if opening.day - first.day > timedelta(days=MAX_ADD_DAYS):
                break
        raise ValueError(f"{days} business days reach beyond {MAX_ADD_DAYS} days")

    def _add_minutes(self, at: datetime, remaining: timedelta) -> datetime:
        if not remaining:
            return at
        origin = self._local_date(at)
        for opening in self._openings_from(origin - ONE_DAY):
            if opening.end <= at:
                continue
            start = max(at, opening.start)
            available = opening.end - start
            if remaining <= available:
                return start + remaining
            remaining -= available
            if opening.day - origin > timedelta(days=MAX_ADD_DAYS):
                break
        raise ValueError(f"business duration reaches beyond {MAX_ADD_DAYS} days")


def _utc(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{t.isoformat()} has no time zone; business time needs an aware instant")
    return t.astimezone(UTC)


def _holiday_source(code: str) -> tuple[str, str | None, str | None, str]:
    """(country, subdivision, language, label) for a code like "JP" or "US-CA"."""
    country, _, subdivision = code.partition("-")
    try:
        probe = holidays_package.country_holidays(country, subdiv=subdivision or None)
    except NotImplementedError as exc:
        raise ConfigError([("hours.holidays", f"{code!r} is not known to the holidays package")]) from exc
    # Holiday names reach `mailgate due` and English templates; JP names default to Japanese.
    supported = getattr(probe, "supported_languages", ())
    language = HOLIDAY_NAME_LANGUAGE if HOLIDAY_NAME_LANGUAGE in supported else None
    return country, subdivision or None, language, code


def _most_common_span(week: Sequence[OpeningSpan | None]) -> OpeningSpan | None:
    counts = Counter(span for span in week if span is not None)
    if not counts:
        return None
    # Counter keeps first-seen order among equal counts: ties go to the earlier weekday.
    return counts.most_common(1)[0][0]


def _clock_text(t: time, *, japanese: bool = False) -> str:
    if t == time.max:
        return "24:00"
    return f"{t.hour}:{t.minute:02d}" if japanese else f"{t:%H:%M}"


def _span_text(span: OpeningSpan, dash: str, *, japanese: bool = False) -> str:
    start = _clock_text(span.start, japanese=japanese)
    return f"{start}{dash}{_clock_text(span.end, japanese=japanese)}"


def _compress_closures(closures: list[tuple[date, _Closure]]) -> list[str]:
    """Texts of closures, with runs of extra closed dates as one "closed A to B"."""
    texts: list[str] = []
    run: list[date] = []

    def flush() -> None:
        if len(run) == 1:
            texts.append(f"closed {run[0].isoformat()}")
        elif run:
            texts.append(f"closed {run[0].isoformat()} to {run[-1].isoformat()}")
        run.clear()

    for day, closure in closures:
        if closure.kind == "closed" and (not run or day - run[-1] == ONE_DAY):
            run.append(day)
            continue
        flush()
        if closure.kind == "closed":
            run.append(day)
        else:
            texts.append(closure.text)
    flush()
    return texts


__all__ = ["MAX_CLOSED_DAYS", "BusinessCalendar", "Opening"]
