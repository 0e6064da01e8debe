"""Bad input never hurts: every bad request is problem+json with the right status, never a 500."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import Any

import asyncpg
import pytest
from litestar.testing import RequestFactory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.config import Settings
from intake.db import driven
from intake.lib.errors import problem_response
from intake.lib.request_id import assign
from tests.builders import City
from tests.helpers import Client, assert_problem_json, draft

P = "/api/v1/problems"
# A problem id that names nothing, the same in every process (parallel workers must collect
# the same test ids).
NOWHERE = "b5d0e3a2-7c41-4f8e-9a6b-2e1d4c3f5a70"

BAD_BODIES: list[Any] = [
    pytest.param(b"{not json", 400, id="malformed-json"),
    pytest.param(b'{"title": "unterminated', 400, id="truncated-json"),
    pytest.param(b"[1, 2, 3]", 422, id="array-not-object"),
    pytest.param(b'"just a string"', 422, id="string-not-object"),
    pytest.param(b"{}", 422, id="missing-title"),
    pytest.param(b'{"title": 42}', 422, id="title-wrong-type"),
    pytest.param(b'{"title": "abc"}', 422, id="title-too-short"),
    pytest.param(('{"title": "' + "x" * 201 + '"}').encode(), 422, id="title-too-long"),
    pytest.param(b'{"title": "Valid title", "affected_groups": ["aliens"]}', 422, id="bad-enum"),
    pytest.param(b'{"title": "Valid title", "affected_people_per_year": -1}', 422, id="negative"),
    pytest.param(b'{"title": "Valid title", "urgency_deadline": "next week"}', 422, id="bad-date"),
    pytest.param(
        b'{"title": "Valid title", "data_sensitivity": "secret"}', 422, id="bad-sensitivity"
    ),
    pytest.param(
        b'{"title": "Valid title", "systems_involved": [{"nme": "x"}]}', 422, id="nested-unknown"
    ),
    pytest.param(b'{"title": "Valid title", "restricted": "yes"}', 422, id="bool-as-string"),
    pytest.param(
        b'{"title": "Valid title", "id": "6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11"}', 422, id="set-id"
    ),
    pytest.param(b'{"title": "Valid title", "submitter_id": "x"}', 422, id="set-submitter"),
    pytest.param(
        ('{"title": "Valid title", "problem_statement": "' + "y" * 5001 + '"}').encode(),
        422,
        id="text-too-long",
    ),
    pytest.param(b'{"title": "Valid \\u0000 title"}', 422, id="nul-character"),
    pytest.param(
        b'{"title": "Valid title", "communities_affected": ["a\\u0000"]}', 422, id="nul-in-list"
    ),
    pytest.param(b'{"title": "Valid \xff\xfe title"}', 400, id="invalid-utf8"),
    pytest.param(b'{"title": "Valid title \xc3"}', 400, id="truncated-utf8"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, 400, id="deeply-nested"),
    pytest.param(
        b'{"title": "Valid title", "systems_involved": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        400,
        id="deeply-nested-field",
    ),
]


@pytest.mark.parametrize(("body", "status"), BAD_BODIES)
async def test_bad_bodies_on_create(
    client: Client, city: City, db: asyncpg.Connection, body: bytes, status: int
) -> None:
    headers = {**city.auth("requester"), "Content-Type": "application/json"}
    response = await client.post(P, content=body, headers=headers)
    problem = assert_problem_json(response, status)
    if status == 422:
        assert problem["errors"], problem
        assert all(e["field"] and e["message"] for e in problem["errors"])
    assert await db.fetchval("SELECT count(*) FROM problems") == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(
            {"title": "Valid title", "urgency_deadline": "0001-01-01"},
            "urgency_deadline",
            id="day-out-of-range",
        ),
        pytest.param({"title": "Valid title", "": 1}, "body", id="unnamed-unknown-field"),
        pytest.param(
            {"title": "Valid title", "systems_involved": [{"name": "CRM", "nme": "x"}]},
            "systems_involved[0].nme",
            id="nested-unknown-field",
        ),
        pytest.param(
            {"title": "Valid title", "systems_involved": [{"legacy": True}]},
            "systems_involved[0].name",
            id="nested-missing-field",
        ),
    ],
)
async def test_a_422_names_the_field_at_fault(
    client: Client, city: City, body: dict[str, Any], field: str
) -> None:
    response = await client.post(P, json=body, headers=city.auth("requester"))
    problem = assert_problem_json(response, 422)
    assert [error["field"] for error in problem["errors"]] == [field]


NUL_EMAIL = "nul\x00@city.example"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/people", {"email": NUL_EMAIL, "name": "N", "department": "DOT"}, "email"),
        (
            "/api/v1/teams",
            {"name": "Nul team", "members": [{"email": NUL_EMAIL}]},
            "members[0].email",
        ),
        (f"{P}/{NOWHERE}/watchers", {"email": NUL_EMAIL}, "email"),
        (f"{P}/{NOWHERE}/collaborators", {"email": NUL_EMAIL}, "email"),
        (f"{P}/{NOWHERE}/reassign", {"triager_email": NUL_EMAIL}, "triager_email"),
    ],
)
async def test_an_email_with_a_nul_is_refused_by_validation(
    client: Client, city: City, path: str, body: dict[str, Any], field: str
) -> None:
    """It matched the e-mail pattern and reached PostgreSQL, which cannot store NUL."""
    response = await client.post(path, json=body, headers=city.auth("admin"))
    problem = assert_problem_json(response, 422)
    assert [error["field"] for error in problem["errors"]] == [field]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"restricted": "true"}, "restricted", id="bool-as-string"),
        pytest.param({"restricted": 1}, "restricted", id="bool-as-number"),
        pytest.param({"affected_people_per_year": "12"}, "affected_people_per_year", id="int"),
        pytest.param(
            {"impact_staff_hours_per_year": 1.5}, "impact_staff_hours_per_year", id="frac"
        ),
        pytest.param({"urgency_deadline": 1767225600}, "urgency_deadline", id="day-as-number"),
        pytest.param(
            {"systems_involved": [{"name": "CRM", "legacy": "yes"}]},
            "systems_involved[0].legacy",
            id="nested",
        ),
    ],
)
async def test_a_body_is_read_as_sent_never_coerced(
    client: Client, city: City, db: asyncpg.Connection, body: dict[str, Any], field: str
) -> None:
    """api.md: JSON types are not converted; "12" is not a number and 0 is not false."""
    response = await client.post(
        P, json={"title": "Valid title", **body}, headers=city.auth("requester")
    )
    problem = assert_problem_json(response, 422)
    assert [(e["field"], e["source"]) for e in problem["errors"]] == [(field, "body")]
    assert await db.fetchval("SELECT count(*) FROM problems") == 0


async def test_a_preference_is_not_switched_by_a_number(client: Client, city: City) -> None:
    me = city.auth("requester")
    refused = await client.patch("/api/v1/me", json={"email_notifications": 0}, headers=me)
    assert assert_problem_json(refused, 422)["errors"][0]["field"] == "email_notifications"
    assert (await client.get("/api/v1/me", headers=me)).json()["email_notifications"] is True


NOTHING = "6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11"  # an id of the right shape that names nothing
EVIDENCE = [{"source": "Interview", "date": "2026-10-02", "who": "Clerk"}]
METRIC = {"direction": "decrease", "baseline": 31, "target": 7, "target_date": "2027-06-30"}
# Every title and short name a body takes: (method, path, body with X where it goes, field).
LABELS = [
    ("POST", P, {"title": "X"}, "title"),
    ("PATCH", f"{P}/{NOTHING}", {"title": "X"}, "title"),
    (
        "POST",
        P,
        {"title": "Valid title", "systems_involved": [{"name": "X"}]},
        "systems_involved[0].name",
    ),
    ("POST", "/api/v1/departments", {"code": "LIB", "name": "X"}, "name"),
    ("PATCH", f"/api/v1/departments/{NOTHING}", {"name": "X"}, "name"),
    (
        "POST",
        "/api/v1/people",
        {"email": "a@city.example", "name": "X", "department": "DOT"},
        "name",
    ),
    ("PATCH", f"/api/v1/people/{NOTHING}", {"name": "X"}, "name"),
    ("POST", "/api/v1/teams", {"name": "X"}, "name"),
    ("PATCH", f"/api/v1/teams/{NOTHING}", {"name": "X"}, "name"),
    ("POST", f"{P}/{NOTHING}/milestones", {"title": "X", "target_date": "2027-01-01"}, "title"),
    ("PATCH", f"{P}/{NOTHING}/milestones/{NOTHING}", {"title": "X"}, "title"),
    (
        "POST",
        f"{P}/{NOTHING}/findings",
        {"kind": "insight", "title": "X", "evidence": EVIDENCE},
        "title",
    ),
    ("PATCH", f"{P}/{NOTHING}/findings/{NOTHING}", {"title": "X"}, "title"),
    ("POST", f"{P}/{NOTHING}/metrics", {**METRIC, "name": "X", "unit": "days"}, "name"),
    ("POST", f"{P}/{NOTHING}/metrics", {**METRIC, "name": "Median wait", "unit": "X"}, "unit"),
    ("PATCH", f"{P}/{NOTHING}/metrics/{NOTHING}", {"name": "X"}, "name"),
]


def _with(value: Any, text: str) -> Any:
    """``value`` with every "X" in it replaced by ``text``."""
    if isinstance(value, dict):
        return {key: _with(item, text) for key, item in value.items()}
    if isinstance(value, list):
        return [_with(item, text) for item in value]
    return text if value == "X" else value


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("      ", id="blank"),
        pytest.param("\u200b\u200b\u200b\u200b\u200b\u200b", id="zero-width-only"),
        pytest.param(" \u3164\u200d \u2060\u00ad ", id="invisible-only"),
        pytest.param("Invoice \u202egpj.exe\u202c paid", id="bidi-override"),
        pytest.param("\u2067Street trees\u2069", id="bidi-isolate"),
    ],
)
async def test_a_title_or_name_that_would_mislead_is_refused(
    client: Client, city: City, db: asyncpg.Connection, text: str
) -> None:
    """Titles and short names are read in lists and headings: blank or invisible text, or
    text that displays in another order than it is written, is a 422 naming the field."""
    for method, path, body, field in LABELS:
        # Sent by someone who may do it: a requester drafts, an admin keeps the registry,
        # a triager works on a problem's milestones, findings and metrics.
        who = "requester" if path in (P, f"{P}/{NOTHING}") else "triager" if P in path else "admin"
        sent = {**city.auth(who), "If-Match": '"1"'}
        response = await client.request(method, path, json=_with(body, text), headers=sent)
        problem = assert_problem_json(response, 422)
        assert [e["field"] for e in problem["errors"]] == [field], (method, path, problem)
    assert await db.fetchval("SELECT count(*) FROM departments WHERE code = 'LIB'") == 0


async def test_body_over_one_megabyte_is_413(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    body = b'{"title": "Valid title", "problem_statement": "' + b"z" * 1_100_000 + b'"}'
    response = await client.post(
        P, content=body, headers={**city.auth("requester"), "Content-Type": "application/json"}
    )
    assert_problem_json(response, 413)
    assert await db.fetchval("SELECT count(*) FROM problems") == 0


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"{P}/not-a-uuid", 404),
        ("GET", f"{P}/{NOWHERE}", 404),
        ("GET", f"{P}/{NOWHERE}/history", 404),
        ("POST", f"{P}/{NOWHERE}/submit", 404),
        ("POST", f"{P}/{NOWHERE}/teleport", 404),
        ("GET", "/api/v1/nowhere", 404),
        ("DELETE", f"{P}/{NOWHERE}", 405),
        ("PUT", "/api/v1/departments", 405),
    ],
)
async def test_bad_paths_and_methods(
    client: Client, city: City, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path, headers=city.auth("requester"))
    assert_problem_json(response, status)
    if status == 405:  # RFC 9110: a 405 lists the methods the resource does support
        assert "GET" in response.headers["Allow"]


async def test_options_and_a_405_list_every_method_a_path_has(client: Client) -> None:
    """RFC 9110: Allow names the methods the resource supports, all of them, whichever
    controller declares them (Litestar's own OPTIONS listed only the first's: #4169)."""
    document = (await client.get("/schema/openapi.json")).json()
    for template, operations in document["paths"].items():
        numbers = {
            parameter["name"]
            for operation in operations.values()
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "path" and parameter["schema"].get("type") == "integer"
        }
        path = template
        for name in re.findall(r"\{(\w+)\}", template):
            path = path.replace(f"{{{name}}}", "2026" if name in numbers else NOTHING)
        methods = {method.upper() for method in operations} | {"OPTIONS"}
        options = await client.options(path)
        assert options.status_code == 204, (path, options.text)
        assert set(options.headers["allow"].split(", ")) == methods, path
        other = next(m for m in ("PUT", "DELETE", "PATCH", "POST", "GET") if m not in methods)
        refused = await client.request(other, path)
        assert_problem_json(refused, 405)
        assert set(refused.headers["allow"].split(", ")) == methods, path


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 428),
        ({"If-Match": ""}, 428),
        ({"If-Match": '"999"'}, 412),
        ({"If-Match": "garbage"}, 412),
        ({"If-Match": '"1"', "Idempotency-Key": "x" * 300}, 422),
    ],
)
async def test_bad_headers_on_submit(
    client: Client, city: City, headers: dict[str, str], status: int
) -> None:
    problem = await draft(client, city)
    response = await client.post(
        f"{P}/{problem['id']}/submit", headers={**city.auth("requester"), **headers}
    )
    assert_problem_json(response, status)
    after = await client.get(f"{P}/{problem['id']}", headers=city.auth("requester"))
    assert after.json()["status"] == "draft"


