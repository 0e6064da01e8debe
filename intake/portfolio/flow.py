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
columns: the rows each first decision, launch and close began give the lead times and the
throughput; the rows that end stays give the time in each state; the row in force at the
moment says when its stay in the current state began.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Double,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from intake.db import models
from intake.portfolio import labels, schemas
from intake.portfolio.scope import (
    Scope,
    Timeline,
    first_of_each,
    moment,
    row_filters,
    rows_at,
    valid_until,
)
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
        **await labels.heading(session, scope),
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
    """Lead times (one aggregate) and monthly throughput (one grouping by month), over the
    milestones in the window: the rows each problem's first decision, launch and close
    began (``ix_problem_timeline_milestones``, index-only), each at most once, so neither
    reads the snapshot nor groups by problem.

    The same problems as the snapshot's rows at the moment with a milestone in the window:
    a decided problem is in every later snapshot, and its first decision, launch and close
    never change once they happened.
    """
    decision = Timeline.valid_from == Timeline.decided_at
    launch = Timeline.valid_from == Timeline.launched_at
    close = Timeline.valid_from == Timeline.closed_at
    in_window = [
        # The index's own predicate, word for word, so the planner can use the index.
        and_(text(models.MILESTONE_ROWS)),
        Timeline.valid_from >= start,
        *_up_to(scope),
        *_problems_in_scope(scope, Timeline),
    ]
    lead_seconds = seconds(Timeline.valid_from - Timeline.submitted_at)
    lead = (
        await session.execute(
            select(
                func.count().filter(decision),
                func.percentile_cont(array(QUANTILES)).within_group(case((decision, lead_seconds))),
                func.count().filter(launch),
                func.percentile_cont(array(QUANTILES)).within_group(case((launch, lead_seconds))),
            ).where(*in_window)
        )
    ).one()

    # Each milestone's month in the window as a bucket number (1 = the window's first month).
    month_starts = _month_starts(scope.moment, zone)
    month = func.width_bucket(
        Timeline.valid_from, literal(month_starts, ARRAY(DateTime(timezone=True)))
    ).label("month")
    rows = await session.execute(
        select(
            month,
            func.count().filter(decision).label("decisions"),
            func.count().filter(launch).label("launches"),
            func.count().filter(close).label("closes"),
        )
        .where(*in_window)
        .group_by(month)
    )
    counts = {row.month: (row.decisions, row.launches, row.closes) for row in rows}
    throughput = []
    for index, name in enumerate(_months(scope.moment, zone), start=1):
        decisions, launches, closes = counts.get(index, (0, 0, 0))
        throughput.append(
            schemas.MonthThroughput(
                month=name, decisions=decisions, launches=launches, closes=closes
            )
        )
    return _lead_time(lead[0], lead[1]), _lead_time(lead[2], lead[3]), throughput


def _up_to(scope: Scope) -> list[ColumnElement[bool]]:
    """Milestones by the moment, as the snapshot has them. Now is the current rows, however
    late their events are stamped: history is stamped by the database's clock, which may be
    ahead of this process's ``utcnow`` (another host), and a decision just recorded still
    counts, as it does in every other view of now."""
    return [] if scope.as_of is None else [Timeline.valid_from <= scope.as_of]


def _problems_in_scope(scope: Scope, row: Any) -> list[ColumnElement[bool]]:
    """The scope's filters on any of a problem's rows (``row``), not only the snapshot's.

    The department and the submit date are the same on every row of a problem, so they
    filter the row itself; the team filter means the team at the moment, which only the
    snapshot knows.
    """
    if scope.team_id is None:
        return row_filters(scope, row)
    return [row.submitted_at.is_not(None), row.problem_id.in_(rows_at(scope, Timeline.problem_id))]


def _lead_time(count: int, quantiles: list[float] | None) -> schemas.LeadTime:
    median, p85 = quantiles if quantiles else (None, None)
    return schemas.LeadTime(count=count, median_days=_in_days(median), p85_days=_in_days(p85))


