"""Test fixtures: a real PostgreSQL, built by the migrations, emptied between tests.

With INTAKE_TEST_DATABASE_URL unset, the suite runs its own embedded PostgreSQL in
``.intake/test`` (fsync off: the data is thrown away; INTAKE_TEST_DATA_DIR picks another
folder, so two runs side by side don't share a cluster; each pytest-xdist worker has a cluster
of its own beside it). The database is created once per run by ``alembic upgrade head``.
Requests commit for real, concurrency included; after each test the tables it wrote to are
emptied (``Cleaner``).

Building an app costs far more than most tests (Litestar reads every handler's signature), so
the suite builds one app per settings and keeps it running, lifespan, engine and pool
included, for the whole session (``Apps``). Each test still starts from what a new app would
hold: ``fresh_state`` renews the caches it keeps between requests. Requests that must really
race go to an app served by uvicorn in the tests' loop (``live``); the test client runs one
at a time.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.app import create_app
from intake.composition import create_sessionmaker
from intake.config import Settings
from intake.db import migrate
from intake.db.backup import BOOKKEEPING
from intake.db.embedded import EmbeddedPostgres
from intake.db.replica import ReplicaState
from intake.db.session import create_engine
from intake.lib.clock import utcnow
from intake.portfolio import scope as portfolio_scope
from intake.portfolio.caching import ViewBodies
from intake.web.auth import LocalKeys, create_verifier
from tests.builders import ROOT, City, build_city, plain_url, recreate_database, with_database
from tests.helpers import served, until

Steady = Callable[[], Awaitable[None]]

pytest_plugins = ["tests.timing"]

TEST_DATABASE = "intake_test"


@pytest.fixture(scope="session")
def worker(pytestconfig: pytest.Config) -> str | None:
    """This process's pytest-xdist worker id (``gw0``, ...), None when the run has no workers."""
    workerinput: dict[str, str] = getattr(pytestconfig, "workerinput", {})
    return workerinput.get("workerid")


@pytest.fixture(scope="session")
def test_data_dir(worker: str | None) -> Path:
    """The folder of this process's embedded cluster: ``.intake/test``, or ``.intake/test-gw0``
    in worker gw0. A cluster per worker, not a database: the event feed and webhooks hold back
    events behind the oldest transaction running anywhere in the cluster (pg_snapshot_xmin),
    so another worker's transactions would hold back this one's events."""
    base = Path(os.environ.get("INTAKE_TEST_DATA_DIR") or ROOT / ".intake" / "test")
    return base.with_name(f"{base.name}-{worker}") if worker else base


@pytest.fixture(scope="session")
def server_url(test_data_dir: Path) -> Iterator[str]:
    """A PostgreSQL server the suite may create databases on."""
    configured = os.environ.get("INTAKE_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    server = EmbeddedPostgres(test_data_dir, fast_and_unsafe=True)
    started = server.start()
    try:
        yield server.url("postgres")
    finally:
        if started:
            server.stop()


@pytest.fixture(scope="session")
def database_url(server_url: str, worker: str | None) -> str:
    """The test database, built by the migrations (never create_all); a worker's own name
    too, should the workers share a server (INTAKE_TEST_DATABASE_URL)."""
    name = f"{TEST_DATABASE}_{worker}" if worker else TEST_DATABASE
    asyncio.run(recreate_database(server_url, name))
    url = with_database(server_url, name)
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
        mail_seconds=0,  # tests send mail explicitly (tests/mail runs the background pass)
        meaning_seconds=0,  # tests embed explicitly (tests/triage/test_similar_meaning.py)
        rate_limit_per_minute=0,  # the limiter has its own tests (tests/lib/test_rate_limit.py)
        portfolio_stale_seconds=0,  # views answer what was just written (portfolio/test_stale.py)
    )


@pytest.fixture(scope="session")
def keys(settings: Settings) -> LocalKeys:
    return LocalKeys(settings.data_dir)


# -- emptying the tables between tests --------------------------------------------------------


