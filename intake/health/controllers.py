"""Liveness (no database) and readiness (database reachable, migrations at head)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State

from intake.health.service import Health, readiness
from intake.lib.openapi import errors


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get("/live", summary="Liveness: the process answers", responses=errors(503))
    async def live(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        summary="Readiness: database reachable and migrations at head",
        responses=errors(503),
    )
    async def ready(self, state: State) -> Health:
        return await readiness(state.engine, state.migration_head)
