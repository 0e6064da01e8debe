"""Benchmark the portfolio views and the CSV export at 10,000 and 100,000 problems.

    python -m bench.portfolio [--sizes 10000,100000] [--requests 120] [--concurrency 8] [--keep]

For each size, loads a city with ``intake.demo.generate`` (the generator behind
``intake demo --problems N``: every state, about ten history events per problem, work
records, the portfolio timeline rebuilt) into its own database, or reuses it with
``--keep``. Then, in one process per size, it drives the real app in-process over ASGI
(``httpx.ASGITransport``, as ``bench/triage.py`` does) as a leader, so it measures whatever
the views' code is at run time:

1. the export of every row (``/api/v1/portfolio/export.csv``, now and ``as_of``), streamed
   through a minimal ASGI client that counts bytes and rows and keeps none: total time, and
   the growth of the process's resident memory, sampled every 2 ms while the body streams
   (measured first, on a fresh heap, so earlier phases cannot lend it free memory; one
   empty export before it loads what every export needs);
2. each view (summary, flow, sla, teams, outcomes, at-risk, distribution), for now and for
   ``as_of`` a moment about three months back, with ``--concurrency`` workers: p50/p99 and
   requests/s. Every request is computed cold: the views' ETag body cache and in-flight
   sharing are switched off for "now" (the benchmark replaces them in this process), and
   each ``as_of`` request asks for a different second, so no two share a tag;
3. the same aggregate written by hand in SQL (``bench/raw_portfolio.py``) through a bare
   asyncpg pool in the same process, same concurrency: the app's rate as a share of raw.
   Before measuring, each view's headline figures (totals) from the app and from the raw
   SQL are compared.
4. dashboards polling every view of now (for ``--dashboard-seconds``, the same workers) while
   a triager comments on a problem ``--writes-per-second`` times a second, each comment a
   history event that changes every view's data version: with the views' kept bodies as the
   app runs them, once computing every change before answering
   (``INTAKE_PORTFOLIO_STALE_SECONDS=0``) and once with the default window, where a changed
   view answers with its last body (``Age``) while it is computed again. The comments and
   their events are deleted afterwards, so a ``--keep`` database stays as loaded.

Targets (2-core machine): current views p99 <= 100 ms, as_of p99 <= 500 ms, the export
under 10 s with memory that does not grow with N. The run reports; it never fails on a
missed target. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from bench import databases
from bench.driver import Result, drive
from bench.raw_portfolio import RawPortfolio, app_figures
from bench.triage import _serve
from intake.app import create_app
from intake.config import Settings
from intake.db import migrate
from intake.db.embedded import EmbeddedPostgres
from intake.demo.generate import DATASET_VERSION, Progress, generate, read_city_at
from intake.portfolio import timeline
from intake.web.auth import LocalKeys

BENCH_DIR = Path(".intake/bench")
VIEWS = ("summary", "flow", "sla", "teams", "outcomes", "at-risk", "distribution")
NOW_P99_MS, AS_OF_P99_MS, EXPORT_SECONDS = 100.0, 500.0, 10.0
AS_OF_DAYS_BACK = 91


def _database(count: int) -> str:
    return f"intake_bench_portfolio_{count}"


def _signature(count: int, seed: int) -> str:
    """What a loaded database holds (its comment), so --keep reuses only a matching one: the
    dataset version, the schema and the timeline's rebuild SQL are all part of it."""
    rebuild = hashlib.sha256(timeline.REBUILD_SQL.encode()).hexdigest()[:10]
    return (
        f"intake portfolio bench v{DATASET_VERSION}, schema {migrate.head_revision()}, "
        f"timeline {rebuild}: {count} problems, seed {seed}"
    )


# -- the database ---------------------------------------------------------------------------


@dataclass
class Loaded:
    problems: int
    events: int
    timeline_rows: int
    submitted: int
    load_seconds: float | None  # None: reused (--keep)


