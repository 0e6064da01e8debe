"""Server-side sessions for the pages: a random token in the cookie, its hash in the table.

A visitor gets a session (without a person) when a page first shows them a form, so every
form, the sign-in form included, carries a CSRF token bound to that session. Signing in
deletes the visitor's row and starts a new one with a new token and a new CSRF token.
Signing out deletes the row. Sessions end after a fixed time whatever happens.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.models import WebSession
from intake.lib.clock import utcnow

COOKIE = "intake_session"
SIGNED_IN_FOR = timedelta(hours=8)
VISITOR_FOR = timedelta(hours=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def load(session: AsyncSession, token: str) -> WebSession | None:
    """The session the cookie names, unless it has ended."""
    if len(token) > 100:
        return None
    return await session.scalar(
        select(WebSession).where(
            WebSession.token_hash == _hash(token), WebSession.expires_at > utcnow()
        )
    )


async def start(
    session: AsyncSession, person_id: uuid.UUID | None = None
) -> tuple[str, WebSession]:
    """A new session (signed in when ``person_id`` is given); returns its token and row."""
    token = secrets.token_urlsafe(32)
    lifetime = SIGNED_IN_FOR if person_id else VISITOR_FOR
    row = WebSession(
        token_hash=_hash(token),
        person_id=person_id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + lifetime,
    )
    session.add(row)
    await session.flush()
    return token, row


async def sign_in(
    session: AsyncSession, visitor: WebSession | None, person_id: uuid.UUID
) -> tuple[str, WebSession]:
    """End the visitor's session and start a signed-in one with a new id."""
    if visitor is not None:
        await end(session, visitor)
    # Sign-in is a good moment to clear sessions that ended long ago.
    await session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    return await start(session, person_id)


async def end(session: AsyncSession, row: WebSession) -> None:
    """Revoke the session: its cookie no longer signs anyone in."""
    await session.execute(delete(WebSession).where(WebSession.token_hash == row.token_hash))
