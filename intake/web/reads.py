"""Hot reads at the floor: one statement, no transaction, no ORM.

A read-only request that needs one statement gets a pooled connection without a
transaction (``pooled``): asyncpg runs the statement on its own, so the request pays no
BEGIN and no COMMIT. A single statement sees one snapshot, so it loses nothing
by it; a read of several statements that must agree keeps ``db_session`` instead.

The statement looks up the caller itself (``CALLER``, on the unique index on
``lower(email)``) and judges visibility in SQL (``visible``, the same rule as
``intake.problems.guards.visible_to``), so the caller costs no round trip of its own.
Its row becomes the response's msgspec structs directly: no entities, no identity map.

Service accounts are checked against the database (and noted as used) by
``intake.accounts``: their requests take the ordinary path. A route that serves both takes
one ``reader`` (``Reader``: a person's ``PersonReads``, or a service account's ``Account``),
so the request resolves one dependency, not one of each.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any, NamedTuple, TypeVar

import asyncpg
from litestar import Request
from litestar.exceptions import ClientException
from litestar.params import SkipValidation
from litestar.types import Scope
from sqlalchemy.engine.interfaces import PoolProxiedConnection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

from intake.db import driven
from intake.lib.errors import BadRequest, Forbidden, NotAuthenticated, ValidationFailed
from intake.lib.outages import database_unreachable
from intake.web.auth import DTI_ROLES, Caller, UncheckedServiceToken
from intake.web.transaction import request_sessions

# $1: the e-mail the token names, lower-cased; $2: the roles that see every submitted
# problem (``Caller.sees_everything_submitted``); $3: the DTI roles (``Caller.is_dti``).
PRIVILEGED_ROLES = sorted(DTI_ROLES | {"leadership"})
DTI_ROLE_LIST = sorted(DTI_ROLES)

_CALLER = """
c AS (
    SELECT p.id, p.email, p.name, p.department_id, p.roles, p.active, p.email_notifications,
           d.code AS department_code, d.name AS department_name,
           p.roles && CAST({privileged} AS varchar[]) AS privileged,
           p.roles && CAST({dti} AS varchar[]) AS dti
    FROM people p JOIN departments d ON d.id = p.department_id
    WHERE lower(p.email) = {email}
)"""
CALLER = _CALLER.format(email="$1", privileged="$2", dti="$3")
# CALLER in a SQLAlchemy ``text()``, whose parameters are named: compiled for asyncpg with
# CALLER_NAMED first in its text, they are $1 to $3 as ``fetch_as`` sends them.
CALLER_NAMED = _CALLER.format(
    email=":caller_email", privileged=":caller_privileged", dti=":caller_dti"
)
CALLER_PARAMS = ("caller_email", "caller_privileged", "caller_dti")


def visible(alias: str) -> str:
    """``guards.visible_to`` in SQL, over the problem ``alias`` for the caller row ``c``
    (a person: service accounts never come here). A change there changes this too."""
    return f"""(
        {alias}.department_id = c.department_id
        OR ({alias}.reference IS NOT NULL AND (
            NOT {alias}.restricted OR c.privileged OR EXISTS (
                SELECT 1 FROM problem_collaborators pc
                WHERE pc.problem_id = {alias}.id
                  AND (pc.department_id = c.department_id OR pc.person_id = c.id)))))"""


# The handlers' parameter ``reads`` (``provide_reads``). The dependencies here are Intake's
# own values, never a client's: Litestar's signature model need not check them again.
Reads = SkipValidation[asyncpg.Connection]


class Account(NamedTuple):
    """A request made with a service account's token: the request's transaction and the
    checked account."""

    session: AsyncSession
    caller: Caller


class PersonReads(NamedTuple):
    """A person's hot read: a pooled connection outside any transaction, and the e-mail the
    verified token names, as ``CALLER`` takes it."""

    connection: asyncpg.Connection
    email: str


# The handlers' parameter ``reader`` (``intake.app``'s ``provide_reader``): a person reads
# in one statement; a service account through the services, in its checked transaction.
Reader = SkipValidation[PersonReads | Account]

T = TypeVar("T")


class BindArgs:
    """A statement's bind parameters after its first ``fixed`` (the caller's three, and any
    the statement always takes), numbered as they are added."""

    def __init__(self, fixed: int) -> None:
        self.fixed = fixed
        self.values: list[object] = []

    def __call__(self, value: object, cast_to: str) -> str:
        self.values.append(value)
        return f"${len(self.values) + self.fixed}::{cast_to}"


async def read_by(
    reader: PersonReads | Account,
    service: Callable[..., Awaitable[T]],
    lean: Callable[..., Awaitable[T]],
    *args: Any,
    **kwargs: Any,
) -> T:
    """What ``reader`` reads: ``lean(connection, email, *args, **kwargs)``, one statement, for
    a person; ``service(session, caller, *args, **kwargs)`` for a service account."""
    if isinstance(reader, Account):
        return await service(*reader, *args, **kwargs)
    return await lean(*reader, *args, **kwargs)


def person_email(request: Request[Any, Any, Any]) -> str | None:
    """The e-mail of the person the verified token names, as ``CALLER`` takes it; None for
    a service account's token."""
    user = request.user
    if isinstance(user, UncheckedServiceToken):
        return None
    return str(user).strip().lower()


def person_only(request: Request[Any, Any, Any]) -> str:
    """``person_email`` on a route no service account reaches (the router's guard refused
    it already)."""
    email = person_email(request)
    if email is None:
        raise Forbidden("A service account cannot do this: it never acts as a person.")
    return email


