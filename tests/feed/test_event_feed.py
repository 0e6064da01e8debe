"""GET /api/v1/events: every problem's history as one ordered, gap-free feed."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.lib.pagination import encode_cursor
from intake.problems import history
from intake.vocabulary.events import EVENT_TYPES
from tests.builders import City
from tests.helpers import Client, act, assert_problem_json, draft, events, submit, submitted

FEED = "/api/v1/events"


async def feed(client: Client, city: City, who: str = "admin", **params: Any) -> dict[str, Any]:
    response = await client.get(FEED, params=params, headers=city.auth(who))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert isinstance(page["next_cursor"], str)
    return page


async def read_all(
    client: Client, city: City, who: str = "admin", *, limit: int = 100, **params: Any
) -> tuple[list[dict[str, Any]], str]:
    """Page through the feed until a page is short; the events read and where to resume."""
    items: list[dict[str, Any]] = []
    cursor = params.pop("cursor", None)
    while True:
        page = await feed(
            client, city, who, limit=limit, **params, **({"cursor": cursor} if cursor else {})
        )
        items += page["items"]
        cursor = page["next_cursor"]
        if len(page["items"]) < limit:
            return items, cursor


async def comment(
    client: Client, city: City, problem_id: str, body: str, who: str, visibility: str = "all"
) -> None:
    response = await client.post(
        f"/api/v1/problems/{problem_id}/comments",
        json={"body": body, "visibility": visibility},
        headers=city.auth(who),
    )
    assert response.status_code == 201, response.text


async def test_paging_returns_every_event_once_in_feed_order(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    first = await submitted(client, city, title="Street tree permits take weeks")
    second = await submitted(client, city, who="health", title="Clinic bookings by phone only")
    assert (await act(client, city, first, "triage")).status_code == 200
    await comment(client, city, second["id"], "Which clinics first?", "triager")

    items, cursor = await read_all(client, city, limit=2)

    expected = [r["id"] for r in await db.fetch("SELECT id FROM problem_events ORDER BY id")]
    assert [item["id"] for item in items] == expected  # one writer at a time: id order
    assert [item["type"] for item in items] == [
        "created",
        "submitted",
        "created",
        "submitted",
        "triaged",
        "comment_added",
    ]
    triaged = items[4]
    assert triaged["problem"] == {"id": first["id"], "reference": first["reference"]}
    assert triaged["actor"] == {"id": str(city.people["triager"]), "name": "Priya One"}
    assert (triaged["from_status"], triaged["to_status"]) == ("submitted", "triage")
    # The same event as the problem's history shows it, plus its problem.
    history_items = (
        await client.get(f"/api/v1/problems/{first['id']}/history", headers=city.auth("admin"))
    ).json()["items"]
    assert {k: v for k, v in triaged.items() if k != "problem"} == history_items[-1]

    # Caught up: an empty page hands back the same cursor, and new events come after it.
    caught_up = await feed(client, city, cursor=cursor)
    assert caught_up == {"items": [], "next_cursor": cursor}
    await comment(client, city, first["id"], "Site visit on Tuesday.", "requester")
    newer = await feed(client, city, cursor=cursor)
    assert [item["type"] for item in newer["items"]] == ["comment_added"]
    assert newer["next_cursor"] != cursor


async def test_an_empty_feed_still_hands_out_a_cursor_to_resume_from(
    client: Client, city: City
) -> None:
    empty = await feed(client, city)
    assert empty["items"] == []
    problem = await submitted(client, city)
    later = await feed(client, city, cursor=empty["next_cursor"])
    assert [item["type"] for item in later["items"]] == ["created", "submitted"]
    assert {item["problem"]["id"] for item in later["items"]} == {problem["id"]}


async def test_a_restricted_problems_events_reach_only_those_who_may_see_it(
    client: Client, city: City
) -> None:
    restricted = await submitted(client, city, title="Child care case files", restricted=True)
    open_problem = await submitted(client, city, title="Pothole reports are lost")

    def problems_in(items: list[dict[str, Any]]) -> set[str]:
        return {item["problem"]["id"] for item in items}

    for who in ("health", "parks"):
        items, _ = await read_all(client, city, who)
        assert problems_in(items) == {open_problem["id"]}, who
    for who in ("requester2", "triager", "team_member", "leader", "admin"):
        items, _ = await read_all(client, city, who)
        assert problems_in(items) == {restricted["id"], open_problem["id"]}, who
    # Asking for the hidden problem's events by id gives nothing, not an error.
    hidden = await feed(client, city, "health", problem=restricted["id"])
    assert hidden["items"] == []


async def test_a_drafts_events_reach_only_its_department(client: Client, city: City) -> None:
    problem = await draft(client, city, title="A draft nobody else sees yet")
    same_department, _ = await read_all(client, city, "requester2")
    assert [item["problem"]["id"] for item in same_department] == [problem["id"]]
    assert same_department[0]["problem"]["reference"] is None
    for who in ("triager", "leader", "health"):
        items, _ = await read_all(client, city, who)
        assert items == [], who


async def test_internal_events_reach_dti_roles_only(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    await comment(
        client, city, problem["id"], "Budget is tight this year.", "triager", "dti_internal"
    )
    await comment(client, city, problem["id"], "Thanks for the detail.", "triager")

    def types(items: list[dict[str, Any]]) -> list[str]:
        return [item["type"] for item in items]

    for who in ("triager", "team_member", "admin"):
        items, _ = await read_all(client, city, who)
        assert types(items) == ["created", "submitted", "comment_added", "comment_added"], who
    for who in ("leader", "requester", "health"):
        items, _ = await read_all(client, city, who)
        assert types(items) == ["created", "submitted", "comment_added"], who


async def test_filters_by_type_and_problem(client: Client, city: City) -> None:
    first = await submitted(client, city, title="Street tree permits take weeks")
    second = await submitted(client, city, who="health", title="Clinic bookings by phone only")
    assert (await act(client, city, second, "triage")).status_code == 200

    async def types(**params: Any) -> list[tuple[str, str]]:
        items, _ = await read_all(client, city, **params)
        return [(item["type"], item["problem"]["id"]) for item in items]

    submits = [("submitted", first["id"]), ("submitted", second["id"])]
    assert await types(type="submitted") == submits
    both = [*submits, ("triaged", second["id"])]
    assert await types(type="submitted,triaged") == both
    assert await types(type=["triaged", "submitted"]) == both
    assert await types(type=" submitted , triaged ") == both
    assert await types(problem=second["id"]) == [
        ("created", second["id"]),
        ("submitted", second["id"]),
        ("triaged", second["id"]),
    ]
    assert await types(problem=second["id"], type="created") == [("created", second["id"])]

    # A cursor is a position in the whole feed: a filtered read may resume from it.
    page = await feed(client, city, limit=2)
    rest, _ = await read_all(client, city, type="triaged", cursor=page["next_cursor"])
    assert [item["type"] for item in rest] == ["triaged"]


async def test_a_reader_who_matches_nothing_still_moves_on(client: Client, city: City) -> None:
    """A short page has looked at every published event: its cursor is the newest one's
    position, so a filtered poller (or one who may see little) does not read them again."""
    await submitted(client, city, title="Street tree permits take weeks", restricted=True)
    _, head = await read_all(client, city)
    filtered = await feed(client, city, type="closed")
    assert filtered == {"items": [], "next_cursor": head}
    hidden = await feed(client, city, "health")
    assert hidden == {"items": [], "next_cursor": head}
    # Later events still come, to those who may see them.
    open_problem = await submitted(client, city, who="health", title="Clinic bookings by phone")
    newer = await feed(client, city, "health", cursor=hidden["next_cursor"])
    assert [item["type"] for item in newer["items"]] == ["created", "submitted"]
    assert newer["items"][0]["problem"]["id"] == open_problem["id"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": encode_cursor([12])}, "cursor"),  # another list's cursor
        ({"cursor": encode_cursor(["2026-11-21T10:00:00Z", str(uuid.uuid4())])}, "cursor"),
        ({"cursor": encode_cursor([-1, 5])}, "cursor"),
        ({"cursor": encode_cursor([2**63, 5])}, "cursor"),
        ({"cursor": "x" * 501}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"type": "Submitted"}, "type"),
        ({"type": "submitted,,triaged"}, "type"),
        ({"type": "x" * 41}, "type"),
        ({"type": ",".join(["submitted"] * 51)}, "type"),
        ({"type": "no_such_type"}, "type"),
        ({"type": "submitted,duplicate"}, "type"),  # a status, not an event type
        ({"problem": "P-2026-00001"}, "problem"),
    ],
)
async def test_bad_parameters_are_problem_json(
    client: Client, city: City, params: dict[str, Any], field: str
) -> None:
    response = await client.get(FEED, params=params, headers=city.auth("admin"))
    body = assert_problem_json(response, 422)
    assert [error["field"] for error in body["errors"]] == [field]
    assert body["errors"][0]["source"] == "query"


async def test_an_unknown_type_is_422_naming_it_and_the_types_there_are(
    client: Client, city: City
) -> None:
    """A typo in the filter would read as "nothing happened": it is refused, as a webhook's
    ``types`` refuses it."""
    response = await client.get(
        FEED, params={"type": ["submitted,acepted", "sumbitted"]}, headers=city.auth("admin")
    )
    [error] = assert_problem_json(response, 422)["errors"]
    assert (error["field"], error["source"]) == ("type", "query")
    message = error["message"]
    assert "'acepted', 'sumbitted'" in message, message
    assert all(name in message for name in EVENT_TYPES), message


async def test_every_recorded_event_type_is_a_filter(client: Client, city: City) -> None:
    assert (await feed(client, city, type=",".join(EVENT_TYPES)))["items"] == []


async def test_the_feed_needs_a_token(client: Client) -> None:
    assert_problem_json(await client.get(FEED), 401)


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
async def test_an_open_writer_holds_the_feed_back_and_nothing_is_skipped(
    client: Client,
    city: City,
    db: asyncpg.Connection,
    sessions: async_sessionmaker[AsyncSession],
    outcome: str,
) -> None:
    """The race a feed paging by id loses: a transaction takes an event id, a later one
    takes the next id and commits first. The feed publishes neither past the open one until
    it finishes, then the held event (if committed) comes once, before the later one."""
    slow = await submitted(client, city, title="Street tree permits take weeks")
    fast = await submitted(client, city, who="health", title="Clinic bookings by phone only")
    published, cursor = await read_all(client, city)
    assert len(published) == 4

    async with sessions() as held:  # a writer still at work, on its own connection
        event = await history.record(
            held,
            problem_id=uuid.UUID(slow["id"]),
            actor_id=city.people["triager"],
            type="comment_added",
            changes={"comment": "held"},
        )
        held_id = event.id
        await comment(client, city, fast["id"], "Committed while the other is open.", "triager")
        later_id = await db.fetchval("SELECT max(id) FROM problem_events")
        # Paging by id would read the later event now and move past the held one for good.
        assert later_id > held_id
        assert not await db.fetchval("SELECT count(*) FROM problem_events WHERE id = $1", held_id)

        assert await feed(client, city, cursor=cursor) == {"items": [], "next_cursor": cursor}

        await (held.commit() if outcome == "commit" else held.rollback())

    items, end = await read_all(client, city, cursor=cursor)
    expected = [held_id, later_id] if outcome == "commit" else [later_id]
    assert [item["id"] for item in items] == expected
    assert (await feed(client, city, cursor=end))["items"] == []
    everything, _ = await read_all(client, city)
    ids = [item["id"] for item in everything]
    assert len(ids) == len(set(ids)) == 4 + len(expected)


async def test_a_transaction_that_started_writing_first_comes_first_whatever_its_ids(
    client: Client,
    city: City,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Order is by writing transaction: one that started writing (took its transaction id)
    before another committed comes first in the feed, though its event's id is larger, and
    the other's event waits for it rather than being published ahead of it."""
    slow = await submitted(client, city, title="Street tree permits take weeks")
    fast = await submitted(client, city, who="health", title="Clinic bookings by phone only")
    _, cursor = await read_all(client, city)

    async with sessions() as held:
        await held.execute(text("SELECT pg_current_xact_id()"))  # starts writing: takes its id
        await comment(client, city, fast["id"], "Committed first, smaller id.", "triager")
        assert await feed(client, city, cursor=cursor) == {"items": [], "next_cursor": cursor}
        event = await history.record(
            held,
            problem_id=uuid.UUID(slow["id"]),
            actor_id=city.people["triager"],
            type="comment_added",
            changes={"comment": "held"},
        )
        held_id = event.id
        await held.commit()

    items, _ = await read_all(client, city, cursor=cursor)
    assert [(item["problem"]["id"], item["id"] == held_id) for item in items] == [
        (slow["id"], True),
        (fast["id"], False),
    ]
    assert items[0]["id"] > items[1]["id"]


