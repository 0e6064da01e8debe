"""Delivery endpoints: the phase actions from accepted to closed, milestones, status updates."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import HeaderParameter

from intake.delivery import milestones, schemas, updates
from intake.delivery import reads as lean
from intake.delivery import service as delivery
from intake.lib.etag import etag
from intake.lib.openapi import API_ERRORS, ETAG, LOCATION, errors, example
from intake.lib.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor, Limit, Page
from intake.problems.action_routes import ActionRoute, action_controller
from intake.problems.deps import ON_PROBLEM, OnProblem
from intake.problems.schemas import StatusUpdateOut
from intake.web.idempotency import ONCE, Created, Once
from intake.web.reads import Reads, ServiceAccount, person_only

# ``POST /api/v1/problems/{id}/<action>`` for the problem's triager and team.
DeliveryActionController = action_controller(
    "DeliveryActionController",
    "delivery",
    [
        ActionRoute(
            "start-discovery",
            schemas.PhaseChange,
            {"reason": "Kick-off with the permit desk on Monday."},
            body_optional=True,
            run=lambda session, caller, problem_id, if_match, data: delivery.start_discovery(
                session, caller, problem_id, if_match, data.reason if data else None
            ),
        ),
        ActionRoute(
            "start-delivery",
            schemas.StartDelivery,
            {"phase": "alpha", "reason": "Prototype tested."},
            run=delivery.start_delivery,
        ),
        ActionRoute(
            "launch",
            schemas.PhaseChange,
            {"reason": "Online permits open to all wards."},
            body_optional=True,
            run=lambda session, caller, problem_id, if_match, data: delivery.launch(
                session, caller, problem_id, if_match, data.reason if data else None
            ),
        ),
        ActionRoute(
            "close",
            schemas.OutcomeReview,
            {
                "result": "achieved",
                "summary": "Median decision time fell from 31 to 4 days.",
                "lessons": "Involve inspectors in design from week one.",
            },
            run=delivery.close,
        ),
    ],
)


# -- milestones and status updates ------------------------------------------------------------

MilestoneIfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="The ETag of the milestone as you last read it."),
]
WRITE_ERRORS = errors(*API_ERRORS, 403, 404, 409)
EDIT_ERRORS = errors(*API_ERRORS, 403, 404, 409, 412, 428)
NewMilestone = Annotated[
    schemas.MilestoneCreate,
    example(
        {
            "title": "Online permit form in beta in Ward 3",
            "description": "Residents of Ward 3 can apply online; paper stays open.",
            "target_date": "2026-03-31",
        }
    ),
]
MilestoneChange = Annotated[
    schemas.MilestoneUpdate,
    example(
        {
            "target_date": "2026-04-30",
            "reason": "Translation of the form into Spanish and Somali.",
        }
    ),
]
NewUpdate = Annotated[
    schemas.StatusUpdateCreate,
    example(
        {
            "status": "at_risk",
            "summary": "Beta slipped a month: the form needs translating first.",
        }
    ),
]


def _with_etag(milestone: schemas.Milestone) -> Response[schemas.Milestone]:
    return Response(milestone, headers={"ETag": etag(milestone.version)})


class MilestoneController(Controller):
    """``/api/v1/problems/{id}/milestones``: anyone who sees the problem reads; its triager and
    team write while the work is open."""

    path = "/problems/{problem_id:uuid}/milestones"
    tags = ["delivery"]
    dependencies = {**ON_PROBLEM, **ONCE}

    @post(
        "/",
        summary="Add a milestone",
        description=(
            "For the problem's triager and its team's members while the work is open "
            "(accepted, discovery, delivery, live or on hold). `done_on` cannot be in the "
            "future. Accepts `Idempotency-Key`."
        ),
        responses=WRITE_ERRORS,
        status_code=201,
        response_headers=[ETAG, LOCATION],
    )
    async def add_milestone(
        self, on: OnProblem, once: Once, data: NewMilestone
    ) -> Response[schemas.Milestone]:
        async def create() -> Created:
            body = await milestones.create_milestone(*on, data)
            location = f"/api/v1/problems/{on.problem_id}/milestones/{body.id}"
            return 201, body, {"ETag": etag(body.version), "Location": location}

        return await once(create)

    @get(
        "/",
        summary="List a problem's milestones",
        description=(
            "Earliest target date first. Each milestone shows its `state` (done, done_late, "
            "overdue, upcoming), `earlier_targets` and `slip_days`."
        ),
        responses=errors(*API_ERRORS, 404),
    )
    async def list_milestones(
        self,
        request: Request[Any, Any, Any],
        problem_id: uuid.UUID,
        reads: Reads,
        account: ServiceAccount,
        cursor: Cursor = None,
        limit: Limit = MAX_LIMIT,
    ) -> Page[schemas.Milestone]:
        if account is not None:
            on = OnProblem(*account, problem_id)
            return Page.of(await milestones.list_milestones(*on, cursor=cursor, limit=limit))
        email = person_only(request)
        return Page.of(
            await lean.milestones_for(reads, email, problem_id, cursor=cursor, limit=limit)
        )

    @get(
        "/{milestone_id:uuid}",
        summary="Get a milestone",
        responses=errors(401, 404),
        response_headers=[ETAG],
    )
    async def get_milestone(
        self, on: OnProblem, milestone_id: uuid.UUID
    ) -> Response[schemas.Milestone]:
        return _with_etag(await milestones.get_milestone(*on, milestone_id))

    @patch(
        "/{milestone_id:uuid}",
        summary="Edit, move or complete a milestone",
        description=(
            "Send `If-Match` with the milestone's ETag. A new `target_date` keeps the old one "
            "in `earlier_targets` (with `reason`, if given), so slips stay visible; `done_on` "
            "marks it done and `done_on: null` reopens it."
        ),
        responses=EDIT_ERRORS,
        response_headers=[ETAG],
    )
    async def update_milestone(
        self,
        on: OnProblem,
        milestone_id: uuid.UUID,
        data: MilestoneChange,
        if_match: MilestoneIfMatch = None,
    ) -> Response[schemas.Milestone]:
        return _with_etag(await milestones.update_milestone(*on, milestone_id, data, if_match))

    @delete(
        "/{milestone_id:uuid}",
        summary="Remove a milestone",
        description=(
            "Send `If-Match` with the milestone's ETag; history keeps what it was. A removed "
            "milestone is a 404 from then on; portfolio views as of an earlier moment still "
            "count it."
        ),
        responses=EDIT_ERRORS,
    )
    async def remove_milestone(
        self, on: OnProblem, milestone_id: uuid.UUID, if_match: MilestoneIfMatch = None
    ) -> None:
        await milestones.delete_milestone(*on, milestone_id, if_match)


class StatusUpdateController(Controller):
    """``/api/v1/problems/{id}/updates``: a log of status updates, never edited."""

    path = "/problems/{problem_id:uuid}/updates"
    tags = ["delivery"]
    dependencies = {**ON_PROBLEM, **ONCE}

    @post(
        "/",
        summary="Post a status update",
        description=(
            "For the problem's triager and its team's members while the work is open. "
            "Updates are never edited or deleted: post a newer one to correct. The newest "
            "shows on the problem as `latest_update`. Accepts `Idempotency-Key`."
        ),
        responses=WRITE_ERRORS,
        status_code=201,
        response_headers=[LOCATION],
    )
    async def post_update(
        self, on: OnProblem, once: Once, data: NewUpdate
    ) -> Response[StatusUpdateOut]:
        async def create() -> Created:
            body = await updates.post_update(*on, data)
            return 201, body, {"Location": f"/api/v1/problems/{on.problem_id}/updates/{body.id}"}

        return await once(create)

    @get(
        "/",
        summary="List a problem's status updates",
        description="Newest first.",
        responses=errors(*API_ERRORS, 404),
    )
    async def list_updates(
        self,
        request: Request[Any, Any, Any],
        problem_id: uuid.UUID,
        reads: Reads,
        account: ServiceAccount,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[StatusUpdateOut]:
        if account is not None:
            on = OnProblem(*account, problem_id)
            return Page.of(await updates.list_updates(*on, cursor=cursor, limit=limit))
        email = person_only(request)
        return Page.of(await lean.updates_for(reads, email, problem_id, cursor=cursor, limit=limit))

    @get("/{update_id:uuid}", summary="Get a status update", responses=errors(401, 404))
    async def get_update(self, on: OnProblem, update_id: uuid.UUID) -> StatusUpdateOut:
        return await updates.get_update(*on, update_id)


ROUTES: list[type[Controller]] = [
    DeliveryActionController,
    MilestoneController,
    StatusUpdateController,
]
