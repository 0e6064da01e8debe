"""Service accounts: the scope table, their tokens' life, and that they never act as a person.

The scope table is the access table's (tests/app/test_access.py) for service tokens: each row is
an API route, each column the status a service account's token gets from it. The columns:

- ``none``: an account with no scope at all;
- ``feed``, ``port``, ``prob``, ``hook``: one scope each (feed:read, portfolio:read,
  problems:read, webhooks:manage);
- ``dept``: feed:read, portfolio:read and problems:read, confined to Parks (PRK).

``{problem_id}`` is a submitted problem of DOT, ``{webhook_id}`` a subscription (DELETE gets
one of its own), ``{person_id}`` the requester, who watches the problem; every other id names
nothing, so a request that gets past the scopes is the handler's 404, and a refusal is 403.
Writes carry a well-formed body where the scope lets them through (PATCH /webhooks).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from litestar import Litestar

from tests.builders import City
from tests.helpers import Client, assert_problem_json, draft, events, submit, submitted

COLUMNS = ("none", "feed", "port", "prob", "hook", "dept")
SCOPES: dict[str, list[str]] = {
    "none": [],
    "feed": ["feed:read"],
    "port": ["portfolio:read"],
    "prob": ["problems:read"],
    "hook": ["webhooks:manage"],
    "dept": ["feed:read", "portfolio:read", "problems:read"],
}
NOBODY = "6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11"
REFUSED = "403 403 403 403 403 403"
P = "/problems/{problem_id:uuid}"

# fmt: off
TABLE: dict[str, str] = {
    #                                                          none feed port prob hook dept
    # a person's own things, the registry, settings, the queue: never
    "GET    /me":                                              REFUSED,
    "PATCH  /me":                                              REFUSED,
    "GET    /me/notifications":                                REFUSED,
    "POST   /me/notifications/read":                           REFUSED,
    "POST   /me/notifications/{notification_id:int}/read":     REFUSED,
    "GET    /departments":                                     REFUSED,
    "POST   /departments":                                     REFUSED,
    "GET    /departments/{department_id:uuid}":                REFUSED,
    "PATCH  /departments/{department_id:uuid}":                REFUSED,
    "GET    /people":                                          REFUSED,
    "POST   /people":                                          REFUSED,
    "GET    /people/{person_id:uuid}":                         REFUSED,
    "PATCH  /people/{person_id:uuid}":                         REFUSED,
    "GET    /teams":                                           REFUSED,
    "POST   /teams":                                           REFUSED,
    "GET    /teams/{team_id:uuid}":                            REFUSED,
    "PATCH  /teams/{team_id:uuid}":                            REFUSED,
    "GET    /settings/holidays":                               REFUSED,
    "PUT    /settings/holidays/{year:int}":                    REFUSED,
    "GET    /settings/sla":                                    REFUSED,
    "PUT    /settings/sla":                                    REFUSED,
    "GET    /settings/scoring":                                REFUSED,
    "PUT    /settings/scoring":                                REFUSED,
    "GET    /triage/queue":                                    REFUSED,
    # problems: read like leadership; the Parks account sees no DOT problem
    "GET    /problems":                                        "403 403 403 200 403 200",
    "POST   /problems":                                        REFUSED,
    f"GET    {P}":                                             "403 403 403 200 403 404",
    f"PATCH  {P}":                                             REFUSED,
    f"GET    {P}/history":                                     "403 403 403 200 403 404",
    f"GET    {P}/similar":                                     "403 403 403 200 403 404",
    f"GET    {P}/score":                                       "403 403 403 200 403 404",
    f"PUT    {P}/score":                                       REFUSED,
    f"GET    {P}/team-recommendations":                        "403 403 403 409 403 404",
    f"PUT    {P}/team":                                        REFUSED,
    f"GET    {P}/links":                                       "403 403 403 200 403 404",
    f"POST   {P}/links":                                       REFUSED,
    f"GET    {P}/links/{{link_id:uuid}}":                      "403 403 403 404 403 404",
    f"GET    {P}/findings":                                    "403 403 403 200 403 404",
    f"POST   {P}/findings":                                    REFUSED,
    f"GET    {P}/findings/{{finding_id:uuid}}":                "403 403 403 404 403 404",
    f"PATCH  {P}/findings/{{finding_id:uuid}}":                REFUSED,
    f"DELETE {P}/findings/{{finding_id:uuid}}":                REFUSED,
    f"GET    {P}/journey":                                     "403 403 403 200 403 404",
    f"PUT    {P}/journey":                                     REFUSED,
    f"GET    {P}/milestones":                                  "403 403 403 200 403 404",
    f"POST   {P}/milestones":                                  REFUSED,
    f"GET    {P}/milestones/{{milestone_id:uuid}}":            "403 403 403 404 403 404",
    f"PATCH  {P}/milestones/{{milestone_id:uuid}}":            REFUSED,
    f"DELETE {P}/milestones/{{milestone_id:uuid}}":            REFUSED,
    f"GET    {P}/updates":                                     "403 403 403 200 403 404",
    f"POST   {P}/updates":                                     REFUSED,
    f"GET    {P}/updates/{{update_id:uuid}}":                  "403 403 403 404 403 404",
    f"GET    {P}/metrics":                                     "403 403 403 200 403 404",
    f"POST   {P}/metrics":                                     REFUSED,
    f"GET    {P}/metrics/{{metric_id:uuid}}":                  "403 403 403 404 403 404",
    f"PATCH  {P}/metrics/{{metric_id:uuid}}":                  REFUSED,
    f"DELETE {P}/metrics/{{metric_id:uuid}}":                  REFUSED,
    f"GET    {P}/metrics/{{metric_id:uuid}}/measurements":     "403 403 403 404 403 404",
    f"POST   {P}/metrics/{{metric_id:uuid}}/measurements":     REFUSED,
    f"GET    {P}/metrics/{{metric_id:uuid}}/measurements/{{measurement_id:uuid}}": "403 403 403 404 403 404",  # noqa: E501
    f"GET    {P}/comments":                                    "403 403 403 200 403 404",
    f"POST   {P}/comments":                                    REFUSED,
    f"GET    {P}/comments/{{comment_id:uuid}}":                "403 403 403 404 403 404",
    f"PATCH  {P}/comments/{{comment_id:uuid}}":                REFUSED,
    f"GET    {P}/watchers":                                    "403 403 403 200 403 404",
    f"POST   {P}/watchers":                                    REFUSED,
    f"GET    {P}/watchers/{{person_id:uuid}}":                 "403 403 403 200 403 404",
    f"DELETE {P}/watchers/{{person_id:uuid}}":                 REFUSED,
    f"GET    {P}/collaborators":                               "403 403 403 200 403 404",
    f"POST   {P}/collaborators":                               REFUSED,
    f"GET    {P}/collaborators/{{collaborator_id:uuid}}":      "403 403 403 404 403 404",
    f"DELETE {P}/collaborators/{{collaborator_id:uuid}}":      REFUSED,
    # lifecycle actions: never, for any scope
    **{f"POST   {P}/{action}": REFUSED for action in (
        "submit", "withdraw", "triage", "request-info", "respond", "accept", "decline",
        "redirect", "mark-duplicate", "hold", "resume", "reassign", "start-discovery",
        "start-delivery", "launch", "close",
    )},
    # portfolio: the city's, or the department's
    **{f"GET    /portfolio/{view}": "403 403 200 403 403 200" for view in (
        "summary", "flow", "sla", "at-risk", "outcomes", "teams", "distribution", "export.csv",
    )},
    "GET    /events":                                          "403 200 403 403 403 200",
    # webhooks: managed as an admin would
    "GET    /webhooks":                                        "403 403 403 403 200 403",
    "POST   /webhooks":                                        "403 403 403 403 201 403",
    "GET    /webhooks/{webhook_id:uuid}":                      "403 403 403 403 200 403",
    "PATCH  /webhooks/{webhook_id:uuid}":                      "403 403 403 403 200 403",
    "DELETE /webhooks/{webhook_id:uuid}":                      "403 403 403 403 204 403",
    "GET    /webhooks/{webhook_id:uuid}/deliveries":           "403 403 403 403 200 403",
    "POST   /webhooks/{webhook_id:uuid}/rotate-secret":        "403 403 403 403 200 403",
    # service accounts: admins (people) only
    "GET    /service-accounts":                                REFUSED,
    "POST   /service-accounts":                                REFUSED,
    "GET    /service-accounts/{account_id:uuid}":              REFUSED,
    "POST   /service-accounts/{account_id:uuid}/rotate":       REFUSED,
    "POST   /service-accounts/{account_id:uuid}/revoke":       REFUSED,
}
# fmt: on

WEBHOOK = {"url": "https://data.city.example/hook", "description": "Data platform"}
BODIES: dict[str, dict[str, Any]] = {
    "POST   /webhooks": WEBHOOK,
    "PATCH  /webhooks/{webhook_id:uuid}": {"description": "Changed by a service account"},
}


def statuses(row: str) -> dict[str, int]:
    codes = [int(code) for code in row.split()]
    assert len(codes) == len(COLUMNS), row
    return dict(zip(COLUMNS, codes, strict=True))


def route_keys(app: Litestar) -> set[str]:
    keys = set()
    for route in app.routes:
        if route.path.startswith("/api/v1"):
            for method in route.methods:  # type: ignore[attr-defined]
                if method not in ("OPTIONS", "HEAD"):
                    keys.add(f"{method} {route.path.removeprefix('/api/v1')}")
    return keys


def secret_of(token: str) -> str:
    """The secret part of ``intake_sa_<32 hex digits>_<secret>`` (which may hold "_")."""
    return token[len("intake_sa_") + 33 :]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create_account(
    client: Client, city: City, name: str, scopes: list[str], **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/service-accounts",
        json={"name": name, "scopes": scopes, **fields},
        headers=city.auth("admin"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def token_for(
    client: Client, city: City, db: asyncpg.Connection, name: str, scopes: list[str], **fields: Any
) -> str:
    """A token of a new account with exactly ``scopes`` (none: made with one, then emptied
    behind the API, which refuses an account without scopes)."""
    issued = await create_account(client, city, name, scopes or ["feed:read"], **fields)
    if not scopes:
        await db.execute(
            "UPDATE service_accounts SET scopes = '{}' WHERE id = $1",
            uuid.UUID(issued["account"]["id"]),
        )
    token: str = issued["token"]
    return token


async def webhook(client: Client, city: City) -> str:
    response = await client.post("/api/v1/webhooks", json=WEBHOOK, headers=city.auth("admin"))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def normal(key: str) -> str:
    method, path = key.split()
    return f"{method} {path}"


def filled(template: str, ids: dict[str, str]) -> str:
    """The path with its parameters filled from ``ids`` by name, or with ids naming nothing."""
    parts = []
    for part in template.split("/"):
        if part.startswith("{"):
            name, _, kind = part.strip("{}").partition(":")
            part = ids.get(name, NOBODY if kind == "uuid" else "2026")
        parts.append(part)
    return "/api/v1" + "/".join(parts)


async def test_the_scope_table(
    app: Litestar, client: Client, city: City, db: asyncpg.Connection
) -> None:
    """Every API route for every kind of service account; and where problems:read lets one
    through, it gets what a leadership reader (a person) gets."""
    assert route_keys(app) == {normal(key) for key in TABLE}, "a route is missing from TABLE"
    problem = await submitted(client, city, title="Permit counters close at noon")
    failures = []
    for column in COLUMNS:
        department = {"department": "PRK"} if column == "dept" else {}
        token = await token_for(client, city, db, f"reader-{column}", SCOPES[column], **department)
        kept, gone = await webhook(client, city), await webhook(client, city)
        for key, row in TABLE.items():
            method, template = key.split()
            ids = {
                "problem_id": problem["id"],
                "person_id": str(city.people["requester"]),
                "webhook_id": gone if method == "DELETE" else kept,
            }
            body = BODIES.get(key)
            sent = {"json": body} if body is not None else {}
            url = filled(template, ids)
            response = await client.request(method, url, headers=bearer(token), **sent)
            expected = statuses(row)[column]
            if response.status_code != expected:
                failures.append(f"{column:5} {key}: {response.status_code} != {expected}")
            elif expected >= 400:
                assert_problem_json(response, expected)
            if column == "prob" and expected != 403:
                leader = await client.request(method, url, headers=city.auth("leader"))
                if leader.status_code != expected:
                    failures.append(f"leader {key}: {leader.status_code} != {expected}")
    assert not failures, "\n".join(failures)


# -- tokens: shown once, stored hashed, last used, revoked, expired -----------------------------

FEED = "/api/v1/events"


async def test_a_token_is_shown_once_and_stored_only_as_its_hash(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    issued = await create_account(client, city, "data-platform", ["feed:read"])
    token = issued["token"]
    assert token.startswith(f"intake_sa_{uuid.UUID(issued['token_id']).hex}_")
    assert issued["account"]["scopes"] == ["feed:read"]
    assert (await client.get(FEED, headers=bearer(token))).status_code == 200

    # Never shown again: not in the account, not in the list.
    account = issued["account"]["id"]
    for url in (f"/api/v1/service-accounts/{account}", "/api/v1/service-accounts"):
        response = await client.get(url, headers=city.auth("admin"))
        assert response.status_code == 200, response.text
        assert token not in response.text
        assert secret_of(token) not in response.text

    # The database holds the secret's SHA-256 and nothing from which the token could be read.
    secret = secret_of(token)
    row = await db.fetchrow(
        "SELECT * FROM service_tokens WHERE id = $1", uuid.UUID(issued["token_id"])
    )
    assert row["secret_sha256"] == hashlib.sha256(secret.encode()).digest()
    dumped = ""
    for table in ("service_tokens", "service_accounts", "idempotency_records"):
        dumped += str(await db.fetch(f"SELECT * FROM {table}"))
    assert secret not in dumped and token not in dumped


async def test_a_wrong_secret_or_unknown_token_is_401(client: Client, city: City) -> None:
    issued = await create_account(client, city, "data-platform", ["feed:read"])
    token = issued["token"]
    for bad in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # wrong secret
        f"intake_sa_{uuid.uuid4().hex}_{secret_of(token)}",  # unknown token id
        "intake_sa_not-an-id_secret",
        "intake_sa_",
    ):
        body = assert_problem_json(await client.get(FEED, headers=bearer(bad)), 401)
        assert "not valid" in body["detail"]


async def test_revoking_and_rotating_take_effect_on_the_next_request(
    client: Client, city: City
) -> None:
    issued = await create_account(client, city, "data-platform", ["feed:read"])
    account, first = issued["account"]["id"], issued["token"]
    assert (await client.get(FEED, headers=bearer(first))).status_code == 200

    rotated = await client.post(
        f"/api/v1/service-accounts/{account}/rotate",
        json={"expires_in_days": 30},
        headers=city.auth("admin"),
    )
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["token"]
    assert second != first
    body = assert_problem_json(await client.get(FEED, headers=bearer(first)), 401)
    assert "revoked" in body["detail"]
    assert (await client.get(FEED, headers=bearer(second))).status_code == 200
    tokens = rotated.json()["account"]["tokens"]
    assert [token["revoked_at"] is None for token in tokens] == [True, False]  # newest first

    revoked = await client.post(
        f"/api/v1/service-accounts/{account}/revoke", headers=city.auth("admin")
    )
    assert revoked.status_code == 200, revoked.text
    assert all(token["revoked_at"] for token in revoked.json()["tokens"])
    assert_problem_json(await client.get(FEED, headers=bearer(second)), 401)


async def test_an_expired_token_is_refused(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    issued = await create_account(client, city, "data-platform", ["feed:read"], expires_in_days=1)
    token, token_id = issued["token"], uuid.UUID(issued["token_id"])
    expires = await db.fetchval("SELECT expires_at FROM service_tokens WHERE id = $1", token_id)
    created = await db.fetchval("SELECT created_at FROM service_tokens WHERE id = $1", token_id)
    assert expires - created == timedelta(days=1)
    assert (await client.get(FEED, headers=bearer(token))).status_code == 200
    await db.execute(
        "UPDATE service_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
        token_id,
    )
    body = assert_problem_json(await client.get(FEED, headers=bearer(token)), 401)
    assert "expired" in body["detail"]


async def test_last_used_is_noted_at_most_once_a_minute(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    issued = await create_account(client, city, "data-platform", ["feed:read"])
    token, token_id = issued["token"], uuid.UUID(issued["token_id"])
    query = "SELECT last_used_at FROM service_tokens WHERE id = $1"
    assert await db.fetchval(query, token_id) is None
    assert issued["account"]["tokens"][0]["last_used_at"] is None

    assert (await client.get(FEED, headers=bearer(token))).status_code == 200
    first = await db.fetchval(query, token_id)
    assert first is not None
    for _ in range(3):  # within the minute: no write
        assert (await client.get(FEED, headers=bearer(token))).status_code == 200
    assert await db.fetchval(query, token_id) == first

    # A minute later (moved back rather than waited for), the next request notes it again.
    await db.execute(
        "UPDATE service_tokens SET last_used_at = last_used_at - interval '61 seconds' "
        "WHERE id = $1",
        token_id,
    )
    assert (await client.get(FEED, headers=bearer(token))).status_code == 200
    assert await db.fetchval(query, token_id) > first
    account = await client.get(
        f"/api/v1/service-accounts/{issued['account']['id']}", headers=city.auth("admin")
    )
    assert account.json()["tokens"][0]["last_used_at"] is not None


# -- never a person -----------------------------------------------------------------------------


async def test_an_account_with_every_scope_changes_nothing_a_person_changes(
    app: Litestar, client: Client, city: City, db: asyncpg.Connection
) -> None:
    """Every write route but the webhooks' is 403 for an account holding every scope, with
    or without a body, and the problem's history is unchanged."""
    token = await token_for(client, city, db, "everything", [*SCOPES["dept"], "webhooks:manage"])
    problem = await draft(client, city, title="Parking permits by fax")
    before = await events(client, city, problem["id"], who="requester")
    writes = [key for key in route_keys(app) if not key.startswith("GET ")]
    assert len(writes) > 50
    for key in sorted(writes):
        method, template = key.split()
        if template == "/webhooks" or template.startswith("/webhooks/"):
            continue
        url = filled(template, {"problem_id": problem["id"]})
        for sent in ({}, {"json": {"title": "Hijacked", "body": "x", "email": "a@city.example"}}):
            response = await client.request(
                method, url, headers={**bearer(token), "If-Match": problem["etag"]}, **sent
            )
            body = assert_problem_json(response, 403)
            assert "never acts as a person" in body["detail"] or "cannot do this" in body["detail"]
    assert await events(client, city, problem["id"], who="requester") == before
    assert await db.fetchval("SELECT count(*) FROM problems") == 1
    assert await db.fetchval("SELECT count(*) FROM webhook_subscriptions") == 0


