"""Delivery milestones: target dates that keep their slips, derived states, who may change them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from tests.builders import City
from tests.helpers import Client, act, assert_problem_json, events, in_phase, paired, submitted


def _today() -> date:
    return datetime.now(UTC).date()


def _day(offset: int) -> str:
    return (_today() + timedelta(days=offset)).isoformat()


def _url(problem: dict[str, Any], milestone_id: str | None = None) -> str:
    base = f"/api/v1/problems/{problem['id']}/milestones"
    return f"{base}/{milestone_id}" if milestone_id else base


async def _add(
    client: Client, city: City, problem: dict[str, Any], who: str = "team_member", **body: Any
) -> dict[str, Any]:
    body.setdefault("title", "Beta open in Ward 3")
    body.setdefault("target_date", _day(30))
    response = await client.post(_url(problem), json=body, headers=city.auth(who))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["etag"] == f'"{created["version"]}"'
    return created


async def _patch(
    client: Client,
    city: City,
    problem: dict[str, Any],
    milestone: dict[str, Any],
    body: dict[str, Any],
    who: str = "team_member",
) -> Any:
    return await client.patch(
        _url(problem, milestone["id"]),
        json=body,
        headers={**city.auth(who), "If-Match": f'"{milestone["version"]}"'},
    )


async def test_milestones_are_created_and_listed_by_target_date(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    response = await client.post(
        _url(problem),
        json={
            "title": "  Beta open in Ward 3 ",
            "description": "Online form live for Ward 3 residents.",
            "target_date": _day(30),
        },
        headers=city.auth("team_member"),
    )
    assert response.status_code == 201, response.text
    late = response.json()
    assert (
        response.headers["location"] == f"/api/v1/problems/{problem['id']}/milestones/{late['id']}"
    )
    assert response.headers["etag"] == '"1"'
    assert late["title"] == "Beta open in Ward 3"
    assert late["target_date"] == late["original_target_date"] == _day(30)
    assert late["done_on"] is None
    assert late["state"] == "upcoming"
    assert late["slip_days"] == 0
    assert late["earlier_targets"] == []
    assert late["created_by"] == {"id": str(city.people["team_member"]), "name": "Dev One"}
    assert late["version"] == 1
    early = await _add(
        client, city, problem, who="triager", title="Alpha tested", target_date=_day(10)
    )
    middle = await _add(client, city, problem, title="Forms translated", target_date=_day(20))

    # Everyone who can see the problem reads its milestones, earliest target first.
    for who in ("requester", "health", "leader", "admin", "team_member"):
        listed = await client.get(_url(problem), headers=city.auth(who))
        assert listed.status_code == 200, (who, listed.text)
        assert [m["id"] for m in listed.json()["items"]] == [early["id"], middle["id"], late["id"]]
        assert listed.json()["next_cursor"] is None

    one = await client.get(_url(problem, late["id"]), headers=city.auth("health"))
    assert one.status_code == 200
    assert one.headers["etag"] == '"1"'
    assert one.json() == late

    page = await client.get(_url(problem), params={"limit": 2}, headers=city.auth("requester"))
    assert [m["id"] for m in page.json()["items"]] == [early["id"], middle["id"]]
    rest = await client.get(
        _url(problem),
        params={"limit": 2, "cursor": page.json()["next_cursor"]},
        headers=city.auth("requester"),
    )
    assert [m["id"] for m in rest.json()["items"]] == [late["id"]]
    assert rest.json()["next_cursor"] is None

    added = [e for e in await events(client, city, problem["id"]) if e["type"] == "milestone_added"]
    assert len(added) == 3
    assert added[0]["changes"]["milestone"] == {"id": late["id"], "title": "Beta open in Ward 3"}
    assert added[0]["changes"]["target_date"] == {"from": None, "to": _day(30)}
    assert added[0]["actor"]["name"] == "Dev One"


async def test_a_moved_target_keeps_its_earlier_dates_and_shows_the_slip(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "delivery")
    milestone = await _add(client, city, problem, target_date=_day(10))

    response = await _patch(
        client,
        city,
        problem,
        milestone,
        {"target_date": _day(24), "reason": "Vendor API delivered late."},
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    moved = response.json()
    assert moved["target_date"] == _day(24)
    assert moved["original_target_date"] == _day(10)
    assert moved["slip_days"] == 14
    assert moved["version"] == 2
    (first,) = moved["earlier_targets"]
    assert first["target_date"] == _day(10)
    assert first["replaced_by"] == {"id": str(city.people["team_member"]), "name": "Dev One"}
    assert first["reason"] == "Vendor API delivered late."
    assert first["replaced_at"]

    # The triager pulls it forward a week: slip_days is the net move from the first target.
    response = await _patch(client, city, problem, moved, {"target_date": _day(17)}, who="triager")
    assert response.status_code == 200, response.text
    pulled = response.json()
    assert pulled["slip_days"] == 7
    assert pulled["original_target_date"] == _day(10)
    assert [
        (e["target_date"], e["replaced_by"]["name"], e["reason"]) for e in pulled["earlier_targets"]
    ] == [
        (_day(10), "Dev One", "Vendor API delivered late."),
        (_day(24), "Priya One", None),
    ]

    # Brought before its first target, the slip is negative.
    response = await _patch(client, city, problem, pulled, {"target_date": _day(8)})
    assert response.json()["slip_days"] == -2
    assert len(response.json()["earlier_targets"]) == 3

    # Readers outside DTI see the slips too.
    seen = await client.get(_url(problem, milestone["id"]), headers=city.auth("requester"))
    assert seen.json()["earlier_targets"][0]["target_date"] == _day(10)

    updated = [
        e
        for e in await events(client, city, problem["id"], who="requester")
        if e["type"] == "milestone_updated"
    ]
    assert [e["changes"]["target_date"] for e in updated] == [
        {"from": _day(10), "to": _day(24)},
        {"from": _day(24), "to": _day(17)},
        {"from": _day(17), "to": _day(8)},
    ]
    assert updated[0]["changes"]["slip_days"] == {"from": 0, "to": 14}
    assert updated[0]["reason"] == "Vendor API delivered late."
    assert [e["actor"]["name"] for e in updated] == ["Dev One", "Priya One", "Dev One"]


async def test_an_edit_without_a_new_date_keeps_the_target_history_empty(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "discovery")
    milestone = await _add(client, city, problem, description="First draft")
    response = await _patch(
        client,
        city,
        problem,
        milestone,
        {"title": "Beta open in Wards 3 and 7", "description": None, "target_date": _day(30)},
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["title"] == "Beta open in Wards 3 and 7"
    assert edited["description"] is None
    assert edited["earlier_targets"] == []
    assert edited["slip_days"] == 0
    (event,) = [
        e for e in await events(client, city, problem["id"]) if e["type"] == "milestone_updated"
    ]
    assert set(event["changes"]) == {"milestone", "title", "description"}

    # Nothing changes: no new version, no event.
    same = await _patch(client, city, problem, edited, {"title": "Beta open in Wards 3 and 7"})
    assert same.status_code == 200
    assert same.json()["version"] == edited["version"]
    assert (
        len(
            [
                e
                for e in await events(client, city, problem["id"])
                if e["type"] == "milestone_updated"
            ]
        )
        == 1
    )


async def test_states_derive_from_the_dates_and_today(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    upcoming = await _add(client, city, problem, title="Upcoming", target_date=_day(5))
    due_today = await _add(client, city, problem, title="Due today", target_date=_day(0))
    overdue = await _add(client, city, problem, title="Overdue", target_date=_day(-3))
    done = await _add(client, city, problem, title="Done", target_date=_day(5), done_on=_day(-1))
    on_the_day = await _add(
        client, city, problem, title="On the day", target_date=_day(-4), done_on=_day(-4)
    )
    late = await _add(client, city, problem, title="Late", target_date=_day(-10), done_on=_day(-2))
    states = {
        m["title"]: m["state"] for m in (upcoming, due_today, overdue, done, on_the_day, late)
    }
    assert states == {
        "Upcoming": "upcoming",
        "Due today": "upcoming",
        "Overdue": "overdue",
        "Done": "done",
        "On the day": "done",
        "Late": "done_late",
    }

    # Marking the overdue one done today: done late, and history says milestone_done.
    response = await _patch(client, city, problem, overdue, {"done_on": _day(0)})
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "done_late"
    # Reopening it: overdue again.
    reopened = await _patch(client, city, problem, response.json(), {"done_on": None})
    assert reopened.json()["state"] == "overdue"
    assert reopened.json()["done_on"] is None

    history = [e for e in await events(client, city, problem["id"]) if e["changes"].get("done_on")]
    done_events = [
        (e["type"], e["changes"]["done_on"]) for e in history if e["type"] != "milestone_added"
    ]
    assert done_events == [
        ("milestone_done", {"from": None, "to": _day(0)}),
        ("milestone_updated", {"from": _day(0), "to": None}),
    ]


async def test_patch_and_delete_need_the_milestones_etag(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    milestone = await _add(client, city, problem)
    url = _url(problem, milestone["id"])
    auth = city.auth("team_member")

    assert_problem_json(await client.patch(url, json={"title": "New"}, headers=auth), 428)
    assert_problem_json(await client.delete(url, headers=auth), 428)
    moved = await client.patch(
        url, json={"target_date": _day(40)}, headers={**auth, "If-Match": '"1"'}
    )
    assert moved.status_code == 200
    stale = {**auth, "If-Match": '"1"'}
    assert_problem_json(await client.patch(url, json={"title": "New"}, headers=stale), 412)
    assert_problem_json(await client.delete(url, headers=stale), 412)
    assert (await client.get(url, headers=auth)).json()["title"] == milestone["title"]

    response = await client.delete(url, headers={**auth, "If-Match": moved.headers["etag"]})
    assert response.status_code == 204, response.text
    assert_problem_json(await client.get(url, headers=auth), 404)
    assert (await client.get(_url(problem), headers=auth)).json()["items"] == []
    removed = (await events(client, city, problem["id"], who="requester"))[-1]
    assert removed["type"] == "milestone_removed"
    assert removed["changes"]["milestone"]["id"] == milestone["id"]
    assert removed["changes"]["target_date"] == {"from": _day(40), "to": None}
    assert removed["changes"]["earlier_targets"] == [_day(30)]


async def test_a_removed_milestone_is_gone_from_every_endpoint(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    kept = await _add(client, city, problem, title="Alpha open", target_date=_day(10))
    removed = await _add(client, city, problem, title="Beta open", target_date=_day(30))
    auth = city.auth("team_member")
    url = _url(problem, removed["id"])
    response = await client.delete(url, headers={**auth, "If-Match": '"1"'})
    assert response.status_code == 204, response.text

    again = {**auth, "If-Match": '"1"'}
    assert_problem_json(await client.get(url, headers=city.auth("requester")), 404)
    assert_problem_json(await client.patch(url, json={"title": "Back"}, headers=again), 404)
    assert_problem_json(await client.patch(url, json={"done_on": _day(0)}, headers=again), 404)
    assert_problem_json(await client.delete(url, headers=again), 404)
    listed = (await client.get(_url(problem), headers=city.auth("requester"))).json()
    assert [m["id"] for m in listed["items"]] == [kept["id"]]
    # One removal, one event: the refused retries wrote nothing.
    history = await events(client, city, problem["id"])
    assert [e["type"] for e in history if e["type"].startswith("milestone_")] == [
        "milestone_added",
        "milestone_added",
        "milestone_removed",
    ]


async def test_invalid_milestones_are_422(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    auth = city.auth("team_member")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": "Beta", "target_date": "2026-02-30"}, "target_date"),
        ({"title": "Beta", "target_date": "next week"}, "target_date"),
        ({"title": "Beta"}, "target_date"),
        ({"title": "   ", "target_date": _day(3)}, "title"),
        ({"title": "", "target_date": _day(3)}, "title"),
        ({"title": "x" * 201, "target_date": _day(3)}, "title"),
        ({"title": "Beta", "target_date": _day(3), "state": "done"}, "state"),
        ({"title": "Beta", "target_date": _day(3), "done_on": _day(1)}, "done_on"),
        ({"title": "Be\u0000ta", "target_date": _day(3)}, "title"),
    ]
    for body, field in cases:
        response = await client.post(_url(problem), json=body, headers=auth)
        errors = assert_problem_json(response, 422)["errors"]
        assert field in [e["field"] for e in errors], (body, errors)

    milestone = await _add(client, city, problem)
    etagged = {**auth, "If-Match": '"1"'}
    url = _url(problem, milestone["id"])
    for body, field in [
        ({"reason": "No date given"}, "reason"),
        ({"target_date": None}, "target_date"),
        ({"title": " "}, "title"),
        ({"done_on": _day(2)}, "done_on"),
        ({"version": 7}, "version"),
        ({"earlier_targets": []}, "earlier_targets"),
    ]:
        response = await client.patch(url, json=body, headers=etagged)
        errors = assert_problem_json(response, 422)["errors"]
        assert field in [e["field"] for e in errors], (body, errors)
    assert (await client.get(url, headers=auth)).json()["version"] == 1


async def test_a_milestone_of_another_problem_is_404(client: Client, city: City) -> None:
    first = await paired(client, city)
    second = await paired(client, city, team_name="Second Team", title="Potholes reported twice")
    milestone = await _add(client, city, first)
    auth = {**city.auth("team_member"), "If-Match": '"1"'}
    wrong = _url(second, milestone["id"])
    assert_problem_json(await client.get(wrong, headers=auth), 404)
    assert_problem_json(await client.patch(wrong, json={"title": "Moved"}, headers=auth), 404)
    assert_problem_json(await client.delete(wrong, headers=auth), 404)
    assert_problem_json(await client.get(_url(first, str(uuid.uuid4())), headers=auth), 404)
    assert_problem_json(
        await client.get(f"/api/v1/problems/{uuid.uuid4()}/milestones", headers=auth), 404
    )
    assert (await client.get(_url(first, milestone["id"]), headers=auth)).json()["version"] == 1


async def test_only_the_problems_triager_and_team_write(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "delivery")
    milestone = await _add(client, city, problem)
    await db.execute(
        "INSERT INTO people (id, email, name, department_id, roles) "
        "VALUES ($1, 'pm.two@city.example', 'Pat Two', $2, '{triager,team_member}')",
        uuid.uuid4(),
        city.departments["DTI"],
    )
    other_pm = {"Authorization": f"Bearer {city.keys.issue('pm.two@city.example')}"}
    outsiders = {who: city.auth(who) for who in ("requester", "health", "leader", "admin")} | {
        "other triager": other_pm
    }
    for auth in outsiders.values():
        created = await client.post(
            _url(problem), json={"title": "Mine", "target_date": _day(3)}, headers=auth
        )
        assert_problem_json(created, 403)
        edited = await client.patch(
            _url(problem, milestone["id"]),
            json={"title": "Mine"},
            headers={**auth, "If-Match": '"1"'},
        )
        assert_problem_json(edited, 403)
        removed = await client.delete(
            _url(problem, milestone["id"]), headers={**auth, "If-Match": '"1"'}
        )
        assert_problem_json(removed, 403)
    listed = await client.get(_url(problem), headers=city.auth("requester"))
    assert [m["title"] for m in listed.json()["items"]] == [milestone["title"]]


async def test_a_restricted_problems_milestones_are_hidden_from_other_departments(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "delivery", restricted=True)
    milestone = await _add(client, city, problem)
    for who in ("health", "parks"):
        auth = {**city.auth(who), "If-Match": '"1"'}
        assert_problem_json(await client.get(_url(problem), headers=auth), 404)
        assert_problem_json(await client.get(_url(problem, milestone["id"]), headers=auth), 404)
        created = await client.post(
            _url(problem), json={"title": "Peek", "target_date": _day(3)}, headers=auth
        )
        assert_problem_json(created, 404)
        assert_problem_json(
            await client.patch(_url(problem, milestone["id"]), json={"title": "x"}, headers=auth),
            404,
        )
    for who in ("requester", "leader"):
        assert (await client.get(_url(problem), headers=city.auth(who))).status_code == 200


async def test_milestones_change_only_while_the_work_is_open(client: Client, city: City) -> None:
    # Before acceptance there is no work to plan, even for the problem's triager.
    early = await submitted(client, city, title="Bus shelters have no lighting")
    assert (await act(client, city, early, "triage")).status_code == 200
    body = assert_problem_json(
        await client.post(
            _url(early),
            json={"title": "Plan", "target_date": _day(3)},
            headers=city.auth("triager"),
        ),
        409,
    )
    assert body["current_state"] == "triage"

    problem = await in_phase(client, city, "live")
    milestone = await _add(client, city, problem)
    review = {"result": "achieved", "summary": "Permits take 4 days.", "lessons": "Start early."}
    assert (await act(client, city, problem, "close", body=review)).status_code == 200
    auth = {**city.auth("team_member"), "If-Match": '"1"'}
    created = await client.post(
        _url(problem), json={"title": "Late", "target_date": _day(3)}, headers=auth
    )
    assert assert_problem_json(created, 409)["current_state"] == "closed"
    edited = await client.patch(
        _url(problem, milestone["id"]), json={"done_on": _day(0)}, headers=auth
    )
    assert_problem_json(edited, 409)
    assert_problem_json(await client.delete(_url(problem, milestone["id"]), headers=auth), 409)
    # Still readable after close.
    assert (await client.get(_url(problem, milestone["id"]), headers=auth)).status_code == 200


async def test_milestones_can_be_planned_while_accepted_and_on_hold(
    client: Client, city: City
) -> None:
    problem = await paired(client, city)
    assert problem["status"] == "accepted"
    await _add(client, city, problem, title="Discovery interviews done")
    assert (
        await act(client, city, problem, "hold", body={"reason": "Budget review"})
    ).status_code == 200
    await _add(client, city, problem, who="triager", title="Budget decision")


async def test_an_idempotency_key_replays_the_first_milestone(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    headers = {**city.auth("team_member"), "Idempotency-Key": "ms-create-1"}
    body = {"title": "Beta open", "target_date": _day(30)}
    first = await client.post(_url(problem), json=body, headers=headers)
    again = await client.post(_url(problem), json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    listed = await client.get(_url(problem), headers=city.auth("team_member"))
    assert len(listed.json()["items"]) == 1
    added = [e for e in await events(client, city, problem["id"]) if e["type"] == "milestone_added"]
    assert len(added) == 1
    other = await client.post(
        _url(problem), json={**body, "title": "Something else"}, headers=headers
    )
    assert_problem_json(other, 422)


async def test_days_outside_any_plan_are_refused_and_at_risk_keeps_working(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "delivery")
    milestone = await _add(client, city, problem)
    for day in ("9999-12-31", "0001-01-01"):
        assert_problem_json(
            await _patch(client, city, problem, milestone, {"target_date": day}), 422
        )
        response = await client.post(
            _url(problem),
            json={"title": "Far away", "target_date": day},
            headers=city.auth("team_member"),
        )
        assert_problem_json(response, 422)
    response = await client.get("/api/v1/portfolio/at-risk", headers=city.auth("leader"))
    assert response.status_code == 200, response.text