async def _prepare(server_url: str, count: int, seed: int, keep: bool) -> tuple[str, Loaded]:
    name = _database(count)
    url = databases.with_database(server_url, name)
    seconds: float | None = None
    if not (keep and await databases.signature(url) == _signature(count, seed)):
        await databases.recreate(server_url, name)
        await asyncio.to_thread(migrate.upgrade, url)
        print(f"Loading {count:,} problems into {name}...", flush=True)
        result = await generate(url, count, seed=seed, progress=Progress())
        seconds = result.seconds
        await databases.sign(url, name, _signature(count, seed))
    connection = await asyncpg.connect(databases.plain(url))
    try:
        row = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM problems) AS problems, "
            "(SELECT count(*) FROM problem_events) AS events, "
            "(SELECT count(*) FROM problem_timeline) AS timeline_rows, "
            "(SELECT count(*) FROM problems WHERE submitted_at IS NOT NULL) AS submitted"
        )
    finally:
        await connection.close()
    return url, Loaded(**dict(row), load_seconds=seconds)


# -- views computed cold --------------------------------------------------------------------


@contextlib.contextmanager
def _cold_views(app: Any) -> Iterator[bool]:
    """Switch off the views' body cache, in-flight sharing and stale answers for ``app``
    (if it still keeps them as ``state.view_bodies``); yields whether it could."""
    from intake.portfolio.caching import ViewBodies

    saved = getattr(app.state, "view_bodies", None)
    if saved is None:
        yield False
        return
    app.state.view_bodies = ViewBodies.cold()
    try:
        yield True
    finally:
        app.state.view_bodies = saved


# -- the export, streamed -----------------------------------------------------------------------


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclass
class Export:
    mode: str
    status: int
    seconds: float
    cpu_seconds: float  # CPU time of this process (app and client), not PostgreSQL's
    first_byte: float
    bytes: int
    rows: int
    baseline_rss: int
    peak_rss: int

    @property
    def growth(self) -> int:
        return self.peak_rss - self.baseline_rss


async def _stream(app: Any, path: str, headers: dict[str, str], mode: str) -> Export:
    """GET through the app's ASGI callable, counting the body as it streams, keeping none."""
    parts = urlsplit(path)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(b"host", b"intake")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("intake", 80),
    }
    finished = asyncio.Event()
    asked = False
    seen = {"status": 0, "bytes": 0, "lines": 0, "first": 0.0}
    started = time.perf_counter()

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            if body and not seen["first"]:
                seen["first"] = time.perf_counter() - started
            seen["bytes"] += len(body)
            seen["lines"] += body.count(b"\r\n")
            if not message.get("more_body", False):
                finished.set()

    gc.collect()
    baseline = peak = _rss()
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss())
            await asyncio.sleep(0.002)

    sampler = asyncio.create_task(sample())
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        await app(scope, receive, send)
    finally:
        finished.set()
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        done.set()
        await sampler
    peak = max(peak, _rss())
    return Export(
        mode=mode,
        status=int(seen["status"]),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        first_byte=float(seen["first"]),
        bytes=int(seen["bytes"]),
        rows=max(int(seen["lines"]) - 1, 0),  # less the header
        baseline_rss=baseline,
        peak_rss=peak,
    )


# -- one size, in this process ----------------------------------------------------------------


@dataclass
class Phase:
    view: str
    mode: str  # now | as_of
    app: dict[str, Any]
    raw: dict[str, Any] | None

    @property
    def ratio(self) -> float | None:
        if not self.raw or not self.raw["rate"]:
            return None
        return float(self.app["rate"]) / float(self.raw["rate"])


def _summary(result: Result) -> dict[str, Any]:
    return {
        "count": result.count,
        "errors": len(result.errors),
        "first_error": result.errors[0] if result.errors else None,
        "rate": result.rate,
        "p50": result.percentile(0.5),
        "p95": result.percentile(0.95),
        "p99": result.percentile(0.99),
        "max": result.percentile(1.0),
        "cpu_ms": result.cpu_per_request * 1000,
    }


