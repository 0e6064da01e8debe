"""A problem's findings in one statement (``intake.web.reads``,
``problems.reads.on_problem_sql``); the service gives the same answer to service accounts
and builds it for the writes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from intake.discovery import schemas
from intake.lib.pagination import Int4, page_of
from intake.lib.schema import from_columns
from intake.problems.reads import cursor_on_problem, on_problem_sql, rows_on_problem
from intake.problems.schemas import PersonRef

# service._ORDER: journey steps first, in journey order, then the rest oldest first.
_GROUP = "(CASE WHEN {f}.kind = 'journey_step' THEN 0 ELSE 1 END)"
_ORDER = "{g}, coalesce({f}.position, 0), {f}.created_at, {f}.id"


def _order(alias: str) -> str:
    return _ORDER.format(g=_GROUP.format(f=alias), f=alias)


def _findings_sql(after: bool) -> str:
    seek = f"AND ({_order('f')}) > ($7::int, $8::int, $9::timestamptz, $10::uuid)" if after else ""
    return on_problem_sql(
        """x.problem_id AS finding_problem_id, x.kind, x.title, x.detail,
       x.evidence::text AS evidence, x.position, x.journey_step_id, x.created_by_id,
       a.name AS creator_name, x.created_at, x.updated_at, x.version""",
        f"""SELECT f.* FROM findings f
        WHERE f.problem_id = pr.id AND (cardinality($6::varchar[]) = 0 OR f.kind = ANY($6))
        {seek}
        ORDER BY {_order("f")} LIMIT $5""",
        joins="LEFT JOIN people a ON a.id = x.created_by_id",
        order=_order("x"),
    )


_FINDINGS_SQL = {False: _findings_sql(False), True: _findings_sql(True)}
_EVIDENCE = msgspec.json.Decoder(list[schemas.Evidence])
_finding = from_columns(schemas.Finding, "problem_id", "evidence", "created_by")


async def findings_for(
    connection: asyncpg.Connection,
    email: str,
    problem_id: uuid.UUID,
    kinds: Sequence[str],
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.Finding], str | None]:
    """``service.list_findings`` for the person ``email``, in one statement."""
    types = (Int4, Int4, datetime, uuid.UUID)
    after = await cursor_on_problem(connection, email, problem_id, cursor, types)
    rows = await rows_on_problem(
        connection,
        email,
        problem_id,
        _FINDINGS_SQL[after is not None],
        limit + 1,
        list(kinds),
        *(after or ()),
    )
    page, next_cursor = page_of(
        rows,
        limit,
        lambda row: (
            0 if row["kind"] == "journey_step" else 1,
            row["position"] or 0,
            row["created_at"],
            row["id"],
        ),
    )
    return [
        _finding(
            row,
            problem_id=row["finding_problem_id"],
            evidence=_EVIDENCE.decode(row["evidence"]),
            created_by=PersonRef(id=row["created_by_id"], name=row["creator_name"]),
        )
        for row in page
    ], next_cursor
