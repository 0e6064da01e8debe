"""Small helpers the API tests share: create, submit and read problems over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import asyncpg
import httpx
import msgspec
import uvicorn
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake import cli
from intake.lib.etag import etag
from intake.problems import schemas as problem_schemas
from intake.problems import service as problems
from intake.problems.framing import FramingHint, framing_hints
from intake.triage import meanings
from intake.triage import service as triage
from intake.web.auth import Caller
from tests.builders import COMPLETE_PROBLEM, EMAILS, City

Client = AsyncTestClient[Litestar]

# A bound for what takes moments (a server starting, a database coming back): reaching it
# fails a test, and nothing ever waits this long when all is well.
PATIENCE = 60.0


async def until(done: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    """Wait until ``done()`` (checked every tenth of a second), at most PATIENCE seconds."""
    deadline = time.monotonic() + PATIENCE
    while True:
        result = done()
        if await result if inspect.isawaitable(result) else result:
            return
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        await asyncio.sleep(0.1)


@asynccontextmanager
async def served(app: Litestar, **options: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app under uvicorn (with ``options``) on a loopback port, and a client for it. Its
    requests really run side by side; Litestar's test client runs one at a time."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, **{"log_config": None, "lifespan": "on", **options})
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listening]))

    def started() -> bool:
        if serving.done():
            serving.result()  # it could not start: say why
        return server.started

    try:
        await until(started, "uvicorn to start")
        base_url = f"http://127.0.0.1:{listening.getsockname()[1]}"
        async with httpx.AsyncClient(base_url=base_url, timeout=PATIENCE) as client:
            yield client
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, PATIENCE)
        listening.close()


_ONE_COMMAND_AT_A_TIME = threading.Lock()  # each sets the whole process's environment


def intake(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`intake ARGS` with the environment ``env``: its exit status and what it printed, as
    the finished process would give them. It runs in this process, in a thread with its own
    event loop (starting Python and importing Intake again would cost more than most
    commands); `intake serve`, whose signals and lifetime are the point, runs in a process
    of its own (``intake_serve``)."""
    printed, errors = io.StringIO(), io.StringIO()
    status: list[int] = []

    def run() -> None:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(errors):
            try:
                status.append(cli.main(list(args)))
            except SystemExit as exit:  # argparse refusing the arguments
                status.append(exit.code if isinstance(exit.code, int) else 1)
            except BaseException:
                traceback.print_exc()
                status.append(1)

    with _ONE_COMMAND_AT_A_TIME, mock.patch.dict(os.environ, env, clear=True):
        command = threading.Thread(target=run, name=f"intake {' '.join(args)}")
        command.start()
        command.join(5 * PATIENCE)
    assert status, f"intake {' '.join(args)} did not finish in {5 * PATIENCE:.0f} s"
    return subprocess.CompletedProcess(
        ["intake", *args], status[0], printed.getvalue(), errors.getvalue()
    )


