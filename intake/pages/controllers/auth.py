"""Sign in (a demo person in the embedded default, the city's OIDC provider in production)
and sign out."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.config import OIDCSettings, Settings
from intake.db.models import Department, Person
from intake.pages import oidc, sessions
from intake.pages.deps import NotAuthenticated, NotFound, OIDCVerifier, ValidationFailed, Visit
from intake.pages.rendering import render, session_cookie

# A session keeps where to go after sign-in in a column this long (web_sessions.next_path).
MAX_NEXT = 500


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never another host: //host, /\\host), printable and short
    enough to keep; anything else goes home."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or len(target) > MAX_NEXT
        or any(ord(character) < 0x20 or ord(character) == 0x7F for character in target)
    ):
        return "/"
    return target


def _demo_sign_in(settings: Settings) -> None:
    """The demo sign-in (choose a person, no password) exists only in the embedded default:
    never with the city's OIDC, never on an operated database."""
    if settings.oidc is not None:
        raise NotFound("Sign in with the city's account.")
    if not settings.embedded_database:
        raise NotFound(
            "There is no demo sign-in on an operated database: configure the city's sign-in "
            "(INTAKE_OIDC_*) for the pages."
        )


async def ensure_session(db_session: AsyncSession, visit: Visit) -> None:
    """Give a visitor a session, so the forms on this page carry a CSRF token."""
    if visit.session is None:
        visit.new_token, visit.session = await sessions.start(db_session)
        visit.csrf_token = visit.session.csrf_token


def _city_sign_in(request: Request[Any, Any, Any]) -> OIDCSettings:
    """The city's sign-in (OIDC), which only a production configuration has."""
    settings: Settings = request.app.state.settings
    if settings.oidc is None:
        raise NotFound("There is no city sign-in here: choose a demo person instead.")
    return settings.oidc


async def _active_person(db_session: AsyncSession, email: str) -> Person | None:
    return await db_session.scalar(
        select(Person).where(
            func.lower(Person.email) == email.strip().lower(), Person.active.is_(True)
        )
    )


def _signed_in(request: Request[Any, Any, Any], token: str, target: str) -> Response[Any]:
    response = Redirect(_safe_next(target), status_code=303)
    response.set_cookie(session_cookie(request, token, int(sessions.SIGNED_IN_FOR.total_seconds())))
    return response


class SignInController(Controller):
    path = "/"
    include_in_schema = False

    @get("/sign-in")
    async def sign_in_page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        visit: Visit,
        next: str | None = None,
    ) -> Any:
        _demo_sign_in(request.app.state.settings)
        await ensure_session(db_session, visit)
        people = (
            await db_session.execute(
                select(Person.email, Person.name, Department.name, Person.roles)
                .join(Department, Department.id == Person.department_id)
                .where(Person.active.is_(True))
                .order_by(Department.name, func.lower(Person.name))
                .limit(500)
            )
        ).all()
        return render(
            request, "sign_in.html", people=people, next=_safe_next(next), title="Sign in"
        )

    @post("/sign-in", status_code=303)
    async def sign_in(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, visit: Visit
    ) -> Any:
        _demo_sign_in(request.app.state.settings)
        form = await request.form()
        email = str(form.get("email") or "")
        if "\x00" in email or len(email) > 320:  # no one's address: the database takes neither
            raise ValidationFailed("Choose who you are from the list.", [])
        person = await _active_person(db_session, email)
        if person is None:
            raise ValidationFailed("Choose who you are from the list.", [])
        token, _ = await sessions.sign_in(db_session, visit.session, person.id)
        return _signed_in(request, token, str(form.get("next") or "/"))

    @post("/sign-out", status_code=303)
    async def sign_out(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, visit: Visit
    ) -> Any:
        if visit.session is not None:
            await sessions.end(db_session, visit.session)
        settings: Settings = request.app.state.settings
        response = Redirect("/auth/login" if settings.oidc else "/sign-in", status_code=303)
        response.delete_cookie(sessions.COOKIE, path="/")
        return response

    @get("/auth/login")
    async def oidc_start(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        visit: Visit,
        next: str | None = None,
    ) -> Any:
        city = _city_sign_in(request)
        await ensure_session(db_session, visit)
        assert visit.session is not None
        visit.session.oidc_state = oidc.new_secret()
        visit.session.oidc_verifier = oidc.new_secret()
        visit.session.oidc_nonce = oidc.new_secret()
        visit.session.next_path = _safe_next(next)
        url = await oidc.authorization_url(
            city,
            _callback(request),
            visit.session.oidc_state,
            visit.session.oidc_verifier,
            visit.session.oidc_nonce,
        )
        response = Redirect(url, status_code=303)
        if visit.new_token:
            response.set_cookie(
                session_cookie(request, visit.new_token, int(sessions.VISITOR_FOR.total_seconds()))
            )
        return response

    @get("/auth/callback")
    async def oidc_callback(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        visit: Visit,
        code: str | None = None,
        returned_state: Annotated[str | None, QueryParameter(name="state")] = None,
    ) -> Any:
        city = _city_sign_in(request)
        started = visit.session
        if (
            started is None
            or not started.oidc_state
            or not started.oidc_verifier
            or not started.oidc_nonce
            or not code
            or not returned_state
            or not hmac.compare_digest(returned_state.encode(), started.oidc_state.encode())
        ):
            raise NotAuthenticated("This sign-in was not started here, or has expired. Try again.")
        verifier: OIDCVerifier = request.app.state.verifier
        email = await oidc.email_for_code(
            city,
            verifier,
            code,
            _callback(request),
            started.oidc_verifier,
            started.oidc_nonce,
        )
        person = await _active_person(db_session, email)
        if person is None:
            raise NotAuthenticated(f"{email} is not registered in Intake. Ask DTI to add you.")
        target = started.next_path or "/"
        token, _ = await sessions.sign_in(db_session, started, person.id)
        return _signed_in(request, token, target)


def _callback(request: Request[Any, Any, Any]) -> str:
    settings: Settings = request.app.state.settings
    base = settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/auth/callback"
