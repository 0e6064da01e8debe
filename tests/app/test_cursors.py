"""Cursors a client made up: every list answers them with a 422 on ``cursor``, never a 500.

Each crafted cursor has the shape of some list's own (a score and an id, a time and an id,
an event id, ...) with a value past what its column holds, or the wrong shape altogether;
every one is sent to every list, so each list meets both its own shape and the others'. A
number past int4 is a value an int8 column holds: there, a page.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from tests.builders import City
from tests.helpers import Client, assert_problem_json, in_phase

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)

ID = "6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11"
NOW = "2026-01-01T00:00:00Z"
EARLY = "0001-01-01T00:00:00+05:00"  # before year 1 in UTC
LATE = "9999-12-31T23:59:59-05:00"  # after year 9999 in UTC
HUGE = [2**63, 2**64 - 1, -(2**63) - 1, 10**30]  # past int8
INT4 = 3_000_000_000  # past int4: a page (an empty one) where the column is an int8

CRAFTED: list[Any] = [
    # the triage queue: (due, score, id), ("score", score, id), ("oldest", since, id)
    *[[NOW, n, ID] for n in HUGE],
    *[["score", n, ID] for n in HUGE],
    [NOW, INT4, ID],
    ["score", INT4, ID],
    [EARLY, 3, ID],
    [LATE, 3, ID],
    ["oldest", EARLY, ID],
    ["oldest", LATE, ID],
    # records under a problem and most lists: (created_at, id), (target_date, created_at, id)
    [EARLY, ID],
    [LATE, ID],
    ["2026-01-01", EARLY, ID],
    # findings: (group, position, created_at, id)
    *[[n, 0, NOW, ID] for n in HUGE],
    [INT4, 0, NOW, ID],
    [0, INT4, NOW, ID],
    [0, 0, EARLY, ID],
    # history and the inbox (an event id), the feed (a position)
    *[[n] for n in HUGE],
    *[[n, 1] for n in HUGE],
    # a search's rank, a person's e-mail
    [1e308, ID],
    ["nul\u0000@city.example"],
    # the wrong shape
    [],
    [ID, NOW],
    [NOW, 3, ID, ID, 1],
    [None, None, None],
    [True, "x"],
    [{"a": 1}],
    "a string",
    12,
    None,
]


def as_cursor(values: Any) -> str:
    raw = json.dumps(values, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def test_the_repro_cursors(client: Client, city: City) -> None:
    """The reviewer's two: a score past int4 in the queue, a time with no UTC in comments."""
    problem = await in_phase(client, city, "delivery")
    queue = f"/api/v1/triage/queue?cursor={as_cursor([NOW, 3_000_000_000, ID])}"
    problem_json = assert_problem_json(await client.get(queue, headers=city.auth("admin")), 422)
    assert [error["field"] for error in problem_json["errors"]] == ["cursor"]
    comments = f"/api/v1/problems/{problem['id']}/comments?cursor={as_cursor([EARLY, ID])}"
    assert_problem_json(await client.get(comments, headers=city.auth("admin")), 422)


async def test_every_list_answers_a_crafted_cursor_with_422(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "delivery")
    headers = city.auth("admin")
    metric = await client.post(
        f"/api/v1/problems/{problem['id']}/metrics",
        json={
            "name": "Median days to a decision",
            "unit": "days",
            "direction": "decrease",
            "baseline": 31,
            "target": 7,
            "target_date": "2027-06-30",
        },
        headers=city.auth("triager"),
    )
    assert metric.status_code == 201, metric.text
    ids = {"problem_id": problem["id"], "metric_id": metric.json()["id"]}
    document = (await client.get("/schema/openapi.json")).json()
    lists = [
        re.sub(r"\{(\w+)\}", lambda name: ids.get(name[1], ID), path)
        for path, operations in document["paths"].items()
        if any(p["name"] == "cursor" for p in operations.get("get", {}).get("parameters", []))
    ]
    for expected in ("/triage/queue", "/comments", "/updates", "/milestones", "/measurements"):
        assert any(path.endswith(expected) for path in lists), expected
    assert len(lists) >= 15, lists
    for path in lists:
        queries = [""] + (["&order=score", "&order=oldest"] if "queue" in path else [])
        for values in CRAFTED:
            for query in queries:
                url = f"{path}?cursor={as_cursor(values)}{query}"
                response = await client.get(url, headers=headers)
                where = f"{url} {values}: {response.text}"
                if response.status_code == 200 and INT4 in values:
                    continue  # an int8 column: a value it can hold, so a page
                if response.status_code == 404 and ID in path:
                    continue  # a webhook's deliveries: the id names nothing, so 404 first
                assert response.status_code == 422, where
                problem_json = assert_problem_json(response, 422)
                assert [error["field"] for error in problem_json["errors"]] == ["cursor"], where
