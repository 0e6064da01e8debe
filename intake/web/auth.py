"""Bearer-token authentication and the one place that checks roles.

Production verifies tokens from the city's OIDC identity provider against its JWKS.
The embedded default signs tokens with a local Ed25519 key kept in the data folder, so
``intake token EMAIL`` can hand a developer a token. Either way the token only names a
person by e-mail; who they are, their department and roles live in Intake's database.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.config import OIDCSettings, Settings
from intake.db.models import Department, Person
from intake.lib.clock import utcnow
from intake.lib.errors import Forbidden, NotAuthenticated
from intake.lib.jwks import SigningKeys

LOCAL_ISSUER = "intake-local"
LOCAL_AUDIENCE = "intake"
DTI_ROLES = frozenset({"triager", "team_member", "admin"})
# A service account's API token (intake.accounts) starts with this; it is no JWT.
SERVICE_TOKEN_PREFIX = "intake_sa_"


class TokenVerifier(Protocol):
    async def email_for(self, token: str) -> str:
        """The e-mail a valid token names; NotAuthenticated otherwise."""
        ...


def _rejected(error: Exception) -> NotAuthenticated:
    if isinstance(error, jwt.ExpiredSignatureError):
        return NotAuthenticated("The token has expired; get a new one.")
    return NotAuthenticated(f"The token is not valid: {error}")


class VerifiedTokens:
    """Tokens this process has already verified, so a client's next request skips the check.

    A signed token never changes: once its signature and claims (``nbf`` included) check
    out it stays good until its ``exp``, which is checked again on every hit.
    Checking an Ed25519 signature and the claims costs about a tenth of a light request's
    CPU, and an OIDC token's JWKS lookup a hop to a thread, on every request of a client
    that polls with the same token. Bounded (least recently used out first) and keyed by
    the token's SHA-256, so no token is kept in memory. Only the e-mail is kept: who that
    is, and whether they are still active, is read from the database on every request.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._emails: OrderedDict[bytes, tuple[str, float]] = OrderedDict()

    def get(self, token: str) -> str | None:
        key = hashlib.sha256(token.encode()).digest()
        entry = self._emails.get(key)
        if entry is None:
            return None
        email, expires = entry
        if time.time() >= expires:  # PyJWT's rule: expired once exp <= now
            del self._emails[key]
            return None
        self._emails.move_to_end(key)
        return email

    def put(self, token: str, email: str, claims: dict[str, Any]) -> None:
        key = hashlib.sha256(token.encode()).digest()
        self._emails[key] = (email, float(claims["exp"]))
        self._emails.move_to_end(key)
        while len(self._emails) > self.size:
            self._emails.popitem(last=False)


class LocalKeys:
    """The embedded default: an Ed25519 key in ``<data_dir>/signing-key.pem``."""

    def __init__(self, data_dir: Path, ttl: timedelta = timedelta(hours=12)) -> None:
        self.path = data_dir / "signing-key.pem"
        self.ttl = ttl
        self._private = self._load_or_create()
        self._public = self._private.public_key()
        self._verified = VerifiedTokens()

    def _load_or_create(self) -> Ed25519PrivateKey:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:  # O_EXCL: two processes starting at once agree on one key
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(pem)
        key = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{self.path} is not an Ed25519 private key")
        return key

    def issue(self, email: str, ttl: timedelta | None = None) -> str:
        now = utcnow()
        claims = {
            "iss": LOCAL_ISSUER,
            "aud": LOCAL_AUDIENCE,
            "sub": email,
            "email": email,
            "iat": now,
            "nbf": now,
            "exp": now + (ttl or self.ttl),
        }
        return jwt.encode(claims, self._private, algorithm="EdDSA")

    async def email_for(self, token: str) -> str:
        known = self._verified.get(token)
        if known is not None:
            return known
        try:
            claims = jwt.decode(
                token,
                self._public,
                algorithms=["EdDSA"],
                audience=LOCAL_AUDIENCE,
                issuer=LOCAL_ISSUER,
                options={"require": ["exp", "iss", "aud", "email"]},
            )
        except jwt.PyJWTError as error:
            raise _rejected(error) from None
        email = str(claims["email"])
        self._verified.put(token, email, claims)
        return email


