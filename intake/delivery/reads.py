"""A problem's status updates and milestones, each in one statement (``intake.web.reads``,
``problems.reads.on_problem_sql``); the services give the same answers to service accounts
and build them for the writes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg
import msgspec

from intake.delivery import milestones, schemas, updates
from intake.lib.clock import utcnow
from intake.lib.schema import from_columns
from intake.problems.reads import BY_CREATION, lean_lister, on_problem_sql
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


_update = from_columns(StatusUpdateOut, "author")


def _updates(page: list[asyncpg.Record]) -> list[StatusUpdateOut]:
    return [
        _update(row, author=PersonRef(id=row["author_id"], name=row["author_name"])) for row in page
    ]


updates_for = lean_lister(updates.list_updates, _updates_sql, BY_CREATION, _updates)


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
        WHERE p.id = x.created_by_id OR p.id IN (
            SELECT (e->>'replaced_by_id')::uuid FROM jsonb_array_elements(x.earlier_targets) e
            WHERE e ? 'replaced_by_id'))
        AS names""",
        f"""SELECT m.* FROM milestones m
        WHERE m.problem_id = pr.id AND m.deleted_at IS NULL {seek}
        ORDER BY m.target_date, m.created_at, m.id LIMIT $5""",
        order="x.target_date, x.created_at, x.id",
    )


_EARLIER = msgspec.json.Decoder(list[dict[str, Any]])
# The milestone's columns, but its ``problem_id`` (named apart) and ``milestones.derived``'s.
_milestone = from_columns(
    schemas.Milestone,
    "problem_id",
    "state",
    "original_target_date",
    "slip_days",
    "earlier_targets",
    "created_by",
)
_NAMES = msgspec.json.Decoder(dict[uuid.UUID, str])


def _milestones(page: list[asyncpg.Record]) -> list[schemas.Milestone]:
    today = utcnow().date()
    return [
        _milestone(
            row,
            problem_id=row["milestone_problem_id"],
            **milestones.derived(
                row["target_date"],
                row["done_on"],
                _EARLIER.decode(row["earlier_targets"]),
                row["created_by_id"],
                _NAMES.decode(row["names"]),
                today,
            ),
        )
        for row in page
    ]


milestones_for = lean_lister(
    milestones.list_milestones, _milestones_sql, (("target_date", date), *BY_CREATION), _milestones
)