# -- events that become visible later ------------------------------------------------------


async def edit(
    client: Client, city: City, problem: dict[str, Any], who: str, **fields: Any
) -> None:
    """PATCH the problem as ``who``; ``problem`` gets the new ETag."""
    response = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json=fields,
        headers={**city.auth(who), "If-Match": problem["etag"]},
    )
    assert response.status_code == 200, response.text
    problem["etag"] = response.headers["etag"]


def ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


async def test_a_drafts_history_is_published_at_submit_after_what_readers_have_read(
    client: Client, city: City
) -> None:
    """A reader following the cursor passes a draft's events while it is a draft (they are
    its department's only); at submit they are published after what it has read, in their
    order, so it reads what a full read reads. Its department read them as they happened
    and does not get them again."""
    problem = await draft(client, city, title="Street tree permits take weeks")
    await edit(client, city, problem, "requester", workarounds="A shared spreadsheet.")
    other = await submitted(client, city, who="health", title="Clinic bookings by phone only")
    readers = ("leader", "admin", "parks", "requester2")
    cursors = {who: (await read_all(client, city, who))[1] for who in readers}

    response = await submit(client, city, problem)
    assert response.status_code == 200, response.text
    reference = response.json()["reference"]
    history = await events(client, city, problem["id"])
    assert [event["type"] for event in history] == ["created", "updated", "submitted"]
    other_ids = ids(await events(client, city, other["id"]))

    for who in ("leader", "admin", "parks"):
        newer, _ = await read_all(client, city, who, cursor=cursors[who])
        # The problem's whole history, in its order, each event as history shows it.
        expected = [
            {**event, "problem": {"id": problem["id"], "reference": reference}} for event in history
        ]
        assert newer == expected, who
        everything, _ = await read_all(client, city, who)
        assert ids(everything) == [*other_ids, *ids(history)], who
    # The department read the draft's events as they happened: now only the submit is new.
    newer, _ = await read_all(client, city, "requester2", cursor=cursors["requester2"])
    assert ids(newer) == [history[2]["id"]]
    everything, _ = await read_all(client, city, "requester2")
    assert ids(everything) == [*ids(history[:2]), *other_ids, history[2]["id"]]


