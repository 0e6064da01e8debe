"""Where the database is: the configured server, or the embedded one in the data folder."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from intake.config import Settings
from intake.db.embedded import DATABASE_NAME, EmbeddedPostgres


async def create_database_if_missing(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


@contextmanager
def database_url(settings: Settings, *, keep_running: bool = False) -> Iterator[str]:
    """Yield the database URL; start (and afterwards stop) the embedded server if needed.

    An embedded server that was already running, say under ``intake serve``, is shared and
    left running.
    """
    with owned_database(settings, keep_running=keep_running) as (url, _):
        yield url


@contextmanager
def owned_database(
    settings: Settings, *, keep_running: bool = False
) -> Iterator[tuple[str, EmbeddedPostgres | None]]:
    """Yield the database URL and, when this call started the embedded server, that server:
    the caller owns it (``intake serve`` watches it, see ``embedded.Supervisor``)."""
    if settings.database_url is not None:
        yield settings.database_url, None
        return
    server = EmbeddedPostgres(settings.data_dir)
    started = server.start()
    try:
        asyncio.run(create_database_if_missing(server.url("postgres"), DATABASE_NAME))
        yield server.url(DATABASE_NAME), server if started else None
    finally:
        if started and not keep_running:
            server.stop()
