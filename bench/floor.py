"""The raw floor: the hot endpoints' work with nothing but Litestar, asyncpg and msgspec.

Each handler checks the bearer token as Intake does (the same ``LocalKeys`` verifier and
its cache of verified tokens), looks up the caller, and reads what the response shows in
one statement: the caller and the visible record together, names and latest update
joined. Rows become plain dicts encoded by msgspec; no ORM, no identity map, no
BEGIN/COMMIT around a read. This is what Intake's request path is measured against
(bench/http.py); it serves the same paths and answers with the same fields, so one load
generator drives both.

The writes write the rows Intake writes, with the same values, and answer with the whole
problem (a submit with its similar problems too): a draft in one statement (the problem
with its framing hints, its author watching it, the ``created`` event with the initial
values, the timeline row); a submit in one transaction of six statements (the problem
locked with its words, policy and names; the terms' counts; the search; the lists cut back
with the matches read; the reference; then the problem, its event, the watchers' inbox, the
timeline and the terms counted in, in one). Where a value comes from Intake's rules, the
floor calls the same pure functions (``framing.to_store``, ``words.terms_of`` and
``weights``, ``similar.finding_terms``, ``business_time.due_at``, ``missing_for_submit``)
and runs the same search statement (``similar._STORE``); the search's dictionary is stemmed
once per process at start-up, as Intake keeps it. Triggers (the feed's publication, the
community lists) fire for both.

    INTAKE_FLOOR_DATABASE_URL=... INTAKE_FLOOR_DATA_DIR=... uvicorn bench.floor:app
"""

from __future__ import annotations

import math
import os
import re
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from intake.lib.errors import NotAuthenticated
from intake.problems import framing
from intake.problems.submitting import IMPACT_FIELDS, REQUIRED_AT_SUBMIT, missing_for_submit
from intake.triage import policy, similar, words
from intake.triage.reads import QueueFilters, queue_sql
from intake.triage.sla.business_time import calendar_of, due_at
from intake.web.auth import LocalKeys
from intake.web.reads import DTI_ROLE_LIST, PRIVILEGED_ROLES

DTI_OR_LEADERSHIP = ["triager", "team_member", "admin", "leadership"]
# The problem's own columns a write answers with (besides its department and submitter).
PROBLEM_WRITTEN = [
    "id", "reference", "status", "version", "title", "problem_statement", "affected_groups",
    "affected_people_per_year", "current_process", "workarounds", "impact_staff_hours_per_year",
    "impact_cost_per_year", "impact_risk", "impact_resident_burden", "urgency_deadline",
    "urgency_reason", "urgency_notes", "desired_outcome", "success_measures",
    "systems_involved", "data_sensitivity", "equity_considerations", "communities_affected",
    "accessibility_needs", "language_access_needs", "restricted", "created_at", "updated_at",
    "submitted_at", "score", "primary_problem_id", "redirect_channel", "held_from_status",
    "delivery_phase", "launched_at", "closed_at",
]  # fmt: skip
QUEUE_STATES = ["submitted", "triage", "needs_info"]

CALLER = """
caller AS (
    SELECT p.id, p.email, p.name, p.department_id, p.roles, p.active, p.email_notifications,
           d.code AS department_code, d.name AS department_name,
           p.roles && $2::varchar[] AS privileged
    FROM people p JOIN departments d ON d.id = p.department_id
    WHERE lower(p.email) = $1
)"""


def visible(alias: str) -> str:
    """guards.visible_to over ``alias``, for the caller row ``c``."""
    return f"""(
        {alias}.department_id = c.department_id
        OR ({alias}.reference IS NOT NULL AND (
            NOT {alias}.restricted OR c.privileged OR EXISTS (
                SELECT 1 FROM problem_collaborators pc
                WHERE pc.problem_id = {alias}.id
                  AND (pc.department_id = c.department_id OR pc.person_id = c.id)))))"""


ME_SQL = f"WITH {CALLER} SELECT * FROM caller"

