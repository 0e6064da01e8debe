"""Status updates: how the work is going (on_track, at_risk, off_track), for leadership.

Updates are a log, never edited or deleted: a correction is a newer update. The newest one
shows on the problem as ``latest_update``. They can be posted while the work is open
(``guards.WORK_STATES``: accepted through live, and on hold), so a team can say early that a
paired problem is at risk, and say why a held one is waiting.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.delivery import schemas
from intake.lib.clock import utcnow
from intake.lib.errors import FieldError, NotFound, ValidationFailed
from intake.lib.schema import from_row
from intake.notifications.fan_out import UPDATE_POSTED
from intake.problems import edits, history, records
from intake.problems import service as problems
from intake.problems.schemas import PersonRef, StatusUpdateOut
from intake.web.auth import Caller


async def post_update(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, data: schemas.StatusUpdateCreate
) -> StatusUpdateOut:
    """Add a status update; history records the status (from the previous update) and summary."""
    # Locked, so two updates posted at once are ordered and each sees the one before it.
    problem = await records.team_problem(session, caller, problem_id)
    summary = data.summary.strip()
    if not summary:
        raise ValidationFailed(
            "The summary cannot be blank.", [FieldError("summary", "Say how the work is going")]
        )
    previous = await problems.latest_update(session, problem.id)
    update = models.StatusUpdate(
        id=uuid.uuid4(),
        problem_id=problem.id,
        status=data.status,
        summary=summary,
        author_id=caller.id,
        created_at=utcnow(),
    )
    session.add(update)
    await session.flush()
    posted = {
        "update": {"id": str(update.id)},
        "status": edits.change(previous.status if previous else None, data.status),
        "summary": summary,
    }
    await history.record(session, problem.id, caller.id, UPDATE_POSTED, changes=posted)
    return _out(update, caller.name)


Update, Person = models.StatusUpdate, models.Person


def _with_author() -> Select[models.StatusUpdate, str]:
    return select(Update, Person.name).join(Person, Person.id == Update.author_id)


async def _updates_out(
    _: AsyncSession, rows: list[Row[models.StatusUpdate, str]]
) -> list[StatusUpdateOut]:
    return [_out(update, name) for update, name in rows]


list_updates = records.lister(
    "list_updates",
    lambda _, problem_id: _with_author().where(Update.problem_id == problem_id),
    (Update.created_at, Update.id),
    _updates_out,
    descending=True,
    doc="The problem's status updates, newest first.",
)


async def get_update(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, update_id: uuid.UUID
) -> StatusUpdateOut:
    await problems.get_visible(session, caller, problem_id)
    query = _with_author().where(Update.id == update_id, Update.problem_id == problem_id)
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound(f"No status update {update_id} on problem {problem_id}.")
    update, name = row
    return _out(update, name)


def _out(update: models.StatusUpdate, author_name: str) -> StatusUpdateOut:
    author = PersonRef(id=update.author_id, name=author_name)
    return from_row(StatusUpdateOut, update, author=author)
