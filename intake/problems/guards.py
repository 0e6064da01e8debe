"""Who may see and change a problem. Hidden problems are 404, never 403."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, bindparam, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.models import Problem, ProblemCollaborator, ProblemEvent, TeamMember
from intake.lib.errors import Conflict, Forbidden
from intake.problems.lifecycle import PROBLEM_TEAM, Action
from intake.web.auth import Caller, require_role

# Discovery, delivery and outcome records can be written while the work is going on.
WORK_STATES = frozenset({"accepted", "discovery", "delivery", "live", "on_hold"})


def visible_to(caller: Caller) -> ColumnElement[bool]:
    """SQL condition: the caller may see the problem.

    Drafts (and drafts withdrawn before they were ever submitted, which have no
    reference): only the owning department. Submitted problems: all city staff, unless
    restricted; restricted ones: the owning department, collaborating departments and
    people, DTI roles and leadership. (The event feed publishes by the same rule, written
    in SQL as ``feed_reach_of``: a change here needs a migration that changes it too.)
    """
    collaborates = exists(
        select(ProblemCollaborator.id).where(
            ProblemCollaborator.problem_id == Problem.id,
            or_(
                ProblemCollaborator.department_id == caller.department_id,
                ProblemCollaborator.person_id == caller.id,
            ),
        )
    )
    privileged = true() if caller.sees_everything_submitted else false()
    visible = or_(
        Problem.department_id == caller.department_id,
        and_(
            Problem.reference.is_not(None),
            or_(Problem.restricted.is_(False), privileged, collaborates),
        ),
    )
    if caller.only_department is not None:  # a department-scoped service account
        return and_(visible, Problem.department_id == caller.only_department)
    return visible


def _visible_clause(privileged: bool) -> ColumnElement[bool]:
    """``visible_to`` for a person, with their department and id as the parameters
    ``visible_department_id`` and ``visible_person_id`` (``visible_params``): for a
    statement built once, not per request."""
    department: Any = bindparam("visible_department_id")
    person: Any = bindparam("visible_person_id")
    collaborates = exists(
        select(ProblemCollaborator.id).where(
            ProblemCollaborator.problem_id == Problem.id,
            or_(
                ProblemCollaborator.department_id == department,
                ProblemCollaborator.person_id == person,
            ),
        )
    )
    return or_(
        Problem.department_id == department,
        and_(
            Problem.reference.is_not(None),
            or_(Problem.restricted.is_(False), true() if privileged else false(), collaborates),
        ),
    )


_VISIBLE = {privileged: _visible_clause(privileged) for privileged in (False, True)}


def visible_clause(caller: Caller) -> ColumnElement[bool] | None:
    """``visible_to(caller)`` built once, taking ``visible_params(caller)``; None for a
    department-scoped service account, whose rule ``visible_to`` builds."""
    if caller.only_department is not None:
        return None
    return _VISIBLE[caller.sees_everything_submitted]


def visible_clause_for(privileged: bool) -> ColumnElement[bool]:
    """The clause ``visible_clause`` gives a person who sees every submitted problem or not."""
    return _VISIBLE[privileged]


def visible_params(caller: Caller) -> dict[str, Any]:
    return {"visible_department_id": caller.department_id, "visible_person_id": caller.id}


def event_visible_to(caller: Caller) -> ColumnElement[bool]:
    """SQL condition on a history event of a problem the caller may see (``visible_to``):
    DTI-internal events (about internal comments) reach DTI roles only."""
    return true() if caller.is_dti else ProblemEvent.internal.is_(False)


class Owned(Protocol):
    """A problem as the role checks read it: an entity, or a row that holds its columns."""

    @property
    def department_id(self) -> uuid.UUID: ...


def require_requester_of(caller: Caller, problem: Problem) -> None:
    """Requesters edit only their own department's problems."""
    require_allowed(caller, problem, frozenset({"requester"}), owning_department_only=True)


def require_allowed(
    caller: Caller, problem: Owned, roles: frozenset[str], *, owning_department_only: bool
) -> None:
    """403 unless the caller holds one of ``roles`` (and, if asked, belongs to the owner)."""
    require_role(caller, *sorted(roles))
    if owning_department_only and problem.department_id != caller.department_id:
        raise Forbidden("Only the owning department can do this.")


def require_action(caller: Caller, problem: Owned, action: Action) -> None:
    """The lifecycle table says who may take each action; this enforces it."""
    require_allowed(
        caller, problem, action.roles, owning_department_only=action.owning_department_only
    )


async def on_problem_team(session: AsyncSession, caller: Caller, problem: Problem) -> bool:
    """The caller is the problem's triager, or a team member of the team paired with it."""
    if "triager" in caller.roles and problem.triager_id == caller.id:
        return True
    if "team_member" not in caller.roles or problem.team_id is None:
        return False
    member = await session.scalar(
        select(TeamMember.person_id).where(
            TeamMember.team_id == problem.team_id, TeamMember.person_id == caller.id
        )
    )
    return member is not None


async def require_problem_team(session: AsyncSession, caller: Caller, problem: Problem) -> None:
    """403 unless the caller is the problem's triager or a member of its team."""
    require_role(caller, *sorted(PROBLEM_TEAM))
    if not await on_problem_team(session, caller, problem):
        raise Forbidden("Only the problem's triager and the members of its team can do this.")


def require_work_open(problem: Problem) -> None:
    """409 unless the problem is accepted and not yet closed (the work can be recorded)."""
    if problem.status not in WORK_STATES:
        raise Conflict(
            f"Work records can be changed while a problem is "
            f"{', '.join(sorted(WORK_STATES))}; this one is {problem.status}.",
            current_state=problem.status,
        )