PROBLEM_SQL = f"""
WITH {CALLER}
SELECT c.active AS caller_active, pr.id, pr.reference, pr.status, pr.version, pr.title,
       pr.problem_statement, pr.affected_groups, pr.affected_people_per_year,
       pr.current_process, pr.workarounds, pr.impact_staff_hours_per_year,
       pr.impact_cost_per_year, pr.impact_risk, pr.impact_resident_burden,
       pr.urgency_deadline, pr.urgency_reason, pr.urgency_notes, pr.desired_outcome,
       pr.success_measures, pr.systems_involved, pr.data_sensitivity,
       pr.equity_considerations, pr.communities_affected, pr.accessibility_needs,
       pr.language_access_needs, pr.restricted, pr.created_at, pr.updated_at,
       pr.submitted_at, pr.score, pr.redirect_channel, pr.held_from_status,
       pr.delivery_phase, pr.launched_at, pr.closed_at, pr.outcome_result,
       pr.outcome_summary, pr.outcome_lessons,
       d.id AS department_id, d.code AS department_code, d.name AS department_name,
       s.id AS submitter_id, s.name AS submitter_name,
       t.id AS triager_id, t.name AS triager_name,
       tm.id AS team_id, tm.name AS team_name,
       rd.id AS redirected_id, rd.code AS redirected_code, rd.name AS redirected_name,
       (SELECT pp.id FROM problems pp WHERE pp.id = pr.primary_problem_id
          AND {visible("pp")}) AS primary_problem_id,
       u.id AS update_id, u.status AS update_status, u.summary AS update_summary,
       u.created_at AS update_created_at, u.author_id AS update_author_id,
       ua.name AS update_author_name
FROM caller c
LEFT JOIN problems pr ON pr.id = $3 AND {visible("pr")}
LEFT JOIN departments d ON d.id = pr.department_id
LEFT JOIN people s ON s.id = pr.submitter_id
LEFT JOIN people t ON t.id = pr.triager_id
LEFT JOIN teams tm ON tm.id = pr.team_id
LEFT JOIN departments rd ON rd.id = pr.redirected_to_department_id
LEFT JOIN LATERAL (
    SELECT * FROM status_updates su WHERE su.problem_id = pr.id
    ORDER BY su.created_at DESC, su.id DESC LIMIT 1
) u ON true
LEFT JOIN people ua ON ua.id = u.author_id
"""

_LIST = f"""
WITH {CALLER}
SELECT c.active AS caller_active, pr.id, pr.reference, pr.status, pr.title, pr.restricted,
       pr.created_at, pr.updated_at, pr.submitted_at,
       d.id AS department_id, d.code AS department_code, d.name AS department_name,
       pr.submitter_id, s.name AS submitter_name{{rank}}
FROM caller c
LEFT JOIN LATERAL (
    SELECT pr.*{{rank_inner}} FROM problems pr
    WHERE {visible("pr")} {{match}}
    ORDER BY {{order}}
    LIMIT $3
) pr ON true
LEFT JOIN departments d ON d.id = pr.department_id
LEFT JOIN people s ON s.id = pr.submitter_id
ORDER BY {{order}}
"""
LIST_SQL = _LIST.format(rank="", rank_inner="", match="", order="pr.created_at DESC, pr.id DESC")
SEARCH_SQL = _LIST.format(
    rank=", pr.rank",
    rank_inner=", ts_rank_cd(pr.search_vector, websearch_to_tsquery('english', $4)) AS rank",
    match="AND pr.search_vector @@ websearch_to_tsquery('english', $4)",
    order="rank DESC, pr.id DESC",
)

HISTORY_SQL = f"""
WITH {CALLER}
SELECT c.active AS caller_active, pr.id AS problem_id, e.id, e.type, e.occurred_at,
       e.actor_id, a.name AS actor_name, e.from_status, e.to_status, e.reason, e.changes
FROM caller c
LEFT JOIN problems pr ON pr.id = $3 AND {visible("pr")}
LEFT JOIN LATERAL (
    SELECT * FROM problem_events ev
    WHERE ev.problem_id = pr.id
      AND (NOT ev.internal OR c.roles && ARRAY['triager', 'team_member', 'admin']::varchar[])
    ORDER BY ev.id LIMIT $4
) e ON true
LEFT JOIN people a ON a.id = e.actor_id
ORDER BY e.id
"""

