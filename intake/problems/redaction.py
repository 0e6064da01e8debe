"""What one problem may say about another: a problem the reader may not see is never named.

Some records name a second problem: a ``linked`` event names the problem at the other end
of the link, ``marked_duplicate`` the duplicate's primary, ``duplicate_linked`` the
primary's duplicate, and a duplicate's ``primary_problem_id`` its primary. Wherever they
are read out (a problem's detail and history, the event feed and the webhooks that deliver
it), the second problem is judged by the reader's own ``visible_to``, when they read. If
they may not see it, its id and reference are null; the event stays, with the rest of its
changes (the link's type and direction, how many followers moved), because it records a
change to a problem they can see. So nothing says more than ``GET /links`` and a ``404``
do: that something is there, never which.

The inbox shows no event's ``changes``, so it names no second problem.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.models import Problem
from intake.problems.guards import visible_to
from intake.problems.schemas import HistoryEvent
from intake.web.auth import Caller

# The events that name a second problem, and the key of ``changes`` that holds it: an
# object with the problem's id (under ``id``, or ``to``/``from`` for a link's direction)
# and its ``reference``. An event type that names another problem belongs here.
NAMES_ANOTHER: dict[str, str] = {
    "linked": "link",
    "marked_duplicate": "primary",
    "duplicate_linked": "duplicate",
}
ID_KEYS = ("id", "to", "from")

Event = TypeVar("Event", bound=HistoryEvent)


async def visible_ids(
    session: AsyncSession, caller: Caller, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of ``ids`` naming a problem the caller may see (one query; none for no ids)."""
    wanted = set(ids)
    if not wanted:
        return set()
    found = await session.scalars(
        select(Problem.id).where(Problem.id.in_(wanted), visible_to(caller))
    )
    return set(found)


async def shown_problem_id(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID | None
) -> uuid.UUID | None:
    """``problem_id`` if the caller may see that problem, else None."""
    if problem_id is None:
        return None
    return problem_id if await visible_ids(session, caller, [problem_id]) else None


async def redact(session: AsyncSession, caller: Caller, events: Sequence[Event]) -> list[Event]:
    """The events as ``caller`` may read them: every second problem they may not see
    has a null id and reference. One query for the whole page."""
    named = {index: _named(event) for index, event in enumerate(events)}
    ids = {problem_id for _, problem_id in filter(None, named.values()) if problem_id}
    visible = await visible_ids(session, caller, ids)
    out = []
    for index, event in enumerate(events):
        found = named[index]
        if found is not None and found[1] not in visible:
            event = _without_it(event, found[0])
        out.append(event)
    return out


def unless_visible(event: Event, visible: bool) -> Event:
    """The event as a reader sees it who may (``visible``) or may not see the second
    problem it names, if it names one; ``visible`` judged in SQL (intake.problems.reads)."""
    found = _named(event)
    if found is not None and (found[1] is None or not visible):
        return _without_it(event, found[0])
    return event


def _named(event: HistoryEvent) -> tuple[str, uuid.UUID | None] | None:
    """Where the event names a second problem (the key of its id) and which, if it does.
    An id that cannot be read is None: never shown, whoever asks."""
    key = NAMES_ANOTHER.get(event.type)
    other = event.changes.get(key) if key else None
    if not isinstance(other, dict):
        return None
    for id_key in ID_KEYS:
        if id_key in other:
            try:
                return id_key, uuid.UUID(str(other[id_key]))
            except ValueError:
                return id_key, None
    return None


def _without_it(event: Event, id_key: str) -> Event:
    key = NAMES_ANOTHER[event.type]
    other: dict[str, Any] = {**event.changes[key], id_key: None, "reference": None}
    return msgspec.structs.replace(event, changes={**event.changes, key: other})