async def test_a_problem_opened_up_is_published_again_for_those_who_could_not_see_it(
    client: Client, city: City
) -> None:
    """Restricted, then opened: staff who could not see it get its history then, after what
    they have read; those who could (its department, a collaborator, DTI and leadership) get
    only the change."""
    problem = await submitted(client, city, title="Child care case files", restricted=True)
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/collaborators",
        json={"department": "PRK"},
        headers=city.auth("requester"),
    )
    assert response.status_code == 201, response.text
    assert (await act(client, city, problem, "triage")).status_code == 200
    await comment(client, city, problem["id"], "Budget is tight.", "triager", "dti_internal")
    body = {"questions": "Which case types?"}
    assert (await act(client, city, problem, "request-info", body=body)).status_code == 200
    readers = ("health", "parks", "requester2", "triager", "leader")
    cursors = {who: (await read_all(client, city, who))[1] for who in readers}
    assert (await feed(client, city, "health"))["items"] == []

    await edit(client, city, problem, "requester", restricted=False)

    history = await events(client, city, problem["id"], who="health")
    assert [event["type"] for event in history] == [
        "created",
        "submitted",
        "collaborator_added",
        "triaged",
        "info_requested",
        "updated",
    ]
    newer, _ = await read_all(client, city, "health", cursor=cursors["health"])
    assert [{k: v for k, v in item.items() if k != "problem"} for item in newer] == history
    everything, _ = await read_all(client, city, "health")
    assert everything == newer
    for who in ("parks", "requester2", "triager", "leader"):
        newer, _ = await read_all(client, city, who, cursor=cursors[who])
        assert ids(newer) == [history[-1]["id"]], who
        everything, _ = await read_all(client, city, who)
        assert len(ids(everything)) == len(set(ids(everything))), who


