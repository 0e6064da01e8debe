"""The request id: one name for one request in logs, in its problem+json body and in the
``X-Request-ID`` response header, so a person reporting an error and an operator reading
the logs talk about the same request.

A sane ``X-Request-ID`` from a trusted proxy (INTAKE_TRUSTED_PROXIES: the load balancer in
front) is kept; anything else gets a new id, so a client cannot pass itself off as another
request in the logs. It is decided once, when the request arrives (``assign``), and kept in
the ASGI scope; ``intake.lib.logs`` puts it on every log line of the request, and
``intake.lib.access`` on every response.
"""

from __future__ import annotations

import ipaddress
import random
import re
from collections.abc import Iterable
from typing import Any

from litestar.types import Scope

HEADER = "X-Request-ID"
_KEY = "request_id"  # in scope["state"]
# What ids from proxies and tracing systems look like (UUIDs, hex, base64), and nothing that
# could break a log line or a header: no spaces, no control characters, at most 128.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=@-]{0,127}")


def assign(scope: Scope, trusted: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> str:
    """Decide this request's id: the ``X-Request-ID`` a trusted peer sent when it is sane,
    else a new one."""
    return name_request(scope, peer_in(scope, trusted))


def name_request(scope: Scope, trusted_peer: bool) -> str:
    """``assign``, once it is known whether the peer is trusted."""
    state: dict[str, Any] = scope.setdefault("state", {})
    given = _header(scope) if trusted_peer else None
    chosen = given if given is not None and _SANE.fullmatch(given) else new_id()
    state[_KEY] = chosen
    return chosen


def new_id() -> str:
    """32 random hex digits, like a UUID4's, from the process's generator: ``uuid4`` asks the
    kernel for each one (a system call per request). An id names; it guards nothing. The
    generator is seeded from the kernel and again in each forked child."""
    return f"{random.getrandbits(128):032x}"


def request_id(scope: Scope) -> str:
    """This request's id, as ``assign`` decided it (a new one if it did not run)."""
    state: dict[str, Any] = scope.setdefault("state", {})
    known = state.get(_KEY)
    if isinstance(known, str):
        return known
    return assign(scope, ())


def peer_in(
    scope: Scope, networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    """True when the peer that sent the request (the TCP client) is in one of ``networks``."""
    client = scope.get("client")
    return address_in(client[0], networks) if client else False


def address_in(
    host: str, networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    """True when ``host``, a peer's address as the server gives it, is in ``networks``."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a Unix socket path, a test client's made-up name
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def _header(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"x-request-id":
            return value.decode("latin-1").strip()
    return None
