"""The demo city is realistic and complete enough to tour every role."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from intake.composition import create_sessionmaker
from intake.config import Settings
from intake.db.session import create_engine
from intake.demo.seed import seed_demo_city
from intake.vocabulary.events import EVENT_TYPES
from intake.web.auth import LocalKeys
from tests.demo.agreement import assert_views_agree
from tests.helpers import Client


async def _seed(database_url: str, settings: Settings) -> bool:
    engine: AsyncEngine = create_engine(database_url, settings)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await seed_demo_city(session)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def demo_city(module_rows: None, database_url: str, settings: Settings) -> None:
    """The demo city, seeded once for this module's tests, which only read it."""
    assert await _seed(database_url, settings) is True


async def test_demo_city_has_departments_roles_teams_and_problems(
    demo_city: None,
    client: Client,
    db: asyncpg.Connection,
    database_url: str,
    settings: Settings,
    keys: LocalKeys,
) -> None:
    assert await _seed(database_url, settings) is False  # a second run adds nothing

    codes = {r["code"] for r in await db.fetch("SELECT code FROM departments")}
    assert "DTI" in codes
    assert len(codes - {"DTI"}) >= 5
    roles = {role for r in await db.fetch("SELECT roles FROM people") for role in r["roles"]}
    assert roles == {"requester", "triager", "team_member", "leadership", "admin"}
    teams = await db.fetch("SELECT disciplines, wip_limit FROM teams")
    assert len(teams) >= 3
    assert all(t["disciplines"] and t["wip_limit"] >= 1 for t in teams)
    states = {r["status"] for r in await db.fetch("SELECT status FROM problems")}
    # The seed replays history through the app's own actions: only the types they write.
    recorded = {r["type"] for r in await db.fetch("SELECT DISTINCT type FROM problem_events")}
    assert recorded <= set(EVENT_TYPES)
    assert await db.fetchval("SELECT count(*) FROM problems") >= 12
    assert len(states) >= 5

    token = {"Authorization": f"Bearer {keys.issue('triager@city.example')}"}
    listed = (await client.get("/api/v1/problems?limit=100", headers=token)).json()["items"]
    assert all(item["status"] != "draft" for item in listed)
    accepted = next(item for item in listed if item["status"] == "accepted")
    history = (
        await client.get(f"/api/v1/problems/{accepted['id']}/history", headers=token)
    ).json()["items"]
    states = [e["to_status"] for e in history if e["to_status"]]
    assert states == ["draft", "submitted", "triage", "accepted"]
    assert history[-1]["type"] == "team_assigned"  # paired with its team once accepted
    assert [e["occurred_at"] for e in history] == sorted(e["occurred_at"] for e in history)

    live = next(item for item in listed if item["status"] == "live")
    detail = (await client.get(f"/api/v1/problems/{live['id']}", headers=token)).json()
    assert detail["launched_at"] and detail["delivery_phase"] == "beta"
    assert detail["latest_update"]["status"] in {"on_track", "at_risk", "off_track"}
    history = (
        await client.get(f"/api/v1/problems/{live['id']}/history?limit=100", headers=token)
    ).json()["items"]
    types = [e["type"] for e in history]
    assert types.index("discovery_started") < types.index("launched")
    assert {"finding_added", "milestone_added", "update_posted", "measurement_recorded"} <= set(
        types
    )
    assert [e["occurred_at"] for e in history] == sorted(e["occurred_at"] for e in history)
    work = await db.fetchrow(
        "SELECT (SELECT count(*) FROM findings) AS findings, "
        "(SELECT count(*) FROM findings WHERE kind = 'journey_step') AS steps, "
        "(SELECT count(*) FROM milestones WHERE earlier_targets <> '[]') AS slipped, "
        "(SELECT count(*) FROM measurements) AS measurements"
    )
    assert work["findings"] >= 8 and work["steps"] >= 3
    discovery = next(item for item in listed if item["status"] == "discovery")
    for path in ("findings", "journey", "milestones", "updates", "metrics", "watchers"):
        response = await client.get(f"/api/v1/problems/{discovery['id']}/{path}", headers=token)
        assert response.status_code == 200, (path, response.text)
    journeys = [
        (await client.get(f"/api/v1/problems/{item['id']}/journey", headers=token)).json()
        for item in listed
        if item["status"] == "discovery"
    ]
    mapped = max(journeys, key=lambda journey: len(journey["steps"]))
    assert len(mapped["steps"]) >= 3
    assert all(step["pain_points"] for step in mapped["steps"])
    watchers = (
        await client.get(f"/api/v1/problems/{discovery['id']}/watchers", headers=token)
    ).json()
    assert len(watchers) >= 3  # submitter, triager and the team follow it
    assert work["slipped"] >= 1 and work["measurements"] >= 5
    # Its problems come with their similar problems stored, as if submitted through the API.
    unfilled = await db.fetchval(
        "SELECT count(*) FROM problems WHERE reference IS NOT NULL AND similar_computed_at IS NULL"
    )
    assert unfilled == 0
    found = (await client.get(f"/api/v1/problems/{live['id']}/similar", headers=token)).json()
    assert found and all(match["id"] != live["id"] for match in found)


async def test_the_seeded_city_tells_one_story(
    demo_city: None, client: Client, db: asyncpg.Connection, keys: LocalKeys
) -> None:
    """The portfolio's team load, SLA clocks and export say what the queue and the problems
    themselves say: the seed's history carries the triager, team and due-time changes."""
    leader = {"Authorization": f"Bearer {keys.issue('leader@city.example')}"}
    seen = await assert_views_agree(client, db, leader)
    # The story has all of its parts: paired teams, overdue clocks, named triagers.
    assert seen.team_load == await db.fetchval(
        "SELECT count(*) FROM problems WHERE team_id IS NOT NULL AND status IN "
        "('accepted', 'discovery', 'delivery', 'on_hold')"
    )
    assert seen.team_load >= 4 and seen.breached >= 1
    assert seen.exported_with_team >= 5 and seen.exported_with_triager >= 8
