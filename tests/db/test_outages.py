"""Outages answer like outages: while PostgreSQL is down, requests get 503 with Retry-After
and one log line each; the embedded database is started again by the process that owns it;
and killing PostgreSQL under load loses or doubles no acknowledged write.

These tests run on a PostgreSQL cluster of their own (in a temporary folder, fsync on, as in
production), never the suite's shared one: they stop and kill it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import secrets
import shutil
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from intake.app import create_app
from intake.config import Settings
from intake.db import migrate
from intake.db.embedded import DATABASE_NAME, EmbeddedPostgres
from intake.db.runtime import create_database_if_missing
from intake.web.auth import LocalKeys
from tests.builders import COMPLETE_PROBLEM, ROOT
from tests.helpers import PATIENCE, assert_problem_json, served, until

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)

EMAIL = "rosa.diaz@city.example"


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedPostgres]:
    """A cluster for this module alone, built by the migrations like any other. Under the
    repository's .intake/ as the suite's own: under root it runs as another user, who may not
    enter pytest's temporary folders."""
    data_dir = ROOT / ".intake" / f"outages-test-{os.getpid()}"
    server = EmbeddedPostgres(data_dir)
    server.start()
    try:
        asyncio.run(create_database_if_missing(server.url("postgres"), DATABASE_NAME))
        migrate.upgrade(server.url())
        yield server
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


async def _connect(server: EmbeddedPostgres) -> asyncpg.Connection:
    return await asyncpg.connect(server.url().replace("postgresql+asyncpg://", "postgresql://"))


@pytest.fixture
async def requester(cluster: EmbeddedPostgres, keys: LocalKeys) -> dict[str, str]:
    """An empty database with one requester; their Authorization header."""
    await asyncio.to_thread(cluster.start)  # a test before may have left it stopped
    db = await _connect(cluster)
    try:
        tables = await db.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
        names = ", ".join(f'"{row["tablename"]}"' for row in tables)
        await db.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        department = await db.fetchval(
            "INSERT INTO departments (id, code, name) VALUES ($1, 'DOT', 'Transportation') "
            "RETURNING id",
            uuid.uuid4(),
        )
        await db.execute(
            "INSERT INTO people (id, email, name, department_id, roles) "
            "VALUES ($1, $2, 'Rosa Diaz', $3, '{requester}')",
            uuid.uuid4(),
            EMAIL,
            department,
        )
    finally:
        await db.close()
    return {"Authorization": f"Bearer {keys.issue(EMAIL)}"}


def _postmaster(server: EmbeddedPostgres) -> int:
    return int((server.pgdata / "postmaster.pid").read_text().splitlines()[0])


@contextmanager
def warnings_logged() -> Iterator[list[logging.LogRecord]]:
    """What any logger writes at WARNING or above meanwhile. (The app configures logging when
    it starts, which takes pytest's caplog handler off the root logger.)"""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        yield records
    finally:
        logging.getLogger().removeHandler(handler)


# -- the database is down --------------------------------------------------------------------


async def test_while_the_database_is_down_requests_get_503_and_one_log_line_each(
    cluster: EmbeddedPostgres, requester: dict[str, str], settings: Settings
) -> None:
    requests = [
        ("GET", "/api/v1/me", None),
        ("GET", "/api/v1/problems", None),
        ("POST", "/api/v1/problems", {"title": "Permits take far too long"}),
    ]
    app = create_app(settings, cluster.url())
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/api/v1/me", headers=requester)).status_code == 200
        port = cluster.running_port()
        await asyncio.to_thread(cluster.stop)
        try:
            ids: list[str] = []
            with warnings_logged() as logged:
                for method, path, body in requests:
                    response = await client.request(method, path, json=body, headers=requester)
                    problem = assert_problem_json(response, 503)
                    assert response.headers["Retry-After"] == "2"
                    assert problem["request_id"] == response.headers["X-Request-ID"]
                    ids.append(problem["request_id"])
                ready = await client.get("/health/ready")
                assert_problem_json(ready, 503)
                assert ready.headers["Retry-After"] == "2"
                assert (await client.get("/health/live")).status_code == 200
        finally:
            await asyncio.to_thread(cluster.start, port)

        # One line per failed request, naming it; no traceback; nothing else above INFO.
        assert len(logged) == len(requests), [record.getMessage() for record in logged]
        for n, record in enumerate(logged):
            line = record.getMessage()
            assert f"(request {ids[n]})" in line
            assert "database is unreachable" in line
            assert "\n" not in line
            assert record.exc_info is None

        # Back by itself once the database is: the pool connects afresh.
        assert (await client.get("/api/v1/me", headers=requester)).status_code == 200
        assert (await client.get("/health/ready")).status_code == 200


