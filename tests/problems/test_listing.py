"""Lists: filters, full-text search and keyset pagination with a stable order."""

from __future__ import annotations

from tests.builders import City
from tests.helpers import Client, assert_problem_json, draft, submitted


async def _ids(client: Client, city: City, query: str, who: str = "triager") -> list[str]:
    response = await client.get(f"/api/v1/problems?{query}", headers=city.auth(who))
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_filters_by_status_department_submitter_and_restricted(
    client: Client, city: City
) -> None:
    dot = await submitted(client, city, title="Street closure permits are faxed")
    dot_restricted = await submitted(
        client, city, title="Crash data has names in it", restricted=True
    )
    dph = await submitted(client, city, "health", title="Clinic bookings by phone only")
    dot_draft = await draft(client, city, title="Signal timing complaints are lost")

    assert set(await _ids(client, city, "department=DOT", who="requester")) == {
        dot["id"],
        dot_restricted["id"],
        dot_draft["id"],
    }
    assert set(await _ids(client, city, "status=draft", who="requester")) == {dot_draft["id"]}
    assert set(await _ids(client, city, "status=submitted&department=dot")) == {
        dot["id"],
        dot_restricted["id"],
    }
    assert await _ids(client, city, "restricted=true") == [dot_restricted["id"]]
    submitter = city.people["health"]
    assert await _ids(client, city, f"submitter={submitter}") == [dph["id"]]


async def test_full_text_search_ranks_best_match_first(client: Client, city: City) -> None:
    best = await submitted(
        client,
        city,
        title="Tree permit inspections are booked by phone",
        problem_statement="Residents wait weeks for a tree permit inspection visit.",
    )
    other = await submitted(
        client,
        city,
        "health",
        title="Food truck permits expire without notice",
        problem_statement="Vendors learn their permit lapsed when inspected.",
    )
    meters = await submitted(
        client, city, title="Parking meters reject new coins", problem_statement="Coins jam meters."
    )
    assert await _ids(client, city, "q=tree%20permit") == [best["id"]]
    assert await _ids(client, city, "q=coins") == [meters["id"]]
    # Every record mentions permits somewhere; those with it in the title rank first.
    response = await client.get("/api/v1/problems?q=permit", headers=city.auth("triager"))
    items = response.json()["items"]
    assert {i["id"] for i in items[:2]} == {best["id"], other["id"]}
    assert items[2]["id"] == meters["id"]
    assert items[0]["rank"] >= items[1]["rank"] > items[2]["rank"]
    assert await _ids(client, city, "q=%22no%20such%20phrase%20anywhere%22") == []


async def test_search_never_leaks_hidden_problems(client: Client, city: City) -> None:
    await draft(client, city, title="Secret draft about ambulance routing")
    await submitted(client, city, title="Restricted ambulance dispatch records", restricted=True)
    assert await _ids(client, city, "q=ambulance", who="health") == []


async def test_pages_cover_everything_once_in_a_stable_order(client: Client, city: City) -> None:
    created = [(await draft(client, city, title=f"Problem number {n:02d}"))["id"] for n in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(f"/api/v1/problems?{query}", headers=city.auth("requester"))
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(created))


async def test_search_results_page_too(client: Client, city: City) -> None:
    for n in range(5):
        await submitted(client, city, title=f"Sidewalk repair request backlog {n}")
    first = (
        await client.get("/api/v1/problems?q=sidewalk&limit=2", headers=city.auth("triager"))
    ).json()
    second = (
        await client.get(
            f"/api/v1/problems?q=sidewalk&limit=2&cursor={first['next_cursor']}",
            headers=city.auth("triager"),
        )
    ).json()
    third = (
        await client.get(
            f"/api/v1/problems?q=sidewalk&limit=2&cursor={second['next_cursor']}",
            headers=city.auth("triager"),
        )
    ).json()
    ids = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert len(ids) == len(set(ids)) == 5
    assert third["next_cursor"] is None


async def test_limit_is_bounded_and_cursor_checked(client: Client, city: City) -> None:
    for query in (
        "limit=0",
        "limit=101",
        "limit=abc",
        "cursor=not-a-cursor",
        "status=bogus",
        "q=%00",
        "department=%00",
    ):
        response = await client.get(f"/api/v1/problems?{query}", headers=city.auth("triager"))
        body = assert_problem_json(response, 422)
        assert {e["source"] for e in body["errors"]} == {"query"}, body
