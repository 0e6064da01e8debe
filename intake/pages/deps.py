"""What the pages take from the rest of Intake's plumbing, imported in this one place.

Authentication, idempotency and ETags live in ``intake.web`` and ``intake.lib``; the pages
import them only from here. Also the request plumbing every page shares: the visit (its
session and signed-in person), the CSRF check, the signed-in caller and their page, a page or
a form about one problem, and running a form's change once.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.models import Person, Problem, WebSession
from intake.lib.clock import utcnow
from intake.lib.errors import (
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    IntakeError,
    NotAuthenticated,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
    error_for,
    problem_response,
)
from intake.lib.etag import etag
from intake.lib.pagination import MAX_LIMIT
from intake.notifications import service as inbox
from intake.pages import sessions
from intake.problems import lifecycle
from intake.problems.guards import require_action
from intake.web.auth import DTI_ROLES, Caller, OIDCVerifier, load_caller
from intake.web.idempotency import claim as claim_idempotency_key
from intake.web.transaction import provide_read_session

__all__ = [
    "DTI_ROLES",
    "MAX_LIMIT",
    "BadRequest",
    "Caller",
    "Conflict",
    "FieldError",
    "Forbidden",
    "IntakeError",
    "NotAuthenticated",
    "NotFound",
    "OIDCVerifier",
    "PreconditionFailed",
    "ProblemForm",
    "ProblemPage",
    "SignedInPage",
    "ValidationFailed",
    "Visit",
    "error_for",
    "etag",
    "may_act",
    "once",
    "problem_response",
    "provide_problem_form",
    "provide_problem_page",
    "provide_read_session",
    "provide_signed_in",
    "provide_signed_in_page",
    "provide_visit",
    "utcnow",
    "whole_number",
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


@dataclass(slots=True)
class SignedInPage:
    """A request from the signed-in person: the request, its session and who sent it, which
    every page past the sign-in needs."""

    request: Request[Any, Any, Any]
    session: AsyncSession
    caller: Caller


async def provide_signed_in_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, caller: Caller
) -> SignedInPage:
    return SignedInPage(request, db_session, caller)


@dataclass(slots=True)
class ProblemPage(SignedInPage):
    """A request about one problem (``/problems/{problem_id}/...``): a signed-in page and the
    problem's id, which every page about a problem needs."""

    problem_id: uuid.UUID

    @property
    def on(self) -> tuple[AsyncSession, Caller, uuid.UUID]:
        """What every service call about the problem starts with: ``service(*page.on, ...)``."""
        return self.session, self.caller, self.problem_id


async def provide_problem_page(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
) -> ProblemPage:
    return ProblemPage(request, db_session, caller, problem_id)


@dataclass(slots=True)
class ProblemForm(ProblemPage):
    """A form posted about one problem: what it holds, and the problem's version the page
    was read at as the ``If-Match`` the services check, so a form read before someone else's
    change is a 412, as in the API."""

    form: FormMultiDict
    if_match: str

    def text(self, name: str) -> str:
        """The field as sent ("" when absent or a file)."""
        value = self.form.get(name)
        return value if isinstance(value, str) else ""

    @property
    def version(self) -> int | None:
        """The version the page was read at, when the form carries a sane one."""
        version = self.text("version")
        return whole_number(version)

    @property
    def idempotency_key(self) -> str | None:
        return self.text("idempotency_key") or None

    async def once(
        self, location: str, act: Callable[[], Awaitable[str | None]], *, keyed: bool = True
    ) -> Redirect:
        """``once`` with the form's idempotency key (none when not ``keyed``)."""
        key = self.idempotency_key if keyed else None
        return await once(self.request, self.session, self.caller, key, location, act)


async def once(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    caller: Caller,
    key: str | None,
    location: str,
    act: Callable[[], Awaitable[str | None]],
) -> Redirect:
    """Run a form's change in a savepoint, once per idempotency key (a create form's key, so
    a double click makes one record), and send the browser to ``location``, or to the
    address ``act`` returns (a new record's page). A retry with the key changes nothing and
    goes where the first went. The service's errors propagate, the savepoint rolled back."""
    async with session.begin_nested():
        idempotent = await claim_idempotency_key(request, session, caller, key)
        if idempotent is not None and (replayed := await idempotent.replay()):
            location = msgspec.json.decode(replayed.content)["location"]
            return Redirect(location, status_code=303)
        location = await act() or location
        if idempotent is not None:
            await idempotent.remember(303, {"location": location}, {})
    return Redirect(location, status_code=303)


def whole_number(text: str, most_digits: int = 18) -> int | None:
    """The text as a whole number when it is one in ASCII digits ("²" is a digit to
    ``str.isdigit`` but not to ``int``), else None."""
    if text.isascii() and text.isdigit() and len(text) <= most_digits:
        return int(text)
    return None


async def provide_problem_form(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
) -> ProblemForm:
    """The form posted to ``/problems/{problem_id}/...``; the CSRF check has already run."""
    form = await request.form()
    version = form.get("version")
    return ProblemForm(
        request=request,
        session=db_session,
        caller=caller,
        problem_id=problem_id,
        form=form,
        # A missing or mangled version matches no ETag: the form is stale (412).
        if_match=etag(version if isinstance(version, str) else ""),
    )


def may_act(caller: Caller, problem: Problem, action: str) -> bool:
    """The lifecycle table allows ``caller`` this action on the problem now (a page offers
    exactly those)."""
    if action not in lifecycle.allowed_actions(problem.status, problem.held_from_status):
        return False
    try:
        require_action(caller, problem, lifecycle.ACTIONS[action])
    except Forbidden:
        return False
    return True
