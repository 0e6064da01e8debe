"""A problem read in one statement, straight to its response (``intake.web.reads``; the
answer from the row: ``intake.problems.rows``)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
import msgspec

from intake.lib.errors import NotFound, ValidationFailed
from intake.lib.pagination import decode_cursor, page_of
from intake.lib.schema import from_columns
from intake.problems import redaction, schemas
from intake.problems.rows import (
    ANSWER_COLUMNS,
    NAMES_JOINS,
    UPDATE_COLUMNS,
    department_ref,
    problem_from_row,
)
from intake.problems.service import ProblemFilters
from intake.web.reads import CALLER, BindArgs, fetch_as, visible

PROBLEM_SQL = f"""
WITH {CALLER}
SELECT c.active AS caller_active, {ANSWER_COLUMNS},
       d.id AS department_id, d.code AS department_code, d.name AS department_name,
       s.id AS submitter_id, s.name AS submitter_name,
       t.id AS triager_id, t.name AS triager_name,
       tm.id AS team_id, tm.name AS team_name,
       rd.id AS redirected_id, rd.code AS redirected_code, rd.name AS redirected_name,
       (SELECT pp.id FROM problems pp WHERE pp.id = pr.primary_problem_id
          AND {visible("pp")}) AS primary_problem_id,
       {UPDATE_COLUMNS}
FROM c
LEFT JOIN problems pr ON pr.id = $4 AND {visible("pr")}
LEFT JOIN departments d ON d.id = pr.department_id
LEFT JOIN people s ON s.id = pr.submitter_id
{NAMES_JOINS}
"""


async def problem_for(
    connection: asyncpg.Connection, email: str, problem_id: uuid.UUID
) -> schemas.Problem:
    """The problem as the person ``email`` sees it; 404 if they may not see it."""
    row = (await fetch_as(connection, email, PROBLEM_SQL, problem_id))[0]
    if row["id"] is None:
        raise NotFound(f"No problem {problem_id}.")
    return problem_from_row(row)


# -- lists ----------------------------------------------------------------------------------

_SUMMARY_COLUMNS = """
    c.active AS caller_active, pr.id, pr.reference, pr.status, pr.title, pr.restricted,
    pr.created_at, pr.updated_at, pr.submitted_at, pr.submitter_id,
    d.id AS department_id, d.code AS department_code, d.name AS department_name,
    s.name AS submitter_name"""


def _list_sql(filters: ProblemFilters, cursor: str | None, limit: int) -> tuple[str, list[object]]:
    """``service.list_problems`` (without ``followed_by``, which only the pages use) as one
    statement: the caller, one page of the problems they see, and their names."""
    arg = BindArgs(3)
    where = [visible("pr")]
    types: tuple[Any, ...]
    if filters.statuses:
        where.append(f"pr.status = ANY({arg(list(filters.statuses), 'varchar[]')})")
    if filters.department:
        where.append(
            "pr.department_id = (SELECT dd.id FROM departments dd "
            f"WHERE dd.code = {arg(filters.department.upper(), 'varchar')})"
        )
    if filters.submitter:
        where.append(f"pr.submitter_id = {arg(filters.submitter, 'uuid')}")
    if filters.restricted is not None:
        where.append(f"pr.restricted = {arg(filters.restricted, 'boolean')}")
    if filters.q:
        query = f"websearch_to_tsquery('english'::regconfig, {arg(filters.q, 'text')})"
        rank = f"ts_rank_cd(pr.search_vector, {query})"
        where.append(f"pr.search_vector @@ {query}")
        key, types = rank, (float, uuid.UUID)
        cast = "float8"
    else:
        rank, key, types, cast = (
            "NULL::float8",
            "pr.created_at",
            (datetime, uuid.UUID),
            "timestamptz",
        )
    if cursor:
        after, after_id = decode_cursor(cursor, types)
        where.append(f"({key}, pr.id) < ({arg(after, cast)}, {arg(after_id, 'uuid')})")
    sql = f"""
