"""Problem intake rules: drafts, edits, submit and withdraw, lists, search and history."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, inspect, select, text, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.clock import utcnow
from intake.lib.errors import Conflict, FieldError, NotFound, ValidationFailed
from intake.lib.etag import check_if_match
from intake.lib.pagination import page_of, seek
from intake.lib.schema import from_row
from intake.problems import (
    drafting,
    edits,
    framing,
    history,
    lifecycle,
    redaction,
    schemas,
    subscribers,
)
from intake.problems.guards import (
    event_visible_to,
    require_action,
    require_problem_team,
    require_requester_of,
    visible_clause,
    visible_clause_for,
    visible_params,
    visible_to,
)
from intake.problems.submitting import missing_for_submit as missing_for_submit
from intake.problems.submitting import submit as submit  # a path of its own, without the ORM
from intake.registry.schemas import DepartmentRef
from intake.web.auth import Caller, require_role

# Loaded only when asked for, so never read back after a change (the search vector).
_DEFERRED = frozenset(c.key for c in inspect(models.Problem).column_attrs if c.deferred)

# -- reading --------------------------------------------------------------------------------


async def problem_out(
    session: AsyncSession, caller: Caller, problem: models.Problem
) -> schemas.Problem:
    """The problem as ``caller`` sees it: a primary they may not see is not named.

    What it names (department, people, team, the latest status update) is read in one
    statement (``read_names``)."""
    names = await read_names(session, problem)
    return from_row(
        schemas.Problem,
        problem,
        department=DepartmentRef(
            id=problem.department_id, code=names.department_code, name=names.department_name
        ),
        submitter=schemas.PersonRef(id=problem.submitter_id, name=names.submitter_name),
        triager=schemas.PersonRef(id=problem.triager_id, name=names.triager_name)
        if problem.triager_id
        else None,
        team=schemas.TeamRef(id=problem.team_id, name=names.team_name) if problem.team_id else None,
        primary_problem_id=await redaction.shown_problem_id(
            session, caller, problem.primary_problem_id
        ),
        redirected_to=DepartmentRef(
            id=problem.redirected_to_department_id,
            code=names.redirected_code,
            name=names.redirected_name,
        )
        if problem.redirected_to_department_id
        else None,
        outcome_review=schemas.OutcomeReviewOut(
            result=problem.outcome_result,
            summary=problem.outcome_summary or "",
            lessons=problem.outcome_lessons or "",
        )
        if problem.outcome_result
        else None,
        latest_update=schemas.StatusUpdateOut(
            id=names.update_id,
            status=names.update_status,
            summary=names.update_summary,
            author=schemas.PersonRef(id=names.update_author_id, name=names.update_author_name),
            created_at=names.update_created_at,
        )
        if names.update_id is not None
        else None,
        framing_hints=framing.stored_hints(
            problem.framing_hints,
            problem.framing_rules,
            title=problem.title,
            problem_statement=problem.problem_statement,
            desired_outcome=problem.desired_outcome,
        ),
    )


def _names_statement() -> Any:
    """What a problem's answer names besides its own columns, as one row: its department,
    submitter, triager, team and redirection, and its latest status update. Built once."""
    Department, Person, Team, Update = (
        models.Department,
        models.Person,
        models.Team,
        models.StatusUpdate,
    )

    def name_of(column: Any, key: Any, given: str) -> Any:
        # A missing id (no triager, say) finds no row: NULL.
        return select(column).where(key == bindparam(given)).correlate(None).scalar_subquery()

    latest = (
        select(
            Update.id.label("update_id"),
            Update.status.label("update_status"),
            Update.summary.label("update_summary"),
            Update.author_id.label("update_author_id"),
            Update.created_at.label("update_created_at"),
            Person.name.label("update_author_name"),
        )
        .join(Person, Person.id == Update.author_id)
        .where(Update.problem_id == bindparam("problem_id"))
        .order_by(Update.created_at.desc(), Update.id.desc())
        .limit(1)
        .subquery()
    )
    return (
        select(
            Department.code.label("department_code"),
            Department.name.label("department_name"),
            name_of(Person.name, Person.id, "submitter_id").label("submitter_name"),
            name_of(Person.name, Person.id, "triager_id").label("triager_name"),
            name_of(Team.name, Team.id, "team_id").label("team_name"),
            name_of(Department.code, Department.id, "redirected_id").label("redirected_code"),
            name_of(Department.name, Department.id, "redirected_id").label("redirected_name"),
            latest,
        )
        .select_from(Department)
        .outerjoin(latest, true())
        .where(Department.id == bindparam("department_id"))
    )


_NAMES: Select[Any] = _names_statement()


async def read_names(session: AsyncSession, problem: models.Problem) -> Any:
    """What the problem's answer names, as one row."""
    params = {
        "problem_id": problem.id,
        "department_id": problem.department_id,
        "submitter_id": problem.submitter_id,
        "triager_id": problem.triager_id,
        "team_id": problem.team_id,
        "redirected_id": problem.redirected_to_department_id,
    }
    return (await session.execute(_NAMES, params)).one()


