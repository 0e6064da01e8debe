"""Where Intake's server spends its CPU, and what its access log costs, under bench/http's load.

    python -m bench.profile [--problems 100000] [--requests 1500] [--endpoints problem,me,list]
                            [--log-levels warning,info] [--rounds 2] [--no-profile]

Uses a city bench/http has loaded and kept (``python -m bench.http --keep``). Two parts:

- **The access log's cost.** Intake is served once per log level and round, levels
  alternating (``warning`` writes no access line, ``info`` one per request), and each
  endpoint is driven as bench/http drives it; it prints the server's CPU per request for
  each level. Rates are noisy on a shared machine; CPU per request, compared within one
  run, is what to read.
- **The profile.** Intake is served at ``info`` (as deployed; for the writes, ``create`` and
  ``submit``, on a copy of the city) with py-spy (``pip install
  py-spy``) sampling the server process (``--nonblocking``, on-CPU samples only) while one
  endpoint is driven at a time. Each sample is given to the innermost frame that belongs to
  a known part (SQLAlchemy's ORM, core, dialect and async bridge, asyncpg, Litestar's
  routing, DI, serialization, middleware, uvicorn, the access log, metrics, Intake by
  package, ...); frames of the rest of the standard library count for their caller.
  It prints the shares per endpoint and keeps py-spy's raw stacks in .intake/bench/profile.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import databases
from bench.http import (
    BENCH_DIR,
    DRAFT,
    ENDPOINTS,
    City,
    Server,
    _city,
    _copy,
    _drafts,
    _drop,
    _phase,
    _signature,
    _submits,
    _tokens,
    serving,
)
from intake.db.embedded import EmbeddedPostgres

PROFILE_DIR = BENCH_DIR / "profile"

# (where a frame's file is, the part it belongs to), first match wins; None: the caller's.
PARTS: list[tuple[str, str | None]] = [
    ("sqlalchemy/dialects/", "SQLAlchemy dialect (asyncpg adapter)"),
    ("sqlalchemy/orm/", "SQLAlchemy ORM"),
    ("sqlalchemy/ext/asyncio/", "SQLAlchemy async bridge (greenlet)"),
    ("sqlalchemy/util/_concurrency", "SQLAlchemy async bridge (greenlet)"),
    ("sqlalchemy/", "SQLAlchemy core (engine, SQL compiler, pool)"),
    ("asyncpg/", "asyncpg"),
    ("intake/lib/access.py", "access log"),
    ("intake/lib/logs.py", "access log"),
    ("/logging/", "access log"),  # the access line is nearly all the logging there is
    ("prometheus_client/", "metrics"),
    ("intake/lib/metrics.py", "metrics"),
    ("intake/lib/request_id.py", "request id"),
    ("intake/problems/framing.py", "framing hints"),
    ("litestar/_kwargs/", "Litestar DI (kwargs, dependencies)"),
    ("litestar/di.py", "Litestar DI (kwargs, dependencies)"),
    ("litestar/_asgi/", "Litestar routing"),
    ("litestar/routes/", "Litestar routing"),
    ("litestar/middleware/", "Litestar middleware"),
    ("litestar/serialization/", "Litestar serialization"),
    ("litestar/response/", "Litestar serialization"),
    ("msgspec/", "Litestar serialization"),
    ("litestar/", "Litestar other (handlers, request, connection)"),
    ("uvicorn/", "uvicorn (HTTP parsing, protocol)"),
    ("httptools/", "uvicorn (HTTP parsing, protocol)"),
    ("h11/", "uvicorn (HTTP parsing, protocol)"),
    ("jwt/", "token verification (PyJWT, cryptography)"),
    ("cryptography/", "token verification (PyJWT, cryptography)"),
    ("/asyncio/", "event loop (asyncio)"),
    ("/selectors.py", "event loop (asyncio)"),
    ("greenlet", "SQLAlchemy async bridge (greenlet)"),
]
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
_INTAKE = re.compile(r"(?:^|/)intake/(?P<package>[a-z_]+)(?:/|\.py)")
_STDLIB = re.compile(r"(?:^|/)(?:lib/)?python3\.\d+/")


SOCKET_WRITE = "socket writes"
SOCKET_READ = "socket reads and compiled protocol code (recv, asyncpg's row decoding)"
THREAD_HANDOFF = "Litestar: a sync guard or dependency handed to a thread (sync_to_thread)"


def part_of(frame: str) -> str | None:
    """The part one py-spy frame (``function (path:line)``) belongs to, or None."""
    match = _FRAME.match(frame)
    where = "/" + (match["file"] if match else frame)
    if "_SelectorSocketTransport.write" in frame:
        return SOCKET_WRITE  # the send(2) itself: loopback TCP is done in the sender's time
    if "_SelectorSocketTransport._read_ready__" in frame:
        return SOCKET_READ  # recv(2), and the protocol's compiled code, which has no frames
    for fragment, part in PARTS:
        if fragment in where:
            return part
    intake = _INTAKE.search(where)
    if intake:
        return f"Intake: intake/{intake['package']}"
    if _STDLIB.search(where) and "site-packages" not in where:
        return None  # re, json, uuid, ...: their caller's time
    if "site-packages/" in where:
        return "other library: " + where.split("site-packages/", 1)[1].split("/", 1)[0]
    return None


def shares(raw: Path) -> Counter[str]:
    """Samples of the event loop's thread per part, from py-spy's raw output (``root;...;leaf
    count``). A send is split by who sends: asyncpg to PostgreSQL, uvicorn to the client.
    Other threads' stacks (idle pool workers py-spy cannot tell idle) and stacks with no
    Python frame are left out."""
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack.strip() or not number.isdigit() or stack.startswith("Thread._bootstrap"):
            continue
        if "litestar/concurrency.py" in stack:  # handing a sync callable to a thread
            counts[THREAD_HANDOFF] += int(number)
            continue
        parts = [p for f in reversed(stack.split(";")) if (p := part_of(f)) is not None]
        part = parts[0] if parts else "other"
        if part == SOCKET_WRITE:
            sender = next((p for p in parts[1:] if p != "event loop (asyncio)"), "other")
            part = f"{SOCKET_WRITE} by {sender} (kernel time)"
        counts[part] += int(number)
    return counts


# The writes, profiled on a copy of the city (as bench/http measures them).
WRITES = {"create": "POST /problems", "submit": "POST /problems/{id}/submit"}


def _label(key: str) -> str:
    return WRITES.get(key) or next(e.label for e in ENDPOINTS if e.key == key)


def _requests(server: Server, key: str, city: City, args: argparse.Namespace) -> list[list[Any]]:
    """What to send for ``key``: a submit's drafts are made first, unsampled."""
    if key == "create":
        return [["POST", "/api/v1/problems", DRAFT]] * args.requests
    if key == "submit":
        token = _tokens(city)["requester"]
        return _submits(_drafts(server, token, args.requests, args.concurrency))
    endpoint = next(e for e in ENDPOINTS if e.key == key)
    return endpoint.requests(city, args.requests)


