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

from sqlalchemy import ColumnElement, Text, and_, case, collate, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.clock import utcnow
from intake.portfolio import labels, schemas
from intake.portfolio.scope import Scope, Timeline, rows_at

LISTED_COMMUNITIES = 100
ENDED_BY_DECISION = ("declined", "redirected", "duplicate")
# What an empty list of communities unnests to: one NULL, counted as "no community".
NO_COMMUNITY = literal([None], ARRAY(Text))


def reached_accepted() -> ColumnElement[bool]:
    return and_(Timeline.decided_at.is_not(None), Timeline.status.not_in(ENDED_BY_DECISION))


async def distribution(session: AsyncSession, scope: Scope) -> schemas.Distribution:
    decided = Timeline.decided_at.is_not(None)
    counts = (
        await session.execute(
            rows_at(
                scope,
                Timeline.department_id,
                func.count(),
                func.count().filter(decided),
                func.count().filter(reached_accepted()),
            ).group_by(Timeline.department_id)
        )
    ).all()
    names = {
        row.id: (row.code, row.name)
        for row in await session.execute(
            select(models.Department.id, models.Department.code, models.Department.name)
        )
    }
    departments = sorted(
        ((*names.get(key, (str(key), str(key))), n, d, a) for key, n, d, a in counts),
        key=lambda row: (-row[2], row[0]),
    )
    submitted = sum(row[2] for row in departments)
    accepted = sum(row[4] for row in departments)
    return schemas.Distribution(
        as_of=scope.as_of,
        generated_at=utcnow(),
        filters=await labels.filters_out(session, scope),
        submitted=submitted,
        accepted=accepted,
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
            for code, name, n, n_decided, n_accepted in departments
        ],
        **await _communities(session, scope, submitted),
    )


async def _communities(session: AsyncSession, scope: Scope, submitted: int) -> dict[str, Any]:
    """Per community: its problems, each once. The record's communities come normalised
    from an index (``portfolio_community_keys`` and ``_labels``: each key once per record,
    with its least spelling), so counting is one grouping by key. A record naming none
    unnests to one NULL key: the problems with no community, in the same pass."""
    problems = models.Problem
    names = problems.communities_affected
    none = func.cardinality(names) == 0
    # Planned on its own (OFFSET 0), so its scan returns the keys and labels the index keeps
    # instead of recomputing them above the join.
    records = (
        select(
            problems.id,
            case((none, NO_COMMUNITY), else_=func.portfolio_community_keys(names)).label(
                "community_keys"
            ),
            case((none, NO_COMMUNITY), else_=func.portfolio_community_labels(names)).label(
                "community_labels"
            ),
        )
        .offset(0)
        .subquery("records")
    )
    named = (
        rows_at(
            scope,
            func.unnest(records.c.community_keys).label("key"),
            func.unnest(records.c.community_labels).label("label"),
            Timeline.decided_at.is_not(None).label("decided"),
            reached_accepted().label("accepted"),
        )
        .join(records, records.c.id == Timeline.problem_id)
        .subquery()
    )
    n = named.c
    rows = (
        await session.execute(
            select(
                n.key,
                # One spelling to show, the same whatever the database's collation.
                func.min(collate(n.label, "C")).label("label"),
                func.count().label("submitted"),
                func.count().filter(n.decided).label("decided"),
                func.count().filter(n.accepted).label("accepted"),
                func.count().over().label("groups"),
            )
            .group_by(n.key)
            .order_by(n.key.is_(None).desc(), func.count().desc(), n.key)
            .limit(LISTED_COMMUNITIES + 1)
        )
    ).all()
    no_community = 0
    if rows and rows[0].key is None:
        no_community = rows[0].submitted
        rows = rows[1:]
    else:
        rows = rows[:LISTED_COMMUNITIES]
    return {
        "no_community": no_community,
        "communities_total": rows[0].groups - (1 if no_community else 0) if rows else 0,
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
