"""Benchmark the triage queue and the similar-problem search at city scale.

    python -m bench.triage [--problems 100000] [--requests 2000] [--concurrency 16] [--keep]

Loads a city with N problems and their history into a fresh ``intake_bench`` database
(built by the migrations), then drives the real app in this process with ``--concurrency``
workers and measures requests/s and latency percentiles per endpoint. The same SQL is then
run straight through an asyncpg pool in the same process, with the same concurrency, and
the app's rate is reported as a share of that raw rate. Targets (2-core machine): queue
p99 <= 30 ms, similar p99 <= 50 ms, each at least 0.5 of the raw rate. The run reports;
it never fails on a missed target. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from time import perf_counter
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench import raw
from bench.dataset import City, load, read_city
from bench.driver import Result, drive
from intake.app import create_app
from intake.config import Settings
from intake.db import migrate
from intake.db.embedded import EmbeddedPostgres
from intake.lib.auth import LocalKeys

BENCH_DIR = Path(".intake/bench")
DATABASE = "intake_bench"
QUEUE_P99_MS, SIMILAR_P99_MS, MIN_RATIO = 30.0, 50.0, 0.5


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


# -- the database ---------------------------------------------------------------------------


async def _loaded_count(url: str) -> int | None:
    """Problems in an existing benchmark database, or None when there is none to reuse."""
    try:
        connection = await asyncpg.connect(_plain(url))
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        exists = await connection.fetchval("SELECT to_regclass('public.problems') IS NOT NULL")
        return int(await connection.fetchval("SELECT count(*) FROM problems")) if exists else None
    finally:
        await connection.close()


async def _recreate(server_url: str, drop_only: bool = False) -> None:
    admin = await asyncpg.connect(_plain(_with_database(server_url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if not drop_only:
            await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()


@dataclass
class Dataset:
    city: City
    problems: int
    events: int
    open_problems: int
    load_seconds: float | None  # None: reused from an earlier --keep run


async def _prepare(url: str, count: int, seed: int, reuse: bool) -> Dataset:
    started = perf_counter()
    if reuse:
        city, problems, events, seconds = await read_city(_plain(url)), count, 0, None
    else:
        city, problems, events = await load(_plain(url), count, seed)
        seconds = perf_counter() - started
    connection = await asyncpg.connect(_plain(url))
    try:
        open_problems = await connection.fetchval(
            "SELECT count(*) FROM problems WHERE status IN ('submitted', 'triage', 'needs_info')"
        )
        if reuse:
            events = await connection.fetchval("SELECT count(*) FROM problem_events")
    finally:
        await connection.close()
    return Dataset(city, problems, events, open_problems, seconds)


# -- the app, in this process ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def _serve(app: Any, transport: str, concurrency: int) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the app: straight into its ASGI callable, or over loopback HTTP."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    if transport == "asgi":
        async with (
            app.lifespan(),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://intake", limits=limits
            ) as client,
        ):
            yield client
        return
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
        ) as client:
            yield client
    finally:
        server.should_exit = True
        await task


@dataclass
class Endpoint:
    """One measured endpoint: how to call it through the app and through raw asyncpg."""

    name: str
    app: Callable[[int], Awaitable[Any]]
    raw: Callable[[int], Awaitable[Any]] | None
    p99_target_ms: float | None


async def _get(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> Any:
    response = await client.get(path, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} -> {response.status_code}: {response.text[:200]}")
    return response


def _statements(engine: Any) -> list[str]:
    """Record the SQL the app sends (first line of each statement), for the report."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split())[:110])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    return seen


# -- running it -----------------------------------------------------------------------------


