"""Routes that only some roles may call, declared once: ``@admin.post(...)``.

The decorator says it everywhere it needs saying: the summary ends with the roles ("Create a
department (admin)"), the document lists the 403, and the handler checks the caller with
``require_role`` (the one place that checks roles) when it runs, after Litestar has read its
input, so a 422 still comes before a 403. The handler takes ``acting: Acting``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from litestar import delete, get, patch, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from intake.lib.openapi import errors
from intake.web.auth import Acting, require_role

Handler = Callable[..., Any]
Route = Callable[[Handler], HTTPRouteHandler]


class RoleRoutes:
    """Litestar's route decorators for handlers only ``roles`` may call."""

    def __init__(self, *roles: str) -> None:
        self.roles = roles

    def get(self, path: str, **options: Any) -> Route:
        return self._route(get, path, **options)

    def post(self, path: str, **options: Any) -> Route:
        return self._route(post, path, **options)

    def put(self, path: str, **options: Any) -> Route:
        return self._route(put, path, **options)

    def patch(self, path: str, **options: Any) -> Route:
        return self._route(patch, path, **options)

    def delete(self, path: str, **options: Any) -> Route:
        return self._route(delete, path, **options)

    def _route(
        self,
        method: Callable[..., Route],
        path: str,
        *,
        summary: str,
        responses: dict[int, ResponseSpec] | None = None,
        **options: Any,
    ) -> Route:
        roles = self.roles

        def decorate(handler: Handler) -> HTTPRouteHandler:
            @functools.wraps(handler)
            async def checked(*args: Any, acting: Acting, **kwargs: Any) -> Any:
                require_role(acting.caller, *roles)
                return await handler(*args, acting=acting, **kwargs)

            return method(
                path,
                summary=f"{summary} ({' or '.join(roles)})",
                responses={**errors(403), **(responses or {})},
                **options,
            )(checked)

        return decorate


admin = RoleRoutes("admin")
