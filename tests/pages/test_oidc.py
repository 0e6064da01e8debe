"""Signing in to the pages with OIDC (authorization code + PKCE) against a small fake
provider served over real HTTP on loopback."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar.testing import AsyncTestClient

from intake.app import create_app
from intake.config import OIDCSettings, Settings
from tests.builders import City

CLIENT_ID = "intake-pages"


@dataclass
class FakeProvider:
    """An identity provider that signs whoever ``email`` names in, and checks PKCE."""

    base: str = ""
    email: str = "rosa.diaz@city.example"
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)


def _handler(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(
                    200,
                    {
                        "issuer": provider.base,
                        "authorization_endpoint": provider.base + "/authorize",
                        "token_endpoint": provider.base + "/token",
                        "jwks_uri": provider.base + "/jwks",
                    },
                )
            elif url.path == "/jwks":
                jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key()))
                self._json(200, {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
            elif url.path == "/authorize":
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                code = f"code-{len(provider.codes)}"
                provider.codes[code] = query
                back = urlencode({"code": code, "state": query["state"]})
                self.send_response(302)
                self.send_header("Location", f"{query['redirect_uri']}?{back}")
                self.end_headers()
            else:
                self._json(404, {})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            provider.token_requests.append(form)
            started = provider.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if started is None or started["code_challenge"] != challenge:
                self._json(400, {"error": "invalid_grant"})
                return
            now = int(time.time())
            id_token = jwt.encode(
                {
                    "iss": provider.base,
                    "aud": CLIENT_ID,
                    "sub": "someone",
                    "email": provider.email,
                    "nonce": started["nonce"],
                    "iat": now,
                    "exp": now + 300,
                },
                provider.key,
                algorithm="RS256",
                headers={"kid": "k1"},
            )
            self._json(200, {"id_token": id_token, "token_type": "Bearer"})

    return Handler


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    fake = FakeProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    # shutdown() returns at the server's next poll: poll often
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _oidc_app(settings: Settings, database_url: str, provider: FakeProvider) -> Any:
    oidc = OIDCSettings(
        issuer=provider.base,
        audience="intake",
        jwks_url=provider.base + "/jwks",
        client_id=CLIENT_ID,
    )
    return create_app(replace(settings, oidc=oidc), database_url)


async def test_sign_in_with_the_city_provider_and_pkce(
    city: City, settings: Settings, database_url: str, provider: FakeProvider
) -> None:
    app = _oidc_app(settings, database_url, provider)
    async with AsyncTestClient(app=app) as client, httpx.AsyncClient() as browser:
        assert (await client.get("/sign-in")).status_code == 404  # no demo sign-in here
        start = await client.get("/auth/login?next=/inbox", follow_redirects=False)
        assert start.status_code == 303
        authorize = start.headers["location"]
        assert authorize.startswith(provider.base + "/authorize?")
        query = parse_qs(urlsplit(authorize).query)
        assert query["code_challenge_method"] == ["S256"]
        assert query["client_id"] == [CLIENT_ID]
        assert "code_verifier" not in query

        # The browser goes to the provider over real HTTP and is sent back with a code.
        back = await browser.get(authorize)
        assert back.status_code == 302
        callback = urlsplit(back.headers["location"])
        assert callback.path == "/auth/callback"

        forged = await client.get(
            "/auth/callback?" + urlencode({"code": "code-0", "state": "forged"}),
            follow_redirects=False,
        )
        assert forged.status_code == 401
        assert "was not started here" in forged.text

        signed_in = await client.get(f"/auth/callback?{callback.query}", follow_redirects=False)
        assert signed_in.status_code == 303, signed_in.text
        assert signed_in.headers["location"] == "/inbox"
        assert provider.token_requests[-1]["client_id"] == CLIENT_ID
        inbox = await client.get("/inbox")
        assert inbox.status_code == 200
        assert "Signed in as Rosa Diaz" in inbox.text


async def test_an_unregistered_person_from_the_provider_is_not_signed_in(
    city: City, settings: Settings, database_url: str, provider: FakeProvider
) -> None:
    provider.email = "stranger@elsewhere.example"
    app = _oidc_app(settings, database_url, provider)
    async with AsyncTestClient(app=app) as client, httpx.AsyncClient() as browser:
        start = await client.get("/auth/login", follow_redirects=False)
        back = await browser.get(start.headers["location"])
        callback = urlsplit(back.headers["location"])
        response = await client.get(f"/auth/callback?{callback.query}", follow_redirects=False)
        assert response.status_code == 401
        assert "is not registered in Intake" in response.text
        home = await client.get("/", follow_redirects=False)
        assert home.status_code == 303


async def test_a_next_too_long_or_unprintable_to_keep_goes_home_instead(
    city: City, settings: Settings, database_url: str, provider: FakeProvider
) -> None:
    app = _oidc_app(settings, database_url, provider)
    async with AsyncTestClient(app=app) as client, httpx.AsyncClient() as browser:
        for target in ("/" + "x" * 600, "/inbox\x00", "/inbox\r\nSet-Cookie: a=b"):
            start = await client.get(
                "/auth/login?" + urlencode({"next": target}), follow_redirects=False
            )
            assert start.status_code == 303, start.text
            back = await browser.get(start.headers["location"])
            callback = urlsplit(back.headers["location"])
            done = await client.get(f"/auth/callback?{callback.query}", follow_redirects=False)
            assert done.status_code == 303, done.text
            assert done.headers["location"] == "/"
