"""Delivery rules: the phase actions from accepted to closed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.delivery import schemas
from intake.lib.clock import utcnow
from intake.lib.errors import Conflict, FieldError, ValidationFailed
from intake.problems import service as problems
from intake.web.auth import Caller

PHASE_ORDER = ("alpha", "beta")


async def start_discovery(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    reason: str | None,
) -> models.Problem:
    async def paired(problem: models.Problem) -> dict[str, Any]:
        if problem.team_id is None:
            raise Conflict(
                "Pair the problem with a product team before discovery starts "
                f"(PUT /api/v1/problems/{problem.id}/team).",
                current_state=problem.status,
            )
        return {}

    return await problems.apply_action(
        session, caller, problem_id, "start-discovery", if_match, reason=reason, prepare=paired
    )


async def start_delivery(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    data: schemas.StartDelivery,
) -> models.Problem:
    """Enter delivery in a sub-phase, or move delivery forward (alpha to beta, never back)."""

    async def set_phase(problem: models.Problem) -> dict[str, Any]:
        before = problem.delivery_phase
        moving_back = (
            problem.status == "delivery"
            and before is not None
            and PHASE_ORDER.index(data.phase) <= PHASE_ORDER.index(before)
        )
        if moving_back:
            raise Conflict(
                f"Delivery is already in {before}; the sub-phase only moves forward "
                "(alpha, then beta).",
                current_state=problem.status,
            )
        problem.delivery_phase = data.phase
        return {"delivery_phase": {"from": before, "to": data.phase}}

    return await problems.apply_action(
        session,
        caller,
        problem_id,
        "start-delivery",
        if_match,
        reason=data.reason,
        prepare=set_phase,
    )


async def launch(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    reason: str | None,
) -> models.Problem:
    async def stamp(problem: models.Problem) -> dict[str, Any]:
        problem.launched_at = utcnow()
        return {"launched_at": {"from": None, "to": problem.launched_at.isoformat()}}

    return await problems.apply_action(
        session, caller, problem_id, "launch", if_match, reason=reason, prepare=stamp
    )


async def close(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    review: schemas.OutcomeReview,
) -> models.Problem:
    """Close live work with its outcome review; the review is kept on the problem and in history."""

    async def record_review(problem: models.Problem) -> dict[str, Any]:
        blank = [name for name in ("summary", "lessons") if not getattr(review, name).strip()]
        if blank:
            raise ValidationFailed(
                "An outcome review needs its summary and lessons.",
                [FieldError(name, "Cannot be blank") for name in blank],
            )
        problem.outcome_result = review.result
        problem.outcome_summary = review.summary.strip()
        problem.outcome_lessons = review.lessons.strip()
        problem.closed_at = utcnow()
        return {
            "outcome_review": {
                "result": review.result,
                "summary": problem.outcome_summary,
                "lessons": problem.outcome_lessons,
            }
        }

    return await problems.apply_action(
        session, caller, problem_id, "close", if_match, prepare=record_review
    )
