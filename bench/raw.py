"""The same SQL the app runs for the queue and similar problems, through a bare asyncpg pool.

Written out by hand from ``intake/lib/auth.py`` (``load_caller``),
``intake/triage/service.py`` (``triage_queue``), ``intake/triage/clocks.py`` and
``intake/triage/similar.py``, for a DTI triager, whose visibility predicate reduces to
``department_id = <DTI> OR reference IS NOT NULL``. Each request takes one connection from
the pool, as the app's request takes one session, and runs every statement the app runs,
in the same order, without the ORM, the framework or a transaction around them. The
benchmark checks that both return the same rows before it measures anything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from intake.db.models import Problem
from intake.triage.similar import (
    _QUERY_SQL,
    MAX_CANDIDATES,
    MAX_FREQUENCY,
    MAX_TERMS,
    STATEMENT_TERMS,
)

# Every mapped column the ORM loads (search_vector is deferred, so not that one), id first.
PROBLEM = ", ".join(
    f"p.{column.name}"
    for column in sorted(Problem.__table__.columns, key=lambda column: column.name != "id")
    if column.computed is None
)
DEPARTMENT = "d.id, d.created_at, d.updated_at, d.code, d.name"
QUEUE_STATES = ("submitted", "triage", "needs_info")
SIMILAR_LIMIT = 10

# The f-strings below only splice in the column lists above (constants from the models);
# every value goes in as a bind parameter.
CALLER_SQL = f"""
SELECT p.id, p.created_at, p.updated_at, p.email, p.name, p.department_id, p.roles, p.active,
       {DEPARTMENT}
FROM people p JOIN departments d ON d.id = p.department_id
WHERE lower(p.email) = $1
"""  # noqa: S608

# registry.get_person: session.get() finds no Person left in the identity map (load_caller
# keeps only a Caller), so /me loads the person again, department joined.
PERSON_SQL = f"""
SELECT p.id, p.created_at, p.updated_at, p.email, p.name, p.department_id, p.roles, p.active,
       {DEPARTMENT}
FROM people p JOIN departments d ON d.id = p.department_id
WHERE p.id = $1
"""  # noqa: S608

_QUEUE = f"""
SELECT {PROBLEM}, {DEPARTMENT}, t.name
FROM problems p
JOIN departments d ON d.id = p.department_id
LEFT OUTER JOIN people t ON t.id = p.triager_id
WHERE p.status IN ($1, $2, $3) AND (p.department_id = $4 OR p.reference IS NOT NULL) {{filter}}
ORDER BY p.decision_due_at ASC NULLS LAST, p.score DESC NULLS LAST, p.id ASC
LIMIT $5
"""  # noqa: S608
QUEUE_SQL = _QUEUE.format(filter="")
QUEUE_BY_DEPARTMENT_SQL = _QUEUE.format(filter="AND d.code = $6")

SLA_POLICY_SQL = "SELECT key, value, updated_by_id, updated_at FROM settings WHERE key = $1"
HOLIDAYS_SQL = "SELECT day, name FROM holidays ORDER BY day"
PAUSES_SQL = """
SELECT problem_id, occurred_at, from_status, to_status
FROM problem_events
WHERE problem_id = ANY($1::uuid[]) AND (to_status = $2 OR from_status = $2)
ORDER BY problem_id, id
"""

VISIBLE_PROBLEM_SQL = f"""
SELECT {PROBLEM} FROM problems p
WHERE p.id = $1 AND (p.department_id = $2 OR p.reference IS NOT NULL)
"""  # noqa: S608
# The app's statement text, with its named parameters numbered for asyncpg.
SIMILAR_TERMS_SQL = (
    str(_QUERY_SQL)
    .replace(":title", "$1")
    .replace(":statement_terms", "$3")
    .replace(":statement", "$2")
    .replace(":max_frequency", "$4")
    .replace(":max_terms", "$5")
)
SIMILAR_SQL = f"""
SELECT {PROBLEM}, {DEPARTMENT},
       ts_rank_cd(p.search_vector, to_tsquery('english'::regconfig, $1), 32) AS similarity
FROM problems p
JOIN (
    SELECT c.id FROM problems c
    WHERE c.id != $2 AND c.reference IS NOT NULL
      AND c.search_vector @@ to_tsquery('english'::regconfig, $1)
      AND (c.department_id = $3 OR c.reference IS NOT NULL)
    ORDER BY c.submitted_at DESC NULLS LAST
    LIMIT $5
) AS candidates ON candidates.id = p.id
JOIN departments d ON d.id = p.department_id
ORDER BY similarity DESC, p.id
LIMIT $4
"""  # noqa: S608


@dataclass
class RawIntake:
    """The queue and similar-problem reads of one caller, straight through asyncpg."""

    pool: asyncpg.Pool
    email: str

    async def queue(self, department: str | None = None, limit: int = 25) -> list[uuid.UUID]:
        async with self.pool.acquire() as connection:
            caller = await connection.fetchrow(CALLER_SQL, self.email.lower())
            arguments = [*QUEUE_STATES, caller["department_id"], limit + 1]
            if department is None:
                rows = await connection.fetch(QUEUE_SQL, *arguments)
            else:
                rows = await connection.fetch(
                    QUEUE_BY_DEPARTMENT_SQL, *arguments, department.upper()
                )
            page = [row[0] for row in rows[:limit]]
            await connection.fetchrow(SLA_POLICY_SQL, "sla")
            await connection.fetch(HOLIDAYS_SQL)
            if page:
                await connection.fetch(PAUSES_SQL, page, "needs_info")
        return page

    async def similar(self, problem_id: uuid.UUID) -> list[uuid.UUID]:
        async with self.pool.acquire() as connection:
            caller = await connection.fetchrow(CALLER_SQL, self.email.lower())
            department_id = caller["department_id"]
            problem = await connection.fetchrow(VISIBLE_PROBLEM_SQL, problem_id, department_id)
            query = await connection.fetchval(
                SIMILAR_TERMS_SQL,
                problem["title"],
                (problem["problem_statement"] or "")[:2000],
                STATEMENT_TERMS,
                MAX_FREQUENCY,
                MAX_TERMS,
            )
            if not query:
                return []
            rows = await connection.fetch(
                SIMILAR_SQL, query, problem_id, department_id, SIMILAR_LIMIT, MAX_CANDIDATES
            )
        return [row[0] for row in rows]

    async def me(self) -> None:
        async with self.pool.acquire() as connection:
            caller = await connection.fetchrow(CALLER_SQL, self.email.lower())
            await connection.fetchrow(PERSON_SQL, caller["id"])
