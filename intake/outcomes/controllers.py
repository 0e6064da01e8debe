"""Outcomes endpoints: a problem's metrics and their measurements."""

from __future__ import annotations

from litestar import Controller

from intake.outcomes import reads as lean
from intake.outcomes import schemas
from intake.outcomes import service as outcomes
from intake.problems.item_routes import Item, RecordController

METRICS = Item("metric", "metrics", schemas.Metric, shape=outcomes.metric_out, versioned=True)
MEASUREMENTS = Item("measurement", "measurements", schemas.Measurement, parent=METRICS)


class MetricController(RecordController):
    """``/api/v1/problems/{id}/metrics``: outcome metrics with their derived state."""

    tags = ["outcomes"]

    create_metric = METRICS.create(
        outcomes.create_metric,
        schemas.MetricCreate,
        summary="Define an outcome metric",
        description=(
            "The problem's triager and team, while the work is open (accepted to live, or on "
            "hold). The target must be on the improving side of the baseline; `owner_email` "
            "names an active person who can see the problem. Names are unique per problem "
            "(case-insensitive): a clash is 409."
        ),
    )
    list_metrics = METRICS.page(
        outcomes.list_metrics,
        lean=lean.metrics_for,
        summary="A problem's outcome metrics",
        description=(
            "In the order they were defined, each with `state` (not_started, improving, "
            "worsening, achieved, missed), its latest measurement and `progress` from baseline "
            "(0) to target (1)."
        ),
    )
    get_metric = METRICS.read(outcomes.get_metric, summary="An outcome metric")
    update_metric = METRICS.change(
        outcomes.update_metric,
        schemas.MetricUpdate,
        summary="Edit an outcome metric",
        description=(
            "The problem's triager and team, with `If-Match` of the metric. Every changed field "
            "(a moved baseline, target or target date included) is kept in history with its "
            "earlier value. `null` clears `owner_email` or `review_date`."
        ),
    )
    delete_metric = METRICS.remove(
        outcomes.delete_metric,
        summary="Remove an outcome metric",
        description=(
            "The problem's triager and team, with `If-Match`, only while the metric has no "
            "measurements (409 otherwise: measured outcomes stay on the record). A removed "
            "metric is a 404 from then on and its name is free again; portfolio views as of "
            "an earlier moment still count it."
        ),
        statuses=(403, 409, 422),
    )
    record_measurement = MEASUREMENTS.create(
        outcomes.record_measurement,
        schemas.MeasurementCreate,
        summary="Record a measurement",
        description=(
            "The problem's triager and team, or the metric's owner, while the work is open "
            "(most often after launch). `measured_on` is today or earlier."
        ),
    )
    list_measurements = MEASUREMENTS.page(
        outcomes.list_measurements,
        summary="A metric's measurements",
        description="Oldest first: by the day measured, then by when they were recorded.",
    )
    get_measurement = MEASUREMENTS.read(outcomes.get_measurement, summary="A measurement")


ROUTES: list[type[Controller]] = [MetricController]
