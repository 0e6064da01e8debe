"""Signing in with the city's OIDC provider: the authorization code flow with PKCE.

The provider's endpoints come from its discovery document at the issuer. The ID token it
returns is verified like an API token (``OIDCVerifier``: its JWKS, issuer, expiry), for
Intake's client id, and must carry the nonce this sign-in started with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx

from intake.config import OIDCSettings
from intake.pages.deps import NotAuthenticated, OIDCVerifier

TIMEOUT = httpx.Timeout(5.0)


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def challenge(verifier: str) -> str:
    """PKCE S256: the verifier's SHA-256, base64url without padding."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def client_id(settings: OIDCSettings) -> str:
    return settings.client_id or settings.audience


async def discover(settings: OIDCSettings) -> dict[str, Any]:
    url = settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        try:
            response = await client.get(url)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise NotAuthenticated(f"The sign-in service cannot be reached: {error}") from None
    return document


async def authorization_url(
    settings: OIDCSettings, redirect_uri: str, state: str, verifier: str, nonce: str
) -> str:
    document = await discover(settings)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id(settings),
            "redirect_uri": redirect_uri,
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return f"{document['authorization_endpoint']}?{query}"


async def email_for_code(
    settings: OIDCSettings,
    verifier_of_tokens: OIDCVerifier,
    code: str,
    redirect_uri: str,
    pkce_verifier: str,
    nonce: str,
) -> str:
    """Exchange the code for tokens and return the e-mail the verified ID token names."""
    document = await discover(settings)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id(settings),
        "code_verifier": pkce_verifier,
    }
    if settings.client_secret:
        form["client_secret"] = settings.client_secret
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        try:
            response = await client.post(document["token_endpoint"], data=form)
            response.raise_for_status()
            id_token = response.json()["id_token"]
        except (httpx.HTTPError, ValueError, KeyError) as error:
            raise NotAuthenticated(f"The sign-in service refused the sign-in: {error}") from None
    claims = await verifier_of_tokens.claims_for(str(id_token), client_id(settings))
    if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
        raise NotAuthenticated("The sign-in did not come back as it was started.")
    return verifier_of_tokens.email_in(claims)
