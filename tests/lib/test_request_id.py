"""Every response names its request (X-Request-ID), and so does every problem+json body, so
a person reporting an error and an operator reading the logs mean the same request."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import replace

import pytest

from intake.app import create_app
from intake.config import Settings
from intake.lib import logs
from tests.builders import City
from tests.conftest import Apps
from tests.helpers import Client, assert_problem_json, served

GENERATED = re.compile(r"[0-9a-f]{32}")


async def test_a_sane_request_id_from_a_trusted_proxy_is_kept(
    client: Client, city: City, apps: Apps, settings: Settings
) -> None:
    """Loopback is trusted by default (a proxy on the same host); the test client, which is
    no address at all, is not (see the next tests)."""
    async with apps.serving(settings) as proxied:
        for given in ("7b1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11", "lb-4f2a:17", "Root=1-67a8/xyz+=="):
            response = await proxied.get(
                "/api/v1/me", headers={**city.auth("requester"), "X-Request-ID": given}
            )
            assert response.status_code == 200
            assert response.headers["X-Request-ID"] == given
        missing = await proxied.get("/api/v1/me", headers={"X-Request-ID": "support-ticket-42"})
        assert assert_problem_json(missing, 401)["request_id"] == "support-ticket-42"


async def test_a_proxy_that_forwards_the_client_address_still_names_the_request(
    city: City, settings: Settings, database_url: str
) -> None:
    """uvicorn would take the peer's address from X-Forwarded-For; Intake runs it so that
    the proxy, not the client behind it, is the peer INTAKE_TRUSTED_PROXIES judges."""
    app = create_app(settings, database_url)
    async with served(app, **logs.UVICORN_OPTIONS) as proxied:
        response = await proxied.get(
            "/api/v1/me",
            headers={
                **city.auth("requester"),
                "X-Forwarded-For": "203.0.113.7",
                "X-Request-ID": "nginx-5f2a",
            },
        )
        assert response.status_code == 200
        assert response.headers["X-Request-ID"] == "nginx-5f2a"


async def test_a_request_id_from_anyone_else_is_replaced(
    client: Client, city: City, apps: Apps, settings: Settings
) -> None:
    """A client cannot pass itself off as another request in the logs."""
    elsewhere = replace(settings, trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),))
    async with apps.serving(elsewhere) as direct:
        response = await direct.get(
            "/api/v1/me", headers={**city.auth("requester"), "X-Request-ID": "lb-4f2a:17"}
        )
        assert response.status_code == 200
        assert GENERATED.fullmatch(response.headers["X-Request-ID"])
    untrusted = await client.get("/api/v1/me", headers={"X-Request-ID": "support-ticket-42"})
    rid = assert_problem_json(untrusted, 401)["request_id"]
    assert GENERATED.fullmatch(rid)
    assert rid == untrusted.headers["X-Request-ID"]


@pytest.mark.parametrize(
    "given",
    [None, "", "two words", "x" * 129, "-leading-dash", "tab\there", "ünïcode".encode()],
    ids=["absent", "empty", "space", "too-long", "leading-dash", "control", "non-ascii"],
)
async def test_any_other_request_gets_an_id_of_its_own(
    client: Client, city: City, given: str | bytes | None
) -> None:
    headers: dict[str, str | bytes] = {**city.auth("requester")}
    if given is not None:
        headers["X-Request-ID"] = given
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


async def test_two_requests_get_two_ids(client: Client) -> None:
    first, second = [await client.get("/health/live") for _ in range(2)]
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


async def test_problem_bodies_carry_the_request_id(client: Client, city: City) -> None:
    """Errors raised anywhere, before a route is found too, name the request they answer."""
    cases = [
        ("GET", "/api/v1/me", {}),  # 401 from the authentication middleware
        ("GET", "/api/v1/no-such-thing", city.auth("requester")),  # 404, no route
        ("POST", "/api/v1/problems", city.auth("requester")),  # 4xx from validation
    ]
    for method, path, headers in cases:
        response = await client.request(method, path, content=b"{not json", headers=headers)
        assert response.status_code >= 400
        body = assert_problem_json(response, response.status_code)
        assert GENERATED.fullmatch(body["request_id"])
        assert body["request_id"] == response.headers["X-Request-ID"]
