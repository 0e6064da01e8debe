"""Outcomes endpoints: a problem's metrics and their measurements."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.openapi.spec import Example
from litestar.params import Body, HeaderParameter
from sqlalchemy.ext.asyncio import AsyncSession

from intake.lib.etag import etag
from intake.lib.openapi import API_ERRORS, ETAG, LOCATION, errors
from intake.lib.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from intake.outcomes import schemas
from intake.outcomes import service as outcomes
from intake.web.auth import Caller
from intake.web.idempotency import Created, IdempotencyKey, create_once

WRITE_ERRORS = errors(*API_ERRORS, 403, 404, 409)
CHANGE_ERRORS = errors(*API_ERRORS, 403, 404, 409, 412, 428)

_METRIC_EXAMPLE = {
    "name": "Median days from request to permit decision",
    "unit": "days",
    "direction": "decrease",
    "baseline": 31,
    "target": 7,
    "target_date": "2027-06-30",
    "owner_email": "ravi.patel@city.example",
    "review_date": "2027-07-15",
}

MetricIfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="The ETag of the metric as you last read it."),
]


def _metric_path(problem_id: uuid.UUID, metric_id: uuid.UUID) -> str:
    return f"/api/v1/problems/{problem_id}/metrics/{metric_id}"


class MetricController(Controller):
    """``/api/v1/problems/{id}/metrics``: outcome metrics with their derived state."""

    path = "/problems/{problem_id:uuid}/metrics"
    tags = ["outcomes"]

    @post(
        "/",
        summary="Define an outcome metric",
        description=(
            "The problem's triager and team, while the work is open (accepted to live, or on "
            "hold). The target must be on the improving side of the baseline; `owner_email` "
            "names an active person who can see the problem. Names are unique per problem "
            "(case-insensitive): a clash is 409."
        ),
        responses=WRITE_ERRORS,
        status_code=201,
        response_headers=[ETAG, LOCATION],
    )
    async def create_metric(
        self,
        request: Request[Any, Any, Any],
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        data: Annotated[schemas.MetricCreate, Body(examples=[Example(value=_METRIC_EXAMPLE)])],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.Metric]:
        async def create() -> Created:
            metric = await outcomes.create_metric(db_session, caller, problem_id, data)
            body = await outcomes.metric_out(db_session, metric)
            headers = {
                "ETag": etag(metric.version),
                "Location": _metric_path(problem_id, metric.id),
            }
            return 201, body, headers

        return await create_once(request, db_session, caller, idempotency_key, create)

    @get(
        "/",
        summary="A problem's outcome metrics",
        description=(
            "In the order they were defined, each with `state` (not_started, improving, "
            "worsening, achieved, missed), its latest measurement and `progress` from baseline "
            "(0) to target (1)."
        ),
        responses=errors(*API_ERRORS, 404),
    )
    async def list_metrics(
        self,
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Metric]:
        items, next_cursor = await outcomes.list_metrics(
            db_session, caller, problem_id, cursor=cursor, limit=limit
        )
        return Page(items=items, next_cursor=next_cursor)

    @get(
        "/{metric_id:uuid}",
        summary="An outcome metric",
        responses=errors(401, 404),
        response_headers=[ETAG],
    )
    async def get_metric(
        self, caller: Caller, db_session: AsyncSession, problem_id: uuid.UUID, metric_id: uuid.UUID
    ) -> Response[schemas.Metric]:
        metric = await outcomes.get_metric(db_session, caller, problem_id, metric_id)
        body = await outcomes.metric_out(db_session, metric)
        return Response(body, headers={"ETag": etag(metric.version)})

    @patch(
        "/{metric_id:uuid}",
        summary="Edit an outcome metric",
        description=(
            "The problem's triager and team, with `If-Match` of the metric. Every changed field "
            "(a moved baseline, target or target date included) is kept in history with its "
            "earlier value. `null` clears `owner_email` or `review_date`."
        ),
        responses=CHANGE_ERRORS,
        response_headers=[ETAG],
    )
    async def update_metric(
        self,
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        metric_id: uuid.UUID,
        data: Annotated[
            schemas.MetricUpdate,
            Body(examples=[Example(value={"target": 5, "target_date": "2027-09-30"})]),
        ],
        if_match: MetricIfMatch = None,
    ) -> Response[schemas.Metric]:
        metric = await outcomes.update_metric(
            db_session, caller, problem_id, metric_id, data, if_match
        )
        body = await outcomes.metric_out(db_session, metric)
        return Response(body, headers={"ETag": etag(metric.version)})

    @delete(
        "/{metric_id:uuid}",
        summary="Remove an outcome metric",
        description=(
            "The problem's triager and team, with `If-Match`, only while the metric has no "
            "measurements (409 otherwise: measured outcomes stay on the record). A removed "
            "metric is a 404 from then on and its name is free again; portfolio views as of "
            "an earlier moment still count it."
        ),
        responses=CHANGE_ERRORS,
        status_code=204,
    )
    async def delete_metric(
        self,
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        metric_id: uuid.UUID,
        if_match: MetricIfMatch = None,
    ) -> None:
        await outcomes.delete_metric(db_session, caller, problem_id, metric_id, if_match)

    @post(
        "/{metric_id:uuid}/measurements",
        summary="Record a measurement",
        description=(
            "The problem's triager and team, or the metric's owner, while the work is open "
            "(most often after launch). `measured_on` is today or earlier."
        ),
        responses=WRITE_ERRORS,
        status_code=201,
        response_headers=[LOCATION],
    )
    async def record_measurement(
        self,
        request: Request[Any, Any, Any],
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        metric_id: uuid.UUID,
        data: Annotated[
            schemas.MeasurementCreate,
            Body(
                examples=[
                    Example(
                        value={
                            "value": 12,
                            "measured_on": "2027-02-28",
                            "note": "February median from the permit system.",
                        }
                    )
                ]
            ),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.Measurement]:
        async def create() -> Created:
            body = await outcomes.record_measurement(
                db_session, caller, problem_id, metric_id, data
            )
            location = f"{_metric_path(problem_id, metric_id)}/measurements/{body.id}"
            return 201, body, {"Location": location}

        return await create_once(request, db_session, caller, idempotency_key, create)

    @get(
        "/{metric_id:uuid}/measurements",
        summary="A metric's measurements",
        description="Oldest first: by the day measured, then by when they were recorded.",
        responses=errors(*API_ERRORS, 404),
    )
    async def list_measurements(
        self,
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        metric_id: uuid.UUID,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Measurement]:
        items, next_cursor = await outcomes.list_measurements(
            db_session, caller, problem_id, metric_id, cursor=cursor, limit=limit
        )
        return Page(items=items, next_cursor=next_cursor)

    @get(
        "/{metric_id:uuid}/measurements/{measurement_id:uuid}",
        summary="A measurement",
        responses=errors(401, 404),
    )
    async def get_measurement(
        self,
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        metric_id: uuid.UUID,
        measurement_id: uuid.UUID,
    ) -> schemas.Measurement:
        return await outcomes.get_measurement(
            db_session, caller, problem_id, metric_id, measurement_id
        )


ROUTES: list[type[Controller]] = [MetricController]
