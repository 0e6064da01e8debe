"""One error hierarchy for the domain, and the one place it becomes RFC 9457 problem+json.

Services raise these; ``problem_response`` (registered for every exception in
``create_app``) turns them, and Litestar's own HTTP exceptions, into
``application/problem+json``. Nothing else in the code base builds an error response.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    SerializationException,
    ValidationException,
)
from sqlalchemy.exc import DBAPIError

from intake.lib.outages import RETRY_AFTER_SECONDS, chain, database_unreachable, log_failure
from intake.lib.request_id import request_id

logger = logging.getLogger("intake")

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:intake:error:"


class ConfigError(Exception):
    """The environment holds a value Intake cannot start with."""


class FieldError(msgspec.Struct, frozen=True):
    """One field that failed validation: where it is and what is wrong."""

    field: str
    message: str
    source: str = "body"


class IntakeError(Exception):
    """Base of every error a service may raise; maps to one HTTP status."""

    status: int = 500
    slug: str = "internal"
    title: str = "Internal server error"
    # Seconds a client should wait before sending the request again (the Retry-After header).
    retry_after: int | None = None

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class BadRequest(IntakeError):
    status, slug, title = 400, "bad-request", "Bad request"


class NotAuthenticated(IntakeError):
    status, slug, title = 401, "not-authenticated", "Not authenticated"


class Forbidden(IntakeError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(IntakeError):
    status, slug, title = 404, "not-found", "Not found"


class RequestTimeout(IntakeError):
    """The client took too long to send its request; the connection is closed after this."""

    status, slug, title = 408, "request-timeout", "Request timeout"


class Conflict(IntakeError):
    status, slug, title = 409, "conflict", "Conflict"


class InvalidTransition(Conflict):
    """The action is not allowed from the problem's current state."""

    slug, title = "invalid-transition", "Action not allowed in the current state"

    def __init__(self, action: str, current_state: str, allowed_actions: list[str]) -> None:
        allowed = ", ".join(allowed_actions) or "none"
        super().__init__(
            f"Cannot {action} a problem in state '{current_state}'. Allowed actions: {allowed}.",
            current_state=current_state,
            allowed_actions=allowed_actions,
        )


