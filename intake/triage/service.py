"""Triage rules: the triage actions, the queue and its SLA clocks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.auth import Caller, require_role
from intake.lib.clock import utcnow
from intake.lib.errors import Conflict, FieldError, ValidationFailed
from intake.lib.pagination import decode_cursor, encode_cursor
from intake.problems import history, lifecycle
from intake.problems import service as problems
from intake.problems.guards import visible_to
from intake.problems.schemas import PersonRef
from intake.registry import service as registry
from intake.registry.schemas import DepartmentRef
from intake.triage import clocks, schemas
from intake.triage.sla import SlaClock, clock

QUEUE_STATES = ("submitted", "triage", "needs_info")


# -- actions --------------------------------------------------------------------------------


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
            person = await registry.person_by_email(session, triager_email)
            if person is None or not person.active or "triager" not in person.roles:
                raise ValidationFailed(
                    "Only an active triager can own a problem in triage.",
                    [FieldError("triager_email", f"{triager_email} is not an active triager")],
                )
            triager_id = person.id
        before = problem.triager_id
        problem.triager_id = triager_id
        await problems.follow(session, problem.id, triager_id)
        return {"triager_id": {"from": _str(before), "to": str(triager_id)}}

    return await problems.apply_action(
        session, caller, problem_id, "triage", if_match, prepare=assign
    )


async def request_info(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    questions: str,
) -> models.Problem:
    return await problems.apply_action(
        session, caller, problem_id, "request-info", if_match, reason=questions
    )


async def respond(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, if_match: str | None, answer: str
) -> models.Problem:
    return await problems.apply_action(
        session, caller, problem_id, "respond", if_match, reason=answer
    )


async def decide(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    action: str,
    if_match: str | None,
    reason: str | None,
) -> models.Problem:
    """accept, decline, hold or resume: the table says which need a reason."""
    return await problems.apply_action(session, caller, problem_id, action, if_match, reason=reason)


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


async def mark_duplicate(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    data: schemas.MarkDuplicate,
) -> models.Problem:
    """Point at the primary; move watchers and collaborators onto it; history on both."""

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
        moved = await _move_followers(session, problem.id, primary.id)
        primary.version += 1
        primary.updated_at = utcnow()
        await history.record(
            session,
            problem_id=primary.id,
            actor_id=caller.id,
            type="duplicate_linked",
            reason=data.reason,
            changes={"duplicate": {"id": str(problem.id), "reference": problem.reference}, **moved},
        )
        problem.primary_problem_id = primary.id
        return {"primary": {"id": str(primary.id), "reference": primary.reference}, **moved}

    return await problems.apply_action(
        session,
        caller,
        problem_id,
        "mark-duplicate",
        if_match,
        reason=data.reason,
        prepare=merge_into_primary,
    )


async def _move_followers(
    session: AsyncSession, duplicate_id: uuid.UUID, primary_id: uuid.UUID
) -> dict[str, Any]:
    watchers = list(
        await session.scalars(
            select(models.ProblemWatcher.person_id).where(
                models.ProblemWatcher.problem_id == duplicate_id
            )
        )
    )
    for watcher_id in watchers:
        await problems.follow(session, primary_id, watcher_id)
    collaborators = list(
        await session.execute(
            select(
                models.ProblemCollaborator.department_id, models.ProblemCollaborator.person_id
            ).where(models.ProblemCollaborator.problem_id == duplicate_id)
        )
    )
    for department_id, person_id in collaborators:
        await session.execute(
            insert(models.ProblemCollaborator)
            .values(
                id=uuid.uuid4(),
                problem_id=primary_id,
                department_id=department_id,
                person_id=person_id,
            )
            .on_conflict_do_nothing()
        )
    await session.execute(
        delete(models.ProblemWatcher).where(models.ProblemWatcher.problem_id == duplicate_id)
    )
    await session.execute(
        delete(models.ProblemCollaborator).where(
            models.ProblemCollaborator.problem_id == duplicate_id
        )
    )
    return {
        "watchers_moved": len(watchers),
        "collaborators_moved": len(collaborators),
    }


def _str(value: object) -> str | None:
    return None if value is None else str(value)


# -- the queue ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueFilters:
    department: str | None = None
    triager: uuid.UUID | None = None
    unassigned: bool = False
    states: tuple[str, ...] = ()
    breached: bool | None = None
    min_age_days: int | None = None


_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


async def triage_queue(
    session: AsyncSession,
    caller: Caller,
    filters: QueueFilters,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.QueueItem], str | None]:
    """Open problems, soonest decision due first (paused ones last), then highest score."""
    require_role(caller, "triager", "admin", "leadership")
    Problem, Department, Person = models.Problem, models.Department, models.Person
    now = utcnow()
    due_key = func.coalesce(Problem.decision_due_at, literal(_FAR_FUTURE))
    score_key = func.coalesce(Problem.score, -1)
    query = (
        select(Problem, Department, Person.name)
        .join(Department, Department.id == Problem.department_id)
        .outerjoin(Person, Person.id == Problem.triager_id)
        .where(Problem.status.in_(filters.states or QUEUE_STATES), visible_to(caller))
        .order_by(
            Problem.decision_due_at.asc().nulls_last(),
            Problem.score.desc().nulls_last(),
            Problem.id,
        )
        .limit(limit + 1)
    )
    if filters.department:
        query = query.where(Department.code == filters.department.upper())
    if filters.unassigned:
        query = query.where(Problem.triager_id.is_(None))
    elif filters.triager:
        query = query.where(Problem.triager_id == filters.triager)
    if filters.min_age_days is not None:
        query = query.where(Problem.submitted_at <= now - timedelta(days=filters.min_age_days))
    if filters.breached is not None:
        breached = or_(
            Problem.decision_due_at < now,
            and_(Problem.first_response_at.is_(None), Problem.first_response_due_at < now),
        )
        query = query.where(breached if filters.breached else ~func.coalesce(breached, False))
    if cursor:
        due, score, after_id = decode_cursor(cursor, (datetime, int, uuid.UUID))
        query = query.where(
            or_(
                due_key > due,
                and_(due_key == due, score_key < score),
                and_(due_key == due, score_key == score, Problem.id > after_id),
            )
        )
    rows = (await session.execute(query)).all()
    page = rows[:limit]
    cal, targets = await clocks.calendar(session)
    pauses = await clocks.pauses_for(session, [row[0].id for row in page])
    items = []
    for problem, department, triager_name in page:
        first = clock(
            started_at=problem.submitted_at or now,
            target_days=targets.first_response_days,
            calendar=cal,
            now=now,
            stopped_at=problem.first_response_at,
        )
        decision = clock(
            started_at=problem.submitted_at or now,
            target_days=targets.decision_days,
            calendar=cal,
            now=now,
            stopped_at=problem.decided_at,
            pauses=pauses.get(problem.id, []),
        )
        items.append(
            schemas.QueueItem(
                id=problem.id,
                reference=problem.reference,
                title=problem.title,
                status=problem.status,
                department=DepartmentRef(
                    id=department.id, code=department.code, name=department.name
                ),
                triager=PersonRef(id=problem.triager_id, name=triager_name)
                if problem.triager_id
                else None,
                score=problem.score,
                submitted_at=problem.submitted_at,
                first_response=clock_out(first),
                decision=clock_out(decision),
            )
        )
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = encode_cursor(
            [
                last.decision_due_at or _FAR_FUTURE,
                last.score if last.score is not None else -1,
                str(last.id),
            ]
        )
    return items, next_cursor


def clock_out(value: SlaClock) -> schemas.SlaClockOut:
    return schemas.SlaClockOut(
        target_days=value.target_days,
        due_at=value.due_at,
        stopped_at=value.stopped_at,
        elapsed_business_days=value.elapsed_business_days,
        paused=value.paused,
        breached=value.breached,
    )
