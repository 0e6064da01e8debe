"""Telling an outage from a bug, and logging each the way an operator can read it.

While PostgreSQL is down, restarting or unreachable, every request and every background
pass fails the same, expected way: each is worth one line in the log, not a traceback.
A traceback is for an error nobody expected, and even then one a minute for the same kind
of error is enough to find it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLSTATE class 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown,
# cannot connect now (starting up or shutting down); 53300: too many connections.
_UNREACHABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# asyncpg's InterfaceError also covers mistakes in how it is called, and OSError files that
# are not there: those are bugs, not outages.
_NOT_OUTAGES = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
    asyncpg.exceptions.DataError,
    asyncpg.exceptions.ClientConfigurationError,
    asyncpg.exceptions.UnsupportedClientFeatureError,
    asyncpg.exceptions.UnsupportedServerFeatureError,
)
_CONNECTION_ERRORS = (
    OSError,  # refused, reset, unreachable, timed out (TimeoutError is an OSError)
    PoolTimeout,  # no connection free in time
    asyncpg.exceptions.PostgresConnectionError,  # ConnectionDoesNotExistError and kin
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InterfaceError,  # "the underlying connection is closed"
)
# How long a client should wait before sending a request again while the database is away.
RETRY_AFTER_SECONDS = 2
# The same kind of unexpected error is logged with its traceback at most this often.
TRACEBACK_EVERY_SECONDS = 60.0


def chain(error: BaseException) -> Iterator[BaseException]:
    """The error and what it was raised from or while handling, nearest first."""
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen and len(seen) < 20:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def database_unreachable(error: BaseException) -> bool:
    """True when ``error`` says the database could not be reached or the connection to it
    was lost: nothing is wrong with the request, and it may succeed when sent again."""
    for link in chain(error):
        if isinstance(link, DBAPIError) and link.connection_invalidated:
            return True
        state = str(getattr(link, "sqlstate", "") or "")
        if state.startswith("08") or state in _UNREACHABLE_STATES:
            return True
        if isinstance(link, _CONNECTION_ERRORS) and not isinstance(link, _NOT_OUTAGES):
            return True
    return False


def reason(error: BaseException) -> str:
    """The root of an error in one line, e.g. ``ConnectionRefusedError: [Errno 111] ...``."""
    root = list(chain(error))[-1]
    text = " ".join(str(root).split())[:200]
    return f"{type(root).__name__}: {text}" if text else type(root).__name__


class Tracebacks:
    """Decides when an unexpected error's traceback is worth logging: the first time each
    kind (exception type and where it was raised) is seen in ``every`` seconds."""

    def __init__(self, every: float = TRACEBACK_EVERY_SECONDS) -> None:
        self.every = every
        self._last: dict[tuple[str, str, int], float] = {}

    def due(self, error: BaseException) -> bool:
        frame = error.__traceback__
        while frame is not None and frame.tb_next is not None:
            frame = frame.tb_next
        where = (frame.tb_frame.f_code.co_filename, frame.tb_lineno) if frame else ("", 0)
        kind = (type(error).__qualname__, *where)
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self.every:
            return False
        if len(self._last) > 1000:  # a bound, should errors ever come in endless kinds
            self._last.clear()
        self._last[kind] = now
        return True


_tracebacks = Tracebacks()


def log_failure(logger: logging.Logger, error: BaseException, message: str, *args: object) -> None:
    """Log that something failed: one warning line when the database is unreachable; an
    error with its traceback for anything else, unless the same kind was logged with one
    in the last minute (then one line that says so)."""
    if database_unreachable(error):
        logger.warning(message + ": the database is unreachable (%s)", *args, reason(error))
    elif _tracebacks.due(error):
        logger.error(message, *args, exc_info=error)
    else:
        logger.error(
            message + ": %s (traceback logged earlier for this kind of error)",
            *args,
            reason(error),
        )
