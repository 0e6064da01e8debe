"""Discovery rules: findings, each with its evidence, recorded by the problem's team.

Anyone who can see a problem reads its findings. The problem's triager and its team's members
write them while the work is open (accepted up to live, or on hold). Writes lock the problem
row, so journey positions stay gapless (1..n) under concurrent requests. A finding's
``version`` covers its own content; where a step sits in the journey is guarded by the
journey's ETag instead (see ``intake.discovery.journey``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Row, Select, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.discovery import schemas
from intake.lib.clock import utcnow
from intake.lib.errors import FieldError, ValidationFailed
from intake.lib.pagination import Int4, page_of, seek
from intake.lib.schema import from_row
from intake.problems import edits, history, records
from intake.problems import service as problems
from intake.problems.schemas import PersonRef
from intake.web.auth import Caller

Finding, Person = models.Finding, models.Person


# -- shaping --------------------------------------------------------------------------------


def finding_out(finding: models.Finding, creator_name: str) -> schemas.Finding:
    creator = PersonRef(id=finding.created_by_id, name=creator_name)
    return from_row(schemas.Finding, finding, created_by=creator)


def with_creator() -> Select[models.Finding, str]:
    """Findings with their creator's name, the shape every read starts from."""
    return select(Finding, Person.name).join(Person, Person.id == Finding.created_by_id)


async def _out(session: AsyncSession, finding: models.Finding) -> schemas.Finding:
    creator = await session.get(Person, finding.created_by_id)
    assert creator is not None
    return finding_out(finding, creator.name)


def _text(field: str, value: str) -> str:
    """Trimmed text; a blank required text is a 422 naming the field."""
    value = value.strip()
    if not value:
        raise ValidationFailed(f"{field} cannot be blank.", [FieldError(field, "Required")])
    return value


def _detail(value: str | None) -> str | None:
    return (value or "").strip() or None


def _evidence(items: Sequence[schemas.Evidence]) -> list[dict[str, Any]]:
    stored = []
    for index, item in enumerate(items):
        stored.append(
            {
                "source": _text(f"evidence[{index}].source", item.source),
                "date": item.date.isoformat(),
                "who": _text(f"evidence[{index}].who", item.who),
            }
        )
    return stored


# -- access ---------------------------------------------------------------------------------


async def _finding(
    session: AsyncSession, problem_id: uuid.UUID, finding_id: uuid.UUID
) -> models.Finding:
    """The problem's finding; a finding of another problem is as unknown as a missing one."""
    return await records.record_of(session, Finding, problem_id, finding_id)


async def _step_of(session: AsyncSession, problem_id: uuid.UUID, step_id: uuid.UUID) -> None:
    """422 unless ``step_id`` is a journey step of this problem."""
    found = await session.scalar(
        select(Finding.id).where(
            Finding.id == step_id,
            Finding.problem_id == problem_id,
            Finding.kind == "journey_step",
        )
    )
    if found is None:
        raise ValidationFailed(
            "A pain point can only sit on a journey step of the same problem.",
            [FieldError("journey_step_id", f"{step_id} is not a journey step of this problem")],
        )


async def step_count(session: AsyncSession, problem_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Finding)
        .where(Finding.problem_id == problem_id, Finding.kind == "journey_step")
    )
    return int(count or 0)


# -- reading --------------------------------------------------------------------------------


# Journey steps first, in journey order; every other finding after them, oldest first.
_GROUP = case((Finding.kind == "journey_step", 0), else_=1)
_ORDER = (_GROUP, func.coalesce(Finding.position, 0), Finding.created_at, Finding.id)


async def list_findings(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    kinds: Sequence[str],
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.Finding], str | None]:
    """The problem's findings: journey steps in journey order, then the rest oldest first."""
    await problems.get_visible(session, caller, problem_id)
    query = with_creator().where(Finding.problem_id == problem_id)
    if kinds:
        query = query.where(Finding.kind.in_(kinds))
    query = seek(query, _ORDER, cursor, (Int4, Int4, datetime, uuid.UUID), limit=limit)
    rows, next_cursor = page_of((await session.execute(query)).all(), limit, _order_key)
    return [finding_out(finding, name) for finding, name in rows], next_cursor


def _order_key(row: Row[models.Finding, str]) -> tuple[int, int, datetime, uuid.UUID]:
    """A finding's place in ``_ORDER``, as a cursor holds it."""
    finding = row[0]
    group = 0 if finding.kind == "journey_step" else 1
    return group, finding.position or 0, finding.created_at, finding.id


async def get_finding(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, finding_id: uuid.UUID
) -> schemas.Finding:
    await problems.get_visible(session, caller, problem_id)
    return await _out(session, await _finding(session, problem_id, finding_id))


