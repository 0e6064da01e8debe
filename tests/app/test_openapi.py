"""The OpenAPI document: 3.1, every operation with a summary, its errors and an example."""

from __future__ import annotations

import re
from typing import Any

from intake.lib.addresses import PATTERN
from intake.problems import lifecycle
from intake.vocabulary.events import EVENT_TYPES
from tests.helpers import Client


async def test_openapi_describes_every_operation(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1")
    operations = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) >= 20
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        errors = {
            code: r for code, r in operation["responses"].items() if code.startswith(("4", "5"))
        }
        assert errors, f"{where} documents no error responses"
        for code, error in errors.items():
            assert "application/problem+json" in error["content"], f"{where} {code}"
        assert _has_example(operation), f"{where} has no example"
        if path.startswith("/api/v1"):
            assert "401" in operation["responses"], where


def _has_example(operation: dict[str, Any]) -> bool:
    bodies = [operation.get("requestBody", {}), *list(operation["responses"].values())]
    for body in bodies:
        for content in body.get("content", {}).values():
            if content.get("examples") or content.get("example"):
                return True
    return False


async def test_interactive_docs_are_served(client: Client) -> None:
    response = await client.get("/schema")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


async def test_interactive_docs_load_nothing_from_other_hosts(client: Client) -> None:
    """/schema works offline: every script, style and icon it loads is served by Intake."""
    page = (await client.get("/schema")).text
    loaded = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", page)
    assert len(loaded) >= 4, loaded  # the script, the preset, the style sheet and the icon
    kinds = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for url in loaded:
        assert url.startswith("/schema/assets/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith(kinds[url[url.rindex(".") :]]), url
        assert len(asset.content) > 100, url
    assert "//" not in " ".join(loaded)
    assert (await client.get("/schema/assets/index.html")).status_code == 404


async def test_mutations_document_their_preconditions(client: Client) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    submit = spec["paths"]["/api/v1/problems/{problem_id}/submit"]["post"]
    assert {"409", "412", "428", "422"} <= set(submit["responses"])
    headers = {p["name"] for p in submit["parameters"] if p["in"] == "header"}
    assert {"If-Match", "Idempotency-Key"} <= headers


async def test_every_status_an_operation_can_answer_is_documented(client: Client) -> None:
    """Statuses the fuzzer saw undocumented: any path parameter can name nothing (404),
    following twice is a 200, recommending teams for work not yet accepted is a 409."""
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if "{" in path and method in {"get", "post", "put", "patch", "delete"}:
                assert "404" in operation["responses"], f"{method.upper()} {path}"
    follow = paths["/api/v1/problems/{problem_id}/watchers"]["post"]["responses"]
    assert {"200", "201"} <= set(follow)
    assert follow["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PersonRef"
    }
    recommend = paths["/api/v1/problems/{problem_id}/team-recommendations"]["get"]
    assert "409" in recommend["responses"]


async def test_what_an_operation_takes_decides_the_errors_it_documents(client: Client) -> None:
    """A body or a query may be invalid (422); If-Match may be stale or missing (412, 428);
    an Idempotency-Key may come again with another body (422) or while its first request
    still runs (409)."""
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            where = f"{method.upper()} {path}"
            statuses = set(operation["responses"])
            taken = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
            if "requestBody" in operation or any(place == "query" for place, _ in taken):
                assert "422" in statuses, where
            if ("header", "If-Match") in taken:
                assert {"412", "428"} <= statuses, where
            if ("header", "Idempotency-Key") in taken:
                assert {"409", "422"} <= statuses, where


async def test_only_the_api_asks_for_a_token(client: Client) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    assert not spec.get("security"), "no document-wide requirement: health checks need none"
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                wanted = [{"bearer": []}] if path.startswith("/api/v1") else None
                assert operation.get("security") == wanted, f"{method.upper()} {path}"


async def test_request_bodies_refuse_unknown_fields_in_the_schema_too(client: Client) -> None:
    """The input structs forbid unknown fields (422); their schemas say so, at every level."""
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    for name in ("ProblemCreate", "ProblemUpdate", "SystemInvolved", "WatcherAdd", "TeamCreate"):
        assert schemas[name]["additionalProperties"] is False, name
    assert "additionalProperties" not in schemas["Problem"]  # responses may grow fields


async def test_list_items_keep_their_constraints(client: Client) -> None:
    """Litestar leaves the bounds of a list's items out of the schema; they are in."""
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    communities = schemas["ProblemCreate"]["properties"]["communities_affected"]["items"]
    assert communities == {
        "type": "string",
        "minLength": 1,
        "maxLength": 100,
        "pattern": "^[^\\x00]*$",
    }
    focus_areas = schemas["TeamUpdate"]["properties"]["focus_areas"]["oneOf"][0]["items"]
    assert focus_areas["minLength"] == 1
    for name in ("WebhookCreate", "WebhookUpdate"):
        types = schemas[name]["properties"]["types"]
        items = types["items"] if "items" in types else types["oneOf"][0]["items"]
        assert items == {"$ref": "#/components/schemas/EventType"}, name
    assert schemas["EventType"]["enum"] == list(EVENT_TYPES)


async def test_every_address_field_takes_the_one_address_rule(client: Client) -> None:
    """The request body field that registers an address has the rule mail delivery needs;
    the fields that name someone registered (team members, watchers, collaborators,
    triagers, metric owners) take any address a person may have been registered with."""
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    found = {}
    for name, schema in schemas.items():
        if schema.get("additionalProperties") is not False:  # responses
            continue
        for field, prop in schema.get("properties", {}).items():
            if field.endswith("email"):
                # Beside "oneOf" when the field may be null, as Litestar writes it.
                found[f"{name}.{field}"] = prop.get("pattern")
    assert found.pop("PersonCreate.email") == PATTERN
    assert {
        "TeamMemberInput.email",
        "WatcherAdd.email",
        "CollaboratorCreate.email",
        "TakeIntoTriage.triager_email",
        "Reassign.triager_email",
        "MetricCreate.owner_email",
        "MetricUpdate.owner_email",
    } <= set(found), found
    assert set(found.values()) == {r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"}, found


async def test_every_lifecycle_action_is_documented_as_its_table_row_says(client: Client) -> None:
    """Each action in the lifecycle table is a POST with the table's summary and description,
    answering 200 with an ETag and documenting the errors of a change of state."""
    spec = (await client.get("/schema/openapi.json")).json()
    for action in lifecycle.ACTIONS.values():
        operation = spec["paths"][f"/api/v1/problems/{{problem_id}}/{action.name}"]["post"]
        assert operation["summary"] == action.summary, action.name
        assert operation["description"] == action.description, action.name
        assert {"200", "403", "404", "409", "412", "428"} <= set(operation["responses"])
        assert "ETag" in operation["responses"]["200"]["headers"], action.name
