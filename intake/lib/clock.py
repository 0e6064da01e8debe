"""The one clock. Everything that stamps time asks here, so tests can reason about it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from time import monotonic

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def running_from(now: datetime | None) -> Clock:
    """``now`` as it moves on: the given moment plus the time since (the clock's time without
    it), so a background pass a test sets at an hour of its choosing still measures its
    leases and time limits in real seconds."""
    if now is None:
        return utcnow
    start, started = now, monotonic()
    return lambda: start + timedelta(seconds=monotonic() - started)
