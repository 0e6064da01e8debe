"""From accepted to closed: the phase actions, who may take them, and what they record."""

from __future__ import annotations

import uuid

import asyncpg

from tests.builders import City
from tests.helpers import (
    Client,
    act,
    assert_problem_json,
    events,
    in_phase,
    paired,
    submitted,
)


async def test_accepted_to_closed_by_the_problems_team(client: Client, city: City) -> None:
    problem = await paired(client, city)
    assert (
        await act(client, city, problem, "start-discovery", who="team_member")
    ).status_code == 200
    assert problem["status"] == "discovery"
    response = await act(
        client, city, problem, "start-delivery", who="team_member", body={"phase": "alpha"}
    )
    assert response.status_code == 200, response.text
    assert (problem["status"], problem["delivery_phase"]) == ("delivery", "alpha")
    # alpha moves forward to beta, never back
    assert (
        await act(client, city, problem, "start-delivery", body={"phase": "beta"})
    ).status_code == 200
    assert problem["delivery_phase"] == "beta"
    back = assert_problem_json(
        await act(client, city, problem, "start-delivery", body={"phase": "alpha"}), 409
    )
    assert back["current_state"] == "delivery"
    assert "beta" in back["detail"]
    assert (await act(client, city, problem, "launch", who="team_member")).status_code == 200
    assert problem["status"] == "live"
    assert problem["launched_at"] is not None

    review = {
        "result": "partially_achieved",
        "summary": "Decisions take 9 days, down from 31; the target was 7.",
        "lessons": "Inspectors joined too late.",
    }
    assert_problem_json(await act(client, city, problem, "close", body={"result": "achieved"}), 422)
    blank = {"result": "achieved", "summary": "   ", "lessons": "\n\t "}
    body = assert_problem_json(await act(client, city, problem, "close", body=blank), 422)
    assert {error["field"] for error in body["errors"]} == {"summary", "lessons"}
    assert (await act(client, city, problem, "close", body=review)).status_code == 200
    assert problem["status"] == "closed"
    assert problem["outcome_review"] == review
    assert problem["closed_at"] is not None

    history = await events(client, city, problem["id"], who="requester")
    phases = [(e["type"], e["from_status"], e["to_status"]) for e in history][-5:]
    assert phases == [
        ("discovery_started", "accepted", "discovery"),
        ("delivery_started", "discovery", "delivery"),
        ("delivery_started", "delivery", "delivery"),
        ("launched", "delivery", "live"),
        ("closed", "live", "closed"),
    ]
    assert history[-1]["changes"]["outcome_review"] == review
    assert history[-3]["changes"]["delivery_phase"] == {"from": "alpha", "to": "beta"}
    assert all(e["actor"] for e in history[-5:])


async def test_only_the_problems_triager_and_team_take_phase_actions(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await paired(client, city)
    other_triager = await db.fetchval(
        "INSERT INTO people (id, email, name, department_id, roles) "
        "VALUES ($1, 'pm.two@city.example', 'Pat Two', $2, '{triager,team_member}') RETURNING id",
        uuid.uuid4(),
        city.departments["DTI"],
    )
    assert other_triager
    outsider = {"Authorization": f"Bearer {city.keys.issue('pm.two@city.example')}"}
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/start-discovery",
        headers={**outsider, "If-Match": problem["etag"]},
    )
    body = assert_problem_json(response, 403)
    assert "triager" in body["detail"]
    for who in ("requester", "leader", "admin"):
        assert_problem_json(await act(client, city, problem, "start-discovery", who=who), 403)
    # The problem's own triager may, as may its team's members.
    assert (await act(client, city, problem, "start-discovery")).status_code == 200


async def test_wrong_state_is_409_with_allowed_actions(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "discovery")
    body = assert_problem_json(await act(client, city, problem, "launch"), 409)
    assert body["current_state"] == "discovery"
    assert "start-delivery" in body["allowed_actions"]
    assert_problem_json(
        await act(
            client,
            city,
            problem,
            "close",
            body={"result": "achieved", "summary": "s", "lessons": "l"},
        ),
        409,
    )


async def test_discovery_needs_a_team(client: Client, city: City) -> None:
    lonely = await submitted(client, city, title="No team for this one yet")
    for action in ("triage", "accept"):
        assert (await act(client, city, lonely, action)).status_code == 200
    body = assert_problem_json(await act(client, city, lonely, "start-discovery"), 409)
    assert "team" in body["detail"]
    assert lonely["status"] == "accepted"


async def test_hold_and_resume_keep_the_delivery_phase(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    assert (
        await act(client, city, problem, "hold", body={"reason": "Vendor outage"})
    ).status_code == 200
    body = assert_problem_json(await act(client, city, problem, "withdraw", who="requester"), 409)
    assert "withdraw" not in body["allowed_actions"]  # held during delivery: too late to withdraw
    assert (await act(client, city, problem, "resume")).status_code == 200
    assert (problem["status"], problem["delivery_phase"]) == ("delivery", "alpha")
