"""The portfolio views' aggregates written by hand in SQL, run through a bare asyncpg pool.

The baseline for ``bench/portfolio.py``: for each view, the SQL a person would write to
compute the same figures from the same tables (``problem_timeline`` joined with the records
it needs), with no ORM, no framework, no caller lookup and no ETag. It is written from the
views' documented rules (``intake/portfolio/*.py`` docstrings), not generated from the
app's queries. It is written for the schema the app runs on (``Schema``, read from the
catalog at start): rows in force found the way the timeline's indexes allow, the
department and the time a state was entered read from the timeline when it carries them.
Beyond that it uses the timeline's plain columns only (no precomputed stays).

Each request takes one connection, opens a transaction, runs the app's per-view settings
(``intake.portfolio.controllers.VIEW_SETTINGS``, read at run time), sends the view's
statements and commits. Each method returns the view's headline figures, which the
benchmark compares with the app's JSON before it measures anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

OPEN_STATES = ("submitted", "triage", "needs_info", "accepted", "discovery", "delivery",
               "on_hold", "live")  # fmt: skip
TRIAGE_STATES = ("submitted", "triage", "needs_info")
ACTIVE_STATES = ("accepted", "discovery", "delivery", "on_hold")
WORK_STATES = ("accepted", "discovery", "delivery", "live", "on_hold")
ENDED_BY_DECISION = ("declined", "redirected", "duplicate")
MONTHS = 12
STATE_LISTS = {
    "open": OPEN_STATES,
    "triage": TRIAGE_STATES,
    "active": ACTIVE_STATES,
    "work": WORK_STATES,
    "ended": ENDED_BY_DECISION,
    "triage_or_work": TRIAGE_STATES + WORK_STATES,
}


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def bind(sql: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """``%(name)s`` placeholders to asyncpg's ``$n``, with the argument list."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    return re.sub(r"%\((\w+)\)s", number, sql), [values[name] for name in order]


# The timeline row in force at the moment, written for the indexes the schema has (see
# ``Schema``): the open row for "now", else the row whose period holds the moment.
NOT_ENDED = "coalesce(t.valid_to, 'infinity'::timestamptz)"
VALID = {
    # (mode, index) -> predicate
    ("now", "current"): "t.valid_to IS NULL",
    ("now", "not_ended"): f"{NOT_ENDED} = 'infinity'::timestamptz",
    ("as_of", "period"): "tstzrange(t.valid_from, t.valid_to, '[)') @> %(at)s::timestamptz",
    ("as_of", "not_ended"): f"{NOT_ENDED} > %(at)s AND t.valid_from <= %(at)s",
}
OVERLAP = {
    "period": "tstzrange(t.valid_from, t.valid_to, '[)') && tstzrange(%(start)s, %(at)s, '[)')",
    "not_ended": f"{NOT_ENDED} > %(start)s AND t.valid_from < %(at)s",
}
# A kept milestone or metric counts until it was removed.
KEPT = "AND ({table}.deleted_at IS NULL OR {table}.deleted_at > %(at)s)"
SINCE_SUBQUERY = """coalesce((SELECT max(e.valid_to) FROM problem_timeline e
                         WHERE e.problem_id = t.problem_id AND e.valid_from < t.valid_from
                           AND e.status <> t.status), t.valid_from)"""

SUMMARY = """
SELECT grouping(status, delivery_phase, department_id, team_id, band) AS set,
       status, delivery_phase, department_id, team_id, band, count(*) AS n
FROM (
    SELECT t.status, t.delivery_phase, {dept} AS department_id, t.team_id,
           CASE WHEN t.score >= 70 THEN 'high' WHEN t.score >= 40 THEN 'medium'
                WHEN t.score >= 0 THEN 'low' ELSE 'unscored' END AS band
    FROM problem_timeline t {dept_join}
    WHERE {valid} AND t.submitted_at IS NOT NULL
) AS s
GROUP BY GROUPING SETS ((status), (delivery_phase), (department_id), (team_id), (band), ())
"""

