"""Team load: each team's active work at the moment against its work-in-progress limit.

Active work is what counts toward the WIP limit (``triage.pairing.ACTIVE_STATES``: accepted,
discovery, delivery, on hold), with the team the problem had at the moment. A team's
``load`` counts all its active work city-wide, since that is what the limit is about; the
listed problems are the part of it within the caller's reach and the filters. Teams are
listed when active (and created by the moment) or when they had work then. Names, WIP
limits and the active flag are the teams' current values: the registry keeps no history.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.portfolio import labels, schemas
from intake.portfolio.scope import (
    Scope,
    Timeline,
    first_of_each,
    in_states,
    moment,
    rows_at,
    valid_at,
)
from intake.triage.pairing import ACTIVE_STATES

LISTED_PER_TEAM = 50


async def teams(session: AsyncSession, scope: Scope) -> schemas.Teams:
    counted = (
        select(Timeline.team_id, func.count().label("load"))
        .where(
            in_states(ACTIVE_STATES),
            valid_at(scope),
            Timeline.submitted_at.is_not(None),  # always, for active work: the index's rows
            Timeline.team_id.is_not(None),
        )
        .group_by(Timeline.team_id)
    )
    if not scope.sees_everything and scope.department_id is not None:
        # A requester's view is their department's: another department's restricted work
        # is not theirs to see, so it is not counted either.
        counted = counted.join(models.Problem, models.Problem.id == Timeline.problem_id).where(
            or_(
                models.Problem.restricted.is_(False),
                models.Problem.department_id == scope.department_id,
            )
        )
    load = counted.subquery()
    Team = models.Team
    shown = or_(Team.active & (Team.created_at <= moment(scope)), func.coalesce(load.c.load, 0) > 0)
    query = (
        select(Team.id, Team.name, Team.wip_limit, func.coalesce(load.c.load, 0).label("load"))
        .outerjoin(load, load.c.team_id == Team.id)
        .where(shown)
        .order_by(Team.name)
    )
    if scope.team_id is not None:
        query = query.where(Team.id == scope.team_id)
    team_rows = (await session.execute(query)).all()

    work, in_scope = await _active_work(session, scope)
    return schemas.Teams(
        **await labels.heading(session, scope),
        teams=[
            schemas.TeamWork(
                id=row.id,
                name=row.name,
                wip_limit=row.wip_limit,
                load=row.load,
                free_capacity=max(row.wip_limit - row.load, 0),
                over_limit=row.load > row.wip_limit,
                active=in_scope.get(row.id, 0),
                problems=work.get(row.id, []),
            )
            for row in team_rows
        ],
        unassigned=in_scope.get(None, 0),
    )


async def _active_work(
    session: AsyncSession, scope: Scope
) -> tuple[dict[uuid.UUID | None, list[schemas.PortfolioProblem]], dict[uuid.UUID | None, int]]:
    """The active problems in scope by team (up to ``LISTED_PER_TEAM`` each, the longest
    accepted first), and how many each team has in scope."""
    active = rows_at(
        scope,
        Timeline.problem_id,
        Timeline.status,
        Timeline.team_id,
        Timeline.decided_at,
        states=ACTIVE_STATES,
    ).subquery()
    order = (active.c.decided_at, active.c.problem_id)
    listed = first_of_each(active, active.c.team_id, order, LISTED_PER_TEAM)
    rows = await session.execute(labels.labelled(listed).order_by(listed.c.team_id, listed.c.rank))
    work: dict[uuid.UUID | None, list[schemas.PortfolioProblem]] = {}
    counts: dict[uuid.UUID | None, int] = {}
    row: Any
    for row in rows:
        counts[row.team_id] = row.in_group
        work.setdefault(row.team_id, []).append(labels.problem_out(row))
    return work, counts
