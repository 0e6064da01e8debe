"""Service accounts: the scope table, their tokens' life, and that they never act as a person.

The scope table is the access table's (tests/test_access.py) for service tokens: each row is
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

import uuid
from typing import Any

import asyncpg
from litestar import Litestar

from tests.conftest import City
from tests.helpers import Client, assert_problem_json, submitted

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
    # webhooks: managed as an admin would, except creating one (it names its creator)
    "GET    /webhooks":                                        "403 403 403 403 200 403",
    "POST   /webhooks":                                        REFUSED,
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
