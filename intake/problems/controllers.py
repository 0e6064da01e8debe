"""Problem endpoints: drafts, edits, withdraw, lists, detail and history.

Submitting answers with the similar problems triage finds, so its route is triage's
(``intake.triage.controllers.SubmissionController``).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import JSONBody

from intake.lib.etag import etag
from intake.lib.openapi import ETAG, LOCATION, errors
from intake.lib.pagination import PAGING, Cursor, Limit, Page, Paging
from intake.problems import drafting, schemas, subscribers
from intake.problems import reads as problem_reads
from intake.problems import service as problems
from intake.problems.action_routes import ActionRoute, action_handler
from intake.problems.deps import ON_PROBLEM, PROBLEM_FILTERS, OnProblem
from intake.problems.responses import ACTION_ERRORS, IfMatch, problem_response
from intake.problems.service import ProblemFilters
from intake.web.auth import load_caller
from intake.web.idempotency import Created, IdempotencyKey, Once
from intake.web.reads import Reader, person_only, pooled, read_by
from intake.web.transaction import committed, request_sessions


def _created(body: schemas.Problem) -> dict[str, str]:
    return {"ETag": etag(body.version), "Location": f"/api/v1/problems/{body.id}"}


class ProblemController(Controller):
    path = "/problems"
    tags = ["problems"]
    dependencies = {**ON_PROBLEM, **PROBLEM_FILTERS}

    @post(
        "/",
        summary="Draft a problem",
        description=(
            "Creates a draft owned by your department. Only `title` is needed now; the response "
            "carries `framing_hints` when the text prescribes a solution."
        ),
        responses=errors(403),
        status_code=201,
        response_headers=[ETAG, LOCATION],
    )
    async def create_problem(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.ProblemCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.Problem]:
        email = person_only(request)
        if idempotency_key is None:  # one statement on a pooled connection, no transaction
            following = subscribers.of(request.app.state.sessionmaker)
            async with pooled(request) as connection:
                body = await drafting.create_as(connection, email, following, data)
            return Response(body, status_code=201, headers=_created(body))
        # The key's claim and the draft commit together, in the request's transaction.
        async with committed(request_sessions(request.scope).transaction()) as session:
            caller = await load_caller(session, email)

            async def create() -> Created:
                body = await problems.create_problem(session, caller, data)
                return 201, body, _created(body)

            return await Once(request, session, caller, idempotency_key)(create)

    @get(
        "/",
        summary="List and search problems",
        description=(
            "Problems you can see, newest first. `q` searches the text of the record "
            "(PostgreSQL full-text search, web-search syntax) and orders by relevance."
        ),
        dependencies=PAGING,
    )
    async def list_problems(
        self,
        reader: Reader,
        filters: ProblemFilters,
        paging: Paging,
    ) -> Page[schemas.ProblemSummary]:
        service, lean = problems.list_problems, problem_reads.problems_for
        return Page.of(await read_by(reader, service, lean, filters, **paging))

    @get("/{problem_id:uuid}", summary="Get a problem", response_headers=[ETAG])
    async def get_problem(self, problem_id: uuid.UUID, reader: Reader) -> Response[schemas.Problem]:
        body = await read_by(reader, problems.get_problem, problem_reads.problem_for, problem_id)
        return Response(body, headers={"ETag": etag(body.version)})

    @patch(
        "/{problem_id:uuid}",
        summary="Edit a problem",
        description=(
            "Requesters of the owning department edit while the problem is a draft or waiting "
            "on them (needs_info). Send `If-Match` with the ETag you read."
        ),
        responses=ACTION_ERRORS,
        response_headers=[ETAG],
    )
    async def update_problem(
        self, on: OnProblem, data: JSONBody[schemas.ProblemUpdate], if_match: IfMatch = None
    ) -> Response[schemas.Problem]:
        problem = await problems.update_problem(*on, data, if_match)
        return await problem_response(on.session, on.caller, problem)

    withdraw_problem = action_handler(
        ActionRoute("withdraw", schemas.Withdrawal, body_optional=True, name="withdraw_problem")
    )

    @get(
        "/{problem_id:uuid}/history",
        summary="A problem's history",
        description="Every change, oldest first: who, when, what kind, and what changed.",
    )
    async def problem_history(
        self, problem_id: uuid.UUID, reader: Reader, cursor: Cursor = None, limit: Limit = 100
    ) -> Page[schemas.HistoryEvent]:
        service, lean = problems.list_history, problem_reads.history_for
        return Page.of(await read_by(reader, service, lean, problem_id, cursor=cursor, limit=limit))
