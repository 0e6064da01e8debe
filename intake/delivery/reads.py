"""A problem's status updates and milestones, each in one statement (``intake.web.reads``,
``problems.reads.on_problem_sql``); the services give the same answers to service accounts
and build them for the writes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, NamedTuple

import asyncpg
import msgspec

from intake.delivery import milestones, schemas
from intake.lib.clock import utcnow
from intake.lib.pagination import page_of
from intake.problems.reads import cursor_on_problem, on_problem_sql, rows_on_problem
from intake.problems.schemas import PersonRef, StatusUpdateOut


def _updates_sql(after: bool) -> str:
    seek = "AND (su.created_at, su.id) < ($6::timestamptz, $7::uuid)" if after else ""
    return on_problem_sql(
        "x.status, x.summary, x.author_id, a.name AS author_name, x.created_at",
        f"""SELECT su.* FROM status_updates su WHERE su.problem_id = pr.id {seek}
        ORDER BY su.created_at DESC, su.id DESC LIMIT $5""",
        joins="LEFT JOIN people a ON a.id = x.author_id",
        order="x.created_at DESC, x.id DESC",
    )


_UPDATES_SQL = {False: _updates_sql(False), True: _updates_sql(True)}


async def updates_for(
    connection: asyncpg.Connection,
    email: str,
    problem_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[StatusUpdateOut], str | None]:
    """``updates.list_updates`` for the person ``email``, in one statement."""
    after = await cursor_on_problem(connection, email, problem_id, cursor, (datetime, uuid.UUID))
    rows = await rows_on_problem(
        connection, email, problem_id, _UPDATES_SQL[after is not None], limit + 1, *(after or ())
    )
    page, next_cursor = page_of(rows, limit, lambda row: (row["created_at"], row["id"]))
    return [
        StatusUpdateOut(
            id=row["id"],
            status=row["status"],
            summary=row["summary"],
            author=PersonRef(id=row["author_id"], name=row["author_name"]),
            created_at=row["created_at"],
        )
        for row in page
    ], next_cursor


def _milestones_sql(after: bool) -> str:
    seek = (
        "AND (m.target_date, m.created_at, m.id) > ($6::date, $7::timestamptz, $8::uuid)"
        if after
        else ""
    )
    return on_problem_sql(
        """x.problem_id AS milestone_problem_id, x.title, x.description, x.target_date,
       x.done_on, x.earlier_targets::text AS earlier_targets, x.created_by_id, x.created_at,
       x.updated_at, x.version,
       (SELECT coalesce(json_object_agg(p.id, p.name), '{}')::text FROM people p
        WHERE p.id = x.created_by_id OR p.id::text IN (
            SELECT e->>'replaced_by_id' FROM jsonb_array_elements(x.earlier_targets) e))
        AS names""",
        f"""SELECT m.* FROM milestones m
        WHERE m.problem_id = pr.id AND m.deleted_at IS NULL {seek}
        ORDER BY m.target_date, m.created_at, m.id LIMIT $5""",
        order="x.target_date, x.created_at, x.id",
    )


_MILESTONES_SQL = {False: _milestones_sql(False), True: _milestones_sql(True)}


class _Milestone(NamedTuple):
    """A milestone's row as ``milestones.milestone_from`` reads it."""

    id: uuid.UUID
    problem_id: uuid.UUID
    title: str
    description: str | None
    target_date: date
    done_on: date | None
    earlier_targets: list[dict[str, Any]]
    created_by_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    version: int


_EARLIER = msgspec.json.Decoder(list[dict[str, Any]])
_NAMES = msgspec.json.Decoder(dict[uuid.UUID, str])


async def milestones_for(
    connection: asyncpg.Connection,
    email: str,
    problem_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.Milestone], str | None]:
    """``milestones.list_milestones`` for the person ``email``, in one statement."""
    types = (date, datetime, uuid.UUID)
    after = await cursor_on_problem(connection, email, problem_id, cursor, types)
    rows = await rows_on_problem(
        connection,
        email,
        problem_id,
        _MILESTONES_SQL[after is not None],
        limit + 1,
        *(after or ()),
    )
    page, next_cursor = page_of(
        rows, limit, lambda row: (row["target_date"], row["created_at"], row["id"])
    )
    today = utcnow().date()
    return [
        milestones.milestone_from(
            _Milestone(
                id=row["id"],
                problem_id=row["milestone_problem_id"],
                title=row["title"],
                description=row["description"],
                target_date=row["target_date"],
                done_on=row["done_on"],
                earlier_targets=_EARLIER.decode(row["earlier_targets"]),
                created_by_id=row["created_by_id"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
                version=row["version"],
            ),
            _NAMES.decode(row["names"]),
            today,
        )
        for row in page
    ], next_cursor