@dataclass
class SizeReport:
    problems: int
    loaded: dict[str, Any]
    started: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    cold_now: bool = True
    checks: list[str] = field(default_factory=list)
    exports: list[dict[str, Any]] = field(default_factory=list)
    phases: list[dict[str, Any]] = field(default_factory=list)
    as_of: str = ""
    concurrency: int = 0
    requests: int = 0
    dashboards: list[dict[str, Any]] = field(default_factory=list)


async def _measure_size(args: argparse.Namespace, url: str, loaded: Loaded) -> SizeReport:
    settings = replace(
        Settings(),
        data_dir=BENCH_DIR / "app",
        database_url=url,
        seed_demo=False,
        log_level="warning",
        sla_sweep_seconds=0,  # the sweep would write events (and a new ETag) mid-run
        webhook_seconds=0,  # no subscriptions in the dataset; nothing to measure
        rate_limit_per_minute=0,  # one leader's token makes thousands of requests
    )
    city = await read_city_at(databases.plain(url))
    headers = {"Authorization": f"Bearer {LocalKeys(settings.data_dir).issue(city.leader_email)}"}
    report = SizeReport(
        problems=loaded.problems,
        loaded=asdict(loaded),
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        load_before=os.getloadavg(),
        concurrency=args.concurrency,
        requests=args.requests,
    )
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=AS_OF_DAYS_BACK)
    report.as_of = base.isoformat()

    def as_of(i: int) -> datetime:
        return base - timedelta(seconds=i)

    def path(view: str, moment: datetime | None) -> str:
        suffix = f"?as_of={quote(moment.isoformat())}" if moment else ""
        return f"/api/v1/portfolio/{view}{suffix}"

    app = create_app(settings, url)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    pool = await asyncpg.create_pool(
        databases.plain(url),
        min_size=args.concurrency,
        max_size=args.concurrency,
        server_settings={"application_name": "intake-bench-raw", "timezone": "UTC"},
    )
    assert pool is not None
    from intake.portfolio import scope

    direct = RawPortfolio(pool, ZoneInfo(city.timezone), _view_settings(scope))
    schema = await direct.inspect()
    print(f"  Raw SQL written for the schema: {schema.describe()}.", flush=True)
    views = [view for view in VIEWS if not args.views or view in args.views.split(",")]
    try:
        async with _serve(app, "asgi", args.concurrency) as client:
            # 1. The export first, on a fresh heap, after one export with no rows (a filter
            # on the future) has loaded and compiled what every export needs.
            if not (args.skip_export or args.dashboards_only):
                tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
                await _stream(app, f"{path('export.csv', None)}?from={tomorrow}", headers, "")
                for mode, moment in (("now", None), ("as_of", base)):
                    export_path = path("export.csv", moment)
                    exported = await _stream(app, export_path, headers, mode)
                    report.exports.append(asdict(exported) | {"growth": exported.growth})
                    if mode == "now" and exported.rows != loaded.submitted:
                        report.checks.append(
                            f"export: {exported.rows} rows for {loaded.submitted} submitted"
                        )
                        print(f"  WARNING: {report.checks[-1]} problems.", flush=True)
                    print(
                        f"  export {mode:<5} {exported.seconds:6.2f} s "
                        f"(cpu {exported.cpu_seconds:.2f} s)  "
                        f"{exported.rows:,} rows  {exported.bytes / 1e6:.1f} MB  "
                        f"RSS +{exported.growth / 1e6:.1f} MB "
                        f"(peak {exported.peak_rss / 1e6:.0f} MB)",
                        flush=True,
                    )
            if not args.dashboards_only:
                # 2. Check the raw SQL computes the app's figures.
                with _cold_views(app) as cold:
                    report.cold_now = cold
                    if not cold:
                        print("  WARNING: could not switch off the view cache; 'now' may hit it.")
                    for view in views:
                        for mode, moment in (("now", None), ("as_of", base)):
                            response = await client.get(path(view, moment), headers=headers)
                            if response.status_code != 200:
                                report.checks.append(f"{view} {mode}: HTTP {response.status_code}")
                                continue
                            want = app_figures(view, response.json())
                            got = await direct.view(view, moment)
                            if got != want:
                                report.checks.append(f"{view} {mode}: app {want} != raw {got}")
                    differ = [check for check in report.checks if not check.startswith("export")]
                    print(
                        "  Raw SQL computes the app's figures: "
                        + ("yes." if not differ else "NO: " + "; ".join(differ)),
                        flush=True,
                    )
                    # 3. Measure.
                    for view in [] if args.check_only else views:
                        for mode in ("now", "as_of"):

                            def app_call(i: int, view: str = view, mode: str = mode) -> Any:
                                moment = as_of(1 + i) if mode == "as_of" else None
                                return _get(client, path(view, moment), headers)

                            def raw_call(i: int, view: str = view, mode: str = mode) -> Any:
                                moment = as_of(1 + i) if mode == "as_of" else None
                                return direct.view(view, moment)

                            app_result = await _phase(app_call, args, seed=1)
                            raw_result = (
                                None if args.no_raw else await _phase(raw_call, args, seed=2)
                            )
                            phase = Phase(
                                view,
                                mode,
                                _summary(app_result),
                                _summary(raw_result) if raw_result else None,
                            )
                            report.phases.append(asdict(phase) | {"ratio": phase.ratio})
                            _progress(phase)
            # 4. Dashboards while the city works.
            if not args.check_only and args.dashboard_seconds:
                writer = LocalKeys(settings.data_dir).issue(city.triager_email)
                writer_headers = {"Authorization": f"Bearer {writer}"}
                for window in (0, Settings().portfolio_stale_seconds):
                    polled = await _dashboards(
                        app, client, pool, headers, writer_headers, views, window, args
                    )
                    report.dashboards.append(polled)
                    print(_dashboard_line(polled), flush=True)
    finally:
        await pool.close()
    report.load_after = os.getloadavg()
    return report


