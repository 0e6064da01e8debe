"""Service accounts: integrations that read Intake with API tokens, never as a person.

An admin creates an account with scopes and, optionally, a department; each token is
``intake_sa_<token id>_<secret>``, a random 256-bit secret of which only the SHA-256 is
stored, shown once when issued. A token is checked against the database on every request,
so revoking or expiring it takes effect on the next one.

**What an account may reach.** ``ROUTE_SCOPES`` is the one table: a route outside it, or
whose scope the account lacks, is a 403 before its handler runs (``caller_for``), so no
person-only code path (submitting, triage, comments, watching) is ever reached by one. Within
its scopes an account reads as leadership does, in no department and collaborating on
nothing (as webhooks do, ``intake.webhooks.service.RECEIVER``): every submitted problem and
no DTI-internal event; a department-scoped one only that department's problems
(``guards.visible_to``, ``portfolio.scope``). ``webhooks:manage`` manages subscriptions as
an admin would; one it creates names the account as its creator.

Services never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from intake.accounts import schemas
from intake.db.models import Department, ServiceAccount, ServiceToken
from intake.lib.clock import utcnow
from intake.lib.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    ValidationFailed,
)
from intake.lib.pagination import page_of, seek
from intake.lib.schema import from_row
from intake.registry import service as registry
from intake.registry.schemas import DepartmentRef
from intake.web.auth import SERVICE_TOKEN_PREFIX, Caller, UncheckedServiceToken

# last_used_at is written when it is older than this: a reader polling every second costs
# one write a minute, not one a request.
LAST_USED_EVERY = timedelta(minutes=1)

READS = frozenset({"GET", "HEAD"})
ANY = frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"})
# Path prefix (under /api/v1), the methods, the scope that opens them. Nothing else is open.
ROUTE_SCOPES: tuple[tuple[str, frozenset[str], schemas.Scope], ...] = (
    ("/api/v1/events", READS, "feed:read"),
    ("/api/v1/portfolio", READS, "portfolio:read"),
    ("/api/v1/problems", READS, "problems:read"),
    ("/api/v1/webhooks", ANY, "webhooks:manage"),
)

_NOBODY = uuid.UUID(int=0)
NEVER_A_PERSON = "A service account cannot do this: it never acts as a person."


def scope_needed(method: str, path: str) -> schemas.Scope | None:
    """The scope that lets a service account make this request; None: none does."""
    path = path.rstrip("/") or "/"
    for prefix, methods, scope in ROUTE_SCOPES:
        if (path == prefix or path.startswith(prefix + "/")) and method in methods:
            return scope
    return None


def route_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The route's template (``/api/v1/problems/{problem_id:uuid}``), as the router matched
    it: what the request reaches, however its path was spelled."""
    return str(connection.scope.get("path_template") or connection.url.path)


class PeopleOnly:
    """ASGI middleware of the API's router, once the token is verified (and counted): a
    service token on a route no scope opens is refused at once (403), before its body is
    read, whatever it carries; ``caller_for`` does the rest. (A middleware, not a guard:
    Litestar copies the route handler for every guard it runs.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if isinstance(scope.get("user"), UncheckedServiceToken):
            path = str(scope.get("path_template") or scope["path"])
            if scope_needed(str(scope.get("method", "GET")), path) is None:
                raise Forbidden(NEVER_A_PERSON)
        await self.app(scope, receive, send)


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def authenticate(session: AsyncSession, token: str) -> ServiceAccount:
    """The account a token belongs to; 401 unless it is known, unrevoked and unexpired.
    Notes when the token was used, at most once per LAST_USED_EVERY."""
    invalid = NotAuthenticated("The service token is not valid.")
    token_id, _, secret = token.removeprefix(SERVICE_TOKEN_PREFIX).partition("_")
    try:
        key = uuid.UUID(hex=token_id)
    except ValueError:
        raise invalid from None
    if len(token_id) != 32 or not secret:
        raise invalid
    row = (
        await session.execute(
            select(
                ServiceToken.secret_sha256,
                ServiceToken.expires_at,
                ServiceToken.revoked_at,
                ServiceToken.last_used_at,
                ServiceAccount,
            )
            .join(ServiceAccount, ServiceAccount.id == ServiceToken.account_id)
            .where(ServiceToken.id == key)
        )
    ).first()
    # compare_digest: the time taken says nothing about how much of the secret matched.
    if row is None or not hmac.compare_digest(row.secret_sha256, _hash(secret)):
        raise invalid
    now = utcnow()
    if row.revoked_at is not None:
        raise NotAuthenticated("This service token has been revoked.")
    if row.expires_at <= now:
        raise NotAuthenticated("This service token has expired; issue a new one.")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        await session.execute(
            update(ServiceToken).where(ServiceToken.id == key).values(last_used_at=now)
        )
    account: ServiceAccount = row.ServiceAccount
    return account


async def caller_for(session: AsyncSession, token: str, method: str, path: str) -> Caller:
    """Whom a service token's request reads as: 401 for a bad token, 403 outside the
    account's scopes (everything a person does among it)."""
    account = await authenticate(session, token)
    needed = scope_needed(method, path)
    if needed is None:
        raise Forbidden(NEVER_A_PERSON)
    if needed not in account.scopes:
        raise Forbidden(f"This service account lacks the scope {needed}.")
    return Caller(
        id=account.id,
        email="",
        name=f"service account {account.name}",
        department_id=_NOBODY,
        department_code="",
        roles=frozenset({"admin" if needed == "webhooks:manage" else "leadership"}),
        service_account=True,
        only_department=account.department_id,
    )


