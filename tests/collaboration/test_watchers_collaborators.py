"""Watchers and collaborators: who follows a problem, who works on it, and who then sees it."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from tests.builders import EMAILS, City
from tests.helpers import Client, act, assert_problem_json, events, paired, submitted


def person(city: City, who: str, name: str) -> dict[str, str]:
    return {"id": str(city.people[who]), "name": name}


async def watcher_ids(client: Client, city: City, problem_id: str, who: str = "triager") -> list:
    response = await client.get(f"/api/v1/problems/{problem_id}/watchers", headers=city.auth(who))
    assert response.status_code == 200, response.text
    return [w["id"] for w in response.json()]


async def follow(
    client: Client, city: City, problem_id: str, who: str, email: str | None = None
) -> Any:
    return await client.post(
        f"/api/v1/problems/{problem_id}/watchers",
        json={"email": email} if email is not None else None,
        headers=city.auth(who),
    )


async def unfollow(client: Client, city: City, problem_id: str, person_id: Any, who: str) -> Any:
    return await client.delete(
        f"/api/v1/problems/{problem_id}/watchers/{person_id}", headers=city.auth(who)
    )


async def add_collaborator(
    client: Client, city: City, problem_id: str, body: dict[str, Any], who: str = "requester"
) -> Any:
    return await client.post(
        f"/api/v1/problems/{problem_id}/collaborators", json=body, headers=city.auth(who)
    )


async def sees(client: Client, city: City, problem_id: str, who: str) -> bool:
    response = await client.get(f"/api/v1/problems/{problem_id}", headers=city.auth(who))
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


async def another_triager(db: asyncpg.Connection, city: City) -> dict[str, str]:
    """A triager who does not own the problem under test; returns their auth header."""
    await db.execute(
        "INSERT INTO people (id, email, name, department_id, roles) "
        "VALUES ($1, 'pm.two@city.example', 'Pat Two', $2, '{triager,team_member}')",
        uuid.uuid4(),
        city.departments["DTI"],
    )
    return {"Authorization": f"Bearer {city.keys.issue('pm.two@city.example')}"}


# -- watchers -------------------------------------------------------------------------------


async def test_submitter_triager_and_team_follow_automatically(client: Client, city: City) -> None:
    problem = await paired(client, city)
    assert await watcher_ids(client, city, problem["id"], "health") == [
        str(city.people["requester"]),
        str(city.people["triager"]),
        str(city.people["team_member"]),
    ]
    types = [e["type"] for e in await events(client, city, problem["id"])]
    assert "watcher_added" not in types  # automatic follows ride on their own events


async def test_following_yourself_is_idempotent_and_recorded(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    first = await follow(client, city, problem["id"], "health")
    assert first.status_code == 201, first.text
    assert first.json() == person(city, "health", "Inès Moreau")
    location = f"/api/v1/problems/{problem['id']}/watchers/{city.people['health']}"
    assert first.headers["location"] == location
    again = await follow(client, city, problem["id"], "health")
    assert again.status_code == 200
    assert again.json() == first.json()
    own_email = await follow(client, city, problem["id"], "health", EMAILS["health"].upper())
    assert own_email.status_code == 200  # naming yourself is the same as no body
    assert str(city.people["health"]) in await watcher_ids(client, city, problem["id"])
    assert (await client.get(location, headers=city.auth("parks"))).status_code == 200

    assert (
        await unfollow(client, city, problem["id"], city.people["health"], "health")
    ).status_code == 204
    assert_problem_json(
        await unfollow(client, city, problem["id"], city.people["health"], "health"), 404
    )
    assert_problem_json(await client.get(location, headers=city.auth("parks")), 404)
    assert str(city.people["health"]) not in await watcher_ids(client, city, problem["id"])

    watch_events = [
        (e["type"], e["changes"]["watcher"]["id"])
        for e in await events(client, city, problem["id"], "requester")
        if e["type"].startswith("watcher_")
    ]
    assert watch_events == [
        ("watcher_added", str(city.people["health"])),
        ("watcher_removed", str(city.people["health"])),
    ]


async def test_a_follower_hears_about_state_changes(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    assert (await follow(client, city, problem["id"], "parks")).status_code == 201
    assert (await act(client, city, problem, "triage")).status_code == 200
    inbox = await client.get("/api/v1/me/notifications", headers=city.auth("parks"))
    assert [(n["kind"], n["event"]["to_status"]) for n in inbox.json()["items"]] == [
        ("state_change", "triage")
    ]


async def test_stewards_add_and_remove_other_followers(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await paired(client, city, restricted=True)
    pid = problem["id"]
    # The owning department's requesters, the problem's triager and its team may.
    added = await follow(client, city, pid, "requester", EMAILS["requester2"])
    assert added.status_code == 201, added.text
    assert added.json() == person(city, "requester2", "Sam Park")
    assert (await follow(client, city, pid, "team_member", EMAILS["admin"])).status_code == 201
    assert (await follow(client, city, pid, "triager", EMAILS["leader"])).status_code == 201
    assert (await follow(client, city, pid, "triager", EMAILS["leader"])).status_code == 200
    # Others may not, even when they can see the problem.
    outsider = await another_triager(db, city)
    for headers in (city.auth("leader"), city.auth("admin"), outsider):
        refused = await client.post(
            f"/api/v1/problems/{pid}/watchers",
            json={"email": EMAILS["requester2"]},
            headers=headers,
        )
        assert_problem_json(refused, 403)
    # The person must exist, be active, and be able to see the problem.
    for email, why in (
        ("nobody@city.example", "No active person"),
        (EMAILS["inactive"], "No active person"),
        (EMAILS["health"], "cannot see this problem"),
    ):
        body = assert_problem_json(await follow(client, city, pid, "requester", email), 422)
        assert body["errors"][0]["field"] == "email"
        assert why in body["errors"][0]["message"]
    assert_problem_json(await follow(client, city, pid, "requester", "not-an-email"), 422)
    assert_problem_json(
        await client.post(
            f"/api/v1/problems/{pid}/watchers",
            json={"person_id": str(city.people["leader"])},
            headers=city.auth("requester"),
        ),
        422,
    )

    assert_problem_json(await unfollow(client, city, pid, city.people["requester2"], "leader"), 403)
    assert (
        await unfollow(client, city, pid, city.people["requester2"], "team_member")
    ).status_code == 204
    assert (await unfollow(client, city, pid, city.people["leader"], "leader")).status_code == 204
    assert_problem_json(await unfollow(client, city, pid, uuid.uuid4(), "requester"), 404)
    assert await watcher_ids(client, city, pid) == [
        str(city.people["requester"]),
        str(city.people["triager"]),
        str(city.people["team_member"]),
        str(city.people["admin"]),
    ]


async def test_watchers_of_a_hidden_problem_are_404(client: Client, city: City) -> None:
    problem = await submitted(client, city, restricted=True)
    url = f"/api/v1/problems/{problem['id']}/watchers"
    assert_problem_json(await client.get(url, headers=city.auth("health")), 404)
    assert_problem_json(await follow(client, city, problem["id"], "health"), 404)
    assert_problem_json(
        await unfollow(client, city, problem["id"], city.people["requester"], "health"), 404
    )


# -- collaborators --------------------------------------------------------------------------


async def test_a_collaborating_department_sees_a_restricted_problem(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city, restricted=True)
    pid = problem["id"]
    assert not await sees(client, city, pid, "health")

    response = await add_collaborator(client, city, pid, {"department": "dph"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/api/v1/problems/{pid}/collaborators/{created['id']}"
    assert created["kind"] == "department"
    assert created["department"]["code"] == "DPH"
    assert created["person"] is None
    assert await sees(client, city, pid, "health")
    listed = await client.get(f"/api/v1/problems/{pid}/collaborators", headers=city.auth("health"))
    assert [c["id"] for c in listed.json()] == [created["id"]]
    one = await client.get(response.headers["location"], headers=city.auth("health"))
    assert one.json() == created
    assert not await sees(client, city, pid, "parks")  # only the collaborating department

    removed = await client.delete(
        f"/api/v1/problems/{pid}/collaborators/{created['id']}", headers=city.auth("requester")
    )
    assert removed.status_code == 204
    assert not await sees(client, city, pid, "health")
    assert_problem_json(
        await client.get(response.headers["location"], headers=city.auth("requester")), 404
    )

    history = [
        (e["type"], e["changes"]["collaborator"])
        for e in await events(client, city, pid, "requester")
        if e["type"].startswith("collaborator_")
    ]
    described = {
        "id": created["id"],
        "department": {"id": str(city.departments["DPH"]), "code": "DPH"},
    }
    assert history == [("collaborator_added", described), ("collaborator_removed", described)]


async def test_a_collaborating_person_sees_a_restricted_problem_and_follows_it(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city, restricted=True)
    pid = problem["id"]
    assert not await sees(client, city, pid, "parks")
    response = await add_collaborator(client, city, pid, {"email": EMAILS["parks"].upper()})
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["kind"], created["person"]) == ("person", person(city, "parks", "Tom Reyes"))
    assert await sees(client, city, pid, "parks")
    assert not await sees(client, city, pid, "health")  # a person, not their department
    assert str(city.people["parks"]) in await watcher_ids(client, city, pid, "parks")
    # They can now comment and read comments like anyone who can see it.
    comment = await client.post(
        f"/api/v1/problems/{pid}/comments",
        json={"body": "Parks has data."},
        headers=city.auth("parks"),
    )
    assert comment.status_code == 201

    removed = await client.delete(
        f"/api/v1/problems/{pid}/collaborators/{created['id']}", headers=city.auth("requester2")
    )
    assert removed.status_code == 204
    assert not await sees(client, city, pid, "parks")
    comments = await client.get(f"/api/v1/problems/{pid}/comments", headers=city.auth("parks"))
    assert_problem_json(comments, 404)


async def test_collaborator_input_rules(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    pid = problem["id"]
    assert (await add_collaborator(client, city, pid, {"department": "PRK"})).status_code == 201
    assert (
        await add_collaborator(client, city, pid, {"email": EMAILS["health"]})
    ).status_code == 201
    duplicate = await add_collaborator(client, city, pid, {"department": "prk"})
    assert "PRK" in assert_problem_json(duplicate, 409)["detail"]
    assert_problem_json(await add_collaborator(client, city, pid, {"email": EMAILS["health"]}), 409)

    cases: list[tuple[dict[str, Any], str]] = [
        ({"department": "DOT"}, "department"),  # the owner itself
        ({"email": EMAILS["requester2"]}, "email"),  # someone in the owning department
        ({"department": "ZZZ"}, "department"),
        ({"email": "nobody@city.example"}, "email"),
        ({"email": EMAILS["inactive"]}, "email"),
        ({"department": "PRK", "email": EMAILS["parks"]}, "body"),
        ({}, "body"),
        ({"team": "Permits Team"}, "team"),
        ({"department": "P R K"}, "department"),
    ]
    for body, field in cases:
        refused = assert_problem_json(await add_collaborator(client, city, pid, body), 422)
        assert refused["errors"][0]["field"] == field, (body, refused)
    listed = await client.get(f"/api/v1/problems/{pid}/collaborators", headers=city.auth("parks"))
    assert [(c["kind"], (c["department"] or c["person"])["name"]) for c in listed.json()] == [
        ("department", "Parks and Recreation"),
        ("person", "Inès Moreau"),
    ]


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("requester", True),
        ("requester2", True),
        ("triager", True),
        ("team_member", True),
        ("admin", True),
        ("outsider", False),
        ("health", False),
        ("leader", False),
    ],
)
async def test_who_may_change_collaborators(
    client: Client, city: City, db: asyncpg.Connection, who: str, allowed: bool
) -> None:
    problem = await paired(client, city)
    pid = problem["id"]
    headers = await another_triager(db, city) if who == "outsider" else city.auth(who)
    response = await client.post(
        f"/api/v1/problems/{pid}/collaborators", json={"department": "PRK"}, headers=headers
    )
    if not allowed:
        assert_problem_json(response, 403)
        existing = await add_collaborator(client, city, pid, {"department": "PRK"})
        assert existing.status_code == 201
        refused = await client.delete(
            f"/api/v1/problems/{pid}/collaborators/{existing.json()['id']}", headers=headers
        )
        assert_problem_json(refused, 403)
        return
    assert response.status_code == 201, response.text
    removed = await client.delete(
        f"/api/v1/problems/{pid}/collaborators/{response.json()['id']}", headers=headers
    )
    assert removed.status_code == 204


async def test_a_collaborator_of_another_problem_is_404(client: Client, city: City) -> None:
    first = await submitted(client, city)
    second = await submitted(client, city, title="A second, unrelated problem")
    created = await add_collaborator(client, city, first["id"], {"department": "PRK"})
    url = f"/api/v1/problems/{second['id']}/collaborators/{created.json()['id']}"
    assert_problem_json(await client.get(url, headers=city.auth("requester")), 404)
    assert_problem_json(await client.delete(url, headers=city.auth("requester")), 404)
    listed = await client.get(
        f"/api/v1/problems/{first['id']}/collaborators", headers=city.auth("requester")
    )
    assert len(listed.json()) == 1