FLOW_PACE = """
WITH base AS (
    SELECT t.submitted_at, t.decided_at, t.launched_at, t.closed_at
    FROM problem_timeline t
    WHERE {valid} AND t.submitted_at IS NOT NULL AND t.decided_at IS NOT NULL
      AND greatest(t.decided_at, t.launched_at, t.closed_at) >= %(start)s
),
lead AS (
    SELECT count(*) FILTER (WHERE decided_at >= %(start)s) AS decided,
           percentile_cont(ARRAY[0.5, 0.85]) WITHIN GROUP (
               ORDER BY extract(epoch FROM decided_at - submitted_at) / 86400.0)
               FILTER (WHERE decided_at >= %(start)s) AS to_decision,
           count(*) FILTER (WHERE launched_at >= %(start)s) AS launched,
           percentile_cont(ARRAY[0.5, 0.85]) WITHIN GROUP (
               ORDER BY extract(epoch FROM launched_at - submitted_at) / 86400.0)
               FILTER (WHERE launched_at >= %(start)s) AS to_launch
    FROM base
),
months AS (
    SELECT kind, date_trunc('month', timezone(%(zone)s, at)) AS month, count(*) AS n
    FROM base CROSS JOIN LATERAL (VALUES ('decided', decided_at), ('launched', launched_at),
                                         ('closed', closed_at)) AS v(kind, at)
    WHERE at >= %(start)s
    GROUP BY kind, month
)
SELECT (SELECT row_to_json(lead) FROM lead) AS lead,
       (SELECT json_agg(months) FROM months) AS months
"""
FLOW_TIME_IN_STATE = """
SELECT status, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY days), avg(days)
FROM (
    SELECT t.problem_id, t.status,
           sum(extract(epoch FROM least(coalesce(t.valid_to, %(at)s), %(at)s)
                                  - greatest(t.valid_from, %(start)s)) / 86400.0) AS days
    FROM problem_timeline t
    WHERE {overlap}
      AND t.status IN {open} AND t.submitted_at IS NOT NULL
    GROUP BY t.problem_id, t.status
) AS stays
GROUP BY status
"""
FLOW_AGEING = """
SELECT r.problem_id, r.status, r.since, r.in_state, p.reference, p.title, d.code, tm.name
FROM (
    SELECT o.*, count(*) OVER (PARTITION BY o.status) AS in_state,
           row_number() OVER (PARTITION BY o.status ORDER BY o.since, o.problem_id) AS rank
    FROM (
        SELECT t.problem_id, t.status, t.team_id,
               {since} AS since
        FROM problem_timeline t
        WHERE {valid} AND t.submitted_at IS NOT NULL AND t.status IN {open}
    ) AS o
) AS r
JOIN problems p ON p.id = r.problem_id
JOIN departments d ON d.id = p.department_id
LEFT JOIN teams tm ON tm.id = r.team_id
WHERE r.rank <= 5
ORDER BY r.status, r.rank
"""

# A clock stopped by its due time is met, stopped late breached; one still running is
# running, or running_breached once past due; a clock that can no longer stop is not counted.
SLA = """
SELECT grouping(code, department_name, triager_id, triager_name) AS set,
       code, department_name, triager_id, triager_name,
       count(*) FILTER (WHERE fr = 'met') AS fr_met,
       count(*) FILTER (WHERE fr = 'breached') AS fr_breached,
       count(*) FILTER (WHERE fr = 'running') AS fr_running,
       count(*) FILTER (WHERE fr = 'running_breached') AS fr_running_breached,
       count(*) FILTER (WHERE dc = 'met') AS dc_met,
       count(*) FILTER (WHERE dc = 'breached') AS dc_breached,
       count(*) FILTER (WHERE dc = 'running') AS dc_running,
       count(*) FILTER (WHERE dc = 'running_breached') AS dc_running_breached
FROM (
    SELECT d.code, d.name AS department_name, t.triager_id, tr.name AS triager_name,
           CASE WHEN t.first_response_at IS NOT NULL THEN
                     CASE WHEN t.first_response_due_at IS NULL
                            OR t.first_response_at <= t.first_response_due_at
                          THEN 'met' ELSE 'breached' END
                WHEN t.status = 'submitted' THEN
                     CASE WHEN t.first_response_due_at < %(at)s
                          THEN 'running_breached' ELSE 'running' END
           END AS fr,
           CASE WHEN t.decided_at IS NOT NULL THEN
                     CASE WHEN t.decision_due_at IS NULL OR t.decided_at <= t.decision_due_at
                          THEN 'met' ELSE 'breached' END
                WHEN t.status IN {triage} THEN
                     CASE WHEN t.decision_due_at < %(at)s
                          THEN 'running_breached' ELSE 'running' END
           END AS dc
    FROM problem_timeline t {dept_join}
    JOIN departments d ON d.id = {dept}
    LEFT JOIN people tr ON tr.id = t.triager_id
    WHERE {valid} AND t.submitted_at IS NOT NULL
) AS clocks
GROUP BY GROUPING SETS ((code, department_name), (triager_id, triager_name), ())
"""

