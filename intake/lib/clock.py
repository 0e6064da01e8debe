"""The one clock. Everything that stamps time asks here, so tests can reason about it.

``travel`` sets the clock to a moment of the past for the code it wraps (this task and what
it awaits, never another request): the demo seed replays a city's history through the real
actions, each at the moment it happened, so their records are exactly those of real actions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from time import monotonic

Clock = Callable[[], datetime]

_travelled: ContextVar[datetime | None] = ContextVar("intake_clock_travelled", default=None)


def utcnow() -> datetime:
    moment = _travelled.get()
    return moment if moment is not None else datetime.now(UTC)


def travelled() -> datetime | None:
    """The moment ``travel`` set, or None when the clock is the real one. Rows the database
    would stamp with its own ``now()`` take this moment instead."""
    return _travelled.get()


@contextmanager
def travel(moment: datetime) -> Iterator[None]:
    """Within the block, ``utcnow()`` is ``moment`` (which must carry its time zone)."""
    if moment.tzinfo is None:
        raise ValueError("travel needs an aware datetime")
    token = _travelled.set(moment)
    try:
        yield
    finally:
        _travelled.reset(token)


def running_from(now: datetime | None) -> Clock:
    """``now`` as it moves on: the given moment plus the time since (the clock's time without
    it), so a background pass a test sets at an hour of its choosing still measures its
    leases and time limits in real seconds."""
    if now is None:
        return utcnow
    start, started = now, monotonic()
    return lambda: start + timedelta(seconds=monotonic() - started)