# The queue: Intake's own statement (intake.triage.reads), its SLA calendar's token
# passed back as Intake passes it; the clocks computed from it are Intake's work, not this.
QUEUE_SQL, QUEUE_ARGS = queue_sql(QueueFilters(), datetime(2000, 1, 1, tzinfo=UTC), None, 25)

# -- writes: a draft, and its submit ---------------------------------------------------------
#
# The rows Intake writes, with the same values (tests/bench: docs/performance.md lists them).
# A draft: the problem (framing hints stored), its author watching it, the `created` event
# with the initial values (its feed entry by trigger feed_publish), the draft's timeline row.
# Its inbox rows: none, since the only watcher of a new draft is its author, the actor.
# A submit: the similar problems (terms, matches both ways, lists cut back, terms counted in),
# the SLA due times, the reference, the problem, the `submitted` event (feed by trigger), the
# watchers' inbox rows, the timeline (the draft's row closed, the submitted row opened).

# What a write returns of the problem: what the answer shows, and what the timeline copies.
WRITTEN = ", ".join(
    [*PROBLEM_WRITTEN, "department_id", "submitter_id", "community_list_id", "framing_hints"]
)
# What a submit reads of the problem it locks: the record's completeness, its stored terms.
LOCKED = [
    "id", "status", "department_id", "similar_terms", "urgency_deadline", "urgency_reason",
    *REQUIRED_AT_SUBMIT, *IMPACT_FIELDS,
]  # fmt: skip

CREATE_SQL = f"""
WITH {CALLER},
made AS (
    INSERT INTO problems (id, status, version, department_id, submitter_id, title,
                          problem_statement, desired_outcome, affected_groups,
                          affected_people_per_year, current_process, success_measures,
                          data_sensitivity, impact_staff_hours_per_year, framing_hints,
                          framing_rules, created_at, updated_at)
    SELECT $3, 'draft', 1, c.department_id, c.id, $4, $5, $6, $7, $8, $9, $10, $11, $12,
           $13::jsonb, $14, $15, $15
    FROM caller c WHERE c.active AND 'requester' = ANY(c.roles)
    RETURNING {WRITTEN}
),
followed AS (
    INSERT INTO problem_watchers (problem_id, person_id, added_at)
    SELECT id, submitter_id, created_at FROM made
),
event AS (
    INSERT INTO problem_events (problem_id, actor_id, type, to_status, changes)
    SELECT m.id, m.submitter_id, 'created', 'draft', $16::jsonb FROM made m
    RETURNING id, problem_id, occurred_at
),
timeline AS (
    INSERT INTO problem_timeline (event_id, problem_id, department_id, community_list_id,
                                  valid_from, status, state_entered_at, last_of_stay)
    SELECT e.id, e.problem_id, m.department_id, m.community_list_id, e.occurred_at, 'draft',
           e.occurred_at, true
    FROM event e, made m
)
SELECT m.*, c.department_code, c.name AS submitter_name, c.department_name
FROM made m, caller c
"""

# The problem locked, with what the submit needs: its record (complete?), its words as the
# search stems them (similar._MARK_SQL's), its names for the answer, the SLA policy.
SUBMIT_LOCK_SQL = f"""
WITH {CALLER}
SELECT c.id AS caller_id, c.active, c.department_code, c.department_name,
       s.name AS submitter_name, {", ".join(f"pr.{name}" for name in LOCKED)},
       ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, pr.title))
             ORDER BY positions[1]) AS title_terms,
       ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig,
             left(coalesce(pr.problem_statement, ''), 2000))) ORDER BY positions[1] LIMIT $4)
           AS opening_terms,
       (SELECT value FROM settings WHERE key = 'sla') AS sla,
       ARRAY(SELECT day FROM holidays ORDER BY day) AS holidays
FROM caller c
JOIN problems pr ON pr.id = $3 AND pr.department_id = c.department_id
JOIN people s ON s.id = pr.submitter_id
FOR UPDATE OF pr
"""
# What lists held the problem are searched again on their next read, its own matches go;
# then the counts of its terms.
COUNTS_SQL = """
WITH stale AS (
    UPDATE problems SET similar_computed_at = NULL WHERE id IN
        (SELECT problem_id FROM problem_similarities WHERE similar_id = $1 ORDER BY problem_id)
    AND id <> $1
),
forgot AS (
    DELETE FROM problem_similarities WHERE problem_id = $1 OR similar_id = $1
)
SELECT term, problems FROM similar_term_counts WHERE term = ANY($2::text[])
"""