TEAMS_LOAD = """
SELECT tm.id, tm.name, tm.wip_limit, coalesce(l.load, 0) AS load
FROM teams tm
LEFT JOIN (
    SELECT t.team_id, count(*) AS load FROM problem_timeline t
    WHERE {valid} AND t.submitted_at IS NOT NULL AND t.status IN {active}
      AND t.team_id IS NOT NULL
    GROUP BY t.team_id
) AS l ON l.team_id = tm.id
WHERE (tm.active AND tm.created_at <= %(at)s) OR coalesce(l.load, 0) > 0
ORDER BY tm.name
"""
TEAMS_WORK = """
SELECT r.problem_id, r.status, r.team_id, r.in_team, p.reference, p.title, d.code, tm.name
FROM (
    SELECT t.problem_id, t.status, t.team_id,
           count(*) OVER (PARTITION BY t.team_id) AS in_team,
           row_number() OVER (PARTITION BY t.team_id ORDER BY t.decided_at, t.problem_id) AS rank
    FROM problem_timeline t
    WHERE {valid} AND t.submitted_at IS NOT NULL AND t.status IN {active}
) AS r
JOIN problems p ON p.id = r.problem_id
JOIN departments d ON d.id = p.department_id
LEFT JOIN teams tm ON tm.id = r.team_id
WHERE r.rank <= 50
ORDER BY r.team_id, r.rank
"""

OUTCOMES_METRICS = """
WITH standing AS (
    SELECT t.problem_id, t.status, t.team_id, m.id AS metric_id, m.target_date,
           latest.value, latest.measured_on,
           CASE WHEN latest.value IS NULL THEN 'not_started'
                WHEN (m.direction = 'increase' AND latest.value >= m.target)
                  OR (m.direction <> 'increase' AND latest.value <= m.target) THEN 'achieved'
                WHEN %(day)s::date > m.target_date THEN 'missed'
                WHEN (m.direction = 'increase' AND latest.value > m.baseline)
                  OR (m.direction <> 'increase' AND latest.value < m.baseline) THEN 'improving'
                ELSE 'worsening' END AS state
    FROM problem_timeline t
    JOIN metrics m ON m.problem_id = t.problem_id
    LEFT JOIN LATERAL (
        SELECT x.value, x.measured_on FROM measurements x
        WHERE x.metric_id = m.id AND x.created_at <= %(at)s AND x.measured_on <= %(day)s::date
        ORDER BY x.measured_on DESC, x.created_at DESC LIMIT 1
    ) AS latest ON true
    WHERE {valid} AND t.submitted_at IS NOT NULL AND m.created_at <= %(at)s {metric_kept}
),
listed AS (
    SELECT * FROM standing
    ORDER BY array_position(ARRAY['missed', 'worsening', 'not_started', 'improving',
                                  'achieved'], state), target_date, metric_id
    LIMIT 25
)
SELECT (SELECT json_object_agg(state, n)
        FROM (SELECT state, count(*) AS n FROM standing GROUP BY state) AS c) AS counts,
       l.*, m.name, m.unit, m.direction, m.baseline, m.target,
       p.reference, p.title, d.code, tm.name AS team
FROM (SELECT 1) AS one
LEFT JOIN listed l ON true
LEFT JOIN metrics m ON m.id = l.metric_id
LEFT JOIN problems p ON p.id = l.problem_id
LEFT JOIN departments d ON d.id = p.department_id
LEFT JOIN teams tm ON tm.id = l.team_id
"""
OUTCOMES_CLOSED = """
SELECT t.outcome_result, count(*) FROM problem_timeline t
WHERE {valid} AND t.submitted_at IS NOT NULL AND t.status = 'closed'
GROUP BY t.outcome_result
"""

