"""Reassigning the owning triager over HTTP: who may, from which states, and what stays put."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from intake.triage.sla.business_time import Calendar, due_at
from tests.builders import EMAILS, City
from tests.helpers import Client, act, assert_problem_json, events, submitted, waited_a_week

SECOND_TRIAGER = "pm.two@city.example"


@pytest.fixture
async def second_triager(db: asyncpg.Connection, city: City) -> uuid.UUID:
    person_id: uuid.UUID = await db.fetchval(
        "INSERT INTO people (id, email, name, department_id, roles) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING id",
        uuid.uuid4(),
        SECOND_TRIAGER,
        "Priya Two",
        city.departments["DTI"],
        ["triager"],
    )
    return person_id


async def in_triage(client: Client, city: City) -> dict[str, Any]:
    problem = await submitted(client, city)
    assert (await act(client, city, problem, "triage")).status_code == 200
    return problem


async def waiting(client: Client, city: City) -> dict[str, Any]:
    problem = await in_triage(client, city)
    body = {"questions": "Who owns the permit database?"}
    assert (await act(client, city, problem, "request-info", body=body)).status_code == 200
    return problem


async def watcher_ids(client: Client, city: City, problem: dict[str, Any]) -> set[str]:
    response = await client.get(
        f"/api/v1/problems/{problem['id']}/watchers", headers=city.auth("triager")
    )
    assert response.status_code == 200, response.text
    return {person["id"] for person in response.json()}


async def test_a_triager_hands_a_problem_in_triage_to_another(
    client: Client, city: City, second_triager: uuid.UUID
) -> None:
    problem = await in_triage(client, city)
    version = problem["version"]
    body = {
        "triager_email": SECOND_TRIAGER,
        "reason": "Priya Two leads permits now.",
    }
    response = await act(client, city, problem, "reassign", body=body)
    assert response.status_code == 200, response.text
    assert problem["status"] == "triage"
    assert problem["triager"] == {"id": str(second_triager), "name": "Priya Two"}
    assert problem["version"] == version + 1
    assert response.headers["etag"] == f'"{version + 1}"'

    reassigned = (await events(client, city, problem["id"]))[-1]
    assert reassigned["type"] == "reassigned"
    assert reassigned["actor"]["name"] == "Priya One"
    assert reassigned["reason"] == "Priya Two leads permits now."
    # Not a transition: the problem did not enter triage again.
    assert (reassigned["from_status"], reassigned["to_status"]) == (None, None)
    assert reassigned["changes"]["triager_id"] == {
        "from": str(city.people["triager"]),
        "to": str(second_triager),
    }
    assert str(second_triager) in await watcher_ids(client, city, problem)

    # The queue finds it under its new triager.
    mine = await client.get(
        f"/api/v1/triage/queue?triager={second_triager}", headers=city.auth("triager")
    )
    assert [row["id"] for row in mine.json()["items"]] == [problem["id"]]
    assert mine.json()["items"][0]["triager"]["name"] == "Priya Two"


async def test_an_admin_reassigns_a_waiting_problem_and_its_clocks_stay_put(
    client: Client, city: City, db: asyncpg.Connection, second_triager: uuid.UUID
) -> None:
    problem = await waiting(client, city)
    pid = uuid.UUID(problem["id"])
    await waited_a_week(db, pid)
    before = await db.fetchrow(
        "SELECT first_response_at, first_response_due_at, decision_due_at, paused_since "
        "FROM problems WHERE id = $1",
        pid,
    )
    row_before = (await client.get("/api/v1/triage/queue", headers=city.auth("triager"))).json()

    body = {"triager_email": SECOND_TRIAGER}
    response = await act(client, city, problem, "reassign", who="admin", body=body)
    assert response.status_code == 200, response.text
    assert problem["status"] == "needs_info"
    assert problem["triager"]["name"] == "Priya Two"
    after = await db.fetchrow(
        "SELECT first_response_at, first_response_due_at, decision_due_at, paused_since "
        "FROM problems WHERE id = $1",
        pid,
    )
    assert after == before  # still paused since the questions were asked, no due time
    (row,) = (await client.get("/api/v1/triage/queue", headers=city.auth("triager"))).json()[
        "items"
    ]
    assert row["decision"]["paused"] is True
    assert row["decision"]["due_at"] is None
    assert row["decision"] == row_before["items"][0]["decision"]
    assert row["first_response"] == row_before["items"][0]["first_response"]
    history = await events(client, city, problem["id"])
    assert [e["type"] for e in history][-2:] == ["info_requested", "reassigned"]
    assert history[-1]["actor"]["name"] == "Ops Admin"
    assert "sla" not in history[-1]["changes"]

    # When the requester answers, the whole week of waiting is left out of the decision
    # clock: the reassignment did not start the pause again.
    answer = {"answer": "Our IT unit."}
    assert (
        await act(client, city, problem, "respond", who="requester", body=answer)
    ).status_code == 200
    submitted_at, due = await db.fetchrow(
        "SELECT submitted_at, decision_due_at FROM problems WHERE id = $1", pid
    )
    without_pause = due_at(submitted_at, 10, Calendar(tz=ZoneInfo("UTC")))
    assert without_pause is not None
    assert due - without_pause >= timedelta(days=5)


async def test_reassign_from_the_wrong_state_is_409_naming_the_state(
    client: Client, city: City, second_triager: uuid.UUID
) -> None:
    body = {"triager_email": SECOND_TRIAGER}
    fresh = await submitted(client, city)
    refused = assert_problem_json(await act(client, city, fresh, "reassign", body=body), 409)
    assert refused["current_state"] == "submitted"
    assert refused["allowed_actions"] == ["mark-duplicate", "triage", "withdraw"]
    assert "reassign" in refused["detail"]

    accepted = await in_triage(client, city)
    assert (await act(client, city, accepted, "accept")).status_code == 200
    refused = assert_problem_json(await act(client, city, accepted, "reassign", body=body), 409)
    assert refused["current_state"] == "accepted"
    assert "reassign" not in refused["allowed_actions"]

    # In triage and needs_info, reassign is among the allowed actions.
    problem = await waiting(client, city)
    refused = assert_problem_json(await act(client, city, problem, "accept"), 409)
    assert refused["allowed_actions"] == ["mark-duplicate", "reassign", "respond", "withdraw"]


@pytest.mark.parametrize("who", ["requester", "team_member", "leader"])
async def test_only_triagers_and_admins_reassign(
    client: Client, city: City, second_triager: uuid.UUID, who: str
) -> None:
    problem = await in_triage(client, city)
    body = {"triager_email": SECOND_TRIAGER}
    assert_problem_json(await act(client, city, problem, "reassign", who=who, body=body), 403)
    current = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("triager"))
    assert current.json()["triager"]["name"] == "Priya One"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"triager_email": "dev.one@city.example"}, "triager_email"),  # not a triager
        ({"triager_email": "nobody@city.example"}, "triager_email"),  # not a person
        ({"triager_email": "pm.one@city.example"}, "triager_email"),  # already owns it
        ({"triager_email": "gone.pm@city.example"}, "triager_email"),  # inactive triager
        ({}, "triager_email"),
        ({"triager_email": SECOND_TRIAGER, "reason": ""}, "reason"),
    ],
)
async def test_the_new_triager_must_be_another_active_triager(
    client: Client,
    city: City,
    db: asyncpg.Connection,
    second_triager: uuid.UUID,
    body: dict[str, Any],
    field: str,
) -> None:
    await db.execute(
        "INSERT INTO people (id, email, name, department_id, roles, active) "
        "VALUES ($1, 'gone.pm@city.example', 'Gone PM', $2, '{triager}', false)",
        uuid.uuid4(),
        city.departments["DTI"],
    )
    problem = await in_triage(client, city)
    refused = assert_problem_json(await act(client, city, problem, "reassign", body=body), 422)
    assert [error["field"] for error in refused["errors"]] == [field]
    history = await events(client, city, problem["id"])
    assert history[-1]["type"] == "triaged"


async def test_reassign_needs_a_current_if_match(
    client: Client, city: City, second_triager: uuid.UUID
) -> None:
    problem = await in_triage(client, city)
    url = f"/api/v1/problems/{problem['id']}/reassign"
    body = {"triager_email": SECOND_TRIAGER}
    missing = await client.post(url, json=body, headers=city.auth("triager"))
    assert_problem_json(missing, 428)
    stale = await client.post(url, json=body, headers={**city.auth("triager"), "If-Match": '"1"'})
    assert_problem_json(stale, 412)
    current = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("triager"))
    assert current.json()["triager"]["name"] == "Priya One"


async def _inbox_of(client: Client, city: City, email: str) -> list[dict[str, Any]]:
    token = {"Authorization": f"Bearer {city.keys.issue(email)}"}
    response = await client.get("/api/v1/me/notifications", headers=token)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_the_triager_a_problem_is_handed_to_hears_of_it(
    client: Client, city: City, second_triager: uuid.UUID
) -> None:
    # Taken into triage for someone else: she hears she owns it (once, not also as a watcher).
    problem = await submitted(client, city)
    named = {"triager_email": SECOND_TRIAGER}
    assert (await act(client, city, problem, "triage", body=named)).status_code == 200
    [notice] = await _inbox_of(client, city, SECOND_TRIAGER)
    assert notice["kind"] == "assigned"
    assert notice["summary"] == f"Priya One handed {problem['reference']} to you"
    assert notice["event"]["type"] == "triaged"

    # Handed back: Priya One hears it; whoever takes a problem for herself hears nothing.
    back = {"triager_email": EMAILS["triager"]}
    response = await act(client, city, problem, "reassign", who="admin", body=back)
    assert response.status_code == 200, response.text
    newest = (await _inbox_of(client, city, EMAILS["triager"]))[0]
    assert (newest["kind"], newest["event"]["type"]) == ("assigned", "reassigned")
    assert newest["summary"] == f"Ops Admin handed {problem['reference']} to you"

    own = await submitted(client, city)
    assert (await act(client, city, own, "triage")).status_code == 200
    assert all(
        item["event"]["type"] != "triaged" or item["kind"] != "assigned"
        for item in await _inbox_of(client, city, EMAILS["triager"])
    )
