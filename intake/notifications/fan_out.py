"""Who hears about an event: the inbox rows written in the same transaction as the event.

- people mentioned in it: ``mention``;
- the triager a problem is handed to by someone else (``triage`` naming them, ``reassign``):
  ``assigned``;
- the problem's watchers, for a request for information: ``info_requested``;
- the problem's watchers, for any other change of state: ``state_change``;
- the problem's watchers, when an SLA clock is breached: ``sla_breach``;
- the problem's watchers, when its team posts a status update: ``status_update``.

The actor never hears about their own event. Internal (DTI-only) events reach DTI roles only;
reading the inbox applies the problem's visibility again, so a notification never shows what
its reader may not see.
"""

from __future__ import annotations

import uuid
from typing import Final

from sqlalchemy import ColumnElement, Select, and_, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.models import Notification, Person, ProblemEvent, ProblemWatcher
from intake.problems.subscribers import Rows
from intake.web.auth import DTI_ROLES

CREATED: Final = "created"
SLA_BREACHED: Final = "sla_breached"
INFO_REQUESTED: Final = "info_requested"
UPDATE_POSTED: Final = "update_posted"
ASSIGNING = frozenset({"triaged", "reassigned"})  # events whose changes name a new triager


def watcher_kind(event: ProblemEvent) -> str | None:
    """The notification the problem's watchers get for this event, if any.

    A problem's ``created`` event tells nobody: its only watcher then is its author, who
    made the event (``problems.create_problem``), so no statement is spent finding that."""
    if event.type == CREATED:
        return None
    if event.type == SLA_BREACHED:
        return "sla_breach"
    if event.type == INFO_REQUESTED:
        return "info_requested"
    if event.type == UPDATE_POSTED:
        return "status_update"
    if event.to_status is not None and event.to_status != event.from_status:
        return "state_change"
    return None


async def notify(
    session: AsyncSession, event: ProblemEvent, mentions: tuple[uuid.UUID, ...] = ()
) -> None:
    """Write the inbox rows for ``event``: one per person and event, the most specific first
    (a mention, then being handed the problem, then what every watcher hears)."""
    may_hear: ColumnElement[bool] = Person.active.is_(True)
    if event.actor_id is not None:
        may_hear = and_(may_hear, Person.id != event.actor_id)
    if event.internal:
        may_hear = and_(may_hear, Person.roles.overlap(sorted(DTI_ROLES)))
    if mentions:
        await _insert(
            session,
            select(Person.id, literal(event.id), literal("mention")).where(
                Person.id.in_(mentions), may_hear
            ),
        )
    assignee = _assignee(event)
    if assignee is not None:
        await _insert(
            session,
            select(Person.id, literal(event.id), literal("assigned")).where(
                Person.id == assignee, may_hear
            ),
        )
    kind = watcher_kind(event)
    if kind is not None:
        await _insert(
            session,
            select(Person.id, literal(event.id), literal(kind))
            .join(ProblemWatcher, ProblemWatcher.person_id == Person.id)
            .where(ProblemWatcher.problem_id == event.problem_id, may_hear),
        )


def rows(
    session: AsyncSession | None, event: ProblemEvent, mentions: tuple[uuid.UUID, ...] = ()
) -> Rows | None:
    """The same inbox rows as ``notify``, as a clause of the statement that writes the event
    (``intake.problems.numbering``): one INSERT, the most specific notification per person."""
    kind = watcher_kind(event)
    assignee = _assignee(event)
    if kind is None and assignee is None and not mentions:
        return Rows()
    return Rows(
        _TOLD,
        {
            "told_problem_id": event.problem_id,
            "told_actor_id": event.actor_id,
            "told_internal": event.internal,
            "told_dti_roles": sorted(DTI_ROLES),
            "told_mentions": list(mentions),
            "told_assignee": assignee,
            "told_kind": kind,
        },
    )


# ``notify`` as one clause: rank 1 a mention, 2 being handed the problem, 3 a watcher's.
_TOLD = """
told AS (
    INSERT INTO notifications (person_id, event_id, kind)
    SELECT DISTINCT ON (p.id) p.id, e.id, heard.kind
    FROM event AS e, (
        SELECT 1 AS rank, m AS person_id, 'mention' AS kind
        FROM unnest(CAST(:told_mentions AS uuid[])) AS m
        UNION ALL
        SELECT 2, CAST(:told_assignee AS uuid), 'assigned'
        WHERE CAST(:told_assignee AS uuid) IS NOT NULL
        UNION ALL
        SELECT 3, w.person_id, CAST(:told_kind AS text) FROM problem_watchers AS w
        WHERE w.problem_id = CAST(:told_problem_id AS uuid)
          AND CAST(:told_kind AS text) IS NOT NULL
    ) AS heard
    JOIN people AS p ON p.id = heard.person_id
    WHERE p.active AND p.id IS DISTINCT FROM CAST(:told_actor_id AS uuid)
      AND (NOT CAST(:told_internal AS boolean) OR p.roles && CAST(:told_dti_roles AS varchar[]))
    ORDER BY p.id, heard.rank
    ON CONFLICT DO NOTHING
)"""


def _assignee(event: ProblemEvent) -> uuid.UUID | None:
    """The triager this event hands the problem to, if it does."""
    if event.type not in ASSIGNING:
        return None
    change = event.changes.get("triager_id")
    to = change.get("to") if isinstance(change, dict) else None
    return uuid.UUID(to) if isinstance(to, str) else None


async def _insert(session: AsyncSession, rows: Select[uuid.UUID, int, str]) -> None:
    await session.execute(
        insert(Notification)
        .from_select(["person_id", "event_id", "kind"], rows)
        .on_conflict_do_nothing()
    )
