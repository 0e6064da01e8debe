"""Each test starts from an empty database and what a new app holds, though the suite keeps
one app running for the whole session and empties only the tables a test wrote to
(tests/conftest.py: ``Cleaner``, ``Apps``, ``fresh_state``)."""

from __future__ import annotations

import asyncpg
import pytest
from litestar import Litestar

from intake.db.backup import BOOKKEEPING
from intake.web.auth import LocalKeys
from tests.builders import City, build_city
from tests.conftest import Apps, Cleaner
from tests.helpers import Client, submitted


async def _rows(db: asyncpg.Connection) -> dict[str, int]:
    tables = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename <> 'alembic_version'"
    )
    counts = {}
    for row in tables:
        if row["tablename"] in BOOKKEEPING:  # no test's rows: kept as the migrations left them
            continue
        counts[row["tablename"]] = await db.fetchval(f'SELECT count(*) FROM "{row["tablename"]}"')
    return counts


async def _next_test(
    apps: Apps, app: Litestar, cleaner: Cleaner, db: asyncpg.Connection, keys: LocalKeys
) -> tuple[Client, City]:
    """What happens between two tests that share the app: its background work stops, the
    tables are emptied, and the next test gets the app and a new city."""
    apps.finish(app)
    await cleaner.clean()
    client = await apps.client(app)
    assert client is not None
    return client, await build_city(db, keys)


async def test_the_next_test_finds_every_table_empty_and_history_still_append_only(
    apps: Apps,
    app: Litestar,
    client: Client,
    city: City,
    db: asyncpg.Connection,
    cleaner: Cleaner,
    keys: LocalKeys,
) -> None:
    problem = await submitted(client, city)
    comment = await client.post(
        f"/api/v1/problems/{problem['id']}/comments",
        json={"body": "Seen in Ward 3 too."},
        headers=city.auth("requester"),
    )
    assert comment.status_code == 201, comment.text
    first_event = await db.fetchval("SELECT min(id) FROM problem_events")
    assert any((await _rows(db)).values())

    client, city = await _next_test(apps, app, cleaner, db, keys)
    assert {name: n for name, n in (await _rows(db)).items() if n} == {
        "departments": len(city.departments),
        "people": len(city.people),
    }
    problem = await submitted(client, city)
    # Numbering starts again, as after TRUNCATE ... RESTART IDENTITY.
    assert await db.fetchval("SELECT min(id) FROM problem_events") == first_event
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("UPDATE problem_events SET occurred_at = occurred_at")


async def test_the_next_test_sees_the_database_not_what_the_app_kept_from_the_last(
    apps: Apps,
    app: Litestar,
    client: Client,
    city: City,
    db: asyncpg.Connection,
    cleaner: Cleaner,
    keys: LocalKeys,
) -> None:
    """The queue keeps the SLA targets between requests; the next test's database has the
    default targets again, and its queue must say so."""
    sla = {"first_response_days": 1, "decision_days": 2, "timezone": "UTC"}
    response = await client.put("/api/v1/settings/sla", json=sla, headers=city.auth("admin"))
    assert response.status_code == 200, response.text
    await submitted(client, city)
    queue = await client.get("/api/v1/triage/queue", headers=city.auth("triager"))
    assert queue.json()["items"][0]["first_response"]["target_days"] == 1

    client, city = await _next_test(apps, app, cleaner, db, keys)
    await submitted(client, city)
    queue = await client.get("/api/v1/triage/queue", headers=city.auth("triager"))
    assert queue.json()["items"][0]["first_response"]["target_days"] == 3


async def test_the_next_test_finds_the_calendar_token_the_migrations_left(
    apps: Apps,
    app: Litestar,
    client: Client,
    city: City,
    db: asyncpg.Connection,
    cleaner: Cleaner,
    keys: LocalKeys,
) -> None:
    """The bookkeeping rows stay between tests, so the queue reads the SLA calendar it kept,
    as in production; a test that renewed the token or deleted the row leaves the
    migration's row to the next."""
    token = await db.fetchval("SELECT token FROM calendar_version")
    assert token is not None
    sla = {"first_response_days": 1, "decision_days": 2, "timezone": "UTC"}
    response = await client.put("/api/v1/settings/sla", json=sla, headers=city.auth("admin"))
    assert response.status_code == 200, response.text
    assert await db.fetchval("SELECT token FROM calendar_version") != token

    client, city = await _next_test(apps, app, cleaner, db, keys)
    assert await db.fetch("SELECT token FROM calendar_version") == [(token,)]
    await db.execute("DELETE FROM calendar_version")

    client, city = await _next_test(apps, app, cleaner, db, keys)
    assert await db.fetch("SELECT token FROM calendar_version") == [(token,)]