AT_RISK_PROBLEMS = """
WITH candidates AS (
    SELECT t.problem_id, t.status, t.team_id, t.first_response_due_at, t.decision_due_at,
           (t.first_response_at IS NULL AND t.status = 'submitted'
            AND t.first_response_due_at < %(at)s) AS fr,
           (t.decided_at IS NULL AND t.status IN {triage}
            AND t.decision_due_at < %(at)s) AS dc,
           u.status AS update_status, u.summary, u.created_at AS update_at
    FROM problem_timeline t
    LEFT JOIN LATERAL (
        SELECT u.status, u.summary, u.created_at FROM status_updates u
        WHERE t.status IN {work} AND u.problem_id = t.problem_id
          AND u.created_at <= %(at)s
        ORDER BY u.created_at DESC, u.id DESC LIMIT 1
    ) AS u ON true
    WHERE {valid} AND t.submitted_at IS NOT NULL
      AND t.status IN {triage_or_work}
),
flagged AS (
    SELECT c.*,
           CASE WHEN update_status IN ('off_track', 'at_risk') THEN 'update'
                WHEN fr OR dc THEN 'sla' END AS section,
           least(CASE WHEN fr THEN first_response_due_at END,
                 CASE WHEN dc THEN decision_due_at END) AS overdue_since
    FROM candidates c
),
ranked AS (
    SELECT f.*, count(*) OVER (PARTITION BY section) AS total,
           row_number() OVER (PARTITION BY section
                              ORDER BY (section = 'update' AND update_status <> 'off_track'),
                                       update_at, overdue_since, problem_id) AS rank
    FROM flagged f WHERE section IS NOT NULL
)
SELECT r.*, p.reference, p.title, d.code, tm.name AS team
FROM ranked r
JOIN problems p ON p.id = r.problem_id
JOIN departments d ON d.id = p.department_id
LEFT JOIN teams tm ON tm.id = r.team_id
WHERE r.rank <= 100
ORDER BY r.section, r.rank
"""
AT_RISK_MILESTONES = """
WITH open_milestones AS (
    SELECT t.problem_id, t.status, t.team_id, ms.id AS milestone_id, ms.title,
           coalesce((SELECT (e.value ->> 'target_date')::date
                     FROM jsonb_array_elements(ms.earlier_targets) WITH ORDINALITY AS e(value, n)
                     WHERE (e.value ->> 'replaced_at')::timestamptz > %(at)s
                     ORDER BY e.n LIMIT 1), ms.target_date) AS target_then,
           coalesce((ms.earlier_targets -> 0 ->> 'target_date')::date, ms.target_date) AS original,
           EXISTS (SELECT 1
                   FROM jsonb_array_elements(ms.earlier_targets) WITH ORDINALITY AS e(value, n)
                   WHERE (e.value ->> 'replaced_at')::timestamptz <= %(at)s
                     AND coalesce((ms.earlier_targets -> e.n::int ->> 'target_date')::date,
                                  ms.target_date) > (e.value ->> 'target_date')::date) AS slipped
    FROM problem_timeline t
    JOIN milestones ms ON ms.problem_id = t.problem_id
    WHERE {valid} AND t.submitted_at IS NOT NULL AND t.status IN {work}
      AND ms.created_at <= %(at)s {milestone_kept}
      AND (ms.done_on IS NULL OR ms.done_on > %(day)s::date)
),
ranked AS (
    SELECT o.*, count(*) OVER () AS total,
           row_number() OVER (ORDER BY o.target_then < %(day)s::date DESC,
                                       o.target_then - o.original DESC, o.target_then,
                                       o.problem_id, o.milestone_id) AS rank
    FROM open_milestones o
    WHERE o.slipped OR o.target_then < %(day)s::date
)
SELECT r.*, p.reference, p.title AS problem_title, d.code, tm.name AS team
FROM ranked r
JOIN problems p ON p.id = r.problem_id
JOIN departments d ON d.id = p.department_id
LEFT JOIN teams tm ON tm.id = r.team_id
WHERE r.rank <= 100
ORDER BY r.rank
"""

DISTRIBUTION_DEPARTMENTS = """
SELECT d.code, d.name, count(*) AS submitted,
       count(*) FILTER (WHERE t.decided_at IS NOT NULL) AS decided,
       count(*) FILTER (WHERE t.decided_at IS NOT NULL
                          AND t.status NOT IN {ended}) AS accepted,
       count(*) FILTER (WHERE cardinality(p.communities_affected) = 0) AS no_community
FROM problem_timeline t
JOIN problems p ON p.id = t.problem_id
JOIN departments d ON d.id = p.department_id
WHERE {valid} AND t.submitted_at IS NOT NULL
GROUP BY d.code, d.name
"""
DISTRIBUTION_COMMUNITIES = """
SELECT key, min(label) AS label, count(*) AS submitted,
       count(*) FILTER (WHERE decided) AS decided, count(*) FILTER (WHERE accepted) AS accepted,
       count(*) OVER () AS total
FROM (
    SELECT lower(btrim(c.name)) AS key, min(btrim(c.name) COLLATE "C") AS label,
           bool_or(t.decided_at IS NOT NULL) AS decided,
           bool_or(t.decided_at IS NOT NULL
                   AND t.status NOT IN {ended}) AS accepted
    FROM problem_timeline t
    JOIN problems p ON p.id = t.problem_id
    CROSS JOIN LATERAL unnest(p.communities_affected) AS c(name)
    WHERE {valid} AND t.submitted_at IS NOT NULL AND btrim(c.name) <> ''
    GROUP BY t.problem_id, lower(btrim(c.name))
) AS per_problem
GROUP BY key
ORDER BY count(*) DESC, key
LIMIT 100
"""