def free_port() -> int:
    """A loopback port nothing listens on (for a server in another process)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(url: str, status: int, process: subprocess.Popen[str] | None = None) -> None:
    """Wait until GET ``url`` answers ``status``, at most twice PATIENCE (a server starting
    its own PostgreSQL and seeding a city on a busy machine); fails at once if ``process``,
    the server, has exited."""
    deadline = time.monotonic() + 2 * PATIENCE
    while True:
        if process is not None and process.poll() is not None:
            printed = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"the server exited ({process.returncode}): {printed}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                answered = response.status
        except urllib.error.HTTPError as error:
            answered = error.code
        except OSError:
            answered = None
        if answered == status:
            return
        assert time.monotonic() < deadline, f"{url} never answered {status}"
        time.sleep(0.2)


@dataclass
class Serving:
    """`intake serve` running in a process of its own: its port, its environment, and what it
    printed (once it has stopped)."""

    port: int
    env: dict[str, str]
    process: subprocess.Popen[str]
    output: str = field(default="")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def intake_serve(
    settings: Mapping[str, str],
    ready: str = "/health/ready",
    *,
    command: Sequence[str] = (sys.executable, "-m", "intake"),
    cwd: Path | None = None,
) -> Iterator[Serving]:
    """`intake serve` in a subprocess, configured by ``settings`` (INTAKE_* variables; none
    of this process's own) on a free loopback port, once ``ready`` answers 200; stopped as by
    Ctrl-C on the way out, its output then in ``Serving.output``. ``command`` is the `intake`
    to run (this checkout's, unless an installed one is given), in the folder ``cwd``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update({**settings, "INTAKE_PORT": str(port)})
    process = subprocess.Popen(
        [*command, "serve"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    serving = Serving(port, env, process)
    try:
        answers(serving.url + ready, 200, process)
        yield serving
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        serving.output = process.communicate(timeout=PATIENCE)[0]


def api_routes(app: Litestar, **ids: str) -> list[tuple[str, str]]:
    """Every (method, path) under /api/v1, its path parameters filled from ``ids`` by name
    (e.g. ``problem_id``), the others with values of the right shape that name nothing."""
    nothing = {"uuid": "6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11", "int": "2026"}

    def fill(parameter: re.Match[str]) -> str:
        return ids.get(parameter[1], nothing[parameter[2]])

    routes = []
    for route in app.routes:
        if not route.path.startswith("/api/v1"):
            continue
        for method in sorted(route.methods):  # type: ignore[attr-defined]
            if method not in ("OPTIONS", "HEAD"):
                path = re.sub(r"\{(\w+):(uuid|int)\}", fill, route.path)
                assert "{" not in path, f"fill in the parameters of {route.path}"
                routes.append((method, path))
    return routes


def assert_problem_json(response: Any, status: int) -> dict[str, Any]:
    """The response is RFC 9457 problem+json with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:intake:error:")
    assert body["title"]
    assert body["detail"]
    return body


async def draft(
    client: Client, city: City, who: str = "requester", **fields: Any
) -> dict[str, Any]:
    body = {**COMPLETE_PROBLEM, **fields}
    response = await client.post("/api/v1/problems", json=body, headers=city.auth(who))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    created["etag"] = response.headers["etag"]
    return created


async def submit(
    client: Client, city: City, problem: dict[str, Any], who: str = "requester"
) -> Any:
    return await client.post(
        f"/api/v1/problems/{problem['id']}/submit",
        headers={**city.auth(who), "If-Match": problem["etag"]},
    )


async def submitted(
    client: Client, city: City, who: str = "requester", **fields: Any
) -> dict[str, Any]:
    problem = await draft(client, city, who, **fields)
    response = await submit(client, city, problem, who)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    result["etag"] = response.headers["etag"]
    return result


async def submitted_by_services(
    sessions: async_sessionmaker[AsyncSession], caller: Caller, **fields: Any
) -> uuid.UUID:
    """A complete problem drafted and submitted by ``caller`` through the services the two
    routes call, each in a transaction of its own as a request's: for the background of a
    test whose point is elsewhere (about half the CPU of the two requests)."""
    data = msgspec.convert({**COMPLETE_PROBLEM, **fields}, problem_schemas.ProblemCreate)
    async with sessions() as session, session.begin():
        created = await problems.create_problem(session, caller, data)
    async with sessions() as session, session.begin():
        await triage.submit(session, caller, created.id, etag(created.version))
    return created.id


async def act(
    client: Client,
    city: City,
    problem: dict[str, Any],
    action: str,
    who: str = "triager",
    body: dict[str, Any] | None = None,
) -> Any:
    """POST a lifecycle action with the problem's ETag; on success ``problem`` is refreshed."""
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/{action}",
        json=body,
        headers={**city.auth(who), "If-Match": problem["etag"]},
    )
    if response.status_code == 200:
        problem.update(response.json())
        problem["etag"] = response.headers["etag"]
    return response


async def events(
    client: Client, city: City, problem_id: str, who: str = "triager"
) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/problems/{problem_id}/history", headers=city.auth(who))
    return list(response.json()["items"])


async def paired(
    client: Client, city: City, team_name: str = "Permits Team", **fields: Any
) -> dict[str, Any]:
    """A submitted problem, accepted by ``triager`` and paired with a team whose only member
    is ``team_member``; returns the problem (status ``accepted``) with its ETag and team id."""
    problem = await submitted(client, city, **fields)
    for action in ("triage", "accept"):
        assert (await act(client, city, problem, action)).status_code == 200
    team = await client.post(
        "/api/v1/teams",
        json={
            "name": team_name,
            "disciplines": ["product_management", "civic_design", "software_engineering"],
            "wip_limit": 5,
            "members": [{"email": EMAILS["team_member"], "discipline": "software_engineering"}],
        },
        headers=city.auth("admin"),
    )
    assert team.status_code == 201, team.text
    response = await client.put(
        f"/api/v1/problems/{problem['id']}/team",
        json={"team_id": team.json()["id"]},
        headers={**city.auth("triager"), "If-Match": problem["etag"]},
    )
    assert response.status_code == 200, response.text
    problem.update(response.json())
    problem["etag"] = response.headers["etag"]
    return problem


async def in_phase(client: Client, city: City, status: str, **fields: Any) -> dict[str, Any]:
    """A paired problem taken forward to ``discovery``, ``delivery`` (alpha) or ``live``."""
    problem = await paired(client, city, **fields)
    steps = {
        "accepted": [],
        "discovery": [("start-discovery", None)],
        "delivery": [("start-discovery", None), ("start-delivery", {"phase": "alpha"})],
        "live": [
            ("start-discovery", None),
            ("start-delivery", {"phase": "alpha"}),
            ("launch", None),
        ],
    }[status]
    for action, body in steps:
        response = await act(client, city, problem, action, who="team_member", body=body)
        assert response.status_code == 200, response.text
    return problem


async def waited_a_week(db: asyncpg.Connection, problem_id: uuid.UUID) -> None:
    """Rewind a problem in needs_info: submitted eight days ago, and its questions have
    waited for a week (history is append-only, so its trigger is set aside meanwhile)."""
    await db.execute(
        "UPDATE problems SET submitted_at = now() - interval '8 days', "
        "paused_since = now() - interval '7 days' WHERE id = $1",
        problem_id,
    )
    await db.execute("ALTER TABLE problem_events DISABLE TRIGGER problem_events_append_only")
    try:
        await db.execute(
            "UPDATE problem_events SET occurred_at = now() - interval '7 days' "
            "WHERE problem_id = $1 AND type = 'info_requested'",
            problem_id,
        )
    finally:
        await db.execute("ALTER TABLE problem_events ENABLE TRIGGER problem_events_append_only")


def hints_for(field: str, text: str) -> list[FramingHint]:
    """Framing hints for a problem whose only filled-in field is ``field``."""
    texts: dict[str, str | None] = dict.fromkeys(("title", "problem_statement", "desired_outcome"))
    texts[field] = text
    return framing_hints(**texts)


# -- similar problems ------------------------------------------------------------------------

# The rest of each record shares no word with these titles and statements (the default
# record's would make every problem match every other).
PLAIN = {
    "current_process": "Done by hand.",
    "workarounds": None,
    "impact_resident_burden": None,
    "desired_outcome": "It just works.",
}
INSPECTIONS = {
    **PLAIN,
    "title": "Inspection scheduling happens on paper forms",
    "problem_statement": "Inspectors schedule restaurant inspections on paper and phone calls.",
}
LIBRARY = {
    **PLAIN,
    "title": "Library card renewals only at a branch desk",
    "problem_statement": "Patrons renew library cards in person, at the desk.",
}


async def similar_to(
    client: Client, city: City, problem: dict[str, Any], who: str = "triager"
) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/problems/{problem['id']}/similar", headers=city.auth(who))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def ids(found: list[dict[str, Any]]) -> list[str]:
    return [match["id"] for match in found]


async def embed_all(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Passes of the worker until nothing is due; how many problems were embedded."""
    matrix, done = meanings.Matrix(), 0
    while (embedded := (await meanings.embed_due(sessions, matrix)).embedded) > 0:
        done += embedded
    return done
