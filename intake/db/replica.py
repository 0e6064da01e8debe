"""Reads that may lag a little: portfolio views, the CSV export and the event feed.

With ``INTAKE_DATABASE_REPLICA_URL`` they go to a streaming replica (a hot standby of the
primary) while its lag is at most ``INTAKE_REPLICA_MAX_LAG_SECONDS``, and to the primary
otherwise: when the replica falls behind, cannot be reached, or is no standby at all.
Everything else, writes and whatever must read its own writes, stays on the primary.

Each process measures the lag every ``CHECK_SECONDS`` in the background (``watch``), so a
request never waits for a measurement, and logs a line only when the reads move from one
server to the other. A request for the replica that cannot get a connection within
``CONNECT_SECONDS`` reads the primary instead, and the replica is not used again until a
measurement finds it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from intake.config import Settings
from intake.db.session import create_engine, create_sessionmaker
from intake.lib import metrics
from intake.lib.background import in_background
from intake.lib.outages import database_unreachable, log_failure, reason

logger = logging.getLogger(__name__)

# How often each process measures the replica's lag.
CHECK_SECONDS = 1.0
# How long a measurement, or a request's wait for a replica connection, may take before the
# replica counts as unreachable (a host that does not answer must not hold reads up).
CONNECT_SECONDS = 3.0

_PRIMARY_POSITION = text("SELECT pg_current_wal_flush_lsn()::text, clock_timestamp()")
_REPLICA_POSITION = text(
    "SELECT pg_is_in_recovery(), "
    "pg_last_wal_replay_lsn() >= CAST(CAST(:written AS text) AS pg_lsn), "
    "pg_last_xact_replay_timestamp()"
)


class NotAStandby(Exception):
    """The replica URL names a server that is not in recovery (a promoted replica, say):
    it no longer follows the primary, so it must not answer reads."""


async def measure_lag(primary: AsyncEngine, replica: AsyncEngine) -> float:
    """How many seconds the replica's data is behind the primary's, measured now.

    0 when the replica has replayed all the WAL the primary had written when asked (so every
    transaction committed before this call is visible there); otherwise the time since the
    newest transaction the replica has replayed committed, by the primary's clock (infinite
    when it has replayed none since it started). After a long idle spell the first moment
    behind therefore counts from the last replayed commit: an overestimate, which only
    sends reads to the primary. Raises NotAStandby, or the connection's error.
    """
    async with primary.connect() as connection:
        written, now = (await connection.execute(_PRIMARY_POSITION)).one()
    async with replica.connect() as connection:
        in_recovery, caught_up, replayed_at = (
            await connection.execute(_REPLICA_POSITION, {"written": written})
        ).one()
    if not in_recovery:
        raise NotAStandby("the replica is not a standby (pg_is_in_recovery() is false)")
    if caught_up:
        return 0.0
    if replayed_at is None:
        return math.inf
    behind: float = (now - replayed_at).total_seconds()
    return max(0.0, behind)


@dataclass(frozen=True, slots=True)
class ReplicaState:
    """What the last measurement found."""

    usable: bool = False  # whether reads go to the replica
    lag_seconds: float | None = None  # None: not measured, or the replica is unreachable
    why: str = "not measured yet"  # why it is not usable


@dataclass
class ReadReplica:
    """Where this process sends reads that may lag: the replica or the primary."""

    primary: async_sessionmaker[AsyncSession]
    replica: async_sessionmaker[AsyncSession] | None = None
    max_lag_seconds: float = 30.0
    state: ReplicaState = field(default_factory=ReplicaState)

    @classmethod
    def for_settings(
        cls, primary: async_sessionmaker[AsyncSession], settings: Settings
    ) -> ReadReplica:
        """The replica of ``INTAKE_DATABASE_REPLICA_URL``, or reads on the primary without."""
        if settings.database_replica_url is None:
            return cls(primary)
        # Pre-ping: a pooled connection to a replica that went away fails at checkout, where
        # the request can still read the primary instead (``open``).
        engine = create_engine(settings.database_replica_url, settings, pre_ping=True)
        return cls(primary, create_sessionmaker(engine), settings.replica_max_lag_seconds)

    @property
    def configured(self) -> bool:
        return self.replica is not None

    def lag_seconds(self) -> float | None:
        """The replica's lag at the last measurement (at most ``CHECK_SECONDS`` ago while
        watched); None without a replica, before the first measurement or while it is
        unreachable. For the metrics."""
        return self.state.lag_seconds

    def session(self) -> AsyncSession:
        """A new session where lagging reads go now (the caller closes it)."""
        if self.replica is not None and self.state.usable:
            return self.replica()
        return self.primary()

    async def open(self) -> AsyncSession | None:
        """A session on the replica, connected, when reads go there now; None when they go
        to the primary (also when the replica does not give a connection in time)."""
        if self.replica is None or not self.state.usable:
            return None
        session = self.replica()
        try:
            async with asyncio.timeout(CONNECT_SECONDS):
                await session.connection()
        except Exception as error:
            await session.close()
            if not (isinstance(error, TimeoutError) or database_unreachable(error)):
                raise
            self._became(replace(self.state, usable=False, lag_seconds=None, why=reason(error)))
            return None
        return session

    async def check(self) -> ReplicaState:
        """Measure the lag now and decide where reads go until the next measurement."""
        if self.replica is None:
            return self.state
        primary, replica = self.primary.kw["bind"], self.replica.kw["bind"]
        try:
            async with asyncio.timeout(CONNECT_SECONDS):
                lag = await measure_lag(primary, replica)
        except Exception as error:
            if not (isinstance(error, (TimeoutError, NotAStandby)) or database_unreachable(error)):
                raise
            if isinstance(error, TimeoutError):
                why = f"it did not answer within {CONNECT_SECONDS:g} seconds"
            else:
                why = str(error) if isinstance(error, NotAStandby) else reason(error)
            self._became(ReplicaState(why=why))
        else:
            usable = lag <= self.max_lag_seconds
            why = "" if usable else f"its lag exceeds {self.max_lag_seconds:g} seconds"
            self._became(ReplicaState(usable, lag, why))
        return self.state

    async def watch(self, every: float = CHECK_SECONDS) -> None:
        """Measure every ``every`` seconds until cancelled."""
        while True:
            await asyncio.sleep(every)
            await self._measure()

    async def _measure(self) -> None:
        try:
            await self.check()
        except Exception as error:
            # Not an outage but a bug (a permission, say): reads go to the primary until a
            # measurement works; the traceback is logged once a minute, not every second.
            log_failure(logger, error, "Measuring the read replica's lag failed")
            self._became(ReplicaState(why="measuring its lag failed"))

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """Measure in the background while the block runs (nothing without a replica)."""
        if self.replica is None:
            yield
            return
        await self._measure()  # where reads go from the first request on
        async with in_background(self.watch(), "intake-replica-lag"):
            yield

    async def close(self) -> None:
        if self.replica is not None:
            await self.replica.kw["bind"].dispose()

    def _became(self, new: ReplicaState) -> None:
        """Take the new state; log when reads move (once, not per request)."""
        old, self.state = self.state, new
        # The gauge says NaN while nothing is measured (no replica answers).
        metrics.set_replica_lag(math.nan if new.lag_seconds is None else new.lag_seconds)
        if new.usable and not old.usable:
            logger.info("Lagging reads go to the read replica (lag %.1f s).", new.lag_seconds)
        elif old.usable and not new.usable:
            logger.warning("Lagging reads go to the primary: %s.", new.why)
