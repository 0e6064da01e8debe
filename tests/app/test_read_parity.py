"""Every hot read twice: the one statement a person's request reads (``<domain>/reads.py``)
and the service a service account's request calls (``Account``: the caller on the request's
session) give the same person the same pages, body for body and cursor for cursor.

One city, built once for the module and only read by its tests, holds what each rule is
about: restricted problems (seen through a collaborating department, a collaborating person,
a DTI role or leadership), a draft, DTI-internal comments, removed milestones and metrics, a
slipped milestone, and more records than a page of each list."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.collaboration import collaborators, comments, watchers
from intake.collaboration import reads as collaboration_reads
from intake.config import Settings
from intake.delivery import milestones, updates
from intake.delivery import reads as delivery_reads
from intake.discovery import reads as discovery_reads
from intake.discovery import service as discovery
from intake.feed import reads as feed_reads
from intake.feed import service as feed
from intake.lib.errors import IntakeError
from intake.notifications import reads as inbox_reads
from intake.notifications import service as inbox
from intake.outcomes import reads as outcome_reads
from intake.outcomes import service as outcomes
from intake.problems import reads as problem_reads
from intake.problems import service as problems
from intake.problems.service import ProblemFilters
from intake.triage import reads as queue_reads
from intake.triage import service as triage
from intake.web.auth import LocalKeys
from intake.web.reads import caller_of
from tests.builders import EMAILS, City, build_city
from tests.conftest import Apps, Connections
from tests.helpers import Client, act, draft, in_phase, submitted

LIMIT = 2  # every list runs to several pages
VIEWERS = ("requester", "health", "parks", "triager", "team_member", "leader", "admin")
NOW = datetime.now(UTC)
SEEN = {"evidence": [{"source": "Interview at the counter", "date": "2026-12-02", "who": "Clerk"}]}


def _day(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


async def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def _town(client: Client, city: City, db: asyncpg.Connection) -> list[str]:
    """The city's problems, each a list's subject: the worked one first."""
    auth = city.auth
    # DOT's restricted work in delivery, with PRK and Inès (DPH) collaborating.
    work = await in_phase(client, city, "delivery", restricted=True)
    url = f"/api/v1/problems/{work['id']}"
    await _ok(
        await client.post(
            f"{url}/collaborators", json={"department": "PRK"}, headers=auth("requester")
        )
    )
    await _ok(
        await client.post(
            f"{url}/collaborators", json={"email": EMAILS["health"]}, headers=auth("requester")
        )
    )
    for who in ("requester2", "health", "triager", "leader", "parks"):
        await _ok(await client.post(f"{url}/watchers", json={}, headers=auth(who)))
    for n, (who, visibility) in enumerate(
        [
            ("requester", "all"),
            ("triager", "dti_internal"),
            ("health", "all"),
            ("team_member", "dti_internal"),
            ("parks", "all"),
            ("triager", "all"),
            ("leader", "all"),
            ("team_member", "dti_internal"),
        ]
    ):
        reader = "team_member" if visibility == "dti_internal" else "requester2"
        body = f"Note {n} for @{EMAILS[reader]} and @{EMAILS['triager']}"
        await _ok(
            await client.post(
                f"{url}/comments", json={"body": body, "visibility": visibility}, headers=auth(who)
            )
        )
    for n in range(5):
        await _ok(
            await client.post(
                f"{url}/updates",
                json={
                    "status": ["on_track", "at_risk", "off_track"][n % 3],
                    "summary": f"Week {n}",
                },
                headers=auth("team_member"),
            )
        )
    made = []
    for n in range(6):
        made.append(
            await _ok(
                await client.post(
                    f"{url}/milestones",
                    json={"title": f"Step {n}", "target_date": _day(10 + n % 3)},
                    headers=auth("triager" if n % 2 else "team_member"),
                )
            )
        )
    slipped = await client.patch(
        f"{url}/milestones/{made[0]['id']}",
        json={"target_date": _day(30), "reason": "Translation first."},
        headers={**auth("triager"), "If-Match": f'"{made[0]["version"]}"'},
    )
    await _ok(slipped)
    removed = await client.delete(
        f"{url}/milestones/{made[1]['id']}", headers={**auth("team_member"), "If-Match": '"1"'}
    )
    assert removed.status_code == 204, removed.text
    metrics = []
    for n in range(5):
        metrics.append(
            await _ok(
                await client.post(
                    f"{url}/metrics",
                    json={
                        "name": f"Metric {n}",
                        "unit": "days",
                        "direction": "decrease",
                        "baseline": 30,
                        "target": 5,
                        "target_date": _day(200),
                        "owner_email": EMAILS["triager"] if n % 2 else None,
                    },
                    headers=auth("team_member"),
                )
            )
        )
    for n, metric in enumerate(metrics[:3]):
        for m in range(n + 1):
            await _ok(
                await client.post(
                    f"{url}/metrics/{metric['id']}/measurements",
                    json={"value": 30 - 5 * m, "measured_on": _day(-m)},
                    headers=auth("team_member"),
                )
            )
    removed = await client.delete(
        f"{url}/metrics/{metrics[3]['id']}", headers={**auth("team_member"), "If-Match": '"1"'}
    )
    assert removed.status_code == 204, removed.text
    steps = []
    for n in range(3):
        steps.append(
            await _ok(
                await client.post(
                    f"{url}/findings",
                    json={"kind": "journey_step", "title": f"Step {n}", "position": 1, **SEEN},
                    headers=auth("team_member"),
                )
            )
        )
    for n, kind in enumerate(["insight", "pain_point", "decision", "constraint"]):
        extra = {"journey_step_id": steps[0]["id"]} if kind == "pain_point" else {}
        await _ok(
            await client.post(
                f"{url}/findings",
                json={"kind": kind, "title": f"Found {n}", **SEEN, **extra},
                headers=auth("team_member"),
            )
        )
    # Submitted problems in the queue, one restricted to DPH, one waiting on its requester.
    open_dot = await submitted(client, city, title="Potholes reported twice")
    hidden = await submitted(
        client, city, "health", title="Clinic records on paper", restricted=True
    )
    waiting = await submitted(client, city, "parks", title="Park bookings by phone")
    assert (await act(client, city, waiting, "triage")).status_code == 200
    asked = await act(client, city, waiting, "request-info", body={"questions": "Which parks?"})
    assert asked.status_code == 200, asked.text
    for problem in (open_dot, hidden):
        await _ok(
            await client.post(
                f"/api/v1/problems/{problem['id']}/comments",
                json={"body": "Internal", "visibility": "dti_internal"},
                headers=auth("triager"),
            )
        )
    mine = await draft(client, city, title="A draft only DOT sees")
    # History and the feed name a problem not everyone may see; a comment edited; a watcher
    # and a mentioned person who left since.
    for other in (hidden, open_dot):
        linked = await client.post(
            f"{url}/links",
            json={"to_problem_id": other["id"], "type": "related"},
            headers=auth("triager"),
        )
        await _ok(linked)
    listed = await client.get(f"{url}/comments?limit=1", headers=auth("requester"))
    first = (await _ok(listed))["items"][0]
    edited = await client.patch(
        f"{url}/comments/{first['id']}",
        json={"body": f"Edited, @{EMAILS['requester2']}"},
        headers={**auth("requester"), "If-Match": f'"{first["version"]}"'},
    )
    await _ok(edited)
    await db.execute("UPDATE people SET active = false WHERE email = $1", EMAILS["requester2"])
    return [work["id"], open_dot["id"], hidden["id"], waiting["id"], mine["id"]]


Shown = tuple[str, Any]


def _shown(answer: Any) -> Any:
    return msgspec.to_builtins(answer)


# A route: (lean(connection, email, problem_id, cursor), service(session, caller, problem_id,
# cursor)), each one page as (body, next cursor).
Read = Callable[..., Awaitable[tuple[Any, str | None]]]


def _listed(lean: Read, service: Read) -> tuple[Read, Read]:
    async def lean_page(
        connection: asyncpg.Connection, email: str, pid: uuid.UUID, cursor: str | None
    ) -> Any:
        return await lean(connection, email, pid, cursor=cursor, limit=LIMIT)

    async def service_page(
        session: AsyncSession, caller: Any, pid: uuid.UUID, cursor: str | None
    ) -> Any:
        return await service(session, caller, pid, cursor=cursor, limit=LIMIT)

    return lean_page, service_page


def _whole(lean: Read, service: Read) -> tuple[Read, Read]:
    async def lean_page(
        connection: asyncpg.Connection, email: str, pid: uuid.UUID, _: str | None
    ) -> Any:
        return await lean(connection, email, pid), None

    async def service_page(
        session: AsyncSession, caller: Any, pid: uuid.UUID, _: str | None
    ) -> Any:
        return await service(session, caller, pid), None

    return lean_page, service_page


def _whole_list(lean: Read, service: Read) -> tuple[Read, Read]:
    """A read not under a problem (the problem id is left out), answered as a page."""

    async def lean_page(
        connection: asyncpg.Connection, email: str, _: uuid.UUID, cursor: str | None
    ) -> Any:
        return await lean(connection, email, cursor)

    async def service_page(
        session: AsyncSession, caller: Any, _: uuid.UUID, cursor: str | None
    ) -> Any:
        return await service(session, caller, cursor)

    return lean_page, service_page


def _inbox(unread: bool) -> tuple[Read, Read]:
    async def lean(connection: asyncpg.Connection, email: str, cursor: str | None) -> Any:
        page = await inbox_reads.inbox_for(
            connection, email, unread_only=unread, cursor=cursor, limit=LIMIT
        )
        return page, page.next_cursor

    async def service(session: AsyncSession, caller: Any, cursor: str | None) -> Any:
        page = await inbox.list_notifications(
            session, caller, unread_only=unread, cursor=cursor, limit=LIMIT
        )
        return page, page.next_cursor

    return _whole_list(lean, service)


def _feed() -> tuple[Read, Read]:
    filters = feed.FeedFilters()

    async def lean(connection: asyncpg.Connection, email: str, cursor: str | None) -> Any:
        page = await feed_reads.feed_for(connection, email, filters, cursor=cursor, limit=LIMIT)
        return page, page.next_cursor if page.items else None

    async def service(session: AsyncSession, caller: Any, cursor: str | None) -> Any:
        page = await feed.read_feed(session, caller, filters, cursor=cursor, limit=LIMIT)
        return page, page.next_cursor if page.items else None

    return _whole_list(lean, service)


def _queue() -> tuple[Read, Read]:
    filters = queue_reads.QueueFilters()

    async def lean(connection: asyncpg.Connection, email: str, cursor: str | None) -> Any:
        return await queue_reads.queue_for(
            connection, email, filters, now=NOW, cursor=cursor, limit=LIMIT
        )

    async def service(session: AsyncSession, caller: Any, cursor: str | None) -> Any:
        return await triage.triage_queue(session, caller, filters, cursor=cursor, limit=LIMIT)

    return _whole_list(lean, service)


def _problems(q: str | None) -> tuple[Read, Read]:
    filters = ProblemFilters(q=q)

    async def lean(connection: asyncpg.Connection, email: str, cursor: str | None) -> Any:
        return await problem_reads.problems_for(
            connection, email, filters, cursor=cursor, limit=LIMIT
        )

    async def service(session: AsyncSession, caller: Any, cursor: str | None) -> Any:
        return await problems.list_problems(session, caller, filters, cursor=cursor, limit=LIMIT)

    return _whole_list(lean, service)


def _findings(kinds: tuple[str, ...]) -> tuple[Read, Read]:
    async def lean(connection: asyncpg.Connection, email: str, pid: uuid.UUID, **page: Any) -> Any:
        return await discovery_reads.findings_for(connection, email, pid, kinds, **page)

    async def service(session: AsyncSession, caller: Any, pid: uuid.UUID, **page: Any) -> Any:
        return await discovery.list_findings(session, caller, pid, kinds, **page)

    return _listed(lean, service)


ROUTES: dict[str, tuple[Read, Read]] = {
    "problems": _problems(None),
    "problems?q": _problems("potholes or clinic or park or permit"),
    "history": _listed(problem_reads.history_for, problems.list_history),
    "comments": _listed(collaboration_reads.comments_for, comments.list_comments),
    "watchers": _whole(collaboration_reads.watchers_for, watchers.list_watchers),
    "collaborators": _whole(
        collaboration_reads.collaborators_for, collaborators.list_collaborators
    ),
    "findings": _findings(()),
    "findings?kind": _findings(("pain_point", "journey_step")),
    "milestones": _listed(delivery_reads.milestones_for, milestones.list_milestones),
    "updates": _listed(delivery_reads.updates_for, updates.list_updates),
    "metrics": _listed(outcome_reads.metrics_for, outcomes.list_metrics),
    "inbox": _inbox(False),
    "inbox?unread": _inbox(True),
    "feed": _feed(),
    "queue": _queue(),
}


async def _answer(
    read: Callable[[str | None], Awaitable[tuple[Any, str | None]]], cursor: str | None
) -> Shown:
    try:
        body, next_cursor = await read(cursor)
    except IntakeError as error:
        return "refused", (type(error).__name__, str(error))
    return "page", (_shown(body), next_cursor)


@pytest.fixture(scope="module")
async def town(
    module_rows: None, apps: Apps, settings: Settings, connections: Connections, keys: LocalKeys
) -> list[str]:
    """The city and its problems, built once: every test of the module only reads them."""
    connection = await connections.take()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(triage, "utcnow", lambda: NOW)  # the queue's clocks at one moment
            city = await build_city(connection, keys)
            async with apps.test_client(settings) as client:
                return await _town(client, city, connection)
    finally:
        await connections.give_back(connection)


@pytest.mark.parametrize("route", ROUTES)
async def test_a_person_and_the_service_path_read_the_same_pages(
    route: str,
    town: list[str],
    db: asyncpg.Connection,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(triage, "utcnow", lambda: NOW)  # the queue's clocks at one moment
    problem_ids = town
    lean, service = ROUTES[route]
    pages = longest = 0
    for who in VIEWERS:
        email = EMAILS[who]
        caller = await caller_of(db, email)
        for problem_id in map(uuid.UUID, problem_ids):

            async def lean_read(cursor: str | None) -> Any:
                return await lean(db, email, problem_id, cursor)  # noqa: B023

            async def service_read(cursor: str | None) -> Any:
                async with sessions() as session, session.begin():
                    return await service(session, caller, problem_id, cursor)  # noqa: B023

            cursor: str | None = None
            for n in range(1, 50):
                person, account = (
                    await _answer(lean_read, cursor),
                    await _answer(service_read, cursor),
                )
                assert person == account, (who, problem_id, cursor)
                pages += 1
                longest = max(longest, n)
                if person[0] != "page" or person[1][1] is None:
                    break
                cursor = person[1][1]
            else:
                pytest.fail(f"{route} for {who} never ends")
            if route in ("problems", "problems?q", "inbox", "inbox?unread", "feed", "queue"):
                break  # not under a problem: one read per person
    whole = route in ("watchers", "collaborators")  # never paged
    assert pages >= len(VIEWERS) and (longest >= 2 or whole)
