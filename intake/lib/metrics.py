"""Prometheus metrics: what each process counts, and ``GET /metrics`` to scrape them.

prometheus-client keeps the values. Without ``PROMETHEUS_MULTIPROC_DIR`` each process has
its own registry and a scrape sees the process that answered it (scrape each process on
its own port). With it (several uvicorn workers behind one port), every process writes its
values to files in that folder and a scrape of any one of them adds up all of them
(prometheus-client's multiprocess mode; the folder must be emptied before the processes
start). The metrics are defined once, here, when the module is imported: the library reads
``PROMETHEUS_MULTIPROC_DIR`` then, so set it in the environment before starting.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import platform
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response, get
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool

from intake import __version__
from intake.lib.errors import Forbidden, NotAuthenticated
from intake.lib.request_id import peer_in

# Requests, by route template (never the raw path: ids would make a series per record),
# method and status class (2xx, 4xx, ...).
REQUESTS = Counter("intake_http_requests", "HTTP requests answered.", ["route", "method", "status"])
REQUEST_SECONDS = Histogram(
    "intake_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# The database pool of each process, added up over the live ones.
POOL_CONNECTIONS = Gauge(
    "intake_db_pool_connections",
    "Database connections: in_use by a request or a background pass, idle in the pool, "
    "and waiting (callers waiting for a connection).",
    ["state"],
    multiprocess_mode="livesum",
)
WEBHOOK_LAG = Gauge(
    "intake_webhook_delivery_lag_seconds",
    "Per subscription: how long the event last attempted had waited since it happened.",
    ["subscription"],
    multiprocess_mode="mostrecent",
)
WEBHOOK_DELIVERED = Counter(
    "intake_webhook_deliveries", "Events a receiver took (2xx), per subscription.", ["subscription"]
)
WEBHOOK_FAILURES = Counter(
    "intake_webhook_delivery_failures",
    "Failed delivery attempts, per subscription (each is retried, up to the last).",
    ["subscription"],
)
MAIL_QUEUE = Gauge(
    "intake_mail_queue_depth",
    "Notifications waiting to be mailed (read from the database at each scrape).",
    multiprocess_mode="mostrecent",
)
MAIL_SENT = Counter("intake_mail_sent", "Notification mails the SMTP server took.")
MAIL_FAILURES = Counter(
    "intake_mail_failures", "Failed mail attempts (retried, unless permanent or the last)."
)
SLA_SWEEPS = Counter("intake_sla_sweep_runs", "SLA sweeps run to the end.")
SLA_BREACHES = Counter("intake_sla_breaches_recorded", "SLA breaches the sweeps recorded.")
PORTFOLIO_REFRESHES = Counter(
    "intake_portfolio_body_refreshes",
    "Portfolio view bodies computed again in the background, per view.",
    ["view"],
)
# For the read replica: how far behind the primary it is, as last measured.
REPLICA_LAG = Gauge(
    "intake_replica_lag_seconds",
    "How far the read replica is behind the primary.",
    multiprocess_mode="livemax",
)
BUILD_INFO = Gauge(
    "intake_build_info",
    "Always 1; the labels say which release and Python run.",
    ["version", "python"],
    multiprocess_mode="livemax",
)
BUILD_INFO.labels(__version__, platform.python_version()).set(1)

_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def status_class(status: int) -> str:
    """``404`` -> ``4xx``."""
    return f"{status // 100}xx"


# Each series' counter and histogram, found once: ``labels()`` checks and locks each time.
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration."""
    key = (route, method, status // 100)
    series = _SERIES.get(key)
    if series is None:
        labels = (route, method, status_class(status))
        series = _SERIES[key] = (REQUESTS.labels(*labels), REQUEST_SECONDS.labels(*labels))
    series[0].inc()
    series[1].observe(seconds)


def set_replica_lag(seconds: float) -> None:
    """Record the read replica's lag behind the primary."""
    REPLICA_LAG.set(seconds)


_IN_USE, _IDLE, _WAITING = (
    POOL_CONNECTIONS.labels(state) for state in ("in_use", "idle", "waiting")
)


def _pool_state(pool: Pool) -> None:
    _IN_USE.set(getattr(pool, "checkedout", lambda: 0)())
    _IDLE.set(getattr(pool, "checkedin", lambda: 0)())
    _WAITING.set(_waiting(pool))


def _waiting(pool: Pool) -> int:
    # SQLAlchemy counts no waiters; its async queue pool keeps them in an asyncio.Queue,
    # whose waiting getters are the callers without a connection. 0 if that ever changes.
    queue = getattr(getattr(pool, "_pool", None), "_queue", None)
    getters = getattr(queue, "_getters", None)
    return sum(1 for waiter in getters if not waiter.done()) if getters else 0


def watch_pool(engine: AsyncEngine) -> None:
    """Keep this process's pool gauges current as connections are taken and given back: in
    multiprocess mode, where another process may answer the scrape. Alone, a process reads
    its pool when it is scraped, and no request pays for the gauges."""
    pool = engine.sync_engine.pool
    for name in ("checkout", "checkin", "connect", "close"):
        event.listen(pool, name, lambda *_: _pool_state(pool))


@asynccontextmanager
async def process_metrics(app: Litestar) -> AsyncGenerator[None, None]:
    """Lifespan: in multiprocess mode, watch the pool, and on the way out tell the others this
    process is gone (its ``live*`` gauges then stop counting)."""
    if _multiprocess():
        watch_pool(app.state.engine)
    try:
        yield
    finally:
        if _multiprocess():
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def _multiprocess() -> bool:
    # prometheus-client's own variable, read where the library reads it.
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def _guard(request: Request[Any, Any, Any]) -> None:
    """With INTAKE_METRICS_TOKEN, the token as a bearer token; without it, loopback only."""
    token: str | None = request.app.state.settings.metrics_token
    if token is None:
        if not peer_in(request.scope, _LOOPBACK):
            raise Forbidden(
                "The metrics answer clients on this host only; set INTAKE_METRICS_TOKEN "
                "to scrape them from elsewhere."
            )
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        raise NotAuthenticated("The metrics need the metrics bearer token.")


async def _read_queues(request: Request[Any, Any, Any]) -> None:
    """What the scrape reads from the database: the mail queue. An unreachable database
    leaves the last value (the scrape still answers; ``/health/ready`` tells the outage)."""
    try:
        async with request.app.state.engine.connect() as connection:
            depth = await connection.scalar(
                text("SELECT count(*) FROM notifications WHERE email_state = 'pending'")
            )
    except Exception:  # a scrape never fails over the database
        return
    MAIL_QUEUE.set(depth or 0)


@get("/metrics", include_in_schema=False)
async def scrape(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Every metric in Prometheus' text format."""
    _guard(request)
    await _read_queues(request)
    _pool_state(request.app.state.engine.sync_engine.pool)
    # The text format every Prometheus reads (Litestar adds the charset).
    return Response(exposition(), media_type="text/plain; version=0.0.4")


def exposition() -> bytes:
    """The metrics in Prometheus' text format: this process's, or in multiprocess mode
    those of every process that wrote to PROMETHEUS_MULTIPROC_DIR, added up."""
    if not _multiprocess():
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)
