"""`intake db backup|restore|revision` against databases of their own on the test server."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from intake.composition import create_sessionmaker
from intake.config import Settings
from intake.db import migrate
from intake.db.session import create_engine
from intake.demo.seed import seed_demo_city
from intake.lib import clock
from tests import helpers
from tests.builders import plain_url

Snapshot = dict[str, list[str]]


async def _admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(plain_url(server_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def new_database(server_url: str) -> Iterator[Callable[[], str]]:
    """Makes empty databases on the test server; drops them after the module."""
    made: list[str] = []

    def make() -> str:
        name = f"intake_backup_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(server_url).set(database=name).render_as_string(hide_password=False)

    yield make
    for name in made:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def intake(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "PG"))}
    env["INTAKE_DATABASE_URL"] = url
    return helpers.intake(*args, env=env)


async def _snapshot(url: str) -> Snapshot:
    """Every table's rows (as text, sorted), every sequence's position and every trigger."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        snapshot: Snapshot = {}
        for row in await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ):
            name = row["tablename"]
            snapshot[name] = [
                record["row"]
                for record in await connection.fetch(
                    f'SELECT t::text AS row FROM public."{name}" AS t ORDER BY 1'
                )
            ]
        snapshot["(sequences)"] = [
            f"{row['sequencename']}={row['last_value']}"
            for row in await connection.fetch(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' "
                "ORDER BY sequencename"
            )
        ]
        snapshot["(triggers)"] = [
            row["name"]
            for row in await connection.fetch(
                "SELECT tgrelid::regclass::text || '.' || tgname AS name FROM pg_trigger "
                "WHERE NOT tgisinternal ORDER BY name"
            )
        ]
        return snapshot
    finally:
        await connection.close()


def snapshot(url: str) -> Snapshot:
    return asyncio.run(_snapshot(url))


