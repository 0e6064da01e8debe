"""SLA clocks in business days: weekends, holidays, needs_info pauses and DST, in New York."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.triage.sla.business_time import (
    Calendar,
    Pause,
    business_time_elapsed,
    calendar_of,
    clock,
    due_at,
)

NY = ZoneInfo("America/New_York")
THANKSGIVING = date(2026, 11, 26)  # a Thursday
CITY = Calendar(NY, frozenset({THANKSGIVING, date(2026, 12, 25)}))
NO_HOLIDAYS = Calendar(NY)


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NY)


# -- the calendar ---------------------------------------------------------------------------


def test_business_days_are_weekdays_that_are_not_holidays() -> None:
    assert CITY.is_business_day(date(2026, 11, 25))  # Wednesday
    assert not CITY.is_business_day(THANKSGIVING)
    assert not CITY.is_business_day(date(2026, 11, 28))  # Saturday
    assert not CITY.is_business_day(date(2026, 11, 29))  # Sunday
    assert NO_HOLIDAYS.is_business_day(THANKSGIVING)


# -- due times ------------------------------------------------------------------------------


def test_friday_afternoon_submission_is_due_wednesday_at_the_same_time() -> None:
    due = due_at(ny(2026, 11, 6, 15), 3, CITY)  # Friday 15:00

    assert due == ny(2026, 11, 11, 15)  # Wednesday 15:00
    assert due is not None
    assert due.tzinfo is UTC
    assert due == datetime(2026, 11, 11, 20, tzinfo=UTC)


def test_weekend_is_skipped() -> None:
    assert due_at(ny(2026, 11, 5, 10), 2, CITY) == ny(2026, 11, 9, 10)  # Thu -> Mon
    assert due_at(ny(2026, 11, 2, 9), 10, CITY) == ny(2026, 11, 16, 9)  # Mon -> Mon, 2 weeks


def test_thanksgiving_in_the_middle_pushes_due_by_a_day() -> None:
    tuesday = ny(2026, 11, 24, 9)

    assert due_at(tuesday, 3, NO_HOLIDAYS) == ny(2026, 11, 27, 9)  # Friday
    assert due_at(tuesday, 3, CITY) == ny(2026, 11, 30, 9)  # Monday


def test_thanksgiving_and_the_day_after_push_due_by_two_days() -> None:
    calendar = Calendar(NY, frozenset({THANKSGIVING, date(2026, 11, 27)}))

    assert due_at(ny(2026, 11, 24, 9), 3, calendar) == ny(2026, 12, 1, 9)  # Tuesday


def test_holiday_on_a_weekend_changes_nothing() -> None:
    calendar = Calendar(NY, frozenset({date(2026, 11, 7)}))  # a Saturday

    assert due_at(ny(2026, 11, 6, 15), 3, calendar) == ny(2026, 11, 11, 15)


def test_saturday_submission_counts_from_monday_midnight() -> None:
    saturday = ny(2026, 11, 7, 14)

    # Monday, Tuesday and Wednesday in full: due at the end of Wednesday.
    assert due_at(saturday, 3, CITY) == ny(2026, 11, 12, 0)
    assert business_time_elapsed(saturday, ny(2026, 11, 9, 12), CITY) == 0.5


def test_submission_on_a_holiday_counts_from_the_next_business_day() -> None:
    assert due_at(ny(2026, 11, 26, 10), 1, CITY) == ny(2026, 11, 28, 0)  # end of Friday


def test_target_reached_at_the_end_of_friday_is_due_saturday_midnight_not_monday() -> None:
    due = due_at(ny(2026, 11, 4, 0), 3, CITY)  # Wednesday 00:00

    assert due == ny(2026, 11, 7, 0)
    # Responding on Saturday is late even though no business time passed since Friday's end.
    late = clock(started_at=ny(2026, 11, 4), target_days=3, calendar=CITY, now=ny(2026, 11, 7, 10))
    assert late.breached
    assert late.elapsed_business_days == 3.0


def test_target_zero_is_due_at_start() -> None:
    assert due_at(ny(2026, 11, 4, 9, 30), 0, CITY) == ny(2026, 11, 4, 9, 30)
    assert due_at(ny(2026, 11, 7, 14), 0, CITY) == ny(2026, 11, 7, 14)  # Saturday


def test_negative_target_is_rejected() -> None:
    with pytest.raises(ValueError, match="target_days"):
        due_at(ny(2026, 11, 4, 9), -1, CITY)
    with pytest.raises(ValueError, match="target_days"):
        clock(started_at=ny(2026, 11, 4, 9), target_days=-1, calendar=CITY, now=ny(2026, 11, 5))


# -- pauses ---------------------------------------------------------------------------------


def test_needs_info_pause_of_two_business_days_pushes_due_by_two_business_days() -> None:
    start = ny(2026, 11, 2, 9)  # Monday 09:00, due Thursday 09:00 without the pause
    needs_info = Pause(ny(2026, 11, 3, 9), ny(2026, 11, 5, 9))  # Tuesday 09:00 to Thursday 09:00

    assert due_at(start, 3, CITY) == ny(2026, 11, 5, 9)
    assert due_at(start, 3, CITY, [needs_info]) == ny(2026, 11, 9, 9)  # Monday 09:00


def test_pause_over_a_weekend_pushes_only_by_its_business_part() -> None:
    start = ny(2026, 11, 4, 9)  # Wednesday 09:00, due Monday 09:00 without the pause
    friday_noon_to_monday_noon = Pause(ny(2026, 11, 6, 12), ny(2026, 11, 9, 12))

    assert due_at(start, 3, CITY) == ny(2026, 11, 9, 9)
    assert due_at(start, 3, CITY, [friday_noon_to_monday_noon]) == ny(2026, 11, 10, 9)


def test_pause_entirely_on_a_weekend_changes_nothing() -> None:
    weekend = Pause(ny(2026, 11, 7, 10), ny(2026, 11, 8, 18))

    assert due_at(ny(2026, 11, 6, 15), 3, CITY, [weekend]) == ny(2026, 11, 11, 15)


def test_pause_before_the_clock_started_changes_nothing() -> None:
    earlier = Pause(ny(2026, 11, 2, 9), ny(2026, 11, 4, 9))

    assert due_at(ny(2026, 11, 4, 9), 1, CITY, [earlier]) == ny(2026, 11, 5, 9)


def test_open_pause_gives_no_due_time_and_a_paused_clock() -> None:
    start = ny(2026, 11, 2, 9)
    waiting = Pause(ny(2026, 11, 3, 15), None)  # needs_info since Tuesday 15:00

    assert due_at(start, 3, CITY, [waiting]) is None
    sla = clock(
        started_at=start, target_days=3, calendar=CITY, now=ny(2026, 11, 20), pauses=[waiting]
    )
    assert sla.due_at is None
    assert sla.paused
    assert not sla.breached
    assert sla.elapsed_business_days == 1.25  # frozen at Tuesday 15:00


def test_open_pause_after_the_target_was_reached_keeps_the_breach() -> None:
    start = ny(2026, 11, 2, 9)
    waiting = Pause(ny(2026, 11, 6, 9), None)  # asked for info on Friday, a day late

    sla = clock(
        started_at=start, target_days=3, calendar=CITY, now=ny(2026, 11, 9), pauses=[waiting]
    )
    assert sla.due_at == ny(2026, 11, 5, 9)
    assert sla.paused
    assert sla.breached
    assert sla.elapsed_business_days == 4.0


def test_overlapping_pauses_are_counted_once() -> None:
    start = ny(2026, 11, 2, 9)  # Monday 09:00
    pauses = [
        Pause(ny(2026, 11, 3, 9), ny(2026, 11, 4, 9)),  # Tuesday 09:00 to Wednesday 09:00
        Pause(ny(2026, 11, 3, 21), ny(2026, 11, 5, 9)),  # Tuesday 21:00 to Thursday 09:00
        Pause(ny(2026, 11, 4, 0), ny(2026, 11, 4, 6)),  # inside both
        Pause(ny(2026, 11, 3, 9), ny(2026, 11, 4, 9)),  # recorded twice
    ]

    assert business_time_elapsed(start, ny(2026, 11, 6, 9), CITY, pauses) == 2.0
    assert due_at(start, 3, CITY, pauses) == ny(2026, 11, 9, 9)


def test_back_to_back_pauses_add_up() -> None:
    start = ny(2026, 11, 2, 9)
    pauses = [
        Pause(ny(2026, 11, 3, 9), ny(2026, 11, 3, 21)),
        Pause(ny(2026, 11, 3, 21), ny(2026, 11, 4, 9)),
        Pause(ny(2026, 11, 4, 12), ny(2026, 11, 4, 18)),
    ]

    assert business_time_elapsed(start, ny(2026, 11, 5, 9), CITY, pauses) == 1.75
    assert due_at(start, 3, CITY, pauses) == ny(2026, 11, 6, 15)


def test_pause_in_another_time_zone() -> None:
    tuesday_9_to_wednesday_9 = Pause(
        datetime(2026, 11, 3, 14, tzinfo=UTC), datetime(2026, 11, 4, 14, tzinfo=UTC)
    )

    assert due_at(ny(2026, 11, 2, 9), 3, CITY, [tuesday_9_to_wednesday_9]) == ny(2026, 11, 6, 9)


# -- elapsed business time ------------------------------------------------------------------


def test_elapsed_business_days() -> None:
    assert business_time_elapsed(ny(2026, 11, 6, 15), ny(2026, 11, 9, 9), CITY) == 0.75
    assert business_time_elapsed(ny(2026, 11, 2), ny(2026, 11, 7), CITY) == 5.0  # a full week
    assert business_time_elapsed(ny(2026, 11, 2), ny(2026, 11, 9), CITY) == 5.0  # + weekend
    assert business_time_elapsed(ny(2026, 11, 23), ny(2026, 11, 30), CITY) == 4.0  # Thanksgiving
    assert business_time_elapsed(ny(2026, 11, 7), ny(2026, 11, 9), CITY) == 0.0  # weekend only


def test_end_at_or_before_start_elapses_nothing() -> None:
    assert business_time_elapsed(ny(2026, 11, 4, 9), ny(2026, 11, 4, 9), CITY) == 0.0
    assert business_time_elapsed(ny(2026, 11, 4, 9), ny(2026, 11, 3, 9), CITY) == 0.0


# -- clocks ---------------------------------------------------------------------------------


def test_clock_met_before_due_is_not_breached() -> None:
    sla = clock(
        started_at=ny(2026, 11, 6, 15),
        target_days=3,
        calendar=CITY,
        now=ny(2026, 11, 20),
        stopped_at=ny(2026, 11, 9, 11),  # answered Monday 11:00
    )

    assert sla.due_at == ny(2026, 11, 11, 15)
    assert sla.stopped_at == ny(2026, 11, 9, 11)
    assert sla.elapsed_business_days == 0.83  # 0.375 Friday + 0.458 Monday
    assert not sla.breached
    assert not sla.paused


def test_clock_met_after_due_is_breached() -> None:
    sla = clock(
        started_at=ny(2026, 11, 6, 15),
        target_days=3,
        calendar=CITY,
        now=ny(2026, 11, 20),
        stopped_at=ny(2026, 11, 12, 9),  # answered Thursday 09:00
    )

    assert sla.breached
    assert sla.elapsed_business_days == 3.75


def test_running_clock_is_breached_only_after_due() -> None:
    def at(now: datetime) -> bool:
        return clock(started_at=ny(2026, 11, 6, 15), target_days=3, calendar=CITY, now=now).breached

    assert not at(ny(2026, 11, 11, 14, 59))
    assert not at(ny(2026, 11, 11, 15))  # exactly due
    assert at(ny(2026, 11, 11, 15, 1))


def test_running_clock_reports_what_a_triager_sees() -> None:
    sla = clock(
        started_at=ny(2026, 11, 6, 15), target_days=3, calendar=CITY, now=ny(2026, 11, 10, 8)
    )

    assert sla.target_days == 3
    assert sla.started_at == datetime(2026, 11, 6, 20, tzinfo=UTC)
    assert sla.started_at.tzinfo is UTC
    assert sla.due_at == ny(2026, 11, 11, 15)
    assert sla.stopped_at is None
    assert sla.elapsed_business_days == 1.71  # 0.375 + 1 + 0.333
    assert not sla.paused
    assert not sla.breached


def test_stopped_clock_ignores_pauses_after_the_stop() -> None:
    sla = clock(
        started_at=ny(2026, 11, 2, 9),
        target_days=3,
        calendar=CITY,
        now=ny(2026, 11, 20),
        stopped_at=ny(2026, 11, 3, 9),
        pauses=[Pause(ny(2026, 11, 2, 21), None), Pause(ny(2026, 11, 4, 9), None)],
    )

    # The pause open at the stop counts up to the stop: 12 hours, half a business day.
    assert sla.due_at == ny(2026, 11, 5, 21)
    assert sla.elapsed_business_days == 0.5
    assert not sla.paused
    assert not sla.breached


def test_clock_before_it_started_has_elapsed_nothing() -> None:
    sla = clock(started_at=ny(2026, 11, 6, 15), target_days=3, calendar=CITY, now=ny(2026, 11, 6))

    assert sla.elapsed_business_days == 0.0
    assert not sla.breached


def test_stop_before_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="stopped_at"):
        clock(
            started_at=ny(2026, 11, 6, 15),
            target_days=3,
            calendar=CITY,
            now=ny(2026, 11, 9),
            stopped_at=ny(2026, 11, 6, 14),
        )


# -- daylight saving time -------------------------------------------------------------------


def test_dst_end_week_in_new_york_keeps_the_local_due_time() -> None:
    # Clocks fall back on Sunday 2026-11-01: 15:00 is 19:00 UTC on Friday, 20:00 UTC on Wednesday.
    due = due_at(ny(2026, 10, 30, 15), 3, CITY)

    assert due == datetime(2026, 11, 4, 20, tzinfo=UTC)
    assert due is not None
    assert due.astimezone(NY).hour == 15


def test_dst_start_week_in_new_york_keeps_the_local_due_time() -> None:
    # Clocks spring forward on Sunday 2026-03-08.
    assert due_at(ny(2026, 3, 6, 15), 3, CITY) == datetime(2026, 3, 11, 19, tzinfo=UTC)


def test_pause_across_the_dst_weekend() -> None:
    pause = Pause(ny(2026, 10, 30, 12), ny(2026, 11, 2, 12))  # Friday noon to Monday noon

    assert due_at(ny(2026, 10, 29, 9), 2, CITY, [pause]) == ny(2026, 11, 3, 9)


def test_a_25_hour_business_day_counts_as_one() -> None:
    # Cairo falls back at the end of Thursday 2026-10-29: 23:00-24:00 happens twice.
    cairo = Calendar(ZoneInfo("Africa/Cairo"))
    thursday = datetime(2026, 10, 29, tzinfo=cairo.tz)

    noon_and_a_half = datetime(2026, 10, 29, 12, 30, tzinfo=cairo.tz)  # 12.5 of 25 hours
    assert business_time_elapsed(thursday, noon_and_a_half, cairo) == 0.5
    due = due_at(thursday, 1, cairo)
    assert due == datetime(2026, 10, 29, 22, tzinfo=UTC)  # Friday 00:00 local, 25 hours later
    assert due is not None
    assert due - thursday == timedelta(hours=25)


def test_a_23_hour_business_day_without_a_midnight_counts_as_one() -> None:
    # Cairo springs forward at the start of Friday 2026-04-24: 00:00 jumps to 01:00.
    cairo = Calendar(ZoneInfo("Africa/Cairo"))
    friday_start = datetime(2026, 4, 23, 22, tzinfo=UTC)

    assert due_at(datetime(2026, 4, 23, tzinfo=cairo.tz), 1, cairo) == friday_start
    assert due_at(friday_start, 1, cairo) == datetime(2026, 4, 24, 21, tzinfo=UTC)  # 23h
    noon = datetime(2026, 4, 24, 12, tzinfo=cairo.tz)  # 11 real hours into the day
    assert business_time_elapsed(friday_start, noon, cairo) == pytest.approx(11 / 23)


# -- validation -----------------------------------------------------------------------------


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 11, 6, 15)
    aware = ny(2026, 11, 6, 15)

    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(naive, 3, CITY)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_time_elapsed(aware, naive, CITY)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock(started_at=aware, target_days=3, calendar=CITY, now=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock(started_at=aware, target_days=3, calendar=CITY, now=aware, stopped_at=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        Pause(naive, None)
    with pytest.raises(ValueError, match="timezone-aware"):
        Pause(aware, naive)


def test_pause_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="pause end"):
        Pause(ny(2026, 11, 6, 15), ny(2026, 11, 6, 14))


# -- consistency ----------------------------------------------------------------------------


def _elapsed_day_by_day(start: datetime, end: datetime, calendar: Calendar) -> float:
    """A slow, obvious reference: walk local dates and add each business day's share."""
    total, day = 0.0, start.astimezone(calendar.tz).date()
    while day <= end.astimezone(calendar.tz).date():
        begin = datetime.combine(day, datetime.min.time(), calendar.tz).astimezone(UTC)
        after = datetime.combine(day + timedelta(days=1), datetime.min.time(), calendar.tz)
        finish = after.astimezone(UTC)
        overlap = min(end, finish) - max(start, begin)
        if calendar.is_business_day(day) and overlap > timedelta(0):
            total += overlap / (finish - begin)
        day += timedelta(days=1)
    return total


