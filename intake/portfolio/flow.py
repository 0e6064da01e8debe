"""Flow: how long things take and how much moves, now or as of any moment.

Over the twelve calendar months up to and including the moment's month (the city's SLA time
zone decides where months begin), the same window for every figure, so they describe recent
performance and cost the same however long the city's history grows:

- Lead time: calendar days from submit to the first decision, for the problems decided in
  the window, and from submit to launch, for those launched in it (median and 85th
  percentile).
- Throughput: first decisions, launches and closes per calendar month.
- Time in each open state: the days each problem spent in the state within the window (its
  stays added up, clipped at the window's start and at the moment); median and mean over the
  problems that spent time in it. Terminal states are left out: time "in" them only grows.
- Ageing work in progress: per open state at the moment, how many problems are in it and the
  ones that have been in it longest (since they last entered it, however long ago).

All of it comes from the timeline (``problem_timeline``), never the problems' current
columns: the row in force at the moment carries the first submit, decision, launch and close
times seen so far; the rows before it give the stays.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, DateTime, and_, case, func, literal, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from intake.lib.clock import utcnow
from intake.portfolio import labels, schemas
from intake.portfolio.scope import Scope, Timeline, days, moment, row_filters, rows_at
from intake.triage import policy

# States a problem is still moving through (live: launched, outcomes being measured).
OPEN_STATES = (
    "submitted",
    "triage",
    "needs_info",
    "accepted",
    "discovery",
    "delivery",
    "on_hold",
    "live",
)
AGEING_SHOWN = 5
MONTHS = 12
QUANTILES = (0.5, 0.85)


async def flow(session: AsyncSession, scope: Scope) -> schemas.Flow:
    zone = policy.zone(await policy.sla_policy(session))
    start = _window_start(scope.moment, zone)
    to_decision, to_launch, throughput = await _pace(session, scope, start, zone)
    return schemas.Flow(
        as_of=scope.as_of,
        generated_at=utcnow(),
        filters=await labels.filters_out(session, scope),
        window_start=start,
        lead_time_to_decision=to_decision,
        lead_time_to_launch=to_launch,
        time_in_state=await _time_in_state(session, scope, start),
        throughput=throughput,
        ageing=await _ageing(session, scope),
    )


async def _pace(
    session: AsyncSession, scope: Scope, start: datetime, zone: ZoneInfo
) -> tuple[schemas.LeadTime, schemas.LeadTime, list[schemas.MonthThroughput]]:
    """Lead times (one aggregate) and monthly throughput (one grouping set per kind of event,
    hashed), over the snapshot rows with an event in the window."""
    base = (
        rows_at(
            scope,
            Timeline.submitted_at,
            Timeline.decided_at,
            Timeline.launched_at,
            Timeline.closed_at,
        )
        .where(
            Timeline.decided_at.is_not(None),
            func.greatest(Timeline.decided_at, Timeline.launched_at, Timeline.closed_at) >= start,
        )
        .subquery()
    )
    c = base.c
    to_decision = case((c.decided_at >= start, days(c.decided_at - c.submitted_at)))
    to_launch = case((c.launched_at >= start, days(c.launched_at - c.submitted_at)))
    lead = (
        await session.execute(
            select(
                func.count(to_decision),
                func.percentile_cont(array(QUANTILES)).within_group(to_decision),
                func.count(to_launch),
                func.percentile_cont(array(QUANTILES)).within_group(to_launch),
            )
        )
    ).one()

    decided = _month(c.decided_at, start, zone).label("decided")
    launched = _month(c.launched_at, start, zone).label("launched")
    closed = _month(c.closed_at, start, zone).label("closed")
    rows = await session.execute(
        select(
            func.grouping(decided, launched, closed).label("set"),
            decided,
            launched,
            closed,
            func.count().label("n"),
        ).group_by(func.grouping_sets(decided, launched, closed))
    )
    months = {month: [0, 0, 0] for month in _months(scope.moment, zone)}
    # grouping() sets a bit for each column NOT grouped on: 0b011 is "by decided", etc.
    slot = {0b011: (0, "decided"), 0b101: (1, "launched"), 0b110: (2, "closed")}
    row: Any
    for row in rows:
        index, column = slot[row.set]
        month = getattr(row, column)
        if month is not None:  # NULL: before the window, or the event did not happen
            months[f"{month:%Y-%m}"][index] += row.n
    throughput = [
        schemas.MonthThroughput(month=month, decisions=d, launches=la, closes=cl)
        for month, (d, la, cl) in months.items()
    ]
    return _lead_time(lead[0], lead[1]), _lead_time(lead[2], lead[3]), throughput


def _lead_time(count: int, quantiles: list[float] | None) -> schemas.LeadTime:
    median, p85 = quantiles if quantiles else (None, None)
    return schemas.LeadTime(
        count=count, median_days=labels.rounded_days(median), p85_days=labels.rounded_days(p85)
    )


async def _time_in_state(
    session: AsyncSession, scope: Scope, start: datetime
) -> list[schemas.StateTime]:
    """Per open state: each scoped problem's days in it within the window, across problems.

    One pass over the timeline rows that overlap the window (the period index finds them).
    The department and date filters hold for every row of a problem, so rows are filtered
    directly; only the team filter (the team at the moment) needs the snapshot.
    """
    stay = aliased(Timeline, name="stay")
    at, since = moment(scope), literal(start, DateTime(timezone=True))
    if scope.team_id is None:
        in_scope = row_filters(scope, stay)
    else:
        in_scope = [stay.problem_id.in_(rows_at(scope, Timeline.problem_id))]
    period = func.tstzrange(stay.valid_from, stay.valid_to, literal("[)"))
    window = func.tstzrange(since, at, literal("[)"))
    began = func.greatest(stay.valid_from, since)
    ended = func.least(func.coalesce(stay.valid_to, at), at)
    per_problem = (
        select(stay.status, func.sum(days(ended - began)).label("days"))
        .where(period.op("&&")(window), stay.status.in_(OPEN_STATES), *in_scope)
        .group_by(stay.problem_id, stay.status)
        .subquery()
    )
    rows = await session.execute(
        select(
            per_problem.c.status,
            func.count(),
            func.percentile_cont(0.5).within_group(per_problem.c.days),
            func.avg(per_problem.c.days),
        ).group_by(per_problem.c.status)
    )
    found = {row[0]: row for row in rows}
    return [
        schemas.StateTime(
            state=state,
            problems=found[state][1] if state in found else 0,
            median_days=labels.rounded_days(found[state][2]) if state in found else None,
            mean_days=labels.rounded_days(found[state][3]) if state in found else None,
        )
        for state in OPEN_STATES
    ]


def _window_start(at: datetime, zone: ZoneInfo) -> datetime:
    """The first instant of the month ``MONTHS - 1`` months before the moment's month."""
    local = at.astimezone(zone)
    month_index = local.year * 12 + local.month - 1 - (MONTHS - 1)
    start = datetime(month_index // 12, month_index % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC)


def _months(at: datetime, zone: ZoneInfo) -> list[str]:
    local = at.astimezone(zone)
    last = local.year * 12 + local.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(last - MONTHS + 1, last + 1)]


