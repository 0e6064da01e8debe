"""A problem's outcome metrics in one statement (``intake.web.reads``,
``problems.reads.on_problem_sql``), each with its measurement count, latest measurement and
the names of its owner and creator; the service gives the same answer to service accounts
and builds it for the writes."""

from __future__ import annotations

import asyncpg

from intake.outcomes import schemas, service
from intake.outcomes.service import Measured, MetricRow, metric_from, today
from intake.outcomes.state import Reading
from intake.problems.reads import BY_CREATION, lean_lister, on_problem_sql
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


def _metrics(page: list[asyncpg.Record]) -> list[schemas.Metric]:
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
        metric = MetricRow(
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
    return out


metrics_for = lean_lister(service.list_metrics, _metrics_sql, BY_CREATION, _metrics)
