"""Benchmark similar problems: do paraphrases come up, and what does it cost, at city scale.

    python -m bench.similar [--problems 10000] [--requests 1000] [--keep]

Loads a city of N problems written by the demo generator with ``bench.triage.load_city`` (the
loading ``make bench`` does, into a database of its own) and computes every problem's terms,
weights and similar problems as ``intake similar recompute`` does (timed). Then it buries in it
the paraphrase pairs of ``tests/corpus/`` (the same problem told by two departments in other
words), each file in a copy of the city of its own (the files were written apart, and several
tell the same common problems again: buried together, they would fill one another's lists):
each pair's problems are drafted and submitted through the app by requesters of two
departments (the submits are timed: each runs the search against the whole city), then given
submission times spread over the city's and searched again, so being recent helps none of them.
It prints, for each corpus, the share of pairs whose paraphrase is among the first five similar
problems of the other, first by terms alone (what a submit answers with), then once the meaning
worker's work is done (by meaning and terms), and ``GET /api/v1/problems/{id}/similar``'s
latency. The run reports; it never fails on a missed target.
See docs/performance.md, "Similar problems: paraphrases".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import random
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from time import perf_counter
from typing import Any

import asyncpg
import httpx

from bench import databases
from bench.driver import Result, drive
from bench.triage import load_city
from intake.app import create_app
from intake.cli import _sessions, embed_meanings, recompute_similar
from intake.config import Settings
from intake.db import migrate, models
from intake.db.embedded import EmbeddedPostgres
from intake.demo.generate import DOMAIN
from intake.triage import similar
from intake.web.auth import LocalKeys

BENCH_DIR = Path(".intake/bench")
CITY = "intake_bench_similar_city"  # the loaded city, kept as the template of each run
DATABASE = "intake_bench_similar"  # the city, recomputed: the template of each file's copy
BURIED = "intake_bench_similar_file"  # the copy one corpus file is buried in
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"
CORPORA = (
    ("paraphrases.txt", "tuned on"),
    ("paraphrases_heldout.txt", "held out"),
    ("paraphrases_fresh.txt", "fresh, held out"),
    ("paraphrases_unseen.txt", "unseen"),
    ("paraphrases_outside3.txt", "outside 3"),
    ("paraphrases_outside4.txt", "outside 4"),
    ("paraphrases_outside5.txt", "outside 5"),
    ("paraphrases_outside6.txt", "outside 6"),
    ("paraphrases_outside7.txt", "outside 7"),
    ("paraphrases_outside8.txt", "outside 8"),
    ("paraphrases_outside9.txt", "outside 9"),
)
TOP, TARGET = 5, 0.9
# The rest of each buried record shares no word with the pairs' texts.
PLAIN = {
    "affected_groups": ["residents"],
    "affected_people_per_year": 1000,
    "current_process": "Done by hand.",
    "impact_staff_hours_per_year": 100,
    "desired_outcome": "It just works.",
    "success_measures": "Fewer calls.",
    "data_sensitivity": "internal",
}


def read_pairs(path: Path) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """The pairs of a corpus file: two lines (DEPARTMENT | title | statement) a pair."""
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            _department, title, statement = (part.strip() for part in line.split("|"))
            texts.append((title, statement))
    return list(zip(texts[0::2], texts[1::2], strict=True))


# -- the databases --------------------------------------------------------------------------


async def _from_template(server_url: str, name: str = DATABASE, template: str = CITY) -> None:
    """A fresh database copied from another (seconds, not a reload)."""
    admin = await asyncpg.connect(databases.plain(databases.with_database(server_url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()


async def _sql(url: str, statement: str, *arguments: Any) -> Any:
    connection = await asyncpg.connect(databases.plain(url))
    try:
        return await connection.fetch(statement, *arguments)
    finally:
        await connection.close()


# -- the run --------------------------------------------------------------------------------


@dataclass
class Pair:
    corpus: str
    first: dict[str, Any]
    second: dict[str, Any]


@contextlib.asynccontextmanager
async def _client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.lifespan(),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://intake", timeout=120
        ) as client,
    ):
        yield client


async def _submit(
    client: httpx.AsyncClient, token: str, title: str, statement: str, submits: Result
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    body = {**PLAIN, "title": title, "problem_statement": statement}
    created = await client.post("/api/v1/problems", json=body, headers=headers)
    if created.status_code != 201:
        raise RuntimeError(f"create -> {created.status_code}: {created.text[:300]}")
    begun = perf_counter()
    sent = await client.post(
        f"/api/v1/problems/{created.json()['id']}/submit",
        headers={**headers, "If-Match": created.headers["etag"]},
    )
    submits.latencies.append(perf_counter() - begun)
    if sent.status_code != 200:
        raise RuntimeError(f"submit -> {sent.status_code}: {sent.text[:300]}")
    problem: dict[str, Any] = sent.json()
    return problem


async def _bury(
    client: httpx.AsyncClient, keys: LocalKeys, name: str, label: str, submits: Result
) -> list[Pair]:
    """Submit every pair of a file, the two problems from two departments, through the app."""
    departments = ["dbi", "pln", "dph", "csc", "dot", "hsa", "fin", "wtr", "clk", "prk", "lib"]
    tokens = [keys.issue(f"{code}.staff01@{DOMAIN}") for code in departments]
    buried = []
    for n, (first, second) in enumerate(read_pairs(CORPUS / name)):
        one, other = n % len(tokens), (n + 1 + n // len(tokens)) % len(tokens)
        other = other if other != one else (one + 1) % len(tokens)
        paraphrase = await _submit(client, tokens[other], *second, submits)
        original = await _submit(client, tokens[one], *first, submits)
        buried.append(Pair(label, original, paraphrase))
    return buried


async def _spread(settings: Settings, url: str, pairs: list[Pair], seed: int) -> None:
    """Give the buried problems submission times spread over the city's (seeded), and search
    each again, as if it had been submitted then."""
    first, last = (await _sql(url, "SELECT min(submitted_at), max(submitted_at) FROM problems"))[0]
    rng = random.Random(seed)
    ids = [uuid.UUID(problem["id"]) for pair in pairs for problem in (pair.first, pair.second)]
    moments = [first + (last - first) * rng.random() for _ in ids]
    await _sql(
        url,
        "UPDATE problems SET submitted_at = spread.moment "
        "FROM unnest($1::uuid[], $2::timestamptz[]) AS spread(id, moment) "
        "WHERE problems.id = spread.id",
        ids,
        moments,
    )
    async with _sessions(settings, url) as sessions:
        for problem_id in ids:
            async with sessions() as session, session.begin():
                problem = await session.get(models.Problem, problem_id)
                assert problem is not None
                await similar.recompute(session, problem)


@dataclass
class Found:
    """One corpus's pairs: found in the first TOP, and those missed with their place."""

    hit: int = 0
    total: int = 0
    missed: list[str] = field(default_factory=list)


