"""Webhook delivery: the feed's events POSTed to a real receiver on 127.0.0.1, signed, in
order, retried with backoff, turned off after the last attempt; never sent twice at once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import json
import os
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake import __version__
from intake.app import create_app
from intake.composition import create_sessionmaker
from intake.config import Settings
from intake.db.session import create_engine
from intake.lib.clock import utcnow
from intake.lib.errors import ConfigError
from intake.webhooks import delivery
from intake.webhooks.delivery import MAX_ATTEMPTS, RETRY_AFTER, deliver_due
from tests.builders import City
from tests.helpers import PATIENCE, Client, act, draft, intake, submit, submitted, until

HOOKS = "/api/v1/webhooks"


# -- how a receiver checks a request: the example in docs/integration.md, as it is there -----

TOLERANCE_SECONDS = 300


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """True if the request is from Intake, unchanged, and signed within the tolerance."""
    timestamp, signatures = None, []
    for part in headers.get("Intake-Signature", "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False  # no timestamp, or too old (a replay) or too far ahead
    signed = timestamp.encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


def test_the_docs_show_receivers_this_very_check() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "integration.md").read_text()
    assert f"TOLERANCE_SECONDS = {TOLERANCE_SECONDS}\n" in doc
    assert inspect.getsource(verify) in doc


# -- a receiver on loopback that records requests and answers as it is told ------------------


class _Headers(dict[str, str]):
    """Request headers by name, any case."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


@dataclass
class Received:
    path: str
    headers: _Headers
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.body)
        return event


@dataclass
class Receiver:
    url: str
    status: int = 200
    delay: float = 0.0
    # Requests to these paths are answered only once their event is set (at most PATIENCE).
    holds: dict[str, threading.Event] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def event_ids(self, path: str | None = None) -> list[int]:
        with self.lock:
            return [r.event["id"] for r in self.requests if path is None or r.path == path]

    def types(self) -> list[str]:
        with self.lock:
            return [r.event["type"] for r in self.requests]

    async def arrived(self, count: int = 1, *, within: float) -> None:
        """Wait (at most ``within`` seconds) until ``count`` requests have arrived."""
        for _ in range(round(within / 0.02)):
            if len(self.requests) >= count:
                break
            await asyncio.sleep(0.02)
        assert len(self.requests) >= count, f"{len(self.requests)} of {count} requests arrived"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = _Headers({name.lower(): value for name, value in self.headers.items()})
            with state.lock:
                state.requests.append(Received(self.path, headers, body))
                status, delay, hold = state.status, state.delay, state.holds.get(self.path)
            if hold is not None:
                hold.wait(PATIENCE)
            time.sleep(delay)
            answer = b"" if status < 300 else b"receiver is down for maintenance"
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the sender gave up waiting (the slow receiver)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass

    server = Server(("127.0.0.1", 0), Handler)
    state = Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks")
    # shutdown() returns at the server's next poll: poll often
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """What the delivery pass sends with: no proxies from the environment, and a timeout only
    a receiver that never answers reaches (a test that wants one to time out has its own)."""
    async with httpx.AsyncClient(
        timeout=PATIENCE, trust_env=False, follow_redirects=False
    ) as client:
        yield client