# -- managing accounts (admins) -----------------------------------------------------------------


def _token_out(row: ServiceToken) -> schemas.Token:
    return from_row(schemas.Token, row)


async def account_out(session: AsyncSession, row: ServiceAccount) -> schemas.ServiceAccount:
    tokens = (
        await session.scalars(
            select(ServiceToken)
            .where(ServiceToken.account_id == row.id)
            .order_by(ServiceToken.created_at.desc(), ServiceToken.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    department = None
    if row.department_id is not None:
        dept = await session.get(Department, row.department_id)
        if dept is not None:
            department = from_row(DepartmentRef, dept)
    tokens_out = [_token_out(token) for token in tokens]
    return from_row(
        schemas.ServiceAccount,
        row,
        scopes=list(row.scopes),
        department=department,
        tokens=tokens_out,
    )


async def _issue(
    session: AsyncSession, account: ServiceAccount, days: int
) -> tuple[str, ServiceToken]:
    secret, now = secrets.token_urlsafe(32), utcnow()
    row = ServiceToken(
        id=uuid.uuid4(),
        account_id=account.id,
        secret_sha256=_hash(secret),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return f"{SERVICE_TOKEN_PREFIX}{row.id.hex}_{secret}", row


async def _issued(
    session: AsyncSession, account: ServiceAccount, token: str, row: ServiceToken
) -> schemas.IssuedToken:
    await session.refresh(account)
    return schemas.IssuedToken(
        account=await account_out(session, account),
        token=token,
        token_id=row.id,
        expires_at=row.expires_at,
    )


async def create_account(
    session: AsyncSession, data: schemas.ServiceAccountCreate
) -> schemas.IssuedToken:
    """A new account and its first token; 409 if the name is taken (any case)."""
    scopes = sorted(set(data.scopes))
    department_id = None
    if data.department is not None:
        department_id = (
            await registry.department_by_code(session, data.department, "department")
        ).id
        if "webhooks:manage" in scopes:
            raise ValidationFailed(
                "A department-scoped account cannot manage webhooks.",
                [
                    FieldError(
                        "scopes",
                        "webhooks:manage needs a city-wide account: subscriptions receive "
                        "every department's events",
                    )
                ],
            )
    taken = await session.scalar(
        select(ServiceAccount.id).where(func.lower(ServiceAccount.name) == data.name.lower())
    )
    if taken is not None:
        raise Conflict(f"A service account named {data.name!r} exists already.")
    account = ServiceAccount(
        name=data.name,
        description=data.description.strip(),
        scopes=scopes,
        department_id=department_id,
    )
    session.add(account)
    await session.flush()
    token, row = await _issue(session, account, data.expires_in_days)
    return await _issued(session, account, token, row)


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> ServiceAccount:
    row = await session.get(ServiceAccount, account_id, populate_existing=True)
    if row is None:
        raise NotFound(f"No service account {account_id}.")
    return row


async def account_by_name(session: AsyncSession, name: str) -> ServiceAccount:
    row = await session.scalar(
        select(ServiceAccount).where(func.lower(ServiceAccount.name) == name.strip().lower())
    )
    if row is None:
        raise NotFound(f"No service account named {name!r}.")
    return row


async def list_accounts(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> tuple[list[schemas.ServiceAccount], str | None]:
    """Accounts by name (any case), with their tokens."""
    query = seek(
        select(ServiceAccount), (func.lower(ServiceAccount.name),), cursor, (str,), limit=limit
    )
    rows, next_cursor = page_of(
        (await session.scalars(query)).all(), limit, lambda r: (r.name.lower(),)
    )
    return [await account_out(session, row) for row in rows], next_cursor


async def _revoke_all(session: AsyncSession, account: ServiceAccount, now: datetime) -> None:
    await session.execute(
        update(ServiceToken)
        .where(ServiceToken.account_id == account.id, ServiceToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def rotate(session: AsyncSession, account: ServiceAccount, days: int) -> schemas.IssuedToken:
    """A new token; every earlier one is revoked (from the next request on)."""
    await _revoke_all(session, account, utcnow())
    token, row = await _issue(session, account, days)
    return await _issued(session, account, token, row)


async def revoke(session: AsyncSession, account: ServiceAccount) -> schemas.ServiceAccount:
    """Revoke every token of the account (from the next request on); the account stays."""
    await _revoke_all(session, account, utcnow())
    return await account_out(session, account)
