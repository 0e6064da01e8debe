"""A gate for writes that queue on one lock: they wait here, not on a pooled connection.

Every submit of a year takes the same reference counter row, one after another. Past a
few at once, the rest would each hold a pooled connection while they wait for that row,
and a request that only reads (``GET /me``) would wait for a connection behind them. And
every submit admitted runs milliseconds of Python between its statements on the process's
one event loop, where a read waits its turn behind each of them at every step. So the gate
lets ``WRITERS_AT_ONCE`` requests of the routes it guards in at once per process (two: one
runs while the other waits on PostgreSQL, and 120 submits at once finish faster than with
ten admitted, docs/performance.md); the others wait here, before their first statement,
holding nothing.
"""

from __future__ import annotations

import asyncio

from litestar.types import ASGIApp, Receive, Scope, Send

from intake.config import Settings

WRITERS_AT_ONCE = 2


def admitted(settings: Settings) -> int:
    """How many requests of a gated route run at once, per process (at most half the pool's
    connections)."""
    return max(1, min(WRITERS_AT_ONCE, settings.db_pool_size // 2))


class WriterGate:
    """ASGI middleware for a route: its requests go through a few at a time (``admitted``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._gate: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _for(self, scope: Scope) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._gate is None or self._loop is not loop:  # one gate per event loop
            settings: Settings = scope["litestar_app"].state.settings
            self._gate, self._loop = asyncio.Semaphore(admitted(settings)), loop
        return self._gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with self._for(scope):
            await self.app(scope, receive, send)
