"""A small, deterministic fuzz of every API route: bodies, queries and headers no client
should send get a problem+json 4xx, never a 500, and unusable ones leave no row behind.

The values are the ones that found bugs (or could): unreadable JSON, NUL characters,
numbers and days out of range, garbage cursors and preconditions. Each test sends every
one of them to every route, so a new route is covered the day it is added.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import pytest
from litestar import Litestar

from tests.builders import City
from tests.helpers import Client, api_routes, assert_problem_json, submitted

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)

BODIES = [
    b"{not json",
    b'{"title": "Valid \xff\xfe title"}',  # not UTF-8
    b"[" * 5000 + b"]" * 5000,  # deeper than the recursion limit
    b'{"title": "Valid \\u0000 title", "name": "\\u0000", "body": "\\u0000"}',
    b'{"email": "a\\u0000@city.example", "name": "Nul", "department": "DOT"}',
    b'{"triager_email": "a\\u0000@city.example", "members": [{"email": "\\u0000@b.c"}]}',
    b'{"title": "Valid title", "limit": 99999999999999999999999}',
    b'{"day": "0001-01-01", "target_date": "9999-12-31"}',
    b'[{"day": "0001-01-01", "name": "Year one"}]',
    b"null",
]

QUERIES = [
    "limit=0&limit=-1",
    "limit=99999999999999999999999",
    "cursor=%ff%fe%00",
    "cursor=WzkyMjMzNzIwMzY4NTQ3NzU4MDgsMV0",  # [9223372036854775808, 1]: past bigint
    # [a time, 3000000000, an id]: past int4
    "cursor=WyIyMDI2LTAxLTAxVDAwOjAwOjAwWiIsIDMwMDAwMDAwMDAsICI2ZjFjMmQxZS00YTdiLTRiNTktOWQ1NS0xYjJmMGY1YTllMTEiXQ",
    # ["0001-01-01T00:00:00+05:00", an id]: no time in UTC
    "cursor=WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzA1OjAwIiwgIjZmMWMyZDFlLTRhN2ItNGI1OS05ZDU1LTFiMmYwZjVhOWUxMSJd",
    "q=%00&department=%00&status=%00",
    "as_of=0001-01-01T00:00:00Z&from=0001-01-01&to=9999-12-31",
    "as_of=9999-12-31T23:59:59-01:00",  # past the end of the calendar in UTC
]

HEADERS = [
    {"If-Match": '"\'"x, W/'},
    {"Idempotency-Key": "k" * 300},
    {"Content-Type": "text/plain"},
    {"Cache-Control": "max-age=1e3, max-age, =", "If-None-Match": '"x, W/'},  # portfolio views
]


async def _row_counts(db: asyncpg.Connection) -> dict[str, int]:
    tables = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename <> 'alembic_version'"
    )
    return {
        row["tablename"]: await db.fetchval(f'SELECT count(*) FROM "{row["tablename"]}"')
        for row in tables
    }


@pytest.fixture
def routes(app: Litestar) -> list[tuple[str, str]]:
    """Every API route, its path parameters naming nothing."""
    return api_routes(app)


@pytest.fixture
async def problem_routes(app: Litestar, client: Client, city: City) -> list[tuple[str, str]]:
    """The routes of one real problem, so their bodies and queries are read rather than
    refused with a 404."""
    problem = await submitted(client, city, title="A problem the fuzz requests can reach")
    return [
        route for route in api_routes(app, problem_id=problem["id"]) if problem["id"] in route[1]
    ]


async def _send_everywhere(
    client: Client,
    routes: list[tuple[str, str]],
    city: City,
    caplog: pytest.LogCaptureFixture,
    requests: list[dict[str, Any]],
) -> None:
    """Send each request to every route as an admin: every error is problem+json, none a
    5xx, and no value gets past validation only to be refused by PostgreSQL."""
    read = 0  # the log records looked at so far: each request's are read once
    for sent in requests:
        request = dict(sent)
        query = request.pop("query", "")
        extra = request.pop("headers", {})
        headers = {**city.auth("admin"), **extra}
        for method, path in routes:
            url = f"{path}?{query}" if query else path
            response = await client.request(method, url, headers=headers, **request)
            where = f"{method} {url} {extra} {request}: {response.status_code} {response.text}"
            assert response.status_code < 500, where[:2000]
            if response.status_code >= 400:
                content_type = response.headers["content-type"]
                assert content_type.startswith("application/problem+json"), where[:2000]
            records = caplog.records
            slipped = [r for r in records[read:] if "Data exception" in r.getMessage()]
            assert not slipped, where[:2000]
            read = len(records)


JSON = {"Content-Type": "application/json"}
UNUSABLE = {
    "bodies": [{"content": body, "headers": JSON} for body in BODIES],
    "queries": [{"query": query} for query in QUERIES],
}


@pytest.mark.parametrize("kind", list(UNUSABLE))
async def test_unusable_requests(
    client: Client,
    routes: list[tuple[str, str]],
    city: City,
    db: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    before = await _row_counts(db)
    await _send_everywhere(client, routes, city, caplog, UNUSABLE[kind])
    assert await _row_counts(db) == before


@pytest.mark.parametrize("kind", list(UNUSABLE))
async def test_unusable_requests_about_a_real_problem(
    client: Client,
    problem_routes: list[tuple[str, str]],
    city: City,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    """Rows are not counted: a route whose body is optional (following a problem) acts on
    a request that sends none it can use, as it should."""
    await _send_everywhere(client, problem_routes, city, caplog, UNUSABLE[kind])


async def test_unusable_headers(
    client: Client,
    routes: list[tuple[str, str]],
    city: City,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With a valid draft as the body: creating routes may ignore these headers and create
    (a lenient Content-Type, an If-Match they don't use), so rows are not counted here."""
    draft = {"title": "Valid title"}
    requests = [{"headers": headers, "json": draft} for headers in HEADERS]
    await _send_everywhere(client, routes, city, caplog, requests)