def window_start(at: datetime, zone: ZoneInfo) -> datetime:
    """The first instant of the month eleven months before the moment's month (city time)."""
    local = at.astimezone(zone)
    index = local.year * 12 + local.month - 1 - (MONTHS - 1)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Schema:
    """What the timeline offers a hand-written query, read from the catalog at start, so the
    baseline is written for the schema the app runs on (it changes as the views are tuned):
    which index finds the rows in force (a partial index on open rows and a GiST index on
    the period, or a b-tree on ``coalesce(valid_to, 'infinity')``), whether each row
    carries its problem's department and the time its state was entered, and whether
    removed milestones and metrics are kept (``deleted_at``: they count until removed)."""

    current: str = "not_ended"  # "current" (valid_to IS NULL partial index) or "not_ended"
    period: str = "not_ended"  # "period" (GiST) or "not_ended"
    department: bool = False
    state_entered: bool = False
    kept_removals: bool = False

    @classmethod
    async def read(cls, connection: asyncpg.Connection) -> Schema:
        columns = {
            row[0]
            for row in await connection.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'problem_timeline'"
            )
        }
        indexes = {
            row[0]: row[1]
            for row in await connection.fetch(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND tablename = 'problem_timeline'"
            )
        }
        kept = await connection.fetchval(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = 'milestones' AND column_name = 'deleted_at'"
        )
        definitions = " ".join(indexes.values()).lower()
        not_ended = "coalesce(valid_to" in definitions
        current = any("where (valid_to is null)" in d.lower() for d in indexes.values())
        period = "using gist" in definitions
        return cls(
            current="current" if current or not not_ended else "not_ended",
            period="period" if period or not not_ended else "not_ended",
            department="department_id" in columns,
            state_entered="state_entered_at" in columns,
            kept_removals=bool(kept),
        )

    def describe(self) -> str:
        now = "valid_to IS NULL" if self.current == "current" else "coalesce(valid_to)"
        past = "the GiST period" if self.period == "period" else "coalesce(valid_to)"
        return (
            f"rows in force by {now} (now) and {past}"
            f" (as_of); department from {'the timeline' if self.department else 'problems'}; "
            f"state entered from {'the timeline' if self.state_entered else 'earlier rows'}"
        )


