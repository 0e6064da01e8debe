"""The current journey map: journey steps in order, each with the pain points met there.

The journey has no row of its own, so it has no version. Its ETag is a hash of what the map
shows (every step and pain point, by id and version, in map order): adding, removing, editing,
moving or reordering anything in it changes the tag. ``PUT /journey`` needs that tag in
If-Match, so a reorder never silently drops a step someone else added in the meantime.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Sequence

import msgspec
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.discovery import schemas
from intake.discovery.service import finding_out, with_creator
from intake.lib.errors import FieldError, ValidationFailed
from intake.lib.etag import check_if_match, etag
from intake.problems import edits, history, records
from intake.problems import service as problems
from intake.web.auth import Caller

Finding = models.Finding


async def _journey(session: AsyncSession, problem_id: uuid.UUID) -> tuple[schemas.Journey, str]:
    """The journey map of a problem (already authorised) and its ETag."""
    rows = (
        await session.execute(
            with_creator()
            .where(
                Finding.problem_id == problem_id,
                Finding.kind.in_(("journey_step", "pain_point")),
            )
            .order_by(Finding.position.nulls_last(), Finding.created_at, Finding.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    steps: dict[uuid.UUID, schemas.JourneyStep] = {}
    unplaced: list[schemas.Finding] = []
    for finding, name in rows:  # steps come first, so every pain point finds its step
        out = finding_out(finding, name)
        if finding.kind == "journey_step":
            steps[finding.id] = schemas.JourneyStep(**msgspec.structs.asdict(out), pain_points=[])
        elif finding.journey_step_id in steps:
            steps[finding.journey_step_id].pain_points.append(out)
        else:
            unplaced.append(out)
    journey = schemas.Journey(steps=list(steps.values()), unplaced_pain_points=unplaced)
    return journey, journey_etag(journey)


def journey_etag(journey: schemas.Journey) -> str:
    shown: list[schemas.Finding] = []
    for step in journey.steps:
        shown += [step, *step.pain_points]
    shown += journey.unplaced_pain_points
    digest = hashlib.sha256(";".join(f"{item.id}:{item.version}" for item in shown).encode())
    return etag(f"journey-{digest.hexdigest()[:20]}")


async def journey_map(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID
) -> tuple[schemas.Journey, str]:
    await problems.get_visible(session, caller, problem_id)
    return await _journey(session, problem_id)


def _order_errors(current: Sequence[uuid.UUID], wanted: Sequence[uuid.UUID]) -> list[FieldError]:
    """What is wrong with ``wanted`` as an order of exactly the ``current`` steps."""
    errors = []
    listed_times = Counter(wanted)
    missing = [step for step in current if step not in listed_times]
    known = set(current)
    extra = [step for step in listed_times if step not in known]
    repeated = [step for step, times in listed_times.items() if times > 1]
    if missing:
        listed = ", ".join(map(str, missing))
        errors.append(FieldError("step_ids", f"Missing journey steps: {listed}"))
    if extra:
        listed = ", ".join(map(str, extra))
        errors.append(FieldError("step_ids", f"Not journey steps of this problem: {listed}"))
    if repeated:
        listed = ", ".join(map(str, repeated))
        errors.append(FieldError("step_ids", f"Listed more than once: {listed}"))
    return errors


async def reorder_journey(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    step_ids: Sequence[uuid.UUID],
    if_match: str | None,
) -> tuple[schemas.Journey, str]:
    """Put the problem's journey steps in the order given: every step, each exactly once."""
    problem = await records.team_problem(session, caller, problem_id)
    journey, tag = await _journey(session, problem.id)
    check_if_match(if_match, tag.strip('"'))
    current = [step.id for step in journey.steps]
    errors = _order_errors(current, step_ids)
    if errors:
        raise ValidationFailed(
            "step_ids must list every journey step of the problem exactly once.", errors
        )
    wanted = list(step_ids)
    if wanted == current:
        return journey, tag
    # Positions are not unique in the table, so steps can be renumbered one by one. A step's
    # place is part of the journey (whose ETag changes), not of the step's own version.
    for position, step_id in enumerate(wanted, start=1):
        await session.execute(
            update(Finding)
            .where(Finding.id == step_id, Finding.position != position)
            .values(position=position)
        )
    moved = {"step_ids": edits.change([str(s) for s in current], [str(s) for s in wanted])}
    await history.record(session, problem.id, caller.id, "journey_reordered", changes=moved)
    return await _journey(session, problem.id)