async def _seed(url: str, settings: Settings) -> None:
    engine = create_engine(url, settings)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            assert await seed_demo_city(session)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def city(
    new_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """The demo city in a database of its own, and its backup made by `intake db backup`."""
    url = new_database()
    migrate.upgrade(url)
    settings = replace(Settings(), data_dir=tmp_path_factory.mktemp("backup-data"))
    asyncio.run(_seed(url, settings))
    file = tmp_path_factory.mktemp("backups") / "city.dump"
    done = intake("db", "backup", str(file), url=url)
    assert done.returncode == 0, done.stderr
    database = make_url(url).database
    assert re.fullmatch(
        rf"Backed up {database} \(revision {migrate.head_revision()}; \d+ tables, "
        rf"[\d,]+ rows\) to {re.escape(str(file))} \([\d,]+ bytes\)\.\n",
        done.stdout,
    ), done.stdout
    return url, file


def test_restore_brings_back_every_table_row_for_row(
    city: tuple[str, Path], new_database: Callable[[], str]
) -> None:
    source, file = city
    target = new_database()

    done = intake("db", "restore", str(file), url=target)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Restored") and len(done.stdout.splitlines()) == 1
    before, after = snapshot(source), snapshot(target)
    assert len(before["problems"]) > 10 and len(before["problem_events"]) > 50
    assert after == before
    checked = intake("db", "check", url=target)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_restore_over_a_database_with_rows_needs_force(
    city: tuple[str, Path], new_database: Callable[[], str]
) -> None:
    source, file = city
    target = new_database()
    migrate.upgrade(target)
    added = intake("departments", "add", "--code", "PARKS", "--name", "Parks", url=target)
    assert added.returncode == 0, added.stderr
    theirs = snapshot(target)

    refused = intake("db", "restore", str(file), url=target)

    assert refused.returncode == 1
    assert refused.stderr.startswith("error: ") and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert snapshot(target) == theirs

    forced = intake("db", "restore", "--force", str(file), url=target)

    assert forced.returncode == 0, forced.stderr
    assert snapshot(target) == snapshot(source)  # the department PARKS is gone


def test_an_older_backup_replaces_a_newer_schema_and_upgrades(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config("postgresql+asyncpg://unused"))
    head = scripts.get_revision("head")
    assert head is not None and isinstance(head.down_revision, str)
    older = new_database()
    migrate.upgrade(older, head.down_revision)
    file = tmp_path / "older.dump"
    assert intake("db", "backup", str(file), url=older).returncode == 0
    target = new_database()
    migrate.upgrade(target)  # at head, without rows: nothing to lose, no --force needed

    done = intake("db", "restore", str(file), url=target)

    assert done.returncode == 0, done.stderr
    assert "run `intake db upgrade`" in done.stdout
    assert snapshot(target) == snapshot(older)  # nothing of the newer schema is left
    upgraded = intake("db", "upgrade", url=target)
    assert upgraded.returncode == 0, upgraded.stderr
    checked = intake("db", "check", url=target)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_backup_from_another_server_says_to_renumber_the_feed(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    elsewhere = new_database()
    migrate.upgrade(elsewhere)
    asyncio.run(_seed(elsewhere, replace(Settings(), data_dir=tmp_path)))

    async def publish_far_ahead() -> None:
        # As on a server that has counted far more transactions than the test server.
        connection = await asyncpg.connect(plain_url(elsewhere))
        try:
            await connection.execute(
                "ALTER TABLE feed_entries DISABLE TRIGGER feed_entries_append_only;"
                "UPDATE feed_entries SET xact_id = '4000000000000'::xid8;"
                "ALTER TABLE feed_entries ENABLE TRIGGER feed_entries_append_only;"
            )
        finally:
            await connection.close()

    asyncio.run(publish_far_ahead())
    file = tmp_path / "elsewhere.dump"
    assert intake("db", "backup", str(file), url=elsewhere).returncode == 0

    done = intake("db", "restore", str(file), url=new_database())

    assert done.returncode == 0, done.stderr
    assert "renumber the event feed" in done.stdout
    assert "docs/integration.md" in done.stdout


def test_a_backup_from_a_newer_schema_is_refused(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    newer = new_database()
    migrate.upgrade(newer)

    async def pretend_newer() -> None:
        connection = await asyncpg.connect(plain_url(newer))
        try:
            await connection.execute("UPDATE alembic_version SET version_num = 'fedcba987654'")
        finally:
            await connection.close()

    asyncio.run(pretend_newer())
    file = tmp_path / "newer.dump"
    assert intake("db", "backup", str(file), url=newer).returncode == 0
    target = new_database()

    refused = intake("db", "restore", str(file), url=target)

    assert refused.returncode == 1
    assert "fedcba987654" in refused.stderr and "Traceback" not in refused.stderr
    assert snapshot(target) == {"(sequences)": [], "(triggers)": []}


def test_restoring_a_file_that_is_not_a_backup_is_a_one_line_error(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    target = new_database()
    file = tmp_path / "notes.txt"
    file.write_text("not a dump\n")

    refused = intake("db", "restore", str(file), url=target)
    missing = intake("db", "restore", str(tmp_path / "nowhere.dump"), url=target)

    assert refused.returncode == 1 and refused.stderr.startswith("error: ")
    assert missing.returncode == 1 and "No file" in missing.stderr
    assert "Traceback" not in refused.stderr + missing.stderr


def _statements(migration: str, function: str) -> list[str]:
    """The lines of a function's body in a migration, comments aside."""
    body = migration.split(f"def {function}() -> None:\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in body.splitlines() if not line.strip().startswith("#")]


def test_revision_writes_a_dated_migration_that_is_empty_when_the_models_match(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    url = new_database()
    migrate.upgrade(url)
    migrations = tmp_path / "migrations"
    shutil.copytree(migrate.ROOT / "migrations", migrations)

    with clock.travel(datetime(2031, 3, 4, 23, 30, tzinfo=UTC)):
        path = migrate.new_revision(url, "Nothing to change", migrations)

    assert path.parent == migrations / "versions"
    found = re.fullmatch(r"2031-03-04_nothing_to_change_([0-9a-f]{12})\.py", path.name)
    assert found, path.name
    text = path.read_text()
    assert f'down_revision: str | None = "{migrate.head_revision()}"' in text  # formatted
    assert _statements(text, "upgrade") == ["pass"]
    assert _statements(text, "downgrade") == ["pass"]
    config = migrate.alembic_config(url, migrations)
    command.upgrade(config, "head")
    assert asyncio.run(migrate.current_revision(url)) == found.group(1)
    command.downgrade(config, "-1")
    assert asyncio.run(migrate.current_revision(url)) == migrate.head_revision()


def test_revision_needs_a_database_at_head(new_database: Callable[[], str]) -> None:
    url = new_database()
    before = sorted((migrate.ROOT / "migrations" / "versions").iterdir())

    done = intake("db", "revision", "-m", "too early", url=url)

    assert done.returncode == 1
    assert "intake db upgrade" in done.stderr and "Traceback" not in done.stderr
    assert sorted((migrate.ROOT / "migrations" / "versions").iterdir()) == before
