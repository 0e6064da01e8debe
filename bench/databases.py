"""The benchmarks' own databases on one PostgreSQL server: created, signed, found again.

Each benchmark loads its city into a database of its own and keeps a signature of what it
holds as the database's comment, so ``--keep`` reuses a database only when it holds what
the run would load.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url


def plain(url: str) -> str:
    """An SQLAlchemy asyncpg URL as asyncpg itself takes it."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def signature(url: str) -> str | None:
    """The signature a loaded database carries, or None when there is no such database."""
    try:
        connection = await asyncpg.connect(plain(url))
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        comment = await connection.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE datname = current_database()"
        )
        return None if comment is None else str(comment)
    finally:
        await connection.close()


async def sign(url: str, name: str, text: str) -> None:
    """Record what database ``name`` (at ``url``) now holds."""
    connection = await asyncpg.connect(plain(url))
    try:
        await connection.execute(f"COMMENT ON DATABASE \"{name}\" IS '{text}'")
    finally:
        await connection.close()


async def recreate(server_url: str, name: str, drop_only: bool = False) -> None:
    """Drop database ``name`` (closing its connections) and, unless ``drop_only``, create it."""
    admin = await asyncpg.connect(plain(with_database(server_url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
