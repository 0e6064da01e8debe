"""The read replica: portfolio views, the export and the event feed read a real streaming
replica of the test PostgreSQL while it keeps up, and the primary when it lags or is down.

The replica is a hot standby made by ``pg_basebackup -R`` from the suite's cluster, with the
same binaries, for this module only. Replay is paused (``pg_wal_replay_pause()``) to make it
lag on purpose: what the replica cannot have yet tells which server answered.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY
from sqlalchemy.engine import make_url

from intake.app import create_app
from intake.config import Settings
from intake.db.embedded import EmbeddedPostgres
from intake.db.replica import NotAStandby, ReadReplica, measure_lag
from intake.db.session import create_engine
from tests.builders import City, plain_url
from tests.helpers import submitted, until

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
def standby(database_url: str, test_data_dir: Path) -> Iterator[EmbeddedPostgres]:
    """A streaming replica of the test cluster, next to it, thrown away afterwards."""
    server = EmbeddedPostgres(test_data_dir.with_name(f"{test_data_dir.name}-replica"))
    server.stop()  # a replica left behind by an interrupted run
    shutil.rmtree(server.data_dir, ignore_errors=True)
    server.follow(database_url)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)


@pytest.fixture
def replica_url(standby: EmbeddedPostgres, database_url: str) -> str:
    port = standby.running_port()
    return make_url(database_url).set(port=port).render_as_string(hide_password=False)


@pytest.fixture
async def replica(replica_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the replica; replay runs again afterwards, whatever happened."""
    connection = await asyncpg.connect(plain_url(replica_url))
    try:
        yield connection
    finally:
        await connection.execute("SELECT pg_wal_replay_resume()")
        await connection.close()