# -- changing -------------------------------------------------------------------------------


async def add_finding(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, data: schemas.FindingCreate
) -> schemas.Finding:
    """Record a finding. A journey step goes at ``position`` (later steps shift down) or last."""
    problem = await records.team_problem(session, caller, problem_id)
    errors = []
    if data.journey_step_id is not None and data.kind != "pain_point":
        errors.append(FieldError("journey_step_id", "Only pain points sit on a journey step"))
    if data.position is not None and data.kind != "journey_step":
        errors.append(FieldError("position", "Only journey steps have a position"))
    if errors:
        raise ValidationFailed(f"A finding of kind {data.kind} cannot take these fields.", errors)
    title = _text("title", data.title)
    evidence = _evidence(data.evidence)

    position = None
    if data.kind == "journey_step":
        last = await step_count(session, problem.id)
        position = data.position or last + 1
        if position > last + 1:
            raise ValidationFailed(
                f"The journey has {last} step(s); a new step goes at position 1 to {last + 1}.",
                [FieldError("position", f"Between 1 and {last + 1}")],
            )
        await session.execute(
            update(Finding)
            .where(
                Finding.problem_id == problem.id,
                Finding.kind == "journey_step",
                Finding.position >= position,
            )
            .values(position=Finding.position + 1)
        )
    if data.journey_step_id is not None:
        await _step_of(session, problem.id, data.journey_step_id)

    finding = await records.insert(
        session,
        caller,
        models.Finding,
        problem.id,
        kind=data.kind,
        title=title,
        detail=_detail(data.detail),
        evidence=evidence,
        position=position,
        journey_step_id=data.journey_step_id,
    )
    changes = {
        "finding_id": str(finding.id),
        "kind": finding.kind,
        **edits.added(finding, ("title", "evidence", "detail", "position", "journey_step_id")),
    }
    await history.record(session, problem.id, caller.id, "finding_added", changes=changes)
    await session.refresh(finding)
    return await _out(session, finding)


async def update_finding(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    finding_id: uuid.UUID,
    data: schemas.FindingUpdate,
    if_match: str | None,
) -> schemas.Finding:
    """Edit a finding's text, evidence or (for a pain point) the step it sits on."""
    problem, finding = await records.changing(
        session, caller, Finding, problem_id, finding_id, if_match
    )

    wanted: dict[str, Any] = {}
    if data.title is not msgspec.UNSET:
        wanted["title"] = _text("title", data.title)
    if data.detail is not msgspec.UNSET:
        wanted["detail"] = _detail(data.detail)
    if data.evidence is not msgspec.UNSET:
        wanted["evidence"] = _evidence(data.evidence)
    if data.journey_step_id is not msgspec.UNSET:
        if finding.kind != "pain_point":
            raise ValidationFailed(
                f"A finding of kind {finding.kind} cannot sit on a journey step.",
                [FieldError("journey_step_id", "Only pain points sit on a journey step")],
            )
        if data.journey_step_id is not None:
            await _step_of(session, problem.id, data.journey_step_id)
        wanted["journey_step_id"] = data.journey_step_id

    changes = edits.track(finding, wanted)
    if changes:
        changes = {"finding_id": str(finding.id), "kind": finding.kind, **changes}
        await records.changed(session, caller, finding, "finding_updated", changes)
    return await _out(session, finding)


async def remove_finding(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    finding_id: uuid.UUID,
    if_match: str | None,
) -> None:
    """Delete a finding. A removed step's pain points stay, off the journey; later steps move up."""
    problem, finding = await records.changing(
        session, caller, Finding, problem_id, finding_id, if_match
    )

    detached: list[uuid.UUID] = []
    changes: dict[str, Any] = {
        "finding_id": str(finding.id),
        "kind": finding.kind,
        "title": {"from": finding.title, "to": None},
    }
    if finding.kind == "journey_step":
        # The foreign key would detach them too (SET NULL); doing it here bumps their version,
        # since their representation changes, and names them in the history.
        detached = list(
            await session.scalars(
                update(Finding)
                .where(Finding.journey_step_id == finding.id)
                .values(journey_step_id=None, version=Finding.version + 1, updated_at=utcnow())
                .returning(Finding.id)
            )
        )
        changes["position"] = {"from": finding.position, "to": None}
        if detached:
            changes["detached_pain_point_ids"] = sorted(str(item) for item in detached)
    position = finding.position
    await session.delete(finding)
    await session.flush()
    if position is not None:
        await session.execute(
            update(Finding)
            .where(
                Finding.problem_id == problem.id,
                Finding.kind == "journey_step",
                Finding.position > position,
            )
            .values(position=Finding.position - 1)
        )
    await history.record(session, problem.id, caller.id, "finding_removed", changes=changes)
