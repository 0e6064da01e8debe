"""Intake's hot endpoints against their raw floor, over real HTTP, in one run.

    python -m bench.http [--problems 10000,100000] [--requests 2000] [--concurrency 8]
                         [--endpoints me,problem,...] [--keep]

For each city size: loads the benchmark city (``intake.demo.generate``, built by the
migrations), then serves it twice on loopback, each server alone in turn and pinned to
CPU 0: Intake as it is deployed (``intake serve``, one worker, its access log on), and the
raw floor (bench/floor.py: Litestar, asyncpg and msgspec doing the same work in one
statement). A load generator in another process, pinned to CPU 1 (bench/load.py), keeps
``--concurrency`` keep-alive connections busy. Per endpoint it prints requests/s, p50 and
p99, the server's CPU per request and Intake's rate as a share of the floor's; then the
burst: 120 submits at once against 120 draft creates at once, with GET /me's p99 during
the submits against its p99 at rest. The other reads (similar problems, comments, watchers,
status updates, the inbox, the feed, the portfolio summary) are measured for Intake alone, so
a later run can tell whether one got slower. PostgreSQL runs on either CPU for both servers.

The writes run on a copy of the city (CREATE DATABASE ... TEMPLATE), dropped afterwards,
so a ``--keep`` database stays what its signature says. The run reports; it never fails
on a missed target. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bench import databases
from bench.dataset import DATASET_VERSION, load
from intake.db import migrate
from intake.db.embedded import EmbeddedPostgres
from intake.web.auth import LocalKeys

BENCH_DIR = Path(".intake/bench")
KEYS_DIR = BENCH_DIR / "http-keys"
SERVER_CPU, LOAD_CPU = "0", "1"
TICKS = os.sysconf("SC_CLK_TCK")
BURST = 120

# Targets from the issue: Intake's rate as a share of the floor's.
TARGETS = {
    "problem": 0.7,
    "me": 0.7,
    "queue": 0.5,
    "list": 0.5,
    "search": 0.5,
    "history": 0.5,
    "create": 0.5,
    "submit": 0.5,
}


def _signature(count: int, seed: int) -> str:
    return f"intake bench dataset v{DATASET_VERSION}: {count} problems, seed {seed}"


def _reframe(url: str) -> None:
    """A kept city's framing hints stored with today's rules, as an operator runs ``intake
    problems reframe`` after an upgrade that changed them: else every read of a problem would
    compute them again, which no deployment does for long."""
    env = {**os.environ, "INTAKE_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "intake", "problems", "reframe"], env=env, check=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pinned(cpu: str) -> list[str]:
    """taskset to one CPU, when there is taskset and more than one CPU."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", cpu]
    return []


