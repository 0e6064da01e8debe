"""Triage actions over HTTP: who may do what from which state, and what history records."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.builders import City
from tests.helpers import Client, act, assert_problem_json, events, submitted


async def test_submitted_to_accepted_through_needs_info(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    assert (await act(client, city, problem, "triage")).status_code == 200
    assert problem["status"] == "triage"
    assert problem["triager"]["name"] == "Priya One"
    assert (
        await act(client, city, problem, "request-info", body={"questions": "How many per year?"})
    ).status_code == 200
    assert problem["status"] == "needs_info"
    answered = await act(
        client, city, problem, "respond", who="requester", body={"answer": "2,400."}
    )
    assert answered.status_code == 200
    assert problem["status"] == "triage"
    assert (
        await act(client, city, problem, "accept", body={"reason": "Clear need"})
    ).status_code == 200
    assert problem["status"] == "accepted"

    history = await events(client, city, problem["id"])
    assert [(e["type"], e["from_status"], e["to_status"]) for e in history] == [
        ("created", None, "draft"),
        ("submitted", "draft", "submitted"),
        ("triaged", "submitted", "triage"),
        ("info_requested", "triage", "needs_info"),
        ("info_provided", "needs_info", "triage"),
        ("accepted", "triage", "accepted"),
    ]
    assert history[3]["reason"] == "How many per year?"
    assert history[4]["reason"] == "2,400."
    assert history[4]["actor"]["name"] == "Rosa Diaz"
    assert history[5]["actor"]["name"] == "Priya One"
    assert history[2]["changes"]["triager_id"]["to"] == str(city.people["triager"])


async def test_triage_can_name_another_triager(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    other = await db.fetchval(
        "INSERT INTO people (id, email, name, department_id, roles) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING id",
        uuid.uuid4(),
        "pm.two@city.example",
        "Priya Two",
        city.departments["DTI"],
        ["triager"],
    )
    problem = await submitted(client, city)
    response = await act(
        client, city, problem, "triage", body={"triager_email": "pm.two@city.example"}
    )
    assert response.status_code == 200
    assert (
        await db.fetchval("SELECT triager_id FROM problems WHERE id = $1", uuid.UUID(problem["id"]))
        == other
    )
    not_a_triager = await submitted(client, city)
    response = await act(
        client, city, not_a_triager, "triage", body={"triager_email": "dev.one@city.example"}
    )
    assert_problem_json(response, 422)


@pytest.mark.parametrize(
    ("action", "who", "body"),
    [
        ("triage", "requester", None),
        ("triage", "leader", None),
        ("triage", "team_member", None),
        ("decline", "requester", {"reason": "no"}),
        ("mark-duplicate", "admin", {"primary_problem_id": str(uuid.uuid4()), "reason": "x"}),
    ],
)
async def test_wrong_role_is_403(
    client: Client, city: City, action: str, who: str, body: Any
) -> None:
    problem = await submitted(client, city)
    assert_problem_json(await act(client, city, problem, action, who=who, body=body), 403)


async def test_only_the_owning_department_responds(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    await act(client, city, problem, "triage")
    await act(client, city, problem, "request-info", body={"questions": "Which wards?"})
    assert_problem_json(
        await act(client, city, problem, "respond", who="health", body={"answer": "x"}), 403
    )
    assert_problem_json(
        await act(client, city, problem, "respond", who="triager", body={"answer": "x"}), 403
    )
    assert (
        await act(client, city, problem, "respond", who="requester2", body={"answer": "3 and 7"})
    ).status_code == 200


async def test_wrong_state_names_the_state_and_allowed_actions(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    response = await act(client, city, problem, "accept")
    body = assert_problem_json(response, 409)
    assert body["current_state"] == "submitted"
    assert body["allowed_actions"] == ["mark-duplicate", "triage", "withdraw"]
    assert "accept" in body["detail"]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("decline", None),
        ("decline", {"reason": "   "}),
        ("decline", {}),
        ("redirect", {"reason": "Elsewhere"}),
        ("redirect", {"reason": "Elsewhere", "department": "NOPE"}),
        ("request-info", {"questions": ""}),
        ("mark-duplicate", {"reason": "Same"}),
    ],
)
async def test_terminal_decisions_need_their_reason(
    client: Client, city: City, action: str, body: Any
) -> None:
    problem = await submitted(client, city)
    await act(client, city, problem, "triage")
    response = await act(client, city, problem, action, body=body)
    assert response.status_code in (400, 422), response.text
    assert_problem_json(response, response.status_code)
    current = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("triager"))
    assert current.json()["status"] == "triage"


async def test_decline_and_redirect_record_reason_and_destination(
    client: Client, city: City
) -> None:
    declined = await submitted(client, city)
    await act(client, city, declined, "triage")
    assert (
        await act(client, city, declined, "decline", body={"reason": "State program covers it"})
    ).status_code == 200
    history = await events(client, city, declined["id"], who="requester")
    assert history[-1]["reason"] == "State program covers it"
    assert_problem_json(await act(client, city, declined, "triage"), 409)

    redirected = await submitted(client, city)
    await act(client, city, redirected, "triage")
    response = await act(
        client,
        city,
        redirected,
        "redirect",
        body={"reason": "Parks owns trees", "department": "PRK", "channel": "Parks service desk"},
    )
    assert response.status_code == 200
    assert redirected["redirected_to"]["code"] == "PRK"
    assert redirected["redirect_channel"] == "Parks service desk"
    history = await events(client, city, redirected["id"])
    assert history[-1]["changes"]["redirected_to"] == {
        "department": "PRK",
        "channel": "Parks service desk",
    }


async def test_mark_duplicate_moves_followers_and_writes_both_histories(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    primary = await submitted(client, city, "health", title="Clinic appointments only by phone")
    duplicate = await submitted(client, city, title="Clinic bookings need a phone call")
    await db.execute(
        "INSERT INTO problem_collaborators (id, problem_id, department_id) VALUES ($1, $2, $3)",
        uuid.uuid4(),
        uuid.UUID(duplicate["id"]),
        city.departments["PRK"],
    )
    response = await act(
        client,
        city,
        duplicate,
        "mark-duplicate",
        body={"primary_problem_id": primary["id"], "reason": "Same booking problem"},
    )
    assert response.status_code == 200
    assert duplicate["status"] == "duplicate"
    watchers = {
        r["person_id"]
        for r in await db.fetch(
            "SELECT person_id FROM problem_watchers WHERE problem_id = $1", uuid.UUID(primary["id"])
        )
    }
    assert city.people["requester"] in watchers  # the duplicate's submitter now follows the primary
    assert city.people["health"] in watchers
    assert (
        await db.fetchval(
            "SELECT count(*) FROM problem_collaborators "
            "WHERE problem_id = $1 AND department_id = $2",
            uuid.UUID(primary["id"]),
            city.departments["PRK"],
        )
        == 1
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM problem_watchers WHERE problem_id = $1",
            uuid.UUID(duplicate["id"]),
        )
        == 0
    )
    primary_history = await events(client, city, primary["id"])
    assert primary_history[-1]["type"] == "duplicate_linked"
    assert primary_history[-1]["changes"]["duplicate"]["reference"] == duplicate["reference"]
    dup_history = await events(client, city, duplicate["id"])
    assert dup_history[-1]["changes"]["primary"]["id"] == primary["id"]


async def test_mark_duplicate_rejects_itself_and_unusable_primaries(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city)
    itself = await act(
        client,
        city,
        problem,
        "mark-duplicate",
        body={"primary_problem_id": problem["id"], "reason": "x"},
    )
    assert_problem_json(itself, 422)
    hidden = await act(
        client,
        city,
        problem,
        "mark-duplicate",
        body={"primary_problem_id": str(uuid.uuid4()), "reason": "x"},
    )
    assert_problem_json(hidden, 404)
    withdrawn = await submitted(client, city)
    await act(client, city, withdrawn, "withdraw", who="requester")
    response = await act(
        client,
        city,
        problem,
        "mark-duplicate",
        body={"primary_problem_id": withdrawn["id"], "reason": "x"},
    )
    assert assert_problem_json(response, 409)["current_state"] == "withdrawn"


async def test_hold_and_resume_return_to_where_it_was(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    await act(client, city, problem, "triage")
    await act(client, city, problem, "accept")
    assert_problem_json(await act(client, city, problem, "hold"), 422)  # reason required
    assert (
        await act(client, city, problem, "hold", body={"reason": "Budget freeze"})
    ).status_code == 200
    assert problem["status"] == "on_hold"
    assert problem["held_from_status"] == "accepted"
    body = assert_problem_json(await act(client, city, problem, "accept"), 409)
    assert body["allowed_actions"] == ["resume", "withdraw"]
    assert (await act(client, city, problem, "resume")).status_code == 200
    assert problem["status"] == "accepted"
    await act(client, city, problem, "hold", body={"reason": "Again"})
    assert (
        await act(client, city, problem, "withdraw", who="requester", body={"reason": "Solved"})
    ).status_code == 200
    assert problem["status"] == "withdrawn"


async def test_two_triagers_at_the_same_moment_one_wins(
    live: httpx.AsyncClient, city: City, db: asyncpg.Connection
) -> None:
    await db.execute(
        "INSERT INTO people (id, email, name, department_id, roles) VALUES ($1, $2, $3, $4, $5)",
        uuid.uuid4(),
        "pm.two@city.example",
        "Priya Two",
        city.departments["DTI"],
        ["triager"],
    )
    problem = await submitted(live, city)
    await act(live, city, problem, "triage")
    second = {
        "Authorization": f"Bearer {city.keys.issue('pm.two@city.example')}",
        "If-Match": problem["etag"],
    }
    first = {**city.auth("triager"), "If-Match": problem["etag"]}
    url = f"/api/v1/problems/{problem['id']}"
    results = await asyncio.gather(
        live.post(f"{url}/accept", headers=first),
        live.post(f"{url}/decline", json={"reason": "Out of scope"}, headers=second),
    )
    codes = sorted(r.status_code for r in results)
    assert codes[0] == 200
    assert codes[1] in (409, 412)
    history = await events(live, city, problem["id"])
    assert [e["type"] for e in history].count("accepted") + [e["type"] for e in history].count(
        "declined"
    ) == 1


async def test_a_closed_off_problem_cannot_be_the_primary(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    declined = await submitted(client, city)
    await act(client, city, declined, "triage")
    await act(client, city, declined, "decline", body={"reason": "Out of scope"})
    response = await act(
        client,
        city,
        problem,
        "mark-duplicate",
        body={"primary_problem_id": declined["id"], "reason": "Same thing"},
    )
    assert assert_problem_json(response, 409)["current_state"] == "declined"


async def test_missing_reason_and_missing_body_name_the_field(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    await act(client, city, problem, "triage")
    empty = assert_problem_json(await act(client, city, problem, "decline", body={}), 422)
    assert [e["field"] for e in empty["errors"]] == ["reason"]
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/decline",
        headers={**city.auth("triager"), "If-Match": problem["etag"]},
    )
    missing = assert_problem_json(response, 422)
    assert missing["errors"] == [
        {"field": "body", "message": "A JSON body is required", "source": "body"}
    ]
