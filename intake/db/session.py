"""Engine and sessions. The request owns the transaction: see ``intake.web.transaction``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from time import monotonic
from typing import Any, TypeVar

from sqlalchemy import Executable, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from intake.config import Settings

T = TypeVar("T")

# Retire a connection after half an hour, before an idle timeout in a proxy or firewall
# drops it under us.
POOL_RECYCLE_SECONDS = 1800
# Give up on opening a connection after this long: a database host that does not answer
# (a network cut, a failover in progress) makes a request fail with 503, not hang for a minute.
CONNECT_TIMEOUT_SECONDS = 10


def create_engine(url: str, settings: Settings, *, pre_ping: bool = False) -> AsyncEngine:
    # No pool_pre_ping (but on the read replica: intake.db.replica): on asyncpg it is BEGIN,
    # ';', ROLLBACK, three round trips on every checkout. Without it a connection the server
    # dropped (a restart, a failover) fails the one request that uses it (503, see
    # intake/lib/outages.py); SQLAlchemy then invalidates the pool and the next requests
    # reconnect. pool_recycle keeps ordinary idle timeouts from ever getting that far.
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=pre_ping,
        pool_recycle=POOL_RECYCLE_SECONDS,
        # A failed statement's error (and so any log of it) leaves its values out: they are
        # residents' and staff's words, e-mail addresses, webhook secrets.
        hide_parameters=True,
        # No JIT compilation: it costs more than it saves on queries of this size (the
        # portfolio's aggregates included), and it makes their times erratic.
        connect_args={
            "server_settings": {"application_name": "intake", "timezone": "UTC", "jit": "off"},
            "timeout": CONNECT_TIMEOUT_SECONDS,
        },
    )


def create_sessionmaker(
    engine: AsyncEngine, info: Mapping[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; ``info`` is given to every session (the core's subscribers)."""
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        autoflush=True,
        info={**(info or {}), _SHARED: SharedCache()},
    )


# -- values kept between requests -----------------------------------------------------------

_SHARED = "intake.shared_cache"  # session.info: the app's SharedCache
_CHANGING = "intake.changing"  # session.info: keys this session's transaction changes


class SharedCache:
    """Rarely changed values (admin policy, planner statistics) one app keeps between requests.

    One per sessionmaker, so one per app and process, reached through ``session.info``;
    a session from anywhere else has none and always reads the database. Use it through
    ``cached`` and ``forget_on_commit``.
    """

    def __init__(self) -> None:
        self.values: dict[str, tuple[float, Any]] = {}  # key -> (good until, value)
        # Bumped whenever a change commits: a load that began before cannot store its value.
        self.generation = 0


async def cached(
    session: AsyncSession, key: str, seconds: float, load: Callable[[], Awaitable[T]]
) -> T:
    """``await load()``, or the value it gave within the last ``seconds`` in this app.

    So another process's change shows here within ``seconds``; a change made through this
    app shows as soon as it commits (``forget_on_commit``). A session changing ``key`` always
    loads, so it reads its own uncommitted change, and never shares what it read.
    Relies on PostgreSQL's default READ COMMITTED: a load started after a commit sees it.
    """
    cache: SharedCache | None = session.info.get(_SHARED)
    if cache is None or key in session.info.get(_CHANGING, ()):
        return await load()
    now = monotonic()
    hit = cache.values.get(key)
    if hit is not None and now < hit[0]:
        value: T = hit[1]
        return value
    generation = cache.generation
    value = await load()
    if cache.generation == generation:
        cache.values[key] = (now + seconds, value)
    return value


def forget_on_commit(session: AsyncSession, key: str) -> None:
    """This transaction changes what ``key`` caches: drop the kept value when it commits.

    Until then other requests go on seeing the committed value, as the database shows it
    to them; after a rollback the kept value is still right and stays.
    """
    cache: SharedCache | None = session.info.get(_SHARED)
    if cache is None:
        return
    changing: set[str] | None = session.info.get(_CHANGING)
    if changing is None:
        changing = session.info[_CHANGING] = set()

        def committed(_: Session) -> None:
            for changed in changing:
                cache.values.pop(changed, None)
            cache.generation += 1
            changing.clear()

        def rolled_back(_: Session) -> None:
            changing.clear()

        event.listen(session.sync_session, "after_commit", committed)
        event.listen(session.sync_session, "after_rollback", rolled_back)
    changing.add(key)


async def write_in_batches(
    sessionmaker: async_sessionmaker[AsyncSession], statement: Executable, batch: int
) -> int:
    """Run ``statement``, a DELETE or UPDATE of at most ``batch`` rows, a transaction at a time
    until it touches fewer: a clean-up that never holds many rows, or anyone, for long.
    Returns how many rows it deleted or changed."""
    total = 0
    while True:
        async with sessionmaker() as session, session.begin():
            result = await session.execute(statement)
        written = int(getattr(result, "rowcount", 0) or 0)
        total += written
        if written < batch:
            return total
