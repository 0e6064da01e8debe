"""The demo city is realistic and complete enough to tour every role."""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from intake.config import Settings
from intake.db.session import create_engine, create_sessionmaker
from intake.demo.seed import seed_demo_city
from intake.lib.auth import LocalKeys
from tests.helpers import Client


async def _seed(database_url: str, settings: Settings) -> bool:
    engine: AsyncEngine = create_engine(database_url, settings)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await seed_demo_city(session)
    finally:
        await engine.dispose()


async def test_demo_city_has_departments_roles_teams_and_problems(
    client: Client, db: asyncpg.Connection, database_url: str, settings: Settings, keys: LocalKeys
) -> None:
    assert await _seed(database_url, settings) is True
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
    assert await db.fetchval("SELECT count(*) FROM problems") >= 12
    assert len(states) >= 5

    token = {"Authorization": f"Bearer {keys.issue('triager@city.example')}"}
    listed = (await client.get("/api/v1/problems?limit=100", headers=token)).json()["items"]
    assert all(item["status"] != "draft" for item in listed)
    accepted = next(item for item in listed if item["status"] == "accepted")
    history = (
        await client.get(f"/api/v1/problems/{accepted['id']}/history", headers=token)
    ).json()["items"]
    assert [e["to_status"] for e in history] == ["draft", "submitted", "triage", "accepted"]
    assert [e["occurred_at"] for e in history] == sorted(e["occurred_at"] for e in history)
