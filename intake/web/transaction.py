"""The request owns its database session: committed before a success is sent, always closed.

Polar's shape: a middleware owns the request's sessions and closes them when the request
ends, whatever failed; one dependency commits. Why so, in docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from typing import Any, Protocol

from litestar import Request
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.db.replica import ReadReplica
from intake.web.auth import Caller

_KEY = "intake.sessions"  # in scope["state"]


class Closable(Protocol):
    async def close(self) -> None: ...


class RequestSessions:
    """The sessions one request opened: its transaction on the primary, a read session, a
    pooled connection."""

    def __init__(self, state: State) -> None:
        self._state = state  # the app's, whose sessionmaker the lifespan makes
        self._transaction: AsyncSession | None = None
        self._others: list[Closable] = []

    def transaction(self) -> AsyncSession:
        if self._transaction is None:
            sessionmaker: async_sessionmaker[AsyncSession] = self._state.sessionmaker
            self._transaction = sessionmaker()
        return self._transaction

    def keep(self, session: Closable) -> None:
        """Close ``session`` (or a connection outside any session) with the request at the
        latest."""
        self._others.append(session)

    def forget(self, session: Closable) -> None:
        """``session`` was closed already."""
        with suppress(ValueError):
            self._others.remove(session)

    async def close(self) -> None:
        """Close them all, each even if closing another fails; what was not committed is
        rolled back."""
        if self._transaction is None and not self._others:
            return  # most reads: nothing was opened, or it was closed already
        sessions = [*self._others, *([self._transaction] if self._transaction else [])]
        self._transaction, self._others = None, []
        async with AsyncExitStack() as stack:
            for session in sessions:
                stack.push_async_callback(session.close)


class RequestTransaction:
    """ASGI middleware: the request's sessions, closed when the request ends, whatever failed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        sessions = RequestSessions(scope["litestar_app"].state)
        state: dict[str, Any] = scope.setdefault("state", {})
        state[_KEY] = sessions
        try:
            await self.app(scope, receive, send)
        finally:
            await sessions.close()


def request_sessions(scope: Scope) -> RequestSessions:
    sessions: RequestSessions = scope["state"][_KEY]
    return sessions


async def provide_db_session(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    """The request's transaction on the primary: committed when the handler has answered,
    rolled back when it raised. Litestar finishes this generator after the handler built
    its response and before sending it; a commit that fails is the request's error. When a
    later dependency fails, Litestar abandons it unfinished, and ``RequestTransaction``
    closes the session all the same."""
    async with committed(request_sessions(request.scope).transaction()) as session:
        yield session


@asynccontextmanager
async def committed(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """The request's commit: ``session`` committed when the block ends, rolled back when it
    raised. In a generator dependency (``provide_db_session``, ``intake.app``'s
    ``provide_account``), the block ends when Litestar resumes it."""
    try:
        yield session
    except Exception:
        # Now, before the error response, so no lock outlives it. Should the rollback fail
        # too, the request's own error is still its answer; closing cleans up.
        with suppress(Exception):
            await session.rollback()
        raise
    await session.commit()


async def provide_read_session(
    request: Request[Any, Any, Any], db_session: AsyncSession, caller: Caller
) -> AsyncGenerator[AsyncSession, None]:
    """The session for reads that may lag (portfolio views, the export, the event feed): one
    on the read replica while it is within its lag (``intake.db.replica``), closed once the
    handler has answered (before a streamed body); else the request's own ``db_session``.

    It takes ``caller`` only to come after it: a refused caller costs no replica connection.
    """
    reads: ReadReplica = request.app.state.reads
    session = await reads.open()
    if session is None:
        yield db_session
        return
    request_sessions(request.scope).keep(session)  # should a later dependency fail
    try:
        yield session
    finally:
        await session.close()


@asynccontextmanager
async def replica_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession | None]:
    """A session on the read replica while it is within its lag, as ``provide_read_session``
    opens it, closed when the block ends (by the middleware, should it not); None when reads
    that may lag go to the primary now."""
    reads: ReadReplica = request.app.state.reads
    session = await reads.open()
    if session is None:
        yield None
        return
    request_sessions(request.scope).keep(session)
    try:
        yield session
    finally:
        await session.close()