@pytest.mark.parametrize(
    "body", [b'"\xff"', b"[" * 5000 + b"]" * 5000], ids=["invalid-utf8", "deeply-nested"]
)
async def test_an_unreadable_body_on_an_action_without_one_is_ignored(
    client: Client, city: City, body: bytes
) -> None:
    """Submit takes no body; the Idempotency-Key still remembers the request by it."""
    problem = await draft(client, city)
    headers = {
        **city.auth("requester"),
        "If-Match": problem["etag"],
        "Idempotency-Key": "submit-once",
        "Content-Type": "application/json",
    }
    response = await client.post(f"{P}/{problem['id']}/submit", content=body, headers=headers)
    assert response.status_code == 200, response.text
    again = await client.post(f"{P}/{problem['id']}/submit", content=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_weak_and_listed_etags_match(client: Client, city: City) -> None:
    problem = await draft(client, city)
    response = await client.patch(
        f"{P}/{problem['id']}",
        json={"workarounds": "Phone"},
        headers={**city.auth("requester"), "If-Match": '"7", W/"1"'},
    )
    assert response.status_code == 200


async def test_bad_query_values_on_registry_lists(client: Client, city: City) -> None:
    for query in ("limit=-1", "limit=1000", "cursor=%%%"):
        response = await client.get(f"/api/v1/departments?{query}", headers=city.auth("requester"))
        assert_problem_json(response, 422)


def assert_try_again(error: Exception) -> None:
    """The API answers ``error`` with a 503 problem+json asking to try again in a second."""
    response = problem_response(RequestFactory().get("/api/v1/problems"), error)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.media_type == "application/problem+json"
    assert response.content.type.endswith("try-again")


async def test_a_deadlock_is_a_503_to_retry_not_a_500(
    sessions: async_sessionmaker[AsyncSession], city: City
) -> None:
    """Two transactions lock two rows in opposite orders: PostgreSQL rolls one back, and
    the request that ran it is told to send it again."""
    first, second = (city.departments[code] for code in ("DOT", "DPH"))
    lock = text("UPDATE departments SET name = name WHERE id = :id")
    both_hold_one = asyncio.Barrier(2)

    async def cross(mine: uuid.UUID, theirs: uuid.UUID) -> DBAPIError | None:
        async with sessions() as session:
            try:
                async with session.begin():
                    await session.execute(lock, {"id": mine})
                    await both_hold_one.wait()
                    await session.execute(lock, {"id": theirs})
            except DBAPIError as error:
                return error
        return None

    outcomes = await asyncio.gather(cross(first, second), cross(second, first))
    (deadlock,) = [error for error in outcomes if error is not None]

    assert_try_again(deadlock)


async def test_a_deadlock_asyncpg_reports_itself_is_a_503_to_retry_too(
    sessions: async_sessionmaker[AsyncSession], city: City
) -> None:
    """The same on statements sent on the session's asyncpg connection (a submit's after its
    lock, ``intake.db.driven``): asyncpg's own error, not SQLAlchemy's, is a 503 as well."""
    first, second = (city.departments[code] for code in ("DOT", "DPH"))
    lock = "UPDATE departments SET name = name WHERE id = $1"
    both_hold_one = asyncio.Barrier(2)

    async def cross(mine: uuid.UUID, theirs: uuid.UUID) -> asyncpg.PostgresError | None:
        async with sessions() as session:
            try:
                async with session.begin():
                    await session.execute(text("SELECT 1"))  # begins the transaction
                    connection = await driven.connection(session)
                    await connection.execute(lock, mine)
                    await both_hold_one.wait()
                    await connection.execute(lock, theirs)
            except asyncpg.PostgresError as error:
                return error
        return None

    outcomes = await asyncio.gather(cross(first, second), cross(second, first))
    (deadlock,) = [error for error in outcomes if error is not None]

    assert_try_again(deadlock)


def test_an_unexpected_error_is_a_500_whose_traceback_is_logged_once_a_minute() -> None:
    """The first of a kind gets its traceback; the same error again (say, on every request
    of a busy minute) gets one line each, naming its request."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("intake")
    logger.addHandler(handler)

    def fail() -> None:
        raise RuntimeError("the flux capacitor is unplugged")

    try:
        for n in range(3):
            try:
                fail()
            except RuntimeError as error:
                request = RequestFactory(server="127.0.0.1").get(
                    "/api/v1/me", headers={"X-Request-ID": f"r{n}"}
                )
                assign(request.scope, Settings().trusted_proxies)  # as AccessLog does
                response = problem_response(request, error)
            assert response.status_code == 500
            assert response.content.request_id == f"r{n}"
    finally:
        logger.removeHandler(handler)
    assert [record.levelno for record in records] == [logging.ERROR] * 3
    assert records[0].exc_info is not None
    assert [record.exc_info for record in records[1:]] == [None, None]
    for n, record in enumerate(records):
        assert f"(request r{n})" in record.getMessage()
    assert "flux capacitor" in records[2].getMessage()


async def test_a_data_exception_from_asyncpg_is_a_422_however_it_arrives(
    db: asyncpg.Connection,
) -> None:
    """A value asyncpg cannot encode (an int past int4) and a class-22 error from the server,
    raised by asyncpg directly or from within another exception: a 422, never a 500."""
    errors: list[BaseException] = []
    for sql, value in [("SELECT $1::int", 3_000_000_000), ("SELECT 1 / $1::int", 0)]:
        try:
            await db.fetchval(sql, value)
        except asyncpg.PostgresError as error:
            errors.append(error)
    try:
        raise RuntimeError("a read gave up") from errors[0]
    except RuntimeError as wrapped:
        errors.append(wrapped)
    assert len(errors) == 3
    for error in errors:
        response = problem_response(RequestFactory().get("/api/v1/triage/queue"), error)
        assert response.status_code == 422, error
