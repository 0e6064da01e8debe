"""The one way to write a problem's history: an event in the same transaction as the change."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.models import ProblemEvent


async def record(
    session: AsyncSession,
    *,
    problem_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    type: str,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
) -> ProblemEvent:
    event = ProblemEvent(
        problem_id=problem_id,
        actor_id=actor_id,
        type=type,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        changes=changes or {},
    )
    session.add(event)
    await session.flush()
    return event
