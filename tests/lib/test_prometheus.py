"""GET /metrics: what an operator scrapes, read with prometheus-client's own parser, and who
may scrape it (loopback, or the metrics token)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake import __version__
from intake.config import Settings
from intake.lib import clock
from intake.triage.sla import breaches
from intake.webhooks.delivery import deliver_due
from tests.builders import City
from tests.conftest import Apps
from tests.helpers import Client, assert_problem_json, submitted

TOKEN = "scrape-me-" + "x" * 24
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample by name and labels, as Prometheus reads them."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
async def scraper(apps: Apps, settings: Settings, db: asyncpg.Connection) -> AsyncIterator[Client]:
    """A client of an app that wants the metrics token (the test client is no loopback)."""
    async with apps.test_client(replace(settings, metrics_token=TOKEN)) as client:
        yield client


async def scrape(client: Client | httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


async def test_requests_are_counted_by_route_template_method_and_status_class(
    scraper: Client, city: City
) -> None:
    before = await scrape(scraper)
    missing = uuid.uuid4()
    for _ in range(3):
        response = await scraper.get(f"/api/v1/problems/{missing}", headers=city.auth("requester"))
        assert response.status_code == 404
    assert (await scraper.get("/api/v1/me", headers=city.auth("requester"))).status_code == 200
    assert (await scraper.get("/no/such/page")).status_code == 404
    after = await scrape(scraper)

    route = "/api/v1/problems/{problem_id}"
    counted = {"route": route, "method": "GET", "status": "4xx"}
    total = "intake_http_requests_total"
    assert value(after, total, **counted) - value(before, total, **counted) == 3
    me = {"route": "/api/v1/me", "method": "GET", "status": "2xx"}
    assert value(after, total, **me) - value(before, total, **me) == 1
    # The latency histogram, under the same labels: every request is in the +Inf bucket.
    buckets = "intake_http_request_duration_seconds_bucket"
    assert (
        value(after, buckets, **counted, le="+Inf") - value(before, buckets, **counted, le="+Inf")
        == 3
    )
    # A path no route matches is one series, and no series names a record's id.
    unmatched = {"route": "unmatched", "method": "GET", "status": "4xx"}
    assert value(after, total, **unmatched) - value(before, total, **unmatched) == 1
    assert not any(str(missing) in str(labels) for _, labels in after)


async def test_the_pool_build_and_replica_gauges_are_there(scraper: Client) -> None:
    samples = await scrape(scraper)
    states = {
        dict(labels)["state"]: number
        for (name, labels), number in samples.items()
        if name == "intake_db_pool_connections"
    }
    assert set(states) == {"in_use", "idle", "waiting"}
    assert states["idle"] >= 1  # the scrape's own connection went back to the pool
    assert states["waiting"] == 0
    assert any(
        name == "intake_build_info" and dict(labels).get("version") == __version__
        for name, labels in samples
    )
    assert ("intake_replica_lag_seconds", frozenset()) in samples


async def test_background_work_is_counted(
    scraper: Client,
    city: City,
    db: asyncpg.Connection,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    before = await scrape(scraper)
    # A webhook whose receiver is not there: one failed attempt, for that subscription.
    hook = await scraper.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/nothing-listens-here"},
        headers=city.auth("admin"),
    )
    assert hook.status_code == 201, hook.text
    problem = await submitted(scraper, city)
    async with httpx.AsyncClient(timeout=2.0, trust_env=False) as http:
        assert (await deliver_due(sessions, http)).failed == 1
    # An SLA sweep past the first-response deadline: one breach, and mail for the watcher.
    due = await db.fetchval(
        "SELECT first_response_due_at FROM problems WHERE id = $1", uuid.UUID(problem["id"])
    )
    with clock.travel(due + timedelta(seconds=1)):
        assert await breaches.sweep(sessions) == 1
    after = await scrape(scraper)

    subscription = hook.json()["id"]
    failures = "intake_webhook_delivery_failures_total"
    assert value(after, failures, subscription=subscription) == 1
    assert value(after, "intake_webhook_delivery_lag_seconds", subscription=subscription) > 0
    for name, grew in (
        ("intake_sla_sweep_runs_total", 1),
        ("intake_sla_breaches_recorded_total", 1),
    ):
        assert value(after, name) - value(before, name) == grew
    pending = await db.fetchval("SELECT count(*) FROM notifications WHERE email_state = 'pending'")
    assert pending >= 1
    assert value(after, "intake_mail_queue_depth") == pending


async def test_without_a_token_only_loopback_may_scrape(
    client: Client, apps: Apps, settings: Settings
) -> None:
    refused = await client.get("/metrics")  # the test client is no loopback address
    assert_problem_json(refused, 403)
    async with apps.serving(settings) as local:
        response = await local.get("/metrics")
        assert response.status_code == 200
        assert "intake_http_requests_total" in response.text


async def test_with_a_token_everyone_needs_it(
    scraper: Client, apps: Apps, settings: Settings
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        assert_problem_json(await scraper.get("/metrics", headers=headers), 401)
    assert (await scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).is_success
    async with apps.serving(replace(settings, metrics_token=TOKEN)) as local:
        assert_problem_json(await local.get("/metrics"), 401)  # loopback too
        samples = await scrape(local)
        assert any(name == "intake_build_info" for name, _ in samples)


async def test_metrics_are_outside_the_api_and_its_document(client: Client) -> None:
    assert (await client.get("/api/v1/metrics")).status_code == 404
    document = (await client.get("/schema/openapi.json")).json()
    assert "/metrics" not in document["paths"]


def test_with_a_multiprocess_folder_a_scrape_adds_up_every_worker(tmp_path: Path) -> None:
    """PROMETHEUS_MULTIPROC_DIR: what two worker processes counted, read from a third."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = (
        "from intake.lib import metrics\n"
        "metrics.observe_request('/api/v1/me', 'GET', 200, 0.01)\n"
        "metrics.WEBHOOK_FAILURES.labels('s1').inc()\n"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, timeout=120)
    read = (
        "import sys\nfrom intake.lib import metrics\nsys.stdout.buffer.write(metrics.exposition())"
    )
    scraped = subprocess.run(
        [sys.executable, "-c", read], env=env, check=True, timeout=120, capture_output=True
    )
    samples = parse(scraped.stdout.decode())
    me = {"route": "/api/v1/me", "method": "GET", "status": "2xx"}
    assert value(samples, "intake_http_requests_total", **me) == 2
    assert value(samples, "intake_http_request_duration_seconds_count", **me) == 2
    assert value(samples, "intake_webhook_delivery_failures_total", subscription="s1") == 2
