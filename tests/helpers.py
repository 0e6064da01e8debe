"""Small helpers the API tests share: create, submit and read problems over HTTP."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import COMPLETE_PROBLEM, City

Client = AsyncTestClient[Litestar]


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