class _Said(logging.Handler):
    """The lines logged through it."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _app(settings: Settings, database_url: str, replica_url: str, max_lag: int) -> Litestar:
    with_replica = replace(
        settings, database_replica_url=replica_url, replica_max_lag_seconds=max_lag
    )
    return create_app(with_replica, database_url)


async def _caught_up(replica: asyncpg.Connection, db: asyncpg.Connection) -> None:
    written = await db.fetchval("SELECT pg_current_wal_insert_lsn()")

    async def replayed() -> bool:
        return bool(
            await replica.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", written)
        )

    await until(replayed, "the replica to replay what the primary wrote")


async def _submitted_count(client: Client, city: City) -> int:
    response = await client.get(
        "/api/v1/portfolio/summary",
        headers={**city.auth("leader"), "Cache-Control": "no-cache"},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


async def _feed(client: Client, city: City, cursor: str | None = None) -> dict[str, Any]:
    params = {"cursor": cursor} if cursor else {}
    response = await client.get("/api/v1/events", params=params, headers=city.auth("leader"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _export_rows(client: Client, city: City) -> int:
    response = await client.get("/api/v1/portfolio/export.csv", headers=city.auth("leader"))
    assert response.status_code == 200, response.text
    return len(response.text.strip().splitlines()) - 1  # less the header


async def test_views_export_and_feed_read_the_replica_once_it_has_caught_up(
    settings: Settings,
    database_url: str,
    replica_url: str,
    db: asyncpg.Connection,
    city: City,
    replica: asyncpg.Connection,
) -> None:
    async with AsyncTestClient(app=_app(settings, database_url, replica_url, 3600)) as client:
        first = await submitted(client, city)
        await _caught_up(replica, db)
        assert await _submitted_count(client, city) == 1
        assert await _export_rows(client, city) == 1
        page = await _feed(client, city)
        assert {item["problem"]["id"] for item in page["items"]} == {first["id"]}

        # The replica stops replaying: what is written now is on the primary only, and the
        # views, the export and the feed (all within the lag allowed) do not show it yet.
        await replica.execute("SELECT pg_wal_replay_pause()")
        second = await submitted(client, city)
        assert await db.fetchval("SELECT count(*) FROM problems") == 2
        assert await _submitted_count(client, city) == 1
        assert await _export_rows(client, city) == 1
        waiting = await _feed(client, city, page["next_cursor"])
        assert waiting["items"] == []

        # Replay resumes: the replica catches up, and the reader following the cursor gets
        # the second problem's events, none skipped, in the primary's order.
        await replica.execute("SELECT pg_wal_replay_resume()")

        async def shows_both() -> bool:
            return await _submitted_count(client, city) == 2

        await until(shows_both, "the portfolio to show the replayed problem")
        assert await _export_rows(client, city) == 2
        later = await _feed(client, city, waiting["next_cursor"])
    async with AsyncTestClient(app=create_app(settings, database_url)) as primary:
        on_primary = await _feed(primary, city)
    assert {item["problem"]["id"] for item in later["items"]} == {second["id"]}
    assert page["items"] + later["items"] == on_primary["items"]


async def test_reads_go_to_the_primary_while_the_replica_lags_too_far(
    settings: Settings,
    database_url: str,
    replica_url: str,
    db: asyncpg.Connection,
    city: City,
    replica: asyncpg.Connection,
) -> None:
    app = _app(settings, database_url, replica_url, 1)
    said = _Said()
    async with AsyncTestClient(app=app) as client:
        await submitted(client, city)
        await _caught_up(replica, db)

        async def on_the_replica() -> bool:
            return bool(app.state.reads.state.usable)

        await until(on_the_replica, "a measurement to find the replica caught up")
        logging.getLogger("intake.db.replica").addHandler(said)
        await replica.execute("SELECT pg_wal_replay_pause()")
        second = await submitted(client, city)

        async def shows_both() -> bool:
            return await _submitted_count(client, city) == 2

        # Only the primary has the second problem: once the lag passes a second, the
        # views, the export and the feed read it there.
        await until(shows_both, "the portfolio to read the primary")
        assert await replica.fetchval("SELECT count(*) FROM problems") == 1
        assert await _export_rows(client, city) == 2
        feed = await _feed(client, city)
        assert second["id"] in {item["problem"]["id"] for item in feed["items"]}
        lag = app.state.reads.lag_seconds()
        assert lag is not None and lag > 1
        assert (REGISTRY.get_sample_value("intake_replica_lag_seconds") or 0) > 1
        for _ in range(3):
            assert await _submitted_count(client, city) == 2
    logging.getLogger("intake.db.replica").removeHandler(said)
    moved = [line for line in said.lines if "Lagging reads go to the primary" in line]
    assert len(moved) == 1  # logged once, not per request
    assert "lag exceeds 1 seconds" in moved[0]


async def test_reads_go_to_the_primary_when_the_replica_is_down(
    settings: Settings,
    database_url: str,
    replica_url: str,
    standby: EmbeddedPostgres,
    db: asyncpg.Connection,
    city: City,
) -> None:
    app = _app(settings, database_url, replica_url, 3600)
    port = standby.running_port()
    async with AsyncTestClient(app=app) as client:
        await submitted(client, city)
        assert app.state.reads.state.usable
        await _feed(client, city)  # read on the replica: a connection to it is in the pool
        standby.stop()
        try:
            # The first request after the replica went away reads the primary already (its
            # pooled connection fails at checkout); so do all the others.
            await submitted(client, city)
            assert await _submitted_count(client, city) == 2
            assert await _export_rows(client, city) == 2
            assert len((await _feed(client, city))["items"]) == 4  # two created, two submitted
            assert not app.state.reads.state.usable
            assert app.state.reads.lag_seconds() is None
        finally:
            standby.start(port)

        async def back() -> bool:
            return bool(app.state.reads.state.usable)

        await until(back, "reads to go to the replica again")


async def test_lag_is_measured_against_the_primary(
    settings: Settings,
    database_url: str,
    replica_url: str,
    db: asyncpg.Connection,
    replica: asyncpg.Connection,
) -> None:
    primary_engine = create_engine(database_url, settings)
    replica_engine = create_engine(replica_url, settings)
    try:
        await db.execute(
            "INSERT INTO departments (id, code, name) VALUES (gen_random_uuid(), 'LAG', 'Lag')"
        )
        await _caught_up(replica, db)
        assert await measure_lag(primary_engine, replica_engine) == 0

        await replica.execute("SELECT pg_wal_replay_pause()")
        await db.execute(
            "INSERT INTO departments (id, code, name) VALUES (gen_random_uuid(), 'LAG2', 'Lag')"
        )

        async def lagging() -> bool:
            return await measure_lag(primary_engine, replica_engine) > 0.5

        await until(lagging, "the measured lag to grow while replay is paused")
        # The primary is no standby: it never answers as a replica.
        with pytest.raises(NotAStandby):
            await measure_lag(primary_engine, primary_engine)
    finally:
        await primary_engine.dispose()
        await replica_engine.dispose()


async def test_without_a_replica_reads_stay_on_the_primary(
    settings: Settings, database_url: str, client: Client, city: City
) -> None:
    reads: ReadReplica = client.app.state.reads
    assert not reads.configured
    assert reads.lag_seconds() is None
    await submitted(client, city)
    assert await _submitted_count(client, city) == 1
