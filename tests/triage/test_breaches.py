"""SLA breaches: each overdue clock is recorded once and its watchers hear of it; finished
clocks, and clocks paused before they ran out, never breach; sweeps run side by side, in the
background and from the CLI."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.app import create_app
from intake.config import Settings
from intake.lib.errors import ConfigError
from intake.triage.sla import breaches
from tests.builders import City
from tests.helpers import Client, act, events, intake, submitted

INBOX = "/api/v1/me/notifications"
SECOND = timedelta(seconds=1)


async def sweep(sessions: async_sessionmaker[AsyncSession], now: datetime, **options: Any) -> int:
    async with sessions() as session, session.begin():
        return await breaches.record_breaches(session, now, **options)


async def due_times(db: asyncpg.Connection, problem: dict[str, Any]) -> asyncpg.Record:
    row: asyncpg.Record = await db.fetchrow(
        "SELECT first_response_due_at, decision_due_at, first_response_breached_at, "
        "decision_breached_at FROM problems WHERE id = $1",
        uuid.UUID(problem["id"]),
    )
    return row


def breach_events(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in history if e["type"] == "sla_breached"]


async def test_each_clock_breaches_once_and_watchers_hear_of_it(
    client: Client, city: City, db: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    problem = await submitted(client, city)
    due = await due_times(db, problem)
    assert await sweep(sessions, due["first_response_due_at"]) == 0  # due, not yet past due

    after_first = due["first_response_due_at"] + SECOND
    assert await sweep(sessions, after_first) == 1
    assert await sweep(sessions, after_first) == 0  # a second sweep records nothing new
    after_decision = due["decision_due_at"] + SECOND
    assert await sweep(sessions, after_decision) == 1
    assert await sweep(sessions, after_decision + timedelta(days=30)) == 0

    recorded = breach_events(await events(client, city, problem["id"], who="requester"))
    assert [e["changes"] for e in recorded] == [
        {"clock": "first_response", "due_at": due["first_response_due_at"].isoformat()},
        {"clock": "decision", "due_at": due["decision_due_at"].isoformat()},
    ]
    assert all(e["actor"] is None for e in recorded)
    stamped = await due_times(db, problem)
    assert stamped["first_response_breached_at"] == after_first
    assert stamped["decision_breached_at"] == after_decision

    # The submitter follows the problem: two sla_breach notifications, newest first.
    body = (await client.get(INBOX, headers=city.auth("requester"))).json()
    decision, first = body["items"]
    assert (first["kind"], decision["kind"]) == ("sla_breach", "sla_breach")
    assert first["event"]["actor"] is None
    reference = problem["reference"]
    assert first["summary"].startswith(f"{reference} missed its first-response SLA (due ")
    assert decision["summary"].startswith(f"{reference} missed its decision SLA (due ")

    # The sweep is not an edit: the problem's ETag still holds for the triager's next action.
    response = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("triager"))
    assert response.headers["etag"] == problem["etag"]
    assert (await act(client, city, problem, "triage")).status_code == 200


async def test_a_paused_clock_does_not_breach_while_paused(
    client: Client, city: City, db: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    problem = await submitted(client, city)
    assert (await act(client, city, problem, "triage")).status_code == 200  # first response met
    body = {"questions": "Which wards?"}
    assert (await act(client, city, problem, "request-info", body=body)).status_code == 200
    due = await due_times(db, problem)
    assert due["decision_due_at"] is None

    far = due["first_response_due_at"] + timedelta(days=365)
    assert await sweep(sessions, far) == 0  # paused: the decision clock cannot breach
    assert breach_events(await events(client, city, problem["id"])) == []

    answer = {"answer": "Wards 3 and 7."}
    assert (
        await act(client, city, problem, "respond", who="requester", body=answer)
    ).status_code == 200
    resumed = await due_times(db, problem)
    assert await sweep(sessions, resumed["decision_due_at"] + SECOND) == 1
    (breach,) = breach_events(await events(client, city, problem["id"]))
    assert breach["changes"]["clock"] == "decision"
    # The triager follows the problem since triage and hears of it.
    (note,) = [
        n
        for n in (await client.get(INBOX, headers=city.auth("triager"))).json()["items"]
        if n["kind"] == "sla_breach"
    ]
    assert note["problem"]["id"] == problem["id"]


async def test_a_clock_that_ran_out_before_its_pause_is_recorded_while_paused(
    client: Client, city: City, db: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    problem = await submitted(client, city)
    assert (await act(client, city, problem, "triage")).status_code == 200
    # The decision ran out a minute ago, before the sweep came round; then the triager
    # asks the requester.
    overdue = datetime.now(UTC) - timedelta(minutes=1)
    await db.execute(
        "UPDATE problems SET decision_due_at = $2 WHERE id = $1", uuid.UUID(problem["id"]), overdue
    )
    body = {"questions": "Which wards?"}
    assert (await act(client, city, problem, "request-info", body=body)).status_code == 200
    assert (await due_times(db, problem))["decision_due_at"] == overdue  # paused, still late

    assert await sweep(sessions, datetime.now(UTC)) == 1
    (breach,) = breach_events(await events(client, city, problem["id"]))
    assert breach["changes"] == {"clock": "decision", "due_at": overdue.isoformat()}
    assert await sweep(sessions, datetime.now(UTC) + timedelta(days=30)) == 0


async def test_decided_and_withdrawn_problems_do_not_breach(
    client: Client, city: City, db: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    accepted = await submitted(client, city)
    for action in ("triage", "accept"):
        assert (await act(client, city, accepted, action)).status_code == 200
    withdrawn = await submitted(client, city)
    response = await act(
        client,
        city,
        withdrawn,
        "withdraw",
        who="requester",
        body={"reason": "Solved by the state."},
    )
    assert response.status_code == 200, response.text
    due = await due_times(db, withdrawn)
    assert await sweep(sessions, due["decision_due_at"] + timedelta(days=365)) == 0


async def test_sweeps_work_in_batches_and_skip_rows_someone_else_holds(
    client: Client, city: City, db: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    problems = [await submitted(client, city) for _ in range(3)]
    latest = max([(await due_times(db, p))["first_response_due_at"] for p in problems])
    now = latest + SECOND  # past every first-response due time, before any decision due time

    # Another transaction (a request, or another process's sweep) holds the first problem.
    holder = db.transaction()
    await holder.start()
    await db.execute(
        "SELECT 1 FROM problems WHERE id = $1 FOR UPDATE", uuid.UUID(problems[0]["id"])
    )
    try:
        # Not blocked by the held row: the other two are recorded, one batch at a time.
        assert await asyncio.wait_for(sweep(sessions, now, batch_size=1), timeout=30) == 2
    finally:
        await holder.rollback()
    assert await sweep(sessions, now, batch_size=1) == 1  # picked up once it is free
    assert await sweep(sessions, now, batch_size=1) == 0
    for problem in problems:
        assert len(breach_events(await events(client, city, problem["id"]))) == 1


# -- running the sweep ----------------------------------------------------------------------


async def test_the_loop_logs_a_failed_sweep_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[int] = []
    second_run = asyncio.Event()

    async def flaky() -> int:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("database restarting")
        second_run.set()
        return 2

    with caplog.at_level(logging.INFO, logger="intake"):
        loop = asyncio.create_task(breaches.sweep_every(flaky, 0.001))
        await asyncio.wait_for(second_run.wait(), timeout=10)
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failed and "SLA sweep failed" in failed[0].getMessage()
    assert failed[0].exc_info is not None
    assert any("Recorded 2 SLA breach" in r.getMessage() for r in caplog.records)


async def test_the_app_sweeps_in_the_background_and_stops_on_shutdown(
    client: Client,
    city: City,
    db: asyncpg.Connection,
    settings: Settings,
    database_url: str,
) -> None:
    problem = await submitted(client, city)
    await db.execute(
        "UPDATE problems SET first_response_due_at = now() - interval '1 hour' WHERE id = $1",
        uuid.UUID(problem["id"]),
    )
    app = create_app(replace(settings, sla_sweep_seconds=3600), database_url)
    async with AsyncTestClient(app=app):
        # The first sweep runs at start-up; wait (bounded) for it to commit.
        for _ in range(200):
            if (await due_times(db, problem))["first_response_breached_at"] is not None:
                break
            await asyncio.sleep(0.05)
    # Leaving the block shut the app down: the loop was cancelled, not left running.
    assert (await due_times(db, problem))["first_response_breached_at"] is not None
    assert len(breach_events(await events(client, city, problem["id"]))) == 1


# -- configuration and the CLI --------------------------------------------------------------


def test_sweep_interval_setting() -> None:
    assert Settings.from_env({}).sla_sweep_seconds == 60
    assert Settings.from_env({"INTAKE_SLA_SWEEP_SECONDS": "0"}).sla_sweep_seconds == 0
    assert Settings.from_env({"INTAKE_SLA_SWEEP_SECONDS": " 300 "}).sla_sweep_seconds == 300


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "INTAKE_SLA_SWEEP_SECONDS=-1 must be between 0 and 86400"),
        ("90000", "INTAKE_SLA_SWEEP_SECONDS=90000 must be between 0 and 86400"),
        ("1m", "INTAKE_SLA_SWEEP_SECONDS='1m' is not a whole number"),
    ],
)
def test_bad_sweep_interval_is_named(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"INTAKE_SLA_SWEEP_SECONDS": value})
    assert message in str(error.value)


async def test_cli_sla_sweep_runs_once_and_says_how_many(
    client: Client, city: City, db: asyncpg.Connection, settings: Settings, database_url: str
) -> None:
    problem = await submitted(client, city)
    await db.execute(
        "UPDATE problems SET first_response_due_at = now() - interval '1 minute' WHERE id = $1",
        uuid.UUID(problem["id"]),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env["INTAKE_DATABASE_URL"] = database_url
    env["INTAKE_DATA_DIR"] = str(settings.data_dir)

    def run() -> subprocess.CompletedProcess[str]:
        return intake("sla", "sweep", env=env)

    first = await asyncio.to_thread(run)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Recorded 1 SLA breach."
    second = await asyncio.to_thread(run)
    assert second.stdout.strip() == "Recorded 0 SLA breaches."
    assert len(breach_events(await events(client, city, problem["id"]))) == 1
