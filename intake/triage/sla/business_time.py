"""SLA clocks in business days on the city's holiday calendar, paused while we wait on someone.

Business time runs continuously, but only on business days: a business day's local
[00:00, next 00:00) counts as exactly 1.0 whatever its real length (23h or 25h across a DST
change); weekends and holidays count nothing. Pure: callers pass the calendar, pauses and now.

How: every instant has a *position*, the number of business days before it (whole business
days before its local date, plus the elapsed fraction of that date if it is a business day).
Positions never decrease, so elapsed time is a difference of positions and a due time is the
earliest instant at a position. Positions are exact fractions, so due times land on the exact
microsecond and "end of Friday" is never blurred into "Monday 00:00" by float rounding.

Cost: counting business days before a date is O(1) for weekdays plus O(log H) for H holidays,
so each function is O(P log P + P log H) for P pauses, whatever the span's length (finding
the n-th business day adds an O(log H) step per run of consecutive holidays crossed).
Positions and day spans are pure functions of the calendar and the instant, so each process
remembers the most recent ones: a queue page asks for the same "now", due times and submit
times again and again (two clocks per row, the same rows on every poll). Build calendars with
``calendar_of`` so that memory holds one calendar, not one per request.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Calendar:
    """Business days: Monday-Friday in the city's time zone, minus holidays."""

    tz: ZoneInfo
    holidays: frozenset[date] = frozenset()
    # Holidays on a Monday-Friday, sorted: the only ones that change a count of business days.
    _weekday_holidays: tuple[date, ...] = field(init=False, repr=False, compare=False)

    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        holidays = frozenset(self.holidays)
        weekday_holidays = tuple(sorted(day for day in holidays if day.weekday() < 5))
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_weekday_holidays", weekday_holidays)
        object.__setattr__(self, "_hash", hash((self.tz, holidays)))

    def __hash__(self) -> int:  # once: every cached position's key holds the calendar
        return self._hash

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays


@functools.lru_cache(maxsize=8)
def calendar_of(tz: ZoneInfo, holidays: frozenset[date]) -> Calendar:
    """The one ``Calendar`` for these settings in this process.

    Callers build the holidays afresh on every read of the settings; equal calendars being
    one object keeps one copy of them in the position memory below (whose keys hold the
    calendar), and lets a hit there compare calendars by identity.
    """
    return Calendar(tz=tz, holidays=holidays)


