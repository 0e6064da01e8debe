"""Outcomes endpoints: a problem's metrics and their measurements."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import HeaderParameter

from intake.db import models
from intake.lib.etag import etag
from intake.lib.openapi import API_ERRORS, ETAG, LOCATION, errors, example
from intake.lib.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from intake.outcomes import reads as lean
from intake.outcomes import schemas
from intake.outcomes import service as outcomes
from intake.problems.deps import ON_PROBLEM, OnProblem
from intake.web.idempotency import ONCE, Created, Once
from intake.web.reads import Reads, ServiceAccount, person_only

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
NewMetric = Annotated[schemas.MetricCreate, example(_METRIC_EXAMPLE)]
MetricChange = Annotated[schemas.MetricUpdate, example({"target": 5, "target_date": "2027-09-30"})]
NewMeasurement = Annotated[
    schemas.MeasurementCreate,
    example(
        {
            "value": 12,
            "measured_on": "2027-02-28",
            "note": "February median from the permit system.",
        }
    ),
]


def _metric_path(on: OnProblem, metric_id: uuid.UUID) -> str:
    return f"/api/v1/problems/{on.problem_id}/metrics/{metric_id}"


async def _with_etag(on: OnProblem, metric: models.Metric) -> Response[schemas.Metric]:
    body = await outcomes.metric_out(on.session, metric)
    return Response(body, headers={"ETag": etag(metric.version)})


class MetricController(Controller):
    """``/api/v1/problems/{id}/metrics``: outcome metrics with their derived state."""

    path = "/problems/{problem_id:uuid}/metrics"
    tags = ["outcomes"]
    dependencies = {**ON_PROBLEM, **ONCE}

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
        self, on: OnProblem, once: Once, data: NewMetric
    ) -> Response[schemas.Metric]:
        async def create() -> Created:
            metric = await outcomes.create_metric(*on, data)
            body = await outcomes.metric_out(on.session, metric)
            headers = {"ETag": etag(metric.version), "Location": _metric_path(on, metric.id)}
            return 201, body, headers

        return await once(create)

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
        request: Request[Any, Any, Any],
        problem_id: uuid.UUID,
        reads: Reads,
        account: ServiceAccount,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Metric]:
        if account is not None:
            on = OnProblem(*account, problem_id)
            return Page.of(await outcomes.list_metrics(*on, cursor=cursor, limit=limit))
        email = person_only(request)
        return Page.of(await lean.metrics_for(reads, email, problem_id, cursor=cursor, limit=limit))

    @get(
        "/{metric_id:uuid}",
        summary="An outcome metric",
        responses=errors(401, 404),
        response_headers=[ETAG],
    )
    async def get_metric(self, on: OnProblem, metric_id: uuid.UUID) -> Response[schemas.Metric]:
        return await _with_etag(on, await outcomes.get_metric(*on, metric_id))

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
        on: OnProblem,
        metric_id: uuid.UUID,
        data: MetricChange,
        if_match: MetricIfMatch = None,
    ) -> Response[schemas.Metric]:
        return await _with_etag(on, await outcomes.update_metric(*on, metric_id, data, if_match))

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
        self, on: OnProblem, metric_id: uuid.UUID, if_match: MetricIfMatch = None
    ) -> None:
        await outcomes.delete_metric(*on, metric_id, if_match)

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
        self, on: OnProblem, once: Once, metric_id: uuid.UUID, data: NewMeasurement
    ) -> Response[schemas.Measurement]:
        async def create() -> Created:
            body = await outcomes.record_measurement(*on, metric_id, data)
            return 201, body, {"Location": f"{_metric_path(on, metric_id)}/measurements/{body.id}"}

        return await once(create)

    @get(
        "/{metric_id:uuid}/measurements",
        summary="A metric's measurements",
        description="Oldest first: by the day measured, then by when they were recorded.",
        responses=errors(*API_ERRORS, 404),
    )
    async def list_measurements(
        self,
        on: OnProblem,
        metric_id: uuid.UUID,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Measurement]:
        return Page.of(await outcomes.list_measurements(*on, metric_id, cursor=cursor, limit=limit))

    @get(
        "/{metric_id:uuid}/measurements/{measurement_id:uuid}",
        summary="A measurement",
        responses=errors(401, 404),
    )
    async def get_measurement(
        self, on: OnProblem, metric_id: uuid.UUID, measurement_id: uuid.UUID
    ) -> schemas.Measurement:
        return await outcomes.get_measurement(*on, metric_id, measurement_id)


ROUTES: list[type[Controller]] = [MetricController]