def _profile(server: Server, endpoint_key: str, city: City, args: argparse.Namespace) -> Path:
    label = _label(endpoint_key)
    requests = _requests(server, endpoint_key, city, args)
    who = (
        "requester"
        if endpoint_key in WRITES
        else next(e.who for e in ENDPOINTS if e.key == endpoint_key)
    )
    token = _tokens(city)[who]
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    raw = PROFILE_DIR / f"{args.problems}-{endpoint_key}.txt"
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    # Warm up first (prepared statements, caches), then sample only the measured phase.
    warm = requests[: args.concurrency * 8]
    if endpoint_key == "submit":  # each draft is submitted once: warm up on others
        warm = _submits(_drafts(server, token, args.concurrency * 8, args.concurrency))
    _phase(server, warm, token, args)
    sampler = subprocess.Popen(
        [spy, "record", "--pid", str(server.process.pid), "--format", "raw", "--nonblocking",
         "--rate", "200", "--output", str(raw)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)  # attached
    from bench.http import drive

    result = drive(server, requests, token, args.concurrency, args.max_seconds)
    sampler.send_signal(2)  # SIGINT: py-spy writes what it has and exits
    sampler.wait(timeout=60)
    print(f"  profiled {label}: {result.rate:.0f}/s, cpu {result.cpu_ms:.2f} ms/req")
    return raw


def _print_shares(label: str, counts: Counter[str]) -> None:
    total = sum(counts.values()) or 1
    print(f"\n{label} ({total} samples)")
    for part, number in counts.most_common():
        print(f"  {number / total:6.1%}  {part}")


def log_cost(url: str, city: City, args: argparse.Namespace) -> None:
    """CPU per request with each log level, levels alternating over ``--rounds``."""
    cpu: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.rounds):
        for level in args.log_levels:
            with serving("intake", url, {"INTAKE_LOG_LEVEL": level}) as server:
                for key in args.endpoints:
                    endpoint = next(e for e in ENDPOINTS if e.key == key)
                    requests = endpoint.requests(city, args.requests)
                    result = _phase(server, requests, _tokens(city)[endpoint.who], args)
                    cpu.setdefault((key, level), []).append(result.cpu_ms)
                    rate, ms = result.rate, result.cpu_ms
                    print(f"  round {round_ + 1} {level:8} {endpoint.label:26} "
                          f"{rate:6.0f}/s  cpu {ms:5.2f} ms/req", flush=True)  # fmt: skip
    print(f"\nCPU per request by log level (mean of {args.rounds} rounds, ms)")
    print(f"{'endpoint':26} " + " ".join(f"{level:>8}" for level in args.log_levels))
    for key in args.endpoints:
        label = next(e.label for e in ENDPOINTS if e.key == key)
        means = [sum(cpu[key, lv]) / len(cpu[key, lv]) for lv in args.log_levels]
        print(f"{label:26} " + " ".join(f"{m:8.2f}" for m in means))