class Cleaner:
    """Empties every table a test wrote to, as ``TRUNCATE ... RESTART IDENTITY`` would.

    TRUNCATE makes new files for each table and index, about 50 ms for the whole schema
    whatever it holds; most tests write a few rows to a few tables. So the cleaner asks which
    tables hold rows (one query), deletes those rows children first (foreign keys), with
    the triggers that refuse deletes (append-only history) set aside meanwhile, and restarts
    the sequences the tables own. Past ``DELETE_AT_MOST`` rows (bulk tests) TRUNCATE is the
    cheaper, and a schema whose foreign keys form a cycle can only be truncated.

    The ``BOOKKEEPING`` tables (``intake.db.backup``) keep the rows the migrations put in
    them, as a new database has them: a test that changed or deleted them gets them back.
    So the SLA calendar's token stays, and the queue reads the calendar a process kept, as
    in production, instead of having it sent on every read.
    """

    DELETE_AT_MOST = 1000

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection
        self.tables: list[str] = []  # children before their parents
        self.guarded: set[str] = set()  # tables with a trigger on DELETE
        self.sequences: list[int] = []  # the oids of the sequences the tables own
        self.kept: dict[str, str] = {}  # a bookkeeping table: its rows after the migrations
        self.truncate = False

    @classmethod
    async def connect(cls, url: str) -> Cleaner:
        cleaner = cls(await asyncpg.connect(plain_url(url)))
        await cleaner._read_schema()
        return cleaner

    async def _read_schema(self) -> None:
        rows = await self.connection.fetch(
            "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
            "AND c.relname <> 'alembic_version'"
        )
        names = {row["oid"]: row["relname"] for row in rows if row["relname"] not in BOOKKEEPING}
        kept = sorted(BOOKKEEPING & {row["relname"] for row in rows})
        self._kept_sql = "SELECT " + ", ".join(f'{_rows_of(name)} AS "{name}"' for name in kept)
        if kept:
            self.kept = dict(await self.connection.fetchrow(self._kept_sql))
        parents: dict[str, set[str]] = {name: set() for name in names.values()}
        for row in await self.connection.fetch(
            "SELECT conrelid, confrelid FROM pg_constraint WHERE contype = 'f'"
        ):
            child, parent = names.get(row["conrelid"]), names.get(row["confrelid"])
            if child and parent and child != parent:
                parents[child].add(parent)
        # Children first: a table comes once no table left still refers to it.
        left = dict(parents)
        while left:
            referred = set().union(*left.values())
            ready = sorted(name for name in left if name not in referred)
            if not ready:
                self.truncate = True  # a cycle: no order deletes it
                ready = sorted(left)
            self.tables += ready
            for name in ready:
                del left[name]
        self.guarded = {
            names[row["tgrelid"]]
            for row in await self.connection.fetch(
                "SELECT tgrelid FROM pg_trigger WHERE NOT tgisinternal AND tgtype & 8 <> 0"
            )
            if row["tgrelid"] in names
        }
        self.sequences = [
            row["objid"]
            for row in await self.connection.fetch(
                "SELECT d.objid FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
                "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
                "AND s.relkind = 'S' AND d.deptype IN ('a', 'i') AND d.refobjid = ANY($1::oid[])",
                list(names),
            )
        ]
        bound = self.DELETE_AT_MOST + 1
        self._written = "SELECT " + ", ".join(
            f'(SELECT count(*) FROM (SELECT FROM "{name}" LIMIT {bound}) r)' for name in self.tables
        )

    async def clean(self) -> None:
        connection = self.connection
        written = [] if self.truncate else list(await connection.fetchrow(self._written))
        if self.truncate or sum(written) > self.DELETE_AT_MOST:
            names = ", ".join(f'"{name}"' for name in self.tables)
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            await self._restore_kept()
            return
        dirty = [name for name, rows in zip(self.tables, written, strict=True) if rows]
        statements = [
            f'ALTER TABLE "{name}" DISABLE TRIGGER USER' for name in dirty if name in self.guarded
        ]
        statements += [f'DELETE FROM "{name}"' for name in dirty]
        statements += [
            f'ALTER TABLE "{name}" ENABLE TRIGGER USER' for name in dirty if name in self.guarded
        ]
        async with connection.transaction():
            # A transaction a test left open would block this: fail, don't hang.
            await connection.execute("SET LOCAL lock_timeout = '60s'")
            if statements:
                await connection.execute(";\n".join(statements))
            # Even a rolled-back insert moves a sequence on, so restart each one used since.
            await connection.execute(
                "SELECT setval(seqrelid, seqstart, false) FROM pg_sequence "
                "WHERE seqrelid = ANY($1::oid[]) AND pg_sequence_last_value(seqrelid) IS NOT NULL",
                self.sequences,
            )
            await self._restore_kept()

    async def _restore_kept(self) -> None:
        """Put back the rows of each bookkeeping table the test changed, as the migrations
        left them: the SLA calendar's first token names the empty calendar the other tables
        are back to (the deletes above set its triggers aside, so they renewed nothing)."""
        if not self.kept:
            return
        now = await self.connection.fetchrow(self._kept_sql)
        for name, rows in self.kept.items():
            if now[name] != rows:
                await self.connection.execute(
                    f'DELETE FROM "{name}"; '
                    f'INSERT INTO "{name}" SELECT * FROM json_populate_recordset(NULL::"{name}", '
                    f"{_quoted(rows)}::json)"
                )

    async def close(self) -> None:
        await self.connection.close()