async def subscribe(client: Client, city: City, url: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(HOOKS, json={"url": url, **fields}, headers=city.auth("admin"))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def hook(client: Client, city: City, hook_id: str) -> dict[str, Any]:
    response = await client.get(f"{HOOKS}/{hook_id}", headers=city.auth("admin"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def attempts_log(client: Client, city: City, hook_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{HOOKS}/{hook_id}/deliveries", headers=city.auth("admin"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def feed_items(client: Client, city: City) -> list[dict[str, Any]]:
    """The feed as leadership reads it: what a webhook receives."""
    response = await client.get("/api/v1/events", headers=city.auth("leader"))
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def comment(
    client: Client, city: City, problem_id: str, text: str, visibility: str = "all"
) -> None:
    response = await client.post(
        f"/api/v1/problems/{problem_id}/comments",
        json={"body": text, "visibility": visibility},
        headers=city.auth("triager"),
    )
    assert response.status_code == 201, response.text


Sessions = async_sessionmaker[AsyncSession]


# -- what is sent --------------------------------------------------------------------------


async def test_a_submitted_problems_events_arrive_in_feed_order_signed(
    client: Client, city: City, sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    created = await subscribe(client, city, receiver.url)
    problem = await submitted(client, city)
    assert (await act(client, city, problem, "triage")).status_code == 200
    await comment(client, city, problem["id"], "Which wards first?")

    done = await deliver_due(sessions, http)

    assert (done.delivered, done.failed) == (4, 0)
    feed = await feed_items(client, city)
    assert [item["type"] for item in feed] == ["created", "submitted", "triaged", "comment_added"]
    # One event per request, in feed order, each exactly the feed's item.
    assert [r.event for r in receiver.requests] == feed
    for request, item in zip(receiver.requests, feed, strict=True):
        headers = request.headers
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"] == f"Intake-Webhooks/{__version__}"
        assert headers["Intake-Event-Id"] == str(item["id"])
        assert headers["Intake-Event-Type"] == item["type"]
        assert headers["Intake-Webhook-Id"] == created["id"]
        assert headers["Intake-Delivery-Attempt"] == "1"
        assert verify(created["secret"], headers, request.body)
        # Any change to the body, or another secret, and the check fails.
        assert not verify(created["secret"], headers, request.body + b" ")
        assert not verify("whsec_someone-else", headers, request.body)
    # A stale timestamp fails however good the signature: a replay.
    first = receiver.requests[0]
    old = str(int(time.time()) - 3600)
    stale_body = first.body
    resigned = hmac.new(
        created["secret"].encode(), old.encode() + b"." + stale_body, hashlib.sha256
    ).hexdigest()
    assert not verify(created["secret"], {"Intake-Signature": f"t={old},v1={resigned}"}, stale_body)

    # Caught up: a later pass sends only what is new, and the position moved along.
    assert (await deliver_due(sessions, http)).delivered == 0
    await comment(client, city, problem["id"], "Ward 3 first.")
    assert (await deliver_due(sessions, http)).delivered == 1
    assert receiver.types()[-1] == "comment_added"
    shown = await hook(client, city, created["id"])
    assert shown["feed_position"] != created["feed_position"]
    log = await attempts_log(client, city, created["id"])
    assert [entry["event_id"] for entry in log] == list(reversed(receiver.event_ids()))
    assert all(entry["delivered"] and entry["status_code"] == 200 for entry in log)


async def test_a_new_subscription_starts_at_the_feeds_horizon(
    client: Client, city: City, sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    earlier = await submitted(client, city, title="Street tree permits take weeks")
    await subscribe(client, city, receiver.url)
    assert (await deliver_due(sessions, http)).delivered == 0
    assert (await act(client, city, earlier, "triage")).status_code == 200
    await deliver_due(sessions, http)
    assert receiver.types() == ["triaged"]  # not the years of history before it


async def test_a_drafts_events_are_sent_after_its_submit_in_feed_order(
    client: Client, city: City, sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    """A draft is its department's only: delivery goes past its events. At submit they are
    published after what was delivered, and the receiver gets them then, in their order,
    before the submit; internal events never."""
    await subscribe(client, city, receiver.url)
    earlier = await submitted(client, city, who="health", title="Clinic bookings by phone only")
    problem = await draft(client, city, title="Street tree permits take weeks")
    response = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json={"workarounds": "A shared spreadsheet."},
        headers={**city.auth("requester"), "If-Match": problem["etag"]},
    )
    assert response.status_code == 200, response.text
    problem["etag"] = response.headers["etag"]
    assert (await deliver_due(sessions, http)).delivered == 2
    assert receiver.types() == ["created", "submitted"]  # the other problem's
    assert {r.event["problem"]["id"] for r in receiver.requests} == {earlier["id"]}

    response = await submit(client, city, problem)
    assert response.status_code == 200
    await comment(client, city, problem["id"], "Budget is tight this year.", "dti_internal")
    await comment(client, city, problem["id"], "Thanks for the detail.")
    await deliver_due(sessions, http)

    assert receiver.types() == [
        "created",
        "submitted",
        "created",
        "updated",
        "submitted",
        "comment_added",
    ]
    # Exactly what leadership's feed holds, in its order.
    assert [r.event for r in receiver.requests] == await feed_items(client, city)
    assert receiver.requests[-1].event["changes"]["body"] == "Thanks for the detail."


async def test_under_concurrent_writers_a_receiver_gets_the_feed_a_full_read_holds(
    live: httpx.AsyncClient,
    city: City,
    sessions: Sessions,
    http: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    """Six clients create, edit and submit problems at once while delivery passes run one
    after another. Every other draft is submitted only once delivery has gone past its
    events (the receiver got a comment made on its writer's notes afterwards). The receiver
    then holds exactly what leadership's full read of the feed holds, in its order."""
    await subscribe(live, city, receiver.url)
    writers, rounds = 6, 2
    owners = ("requester", "health", "parks")
    writing = asyncio.Event()

    def received(text: str) -> bool:
        with receiver.lock:
            return any(r.event["changes"].get("body") == text for r in receiver.requests)

    async def write(n: int) -> None:
        who = owners[n % len(owners)]
        notes = await submitted(live, city, who, title=f"Writer {n}'s progress notes")
        for round in range(rounds):
            problem = await draft(live, city, who, title=f"Writer {n}, problem {round}")
            response = await live.patch(
                f"/api/v1/problems/{problem['id']}",
                json={"workarounds": f"Spreadsheet {n}.{round}"},
                headers={**city.auth(who), "If-Match": problem["etag"]},
            )
            assert response.status_code == 200, response.text
            problem["etag"] = response.headers["etag"]
            if (n + round) % 2 == 0:
                text = f"Writer {n} finished drafting problem {round}."
                await comment(live, city, notes["id"], text)
                for _ in range(600):  # up to a minute
                    if received(text):
                        break
                    await asyncio.sleep(0.1)
                assert received(text), text
            assert (await submit(live, city, problem, who)).status_code == 200

    async def deliver() -> None:
        while True:
            still_writing = writing.is_set()
            await deliver_due(sessions, http)  # until caught up with what is published
            if not still_writing:  # every writer had finished: all of it was published
                return
            await asyncio.sleep(0.05)

    writing.set()
    async with asyncio.timeout(300):
        delivering = asyncio.create_task(deliver())
        try:
            await asyncio.gather(*(write(n) for n in range(writers)))
        finally:
            writing.clear()
        await delivering

    everything: list[int] = []
    cursor: dict[str, str] = {}
    while True:
        response = await live.get(
            "/api/v1/events", params={"limit": 100, **cursor}, headers=city.auth("leader")
        )
        page = response.json()
        everything += [item["id"] for item in page["items"]]
        cursor = {"cursor": page["next_cursor"]}
        if len(page["items"]) < 100:
            break
    # Per writer: its notes (created, submitted, one comment), and its problems.
    assert len(everything) == len(set(everything)) == writers * (3 + 3 * rounds)
    assert receiver.event_ids() == everything


async def test_a_restricted_problems_events_are_sent_as_leadership_sees_them(
    client: Client, city: City, sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(client, city, receiver.url)
    await submitted(client, city, title="Child care case files", restricted=True)
    await deliver_due(sessions, http)
    assert receiver.types() == ["created", "submitted"]


async def test_a_problem_is_named_to_receivers_only_as_leadership_may_see_it(
    client: Client,
    city: City,
    db: asyncpg.Connection,
    sessions: Sessions,
    http: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    """A link names the problem at its other end: a restricted one (leadership sees it), but
    not a draft, which only its department sees. DTI's triager may link a DTI draft; the
    receiver gets the link with the draft's id and reference null."""
    email = "analyst@city.example"
    await db.execute(
        "INSERT INTO people (id, email, name, department_id, roles) "
        "VALUES ($1, $2, 'Ana Lyst', $3, '{requester}')",
        uuid.uuid4(),
        email,
        city.departments["DTI"],
    )
    drafted = await client.post(
        "/api/v1/problems",
        json={"title": "Our own timesheets are on paper"},
        headers={"Authorization": f"Bearer {city.keys.issue(email)}"},
    )
    assert drafted.status_code == 201, drafted.text
    restricted = await submitted(client, city, title="Child care case files", restricted=True)
    problem = await submitted(client, city, title="Street tree permits take weeks")
    await subscribe(client, city, receiver.url)
    for other in (restricted["id"], drafted.json()["id"]):
        linked = await client.post(
            f"/api/v1/problems/{problem['id']}/links",
            json={"to_problem_id": other, "type": "related"},
            headers=city.auth("triager"),
        )
        assert linked.status_code == 201, linked.text

    await deliver_due(sessions, http)

    links = [
        r.event["changes"]["link"]
        for r in receiver.requests
        if r.event["type"] == "linked" and r.event["problem"]["id"] == problem["id"]
    ]
    assert links == [
        {"type": "related", "to": restricted["id"], "reference": restricted["reference"]},
        {"type": "related", "to": None, "reference": None},
    ]
    assert drafted.json()["id"] not in b"".join(r.body for r in receiver.requests).decode()
    # The triager, in DTI, sees the draft and is told which it is.
    history = await client.get(
        f"/api/v1/problems/{problem['id']}/history", headers=city.auth("triager")
    )
    assert history.json()["items"][-1]["changes"]["link"]["to"] == drafted.json()["id"]


async def test_only_the_subscribed_types_are_sent(
    client: Client, city: City, sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    created = await subscribe(client, city, receiver.url, types=["submitted", "triaged"])
    problem = await submitted(client, city)
    assert (await act(client, city, problem, "triage")).status_code == 200
    await comment(client, city, problem["id"], "Noted.")
    await deliver_due(sessions, http)
    assert receiver.types() == ["submitted", "triaged"]
    # Changing the types applies from the subscription's position on.
    response = await client.patch(
        f"{HOOKS}/{created['id']}", json={"types": ["comment_added"]}, headers=city.auth("admin")
    )
    assert response.status_code == 200
    await comment(client, city, problem["id"], "Visit on Tuesday.")
    assert (await act(client, city, problem, "accept")).status_code == 200
    await deliver_due(sessions, http)
    assert receiver.types() == ["submitted", "triaged", "comment_added"]


# -- retries -------------------------------------------------------------------------------


async def test_a_failing_receiver_gets_retries_with_backoff_and_later_events_wait(
    client: Client, city: City, sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    created = await subscribe(client, city, receiver.url)
    await submitted(client, city)  # created, submitted
    receiver.status = 500
    start = utcnow()

    first = await deliver_due(sessions, http, start)
    assert (first.delivered, first.failed) == (0, 1)
    assert receiver.types() == ["created"]  # `submitted` waits behind it
    shown = await hook(client, city, created["id"])
    assert shown["attempts"] == 1
    first_retry = datetime.fromisoformat(shown["retry_at"])
    # The backoff counts from the failed attempt (the pass's moment, plus the request).
    assert timedelta(0) <= first_retry - (start + RETRY_AFTER[0]) < timedelta(seconds=2)

    # Not before the backoff has passed.
    await deliver_due(sessions, http, first_retry - timedelta(seconds=1))
    assert len(receiver.requests) == 1
    await deliver_due(sessions, http, first_retry)
    assert receiver.types() == ["created", "created"]
    assert receiver.requests[1].headers["Intake-Delivery-Attempt"] == "2"
    second_retry = datetime.fromisoformat((await hook(client, city, created["id"]))["retry_at"])
    assert timedelta(0) <= second_retry - (first_retry + RETRY_AFTER[1]) < timedelta(seconds=2)

    # The receiver is fixed: the same event first, then the one that waited.
    receiver.status = 200
    done = await deliver_due(sessions, http, second_retry)
    assert (done.delivered, done.failed) == (2, 0)
    assert receiver.types() == ["created", "created", "created", "submitted"]
    assert receiver.requests[2].headers["Intake-Delivery-Attempt"] == "3"
    assert receiver.requests[3].headers["Intake-Delivery-Attempt"] == "1"
    shown = await hook(client, city, created["id"])
    assert (shown["attempts"], shown["retry_at"]) == (0, None)

    log = await attempts_log(client, city, created["id"])
    created_id, submitted_id = receiver.event_ids()[2:]
    assert [(e["event_id"], e["attempt"], e["status_code"], e["delivered"]) for e in log] == [
        (submitted_id, 1, 200, True),
        (created_id, 3, 200, True),
        (created_id, 2, 500, False),
        (created_id, 1, 500, False),
    ]
    assert log[-1]["error"] == "HTTP 500: receiver is down for maintenance"
    assert all(entry["duration_ms"] >= 0 for entry in log)


async def test_after_the_last_attempt_the_subscription_is_off_until_turned_on_again(
    client: Client, city: City, sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    created = await subscribe(client, city, receiver.url)
    await submitted(client, city)
    receiver.status = 503
    moment = utcnow()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        done = await deliver_due(sessions, http, moment)
        assert (done.delivered, done.failed) == (0, 1), attempt
        if attempt < MAX_ATTEMPTS:
            retry_at = datetime.fromisoformat((await hook(client, city, created["id"]))["retry_at"])
            assert retry_at - moment >= RETRY_AFTER[attempt - 1]
            moment = retry_at
    assert done.turned_off == 1
    assert [r.headers["Intake-Delivery-Attempt"] for r in receiver.requests] == [
        str(n) for n in range(1, MAX_ATTEMPTS + 1)
    ]
    assert set(receiver.types()) == {"created"}

    off = await hook(client, city, created["id"])
    assert off["active"] is False
    event_id = receiver.event_ids()[0]
    assert off["disabled_reason"] == (
        f"Event {event_id} could not be delivered in {MAX_ATTEMPTS} attempts; "
        "the last one: HTTP 503: receiver is down for maintenance"
    )
    assert off["disabled_at"] is not None
    # Off means off: nothing more is tried, however long we wait.
    await deliver_due(sessions, http, moment + timedelta(days=2))
    assert len(receiver.requests) == MAX_ATTEMPTS

    # The admin fixes the receiver and turns the subscription on: it resumes at that event.
    receiver.status = 200
    response = await client.patch(
        f"{HOOKS}/{created['id']}", json={"active": True}, headers=city.auth("admin")
    )
    assert response.status_code == 200
    assert (response.json()["attempts"], response.json()["disabled_reason"]) == (0, None)
    done = await deliver_due(sessions, http, moment + timedelta(days=2))
    assert done.delivered == 2
    assert receiver.types()[MAX_ATTEMPTS:] == ["created", "submitted"]
    assert receiver.event_ids()[MAX_ATTEMPTS] == event_id
    assert receiver.requests[MAX_ATTEMPTS].headers["Intake-Delivery-Attempt"] == "1"


async def test_a_slow_receiver_counts_as_a_failure(
    client: Client, city: City, sessions: Sessions, receiver: Receiver
) -> None:
    created = await subscribe(client, city, receiver.url)
    await submitted(client, city)
    receiver.delay = PATIENCE  # far longer than the sender waits, however busy the machine
    async with httpx.AsyncClient(timeout=0.3, trust_env=False) as impatient:
        started = time.monotonic()
        done = await deliver_due(sessions, impatient)
        assert time.monotonic() - started < PATIENCE  # it did not wait for the receiver
    assert (done.delivered, done.failed) == (0, 1)
    [entry] = await attempts_log(client, city, created["id"])
    assert entry["status_code"] is None
    assert entry["delivered"] is False
    assert entry["error"].startswith("No answer in time")
    assert 250 <= entry["duration_ms"] < PATIENCE * 1000
    assert (await hook(client, city, created["id"]))["attempts"] == 1


async def test_no_transaction_is_open_while_a_receiver_takes_its_time(
    client: Client,
    city: City,
    sessions: Sessions,
    db: asyncpg.Connection,
    http: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    """A slow receiver holds no locks, no snapshot and so not the feed's horizon."""
    await subscribe(client, city, receiver.url)
    await submitted(client, city)
    answer = receiver.holds["/hooks"] = threading.Event()
    sending = asyncio.create_task(deliver_due(sessions, http))
    await receiver.arrived(within=PATIENCE)
    busy = await db.fetch(
        "SELECT state, backend_xid, backend_xmin FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"
    )
    assert busy == []
    # Meanwhile a new event is published at once.
    before = len(await feed_items(client, city))
    await comment(client, city, (await feed_items(client, city))[0]["problem"]["id"], "Hi.")
    assert len(await feed_items(client, city)) == before + 1
    answer.set()
    assert (await sending).delivered == 2  # created, submitted; the comment comes next pass


async def test_a_receiver_that_is_not_there_counts_as_a_failure(
    client: Client, city: City, sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    created = await subscribe(client, city, "http://127.0.0.1:9/nothing-listens-here")
    await submitted(client, city)
    assert (await deliver_due(sessions, http)).failed == 1
    [entry] = await attempts_log(client, city, created["id"])
    assert entry["status_code"] is None
    assert entry["error"].startswith("ConnectError")


async def test_a_new_url_is_tried_at_once(
    client: Client, city: City, sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    created = await subscribe(client, city, "http://127.0.0.1:9/wrong")
    await submitted(client, city)
    moment = utcnow()
    await deliver_due(sessions, http, moment)
    assert (await hook(client, city, created["id"]))["attempts"] == 1
    response = await client.patch(
        f"{HOOKS}/{created['id']}", json={"url": receiver.url}, headers=city.auth("admin")
    )
    assert (response.json()["attempts"], response.json()["retry_at"]) == (0, None)
    assert (await deliver_due(sessions, http, moment)).delivered == 2
    assert receiver.types() == ["created", "submitted"]


async def test_turning_off_mid_pass_stops_after_the_request_in_flight(
    client: Client, city: City, sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    created = await subscribe(client, city, receiver.url)
    await submitted(client, city)
    answer = receiver.holds["/hooks"] = threading.Event()
    sending = asyncio.create_task(deliver_due(sessions, http))
    await receiver.arrived(within=PATIENCE)
    one = f"{HOOKS}/{created['id']}"
    off = await client.patch(one, json={"active": False}, headers=city.auth("admin"))
    assert off.status_code == 200
    answer.set()
    await sending
    assert receiver.types() == ["created"]  # `submitted` was not sent after it
    # The answer to the request in flight came after the change: it is logged, but the
    # position did not move, so turning it on sends that event again (at least once).
    assert len(await attempts_log(client, city, created["id"])) == 1
    assert (await client.patch(one, json={"active": True}, headers=city.auth("admin"))).is_success
    await deliver_due(sessions, http)
    assert receiver.types() == ["created", "created", "submitted"]


async def test_a_subscription_that_has_caught_up_is_not_touched(
    client: Client,
    city: City,
    sessions: Sessions,
    db: asyncpg.Connection,
    http: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    await subscribe(client, city, receiver.url)
    await submitted(client, city)
    await deliver_due(sessions, http)
    row_version = "SELECT xmin::text FROM webhook_subscriptions"
    before = await db.fetchval(row_version)
    await deliver_due(sessions, http)
    assert await db.fetchval(row_version) == before  # not claimed: no write at all


async def test_after_a_rotation_both_secrets_sign_for_a_day(
    client: Client, city: City, sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    created = await subscribe(client, city, receiver.url)
    response = await client.post(
        f"{HOOKS}/{created['id']}/rotate-secret", headers=city.auth("admin")
    )
    new_secret = response.json()["secret"]
    problem = await submitted(client, city)
    await deliver_due(sessions, http)
    for request in receiver.requests:
        assert request.headers["Intake-Signature"].count("v1=") == 2
        assert verify(new_secret, request.headers, request.body)
        assert verify(created["secret"], request.headers, request.body)
    # A day later only the new one signs.
    assert (await act(client, city, problem, "triage")).status_code == 200
    await deliver_due(sessions, http, utcnow() + timedelta(hours=25))
    last = receiver.requests[-1]
    assert last.headers["Intake-Signature"].count("v1=") == 1
    assert verify(new_secret, last.headers, last.body)
    assert not verify(created["secret"], last.headers, last.body)


async def test_a_deleted_subscription_gets_nothing(
    client: Client, city: City, sessions: Sessions, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    created = await subscribe(client, city, receiver.url)
    response = await client.delete(f"{HOOKS}/{created['id']}", headers=city.auth("admin"))
    assert response.status_code == 204
    await submitted(client, city)
    assert (await deliver_due(sessions, http)).delivered == 0
    assert receiver.requests == []


# -- several processes ---------------------------------------------------------------------


async def test_two_passes_at_once_send_each_event_once_and_in_order(
    client: Client,
    city: City,
    database_url: str,
    settings: Settings,
    http: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    hooks = [await subscribe(client, city, f"{receiver.url}/{n}") for n in range(3)]
    for n in range(3):
        problem = await submitted(client, city, title=f"Permits take weeks, case {n}")
        assert (await act(client, city, problem, "triage")).status_code == 200
    expected = [item["id"] for item in await feed_items(client, city)]
    assert len(expected) == 9
    receiver.delay = 0.02  # long enough for the two passes to overlap

    # Two "processes": each its own engine and connections.
    engines = [create_engine(database_url, settings) for _ in range(2)]
    try:
        first, second = await asyncio.gather(
            *(deliver_due(create_sessionmaker(engine), http) for engine in engines)
        )
    finally:
        for engine in engines:
            await engine.dispose()

    assert first.delivered + second.delivered == 27
    for n in range(3):
        assert receiver.event_ids(f"/hooks/{n}") == expected, n
    for created in hooks:
        log = await attempts_log(client, city, created["id"])
        assert len(log) == 9 and all(entry["attempt"] == 1 for entry in log)


async def test_a_subscription_held_by_another_worker_is_left_alone(
    client: Client,
    city: City,
    sessions: Sessions,
    db: asyncpg.Connection,
    http: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    created = await subscribe(client, city, receiver.url)
    await submitted(client, city)
    await db.execute(
        "UPDATE webhook_subscriptions SET leased_until = now() + interval '1 minute', "
        "lease_id = gen_random_uuid()"
    )
    assert (await deliver_due(sessions, http)).delivered == 0
    # A worker that stopped mid-request leaves its lease to run out; then another takes over.
    assert (await deliver_due(sessions, http, utcnow() + timedelta(minutes=2))).delivered == 2
    assert (await hook(client, city, created["id"]))["attempts"] == 0


# -- the delivery log ----------------------------------------------------------------------


async def test_the_delivery_log_pages_and_forgets_old_attempts(
    client: Client,
    city: City,
    sessions: Sessions,
    db: asyncpg.Connection,
    http: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    created = await subscribe(client, city, receiver.url)
    for n in range(3):
        await submitted(client, city, title=f"Permits take weeks, case {n}")
    await deliver_due(sessions, http)
    everything = await attempts_log(client, city, created["id"])
    assert len(everything) == 6
    url = f"{HOOKS}/{created['id']}/deliveries"
    page = (await client.get(url, params={"limit": 4}, headers=city.auth("admin"))).json()
    rest = (
        await client.get(
            url, params={"limit": 4, "cursor": page["next_cursor"]}, headers=city.auth("admin")
        )
    ).json()
    assert page["items"] + rest["items"] == everything
    assert rest["next_cursor"] is None
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)

    await db.execute(
        "UPDATE webhook_deliveries SET attempted_at = now() - interval '31 days' "
        "WHERE id IN (SELECT id FROM webhook_deliveries ORDER BY id LIMIT 4)"
    )
    done = await deliver_due(sessions, http)
    assert done.forgotten == 4
    assert [e["id"] for e in await attempts_log(client, city, created["id"])] == [
        e["id"] for e in everything[:2]
    ]


async def test_a_slow_receiver_holds_up_no_other_subscription(
    client: Client,
    city: City,
    receiver: Receiver,
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two at a time, one event per claim: the fast receivers must go on through the slot
    # the slow one leaves them, not wait for it.
    monkeypatch.setattr(delivery, "CLAIM_BATCH", 2)
    monkeypatch.setattr(delivery, "EVENTS_PER_CLAIM", 1)
    await subscribe(client, city, f"{receiver.url}/slow")
    for n in range(3):
        await subscribe(client, city, f"{receiver.url}/fast{n}")
    await submitted(client, city)  # created and submitted, for each of them
    # The slow one answers only once the fast ones have had all of theirs (or never).
    answer = receiver.holds["/hooks/slow"] = threading.Event()
    delivering = asyncio.create_task(deliver_due(sessions, http))

    def fast() -> list[float]:
        with receiver.lock:
            return [r.at for r in receiver.requests if r.path != "/hooks/slow"]

    await until(lambda: len(fast()) == 6, "the fast receivers, while the slow one is held")
    answered = time.monotonic()
    answer.set()
    done = await delivering

    assert done.delivered == 8
    slow = [r.at for r in receiver.requests if r.path == "/hooks/slow"]
    assert len(slow) == 2 and len(fast()) == 6
    assert max(fast()) < answered  # all of them before the slow one's first answer


async def test_an_unexpected_error_while_sending_is_a_failed_attempt(
    client: Client, city: City, sessions: async_sessionmaker[AsyncSession]
) -> None:
    class Broken(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise RuntimeError("the network stack broke")

    hook_id = (await subscribe(client, city, "http://receiver.city.example/hooks"))["id"]
    await submitted(client, city)
    async with httpx.AsyncClient(transport=Broken()) as broken:
        done = await deliver_due(sessions, broken)
    assert (done.delivered, done.failed) == (0, 1)
    [attempt] = await attempts_log(client, city, hook_id)
    assert attempt["error"] == "RuntimeError: the network stack broke"
    state = await hook(client, city, hook_id)
    assert state["attempts"] == 1 and state["retry_at"] is not None  # retried, then off


async def test_a_stopping_process_lets_go_of_its_subscription(
    client: Client,
    city: City,
    receiver: Receiver,
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    db: asyncpg.Connection,
) -> None:
    hook_id = (await subscribe(client, city, receiver.url))["id"]
    await submitted(client, city)
    answer = receiver.holds["/hooks"] = threading.Event()  # still answering when it stops
    delivering = asyncio.create_task(deliver_due(sessions, http))
    await receiver.arrived(within=PATIENCE)
    delivering.cancel()
    with pytest.raises(asyncio.CancelledError):
        await delivering
    answer.set()
    # Another process may take it up at once instead of waiting out the lease.
    leased = "SELECT leased_until FROM webhook_subscriptions WHERE id = $1"
    assert await db.fetchval(leased, uuid.UUID(hook_id)) is None


# -- the background worker, its setting and the CLI -----------------------------------------


async def test_the_app_delivers_in_the_background(
    city: City,
    settings: Settings,
    database_url: str,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The app's client honours proxy settings: loopback goes direct, whatever CI sets.
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    app = create_app(replace(settings, webhook_seconds=1), database_url)
    async with AsyncTestClient(app=app) as client:
        await subscribe(client, city, receiver.url)
        await submitted(client, city)
        await receiver.arrived(2, within=PATIENCE)
        assert receiver.types() == ["created", "submitted"]


def test_the_delivery_interval_setting() -> None:
    assert Settings.from_env({}).webhook_seconds == 5
    assert Settings.from_env({"INTAKE_WEBHOOK_SECONDS": "0"}).webhook_seconds == 0
    assert Settings.from_env({"INTAKE_WEBHOOK_SECONDS": " 30 "}).webhook_seconds == 30


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "INTAKE_WEBHOOK_SECONDS=-1 must be between 0 and 3600"),
        ("3601", "INTAKE_WEBHOOK_SECONDS=3601 must be between 0 and 3600"),
        ("5s", "INTAKE_WEBHOOK_SECONDS='5s' is not a whole number"),
    ],
)
def test_a_bad_delivery_interval_is_named(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"INTAKE_WEBHOOK_SECONDS": value})
    assert message in str(error.value)


async def test_the_delivery_loop_goes_on_after_a_failed_pass() -> None:
    calls = 0
    second = asyncio.Event()

    async def flaky() -> delivery.DeliveryPass:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database unreachable")
        second.set()
        return delivery.DeliveryPass()

    loop = asyncio.create_task(delivery.deliver_every(flaky, 0.001))
    await asyncio.wait_for(second.wait(), timeout=10)
    loop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop


async def test_cli_webhooks_deliver_runs_one_pass(
    client: Client, city: City, settings: Settings, database_url: str, receiver: Receiver
) -> None:
    await subscribe(client, city, receiver.url)
    await submitted(client, city)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env["INTAKE_DATABASE_URL"] = database_url
    env["INTAKE_DATA_DIR"] = str(settings.data_dir)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1"

    def run() -> subprocess.CompletedProcess[str]:
        return intake("webhooks", "deliver", env=env)

    first = await asyncio.to_thread(run)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Delivered 2 events; 0 attempts failed."
    assert receiver.types() == ["created", "submitted"]
    second = await asyncio.to_thread(run)
    assert second.stdout.strip() == "Delivered 0 events; 0 attempts failed."