def _numbered(sql: str, names: list[str]) -> str:
    """Intake's statement with ``:name`` parameters as asyncpg's ``$n``."""
    return re.sub(r"(?<!:):(\w+)", lambda m: f"${names.index(m[1]) + 1}", sql)


STORE_NAMES = ["id", "both_ways", "terms", "weights", "norm", "rare", "candidates", "keep"]
STORE_SQL = _numbered(str(similar._STORE.text), STORE_NAMES)
# Every list that grew cut back to its best KEEP (similar._CUT_BACK); then the matches the
# answer shows. The cut leaves the problem's own list alone (it holds at most KEEP, new).
CUT_AND_READ_SQL = f"""
WITH {CALLER},
ranked AS (
    SELECT problem_id, similar_id, row_number() OVER (
        PARTITION BY problem_id ORDER BY score DESC, similar_id) AS place
    FROM problem_similarities WHERE problem_id = ANY($3::uuid[])
),
surplus AS (
    SELECT s.problem_id, s.similar_id FROM problem_similarities s
    JOIN ranked r ON r.problem_id = s.problem_id AND r.similar_id = s.similar_id
    WHERE r.place > $4 ORDER BY s.problem_id, s.similar_id FOR UPDATE OF s
),
cut AS (
    DELETE FROM problem_similarities
    WHERE (problem_id, similar_id) IN (SELECT problem_id, similar_id FROM surplus)
)
SELECT pr.id, pr.reference, pr.title, pr.status, d.id AS department_id,
       d.code AS department_code, d.name AS department_name, sim.score AS similarity
FROM caller c, problem_similarities sim
JOIN problems pr ON pr.id = sim.similar_id
JOIN departments d ON d.id = pr.department_id
WHERE sim.problem_id = $5 AND pr.reference IS NOT NULL AND {visible("pr")}
ORDER BY sim.score DESC, sim.similar_id
LIMIT $6
"""
COUNTER_SQL = """
INSERT INTO reference_counters (year, last_number) VALUES ($1, 1)
ON CONFLICT (year) DO UPDATE SET last_number = reference_counters.last_number + 1
RETURNING last_number
"""
# Under the counter's lock: the problem, its event, the watchers' inbox, the timeline, the
# terms counted in.
SUBMIT_SQL = f"""
WITH done AS (
    UPDATE problems SET status = 'submitted', reference = $2, version = version + 1,
           submitted_at = $3, updated_at = $3, first_response_due_at = $4,
           decision_due_at = $5, similar_computed_at = $3, similar_terms = $6,
           similar_norm = $7
    WHERE id = $1 RETURNING {WRITTEN}
),
event AS (
    INSERT INTO problem_events (problem_id, actor_id, type, from_status, to_status, changes)
    SELECT id, $8, 'submitted', 'draft', 'submitted', $9::jsonb FROM done
    RETURNING id, occurred_at
),
told AS (
    INSERT INTO notifications (person_id, event_id, kind)
    SELECT p.id, e.id, 'state_change'
    FROM event e, problem_watchers w JOIN people p ON p.id = w.person_id
    WHERE w.problem_id = $1 AND p.active AND p.id <> $8
    ON CONFLICT DO NOTHING
),
closed AS (
    UPDATE problem_timeline SET valid_to = (SELECT occurred_at FROM event)
    WHERE problem_id = $1 AND valid_to IS NULL
),
opened AS (
    INSERT INTO problem_timeline (event_id, problem_id, department_id, community_list_id,
                                  valid_from, status, submitted_at, first_response_due_at,
                                  decision_due_at, state_entered_at, last_of_stay)
    SELECT e.id, d.id, d.department_id, d.community_list_id, e.occurred_at, 'submitted',
           e.occurred_at, $4, $5, e.occurred_at, true
    FROM event e, done d
),
recorded AS (
    INSERT INTO similar_dictionary (dictionary, recorded_at) VALUES ($10, $3)
    ON CONFLICT DO NOTHING
),
counted AS (
    INSERT INTO similar_term_counts (term, problems)
    SELECT term, change FROM unnest($11::text[], $12::int[]) AS given(term, change)
    ORDER BY term
    ON CONFLICT (term) DO UPDATE SET problems = similar_term_counts.problems + excluded.problems
)
SELECT * FROM done
"""


