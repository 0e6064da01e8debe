"""Pairing accepted problems with product teams.

Recommendations are explained, not magic: which disciplines the problem needs (derived
from its record by the rules in ``disciplines_needed``), which the team holds, its free
capacity under its WIP limit, and its past work with the same department.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.clock import utcnow
from intake.lib.errors import Conflict, FieldError, ValidationFailed
from intake.lib.etag import check_if_match
from intake.problems import edits, history, lifecycle
from intake.problems import service as problems
from intake.triage import schemas
from intake.web.auth import Caller, require_role

# A team's problem counts toward its WIP limit from acceptance until it is live or ends.
ACTIVE_STATES = ("accepted", "discovery", "delivery", "on_hold")
ASSIGNABLE_STATES = frozenset({"accepted", "discovery", "delivery"})


def disciplines_needed(problem: models.Problem) -> dict[str, str]:
    """Discipline -> why this problem needs it."""
    needed = {"product_management": "every problem needs an owner of the outcome"}
    groups = set(problem.affected_groups)
    if (
        groups & {"residents", "businesses", "visitors"}
        or problem.accessibility_needs
        or (problem.language_access_needs)
    ):
        needed["civic_design"] = "the public is affected or access needs were named"
    if problem.success_measures or problem.data_sensitivity in ("confidential", "restricted"):
        needed["data"] = "success must be measured from data"
    if problem.systems_involved:
        legacy = any(system.get("legacy") for system in problem.systems_involved)
        needed["software_engineering"] = (
            "legacy systems are involved" if legacy else "existing systems are involved"
        )
    if problem.data_sensitivity in ("confidential", "restricted"):
        needed["security"] = f"the data is {problem.data_sensitivity}"
    return needed


async def active_work(session: AsyncSession) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(models.Problem.team_id, func.count())
        .where(models.Problem.team_id.is_not(None), models.Problem.status.in_(ACTIVE_STATES))
        .group_by(models.Problem.team_id)
    )
    return {team_id: count for team_id, count in rows if team_id is not None}


async def recommend_teams(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID
) -> list[schemas.TeamRecommendation]:
    require_role(caller, "triager", "admin", "leadership")
    problem = await problems.get_visible(session, caller, problem_id)
    if problem.status not in ASSIGNABLE_STATES:
        raise Conflict(
            f"Teams are recommended for accepted work; this problem is {problem.status}.",
            current_state=problem.status,
            allowed_actions=lifecycle.allowed_actions(problem.status, problem.held_from_status),
        )
    needed = disciplines_needed(problem)
    load = await active_work(session)
    past = dict(
        (
            await session.execute(
                select(models.Problem.team_id, func.count())
                .where(
                    models.Problem.team_id.is_not(None),
                    models.Problem.department_id == problem.department_id,
                    models.Problem.id != problem.id,
                )
                .group_by(models.Problem.team_id)
            )
        ).all()
    )
    teams = await session.scalars(select(models.Team).where(models.Team.active.is_(True)))
    scored = []
    for team in teams:
        held = set(team.disciplines)
        missing = [d for d in needed if d not in held]
        covered = len(needed) - len(missing)
        active = load.get(team.id, 0) - (1 if problem.team_id == team.id else 0)
        free = team.wip_limit - active
        history_count = int(past.get(team.id, 0))
        fit = (
            0.5 * covered / len(needed)
            + 0.3 * (min(free, 3) / 3 if free > 0 else 0)
            + 0.2 * min(history_count, 3) / 3
        )
        reasons = [f"holds {covered} of the {len(needed)} disciplines needed"]
        if missing:
            reasons.append("lacks " + ", ".join(f"{d} ({needed[d]})" for d in missing))
        reasons.append(
            f"{free} of {team.wip_limit} WIP slots free"
            if free > 0
            else f"at its WIP limit ({active} active of {team.wip_limit}): needs an override"
        )
        if history_count:
            reasons.append(f"has worked on {history_count} problem(s) from this department")
        scored.append((fit, team, held, missing, active, free, history_count, reasons))
    scored.sort(key=lambda item: (-item[0], item[1].name))
    return [
        schemas.TeamRecommendation(
            team_id=team.id,
            name=team.name,
            rank=rank,
            fit=round(fit, 3),
            disciplines_needed=list(needed),
            disciplines_held=sorted(held),
            disciplines_missing=missing,
            active_work=active,
            wip_limit=team.wip_limit,
            free_capacity=max(free, 0),
            past_work_with_department=history_count,
            reasons=reasons,
        )
        for rank, (fit, team, held, missing, active, free, history_count, reasons) in enumerate(
            scored, start=1
        )
    ]


async def assign_team(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    data: schemas.AssignTeam,
) -> models.Problem:
    """Pair the problem with a team; over the WIP limit only with a recorded override."""
    require_role(caller, "triager")
    problem = await problems.get_visible(session, caller, problem_id, for_update=True)
    check_if_match(if_match, problem.version)
    if problem.status not in ASSIGNABLE_STATES:
        raise Conflict(
            f"Only accepted work can be paired with a team; this problem is {problem.status}.",
            current_state=problem.status,
            allowed_actions=lifecycle.allowed_actions(problem.status, problem.held_from_status),
        )
    team = await session.get(models.Team, data.team_id, with_for_update=True)
    if team is None or not team.active:
        raise ValidationFailed(
            "No such active team.", [FieldError("team_id", "Choose an active team")]
        )
    active = (await active_work(session)).get(team.id, 0)
    if problem.team_id == team.id:
        active -= 1
    override = (data.override_reason or "").strip() or None
    if active >= team.wip_limit and override is None:
        raise Conflict(
            f"{team.name} is at its WIP limit ({active} of {team.wip_limit}); give an "
            "override_reason to assign it anyway."
        )
    before = problem.team_id
    problem.team_id = team.id
    now = utcnow()
    problem.team_assigned_at = now
    edits.bump(problem, now)
    members = await session.scalars(
        select(models.TeamMember.person_id).where(models.TeamMember.team_id == team.id)
    )
    for person_id in members:
        await problems.follow(session, problem.id, person_id)
    changes: dict[str, Any] = {
        "team": edits.change(before, team.id),
        "team_name": team.name,
        "wip": {"active_before": active, "limit": team.wip_limit},
    }
    if active >= team.wip_limit:
        changes["wip_override"] = True
    await history.record(
        session, problem.id, caller.id, "team_assigned", reason=override, changes=changes
    )
    await session.refresh(problem)
    return problem
