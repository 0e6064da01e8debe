"""Status updates: a log leadership reads, newest on the problem, posted by the problem's team."""

from __future__ import annotations

from typing import Any

from tests.builders import City
from tests.helpers import Client, act, assert_problem_json, events, in_phase, paired, submitted


def _url(problem: dict[str, Any]) -> str:
    return f"/api/v1/problems/{problem['id']}/updates"


async def _post(
    client: Client,
    city: City,
    problem: dict[str, Any],
    status: str,
    summary: str,
    who: str = "team_member",
) -> dict[str, Any]:
    response = await client.post(
        _url(problem), json={"status": status, "summary": summary}, headers=city.auth(who)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_the_newest_update_shows_on_the_problem(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    detail = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("leader"))
    assert detail.json()["latest_update"] is None

    response = await client.post(
        _url(problem),
        json={"status": "on_track", "summary": "  Alpha tested with 12 residents. "},
        headers=city.auth("team_member"),
    )
    assert response.status_code == 201, response.text
    first = response.json()
    assert response.headers["location"] == f"{_url(problem)}/{first['id']}"
    assert first["status"] == "on_track"
    assert first["summary"] == "Alpha tested with 12 residents."
    assert first["author"] == {"id": str(city.people["team_member"]), "name": "Dev One"}
    assert first["created_at"]
    second = await _post(
        client, city, problem, "at_risk", "Translation vendor is late.", who="triager"
    )

    for who in ("leader", "requester", "health"):
        detail = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth(who))
        assert detail.json()["latest_update"] == second, who
        listed = await client.get(_url(problem), headers=city.auth(who))
        assert listed.status_code == 200
        assert [u["id"] for u in listed.json()["items"]] == [second["id"], first["id"]]

    one = await client.get(response.headers["location"], headers=city.auth("requester"))
    assert one.status_code == 200
    assert one.json() == first
    # The problem's own version does not move: an update is not an edit of the record.
    assert detail.json()["version"] == problem["version"]


async def test_updates_page_newest_first(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "discovery")
    posted = [
        await _post(client, city, problem, "on_track", f"Week {week} of discovery.")
        for week in range(1, 6)
    ]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(_url(problem), params=params, headers=city.auth("leader"))
        assert page.status_code == 200, page.text
        seen += [u["summary"] for u in page.json()["items"]]
        pages += 1
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [u["summary"] for u in reversed(posted)]

    bad = await client.get(
        _url(problem), params={"cursor": "not-ours"}, headers=city.auth("leader")
    )
    assert assert_problem_json(bad, 422)["errors"][0]["field"] == "cursor"
    assert_problem_json(
        await client.get(_url(problem), params={"limit": 0}, headers=city.auth("leader")), 422
    )


async def test_each_update_is_in_history_with_its_status_and_summary(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "delivery")
    first = await _post(client, city, problem, "on_track", "Alpha tested.")
    second = await _post(client, city, problem, "off_track", "Vendor contract lapsed.")
    posted = [
        e
        for e in await events(client, city, problem["id"], who="requester")
        if e["type"] == "update_posted"
    ]
    assert [e["changes"] for e in posted] == [
        {
            "update": {"id": first["id"]},
            "status": {"from": None, "to": "on_track"},
            "summary": "Alpha tested.",
        },
        {
            "update": {"id": second["id"]},
            "status": {"from": "on_track", "to": "off_track"},
            "summary": "Vendor contract lapsed.",
        },
    ]
    assert all(e["actor"]["name"] == "Dev One" for e in posted)