def access_line_cost(count: int, log_format: str) -> float:
    """CPU (µs, every thread of the process) per access line, written to /dev/null through
    the logging ``intake serve`` sets up (the app built, then ``logs.configure``)."""
    from time import process_time

    from intake.app import create_app
    from intake.config import Settings
    from intake.lib import logs
    from intake.lib.access import log_access

    with open(os.devnull, "w") as sink:
        create_app(Settings(), "postgresql+asyncpg://nobody@127.0.0.1:9/none")  # not started
        logs.configure(log_format, "info", sink)
        started = process_time()
        for _ in range(count):
            with logs.bind_request_id("9f0c2d4e6a8b4c1d9e7f5a3b2c1d0e9f"):
                log_access("GET", "/api/v1/me", 200, 3.2)
        logs.stop()  # the writer thread has written every line
        return (process_time() - started) / count * 1e6


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--problems", type=int, default=100_000, help="a city bench/http kept")
    parser.add_argument("--requests", type=int, default=1500, help="requests per phase")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=60.0, help="cap per phase")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--endpoints", type=lambda s: s.split(","), default=["problem", "me", "list"]
    )
    parser.add_argument("--log-levels", type=lambda s: s.split(","), default=["warning", "info"])
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the log-level runs")
    parser.add_argument("--no-log-cost", action="store_true", help="only the profile")
    parser.add_argument("--no-profile", action="store_true", help="only the log levels")
    parser.add_argument("--report", action="store_true", help="only read the kept profiles")
    parser.add_argument("--access-lines", type=int, default=0,
                        help="only time so many access lines, text and JSON")  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.access_lines:
        for log_format in ("text", "json"):
            cost = access_line_cost(args.access_lines, log_format)
            print(f"access line, {log_format}: {cost:.1f} µs of CPU each")
        return 0
    if args.report:
        _report(args, {key: PROFILE_DIR / f"{args.problems}-{key}.txt" for key in args.endpoints})
        return 0
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
        city = asyncio.run(_city(url, args.seed))
        if not args.no_log_cost:
            log_cost(url, city, args)
        if not args.no_profile:
            # Writes change the city: they are profiled on a copy, dropped afterwards.
            writes = any(key in WRITES for key in args.endpoints)
            served = asyncio.run(_copy(url)) if writes else url
            try:
                with serving("intake", served, {"INTAKE_LOG_LEVEL": "info"}) as server:
                    raws = {key: _profile(server, key, city, args) for key in args.endpoints}
            finally:
                if writes:
                    asyncio.run(_drop(url, served))
            _report(args, raws)
    finally:
        if started and postgres is not None:
            postgres.stop()
    return 0


def _report(args: argparse.Namespace, raws: dict[str, Path]) -> None:
    for key, raw in raws.items():
        _print_shares(f"{_label(key)} at {args.problems:,} problems", shares(raw))


if __name__ == "__main__":
    sys.exit(main())
