"""What the pages take from the rest of Intake's plumbing, imported in this one place.

Authentication, idempotency and ETags live in ``intake.lib`` today and may move; the pages
import them only from here. Also the request plumbing every page shares: the visit (its
session and signed-in person), the CSRF check, and the signed-in caller.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from litestar import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.models import Person, WebSession
from intake.lib.clock import utcnow
from intake.lib.errors import (
    Forbidden,
    IntakeError,
    NotAuthenticated,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
    problem_response,
)
from intake.lib.etag import etag
from intake.notifications import service as inbox
from intake.pages import sessions
from intake.web.auth import DTI_ROLES, Caller, OIDCVerifier, load_caller
from intake.web.idempotency import claim as claim_idempotency_key

__all__ = [
    "DTI_ROLES",
    "Caller",
    "Forbidden",
    "IntakeError",
    "NotAuthenticated",
    "NotFound",
    "OIDCVerifier",
    "PreconditionFailed",
    "ValidationFailed",
    "Visit",
    "claim_idempotency_key",
    "etag",
    "problem_response",
    "provide_signed_in",
    "provide_visit",
    "utcnow",
]


@dataclass(slots=True)
class Visit:
    """This request's browser session (None before the first form) and who is signed in."""

    session: WebSession | None
    caller: Caller | None
    # Read once: an error page rendered after a rollback cannot reload the row.
    csrf_token: str = ""
    # A new session token to send as the cookie with this response.
    new_token: str | None = None
    # The signed-in person's unread notifications, for the header of every page.
    unread_count: int | None = None


async def provide_visit(request: Request[Any, Any, Any], db_session: AsyncSession) -> Visit:
    """Read the session cookie; on a POST, refuse a form without this session's CSRF token."""
    token = request.cookies.get(sessions.COOKIE)
    row = await sessions.load(db_session, token) if token else None
    caller = None
    if row is not None and row.person_id is not None:
        email = await db_session.scalar(select(Person.email).where(Person.id == row.person_id))
        try:
            caller = await load_caller(db_session, email or "")
        except NotAuthenticated:  # deactivated since signing in
            caller = None
    visit = Visit(session=row, caller=caller, csrf_token=row.csrf_token if row else "")
    request.state.visit = visit
    if request.method == "POST":
        form = await request.form()
        sent = form.get("csrf_token")
        if (
            row is None
            or not isinstance(sent, str)
            or not hmac.compare_digest(sent.encode(), row.csrf_token.encode())
        ):
            raise Forbidden(
                "This form has expired or did not come from Intake. Go back, reload the page "
                "and try again."
            )
    return visit


async def provide_signed_in(visit: Visit, db_session: AsyncSession) -> Caller:
    """The signed-in person; NotAuthenticated sends the browser to the sign-in page. Also
    reads their unread count once, for the header (an error page after a rollback shows it
    too)."""
    if visit.caller is None:
        raise NotAuthenticated("Sign in to see this page.")
    visit.unread_count = await inbox.unread_count(db_session, visit.caller)
    return visit.caller
