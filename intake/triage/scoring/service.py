"""Scoring a problem: the triager's ratings, the admin's weights, and a kept history."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.clock import utcnow
from intake.lib.errors import Conflict
from intake.lib.etag import check_if_match
from intake.problems import edits, history, lifecycle
from intake.problems import service as problems
from intake.problems.schemas import PersonRef
from intake.triage import policy, schemas
from intake.triage.scoring.rules import Score, Suggestion, compute_score, suggest_ratings
from intake.web.auth import Caller, require_role


async def suggestions_for(session: AsyncSession, problem: models.Problem) -> list[Suggestion]:
    """Ratings suggested from the record, as of today in the city's time zone."""
    sla = await policy.sla_policy(session)
    return suggest_ratings(
        affected_people_per_year=problem.affected_people_per_year,
        urgency_deadline=problem.urgency_deadline,
        urgency_reason=problem.urgency_reason,
        today=utcnow().astimezone(policy.zone(sla)).date(),
    )


async def score_problem(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    data: schemas.ScoreInput,
) -> tuple[models.Problem, schemas.ScoreOut]:
    """Score (or re-score) a submitted problem; earlier scores stay in its history."""
    require_role(caller, "triager")
    problem = await problems.get_visible(session, caller, problem_id, for_update=True)
    check_if_match(if_match, problem.version)
    if problem.reference is None or problem.status in lifecycle.TERMINAL_STATES:
        raise Conflict(
            f"A problem in state '{problem.status}' cannot be scored.",
            current_state=problem.status,
            allowed_actions=lifecycle.allowed_actions(problem.status, problem.held_from_status),
        )
    now = utcnow()
    suggested = await suggestions_for(session, problem)
    weights = await policy.weights(session)
    result = compute_score(data.ratings, weights, {s.criterion: s.rating for s in suggested})
    session.add(
        models.ProblemScore(
            problem_id=problem.id,
            scored_by_id=caller.id,
            score=result.score,
            ratings=msgspec.to_builtins(data.ratings),
            weights=msgspec.to_builtins(weights),
            breakdown=msgspec.to_builtins(result),
            notes=(data.notes or "").strip() or None,
        )
    )
    before = problem.score
    problem.score = result.score
    edits.bump(problem, now)
    # Score notes are DTI-internal, so history (which requesters read) carries the numbers only.
    scored = {
        "score": edits.change(before, result.score),
        "ratings": msgspec.to_builtins(data.ratings),
    }
    await history.record(session, problem.id, caller.id, "scored", changes=scored)
    await session.flush()
    await session.refresh(problem)
    return problem, await score_view(session, caller, problem, suggested)


async def score_view(
    session: AsyncSession,
    caller: Caller,
    problem: models.Problem,
    suggestions: list[Suggestion] | None = None,
) -> schemas.ScoreOut:
    """The current score with its breakdown, the suggestions, and every earlier score."""
    rows = (
        await session.execute(
            select(models.ProblemScore, models.Person.name)
            .join(models.Person, models.Person.id == models.ProblemScore.scored_by_id)
            .where(models.ProblemScore.problem_id == problem.id)
            .order_by(models.ProblemScore.created_at, models.ProblemScore.id)
        )
    ).all()
    if suggestions is None:
        suggestions = await suggestions_for(session, problem)
    latest = rows[-1] if rows else None
    return schemas.ScoreOut(
        problem_id=problem.id,
        current=msgspec.convert(latest[0].breakdown, Score) if latest else None,
        scored_by=PersonRef(id=latest[0].scored_by_id, name=latest[1]) if latest else None,
        scored_at=latest[0].created_at if latest else None,
        notes=latest[0].notes if latest and caller.is_dti else None,
        suggestions=suggestions,
        history=[
            schemas.ScoreHistoryItem(
                score=row.score,
                scored_by=PersonRef(id=row.scored_by_id, name=name),
                scored_at=row.created_at,
            )
            for row, name in rows
        ],
    )
