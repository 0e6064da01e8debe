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

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    cast,
    collate,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.portfolio import labels, schemas
from intake.portfolio.scope import Scope, Timeline, rows_at

LISTED_COMMUNITIES = 100
ENDED_BY_DECISION = ("declined", "redirected", "duplicate")


def reached_accepted() -> ColumnElement[bool]:
    return and_(Timeline.decided_at.is_not(None), Timeline.status.not_in(ENDED_BY_DECISION))


async def distribution(session: AsyncSession, scope: Scope) -> schemas.Distribution:
    departments, communities = await _shares(session, scope)
    submitted = sum(row.submitted for row in departments)
    accepted = sum(row.accepted for row in departments)
    no_community = 0
    if communities and communities[0].key is None:
        no_community = communities[0].submitted
        communities = communities[1:]
    else:
        communities = communities[:LISTED_COMMUNITIES]
    return schemas.Distribution(
        **await labels.heading(session, scope),
        submitted=submitted,
        accepted=accepted,
        departments=[
            schemas.DepartmentShare(
                **_share(row, submitted), accepted_pct=labels.percent(row.accepted, accepted)
            )
            for row in departments
        ],
        no_community=no_community,
        communities_total=communities[0].groups - (1 if no_community else 0) if communities else 0,
        communities=[schemas.CommunityShare(**_share(row, submitted)) for row in communities],
    )


def _share(row: Any, submitted: int) -> dict[str, Any]:
    """What a department's and a community's share have alike."""
    return {
        "key": row.key,
        "label": row.label,
        "submitted": row.submitted,
        "decided": row.decided,
        "accepted": row.accepted,
        "submitted_pct": labels.percent(row.submitted, submitted) or 0.0,
        "acceptance_pct": labels.percent(row.accepted, row.decided),
    }


async def _shares(session: AsyncSession, scope: Scope) -> tuple[list[Any], list[Any]]:
    """Per department and per community, in one pass over the snapshot.

    The snapshot's problems are counted per department and list of communities (each row
    carries its record's list, ``CommunityList``: few lists, as records name the same
    communities), then each list's counts go to each community in it, so a problem counts
    once in each community it names and no record is read. A record naming none has the
    list of one NULL key: the problems with no community, listed first. Departments come
    by problems, then code; communities by problems, then key: the first
    ``LISTED_COMMUNITIES`` (and one more, so the caller knows), each with how many there
    are in all (``groups``).
    """
    lists = (
        rows_at(
            scope,
            Timeline.community_list_id,
            Timeline.department_id,
            func.count().label("submitted"),
            func.count().filter(Timeline.decided_at.is_not(None)).label("decided"),
            func.count().filter(reached_accepted()).label("accepted"),
        )
        .group_by(Timeline.community_list_id, Timeline.department_id)
        .cte("lists")
    )
    counts = (
        cast(func.sum(lists.c.submitted), BigInteger).label("submitted"),
        cast(func.sum(lists.c.decided), BigInteger).label("decided"),
        cast(func.sum(lists.c.accepted), BigInteger).label("accepted"),
    )
    department = models.Department
    departments = (
        select(
            literal(False).label("community"),
            department.code.label("key"),
            department.name.label("label"),
            *counts,
            func.count().over().label("groups"),
            func.row_number().over(order_by=(counts[0].desc(), department.code)).label("place"),
        )
        .select_from(lists)
        .join(department, department.id == lists.c.department_id)
        .group_by(department.code, department.name)
    )
    community_list = models.CommunityList
    named = (
        func.unnest(community_list.keys, community_list.labels)
        .table_valued("key", "label")
        .render_derived(name="named")
    )
    by_problems = (named.c.key.is_(None).desc(), counts[0].desc(), named.c.key)
    communities = (
        select(
            literal(True).label("community"),
            named.c.key,
            # One spelling to show, the same whatever the database's collation.
            func.min(collate(named.c.label, "C")).label("label"),
            *counts,
            func.count().over().label("groups"),
            func.row_number().over(order_by=by_problems).label("place"),
        )
        .select_from(lists)
        .join(community_list, community_list.id == lists.c.community_list_id)
        .join(named, true())
        .group_by(named.c.key)
        .order_by(*by_problems)
        .limit(LISTED_COMMUNITIES + 1)
        .subquery("communities")
    )
    result = await session.execute(union_all(departments, select(communities)))
    rows = sorted(result, key=lambda row: row.place)
    return [row for row in rows if not row.community], [row for row in rows if row.community]
