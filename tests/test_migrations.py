"""The migrations are the schema: they match the models, and they go down and up again."""

from __future__ import annotations

import asyncio

import pytest

from intake.db import migrate
from tests.conftest import _recreate, _with_database


async def test_models_and_migrations_agree(database_url: str) -> None:
    assert await migrate.schema_drift(database_url) == []
    assert await migrate.current_revision(database_url) == migrate.head_revision()


@pytest.fixture
def scratch_url(server_url: str) -> str:
    asyncio.run(_recreate(server_url, "intake_migrations"))
    return _with_database(server_url, "intake_migrations")


def test_downgrade_to_base_and_upgrade_to_head(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    assert asyncio.run(migrate.current_revision(scratch_url)) == migrate.head_revision()
    migrate.downgrade(scratch_url, "base")
    assert asyncio.run(migrate.current_revision(scratch_url)) is None
    migrate.upgrade(scratch_url)
    assert asyncio.run(migrate.schema_drift(scratch_url)) == []
