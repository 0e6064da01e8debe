"""Watcher rules: who follows a problem (and so hears about its changes in their inbox).

Anyone who can see a problem may follow or unfollow it themselves. Adding or removing someone
else is for the problem's stewards: the owning department's requesters and the problem's
triager and team. Following is idempotent. Changes made here are recorded in history
(``watcher_added``/``watcher_removed``); automatic follows (the submitter on drafting, the
triager on triage, the team on assignment, people on being mentioned) ride on the event that
caused them and add none of their own.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake.collaboration import access
from intake.db import models
from intake.lib.errors import FieldError, NotFound, ValidationFailed
from intake.problems import history
from intake.problems import service as problems
from intake.problems.schemas import PersonRef
from intake.web.auth import Caller


async def list_watchers(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID
) -> list[PersonRef]:
    """Active people following the problem, in the order they started."""
    await problems.get_visible(session, caller, problem_id)
    Watcher, Person = models.ProblemWatcher, models.Person
    rows = await session.execute(
        select(Person.id, Person.name)
        .join(Watcher, Watcher.person_id == Person.id)
        .where(Watcher.problem_id == problem_id, Person.active.is_(True))
        .order_by(Watcher.added_at, Person.id)
    )
    return [PersonRef(id=person_id, name=name) for person_id, name in rows]


async def get_watcher(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, person_id: uuid.UUID
) -> PersonRef:
    """The person if they follow the problem; 404 otherwise."""
    await problems.get_visible(session, caller, problem_id)
    Watcher, Person = models.ProblemWatcher, models.Person
    row = (
        await session.execute(
            select(Person.id, Person.name)
            .join(Watcher, Watcher.person_id == Person.id)
            .where(
                Watcher.problem_id == problem_id,
                Watcher.person_id == person_id,
                Person.active.is_(True),
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"{person_id} does not follow problem {problem_id}.")
    return PersonRef(id=row[0], name=row[1])


async def add_watcher(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, email: str | None
) -> tuple[PersonRef, bool]:
    """Start following (the caller, or the person with ``email``); True if they were not yet."""
    problem = await problems.get_visible(session, caller, problem_id)
    if email is None or email.strip().lower() == caller.email.lower():
        person_id, name = caller.id, caller.name
    else:
        await access.require_steward(session, caller, problem)
        person, error = await access.active_person(session, email, "email")
        if person is None:
            assert error is not None
            raise ValidationFailed("Only an active person can follow a problem.", [error])
        if not await access.can_see(session, person, problem.id):
            raise ValidationFailed(
                f"{person.name} cannot see this problem, so cannot follow it.",
                [FieldError("email", f"{person.email} cannot see this problem")],
            )
        person_id, name = person.id, person.name
    added = await session.scalar(
        insert(models.ProblemWatcher)
        .values(problem_id=problem.id, person_id=person_id)
        .on_conflict_do_nothing()
        .returning(models.ProblemWatcher.person_id)
    )
    if added is not None:
        watcher = {"id": str(person_id), "name": name}
        await history.record(
            session, problem.id, caller.id, "watcher_added", changes={"watcher": watcher}
        )
    return PersonRef(id=person_id, name=name), added is not None


async def remove_watcher(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, person_id: uuid.UUID
) -> None:
    """Stop following: yourself, or (for the problem's stewards) anyone; 404 if not following."""
    problem = await problems.get_visible(session, caller, problem_id)
    if person_id != caller.id:
        await access.require_steward(session, caller, problem)
    Watcher = models.ProblemWatcher
    removed = await session.scalar(
        delete(Watcher)
        .where(Watcher.problem_id == problem.id, Watcher.person_id == person_id)
        .returning(Watcher.person_id)
    )
    if removed is None:
        raise NotFound(f"{person_id} does not follow problem {problem_id}.")
    person = await session.get(models.Person, person_id)
    watcher = {"id": str(person_id), "name": person.name if person else None}
    await history.record(
        session, problem.id, caller.id, "watcher_removed", changes={"watcher": watcher}
    )