async def test_while_the_database_is_down_pages_answer_503_pages(
    cluster: EmbeddedPostgres, requester: dict[str, str], settings: Settings
) -> None:
    """A signed-in person's pages get the API's answer to an outage, as a page: 503 with
    Retry-After and the pages' headers, not a 500."""
    token = secrets.token_urlsafe(32)
    db = await _connect(cluster)
    try:
        await db.execute(
            "INSERT INTO web_sessions (token_hash, person_id, csrf_token, expires_at) "
            "SELECT $1, id, 'csrf', now() + interval '1 hour' FROM people WHERE email = $2",
            hashlib.sha256(token.encode()).hexdigest(),
            EMAIL,
        )
    finally:
        await db.close()
    app = create_app(settings, cluster.url())
    async with AsyncTestClient(app=app) as client:
        client.cookies.set("intake_session", token)
        assert (await client.get("/")).status_code == 200
        port = cluster.running_port()
        await asyncio.to_thread(cluster.stop)
        try:
            for path in ("/", "/inbox", "/problems/new"):
                response = await client.get(path)
                assert response.status_code == 503, (path, response.text[:300])
                assert response.headers["content-type"].startswith("text/html")
                assert response.headers["Retry-After"] == "2"
                assert "Intake is not available right now" in response.text
                assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        finally:
            await asyncio.to_thread(cluster.start, port)
        assert (await client.get("/")).status_code == 200


async def test_a_write_cut_off_at_commit_is_not_acknowledged(
    cluster: EmbeddedPostgres, requester: dict[str, str], settings: Settings
) -> None:
    """The connection dies while PostgreSQL commits (a deferred trigger terminates the
    backend): the client is told 503, nothing was kept, and the retry creates it once."""
    db = await _connect(cluster)
    await db.execute(
        """
        CREATE FUNCTION die_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_terminate_backend(pg_backend_pid());
            PERFORM pg_sleep(5);
            RETURN NULL;
        END $$;
        CREATE CONSTRAINT TRIGGER die_at_commit AFTER INSERT ON problems
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION die_at_commit();
        """
    )
    try:
        app = create_app(settings, cluster.url())
        headers = {**requester, "Idempotency-Key": "permits-1"}
        body = {"title": "Permits take far too long"}
        async with AsyncTestClient(app=app) as client:
            cut_off = await client.post("/api/v1/problems", json=body, headers=headers)
            assert_problem_json(cut_off, 503)
            assert await db.fetchval("SELECT count(*) FROM problems") == 0
            await db.execute("DROP TRIGGER die_at_commit ON problems")
            retried = await client.post("/api/v1/problems", json=body, headers=headers)
            assert retried.status_code == 201, retried.text
            assert "Idempotent-Replayed" not in retried.headers
        assert await db.fetchval("SELECT count(*) FROM problems") == 1
    finally:
        await db.execute("DROP TRIGGER IF EXISTS die_at_commit ON problems")
        await db.execute("DROP FUNCTION die_at_commit()")
        await db.close()


# -- the embedded database is watched ----------------------------------------------------------


async def test_the_embedded_database_is_started_again_and_the_api_recovers_by_itself(
    cluster: EmbeddedPostgres, requester: dict[str, str], settings: Settings
) -> None:
    app = create_app(settings, cluster.url(), embedded=cluster)
    async with AsyncTestClient(app=app) as client:
        me = await client.get("/api/v1/me", headers=requester)
        assert me.status_code == 200
        port = cluster.running_port()
        os.kill(_postmaster(cluster), signal.SIGKILL)  # a crash, or the out-of-memory killer

        answers: list[int] = []

        async def answered(status: int) -> bool:
            response = await client.get("/api/v1/me", headers=requester)
            answers.append(response.status_code)
            if response.status_code == 503:
                assert_problem_json(response, 503)
                assert response.headers["Retry-After"] == "2"
            return response.status_code == status

        await until(lambda: answered(503), "the API to notice the database is gone")
        await until(lambda: answered(200), "the API to recover by itself")
        assert set(answers) <= {200, 503}, answers
        assert (await client.get("/health/ready")).status_code == 200
        assert (await client.get("/api/v1/me", headers=requester)).json() == me.json()
    assert cluster.running_port() == port  # same folder, same port


