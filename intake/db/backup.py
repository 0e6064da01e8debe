"""`intake db backup` and `intake db restore`: a pg_dump archive of the whole database.

The programs are PostgreSQL's own (pg_dump, pg_restore, psql), from the first place in
``binary_dirs`` whose major version matches the server's (or, failing that, the oldest that
is newer): pg_dump refuses servers newer than itself. They reach the server over TCP with
the password in their environment, never on a command line.

A restore replaces Intake's schema in one transaction: everything in the ``public`` schema
is dropped, then the archive is replayed, so a database made by a newer release (tables the
backup lacks) ends up exactly as the backup was. It refuses a database that holds rows
unless forced, and a backup whose schema revision this release does not know.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import make_url

from intake.db import migrate
from intake.db.embedded import binary_dirs
from intake.lib.errors import BadRequest, ConfigError, Conflict

CLIENT_PROGRAMS = ("pg_dump", "pg_restore", "psql")

# Drops what Intake's migrations create in the public schema (and anything else there), so
# the restore leaves no table, function or type of another schema revision behind.
_EMPTY_PUBLIC_SCHEMA = """
DO $$
DECLARE item record;
BEGIN
    FOR item IN
        SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace
          AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND NOT EXISTS (
              SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i', 'e')
          )
    LOOP
        EXECUTE format(
            'DROP %s IF EXISTS %s CASCADE',
            CASE item.relkind
                WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE'
            END,
            item.name
        );
    END LOOP;
    FOR item IN
        SELECT p.oid::regprocedure AS name, p.prokind FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format(
            'DROP %s IF EXISTS %s CASCADE',
            CASE item.prokind
                WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION'
            END,
            item.name
        );
    END LOOP;
    FOR item IN
        SELECT t.oid::regtype AS name FROM pg_type t
        WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'c', 'r')
          AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('DROP TYPE IF EXISTS %s CASCADE', item.name);
    END LOOP;
END $$;
"""


@dataclass(frozen=True)
class Contents:
    """What a database holds: its schema revision, Intake's tables and their rows."""

    revision: str | None
    tables: int
    rows: int

    def describe(self) -> str:
        revision = f"revision {self.revision}" if self.revision else "no Intake schema"
        return f"{revision}; {self.tables} tables, {self.rows:,} rows"


@dataclass(frozen=True)
class Restored:
    contents: Contents
    behind_head: bool  # the backup predates this release's schema: `intake db upgrade`
    feed_ahead: bool  # from another server: renumber the feed (docs/integration.md, 6)


@dataclass(frozen=True)
class _Server:
    """How PostgreSQL's programs reach the database of an Intake URL."""

    database: str
    env: dict[str, str]


def _server(url: str) -> _Server:
    parsed = make_url(url)
    if not parsed.database:
        raise ConfigError("The database URL names no database.")
    # The URL decides where; other PG* variables (TLS files, a passfile) still apply.
    env = {k: v for k, v in os.environ.items() if k not in ("PGSERVICE", "PGPASSWORD")}
    env["PGHOST"] = parsed.host or "127.0.0.1"
    env["PGPORT"] = str(parsed.port or 5432)
    env["PGDATABASE"] = parsed.database
    if parsed.username:
        env["PGUSER"] = parsed.username
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    ssl = parsed.query.get("sslmode") or parsed.query.get("ssl")
    if isinstance(ssl, str):
        env["PGSSLMODE"] = {"true": "require", "false": "disable"}.get(ssl.lower(), ssl)
    return _Server(parsed.database, env)


# Tables the migrations fill that hold no city's data: the SLA calendar's token (one row).
BOOKKEEPING = frozenset({"calendar_version"})


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def contents(url: str) -> Contents:
    """The database's revision and how many tables and rows its public schema holds
    (``alembic_version`` aside; the rows of ``BOOKKEEPING`` tables, which hold no city's data,
    are not counted)."""
    connection = await asyncpg.connect(_plain(url))
    try:
        names = [
            row["tablename"]
            for row in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version' ORDER BY tablename"
            )
        ]
        rows = 0
        for name in names:  # from pg_tables, quoted: nothing from outside
            if name in BOOKKEEPING:
                continue
            quoted = '"' + name.replace('"', '""') + '"'
            rows += await connection.fetchval(f"SELECT count(*) FROM public.{quoted}")  # noqa: S608
        revision = None
        if await connection.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL"):
            revision = await connection.fetchval("SELECT version_num FROM public.alembic_version")
        return Contents(revision, len(names), rows)
    finally:
        await connection.close()


