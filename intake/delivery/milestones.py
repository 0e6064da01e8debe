"""Delivery milestones: target and done dates, where a moved target keeps the earlier ones.

Slips stay visible: each change of ``target_date`` appends the date it replaced to
``earlier_targets`` (oldest first, with who moved it, when and why). ``slip_days`` is the
current target minus the first one, signed: a milestone moved later has a positive slip, one
brought forward a negative slip, and moves that cancel out show 0 (``earlier_targets`` still
lists them). The ``state`` is derived on read from the dates and today's date.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.delivery import schemas
from intake.lib.clock import utcnow
from intake.lib.errors import FieldError, ValidationFailed
from intake.lib.schema import from_row
from intake.problems import edits, history, records
from intake.problems import service as problems
from intake.problems.schemas import PersonRef
from intake.web.auth import Caller


def milestone_state(target_date: date, done_on: date | None, today: date) -> schemas.MilestoneState:
    """done / done_late (done after its target) / overdue (target passed) / upcoming."""
    if done_on is not None:
        return "done_late" if done_on > target_date else "done"
    return "overdue" if target_date < today else "upcoming"


# -- reading --------------------------------------------------------------------------------


async def get_milestone(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, milestone_id: uuid.UUID
) -> schemas.Milestone:
    await problems.get_visible(session, caller, problem_id)
    return await milestone_out(session, await _find(session, problem_id, milestone_id))


async def milestone_out(session: AsyncSession, milestone: models.Milestone) -> schemas.Milestone:
    (out,) = await _out_many(session, [milestone])
    return out


async def _out_many(
    session: AsyncSession, milestones: list[models.Milestone]
) -> list[schemas.Milestone]:
    people = {
        *(m.created_by_id for m in milestones),
        *(uuid.UUID(e["replaced_by_id"]) for m in milestones for e in m.earlier_targets),
    }
    names = await records.names(session, people)
    today = utcnow().date()
    return [
        from_row(
            schemas.Milestone,
            m,
            **derived(m.target_date, m.done_on, m.earlier_targets, m.created_by_id, names, today),
        )
        for m in milestones
    ]


Milestone = models.Milestone
list_milestones = records.lister(
    "list_milestones",
    lambda _, problem_id: select(Milestone).where(
        Milestone.problem_id == problem_id, Milestone.present()
    ),
    (Milestone.target_date, Milestone.created_at, Milestone.id),
    _out_many,
    doc="The problem's milestones by target date (earliest first; ties by creation).",
)


def derived(
    target_date: date,
    done_on: date | None,
    earlier_targets: list[dict[str, Any]],
    created_by_id: uuid.UUID,
    names: dict[uuid.UUID, str],
    today: date,
) -> dict[str, Any]:
    """The fields of a milestone's body that its columns do not hold as they are: its state,
    its earlier targets and slip, and its creator (``names``: of everyone on it, by id)."""
    earlier = [
        schemas.EarlierTarget(
            target_date=date.fromisoformat(entry["target_date"]),
            replaced_at=datetime.fromisoformat(entry["replaced_at"]),
            replaced_by=_person(names, entry.get("replaced_by_id")),
            reason=entry.get("reason"),
        )
        for entry in earlier_targets
    ]
    original = earlier[0].target_date if earlier else target_date
    creator = _person(names, str(created_by_id))
    assert creator is not None
    return {
        "state": milestone_state(target_date, done_on, today),
        "original_target_date": original,
        "slip_days": (target_date - original).days,
        "earlier_targets": earlier,
        "created_by": creator,
    }


def _person(names: dict[uuid.UUID, str], person_id: str | None) -> PersonRef | None:
    if person_id is None:
        return None
    key = uuid.UUID(person_id)
    return PersonRef(id=key, name=names.get(key, ""))


async def _find(
    session: AsyncSession, problem_id: uuid.UUID, milestone_id: uuid.UUID
) -> models.Milestone:
    return await records.record_of(
        session, models.Milestone, problem_id, milestone_id, models.Milestone.present()
    )


# -- changing -------------------------------------------------------------------------------


def _check_done_on(done_on: date | None) -> None:
    if done_on is not None and done_on > utcnow().date():
        raise ValidationFailed(
            "A milestone cannot be done on a future date.",
            [FieldError("done_on", "Must be today or earlier")],
        )


def _title(value: str) -> str:
    title = value.strip()
    if not title:
        raise ValidationFailed("The title cannot be blank.", [FieldError("title", "Required")])
    return title


def _ref(milestone: models.Milestone) -> dict[str, str]:
    return {"id": str(milestone.id), "title": milestone.title}


async def create_milestone(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, data: schemas.MilestoneCreate
) -> schemas.Milestone:
    problem = await records.team_problem(session, caller, problem_id)
    title = _title(data.title)
    description = (data.description or "").strip() or None
    _check_done_on(data.done_on)
    milestone = await records.insert(
        session,
        caller,
        models.Milestone,
        problem.id,
        title=title,
        description=description,
        target_date=data.target_date,
        done_on=data.done_on,
        earlier_targets=[],
    )
    changes = {
        "milestone": _ref(milestone),
        **edits.added(milestone, ("title", "target_date", "description", "done_on")),
    }
    await history.record(session, problem.id, caller.id, "milestone_added", changes=changes)
    return await milestone_out(session, milestone)


async def update_milestone(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    milestone_id: uuid.UUID,
    data: schemas.MilestoneUpdate,
    if_match: str | None,
) -> schemas.Milestone:
    """Edit a milestone. Moving its target keeps the old date; setting done_on marks it done.

    One history event per edit: ``milestone_done`` when it gets a done date, otherwise
    ``milestone_updated``; a moved target shows as ``target_date`` {from, to} and
    ``slip_days`` {from, to}, with the reason on the event.
    """
    _, milestone = await records.changing(
        session, caller, Milestone, problem_id, milestone_id, if_match, Milestone.present()
    )
    moves_target = data.target_date is not msgspec.UNSET
    reason = (data.reason.strip() or None) if isinstance(data.reason, str) else None
    if reason is not None and not moves_target:
        raise ValidationFailed(
            "A reason explains a moved target date; send it with target_date.",
            [FieldError("reason", "Only with target_date")],
        )
    now = utcnow()
    wanted: dict[str, Any] = {}
    if not isinstance(data.title, msgspec.UnsetType):
        wanted["title"] = _title(data.title)
    if not isinstance(data.description, msgspec.UnsetType):
        wanted["description"] = (data.description or "").strip() or None
    changes = edits.track(milestone, wanted)
    if isinstance(data.target_date, date) and data.target_date != milestone.target_date:
        earlier = list(milestone.earlier_targets)
        original = (
            date.fromisoformat(earlier[0]["target_date"]) if earlier else milestone.target_date
        )
        earlier.append(
            {
                "target_date": milestone.target_date.isoformat(),
                "replaced_at": now.isoformat(),
                "replaced_by_id": str(caller.id),
                "reason": reason,
            }
        )
        changes["target_date"] = edits.change(milestone.target_date, data.target_date)
        changes["slip_days"] = edits.change(
            (milestone.target_date - original).days, (data.target_date - original).days
        )
        milestone.earlier_targets = earlier  # a new list, so the JSONB column is written
        milestone.target_date = data.target_date
    became_done = False
    if not isinstance(data.done_on, msgspec.UnsetType) and data.done_on != milestone.done_on:
        _check_done_on(data.done_on)
        became_done = milestone.done_on is None
        changes["done_on"] = edits.change(milestone.done_on, data.done_on)
        milestone.done_on = data.done_on

    if changes:
        await records.changed(
            session,
            caller,
            milestone,
            "milestone_done" if became_done else "milestone_updated",
            {"milestone": _ref(milestone), **changes},
            reason=reason if "target_date" in changes else None,
            now=now,
        )
    return await milestone_out(session, milestone)


async def delete_milestone(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    milestone_id: uuid.UUID,
    if_match: str | None,
) -> None:
    """Remove a milestone: gone from the API, kept for the portfolio's earlier moments
    (``deleted_at``); history keeps what it was (title, target and done dates)."""
    _, milestone = await records.changing(
        session, caller, Milestone, problem_id, milestone_id, if_match, Milestone.present()
    )
    changes = {"milestone": _ref(milestone), **edits.removed(milestone, ("target_date", "done_on"))}
    if milestone.earlier_targets:
        changes["earlier_targets"] = [e["target_date"] for e in milestone.earlier_targets]
    await history.record(session, problem_id, caller.id, "milestone_removed", changes=changes)
    milestone.remove(caller.id, utcnow())
    await session.flush()
