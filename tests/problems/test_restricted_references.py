"""Restricted stays restricted: where one problem names another, and who then sees what.

A link, a duplicate's primary and a primary's duplicate name a second problem in the
history of the first, in the event feed and in a duplicate's ``primary_problem_id``. The
reference table runs each of those paths for every reader, on an open and on a restricted
second problem: whoever may not see it (``parks``) finds nothing of it, not even its id,
exactly as ``GET /links`` leaves it out. Marking a duplicate moves its watchers and
collaborators onto the primary, but never anyone who could not already see a restricted
primary: they stay where they were, and the response and history say who and why.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from tests.builders import City
from tests.helpers import Client, act, events, submitted

ACTORS = ("requester", "health", "parks", "triager", "leader", "admin")
# requester: DOT, owns the second problems; health: DPH, collaborates on them; parks: PRK,
# owns the open problems that name them; then DTI's triager and admin, and leadership.
HIDDEN_WHEN_RESTRICTED = frozenset({"parks"})

# Each row reads an open problem (L links to X; D is a duplicate of X; Z is a duplicate of
# P) as each actor. "id": the response names the second problem (X or Z) by its id;
# "-": nothing of it, neither its id nor its reference. This is the restricted variant; on
# the open one everybody sees "id". DPH collaborated on Z until Z became P's duplicate: its
# collaboration moved to P with it, so DPH no longer sees Z.
# fmt: off
REFERENCE_TABLE: dict[str, str] = {
    #                                             req dph prk tri ldr adm
    "/problems/{L}/history  a link":              "id  id  -  id  id  id",
    "/problems/{L}/links  the same link":         "id  id  -  id  id  id",
    "/events?problem={L}  the link in the feed":  "id  id  -  id  id  id",
    "/problems/{D}  primary_problem_id":          "id  id  -  id  id  id",
    "/problems/{D}/history  marked_duplicate":    "id  id  -  id  id  id",
    "/events?problem={D}  marked_duplicate":      "id  id  -  id  id  id",
    "/problems/{P}/history  duplicate_linked":    "id  -   -  id  id  id",
    "/events?problem={P}  duplicate_linked":      "id  -   -  id  id  id",
}
# fmt: on


def cells(row: str) -> dict[str, str]:
    values = row.split()
    assert len(values) == len(ACTORS), row
    return dict(zip(ACTORS, values, strict=True))


async def collaborate(client: Client, city: City, problem: dict[str, Any], code: str) -> None:
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/collaborators",
        json={"department": code},
        headers=city.auth("requester"),
    )
    assert response.status_code == 201, response.text


async def mark_duplicate(
    client: Client, city: City, duplicate: dict[str, Any], primary: dict[str, Any]
) -> Any:
    response = await act(
        client,
        city,
        duplicate,
        "mark-duplicate",
        body={"primary_problem_id": primary["id"], "reason": "The same problem, twice."},
    )
    assert response.status_code == 200, response.text
    return response


@dataclass
class World:
    """DOT's X and Z (restricted or not, DPH collaborating), named by PRK's open L, D, P."""

    problems: dict[str, dict[str, Any]]

    def url(self, row: str) -> str:
        path = row.split("  ")[0]
        for name, problem in self.problems.items():
            path = path.replace(f"{{{name}}}", problem["id"])
        return "/api/v1" + path


async def build_world(client: Client, city: City, *, restricted: bool) -> World:
    second = {}
    for name in ("X", "Z"):
        problem = await submitted(
            client, city, title=f"Case files {name} are kept on paper", restricted=restricted
        )
        await collaborate(client, city, problem, "DPH")
        second[name] = problem
    first = {
        name: await submitted(client, city, "parks", title=f"Park permits {name} by fax")
        for name in ("L", "D", "P")
    }
    linked = await client.post(
        f"/api/v1/problems/{first['L']['id']}/links",
        json={"to_problem_id": second["X"]["id"], "type": "related"},
        headers=city.auth("triager"),
    )
    assert linked.status_code == 201, linked.text
    for duplicate, primary in ((first["D"], second["X"]), (second["Z"], first["P"])):
        assert (await act(client, city, duplicate, "triage")).status_code == 200
        await mark_duplicate(client, city, duplicate, primary)
    return World(problems={**second, **first})


@pytest.mark.parametrize("restricted", [False, True], ids=["open", "restricted"])
async def test_reference_table(client: Client, city: City, restricted: bool) -> None:
    """Every row, for every actor, all mismatches reported at once: a reader who may not see
    the second problem finds neither its id nor its reference; the others find its id."""
    world = await build_world(client, city, restricted=restricted)
    label = "restricted" if restricted else "open"
    x, z = world.problems["X"], world.problems["Z"]
    secrets = [x["id"], x["reference"], z["id"], z["reference"]]
    wrong: list[str] = []
    for row, expected_by in REFERENCE_TABLE.items():
        for actor, expected in cells(expected_by).items():
            if not restricted:
                expected = "id"
            case = f"{label}: {row} as {actor}"
            response = await client.get(world.url(row), headers=city.auth(actor))
            if response.status_code != 200:
                wrong.append(f"{case}: {response.status_code} {response.text[:200]}")
                continue
            named = [secret for secret in secrets if secret in response.text]
            if expected == "-" and named:
                wrong.append(f"{case}: names {named}\n    {response.text[:400]}")
            if expected == "id" and x["id"] not in response.text and z["id"] not in response.text:
                wrong.append(f"{case}: names neither X nor Z\n    {response.text[:400]}")
    assert not wrong, f"{len(wrong)} cases wrong:\n" + "\n".join(wrong)


@pytest.mark.parametrize("restricted", [False, True], ids=["open", "restricted"])
async def test_what_stands_instead_of_a_hidden_problem(
    client: Client, city: City, restricted: bool
) -> None:
    """The event stays, with the rest of its changes; only the hidden problem's id and
    reference are null, and a duplicate's primary_problem_id is null."""
    world = await build_world(client, city, restricted=restricted)
    x, z = world.problems["X"], world.problems["Z"]
    hidden = restricted
    by_type = {
        event["type"]: event["changes"]
        for name in ("L", "D", "P")
        for event in await events(client, city, world.problems[name]["id"], who="parks")
    }
    shown_x = None if hidden else x["id"]
    assert by_type["linked"] == {
        "link": {
            "type": "related",
            "to": shown_x,
            "reference": None if hidden else x["reference"],
        }
    }
    assert by_type["marked_duplicate"]["primary"] == {
        "id": shown_x,
        "reference": None if hidden else x["reference"],
    }
    assert by_type["duplicate_linked"]["duplicate"] == {
        "id": None if hidden else z["id"],
        "reference": None if hidden else z["reference"],
    }
    assert by_type["duplicate_linked"]["watchers_moved"] == 2  # the requester and the triager
    duplicate = await client.get(
        f"/api/v1/problems/{world.problems['D']['id']}", headers=city.auth("parks")
    )
    assert duplicate.json()["status"] == "duplicate"
    assert duplicate.json()["primary_problem_id"] == shown_x
    # Those who may see it are told exactly as before.
    for who in ("health", "triager"):
        theirs = await events(client, city, world.problems["D"]["id"], who=who)
        assert theirs[-1]["changes"]["primary"] == {"id": x["id"], "reference": x["reference"]}


