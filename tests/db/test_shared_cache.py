"""What an app keeps between requests (intake.db.session.cached) and when it lets go of it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.db import session as session_module
from intake.db.session import cached, forget_on_commit

KEY = "test.value"


class Loads:
    """A loader that reads the database and counts how often it was asked."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, session: AsyncSession, value: str = "value") -> Callable[[], Awaitable[str]]:
        async def load() -> str:
            self.count += 1
            result = await session.scalar(text("SELECT CAST(:value AS text)"), {"value": value})
            assert isinstance(result, str)
            return result

        return load


async def _read(
    sessions: async_sessionmaker[AsyncSession], loads: Loads, seconds: float = 60.0
) -> str:
    async with sessions() as session:
        return await cached(session, KEY, seconds, loads(session))


async def test_one_load_serves_every_session_of_the_app(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    loads = Loads()
    assert [await _read(sessions, loads) for _ in range(3)] == ["value"] * 3
    assert loads.count == 1


async def test_another_process_change_shows_within_the_bound(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]  # the app's clock for values kept, moved by hand: not the machine's speed
    monkeypatch.setattr(session_module, "monotonic", lambda: now[0])
    loads = Loads()
    await _read(sessions, loads, seconds=0.2)
    now[0] += 0.1
    await _read(sessions, loads, seconds=0.2)
    assert loads.count == 1
    now[0] += 0.15
    await _read(sessions, loads, seconds=0.2)
    assert loads.count == 2


async def test_a_committed_change_drops_the_value_and_a_rolled_back_one_keeps_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    loads = Loads()
    await _read(sessions, loads)
    async with sessions() as session:
        forget_on_commit(session, KEY)
        # The changing transaction reads its own (uncommitted) value, and shares it with no one.
        assert await cached(session, KEY, 60.0, loads(session, "mine")) == "mine"
        await session.rollback()
    assert await _read(sessions, loads) == "value"
    assert loads.count == 2  # only the changing session's own read
    async with sessions() as session:
        forget_on_commit(session, KEY)
        await session.execute(text("SELECT 1"))
        await session.commit()
    await _read(sessions, loads)
    assert loads.count == 3


async def test_a_load_that_began_before_a_commit_is_not_kept(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    stale = Loads()

    async def slow_read() -> str:
        async with sessions() as session:

            async def load() -> str:
                value = await stale(session, "old")()
                started.set()
                await release.wait()
                return value

            return await cached(session, KEY, 60.0, load)

    reader = asyncio.create_task(slow_read())
    await started.wait()
    async with sessions() as session:
        forget_on_commit(session, KEY)
        await session.execute(text("SELECT 1"))
        await session.commit()
    release.set()
    assert await reader == "old"  # that request saw the value from before the change
    fresh = Loads()
    assert await _read(sessions, fresh) == "value"  # but it was not kept for the next ones
    assert fresh.count == 1
