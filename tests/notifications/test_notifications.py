"""The personal inbox: who hears about what, unread and pages, marking read, and visibility
applied again when the inbox is read."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.problems import history
from tests.builders import City
from tests.helpers import (
    Client,
    act,
    assert_problem_json,
    draft,
    in_phase,
    submit,
    submitted,
)

INBOX = "/api/v1/me/notifications"
# Who follows a problem in delivery without asking: its submitter and its triager.
WATCHING = ("requester", "triager")


async def inbox(client: Client, city: City, who: str, **params: Any) -> dict[str, Any]:
    response = await client.get(INBOX, params=params, headers=city.auth(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def watch(db: asyncpg.Connection, city: City, problem_id: str, who: str) -> None:
    await db.execute(
        "INSERT INTO problem_watchers (problem_id, person_id) VALUES ($1, $2)",
        uuid.UUID(problem_id),
        city.people[who],
    )


async def record(
    sessions: async_sessionmaker[AsyncSession], city: City, problem_id: str, **event: Any
) -> None:
    async with sessions() as session, session.begin():
        await history.record(session, problem_id=uuid.UUID(problem_id), **event)


# -- who hears about what -------------------------------------------------------------------


async def test_watchers_hear_of_state_changes_and_the_actor_does_not(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await draft(client, city)
    await watch(db, city, problem["id"], "requester2")
    response = await submit(client, city, problem)
    assert response.status_code == 200
    problem.update(response.json(), etag=response.headers["etag"])
    reference = problem["reference"]

    # The requester submitted it herself: nothing for her; her colleague who follows it hears.
    assert (await inbox(client, city, "requester"))["items"] == []
    (submitted_note,) = (await inbox(client, city, "requester2"))["items"]
    assert submitted_note["kind"] == "state_change"
    assert submitted_note["summary"] == f"Rosa Diaz moved {reference} from draft to submitted"

    assert (await act(client, city, problem, "triage")).status_code == 200
    assert (
        await act(client, city, problem, "accept", body={"reason": "High reach."})
    ).status_code == 200

    body = await inbox(client, city, "requester")
    assert body["unread_count"] == 2
    accepted, triaged = body["items"]  # newest first
    assert accepted["kind"] == "state_change"
    assert accepted["summary"] == f"Priya One moved {reference} from triage to accepted"
    assert accepted["read_at"] is None
    assert accepted["problem"] == {
        "id": problem["id"],
        "reference": reference,
        "title": problem["title"],
        "status": "accepted",
    }
    event = accepted["event"]
    assert event["type"] == "accepted"
    assert event["actor"] == {"id": str(city.people["triager"]), "name": "Priya One"}
    assert (event["from_status"], event["to_status"]) == ("triage", "accepted")
    assert event["reason"] == "High reach."
    assert event["occurred_at"]
    assert triaged["summary"] == f"Priya One moved {reference} from submitted to triage"
    assert accepted["id"] > triaged["id"]

    # The triager follows the problem since triage, but took both actions: nothing for her.
    assert (await inbox(client, city, "triager"))["items"] == []
    # Someone who does not follow it hears nothing.
    assert (await inbox(client, city, "health"))["items"] == []


async def test_a_request_for_information_and_its_answer(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    assert (await act(client, city, problem, "triage")).status_code == 200
    questions = "How many permits were filed last year?"
    response = await act(client, city, problem, "request-info", body={"questions": questions})
    assert response.status_code == 200

    latest = (await inbox(client, city, "requester"))["items"][0]
    assert latest["kind"] == "info_requested"
    assert latest["summary"] == f"Priya One asked for more information on {problem['reference']}"
    assert latest["event"]["reason"] == questions
    assert latest["event"]["to_status"] == "needs_info"

    answer = {"answer": "About 2,400 in 2025."}
    response = await act(client, city, problem, "respond", who="requester", body=answer)
    assert response.status_code == 200
    (answered,) = (await inbox(client, city, "triager"))["items"]
    assert answered["kind"] == "state_change"
    assert answered["summary"] == (
        f"Rosa Diaz moved {problem['reference']} from needs info to triage"
    )
    assert answered["event"]["reason"] == answer["answer"]


async def test_mentioned_people_hear_once_and_the_author_not_at_all(
    client: Client, city: City, sessions: async_sessionmaker[AsyncSession]
) -> None:
    problem = await submitted(client, city)
    mentioned = [city.people[who] for who in ("health", "team_member", "requester", "inactive")]
    await record(
        sessions,
        city,
        problem["id"],
        actor_id=city.people["requester"],
        type="comment_added",
        mentions=mentioned,
    )

    for who in ("health", "team_member"):
        (note,) = (await inbox(client, city, who))["items"]
        assert note["kind"] == "mention"
        assert note["summary"] == f"Rosa Diaz mentioned you on {problem['reference']}"
        assert note["event"]["type"] == "comment_added"
    assert (await inbox(client, city, "requester"))["items"] == []  # her own comment

    # A mention on an event that also changes state: one notification, the mention.
    await record(
        sessions,
        city,
        problem["id"],
        actor_id=city.people["triager"],
        type="triaged",
        from_status="submitted",
        to_status="triage",
        mentions=[city.people["requester"]],
    )
    (note,) = (await inbox(client, city, "requester"))["items"]
    assert note["kind"] == "mention"


async def test_comments_notify_the_people_they_mention(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    comments = f"/api/v1/problems/{problem['id']}/comments"
    body = {"body": "@ines.moreau@city.example does DPH see the same backlog?"}
    response = await client.post(comments, json=body, headers=city.auth("requester"))
    assert response.status_code == 201, response.text
    (note,) = (await inbox(client, city, "health"))["items"]
    assert note["kind"] == "mention"
    assert note["summary"] == f"Rosa Diaz mentioned you on {problem['reference']}"
    assert note["event"]["actor"]["name"] == "Rosa Diaz"

    # A DTI-internal comment reaches the DTI people it mentions, never the requester.
    internal = {
        "body": "@dev.one@city.example the vendor contract ends in March.",
        "visibility": "dti_internal",
    }
    response = await client.post(comments, json=internal, headers=city.auth("triager"))
    assert response.status_code == 201, response.text
    (note,) = (await inbox(client, city, "team_member"))["items"]
    assert note["kind"] == "mention"
    assert (await inbox(client, city, "requester"))["items"] == []


# -- reading: unread, pages, marking read ---------------------------------------------------


async def _three_for_the_requester(client: Client, city: City) -> dict[str, Any]:
    """triaged, info_requested and accepted: three notifications for the submitter."""
    problem = await submitted(client, city)
    steps: list[tuple[str, str, dict[str, str] | None]] = [
        ("triage", "triager", None),
        ("request-info", "triager", {"questions": "Which wards?"}),
        ("respond", "requester", {"answer": "Wards 3 and 7."}),
        ("accept", "triager", None),
    ]
    for action, who, body in steps:
        assert (await act(client, city, problem, action, who=who, body=body)).status_code == 200
    return problem


async def test_unread_filter_and_pages(client: Client, city: City) -> None:
    await _three_for_the_requester(client, city)

    first = await inbox(client, city, "requester", limit=2)
    assert [n["event"]["type"] for n in first["items"]] == ["accepted", "info_requested"]
    assert first["unread_count"] == 3
    assert first["next_cursor"]
    second = await inbox(client, city, "requester", limit=2, cursor=first["next_cursor"])
    assert [n["event"]["type"] for n in second["items"]] == ["triaged"]
    assert second["next_cursor"] is None

    info_id = first["items"][1]["id"]
    read = await client.post(f"{INBOX}/{info_id}/read", headers=city.auth("requester"))
    assert read.status_code == 200, read.text
    assert read.json()["read_at"] is not None
    assert read.json()["kind"] == "info_requested"

    unread = await inbox(client, city, "requester", unread="true")
    assert [n["event"]["type"] for n in unread["items"]] == ["accepted", "triaged"]
    assert unread["unread_count"] == 2
    everything = await inbox(client, city, "requester")
    assert len(everything["items"]) == 3
    assert everything["unread_count"] == 2

    # Reading it again is harmless and keeps the first read time.
    again = await client.post(f"{INBOX}/{info_id}/read", headers=city.auth("requester"))
    assert again.json()["read_at"] == read.json()["read_at"]

    bad = await client.get(INBOX, params={"cursor": "not-a-cursor"}, headers=city.auth("requester"))
    assert_problem_json(bad, 422)
    assert_problem_json(
        await client.get(INBOX, params={"limit": 0}, headers=city.auth("requester")), 422
    )
    assert_problem_json(await client.get(INBOX), 401)


async def test_mark_several_then_all_read(client: Client, city: City) -> None:
    await _three_for_the_requester(client, city)
    accepted, info, triaged = (await inbox(client, city, "requester"))["items"]
    auth = city.auth("requester")

    some = await client.post(
        f"{INBOX}/read", json={"ids": [accepted["id"], info["id"]]}, headers=auth
    )
    assert some.status_code == 200, some.text
    assert some.json() == {"marked": 2, "unread_count": 1}
    (left,) = (await inbox(client, city, "requester", unread="true"))["items"]
    assert left["id"] == triaged["id"]

    everything = await client.post(f"{INBOX}/read", json={"all": True}, headers=auth)
    assert everything.json() == {"marked": 1, "unread_count": 0}
    assert all(n["read_at"] for n in (await inbox(client, city, "requester"))["items"])
    repeat = await client.post(f"{INBOX}/read", json={"all": True}, headers=auth)
    assert repeat.json() == {"marked": 0, "unread_count": 0}


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": []}, {"all": False}, {"ids": [1], "all": True}, {"ids": [0]}, {"every": True}],
)
async def test_mark_read_needs_ids_or_all(client: Client, city: City, body: dict[str, Any]) -> None:
    response = await client.post(f"{INBOX}/read", json=body, headers=city.auth("requester"))
    assert_problem_json(response, 422)


async def test_someone_elses_notification_is_404_and_nothing_is_marked(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await draft(client, city)
    await watch(db, city, problem["id"], "health")
    assert (await submit(client, city, problem)).status_code == 200
    theirs = (await inbox(client, city, "health"))["items"][0]["id"]
    problem = await submitted(client, city, who="requester2")
    await watch(db, city, problem["id"], "requester")
    assert (await act(client, city, problem, "triage")).status_code == 200
    mine = (await inbox(client, city, "requester"))["items"][0]["id"]
    auth = city.auth("requester")

    assert_problem_json(await client.post(f"{INBOX}/{theirs}/read", headers=auth), 404)
    assert_problem_json(await client.post(f"{INBOX}/999999/read", headers=auth), 404)
    both = await client.post(f"{INBOX}/read", json={"ids": [mine, theirs]}, headers=auth)
    assert_problem_json(both, 404)
    assert (await inbox(client, city, "requester"))["unread_count"] == 1  # mine is still unread
    assert (await inbox(client, city, "health"))["unread_count"] == 1  # theirs too


# -- visibility, applied when reading -------------------------------------------------------


async def test_a_problem_restricted_later_leaves_the_other_departments_inbox(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await draft(client, city)
    await watch(db, city, problem["id"], "health")  # DPH follows DOT's problem
    response = await submit(client, city, problem)
    problem.update(response.json(), etag=response.headers["etag"])
    assert (await act(client, city, problem, "triage")).status_code == 200
    body = {"questions": "Which wards?"}
    assert (await act(client, city, problem, "request-info", body=body)).status_code == 200
    before = await inbox(client, city, "health")
    assert len(before["items"]) == 3 and before["unread_count"] == 3
    old_id = before["items"][0]["id"]

    restrict = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json={"restricted": True},
        headers={**city.auth("requester"), "If-Match": problem["etag"]},
    )
    assert restrict.status_code == 200, restrict.text

    hidden = await inbox(client, city, "health")
    assert hidden == {"items": [], "next_cursor": None, "unread_count": 0}
    auth = city.auth("health")
    assert_problem_json(await client.post(f"{INBOX}/{old_id}/read", headers=auth), 404)
    assert_problem_json(
        await client.post(f"{INBOX}/read", json={"ids": [old_id]}, headers=auth), 404
    )
    marked = await client.post(f"{INBOX}/read", json={"all": True}, headers=auth)
    assert marked.json() == {"marked": 0, "unread_count": 0}
    assert len((await inbox(client, city, "requester"))["items"]) == 2  # the owner still sees

    # DPH becomes a collaborating department: its watcher sees the problem, and the inbox, again.
    await db.execute(
        "INSERT INTO problem_collaborators (id, problem_id, department_id) VALUES ($1, $2, $3)",
        uuid.uuid4(),
        uuid.UUID(problem["id"]),
        city.departments["DPH"],
    )
    assert (await inbox(client, city, "health"))["unread_count"] == 3
    # Then Inès moves to Parks: she has left the collaborating department and sees nothing.
    await db.execute(
        "UPDATE people SET department_id = $1 WHERE id = $2",
        city.departments["PRK"],
        city.people["health"],
    )
    assert await inbox(client, city, "health") == {
        "items": [],
        "next_cursor": None,
        "unread_count": 0,
    }


async def test_internal_events_never_reach_a_requester(
    client: Client,
    city: City,
    db: asyncpg.Connection,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    problem = await submitted(client, city)
    assert (await act(client, city, problem, "triage")).status_code == 200
    await watch(db, city, problem["id"], "team_member")
    await record(
        sessions,
        city,
        problem["id"],
        actor_id=city.people["admin"],
        type="comment_added",
        reason="Internal: the vendor contract ends in March.",
        internal=True,
        mentions=[city.people["requester"], city.people["team_member"], city.people["triager"]],
    )

    requester = await inbox(client, city, "requester")
    assert [n["event"]["type"] for n in requester["items"]] == ["triaged"]
    assert "vendor" not in str(requester)
    (note,) = (await inbox(client, city, "team_member"))["items"]
    assert note["kind"] == "mention"
    assert note["event"]["reason"] == "Internal: the vendor contract ends in March."
    assert (await inbox(client, city, "triager"))["items"][0]["kind"] == "mention"

    # Dev leaves DTI for a department role: the internal notification disappears from the inbox.
    await db.execute(
        "UPDATE people SET roles = '{requester}' WHERE id = $1", city.people["team_member"]
    )
    left = await inbox(client, city, "team_member")
    assert left == {"items": [], "next_cursor": None, "unread_count": 0}
    assert_problem_json(
        await client.post(f"{INBOX}/{note['id']}/read", headers=city.auth("team_member")), 404
    )


async def test_watchers_hear_of_status_updates_and_the_author_does_not(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "delivery")
    before = {who: (await inbox(client, city, who))["unread_count"] for who in WATCHING}
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/updates",
        json={"status": "at_risk", "summary": "The vendor slipped a month."},
        headers=city.auth("team_member"),
    )
    assert response.status_code == 201, response.text

    # The requester follows what she submitted and the triager what she triaged; both hear.
    for who in WATCHING:
        body = await inbox(client, city, who)
        assert body["unread_count"] == before[who] + 1, who
        newest = body["items"][0]
        assert newest["kind"] == "status_update"
        assert newest["summary"] == (
            f"Dev One posted a status update on {problem['reference']}: at risk"
        )
        assert newest["event"]["type"] == "update_posted"
    # The author follows the problem too (the team does), but hears nothing of her own update.
    assert all(
        item["kind"] != "status_update"
        for item in (await inbox(client, city, "team_member"))["items"]
    )
