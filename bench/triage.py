"""Benchmark the triage queue and similar problems at city scale.

    python -m bench.triage [--problems 100000] [--requests 2000] [--concurrency 16] [--keep]

Loads a city with N problems and their history into a fresh ``intake_bench`` database
(built by the migrations), stores every problem's similar problems as
``intake similar backfill`` does (timed), then drives the real app in this process with
``--concurrency`` workers and measures requests/s and latency percentiles per endpoint.
The same SQL is then run straight through an asyncpg pool in the same process, with the
same concurrency, and the app's rate is reported as a share of that raw rate. Targets
(2-core machine): queue p99 <= 30 ms, similar p99 <= 50 ms, each at least 0.5 of the raw
rate. The run reports; it never fails on a missed target. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
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

from bench import databases, raw
from bench.dataset import DATASET_VERSION, City, load, read_city
from bench.driver import Result, drive
from intake.app import create_app
from intake.cli import backfill_similar
from intake.config import Settings
from intake.db import migrate
from intake.db.embedded import EmbeddedPostgres
from intake.triage.similar import LIMIT
from intake.web.auth import LocalKeys

BENCH_DIR = Path(".intake/bench")
DATABASE = "intake_bench"
QUEUE_P99_MS, SIMILAR_P99_MS, MIN_RATIO = 30.0, 50.0, 0.5


# -- the database ---------------------------------------------------------------------------


def _signature(count: int, seed: int) -> str:
    """What a loaded benchmark database holds, kept as its comment, so --keep reuses it safely."""
    return f"intake bench dataset v{DATASET_VERSION}: {count} problems, seed {seed}"


@dataclass
class Dataset:
    city: City
    problems: int
    events: int
    open_problems: int
    load_seconds: float | None  # None: reused from an earlier --keep run


def load_city(server_url: str, database: str, count: int, seed: int, keep: bool) -> Dataset:
    """Database ``database`` on the server, holding a city of ``count`` problems built by the
    migrations and loaded by the demo generator: reused if ``keep`` and it already holds that
    city (its signature says so), otherwise created and loaded afresh. bench.similar loads its
    city with this too."""
    url = databases.with_database(server_url, database)
    reuse = keep and asyncio.run(databases.signature(url)) == _signature(count, seed)
    if not reuse:
        asyncio.run(databases.recreate(server_url, database))
    migrate.upgrade(url)
    print(f"{'Reusing' if reuse else 'Loading'} {count:,} problems...", flush=True)
    data = asyncio.run(_prepare(url, database, count, seed, reuse))
    if data.load_seconds is not None:
        print(
            f"Loaded {data.problems:,} problems and {data.events:,} history events "
            f"in {data.load_seconds:.1f} s (COPY, then VACUUM ANALYZE)."
        )
    return data


async def _prepare(url: str, database: str, count: int, seed: int, reuse: bool) -> Dataset:
    started = perf_counter()
    if reuse:
        city, problems, events, seconds = await read_city(databases.plain(url)), count, 0, None
    else:
        city, problems, events = await load(databases.plain(url), count, seed)
        seconds = perf_counter() - started
        await databases.sign(url, database, _signature(count, seed))
    connection = await asyncpg.connect(databases.plain(url))
    try:
        open_problems = await connection.fetchval(
            "SELECT count(*) FROM problems WHERE status IN ('submitted', 'triage', 'needs_info')"
        )
        if reuse:
            events = await connection.fetchval("SELECT count(*) FROM problem_events")
    finally:
        await connection.close()
    return Dataset(city, problems, events, open_problems, seconds)


async def _vacuum(url: str, *tables: str) -> None:
    connection = await asyncpg.connect(databases.plain(url))
    try:
        for table in tables:
            await connection.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        await connection.close()


async def _stored_matches(url: str) -> str:
    """How many matches are stored, and the table's size with its indexes."""
    connection = await asyncpg.connect(databases.plain(url))
    try:
        row = await connection.fetchrow(
            "SELECT count(*) AS matches, count(DISTINCT problem_id) AS lists, "
            "pg_size_pretty(pg_total_relation_size('problem_similarities')) AS size "
            "FROM problem_similarities"
        )
    finally:
        await connection.close()
    average = row["matches"] / max(row["lists"], 1)
    return (
        f"{row['matches']:,} matches stored ({average:.1f} per problem that has any), "
        f"{row['size']} with indexes"
    )


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
    """One measured endpoint: its path for request i, and the same SQL through raw asyncpg."""

    key: str  # for --endpoints
    label: str
    path: Callable[[int], str]
    raw: Callable[[int], Awaitable[Any]] | None
    p99_target_ms: float | None = None
    authenticated: bool = True


