"""The OpenAPI document says what the server does: the headers it sends, the bodies of the
portfolio views, the limits it enforces, its enums, and people a reader can sign in as."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any, get_args

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from intake.app import SCHEMA_ENUMS, create_app
from intake.config import Settings
from intake.demo.data import PEOPLE
from intake.vocabulary.states import Status
from tests.builders import City
from tests.conftest import Steady
from tests.helpers import Client, draft

# The headers whose presence a client acts on; each one a response carries must be declared.
WATCHED = {
    "etag",
    "location",
    "idempotent-replayed",
    "age",
    "cache-control",
    "vary",
    "content-disposition",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "ratelimit-policy",
    "www-authenticate",
}
VIEWS = ("summary", "flow", "sla", "teams", "outcomes", "at-risk", "distribution")


@pytest.fixture
async def spec(client: Client) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def declared(spec: dict[str, Any], method: str, path: str, status: int) -> set[str]:
    """The headers the document declares for this response, lower-cased."""
    response = spec["paths"][path][method]["responses"][str(status)]
    return {name.lower() for name in response.get("headers", {})}


def assert_declared(spec: dict[str, Any], method: str, path: str, response: Any) -> set[str]:
    """Every watched header the response carries is declared; returns the ones it carried."""
    sent = WATCHED & {name.lower() for name in response.headers}
    missing = sent - declared(spec, method, path, response.status_code)
    assert not missing, f"{method.upper()} {path} {response.status_code} sends {missing}"
    return sent


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from nodes(value)


async def test_the_headers_responses_carry_are_declared(
    client: Client, city: City, spec: dict[str, Any], steady: Steady
) -> None:
    key = {"Idempotency-Key": "draft-1"}
    created = await client.post(
        "/api/v1/problems", json={"title": "Potholes"}, headers={**city.auth("requester"), **key}
    )
    assert assert_declared(spec, "post", "/api/v1/problems", created) == {"etag", "location"}
    replayed = await client.post(
        "/api/v1/problems", json={"title": "Potholes"}, headers={**city.auth("requester"), **key}
    )
    sent = assert_declared(spec, "post", "/api/v1/problems", replayed)
    assert "idempotent-replayed" in sent

    read = await client.get(created.headers["location"], headers=city.auth("requester"))
    assert assert_declared(spec, "get", "/api/v1/problems/{problem_id}", read) == {"etag"}

    summary_path = "/api/v1/portfolio/summary"
    await steady()
    summary = await client.get(summary_path, headers=city.auth("leader"))
    assert {"etag", "cache-control", "vary"} <= assert_declared(spec, "get", summary_path, summary)
    unchanged = await client.get(
        summary_path, headers={**city.auth("leader"), "If-None-Match": summary.headers["etag"]}
    )
    assert unchanged.status_code == 304
    assert "etag" in assert_declared(spec, "get", summary_path, unchanged)

    export_path = "/api/v1/portfolio/export.csv"
    export = await client.get(export_path, headers=city.auth("leader"))
    assert "content-disposition" in assert_declared(spec, "get", export_path, export)

    refused = await client.get("/api/v1/me")
    assert assert_declared(spec, "get", "/api/v1/me", refused) == {"www-authenticate"}


@pytest.fixture
async def limited(
    settings: Settings, database_url: str, db: asyncpg.Connection
) -> AsyncIterator[Client]:
    app: Litestar = create_app(replace(settings, rate_limit_per_minute=1), database_url)
    async with AsyncTestClient(app=app) as client:
        yield client


async def test_every_api_operation_declares_the_429_the_limit_answers(
    limited: Client, city: City, spec: dict[str, Any]
) -> None:
    first = await limited.get("/api/v1/me", headers=city.auth("requester"))
    assert "ratelimit-remaining" in assert_declared(spec, "get", "/api/v1/me", first)
    refused = await limited.get("/api/v1/me", headers=city.auth("requester"))
    assert refused.status_code == 429
    assert {"retry-after", "ratelimit-reset"} <= assert_declared(spec, "get", "/api/v1/me", refused)

    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "retry-after" in declared(spec, method, path, 503), f"{method} {path}"
            if path.startswith("/api/v1"):
                assert {"retry-after", "ratelimit-limit"} <= declared(spec, method, path, 429)
                problem = responses["429"]["content"]["application/problem+json"]
                assert problem["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}


async def test_portfolio_views_document_the_bodies_they_return(
    client: Client, city: City, spec: dict[str, Any]
) -> None:
    await draft(client, city)
    for view in VIEWS:
        path = f"/api/v1/portfolio/{view}"
        responses = spec["paths"][path]["get"]["responses"]
        assert "304" in responses, view
        schema = resolve(spec, responses["200"]["content"]["application/json"]["schema"])
        body = (await client.get(path, headers=city.auth("leader"))).json()
        assert set(body) == set(schema["properties"]), view
        assert set(schema["required"]) == set(body), view
        filters = resolve(spec, schema["properties"]["filters"])
        assert set(body["filters"]) == set(filters["properties"]), view


async def test_if_match_is_required_wherever_its_absence_is_a_428(
    client: Client, city: City, spec: dict[str, Any]
) -> None:
    requiring = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if "428" not in operation["responses"]:
                continue
            requiring += 1
            (if_match,) = [p for p in operation["parameters"] if p["name"] == "If-Match"]
            assert if_match["required"] is True, f"{method} {path}"
    assert requiring >= 20
    problem = await draft(client, city)
    edit = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json={"title": "Potholes on Main"},
        headers=city.auth("requester"),
    )
    assert edit.status_code == 428


async def test_the_limits_the_server_enforces_are_in_the_schema(
    client: Client, city: City, spec: dict[str, Any]
) -> None:
    """Values just inside a documented limit are accepted, just outside it refused (422)."""
    create = spec["paths"]["/api/v1/problems"]["post"]
    (key,) = [p["schema"] for p in create["parameters"] if p["name"] == "Idempotency-Key"]
    for value, accepted in [
        ("k" * 255, True),
        ("K\xe9y 1", True),
        ("k" * 256, False),
        ("k\x7fk", False),  # not printable
    ]:
        assert bool(re.search(key["pattern"], value)) is accepted, value
        response = await client.post(
            "/api/v1/problems",
            json={"title": "Potholes"},
            headers={**city.auth("requester"), "Idempotency-Key": value.encode("latin-1")},
        )
        assert response.status_code == (201 if accepted else 422), value

    problem = resolve(spec, {"$ref": "#/components/schemas/ProblemCreate"})
    people = problem["properties"]["affected_people_per_year"]["oneOf"][0]
    assert (people["minimum"], people["maximum"]) == (0, 1_000_000_000)
    deadline = problem["properties"]["urgency_deadline"]["oneOf"][0]
    for day, accepted in [("1900-01-01", True), ("2999-12-31", True), ("1899-12-31", False)]:
        assert bool(re.search(deadline["pattern"], day)) is accepted, day
        response = await client.post(
            "/api/v1/problems",
            json={"title": "Potholes", "urgency_deadline": day},
            headers=city.auth("requester"),
        )
        assert response.status_code == (201 if accepted else 422), day

    summary = spec["paths"]["/api/v1/portfolio/summary"]["get"]
    (since,) = [p["schema"] for p in summary["parameters"] if p["name"] == "from"]
    for day, accepted in [("1970-01-01", True), ("9998-12-31", True), ("1969-12-31", False)]:
        assert bool(re.search(since["pattern"], day)) is accepted, day
        response = await client.get(
            "/api/v1/portfolio/summary", params={"from": day}, headers=city.auth("leader")
        )
        assert response.status_code == (200 if accepted else 422), day

    weights = resolve(spec, {"$ref": "#/components/schemas/Weights"})["properties"]["reach"]
    assert (weights["minimum"], weights["maximum"]) == (0, 100)

    read = spec["paths"]["/api/v1/me/notifications/{notification_id}/read"]["post"]
    (notification,) = read["parameters"]
    assert notification["schema"]["maximum"] == 2**63 - 1  # an int, not 2**63 as a float
    for node in nodes(spec["paths"]):
        if node.get("type") == "integer":
            assert isinstance(node["maximum"], int), node
            assert node["maximum"] <= 2**63 - 1, node


async def test_each_enum_is_one_named_component(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["ProblemStatus"]["enum"] == list(get_args(Status))
    named = {frozenset(values) for values in SCHEMA_ENUMS.values()}
    for node in nodes(spec):
        if isinstance(node.get("enum"), list) and node is not schemas.get(node.get("title")):
            assert frozenset(v for v in node["enum"] if v is not None) not in named, node
    # Responses keep their enums, by reference.
    status = {"$ref": "#/components/schemas/ProblemStatus"}
    assert schemas["Problem"]["properties"]["status"] == status
    (listed,) = [
        p for p in spec["paths"]["/api/v1/problems"]["get"]["parameters"] if p["name"] == "status"
    ]
    assert listed["schema"]["oneOf"][0]["items"] == status
    # Each reference (to these, and to components/headers) names something the document has.
    for node in nodes(spec):
        if isinstance(reference := node.get("$ref"), str):
            target: Any = spec
            for part in reference.removeprefix("#/").split("/"):
                target = target[part]
            assert isinstance(target, dict), reference


async def test_examples_name_people_of_the_demo_city(spec: dict[str, Any]) -> None:
    demo = {person.email for person in PEOPLE}
    text = str(spec)
    addresses = set(re.findall(r"[\w.+-]+@[\w-]+\.example\b", text))
    assert addresses, "the examples name someone"
    assert addresses <= demo, addresses - demo
