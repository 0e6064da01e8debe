"""The outermost layer of every HTTP request: it names the request, echoes its id on the
response, then counts, times and logs it once it is answered.

It wraps the whole app (``Litestar.asgi_handler``), so it sees every request, the ones no
route matched and the ones that failed too. The request's id is bound before anything
else runs (``intake.lib.logs``): every line the request logs carries it. What can be
decided once per process is: the series of each route (``intake.lib.metrics``), whether a
peer is a trusted proxy, the header's name as bytes.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from functools import lru_cache, partial
from time import perf_counter

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from intake.lib import metrics
from intake.lib.logs import bind_request_id
from intake.lib.request_id import address_in, name_request

logger = logging.getLogger("intake.access")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A path no route matches is one series, whatever was asked for.
UNMATCHED = "unmatched"
_REQUEST_ID = b"x-request-id"
_ACCESS_LINE = "%s %s %d %.1f ms"


class AccessLog:
    """ASGI wrapper: request id (``X-Request-ID`` on every response, errors too), one
    ``intake.access`` line and the request metrics."""

    def __init__(
        self,
        app: ASGIApp,
        trusted_proxies: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network],
    ) -> None:
        self.app = app
        self.trusted = tuple(trusted_proxies)
        # A peer's address parsed and judged once: a process hears from few (its proxies).
        self._trusted_peer = lru_cache(maxsize=4096)(partial(address_in, networks=self.trusted))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500  # if the app fails without answering
        client = scope.get("client")
        request_id = name_request(scope, self._trusted_peer(client[0]) if client else False)
        echoed = request_id.encode()

        async def send_named(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() != _REQUEST_ID
                ]
                headers.append((_REQUEST_ID, echoed))
                message["headers"] = headers
            await send(message)

        with bind_request_id(request_id):
            try:
                await self.app(scope, receive, send_named)
            finally:
                seconds = perf_counter() - started
                route = scope.get("path_template") or UNMATCHED
                asked = scope["method"]
                method = asked if asked in _METHODS else "OTHER"
                metrics.observe_request(route, method, status, seconds)
                if logger.isEnabledFor(logging.INFO):
                    log_access(method, route, status, round(seconds * 1000, 1))


def log_access(method: str, route: str, status: int, duration_ms: float) -> None:
    """The access line: ``logger.info`` without its search of the stack for the caller's
    file and line, which no line shows."""
    extra = {"method": method, "route": route, "status": status, "duration_ms": duration_ms}
    args = (method, route, status, duration_ms)
    record = logger.makeRecord(
        logger.name, logging.INFO, __file__, 0, _ACCESS_LINE, args, None, "access", extra
    )
    logger.handle(record)