async def fetch_as(
    connection: asyncpg.Connection, email: str, sql: str, *args: Any
) -> Sequence[asyncpg.Record]:
    """The rows of ``sql`` (built on ``CALLER``) for the person ``email``; 401 as
    ``load_caller`` says it when nobody active has that e-mail. Every row has the column
    ``caller_active``; with no caller there is no row."""
    unregistered = NotAuthenticated("The token names a person who is not registered in Intake.")
    if "\x00" in email:  # PostgreSQL text cannot hold NUL: nobody has such an e-mail
        raise unregistered
    try:
        rows: list[asyncpg.Record] = await connection.fetch(
            sql, email, PRIVILEGED_ROLES, DTI_ROLE_LIST, *args
        )
    except asyncpg.exceptions.InternalClientError as error:
        raise driven.out_of_step(connection, error) from error
    if not rows:
        raise unregistered
    if not rows[0]["caller_active"]:
        raise NotAuthenticated("This person has been deactivated.")
    return rows


async def provide_reads(
    request: Request[Any, Any, Any],
) -> AsyncGenerator[asyncpg.Connection, None]:
    """A pooled connection outside any transaction, for reads of one statement each
    (``pooled``), returned to the pool once the handler has answered."""
    async with pooled(request) as connection:
        yield connection


@asynccontextmanager
async def pooled(request: Request[Any, Any, Any]) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection outside any transaction, for the block.

    It is the engine's own pool (the same limits, the same port-following on the embedded
    server), taken and given back in one hop each, with no ``AsyncConnection`` around it;
    the pool's reset on return sends nothing, as no transaction was begun. Should a later
    dependency fail and the block never end, ``RequestTransaction`` gives it back."""
    engine: AsyncEngine = request.app.state.engine
    proxied = await engine.raw_connection()
    checkout = Checkout(proxied)
    sessions = request_sessions(request.scope)
    sessions.keep(checkout)
    try:
        driver: asyncpg.Connection = proxied.driver_connection
        yield driver
    except Exception as error:
        if database_unreachable(error):
            # What SQLAlchemy does when its own statement finds the connection gone: this
            # one is dropped, and the pool opens new ones for the next requests (the others
            # went with the server). The request's answer is the 503 all the same.
            with suppress(Exception):
                await checkout.invalidate(error)
                await engine.dispose(close=False)
        raise
    finally:
        sessions.forget(checkout)
        await checkout.close()


class Checkout:
    """A connection taken from the engine's pool: given back once, however often it is
    closed, or dropped from the pool when it broke."""

    def __init__(self, proxied: PoolProxiedConnection) -> None:
        self._proxied: PoolProxiedConnection | None = proxied

    async def close(self) -> None:
        proxied, self._proxied = self._proxied, None
        if proxied is not None:
            # Giving it back may close it (past the pool's size): asyncpg is awaited then.
            await greenlet_spawn(proxied.close)

    async def invalidate(self, error: BaseException) -> None:
        proxied, self._proxied = self._proxied, None
        if proxied is not None:
            await greenlet_spawn(proxied.invalidate, error)


_CALLER_SQL = f"WITH {CALLER} SELECT c.active AS caller_active FROM c"


async def check_caller(connection: asyncpg.Connection, email: str) -> None:
    """401 as ``fetch_as`` says it, or nothing: for a read that must refuse an unknown
    caller before telling them their input is wrong (a cursor it did not make, say)."""
    await fetch_as(connection, email, _CALLER_SQL)


_PERSON_SQL = f"WITH {CALLER} SELECT c.active AS caller_active, c.* FROM c"


async def caller_of(connection: asyncpg.Connection, email: str) -> Caller:
    """The person ``email`` as ``load_caller`` gives them, in one statement outside any
    transaction (401 as it says it): for a read that goes on in a session elsewhere."""
    row = (await fetch_as(connection, email, _PERSON_SQL))[0]
    return Caller(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        department_id=row["department_id"],
        department_code=row["department_code"],
        roles=frozenset(row["roles"]),
    )


# In scope["state"]: what answers the request instead of its 400 or 422 (``check_invalid``).
_INSTEAD = "intake.refused_first"


async def check_invalid(exc: BaseException, scope: Scope) -> None:
    """Litestar's ``after_exception`` hook: a person's API request refused as unreadable or
    invalid (400, 422) is checked first, so a token naming nobody active gets its 401 (an
    outage its 503) and learns nothing of the input. ``reader`` and ``reads`` check the
    person in the handler's one statement, and Litestar validates parameters before the
    handler runs: this statement is on the error path only. ``answer_instead`` says it."""
    invalid = isinstance(exc, ValidationFailed | BadRequest) or (
        isinstance(exc, ClientException) and exc.status_code == 400
    )
    user = scope.get("user")
    if not invalid or user is None or not scope["path"].startswith("/api/"):
        return
    request: Request[Any, Any, Any] = Request(scope)
    email = person_email(request)
    if email is None:  # a service account's token: checked with its scopes, as ever
        return
    try:
        async with pooled(request) as connection:
            await check_caller(connection, email)
    except Exception as refused:
        scope.setdefault("state", {})[_INSTEAD] = refused


def answer_instead(request: Request[Any, Any, Any], exc: Exception) -> Exception:
    """The exception the request answers with: the caller's refusal ``check_invalid``
    found, or ``exc``."""
    refused: Exception = request.scope.get("state", {}).get(_INSTEAD, exc)
    return refused
