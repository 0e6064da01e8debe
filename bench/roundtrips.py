"""How many statements each hot and write endpoint sends to PostgreSQL, BEGIN and COMMIT
included: the checklist for the lean request path (docs/performance.md, "The request path").

    python -m bench.roundtrips [--problems 10000] [--seed 7]

Builds the app in this process (``create_app``, as ``intake serve`` does) on a copy of a
city bench/http has kept (``python -m bench.http --problems 10000 --keep``), dropped
afterwards, and sends it the requests bench/http sends, through Litestar's test client
(no socket). Two hooks see what each request sends: SQLAlchemy's engine events (every
statement, and the transaction's BEGIN and COMMIT where they go out) and asyncpg's query
logger on every connection the pool opens (a raw ``execute`` that bypasses the engine).
A statement whose prepared form is not cached yet costs one more round trip,
which the warm-up below keeps out of the count. Each request runs once first, unmeasured, so
that one-time work (type introspection, caches) is not counted; a write's warm-up works on
a draft of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from bench import databases
from bench.http import BENCH_DIR, DRAFT, KEYS_DIR, _city, _copy, _drop, _signature
from intake.app import create_app
from intake.config import Settings
from intake.db.embedded import EmbeddedPostgres
from intake.lib import logs
from intake.web.auth import LocalKeys

SENT: list[str] = []
# asyncpg logs its BEGIN and COMMIT a moment late (call_soon); SQLAlchemy's events are on time.
_FRAMING = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)


def _sent(query: str) -> None:
    SENT.append(" ".join(query.split())[:100])


def _logged(record: Any) -> None:
    if not _FRAMING.match(record.query):  # counted, in their place, by _begin and _end
        _sent(record.query)


def _begin(_conn: Any) -> None:
    _sent("BEGIN")


def _end(_conn: Any) -> None:
    _sent("COMMIT")


def _attach(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.driver_connection.add_query_logger(_logged)


def _statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
    _sent(statement)


@contextmanager
def counting() -> Iterator[None]:
    """What every engine executes, and every connection any pool opens from now on sends
    outside the cursor, goes into SENT."""
    event.listen(Pool, "connect", _attach)
    hooks = [("before_cursor_execute", _statement), ("begin", _begin), ("commit", _end),
             ("rollback", _end)]  # fmt: skip
    for name, hook in hooks:
        event.listen(Engine, name, hook)
    try:
        yield
    finally:
        for name, hook in hooks:
            event.remove(Engine, name, hook)
        event.remove(Pool, "connect", _attach)


@dataclass
class Call:
    label: str
    who: str
    method: str
    path: str
    body: Any = None
    headers: dict[str, str] | None = None


async def _statements(client: AsyncTestClient[Any], call: Call, auth: dict[str, str]) -> Any:
    """Send ``call``; return its response and the statements it sent."""
    await asyncio.sleep(0.05)  # loggers run soon after their query: let the last ones land
    SENT.clear()
    response = await client.request(
        call.method, call.path, json=call.body, headers=auth | (call.headers or {})
    )
    await asyncio.sleep(0.05)
    if response.status_code >= 400:
        raise RuntimeError(f"{call.label}: {response.status_code} {response.text[:300]}")
    return response, list(SENT)


async def measure(url: str, problems: int, seed: int, verbose: bool) -> list[tuple[str, list[str]]]:
    city = await _city(url, seed)
    keys = LocalKeys(KEYS_DIR)
    people = {"requester": city.requester, "triager": city.triager}
    auth = {who: {"authorization": f"Bearer {keys.issue(email)}"} for who, email in people.items()}
    settings = replace(
        Settings(),
        data_dir=KEYS_DIR,
        seed_demo=False,
        sla_sweep_seconds=0,
        webhook_seconds=0,
        mail_seconds=0,
        rate_limit_per_minute=0,
    )
    app = create_app(settings, url)
    logs.configure("text", "warning")  # quiet: after the app, which sets up Litestar's logging
    problem = city.problems[0]
    one = f"/api/v1/problems/{problem}"
    term = city.terms[0]
    reads = [
        Call("GET /problems/{id}", "requester", "GET", one),
        Call("GET /me", "requester", "GET", "/api/v1/me"),
        Call("GET /problems?limit=25", "requester", "GET", "/api/v1/problems?limit=25"),
        Call("GET /problems?q=", "requester", "GET", f"/api/v1/problems?limit=25&q={term}"),
        Call("GET /problems/{id}/history", "requester", "GET", f"{one}/history"),
        Call("GET /triage/queue?limit=25", "triager", "GET", "/api/v1/triage/queue?limit=25"),
        Call("GET /me/notifications", "requester", "GET", "/api/v1/me/notifications?limit=25"),
        Call("GET /events?limit=25", "requester", "GET", "/api/v1/events?limit=25"),
    ]  # fmt: skip
    rows: list[tuple[str, list[str]]] = []
    with counting():
        async with AsyncTestClient(app) as client:
            for call in reads:
                await _statements(client, call, auth[call.who])  # warm up
                _, sent = await _statements(client, call, auth[call.who])
                rows.append((call.label, sent))
            for _ in range(2):  # the first round warms up, the second counts
                rows_now = await _writes(client, auth)
            rows += rows_now
    if verbose:
        for label, sent in rows:
            print(f"\n{label}")
            for statement in sent:
                print(f"    {statement}")
    return rows


async def _writes(
    client: AsyncTestClient[Any], auth: dict[str, dict[str, str]]
) -> list[tuple[str, list[str]]]:
    """A draft created, submitted, commented on and taken into triage."""
    rows: list[tuple[str, list[str]]] = []
    create = Call("POST /problems", "requester", "POST", "/api/v1/problems", DRAFT)
    response, sent = await _statements(client, create, auth["requester"])
    rows.append((create.label, sent))
    problem = f"/api/v1/problems/{response.json()['id']}"
    ifmatch = {"if-match": "*"}
    for call in (
        Call("POST .../submit", "requester", "POST", f"{problem}/submit", None, ifmatch),
        Call("POST .../comments", "requester", "POST", f"{problem}/comments", {"body": "Also Q3."}),
        Call("POST .../triage (take)", "triager", "POST", f"{problem}/triage", {}, ifmatch),
    ):
        _, sent = await _statements(client, call, auth[call.who])
        rows.append((call.label, sent))
    return rows


def report(rows: list[tuple[str, list[str]]], problems: int) -> None:
    print(f"\nStatements per request at {problems:,} problems (BEGIN and COMMIT included)")
    print(f"{'request':30} {'total':>5} {'BEGIN/COMMIT':>12} {'other':>5}")
    for label, sent in rows:
        framing = sum(1 for statement in sent if _FRAMING.match(statement))
        print(f"{label:30} {len(sent):5} {framing:12} {len(sent) - framing:5}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.roundtrips", description=__doc__)
    parser.add_argument("--problems", type=int, default=10_000, help="a city bench/http kept")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true", help="print every statement")
    args = parser.parse_args(argv)
    configured = os.environ.get("INTAKE_BENCH_DATABASE_URL")
    postgres = None if configured else EmbeddedPostgres(BENCH_DIR)
    started = postgres.start() if postgres is not None else False
    try:
        server_url = configured or (postgres.url("postgres") if postgres is not None else "")
        url = databases.with_database(server_url, f"intake_bench_http_{args.problems}")
        if asyncio.run(databases.signature(url)) != _signature(args.problems, args.seed):
            print(f"No kept city of {args.problems:,} problems: run "
                  f"`python -m bench.http --problems {args.problems} --keep` first.")  # fmt: skip
            return 1
        copy = asyncio.run(_copy(url))
        try:
            rows = asyncio.run(measure(copy, args.problems, args.seed, args.verbose))
        finally:
            asyncio.run(_drop(url, copy))
        report(rows, args.problems)
    finally:
        if started and postgres is not None:
            postgres.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
