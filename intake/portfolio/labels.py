"""How views name what they count: the filters they echo, and problems in lists.

Lists join the record, department and team so each item carries its reference, title,
department code and team name. Views rank on narrow timeline rows first and join these
labels only for the rows they list (``labelled``), so the wide ``problems`` rows are read
for a few dozen problems, not the whole city.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Select, Subquery, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.clock import utcnow
from intake.portfolio import schemas
from intake.portfolio.scope import Scope


def labelled(ranked: Subquery) -> Select[Any]:
    """The rows of a narrow query (with ``problem_id``, ``status``, ``team_id``) and the
    labels ``problem_out`` reads: join them after ranking, for the few rows a view lists.

    Each row's record is looked up on its own (a LATERAL subquery with LIMIT 1, which the
    planner cannot fold into a join): the planner cannot tell how few rows a ranking keeps
    and may otherwise read every record to hash them (measured: 200 ms instead of 1 ms).
    """
    record = (
        select(
            models.Problem.reference,
            models.Problem.title,
            models.Department.code.label("department"),
        )
        .join(models.Department, models.Department.id == models.Problem.department_id)
        .where(models.Problem.id == ranked.c.problem_id)
        .limit(1)
        .lateral("record")
    )
    return (
        select(
            ranked,
            record.c.reference,
            record.c.title,
            record.c.department,
            models.Team.name.label("team"),
        )
        .select_from(ranked)
        .join(record, true())
        .outerjoin(models.Team, models.Team.id == ranked.c.team_id)
    )


def problem_out(row: Any) -> schemas.PortfolioProblem:
    return schemas.PortfolioProblem(
        id=row.problem_id,
        reference=row.reference,
        title=row.title,
        department=row.department,
        state=row.status,
        team_id=row.team_id,
        team=row.team,
    )


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, one decimal; None when there is no whole."""
    return round(100.0 * part / whole, 1) if whole else None


def rounded_days(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


async def heading(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """What every view starts with: the moment it shows, when it was made and its filters."""
    return {
        "as_of": scope.as_of,
        "generated_at": utcnow(),
        "filters": await filters_out(session, scope),
    }


async def filters_out(session: AsyncSession, scope: Scope) -> schemas.Filters:
    code = None
    if scope.department_id is not None:
        department = await session.get(models.Department, scope.department_id)
        code = department.code if department else None
    last_day = scope.submitted_to.date() - timedelta(days=1) if scope.submitted_to else None
    return schemas.Filters(
        department=code,
        team_id=scope.team_id,
        submitted_from=scope.submitted_from.date() if scope.submitted_from else None,
        submitted_to=last_day,
    )
