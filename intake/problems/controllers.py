"""Problem endpoints: drafts, edits, withdraw, lists, detail and history.

Submitting answers with the similar problems triage finds, so its route is triage's
(``intake.triage.controllers.SubmissionController``).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, patch, post
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.etag import etag
from intake.lib.openapi import API_ERRORS, ETAG, LOCATION, errors, example
from intake.lib.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from intake.problems import reads as problem_reads
from intake.problems import schemas
from intake.problems import service as problems
from intake.problems.action_routes import ActionRoute, action_handler
from intake.problems.deps import ON_PROBLEM, PROBLEM_FILTERS, OnProblem
from intake.problems.responses import IfMatch
from intake.problems.service import ProblemFilters
from intake.web.auth import Caller
from intake.web.idempotency import ONCE, Created, Once
from intake.web.reads import Account, Reader

_DRAFT_EXAMPLE = {
    "title": "Residents wait weeks for a street tree permit",
    "problem_statement": (
        "Residents who want to plant a street tree fill in a paper form, mail it, and wait "
        "four to six weeks for an inspector to visit. Many give up."
    ),
    "affected_groups": ["residents"],
    "affected_people_per_year": 2400,
    "current_process": "Paper form by mail, keyed in by a clerk, inspection booked by phone.",
    "workarounds": "Clerks keep a shared spreadsheet of pending visits.",
    "impact_staff_hours_per_year": 1800,
    "impact_resident_burden": "Two trips or calls per permit; 40% of applicants abandon.",
    "desired_outcome": "Residents know within a week whether they can plant, without a visit.",
    "success_measures": "Median days from request to decision; abandonment rate.",
    "data_sensitivity": "internal",
    "communities_affected": ["Ward 3", "Ward 7"],
}


NewProblem = Annotated[schemas.ProblemCreate, example(_DRAFT_EXAMPLE)]
ProblemChange = Annotated[
    schemas.ProblemUpdate, example({"affected_people_per_year": 3100, "workarounds": None})
]


async def _with_etag(on: OnProblem, problem: models.Problem) -> Response[schemas.Problem]:
    body = await problems.problem_out(on.session, on.caller, problem)
    return Response(body, headers={"ETag": etag(problem.version)})


class ProblemController(Controller):
    path = "/problems"
    tags = ["problems"]
    dependencies = {**ON_PROBLEM, **ONCE, **PROBLEM_FILTERS}

    @post(
        "/",
        summary="Draft a problem",
        description=(
            "Creates a draft owned by your department. Only `title` is needed now; the response "
            "carries `framing_hints` when the text prescribes a solution."
        ),
        responses=errors(*API_ERRORS, 403),
        status_code=201,
        response_headers=[ETAG, LOCATION],
    )
    async def create_problem(
        self, caller: Caller, db_session: AsyncSession, once: Once, data: NewProblem
    ) -> Response[schemas.Problem]:
        async def create() -> Created:
            problem = await problems.create_problem(db_session, caller, data)
            body = await problems.problem_out(db_session, caller, problem)
            location = f"/api/v1/problems/{problem.id}"
            return 201, body, {"ETag": etag(problem.version), "Location": location}

        return await once(create)

    @get(
        "/",
        summary="List and search problems",
        description=(
            "Problems you can see, newest first. `q` searches the text of the record "
            "(PostgreSQL full-text search, web-search syntax) and orders by relevance."
        ),
        responses=errors(*API_ERRORS),
    )
    async def list_problems(
        self,
        reader: Reader,
        filters: ProblemFilters,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.ProblemSummary]:
        if isinstance(reader, Account):
            return Page.of(
                await problems.list_problems(*reader, filters, cursor=cursor, limit=limit)
            )
        return Page.of(
            await problem_reads.problems_for(*reader, filters, cursor=cursor, limit=limit)
        )

    @get(
        "/{problem_id:uuid}",
        summary="Get a problem",
        responses=errors(401, 404),
        response_headers=[ETAG],
    )
    async def get_problem(self, problem_id: uuid.UUID, reader: Reader) -> Response[schemas.Problem]:
        if isinstance(reader, Account):
            on = OnProblem(*reader, problem_id)
            return await _with_etag(on, await problems.get_visible(*on))
        body = await problem_reads.problem_for(*reader, problem_id)
        return Response(body, headers={"ETag": etag(body.version)})

    @patch(
        "/{problem_id:uuid}",
        summary="Edit a problem",
        description=(
            "Requesters of the owning department edit while the problem is a draft or waiting "
            "on them (needs_info). Send `If-Match` with the ETag you read."
        ),
        responses=errors(*API_ERRORS, 403, 404, 409, 412, 428),
        response_headers=[ETAG],
    )
    async def update_problem(
        self, on: OnProblem, data: ProblemChange, if_match: IfMatch = None
    ) -> Response[schemas.Problem]:
        return await _with_etag(on, await problems.update_problem(*on, data, if_match))

    withdraw_problem = action_handler(
        ActionRoute(
            "withdraw",
            schemas.Withdrawal,
            {"reason": "Solved by the new state portal."},
            body_optional=True,
            name="withdraw_problem",
        )
    )

    @get(
        "/{problem_id:uuid}/history",
        summary="A problem's history",
        description="Every change, oldest first: who, when, what kind, and what changed.",
        responses=errors(*API_ERRORS, 404),
    )
    async def problem_history(
        self,
        problem_id: uuid.UUID,
        reader: Reader,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[schemas.HistoryEvent]:
        if isinstance(reader, Account):
            on = OnProblem(*reader, problem_id)
            return Page.of(await problems.list_history(*on, cursor=cursor, limit=limit))
        return Page.of(
            await problem_reads.history_for(*reader, problem_id, cursor=cursor, limit=limit)
        )