async def latest_update(
    session: AsyncSession, problem_id: uuid.UUID
) -> schemas.StatusUpdateOut | None:
    """The newest status update on the problem, which leadership reads first."""
    Update, Person = models.StatusUpdate, models.Person
    row = (
        await session.execute(
            select(Update, Person.name)
            .join(Person, Person.id == Update.author_id)
            .where(Update.problem_id == problem_id)
            .order_by(Update.created_at.desc(), Update.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    update, author_name = row
    return schemas.StatusUpdateOut(
        id=update.id,
        status=update.status,
        summary=update.summary,
        author=schemas.PersonRef(id=update.author_id, name=author_name),
        created_at=update.created_at,
    )


async def get_visible(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, *, for_update: bool = False
) -> models.Problem:
    """The problem if the caller may see it (locked for a change when asked); 404 otherwise."""
    if visible_clause(caller) is None:  # a department-scoped service account
        query = _visible_problem(visible_to(caller), for_update)
        problem = await session.scalar(query, {"problem_id": problem_id})
    else:
        query = _VISIBLE_PROBLEM[caller.sees_everything_submitted, for_update]
        problem = await session.scalar(query, {"problem_id": problem_id, **visible_params(caller)})
    if problem is None:
        raise NotFound(f"No problem {problem_id}.")
    return problem


def _visible_problem(visible: Any, for_update: bool) -> Select[models.Problem]:
    query = select(models.Problem).where(models.Problem.id == bindparam("problem_id"), visible)
    if for_update:
        query = query.with_for_update(of=models.Problem)
    return query.execution_options(populate_existing=True)


# Built once (building them cost more than running them), for a person: privileged, locked.
_VISIBLE_PROBLEM = {
    (privileged, locked): _visible_problem(visible_clause_for(privileged), locked)
    for privileged in (False, True)
    for locked in (False, True)
}


async def get_problem(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID
) -> schemas.Problem:
    """The problem as the caller sees it; 404 if they may not see it."""
    return await problem_out(session, caller, await get_visible(session, caller, problem_id))


async def get_visible_by_reference(
    session: AsyncSession, caller: Caller, reference: str
) -> models.Problem:
    """The problem with this human reference (P-2026-00042) if the caller may see it."""
    found = await session.scalar(
        select(models.Problem).where(
            models.Problem.reference == reference.strip().upper(), visible_to(caller)
        )
    )
    if found is None:
        raise NotFound(f"No problem {reference}.")
    return found


@dataclass(frozen=True, slots=True)
class ProblemFilters:
    statuses: tuple[str, ...] = ()
    department: str | None = None
    submitter: uuid.UUID | None = None
    restricted: bool | None = None
    q: str | None = None
    # Only the problems this person follows (the pages' "problems I follow").
    followed_by: uuid.UUID | None = None


async def list_problems(
    session: AsyncSession,
    caller: Caller,
    filters: ProblemFilters,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.ProblemSummary], str | None]:
    """Visible problems, newest first; with ``q``, best text match first."""
    Problem, Department, Person = models.Problem, models.Department, models.Person
    query = (
        select(Problem, Department, Person.name)
        .join(Department, Department.id == Problem.department_id)
        .join(Person, Person.id == Problem.submitter_id)
        .where(visible_to(caller))
    )
    if filters.statuses:
        query = query.where(Problem.status.in_(filters.statuses))
    if filters.department:
        query = query.where(Department.code == filters.department.upper())
    if filters.submitter:
        query = query.where(Problem.submitter_id == filters.submitter)
    if filters.restricted is not None:
        query = query.where(Problem.restricted.is_(filters.restricted))
    if filters.followed_by:
        Watcher = models.ProblemWatcher
        query = query.where(
            select(Watcher.person_id)
            .where(Watcher.problem_id == Problem.id, Watcher.person_id == filters.followed_by)
            .exists()
        )

    order: tuple[Any, ...] = (Problem.created_at, Problem.id)
    types: tuple[Any, ...] = (datetime, uuid.UUID)
    if filters.q:
        tsquery = func.websearch_to_tsquery(text("'english'::regconfig"), filters.q)
        rank = func.ts_rank_cd(Problem.search_vector, tsquery)
        query = query.add_columns(rank).where(Problem.search_vector.op("@@")(tsquery))
        order, types = (rank, Problem.id), (float, uuid.UUID)
    query = seek(query, order, cursor, types, limit=limit, descending=True)
    rows, next_cursor = page_of(
        (await session.execute(query)).all(),
        limit,
        # With q, the rank is the last column.
        lambda row: (row[-1] if filters.q else row[0].created_at, row[0].id),
    )
    return [_summary(*row) for row in rows], next_cursor


def _summary(
    problem: models.Problem, department: models.Department, submitter_name: str, *rank: float
) -> schemas.ProblemSummary:
    return from_row(
        schemas.ProblemSummary,
        problem,
        department=from_row(DepartmentRef, department),
        submitter=schemas.PersonRef(id=problem.submitter_id, name=submitter_name),
        rank=float(rank[0]) if rank else None,
    )


async def list_history(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.HistoryEvent], str | None]:
    """The problem's events, oldest first, naming no other problem the caller may not see."""
    await get_visible(session, caller, problem_id)
    Event, Person = models.ProblemEvent, models.Person
    query = seek(
        select(Event, Person.name)
        .outerjoin(Person, Person.id == Event.actor_id)
        .where(Event.problem_id == problem_id, event_visible_to(caller)),
        (Event.id,),
        cursor,
        (int,),
        limit=limit,
    )
    rows, next_cursor = page_of((await session.execute(query)).all(), limit, lambda r: (r[0].id,))
    items = [history_event(event, name) for event, name in rows]
    return await redaction.redact(session, caller, items), next_cursor


def history_event(event: models.ProblemEvent, actor_name: str | None) -> schemas.HistoryEvent:
    """An event as a problem's history shows it (``actor_name``: its actor's, if any)."""
    return schemas.HistoryEvent(
        id=event.id,
        type=event.type,
        occurred_at=event.occurred_at,
        actor=schemas.PersonRef(id=event.actor_id, name=actor_name or "")
        if event.actor_id
        else None,
        from_status=event.from_status,
        to_status=event.to_status,
        reason=event.reason,
        changes=event.changes,
    )


# -- changing -------------------------------------------------------------------------------


async def create_problem(
    session: AsyncSession, caller: Caller, data: schemas.ProblemCreate
) -> schemas.Problem:
    """A new draft owned by the caller's department, watched by its author, in one statement
    (``intake.problems.drafting``; the API's requests without an Idempotency-Key run it
    outside any session)."""
    require_role(caller, drafting.REQUIRED_ROLE)
    return await drafting.create(session, caller, data)


# The fields framing hints are found in.
FRAMED = frozenset({"title", "problem_statement", "desired_outcome"})


def store_framing(problem: models.Problem) -> None:
    """Compute the problem's framing hints from its text now, on write, and keep them with
    the rules' version: reads show them without computing them again."""
    problem.framing_hints = framing.to_store(
        title=problem.title,
        problem_statement=problem.problem_statement,
        desired_outcome=problem.desired_outcome,
    )
    problem.framing_rules = framing.RULES_VERSION


async def reframe_batch(session: AsyncSession, batch: int = 500) -> int:
    """Store the framing hints of up to ``batch`` problems whose stored hints come from other
    rules (or none), as their next write would; returns how many. Not an edit: version and
    updated_at stay, and no history records it, since the text did not change."""
    Problem = models.Problem
    rows = (
        await session.execute(
            select(
                Problem.id,
                Problem.title,
                Problem.problem_statement,
                Problem.desired_outcome,
                Problem.updated_at,
            )
            .where(Problem.framing_rules.is_distinct_from(framing.RULES_VERSION))
            .order_by(Problem.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if rows:
        await session.execute(
            update(Problem).execution_options(synchronize_session=False),
            [
                {
                    "id": row.id,
                    "framing_hints": framing.to_store(
                        title=row.title,
                        problem_statement=row.problem_statement,
                        desired_outcome=row.desired_outcome,
                    ),
                    "framing_rules": framing.RULES_VERSION,
                    "updated_at": row.updated_at,  # as it was: not an edit
                }
                for row in rows
            ],
        )
    return len(rows)


async def follow(session: AsyncSession, problem_id: uuid.UUID, person_id: uuid.UUID) -> None:
    """Make the person a watcher of the problem (no-op if they already are)."""
    await session.execute(
        insert(models.ProblemWatcher)
        .values(problem_id=problem_id, person_id=person_id, added_at=utcnow())
        .on_conflict_do_nothing()
    )


async def update_problem(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    data: schemas.ProblemUpdate,
    if_match: str | None,
) -> models.Problem:
    """Edit the record while it is a draft or waiting on the requester."""
    problem = await get_visible(session, caller, problem_id, for_update=True)
    require_requester_of(caller, problem)
    check_if_match(if_match, problem.version)
    if problem.status not in lifecycle.EDITABLE_STATES:
        raise Conflict(
            f"A problem in state '{problem.status}' can no longer be edited by its requester; "
            "edits are allowed while draft or needs_info.",
            current_state=problem.status,
            allowed_actions=lifecycle.allowed_actions(problem.status, problem.held_from_status),
        )
    wanted = {name: edits.clean(name, value) for name, value in edits.given(data).items()}
    if "title" in wanted and not wanted["title"]:
        raise ValidationFailed("The title cannot be blank.", [FieldError("title", "Required")])
    changes = edits.track(problem, wanted)
    if changes:
        edits.bump(problem)
        if not FRAMED.isdisjoint(changes) or problem.framing_rules != framing.RULES_VERSION:
            store_framing(problem)
        await history.record(session, problem.id, caller.id, "updated", changes=changes)
        await session.flush()
        await session.refresh(problem)
    return problem


Prepare = Callable[[models.Problem], Awaitable[dict[str, Any]]]
# The last step before an action's event, given its moment: what it returns joins ``changes``.
Finish = Callable[[models.Problem, datetime], Awaitable[dict[str, Any]]]


async def apply_action(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    action_name: str,
    if_match: str | None,
    *,
    reason: str | None = None,
    prepare: Prepare | None = None,
    finish: Finish | None = None,
) -> models.Problem:
    """Run one lifecycle action: who and from where (the table), If-Match, one history event.

    ``prepare`` checks and applies what is particular to the action (after the generic checks,
    before the state changes) and returns extra ``changes`` for the history event. ``finish``
    runs last, once the problem is in its new state, just before its event. (A submit takes
    a path of its own: ``intake.problems.submitting``.)
    """
    problem = await get_visible(session, caller, problem_id, for_update=True)
    action = lifecycle.ACTIONS[action_name]
    require_action(caller, problem, action)
    if action.problem_team_only:
        await require_problem_team(session, caller, problem)
    check_if_match(if_match, problem.version)
    lifecycle.check_transition(action_name, problem.status, problem.held_from_status)
    reason = (reason or "").strip() or None
    if action.reason_required and reason is None:
        raise ValidationFailed(
            f"{action_name} needs a reason.", [FieldError("reason", "Required for this action")]
        )
    changes = await prepare(problem) if prepare is not None else {}
    before = problem.status
    after = lifecycle.target_state(action, before, problem.held_from_status)
    now = utcnow()
    # The new state is written in one UPDATE, with the event (``record`` flushes): not
    # half-made by a subscriber's read (a submitted problem has its reference only at the end).
    with session.no_autoflush:
        if after == "on_hold":
            problem.held_from_status = before
        elif before == "on_hold":
            problem.held_from_status = None
        problem.status = after
        edits.bump(problem, now)
        for follow in subscribers.of(session).state_changed:
            changes.update(await follow(session, problem, before, after, now))
        if finish is not None:
            changes.update(await finish(problem, now))
    # An action that keeps the state is no transition: readers of the history (pauses,
    # notifications, the event feed) must not see the problem enter its state again.
    event: dict[str, Any] = {
        "actor_id": caller.id,
        "type": action.event,
        "from_status": before if action.changes_state else None,
        "to_status": after if action.changes_state else None,
        "reason": reason,
        "changes": changes,
    }
    await history.record(session, problem_id=problem.id, **event)
    if inspect(problem).expired_attributes - _DEFERRED:  # what the database set (a trigger)
        await session.refresh(problem)
    return problem
