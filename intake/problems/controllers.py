"""Problem endpoints: drafts, edits, withdraw, lists, detail and history.

Submitting answers with the similar problems triage finds, so its route is triage's
(``intake.triage.controllers.SubmissionController``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.openapi.spec import Example
from litestar.params import Body, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from intake.lib.etag import etag
from intake.lib.openapi import API_ERRORS, ETAG, LOCATION, errors
from intake.lib.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from intake.problems import schemas
from intake.problems import service as problems
from intake.problems.action_routes import ActionRoute, action_handler
from intake.problems.responses import IfMatch
from intake.vocabulary.states import Status
from intake.web.auth import Caller
from intake.web.idempotency import IdempotencyKey, claim, respond

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


class ProblemController(Controller):
    path = "/problems"
    tags = ["problems"]

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
        self,
        request: Request[Any, Any, Any],
        caller: Caller,
        db_session: AsyncSession,
        data: Annotated[schemas.ProblemCreate, Body(examples=[Example(value=_DRAFT_EXAMPLE)])],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.Problem]:
        idempotent = await claim(request, db_session, caller.id, idempotency_key)
        if idempotent is not None and (replayed := await idempotent.replay()):
            return replayed  # type: ignore[return-value]
        problem = await problems.create_problem(db_session, caller, data)
        body = await problems.problem_out(db_session, caller, problem)
        headers = {"ETag": etag(problem.version), "Location": f"/api/v1/problems/{problem.id}"}
        return await respond(idempotent, 201, body, headers)

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
        caller: Caller,
        db_session: AsyncSession,
        status: list[Status] | None = None,
        department: Annotated[str | None, Parameter(pattern=r"^[A-Za-z0-9]{1,10}$")] = None,
        submitter: uuid.UUID | None = None,
        restricted: bool | None = None,
        q: Annotated[
            str | None, Parameter(min_length=1, max_length=200, pattern=r"^[^\x00]*$")
        ] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.ProblemSummary]:
        filters = problems.ProblemFilters(
            statuses=tuple(status or ()),
            department=department,
            submitter=submitter,
            restricted=restricted,
            q=q.strip() if q and q.strip() else None,
        )
        items, next_cursor = await problems.list_problems(
            db_session, caller, filters, cursor=cursor, limit=limit
        )
        return Page(items=items, next_cursor=next_cursor)

    @get(
        "/{problem_id:uuid}",
        summary="Get a problem",
        responses=errors(401, 404),
        response_headers=[ETAG],
    )
    async def get_problem(
        self, caller: Caller, db_session: AsyncSession, problem_id: uuid.UUID
    ) -> Response[schemas.Problem]:
        problem = await problems.get_visible(db_session, caller, problem_id)
        body = await problems.problem_out(db_session, caller, problem)
        return Response(body, headers={"ETag": etag(problem.version)})

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
        self,
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        data: Annotated[
            schemas.ProblemUpdate,
            Body(examples=[Example(value={"affected_people_per_year": 3100, "workarounds": None})]),
        ],
        if_match: IfMatch = None,
    ) -> Response[schemas.Problem]:
        problem = await problems.update_problem(db_session, caller, problem_id, data, if_match)
        body = await problems.problem_out(db_session, caller, problem)
        return Response(body, headers={"ETag": etag(problem.version)})

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
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[schemas.HistoryEvent]:
        items, next_cursor = await problems.list_history(
            db_session, caller, problem_id, cursor=cursor, limit=limit
        )
        return Page(items=items, next_cursor=next_cursor)