# -- the guarantee under load --------------------------------------------------------------------


@dataclass
class Load:
    """What the writers were told, and what they saw."""

    created: dict[str, str] = field(default_factory=dict)  # title -> id, acknowledged 201
    submitted: set[str] = field(default_factory=set)  # ids acknowledged 200
    statuses: list[int] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def _send(
    client: httpx.AsyncClient, load: Load, method: str, path: str, **kwargs: Any
) -> Any:
    """Send until the answer is not 503, waiting Retry-After between attempts."""
    deadline = time.monotonic() + PATIENCE
    while True:
        response = await client.request(method, path, **kwargs)
        load.statuses.append(response.status_code)
        if response.status_code != 503:
            return response
        assert time.monotonic() < deadline, f"{method} {path} still 503 after {PATIENCE} s"
        await asyncio.sleep(float(response.headers["Retry-After"]))


async def _write(client: httpx.AsyncClient, load: Load, writer: int, auth: dict[str, str]) -> None:
    """Create and submit problems until told to stop, retrying as a careful client does."""
    n = 0
    while not load.stop.is_set():
        title = f"Writer {writer} reports problem number {n}"
        headers = {**auth, "Idempotency-Key": f"writer-{writer}-{n}"}
        body = {**COMPLETE_PROBLEM, "title": title}
        created = await _send(client, load, "POST", "/api/v1/problems", json=body, headers=headers)
        assert created.status_code == 201, created.text
        problem_id = created.json()["id"]
        load.created[title] = problem_id
        submit = await _send(
            client,
            load,
            "POST",
            f"/api/v1/problems/{problem_id}/submit",
            headers={**auth, "If-Match": created.headers["ETag"]},
        )
        if submit.status_code == 412:  # an attempt went through, and its answer was lost
            current = await _send(
                client, load, "GET", f"/api/v1/problems/{problem_id}", headers=auth
            )
            assert current.json()["status"] == "submitted", current.text
        else:
            assert submit.status_code == 200, submit.text
            load.submitted.add(problem_id)
        n += 1


async def test_killing_postgres_under_load_loses_or_doubles_no_acknowledged_write(
    cluster: EmbeddedPostgres, requester: dict[str, str], settings: Settings
) -> None:
    app: Litestar = create_app(settings, cluster.url(), embedded=cluster)
    load = Load()
    async with served(app) as client:
        writers = [asyncio.create_task(_write(client, load, n, requester)) for n in range(6)]

        async def created(count: int) -> bool:
            for writer in writers:
                if writer.done():
                    writer.result()  # a writer that failed fails the test now
            return len(load.created) >= count

        try:
            await until(lambda: created(20), "20 acknowledged writes before the kill")
            os.kill(_postmaster(cluster), signal.SIGKILL)
            before = len(load.created)
            await until(lambda: created(before + 20), "20 more writes after the restart")
        finally:
            load.stop.set()
            await asyncio.wait_for(asyncio.gather(*writers), PATIENCE)

    assert 503 in load.statuses, "the kill was not noticed: the test proved nothing"
    assert set(load.statuses) <= {200, 201, 412, 503}, sorted(set(load.statuses))
    db = await _connect(cluster)
    try:
        rows = await db.fetch("SELECT id::text, title, status, reference FROM problems")
        events = await db.fetch("SELECT problem_id::text, type FROM problem_events")
    finally:
        await db.close()
    by_title: dict[str, list[Any]] = {}
    for row in rows:
        by_title.setdefault(row["title"], []).append(row)
    # Nothing doubled: each logical create (one Idempotency-Key) made one problem.
    assert all(len(same) == 1 for same in by_title.values())
    # Nothing lost: every acknowledged create and submit is there.
    for title, problem_id in load.created.items():
        assert [row["id"] for row in by_title[title]] == [problem_id]
    states = {row["id"]: row for row in rows}
    for problem_id in load.submitted:
        assert states[problem_id]["status"] == "submitted"
    # References stay gapless, and each change has its one history event.
    references = [row["reference"] for row in rows if row["reference"] is not None]
    assert all(re.fullmatch(r"P-\d{4}-\d{5}", reference) for reference in references)
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in references)
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= len(load.submitted)
    kinds = [(event["problem_id"], event["type"]) for event in events]
    assert sorted(kinds) == sorted(
        [(row["id"], "created") for row in rows]
        + [(row["id"], "submitted") for row in rows if row["reference"] is not None]
    )