# -- dashboards while the city works ----------------------------------------------------------

BENCH_NOTE = "Benchmark note"  # the writer's comments, deleted after the phase


async def _dashboards(
    app: Any,
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    headers: dict[str, str],
    writer_headers: dict[str, str],
    views: list[str],
    window: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """``--dashboard-seconds`` of polls of the views of now, round robin, with the app's own
    kept bodies (stale window ``window``), while a triager comments on a problem
    ``--writes-per-second`` times a second. Each answer's Age says whether it was stale."""
    from intake.portfolio.caching import ViewBodies

    problems = [
        row["id"]
        for row in await pool.fetch(
            "SELECT id FROM problems WHERE reference IS NOT NULL ORDER BY id LIMIT 100"
        )
    ]
    first_event = await pool.fetchval("SELECT coalesce(max(id), 0) + 1 FROM problem_events")
    ages: list[int] = []
    writes = 0
    stop = asyncio.Event()

    async def writer() -> None:
        nonlocal writes
        while not stop.is_set():
            problem = problems[writes % len(problems)]
            response = await client.post(
                f"/api/v1/problems/{problem}/comments",
                json={"body": f"{BENCH_NOTE} {writes}"},
                headers=writer_headers,
            )
            if response.status_code != 201:
                raise RuntimeError(f"comment -> {response.status_code}: {response.text[:200]}")
            writes += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1 / args.writes_per_second)

    async def poll(i: int) -> None:
        response = await client.get(f"/api/v1/portfolio/{views[i % len(views)]}", headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET -> {response.status_code}: {response.text[:200]}")
        ages.append(int(response.headers.get("age", -1)))

    saved = app.state.view_bodies
    app.state.view_bodies = ViewBodies(app.state.sessionmaker, window)
    writing = asyncio.create_task(writer()) if args.writes_per_second > 0 else None
    started = time.perf_counter()
    try:
        gc.collect()
        result = await drive(
            "dashboards",
            poll,
            requests=1_000_000_000,  # as many as the time allows
            concurrency=args.concurrency,
            max_seconds=args.dashboard_seconds,
        )
    finally:
        stop.set()
        seconds = time.perf_counter() - started
        try:
            if writing is not None:
                await writing  # a writer that failed says why here
        finally:
            await app.state.view_bodies.close()
            app.state.view_bodies = saved
            await _forget_comments(pool, first_event)
    stale = [age for age in ages if age >= 0]
    return {
        "window": window,
        "writes": writes,
        "writes_per_second": writes / seconds if seconds else 0.0,
        "stale": len(stale),
        "max_age": max(stale, default=0),
        **_summary(result),
    }


async def _forget_comments(pool: asyncpg.Pool, first_event: int) -> None:
    """Delete the dashboards phase's comments and their events, so a ``--keep`` database
    stays as loaded. History is append-only; its trigger is set aside for one transaction,
    as a restore would (docs/integration.md)."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("DELETE FROM notifications WHERE event_id >= $1", first_event)
        await connection.execute(
            "ALTER TABLE problem_events DISABLE TRIGGER problem_events_append_only"
        )
        await connection.execute("DELETE FROM problem_events WHERE id >= $1", first_event)
        await connection.execute(
            "ALTER TABLE problem_events ENABLE TRIGGER problem_events_append_only"
        )
        await connection.execute("DELETE FROM comments WHERE body LIKE $1", f"{BENCH_NOTE} %")


def _dashboard_line(polled: dict[str, Any]) -> str:
    share = polled["stale"] / max(polled["count"], 1)
    line = (
        f"  dashboards window {polled['window']:>2} s: {polled['rate']:6.1f} req/s "
        f"p50 {polled['p50']:7.1f} p99 {polled['p99']:7.1f} ms; {polled['writes']} comments "
        f"({polled['writes_per_second']:.1f}/s); {share:.0%} answered stale, "
        f"oldest {polled['max_age']} s"
    )
    if polled["errors"]:
        line += f" | {polled['errors']} errors: {polled['first_error']}"
    return line


def _view_settings(scope: Any) -> tuple[str, ...]:
    """The statements the app runs before a view's queries (its per-view settings), as SQL
    text, so the raw baseline runs with the same settings; the defaults if there are none."""
    found = getattr(scope, "VIEW_SETTINGS", None)
    if found is None:
        return RawPortfolio.settings
    statements = found if isinstance(found, list | tuple) else [found]
    return tuple(str(getattr(statement, "text", statement)) for statement in statements)


async def _get(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
    response = await client.get(path, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} -> {response.status_code}: {response.text[:200]}")


async def _phase(
    call: Callable[[int], Awaitable[Any]], args: argparse.Namespace, seed: int
) -> Result:
    """A short warm-up (pools, prepared statements), then the measured requests. Warm-up
    and measured requests use disjoint indexes, so as_of moments never repeat."""
    await drive(
        "warm-up",
        lambda i: call(1_000_000 * seed + i),
        requests=args.concurrency,
        concurrency=args.concurrency,
        max_seconds=args.max_seconds / 4,
    )
    gc.collect()
    return await drive(
        "measure",
        lambda i: call(2_000_000 * seed + i),
        requests=args.requests,
        concurrency=args.concurrency,
        max_seconds=args.max_seconds,
    )


def _progress(phase: Phase) -> None:
    app = phase.app
    line = (
        f"  {phase.view:<13} {phase.mode:<5} app {app['rate']:6.1f} req/s "
        f"p50 {app['p50']:7.1f} p99 {app['p99']:7.1f} ms"
    )
    if phase.raw:
        line += (
            f" | raw {phase.raw['rate']:6.1f} req/s p99 {phase.raw['p99']:7.1f} ms"
            f" | ratio {phase.ratio:.2f}"
        )
    if app["errors"]:
        line += f" | {app['errors']} errors: {app['first_error']}"
    print(line, flush=True)


# -- the report -----------------------------------------------------------------------------


def _verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "MISS"


def _print_report(reports: list[dict[str, Any]]) -> None:
    for report in reports:
        loaded = report["loaded"]
        print(
            f"\n{report['problems']:,} problems ({loaded['events']:,} events, "
            f"{loaded['timeline_rows']:,} timeline rows); concurrency {report['concurrency']}, "
            f"{report['requests']} requests per phase; as_of = {report['as_of']}; "
            f"load average {report['load_before'][0]:.1f} before, "
            f"{report['load_after'][0]:.1f} after"
        )
        header = (
            f"{'view':<13} {'mode':<5} {'req/s':>7} {'p50':>8} {'p99':>8} {'raw req/s':>10} "
            f"{'raw p50':>8} {'raw p99':>8} {'ratio':>6}  target"
        )
        if report["phases"]:
            print(header)
            print("-" * len(header))
        for phase in report["phases"]:
            app, raw = phase["app"], phase["raw"]
            target = NOW_P99_MS if phase["mode"] == "now" else AS_OF_P99_MS
            raw_cells = (
                f"{raw['rate']:10.1f} {raw['p50']:8.1f} {raw['p99']:8.1f} {phase['ratio']:6.2f}"
                if raw
                else f"{'':>10} {'':>8} {'':>8} {'':>6}"
            )
            print(
                f"{phase['view']:<13} {phase['mode']:<5} {app['rate']:7.1f} {app['p50']:8.1f} "
                f"{app['p99']:8.1f} {raw_cells}  p99 {_verdict(app['p99'], target)} "
                f"(<= {target:.0f} ms)"
                + (
                    f"  [{app['count']} of {report['requests']}]"
                    if app["count"] < report["requests"]
                    else ""
                )
            )
        for export in report["exports"]:
            print(
                f"export {export['mode']:<5} {export['seconds']:.2f} s "
                f"(cpu {export.get('cpu_seconds', 0):.2f} s) "
                f"({export['rows']:,} rows, {export['bytes'] / 1e6:.1f} MB, first byte "
                f"{export['first_byte'] * 1000:.0f} ms), RSS +{export['growth'] / 1e6:.1f} MB "
                f"during the stream: {_verdict(export['seconds'], EXPORT_SECONDS)} (< 10 s)"
            )
        for polled in report.get("dashboards", []):
            print(_dashboard_line(polled).strip())
        if report["checks"]:
            print("Mismatches: " + "; ".join(report["checks"]))
    if len(reports) >= 2:
        small, large = reports[0], reports[-1]
        scale = large["problems"] / small["problems"]
        print(
            f"\nGrowth from {small['problems']:,} to {large['problems']:,} problems ({scale:.0f}x):"
        )
        before = {(p["view"], p["mode"]): p for p in small["phases"]}
        for phase in large["phases"]:
            old = before.get((phase["view"], phase["mode"]))
            if old and old["app"]["p50"]:
                p50 = phase["app"]["p50"] / old["app"]["p50"]
                p99 = phase["app"]["p99"] / max(old["app"]["p99"], 1e-9)
                print(f"  {phase['view']:<13} {phase['mode']:<5} p50 x{p50:.1f}  p99 x{p99:.1f}")
        for new, old in zip(large["exports"], small["exports"], strict=False):
            print(
                f"  export {new['mode']:<5} "
                f"time x{new['seconds'] / max(old['seconds'], 1e-9):.1f}, "
                f"RSS growth {old['growth'] / 1e6:.1f} MB -> {new['growth'] / 1e6:.1f} MB"
            )
    print(
        "\nLatencies in ms. 'now' requests are computed cold (view cache and in-flight sharing"
        "\noff); each as_of request asks for a different second ~3 months back. raw = the"
        "\nsame figures by hand-written SQL through asyncpg; ratio = app req/s / raw req/s."
    )


# -- entry point ----------------------------------------------------------------------------


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.portfolio", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--sizes", default="10000,100000", help="problem counts, comma-separated")
    parser.add_argument("--requests", type=int, default=120, help="measured requests per phase")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent workers")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="cap per measured phase")
    parser.add_argument("--views", help="only these views, comma-separated (e.g. summary,flow)")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw SQL phases")
    parser.add_argument("--skip-export", action="store_true", help="skip the export")
    parser.add_argument(
        "--check-only",
        action="store_true",
        help="only check that the raw SQL computes the app's figures (and export)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep (and reuse) the loaded databases and leave their server running",
    )
    parser.add_argument(
        "--dashboards-only",
        action="store_true",
        help="only the dashboards phase (no export, no cold views, no raw SQL)",
    )
    parser.add_argument(
        "--dashboard-seconds",
        type=float,
        default=60.0,
        help="how long dashboards poll the views of now while the city works (0: skip)",
    )
    parser.add_argument(
        "--writes-per-second",
        type=float,
        default=1.0,
        help="comments a second during the dashboards phase",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--stop", action="store_true", help="stop the benchmark's embedded PostgreSQL and exit"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _kind(args: argparse.Namespace) -> str:
    """Part of the results' file name: a dashboards-only run keeps a full run's figures."""
    return "-dashboards" if args.dashboards_only else ""


def _sizes(args: argparse.Namespace) -> list[int]:
    return [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]


def _child(args: argparse.Namespace, server_url: str) -> int:
    """One size, in this process: load (or reuse), export, views."""
    (count,) = _sizes(args)
    url, loaded = asyncio.run(_prepare(server_url, count, args.seed, args.keep))
    if loaded.load_seconds is not None:
        print(
            f"Loaded {loaded.problems:,} problems, {loaded.events:,} history events and "
            f"{loaded.timeline_rows:,} timeline rows in {loaded.load_seconds:.0f} s.",
            flush=True,
        )
    else:
        print(f"Reusing {loaded.problems:,} problems ({loaded.events:,} events).", flush=True)
    report = asyncio.run(_measure_size(args, url, loaded))
    Path(args.out).write_text(json.dumps(asdict(report)))
    if not args.keep:
        asyncio.run(databases.recreate(server_url, _database(count), drop_only=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    configured = os.environ.get("INTAKE_BENCH_DATABASE_URL")
    server = None if configured else EmbeddedPostgres(BENCH_DIR)
    if args.stop:
        if server is not None:
            server.stop()
        return 0
    started = server.start() if server is not None else False
    server_url = configured or (server.url("postgres") if server is not None else "")
    if args.child:
        return _child(args, server_url)
    reports: list[dict[str, Any]] = []
    try:
        print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}.", flush=True)
        for count in _sizes(args):
            # Each size in its own process: a fresh heap for the export's memory figure.
            out = BENCH_DIR / f"portfolio-{count}-c{args.concurrency}{_kind(args)}.json"
            child = [
                sys.executable, "-m", "bench.portfolio", "--child", "--out", str(out),
                "--sizes", str(count), "--requests", str(args.requests),
                "--concurrency", str(args.concurrency), "--max-seconds", str(args.max_seconds),
                "--seed", str(args.seed),
                *(["--views", args.views] if args.views else []),
                *(["--no-raw"] if args.no_raw else []),
                *(["--skip-export"] if args.skip_export else []),
                *(["--check-only"] if args.check_only else []),
                *(["--dashboards-only"] if args.dashboards_only else []),
                "--dashboard-seconds", str(args.dashboard_seconds),
                "--writes-per-second", str(args.writes_per_second),
                *(["--keep"] if args.keep else []),
            ]  # fmt: skip
            print(f"\n== {count:,} problems ==", flush=True)
            if subprocess.run(child, check=False).returncode != 0:
                print(f"The {count:,}-problem run failed.", file=sys.stderr)
                return 1
            reports.append(json.loads(out.read_text()))
        _print_report(reports)
        if not args.check_only:
            results = BENCH_DIR / f"portfolio-results-c{args.concurrency}{_kind(args)}.json"
            results.write_text(json.dumps(reports, indent=1))
            print(f"\nFigures written to {results}.")
    finally:
        if started and not args.keep and server is not None:
            server.stop()
    if args.keep and started:
        print(
            "The databases are kept and their server left running: python -m bench.portfolio --stop"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
