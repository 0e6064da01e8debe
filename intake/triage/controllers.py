"""Triage endpoints: submitting, the lifecycle actions DTI takes, the queue, the admin policy."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody, Parameter
from msgspec.structs import asdict
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.clock import utcnow
from intake.lib.etag import etag
from intake.lib.openapi import ETAG, LOCATION, errors, example
from intake.lib.pagination import PAGING, Page, Paging
from intake.problems import lifecycle
from intake.problems import service as problems
from intake.problems.action_routes import (
    ActionRoute,
    action_controller,
    action_post,
    answer_problem,
)
from intake.problems.deps import OnProblem
from intake.problems.item_routes import RecordController
from intake.problems.responses import ACTION_ERRORS, IfMatch, problem_response
from intake.problems.schemas import Problem
from intake.triage import links, pairing, policy, schemas, similar
from intake.triage import reads as queue_reads
from intake.triage import service as triage
from intake.triage.deps import QUEUE_FILTERS
from intake.triage.scoring import service as scores
from intake.triage.scoring.rules import Weights
from intake.triage.service import QueueFilters
from intake.triage.sla import clocks
from intake.web.auth import ACTING, Acting, Caller, load_caller
from intake.web.gate import WriterGate
from intake.web.idempotency import Created, IdempotencyKey, Once
from intake.web.reads import Reads, person_only
from intake.web.roles import admin
from intake.web.transaction import committed, request_sessions


def _answer_submitted(result: triage.Submitted) -> tuple[schemas.SubmittedProblem, str]:
    """The submitted problem with the similar problems triage found."""
    out = result.problem
    body = schemas.SubmittedProblem(**asdict(out), similar_problems=result.similar_problems)
    return body, etag(out.version)


async def _answer_duplicate(
    session: AsyncSession, caller: Caller, result: tuple[models.Problem, triage.Moved]
) -> tuple[schemas.MarkedDuplicate, str]:
    problem, moved = result
    out, tag = await answer_problem(session, caller, problem)
    body = schemas.MarkedDuplicate(
        **asdict(out),
        watchers_moved=moved.watchers,
        collaborators_moved=moved.collaborators,
        not_moved=moved.not_moved,
    )
    return body, tag


_SUBMIT = lifecycle.ACTIONS["submit"]


class SubmissionController(Controller):
    """``POST /api/v1/problems/{id}/submit``: the requester's action (its row in the
    lifecycle table), answered with the similar problems triage finds. Without an
    Idempotency-Key, the draft's lock looks up the caller too (``triage.submit_as``); with
    one, the caller comes first, for the key's claim, as on every other action."""

    path = "/problems"
    tags = ["problems"]

    # Its requests wait on the reference counter: the gate lets a few in at a time.
    @action_post(_SUBMIT, middleware=[WriterGate])
    async def submit_problem(
        self,
        request: Request[Any, Any, Any],
        problem_id: uuid.UUID,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.SubmittedProblem]:
        email = person_only(request)
        async with committed(request_sessions(request.scope).transaction()) as session:
            if idempotency_key is None:
                body, tag = _answer_submitted(
                    await triage.submit_as(session, email, problem_id, if_match)
                )
                return Response(body, status_code=200, headers={"ETag": tag})
            caller = await load_caller(session, email)

            async def submit() -> Created:
                result = await triage.submit(session, caller, problem_id, if_match)
                body, tag = _answer_submitted(result)
                return 200, body, {"ETag": tag}

            return await Once(request, session, caller, idempotency_key)(submit)


TriageActionController = action_controller(
    "TriageActionController",
    "triage",
    [
        ActionRoute(
            "triage",
            schemas.TakeIntoTriage,
            body_optional=True,
            run=triage.take_into_triage,
            passes="triager_email",
            name="take_into_triage",
        ),
        ActionRoute("reassign", schemas.Reassign, run=triage.reassign),
        ActionRoute("request-info", schemas.RequestInfo, reason="questions"),
        ActionRoute("respond", schemas.Respond, reason="answer"),
        ActionRoute("accept", schemas.Decision, body_optional=True),
        ActionRoute("decline", schemas.Decline),
        ActionRoute("redirect", schemas.Redirect, run=triage.redirect),
        ActionRoute(
            "mark-duplicate",
            schemas.MarkDuplicate,
            run=triage.mark_duplicate,
            answer=_answer_duplicate,
            returns=schemas.MarkedDuplicate,
        ),
        ActionRoute("hold", schemas.Hold),
        ActionRoute(
            "resume", schemas.Decision, body_optional=True, example={"reason": "Budget approved."}
        ),
    ],
)


class TriageQueueController(Controller):
    path = "/triage"
    tags = ["triage"]
    dependencies = QUEUE_FILTERS

    @get(
        "/queue",
        summary="The triage queue",
        description=(
            "Submitted, triage and needs_info problems, soonest decision due first (paused ones "
            "last), then highest score, with both SLA clocks on each row."
        ),
        responses=errors(403),
        dependencies=PAGING,
    )
    async def queue(
        self, request: Request[Any, Any, Any], reads: Reads, filters: QueueFilters, paging: Paging
    ) -> Page[schemas.QueueItem]:
        email = person_only(request)  # the router refuses service accounts here already
        return Page.of(await queue_reads.queue_for(reads, email, filters, now=utcnow(), **paging))


