"""Concurrency with real parallel requests (the app served by uvicorn: ``live``): gapless
references, one winner, one row per key."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.triage.sla import breaches
from tests.builders import COMPLETE_PROBLEM, City
from tests.helpers import Client, assert_problem_json, draft, submit


async def test_concurrent_submits_get_unique_gapless_references(
    live: httpx.AsyncClient, city: City, db: asyncpg.Connection
) -> None:
    drafts = [await draft(live, city, title=f"Concurrent problem {n}") for n in range(12)]
    responses = await asyncio.gather(*(submit(live, city, p) for p in drafts))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    numbers = sorted(int(r.json()["reference"].rsplit("-", 1)[1]) for r in responses)
    assert numbers == list(range(1, 13))


async def test_failed_submit_does_not_burn_a_reference(client: Client, city: City) -> None:
    incomplete = await draft(client, city, problem_statement=None)
    assert (await submit(client, city, incomplete)).status_code == 422
    complete = await draft(client, city)
    response = await submit(client, city, complete)
    assert response.json()["reference"].endswith("-00001")


async def test_two_edits_with_the_same_etag_one_wins(live: httpx.AsyncClient, city: City) -> None:
    problem = await draft(live, city)
    url = f"/api/v1/problems/{problem['id']}"

    async def edit(who: str, text: str):  # type: ignore[no-untyped-def]
        return await live.patch(
            url, json={"workarounds": text}, headers={**city.auth(who), "If-Match": problem["etag"]}
        )

    results = await asyncio.gather(edit("requester", "first"), edit("requester2", "second"))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 412]
    winner = next(r for r in results if r.status_code == 200).json()["workarounds"]
    current = (await live.get(url, headers=city.auth("requester"))).json()
    assert current["workarounds"] == winner
    assert current["version"] == 2


async def test_idempotent_create_replays_the_first_response(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    headers = {**city.auth("requester"), "Idempotency-Key": "create-tree-permit-1"}
    first = await client.post("/api/v1/problems", json=COMPLETE_PROBLEM, headers=headers)
    again = await client.post("/api/v1/problems", json=COMPLETE_PROBLEM, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await db.fetchval("SELECT count(*) FROM problems") == 1


async def test_same_key_with_a_different_body_is_422(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    headers = {**city.auth("requester"), "Idempotency-Key": "k-1"}
    await client.post("/api/v1/problems", json=COMPLETE_PROBLEM, headers=headers)
    other = await client.post(
        "/api/v1/problems", json={**COMPLETE_PROBLEM, "title": "Another one"}, headers=headers
    )
    body = assert_problem_json(other, 422)
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert await db.fetchval("SELECT count(*) FROM problems") == 1


async def test_keys_belong_to_their_person(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    for who in ("requester", "requester2"):
        headers = {**city.auth(who), "Idempotency-Key": "shared-key"}
        assert (
            await client.post("/api/v1/problems", json=COMPLETE_PROBLEM, headers=headers)
        ).status_code == 201
    assert await db.fetchval("SELECT count(*) FROM problems") == 2


async def test_concurrent_duplicates_create_one_row(
    live: httpx.AsyncClient, city: City, db: asyncpg.Connection
) -> None:
    headers = {**city.auth("requester"), "Idempotency-Key": "racing-retries"}
    responses = await asyncio.gather(
        *(live.post("/api/v1/problems", json=COMPLETE_PROBLEM, headers=headers) for _ in range(6))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await db.fetchval("SELECT count(*) FROM problems") == 1
    assert await db.fetchval("SELECT count(*) FROM problem_events") == 1


async def test_idempotent_submit_replays_instead_of_409(client: Client, city: City) -> None:
    problem = await draft(client, city)
    headers = {**city.auth("requester"), "If-Match": problem["etag"], "Idempotency-Key": "submit-1"}
    url = f"/api/v1/problems/{problem['id']}/submit"
    first = await client.post(url, headers=headers)
    retry = await client.post(url, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert retry.json()["reference"] == first.json()["reference"]
    other = await draft(client, city)
    reused = await client.post(
        f"/api/v1/problems/{other['id']}/submit", headers={**headers, "If-Match": other["etag"]}
    )
    assert_problem_json(reused, 422)


async def test_failed_request_releases_its_key(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await draft(client, city, problem_statement=None)
    headers = {
        **city.auth("requester"),
        "If-Match": problem["etag"],
        "Idempotency-Key": "retry-after-fix",
    }
    url = f"/api/v1/problems/{problem['id']}/submit"
    assert (await client.post(url, headers=headers)).status_code == 422
    fixed = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json={"problem_statement": "Now described."},
        headers={**city.auth("requester"), "If-Match": problem["etag"]},
    )
    response = await client.post(url, headers={**headers, "If-Match": fixed.headers["etag"]})
    assert response.status_code == 200


async def test_a_key_older_than_a_day_is_used_afresh_and_the_sweep_forgets_it(
    client: Client, city: City, db: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = {**city.auth("requester"), "Idempotency-Key": "monthly-report"}
    first = await client.post("/api/v1/problems", json=COMPLETE_PROBLEM, headers=headers)
    fresh = await client.post(
        "/api/v1/problems", json=COMPLETE_PROBLEM, headers={**headers, "Idempotency-Key": "new"}
    )
    await db.execute(
        "UPDATE idempotency_records SET created_at = now() - interval '25 hours' WHERE key = $1",
        "monthly-report",
    )
    # A day later the key means nothing: the same key with another body creates anew.
    later = await client.post(
        "/api/v1/problems", json={**COMPLETE_PROBLEM, "title": "Another month"}, headers=headers
    )
    assert later.status_code == 201 and "idempotent-replayed" not in later.headers
    assert later.json()["id"] != first.json()["id"]
    retried = await client.post(
        "/api/v1/problems", json={**COMPLETE_PROBLEM, "title": "Another month"}, headers=headers
    )
    assert retried.json()["id"] == later.json()["id"]

    await db.execute(
        "UPDATE idempotency_records SET created_at = now() - interval '25 hours' WHERE key = $1",
        "monthly-report",
    )
    await breaches.sweep(sessions)
    assert await db.fetch("SELECT key FROM idempotency_records") == [("new",)]
    assert fresh.status_code == 201