def _month(
    column: ColumnElement[datetime], start: datetime, zone: ZoneInfo
) -> ColumnElement[datetime]:
    """The month (its first day, on the city's calendar) of a timestamp in the window."""
    return case((column >= start, func.date_trunc("month", func.timezone(zone.key, column))))


async def _ageing(session: AsyncSession, scope: Scope) -> list[schemas.AgeingState]:
    """Per open state: how many are in it, and the ones in it longest.

    A problem entered its current state when the last earlier timeline row with another
    state ended (rows also change for score, team and clock changes, so the current row's
    own start is not enough); one index probe per open problem.
    """
    earlier = aliased(Timeline, name="earlier")
    entered = (
        select(func.max(earlier.valid_to))
        .where(
            and_(
                earlier.problem_id == Timeline.problem_id,
                earlier.valid_from < Timeline.valid_from,
                earlier.status != Timeline.status,
            )
        )
        .scalar_subquery()
    )
    open_now = (
        rows_at(
            scope,
            Timeline.problem_id,
            Timeline.status,
            Timeline.team_id,
            func.coalesce(entered, Timeline.valid_from).label("since"),
        )
        .where(Timeline.status.in_(OPEN_STATES))
        .subquery()
    )
    ranked = select(
        open_now,
        func.count().over(partition_by=open_now.c.status).label("in_state"),
        func.row_number()
        .over(
            partition_by=open_now.c.status,
            order_by=(open_now.c.since, open_now.c.problem_id),
        )
        .label("rank"),
    ).subquery()
    oldest_first = select(ranked).where(ranked.c.rank <= AGEING_SHOWN).subquery()
    rows = await session.execute(labels.labelled(oldest_first).order_by(oldest_first.c.rank))
    counts: dict[str, int] = {}
    oldest: dict[str, list[schemas.AgeingItem]] = {state: [] for state in OPEN_STATES}
    for row in rows:
        counts[row.status] = row.in_state
        oldest[row.status].append(
            schemas.AgeingItem(
                problem=labels.problem_out(row),
                in_state_since=row.since,
                days_in_state=round((scope.moment - row.since).total_seconds() / 86400, 1),
            )
        )
    return [
        schemas.AgeingState(state=state, count=counts.get(state, 0), oldest=oldest[state])
        for state in OPEN_STATES
    ]
