"""Authentication: every API route needs a valid token naming an active, registered person."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar import Litestar
from litestar.testing import AsyncTestClient

from intake.app import create_app
from intake.config import OIDCSettings, Settings
from intake.web.auth import LocalKeys
from tests.conftest import EMAILS, City
from tests.helpers import Client, api_routes, assert_problem_json


async def test_every_api_route_rejects_requests_without_a_token(
    client: Client, app: Litestar
) -> None:
    routes = api_routes(app)
    assert len(routes) >= 15
    for method, path in routes:
        response = await client.request(method, path, json={})
        body = assert_problem_json(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert body["instance"] == path


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not.a.jwt",
        "Token abc",
    ],
)
async def test_malformed_authorization_is_401(client: Client, city: City, header: str) -> None:
    response = await client.get("/api/v1/me", headers={"Authorization": header})
    assert_problem_json(response, 401)


async def test_expired_token_is_401(client: Client, city: City, keys: LocalKeys) -> None:
    token = keys.issue(EMAILS["requester"], ttl=timedelta(seconds=-5))
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert "expired" in assert_problem_json(response, 401)["detail"]


async def test_a_token_that_worked_is_refused_once_it_expires(
    client: Client, city: City, keys: LocalKeys
) -> None:
    # The process remembers tokens it has verified; the memory must not outlive the token.
    token = keys.issue(EMAILS["requester"], ttl=timedelta(seconds=2))
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    await asyncio.sleep(max(0.0, expires - datetime.now(UTC).timestamp()) + 0.05)
    response = await client.get("/api/v1/me", headers=headers)
    assert "expired" in assert_problem_json(response, 401)["detail"]


async def test_forged_token_is_401(client: Client, city: City, tmp_path) -> None:  # type: ignore[no-untyped-def]
    forger = LocalKeys(tmp_path)
    token = forger.issue(EMAILS["admin"])
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem_json(response, 401)


async def test_unsigned_token_is_401(client: Client, city: City) -> None:
    token = jwt.encode(
        {"email": EMAILS["admin"], "iss": "intake-local", "aud": "intake", "exp": 2_000_000_000},
        key=None,
        algorithm="none",
    )
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem_json(response, 401)


async def test_unknown_and_deactivated_people_are_401(
    client: Client, city: City, keys: LocalKeys
) -> None:
    # PostgreSQL text cannot hold NUL: no one is registered with such an e-mail.
    for email in ("stranger@city.example", EMAILS["inactive"], "nul\x00@city.example"):
        token = keys.issue(email)
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert_problem_json(response, 401)


async def test_me_shows_department_and_roles(client: Client, city: City) -> None:
    response = await client.get("/api/v1/me", headers=city.auth("triager"))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == EMAILS["triager"]
    assert body["department"]["code"] == "DTI"
    assert body["roles"] == ["triager"]


async def test_email_match_ignores_case(client: Client, city: City, keys: LocalKeys) -> None:
    token = keys.issue(EMAILS["admin"].upper())
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


# -- production: OIDC with a JWKS served on loopback ---------------------------------------------


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[tuple[rsa.RSAPrivateKey, str]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = json.dumps({"keys": [{**jwk, "kid": "city-1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield key, f"http://127.0.0.1:{server.server_port}/jwks.json"
    finally:
        server.shutdown()


def _idp_token(key: rsa.RSAPrivateKey, **overrides: object) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": "https://login.city.example",
        "aud": "intake-api",
        "sub": "00u1",
        "email": EMAILS["triager"],
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "city-1"})


async def test_oidc_tokens_are_verified_against_the_jwks(
    settings: Settings,
    database_url: str,
    city: City,
    identity_provider: tuple[rsa.RSAPrivateKey, str],
) -> None:
    key, jwks_url = identity_provider
    oidc = OIDCSettings(
        issuer="https://login.city.example", audience="intake-api", jwks_url=jwks_url
    )
    app = create_app(replace(settings, oidc=oidc), database_url)
    async with AsyncTestClient(app=app) as client:
        good = await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {_idp_token(key)}"}
        )
        assert good.status_code == 200
        assert good.json()["email"] == EMAILS["triager"]
        for bad in (
            _idp_token(key, aud="someone-else"),
            _idp_token(key, iss="https://evil.example"),
            _idp_token(key, exp=datetime.now(UTC) - timedelta(minutes=1)),
            _idp_token(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            city.keys.issue(EMAILS["triager"]),  # a local token is no good in OIDC mode
        ):
            response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"})
            assert_problem_json(response, 401)


async def test_a_refused_person_leaves_no_database_connection_behind(
    app: Litestar, client: Client, city: City, keys: LocalKeys
) -> None:
    """The request's session is opened before the caller is looked up; a 401 there must
    still hand its connection back to the pool, not leave it to the garbage collector."""
    pool = app.state.engine.pool
    for email in ("stranger@city.example", EMAILS["inactive"]):
        token = keys.issue(email)
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert_problem_json(response, 401)
        assert pool.checkedout() == 0
