"""Security headers on every page and static file, with a fresh CSP nonce per response."""

from __future__ import annotations

import secrets

from litestar.datastructures import MutableScopeHeaders
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send


def csp(nonce: str) -> str:
    """Only Intake's own files; a script needs this response's nonce; no framing."""
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def page_headers(nonce: str, secure: bool) -> dict[str, str]:
    """The headers every page, error page and static file carries (``Cache-Control`` only
    where the response set none)."""
    headers = {
        "Content-Security-Policy": csp(nonce),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cache-Control": "no-store",
    }
    if secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


class SecurityHeaders(ASGIMiddleware):
    """Adds the headers to whatever the page sends, an error page included."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in page_headers(nonce, secure).items():
                    if name != "Cache-Control" or "cache-control" not in headers:
                        headers[name] = value
            await send(message)

        await next_app(scope, receive, send_with_headers)