async def _time_in_state(
    session: AsyncSession, scope: Scope, start: datetime
) -> list[schemas.StateTime]:
    """Per open state: each scoped problem's days in it within the window, across problems.

    Reads stays, not rows (``last_of_stay``: the row that ends each stay knows when it
    began), index-only. A problem with one stay in the state within the window (the usual
    case) gives its days directly; only problems with several (back and forth between
    triage and needs_info) are added up per problem. The department and date filters hold
    for every row of a problem, so stays are filtered directly; only the team filter (the
    team at the moment) needs the snapshot.
    """
    stay = aliased(Timeline, name="stay")
    at, since = moment(scope), literal(start, DateTime(timezone=True))
    in_scope = _problems_in_scope(scope, stay)
    # Each stay's time within the window, in seconds (floats sort faster than intervals).
    span = seconds(func.least(valid_until(stay), at) - func.greatest(stay.state_entered_at, since))
    # The only stay of its problem in its state within the window: the one before ended by
    # the window's start, the next one had not begun by the moment. The others (few: the
    # ``ix_problem_timeline_repeated_stays`` index holds them) are added up per problem.
    alone = and_(
        or_(stay.previous_stay_ended_at.is_(None), stay.previous_stay_ended_at <= since),
        or_(stay.next_stay_began_at.is_(None), stay.next_stay_began_at >= at),
    )
    not_alone = or_(stay.previous_stay_ended_at > since, stay.next_stay_began_at < at)

    def in_state(state: str) -> Select[Any]:
        """One state's figures: its stays are one range of the stays index."""
        overlapping = [
            stay.last_of_stay,
            stay.status == state,
            valid_until(stay) > since,
            stay.state_entered_at < at,
            *in_scope,
        ]
        single = select(span.label("span")).where(*overlapping, alone)
        several = (
            select(func.sum(span).label("span"))
            .where(*overlapping, not_alone)
            .group_by(stay.problem_id)
        )
        spans = union_all(single, several).subquery()
        return select(
            literal(state).label("state"),
            func.count().label("problems"),
            func.percentile_cont(0.5).within_group(spans.c.span).label("median"),
            func.avg(spans.c.span).label("mean"),
        )

    rows = await session.execute(union_all(*(in_state(state) for state in OPEN_STATES)))
    found = {row.state: row for row in rows}
    return [
        schemas.StateTime(
            state=state,
            problems=found[state].problems,
            median_days=_in_days(found[state].median),
            mean_days=_in_days(found[state].mean),
        )
        for state in OPEN_STATES
    ]


def seconds(interval: ColumnElement[Any]) -> ColumnElement[float]:
    """An SQL interval in seconds (``date_part`` gives a float; ``extract``, a slow numeric)."""
    return func.date_part("epoch", interval, type_=Double)


def _in_days(span: float | None) -> float | None:
    return labels.rounded_days(span / 86400) if span is not None else None


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


def _month_starts(at: datetime, zone: ZoneInfo) -> list[datetime]:
    """The first instant of each month of the window, on the city's calendar, in order."""
    local = at.astimezone(zone)
    last = local.year * 12 + local.month - 1
    return [
        datetime(i // 12, i % 12 + 1, 1, tzinfo=zone).astimezone(UTC)
        for i in range(last - MONTHS + 1, last + 1)
    ]


async def _ageing(session: AsyncSession, scope: Scope) -> list[schemas.AgeingState]:
    """Per open state: how many are in it, and the ones in it longest (since they last
    entered it: ``state_entered_at``, as the timeline recorded the stay)."""
    open_now = rows_at(
        scope,
        Timeline.problem_id,
        Timeline.status,
        Timeline.team_id,
        Timeline.state_entered_at.label("since"),
        states=OPEN_STATES,
    ).subquery()
    order = (open_now.c.since, open_now.c.problem_id)
    oldest_first = first_of_each(open_now, open_now.c.status, order, AGEING_SHOWN)
    rows = await session.execute(labels.labelled(oldest_first).order_by(oldest_first.c.rank))
    counts: dict[str, int] = {}
    oldest: dict[str, list[schemas.AgeingItem]] = {state: [] for state in OPEN_STATES}
    for row in rows:
        counts[row.status] = row.in_group
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
