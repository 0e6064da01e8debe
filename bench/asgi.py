"""The framework's share of a hot read: Intake's app and the floor's driven in process.

    python -m bench.asgi [--problems 10000] [--endpoints me,problem,create,submit]
                         [--requests 2000] [--rounds 5] [--calls [--profile FILE]]

Uses a city bench/http has kept (``python -m bench.http --keep``). Each app is built and
started in this process and called as uvicorn would call it (an ASGI scope, ``receive``,
``send``), ``--concurrency`` requests at a time, with no HTTP and no client socket: what
remains is the app, its middleware and dependencies, the statement and the response, and
what Intake adds to them is the difference from the floor. It prints the process's CPU per
request (the least of ``--rounds``, the process pinned to CPU 0) and, with ``--calls``,
the Python calls per request counted by cProfile, a figure that other work on the machine
does not change (``--profile`` keeps cProfile's stats). ``create`` posts bench/http's
draft and ``submit`` submits such drafts (made first, not measured), on a copy of the city
dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

import msgspec

from bench import databases
from bench.http import BENCH_DIR, DRAFT, KEYS_DIR, _city, _copy, _drop, _signature, _tokens
from intake.db.embedded import EmbeddedPostgres

ASGIApp = Callable[..., Coroutine[Any, Any, None]]


def _intake(url: str) -> ASGIApp:
    """Intake as ``intake serve`` builds it: access log on, background work off."""
    from intake.app import create_app
    from intake.config import Settings
    from intake.lib import logs

    settings = Settings.from_env(
        {
            "INTAKE_DATABASE_URL": url,
            "INTAKE_DATA_DIR": str(KEYS_DIR),
            "INTAKE_SEED_DEMO": "false",
            "INTAKE_SLA_SWEEP_SECONDS": "0",
            "INTAKE_WEBHOOK_SECONDS": "0",
            "INTAKE_MAIL_SECONDS": "0",
            "INTAKE_MEANING_SECONDS": "0",
            "INTAKE_RATE_LIMIT_PER_MINUTE": "0",
            "INTAKE_LOG_LEVEL": "info",
        }
    )
    app = create_app(settings, url)
    logs.configure(settings.log_format, settings.log_level, open(os.devnull, "w"))  # noqa: SIM115
    return app


def _floor(url: str) -> ASGIApp:
    os.environ["INTAKE_FLOOR_DATABASE_URL"] = databases.plain(url)
    os.environ["INTAKE_FLOOR_DATA_DIR"] = str(KEYS_DIR)
    from bench.floor import create_app

    return create_app()


async def _lifespan(
    app: ASGIApp, event: str, inbox: asyncio.Queue[Any], outbox: asyncio.Queue[Any]
) -> None:
    await inbox.put({"type": f"lifespan.{event}"})
    answer = await outbox.get()
    if not answer["type"].endswith(".complete"):
        raise RuntimeError(f"lifespan {event}: {answer}")


async def measure(
    app: ASGIApp, key: str, path: str, token: str, args: argparse.Namespace, name: str = ""
) -> tuple[float, float]:
    """(least CPU ms per request over the rounds, Python calls per request or 0). ``create``
    posts bench/http's draft, ``submit`` submits drafts created first (on a copy of the
    city); other keys GET ``path``."""
    auth = [(b"host", b"127.0.0.1"), (b"authorization", b"Bearer " + token.encode())]
    draft = msgspec.json.encode(DRAFT)
    bodies: list[bytes] = []

    async def one(method: str, path: str, body: bytes = b"", expected: int = 200) -> None:
        sent: list[dict[str, Any]] = []
        headers = list(auth)
        if method == "POST":
            headers += [(b"content-type", b"application/json"), (b"if-match", b"*"),
                        (b"content-length", str(len(body)).encode())]  # fmt: skip

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http",
            "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000), "method": method,
            "root_path": "", "path": path, "raw_path": path.encode(), "query_string": b"",
            "headers": headers, "state": {},
        }  # fmt: skip
        await app(scope, receive, send)
        if sent[0]["status"] != expected:
            raise RuntimeError(f"{path}: {sent}")
        if key == "create":
            bodies.append(sent[1]["body"])

    drafts: list[str] = []

    async def request() -> None:
        if key == "create":
            await one("POST", path, draft, 201)
        elif key == "submit":
            await one("POST", f"{path}/{drafts.pop()}/submit")
        else:
            await one("GET", path)

    async def worker(count: int) -> None:
        for _ in range(count):
            await request()

    inbox: asyncio.Queue[Any] = asyncio.Queue()
    outbox: asyncio.Queue[Any] = asyncio.Queue()
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    await _lifespan(app, "startup", inbox, outbox)
    try:
        each = args.requests // args.concurrency
        total = each * args.concurrency
        if key == "submit":  # the drafts every round submits, made first
            key = "create"
            for _ in range(args.concurrency * 25 + total * (args.rounds + 1)):
                await request()
            drafts.extend(str(msgspec.json.decode(body)["id"]) for body in bodies)
            key = "submit"
        await worker(args.concurrency * 25)  # warm: prepared statements, caches, the pool
        cpu = []
        for _ in range(args.rounds):
            started = time.process_time()
            await asyncio.gather(*(worker(each) for _ in range(args.concurrency)))
            cpu.append((time.process_time() - started) / total * 1000)
        calls = 0.0
        if args.calls:
            profile = cProfile.Profile(time.process_time)  # CPU, not time waited
            profile.enable()
            await asyncio.gather(*(worker(each) for _ in range(args.concurrency)))
            profile.disable()
            calls = pstats.Stats(profile).total_calls / total  # type: ignore[attr-defined]
            if args.profile:
                profile.dump_stats(f"{args.profile}.{name}.{key}")
        return min(cpu), calls
    finally:
        await _lifespan(app, "shutdown", inbox, outbox)
        await lifespan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.asgi", description=__doc__)
    parser.add_argument("--problems", type=int, default=10_000, help="a city bench/http kept")
    parser.add_argument("--endpoints", type=lambda s: s.split(","), default=["me", "problem"])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calls", action="store_true", help="count Python calls per request")
    parser.add_argument("--profile", help="with --calls: keep cProfile's stats in PROFILE.*")
    parser.add_argument("--apps", type=lambda s: s.split(","), default=["intake", "floor"])
    args = parser.parse_args(argv)
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})  # as bench/http pins its servers
    postgres = EmbeddedPostgres(BENCH_DIR)
    started = postgres.start()
    try:
        url = databases.with_database(
            postgres.url("postgres"), f"intake_bench_http_{args.problems}"
        )
        if asyncio.run(databases.signature(url)) != _signature(args.problems, args.seed):
            print(f"No kept city of {args.problems:,} problems: run "
                  f"`python -m bench.http --problems {args.problems} --keep` first.")  # fmt: skip
            return 1
        city = asyncio.run(_city(url, args.seed))
        token = _tokens(city)["requester"]
        paths = {
            "me": "/api/v1/me",
            "problem": f"/api/v1/problems/{city.problems[0]}",
            "create": "/api/v1/problems",
            "submit": "/api/v1/problems",
        }
        for name in args.apps:
            for key in args.endpoints:
                # A write runs on a copy of the city, dropped afterwards, as bench/http's do.
                writes = key in ("create", "submit")
                where = asyncio.run(_copy(url)) if writes else url
                try:
                    app = (_intake if name == "intake" else _floor)(where)
                    cpu, calls = asyncio.run(measure(app, key, paths[key], token, args, name))
                finally:
                    if where != url:
                        asyncio.run(_drop(url, where))
                shown = f"  {calls:5.0f} calls/req" if calls else ""
                label = {"create": "POST /problems", "submit": "POST /problems/{id}/submit"}
                print(f"{name:7} {label.get(key, paths[key])[:26]:26} cpu {cpu:5.3f} ms/req{shown}",
                      flush=True)  # fmt: skip
    finally:
        if started:
            postgres.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