async def test_updates_are_never_edited(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    update = await _post(client, city, problem, "on_track", "Alpha tested.")
    url = f"{_url(problem)}/{update['id']}"
    headers = {**city.auth("team_member"), "If-Match": '"1"'}
    assert_problem_json(await client.patch(url, json={"status": "at_risk"}, headers=headers), 405)
    assert_problem_json(await client.delete(url, headers=headers), 405)
    assert (await client.get(url, headers=headers)).json() == update


async def test_invalid_updates_are_422(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    auth = city.auth("team_member")
    for body, field in [
        ({"status": "green", "summary": "Fine."}, "status"),
        ({"summary": "Fine."}, "status"),
        ({"status": "on_track"}, "summary"),
        ({"status": "on_track", "summary": ""}, "summary"),
        ({"status": "on_track", "summary": "   "}, "summary"),
        ({"status": "on_track", "summary": "x" * 5001}, "summary"),
        ({"status": "on_track", "summary": "Fine.", "author_id": "me"}, "author_id"),
    ]:
        response = await client.post(_url(problem), json=body, headers=auth)
        errors = assert_problem_json(response, 422)["errors"]
        assert field in [e["field"] for e in errors], (body, errors)
    assert (await client.get(_url(problem), headers=auth)).json()["items"] == []


async def test_only_the_problems_triager_and_team_post_updates(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    for who in ("requester", "health", "leader", "admin"):
        response = await client.post(
            _url(problem), json={"status": "on_track", "summary": "Me too."}, headers=city.auth(who)
        )
        assert_problem_json(response, 403)
    detail = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("leader"))
    assert detail.json()["latest_update"] is None


async def test_a_restricted_problems_updates_are_hidden_from_other_departments(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "delivery", restricted=True)
    update = await _post(client, city, problem, "at_risk", "Data sharing agreement pending.")
    for who in ("health", "parks"):
        auth = city.auth(who)
        assert_problem_json(await client.get(_url(problem), headers=auth), 404)
        assert_problem_json(await client.get(f"{_url(problem)}/{update['id']}", headers=auth), 404)
        response = await client.post(
            _url(problem), json={"status": "on_track", "summary": "Peek."}, headers=auth
        )
        assert_problem_json(response, 404)
    for who in ("requester", "leader"):
        listed = await client.get(_url(problem), headers=city.auth(who))
        assert [u["id"] for u in listed.json()["items"]] == [update["id"]]


async def test_an_update_of_another_problem_is_404(client: Client, city: City) -> None:
    first = await paired(client, city)
    second = await paired(client, city, team_name="Second Team", title="Potholes reported twice")
    update = await _post(client, city, first, "on_track", "Interviews booked.")
    response = await client.get(f"{_url(second)}/{update['id']}", headers=city.auth("team_member"))
    assert_problem_json(response, 404)


async def test_updates_are_posted_while_the_work_is_open(client: Client, city: City) -> None:
    # Not before acceptance, even by the problem's triager.
    early = await submitted(client, city, title="Bus shelters have no lighting")
    assert (await act(client, city, early, "triage")).status_code == 200
    response = await client.post(
        _url(early), json={"status": "on_track", "summary": "Soon."}, headers=city.auth("triager")
    )
    assert assert_problem_json(response, 409)["current_state"] == "triage"

    problem = await paired(client, city, team_name="Lighting Team")
    await _post(client, city, problem, "at_risk", "Team starts after the permits work.")
    assert (await act(client, city, problem, "hold", body={"reason": "Budget"})).status_code == 200
    await _post(client, city, problem, "off_track", "On hold until the budget vote.")
    assert (await act(client, city, problem, "resume")).status_code == 200
    for action, body in [
        ("start-discovery", None),
        ("start-delivery", {"phase": "beta"}),
        ("launch", None),
    ]:
        assert (await act(client, city, problem, action, body=body)).status_code == 200
        await _post(client, city, problem, "on_track", f"After {action}.")
    review = {"result": "achieved", "summary": "Lit.", "lessons": "Ask residents first."}
    assert (await act(client, city, problem, "close", body=review)).status_code == 200
    response = await client.post(
        _url(problem), json={"status": "on_track", "summary": "Late."}, headers=city.auth("triager")
    )
    assert assert_problem_json(response, 409)["current_state"] == "closed"
    listed = await client.get(_url(problem), headers=city.auth("leader"))
    assert len(listed.json()["items"]) == 5


async def test_an_idempotency_key_replays_the_first_update(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    headers = {**city.auth("team_member"), "Idempotency-Key": "update-2026-w12"}
    body = {"status": "at_risk", "summary": "Vendor late."}
    first = await client.post(_url(problem), json=body, headers=headers)
    again = await client.post(_url(problem), json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    listed = await client.get(_url(problem), headers=city.auth("leader"))
    assert len(listed.json()["items"]) == 1
    history = await events(client, city, problem["id"])
    assert len([e for e in history if e["type"] == "update_posted"]) == 1
    changed = await client.post(
        _url(problem), json={**body, "status": "off_track"}, headers=headers
    )
    assert_problem_json(changed, 422)