async def test_a_webhooks_manager_creates_a_subscription_in_its_own_name(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    """A webhooks:manage account creates a subscription that names it, not a person; its
    Idempotency-Key replays for it alone, and an admin's same key makes one of their own."""
    token = await token_for(client, city, db, "platform-hooks", ["webhooks:manage"])
    account = await db.fetchval("SELECT id FROM service_accounts WHERE name = 'platform-hooks'")
    sent = {"json": WEBHOOK, "headers": {**bearer(token), "Idempotency-Key": "hooks-1"}}

    first = await client.post("/api/v1/webhooks", **sent)
    again = await client.post("/api/v1/webhooks", **sent)
    assert first.status_code == again.status_code == 201, first.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    created = first.json()
    assert created["created_by"] is None
    assert created["created_by_service_account"] == str(account)
    assert created["secret"].startswith("whsec_")

    admin = await client.post(
        "/api/v1/webhooks",
        json=WEBHOOK,
        headers={**city.auth("admin"), "Idempotency-Key": "hooks-1"},
    )
    assert admin.status_code == 201, admin.text
    assert "Idempotent-Replayed" not in admin.headers
    assert admin.json()["id"] != created["id"]
    assert admin.json()["created_by"] == str(city.people["admin"])
    assert admin.json()["created_by_service_account"] is None

    listed = await client.get("/api/v1/webhooks", headers=bearer(token))
    assert sorted(item["id"] for item in listed.json()["items"]) == sorted(
        [created["id"], admin.json()["id"]]
    )


# -- the feed, as leadership reads it ------------------------------------------------------------


async def read_all(
    client: Client, headers: dict[str, str], cursor: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await client.get(FEED, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if len(page["items"]) < 2:
            assert cursor is not None
            return items, cursor


async def test_a_feed_reader_follows_the_feed_as_leadership_does_through_a_submit(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    """A draft's history reaches a feed:read account when it is submitted, after what it has
    read, exactly as it reaches a leadership reader; a department-scoped account gets that
    department's part of the same sequence."""
    city_wide = bearer(await token_for(client, city, db, "data-platform", ["feed:read"]))
    dot_only = bearer(
        await token_for(client, city, db, "dot-dashboard", ["feed:read"], department="DOT")
    )
    leader = city.auth("leader")
    other = await submitted(client, city, who="health", title="Clinic bookings by phone only")
    problem = await draft(client, city, title="Street tree permits take weeks")
    restricted = await submitted(client, city, who="parks", title="Pool passes", restricted=True)
    cursors = {}
    for name, headers in (("city", city_wide), ("dot", dot_only), ("leader", leader)):
        read, cursors[name] = await read_all(client, headers)
        assert problem["id"] not in {item["problem"]["id"] for item in read}, name

    response = await submit(client, city, problem)
    assert response.status_code == 200, response.text
    history = await events(client, city, problem["id"])
    assert [event["type"] for event in history] == ["created", "submitted"]

    newer = {}
    for name, headers in (("city", city_wide), ("dot", dot_only), ("leader", leader)):
        newer[name], _ = await read_all(client, headers, cursors[name])
        assert [item["id"] for item in newer[name]] == [event["id"] for event in history], name
    assert newer["city"] == newer["leader"]

    whole = {}
    for name, headers in (("city", city_wide), ("dot", dot_only), ("leader", leader)):
        whole[name], _ = await read_all(client, headers)
    assert whole["city"] == whole["leader"]  # the restricted Parks problem included
    assert {item["problem"]["id"] for item in whole["city"]} == {
        other["id"],
        problem["id"],
        restricted["id"],
    }
    assert whole["dot"] == [
        item for item in whole["leader"] if item["problem"]["id"] == problem["id"]
    ]


# -- department scope ----------------------------------------------------------------------------


async def test_a_department_scoped_account_sees_only_its_departments_problems(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    dot = bearer(
        await token_for(
            client, city, db, "dot", ["problems:read", "portfolio:read"], department="DOT"
        )
    )
    ours = await submitted(client, city, title="Street tree permits take weeks")
    theirs = await submitted(client, city, who="health", title="Clinic bookings by phone only")
    await draft(client, city, title="A DOT draft nobody outside DOT sees")

    listed = await client.get("/api/v1/problems", headers=dot)
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [ours["id"]]  # no draft either
    assert (await client.get(f"/api/v1/problems/{ours['id']}", headers=dot)).status_code == 200
    assert_problem_json(await client.get(f"/api/v1/problems/{theirs['id']}", headers=dot), 404)

    # Similar problems come from any department, for a person; for this account, DOT's only.
    twin = await submitted(client, city, who="health", title="Street tree permits take weeks")
    url = f"/api/v1/problems/{ours['id']}/similar"
    as_leader = (await client.get(url, headers=city.auth("leader"))).json()
    as_account = await client.get(url, headers=dot)
    assert as_account.status_code == 200, as_account.text
    assert twin["id"] in str(as_leader)
    assert twin["id"] not in as_account.text

    summary = await client.get("/api/v1/portfolio/summary", headers=dot)
    city_wide = await client.get("/api/v1/portfolio/summary", headers=city.auth("leader"))
    scoped = await client.get(
        "/api/v1/portfolio/summary", params={"department": "DOT"}, headers=city.auth("leader")
    )
    assert summary.status_code == 200, summary.text
    assert summary.json() != city_wide.json()
    assert summary.json() == scoped.json()
    elsewhere = await client.get(
        "/api/v1/portfolio/summary", params={"department": "DPH"}, headers=dot
    )
    assert_problem_json(elsewhere, 403)


async def test_problems_read_sees_no_internal_comments(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    reader = bearer(await token_for(client, city, db, "reader", ["problems:read"]))
    problem = await submitted(client, city)
    for visibility in ("all", "dti_internal"):
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/comments",
            json={"body": f"A {visibility} note", "visibility": visibility},
            headers=city.auth("triager"),
        )
        assert response.status_code == 201, response.text
    comments = await client.get(f"/api/v1/problems/{problem['id']}/comments", headers=reader)
    assert [item["body"] for item in comments.json()["items"]] == ["A all note"]


# -- managing accounts ---------------------------------------------------------------------------


async def test_only_admins_manage_service_accounts(client: Client, city: City) -> None:
    body = {"name": "data-platform", "scopes": ["feed:read"]}
    for who in ("requester", "triager", "leader"):
        response = await client.post("/api/v1/service-accounts", json=body, headers=city.auth(who))
        assert_problem_json(response, 403)
        assert_problem_json(
            await client.get("/api/v1/service-accounts", headers=city.auth(who)), 403
        )
    created = await client.post("/api/v1/service-accounts", json=body, headers=city.auth("admin"))
    assert created.status_code == 201, created.text
    assert (
        created.headers["location"] == f"/api/v1/service-accounts/{created.json()['account']['id']}"
    )
    listed = await client.get("/api/v1/service-accounts", headers=city.auth("admin"))
    assert [item["name"] for item in listed.json()["items"]] == ["data-platform"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "x", "scopes": []}, 422, "scopes"),
        ({"name": "x", "scopes": ["problems:write"]}, 422, "scopes"),
        ({"name": "x", "scopes": ["feed:read"], "department": "ZZZ"}, 422, "department"),
        ({"name": "x", "scopes": ["webhooks:manage"], "department": "DOT"}, 422, "scopes"),
        ({"name": "x", "scopes": ["feed:read"], "expires_in_days": 0}, 422, "expires_in_days"),
        ({"name": "x", "scopes": ["feed:read"], "expires_in_days": 367}, 422, "expires_in_days"),
        ({"name": "  ", "scopes": ["feed:read"]}, 422, "name"),
        ({"name": "x", "scopes": ["feed:read"], "token": "mine"}, 422, None),
    ],
)
async def test_bad_accounts_are_refused(
    client: Client, city: City, body: dict[str, Any], status: int, field: str | None
) -> None:
    response = await client.post("/api/v1/service-accounts", json=body, headers=city.auth("admin"))
    problem = assert_problem_json(response, status)
    if field is not None:
        assert field in str(problem), problem


async def test_a_taken_name_is_a_conflict(client: Client, city: City) -> None:
    await create_account(client, city, "Data Platform", ["feed:read"])
    response = await client.post(
        "/api/v1/service-accounts",
        json={"name": "data platform", "scopes": ["portfolio:read"]},
        headers=city.auth("admin"),
    )
    assert_problem_json(response, 409)
