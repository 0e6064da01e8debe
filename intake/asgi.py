"""ASGI factory for several worker processes against an external database.

``uvicorn --factory intake.asgi:create --workers 4 --http intake.asgi:HTTPProtocol
--no-access-log --no-proxy-headers`` (or ``intake serve`` with INTAKE_WORKERS) with
INTAKE_DATABASE_URL set. Migrations are not run
here: run ``intake db upgrade`` once per deploy.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from litestar import Litestar

from intake.app import create_app
from intake.config import Settings
from intake.lib import logs
from intake.web.timeouts import TimedH11Protocol

# One reading of the environment per worker process, for the app and its HTTP protocol.
_settings = cache(Settings.from_env)


def create() -> Litestar:
    settings = _settings()
    if settings.database_url is None:
        raise RuntimeError("intake.asgi needs INTAKE_DATABASE_URL (an external PostgreSQL)")
    app = create_app(settings, settings.database_url)
    logs.configure(settings.log_format, settings.log_level)  # after: Litestar sets up its own
    return app


class HTTPProtocol(TimedH11Protocol):
    """uvicorn's ``--http``: HTTP/1.1 with INTAKE_HEADER_TIMEOUT_SECONDS for each request's
    headers (uvicorn's ``--timeout-keep-alive`` sets the keep-alive timeout)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = _settings().header_timeout_seconds
