"""A gate for writes that queue on one lock: they wait here, not on a pooled connection.

Every submit of a year takes the same reference counter row, one after another. Past a
few at once, the rest would each hold a pooled connection while they wait for that row,
and a request that only reads (``GET /me``) would wait for a connection behind them. The
gate lets at most half the pool's connections go to the routes it guards in this process;
the other requests wait here, before their first statement, holding nothing.
"""

from __future__ import annotations

import asyncio

from litestar.types import ASGIApp, Receive, Scope, Send

from intake.config import Settings


def admitted(settings: Settings) -> int:
    """How many requests of a gated route hold connections at once, per process."""
    return max(1, settings.db_pool_size // 2)


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
