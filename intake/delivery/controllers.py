"""Delivery endpoints: the phase actions from accepted to closed."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, post
from litestar.openapi.spec import Example
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from intake.delivery import schemas
from intake.delivery import service as delivery
from intake.lib.auth import Caller
from intake.problems.controllers import IfMatch, problem_response
from intake.problems.schemas import Problem
from intake.triage.controllers import ACTION_ERRORS


class DeliveryActionController(Controller):
    """``POST /api/v1/problems/{id}/<action>`` for the problem's triager and team."""

    path = "/problems/{problem_id:uuid}"
    tags = ["delivery"]

    @post(
        "/start-discovery",
        summary="Start discovery",
        description="The problem must be accepted and paired with a team.",
        responses=ACTION_ERRORS,
        status_code=200,
    )
    async def start_discovery(
        self,
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        if_match: IfMatch = None,
        data: Annotated[
            schemas.PhaseChange | None,
            Body(examples=[Example(value={"reason": "Kick-off with the permit desk on Monday."})]),
        ] = None,
    ) -> Response[Problem]:
        reason = data.reason if data else None
        problem = await delivery.start_discovery(db_session, caller, problem_id, if_match, reason)
        return await problem_response(db_session, problem)

    @post(
        "/start-delivery",
        summary="Start delivery, or move it from alpha to beta",
        description="From discovery into `alpha` or `beta`; from delivery, only forward.",
        responses=ACTION_ERRORS,
        status_code=200,
    )
    async def start_delivery(
        self,
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        data: Annotated[
            schemas.StartDelivery,
            Body(examples=[Example(value={"phase": "alpha", "reason": "Prototype tested."})]),
        ],
        if_match: IfMatch = None,
    ) -> Response[Problem]:
        problem = await delivery.start_delivery(db_session, caller, problem_id, if_match, data)
        return await problem_response(db_session, problem)

    @post(
        "/launch",
        summary="Launch: the work is live",
        description="From delivery; outcome metrics are now measured against their targets.",
        responses=ACTION_ERRORS,
        status_code=200,
    )
    async def launch(
        self,
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        if_match: IfMatch = None,
        data: Annotated[
            schemas.PhaseChange | None,
            Body(examples=[Example(value={"reason": "Online permits open to all wards."})]),
        ] = None,
    ) -> Response[Problem]:
        reason = data.reason if data else None
        problem = await delivery.launch(db_session, caller, problem_id, if_match, reason)
        return await problem_response(db_session, problem)

    @post(
        "/close",
        summary="Close with an outcome review",
        description=(
            "From live. The review says whether the outcome was achieved, partially achieved, "
            "not achieved or not measurable, with a summary and lessons."
        ),
        responses=ACTION_ERRORS,
        status_code=200,
    )
    async def close(
        self,
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        data: Annotated[
            schemas.OutcomeReview,
            Body(
                examples=[
                    Example(
                        value={
                            "result": "achieved",
                            "summary": "Median decision time fell from 31 to 4 days.",
                            "lessons": "Involve inspectors in design from week one.",
                        }
                    )
                ]
            ),
        ],
        if_match: IfMatch = None,
    ) -> Response[Problem]:
        problem = await delivery.close(db_session, caller, problem_id, if_match, data)
        return await problem_response(db_session, problem)


ROUTES = [DeliveryActionController]
