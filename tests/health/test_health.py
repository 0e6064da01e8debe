"""Liveness needs no database; readiness checks the database and the migration head."""

from __future__ import annotations

from tests.helpers import Client


async def test_live_answers_without_a_token(client: Client) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_database_and_migration_head(client: Client) -> None:
    from intake.db.migrate import head_revision

    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "migration": head_revision()}
