"""OPTIONS answered from the app's route table, so ``Allow`` lists every method a path has.

Litestar builds one automatic OPTIONS handler per path, when the first handlers for that
path are registered; handlers that other controllers add to the same path later are left
out of its ``Allow`` (litestar#4169). ``answer_options`` runs before that handler and
answers from the routes the app ended up with. A 405's ``Allow`` needs no help: the router
lists the methods it found for the path.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response
from litestar.enums import MediaType
from litestar.routes import HTTPRoute


def allowed_methods(app: Litestar, path_template: str) -> str:
    """The ``Allow`` header of a path: every method its handlers answer, OPTIONS included."""
    methods: set[str] = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path_format == path_template:
            methods.update(route.methods)
    return ", ".join(sorted(methods))


async def answer_options(request: Request[Any, Any, Any]) -> Response[None] | None:
    """An app-wide before-request hook: answers OPTIONS itself, lets everything else on."""
    if request.method != "OPTIONS":
        return None
    allow = allowed_methods(request.app, request.scope["path_template"])
    return Response(None, status_code=204, headers={"Allow": allow}, media_type=MediaType.TEXT)
