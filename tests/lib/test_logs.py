"""Logs an operator can search: one JSON object a line, each naming its request, one access
line per request, and nothing secret in them."""

from __future__ import annotations

import asyncio
import io
import ipaddress
import json
import logging
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake import asgi
from intake.config import Settings
from intake.lib import logs
from intake.lib.errors import ConfigError
from intake.portfolio import caching
from intake.webhooks.delivery import deliver_due
from tests.builders import City
from tests.conftest import Apps
from tests.helpers import Client, submitted


class Captured:
    """What a handler in one format wrote, line by line."""

    def __init__(self, log_format: str = "json") -> None:
        self.stream = io.StringIO()
        self.handler = logs.handler(log_format, self.stream)

    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text().splitlines()]


@pytest.fixture
def captured() -> Iterator[Captured]:
    """Every record of every logger, at every level, as JSON lines."""
    capture = Captured()
    root = logging.getLogger()
    levels = root.level, logging.getLogger("intake").level
    root.addHandler(capture.handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("intake").setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture.handler)
        root.setLevel(levels[0])
        logging.getLogger("intake").setLevel(levels[1])


@pytest.fixture
def app(apps: Apps, settings: Settings) -> Litestar:
    """Portfolio views served stale while computed again: work a request leaves behind."""
    return apps.build(replace(settings, portfolio_stale_seconds=60))


def intake_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"].startswith("intake")]


async def test_every_line_of_a_request_names_it_and_one_access_line_ends_it(
    client: Client, city: City, captured: Captured
) -> None:
    requests = [
        ("GET", "/api/v1/me", city.auth("requester"), 200),
        ("GET", f"/api/v1/problems/{uuid.uuid4()}", city.auth("requester"), 404),
        ("POST", "/api/v1/problems", city.auth("requester"), 400),
        ("GET", "/api/v1/me", {}, 401),
        ("GET", "/nowhere", {}, 404),
    ]
    for method, path, headers, status in requests:
        start = len(captured.lines())
        response = await client.request(method, path, headers=headers, content=b"{not json")
        assert response.status_code == status
        rid = response.headers["X-Request-ID"]
        during = intake_lines(captured.lines()[start:])
        assert during, f"nothing logged for {method} {path}"
        assert {line["request_id"] for line in during} == {rid}
        [access] = [line for line in during if line["logger"] == "intake.access"]
        route = "unmatched" if path == "/nowhere" else path.rsplit("/", 1)[0] + "/{problem_id}"
        if path in ("/api/v1/me", "/api/v1/problems"):
            route = path
        assert access["method"] == method
        assert access["route"] == route
        assert access["status"] == status
        assert access["duration_ms"] >= 0
        assert access["level"] == "info" and access["time"].endswith("+00:00")


async def test_work_a_request_starts_in_the_background_logs_under_its_id(
    client: Client, city: City, captured: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caching, "REFRESH_SECONDS", 0)
    await submitted(client, city)
    summary = "/api/v1/portfolio/summary"
    assert (await client.get(summary, headers=city.auth("leader"))).status_code == 200
    await submitted(client, city, "parks")
    stale = await client.get(summary, headers=city.auth("leader"))
    assert "age" in stale.headers  # answered with the last body; computed again behind it
    rid = stale.headers["X-Request-ID"]

    deadline = time.monotonic() + 30
    while not (
        refreshed := [
            line
            for line in captured.lines()
            if line["logger"] == "intake.portfolio.caching" and "again" in line["message"]
        ]
    ):
        assert time.monotonic() < deadline, "the background computation never finished"
        await asyncio.sleep(0.05)
    assert [line["request_id"] for line in refreshed] == [rid]


async def test_no_token_comment_or_webhook_secret_reaches_the_logs(
    client: Client,
    city: City,
    captured: Captured,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    token = city.auth("triager")["Authorization"].split()[1]
    forged = token[:-6] + "AAAAAA"
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    ).status_code == 401
    hook = await client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/nothing-listens-here"},
        headers=city.auth("admin"),
    )
    assert hook.status_code == 201, hook.text
    problem = await submitted(client, city)
    words = f"Our clerk re-keys every permit by hand, ticket {uuid.uuid4().hex}"
    comments = f"/api/v1/problems/{problem['id']}/comments"
    posted = await client.post(comments, json={"body": words}, headers=city.auth("triager"))
    assert posted.status_code == 201, posted.text
    refused = await client.post(
        comments, json={"body": words, "visibility": "nobody"}, headers=city.auth("triager")
    )
    assert refused.status_code == 422
    rotated = await client.post(
        f"/api/v1/webhooks/{hook.json()['id']}/rotate-secret", headers=city.auth("admin")
    )
    assert rotated.status_code == 200, rotated.text
    async with httpx.AsyncClient(timeout=2.0, trust_env=False) as http:
        assert (await deliver_due(sessions, http)).failed == 1

    written = captured.text()
    assert "intake.webhooks.delivery" in written  # the failed attempt was logged
    for secret in (token, forged, words, hook.json()["secret"], rotated.json()["secret"]):
        assert secret not in written


