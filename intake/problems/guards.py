"""Who may see and change a problem. Hidden problems are 404, never 403."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from intake.db.models import Problem, ProblemCollaborator
from intake.lib.auth import Caller, require_role
from intake.lib.errors import Forbidden
from intake.problems.lifecycle import Action


def visible_to(caller: Caller) -> ColumnElement[bool]:
    """SQL condition: the caller may see the problem.

    Drafts (and drafts withdrawn before they were ever submitted, which have no
    reference): only the owning department. Submitted problems: all city staff, unless
    restricted; restricted ones: the owning department, collaborating departments and
    people, DTI roles and leadership.
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
    return or_(
        Problem.department_id == caller.department_id,
        and_(
            Problem.reference.is_not(None),
            or_(Problem.restricted.is_(False), privileged, collaborates),
        ),
    )


def require_requester_of(caller: Caller, problem: Problem) -> None:
    """Requesters edit only their own department's problems."""
    require_allowed(caller, problem, frozenset({"requester"}), owning_department_only=True)


def require_allowed(
    caller: Caller, problem: Problem, roles: frozenset[str], *, owning_department_only: bool
) -> None:
    """403 unless the caller holds one of ``roles`` (and, if asked, belongs to the owner)."""
    require_role(caller, *sorted(roles))
    if owning_department_only and problem.department_id != caller.department_id:
        raise Forbidden("Only the owning department can do this.")


def require_action(caller: Caller, problem: Problem, action: Action) -> None:
    """The lifecycle table says who may take each action; this enforces it."""
    require_allowed(
        caller, problem, action.roles, owning_department_only=action.owning_department_only
    )
