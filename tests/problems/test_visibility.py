"""Who sees what: drafts stay in their department, restricted problems in a small circle."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.builders import City
from tests.helpers import Client, assert_problem_json, draft, submitted


async def _visible(client: Client, city: City, who: str, problem_id: str) -> bool:
    detail = await client.get(f"/api/v1/problems/{problem_id}", headers=city.auth(who))
    history = await client.get(f"/api/v1/problems/{problem_id}/history", headers=city.auth(who))
    listed = await client.get("/api/v1/problems?limit=100", headers=city.auth(who))
    ids = {item["id"] for item in listed.json()["items"]}
    assert detail.status_code in (200, 404)
    assert history.status_code == detail.status_code
    assert (problem_id in ids) == (detail.status_code == 200)
    if detail.status_code == 404:
        assert_problem_json(detail, 404)
    return detail.status_code == 200


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("requester", True),
        ("requester2", True),
        ("health", False),
        ("triager", False),
        ("leader", False),
        ("admin", False),
    ],
)
async def test_drafts_are_seen_only_by_their_department(
    client: Client, city: City, who: str, sees: bool
) -> None:
    problem = await draft(client, city)
    assert await _visible(client, city, who, problem["id"]) is sees


@pytest.mark.parametrize(
    "who", ["requester", "health", "parks", "triager", "team_member", "leader", "admin"]
)
async def test_submitted_problems_are_seen_by_all_staff(
    client: Client, city: City, who: str
) -> None:
    problem = await submitted(client, city)
    assert await _visible(client, city, who, problem["id"])


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("requester", True),
        ("requester2", True),
        ("health", False),
        ("parks", False),
        ("triager", True),
        ("team_member", True),
        ("admin", True),
        ("leader", True),
    ],
)
async def test_restricted_problems_are_seen_by_department_dti_and_leadership(
    client: Client, city: City, who: str, sees: bool
) -> None:
    problem = await submitted(client, city, restricted=True)
    assert await _visible(client, city, who, problem["id"]) is sees


async def test_collaborators_see_restricted_problems(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city, restricted=True)
    assert not await _visible(client, city, "health", problem["id"])
    assert not await _visible(client, city, "parks", problem["id"])
    await db.execute(
        "INSERT INTO problem_collaborators (id, problem_id, department_id) VALUES ($1, $2, $3)",
        uuid.uuid4(),
        uuid.UUID(problem["id"]),
        city.departments["DPH"],
    )
    await db.execute(
        "INSERT INTO problem_collaborators (id, problem_id, person_id) VALUES ($1, $2, $3)",
        uuid.uuid4(),
        uuid.UUID(problem["id"]),
        city.people["parks"],
    )
    assert await _visible(client, city, "health", problem["id"])
    assert await _visible(client, city, "parks", problem["id"])


async def test_other_department_cannot_change_a_problem_it_can_see(
    client: Client, city: City
) -> None:
    problem = await draft(client, city)
    sent = await submitted(client, city)
    # A visible problem of another department: 403 (the caller knows it exists).
    response = await client.post(
        f"/api/v1/problems/{sent['id']}/withdraw",
        headers={**city.auth("health"), "If-Match": sent["etag"]},
    )
    assert_problem_json(response, 403)
    # A hidden draft: 404, never 403.
    response = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json={"title": "Hijacked title"},
        headers={**city.auth("health"), "If-Match": problem["etag"]},
    )
    assert_problem_json(response, 404)


async def test_unknown_problem_is_404(client: Client, city: City) -> None:
    response = await client.get(f"/api/v1/problems/{uuid.uuid4()}", headers=city.auth("admin"))
    assert_problem_json(response, 404)


async def test_a_withdrawn_draft_stays_in_its_department(client: Client, city: City) -> None:
    problem = await draft(client, city)
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/withdraw",
        headers={**city.auth("requester"), "If-Match": problem["etag"]},
    )
    assert response.json()["status"] == "withdrawn"
    assert await _visible(client, city, "requester2", problem["id"])
    assert not await _visible(client, city, "health", problem["id"])
    assert not await _visible(client, city, "triager", problem["id"])