async def _found(url: str, pairs: list[Pair]) -> Found:
    """Whether each pair's second is among the first TOP similar problems of its first, its
    place read from the whole stored list (its best ``similar.KEEP``, in the API's order: a
    triager who may see them all reads the same first ten)."""
    stored = {
        str(row["problem_id"]): row["ids"]
        for row in await _sql(
            url,
            "SELECT problem_id, array_agg(similar_id::text ORDER BY score DESC, similar_id) AS ids "
            "FROM problem_similarities WHERE problem_id = ANY($1::uuid[]) GROUP BY problem_id",
            [uuid.UUID(pair.first["id"]) for pair in pairs],
        )
    }
    found = Found()
    for pair in pairs:
        listed = stored.get(pair.first["id"], [])
        found.total += 1
        if pair.second["id"] in listed[:TOP]:
            found.hit += 1
        else:
            place = listed.index(pair.second["id"]) + 1 if pair.second["id"] in listed else None
            found.missed.append(f"{pair.first['title']} (place {place or f'> {len(listed)}'})")
    return found


async def _latency(
    client: httpx.AsyncClient, headers: dict[str, str], url: str, args: argparse.Namespace
) -> Result:
    rows = await _sql(
        url,
        "SELECT id FROM problems WHERE reference IS NOT NULL ORDER BY md5(id::text || $1) LIMIT $2",
        str(args.seed),
        args.requests,
    )
    sample = [row["id"] for row in rows]

    async def read(i: int) -> None:
        response = await client.get(
            f"/api/v1/problems/{sample[i % len(sample)]}/similar", headers=headers
        )
        if response.status_code != 200:
            raise RuntimeError(f"similar -> {response.status_code}")

    warm = max(args.concurrency * 4, args.requests // 10)
    await drive("warm-up", read, requests=warm, concurrency=args.concurrency, max_seconds=30)
    gc.collect()
    return await drive(
        "similar", read, requests=args.requests, concurrency=args.concurrency, max_seconds=120
    )


async def _run(args: argparse.Namespace, url: str, settings: Settings) -> None:
    keys = LocalKeys(settings.data_dir)
    triager = {"Authorization": f"Bearer {keys.issue(f'pm01@{DOMAIN}')}"}
    print("Computing every problem's terms, weights, meaning and similar problems (recompute)...")
    done = await recompute_similar(settings, url, force=True)
    print(
        f"Recomputed {done.filled:,} problems in {done.seconds:.1f} s: "
        f"{done.seconds / max(done.filled, 1) * 1000:.1f} ms a problem, all passes.",
        flush=True,
    )
    await _sql(url, "VACUUM (ANALYZE) problem_similarities, problems")
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    submits = Result("submit")
    by_terms: dict[str, Found] = {}
    found: dict[str, Found] = {}
    buried, seconds = 0, 0.0
    copy = databases.with_database(url, BURIED)
    buried_settings = replace(settings, database_url=copy)
    for name, label in CORPORA:
        await _from_template(url, BURIED, DATABASE)
        async with _client(create_app(buried_settings, copy)) as client:
            pairs = await _bury(client, keys, name, label, submits)
        await _spread(buried_settings, copy, pairs, args.seed)
        by_terms[label] = await _found(copy, pairs)
        started = perf_counter()
        buried += await embed_meanings(buried_settings, copy)
        seconds += perf_counter() - started
        found[label] = await _found(copy, pairs)
    print(
        f"Submitted the {len(submits.latencies)} problems of the pairs through the app, each "
        f"file in a copy of the city: submit p50 {submits.percentile(0.5):.1f} ms, "
        f"p99 {submits.percentile(0.99):.1f} ms (each searches the city).",
        flush=True,
    )
    print(
        f"Embedded and matched the {buried} buried problems by meaning in {seconds:.1f} s (the "
        "app's meaning worker does this after a submit).",
        flush=True,
    )
    async with _client(create_app(buried_settings, copy)) as client:
        latency = await _latency(client, triager, copy, args)
    print()
    for label, tally in by_terms.items():
        print(
            f"Paraphrases {label}, by terms alone (at submit): {tally.hit}/{tally.total} in "
            f"the first {TOP}"
        )
    for label, tally in found.items():
        share = tally.hit / tally.total
        verdict = "PASS" if share >= TARGET else "MISS"
        print(
            f"Paraphrases {label}: {tally.hit}/{tally.total} in the first {TOP} ({share:.2f}), "
            f"target {TARGET}: {verdict}"
        )
        for title in tally.missed:
            print(f"    missed: {title}")
    print(
        f"GET /similar, {latency.count} requests at concurrency {args.concurrency}: "
        f"p50 {latency.percentile(0.5):.1f} ms, p99 {latency.percentile(0.99):.1f} ms, "
        f"{latency.rate:.0f} requests/s"
        + (f", {len(latency.errors)} errors: {latency.errors[0]}" if latency.errors else "")
    )


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.similar", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--problems", type=int, default=10_000, help="problems in the city")
    parser.add_argument("--requests", type=int, default=1000, help="measured GET /similar")
    parser.add_argument("--concurrency", type=int, default=1, help="concurrent readers")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the loaded city (reused by the next --keep run) and this run's database "
        f"({DATABASE}, replaced by the next run), and leave the server running",
    )
    parser.add_argument(
        "--stop", action="store_true", help="stop the benchmark's embedded PostgreSQL and exit"
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
        load_city(server_url, CITY, args.problems, args.seed, args.keep)
        asyncio.run(_from_template(server_url))
        url = databases.with_database(server_url, DATABASE)
        migrate.upgrade(url)
        settings = replace(
            Settings(),
            data_dir=BENCH_DIR / "app",
            database_url=url,
            seed_demo=False,
            log_level="warning",
            sla_sweep_seconds=0,
            webhook_seconds=0,
            meaning_seconds=0,  # the buried problems are embedded after the spread, timed
            rate_limit_per_minute=0,
        )
        asyncio.run(_run(args, url, settings))
        if not args.keep:
            for name in (BURIED, DATABASE, CITY):
                asyncio.run(databases.recreate(server_url, name, drop_only=True))
    finally:
        if started and not args.keep and server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