async def _measure(
    args: argparse.Namespace, url: str, data: Dataset, settings: Settings
) -> list[tuple[Endpoint, Result, Result | None]]:
    city = data.city
    email = city.triager_email
    headers = {"Authorization": f"Bearer {LocalKeys(settings.data_dir).issue(email)}"}
    rng = random.Random(args.seed)
    connection = await asyncpg.connect(_plain(url))
    try:
        ids = [
            row["id"]
            for row in await connection.fetch(
                "SELECT id FROM problems WHERE reference IS NOT NULL ORDER BY id"
            )
        ]
    finally:
        await connection.close()
    sample: list[uuid.UUID] = rng.sample(ids, min(len(ids), args.requests))
    owning = sorted(code for code, members in city.requesters.items() if members)
    departments = [rng.choice(owning) for _ in range(args.requests)]

    app = create_app(settings, url)
    # Litestar configures the root logger at INFO; httpx would log every request we make.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    pool = await asyncpg.create_pool(
        _plain(url),
        min_size=args.concurrency,
        max_size=args.concurrency,
        server_settings={"application_name": "intake-bench-raw", "timezone": "UTC"},
    )
    assert pool is not None
    direct = raw.RawIntake(pool, email)
    results: list[tuple[Endpoint, Result, Result | None]] = []
    try:
        async with _serve(app, args.transport, args.concurrency) as client:

            def queue(i: int) -> Awaitable[Any]:
                return _get(client, "/api/v1/triage/queue?limit=25", headers)

            def queue_department(i: int) -> Awaitable[Any]:
                path = f"/api/v1/triage/queue?limit=25&department={departments[i % len(departments)]}"
                return _get(client, path, headers)

            def similar(i: int) -> Awaitable[Any]:
                return _get(client, f"/api/v1/problems/{sample[i % len(sample)]}/similar", headers)

            endpoints = [
                Endpoint("health/live (no DB)", lambda i: _get(client, "/health/live", {}), None, None),
                Endpoint("me (auth + 1 query)", lambda i: _get(client, "/api/v1/me", headers), lambda i: direct.me(), None),
                Endpoint("queue", queue, lambda i: direct.queue(), QUEUE_P99_MS),
                Endpoint(
                    "queue?department=",
                    queue_department,
                    lambda i: direct.queue(departments[i % len(departments)]),
                    QUEUE_P99_MS,
                ),
                Endpoint(
                    "similar",
                    similar,
                    lambda i: direct.similar(sample[i % len(sample)]),
                    SIMILAR_P99_MS,
                ),
            ]
            await _check_same_rows(client, headers, direct, sample[:5], app, args.show_sql)
            for endpoint in endpoints:
                app_result = await _phase(endpoint.name, endpoint.app, args)
                raw_result = (
                    await _phase(endpoint.name, endpoint.raw, args) if endpoint.raw else None
                )
                results.append((endpoint, app_result, raw_result))
                _progress(endpoint, app_result, raw_result)
        if args.explain:
            await _explain(pool, email, sample[0])
    finally:
        await pool.close()
    return results


