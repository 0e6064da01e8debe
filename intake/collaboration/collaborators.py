"""Collaborator rules: departments and people who work a problem with the owning department.

A collaborating department's staff and a collaborating person can see the problem even when
it is restricted (``guards.visible_to``), once it is submitted. The owning department's
requesters, the problem's triager and team, and admins add and remove collaborators, in any
state; every change is in history. A collaborating person also starts following the problem.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from intake.collaboration import access, schemas
from intake.db import models
from intake.lib.errors import Conflict, FieldError, NotFound, ValidationFailed
from intake.problems import history
from intake.problems import service as problems
from intake.problems.schemas import PersonRef
from intake.registry import service as registry
from intake.registry.schemas import DepartmentRef
from intake.web.auth import Caller


def _out(
    row: models.ProblemCollaborator,
    department: models.Department | None,
    person: models.Person | None,
) -> schemas.Collaborator:
    return schemas.Collaborator(
        id=row.id,
        kind="department" if department is not None else "person",
        department=DepartmentRef(id=department.id, code=department.code, name=department.name)
        if department is not None
        else None,
        person=PersonRef(id=person.id, name=person.name) if person is not None else None,
        added_at=row.added_at,
    )


def _query() -> Any:
    Collaborator = models.ProblemCollaborator
    return (
        select(Collaborator, models.Department, models.Person)
        .outerjoin(models.Department, models.Department.id == Collaborator.department_id)
        .outerjoin(models.Person, models.Person.id == Collaborator.person_id)
        # Person eagerly inner-joins its department, which would drop department rows here.
        .options(raiseload(models.Person.department))
    )


async def list_collaborators(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID
) -> list[schemas.Collaborator]:
    """Collaborating departments and people, in the order they were added."""
    await problems.get_visible(session, caller, problem_id)
    Collaborator = models.ProblemCollaborator
    rows = await session.execute(
        _query()
        .where(Collaborator.problem_id == problem_id)
        .order_by(Collaborator.added_at, Collaborator.id)
    )
    return [_out(*row) for row in rows]


async def get_collaborator(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, collaborator_id: uuid.UUID
) -> schemas.Collaborator:
    await problems.get_visible(session, caller, problem_id)
    Collaborator = models.ProblemCollaborator
    row = (
        await session.execute(
            _query().where(
                Collaborator.id == collaborator_id, Collaborator.problem_id == problem_id
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"No collaborator {collaborator_id} on problem {problem_id}.")
    return _out(*row)


def _describe(collaborator: schemas.Collaborator) -> dict[str, Any]:
    """The collaborator as history records it."""
    described: dict[str, Any] = {"id": str(collaborator.id)}
    if collaborator.department is not None:
        described["department"] = {
            "id": str(collaborator.department.id),
            "code": collaborator.department.code,
        }
    if collaborator.person is not None:
        described["person"] = {
            "id": str(collaborator.person.id),
            "name": collaborator.person.name,
        }
    return described


async def add_collaborator(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, data: schemas.CollaboratorCreate
) -> schemas.Collaborator:
    # Locked, so two people adding the same collaborator at once get one row and one 409.
    problem = await problems.get_visible(session, caller, problem_id, for_update=True)
    await access.require_collaboration_manager(session, caller, problem)
    if (data.department is None) == (data.email is None):
        raise ValidationFailed(
            "Name exactly one collaborator: a department or a person.",
            [FieldError("body", "Give either `department` (a code) or `email`, not both")],
        )
    department: models.Department | None = None
    person: models.Person | None = None
    Collaborator = models.ProblemCollaborator
    if data.department is not None:
        department = await registry.department_by_code(
            session, data.department.upper(), "department"
        )
        if department.id == problem.department_id:
            raise ValidationFailed(
                "The owning department is not a collaborator on its own problem.",
                [FieldError("department", f"{department.code} owns this problem")],
            )
        duplicate = Collaborator.department_id == department.id
        label = f"{department.code} already collaborates on this problem."
    else:
        assert data.email is not None
        person, error = await access.active_person(session, data.email, "email")
        if person is None:
            assert error is not None
            raise ValidationFailed("Only an active person can collaborate.", [error])
        if person.department_id == problem.department_id:
            raise ValidationFailed(
                f"{person.name} belongs to the owning department and already works on it.",
                [FieldError("email", f"{person.email} is in the owning department")],
            )
        duplicate = Collaborator.person_id == person.id
        label = f"{person.name} already collaborates on this problem."
    existing = await session.scalar(
        select(Collaborator.id).where(Collaborator.problem_id == problem.id, duplicate)
    )
    if existing is not None:
        raise Conflict(label)
    row = Collaborator(
        problem_id=problem.id,
        department_id=department.id if department else None,
        person_id=person.id if person else None,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    if person is not None:
        await problems.follow(session, problem.id, person.id)
    collaborator = _out(row, department, person)
    added = {"collaborator": _describe(collaborator)}
    await history.record(session, problem.id, caller.id, "collaborator_added", changes=added)
    return collaborator


async def remove_collaborator(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, collaborator_id: uuid.UUID
) -> None:
    problem = await problems.get_visible(session, caller, problem_id, for_update=True)
    await access.require_collaboration_manager(session, caller, problem)
    collaborator = await get_collaborator(session, caller, problem_id, collaborator_id)
    row = await session.get(models.ProblemCollaborator, collaborator.id)
    assert row is not None
    await session.delete(row)
    await session.flush()
    removed = {"collaborator": _describe(collaborator)}
    await history.record(session, problem.id, caller.id, "collaborator_removed", changes=removed)
