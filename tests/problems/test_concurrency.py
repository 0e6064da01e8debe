"""Concurrency with real parallel requests (the app served by uvicorn: ``live``): gapless
references, one winner, one row per key."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.app import create_app
from intake.config import Settings
from intake.lib.clock import utcnow
from intake.triage.sla import breaches
from intake.web.gate import admitted
from tests.builders import COMPLETE_PROBLEM, City
from tests.helpers import PATIENCE, Client, assert_problem_json, draft, served, submit, until


async def test_concurrent_submits_get_unique_gapless_references(
    live: httpx.AsyncClient, city: City, db: asyncpg.Connection
) -> None:
    drafts = [await draft(live, city, title=f"Concurrent problem {n}") for n in range(12)]
    responses = await asyncio.gather(*(submit(live, city, p) for p in drafts))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    numbers = sorted(int(r.json()["reference"].rsplit("-", 1)[1]) for r in responses)
    assert numbers == list(range(1, 13))


async def test_submits_queued_on_the_counter_leave_connections_for_reads(
    settings: Settings, database_url: str, city: City, db: asyncpg.Connection
) -> None:
    """40 submits over real HTTP wait for the year's counter, which the test holds: a GET /me
    meanwhile still gets a connection and answers; released, they number 1 to 40."""
    small = replace(settings, db_pool_size=4, db_max_overflow=0, rate_limit_per_minute=0)
    year = utcnow().year
    await db.execute("INSERT INTO reference_counters (year, last_number) VALUES ($1, 0)", year)
    async with served(create_app(small, database_url)) as client:
        drafts = []
        for n in range(40):
            response = await client.post(
                "/api/v1/problems",
                json={**COMPLETE_PROBLEM, "title": f"Queued problem {n}"},
                headers=city.auth("requester"),
            )
            assert response.status_code == 201, response.text
            drafts.append((response.json()["id"], response.headers["etag"]))

        async def waiting_on_the_counter() -> bool:
            # The statistics are read once per transaction unless told to read them afresh.
            await db.execute("SELECT pg_stat_clear_snapshot()")
            waiting = await db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'intake' "
                "AND wait_event_type = 'Lock' AND query LIKE '%reference_counters%'"
            )
            return int(waiting) >= admitted(small)

        async with db.transaction():
            await db.execute("SELECT 1 FROM reference_counters WHERE year = $1 FOR UPDATE", year)
            submits = [
                asyncio.create_task(
                    client.post(
                        f"/api/v1/problems/{problem_id}/submit",
                        headers={**city.auth("requester"), "If-Match": tag},
                    )
                )
                for problem_id, tag in drafts
            ]
            await until(waiting_on_the_counter, "the submits to queue on the counter")
            me = await asyncio.wait_for(
                client.get("/api/v1/me", headers=city.auth("triager")), PATIENCE
            )
            assert me.status_code == 200, me.text
            assert not any(task.done() for task in submits)  # all still waiting for the counter
        responses = await asyncio.gather(*submits)
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    references = sorted(r.json()["reference"] for r in responses)
    assert references == [f"P-{year}-{n:05d}" for n in range(1, 41)]


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