NOTHING = "6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11"  # an id of the right shape that names nothing


def _loosened(value: Any, at: str = "") -> list[tuple[str, Any]]:
    """Each number or boolean in a valid body spelled as a lax client might (a string, or
    a boolean as 0/1): the field's path, and the body with that one value changed."""
    if isinstance(value, bool):
        return [(at, str(value).lower()), (at, int(value))]
    if isinstance(value, int | float):
        return [(at, str(value))]
    if isinstance(value, dict):
        return [
            (path, {**value, key: changed})
            for key, item in value.items()
            for path, changed in _loosened(item, f"{at}.{key}" if at else key)
        ]
    if isinstance(value, list):
        return [
            (path, [*value[:index], changed, *value[index + 1 :]])
            for index, item in enumerate(value)
            for path, changed in _loosened(item, f"{at}[{index}]")
        ]
    return []


async def test_bodies_are_read_strictly(client: Client, city: City, db: asyncpg.Connection) -> None:
    """Every route's documented example, with one number or boolean sent as a string (or a
    boolean as a number), is a 422 naming that field: nothing is coerced."""
    document = (await client.get("/schema/openapi.json")).json()
    headers = city.auth("admin")
    before = await _row_counts(db)
    tried = 0
    for template, operations in document["paths"].items():
        path = re.sub(r"\{\w+_id\}", NOTHING, template.replace("{year}", "2026"))
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            for example in schema.get("examples", []):
                for field, body in _loosened(example):
                    response = await client.request(method, path, json=body, headers=headers)
                    where = f"{method} {path} {body}: {response.text}"
                    problem = assert_problem_json(response, 422)
                    assert [(e["field"], e["source"]) for e in problem["errors"]] == [
                        (field, "body")
                    ], where
                    tried += 1
    assert tried > 20  # the examples have numbers and booleans to try
    assert await _row_counts(db) == before


async def test_a_bad_query_is_named_as_the_query(
    client: Client, routes: list[tuple[str, str]], city: City
) -> None:
    """A 422 for a query parameter says `source: "query"`, whether the framework or a rule
    of Intake's (an unknown department code, say) refused it."""
    queries = [*QUERIES, "department=NOPE", f"team={NOTHING}", "status=nope&type=nope"]
    for path in [path for method, path in routes if method == "GET"]:
        for query in queries:
            response = await client.get(f"{path}?{query}", headers=city.auth("admin"))
            if response.status_code == 422:
                errors = response.json()["errors"]
                assert {error["source"] for error in errors} == {"query"}, (path, query, errors)
