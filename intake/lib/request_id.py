"""The request id: one name for one request in logs, in its problem+json body and in the
``X-Request-ID`` response header, so a person reporting an error and an operator reading
the logs talk about the same request.

A sane ``X-Request-ID`` from the client (or the load balancer in front) is kept; anything
else gets a new id. It is decided once, on first use, and kept in the ASGI scope.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

HEADER = "X-Request-ID"
_KEY = "request_id"  # in scope["state"]
# What ids from proxies and tracing systems look like (UUIDs, hex, base64), and nothing that
# could break a log line or a header: no spaces, no control characters, at most 128.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=@-]{0,127}")


def request_id(scope: Scope) -> str:
    """This request's id: the client's ``X-Request-ID`` when it is sane, else a new one."""
    state: dict[str, Any] = scope.setdefault("state", {})
    known = state.get(_KEY)
    if isinstance(known, str):
        return known
    given = _header(scope)
    chosen = given if given is not None and _SANE.fullmatch(given) else uuid.uuid4().hex
    state[_KEY] = chosen
    return chosen


def _header(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"x-request-id":
            return value.decode("latin-1").strip()
    return None


async def echo_request_id(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: every HTTP response carries its request's id, errors too."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)[HEADER] = request_id(scope)
