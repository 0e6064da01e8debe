"""What the layers above the core do when a problem changes, in the change's transaction.

The core writes history (``history.record``) and moves problems through the lifecycle
(``service.apply_action``); the inbox, the portfolio's timeline, the SLA clocks and the
similar problems follow those changes. The core does not import them: it calls the
subscribers that ``intake.composition`` attaches to every sessionmaker it makes. A session
from any other sessionmaker cannot write history, so no path (the app, the CLI, the demo
seed, a test calling a service) records an event its subscribers miss.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.db.models import Problem, ProblemEvent

# After an event is written: the event and the people it mentions.
EventRecorded = Callable[[AsyncSession, ProblemEvent, tuple[uuid.UUID, ...]], Awaitable[None]]


@dataclass(slots=True)
class State:
    """A problem's lifecycle columns without its entity: a submit's, read with its lock and
    written by its numbered statement (``intake.problems.submitting``)."""

    id: uuid.UUID
    status: str
    submitted_at: datetime | None
    first_response_at: datetime | None
    first_response_due_at: datetime | None
    decision_due_at: datetime | None
    decided_at: datetime | None
    paused_since: datetime | None


# What a ``StateChanged`` subscriber reads and sets of the problem: its entity, or a State.
Changing = Problem | State


# Before an action's event is written, once the problem is in its new state (before, after,
# now): what it returns joins the event's ``changes``.
StateChanged = Callable[[AsyncSession, Changing, str, str, datetime], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Rows:
    """What a subscriber writes for an event as part of the statement that writes the event:
    ``sql``, ``name AS (...)`` clauses of its WITH (none if empty), reading the event from the
    clause ``event`` (its columns, as written) and its problem from the clause ``problem``
    (``id``, ``department_id``, ``community_list_id``, as the statement leaves it: a draft's
    statement writes it); ``params``, named apart from any other's."""

    sql: str = ""
    params: dict[str, Any] | None = None


NOTHING = Rows()
# The same subscriber, given the event before it is written (no id, no moment yet): the rows
# it adds as clauses of the event's own statement, or None to be called after the statement
# (``EventRecorded``) as for any other event. A write that must be one statement (a submit's,
# under the reference counter's lock: ``intake.problems.numbering``; a draft's, which may
# run on a connection outside any session, given None: ``intake.problems.drafting``) asks
# these.
EventRows = Callable[[AsyncSession | None, ProblemEvent, tuple[uuid.UUID, ...]], Rows | None]

_KEY = "intake.problems.subscribers"


@dataclass(frozen=True, slots=True)
class Subscribers:
    event_recorded: tuple[EventRecorded, ...]
    state_changed: tuple[StateChanged, ...]
    # One per ``event_recorded`` subscriber, in its order (``EventRows``).
    event_rows: tuple[EventRows, ...] = ()

    def __post_init__(self) -> None:
        if self.event_rows and len(self.event_rows) != len(self.event_recorded):
            raise ValueError("event_rows names one function per event_recorded subscriber")

    def session_info(self) -> dict[str, Any]:
        """The sessionmaker ``info`` that makes every session it opens call these."""
        return {_KEY: self}


def of(session: AsyncSession | async_sessionmaker[AsyncSession]) -> Subscribers:
    """The subscribers of the session's sessionmaker (or of the sessionmaker); a session
    without them is a bug."""
    info = session.info if isinstance(session, AsyncSession) else session.kw.get("info", {})
    subscribers = info.get(_KEY)
    if not isinstance(subscribers, Subscribers):
        raise RuntimeError(
            "This session cannot change problems: its sessionmaker has no subscribers. "
            "Make sessionmakers with intake.composition.create_sessionmaker."
        )
    return subscribers