async def _get(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> Any:
    response = await client.get(path, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} -> {response.status_code}: {response.text[:200]}")
    return response


def _statement_log(engine: Any) -> list[str]:
    """Every statement the app sends from now on (first 110 characters of each).

    BEGIN, COMMIT and ROLLBACK count too: they are round trips like any other.
    """
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split())[:110])

    target = engine.sync_engine
    event.listen(target, "before_cursor_execute", record)
    for name in ("begin", "commit", "rollback"):
        event.listen(target, name, lambda conn, word=name.upper(): seen.append(word))
    return seen


def _ids(body: Any) -> list[str] | None:
    """The problem ids of a queue page or of a similar-problems list."""
    items = body.get("items") if isinstance(body, dict) else body
    if not isinstance(items, list):
        return None
    return [str(item["id"]) for item in items]


# -- running it -----------------------------------------------------------------------------


async def _sample(url: str, seed: int, size: int) -> list[uuid.UUID]:
    """Submitted problems in a seeded random order, drawn in SQL (no 100k ids in Python)."""
    connection = await asyncpg.connect(databases.plain(url))
    try:
        rows = await connection.fetch(
            "SELECT id FROM problems WHERE reference IS NOT NULL "
            "ORDER BY md5(id::text || $1) LIMIT $2",
            str(seed),
            size,
        )
    finally:
        await connection.close()
    return [row["id"] for row in rows]


def _endpoints(
    direct: raw.RawIntake, sample: list[uuid.UUID], departments: list[str]
) -> list[Endpoint]:
    def department(i: int) -> str:
        return departments[i % len(departments)]

    def problem(i: int) -> uuid.UUID:
        return sample[i % len(sample)]

    return [
        Endpoint("health", "health/live (no DB)", lambda i: "/health/live", None, None, False),
        Endpoint("me", "me (auth + 2 queries)", lambda i: "/api/v1/me", lambda i: direct.me()),
        Endpoint(
            "queue",
            "queue",
            lambda i: "/api/v1/triage/queue?limit=25",
            lambda i: direct.queue(),
            QUEUE_P99_MS,
        ),
        Endpoint(
            "queue-department",
            "queue?department=",
            lambda i: f"/api/v1/triage/queue?limit=25&department={department(i)}",
            lambda i: direct.queue(department(i)),
            QUEUE_P99_MS,
        ),
        Endpoint(
            "similar",
            "similar",
            lambda i: f"/api/v1/problems/{problem(i)}/similar",
            lambda i: direct.similar(problem(i)),
            SIMILAR_P99_MS,
        ),
    ]


async def _measure(
    args: argparse.Namespace, url: str, data: Dataset, settings: Settings
) -> list[tuple[Endpoint, Result, Result | None]]:
    email = data.city.triager_email
    headers = {"Authorization": f"Bearer {LocalKeys(settings.data_dir).issue(email)}"}
    sample = await _sample(url, args.seed, args.requests)
    rng = random.Random(args.seed)
    owning = sorted(code for code, members in data.city.requesters.items() if members)
    departments = [rng.choice(owning) for _ in range(args.requests)]

    app = create_app(settings, url)
    # Litestar configures the root logger at INFO; httpx would log every request we make.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    pool = await asyncpg.create_pool(
        databases.plain(url),
        min_size=args.concurrency,
        max_size=args.concurrency,
        server_settings={"application_name": "intake-bench-raw", "timezone": "UTC"},
    )
    assert pool is not None
    direct = raw.RawIntake(pool, email)
    endpoints = _endpoints(direct, sample, departments)
    if args.endpoints:
        wanted = {key.strip() for key in args.endpoints.split(",")}
        endpoints = [endpoint for endpoint in endpoints if endpoint.key in wanted]
    results: list[tuple[Endpoint, Result, Result | None]] = []
    try:
        async with _serve(app, args.transport, args.concurrency) as client:

            def through_app(endpoint: Endpoint) -> Callable[[int], Awaitable[Any]]:
                sent = headers if endpoint.authenticated else {}
                return lambda i: _get(client, endpoint.path(i), sent)

            await _verify(client, headers, endpoints, app, direct, args.show_sql)
            for endpoint in endpoints:
                app_result = await _phase(endpoint.label, through_app(endpoint), args)
                raw_result = None
                if endpoint.raw is not None:
                    raw_result = await _phase(endpoint.label, endpoint.raw, args)
                results.append((endpoint, app_result, raw_result))
                _progress(endpoint, app_result, raw_result)
        if args.explain:
            await _explain(direct, sample[0])
    finally:
        await pool.close()
    return results


