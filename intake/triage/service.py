"""Triage rules: the triage actions, the queue and its SLA clocks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

import msgspec
from sqlalchemy import ColumnElement, Row, Select, and_, delete, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake.collaboration import access
from intake.db import models
from intake.db.session import cached
from intake.lib.clock import utcnow
from intake.lib.errors import Conflict, FieldError, ValidationFailed
from intake.lib.pagination import decode_cursor, encode_cursor
from intake.lib.schema import from_row
from intake.problems import edits, history, lifecycle
from intake.problems import service as problems
from intake.problems.guards import visible_to
from intake.problems.schemas import PersonRef
from intake.registry import service as registry
from intake.registry.schemas import DepartmentRef
from intake.triage import policy, schemas, similar
from intake.triage.sla import clocks
from intake.triage.sla.business_time import (
    Calendar,
    Pause,
    SlaClock,
    business_time_elapsed,
    clock,
    due_at,
)
from intake.web.auth import Caller, require_role

QUEUE_STATES = ("submitted", "triage", "needs_info")


# -- actions --------------------------------------------------------------------------------


async def submit(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, if_match: str | None
) -> tuple[models.Problem, list[schemas.SimilarProblem]]:
    """Submit a draft with the similar problems (to spot duplicates early), found before the
    reference is taken, so other submits do not wait for the search."""
    found: list[schemas.SimilarProblem] = []

    async def search(problem: models.Problem) -> None:
        found.extend(await similar.search_before_numbering(session, caller, problem))

    problem = await problems.submit(session, caller, problem_id, if_match, before_numbering=search)
    return problem, found


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
        edits.bump(primary)
        await history.record(
            session,
            problem_id=primary.id,
            actor_id=caller.id,
            type="duplicate_linked",
            reason=data.reason,
            # Who was left off is the duplicate's business: the primary's readers may not
            # see the duplicate, and it is there that those left off still follow.
            changes={
                "duplicate": {"id": str(problem.id), "reference": problem.reference},
                **counts,
            },
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


QueueOrder = Literal["due", "score", "oldest"]
QUEUE_ORDERS: tuple[QueueOrder, ...] = get_args(QueueOrder)


@dataclass(frozen=True, slots=True)
class QueueFilters:
    department: str | None = None
    triager: uuid.UUID | None = None
    unassigned: bool = False
    states: tuple[str, ...] = ()
    breached: bool | None = None
    min_age_days: int | None = None
    # "due" (the queue's own order), "score" (highest first) or "oldest" (submitted first).
    order: QueueOrder = "due"


# The queue reads columns, not entities: a row of 15 plain values (see _QUEUE_ROWS).
QueueQuery = Select[*tuple[Any, ...]]
QueueRow = Row[*tuple[Any, ...]]

# What the clocks read of a problem: a queue row, or the problem itself.
ClockSource = QueueRow | models.Problem

# A paused problem's place in a cursor: its decision clock has no due time, so it sorts last.
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


async def triage_queue(
    session: AsyncSession,
    caller: Caller,
    filters: QueueFilters,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.QueueItem], str | None]:
    """Open problems, soonest decision due first (paused ones last), then highest score.

    The order is the one ``ix_problems_triage_queue`` keeps, so a page, first or later, is a
    short range of that index whatever the length of the queue.
    """
    require_role(caller, "triager", "admin", "leadership")
    now = utcnow()
    query = _queue_query(caller, filters, now).limit(limit + 1)
    if filters.order != "due":
        rows = await _rows_in_order(session, query, filters.order, cursor)
    elif cursor:
        due, score, after_id = decode_cursor(cursor, (datetime, int, uuid.UUID))
        rows = await _rows_after(session, query, due, score, after_id, limit + 1)
    else:
        rows = list((await session.execute(query)).all())
    page = rows[:limit]
    cal, targets = await cached(
        session, policy.SLA_CALENDAR, policy.CACHE_SECONDS, lambda: clocks.calendar(session)
    )
    # Only paused and overdue decision clocks need their pauses (see _needs_history): after
    # the first pages of a queue, which hold the overdue problems, most pages read none.
    pauses = await clocks.pauses_for(session, [row.id for row in page if _needs_history(row, now)])
    items = [
        schemas.QueueItem(
            id=row.id,
            reference=row.reference,
            title=row.title,
            status=row.status,
            department=DepartmentRef(
                id=row.department_id, code=row.department_code, name=row.department_name
            ),
            triager=PersonRef(id=row.triager_id, name=row.triager_name) if row.triager_id else None,
            score=row.score,
            submitted_at=row.submitted_at,
            first_response=_first_response_clock(row, targets.first_response_days, cal, now),
            decision=_decision_clock(row, targets.decision_days, cal, now, pauses.get(row.id, [])),
        )
        for row in page
    ]
    next_cursor = None
    if len(rows) > limit and filters.order != "due":
        last = page[-1]
        key = last.score if filters.order == "score" else last.submitted_at
        next_cursor = encode_cursor([filters.order, key if key is not None else -1, str(last.id)])
    elif len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor(
            [
                last.decision_due_at or _FAR_FUTURE,
                last.score if last.score is not None else -1,
                str(last.id),
            ]
        )
    return items, next_cursor


async def problem_clocks(
    session: AsyncSession, problem: models.Problem
) -> tuple[schemas.SlaClockOut, schemas.SlaClockOut]:
    """A submitted problem's first response and decision clocks, as its queue row shows
    them (the triage page shows them for a problem in or out of the queue)."""
    now = utcnow()
    cal, targets = await cached(
        session, policy.SLA_CALENDAR, policy.CACHE_SECONDS, lambda: clocks.calendar(session)
    )
    pauses = await clocks.pauses_for(session, [problem.id] if _needs_history(problem, now) else [])
    return (
        _first_response_clock(problem, targets.first_response_days, cal, now),
        _decision_clock(problem, targets.decision_days, cal, now, pauses.get(problem.id, [])),
    )


# The queue's rows in queue order: only the columns a row shows, no long text. Built once,
# which halves what building the query costs a request; each request adds only its WHERE.
_QUEUE_ROWS: QueueQuery = (
    select(
        models.Problem.id,
        models.Problem.reference,
        models.Problem.title,
        models.Problem.status,
        models.Problem.score,
        models.Problem.submitted_at,
        models.Problem.first_response_at,
        models.Problem.first_response_due_at,
        models.Problem.decided_at,
        models.Problem.decision_due_at,
        models.Problem.triager_id,
        models.Person.name.label("triager_name"),
        models.Department.id.label("department_id"),
        models.Department.code.label("department_code"),
        models.Department.name.label("department_name"),
    )
    .join(models.Department, models.Department.id == models.Problem.department_id)
    .outerjoin(models.Person, models.Person.id == models.Problem.triager_id)
    .order_by(
        models.Problem.decision_due_at.asc().nulls_last(),
        models.Problem.score.desc().nulls_last(),
        models.Problem.id,
    )
)


def _queue_query(caller: Caller, filters: QueueFilters, now: datetime) -> QueueQuery:
    Problem, Department = models.Problem, models.Department
    query = _QUEUE_ROWS.where(
        Problem.status.in_(filters.states or QUEUE_STATES), visible_to(caller)
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
        query = query.where(breached(now) if filters.breached else ~breached(now))
    return query


def breached(now: datetime) -> ColumnElement[bool]:
    """SQL: either clock of a queue row shows ``breached`` at ``now`` (never NULL).

    The same judgement as the rows' clocks (``_first_response_clock``, ``_decision_clock``),
    on the same stored due times: the first response was given after its due time, or is
    still owed and overdue; the decision is overdue. A decision clock paused after it ran
    out keeps its due time (``clocks.on_transition``), so it stays breached while paused;
    one paused in time has none. Plain comparisons of the row's own columns, so the queue
    is still read in index order and filtered as it goes.
    """
    Problem = models.Problem
    return func.coalesce(
        or_(
            Problem.decision_due_at < now,
            Problem.first_response_due_at < func.coalesce(Problem.first_response_at, now),
        ),
        False,
    )


async def _rows_after(
    session: AsyncSession,
    query: QueueQuery,
    due: datetime,
    score: int,
    after_id: uuid.UUID,
    count: int,
) -> list[QueueRow]:
    """Up to ``count`` queue rows after the cursor (due, score, id), in queue order.

    Written so the index is used: a lower bound on ``decision_due_at`` starts the index
    range at the cursor (a ``coalesce`` of it would make PostgreSQL read the queue from the
    start); the score and id only break ties among rows due at the same moment. Paused rows
    (no due time) are their own range at the end of the index, read once the dated rows
    run out.
    """
    Problem = models.Problem
    if due.tzinfo is None:  # this server writes UTC with its offset; read a bare one as UTC
        due = due.replace(tzinfo=UTC)
    after_in_group = or_(
        func.coalesce(Problem.score, -1) < score,
        and_(func.coalesce(Problem.score, -1) == score, Problem.id > after_id),
    )
    if due >= _FAR_FUTURE:
        paused = query.where(Problem.decision_due_at.is_(None), after_in_group)
        return list((await session.execute(paused)).all())
    dated = query.where(
        Problem.decision_due_at >= due, or_(Problem.decision_due_at > due, after_in_group)
    )
    rows = list((await session.execute(dated)).all())
    if len(rows) < count:
        paused = query.where(Problem.decision_due_at.is_(None)).limit(count - len(rows))
        rows += (await session.execute(paused)).all()
    return rows


async def _rows_in_order(
    session: AsyncSession, query: QueueQuery, order: QueueOrder, cursor: str | None
) -> list[QueueRow]:
    """The queue's rows by highest score (unscored last) or by oldest submission, then id,
    after the cursor (which names its order: another order's cursor is a 422)."""
    Problem = models.Problem
    score = func.coalesce(Problem.score, -1)
    if order == "score":
        query = query.order_by(None).order_by(score.desc(), Problem.id)
        if cursor:
            _, after, after_id = decode_cursor(cursor, (Literal["score"], int, uuid.UUID))
            query = query.where(or_(score < after, and_(score == after, Problem.id > after_id)))
    else:
        query = query.order_by(None).order_by(Problem.submitted_at, Problem.id)
        if cursor:
            _, since, after_id = decode_cursor(cursor, (Literal["oldest"], datetime, uuid.UUID))
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            query = query.where(tuple_(Problem.submitted_at, Problem.id) > tuple_(since, after_id))
    return list((await session.execute(query)).all())


def _needs_history(row: ClockSource, now: datetime) -> bool:
    """Whether the decision clock needs the problem's pauses, not just its stored due time.

    The due time already allows for every pause before it, so a clock still short of it
    does not; a paused one does, and so does an overdue one (it may have waited on the
    requester since). Stopped clocks never reach the queue, but the clock allows them.
    """
    due = row.decision_due_at
    return due is None or now >= due or row.decided_at is not None


def _first_response_clock(
    row: ClockSource, target_days: int, cal: Calendar, now: datetime
) -> schemas.SlaClockOut:
    """From submit until a triager first acts; never paused, so its due time is fixed."""
    started = row.submitted_at or now
    due = row.first_response_due_at or due_at(started, target_days, cal)
    until = row.first_response_at or now
    return schemas.SlaClockOut(
        target_days=target_days,
        due_at=due,
        stopped_at=row.first_response_at,
        elapsed_business_days=round(business_time_elapsed(started, until, cal), 2),
        paused=False,
        breached=due is not None and until > due,
    )


def _decision_clock(
    row: ClockSource, target_days: int, cal: Calendar, now: datetime, pauses: list[Pause]
) -> schemas.SlaClockOut:
    """From submit until the decision, paused while waiting on the requester.

    A running clock's business time elapsed is the target less what remains until its
    stored due time, or plus what has passed since (less any pause since then): one span
    of the calendar instead of replaying the problem's whole history. A paused clock's
    due time and breach are the stored ones too, as the queue's ``breached`` filter reads
    them (a policy change recomputes both in the same request).
    """
    due = row.decision_due_at
    paused = row.status == "needs_info"
    if paused or due is None or row.decided_at is not None:
        value = clock_out(
            clock(
                started_at=row.submitted_at or now,
                target_days=target_days,
                calendar=cal,
                now=now,
                stopped_at=row.decided_at,
                pauses=pauses,
            )
        )
        if paused:
            overdue = due is not None and now > due
            return msgspec.structs.replace(value, due_at=due, breached=overdue)
        return value
    if now < due:
        elapsed = max(0.0, target_days - business_time_elapsed(now, due, cal))
    else:
        elapsed = target_days + business_time_elapsed(due, now, cal, pauses)
    return schemas.SlaClockOut(
        target_days=target_days,
        due_at=due,
        stopped_at=None,
        elapsed_business_days=round(elapsed, 2),
        paused=False,
        breached=now > due,
    )


def clock_out(value: SlaClock) -> schemas.SlaClockOut:
    return from_row(schemas.SlaClockOut, value)
