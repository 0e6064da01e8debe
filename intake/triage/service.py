"""Triage rules: the triage actions, the queue and its SLA clocks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import msgspec
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from intake.collaboration import access
from intake.db import models
from intake.lib.clock import utcnow
from intake.lib.errors import Conflict, FieldError, ValidationFailed
from intake.problems import edits, history, lifecycle, submitting
from intake.problems import service as problems
from intake.problems.schemas import PersonRef
from intake.problems.schemas import Problem as ProblemOut
from intake.registry import service as registry
from intake.registry.schemas import DepartmentRef
from intake.triage import schemas, similar
from intake.triage.reads import (
    QUEUE_ORDERS,
    QUEUE_READERS,
    QUEUE_STATES,
    ClockRow,
    QueueFilters,
    QueueOrder,
    decision_clock,
    first_response_clock,
    needs_pauses,
    queue_for,
)
from intake.triage.sla import clocks, current
from intake.web.auth import Caller, require_role

__all__ = ["QUEUE_ORDERS", "QUEUE_STATES", "QueueFilters", "QueueOrder"]


# -- actions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Submitted:
    """A submitted problem as its submitter now sees it, and the similar problems triage
    found (before the reference was taken)."""

    problem: ProblemOut
    similar_problems: list[schemas.SimilarProblem]


async def submit(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, if_match: str | None
) -> Submitted:
    """Submit a draft, finding the similar problems (to spot duplicates early) before the
    reference is taken, so other submits do not wait for them. The draft's lock reads its
    words for the search and the SLA calendar for its clocks (``_LOCKS``)."""
    searched = _Searched(session)
    problem = await problems.submit(session, caller, problem_id, if_match, **searched.arguments())
    return Submitted(problem, searched.found)


async def submit_as(
    session: AsyncSession, email: str, problem_id: uuid.UUID, if_match: str | None
) -> Submitted:
    """``submit`` by the person ``email``, looked up by the draft's lock (401 as
    ``load_caller`` says it): a request without an Idempotency-Key."""
    searched = _Searched(session)
    problem = await submitting.submit_as(
        session, email, problem_id, if_match, **searched.arguments()
    )
    return Submitted(problem, searched.found)


class _Searched:
    """A submit's search before its reference, and the matches it found."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.found: list[schemas.SimilarProblem] = []

    def arguments(self) -> dict[str, Any]:
        params = {"opening": similar.OPENING, "known": current.known()}
        return {"locks": _LOCKS, "lock_params": params, "before_numbering": self.search}

    async def search(
        self, caller: Caller, problem: Row[Any], connection: asyncpg.Connection
    ) -> None:
        session = self.session
        found = await similar.search_before_numbering(session, caller, problem, connection)
        self.found.extend(found)
        clocks.read_ahead(session, problem.id, current.from_row(problem._mapping))


_LOCKS = submitting.lock_statements(
    f"{similar.LOCKED_WORDS},\n       {current.columns('CAST(:known AS uuid)')}", current.JOIN
)


async def take_into_triage(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    triager_email: str | None,
) -> models.Problem:
    async def assign(problem: models.Problem) -> dict[str, Any]:
        triager_id = caller.id
        if triager_email is not None:
            triager_id = await _active_triager(session, triager_email)
        return await _own(session, problem, triager_id)

    return await problems.apply_action(
        session, caller, problem_id, "triage", if_match, prepare=assign
    )


async def reassign(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    data: schemas.Reassign,
) -> models.Problem:
    """Hand a problem in triage or needs_info to another triager; nothing else changes."""

    async def hand_over(problem: models.Problem) -> dict[str, Any]:
        triager_id = await _active_triager(session, data.triager_email)
        if triager_id == problem.triager_id:
            raise ValidationFailed(
                "The problem already belongs to that triager.",
                [FieldError("triager_email", f"{data.triager_email} already owns it")],
            )
        return await _own(session, problem, triager_id)

    return await problems.apply_action(
        session, caller, problem_id, "reassign", if_match, reason=data.reason, prepare=hand_over
    )


async def _active_triager(session: AsyncSession, email: str) -> uuid.UUID:
    """The id of the person with this e-mail, who must be an active triager (422 otherwise)."""
    person = await registry.person_by_email(session, email)
    if person is None or not person.active or "triager" not in person.roles:
        raise ValidationFailed(
            "Only an active triager can own a problem in triage.",
            [FieldError("triager_email", f"{email} is not an active triager")],
        )
    return person.id


