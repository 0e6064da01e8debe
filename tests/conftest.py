"""Test fixtures: a real PostgreSQL, built by the migrations, emptied between tests.

With INTAKE_TEST_DATABASE_URL unset, the suite runs its own embedded PostgreSQL in
``.intake/test`` (fsync off: the data is thrown away; INTAKE_TEST_DATA_DIR picks another
folder, so two runs side by side don't share a cluster). Each test gets a fresh app on a
database created once per run by ``alembic upgrade head``; every table is truncated after
each test, so tests exercise the real commit path, concurrency included.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.app import create_app
from intake.composition import create_sessionmaker
from intake.config import Settings
from intake.db import migrate
from intake.db.embedded import EmbeddedPostgres
from intake.db.session import create_engine
from intake.web.auth import LocalKeys

ROOT = Path(__file__).resolve().parents[1]
TEST_DATABASE = "intake_test"


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _recreate(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(_plain(_with_database(server_url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A PostgreSQL server the suite may create databases on."""
    configured = os.environ.get("INTAKE_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    data_dir = Path(os.environ.get("INTAKE_TEST_DATA_DIR") or ROOT / ".intake" / "test")
    server = EmbeddedPostgres(data_dir, fast_and_unsafe=True)
    started = server.start()
    try:
        yield server.url("postgres")
    finally:
        if started:
            server.stop()


@pytest.fixture(scope="session")
def database_url(server_url: str) -> str:
    """The test database, built by the migrations (never create_all)."""
    asyncio.run(_recreate(server_url, TEST_DATABASE))
    url = _with_database(server_url, TEST_DATABASE)
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return replace(
        Settings(),
        data_dir=tmp_path_factory.mktemp("intake-data"),
        seed_demo=False,
        sla_sweep_seconds=0,  # tests sweep explicitly, with their own `now`
        webhook_seconds=0,  # tests deliver webhooks explicitly, with their own `now`
        mail_seconds=0,  # tests send mail explicitly (test_mail.py runs the background pass)
        rate_limit_per_minute=0,  # the limiter has its own tests (test_rate_limit.py)
        portfolio_stale_seconds=0,  # views answer what was just written (test_portfolio_stale.py)
    )


@pytest.fixture(scope="session")
def keys(settings: Settings) -> LocalKeys:
    return LocalKeys(settings.data_dir)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection for looking behind the API; empties every table afterwards."""
    connection = await asyncpg.connect(_plain(database_url))
    try:
        yield connection
    finally:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
        names = ", ".join(f'"{row["tablename"]}"' for row in tables)
        await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        await connection.close()


@pytest.fixture
async def sessions(
    database_url: str, settings: Settings
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the test database, for calling service code the HTTP API does not reach
    (sweeps, caches, events without an endpoint)."""
    engine = create_engine(database_url, settings)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def app(settings: Settings, database_url: str) -> Litestar:
    return create_app(settings, database_url)


@pytest.fixture
async def client(app: Litestar, db: asyncpg.Connection) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@dataclass
class City:
    """A small city: departments and people in every role, with helpers for their tokens."""

    keys: LocalKeys
    departments: dict[str, uuid.UUID]
    people: dict[str, uuid.UUID]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.issue(EMAILS[who])}"}


EMAILS = {
    "requester": "rosa.diaz@city.example",  # DOT
    "requester2": "sam.park@city.example",  # DOT
    "health": "ines.moreau@city.example",  # DPH requester
    "parks": "tom.reyes@city.example",  # PRK requester
    "triager": "pm.one@city.example",  # DTI
    "team_member": "dev.one@city.example",  # DTI
    "leader": "cto@city.example",  # DTI leadership
    "admin": "ops@city.example",  # DTI admin
    "inactive": "gone@city.example",  # DOT requester, deactivated
}
_PEOPLE = {
    "requester": ("Rosa Diaz", "DOT", ["requester"]),
    "requester2": ("Sam Park", "DOT", ["requester"]),
    "health": ("Inès Moreau", "DPH", ["requester"]),
    "parks": ("Tom Reyes", "PRK", ["requester"]),
    "triager": ("Priya One", "DTI", ["triager"]),
    "team_member": ("Dev One", "DTI", ["team_member"]),
    "leader": ("Chief Tech", "MYR", ["leadership"]),
    "admin": ("Ops Admin", "DTI", ["admin"]),
    "inactive": ("Gone Person", "DOT", ["requester"]),
}
_DEPARTMENTS = {
    "DTI": "Department of Technology and Innovation",
    "DOT": "Department of Transportation",
    "DPH": "Department of Public Health",
    "PRK": "Parks and Recreation",
    "MYR": "Office of the Mayor",
}


@pytest.fixture
async def city(db: asyncpg.Connection, keys: LocalKeys) -> City:
    departments = {}
    for code, name in _DEPARTMENTS.items():
        departments[code] = await db.fetchval(
            "INSERT INTO departments (id, code, name) VALUES ($1, $2, $3) RETURNING id",
            uuid.uuid4(),
            code,
            name,
        )
    people = {}
    for who, (name, code, roles) in _PEOPLE.items():
        people[who] = await db.fetchval(
            "INSERT INTO people (id, email, name, department_id, roles, active) "
            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            uuid.uuid4(),
            EMAILS[who],
            name,
            departments[code],
            roles,
            who != "inactive",
        )
    return City(keys=keys, departments=departments, people=people)


COMPLETE_PROBLEM = {
    "title": "Residents wait weeks for a street tree planting permit",
    "problem_statement": (
        "Residents who want a street tree fill in a paper form and wait four to six weeks "
        "for an inspector. Many give up before anyone visits."
    ),
    "affected_groups": ["residents"],
    "affected_people_per_year": 2400,
    "current_process": "Paper form by mail, keyed in by a clerk, inspection booked by phone.",
    "workarounds": "Clerks track pending visits in a shared spreadsheet.",
    "impact_staff_hours_per_year": 1800,
    "impact_resident_burden": "Two trips or calls per permit; 40% of applicants abandon.",
    "desired_outcome": "Residents know within a week whether they can plant.",
    "success_measures": "Median days from request to decision; abandonment rate.",
    "data_sensitivity": "internal",
    "communities_affected": ["Ward 3", "Ward 7"],
}
