"""The registry: anyone lists departments and teams; admins create and edit them and people."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.builders import City
from tests.helpers import Client, act, assert_problem_json, submitted


async def test_anyone_lists_departments_page_by_page(client: Client, city: City) -> None:
    first = (await client.get("/api/v1/departments?limit=3", headers=city.auth("parks"))).json()
    second = (
        await client.get(
            f"/api/v1/departments?limit=3&cursor={first['next_cursor']}", headers=city.auth("parks")
        )
    ).json()
    codes = [d["code"] for d in first["items"] + second["items"]]
    assert codes == ["DOT", "DPH", "DTI", "MYR", "PRK"]
    assert second["next_cursor"] is None


async def test_admin_creates_and_renames_a_department(client: Client, city: City) -> None:
    created = await client.post(
        "/api/v1/departments",
        json={"code": "LIB", "name": "Public Library"},
        headers=city.auth("admin"),
    )
    assert created.status_code == 201
    department = created.json()
    renamed = await client.patch(
        f"/api/v1/departments/{department['id']}",
        json={"name": "City Library"},
        headers=city.auth("admin"),
    )
    assert renamed.json()["name"] == "City Library"
    duplicate = await client.post(
        "/api/v1/departments", json={"code": "LIB", "name": "Again"}, headers=city.auth("admin")
    )
    assert_problem_json(duplicate, 409)


@pytest.mark.parametrize("who", ["requester", "triager", "leader", "team_member"])
async def test_only_admins_write_the_registry(client: Client, city: City, who: str) -> None:
    for method, path, body in [
        ("POST", "/api/v1/departments", {"code": "LIB", "name": "Library"}),
        ("POST", "/api/v1/people", {"email": "x@city.example", "name": "X", "department": "DOT"}),
        ("POST", "/api/v1/teams", {"name": "Team X"}),
        ("GET", "/api/v1/people", None),
    ]:
        response = await client.request(method, path, json=body, headers=city.auth(who))
        assert_problem_json(response, 403)


async def test_admin_registers_people_and_deactivation_locks_them_out(
    client: Client, city: City
) -> None:
    created = await client.post(
        "/api/v1/people",
        json={
            "email": "Ana.Silva@city.example",
            "name": "Ana Silva",
            "department": "DPH",
            "roles": ["requester", "leadership"],
        },
        headers=city.auth("admin"),
    )
    assert created.status_code == 201
    person = created.json()
    assert person["department"]["code"] == "DPH"
    assert person["roles"] == ["leadership", "requester"]
    again = await client.post(
        "/api/v1/people",
        json={"email": "ana.silva@CITY.example", "name": "Ana", "department": "DPH"},
        headers=city.auth("admin"),
    )
    assert_problem_json(again, 409)

    token = {"Authorization": f"Bearer {city.keys.issue('ana.silva@city.example')}"}
    assert (await client.get("/api/v1/me", headers=token)).status_code == 200
    off = await client.patch(
        f"/api/v1/people/{person['id']}", json={"active": False}, headers=city.auth("admin")
    )
    assert off.json()["active"] is False
    assert_problem_json(await client.get("/api/v1/me", headers=token), 401)


async def test_person_needs_a_known_department_and_roles(client: Client, city: City) -> None:
    for body in (
        {"email": "a@city.example", "name": "A", "department": "NOPE"},
        {"email": "a@city.example", "name": "A", "department": "DOT", "roles": ["wizard"]},
        {"email": "not-an-email", "name": "A", "department": "DOT"},
    ):
        response = await client.post("/api/v1/people", json=body, headers=city.auth("admin"))
        assert_problem_json(response, 422)


@pytest.mark.parametrize(
    "email",
    [
        "new.hire@city.example.",  # no mail header can carry a trailing dot
        "new..hire@city.example",
        "new.hire@city",
        "josé.hire@city.example",
        "new(hire)@city.example",
        "new.hire@[10.0.0.1]",
        "new.hire@city.example\n",
    ],
)
async def test_an_address_mail_could_not_be_sent_to_is_422(
    client: Client, city: City, email: str
) -> None:
    body = {"email": email, "name": "New Hire", "department": "DOT"}
    response = await client.post("/api/v1/people", json=body, headers=city.auth("admin"))
    assert [e["field"] for e in assert_problem_json(response, 422)["errors"]] == ["email"]
    # Looking someone up by such an address names the field too: nobody has it.
    response = await client.post(
        "/api/v1/teams",
        json={"name": "Team X", "members": [{"email": email}]},
        headers=city.auth("admin"),
    )
    fields = [e["field"] for e in assert_problem_json(response, 422)["errors"]]
    assert fields == ["members[0].email"], fields


@pytest.mark.parametrize(
    "email",
    [
        "new.hire+intake@city.example",
        "new-hire@parks.city.example",
        "hire2026@dept9.city.gov",
        "o'hire@city.example",
    ],
)
async def test_ordinary_addresses_register(client: Client, city: City, email: str) -> None:
    body = {"email": email, "name": "New Hire", "department": "DOT"}
    response = await client.post("/api/v1/people", json=body, headers=city.auth("admin"))
    assert response.status_code == 201, response.text
    assert response.json()["email"] == email


async def test_people_registered_before_the_address_rule_can_still_be_named(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    """Addresses stored before the rule are kept (people log in with them): the fields that
    name someone registered (team members, watchers, triagers, metric owners) still find
    them, although registering the address again would be refused."""
    legacy = "José.Nuñez@city.example"
    await db.execute(
        "INSERT INTO people (id, email, name, department_id, roles) "
        "VALUES ($1, $2, 'José Nuñez', $3, '{team_member,triager}')",
        uuid.uuid4(),
        legacy,
        city.departments["DTI"],
    )
    response = await client.post(
        "/api/v1/teams",
        json={"name": "Team Legacy", "members": [{"email": legacy.lower()}]},
        headers=city.auth("admin"),
    )
    assert response.status_code == 201, response.text
    problem = await submitted(client, city)
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/watchers",
        json={"email": legacy},
        headers=city.auth("requester"),
    )
    assert response.status_code == 201, response.text
    response = await act(client, city, problem, "triage", body={"triager_email": legacy})
    assert response.status_code == 200, response.text


async def test_teams_with_disciplines_wip_limit_and_members(client: Client, city: City) -> None:
    body = {
        "name": "Permits & Licensing",
        "disciplines": ["product_management", "civic_design", "software_engineering"],
        "focus_areas": ["permits", "payments"],
        "wip_limit": 3,
        "members": [{"email": "dev.one@city.example", "discipline": "software_engineering"}],
    }
    created = await client.post("/api/v1/teams", json=body, headers=city.auth("admin"))
    assert created.status_code == 201, created.text
    team = created.json()
    assert team["members"][0]["name"] == "Dev One"
    assert team["wip_limit"] == 3

    listed = await client.get("/api/v1/teams", headers=city.auth("requester"))
    assert [t["name"] for t in listed.json()["items"]] == ["Permits & Licensing"]

    changed = await client.patch(
        f"/api/v1/teams/{team['id']}",
        json={"wip_limit": 4, "members": []},
        headers=city.auth("admin"),
    )
    assert changed.json()["wip_limit"] == 4
    assert changed.json()["members"] == []

    not_a_member = await client.patch(
        f"/api/v1/teams/{team['id']}",
        json={"members": [{"email": "rosa.diaz@city.example"}]},
        headers=city.auth("admin"),
    )
    body422 = assert_problem_json(not_a_member, 422)
    assert body422["errors"][0]["field"] == "members[0].email"
    bad_limit = await client.patch(
        f"/api/v1/teams/{team['id']}", json={"wip_limit": 0}, headers=city.auth("admin")
    )
    assert_problem_json(bad_limit, 422)