async def test_a_new_collaborator_gets_the_restricted_problems_history_after_what_it_read(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city, title="Child care case files", restricted=True)
    assert (await act(client, city, problem, "triage")).status_code == 200
    await comment(client, city, problem["id"], "Budget is tight.", "triager", "dti_internal")
    await comment(client, city, problem["id"], "Which case types first?", "triager")
    readers = ("health", "parks", "leader", "triager")
    cursors = {who: (await read_all(client, city, who))[1] for who in readers}

    async def collaborate(body: dict[str, str]) -> None:
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/collaborators",
            json=body,
            headers=city.auth("requester"),
        )
        assert response.status_code == 201, response.text

    await collaborate({"department": "DPH"})
    history = await events(client, city, problem["id"], who="health")  # no internal event
    assert [event["type"] for event in history] == [
        "created",
        "submitted",
        "triaged",
        "comment_added",
        "collaborator_added",
    ]
    newer, health_cursor = await read_all(client, city, "health", cursor=cursors["health"])
    assert [{k: v for k, v in item.items() if k != "problem"} for item in newer] == history
    assert (await read_all(client, city, "health"))[0] == newer
    assert (await read_all(client, city, "parks", cursor=cursors["parks"]))[0] == []
    for who in ("leader", "triager"):
        newer, cursors[who] = await read_all(client, city, who, cursor=cursors[who])
        assert ids(newer) == [history[-1]["id"]], who

    # A collaborating person: their own copy; the department already collaborating, and
    # DTI, get only the change.
    await collaborate({"email": "tom.reyes@city.example"})
    history = await events(client, city, problem["id"], who="parks")
    newer, _ = await read_all(client, city, "parks", cursor=cursors["parks"])
    assert [{k: v for k, v in item.items() if k != "problem"} for item in newer] == history
    assert (await read_all(client, city, "parks"))[0] == newer
    for who, cursor in (("health", health_cursor), ("leader", cursors["leader"])):
        newer, _ = await read_all(client, city, who, cursor=cursor)
        assert ids(newer) == [history[-1]["id"]], who


