"""Outcome schemas: metrics with their derived state, and their measurements."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from intake.lib.addresses import RegisteredAddress
from intake.lib.schema import LABEL, NO_NUL, Input, Output
from intake.outcomes.state import Direction, MetricState
from intake.problems.schemas import PersonRef

# Finite numbers only: the bounds refuse infinities (and JSON has no NaN), and keep every
# value well inside what a double holds exactly enough for a city's metrics.
Number = Annotated[float, msgspec.Meta(ge=-1e15, le=1e15)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200), NO_NUL, LABEL]
Unit = Annotated[str, msgspec.Meta(min_length=1, max_length=40), NO_NUL, LABEL]
Note = Annotated[str, msgspec.Meta(max_length=2000), NO_NUL]


class MetricCreate(Input):
    """A new outcome metric. The target must be on the improving side of the baseline."""

    examples = (
        {
            "name": "Median days from request to permit decision",
            "unit": "days",
            "direction": "decrease",
            "baseline": 31,
            "target": 7,
            "target_date": "2027-06-30",
            "owner_email": "ravi.patel@city.example",
            "review_date": "2027-07-15",
        },
    )

    name: Name
    unit: Unit
    direction: Direction
    baseline: Number
    target: Number
    target_date: date
    owner_email: RegisteredAddress | None = None
    review_date: date | None = None


class MetricUpdate(Input):
    """A partial edit: fields left out stay as they are; ``null`` clears owner or review date."""

    examples = ({"target": 5, "target_date": "2027-09-30"},)

    name: Name | msgspec.UnsetType = msgspec.UNSET
    unit: Unit | msgspec.UnsetType = msgspec.UNSET
    direction: Direction | msgspec.UnsetType = msgspec.UNSET
    baseline: Number | msgspec.UnsetType = msgspec.UNSET
    target: Number | msgspec.UnsetType = msgspec.UNSET
    target_date: date | msgspec.UnsetType = msgspec.UNSET
    owner_email: RegisteredAddress | msgspec.UnsetType | None = msgspec.UNSET
    review_date: date | msgspec.UnsetType | None = msgspec.UNSET


class Metric(Output):
    """A metric as defined, with what its measurements say so far."""

    id: uuid.UUID
    problem_id: uuid.UUID
    name: str
    unit: str
    direction: Direction
    baseline: float
    target: float
    target_date: date
    owner: PersonRef | None
    review_date: date | None
    state: MetricState
    latest_value: float | None
    latest_measured_on: date | None
    progress: float | None
    measurement_count: int
    created_by: PersonRef
    created_at: datetime
    updated_at: datetime
    version: int


class MeasurementCreate(Input):
    """One value of the metric, as measured on a day (today or earlier)."""

    examples = (
        {
            "value": 12,
            "measured_on": "2027-02-28",
            "note": "February median from the permit system.",
        },
    )

    value: Number
    measured_on: date
    note: Note | None = None


class Measurement(Output):
    id: uuid.UUID
    metric_id: uuid.UUID
    value: float
    measured_on: date
    note: str | None
    recorded_by: PersonRef
    recorded_at: datetime