async def _phase(
    name: str, call: Callable[[int], Awaitable[Any]], args: argparse.Namespace
) -> Result:
    """Warm up (caches, prepared statements, pools), then measure."""
    await drive(
        name,
        call,
        requests=max(args.concurrency * 4, args.requests // 10),
        concurrency=args.concurrency,
        max_seconds=args.max_seconds / 4,
    )
    gc.collect()  # start each measurement with a clean heap
    return await drive(
        name,
        call,
        requests=args.requests,
        concurrency=args.concurrency,
        max_seconds=args.max_seconds,
    )


async def _verify(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    endpoints: list[Endpoint],
    app: Any,
    direct: raw.RawIntake,
    show_sql: bool,
) -> None:
    """Check the raw baseline does the app's work: the same statements, the same rows.

    Without the check, the app/raw ratio could be comparing different work. Both sides
    record what they send (BEGIN and COMMIT included); the counts must match request by
    request, and the raw SQL must return the app's problems in the app's order.
    """
    statements = _statement_log(app.state.engine)
    counts, mismatched = [], []
    for endpoint in endpoints:
        if endpoint.raw is None:
            continue
        # First fill what both keep between requests (the SLA calendar).
        await _get(client, endpoint.path(0), headers)
        for i in range(3):
            statements.clear()
            response = await _get(client, endpoint.path(i), headers)
            sent_by_app = list(statements)
            direct.log = []
            want = await endpoint.raw(i)
            sent_raw, direct.log = direct.log, None
            if i == 0:
                counts.append(f"{endpoint.key} {len(sent_by_app)}")
                if show_sql:
                    print(f"  SQL of one {endpoint.label} request:", *sent_by_app, sep="\n    ")
                    print("  raw:", *sent_raw, sep="\n    ")
            if len(sent_by_app) != len(sent_raw):
                mismatched.append(
                    f"{endpoint.key} #{i} sends {len(sent_by_app)} (app) "
                    f"vs {len(sent_raw)} (raw) statements"
                )
            got = _ids(response.json())
            if isinstance(want, list) and got != [str(value) for value in want]:
                mismatched.append(f"{endpoint.key} #{i} returns other rows")
    if counts:
        print(f"Statements per request, BEGIN and COMMIT included: {', '.join(counts)}.")
        print(
            "Raw SQL sends the app's statements and returns its rows: "
            + ("yes." if not mismatched else f"NO: {'; '.join(mismatched)}.")
        )


def _progress(endpoint: Endpoint, app: Result, direct: Result | None) -> None:
    line = f"  {endpoint.label:<22} app {app.rate:7.1f} req/s p99 {app.percentile(0.99):7.1f} ms"
    if direct is not None:
        line += f" | raw {direct.rate:7.1f} req/s p99 {direct.percentile(0.99):7.1f} ms"
    if app.errors:
        line += f" | {len(app.errors)} errors, first: {app.errors[0]}"
    print(line, flush=True)


async def _explain(direct: raw.RawIntake, problem_id: uuid.UUID) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the queue and similar problems, as the app runs them."""
    async with direct.pool.acquire() as connection:
        caller = await connection.fetchrow(raw.CALLER_SQL, direct.email.lower())
        arguments = [caller["department_id"], 26, *raw.QUEUE_STATES]
        plans = [
            ("queue", raw.QUEUE_SQL, arguments),
            ("queue?department=DBI", raw.QUEUE_BY_DEPARTMENT_SQL, [*arguments, "DBI"]),
            (
                f"similar to {problem_id} (stored)",
                raw.SIMILAR_SQL,
                [problem_id, caller["department_id"], LIMIT],
            ),
        ]
        for title, sql, values in plans:
            rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *values)
            print(f"\nEXPLAIN (ANALYZE, BUFFERS) {title}:")
            print("\n".join(row[0] for row in rows))


# -- the report -----------------------------------------------------------------------------


def _report(
    args: argparse.Namespace, results: list[tuple[Endpoint, Result, Result | None]]
) -> None:
    print()
    header = (
        f"{'endpoint':<22} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'raw req/s':>10} {'raw p99':>8} {'app/raw':>8} {'cpu/req':>8} {'raw cpu':>8}  verdict"
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
            f"{endpoint.label:<22} {app.rate:8.1f} {app.percentile(0.5):7.1f} "
            f"{app.percentile(0.95):7.1f} {app.percentile(0.99):7.1f} "
            + (
                f"{direct.rate:10.1f} {direct.percentile(0.99):8.1f} {ratio:8.2f} "
                if direct and ratio is not None
                else f"{'':>10} {'':>8} {'':>8} "
            )
            + f"{app.cpu_per_request * 1000:8.2f} "
            + (f"{direct.cpu_per_request * 1000:8.2f}  " if direct else f"{'':>8}  ")
            + verdict
        )
        for result in (app, direct):
            if result is not None and result.errors:
                print(f"    {result.name}: {len(result.errors)} errors; first: {result.errors[0]}")
            if result is not None and result.count < args.requests:
                print(f"    {result.name}: stopped after {result.count} requests (--max-seconds)")
    print(
        "\nLatencies in ms; rates in requests/s; raw = the same SQL through asyncpg; cpu/req ="
        "\nCPU ms per request spent in this process (app or raw, plus the client driving it),"
        "\nnot in PostgreSQL: the figure other work on the machine disturbs least."
    )


# -- entry point ----------------------------------------------------------------------------


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.triage", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--problems", type=int, default=100_000, help="problems to load")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent workers")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep (and reuse) the loaded database and leave its server running",
    )
    parser.add_argument(
        "--transport",
        choices=("asgi", "uvicorn"),
        default="asgi",
        help="asgi: call the app directly; uvicorn: serve it on loopback and use HTTP",
    )
    parser.add_argument("--max-seconds", type=float, default=60.0, help="cap per measured phase")
    parser.add_argument(
        "--endpoints",
        help="only these (comma-separated): health, me, queue, queue-department, similar",
    )
    parser.add_argument(
        "--pool-size", type=int, help="the app's INTAKE_DB_POOL_SIZE (default: the app's default)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN (ANALYZE, BUFFERS) of the main queries",
    )
    parser.add_argument(
        "--show-sql", action="store_true", help="print the statements the app sends per request"
    )
    parser.add_argument(
        "--stop",
        action="store_true",
        help="stop the benchmark's embedded PostgreSQL (after --keep) and exit",
    )
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
        url = databases.with_database(server_url, DATABASE)
        data = load_city(server_url, DATABASE, args.problems, args.seed, args.keep)
        settings = replace(
            Settings(),
            data_dir=BENCH_DIR / "app",
            database_url=url,
            seed_demo=False,
            log_level="warning",
            # The background SLA sweep would write breach events into the dataset mid-run and
            # compete with the measured requests; it is not part of either endpoint.
            sla_sweep_seconds=0,
            webhook_seconds=0,  # no subscriptions in the dataset; nothing to measure
            rate_limit_per_minute=0,  # one triager's token makes thousands of requests
        )
        if args.pool_size:
            settings = replace(settings, db_pool_size=args.pool_size)
        print("Storing similar problems (intake similar backfill)...", flush=True)
        backfill = asyncio.run(backfill_similar(settings, url))
        if backfill.filled:
            # As autovacuum soon would: the new rows' statistics, and the visibility map the
            # index-only read of a problem's best matches relies on.
            asyncio.run(_vacuum(url, "problem_similarities", "problems"))
        print(
            f"Stored the similar problems of {backfill.filled:,} problems in "
            f"{backfill.seconds:.1f} s; {asyncio.run(_stored_matches(url))}."
        )
        print(
            f"{data.open_problems:,} problems in the triage queue. Measuring {args.requests:,} "
            f"requests per phase, concurrency {args.concurrency}, transport {args.transport}, "
            f"{os.cpu_count()} CPUs.",
            flush=True,
        )
        results = asyncio.run(_measure(args, url, data, settings))
        _report(args, results)
        if not args.keep:
            asyncio.run(databases.recreate(server_url, DATABASE, drop_only=True))
    finally:
        if started and not args.keep and server is not None:
            server.stop()
    if args.keep and started:
        print("\nThe database is kept and its server left running: python -m bench.triage --stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
