"""Outcomes: did launched work achieve what it set out to, now or as of any moment.

Metrics are counted by their derived state (``intake.outcomes.state``) at the moment: a
metric exists from its creation until it is removed (``Metric.existed_at``); its latest
reading is the measurement with the latest ``measured_on`` (on the same day, the one
recorded last) among those recorded by the moment and measured on or before its day;
"today" is the moment's day. The state rules run in SQL
(``metric_state_sql``) so the whole city is one aggregate query; a test checks they agree
with the pure functions. The short list puts missed and worsening metrics first.

A metric's definition (baseline, target, target date) is its current one (for a removed
metric, the one it had when removed): edits are in history but are not replayed here.

Closed problems are counted by the result of their outcome review, as history recorded it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.db.models import OUTCOME_RESULTS
from intake.outcomes.state import STATES
from intake.portfolio import labels, schemas
from intake.portfolio.scope import Expression, Scope, Timeline, moment, rows_at, today
from intake.problems.guards import WORK_STATES

LISTED = 25
# The short list shows the metrics a leader should look at first.
ATTENTION = ("missed", "worsening", "not_started", "improving", "achieved")
# A metric is defined while its work is open (``guards.require_work_open``), and open work
# only moves on to other work states, closed or withdrawn: whenever a metric exists, its
# problem is in one of these, so the snapshot's other states need not be read.
WITH_METRICS = (*sorted(WORK_STATES), "closed", "withdrawn")


def metric_state_sql(
    direction: Expression,
    baseline: Expression,
    target: Expression,
    target_date: Expression,
    value: Expression,
    on_day: Expression,
) -> ColumnElement[str]:
    """``intake.outcomes.state.metric_state`` as SQL, the same rules in the same order."""
    increase = direction == "increase"

    def reaches(limit: Expression) -> ColumnElement[bool]:
        return or_(and_(increase, value >= limit), and_(~increase, value <= limit))

    def better_than(limit: Expression) -> ColumnElement[bool]:
        return or_(and_(increase, value > limit), and_(~increase, value < limit))

    return case(
        (value.is_(None), "not_started"),
        (reaches(target), "achieved"),
        (on_day > target_date, "missed"),
        (better_than(baseline), "improving"),
        else_="worsening",
    )


async def outcomes(session: AsyncSession, scope: Scope) -> schemas.Outcomes:
    by_state, total, listed = await _metrics(session, scope)
    closed = dict(
        (
            await session.execute(
                rows_at(scope, Timeline.outcome_result, func.count(), states=("closed",)).group_by(
                    Timeline.outcome_result
                )
            )
        ).all()
    )
    return schemas.Outcomes(
        **await labels.heading(session, scope),
        metrics_total=total,
        metrics_by_state=[
            schemas.Count(key=state, label=state, count=by_state.get(state, 0)) for state in STATES
        ],
        closed_total=sum(closed.values()),
        closed_by_result=[
            schemas.Count(key=result, label=result, count=closed.get(result, 0))
            for result in OUTCOME_RESULTS
        ],
        metrics=listed,
    )


async def _metrics(
    session: AsyncSession, scope: Scope
) -> tuple[dict[str, int], int, list[schemas.MetricStanding]]:
    """Counts by state and the first ``LISTED`` metrics by attention, in one statement.

    Each metric's state is computed once (a CTE of narrow rows: no record text); the counts
    ride along with every listed row as one JSON object, and only the listed rows are joined
    to their problem's labels and the metric's definition.
    """
    Metric, Measurement = models.Metric, models.Measurement
    at, day = moment(scope), literal(today(scope))
    # The latest reading: latest measured_on, then latest recorded. One ordered index-only
    # scan of the readings (DISTINCT ON keeps each metric's first) costs far less than a
    # probe per metric at city scale; two readings of one metric recorded in the same
    # microsecond would tie arbitrarily.
    latest = (
        select(Measurement.metric_id, Measurement.value, Measurement.measured_on)
        .where(Measurement.created_at <= at, Measurement.measured_on <= day)
        .order_by(
            Measurement.metric_id, Measurement.measured_on.desc(), Measurement.created_at.desc()
        )
        .ext(distinct_on(Measurement.metric_id))
        .subquery("latest")
    )
    state = metric_state_sql(
        Metric.direction, Metric.baseline, Metric.target, Metric.target_date, latest.c.value, day
    )
    standing = (
        rows_at(
            scope,
            Timeline.problem_id,
            Timeline.status,
            Timeline.team_id,
            Metric.id.label("metric_id"),
            Metric.target_date,
            latest.c.value,
            latest.c.measured_on,
            state.label("metric_state"),
            states=WITH_METRICS,
        )
        .join(Metric, Metric.problem_id == Timeline.problem_id)
        .outerjoin(latest, latest.c.metric_id == Metric.id)
        .where(Metric.existed_at(at))
        .cte("standing")
    )
    by_state = (
        select(standing.c.metric_state, func.count().label("n"))
        .group_by(standing.c.metric_state)
        .subquery()
    )
    counts = select(func.jsonb_object_agg(by_state.c.metric_state, by_state.c.n)).scalar_subquery()
    # Ranked on the stored state (the CTE keeps it): the state rules run once per metric.
    attention = case(
        *((standing.c.metric_state == name, rank) for rank, name in enumerate(ATTENTION))
    )
    listed = (
        select(standing, attention.label("attention"))
        .order_by(attention, standing.c.target_date, standing.c.metric_id)
        .limit(LISTED)
        .subquery()
    )
    rows = await session.execute(
        labels.labelled(listed)
        .add_columns(
            Metric.name.label("metric_name"),
            Metric.unit,
            Metric.direction,
            Metric.baseline,
            Metric.target,
            counts.label("counts"),
        )
        .join(Metric, Metric.id == listed.c.metric_id)
        .order_by(listed.c.attention, listed.c.target_date, listed.c.metric_id)
    )
    found: dict[str, int] = {}
    items: list[schemas.MetricStanding] = []
    row: Any
    for row in rows:
        found = row.counts
        items.append(
            schemas.MetricStanding(
                problem=labels.problem_out(row),
                metric_id=row.metric_id,
                name=row.metric_name,
                unit=row.unit,
                direction=row.direction,
                state=row.metric_state,
                latest_value=row.value,
                latest_measured_on=row.measured_on,
                baseline=row.baseline,
                target=row.target,
                target_date=row.target_date,
            )
        )
    return found, sum(found.values()), items
