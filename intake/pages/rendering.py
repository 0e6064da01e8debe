"""Rendering a page: the template, the signed-in person, the CSRF token, the session cookie,
and the one place an error becomes an error page (never a 500 for bad input)."""

from __future__ import annotations

import logging
import secrets
import uuid
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from intake.config import Settings
from intake.pages import sessions
from intake.pages.deps import (
    Forbidden,
    NotAuthenticated,
    NotFound,
    Visit,
    error_for,
    problem_response,
)
from intake.pages.security import page_headers

logger = logging.getLogger("intake")


def secure_cookies(request: Request[Any, Any, Any]) -> bool:
    """Secure when the pages are served over TLS (here, or at the public URL)."""
    settings: Settings = request.app.state.settings
    public = settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def session_cookie(request: Request[Any, Any, Any], token: str, max_age: int) -> Cookie:
    return Cookie(
        key=sessions.COOKIE,
        value=token,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        max_age=max_age,
    )


def _visit(request: Request[Any, Any, Any]) -> Visit | None:
    visit = request.state.get("visit")
    return visit if isinstance(visit, Visit) else None


def render(
    request: Request[Any, Any, Any],
    template: str,
    status: int = 200,
    **context: Any,
) -> Template:
    """The page, with what every page shows: who is signed in, unread count, CSRF token."""
    visit = _visit(request)
    cookies = []
    if visit is not None and visit.new_token:
        cookies.append(
            session_cookie(request, visit.new_token, int(sessions.VISITOR_FOR.total_seconds()))
        )
    settings: Settings = request.app.state.settings
    return Template(
        template_name=template,
        context={
            "caller": visit.caller if visit else None,
            "csrf_token": visit.csrf_token if visit else "",
            "nonce": request.scope.get("state", {}).get("csp_nonce", ""),
            "oidc": settings.oidc is not None,
            "path": request.url.path,
            # Every signed-in page shows the inbox's unread count in its header.
            "unread_count": _unread(visit, context.pop("unread_count", None)),
            **context,
        },
        status_code=status,
        cookies=cookies,
        media_type=MediaType.HTML,
    )


def _unread(visit: Visit | None, given: int | None) -> int | None:
    if given is not None:
        return given
    return visit.unread_count if visit is not None else None


def new_key() -> str:
    """A fresh idempotency key for a create form (``ui.idempotency_key()`` in templates)."""
    return str(uuid.uuid4())


def sign_in_url(request: Request[Any, Any, Any]) -> str:
    settings: Settings = request.app.state.settings
    start = "/auth/login" if settings.oidc is not None else "/sign-in"
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return f"{start}?next={quote(target, safe='')}"


_TITLES = {
    400: "There is a problem with the request",
    403: "You cannot do that",
    404: "Page not found",
    405: "That is not possible here",
    409: "That cannot be done now",
    412: "Someone changed this meanwhile",
    413: "What you sent is too large",
    422: "There is a problem with what you entered",
    429: "Too many requests",
    503: "Intake is not available right now",
}


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every error under the pages, as a page with the status the API would give."""
    retry_after = None
    if isinstance(exc, NotAuthenticated):
        if request.method == "GET" and not request.url.path.startswith("/auth/"):
            return Redirect(sign_in_url(request), status_code=303)
        status, detail = 401, exc.detail
    elif isinstance(exc, HTTPException) and exc.status_code in (400, 404):
        status = exc.status_code
        # Not Litestar's own wording, which names parameters and types.
        detail = (
            "There is no page at this address."
            if status == 404
            else "Part of the address or the form could not be read. Go back and try again."
        )
    else:  # as the API would answer: an outage is a 503, a value PostgreSQL refuses a 422
        error = error_for(exc, f"{request.method} {request.url.path}")
        status, detail, retry_after = error.status, error.detail, error.retry_after
        if status == 500:
            detail = "Something went wrong on our side. Try again later."
    if isinstance(exc, NotFound):
        detail = "This page does not exist, or you do not have access to it."
    if isinstance(exc, Forbidden) and "form" not in detail:
        detail = f"{detail} If you think you should be able to, ask your DTI contact."
    title = _TITLES.get(status, "Something went wrong")
    page = render(request, "error.html", status, title=title, detail=detail)
    if retry_after is not None:
        page.headers["Retry-After"] = str(retry_after)
    return page


# Paths that belong to programs: errors there stay problem+json, whatever the path.
PROGRAM_PATHS = ("/api", "/schema", "/health", "/metrics")


def for_programs(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PROGRAM_PATHS)


def page_or_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The app's error handler, for what no router handled: under the API (and /schema,
    /health, /metrics) problem+json; anywhere else (an address no page has, a method no
    page takes) an error page with the pages' security headers."""
    if for_programs(request.url.path):
        return problem_response(request, exc)
    nonce = secrets.token_urlsafe(16)
    request.scope.setdefault("state", {})["csp_nonce"] = nonce
    response = error_page(request, exc)
    allowed = exc.headers if isinstance(exc, HTTPException) and exc.headers else {}
    response.headers.update({**allowed, **page_headers(nonce, request.url.scheme == "https")})
    return response