def _rows_of(table: str) -> str:
    """SQL: the rows of ``table`` as one JSON text, in an order of their own."""
    return f"(SELECT coalesce(json_agg(t ORDER BY t::text), '[]')::text FROM \"{table}\" t)"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.fixture(scope="session")
async def cleaner(database_url: str) -> AsyncIterator[Cleaner]:
    cleaner = await Cleaner.connect(database_url)
    try:
        yield cleaner
    finally:
        await cleaner.close()


class Connections:
    """Direct connections for ``db``, reset and reused: connecting costs a few milliseconds."""

    def __init__(self, url: str) -> None:
        self.url = plain_url(url)
        self.idle: list[asyncpg.Connection] = []

    async def take(self) -> asyncpg.Connection:
        return self.idle.pop() if self.idle else await asyncpg.connect(self.url)

    async def give_back(self, connection: asyncpg.Connection) -> None:
        if connection.is_closed():
            return
        try:  # rolls back, closes cursors, unlistens, RESET ALL, releases advisory locks
            await connection.reset()
        except (asyncpg.PostgresError, OSError):
            connection.terminate()
            return
        self.idle.append(connection)

    async def close(self) -> None:
        for connection in self.idle:
            await connection.close()


@pytest.fixture(scope="session")
async def connections(database_url: str) -> AsyncIterator[Connections]:
    pool = Connections(database_url)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def db(
    connections: Connections, cleaner: Cleaner, request: pytest.FixtureRequest
) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection for looking behind the API; empties the tables afterwards (after
    the module, for a test that uses ``module_rows``)."""
    connection = await connections.take()
    try:
        yield connection
    finally:
        await connections.give_back(connection)
        if "module_rows" not in request.fixturenames:
            await cleaner.clean()


@pytest.fixture(scope="module")
async def module_rows(cleaner: Cleaner) -> AsyncIterator[None]:
    """The module's tests share the rows written before them, emptied after its last test:
    for a costly city that is built once (a module-scoped fixture using this one) and that
    the tests only read."""
    try:
        yield
    finally:
        await cleaner.clean()


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


# -- the apps, built once per settings ----------------------------------------------------------

# What an app keeps in ``app.state``. A new key is refused until fresh_state knows whether a
# test may see what the previous test left there.
KNOWN_STATE = {
    "settings",
    "verifier",
    "migration_head",
    "engine",
    "sessionmaker",
    "reads",
    "view_bodies",
}


async def fresh_state(app: Litestar) -> None:
    """Give a running app what a new one starts with, everything but its engine and pool:
    the verified tokens and JWKS keys, the values kept between requests (admin policy,
    planner statistics), the portfolio bodies, the stores (rate limit counts), and the log
    level create_app sets (another app may have set its own since)."""
    unknown = set(app.state.keys()) - KNOWN_STATE
    assert not unknown, (
        f"app.state.{unknown.pop()} is new: renew it in fresh_state (tests/conftest.py)"
    )
    state = app.state
    state.verifier = create_verifier(state.settings)
    state.sessionmaker = create_sessionmaker(state.engine)
    state.reads.primary = state.sessionmaker  # the suite's apps read no replica
    state.reads.state = ReplicaState()
    state.view_bodies = ViewBodies(state.reads.session, state.settings.portfolio_stale_seconds)
    for store in app.stores._stores.values():
        await store.delete_all()
    logging.getLogger("intake").setLevel(state.settings.log_level.upper())


class Apps:
    """One app per settings for the whole session, each started once (lifespan, engine)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.apps: dict[Settings, Litestar] = {}
        self.running: dict[int, AsyncTestClient[Litestar]] = {}
        self.served_apps: dict[Settings, tuple[Litestar, httpx.AsyncClient]] = {}
        self.stack = AsyncExitStack()

    def build(self, settings: Settings) -> Litestar:
        if settings not in self.apps:
            self.apps[settings] = create_app(settings, self.database_url)
        return self.apps[settings]

    async def client(self, app: Litestar) -> AsyncTestClient[Litestar] | None:
        """The started client of an app built here (None for an app built elsewhere), its
        state renewed for the next test."""
        if all(app is not kept for kept in self.apps.values()):
            return None
        if id(app) not in self.running:
            client = AsyncTestClient(app=app)
            self.running[id(app)] = await self.stack.enter_async_context(client)
            return self.running[id(app)]
        client = self.running[id(app)]
        # The test client runs the app, its lifespan and every request, in a loop of its own
        # (its portal's thread): the app's connections and tasks live there.
        client.blocking_portal.call(fresh_state, app)
        client.cookies.clear()
        return client

    async def served(self, settings: Settings) -> tuple[Litestar, httpx.AsyncClient]:
        """An app of its own with these settings under uvicorn on a loopback port, and a client
        for it: started once, in the tests' own loop, its state renewed for the next test."""
        if settings not in self.served_apps:
            app = create_app(settings, self.database_url)
            client = await self.stack.enter_async_context(served(app))
            self.served_apps[settings] = (app, client)
            return app, client
        app, client = self.served_apps[settings]
        await fresh_state(app)
        return app, client

    def finish(self, app: Litestar) -> None:
        """After a test, as a stopping app would: stop the portfolio's background work."""
        self.running[id(app)].blocking_portal.call(app.state.view_bodies.close)

    @asynccontextmanager
    async def test_client(self, settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
        """The test client of the kept app for these settings (what ``client`` is for the
        suite's settings), for a test that needs an app with other settings too."""
        app = self.build(settings)
        client = await self.client(app)
        assert client is not None
        try:
            yield client
        finally:
            self.finish(app)

    @asynccontextmanager
    async def serving(self, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
        """A new client of the served app for these settings (``served``), its state renewed
        for the test. The client is new so that no connection left idle by an earlier test
        is reused just as uvicorn closes it for being idle (a ReadError, not the test's)."""
        app, kept = await self.served(settings)
        try:
            async with httpx.AsyncClient(base_url=kept.base_url, timeout=kept.timeout) as client:
                yield client
        finally:
            await app.state.view_bodies.close()


@pytest.fixture(scope="session")
async def apps(database_url: str) -> AsyncIterator[Apps]:
    kept = Apps(database_url)
    async with kept.stack:
        yield kept


@pytest.fixture
def app(apps: Apps, settings: Settings) -> Litestar:
    return apps.build(settings)


@pytest.fixture
async def client(
    app: Litestar, apps: Apps, db: asyncpg.Connection
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    running = await apps.client(app)
    if running is None:  # an app the test built itself: started and stopped here
        async with AsyncTestClient(app=app) as test_client:
            yield test_client
        return
    try:
        yield running
    finally:
        apps.finish(app)


@pytest.fixture
async def live(
    apps: Apps, settings: Settings, db: asyncpg.Connection
) -> AsyncIterator[httpx.AsyncClient]:
    """The app served by uvicorn on loopback, for requests that must really run side by side
    (racing submits, edits, retries): ``client`` runs one request at a time."""
    async with apps.serving(settings) as running:
        yield running


@pytest.fixture
def steady(monkeypatch: pytest.MonkeyPatch, db: asyncpg.Connection) -> Steady:
    """Await it before asking a view of now for the same body twice (a 304): it holds the
    views' clock at this moment (a current view's tag also changes each minute) and waits
    until the feed has published every event (a tag also moves when an event becomes final,
    which any transaction still open on the test server holds back)."""

    async def steady() -> None:
        now = utcnow()
        monkeypatch.setattr(portfolio_scope, "utcnow", lambda: now)

        async def published() -> bool:
            return not await db.fetchval(
                "SELECT EXISTS (SELECT FROM feed_entries"
                " WHERE xact_id >= pg_snapshot_xmin(pg_current_snapshot()))"
            )

        await until(published, "the feed to publish every event")

    return steady


@pytest.fixture
def cli_env(database_url: str, settings: Settings, db: asyncpg.Connection) -> dict[str, str]:
    """The environment for `intake` commands on the test database (``helpers.intake``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env["INTAKE_DATABASE_URL"] = database_url
    env["INTAKE_DATA_DIR"] = str(settings.data_dir)
    return env


@pytest.fixture
async def city(db: asyncpg.Connection, keys: LocalKeys) -> City:
    return await build_city(db, keys)
