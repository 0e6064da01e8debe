"""Idempotency-Key for creating POSTs: a retry gets the first response back.

The key is claimed by inserting a row inside the request's own transaction. A concurrent
request with the same key blocks on that row's unique index until the first commits, then
finds the stored response and replays it: two racing retries create one resource. If the
first request fails, its transaction (and claim) rolls back, and the retry runs afresh.

Keys are kept for ``KEPT_FOR`` (24 hours, as payment APIs do): long enough for any client's
retries, short enough that the table stays small. An older key is free to be used again, and
the periodic sweep (``forget_expired``) deletes expired ones.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.di import Provide
from litestar.params import HeaderParameter
from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.db.models import IdempotencyRecord
from intake.db.session import write_in_batches
from intake.lib.errors import Conflict, FieldError, ValidationFailed
from intake.lib.request import UNREADABLE_JSON
from intake.web.auth import Caller

REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# A key is 1 to MAX_KEY_LENGTH printable characters, once the white space around it (which
# str.strip() removes) is taken off. As a pattern (for the OpenAPI document too) over what a
# header holds (Latin-1): printable is space to ~ and \xa1 to \xff but the soft hyphen \xad.
_PRINTABLE = r"[ -~\xa1-\xac\xae-\xff]"
_VISIBLE = r"[!-~\xa1-\xac\xae-\xff]"
KEY_PATTERN = f"^{_VISIBLE}(?:{_PRINTABLE}{{0,{MAX_KEY_LENGTH - 2}}}{_VISIBLE})?$"
KEPT_FOR = timedelta(hours=24)

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        description="Any unique string; a retry with the same key returns the first response.",
    ),
]


def fingerprint(method: str, path: str, body: bytes) -> str:
    """Hash of what the request asks for; JSON bodies are compared by content, not spacing
    (any other body, byte for byte)."""
    try:
        canonical = msgspec.json.encode(msgspec.json.decode(body), order="sorted") if body else b""
    except UNREADABLE_JSON:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


class IdempotentRequest:
    """One claimed key: ``replay()`` before doing the work, ``remember()`` after it."""

    def __init__(self, session: AsyncSession, owner: Caller, key: str, print_: str) -> None:
        self.session = session
        self.owner = owner
        self.key = key
        self.fingerprint = print_

    async def replay(self) -> Response[bytes] | None:
        """The stored response if this key was used before; None when this request owns it."""
        claim = insert(IdempotencyRecord).values(
            {
                IdempotencyRecord.service_account_id
                if self.owner.service_account
                else IdempotencyRecord.person_id: self.owner.id,
                IdempotencyRecord.key: self.key,
                IdempotencyRecord.request_fingerprint: self.fingerprint,
            }
        )
        # A key past KEPT_FOR is claimed afresh, as if it had never been used.
        claimed = await self.session.scalar(
            claim.on_conflict_do_update(
                index_elements=[IdempotencyRecord.owner_id, IdempotencyRecord.key],
                set_={
                    "request_fingerprint": claim.excluded.request_fingerprint,
                    "status_code": None,
                    "response_headers": {},
                    "response_body": None,
                    "created_at": func.now(),
                },
                where=_expired(),
            ).returning(IdempotencyRecord.key)
        )
        if claimed is not None:
            return None
        record = await self.session.scalar(
            select(IdempotencyRecord)
            .where(IdempotencyRecord.owner_id == self.owner.id)
            .where(IdempotencyRecord.key == self.key)
            .execution_options(populate_existing=True)
        )
        if record is None or record.status_code is None or record.response_body is None:
            raise Conflict("A request with this Idempotency-Key is still being processed.")
        if record.request_fingerprint != self.fingerprint:
            raise ValidationFailed(
                "This Idempotency-Key was used for a different request.",
                [
                    FieldError(
                        "Idempotency-Key",
                        "Already used with a different body or endpoint; use a new key",
                        "header",
                    )
                ],
            )
        return Response(
            content=record.response_body,
            status_code=record.status_code,
            media_type="application/json",
            headers={**record.response_headers, REPLAYED_HEADER: "true"},
        )

    async def remember(self, status_code: int, body: Any, headers: dict[str, str]) -> bytes:
        """Store the response this request is about to send; returns its encoded body."""
        encoded = msgspec.json.encode(body)
        await self.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.owner_id == self.owner.id, IdempotencyRecord.key == self.key)
            .values(status_code=status_code, response_body=encoded, response_headers=headers)
            .execution_options(synchronize_session=False)
        )
        return encoded


def _expired() -> Any:
    return IdempotencyRecord.created_at < func.now() - KEPT_FOR


FORGET_BATCH = 1000


async def forget_expired(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Delete the keys older than KEPT_FOR, a batch per transaction; returns how many.

    Batches are small and skip rows someone holds (a POST claiming an expired key afresh,
    another process's sweep), so nobody waits long on the clean-up and it never holds up
    other work.
    """
    expired = (
        select(IdempotencyRecord.owner_id, IdempotencyRecord.key)
        .where(_expired())
        .limit(FORGET_BATCH)
        .with_for_update(skip_locked=True)
    )
    statement = delete(IdempotencyRecord).where(
        tuple_(IdempotencyRecord.owner_id, IdempotencyRecord.key).in_(expired)
    )
    return await write_in_batches(sessionmaker, statement, FORGET_BATCH)


def validate_key(key: str) -> str:
    key = key.strip()
    if not re.fullmatch(KEY_PATTERN, key):
        raise ValidationFailed(
            "Invalid Idempotency-Key.",
            [
                FieldError(
                    "Idempotency-Key", f"1 to {MAX_KEY_LENGTH} printable characters", "header"
                )
            ],
        )
    return key


async def claim(
    request: Request[Any, Any, Any], session: AsyncSession, owner: Caller, key: str | None
) -> IdempotentRequest | None:
    """The claimed key for this request, or None when the client sent no Idempotency-Key."""
    if key is None:
        return None
    body = await request.body()
    return IdempotentRequest(
        session, owner, validate_key(key), fingerprint(request.method, request.url.path, body)
    )


async def respond(
    idempotent: IdempotentRequest | None, status: int, body: Any, headers: dict[str, str]
) -> Response[Any]:
    """The response, remembered for retries when the request carried a key."""
    if idempotent is None:
        return Response(body, status_code=status, headers=headers)
    encoded = await idempotent.remember(status, body, headers)
    return Response(encoded, status_code=status, headers=headers, media_type="application/json")


Created = tuple[int, Any, dict[str, str]]


class Once:
    """A creating request's Idempotency-Key, for handlers that take it as a dependency."""

    def __init__(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        caller: Caller,
        key: str | None,
    ) -> None:
        self.request, self.session, self.caller, self.key = request, session, caller, key

    async def __call__(self, create: Callable[[], Awaitable[Created]]) -> Response[Any]:
        """Run ``create`` (returning status, body, headers) once per Idempotency-Key: a retry
        with the same key gets the first response back; without a key it just runs."""
        idempotent = await claim(self.request, self.session, self.caller, self.key)
        if idempotent is not None and (replayed := await idempotent.replay()):
            return replayed
        status, body, headers = await create()
        return await respond(idempotent, status, body, headers)


def once(
    request: Request[Any, Any, Any],
    caller: Caller,
    db_session: AsyncSession,
    idempotency_key: IdempotencyKey = None,
) -> Once:
    return Once(request, db_session, caller, idempotency_key)


# A creating handler takes ``once: Once`` with this dependency.
ONCE = {"once": Provide(once, sync_to_thread=False)}