# -- the app ----------------------------------------------------------------------------------


def _json(body: Any, status_code: int = 200) -> Response[bytes]:
    return Response(
        msgspec.json.encode(body), status_code=status_code, media_type="application/json"
    )


def _problem(status: int, detail: str) -> Response[bytes]:
    body = {"type": "about:blank", "title": detail, "status": status, "detail": detail}
    return Response(
        msgspec.json.encode(body), status_code=status, media_type="application/problem+json"
    )


async def _email(request: Request[Any, Any, Any]) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        keys: LocalKeys = request.app.state.local_keys
        return (await keys.email_for(token.strip())).strip().lower()
    except NotAuthenticated:
        return None


def _ref(row: asyncpg.Record, prefix: str, *fields: str) -> dict[str, Any] | None:
    if row[f"{prefix}_id"] is None:
        return None
    return {"id": row[f"{prefix}_id"], **{name: row[f"{prefix}_{name}"] for name in fields}}


PROBLEM_FIELDS = [
    "id",
    "reference",
    "status",
    "version",
    "title",
    "problem_statement",
    "affected_groups",
    "affected_people_per_year",
    "current_process",
    "workarounds",
    "impact_staff_hours_per_year",
    "impact_cost_per_year",
    "impact_risk",
    "impact_resident_burden",
    "urgency_deadline",
    "urgency_reason",
    "urgency_notes",
    "desired_outcome",
    "success_measures",
    "data_sensitivity",
    "equity_considerations",
    "communities_affected",
    "accessibility_needs",
    "language_access_needs",
    "restricted",
    "created_at",
    "updated_at",
    "submitted_at",
    "score",
    "primary_problem_id",
    "redirect_channel",
    "held_from_status",
    "delivery_phase",
    "launched_at",
    "closed_at",
]


def _problem_body(row: asyncpg.Record) -> dict[str, Any]:
    body = {name: row[name] for name in PROBLEM_FIELDS}
    body["systems_involved"] = msgspec.Raw(row["systems_involved"].encode())
    body["department"] = _ref(row, "department", "code", "name")
    body["submitter"] = _ref(row, "submitter", "name")
    body["triager"] = _ref(row, "triager", "name")
    body["team"] = _ref(row, "team", "name")
    body["redirected_to"] = _ref(row, "redirected", "code", "name")
    body["outcome_review"] = (
        {
            "result": row["outcome_result"],
            "summary": row["outcome_summary"] or "",
            "lessons": row["outcome_lessons"] or "",
        }
        if row["outcome_result"]
        else None
    )
    body["latest_update"] = (
        {
            "id": row["update_id"],
            "status": row["update_status"],
            "summary": row["update_summary"],
            "author": {"id": row["update_author_id"], "name": row["update_author_name"]},
            "created_at": row["update_created_at"],
        }
        if row["update_id"]
        else None
    )
    body["framing_hints"] = []  # stored on write: nothing to compute on a read
    return body


