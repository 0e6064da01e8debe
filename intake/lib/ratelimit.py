"""Rate limiting: each person gets ``INTAKE_RATE_LIMIT_PER_MINUTE`` API requests a minute.

The limit applies after authentication and is counted per person (the verified e-mail), so
every token a person holds shares one budget; a request without a valid token is refused
with 401 before it is counted. Past the limit a request gets 429 with ``Retry-After``; every
counted response carries the ``RateLimit-*`` headers. Counting is Litestar's
``RateLimitMiddleware``: a fixed one-minute window per person, starting at their first
request, kept in the app's memory store. Each API process therefore counts on its own:
behind a load balancer with N processes a person can make up to N times the limit. Health
checks and the API docs are not limited (they are outside ``/api/v1``). A service account's
token is counted on its own, by its id (``UncheckedServiceToken``), never by its secret.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address


def person_key(request: Request[Any, Any, Any]) -> str:
    """Who is counted: the person the bearer token was verified for, or the client's address
    for the few requests that need no token (CORS preflight ``OPTIONS``)."""
    user = request.scope.get("user")
    if user:
        return "person:" + str(user).lower()
    return "address:" + get_remote_address(request)


def rate_limit(per_minute: int) -> DefineMiddleware:
    return RateLimitConfig(
        rate_limit=("minute", per_minute), identifier_for_request=person_key
    ).middleware