class PreconditionFailed(IntakeError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PreconditionRequired(IntakeError):
    status, slug, title = 428, "precondition-required", "Precondition required"


class PayloadTooLarge(IntakeError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class RateLimited(IntakeError):
    status, slug, title = 429, "rate-limited", "Too many requests"


class ValidationFailed(IntakeError):
    """One or more fields are invalid; ``errors`` lists every one of them."""

    status, slug, title = 422, "validation", "Validation failed"

    def __init__(self, detail: str, errors: list[FieldError]) -> None:
        super().__init__(detail, errors=errors)
        self.errors = errors


class ServiceUnavailable(IntakeError):
    status, slug, title = 503, "unavailable", "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int | None = None, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.retry_after = retry_after


def database_unavailable() -> ServiceUnavailable:
    """The answer while PostgreSQL is down, restarting or unreachable."""
    return ServiceUnavailable(
        "The database is not reachable right now; send the request again after Retry-After.",
        retry_after=RETRY_AFTER_SECONDS,
    )


class ProblemDetails(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details, with Intake's extension members."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    # The id this request has in the logs (and in its X-Request-ID header).
    request_id: str | None = None
    errors: list[FieldError] | None = None
    current_state: str | None = None
    allowed_actions: list[str] | None = None


# msgspec reports an unknown or missing field, and Input.__post_init__ a rule broken, on the
# object that holds the field; the message names the field itself.
_NAMED_FIELD = re.compile(r"(?:unknown|missing required) field `([^`]+)`|^`([^`]+)` ")


def _field_error(item: dict[str, Any]) -> FieldError:
    """One of Litestar's validation messages, in Intake's shape."""
    message = str(item.get("message", "Invalid value"))
    source = item.get("source", "body")
    source = str(getattr(source, "value", source))
    field = str(item.get("key", ""))
    if field in ("data", "body"):  # Litestar's name for the whole body
        field = ""
    if named := _NAMED_FIELD.search(message):
        name = named.group(1) or named.group(2)
        field = f"{field}.{name}" if field else name
    elif not field and message.strip("'") == "data":  # no body at all
        message = "A JSON body is required"
    return FieldError(field=field or "body", message=message, source=source)


def _from_litestar(exc: HTTPException) -> IntakeError:
    """Translate a framework exception into the domain hierarchy."""
    if isinstance(exc, ValidationException):
        errors = [
            _field_error(item)
            for item in (exc.extra if isinstance(exc.extra, list) else [])
            if isinstance(item, dict)
        ]
        if not errors:
            return BadRequest(exc.detail or "The request could not be read.")
        return ValidationFailed("The request has invalid fields.", errors)
    if isinstance(exc, NotAuthorizedException):
        return NotAuthenticated(exc.detail or "A valid bearer token is required.")
    if isinstance(exc, PermissionDeniedException):
        return Forbidden(exc.detail or "You may not do this.")
    if isinstance(exc, NotFoundException):
        return NotFound("No such resource.")
    if exc.status_code == 429:
        return RateLimited("Too many requests: wait until Retry-After has passed and try again.")
    if exc.status_code == 413:
        return PayloadTooLarge("The request body is larger than this server accepts.")
    if isinstance(exc, ClientException) and isinstance(exc.__cause__, SerializationException):
        return BadRequest(f"The body is not valid JSON: {exc.__cause__}")
    error = IntakeError(exc.detail or "HTTP error")
    error.status = exc.status_code
    error.slug = "http-" + str(exc.status_code)
    error.title = exc.detail if exc.status_code < 500 else "Internal server error"
    return error


# deadlock_detected, serialization_failure: the transaction was rolled back, safe to resend.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def _sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a database error: wrapped by SQLAlchemy (``orig``), or asyncpg's own
    (a statement sent on the driver's connection: ``intake.db.driven``)."""
    return str(getattr(getattr(exc, "orig", exc), "sqlstate", "") or "")


def _data_exception(exc: BaseException) -> BaseException | None:
    """The PostgreSQL "data exception" (SQLSTATE class 22) in ``exc``'s chain, if any:
    wrapped by SQLAlchemy (``orig``) or raised by asyncpg itself, whose ``DataError`` (22000)
    also says a bind value could not be encoded (an int past int4, say)."""
    for link in chain(exc):
        for candidate in (link, getattr(link, "orig", None)):
            if str(getattr(candidate, "sqlstate", "") or "").startswith("22"):
                return candidate
    return None


def retryable(exc: BaseException) -> bool:
    """PostgreSQL rolled the transaction back to break a deadlock or a serialization
    conflict: nothing it did was kept, and running it again will very likely succeed."""
    return _sqlstate(exc) in RETRYABLE_SQLSTATES


def error_for(exc: Exception, where: str) -> IntakeError:
    """What any exception means to the client, as an IntakeError: its own, Litestar's, an
    outage (503), a rollback to retry (503), a value PostgreSQL cannot store (422), or else
    a 500. A failure the client did not cause is logged in one line naming ``where``; only
    an unexpected error gets a traceback (see ``outages.log_failure``). The API and the
    pages answer with the same status for the same failure."""
    if isinstance(exc, IntakeError):
        return exc
    if isinstance(exc, HTTPException):
        return _from_litestar(exc)
    if isinstance(exc, DBAPIError | asyncpg.PostgresError) and retryable(exc):
        # PostgreSQL broke a deadlock (or a serialization conflict) by rolling this request's
        # transaction back: nothing it did was kept, and the same request will very likely
        # go through when sent again.
        logger.warning("%s: rolled back by PostgreSQL (%s); asked to retry", where, _sqlstate(exc))
        error = IntakeError(
            "The request collided with another one changing the same records and was undone; "
            "send it again."
        )
        error.status, error.slug, error.title = 503, "try-again", "Try again"
        error.retry_after = 1
        return error
    if database_unreachable(exc):
        # Down, restarting or cut off. Never a success: the transaction rolled back, or (its
        # answer lost) it committed and a retry with the same Idempotency-Key replays it.
        log_failure(logger, exc, "%s", where)
        return database_unavailable()
    if (data_exception := _data_exception(exc)) is not None:
        # SQLSTATE class 22 is "data exception": a value PostgreSQL cannot take. Input
        # validation should catch these first; this keeps any we missed from being a 500.
        logger.warning("%s: data exception reached the handler: %s", where, data_exception)
        return ValidationFailed(
            "A value in the request cannot be stored.",
            [
                FieldError(
                    "body", "A value is not acceptable (for example, it holds a NUL character)"
                )
            ],
        )
    log_failure(logger, exc, "Unhandled error on %s", where)
    return IntakeError("Something went wrong on our side. It has been logged.")


def problem_response(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemDetails]:
    """Any exception as problem+json (``error_for`` says which), logged with the request's
    id."""
    rid = request_id(request.scope)
    where = f"{request.method} {request.url.path} (request {rid})"
    error = error_for(exc, where)
    body = ProblemDetails(
        type=TYPE_PREFIX + error.slug,
        title=error.title,
        status=error.status,
        detail=error.detail,
        instance=request.url.path,
        request_id=rid,
        **error.extensions,
    )
    # Litestar's own headers come along: Allow on a 405, the RateLimit-* fields on a 429.
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="intake"'
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    if error.status == 408:  # the rest of a slow body is not worth waiting for
        headers["Connection"] = "close"
    if error.status == 429 and isinstance(exc, HTTPException):
        # The window's reset in whole seconds; 0 in its last second, and "now" invites a
        # client to retry into the same window: at least 1.
        headers["Retry-After"] = str(max(1, int(headers.get("RateLimit-Reset", "60"))))
    return Response(body, status_code=error.status, media_type=PROBLEM_JSON, headers=headers)


__all__ = [
    "PROBLEM_JSON",
    "BadRequest",
    "ConfigError",
    "Conflict",
    "FieldError",
    "Forbidden",
    "IntakeError",
    "InvalidTransition",
    "NotAuthenticated",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "PreconditionRequired",
    "ProblemDetails",
    "RateLimited",
    "RequestTimeout",
    "ServiceUnavailable",
    "ValidationFailed",
    "database_unavailable",
    "problem_response",
]