@dataclass(frozen=True, slots=True)
class Pause:
    """A span when the clock stops, e.g. while a problem waits in needs_info."""

    start: datetime
    end: datetime | None  # None: still paused

    def __post_init__(self) -> None:
        start = _utc(self.start, "pause start")
        if self.end is not None and _utc(self.end, "pause end") < start:
            raise ValueError("pause end must not be before its start")


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One SLA clock as a triager sees it; all datetimes in UTC."""

    target_days: int
    started_at: datetime
    due_at: datetime | None  # None while paused indefinitely
    stopped_at: datetime | None  # when the clock was met; None if still running
    elapsed_business_days: float  # up to stopped_at or now, excluding pauses, 2 decimals
    paused: bool  # a pause covers now (never for a stopped clock)
    breached: bool  # stopped after due_at, or still running and now > due_at


def business_time_elapsed(
    start: datetime, end: datetime, calendar: Calendar, pauses: Sequence[Pause] = ()
) -> float:
    """Business days (1.0 = one whole business day) from start to end, outside pauses.

    Time only runs forward: an end at or before start gives 0.0.
    """
    start, end = _utc(start, "start"), _utc(end, "end")
    if end <= start:
        return 0.0
    # Exact, as positions are, on plain integers: (numerator, denominator) pairs, since a
    # queue page computes this twice a row and Fraction arithmetic was most of its cost.
    # int / int is correctly rounded, so the float is float() of the same exact fraction.
    numerator, denominator = _span(calendar, start, end)
    if pauses:
        for pause_start, pause_end in _merged_pauses(pauses, start):
            if pause_start >= end:
                break
            stop = end if pause_end is None else min(pause_end, end)
            paused, over = _span(calendar, pause_start, stop)
            numerator, denominator = numerator * over - paused * denominator, denominator * over
    return numerator / denominator


def due_at(
    start: datetime, target_days: int, calendar: Calendar, pauses: Sequence[Pause] = ()
) -> datetime | None:
    """The earliest moment business_time_elapsed(start, moment, ...) reaches target_days, in UTC.

    None when an open pause begins before the target is reached. A target reached at the end
    of a business day is due at the next local midnight (Friday's end is Saturday 00:00), and
    a target of 0 is due at start.
    """
    start = _utc(start, "start")
    if target_days < 0:
        raise ValueError(f"target_days must be >= 0, got {target_days}")
    cursor, remaining = start, Fraction(target_days)
    for pause_start, pause_end in _merged_pauses(pauses, start):
        available = _position(calendar, pause_start) - _position(calendar, cursor)
        if remaining <= available:
            break
        remaining -= available
        if pause_end is None:
            return None
        cursor = pause_end
    return _moment_at(calendar, _position(calendar, cursor) + remaining, cursor)


def clock(
    *,
    started_at: datetime,
    target_days: int,
    calendar: Calendar,
    now: datetime,
    stopped_at: datetime | None = None,
    pauses: Sequence[Pause] = (),
) -> SlaClock:
    """The state of one SLA clock at ``now``."""
    started, now = _utc(started_at, "started_at"), _utc(now, "now")
    stopped = None if stopped_at is None else _utc(stopped_at, "stopped_at")
    if stopped is not None:
        if stopped < started:
            raise ValueError("stopped_at must not be before started_at")
        # Once the clock is met, later pauses no longer matter and an open one ends with it.
        pauses = [
            Pause(p.start, stopped if p.end is None or p.end > stopped else p.end)
            for p in pauses
            if p.start < stopped
        ]
    due = due_at(started, target_days, calendar, pauses)
    until = now if stopped is None else stopped
    return SlaClock(
        target_days=target_days,
        started_at=started,
        due_at=due,
        stopped_at=stopped,
        elapsed_business_days=round(business_time_elapsed(started, until, calendar, pauses), 2),
        paused=stopped is None
        and any(p.start <= now and (p.end is None or now < p.end) for p in pauses),
        breached=due is not None and until > due,
    )


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is UTC:  # as the database hands them out: nothing to check or convert
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment.isoformat()}")
    return moment.astimezone(UTC)


def _merged_pauses(
    pauses: Sequence[Pause], start: datetime
) -> list[tuple[datetime, datetime | None]]:
    """Pauses from start on, in UTC, sorted, overlaps merged (so none is counted twice)."""
    spans = sorted(
        (
            (max(_utc(p.start, "pause start"), start), None if p.end is None else _utc(p.end, ""))
            for p in pauses
            if p.end is None or p.end > start
        ),
        key=lambda span: span[0],
    )
    merged: list[tuple[datetime, datetime | None]] = []
    for span_start, span_end in spans:
        if merged and (merged[-1][1] is None or span_start <= merged[-1][1]):
            last_start, last_end = merged[-1]
            end = None if last_end is None or span_end is None else max(last_end, span_end)
            merged[-1] = (last_start, end)
        else:
            merged.append((span_start, span_end))
    return merged


@functools.lru_cache(maxsize=16_384)
def _position(calendar: Calendar, moment: datetime) -> Fraction:
    """Business days before moment, counted from 0001-01-01."""
    day = moment.astimezone(calendar.tz).date()
    before = Fraction(_business_days_before(calendar, day))
    if not calendar.is_business_day(day):
        return before
    start, length = _day_span(calendar, day)
    return before + Fraction((moment - start) // _MICROSECOND, length)


def _span(calendar: Calendar, start: datetime, end: datetime) -> tuple[int, int]:
    """``_position(end) - _position(start)`` as a numerator and a denominator."""
    before, length = _position_parts(calendar, start)
    after, over = _position_parts(calendar, end)
    if length == over:
        return after - before, length
    return after * length - before * over, length * over


@functools.lru_cache(maxsize=16_384)
def _position_parts(calendar: Calendar, moment: datetime) -> tuple[int, int]:
    """``_position`` as a numerator over the length of its day in microseconds (1 when the
    day is not a business day), unreduced."""
    day = moment.astimezone(calendar.tz).date()
    before = _business_days_before(calendar, day)
    if not calendar.is_business_day(day):
        return before, 1
    start, length = _day_span(calendar, day)
    return before * length + (moment - start) // _MICROSECOND, length


def _moment_at(calendar: Calendar, position: Fraction, not_before: datetime) -> datetime:
    """The earliest instant from not_before on at position (not_before's or later)."""
    if position <= _position(calendar, not_before):
        return not_before
    index = math.ceil(position) - 1  # the business day in which position is reached
    day = _nth_business_day(calendar, index, not_before.astimezone(calendar.tz).date())
    start, length = _day_span(calendar, day)
    return start + round((position - index) * length) * _MICROSECOND


def _day_span(calendar: Calendar, day: date) -> tuple[datetime, int]:
    """When a local date begins (UTC) and its length in microseconds (23h or 25h over DST)."""
    return _zone_day_span(calendar.tz, day)


@functools.lru_cache(maxsize=4096)
def _zone_day_span(tz: ZoneInfo, day: date) -> tuple[datetime, int]:
    start = _day_start(tz, day)
    return start, (_day_start(tz, day + timedelta(days=1)) - start) // _MICROSECOND


def _day_start(tz: ZoneInfo, day: date) -> datetime:
    # Where DST skips midnight, fold=0 resolves 00:00 to the instant the gap begins.
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _weekdays_before(day: date) -> int:
    """Monday-Friday dates from 0001-01-01 (a Monday) up to, not including, day."""
    weeks, extra = divmod(day.toordinal() - 1, 7)
    return weeks * 5 + min(extra, 5)


def _business_days_before(calendar: Calendar, day: date) -> int:
    return _weekdays_before(day) - bisect.bisect_left(calendar._weekday_holidays, day)


def _nth_business_day(calendar: Calendar, index: int, not_before: date) -> date:
    """The business day with index business days before it, at or after not_before."""
    holidays = calendar._weekday_holidays
    needed = index - _business_days_before(calendar, not_before) + 1
    day = not_before - timedelta(days=1)
    while needed > 0:
        reached = _add_weekdays(day, needed)
        # Holidays among the weekdays just passed were not business days: go on for that many.
        needed = bisect.bisect_right(holidays, reached) - bisect.bisect_right(holidays, day)
        day = reached
    return day


def _add_weekdays(day: date, count: int) -> date:
    """The count-th Monday-Friday date after day (count >= 1)."""
    if day.weekday() > 4:  # from a weekend, count as if from the Friday before
        day -= timedelta(days=day.weekday() - 4)
    weeks, extra = divmod(count, 5)
    reached = day + timedelta(weeks=weeks, days=extra)
    return reached + timedelta(days=2) if day.weekday() + extra > 4 else reached