async def feed_ahead_of_server(url: str) -> bool:
    """Whether the feed holds positions (transaction ids) this server has not reached yet:
    a dump from another server, whose publications would stay unseen until it does."""
    connection = await asyncpg.connect(_plain(url))
    try:
        if not await connection.fetchval("SELECT to_regclass('public.feed_entries') IS NOT NULL"):
            return False
        return bool(
            await connection.fetchval(
                "SELECT coalesce(max(xact_id) >= pg_snapshot_xmax(pg_current_snapshot()), false) "
                "FROM public.feed_entries"
            )
        )
    finally:
        await connection.close()


async def server_major_version(url: str) -> int:
    connection = await asyncpg.connect(_plain(url))
    try:
        return int(await connection.fetchval("SHOW server_version_num")) // 10000
    finally:
        await connection.close()


def _major_version(program: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(program), "--version"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    found = re.search(r"\)\s*(\d+)", out)
    return int(found.group(1)) if found else None


def client_programs(server_major: int) -> Path:
    """The directory of pg_dump, pg_restore and psql to use with a server of this major
    version: the same version if there is one, else the oldest newer one."""
    found: dict[int, Path] = {}
    for directory in binary_dirs():
        if all((directory / name).exists() for name in CLIENT_PROGRAMS):
            major = _major_version(directory / "pg_dump")
            if major is not None:
                found.setdefault(major, directory)
    usable = sorted(major for major in found if major >= server_major)
    if not usable:
        have = ", ".join(str(major) for major in sorted(found)) or "none"
        raise ConfigError(
            f"No pg_dump for PostgreSQL {server_major} or newer (found: {have}): install "
            f"PostgreSQL {server_major}'s client programs."
        )
    return found[usable[0]]


def _run(program: Path, *args: str, server: _Server, what: str) -> str:
    done = subprocess.run(
        [str(program), *args], env=server.env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BadRequest(f"{what} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def backup(url: str, file: Path, programs: Path) -> Contents:
    """Write the whole database to ``file`` (pg_dump's custom format), atomically: a dump
    that fails leaves no file behind. Returns what the database held as the dump began."""
    server = _server(url)
    before = asyncio.run(contents(url))
    partial = file.with_name(f".{file.name}.partial")
    try:
        _run(
            programs / "pg_dump",
            "--format=custom",
            "--no-password",
            f"--file={partial}",
            server=server,
            what="pg_dump",
        )
        partial.replace(file)
    finally:
        partial.unlink(missing_ok=True)
    return before


def archive_revision(file: Path, programs: Path, server: _Server) -> str | None:
    """The schema revision a backup was taken at, from its ``alembic_version`` table."""
    if not file.is_file():
        raise BadRequest(f"No file {file}.")
    script = _run(
        programs / "pg_restore",
        "--data-only",
        "--table=alembic_version",
        "--file=-",
        str(file),
        server=server,
        what=f"Reading {file}",
    )
    lines = script.splitlines()
    for index, line in enumerate(lines[:-1]):
        if line.startswith("COPY public.alembic_version") and lines[index + 1] != "\\.":
            return lines[index + 1].strip()
    return None


def restore(url: str, file: Path, programs: Path, *, force: bool) -> Restored:
    """Replace the database with the backup in ``file``, in one transaction."""
    server = _server(url)
    revision = archive_revision(file, programs, server)
    if revision is None:
        raise BadRequest(f"{file} holds no Intake database (no alembic_version row).")
    scripts = ScriptDirectory.from_config(migrate.alembic_config(url))
    try:
        scripts.get_revision(revision)
    except CommandError:
        raise Conflict(
            f"{file} is at schema revision {revision}, which this release of Intake "
            "does not know (a newer release made it?): restore it with that release."
        ) from None
    present = asyncio.run(contents(url))
    if present.rows and not force:
        raise Conflict(
            f"Database {server.database} is not empty ({present.describe()}); restoring "
            "replaces all of it. Add --force to do that."
        )
    # pg_restore writes the archive out as SQL first (in a private folder: it holds secrets)
    # and psql runs it after the emptying, all in one transaction: a database left half
    # restored, or emptied and not restored, is impossible, and so is committing an
    # archive that could not be read to the end.
    with tempfile.TemporaryDirectory(prefix="intake-restore-") as folder:
        script = Path(folder) / "restore.sql"
        _run(
            programs / "pg_restore",
            "--no-owner",
            "--no-privileges",
            f"--file={script}",
            str(file),
            server=server,
            what=f"Reading {file}",
        )
        _run(
            programs / "psql",
            "--no-psqlrc",
            "--quiet",
            "--no-password",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            "--output=/dev/null",
            "--command",
            _EMPTY_PUBLIC_SCHEMA,
            f"--file={script}",
            server=server,
            what="The restore (rolled back: nothing changed)",
        )
    return Restored(
        asyncio.run(contents(url)),
        behind_head=revision != scripts.get_current_head(),
        feed_ahead=asyncio.run(feed_ahead_of_server(url)),
    )
