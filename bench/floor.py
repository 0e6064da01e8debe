"""The raw floor: the hot endpoints' work with nothing but Litestar, asyncpg and msgspec.

Each handler checks the bearer token as Intake does (the same ``LocalKeys`` verifier and
its cache of verified tokens), looks up the caller, and reads what the response shows in
one statement: the caller and the visible record together, names and latest update
joined. Rows become plain dicts encoded by msgspec; no ORM, no identity map, no
BEGIN/COMMIT around a read. The writes are the statements a draft and a submit need, in
one transaction. This is what Intake's request path is measured against (bench/http.py);
it serves the same paths and answers with the same fields, so one load generator drives
both.

    INTAKE_FLOOR_DATABASE_URL=... INTAKE_FLOOR_DATA_DIR=... uvicorn bench.floor:app
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State

from intake.lib.errors import NotAuthenticated
from intake.triage.reads import QueueFilters, queue_sql
from intake.web.auth import LocalKeys
from intake.web.reads import DTI_ROLE_LIST, PRIVILEGED_ROLES

DTI_OR_LEADERSHIP = ["triager", "team_member", "admin", "leadership"]
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

CREATE_SQL = f"""
WITH {CALLER},
made AS (
    INSERT INTO problems (id, status, version, department_id, submitter_id, title,
                          problem_statement, desired_outcome, affected_groups,
                          affected_people_per_year, current_process, success_measures,
                          data_sensitivity, impact_staff_hours_per_year, communities_affected,
                          systems_involved, restricted)
    SELECT $3, 'draft', 1, c.department_id, c.id, $4, $5, $6, $7, $8, $9, $10, $11, $12,
           '{{}}', '[]', false
    FROM caller c WHERE c.active AND 'requester' = ANY(c.roles)
    RETURNING *
),
event AS (
    INSERT INTO problem_events (problem_id, actor_id, type, to_status, changes)
    SELECT m.id, m.submitter_id, 'created', 'draft', '{{}}'::jsonb FROM made m
)
SELECT m.id, m.status, m.version, m.title, m.created_at, m.department_id,
       c.department_code, c.department_name, c.id AS submitter_id, c.name AS submitter_name
FROM made m, caller c
"""

SUBMIT_LOCK_SQL = f"""
WITH {CALLER}
SELECT c.id AS caller_id, c.active, pr.id, pr.status, pr.version, pr.title
FROM caller c
JOIN problems pr ON pr.id = $3 AND pr.department_id = c.department_id
FOR UPDATE OF pr
"""
COUNTER_SQL = """
INSERT INTO reference_counters (year, last_number) VALUES ($1, 1)
ON CONFLICT (year) DO UPDATE SET last_number = reference_counters.last_number + 1
RETURNING last_number
"""
SUBMIT_SQL = """
WITH done AS (
    UPDATE problems SET status = 'submitted', reference = $2, version = version + 1,
           submitted_at = now(), updated_at = now()
    WHERE id = $1 RETURNING id, reference, status, version, submitted_at
),
event AS (
    INSERT INTO problem_events (problem_id, actor_id, type, from_status, to_status, changes)
    SELECT id, $3, 'submitted', 'draft', 'submitted', '{}'::jsonb FROM done
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


@post("/api/v1/problems")
async def create(request: Request[Any, Any, Any]) -> Response[bytes]:
    email = await _email(request)
    if email is None:
        return _problem(401, "Send a valid bearer token.")
    try:
        data = msgspec.json.decode(await request.body(), type=DraftIn)
    except msgspec.DecodeError as error:
        return _problem(422, str(error))
    pool: asyncpg.Pool = request.app.state.pool
    row = await pool.fetchrow(
        CREATE_SQL,
        email,
        DTI_OR_LEADERSHIP,
        uuid.uuid4(),
        data.title.strip(),
        data.problem_statement,
        data.desired_outcome,
        data.affected_groups,
        data.affected_people_per_year,
        data.current_process,
        data.success_measures,
        data.data_sensitivity,
        data.impact_staff_hours_per_year,
    )
    if row is None:
        return _problem(403, "Requesters only.")
    body = {
        "id": row["id"],
        "status": row["status"],
        "version": row["version"],
        "title": row["title"],
        "created_at": row["created_at"],
        "department": {
            "id": row["department_id"],
            "code": row["department_code"],
            "name": row["department_name"],
        },
        "submitter": {"id": row["submitter_id"], "name": row["submitter_name"]},
    }
    return _json(body, 201)


@post("/api/v1/problems/{problem_id:uuid}/submit")
async def submit(request: Request[Any, Any, Any], problem_id: uuid.UUID) -> Response[bytes]:
    email = await _email(request)
    if email is None:
        return _problem(401, "Send a valid bearer token.")
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(SUBMIT_LOCK_SQL, email, DTI_OR_LEADERSHIP, problem_id)
        if row is None or not row["active"]:  # no such caller, or not their problem
            return _problem(404, f"No problem {problem_id}.")
        if row["status"] != "draft":
            return _problem(409, "Only a draft can be submitted.")
        now = datetime.now(UTC)
        number = await connection.fetchval(COUNTER_SQL, now.year)
        done = await connection.fetchrow(
            SUBMIT_SQL, problem_id, f"P-{now.year}-{number:05d}", row["caller_id"]
        )
    return _json(dict(done.items()))


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
