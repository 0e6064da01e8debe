"""A router built for the one app that registers it."""

from __future__ import annotations

from typing import Any

from litestar import Router


class OwnRouter(Router):
    """Registered as it is. Litestar registers a deep copy of a router, in case another app
    holds it too; ``create_app`` builds its routers anew for each app, and copying their
    handlers took a quarter of the time an app takes to build."""

    def __deepcopy__(self, memo: dict[int, Any]) -> OwnRouter:
        return self