def test_tokens_are_redacted_wherever_a_line_carries_one() -> None:
    capture = Captured("text")
    logger = logging.getLogger("intake.test-redaction")
    logger.addHandler(capture.handler)
    try:
        logger.warning(
            "Upstream said: Authorization: Bearer abc.def-ghi and %s",
            "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        )
    finally:
        logger.removeHandler(capture.handler)
    assert "abc.def-ghi" not in capture.text()
    assert "eyJzdWIiOiJ4In0" not in capture.text()
    assert capture.text().count("[redacted]") == 2


async def test_text_lines_name_the_request_too(client: Client, city: City) -> None:
    capture = Captured("text")
    access = logging.getLogger("intake.access")
    access.addHandler(capture.handler)
    try:
        response = await client.get("/api/v1/me", headers=city.auth("requester"))
    finally:
        access.removeHandler(capture.handler)
    [line] = capture.text().splitlines()
    assert f"intake.access [{response.headers['X-Request-ID']}] GET /api/v1/me 200 " in line


def test_a_served_process_writes_intakes_lines_not_litestars(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The ASGI factory (what each uvicorn worker runs) builds the app, and Litestar sets up a
    logging of its own as it is built; the lines written are still Intake's: JSON, each
    naming its request, tokens redacted."""
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setenv("INTAKE_DATABASE_URL", database_url)
    monkeypatch.setenv("INTAKE_LOG_FORMAT", "json")
    root, litestar = logging.getLogger(), logging.getLogger("litestar")
    saved = list(root.handlers), root.level, list(litestar.handlers), litestar.propagate
    asgi._settings.cache_clear()
    try:
        asgi.create()
        with logs.bind_request_id("served-1"):
            logging.getLogger("intake.test-served").warning("Upstream said: Bearer abc.def-ghi")
        deadline = time.monotonic() + 10
        while not stream.getvalue().endswith("\n") and time.monotonic() < deadline:
            time.sleep(0.02)  # lines are written by a thread of their own
    finally:
        logs.stop()
        asgi._settings.cache_clear()
        root.handlers[:], litestar.handlers[:] = saved[0], saved[2]
        root.setLevel(saved[1])
        litestar.propagate = saved[3]
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["request_id"] == "served-1"
    assert line["logger"] == "intake.test-served"
    assert line["message"] == "Upstream said: [redacted]"


def test_log_format_trusted_proxies_and_metrics_token_settings() -> None:
    default = Settings.from_env({})
    assert default.log_format == "text"
    assert default.metrics_token is None
    assert ipaddress.ip_address("127.0.0.1") in default.trusted_proxies[0]
    chosen = Settings.from_env(
        {
            "INTAKE_LOG_FORMAT": "JSON",
            "INTAKE_TRUSTED_PROXIES": "10.0.0.0/8, fd00::1",
            "INTAKE_METRICS_TOKEN": "a-long-enough-metrics-token",
        }
    )
    assert chosen.log_format == "json"
    assert [str(n) for n in chosen.trusted_proxies] == ["10.0.0.0/8", "fd00::1/128"]
    assert "a-long-enough-metrics-token" not in repr(chosen)
    assert Settings.from_env({"INTAKE_TRUSTED_PROXIES": "none"}).trusted_proxies == ()
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(
            {
                "INTAKE_LOG_FORMAT": "xml",
                "INTAKE_TRUSTED_PROXIES": "10.0.0.0/8,proxy.city",
                "INTAKE_METRICS_TOKEN": "short",
            }
        )
    message = str(refused.value)
    for said in ("INTAKE_LOG_FORMAT", "'proxy.city'", "INTAKE_METRICS_TOKEN"):
        assert said in message


class StalledStream(io.StringIO):
    """A stream whose first write waits until the test lets it go (a pipe nobody reads)."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()
        self.go = threading.Event()

    def write(self, text: str) -> int:
        if not self.go.is_set():
            self.stalled.set()
            self.go.wait(timeout=60)
        return super().write(text)


def test_a_stalled_log_stream_drops_the_oldest_lines_and_says_how_many() -> None:
    class Small(logs.BatchWriter):
        HELD = 5

    stream = StalledStream()
    writer = Small(stream, logging.Formatter("%(message)s"), every=0.01)
    logger = logging.getLogger("intake.test.stalled")
    logger.addHandler(writer)
    logger.propagate = False
    try:
        logger.warning("first")  # the writer thread takes it, and stalls writing it
        assert stream.stalled.wait(timeout=60)
        for number in range(12):
            logger.warning("line %d", number)
        stream.go.set()
    finally:
        logger.removeHandler(writer)
        writer.close()
    written = stream.getvalue().splitlines()
    assert written[0] == "first"
    assert written[1] == "intake: 7 log lines were dropped: the log stream fell behind"
    assert written[2:] == [f"line {number}" for number in range(7, 12)]
