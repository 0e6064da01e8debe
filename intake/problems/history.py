"""The one way to write a problem's history: an event in the same transaction as the change.

Every event then goes to the subscribers of the session (``intake.problems.subscribers``):
the inbox of the people it concerns, the portfolio's timeline, the similar problems.
Its ``type`` is one of ``intake.vocabulary.events.EVENT_TYPES``, the one list of event types.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.base import Base
from intake.db.models import ProblemEvent
from intake.lib import clock
from intake.problems import subscribers
from intake.vocabulary.events import EVENT_TYPES, EventType


async def record(
    session: AsyncSession,
    problem_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    type: EventType,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
    internal: bool = False,
    mentions: Iterable[uuid.UUID] = (),
) -> ProblemEvent:
    """Append an event. ``internal`` events reach DTI roles only; ``mentions`` get notified.

    A type missing from EVENT_TYPES is a bug in the caller (mypy catches a literal one), not
    bad input: it fails loudly rather than write history that no feed filter or webhook can
    ask for."""
    if type not in EVENT_TYPES:
        raise ValueError(f"{type!r} is not in intake.vocabulary.events.EVENT_TYPES")
    following = subscribers.of(session).event_recorded
    # The change first, then its event: the event feed publishes an event for whom may see
    # the problem as the change left it (trigger feed_publish, see intake.feed.service).
    await session.flush()
    values: dict[str, Any] = {
        "problem_id": problem_id,
        "actor_id": actor_id,
        "type": type,
        "from_status": from_status,
        "to_status": to_status,
        "reason": reason,
        "changes": changes or {},
        "internal": internal,
    }
    moment = clock.travelled()
    if moment is not None:  # a replayed past action (the demo seed) happened then, not now
        values["occurred_at"] = moment
    # One INSERT ... RETURNING, not the unit of work: the event is written once and never
    # changed, so it needs no identity map; what the database stamps comes back with it.
    written = (await session.execute(_INSERT, values)).one()
    event = ProblemEvent(
        **{**values, "occurred_at": written.occurred_at}, id=written.id, xact_id=written.xact_id
    )
    mentioned = tuple(mentions)
    for follow in following:
        await follow(session, event, mentioned)
    return event


_TABLE = Base.metadata.tables["problem_events"]
_INSERT = insert(_TABLE).returning(_TABLE.c.id, _TABLE.c.occurred_at, _TABLE.c.xact_id)