async def test_hidden_and_shown_again_a_problems_history_comes_again(
    client: Client, city: City
) -> None:
    """Narrowing is not undone: a collaborator removed no longer reads the restricted
    problem's events, earlier ones included; added again, it gets the whole history again
    after what it has read, events it had read before among them (the same ids). Those who
    could see it throughout get each event once."""
    problem = await submitted(client, city, title="Child care case files", restricted=True)
    url = f"/api/v1/problems/{problem['id']}/collaborators"
    headers = city.auth("requester")
    added = await client.post(url, json={"department": "DPH"}, headers=headers)
    assert added.status_code == 201, added.text
    before, cursor = await read_all(client, city, "health")
    assert [item["type"] for item in before] == ["created", "submitted", "collaborator_added"]

    removed = await client.delete(f"{url}/{added.json()['id']}", headers=headers)
    assert removed.status_code == 204, removed.text
    assert (await read_all(client, city, "health"))[0] == []
    assert (await read_all(client, city, "health", cursor=cursor))[0] == []
    again = await client.post(url, json={"department": "DPH"}, headers=headers)
    assert again.status_code == 201, again.text

    history = await events(client, city, problem["id"], who="health")
    newer, _ = await read_all(client, city, "health", cursor=cursor)
    assert ids(newer) == ids(history)  # all of it, the three read before included
    assert ids(history)[:3] == ids(before)
    leader, _ = await read_all(client, city, "leader")
    assert ids(leader) == ids(history)


