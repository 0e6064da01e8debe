"""EVENT_TYPES is the one list of the event types history records, and it is complete.

Every writer of history is typed with ``EventType`` (mypy refuses a literal that is not in
it) and ``history.record`` refuses any other type at run time, so the whole suite proves
the list covers what the code writes. These tests pin the rest: the lifecycle table's
events, the refusal itself, and that nothing in the list is a name no code writes.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.problems import history, lifecycle
from intake.vocabulary.events import EVENT_TYPES, unknown
from tests.builders import City
from tests.helpers import Client, draft

ROOT = Path(__file__).resolve().parents[2]


def test_every_lifecycle_action_records_a_listed_type() -> None:
    assert {action.event for action in lifecycle.ACTIONS.values()} <= set(EVENT_TYPES)


def test_the_list_has_no_duplicates_and_only_type_shaped_names() -> None:
    assert len(set(EVENT_TYPES)) == len(EVENT_TYPES)
    assert all(re.fullmatch(r"[a-z][a-z_]{0,39}", name) for name in EVENT_TYPES)


def test_every_listed_type_is_written_somewhere() -> None:
    """No dead names: each type appears as a string in the code or a migration that writes
    it (outside the list itself)."""
    sources = [
        path.read_text()
        for folder in ("intake", "migrations")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "events.py"
    ]
    code = "\n".join(sources)
    unwritten = [
        name for name in EVENT_TYPES if f'"{name}"' not in code and f"'{name}'" not in code
    ]
    assert unwritten == []


def test_unknown_names_the_strangers_once_in_order() -> None:
    assert unknown(["submitted", "acepted", "duplicate", "acepted"]) == ["acepted", "duplicate"]
    assert unknown(list(EVENT_TYPES)) == []


async def test_history_refuses_a_type_not_in_the_list(
    client: Client,
    city: City,
    db: asyncpg.Connection,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    problem = await draft(client, city)
    before = await db.fetchval("SELECT count(*) FROM problem_events")
    async with sessions() as session:
        with pytest.raises(ValueError, match="status_changed"):
            await history.record(
                session,
                problem_id=uuid.UUID(problem["id"]),
                actor_id=city.people["triager"],
                type="status_changed",  # type: ignore[arg-type]
            )
        await session.rollback()
    assert await db.fetchval("SELECT count(*) FROM problem_events") == before