class OIDCVerifier:
    """Production: RS/ES-signed tokens from the identity provider, keys from its JWKS URL
    (``SigningKeys``: a known key never waits for the provider, failed fetches back off)."""

    def __init__(self, settings: OIDCSettings) -> None:
        self.settings = settings
        self._keys = SigningKeys(settings.jwks_url, timeout=settings.jwks_timeout_seconds)
        self._verified = VerifiedTokens()

    async def email_for(self, token: str) -> str:
        known = self._verified.get(token)
        if known is not None:
            return known
        claims = await self.claims_for(token, self.settings.audience)
        email = self.email_in(claims)
        self._verified.put(token, email, claims)
        return email

    async def claims_for(self, token: str, audience: str) -> dict[str, Any]:
        """The claims of a token the provider signed for ``audience``; NotAuthenticated
        otherwise. The pages' sign-in checks an ID token (audience: the client id) here."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as error:
            raise _rejected(error) from None
        key = await self._keys.key_for(kid if isinstance(kid, str) else "")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"],
                audience=audience,
                issuer=self.settings.issuer,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise _rejected(error) from None
        return claims

    def email_in(self, claims: dict[str, Any]) -> str:
        email = claims.get(self.settings.email_claim)
        if not isinstance(email, str) or not email:
            raise NotAuthenticated(f"The token has no '{self.settings.email_claim}' claim.")
        return email


def create_verifier(settings: Settings) -> TokenVerifier:
    if settings.oidc is not None:
        return OIDCVerifier(settings.oidc)
    return LocalKeys(settings.data_dir, timedelta(minutes=settings.token_ttl_minutes))


class BearerTokenMiddleware:
    """ASGI middleware: rejects any API request without a valid bearer token (401) before it
    reaches a handler, and names who made it in ``scope["user"]`` (``request.user``): the
    e-mail a verified token names, or a service account's ``UncheckedServiceToken``. A CORS
    preflight (``OPTIONS``) needs no token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] != "OPTIONS":
            token = _bearer_token(scope)
            if token.startswith(SERVICE_TOKEN_PREFIX):  # checked against the database later
                scope["user"] = UncheckedServiceToken(token)
            else:
                verifier: TokenVerifier = scope["litestar_app"].state.verifier
                scope["user"] = await verifier.email_for(token)
            scope["auth"] = token
        await self.app(scope, receive, send)


def _bearer_token(scope: Scope) -> str:
    """The token of the request's ``Authorization: Bearer`` header; 401 without one."""
    for name, value in scope["headers"]:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            break
    raise NotAuthenticated("Send 'Authorization: Bearer <token>'.")


@dataclass(frozen=True, slots=True)
class UncheckedServiceToken:
    """A service account's token, not yet checked: ``intake.accounts.service.authenticate``
    checks it, on every request. Its text names the token's id only (rate limits, logs)."""

    token: str = field(repr=False)

    def __str__(self) -> str:
        return "service-token:" + self.token.removeprefix(SERVICE_TOKEN_PREFIX)[:32]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who makes this request: a signed-in person, or a service account reading within its
    scopes (``service_account``; intake.accounts builds it, never ``load_caller``)."""

    id: uuid.UUID
    email: str
    name: str
    department_id: uuid.UUID
    department_code: str
    roles: frozenset[str]
    # A service account reading as leadership (intake.accounts), never a person; when
    # department-scoped, it sees that department's problems only (guards.visible_to).
    service_account: bool = False
    only_department: uuid.UUID | None = None

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_dti(self) -> bool:
        """DTI staff: triagers, product team members and operations admins."""
        return not self.roles.isdisjoint(DTI_ROLES)

    @property
    def sees_everything_submitted(self) -> bool:
        """DTI roles and leadership see restricted problems once they are submitted."""
        return self.is_dti or "leadership" in self.roles


def require_role(caller: Caller, *roles: str) -> None:
    """Raise 403 unless the caller holds one of ``roles``."""
    if not caller.has_role(*roles):
        raise Forbidden(f"This needs the role {' or '.join(roles)}.")


class Acting(NamedTuple):
    """The request's transaction and its checked caller, in the order the services take
    them: what a route that is not under a problem works with."""

    session: AsyncSession
    caller: Caller


def acting(caller: Caller, db_session: AsyncSession) -> Acting:
    return Acting(db_session, caller)


# A controller whose handlers take ``acting: Acting`` has these dependencies. A route for
# one role checks it in its handler (``intake.web.roles``), after its input: a 422 comes first.
ACTING = {"acting": Provide(acting, sync_to_thread=False)}


# Built once: building the statement on every request cost more than running it.
_CALLER = (
    select(
        Person.id,
        Person.email,
        Person.name,
        Person.department_id,
        Person.roles,
        Person.active,
        Department.code.label("department_code"),
    )
    .join(Department, Department.id == Person.department_id)
    .where(func.lower(Person.email) == bindparam("email"))
)


async def load_caller(session: AsyncSession, email: str) -> Caller:
    """The person a verified token names, looked up on every request.

    Never cached: deactivating someone or changing their roles takes effect on their very
    next request. One statement reading plain columns, no ORM entity.
    """
    if "\x00" in email:  # PostgreSQL text cannot hold NUL: nobody has such an e-mail
        return checked_caller(None, active=False)
    row = (await session.execute(_CALLER, {"email": email.strip().lower()})).first()
    return checked_caller(caller_in(row), active=row is not None and row.active)


def caller_in(row: Any, prefix: str = "") -> Caller | None:
    """The person a looked-up row holds (its ``id``, ``email``, ``name``, ``department_id``,
    ``department_code`` and ``roles``, each named with ``prefix``); None for no row."""
    if row is None:
        return None
    columns = row._mapping
    return Caller(
        id=columns[f"{prefix}id"],
        email=columns[f"{prefix}email"],
        name=columns[f"{prefix}name"],
        department_id=columns[f"{prefix}department_id"],
        department_code=columns[f"{prefix}department_code"],
        roles=frozenset(columns[f"{prefix}roles"]),
    )


def checked_caller(found: Caller | None, *, active: bool) -> Caller:
    """The person a token names, as looked up (None: nobody has that e-mail): 401 unless
    they are registered and active. ``load_caller``'s rule, for a statement that looks the
    caller up with what it reads (a submit's lock: ``intake.problems.submitting``)."""
    if found is None:
        raise NotAuthenticated("The token names a person who is not registered in Intake.")
    if not active:
        raise NotAuthenticated("This person has been deactivated.")
    return found
