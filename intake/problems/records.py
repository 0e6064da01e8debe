"""Records kept under a problem (findings, milestones, metrics, comments): the steps their
services share, loading the problem and the record and naming the people on them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from intake.db import models
from intake.lib.clock import utcnow
from intake.lib.errors import NotFound
from intake.lib.etag import check_if_match
from intake.lib.pagination import page_rows
from intake.problems import edits, history
from intake.problems import service as problems
from intake.problems.guards import require_problem_team, require_work_open
from intake.vocabulary.events import EventType
from intake.web.auth import Caller

M = TypeVar("M", bound=Any)
T = TypeVar("T")


async def team_problem(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID
) -> models.Problem:
    """The problem, locked, if the caller may record work on it now: 404 when hidden, 403
    unless the caller is its triager or on its team, 409 unless the work is open.

    The row lock serialises the records' changes with the phase actions, so nothing is
    written to a problem that is closing at the same moment.
    """
    problem = await problems.get_visible(session, caller, problem_id, for_update=True)
    await require_problem_team(session, caller, problem)
    require_work_open(problem)
    return problem


async def insert(
    session: AsyncSession, caller: Caller, model: type[M], problem_id: uuid.UUID, **values: Any
) -> M:
    """A new versioned record of the problem made by the caller now, written (flushed)."""
    now = utcnow()
    record = model(
        id=uuid.uuid4(),
        problem_id=problem_id,
        created_by_id=caller.id,
        version=1,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(record)
    await session.flush()
    return record  # type: ignore[no-any-return]


async def changed(
    session: AsyncSession,
    caller: Caller,
    record: Any,
    type: EventType,
    changes: dict[str, Any],
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> None:
    """The caller changed the problem's ``record`` as ``changes`` say: its next version and
    the history event, written, and the record read back afresh."""
    edits.bump(record, now)
    await history.record(
        session, record.problem_id, caller.id, type, reason=reason, changes=changes
    )
    await session.flush()
    await session.refresh(record)


async def record_of(
    session: AsyncSession,
    model: type[M],
    problem_id: uuid.UUID,
    record_id: uuid.UUID,
    *where: ColumnElement[bool],
    for_update: bool = False,
) -> M:
    """The problem's record of ``model`` (read afresh); 404 when there is none, including
    one of another problem and one ``where`` rules out (removed, or not for the caller)."""
    query = select(model).where(model.id == record_id, model.problem_id == problem_id, *where)
    if for_update:
        query = query.with_for_update()
    record = await session.scalar(query.execution_options(populate_existing=True))
    if record is None:
        noun = model.__tablename__.removesuffix("s").replace("_", " ")
        raise NotFound(f"No {noun} {record_id} on problem {problem_id}.")
    return record  # type: ignore[no-any-return]


async def names(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of the people ``ids``, by id."""
    wanted = set(ids)
    if not wanted:
        return {}
    Person = models.Person
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))
    return {row.id: row.name for row in rows}


Lister = Callable[..., Awaitable[tuple[list[T], str | None]]]


def lister(
    name: str,
    query: Callable[[Caller, uuid.UUID], Select[*tuple[Any, ...]]],
    order: Sequence[InstrumentedAttribute[Any]],
    shape: Callable[[AsyncSession, list[Any]], Awaitable[list[T]]],
    *,
    descending: bool = False,
    doc: str,
) -> Lister[T]:
    """The service ``name(session, caller, problem_id, *, cursor, limit)``: a page of the
    problem's records, ``query(caller, problem_id)`` sorted by ``order``, each row shaped by
    ``shape``, for a caller who can see the problem (404 otherwise)."""

    async def list_records(
        session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        *,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[T], str | None]:
        await problems.get_visible(session, caller, problem_id)
        rows, next_cursor = await page_rows(
            session, query(caller, problem_id), order, cursor, limit=limit, descending=descending
        )
        return await shape(session, rows), next_cursor

    list_records.__name__ = list_records.__qualname__ = name
    list_records.__doc__ = doc
    return list_records


async def changing(
    session: AsyncSession,
    caller: Caller,
    model: type[M],
    problem_id: uuid.UUID,
    record_id: uuid.UUID,
    if_match: str | None,
    *where: ColumnElement[bool],
) -> tuple[models.Problem, M]:
    """The problem (``team_problem``) and its record (``record_of``) for a change the client
    made against the record's ETag ``if_match`` (412 when stale, 428 when missing)."""
    problem = await team_problem(session, caller, problem_id)
    record = await record_of(session, model, problem.id, record_id, *where)
    check_if_match(if_match, record.version)
    return problem, record
