"""The portfolio timeline is a projection of history: what each problem was, and when."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import asyncpg

from intake.portfolio.timeline import REBUILD_SQL
from tests.builders import City
from tests.helpers import Client, act, in_phase, submitted

COLUMNS = (
    "event_id, problem_id, department_id, valid_from, valid_to, status, triager_id, team_id, "
    "score, delivery_phase, outcome_result, submitted_at, first_response_at, decided_at, "
    "launched_at, closed_at, first_response_due_at, decision_due_at, state_entered_at, "
    "last_of_stay, previous_stay_ended_at, next_stay_began_at"
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


async def test_rows_know_their_stay_and_the_problems_other_stays_in_that_state(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city, title="A problem that waits for answers twice")
    await act(client, city, problem, "triage")
    # Scored in triage: a new row, the same stay.
    ratings = dict.fromkeys(("reach", "severity", "urgency", "equity", "alignment"), 3)
    response = await client.put(
        f"/api/v1/problems/{problem['id']}/score",
        json={"ratings": {**ratings, "confidence": 3, "effort": "m"}},
        headers={**city.auth("triager"), "If-Match": problem["etag"]},
    )
    assert response.status_code == 200, response.text
    problem["etag"] = response.headers["etag"]
    for answer in ("Forty.", "Weekly."):
        await act(client, city, problem, "request-info", body={"questions": "How many?"})
        await act(client, city, problem, "respond", who="requester", body={"answer": answer})

    rows = [r for r in await _timeline(db) if r["problem_id"] == uuid.UUID(problem["id"])]
    department = await db.fetchval(
        "SELECT department_id FROM problems WHERE id = $1", uuid.UUID(problem["id"])
    )
    assert {r["department_id"] for r in rows} == {department}
    statuses = [r["status"] for r in rows]
    assert statuses == [
        "draft",
        "submitted",
        "triage",
        "triage",
        "needs_info",
        "triage",
        "needs_info",
        "triage",
    ], statuses
    # A stay is a run of rows with one status: each row knows when its stay began, and the
    # last row of each stay (the current row too) is marked.
    stays: list[list[dict[str, Any]]] = []
    for row in rows:
        if stays and stays[-1][-1]["status"] == row["status"]:
            stays[-1].append(row)
        else:
            stays.append([row])
    for stay in stays:
        assert all(r["state_entered_at"] == stay[0]["valid_from"] for r in stay)
        assert [r["last_of_stay"] for r in stay] == [False] * (len(stay) - 1) + [True]
        assert all(
            r["previous_stay_ended_at"] is None and r["next_stay_began_at"] is None
            for r in stay[:-1]
        )
    # The three triage stays are linked: each to when the one before ended and when the
    # next began.
    triage = [stay[-1] for stay in stays if stay[0]["status"] == "triage"]
    starts = [stay[0]["valid_from"] for stay in stays if stay[0]["status"] == "triage"]
    assert len(triage) == 3
    assert [r["previous_stay_ended_at"] for r in triage] == [
        None,
        triage[0]["valid_to"],
        triage[1]["valid_to"],
    ]
    assert [r["next_stay_began_at"] for r in triage] == [starts[1], starts[2], None]
    assert triage[-1]["valid_to"] is None
    # A state entered once has no other stays to link.
    (submitted_stay,) = [stay for stay in stays if stay[0]["status"] == "submitted"]
    assert submitted_stay[-1]["previous_stay_ended_at"] is None
    assert submitted_stay[-1]["next_stay_began_at"] is None
    assert await _timeline(db) == await _rebuilt(db)
