"""Benchmark the pages: each main page's requests/s beside the API calls that show the same.

    python -m bench.pages [--problems 0] [--requests 200] [--concurrency 4]

Starts the app under uvicorn on 127.0.0.1 (real HTTP, a free port) on a database of its own
(the demo city, or with ``--problems N`` the generated city of ``intake demo --problems N``),
signs one person in per role by writing a session row, and drives each page and its API
equivalent in turn with a bounded number of requests (and at most ``--max-seconds`` each).
An API equivalent is the calls a program would make to show what the page shows, made one
after another and counted as one request (e.g. the problem page: the problem, its history,
comments and similar problems). Prints requests/s, p50 and p99 per row and the page's cost
over its API equivalent. The run reports; it never fails on a figure.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn

from bench import databases
from bench.dataset import load
from bench.driver import Result, drive
from intake.app import create_app
from intake.composition import create_sessionmaker
from intake.config import Settings
from intake.db import migrate
from intake.db.embedded import EmbeddedPostgres
from intake.db.session import create_engine
from intake.demo.seed import seed_demo_city
from intake.pages import sessions
from intake.web.auth import LocalKeys

BENCH_DIR = Path(".intake/bench-pages")
DATABASE = "intake_bench_pages"
VIEWS = ("summary", "flow", "sla", "teams", "outcomes", "at-risk", "distribution")


@dataclass(frozen=True)
class Person:
    email: str
    cookie: str  # a signed-in page session
    token: str  # a bearer token for the API


@dataclass(frozen=True)
class Pair:
    """One page and the API calls that show the same, for one person."""

    name: str
    who: Person
    page: str
    api: tuple[str, ...]


async def _people(url: str, settings: Settings) -> dict[str, Person]:
    """A requester with the most problems in their department, a leader: signed in."""
    connection = await asyncpg.connect(databases.plain(url))
    try:
        chosen = {
            "requester": await connection.fetchrow(
                "SELECT p.id, p.email FROM people p JOIN problems x "
                "ON x.department_id = p.department_id "
                "WHERE 'requester' = ANY(p.roles) AND p.active "
                "GROUP BY p.id ORDER BY count(*) DESC, p.email LIMIT 1"
            ),
            "leader": await connection.fetchrow(
                "SELECT id, email FROM people WHERE 'leadership' = ANY(roles) AND active "
                "ORDER BY email LIMIT 1"
            ),
        }
    finally:
        await connection.close()
    keys = LocalKeys(settings.data_dir)
    engine = create_engine(url, settings)
    people = {}
    try:
        for role, row in chosen.items():
            async with create_sessionmaker(engine)() as session, session.begin():
                token, _ = await sessions.start(session, row["id"])
            people[role] = Person(row["email"], token, keys.issue(row["email"]))
    finally:
        await engine.dispose()
    return people


async def _pairs(url: str, people: dict[str, Person]) -> list[Pair]:
    requester, leader = people["requester"], people["leader"]
    connection = await asyncpg.connect(databases.plain(url))
    try:
        department = await connection.fetchval(
            "SELECT d.code FROM people p JOIN departments d ON d.id = p.department_id "
            "WHERE p.email = $1",
            requester.email,
        )
        problem = await connection.fetchval(
            "SELECT x.id FROM problems x JOIN departments d ON d.id = x.department_id "
            "WHERE d.code = $1 AND x.submitted_at IS NOT NULL "
            "ORDER BY x.submitted_at DESC LIMIT 1",
            department,
        )
    finally:
        await connection.close()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    end_of_yesterday = f"{yesterday}T23:59:59Z"
    one = f"/api/v1/problems/{problem}"
    return [
        Pair(
            "My problems",
            requester,
            "/",
            (f"/api/v1/problems?department={department}&limit=100", "/api/v1/me/notifications"),
        ),
        Pair(
            "A problem",
            requester,
            f"/problems/{problem}",
            (one, f"{one}/history?limit=100", f"{one}/comments?limit=100", f"{one}/similar"),
        ),
        Pair("Inbox", requester, "/inbox", ("/api/v1/me/notifications?limit=50",)),
        Pair(
            "Portfolio, now",
            leader,
            "/dashboard",
            tuple(f"/api/v1/portfolio/{view}" for view in VIEWS),
        ),
        Pair(
            "Portfolio, as of yesterday",
            leader,
            f"/dashboard?as_of={yesterday}",
            tuple(f"/api/v1/portfolio/{view}?as_of={end_of_yesterday}" for view in VIEWS),
        ),
        Pair(
            "Portfolio CSV",
            leader,
            "/dashboard/export.csv",
            ("/api/v1/portfolio/export.csv",),
        ),
    ]


def _page_call(client: httpx.AsyncClient, pair: Pair) -> Callable[[int], Awaitable[None]]:
    cookies = {sessions.COOKIE: pair.who.cookie}

    async def call(_: int) -> None:
        response = await client.get(pair.page, cookies=cookies)
        if response.status_code != 200:
            raise RuntimeError(f"{pair.page} -> {response.status_code}")

    return call


def _api_call(client: httpx.AsyncClient, pair: Pair) -> Callable[[int], Awaitable[None]]:
    headers = {"Authorization": f"Bearer {pair.who.token}"}

    async def call(_: int) -> None:
        for path in pair.api:
            response = await client.get(path, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{path} -> {response.status_code}")

    return call


async def _serve(settings: Settings, url: str, args: argparse.Namespace) -> list[Any]:
    """The app under uvicorn on a loopback port; every pair measured against it."""
    people = await _people(url, settings)
    pairs = await _pairs(url, people)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        create_app(settings, url), log_config=None, lifespan="on", log_level="warning"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    rows = []
    try:
        for _ in range(600):
            if server.started or serving.done():
                break
            await asyncio.sleep(0.1)
        if not server.started:
            serving.result()
            raise RuntimeError("uvicorn did not start")
        base = f"http://127.0.0.1:{listening.getsockname()[1]}"
        limits = httpx.Limits(max_connections=args.concurrency)
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
            for pair in pairs:
                measured = []
                for kind, call in (
                    ("page", _page_call(client, pair)),
                    ("API", _api_call(client, pair)),
                ):
                    await call(0)  # warm: the first request computes what later ones reuse
                    result = await drive(
                        f"{pair.name} ({kind})",
                        call,
                        requests=args.requests,
                        concurrency=args.concurrency,
                        max_seconds=args.max_seconds,
                    )
                    measured.append(result)
                    _line(result, pair, kind)
                rows.append((pair, *measured))
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 60)
        listening.close()
    return rows


def _line(result: Result, pair: Pair, kind: str) -> None:
    what = pair.page if kind == "page" else " + ".join(pair.api)
    errors = f", {len(result.errors)} errors: {result.errors[0]}" if result.errors else ""
    print(
        f"  {result.name:<38} {result.rate:8.1f} req/s  p50 {result.percentile(0.5):7.1f} ms"
        f"  p99 {result.percentile(0.99):7.1f} ms  ({result.count} requests){errors}",
        flush=True,
    )
    print(f"      {what}", flush=True)


def _report(rows: list[Any], args: argparse.Namespace) -> None:
    print()
    print(
        f"Pages against their API equivalents ({args.requests} requests each, "
        f"concurrency {args.concurrency}):"
    )
    print(f"  {'page':<30} {'page req/s':>11} {'API req/s':>10} {'page/API time':>14}")
    for pair, page, api in rows:
        ratio = (api.rate / page.rate) if page.rate else float("nan")
        print(f"  {pair.name:<30} {page.rate:11.1f} {api.rate:10.1f} {ratio:13.2f}x")


async def _fill(url: str, problems: int, seed: int) -> None:
    """The demo city, or a generated one of ``problems`` problems."""
    if problems:
        print(f"Loading a generated city of {problems:,} problems...", flush=True)
        await load(databases.plain(url), problems, seed)
        return
    engine = create_engine(url, Settings())
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await seed_demo_city(session)
    finally:
        await engine.dispose()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--problems", type=int, default=0, help="a generated city of N problems (0: the demo city)"
    )
    parser.add_argument("--requests", type=int, default=200, help="measured requests per row")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent clients")
    parser.add_argument("--max-seconds", type=float, default=30, help="the most a row may take")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    configured = os.environ.get("INTAKE_BENCH_DATABASE_URL")
    server = None if configured else EmbeddedPostgres(BENCH_DIR)
    started = server.start() if server is not None else False
    try:
        server_url = configured or (server.url("postgres") if server is not None else "")
        url = databases.with_database(server_url, DATABASE)
        asyncio.run(databases.recreate(server_url, DATABASE))
        migrate.upgrade(url)  # runs its own event loop
        asyncio.run(_fill(url, args.problems, args.seed))
        settings = replace(
            Settings(),
            data_dir=BENCH_DIR / "app",
            database_url=url,
            seed_demo=False,
            log_level="warning",
            sla_sweep_seconds=0,
            webhook_seconds=0,
            mail_seconds=0,
            rate_limit_per_minute=0,
        )
        rows = asyncio.run(_serve(settings, url, args))
        _report(rows, args)
        asyncio.run(databases.recreate(server_url, DATABASE, drop_only=True))
    finally:
        if server is not None and started:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