# -- the servers ----------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int

    def cpu_seconds(self) -> float:
        """User and system CPU time of the serving process so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS


def _wait_until_serving(server: Server, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", server.port)):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not start serving in {seconds:.0f} s")


@contextlib.contextmanager
def serving(name: str, url: str, environment: dict[str, str] | None = None) -> Iterator[Server]:
    """Intake (``intake``) or the floor (``floor``) on a free port, pinned to SERVER_CPU,
    with ``environment`` added to its own (``INTAKE_LOG_LEVEL``, say). Its stderr (Intake's
    access lines among it) goes to a file, so that a full pipe never stalls it."""
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if name == "intake":
        env |= {
            "INTAKE_DATABASE_URL": url,
            "INTAKE_DATA_DIR": str(KEYS_DIR),
            "INTAKE_PORT": str(port),
            "INTAKE_WORKERS": "1",
            "INTAKE_SEED_DEMO": "false",
            # Background work writes into the city mid-run; it is no request's work. (The
            # meaning worker would also spend a core on every problem of a kept city made
            # before meanings: make bench-similar measures it.)
            "INTAKE_SLA_SWEEP_SECONDS": "0",
            "INTAKE_WEBHOOK_SECONDS": "0",
            "INTAKE_MAIL_SECONDS": "0",
            "INTAKE_MEANING_SECONDS": "0",
            "INTAKE_RATE_LIMIT_PER_MINUTE": "0",
        }
        command = [sys.executable, "-m", "intake", "serve"]
        env |= environment or {}
    else:
        env |= {
            "INTAKE_FLOOR_DATABASE_URL": databases.plain(url),
            "INTAKE_FLOOR_DATA_DIR": str(KEYS_DIR),
            # As many connections as Intake's pool and its overflow (config.py's defaults).
            "INTAKE_FLOOR_POOL": "30",
        }
        command = [
            sys.executable, "-m", "uvicorn", "bench.floor:create_app", "--factory",
            "--port", str(port), "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [*_pinned(SERVER_CPU), *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        server = Server(name, process, port)
        try:
            _wait_until_serving(server)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.returncode not in (0, -15):
                errors.seek(0)
                print(errors.read().decode(errors="replace")[-2000:], file=sys.stderr)


# -- the load -------------------------------------------------------------------------------


@dataclass
class Result:
    latencies: list[float]
    errors: list[str]
    seconds: float
    server_cpu: float
    bodies: list[Any] | None = None

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))] * 1000

    @property
    def cpu_ms(self) -> float:
        return self.server_cpu / len(self.latencies) * 1000 if self.latencies else 0.0


def _generator(plan: dict[str, Any]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [*_pinned(LOAD_CPU), sys.executable, "-m", "bench.load"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(plan).encode())
    process.stdin.close()
    return process


def _finish(process: subprocess.Popen[bytes]) -> dict[str, Any]:
    assert process.stdout is not None
    out = json.loads(process.stdout.read())
    process.wait()
    return dict(out)


def drive(
    server: Server,
    requests: list[list[Any]],
    token: str,
    concurrency: int,
    max_seconds: float,
    keep_bodies: bool = False,
) -> Result:
    plan = {
        "port": server.port,
        "concurrency": concurrency,
        "max_seconds": max_seconds,
        "keep_bodies": keep_bodies,
        "headers": {"authorization": f"Bearer {token}"},
        "requests": requests,
    }
    cpu = server.cpu_seconds()
    out = _finish(_generator(plan))
    return Result(
        out["latencies"], out["errors"], out["seconds"], server.cpu_seconds() - cpu, out["bodies"]
    )


# -- what is measured -----------------------------------------------------------------------


@dataclass
class City:
    requester: str
    triager: str
    problems: list[str]  # visible to the requester
    terms: list[str]


@dataclass
class Endpoint:
    key: str
    label: str
    who: str  # requester or triager
    requests: Callable[[City, int], list[list[Any]]]
    floor: bool = True  # False: Intake alone, so a later run can tell if it got slower


def _each_problem(suffix: str) -> Callable[[City, int], list[list[Any]]]:
    return lambda c, n: [
        ["GET", f"/api/v1/problems/{p}{suffix}", None] for p in _cycle(c.problems, n)
    ]


DRAFT = {
    "title": "Permit inspectors re-key every site visit at the office",
    "problem_statement": "Inspectors write notes on paper and type them in again each evening.",
    "affected_groups": ["staff", "businesses"],
    "affected_people_per_year": 4000,
    "current_process": "Paper notes, then the permit system after hours.",
    "desired_outcome": "A visit's notes are in the record the same day.",
    "success_measures": "Hours of re-keying per week.",
    "data_sensitivity": "internal",
    "impact_staff_hours_per_year": 1200,
}


def _cycle(values: list[str], count: int) -> list[str]:
    return [values[i % len(values)] for i in range(count)]


ENDPOINTS = [
    Endpoint("me", "GET /me", "requester", lambda c, n: [["GET", "/api/v1/me", None]] * n),
    Endpoint(
        "problem",
        "GET /problems/{id}",
        "requester",
        lambda c, n: [["GET", f"/api/v1/problems/{p}", None] for p in _cycle(c.problems, n)],
    ),
    Endpoint(
        "history",
        "GET /problems/{id}/history",
        "requester",
        lambda c, n: [
            ["GET", f"/api/v1/problems/{p}/history", None] for p in _cycle(c.problems, n)
        ],
    ),
    Endpoint(
        "list",
        "GET /problems?limit=25",
        "requester",
        lambda c, n: [["GET", "/api/v1/problems?limit=25", None]] * n,
    ),
    Endpoint(
        "search",
        "GET /problems?q=",
        "requester",
        lambda c, n: [
            ["GET", f"/api/v1/problems?limit=25&q={term}", None] for term in _cycle(c.terms, n)
        ],
    ),
    Endpoint(
        "queue",
        "GET /triage/queue?limit=25",
        "triager",
        lambda c, n: [["GET", "/api/v1/triage/queue?limit=25", None]] * n,
    ),
    # The other reads, Intake alone (no floor): their figures keep later rounds honest.
    Endpoint(
        "similar", "GET /problems/{id}/similar", "requester", _each_problem("/similar"), False
    ),
    Endpoint(
        "comments", "GET /problems/{id}/comments", "requester", _each_problem("/comments"), False
    ),
    Endpoint(
        "watchers", "GET /problems/{id}/watchers", "requester", _each_problem("/watchers"), False
    ),
    Endpoint(
        "updates", "GET /problems/{id}/updates", "requester", _each_problem("/updates"), False
    ),
    Endpoint(
        "inbox",
        "GET /me/notifications",
        "requester",
        lambda c, n: [["GET", "/api/v1/me/notifications", None]] * n,
        False,
    ),
    Endpoint(
        "feed",
        "GET /events?limit=25",
        "triager",
        lambda c, n: [["GET", "/api/v1/events?limit=25", None]] * n,
        False,
    ),
    Endpoint(
        "summary",
        "GET /portfolio/summary",
        "triager",
        lambda c, n: [["GET", "/api/v1/portfolio/summary", None]] * n,
        False,
    ),
]


async def _city(url: str, seed: int) -> City:
    connection = await asyncpg.connect(databases.plain(url))
    try:
        requester = await connection.fetchrow(
            "SELECT p.email, p.department_id FROM people p "
            "WHERE 'requester' = ANY(p.roles) AND p.active "
            "ORDER BY (SELECT count(*) FROM problems pr WHERE pr.department_id = p.department_id)"
            " DESC, p.email LIMIT 1"
        )
        triager = await connection.fetchval(
            "SELECT email FROM people WHERE 'triager' = ANY(roles) AND active ORDER BY email"
        )
        problems = await connection.fetch(
            "SELECT id FROM problems WHERE department_id = $1 "
            "OR (reference IS NOT NULL AND NOT restricted) ORDER BY md5(id::text || $2) LIMIT 500",
            requester["department_id"],
            str(seed),
        )
        terms = await connection.fetch(
            "SELECT word FROM ts_stat('SELECT to_tsvector(''english'', title) FROM problems') "
            "WHERE length(word) > 3 ORDER BY ndoc DESC, word OFFSET 5 LIMIT 40"
        )
    finally:
        await connection.close()
    return City(
        requester["email"],
        triager,
        [str(row["id"]) for row in problems],
        [row["word"] for row in terms],
    )


# -- running it -----------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    label: str
    intake: Result
    floor: Result | None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        if self.floor is None or not self.floor.rate:
            return 0.0
        return self.intake.rate / self.floor.rate


def _phase(
    server: Server, requests: list[list[Any]], token: str, args: argparse.Namespace
) -> Result:
    """Warm up (prepared statements, caches, pools), then measure."""
    drive(server, requests[: max(args.concurrency * 4, len(requests) // 10)], token,
          args.concurrency, args.max_seconds / 4)  # fmt: skip
    return drive(server, requests, token, args.concurrency, args.max_seconds)


def measure_reads(url: str, city: City, args: argparse.Namespace) -> list[Row]:
    tokens = _tokens(city)
    endpoints = [e for e in ENDPOINTS if not args.endpoints or e.key in args.endpoints]
    results: dict[str, dict[str, Result]] = {e.key: {} for e in endpoints}
    for name in ("intake", "floor"):
        with serving(name, url) as server:
            for endpoint in endpoints:
                if name == "floor" and not endpoint.floor:
                    continue
                requests = endpoint.requests(city, args.requests)
                result = _phase(server, requests, tokens[endpoint.who], args)
                results[endpoint.key][name] = result
                _progress(name, endpoint.label, result)
    return [
        Row(e.key, e.label, results[e.key]["intake"], results[e.key].get("floor"))
        for e in endpoints
    ]


def _tokens(city: City) -> dict[str, str]:
    keys = LocalKeys(KEYS_DIR)
    return {"requester": keys.issue(city.requester), "triager": keys.issue(city.triager)}


def _drafts(server: Server, token: str, count: int, concurrency: int) -> list[str]:
    made = drive(server, [["POST", "/api/v1/problems", DRAFT]] * count, token, concurrency, 600,
                 keep_bodies=True)  # fmt: skip
    if made.errors:
        raise RuntimeError(f"{server.name}: creating drafts failed: {made.errors[0]}")
    return [str(body["id"]) for body in made.bodies or []]


def _submits(ids: list[str]) -> list[list[Any]]:
    return [["POST", f"/api/v1/problems/{i}/submit", None, {"if-match": "*"}] for i in ids]


def measure_writes(url: str, city: City, args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    """Draft creates and submits at ``--concurrency``; then the burst. On a copy of the city."""
    token = _tokens(city)["requester"]
    count = max(args.concurrency * 10, args.requests // 4)
    want = {"create", "submit", "burst"}
    if args.endpoints:
        want &= set(args.endpoints)
    if not want:  # reads only: no copy of the city to make
        return [], []
    results: dict[str, dict[str, Result]] = {"create": {}, "submit": {}}
    burst: list[str] = []
    for name in ("intake", "floor"):
        copy = asyncio.run(_copy(url))
        try:
            with serving(name, copy) as server:
                if "create" in want:
                    requests = [["POST", "/api/v1/problems", DRAFT]] * count
                    results["create"][name] = _phase(server, requests, token, args)
                    _progress(name, "POST /problems", results["create"][name])
                if "submit" in want:
                    warm = _drafts(server, token, args.concurrency * 4, args.concurrency)
                    drive(server, _submits(warm), token, args.concurrency, args.max_seconds)
                    ids = _drafts(server, token, count, args.concurrency)
                    results["submit"][name] = drive(
                        server, _submits(ids), token, args.concurrency, args.max_seconds
                    )
                    _progress(name, "POST /problems/{id}/submit", results["submit"][name])
                if "burst" in want and name == "intake":
                    burst = _burst(server, token)
        finally:
            asyncio.run(_drop(url, copy))
    rows = [
        Row(key, label, results[key]["intake"], results[key]["floor"])
        for key, label in (("create", "POST /problems"), ("submit", "POST .../submit"))
        if key in want
    ]
    return rows, burst


def _burst(server: Server, token: str) -> list[str]:
    """120 draft creates at once; then 120 submits at once while one client asks GET /me."""
    me = [["GET", "/api/v1/me", None]]
    idle = drive(server, me * 400, token, 1, 60)
    creates = drive(server, [["POST", "/api/v1/problems", DRAFT]] * BURST, token, BURST, 120)
    ids = _drafts(server, token, BURST, 8)
    watcher = _generator(
        {
            "port": server.port,
            "concurrency": 1,
            "max_seconds": 120,
            "headers": {"authorization": f"Bearer {token}"},
            "requests": me * 100_000,
        }
    )
    time.sleep(0.5)  # its connection is open and asking
    submits = drive(server, _submits(ids), token, BURST, 120)
    watcher.send_signal(signal.SIGTERM)  # it stops, and reports what it saw
    out = _finish(watcher)
    during = Result(out["latencies"], out["errors"], out["seconds"], 0.0)

    def line(label: str, result: Result) -> str:
        failed = f", {len(result.errors)} errors" if result.errors else ""
        return (
            f"{BURST} {label} at once: {result.rate:.0f}/s ({result.seconds:.2f} s), "
            f"p50 {result.percentile(0.5):.0f} ms, p99 {result.percentile(0.99):.0f} ms{failed}"
        )

    share = submits.rate / creates.rate if creates.rate else 0.0
    worse = during.percentile(0.99) / max(idle.percentile(0.99), 0.001)
    return [
        line("draft creates", creates),
        line("submits", submits),
        f"submits/creates: {share:.2f} (target >= 0.5, {'met' if share >= 0.5 else 'MISSED'})",
        f"GET /me p99 at rest {idle.percentile(0.99):.1f} ms, during the submits "
        f"{during.percentile(0.99):.1f} ms over {len(during.latencies)} requests: {worse:.1f}x "
        f"(target <= 5x, {'met' if worse <= 5 else 'MISSED'})",
    ]


async def _copy(url: str) -> str:
    name = f"intake_bench_http_copy_{uuid.uuid4().hex[:8]}"
    source = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(databases.plain(databases.with_database(url, "postgres")))
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    finally:
        await admin.close()
    return databases.with_database(url, name)


async def _drop(url: str, copy: str) -> None:
    await databases.recreate(url, copy.rsplit("/", 1)[1], drop_only=True)


def _progress(name: str, label: str, result: Result) -> None:
    errors = f", {len(result.errors)} errors: {result.errors[0]}" if result.errors else ""
    print(
        f"  {name:6} {label:30} {result.rate:7.0f}/s  p50 {result.percentile(0.5):6.1f} ms  "
        f"p99 {result.percentile(0.99):6.1f} ms  cpu {result.cpu_ms:5.2f} ms/req{errors}",
        flush=True,
    )


def report(size: int, rows: list[Row], burst: list[str]) -> None:
    print(f"\n{size:,} problems: Intake against its raw floor (concurrency {ARGS.concurrency})")
    print(
        f"{'endpoint':30} {'intake/s':>9} {'floor/s':>9} {'ratio':>6} {'target':>6}  "
        f"{'p50 ms':>13} {'p99 ms':>13} {'cpu ms/req':>12}"
    )
    for row in rows:
        target = TARGETS.get(row.key)
        mark = "" if target is None else ("met" if row.ratio >= target else "MISSED")
        i, f = row.intake, row.floor
        if f is None:  # Intake alone
            print(
                f"{row.label:30} {i.rate:9.0f} {'-':>9} {'-':>6} {'-':>6}  "
                f"{i.percentile(0.5):6.1f}/{'-':<6} {i.percentile(0.99):6.1f}/{'-':<6} "
                f"{i.cpu_ms:5.2f}/{'-':<5}"
            )
            continue
        print(
            f"{row.label:30} {i.rate:9.0f} {f.rate:9.0f} {row.ratio:6.2f} "
            f"{target or 0:6.2f}  {i.percentile(0.5):6.1f}/{f.percentile(0.5):<6.1f} "
            f"{i.percentile(0.99):6.1f}/{f.percentile(0.99):<6.1f} "
            f"{i.cpu_ms:5.2f}/{f.cpu_ms:<5.2f} {mark}"
        )
    for line in burst:
        print(line)


# -- main -----------------------------------------------------------------------------------


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    parser.add_argument("--problems", default="10000,100000", help="city sizes, comma-separated")
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=60.0, help="cap per phase")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--endpoints", type=lambda s: s.split(","), default=None)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the loaded cities")
    parser.add_argument("--stop", action="store_true", help="stop a kept database server")
    return parser.parse_args(argv)


ARGS: argparse.Namespace


def main(argv: list[str] | None = None) -> int:
    global ARGS
    ARGS = args = _arguments(argv)
    configured = os.environ.get("INTAKE_BENCH_DATABASE_URL")
    server = None if configured else EmbeddedPostgres(BENCH_DIR)
    if args.stop:
        if server is not None:
            server.stop()
        return 0
    started = server.start() if server is not None else False
    try:
        server_url = configured or (server.url("postgres") if server is not None else "")
        for size in (int(n) for n in args.problems.split(",")):
            name = f"intake_bench_http_{size}"
            url = databases.with_database(server_url, name)
            signature = _signature(size, args.seed)
            reuse = args.keep and asyncio.run(databases.signature(url)) == signature
            if not reuse:
                print(f"Loading {size:,} problems...", flush=True)
                asyncio.run(databases.recreate(server_url, name))
                migrate.upgrade(url)
                asyncio.run(load(databases.plain(url), size, args.seed))
                asyncio.run(databases.sign(url, name, signature))
            else:
                migrate.upgrade(url)
                _reframe(url)
            city = asyncio.run(_city(url, args.seed))
            print(f"{size:,} problems; {os.cpu_count()} CPUs; servers on CPU {SERVER_CPU}, "
                  f"load on CPU {LOAD_CPU}", flush=True)  # fmt: skip
            rows = measure_reads(url, city, args)
            writes, burst = measure_writes(url, city, args)
            report(size, rows + writes, burst)
            if not args.keep:
                asyncio.run(databases.recreate(server_url, name, drop_only=True))
    finally:
        if started and not args.keep and server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