class PolicyController(Controller):
    """Admin settings for triage: SLA targets, scoring weights and holidays."""

    path = "/settings"
    tags = ["settings"]
    dependencies = ACTING

    @get("/sla", summary="SLA targets")
    async def get_sla(self, acting: Acting) -> policy.SlaPolicy:
        return await policy.sla_policy(acting.session)

    @admin.put("/sla", summary="Change SLA targets")
    async def put_sla(self, acting: Acting, data: JSONBody[policy.SlaPolicy]) -> policy.SlaPolicy:
        session, caller = acting
        saved = await policy.set_sla_policy(session, data, caller.id)
        await clocks.recompute_open(session, caller.id)
        return saved

    @get("/scoring", summary="Scoring weights")
    async def get_weights(self, acting: Acting) -> Weights:
        return await policy.weights(acting.session)

    @admin.put("/scoring", summary="Change scoring weights")
    async def put_weights(self, acting: Acting, data: JSONBody[Weights]) -> Weights:
        return await policy.set_weights(acting.session, data, acting.caller.id)

    @get("/holidays", summary="City holidays")
    async def get_holidays(self, acting: Acting) -> list[policy.HolidayOut]:
        return await policy.holidays(acting.session)

    @admin.put("/holidays/{year:int}", summary="Set one year's holidays")
    async def put_holidays(
        self,
        acting: Acting,
        year: Annotated[int, Parameter(ge=2000, le=2100)],
        data: Annotated[
            list[policy.HolidayIn], example([{"day": "2026-11-26", "name": "Thanksgiving Day"}])
        ],
    ) -> list[policy.HolidayOut]:
        session, caller = acting
        saved = await policy.replace_holidays(session, year, data)
        await clocks.recompute_open(session, caller.id)
        return saved


class ProblemTriageController(RecordController):
    """Scoring, similar problems, links and team pairing of one problem."""

    tags = ["triage"]

    @get("/score", summary="A problem's score and its history")
    async def get_score(self, on: OnProblem) -> schemas.ScoreOut:
        problem = await problems.get_visible(*on)
        return await scores.score_view(on.session, on.caller, problem)

    @put(
        "/score",
        summary="Score a problem (triager)",
        description=(
            "Rate reach, severity, urgency, equity, alignment and confidence 1-5 plus an effort "
            "size; returns the absolute 0-100 score with its breakdown. Re-scoring keeps the "
            "earlier scores."
        ),
        responses=ACTION_ERRORS,
        response_headers=[ETAG],
    )
    async def put_score(
        self, on: OnProblem, data: JSONBody[schemas.ScoreInput], if_match: IfMatch = None
    ) -> Response[schemas.ScoreOut]:
        problem, view = await scores.score_problem(*on, if_match, data)
        return Response(view, headers={"ETag": etag(problem.version)})

    @get(
        "/similar",
        summary="Similar problems in any department",
        description="Full-text similarity, ranked; matches from another department suggest "
        "collaborating.",
    )
    async def similar(self, on: OnProblem) -> list[schemas.SimilarProblem]:
        return await similar.similar_to(*on)

    @get("/links", summary="A problem's links, both directions")
    async def links(self, on: OnProblem) -> list[schemas.LinkOut]:
        return await links.list_links(*on)

    @get("/links/{link_id:uuid}", summary="One of a problem's links, seen from it")
    async def link(self, on: OnProblem, link_id: uuid.UUID) -> schemas.LinkOut:
        return await links.get_link(*on, link_id)

    @post(
        "/links",
        summary="Link two problems (triager)",
        responses=errors(403, 409),
        status_code=201,
        response_headers=[LOCATION],
    )
    async def add_link(
        self, on: OnProblem, data: JSONBody[schemas.LinkInput]
    ) -> Response[schemas.LinkOut]:
        link = await links.add_link(*on, data)
        location = f"/api/v1/problems/{on.problem_id}/links/{link.id}"
        return Response(link, status_code=201, headers={"Location": location})

    @get(
        "/team-recommendations",
        summary="Teams ranked for this problem, with reasons",
        description="For accepted work and later; before that, a 409.",
        responses=errors(403, 409),
    )
    async def team_recommendations(self, on: OnProblem) -> list[schemas.TeamRecommendation]:
        return await pairing.recommend_teams(*on)

    @put(
        "/team",
        summary="Pair the problem with a team (triager)",
        description="Over the team's WIP limit this needs `override_reason`, which is recorded.",
        responses=ACTION_ERRORS,
        response_headers=[ETAG],
    )
    async def assign_team(
        self, on: OnProblem, data: JSONBody[schemas.AssignTeam], if_match: IfMatch = None
    ) -> Response[Problem]:
        problem = await pairing.assign_team(*on, if_match, data)
        return await problem_response(on.session, on.caller, problem)