async def _own(
    session: AsyncSession, problem: models.Problem, triager_id: uuid.UUID
) -> dict[str, Any]:
    """Make the triager the problem's owner and a watcher; the change as history records it."""
    before = problem.triager_id
    await problems.follow(session, problem.id, triager_id)  # first: the problem is then
    problem.triager_id = triager_id  # written once, with its new state
    return {"triager_id": {"from": _str(before), "to": str(triager_id)}}


async def redirect(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    data: schemas.Redirect,
) -> models.Problem:
    async def destination(problem: models.Problem) -> dict[str, Any]:
        if data.department is None and data.channel is None:
            raise ValidationFailed(
                "Say where the problem should go.",
                [FieldError("department", "Give a department, a channel, or both")],
            )
        if data.department is not None:
            department = await registry.department_by_code(session, data.department, "department")
            problem.redirected_to_department_id = department.id
        problem.redirect_channel = data.channel.strip() if data.channel else None
        return {"redirected_to": {"department": data.department, "channel": data.channel}}

    return await problems.apply_action(
        session, caller, problem_id, "redirect", if_match, reason=data.reason, prepare=destination
    )


@dataclass(frozen=True, slots=True)
class Moved:
    """Who moved from a duplicate to its primary, and who was left on the duplicate, why."""

    watchers: int
    collaborators: int
    not_moved: list[schemas.NotMoved]


async def mark_duplicate(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    data: schemas.MarkDuplicate,
) -> tuple[models.Problem, Moved]:
    """Point at the primary; move watchers and collaborators onto it, never widening who
    sees a restricted primary (``_move_followers``); history on both."""
    outcome: list[Moved] = []

    async def merge_into_primary(problem: models.Problem) -> dict[str, Any]:
        if data.primary_problem_id == problem.id:
            raise ValidationFailed(
                "A problem cannot duplicate itself.",
                [FieldError("primary_problem_id", "Choose another problem")],
            )
        primary = await problems.get_visible(
            session, caller, data.primary_problem_id, for_update=True
        )
        if primary.reference is None or primary.status in lifecycle.TERMINAL_STATES:
            raise Conflict(
                f"The primary problem is {primary.status}; choose the problem that is being "
                "worked on.",
                current_state=primary.status,
            )
        moved = await _move_followers(session, problem.id, primary)
        outcome.append(moved)
        counts = {"watchers_moved": moved.watchers, "collaborators_moved": moved.collaborators}
        # Who was left off is the duplicate's business: the primary's readers may not see
        # the duplicate, and it is there that those left off still follow.
        linked = {"duplicate": {"id": str(problem.id), "reference": problem.reference}, **counts}
        edits.bump(primary)
        await history.record(
            session, primary.id, caller.id, "duplicate_linked", reason=data.reason, changes=linked
        )
        problem.primary_problem_id = primary.id
        return {
            "primary": {"id": str(primary.id), "reference": primary.reference},
            **counts,
            "not_moved": msgspec.to_builtins(moved.not_moved),
        }

    problem = await problems.apply_action(
        session,
        caller,
        problem_id,
        "mark-duplicate",
        if_match,
        reason=data.reason,
        prepare=merge_into_primary,
    )
    return problem, outcome[0]


_CANNOT_SEE = "Cannot see the primary problem, which is restricted"
NOT_MOVED_REASONS = {
    "watcher": f"{_CANNOT_SEE}; still follows this one.",
    "collaborator": (
        f"{_CANNOT_SEE}, and collaborating on it would show it to them; still collaborates "
        "on this one."
    ),
}


