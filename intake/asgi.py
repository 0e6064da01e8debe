"""ASGI factory for several worker processes against an external database.

``uvicorn --factory intake.asgi:create --workers 4`` (or ``intake serve`` with
INTAKE_WORKERS) with INTAKE_DATABASE_URL set. Migrations are not run here: run
``intake db upgrade`` once per deploy.
"""

from __future__ import annotations

from litestar import Litestar

from intake.app import create_app
from intake.config import Settings


def create() -> Litestar:
    settings = Settings.from_env()
    if settings.database_url is None:
        raise RuntimeError("intake.asgi needs INTAKE_DATABASE_URL (an external PostgreSQL)")
    return create_app(settings, settings.database_url)
