"""Distribution: who brings problems and whose problems DTI takes on, so equity shows.

Per department and per community named in the records: problems submitted, decided
(first decision reached) and accepted (reached ``accepted`` at any time by the moment),
with shares. A problem reached ``accepted`` exactly when it had a decision that was not a
decline, redirect or duplicate: those end the problem, while accepted work moves on (and
may later be withdrawn, held or closed), so the snapshot row alone tells.

Communities come from the record's ``communities_affected``, matched without regard to
case or surrounding spaces. The list is the record's *current* text (the record's fields
are not replayed from history): ``as_of`` changes which problems count and their states,
not which communities they name. A problem naming several communities counts in each.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, collate, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.clock import utcnow
from intake.portfolio import labels, schemas
from intake.portfolio.scope import Scope, Timeline, snapshot

LISTED_COMMUNITIES = 100
ENDED_BY_DECISION = ("declined", "redirected", "duplicate")


def reached_accepted() -> ColumnElement[bool]:
    return and_(Timeline.decided_at.is_not(None), Timeline.status.not_in(ENDED_BY_DECISION))


async def distribution(session: AsyncSession, scope: Scope) -> schemas.Distribution:
    Department = models.Department
    decided = Timeline.decided_at.is_not(None)
    departments = (
        await session.execute(
            snapshot(
                scope,
                Department.code,
                Department.name,
                func.count(),
                func.count().filter(decided),
                func.count().filter(reached_accepted()),
                func.count().filter(func.cardinality(models.Problem.communities_affected) == 0),
            )
            .join(Department, Department.id == models.Problem.department_id)
            .group_by(Department.code, Department.name)
        )
    ).all()
    submitted = sum(row[2] for row in departments)
    accepted = sum(row[4] for row in departments)
    return schemas.Distribution(
        as_of=scope.as_of,
        generated_at=utcnow(),
        filters=await labels.filters_out(session, scope),
        submitted=submitted,
        accepted=accepted,
        no_community=sum(row[5] for row in departments),
        departments=[
            schemas.DepartmentShare(
                key=code,
                label=name,
                submitted=n,
                decided=n_decided,
                accepted=n_accepted,
                submitted_pct=labels.percent(n, submitted) or 0.0,
                accepted_pct=labels.percent(n_accepted, accepted),
                acceptance_pct=labels.percent(n_accepted, n_decided),
            )
            for code, name, n, n_decided, n_accepted, _ in sorted(
                departments, key=lambda row: (-row[2], row[0])
            )
        ],
        **await _communities(session, scope, submitted),
    )


async def _communities(session: AsyncSession, scope: Scope, submitted: int) -> dict[str, Any]:
    """Per community: its problems (each once, even if it names the community twice)."""
    named = (
        snapshot(
            scope,
            Timeline.problem_id,
            func.unnest(models.Problem.communities_affected).label("community"),
            Timeline.decided_at.is_not(None).label("decided"),
            reached_accepted().label("accepted"),
        )
        .where(func.cardinality(models.Problem.communities_affected) > 0)
        .subquery()
    )
    key = func.lower(func.btrim(named.c.community))
    per_problem = (
        select(
            key.label("key"),
            # One spelling to show, the same whatever the database's collation.
            func.min(collate(func.btrim(named.c.community), "C")).label("label"),
            func.bool_or(named.c.decided).label("decided"),
            func.bool_or(named.c.accepted).label("accepted"),
        )
        .where(key != "")
        .group_by(named.c.problem_id, key)
        .subquery()
    )
    p = per_problem.c
    rows = (
        await session.execute(
            select(
                p.key,
                func.min(p.label).label("label"),
                func.count().label("submitted"),
                func.count().filter(p.decided).label("decided"),
                func.count().filter(p.accepted).label("accepted"),
                func.count().over().label("total"),
            )
            .group_by(p.key)
            .order_by(func.count().desc(), p.key)
            .limit(LISTED_COMMUNITIES)
        )
    ).all()
    return {
        "communities_total": rows[0].total if rows else 0,
        "communities": [
            schemas.CommunityShare(
                key=row.key,
                label=row.label,
                submitted=row.submitted,
                decided=row.decided,
                accepted=row.accepted,
                submitted_pct=labels.percent(row.submitted, submitted) or 0.0,
                acceptance_pct=labels.percent(row.accepted, row.decided),
            )
            for row in rows
        ],
    }
