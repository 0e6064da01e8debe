"""The personal inbox: what a person was notified about, as far as they may see it now.

Rows are written by ``fan_out`` with the event. Reading applies visibility again: a
notification whose problem the reader can no longer see (restricted since, or they left the
collaborating department) or whose event is DTI-internal while they are not DTI is left out
of every list, count and update, exactly as if it did not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Select, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.models import Notification, Person, Problem, ProblemEvent
from intake.lib.clock import utcnow
from intake.lib.errors import FieldError, NotFound, ValidationFailed
from intake.lib.pagination import page_of, seek
from intake.lib.schema import from_row
from intake.notifications import schemas
from intake.problems.guards import event_visible_to, visible_to
from intake.problems.schemas import PersonRef
from intake.vocabulary.states import Status
from intake.web.auth import Caller


def _readable(caller: Caller) -> ColumnElement[bool]:
    """SQL condition on a notification joined to its event and problem: the caller's own,
    about a problem they may see now, and not a DTI-internal event unless they are DTI."""
    return and_(Notification.person_id == caller.id, visible_to(caller), event_visible_to(caller))


def _ids_readable_by(caller: Caller) -> Select[int]:
    return (
        select(Notification.id)
        .join(ProblemEvent, ProblemEvent.id == Notification.event_id)
        .join(Problem, Problem.id == ProblemEvent.problem_id)
        .where(_readable(caller))
    )


async def list_notifications(
    session: AsyncSession, caller: Caller, *, unread_only: bool, cursor: str | None, limit: int
) -> schemas.Inbox:
    """The caller's notifications, newest first, with the number still unread."""
    query = _rows(caller)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    query = seek(query, (Notification.id,), cursor, (int,), limit=limit, descending=True)
    rows, next_cursor = page_of((await session.execute(query)).all(), limit, lambda r: (r[0].id,))
    return schemas.Inbox(
        items=[_out(*row) for row in rows],
        next_cursor=next_cursor,
        unread_count=await unread_count(session, caller),
    )


async def unread_among(
    session: AsyncSession, caller: Caller, ids: Sequence[int]
) -> list[schemas.Notification]:
    """Those of ``ids`` that are the caller's, unread, and that they may see now, as their
    inbox shows them: what may still be e-mailed to them (``intake.mail.delivery``)."""
    query = (
        _rows(caller)
        .where(Notification.id.in_(ids), Notification.read_at.is_(None))
        .order_by(Notification.id)
    )
    return [_out(*row) for row in (await session.execute(query)).all()]


async def unread_count(session: AsyncSession, caller: Caller) -> int:
    count = await session.scalar(
        select(func.count()).select_from(
            _ids_readable_by(caller).where(Notification.read_at.is_(None)).subquery()
        )
    )
    return int(count or 0)


async def mark_read(
    session: AsyncSession, caller: Caller, notification_id: int
) -> schemas.Notification:
    """Mark one of the caller's notifications read (it keeps its first read time); 404 for
    one that is not theirs or that they may no longer see."""
    await _mark(session, caller, [notification_id])
    row = (await session.execute(_rows(caller).where(Notification.id == notification_id))).first()
    if row is None:
        raise NotFound(f"No notification {notification_id}.")
    return _out(*row)


async def mark_many_read(
    session: AsyncSession, caller: Caller, data: schemas.MarkRead
) -> schemas.MarkedRead:
    """Mark the listed notifications, or all of the caller's, read."""
    if data.all == (data.ids is not None):
        raise ValidationFailed(
            'Send either "ids" or "all": true.',
            [FieldError("ids", 'Give the ids to mark read, or send "all": true instead')],
        )
    if data.ids is not None:
        wanted = set(data.ids)
        found = set(
            await session.scalars(_ids_readable_by(caller).where(Notification.id.in_(wanted)))
        )
        if missing := sorted(wanted - found):
            raise NotFound(f"No notification {', '.join(map(str, missing))}.")
        marked = await _mark(session, caller, sorted(wanted))
    else:
        marked = await _mark(session, caller, None)
    return schemas.MarkedRead(marked=marked, unread_count=await unread_count(session, caller))


async def _mark(session: AsyncSession, caller: Caller, ids: Sequence[int] | None) -> int:
    """Stamp the caller's readable, unread notifications (all, or those in ``ids``)."""
    readable = _ids_readable_by(caller).where(Notification.read_at.is_(None))
    if ids is not None:
        readable = readable.where(Notification.id.in_(ids))
    result = await session.execute(
        update(Notification)
        .where(Notification.id.in_(readable))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return cast(int, getattr(result, "rowcount", 0))


InboxRow = Select[Notification, ProblemEvent, uuid.UUID, str | None, str, str, str | None]


def _rows(caller: Caller) -> InboxRow:
    return (
        select(
            Notification,
            ProblemEvent,
            Problem.id,
            Problem.reference,
            Problem.title,
            Problem.status,
            Person.name,
        )
        .join(ProblemEvent, ProblemEvent.id == Notification.event_id)
        .join(Problem, Problem.id == ProblemEvent.problem_id)
        .outerjoin(Person, Person.id == ProblemEvent.actor_id)
        .where(_readable(caller))
    )


def _out(
    notification: Notification,
    event: ProblemEvent,
    problem_id: uuid.UUID,
    reference: str | None,
    title: str,
    status: str,
    actor_name: str | None,
) -> schemas.Notification:
    actor = PersonRef(id=event.actor_id, name=actor_name or "") if event.actor_id else None
    return from_row(
        schemas.Notification,
        notification,
        summary=summary(notification.kind, event, reference or f'"{title}"', actor_name),
        problem=schemas.NotificationProblem(
            id=problem_id, reference=reference, title=title, status=cast(Status, status)
        ),
        event=from_row(schemas.NotificationEvent, event, actor=actor),
    )


class EventLike(Protocol):
    """What a summary reads of an event: the entity, or a row read for it."""

    @property
    def changes(self) -> dict[str, Any]: ...
    @property
    def from_status(self) -> str | None: ...
    @property
    def to_status(self) -> str | None: ...


def summary(kind: str, event: EventLike, problem: str, actor_name: str | None) -> str:
    """One line a person reads in their inbox, e.g. "Priya One moved P-2026-00012 from
    triage to accepted"."""
    who = actor_name or "Someone"
    if kind == "mention":
        return f"{who} mentioned you on {problem}"
    if kind == "info_requested":
        return f"{who} asked for more information on {problem}"
    if kind == "sla_breach":
        clock = str(event.changes.get("clock", "")).replace("_", "-")
        due = _day(event.changes.get("due_at"))
        return f"{problem} missed its {clock} SLA" + (f" (due {due})" if due else "")
    if kind == "assigned":
        return f"{who} handed {problem} to you"
    if kind == "status_update":
        status = event.changes.get("status", {}).get("to") or "a new status"
        return f"{who} posted a status update on {problem}: {_words(str(status))}"
    moved = f"to {_words(event.to_status or 'a new state')}"
    if event.from_status:
        moved = f"from {_words(event.from_status)} {moved}"
    return f"{actor_name} moved {problem} {moved}" if actor_name else f"{problem} moved {moved}"


def _words(status: str) -> str:
    return status.replace("_", " ")


def _day(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return None
