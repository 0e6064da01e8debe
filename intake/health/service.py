"""Readiness: the database reachable and at this release's migration head, and whether the
stored similar problems were built with this release's dictionary."""

from __future__ import annotations

import msgspec
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from intake.lib.errors import ServiceUnavailable
from intake.lib.outages import RETRY_AFTER_SECONDS, database_unreachable
from intake.triage.words import dictionary_hash

STALE_MATCHES = (
    "built with another dictionary: run `intake similar recompute` to compute them again"
)


class Health(msgspec.Struct, kw_only=True, omit_defaults=True):
    status: str
    database: str | None = None
    migration: str | None = None
    # STALE_MATCHES when the stored similar problems were built with another dictionary
    # (intake.triage.words); absent otherwise. Not a reason to take the process out of service.
    similar_problems: str | None = None


async def readiness(engine: AsyncEngine, head: str | None) -> Health:
    """Ready, or 503 with why not."""
    try:
        async with engine.connect() as connection:
            current = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            recorded = None
            if current == head:
                recorded = await connection.scalar(
                    text("SELECT dictionary FROM similar_dictionary")
                )
    except Exception as error:
        # Refused, reset, starting up, shutting down, no schema yet: not ready. A refused
        # connection is an OSError, not an SQLAlchemyError.
        if not (isinstance(error, SQLAlchemyError) or database_unreachable(error)):
            raise
        raise ServiceUnavailable(
            "The database is not reachable.", retry_after=RETRY_AFTER_SECONDS
        ) from None
    if current != head:
        raise ServiceUnavailable(
            f"The database is at migration {current}, this release expects {head}; "
            "run `intake db upgrade`."
        )
    matches = None if recorded in (None, dictionary_hash()) else STALE_MATCHES
    return Health(status="ok", database="ok", migration=current, similar_problems=matches)
