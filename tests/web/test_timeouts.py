"""Slow and idle clients are let go (`intake serve`, limits from the environment): a
connection that sends nothing, headers that trickle in, a body that stops arriving, and a
keep-alive connection left idle."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import asyncpg
import pytest

from intake.config import Settings
from tests.builders import City
from tests.helpers import intake_serve

LIMIT = 1  # second, for the headers, the body and keep-alive alike
PATIENCE = 30.0  # a bound: a connection still open then was never going to be closed


@pytest.fixture(scope="module")
def port(database_url: str, settings: Settings) -> Iterator[int]:
    """`intake serve` on the test database with one-second limits."""
    limits = {
        "INTAKE_DATABASE_URL": database_url,
        "INTAKE_DATA_DIR": str(settings.data_dir),
        "INTAKE_HEADER_TIMEOUT_SECONDS": str(LIMIT),
        "INTAKE_BODY_TIMEOUT_SECONDS": str(LIMIT),
        "INTAKE_KEEPALIVE_TIMEOUT_SECONDS": str(LIMIT),
        "INTAKE_SLA_SWEEP_SECONDS": "0",
        "INTAKE_WEBHOOK_SECONDS": "0",
        "INTAKE_MAIL_SECONDS": "0",
        "INTAKE_LOG_LEVEL": "warning",
    }
    with intake_serve(limits, ready="/health/live") as serving:
        yield serving.port


def _connect(port: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port))
    connection.settimeout(PATIENCE)
    return connection


def _closed(connection: socket.socket) -> bool:
    """True once the server has closed the connection (waiting at most PATIENCE seconds)."""
    try:
        return connection.recv(65536) == b""
    except (ConnectionResetError, TimeoutError):
        return False


def _response(connection: socket.socket) -> bytes:
    """One whole response whose body has a Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, f"closed before a whole response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = connection.recv(65536)
        assert chunk, "closed in the middle of a body"
        body += chunk
    return head + b"\r\n\r\n" + body


def test_an_idle_connection_is_closed_before_its_first_request_and_after_its_last(
    port: int,
) -> None:
    with _connect(port) as silent:
        assert _closed(silent)
    with _connect(port) as kept_alive:
        kept_alive.sendall(b"GET /health/live HTTP/1.1\r\nHost: intake\r\n\r\n")
        assert _response(kept_alive).startswith(b"HTTP/1.1 200")
        assert _closed(kept_alive)


def test_headers_that_trickle_in_are_cut_off(port: int) -> None:
    """A byte every tenth of a second keeps no connection open past the header limit."""
    with _connect(port) as slow:
        slow.sendall(b"GET /health/live HTTP/1.1\r\n")
        slow.settimeout(0.1)
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            try:
                slow.sendall(b"X")
                if slow.recv(1) == b"":
                    return  # closed
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                return
        raise AssertionError(f"headers trickling in kept the connection open {PATIENCE} s")


async def test_a_body_that_stops_arriving_is_answered_408_and_the_connection_closed(
    port: int, city: City, db: asyncpg.Connection
) -> None:
    token = city.auth("requester")["Authorization"]
    with _connect(port) as stalled:
        stalled.sendall(
            b"POST /api/v1/problems HTTP/1.1\r\nHost: intake\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n"
            b"Authorization: " + token.encode() + b'\r\n\r\n{"title": "Permits'
        )
        response = _response(stalled)
        assert response.startswith(b"HTTP/1.1 408")
        assert b"application/problem+json" in response
        assert b"urn:intake:error:request-timeout" in response
        assert _closed(stalled)
    assert await db.fetchval("SELECT count(*) FROM problems") == 0
