"""Authentication: every API route needs a valid token naming an active, registered person."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar import Litestar
from litestar.testing import AsyncTestClient

from intake.app import create_app
from intake.config import OIDCSettings, Settings
from intake.lib.jwks import BACKOFF_SECONDS
from intake.web.auth import LocalKeys
from tests.builders import EMAILS, City
from tests.helpers import Client, api_routes, assert_problem_json, served, until


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
    # shutdown() returns at the server's next poll: poll often
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
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


# -- OIDC while the identity provider fails ----------------------------------------------------


class FlakyProvider:
    """A JWKS endpoint on loopback that a test can break: ``down`` answers 500, ``hold``
    keeps each request waiting until ``release``; ``fetches`` counts the requests."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.down = False
        self.fetches = 0
        self._open = threading.Event()
        self._open.set()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.fetches += 1
                provider._open.wait(60)
                if provider.down:
                    self.send_response(500)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(provider.jwks())

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks.json"

    def publish(self, *kids: str) -> None:
        for kid in kids:
            self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> bytes:
        keys = [
            {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": kid}
            for kid, key in self.keys.items()
        ]
        return json.dumps({"keys": keys}).encode()

    def token(self, kid: str) -> dict[str, str]:
        """Authorization for the triager, signed with the key ``kid`` (published or not)."""
        key = self.keys.get(kid) or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.now(UTC)
        claims = {
            "iss": "https://login.city.example",
            "aud": "intake-api",
            "email": EMAILS["triager"],
            "exp": now + timedelta(minutes=5),
        }
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
        return {"Authorization": f"Bearer {token}"}

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()


@pytest.fixture
def flaky_provider() -> Iterator[FlakyProvider]:
    provider = FlakyProvider()
    # shutdown() returns at the server's next poll: poll often
    thread = threading.Thread(target=provider.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        provider.release()
        provider.server.shutdown()


def _oidc_app(settings: Settings, database_url: str, provider: FlakyProvider) -> Litestar:
    oidc = OIDCSettings(
        issuer="https://login.city.example",
        audience="intake-api",
        jwks_url=provider.url,
        # A held fetch waits for the test to release it, however busy the machine is.
        jwks_timeout_seconds=120.0,
    )
    return create_app(replace(settings, oidc=oidc), database_url)


async def test_a_failing_identity_provider_is_asked_once_and_then_given_time(
    settings: Settings, database_url: str, city: City, flaky_provider: FlakyProvider
) -> None:
    """Sign-ins with new keys while the provider fails share one fetch, are told 503 with
    Retry-After, and ask it nothing more until the back-off has passed."""
    provider = flaky_provider
    provider.down = True
    provider.hold()
    async with served(_oidc_app(settings, database_url, provider)) as client:
        first = asyncio.create_task(client.get("/api/v1/me", headers=provider.token("new-1")))
        await until(lambda: provider.fetches == 1, "the first fetch")
        others = [
            asyncio.create_task(client.get("/api/v1/me", headers=provider.token(f"new-{n}")))
            for n in range(2, 6)
        ]
        await asyncio.sleep(0.2)  # let them reach the fetch under way (they need not)
        provider.release()
        released_at = time.monotonic()  # the fetch fails after this
        for response in await asyncio.gather(first, *others):
            assert_problem_json(response, 503)
            assert int(response.headers["Retry-After"]) >= 1
        assert provider.fetches == 1 or time.monotonic() - released_at >= BACKOFF_SECONDS[0]

        # Backing off: another new key is answered 503 without asking the provider, unless
        # the back-off has run out meanwhile (only on a very busy machine).
        response = await client.get("/api/v1/me", headers=provider.token("new-6"))
        assert_problem_json(response, 503)
        assert provider.fetches == 1 or time.monotonic() - released_at >= BACKOFF_SECONDS[0]
        fetched = provider.fetches

        # The provider is back with its new keys: after the back-off one fetch serves them all.
        provider.publish(*(f"new-{n}" for n in range(1, 7)))
        provider.down = False
        for _ in range(60):
            response = await client.get("/api/v1/me", headers=provider.token("new-1"))
            if response.status_code != 503:
                break
            await asyncio.sleep(float(response.headers["Retry-After"]))
        assert response.status_code == 200, response.text
        for n in range(2, 7):
            response = await client.get("/api/v1/me", headers=provider.token(f"new-{n}"))
            assert response.status_code == 200
        assert provider.fetches == fetched + 1


async def test_a_token_signed_with_a_known_key_never_waits_for_the_identity_provider(
    settings: Settings, database_url: str, city: City, flaky_provider: FlakyProvider
) -> None:
    provider = flaky_provider
    provider.publish("city-1", "city-2")
    async with served(_oidc_app(settings, database_url, provider)) as client:
        signed_in = await client.get("/api/v1/me", headers=provider.token("city-1"))
        assert signed_in.status_code == 200
        assert provider.fetches == 1

        provider.hold()  # the provider stops answering
        stranger: asyncio.Task[httpx.Response] | None = None
        while stranger is None:
            attempt = asyncio.create_task(
                client.get("/api/v1/me", headers=provider.token("city-9"))
            )
            await until(
                lambda task=attempt: provider.fetches == 2 or task.done(), "a fetch or a 401"
            )
            if provider.fetches == 2:
                stranger = attempt  # its fetch hangs
            else:  # the keys were fetched under a second ago: an unknown key is refused
                assert_problem_json(attempt.result(), 401)
                await asyncio.sleep(0.2)

        # city-2 came with the first fetch: its token is checked while that fetch hangs.
        known = await client.get("/api/v1/me", headers=provider.token("city-2"))
        assert known.status_code == 200
        assert not stranger.done()
        provider.release()
        assert_problem_json(await stranger, 401)  # the provider publishes no city-9
