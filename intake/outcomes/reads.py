"""A problem's outcome metrics in one statement (``intake.web.reads``,
``problems.reads.on_problem_sql``), each with its measurement count, latest measurement and
the names of its owner and creator; the service gives the same answer to service accounts
and builds it for the writes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import NamedTuple

import asyncpg

from intake.lib.pagination import page_of
from intake.outcomes import schemas
from intake.outcomes.service import Measured, metric_from, today
from intake.outcomes.state import Reading
from intake.problems.reads import cursor_on_problem, on_problem_sql, rows_on_problem
from intake.problems.schemas import PersonRef


def _metrics_sql(after: bool) -> str:
    seek = "AND (m.created_at, m.id) > ($6::timestamptz, $7::uuid)" if after else ""
    return on_problem_sql(
        """x.problem_id AS metric_problem_id, x.name, x.unit, x.direction, x.baseline,
       x.target, x.target_date, x.owner_id, o.name AS owner_name, x.review_date,
       x.created_by_id, a.name AS creator_name, x.created_at, x.updated_at, x.version,
       (SELECT count(*) FROM measurements mc WHERE mc.metric_id = x.id) AS measurement_count,
       l.value AS latest_value, l.measured_on AS latest_measured_on""",
        f"""SELECT m.* FROM metrics m
        WHERE m.problem_id = pr.id AND m.deleted_at IS NULL {seek}
        ORDER BY m.created_at, m.id LIMIT $5""",
        joins="""LEFT JOIN people o ON o.id = x.owner_id
LEFT JOIN people a ON a.id = x.created_by_id
LEFT JOIN LATERAL (
    SELECT ml.value, ml.measured_on FROM measurements ml WHERE ml.metric_id = x.id
    ORDER BY ml.measured_on DESC, ml.created_at DESC, ml.id DESC LIMIT 1
) l ON true""",
        order="x.created_at, x.id",
    )


_METRICS_SQL = {False: _metrics_sql(False), True: _metrics_sql(True)}


class _Metric(NamedTuple):
    """A metric's row as ``service.metric_from`` reads it."""

    id: uuid.UUID
    problem_id: uuid.UUID
    name: str
    unit: str
    direction: str
    baseline: float
    target: float
    target_date: date
    owner_id: uuid.UUID | None
    review_date: date | None
    created_by_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    version: int


async def metrics_for(
    connection: asyncpg.Connection,
    email: str,
    problem_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.Metric], str | None]:
    """``service.list_metrics`` for the person ``email``, in one statement."""
    after = await cursor_on_problem(connection, email, problem_id, cursor, (datetime, uuid.UUID))
    rows = await rows_on_problem(
        connection, email, problem_id, _METRICS_SQL[after is not None], limit + 1, *(after or ())
    )
    page, next_cursor = page_of(rows, limit, lambda row: (row["created_at"], row["id"]))
    on = today()
    out = []
    for row in page:
        creator = PersonRef(id=row["created_by_id"], name=row["creator_name"])
        people = {creator.id: creator}
        if row["owner_id"] is not None:
            people[row["owner_id"]] = PersonRef(id=row["owner_id"], name=row["owner_name"])
        latest = (
            Reading(row["latest_value"], row["latest_measured_on"])
            if row["latest_measured_on"] is not None
            else None
        )
        metric = _Metric(
            row["id"],
            row["metric_problem_id"],
            row["name"],
            row["unit"],
            row["direction"],
            row["baseline"],
            row["target"],
            row["target_date"],
            row["owner_id"],
            row["review_date"],
            row["created_by_id"],
            row["created_at"],
            row["updated_at"],
            row["version"],
        )
        out.append(metric_from(metric, Measured(row["measurement_count"], latest), people, on))
    return out, next_cursor
