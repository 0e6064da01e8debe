"""The outermost layer of every HTTP request: it names the request, then counts, times and
logs it once it is answered.

It wraps the whole app (``Litestar.asgi_handler``), so it sees every request, the ones no
route matched and the ones that failed too. The request's id is bound before anything
else runs (``intake.lib.logs``): every line the request logs carries it.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from time import perf_counter

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from intake.lib import metrics
from intake.lib.logs import bind_request_id
from intake.lib.request_id import assign

logger = logging.getLogger("intake.access")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A path no route matches is one series, whatever was asked for.
UNMATCHED = "unmatched"


class AccessLog:
    """ASGI wrapper: request id, one ``intake.access`` line and the request metrics."""

    def __init__(
        self,
        app: ASGIApp,
        trusted_proxies: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network],
    ) -> None:
        self.app = app
        self.trusted = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500  # if the app fails without answering

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with bind_request_id(assign(scope, self.trusted)):
            try:
                await self.app(scope, receive, send_status)
            finally:
                seconds = perf_counter() - started
                route = scope.get("path_template") or UNMATCHED
                asked = scope["method"]
                method = asked if asked in _METHODS else "OTHER"
                metrics.observe_request(route, method, status, seconds)
                if logger.isEnabledFor(logging.INFO):
                    duration_ms = round(seconds * 1000, 1)
                    logger.info(
                        "%s %s %d %.1f ms",
                        method,
                        route,
                        status,
                        duration_ms,
                        extra={
                            "method": method,
                            "route": route,
                            "status": status,
                            "duration_ms": duration_ms,
                        },
                    )
