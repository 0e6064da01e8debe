"""The portfolio summary: counts of the city's problems, now or as of any moment.

Each view is one or a few aggregate queries over the snapshot (``scope.snapshot``, or
``scope.rows_at`` when no column of the record is needed): the timeline row of every
submitted problem in force at the moment asked for. The other views live beside this one,
a module each: ``flow``, ``compliance`` (SLA), ``teams``, ``outcomes``, ``risk`` (at risk)
and ``distribution``.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.clock import utcnow
from intake.portfolio import schemas
from intake.portfolio.labels import filters_out
from intake.portfolio.scope import Scope, Timeline, snapshot

# Priority bands of the 0-100 score; unscored problems are their own band.
PRIORITY_BANDS = (("high", 70), ("medium", 40), ("low", 0))
UNASSIGNED = "unassigned"


def priority_band() -> ColumnElement[str]:
    return case(
        *((Timeline.score >= floor, band) for band, floor in PRIORITY_BANDS),
        else_="unscored",
    )


async def summary(session: AsyncSession, scope: Scope) -> schemas.Summary:
    """Counts by state, delivery phase, department, team and priority band, in one scan."""
    band = priority_band().label("band")
    base = snapshot(
        scope,
        Timeline.status,
        Timeline.delivery_phase,
        models.Problem.department_id,
        Timeline.team_id,
        band,
    ).subquery()
    grouping = func.grouping(
        base.c.status, base.c.delivery_phase, base.c.department_id, base.c.team_id, base.c.band
    )
    rows = (
        await session.execute(
            select(
                grouping.label("set"),
                base.c.status,
                base.c.delivery_phase,
                base.c.department_id,
                base.c.team_id,
                base.c.band,
                func.count().label("n"),
            ).group_by(
                func.grouping_sets(
                    base.c.status,
                    base.c.delivery_phase,
                    base.c.department_id,
                    base.c.team_id,
                    base.c.band,
                    literal_column("()"),
                )
            )
        )
    ).all()
    departments = await _names(session, models.Department, "code")
    teams = await _names(session, models.Team, "name")
    # grouping() sets a bit for each column NOT grouped on (status is the highest bit).
    by: dict[int, list[schemas.Count]] = {}
    total = 0
    for row in rows:
        if row.set == 0b11111:
            total = row.n
            continue
        if row.set == 0b01111:
            key = row.status
            label = key
        elif row.set == 0b10111:
            if row.delivery_phase is None:
                continue
            key = label = row.delivery_phase
        elif row.set == 0b11011:
            key, label = departments.get(row.department_id, (str(row.department_id),) * 2)
        elif row.set == 0b11101:
            if row.team_id is None:
                key = label = UNASSIGNED
            else:
                key, label = str(row.team_id), teams.get(row.team_id, ("", ""))[1]
        else:
            key = label = row.band
        by.setdefault(row.set, []).append(schemas.Count(key=key, label=label, count=row.n))
    ordered = {k: sorted(v, key=lambda c: (-c.count, c.key)) for k, v in by.items()}
    return schemas.Summary(
        as_of=scope.as_of,
        generated_at=utcnow(),
        filters=await filters_out(session, scope),
        total=total,
        by_state=ordered.get(0b01111, []),
        by_phase=ordered.get(0b10111, []),
        by_department=ordered.get(0b11011, []),
        by_team=ordered.get(0b11101, []),
        by_priority=ordered.get(0b11110, []),
    )


async def _names(
    session: AsyncSession, model: type[models.Department] | type[models.Team], key: str
) -> dict[uuid.UUID, tuple[str, str]]:
    rows = await session.execute(select(model.id, getattr(model, key), model.name))
    return {row[0]: (row[1], row[2]) for row in rows}
