"""The portfolio summary: counts of the city's problems, now or as of any moment.

Each view is one or a few aggregate queries over the snapshot (``scope.rows_at``, or
``scope.snapshot`` when the record's text is needed): the timeline row of every submitted
problem in force at the moment asked for, read index-only. The other views live beside this one,
a module each: ``flow``, ``compliance`` (SLA), ``teams``, ``outcomes``, ``risk`` (at risk)
and ``distribution``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.portfolio import schemas
from intake.portfolio.labels import heading
from intake.portfolio.scope import Scope, Timeline, rows_at

# Priority bands of the 0-100 score; unscored problems are their own band.
PRIORITY_BANDS = (("high", 70), ("medium", 40), ("low", 0))
UNASSIGNED = "unassigned"


def priority_band() -> ColumnElement[str]:
    return case(
        *((Timeline.score >= floor, band) for band, floor in PRIORITY_BANDS),
        else_="unscored",
    )


async def summary(session: AsyncSession, scope: Scope) -> schemas.Summary:
    """Counts by state, delivery phase, department, team and priority band.

    One index-only scan grouped by all five at once (a few thousand combinations at most),
    then the five breakdowns added up from those combinations by a grouping-sets pass over
    them: each snapshot row is hashed once, and a few dozen rows come back.
    """
    band = priority_band().label("band")
    keys = (Timeline.status, Timeline.delivery_phase, Timeline.department_id, Timeline.team_id)
    combinations = (
        rows_at(scope, *keys, band, func.count().label("n")).group_by(*keys, band).subquery()
    )
    c = combinations.c
    by = (c.status, c.delivery_phase, c.department_id, c.team_id, c.band)
    rows = await session.execute(
        select(func.grouping(*by).label("set"), *by, func.sum(c.n).label("n")).group_by(
            func.grouping_sets(*by)
        )
    )
    departments = await _names(session, models.Department, "code")
    teams = await _names(session, models.Team, "name")
    # grouping() sets a bit for each column NOT grouped on (status is the highest bit).
    states: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    by_department: Counter[uuid.UUID] = Counter()
    by_team: Counter[uuid.UUID | None] = Counter()
    bands: Counter[str] = Counter()
    row: Any
    for row in rows:
        n = int(row.n)
        if row.set == 0b01111:
            states[row.status] += n
        elif row.set == 0b10111:
            if row.delivery_phase is not None:
                phases[row.delivery_phase] += n
        elif row.set == 0b11011:
            by_department[row.department_id] += n
        elif row.set == 0b11101:
            by_team[row.team_id] += n
        else:
            bands[row.band] += n

    def department(key: uuid.UUID) -> tuple[str, str]:
        return departments.get(key, (str(key), str(key)))

    def team(key: uuid.UUID | None) -> tuple[str, str]:
        return (UNASSIGNED, UNASSIGNED) if key is None else (str(key), teams.get(key, ("", ""))[1])

    return schemas.Summary(
        **await heading(session, scope),
        total=sum(states.values()),
        by_state=_counts((state, state, n) for state, n in states.items()),
        by_phase=_counts((phase, phase, n) for phase, n in phases.items()),
        by_department=_counts((*department(key), n) for key, n in by_department.items()),
        by_team=_counts((*team(key), n) for key, n in by_team.items()),
        by_priority=_counts((band, band, n) for band, n in bands.items()),
    )


def _counts(items: Iterable[tuple[str, str, int]]) -> list[schemas.Count]:
    """Buckets, largest first (ties by key)."""
    counts = [schemas.Count(key=key, label=label, count=n) for key, label, n in items]
    return sorted(counts, key=lambda count: (-count.count, count.key))


async def _names(
    session: AsyncSession, model: type[models.Department] | type[models.Team], key: str
) -> dict[uuid.UUID, tuple[str, str]]:
    rows = await session.execute(select(model.id, getattr(model, key), model.name))
    return {row[0]: (row[1], row[2]) for row in rows}
