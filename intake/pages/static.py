"""The pages' static files: addresses that name their content, and a browser (or a proxy)
told to keep a file a year only at the address that names the file it got."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

from litestar.datastructures import MutableScopeHeaders
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).parent / "static"
PATH = "/static"  # where the pages' router serves STATIC
KEPT_A_YEAR = "public, max-age=31536000, immutable"


def static_url(name: str) -> str:
    """The address of a static file with a hash of its content: a browser keeps the file
    until it changes (a release, or an edit while developing), then asks for the new one."""
    return f"{PATH}/{name}?v={version(STATIC / name)}"


def version(path: Path) -> str:
    """The hash of the file's content, read again only when the file was modified."""
    return _version(path, path.stat().st_mtime_ns)


@cache
def _version(path: Path, modified: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


class KeptWhenCurrent(ASGIMiddleware):
    """``Cache-Control: public, max-age=31536000, immutable`` on a static file asked for
    with its current version (``?v=``, as ``static_url`` gives it). Asked for without one,
    or with another (a page from a newer release answered by an older process during a
    switch), it is not kept (the pages' ``no-store``), so no old file is kept under a new
    address."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if not _current(scope):
            await next_app(scope, receive, send)
            return

        async def send_kept(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                MutableScopeHeaders.from_message(message)["Cache-Control"] = KEPT_A_YEAR
            await send(message)

        await next_app(scope, receive, send_kept)


def _current(scope: Scope) -> bool:
    folder, _, name = scope["path"].rpartition("/")
    asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v")
    path = STATIC / name
    if folder != PATH or not name or not asked or not path.is_file():
        return False
    return asked == [version(path)]