def _summary(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "reference": row["reference"],
        "status": row["status"],
        "title": row["title"],
        "department": _ref(row, "department", "code", "name"),
        "submitter": _ref(row, "submitter", "name"),
        "restricted": row["restricted"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "submitted_at": row["submitted_at"],
        "rank": row.get("rank"),
    }


async def _read(
    request: Request[Any, Any, Any], sql: str, *args: Any
) -> list[asyncpg.Record] | Response[bytes]:
    """The rows of ``sql`` for the request's caller, or the refusal to send instead."""
    email = await _email(request)
    if email is None:
        return _problem(401, "Send a valid bearer token.")
    pool: asyncpg.Pool = request.app.state.pool
    rows: list[asyncpg.Record] = await pool.fetch(sql, email, DTI_OR_LEADERSHIP, *args)
    if not rows or not rows[0]["caller_active"]:
        return _problem(401, "Unknown or deactivated person.")
    return rows


@get("/api/v1/me")
async def me(request: Request[Any, Any, Any]) -> Response[bytes]:
    rows = await _read(request, ME_SQL.replace("SELECT *", "SELECT *, active AS caller_active"))
    if isinstance(rows, Response):
        return rows
    row = rows[0]
    return _json(
        {
            "id": row["id"],
            "email": row["email"],
            "name": row["name"],
            "department": {
                "id": row["department_id"],
                "code": row["department_code"],
                "name": row["department_name"],
            },
            "roles": list(row["roles"]),
            "email_notifications": row["email_notifications"],
        }
    )


@get("/api/v1/problems/{problem_id:uuid}")
async def problem(request: Request[Any, Any, Any], problem_id: uuid.UUID) -> Response[bytes]:
    rows = await _read(request, PROBLEM_SQL, problem_id)
    if isinstance(rows, Response):
        return rows
    if rows[0]["id"] is None:
        return _problem(404, f"No problem {problem_id}.")
    return _json(_problem_body(rows[0]))


@get("/api/v1/problems")
async def problems(
    request: Request[Any, Any, Any], limit: int = 25, q: str | None = None
) -> Response[bytes]:
    rows = await (
        _read(request, SEARCH_SQL, limit + 1, q) if q else _read(request, LIST_SQL, limit + 1)
    )
    if isinstance(rows, Response):
        return rows
    items = [_summary(row) for row in rows if row["id"] is not None]
    return _json({"items": items[:limit], "next_cursor": "more" if len(items) > limit else None})


@get("/api/v1/problems/{problem_id:uuid}/history")
async def history(
    request: Request[Any, Any, Any], problem_id: uuid.UUID, limit: int = 50
) -> Response[bytes]:
    rows = await _read(request, HISTORY_SQL, problem_id, limit + 1)
    if isinstance(rows, Response):
        return rows
    if rows[0]["problem_id"] is None:
        return _problem(404, f"No problem {problem_id}.")
    items = [
        {
            "id": row["id"],
            "type": row["type"],
            "occurred_at": row["occurred_at"],
            "actor": {"id": row["actor_id"], "name": row["actor_name"] or ""}
            if row["actor_id"]
            else None,
            "from_status": row["from_status"],
            "to_status": row["to_status"],
            "reason": row["reason"],
            "changes": msgspec.Raw(row["changes"].encode()),
        }
        for row in rows
        if row["id"] is not None
    ]
    return _json({"items": items[:limit], "next_cursor": "more" if len(items) > limit else None})


@get("/api/v1/triage/queue")
async def queue(request: Request[Any, Any, Any], limit: int = 25) -> Response[bytes]:
    email = await _email(request)
    if email is None:
        return _problem(401, "Send a valid bearer token.")
    state = request.app.state
    pool: asyncpg.Pool = state.pool
    args = [*QUEUE_ARGS[:-1], limit + 1]
    rows = await pool.fetch(
        QUEUE_SQL, email, PRIVILEGED_ROLES, DTI_ROLE_LIST, datetime.now(UTC), state.token, *args
    )
    if not rows or not rows[0]["caller_active"]:
        return _problem(401, "Unknown or deactivated person.")
    if not rows[0]["caller_reads_queue"]:
        return _problem(403, "Triagers only.")
    state.token = rows[0]["calendar_token"]
    items = [
        {
            "id": row["id"],
            "reference": row["reference"],
            "title": row["title"],
            "status": row["status"],
            "score": row["score"],
            "submitted_at": row["submitted_at"],
            "first_response_at": row["first_response_at"],
            "first_response_due_at": row["first_response_due_at"],
            "decided_at": row["decided_at"],
            "decision_due_at": row["decision_due_at"],
            "triager": {"id": row["triager_id"], "name": row["triager_name"]}
            if row["triager_id"]
            else None,
            "department": _ref(row, "department", "code", "name"),
        }
        for row in rows
        if row["id"] is not None
    ]
    return _json({"items": items[:limit], "next_cursor": "more" if len(items) > limit else None})


class DraftIn(msgspec.Struct):
    title: str
    problem_statement: str | None = None
    desired_outcome: str | None = None
    affected_groups: list[str] = []
    affected_people_per_year: int | None = None
    current_process: str | None = None
    success_measures: str | None = None
    data_sensitivity: str | None = None
    impact_staff_hours_per_year: int | None = None


def _written(row: asyncpg.Record, hints: Any) -> dict[str, Any]:
    """The problem as written (RETURNING *): a draft has no triager, team, redirection,
    primary, outcome or status update, so those are null, as Intake answers them."""
    body = {name: row[name] for name in PROBLEM_FIELDS}
    body["systems_involved"] = msgspec.Raw(row["systems_involved"].encode())
    body["department"] = {
        "id": row["department_id"],
        "code": row["department_code"],
        "name": row["department_name"],
    }
    body["submitter"] = {"id": row["submitter_id"], "name": row["submitter_name"]}
    body |= dict.fromkeys(("triager", "team", "redirected_to", "outcome_review"))
    body["latest_update"] = None
    body["framing_hints"] = hints
    return body


@post("/api/v1/problems")
async def create(request: Request[Any, Any, Any]) -> Response[bytes]:
    email = await _email(request)
    if email is None:
        return _problem(401, "Send a valid bearer token.")
    try:
        data = msgspec.json.decode(await request.body(), type=DraftIn)
    except msgspec.DecodeError as error:
        return _problem(422, str(error))
    values = {
        name: (value.strip() or None) if isinstance(value, str) else value
        for name, value in msgspec.structs.asdict(data).items()
    }
    values["title"] = data.title.strip()
    values["affected_groups"] = list(dict.fromkeys(data.affected_groups))
    # Intake's framing rules, the same pure function: hints stored on write.
    hints = framing.to_store(
        title=values["title"],
        problem_statement=values["problem_statement"],
        desired_outcome=values["desired_outcome"],
    )
    created = {name: value for name, value in values.items() if value not in (None, [], False)}
    pool: asyncpg.Pool = request.app.state.pool
    row = await pool.fetchrow(
        CREATE_SQL,
        email,
        DTI_OR_LEADERSHIP,
        uuid.uuid4(),
        values["title"],
        values["problem_statement"],
        values["desired_outcome"],
        values["affected_groups"],
        values["affected_people_per_year"],
        values["current_process"],
        values["success_measures"],
        values["data_sensitivity"],
        values["impact_staff_hours_per_year"],
        msgspec.json.encode(hints).decode(),
        framing.RULES_VERSION,
        datetime.now(UTC),
        msgspec.json.encode(created).decode(),
    )
    if row is None:
        return _problem(403, "Requesters only.")
    return _json(_written(row, hints), 201)


def _due_times(row: asyncpg.Record, now: datetime) -> tuple[datetime | None, datetime | None]:
    """Intake's SLA clocks from the stored policy and holidays (the same pure functions)."""
    stored = row["sla"]
    sla = msgspec.json.decode(stored, type=policy.SlaPolicy) if stored else policy.SlaPolicy()
    calendar = calendar_of(policy.zone(sla), frozenset(row["holidays"]))
    return (
        due_at(now, sla.first_response_days, calendar),
        due_at(now, sla.decision_days, calendar),
    )


async def _similar(
    connection: asyncpg.Connection, app: Litestar, row: asyncpg.Record, email: str
) -> tuple[list[dict[str, Any]], list[str], float, list[tuple[str, int]]]:
    """Intake's search for similar problems (its pure functions: terms, weights, the terms
    that find candidates; its SQL), before the reference is taken: the matches the answer
    shows, the terms and norm to store, and the changes to the terms' counts."""
    vocabulary: words.Vocabulary = app.state.vocabulary
    terms = words.terms_of([*row["title_terms"], *row["opening_terms"]], vocabulary)
    old = row["similar_terms"]
    change: Counter[str] = Counter(terms)
    change.subtract(old or ())
    change[""] += 1 if old is None else 0  # the total's row
    counts = {
        found["term"]: found["problems"]
        for found in await connection.fetch(COUNTS_SQL, row["id"], ["", *terms])
    }
    for term, by in change.items():
        if by and (term == "" or term in terms):
            counts[term] = counts.get(term, 0) + by
    weights = words.weights(terms, counts, counts.pop("", 0), vocabulary)
    norm = math.sqrt(sum(weight * weight for weight in weights.values()))
    rare = similar.finding_terms(weights, counts)
    lists = [row["id"]]
    if rare and norm != 0:
        stored = await connection.fetch(
            STORE_SQL,
            row["id"],
            True,
            list(weights),
            [weight * weight for weight in weights.values()],
            norm,
            rare,
            similar.MAX_CANDIDATES,
            similar.KEEP,
        )
        lists = sorted({row["id"], *(found["problem_id"] for found in stored)})
    found = await connection.fetch(
        CUT_AND_READ_SQL, email, DTI_OR_LEADERSHIP, lists, similar.KEEP, row["id"], similar.LIMIT
    )
    matches = [
        {
            "id": match["id"],
            "reference": match["reference"],
            "title": match["title"],
            "status": match["status"],
            "department": _ref(match, "department", "code", "name"),
            "similarity": round(float(match["similarity"]), 3),
            "other_department": match["department_id"] != row["department_id"],
            "suggestion": (
                f"{match['department_name']} has a similar problem: consider collaborating "
                f"with them on {match['reference']}."
            )
            if match["department_id"] != row["department_id"]
            else None,
        }
        for match in found
    ]
    counted = sorted((term, by) for term, by in change.items() if by)
    return matches, terms, norm, counted


@post("/api/v1/problems/{problem_id:uuid}/submit")
async def submit(request: Request[Any, Any, Any], problem_id: uuid.UUID) -> Response[bytes]:
    email = await _email(request)
    if email is None:
        return _problem(401, "Send a valid bearer token.")
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            SUBMIT_LOCK_SQL, email, DTI_OR_LEADERSHIP, problem_id, similar.OPENING
        )
        if row is None or not row["active"]:  # no such caller, or not their problem
            return _problem(404, f"No problem {problem_id}.")
        if row["status"] != "draft":
            return _problem(409, "Only a draft can be submitted.")
        if missing_for_submit(SimpleNamespace(**dict(row.items()))):
            return _problem(422, "The problem is incomplete.")
        matches, terms, norm, counted = await _similar(connection, request.app, row, email)
        now = datetime.now(UTC)
        first_response_due, decision_due = _due_times(row, now)
        number = await connection.fetchval(COUNTER_SQL, now.year)
        reference = f"P-{now.year}-{number:05d}"
        changes = {
            "sla": {
                "first_response_due_at": first_response_due and first_response_due.isoformat(),
                "decision_due_at": decision_due and decision_due.isoformat(),
            },
            "reference": {"from": None, "to": reference},
        }
        done = await connection.fetchrow(
            SUBMIT_SQL,
            problem_id,
            reference,
            now,
            first_response_due,
            decision_due,
            terms,
            norm,
            row["caller_id"],
            msgspec.json.encode(changes).decode(),
            request.app.state.dictionary,
            [term for term, _ in counted],
            [by for _, by in counted],
        )
    body = dict(done.items()) | {
        name: row[name] for name in ("department_code", "department_name", "submitter_name")
    }
    hints = msgspec.Raw(done["framing_hints"].encode())
    return _json(_written(body, hints) | {"similar_problems": matches})


