"""Logs an operator can search: every line names its request, and can be one JSON object.

The standard library's ``logging`` does the work: every module already logs through it,
and a filter and a formatter are all that structure needs. The request's id lives in a
context variable (``bind_request_id``), so a line logged anywhere during a request (a
service, the error mapping, a background computation the request started) carries it.

A served process (``configure``) formats each line where it is logged and leaves the
writing to a thread of its own (``BatchWriter``): the event loop never waits on a slow
stream.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import json
import logging
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

# What uvicorn leaves to Intake: access lines (Intake writes its own), the logging set-up
# (``configure``), and the peer's address: rewritten from X-Forwarded-For it would hide the
# proxy that INTAKE_TRUSTED_PROXIES trusts to name requests.
UVICORN_OPTIONS: dict[str, Any] = {"access_log": False, "log_config": None, "proxy_headers": False}

# The access line (intake.lib.access) is made of the method, the route's template, the
# status and the duration: no text a client wrote, so nothing to redact.
ACCESS_LOGGER = "intake.access"

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "intake_request_id", default=None
)

# The LogRecord attributes every record has; anything else came in through ``extra=``.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
# Last line of defence for what must never be in a log: a bearer token or a JWT, wherever a
# message or a third-party library put one.
_SECRETS = re.compile(
    r"(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"
)


def current_request_id() -> str | None:
    """The id of the request this code runs for, or None outside one."""
    return _request_id.get()


@contextmanager
def bind_request_id(request_id: str) -> Iterator[None]:
    """Every record logged in the block (and in tasks it starts) names ``request_id``."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def redact(text: str) -> str:
    """``text`` with bearer tokens and JWTs replaced by ``[redacted]``."""
    return _SECRETS.sub("[redacted]", text)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on each record as ``request_id`` (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, then whatever
    the call passed in ``extra`` (the access line's route, status and duration), then the
    traceback, if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc_second(int(record.created)) + f".{int(record.msecs):03d}+00:00",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": _clean(record, record.getMessage()),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """A line a person reads in a terminal: time, level, logger, [request id] message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(rid)s%(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """``logging``'s own local time, with its second written once a second."""
        return f"{_local_second(int(record.created))},{int(record.msecs):03d}"

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        record.rid = f"[{rid}] " if rid else ""
        return _clean(record, super().format(record))


# A line's time, to the second, is the same for every line of that second: written once.
@lru_cache(maxsize=2)
def _utc_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


@lru_cache(maxsize=2)
def _local_second(second: int) -> str:
    return time.strftime(logging.Formatter.default_time_format, time.localtime(second))


def _clean(record: logging.LogRecord, text: str) -> str:
    """``text`` redacted, unless it is an access line without a traceback."""
    return text if record.name == ACCESS_LOGGER and not record.exc_info else redact(text)


def handler(log_format: str, stream: Any = None) -> logging.Handler:
    """A handler writing ``log_format`` (``text`` or ``json``) lines to ``stream`` (stderr)."""
    chosen = logging.StreamHandler(sys.stderr if stream is None else stream)
    chosen.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    chosen.addFilter(RequestIdFilter())
    return chosen


class BatchWriter(logging.Handler):
    """Formats each record where it is logged (so it names that request) and leaves the line
    for a thread of its own, which writes what has gathered every ``every`` seconds: the
    event loop never waits on a slow stream, and never wakes a thread either (waking one
    per line, as a queue handler's listener needs, cost more than the line)."""

    # Lines held at most: should the stream stop taking them (a stalled pipe), the oldest go
    # and the next write says how many, rather than the process growing without bound.
    HELD = 100_000

    def __init__(self, stream: Any, formatter: logging.Formatter, every: float = 0.05) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.stream = stream
        self.every = every
        self._lines: deque[str] = deque(maxlen=self.HELD)
        self._dropped = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._write, name="intake-log-writer", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if len(self._lines) == self.HELD:
                self._dropped += 1
            self._lines.append(self.format(record) + "\n")
        except Exception:
            self.handleError(record)

    def _write(self) -> None:
        while not self._stopping.wait(self.every):
            self._drain()

    def _drain(self) -> None:
        batch: list[str] = []
        if self._dropped:
            dropped, self._dropped = self._dropped, 0
            batch.append(f"intake: {dropped} log lines were dropped: the log stream fell behind\n")
        while self._lines:
            batch.append(self._lines.popleft())
        if batch:
            with contextlib.suppress(OSError, ValueError):  # a closed stream: nowhere to write
                self.stream.write("".join(batch))
                self.stream.flush()

    def close(self) -> None:
        """Write every line still held, then stop the thread."""
        self._stopping.set()
        self._thread.join(timeout=5)
        self._drain()
        super().close()


_writer: BatchWriter | None = None


def configure(log_format: str, level: str, stream: Any = None) -> None:
    """Send every logger's records (Intake's, uvicorn's, Litestar's, the libraries') through
    one writer thread to ``stream`` (stderr), in ``log_format``. ``intake serve`` and the
    ASGI factory call it once the app is built (Litestar sets up logging of its own when
    it is); tests capture records their own way. uvicorn's own access log stays off: Intake
    writes one access line per request itself (``intake.access``)."""
    global _writer
    stop()
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    _writer = BatchWriter(
        sys.stderr if stream is None else stream,
        JsonFormatter() if log_format == "json" else TextFormatter(),
    )
    _writer.addFilter(RequestIdFilter())
    root.addHandler(_writer)
    root.setLevel(logging.WARNING)
    litestar = logging.getLogger("litestar")  # its default config gives it a handler of its own
    litestar.handlers.clear()
    litestar.propagate = True
    logging.getLogger("intake").setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
        logging.getLogger(name).setLevel(level.upper())
    logging.getLogger("uvicorn.access").disabled = True


def stop() -> None:
    """Write what the writer still holds, and stop its thread (at exit, or to reconfigure)."""
    global _writer
    if _writer is not None:
        logging.getLogger().removeHandler(_writer)
        _writer.close()
        _writer = None


atexit.register(stop)
