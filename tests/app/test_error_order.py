"""401 before 422: a token naming nobody active learns nothing about its request's input.

Every API GET route that takes query parameters is sent invalid ones; each request an
active person gets a 422 for is a 401 for a deactivated person and for an unregistered one,
whether the route checks its caller in a dependency or in its one statement.
"""

from __future__ import annotations

import re

from tests.builders import City
from tests.helpers import Client, assert_problem_json, submitted

NOTHING = "6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11"
INVALID = [
    "limit=0",
    "limit=500",
    "cursor=garbage",
    "min_age_days=-1",
    "order=nope",
    "status=nope",
    "type=nope",
    "as_of=nope",
    "from=nope",
    "unread=nope",
    "restricted=nope",
    "q=" + "x" * 1000,
]


async def test_a_refused_caller_gets_401_before_422(client: Client, city: City) -> None:
    problem = await submitted(client, city, title="A problem whose lists are read")
    document = (await client.get("/schema/openapi.json")).json()
    routes = [
        re.sub(
            r"\{(\w+)\}", lambda name: problem["id"] if name[1] == "problem_id" else NOTHING, path
        )
        for path, operations in document["paths"].items()
        if any(p["in"] == "query" for p in operations.get("get", {}).get("parameters", []))
    ]
    assert len(routes) > 20, routes
    active = city.auth("admin")
    refused = {
        "deactivated": city.auth("inactive"),
        "unregistered": {"Authorization": f"Bearer {city.keys.issue('nobody@city.example')}"},
    }
    tried = 0
    for path in routes:
        invalid = []
        for query in INVALID:
            if (await client.get(f"{path}?{query}", headers=active)).status_code == 422:
                invalid.append(query)
        assert invalid, f"{path}: no query tried is a 422"
        for query in invalid:
            for who, headers in refused.items():
                response = await client.get(f"{path}?{query}", headers=headers)
                assert response.status_code == 401, f"{who} {path}?{query}: {response.text}"
                assert_problem_json(response, 401)
                assert response.headers["www-authenticate"].startswith("Bearer")
                tried += 1
    assert tried > 40


async def test_the_reviewers_requests(client: Client, city: City) -> None:
    problem = await submitted(client, city, title="A problem whose history is read")
    for url in [
        "/api/v1/triage/queue?min_age_days=-1",
        "/api/v1/events?limit=0",
        f"/api/v1/problems/{problem['id']}/comments?limit=0",
        "/api/v1/problems?cursor=garbage",
        f"/api/v1/problems/{problem['id']}/history?cursor=garbage",
    ]:
        assert_problem_json(await client.get(url, headers=city.auth("inactive")), 401)
        assert (await client.get(url, headers=city.auth("admin"))).status_code == 422, url