async def test_the_inbox_of_someone_who_cannot_see_it_does_not_name_it(
    client: Client, city: City
) -> None:
    """Parks hears that its problem became a duplicate, and of what, no more than it may see."""
    world = await build_world(client, city, restricted=True)
    x = world.problems["X"]
    inbox = await client.get("/api/v1/me/notifications?limit=100", headers=city.auth("parks"))
    assert inbox.status_code == 200, inbox.text
    about_d = [
        item for item in inbox.json()["items"] if item["problem"]["id"] == world.problems["D"]["id"]
    ]
    assert [item["event"]["to_status"] for item in about_d] == ["duplicate", "triage"]
    assert x["id"] not in inbox.text and x["reference"] not in inbox.text
    history = await client.get(
        f"/api/v1/problems/{world.problems['D']['id']}/history", headers=city.auth("parks")
    )
    assert x["id"] not in history.text and x["reference"] not in history.text


# -- marking a duplicate never widens who sees the primary ---------------------------------


async def watchers(client: Client, city: City, problem_id: str) -> set[str]:
    response = await client.get(
        f"/api/v1/problems/{problem_id}/watchers", headers=city.auth("admin")
    )
    assert response.status_code == 200, response.text
    return {watcher["id"] for watcher in response.json()}


async def collaborating(client: Client, city: City, problem_id: str) -> set[str]:
    response = await client.get(
        f"/api/v1/problems/{problem_id}/collaborators", headers=city.auth("admin")
    )
    assert response.status_code == 200, response.text
    return {row["department"]["code"] for row in response.json() if row["department"]}