async def _phase(name: str, call: Callable[[int], Awaitable[Any]], args: argparse.Namespace) -> Result:
    """Warm up (caches, prepared statements, pools), then measure."""
    await drive(
        name,
        call,
        requests=max(args.concurrency * 4, args.requests // 10),
        concurrency=args.concurrency,
        max_seconds=args.max_seconds / 4,
    )
    return await drive(
        name,
        call,
        requests=args.requests,
        concurrency=args.concurrency,
        max_seconds=args.max_seconds,
    )


async def _check_same_rows(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    direct: raw.RawIntake,
    sample: list[uuid.UUID],
    app: Any,
    show_sql: bool,
) -> None:
    """The raw SQL must return what the app returns, or the ratio means nothing."""
    statements = _statements(app.state.engine)
    checks: list[tuple[str, list[str], list[str], int]] = []
    for name, path, expected in (
        ("queue", "/api/v1/triage/queue?limit=25", direct.queue),
        ("queue?department=DBI", "/api/v1/triage/queue?limit=25&department=DBI", None),
    ):
        statements.clear()
        body = (await _get(client, path, headers)).json()
        got = [item["id"] for item in body["items"]]
        want = await (expected() if expected else direct.queue("DBI"))
        checks.append((name, got, [str(i) for i in want], len(statements)))
        sql = list(statements)
    if show_sql:
        print("  SQL per queue request (app):", *sql, sep="\n    ")
    for problem_id in sample:
        statements.clear()
        body = (await _get(client, f"/api/v1/problems/{problem_id}/similar", headers)).json()
        want = await direct.similar(problem_id)
        checks.append(
            (f"similar {problem_id}", [i["id"] for i in body], [str(i) for i in want], len(statements))
        )
    if show_sql:
        print("  SQL per similar request (app):", *statements, sep="\n    ")
    mismatched = [name for name, got, want, _ in checks if got != want]
    counts = sorted({(name.split()[0], n) for name, _, _, n in checks})
    print(
        "Raw SQL returns the app's rows: "
        + ("yes" if not mismatched else f"NO for {', '.join(mismatched)}")
        + "; app statements per request: "
        + ", ".join(f"{name} {n}" for name, n in counts)
    )


def _progress(endpoint: Endpoint, app: Result, direct: Result | None) -> None:
    line = f"  {endpoint.name:<22} app {app.rate:7.1f} req/s p99 {app.percentile(0.99):7.1f} ms"
    if direct is not None:
        line += f" | raw {direct.rate:7.1f} req/s p99 {direct.percentile(0.99):7.1f} ms"
    if app.errors:
        line += f" | {len(app.errors)} errors, first: {app.errors[0]}"
    print(line, flush=True)


async def _explain(pool: asyncpg.Pool, email: str, problem_id: uuid.UUID) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the queue and the similar search, as the app runs them."""
    async with pool.acquire() as connection:
        caller = await connection.fetchrow(raw.CALLER_SQL, email.lower())
        arguments = [*raw.QUEUE_STATES, caller["department_id"], raw.FAR_FUTURE, -1, 26]
        problem = await connection.fetchrow(raw.VISIBLE_PROBLEM_SQL, problem_id, caller["department_id"])
        query = await connection.fetchval(
            raw.SIMILAR_TERMS_SQL, problem["title"], problem["problem_statement"] or "", 12
        )
        plans = [
            ("queue", raw.QUEUE_SQL, arguments),
            ("queue?department=DBI", raw.QUEUE_BY_DEPARTMENT_SQL, [*arguments, "DBI"]),
            (
                f"similar to {problem['reference']} ({problem['title']})",
                raw.SIMILAR_SQL,
                [query, problem_id, caller["department_id"], 10],
            ),
        ]
        for title, sql, values in plans:
            rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *values)
            print(f"\nEXPLAIN (ANALYZE, BUFFERS) {title}:")
            print("\n".join(row[0] for row in rows))


# -- the report -----------------------------------------------------------------------------


def _report(args: argparse.Namespace, data: Dataset, results: list[tuple[Endpoint, Result, Result | None]]) -> None:
    print()
    header = (
        f"{'endpoint':<22} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'raw req/s':>10} {'raw p99':>8} {'app/raw':>8}  verdict"
    )
    print(header)
    print("-" * len(header))
    for endpoint, app, direct in results:
        ratio = app.rate / direct.rate if direct and direct.rate else None
        verdict = ""
        if endpoint.p99_target_ms is not None and ratio is not None:
            p99_ok = app.percentile(0.99) <= endpoint.p99_target_ms
            ratio_ok = ratio >= MIN_RATIO
            verdict = (
                f"p99 {'PASS' if p99_ok else 'MISS'} (<= {endpoint.p99_target_ms:.0f} ms), "
                f"ratio {'PASS' if ratio_ok else 'MISS'} (>= {MIN_RATIO})"
            )
        print(
            f"{endpoint.name:<22} {app.rate:8.1f} {app.percentile(0.5):7.1f} "
            f"{app.percentile(0.95):7.1f} {app.percentile(0.99):7.1f} "
            + (
                f"{direct.rate:10.1f} {direct.percentile(0.99):8.1f} {ratio:8.2f}  "
                if direct and ratio is not None
                else f"{'':>10} {'':>8} {'':>8}  "
            )
            + verdict
        )
        for result in (app, direct):
            if result is not None and result.errors:
                print(f"    {result.name}: {len(result.errors)} errors; first: {result.errors[0]}")
            if result is not None and result.count < args.requests:
                print(f"    {result.name}: stopped after {result.count} requests (--max-seconds)")
    print("\nLatencies in ms; rates in requests/s; raw = the same SQL through asyncpg.")


# -- entry point ----------------------------------------------------------------------------


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.triage", description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=100_000, help="problems to load")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent workers")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the loaded database and leave its server running")
    parser.add_argument("--transport", choices=("asgi", "uvicorn"), default="asgi", help="asgi: call the app directly; uvicorn: serve it on loopback and use HTTP")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="cap per measured phase")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the main queries")
    parser.add_argument("--show-sql", action="store_true", help="print the statements the app sends per request")
    parser.add_argument("--stop", action="store_true", help="stop the benchmark's embedded PostgreSQL (after --keep) and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    configured = os.environ.get("INTAKE_BENCH_DATABASE_URL")
    server = None if configured else EmbeddedPostgres(BENCH_DIR)
    if args.stop:
        if server is not None:
            server.stop()
        return 0
    started = server.start() if server is not None else False
    try:
        server_url = configured or (server.url("postgres") if server is not None else "")
        url = _with_database(server_url, DATABASE)
        reuse = args.keep and asyncio.run(_loaded_count(url)) == args.problems
        if not reuse:
            asyncio.run(_recreate(server_url))
        migrate.upgrade(url)
        print(f"{'Reusing' if reuse else 'Loading'} {args.problems:,} problems...", flush=True)
        data = asyncio.run(_prepare(url, args.problems, args.seed, reuse))
        if data.load_seconds is not None:
            print(
                f"Loaded {data.problems:,} problems and {data.events:,} history events "
                f"in {data.load_seconds:.1f} s (COPY, then VACUUM ANALYZE)."
            )
        print(
            f"{data.open_problems:,} problems in the triage queue. Measuring {args.requests:,} "
            f"requests per phase, concurrency {args.concurrency}, transport {args.transport}, "
            f"{os.cpu_count()} CPUs.",
            flush=True,
        )
        settings = replace(
            Settings(),
            data_dir=BENCH_DIR / "app",
            database_url=url,
            seed_demo=False,
            log_level="warning",
        )
        results = asyncio.run(_measure(args, url, data, settings))
        _report(args, data, results)
        if not args.keep:
            asyncio.run(_recreate(server_url, drop_only=True))
    finally:
        if started and not args.keep and server is not None:
            server.stop()
    if args.keep and started:
        print(f"\nThe benchmark database is kept; stop its server with: {sys.argv[0]} --stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
