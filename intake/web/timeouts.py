"""Slow and idle clients are let go: deadlines for a request's headers, its body, and an idle
keep-alive connection (``INTAKE_HEADER_TIMEOUT_SECONDS``, ``INTAKE_BODY_TIMEOUT_SECONDS``,
``INTAKE_KEEPALIVE_TIMEOUT_SECONDS``).

uvicorn closes an idle keep-alive connection, but waits forever for a connection's first
bytes and for headers or a body that trickle in: a few hundred such connections hold a
process's sockets and memory (slowloris). The header deadline lives in the HTTP protocol
(``TimedH11Protocol``), the body deadline in the app (``BodyTimeout``), so it holds under
any server.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import h11
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from intake.config import Settings
from intake.lib.errors import RequestTimeout


class BodyTimeout:
    """ASGI middleware: the whole body must arrive within ``seconds`` of the app asking for
    it, or the request is answered 408 and the connection closed."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        deadline: float | None = None
        complete = False

        async def timed_receive() -> ReceiveMessage:
            nonlocal deadline, complete
            if complete:  # after the body only a disconnect can come: no deadline
                return await receive()
            if deadline is None:
                deadline = asyncio.get_running_loop().time() + self.seconds
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(
                    f"The request body did not arrive within {self.seconds:g} seconds."
                ) from None
            complete = message["type"] != "http.request" or not message.get("more_body")
            return message

        await self.app(scope, timed_receive, send)


class TimedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request's headers: counted from
    the connection opening or the previous response, and not reset by each byte that comes."""

    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._headers_arrived()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._await_headers()

    def _await_headers(self) -> None:
        self._headers_arrived()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _headers_arrived(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
            self.transport.close()


def protocol(header_timeout: float) -> type[TimedH11Protocol]:
    """The protocol class for a server whose requests' headers have ``header_timeout``."""
    return type("IntakeHTTPProtocol", (TimedH11Protocol,), {"header_timeout": header_timeout})


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What ``intake serve`` (one process) passes uvicorn to let slow and idle clients go."""
    return {
        "http": protocol(settings.header_timeout_seconds),
        "timeout_keep_alive": settings.keepalive_timeout_seconds,
    }