async def sees(client: Client, city: City, problem_id: str, who: str) -> int:
    response = await client.get(f"/api/v1/problems/{problem_id}", headers=city.auth(who))
    return response.status_code


@pytest.mark.parametrize("restricted", [False, True], ids=["open", "restricted"])
async def test_marking_a_duplicate_never_widens_who_sees_the_primary(
    client: Client, city: City, db: asyncpg.Connection, restricted: bool
) -> None:
    """The duplicate (PRK's, open) has watchers and collaborating departments; the primary is
    DOT's. On a restricted primary, only those who could already see it move: DOT (it owns
    the primary) and the triager. DPH and the people of PRK stay on the duplicate, and the
    response and the duplicate's history name them and say why."""
    primary = await submitted(
        client, city, title="Case files are kept on paper", restricted=restricted
    )
    duplicate = await submitted(client, city, "parks", title="Case files are on paper")
    for code in ("DPH", "DOT"):
        await db.execute(
            "INSERT INTO problem_collaborators (id, problem_id, department_id) VALUES ($1, $2, $3)",
            uuid.uuid4(),
            uuid.UUID(duplicate["id"]),
            city.departments[code],
        )
    followed = await client.post(
        f"/api/v1/problems/{duplicate['id']}/watchers", headers=city.auth("health")
    )
    assert followed.status_code == 201, followed.text
    assert (await act(client, city, duplicate, "triage")).status_code == 200
    before = {who: await sees(client, city, primary["id"], who) for who in ("health", "parks")}
    assert before == (
        {"health": 200, "parks": 200} if not restricted else {"health": 404, "parks": 404}
    )

    response = await mark_duplicate(client, city, duplicate, primary)

    after = {who: await sees(client, city, primary["id"], who) for who in ("health", "parks")}
    assert after == before  # 404 before, 404 after: nobody new can read the primary
    people = {name: str(city.people[name]) for name in ("parks", "health", "triager", "requester")}
    body = response.json()
    if not restricted:  # everyone moves, as always
        assert await watchers(client, city, primary["id"]) == set(people.values())
        assert await collaborating(client, city, primary["id"]) == {"DPH", "DOT"}
        assert await watchers(client, city, duplicate["id"]) == set()
        assert await collaborating(client, city, duplicate["id"]) == set()
        assert (body["watchers_moved"], body["collaborators_moved"]) == (3, 2)
        assert body["not_moved"] == []
        return
    # The triager moves; DOT's requester already followed the primary they submitted.
    assert await watchers(client, city, primary["id"]) == {people["requester"], people["triager"]}
    assert await collaborating(client, city, primary["id"]) == {"DOT"}
    # Those left off still follow and collaborate on the duplicate, which they can see.
    assert await watchers(client, city, duplicate["id"]) == {people["parks"], people["health"]}
    assert await collaborating(client, city, duplicate["id"]) == {"DPH"}
    assert (body["watchers_moved"], body["collaborators_moved"]) == (1, 1)
    not_moved = sorted(
        body["not_moved"],
        key=lambda row: (row["kind"], (row["person"] or row["department"])["id"]),
    )
    expected = sorted(
        [
            {
                "kind": "watcher",
                "person": {"id": people["parks"], "name": "Tom Reyes"},
                "department": None,
            },
            {
                "kind": "watcher",
                "person": {"id": people["health"], "name": "Inès Moreau"},
                "department": None,
            },
            {
                "kind": "department",
                "person": None,
                "department": {
                    "id": str(city.departments["DPH"]),
                    "code": "DPH",
                    "name": "Department of Public Health",
                },
            },
        ],
        key=lambda row: (row["kind"], (row["person"] or row["department"])["id"]),
    )
    assert [{k: v for k, v in row.items() if k != "reason"} for row in not_moved] == expected
    assert all("restricted" in row["reason"] for row in not_moved)
    history = await events(client, city, duplicate["id"])
    changes = history[-1]["changes"]
    assert history[-1]["type"] == "marked_duplicate"
    assert (changes["watchers_moved"], changes["collaborators_moved"]) == (1, 1)
    assert (
        sorted(
            changes["not_moved"],
            key=lambda row: (row["kind"], (row["person"] or row["department"])["id"]),
        )
        == not_moved
    )
    # The reason names no problem: parks reads it on its own duplicate.
    for row in not_moved:
        assert primary["reference"] not in row["reason"] and primary["id"] not in row["reason"]
