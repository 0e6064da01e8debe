"""Who may do what on a problem's collaboration records, and who can see a problem at all."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.errors import FieldError, Forbidden
from intake.problems.guards import on_problem_team, visible_to
from intake.registry import service as registry
from intake.web.auth import DTI_ROLES, Caller


def as_caller(person: models.Person) -> Caller:
    """The person as if they were signed in, to ask what they could see."""
    return Caller(
        id=person.id,
        email=person.email,
        name=person.name,
        department_id=person.department_id,
        department_code=person.department.code,
        roles=frozenset(person.roles),
    )


def is_dti(person: models.Person) -> bool:
    return not DTI_ROLES.isdisjoint(person.roles)


async def can_see(session: AsyncSession, person: models.Person, problem_id: uuid.UUID) -> bool:
    """Whether ``person`` could read the problem if they asked (the same rule as for callers)."""
    found = await session.scalar(
        select(models.Problem.id).where(
            models.Problem.id == problem_id, visible_to(as_caller(person))
        )
    )
    return found is not None


async def active_person(
    session: AsyncSession, email: str, field: str
) -> tuple[models.Person | None, FieldError | None]:
    """The active person with this e-mail (any case), or the field error saying why not."""
    person = await registry.person_by_email(session, email)
    if person is None or not person.active:
        return None, FieldError(field, f"No active person has the e-mail {email.strip()}")
    return person, None


def _owning_requester(caller: Caller, problem: models.Problem) -> bool:
    return "requester" in caller.roles and caller.department_id == problem.department_id


async def require_steward(session: AsyncSession, caller: Caller, problem: models.Problem) -> None:
    """403 unless the caller is a requester of the owning department or on the problem's team.

    These are the people who speak for the problem: they may add and remove other people's
    watching.
    """
    if _owning_requester(caller, problem) or await on_problem_team(session, caller, problem):
        return
    raise Forbidden(
        "Only the owning department's requesters and the problem's triager and team can "
        "change who else follows this problem."
    )


async def require_collaboration_manager(
    session: AsyncSession, caller: Caller, problem: models.Problem
) -> None:
    """403 unless the caller may add or remove collaborators: stewards and admins."""
    if "admin" in caller.roles or _owning_requester(caller, problem):
        return
    if await on_problem_team(session, caller, problem):
        return
    raise Forbidden(
        "Only the owning department's requesters, the problem's triager and team, and admins "
        "can change its collaborators."
    )
