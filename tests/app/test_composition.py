"""The core's subscribers follow every change, whichever way a service is called.

Services called straight on a session (as the CLI, the demo seed and the sweeps do) must
still fill the inbox, move the SLA clocks, the portfolio's timeline and the similar
problems; a session that would skip them cannot change a problem at all.
"""

from __future__ import annotations

import uuid

import asyncpg
import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.config import Settings
from intake.db import session as db_session
from intake.problems import schemas
from intake.problems import service as problems
from intake.web.auth import load_caller
from tests.builders import COMPLETE_PROBLEM, EMAILS, City


async def submit_and_triage(sessions: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    """A requester submits a complete problem and a triager takes it, all through services."""
    async with sessions() as session, session.begin():
        requester = await load_caller(session, EMAILS["requester"])
        data = msgspec.convert(COMPLETE_PROBLEM, schemas.ProblemCreate)
        problem = await problems.create_problem(session, requester, data)
        problem = await problems.submit(session, requester, problem.id, f'"{problem.version}"')
    async with sessions() as session, session.begin():
        triager = await load_caller(session, EMAILS["triager"])
        await problems.apply_action(session, triager, problem.id, "triage", '"2"')
    return problem.id


async def test_a_change_made_through_services_reaches_every_subscriber(
    city: City, db: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    problem_id = await submit_and_triage(sessions)

    # The SLA clocks started at submit, and the event says when the first response is due.
    row = await db.fetchrow(
        "SELECT first_response_due_at, similar_computed_at FROM problems WHERE id = $1",
        problem_id,
    )
    assert row["first_response_due_at"] is not None
    submitted = await db.fetchval(
        "SELECT changes FROM problem_events WHERE problem_id = $1 AND type = 'submitted'",
        problem_id,
    )
    assert "sla" in msgspec.json.decode(submitted)
    # Its matches were computed when it was submitted.
    assert row["similar_computed_at"] is not None
    # The portfolio's timeline follows it into triage.
    statuses = await db.fetch(
        "SELECT status FROM problem_timeline WHERE problem_id = $1 ORDER BY valid_from",
        problem_id,
    )
    assert [r["status"] for r in statuses][-1] == "triage"
    # The requester, who watches it, hears that it moved.
    kinds = await db.fetch(
        "SELECT kind FROM notifications WHERE person_id = $1", city.people["requester"]
    )
    assert [r["kind"] for r in kinds] == ["state_change"]


async def test_a_session_without_the_subscribers_cannot_change_a_problem(
    city: City, db: asyncpg.Connection, database_url: str, settings: Settings
) -> None:
    engine = db_session.create_engine(database_url, settings)
    try:
        bare = db_session.create_sessionmaker(engine)
        async with bare() as session:
            requester = await load_caller(session, EMAILS["requester"])
            data = msgspec.convert(COMPLETE_PROBLEM, schemas.ProblemCreate)
            with pytest.raises(RuntimeError, match="no subscribers"):
                await problems.create_problem(session, requester, data)
    finally:
        await engine.dispose()
    assert await db.fetchval("SELECT count(*) FROM problem_events") == 0