@dataclass
class RawPortfolio:
    """The seven views' aggregates, by hand, through asyncpg."""

    pool: asyncpg.Pool
    zone: ZoneInfo
    settings: tuple[str, ...] = ("SET LOCAL jit = off", "SET LOCAL work_mem = '64MB'")
    schema: Schema = Schema()

    async def inspect(self) -> Schema:
        async with self.pool.acquire() as connection:
            self.schema = await Schema.read(connection)
        return self.schema

    async def view(self, name: str, as_of: datetime | None) -> dict[str, Any]:
        at = as_of or datetime.now(UTC)
        values = {
            "at": at,
            "day": at.astimezone(UTC).date(),
            "start": window_start(at, self.zone),
            "zone": self.zone.key,
        }
        async with self.pool.acquire() as connection, connection.transaction():
            for setting in self.settings:
                await connection.execute(setting)
            run = _Runner(connection, self.schema, as_of is not None, values)
            figures: dict[str, Any] = await getattr(self, "_" + name.replace("-", "_"))(run)
        return figures

    async def _summary(self, run: _Runner) -> dict[str, Any]:
        rows = await run.fetch(SUMMARY)
        return {"total": next(row["n"] for row in rows if row["set"] == 0b11111)}

    async def _flow(self, run: _Runner) -> dict[str, Any]:
        pace = await run.fetchrow(FLOW_PACE)
        await run.fetch(FLOW_TIME_IN_STATE)
        ageing = await run.fetch(FLOW_AGEING)
        lead = _json(pace["lead"])
        counts: dict[str, int] = {}
        for row in ageing:
            counts[row["status"]] = row["in_state"]
        return {
            "lead_time_to_decision": lead["decided"],
            "lead_time_to_launch": lead["launched"],
            "ageing": {state: counts.get(state, 0) for state in OPEN_STATES},
        }

    async def _sla(self, run: _Runner) -> dict[str, Any]:
        rows = await run.fetch(SLA)
        total = next(row for row in rows if row["set"] == 0b1111)
        return {
            clock: {
                state: total[f"{key}_{state}"]
                for state in ("met", "breached", "running", "running_breached")
            }
            for clock, key in (("first_response", "fr"), ("decision", "dc"))
        }

    async def _teams(self, run: _Runner) -> dict[str, Any]:
        teams = await run.fetch(TEAMS_LOAD)
        await run.fetch(TEAMS_WORK)
        return {"load": {str(row["id"]): row["load"] for row in teams}}

    async def _outcomes(self, run: _Runner) -> dict[str, Any]:
        metrics = await run.fetch(OUTCOMES_METRICS)
        closed = await run.fetch(OUTCOMES_CLOSED)
        counts = _json(metrics[0]["counts"]) or {}
        return {
            "metrics_total": sum(counts.values()),
            "closed_total": sum(row["count"] for row in closed),
        }

    async def _at_risk(self, run: _Runner) -> dict[str, Any]:
        problems = await run.fetch(AT_RISK_PROBLEMS)
        milestones = await run.fetch(AT_RISK_MILESTONES)
        totals = {row["section"]: row["total"] for row in problems}
        return {
            "updates": totals.get("update", 0),
            "sla_breaches": totals.get("sla", 0),
            "milestones": milestones[0]["total"] if milestones else 0,
        }

    async def _distribution(self, run: _Runner) -> dict[str, Any]:
        departments = await run.fetch(DISTRIBUTION_DEPARTMENTS)
        await run.fetch(DISTRIBUTION_COMMUNITIES)
        return {
            "submitted": sum(row["submitted"] for row in departments),
            "accepted": sum(row["accepted"] for row in departments),
        }


def app_figures(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """The same headline figures, read from the app's JSON body."""
    if name == "summary":
        return {"total": body["total"]}
    if name == "flow":
        return {
            "lead_time_to_decision": body["lead_time_to_decision"]["count"],
            "lead_time_to_launch": body["lead_time_to_launch"]["count"],
            "ageing": {item["state"]: item["count"] for item in body["ageing"]},
        }
    if name == "sla":
        return {
            clock: {
                state: body[clock][state]
                for state in ("met", "breached", "running", "running_breached")
            }
            for clock in ("first_response", "decision")
        }
    if name == "teams":
        return {"load": {str(team["id"]): team["load"] for team in body["teams"]}}
    if name == "outcomes":
        return {"metrics_total": body["metrics_total"], "closed_total": body["closed_total"]}
    if name == "at-risk":
        return {
            "updates": body["updates"]["total"],
            "sla_breaches": body["sla_breaches"]["total"],
            "milestones": body["milestones"]["total"],
        }
    if name == "distribution":
        return {"submitted": body["submitted"], "accepted": body["accepted"]}
    raise ValueError(name)


class _Runner:
    def __init__(
        self, connection: asyncpg.Connection, schema: Schema, past: bool, values: dict[str, Any]
    ) -> None:
        self.connection, self.values = connection, values
        self.parts = {
            "valid": VALID[("as_of", schema.period) if past else ("now", schema.current)],
            "overlap": OVERLAP[schema.period],
            "dept": "t.department_id" if schema.department else "p.department_id",
            "dept_join": "" if schema.department else "JOIN problems p ON p.id = t.problem_id",
            "since": "t.state_entered_at" if schema.state_entered else SINCE_SUBQUERY,
            "metric_kept": KEPT.format(table="m") if schema.kept_removals else "",
            "milestone_kept": KEPT.format(table="ms") if schema.kept_removals else "",
            **{name: _in(states) for name, states in STATE_LISTS.items()},
        }

    def _sql(self, template: str) -> tuple[str, list[Any]]:
        sql = template
        for name, part in self.parts.items():
            sql = sql.replace("{" + name + "}", part)
        return bind(sql, self.values)

    async def fetch(self, template: str) -> list[asyncpg.Record]:
        sql, args = self._sql(template)
        rows: list[asyncpg.Record] = await self.connection.fetch(sql, *args)
        return rows

    async def fetchrow(self, template: str) -> asyncpg.Record:
        sql, args = self._sql(template)
        return await self.connection.fetchrow(sql, *args)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