WITH {CALLER}
SELECT {_SUMMARY_COLUMNS}, pr.rank
FROM c
LEFT JOIN LATERAL (
    SELECT pr.*, {rank} AS rank, {key} AS sort_key FROM problems pr
    WHERE {" AND ".join(where)}
    ORDER BY sort_key DESC, pr.id DESC
    LIMIT {arg(limit + 1, "int")}
) pr ON true
LEFT JOIN departments d ON d.id = pr.department_id
LEFT JOIN people s ON s.id = pr.submitter_id
ORDER BY pr.sort_key DESC, pr.id DESC
"""
    return sql, arg.values


_summary = from_columns(schemas.ProblemSummary, "department", "submitter")


async def problems_for(
    connection: asyncpg.Connection,
    email: str,
    filters: ProblemFilters,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.ProblemSummary], str | None]:
    """``service.list_problems`` for the person ``email``, in one statement."""
    sql, args = _list_sql(filters, cursor, limit)
    rows = [row for row in await fetch_as(connection, email, sql, *args) if row["id"]]
    page, next_cursor = page_of(
        rows, limit, lambda row: (row["rank"] if filters.q else row["created_at"], row["id"])
    )
    return [
        _summary(
            row,
            department=department_ref(row),
            submitter=schemas.PersonRef(id=row["submitter_id"], name=row["submitter_name"]),
        )
        for row in page
    ], next_cursor


# -- history --------------------------------------------------------------------------------

# A UUID as Intake writes one into an event's changes; anything else names no problem.
_UUID_TEXT = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def other_visible_sql() -> str:
    """Whether the second problem an event names (``redaction.NAMES_ANOTHER``, the first of
    its id keys) is one the caller may see: ``redaction.redact`` in the same statement."""
    named = " ".join(
        f"WHEN '{type_}' THEN e.changes->'{key}'" for type_, key in redaction.NAMES_ANOTHER.items()
    )
    other = f"(CASE e.type {named} END)"
    first = " ".join(f"WHEN {other} ? '{key}' THEN {other}->>'{key}'" for key in redaction.ID_KEYS)
    text_id = f"(CASE WHEN jsonb_typeof({other}) = 'object' THEN (CASE {first} END) END)"
    return f"""EXISTS (
        SELECT 1 FROM problems op
        WHERE {text_id} ~ '{_UUID_TEXT}'
          AND op.id = (CASE WHEN {text_id} ~ '{_UUID_TEXT}' THEN {text_id}::uuid END)
          AND {visible("op")})"""


def _history_sql(after: int | None) -> str:
    seek = "AND ev.id > $6" if after is not None else ""
    return f"""
WITH {CALLER}
SELECT c.active AS caller_active, pr.id AS problem_id, e.id, e.type, e.occurred_at,
       e.actor_id, a.name AS actor_name, e.from_status, e.to_status, e.reason,
       e.changes::text AS changes, {other_visible_sql()} AS other_visible
FROM c
LEFT JOIN problems pr ON pr.id = $4 AND {visible("pr")}
LEFT JOIN LATERAL (
    SELECT ev.* FROM problem_events ev
    WHERE ev.problem_id = pr.id AND (c.dti OR NOT ev.internal) {seek}
    ORDER BY ev.id LIMIT $5
) e ON true
LEFT JOIN people a ON a.id = e.actor_id
ORDER BY e.id
"""


_HISTORY_SQL = {False: _history_sql(None), True: _history_sql(0)}
_CHANGES = msgspec.json.Decoder(dict[str, Any])


async def history_for(
    connection: asyncpg.Connection,
    email: str,
    problem_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.HistoryEvent], str | None]:
    """``service.list_history`` for the person ``email``, in one statement."""
    args: list[object] = [problem_id, limit + 1]
    if cursor:
        args.append(decode_cursor(cursor, (int,))[0])
    rows = await fetch_as(connection, email, _HISTORY_SQL[bool(cursor)], *args)
    if rows[0]["problem_id"] is None:
        raise NotFound(f"No problem {problem_id}.")
    page, next_cursor = page_of([row for row in rows if row["id"]], limit, lambda r: (r["id"],))
    events = [
        redaction.unless_visible(schemas.HistoryEvent(**event_fields(row)), row["other_visible"])
        for row in page
    ]
    return events, next_cursor


def event_fields(row: asyncpg.Record) -> dict[str, Any]:
    """An event row's fields as ``HistoryEvent`` and the feed's events show them."""
    actor_id = row["actor_id"]
    actor = schemas.PersonRef(id=actor_id, name=row["actor_name"] or "") if actor_id else None
    return {
        "id": row["id"],
        "type": row["type"],
        "occurred_at": row["occurred_at"],
        "actor": actor,
        "from_status": row["from_status"],
        "to_status": row["to_status"],
        "reason": row["reason"],
        "changes": _CHANGES.decode(row["changes"]),
    }


# -- what other domains list under a problem ------------------------------------------------


def on_problem_sql(columns: str, rows: str, *, joins: str = "", order: str) -> str:
    """One statement for a list under ``/problems/{id}``: the caller, the problem ($4) if
    they may see it, and ``rows`` (a LATERAL subquery aliased ``x``, over ``pr`` and ``c``)
    with ``columns`` and ``joins``. Every row has ``problem_id`` (NULL: not visible) and,
    when a row was found, ``x.id``."""
    return f"""