@dataclass
class Poller:
    """A reader following the cursor, as the city's data platform does."""

    who: str
    cursor: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)

    async def poll(self, client: Client, city: City) -> int:
        """One page from the cursor; how many events it held."""
        params: dict[str, Any] = {"limit": 7, **({"cursor": self.cursor} if self.cursor else {})}
        page = await feed(client, city, self.who, **params)
        self.items += page["items"]
        self.cursor = page["next_cursor"]
        return len(page["items"])

    def has_read(self, body: str) -> bool:
        return any(item["changes"].get("body") == body for item in self.items)


async def test_a_poller_under_concurrent_writers_reads_what_a_full_read_reads(
    live: httpx.AsyncClient, city: City, db: asyncpg.Connection
) -> None:
    """Twelve clients create, edit and submit problems at once while two readers follow the
    cursor: leadership (every submitted problem, no drafts) and a department (its drafts at
    once). Every other draft waits, before it is submitted, until both readers have read
    past its events (they have read a comment its writer made afterwards), which is how a
    reader comes to pass events it cannot see yet. Each reader then holds exactly what a
    full read holds, in the same order, each event once."""
    writers, rounds = 12, 2
    owners = ("requester", "health", "parks", "requester2")
    pollers = [Poller("leader"), Poller("health")]
    writing = asyncio.Event()

    async def wait_until_read(body: str) -> None:
        for _ in range(600):  # up to a minute
            if all(poller.has_read(body) for poller in pollers):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"the readers never read {body!r}")

    async def write(n: int) -> None:
        who = owners[n % len(owners)]
        anchor = await submitted(live, city, who, title=f"Writer {n}'s progress notes")
        for round in range(rounds):
            problem = await draft(live, city, who, title=f"Writer {n}, problem {round}")
            await edit(live, city, problem, who, workarounds=f"Spreadsheet {n}.{round}")
            if (n + round) % 2 == 0:
                body = f"Writer {n} finished drafting problem {round}."
                await comment(live, city, anchor["id"], body, who)
                await wait_until_read(body)
            response = await submit(live, city, problem, who)
            assert response.status_code == 200, response.text

    async def follow(poller: Poller) -> None:
        while True:
            still_writing = writing.is_set()
            if await poller.poll(live, city) < 7:
                if not still_writing:  # every writer had finished: caught up with all
                    return
                await asyncio.sleep(0.05)

    writing.set()
    async with asyncio.timeout(300):
        following = [asyncio.create_task(follow(poller)) for poller in pollers]
        try:
            await asyncio.gather(*(write(n) for n in range(writers)))
        finally:
            writing.clear()
        await asyncio.gather(*following)

    submitted_events = await db.fetch(
        "SELECT e.id FROM problem_events e JOIN problems p ON p.id = e.problem_id "
        "WHERE p.reference IS NOT NULL ORDER BY e.id"
    )
    # Per writer: its notes problem (created, submitted, one comment) and its problems.
    assert len(submitted_events) == writers * (3 + 3 * rounds)
    for poller in pollers:
        everything, _ = await read_all(live, city, poller.who)
        assert ids(poller.items) == ids(everything), poller.who
        assert sorted(ids(everything)) == [row["id"] for row in submitted_events], poller.who
        # Each problem's events in the order of its history.
        by_problem: dict[str, list[int]] = {}
        for item in everything:
            by_problem.setdefault(item["problem"]["id"], []).append(item["id"])
        assert all(events == sorted(events) for events in by_problem.values()), poller.who
