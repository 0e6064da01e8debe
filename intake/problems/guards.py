"""Who may see and change a problem. Hidden problems are 404, never 403."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from intake.db.models import Problem, ProblemCollaborator
from intake.lib.auth import Caller
from intake.lib.errors import Forbidden


def visible_to(caller: Caller) -> ColumnElement[bool]:
    """SQL condition: the caller may see the problem.

    Drafts: only the owning department. Submitted problems: all city staff, unless
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
            Problem.status != "draft",
            or_(Problem.restricted.is_(False), privileged, collaborates),
        ),
    )


def require_requester_of(caller: Caller, problem: Problem) -> None:
    """Requesters act only on their own department's problems."""
    if "requester" not in caller.roles:
        raise Forbidden("Only requesters can change a problem's record.")
    if problem.department_id != caller.department_id:
        raise Forbidden("Only the owning department's requesters can do this.")