async def _open(app: Litestar) -> None:
    settings: State = app.state
    settings.pool = await asyncpg.create_pool(
        os.environ["INTAKE_FLOOR_DATABASE_URL"],
        min_size=8,
        max_size=int(os.environ.get("INTAKE_FLOOR_POOL", "30")),
        server_settings={"application_name": "intake-floor", "timezone": "UTC", "jit": "off"},
    )
    settings.local_keys = LocalKeys(Path(os.environ["INTAKE_FLOOR_DATA_DIR"]))
    settings.token = None  # the SLA calendar's, as the queue last read it
    settings.vocabulary = await _vocabulary(os.environ["INTAKE_FLOOR_DATABASE_URL"])
    settings.dictionary = words.dictionary_hash()


async def _vocabulary(url: str) -> words.Vocabulary:
    """The search's dictionary, stemmed by the database once per process, as Intake keeps it
    (words.vocabulary reads it through a session: a start-up cost, no request's)."""
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with AsyncSession(engine) as session:
            return await words.vocabulary(session)
    finally:
        await engine.dispose()


async def _close(app: Litestar) -> None:
    await app.state.pool.close()


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[me, problem, problems, history, queue, create, submit],
        on_startup=[_open],
        on_shutdown=[_close],
        openapi_config=None,
        debug=False,
    )
