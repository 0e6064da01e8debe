"""The same SQL the app runs for the queue and similar problems, through a bare asyncpg pool.

Written out by hand from ``intake/web/auth.py`` (``load_caller``),
``intake/triage/service.py`` (``triage_queue``), ``intake/triage/sla/clocks.py`` (``pauses_for``)
and ``intake/triage/similar.py`` (``similar_to``: the stored matches, which the benchmark
backfills before measuring), for a DTI triager, whose visibility predicate reduces to
``department_id = <DTI> OR reference IS NOT NULL``. Each request takes one connection from
the pool, as the app's request takes one session, and sends exactly the statements the
app's request sends, in the same order, inside the same BEGIN ... COMMIT, without the ORM
or the framework. What the app keeps between requests is not read per request here
either: the SLA calendar (kept 10 s by the app; the raw side has no clocks to compute).
The benchmark checks that both send the same number of statements and return the same rows
before it measures anything.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from intake.triage.similar import LIMIT

QUEUE_STATES = ("submitted", "triage", "needs_info")

CALLER_SQL = """
SELECT p.id, p.email, p.name, p.department_id, p.roles, p.active, d.code
FROM people p JOIN departments d ON d.id = p.department_id
WHERE lower(p.email) = $1
"""

# registry.get_person: /me loads the person again as an entity, department joined.
PERSON_SQL = """
SELECT p.email, p.name, p.department_id, p.roles, p.active, p.id, p.created_at, p.updated_at,
       d.code, d.name, d.id, d.created_at, d.updated_at
FROM people p JOIN departments d ON d.id = p.department_id
WHERE p.id = $1
"""

_QUEUE = """
SELECT p.id, p.reference, p.title, p.status, p.score, p.submitted_at, p.first_response_at,
       p.first_response_due_at, p.decided_at, p.decision_due_at, p.triager_id,
       t.name AS triager_name, d.id AS department_id, d.code AS department_code,
       d.name AS department_name
FROM problems p
JOIN departments d ON d.id = p.department_id
LEFT OUTER JOIN people t ON t.id = p.triager_id
WHERE p.status IN ($3, $4, $5) AND (p.department_id = $1 OR p.reference IS NOT NULL) {filter}
ORDER BY p.decision_due_at ASC NULLS LAST, p.score DESC NULLS LAST, p.id
LIMIT $2
"""
QUEUE_SQL = _QUEUE.format(filter="")
QUEUE_BY_DEPARTMENT_SQL = _QUEUE.format(filter="AND d.code = $6")

# clocks.pauses_for, for the page's paused and overdue problems only.
PAUSES_SQL = """
SELECT problem_id, occurred_at, from_status, to_status
FROM problem_events
WHERE problem_id = ANY($1::uuid[]) AND (to_status = $2 OR from_status = $2)
ORDER BY problem_id, id
"""

# The visible problem's department, and whether its similar problems are stored.
SIMILAR_PROBLEM_SQL = """
SELECT p.department_id, p.similar_computed_at
FROM problems p
WHERE p.id = $1 AND (p.department_id = $2 OR p.reference IS NOT NULL)
"""
# Its best stored matches the caller may see.
SIMILAR_SQL = """
SELECT p.id, p.reference, p.title, p.status, d.id AS department_id,
       d.code AS department_code, d.name AS department_name, s.score AS similarity
FROM problem_similarities s
JOIN problems p ON p.id = s.similar_id
JOIN departments d ON d.id = p.department_id
WHERE s.problem_id = $1 AND p.reference IS NOT NULL
  AND (p.department_id = $2 OR p.reference IS NOT NULL)
ORDER BY s.score DESC, s.similar_id
LIMIT $3
"""


@dataclass
class RawIntake:
    """The queue and similar-problem reads of one caller, straight through asyncpg.

    Set ``log`` to a list to record the statements sent (BEGIN and COMMIT included).
    """

    pool: asyncpg.Pool
    email: str
    log: list[str] | None = None

    async def queue(self, department: str | None = None, limit: int = 25) -> list[uuid.UUID]:
        async with self.pool.acquire() as connection, self._transaction(connection):
            caller = await self._fetchrow(connection, CALLER_SQL, self.email.lower())
            arguments = [caller["department_id"], limit + 1, *QUEUE_STATES]
            if department is None:
                rows = await self._fetch(connection, QUEUE_SQL, *arguments)
            else:
                rows = await self._fetch(
                    connection, QUEUE_BY_DEPARTMENT_SQL, *arguments, department.upper()
                )
            page = rows[:limit]
            now = datetime.now(UTC)
            with_history = [
                row["id"]
                for row in page
                if row["decision_due_at"] is None
                or now >= row["decision_due_at"]
                or row["decided_at"] is not None
            ]
            if with_history:
                await self._fetch(connection, PAUSES_SQL, with_history, "needs_info")
        return [row["id"] for row in page]

    async def similar(self, problem_id: uuid.UUID) -> list[uuid.UUID]:
        async with self.pool.acquire() as connection, self._transaction(connection):
            caller = await self._fetchrow(connection, CALLER_SQL, self.email.lower())
            department_id = caller["department_id"]
            problem = await self._fetchrow(
                connection, SIMILAR_PROBLEM_SQL, problem_id, department_id
            )
            if problem["similar_computed_at"] is None:
                # The app would search and store them first; the benchmark backfills them all.
                raise RuntimeError(f"{problem_id} has no similar problems stored yet")
            rows = await self._fetch(connection, SIMILAR_SQL, problem_id, department_id, LIMIT)
        return [row[0] for row in rows]

    async def me(self) -> None:
        async with self.pool.acquire() as connection, self._transaction(connection):
            caller = await self._fetchrow(connection, CALLER_SQL, self.email.lower())
            await self._fetchrow(connection, PERSON_SQL, caller["id"])

    # -- sending, and recording what is sent ---------------------------------------------

    def _note(self, sql: str) -> None:
        if self.log is not None:
            self.log.append(" ".join(sql.split())[:110])

    @contextlib.asynccontextmanager
    async def _transaction(self, connection: asyncpg.Connection) -> AsyncIterator[None]:
        self._note("BEGIN")
        async with connection.transaction():
            yield
        self._note("COMMIT")

    async def _fetch(self, connection: asyncpg.Connection, sql: str, *args: Any) -> Any:
        self._note(sql)
        return await connection.fetch(sql, *args)

    async def _fetchrow(self, connection: asyncpg.Connection, sql: str, *args: Any) -> Any:
        self._note(sql)
        return await connection.fetchrow(sql, *args)
