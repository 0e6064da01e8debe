"""Scoring, similar problems, links and team pairing over HTTP (more on similar problems:
tests/triage/test_similar.py)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from tests.builders import City
from tests.helpers import Client, act, assert_problem_json, draft, events, submitted

RATINGS = {
    "reach": 4,
    "severity": 5,
    "urgency": 3,
    "equity": 4,
    "alignment": 3,
    "confidence": 2,
    "effort": "m",
}


async def put_score(
    client: Client,
    city: City,
    problem: dict[str, Any],
    ratings: dict[str, Any],
    who: str = "triager",
    notes: str | None = None,
) -> Any:
    response = await client.put(
        f"/api/v1/problems/{problem['id']}/score",
        json={"ratings": ratings, "notes": notes},
        headers={**city.auth(who), "If-Match": problem["etag"]},
    )
    if response.status_code == 200:
        problem["etag"] = response.headers["etag"]
    return response


async def test_score_is_absolute_explained_and_kept_in_history(client: Client, city: City) -> None:
    problem = await submitted(client, city, affected_people_per_year=2400)
    response = await put_score(client, city, problem, RATINGS, notes="Internal: budget is tight")
    assert response.status_code == 200, response.text
    body = response.json()
    # value = (20*.75 + 25*1 + 15*.5 + 15*.75 + 15*.5 + 10*.25) / 100 * 100 = 68.75; x 0.9 = 61.875
    assert body["current"]["score"] == 62
    assert body["current"]["value"] == 68.75
    reach = next(c for c in body["current"]["breakdown"] if c["criterion"] == "reach")
    assert reach["rating"] == 4
    assert reach["suggested"] == 3  # 2,400 people a year
    assert {s["criterion"] for s in body["suggestions"]} >= {"reach"}
    assert body["notes"] == "Internal: budget is tight"

    again = await put_score(client, city, problem, {**RATINGS, "effort": "xs"})
    assert again.json()["current"]["score"] == 69
    assert [h["score"] for h in again.json()["history"]] == [62, 69]

    scored = [e for e in await events(client, city, problem["id"]) if e["type"] == "scored"]
    assert [e["changes"]["score"] for e in scored] == [
        {"from": None, "to": 62},
        {"from": 62, "to": 69},
    ]
    # A requester sees the score and its breakdown but never the DTI-internal notes.
    view = (
        await client.get(f"/api/v1/problems/{problem['id']}/score", headers=city.auth("requester"))
    ).json()
    assert view["current"]["score"] == 69
    assert view["notes"] is None
    history = await client.get(
        f"/api/v1/problems/{problem['id']}/history", headers=city.auth("requester")
    )
    assert "budget is tight" not in history.text


async def test_admin_weights_change_the_score(client: Client, city: City) -> None:
    weights = {
        "reach": 0,
        "severity": 100,
        "urgency": 0,
        "equity": 0,
        "alignment": 0,
        "confidence": 0,
    }
    response = await client.put(
        "/api/v1/settings/scoring", json=weights, headers=city.auth("admin")
    )
    assert response.status_code == 200, response.text
    problem = await submitted(client, city)
    body = (await put_score(client, city, problem, {**RATINGS, "effort": "xs"})).json()
    assert body["current"]["score"] == 100  # severity 5 is all that counts


@pytest.mark.parametrize(
    "weights",
    [
        {"reach": -1},
        {"reach": 0, "severity": 0, "urgency": 0, "equity": 0, "alignment": 0, "confidence": 0},
        {"effort_factors": {"xs": 1.5, "s": 1, "m": 1, "l": 1, "xl": 1}},
        {"bogus": 1},
    ],
)
async def test_bad_weights_are_422(client: Client, city: City, weights: dict[str, Any]) -> None:
    assert_problem_json(
        await client.put("/api/v1/settings/scoring", json=weights, headers=city.auth("admin")), 422
    )


@pytest.mark.parametrize(
    "ratings",
    [
        {**RATINGS, "reach": 0},
        {**RATINGS, "severity": 6},
        {**RATINGS, "effort": "huge"},
        {k: v for k, v in RATINGS.items() if k != "equity"},
    ],
)
async def test_bad_ratings_are_422(client: Client, city: City, ratings: dict[str, Any]) -> None:
    problem = await submitted(client, city)
    assert_problem_json(await put_score(client, city, problem, ratings), 422)


async def test_only_triagers_score_and_only_live_problems(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    assert_problem_json(await put_score(client, city, problem, RATINGS, who="requester"), 403)
    assert_problem_json(await put_score(client, city, problem, RATINGS, who="leader"), 403)
    a_draft = await draft(client, city)
    assert_problem_json(await put_score(client, city, a_draft, RATINGS), 404)  # drafts are hidden
    await act(client, city, problem, "withdraw", who="requester")
    assert_problem_json(await put_score(client, city, problem, RATINGS), 409)


async def test_similar_problems_across_departments(client: Client, city: City) -> None:
    mine = await submitted(
        client,
        city,
        title="Inspection scheduling happens on paper forms",
        problem_statement="Inspectors schedule restaurant inspections on paper and phone calls.",
    )
    theirs = await submitted(
        client,
        city,
        "health",
        title="Paper forms for scheduling inspections",
        problem_statement="Health inspectors book inspection visits with paper forms.",
    )
    unrelated = await submitted(
        client,
        city,
        "parks",
        title="Picnic shelter reservations double booked",
        problem_statement="Two families arrive for the same shelter.",
    )
    found = (
        await client.get(f"/api/v1/problems/{mine['id']}/similar", headers=city.auth("requester"))
    ).json()
    assert found[0]["id"] == theirs["id"]
    assert found[0]["other_department"] is True
    assert "collaborat" in found[0]["suggestion"]
    assert 0 < found[0]["similarity"] < 1
    assert unrelated["id"] not in [f["id"] for f in found[:1]]


async def test_links_show_on_both_problems(client: Client, city: City) -> None:
    one = await submitted(client, city, title="Street closure permits are slow")
    two = await submitted(client, city, "health", title="Event permits wait on street closures")
    url = f"/api/v1/problems/{one['id']}/links"
    response = await client.post(
        url, json={"to_problem_id": two["id"], "type": "blocks"}, headers=city.auth("triager")
    )
    assert response.status_code == 201, response.text
    assert response.json()["direction"] == "outgoing"
    duplicate = await client.post(
        url, json={"to_problem_id": two["id"], "type": "blocks"}, headers=city.auth("triager")
    )
    assert_problem_json(duplicate, 409)
    assert_problem_json(
        await client.post(
            url, json={"to_problem_id": one["id"], "type": "related"}, headers=city.auth("triager")
        ),
        422,
    )
    assert_problem_json(
        await client.post(
            url,
            json={"to_problem_id": two["id"], "type": "related"},
            headers=city.auth("requester"),
        ),
        403,
    )
    theirs = (
        await client.get(f"/api/v1/problems/{two['id']}/links", headers=city.auth("parks"))
    ).json()
    assert [(link["direction"], link["type"], link["problem"]["id"]) for link in theirs] == [
        ("incoming", "blocks", one["id"])
    ]
    assert (await events(client, city, two["id"]))[-1]["type"] == "linked"


async def test_a_new_link_is_at_its_location_from_either_side(client: Client, city: City) -> None:
    one = await submitted(client, city, title="Street closure permits are slow")
    two = await submitted(
        client, city, "health", title="Event permits wait on street closures", restricted=True
    )
    response = await client.post(
        f"/api/v1/problems/{one['id']}/links",
        json={"to_problem_id": two["id"], "type": "blocks"},
        headers=city.auth("triager"),
    )
    assert response.status_code == 201, response.text
    link = response.json()
    assert response.headers["location"] == f"/api/v1/problems/{one['id']}/links/{link['id']}"

    read = await client.get(response.headers["location"], headers=city.auth("triager"))
    assert read.status_code == 200, read.text
    assert read.json() == link
    other_side = await client.get(
        f"/api/v1/problems/{two['id']}/links/{link['id']}", headers=city.auth("health")
    )
    assert other_side.status_code == 200, other_side.text
    assert (other_side.json()["direction"], other_side.json()["problem"]["id"]) == (
        "incoming",
        one["id"],
    )
    # Parks cannot see the restricted problem at the other end: the link is not there.
    hidden = await client.get(response.headers["location"], headers=city.auth("parks"))
    assert_problem_json(hidden, 404)
    elsewhere = await client.get(
        f"/api/v1/problems/{one['id']}/links/{uuid.uuid4()}", headers=city.auth("triager")
    )
    assert_problem_json(elsewhere, 404)


async def _team(db: asyncpg.Connection, name: str, disciplines: list[str], wip: int) -> uuid.UUID:
    return await db.fetchval(
        "INSERT INTO teams (id, name, disciplines, wip_limit) VALUES ($1, $2, $3, $4) RETURNING id",
        uuid.uuid4(),
        name,
        disciplines,
        wip,
    )


async def _accepted(client: Client, city: City, **fields: Any) -> dict[str, Any]:
    problem = await submitted(client, city, **fields)
    await act(client, city, problem, "triage")
    await act(client, city, problem, "accept")
    return problem


async def test_recommendations_are_ranked_and_explained(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    full = await _team(
        db,
        "Resident Services",
        ["product_management", "civic_design", "data", "software_engineering"],
        3,
    )
    thin = await _team(db, "Data Platform", ["data"], 3)
    busy = await _team(
        db, "Busy Team", ["product_management", "civic_design", "data", "software_engineering"], 1
    )
    earlier = await _accepted(client, city, title="Earlier busy work")
    await db.execute(
        "UPDATE problems SET team_id = $2 WHERE id = $1", uuid.UUID(earlier["id"]), busy
    )
    problem = await _accepted(
        client, city, systems_involved=[{"name": "PermitTrack", "legacy": True}]
    )
    response = await client.get(
        f"/api/v1/problems/{problem['id']}/team-recommendations", headers=city.auth("triager")
    )
    assert response.status_code == 200
    ranked = response.json()
    assert [r["team_id"] for r in ranked] == [str(full), str(busy), str(thin)]
    top = ranked[0]
    assert top["disciplines_missing"] == []
    assert set(top["disciplines_needed"]) == {
        "product_management",
        "civic_design",
        "data",
        "software_engineering",
    }
    assert top["free_capacity"] == 3
    busy_row = ranked[1]
    assert busy_row["free_capacity"] == 0
    assert busy_row["past_work_with_department"] == 1
    assert any("WIP limit" in reason for reason in busy_row["reasons"])
    assert any("lacks" in reason for reason in ranked[2]["reasons"])
    assert_problem_json(
        await client.get(
            f"/api/v1/problems/{problem['id']}/team-recommendations", headers=city.auth("requester")
        ),
        403,
    )


async def test_assign_team_within_and_over_the_wip_limit(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    team = await _team(db, "Permits", ["product_management"], 1)
    await db.execute(
        "INSERT INTO team_members (team_id, person_id) VALUES ($1, $2)",
        team,
        city.people["team_member"],
    )
    first = await _accepted(client, city, title="First accepted problem")
    second = await _accepted(client, city, title="Second accepted problem")

    async def assign(problem: dict[str, Any], **extra: Any) -> Any:
        response = await client.put(
            f"/api/v1/problems/{problem['id']}/team",
            json={"team_id": str(team), **extra},
            headers={**city.auth("triager"), "If-Match": problem["etag"]},
        )
        if response.status_code == 200:
            problem["etag"] = response.headers["etag"]
        return response

    assigned = await assign(first)
    assert assigned.status_code == 200
    assert assigned.json()["team"] == {"id": str(team), "name": "Permits"}
    over = await assign(second)
    assert "WIP limit" in assert_problem_json(over, 409)["detail"]
    forced = await assign(second, override_reason="Mayor's priority")
    assert forced.status_code == 200
    history = await events(client, city, second["id"])
    assert history[-1]["type"] == "team_assigned"
    assert history[-1]["reason"] == "Mayor's priority"
    assert history[-1]["changes"]["wip_override"] is True
    assert (
        await db.fetchval(
            "SELECT count(*) FROM problem_watchers WHERE problem_id = $1 AND person_id = $2",
            uuid.UUID(first["id"]),
            city.people["team_member"],
        )
        == 1
    )
    # Work stops counting once it ends: withdraw the first, and the team has room again.
    await act(client, city, first, "withdraw", who="requester")
    third = await _accepted(client, city, title="Third accepted problem")
    assert (await assign(third)).status_code == 409  # second is still active
    not_accepted = await submitted(client, city)
    assert_problem_json(await assign(not_accepted), 409)


async def test_recommendations_are_for_accepted_work(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    await act(client, city, problem, "triage")
    response = await client.get(
        f"/api/v1/problems/{problem['id']}/team-recommendations", headers=city.auth("triager")
    )
    assert assert_problem_json(response, 409)["current_state"] == "triage"
