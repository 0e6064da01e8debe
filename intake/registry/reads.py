"""``GET /me`` in one statement, straight to its response (``intake.web.reads``)."""

from __future__ import annotations

import asyncpg

from intake.registry import schemas
from intake.web.reads import CALLER, fetch_as

ME_SQL = f"WITH {CALLER} SELECT c.active AS caller_active, c.* FROM c"


async def me_for(connection: asyncpg.Connection, email: str) -> schemas.Me:
    """The person ``email``, their home department and roles (as ``me_out`` shows them)."""
    row = (await fetch_as(connection, email, ME_SQL))[0]
    return schemas.Me(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        department=schemas.DepartmentRef(
            id=row["department_id"], code=row["department_code"], name=row["department_name"]
        ),
        roles=sorted(row["roles"]),
        email_notifications=row["email_notifications"],
    )
