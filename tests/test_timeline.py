"""The portfolio timeline is a projection of history: what each problem was, and when."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import asyncpg

from intake.portfolio.timeline import REBUILD_SQL
from tests.conftest import City
from tests.helpers import Client, act, in_phase, submitted

COLUMNS = (
    "event_id, problem_id, valid_from, valid_to, status, triager_id, team_id, score, "
    "delivery_phase, outcome_result, submitted_at, first_response_at, decided_at, "
    "launched_at, closed_at, first_response_due_at, decision_due_at"
)


async def _timeline(db: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await db.fetch(f"SELECT {COLUMNS} FROM problem_timeline ORDER BY event_id")
    return [dict(row) for row in rows]


async def _rebuilt(db: asyncpg.Connection) -> list[dict[str, Any]]:
    """The timeline computed from scratch from the whole history, as the CLI does."""
    sql = REBUILD_SQL.replace(
        "(CAST(:everything AS boolean) OR e.problem_id = ANY(CAST(:problem_ids AS uuid[])))",
        "true",
    )
    async with db.transaction():
        await db.execute("DELETE FROM problem_timeline")
        await db.execute(sql)
    return await _timeline(db)


async def test_each_change_is_a_row_valid_until_the_next(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "live")
    review = {"result": "achieved", "summary": "Done.", "lessons": "Start earlier."}
    assert (await act(client, city, problem, "close", body=review)).status_code == 200

    rows = [r for r in await _timeline(db) if r["problem_id"] == uuid.UUID(problem["id"])]
    statuses = [r["status"] for r in rows]
    assert statuses[0] == "draft" and statuses[-1] == "closed"
    for state in ("submitted", "triage", "accepted", "discovery", "delivery", "live"):
        assert state in statuses
    # Each row ends where the next begins; only the last is open.
    for row, following in itertools.pairwise(rows):
        assert row["valid_to"] == following["valid_from"]
    assert rows[-1]["valid_to"] is None
    last = rows[-1]
    assert last["team_id"] == uuid.UUID(problem["team"]["id"])
    assert last["triager_id"] == city.people["triager"]
    assert last["delivery_phase"] == "alpha"
    assert last["outcome_result"] == "achieved"
    assert last["submitted_at"] <= last["first_response_at"] <= last["decided_at"]
    assert last["decided_at"] <= last["launched_at"] <= last["closed_at"]
    assert last["first_response_due_at"] is not None and last["decision_due_at"] is not None
    # Before it was closed, the outcome was not known.
    assert all(r["outcome_result"] is None for r in rows[:-1])


async def test_incremental_timeline_equals_a_rebuild_from_history(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    one = await in_phase(client, city, "delivery")
    two = await submitted(client, city, title="Second problem for the timeline")
    await act(client, city, two, "triage")
    await act(client, city, two, "request-info", body={"questions": "How many?"})
    await act(client, city, two, "respond", who="requester", body={"answer": "Many."})
    score = {
        "ratings": {
            "reach": 3,
            "severity": 3,
            "urgency": 3,
            "equity": 3,
            "alignment": 3,
            "confidence": 3,
            "effort": "m",
        }
    }
    response = await client.put(
        f"/api/v1/problems/{two['id']}/score",
        json=score,
        headers={**city.auth("triager"), "If-Match": two["etag"]},
    )
    assert response.status_code == 200, response.text
    assert one["status"] == "delivery"
    incremental = await _timeline(db)
    assert incremental == await _rebuilt(db)
    scored = [r for r in incremental if r["problem_id"] == uuid.UUID(two["id"])][-1]
    assert scored["score"] == response.json()["current"]["score"]
    assert scored["status"] == "triage"