WITH {CALLER}
SELECT c.active AS caller_active, pr.id AS problem_id, x.id, {columns}
FROM c
LEFT JOIN problems pr ON pr.id = $4 AND {visible("pr")}
LEFT JOIN LATERAL ({rows}) x ON true
{joins}
ORDER BY {order}
"""


_VISIBLE_SQL = on_problem_sql("true", "SELECT NULL::uuid AS id", order="1")


async def rows_on_problem(
    connection: asyncpg.Connection, email: str, problem_id: uuid.UUID, sql: str, *args: Any
) -> list[asyncpg.Record]:
    """The rows of an ``on_problem_sql`` statement; 404 if the problem is not visible."""
    rows = await fetch_as(connection, email, sql, problem_id, *args)
    if rows[0]["problem_id"] is None:
        raise NotFound(f"No problem {problem_id}.")
    return [row for row in rows if row["id"] is not None]


async def cursor_on_problem(
    connection: asyncpg.Connection,
    email: str,
    problem_id: uuid.UUID,
    cursor: str | None,
    types: tuple[Any, ...],
) -> list[Any] | None:
    """The cursor's values; a cursor this server did not make is a 422, once the caller
    and the problem have been checked (401 and 404 first, as the services answer)."""
    if not cursor:
        return None
    try:
        return decode_cursor(cursor, types)
    except ValidationFailed:
        await rows_on_problem(connection, email, problem_id, _VISIBLE_SQL)
        raise


T = TypeVar("T")
# The cursor of records listed in the order they were made.
BY_CREATION = (("created_at", datetime), ("id", uuid.UUID))
LeanLister = Callable[..., Awaitable[tuple[list[T], str | None]]]


def lean_lister(
    serves: Callable[..., Any],
    sql: Callable[[bool], str],
    order: tuple[tuple[str, Any], ...],
    shape: Callable[[list[asyncpg.Record]], list[T]],
) -> LeanLister[T]:
    """The service ``serves`` for a person, as ``(connection, email, problem_id, *, cursor,
    limit)``: a page of the records under a problem in one ``on_problem_sql`` statement
    (``sql(after)``, seeking past a cursor of the ``order`` columns, named with their types,
    when ``after``), shaped by ``shape``."""
    statements = {after: sql(after) for after in (False, True)}
    types = tuple(kind for _, kind in order)

    async def lean_list(
        connection: asyncpg.Connection,
        email: str,
        problem_id: uuid.UUID,
        *,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[T], str | None]:
        after = await cursor_on_problem(connection, email, problem_id, cursor, types)
        rows = await rows_on_problem(
            connection, email, problem_id, statements[after is not None], limit + 1, *(after or ())
        )
        page, next_cursor = page_of(rows, limit, lambda row: [row[column] for column, _ in order])
        return shape(page), next_cursor

    lean_list.__name__ = lean_list.__qualname__ = f"{serves.__name__}_lean"
    lean_list.__doc__ = f"``{serves.__name__}`` for the person ``email``, in one statement."
    return lean_list