async def _move_followers(
    session: AsyncSession, duplicate_id: uuid.UUID, primary: models.Problem
) -> Moved:
    """Move the duplicate's watchers and collaborators onto the primary, except those who
    could not already see it (only a restricted primary has any): a collaborator would be
    shown it, a watcher would follow what they cannot read. They stay on the duplicate,
    which they can still see, and ``not_moved`` names them."""
    Person, Watcher = models.Person, models.ProblemWatcher
    not_moved: list[schemas.NotMoved] = []
    moved_watchers: list[uuid.UUID] = []
    watchers = await session.scalars(
        select(Person)
        .join(Watcher, Watcher.person_id == Person.id)
        .where(Watcher.problem_id == duplicate_id)
        .order_by(Person.name, Person.id)
    )
    for watcher in list(watchers):
        if await _sees_already(session, primary, None, watcher):
            moved_watchers.append(watcher.id)
        else:
            not_moved.append(
                schemas.NotMoved(
                    kind="watcher",
                    person=PersonRef(id=watcher.id, name=watcher.name),
                    department=None,
                    reason=NOT_MOVED_REASONS["watcher"],
                )
            )
    for watcher_id in moved_watchers:
        await problems.follow(session, primary.id, watcher_id)
    await session.execute(
        delete(Watcher).where(
            Watcher.problem_id == duplicate_id, Watcher.person_id.in_(moved_watchers)
        )
    )

    moved_collaborators: list[uuid.UUID] = []
    for row, department, person in await _collaborators(session, duplicate_id):
        if await _sees_already(session, primary, department, person):
            moved_collaborators.append(row.id)
            await session.execute(
                insert(models.ProblemCollaborator)
                .values(
                    id=uuid.uuid4(),
                    problem_id=primary.id,
                    department_id=row.department_id,
                    person_id=row.person_id,
                )
                .on_conflict_do_nothing()
            )
        else:
            not_moved.append(
                schemas.NotMoved(
                    kind="department" if department is not None else "person",
                    person=PersonRef(id=person.id, name=person.name) if person else None,
                    department=DepartmentRef(
                        id=department.id, code=department.code, name=department.name
                    )
                    if department
                    else None,
                    reason=NOT_MOVED_REASONS["collaborator"],
                )
            )
    await session.execute(
        delete(models.ProblemCollaborator).where(
            models.ProblemCollaborator.id.in_(moved_collaborators)
        )
    )
    return Moved(
        watchers=len(moved_watchers), collaborators=len(moved_collaborators), not_moved=not_moved
    )


async def _collaborators(
    session: AsyncSession, problem_id: uuid.UUID
) -> list[tuple[models.ProblemCollaborator, models.Department | None, models.Person | None]]:
    """The problem's collaborating departments and people, in the order they were added."""
    Collaborator = models.ProblemCollaborator
    rows = await session.execute(
        select(Collaborator, models.Department)
        .outerjoin(models.Department, models.Department.id == Collaborator.department_id)
        .where(Collaborator.problem_id == problem_id)
        .order_by(Collaborator.added_at, Collaborator.id)
    )
    out: list[
        tuple[models.ProblemCollaborator, models.Department | None, models.Person | None]
    ] = []
    for row, department in rows.all():
        person = await session.get(models.Person, row.person_id) if row.person_id else None
        out.append((row, department, person))
    return out


async def _sees_already(
    session: AsyncSession,
    problem: models.Problem,
    department: models.Department | None,
    person: models.Person | None,
) -> bool:
    """Whether a department or a person may see the (submitted) problem now."""
    if not problem.restricted:
        return True
    if person is not None:
        return await access.can_see(session, person, problem.id)
    assert department is not None
    if department.id == problem.department_id:
        return True
    Collaborator = models.ProblemCollaborator
    found = await session.scalar(
        select(Collaborator.id).where(
            Collaborator.problem_id == problem.id, Collaborator.department_id == department.id
        )
    )
    return found is not None


def _str(value: object) -> str | None:
    return None if value is None else str(value)


# -- the queue ------------------------------------------------------------------------------


async def triage_queue(
    session: AsyncSession,
    caller: Caller,
    filters: QueueFilters,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.QueueItem], str | None]:
    """The queue as ``reads.queue_for`` reads it, in the session's transaction (the pages)."""
    require_role(caller, *QUEUE_READERS)
    connection = await (await session.connection()).get_raw_connection()
    return await queue_for(
        connection.driver_connection,
        caller.email.strip().lower(),
        filters,
        now=utcnow(),
        cursor=cursor,
        limit=limit,
    )


async def problem_clocks(
    session: AsyncSession, problem: models.Problem
) -> tuple[schemas.SlaClockOut, schemas.SlaClockOut]:
    """A submitted problem's first response and decision clocks, as its queue row shows
    them (the triage page shows them for a problem in or out of the queue)."""
    now = utcnow()
    cal, targets = await current.current(session)
    row = ClockRow.of(problem)
    pauses = await clocks.pauses(session, problem) if needs_pauses(row, now) else []
    return (
        first_response_clock(row, targets.first_response_days, cal, now),
        decision_clock(row, targets.decision_days, cal, now, pauses),
    )