@pytest.mark.parametrize("target", [1, 3, 10, 260])
@pytest.mark.parametrize(
    "start",
    [ny(2026, 10, 30, 15), ny(2026, 11, 7, 14), ny(2026, 11, 25, 23, 59), ny(2026, 3, 6, 8)],
)
def test_due_time_is_exactly_when_elapsed_reaches_the_target(start: datetime, target: int) -> None:
    pauses = [Pause(start + timedelta(days=1, hours=3), start + timedelta(days=4, hours=1))]
    due = due_at(start, target, CITY, pauses)

    assert due is not None
    assert business_time_elapsed(start, due, CITY, pauses) == target
    assert business_time_elapsed(start, due - timedelta(seconds=1), CITY, pauses) < target
    plain_due = due_at(start, target, CITY)
    assert plain_due is not None
    assert _elapsed_day_by_day(start, plain_due, CITY) == pytest.approx(target)


def test_spans_of_years_with_many_holidays() -> None:
    # Every first of the month a holiday, over ten years: still exact.
    holidays = frozenset(date(y, m, 1) for y in range(2026, 2036) for m in range(1, 13))
    calendar = Calendar(NY, holidays)
    start = ny(2026, 1, 5, 9)

    due = due_at(start, 2000, calendar)
    assert due is not None
    assert business_time_elapsed(start, due, calendar) == 2000
    assert _elapsed_day_by_day(start, due, calendar) == pytest.approx(2000)
    assert due.astimezone(NY).hour == 9


def test_equal_calendars_are_one_object_so_each_process_keeps_one_copy() -> None:
    # Settings are read afresh on every request; the clocks' memory of positions holds its
    # calendar, so equal calendars must be one object or that memory holds thousands.
    chicago = ZoneInfo("America/Chicago")
    first = calendar_of(chicago, frozenset({date(2026, 12, 25), date(2027, 1, 1)}))
    again = calendar_of(chicago, frozenset([date(2027, 1, 1), date(2026, 12, 25)]))
    assert again is first
    assert calendar_of(chicago, frozenset({date(2026, 12, 25)})) is not first
