"""Outcome rules: a problem's metrics, their measurements, and what those say.

Anyone who can see the problem reads its metrics. The problem's triager and team define,
edit and remove them; they, and each metric's owner (often someone in the requesting
department), record measurements. All of it while the work is open (accepted to live, or
on hold). Every change writes one history event in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, cast

import msgspec
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from intake.collaboration import access
from intake.db import models
from intake.lib.clock import utcnow
from intake.lib.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from intake.lib.etag import check_if_match
from intake.lib.pagination import page_rows
from intake.lib.schema import from_row
from intake.outcomes import schemas
from intake.outcomes.state import Direction, Reading, better, standing
from intake.problems import edits, history, records
from intake.problems import service as problems
from intake.problems.guards import (
    on_problem_team,
    require_problem_team,
    require_work_open,
)
from intake.problems.schemas import PersonRef
from intake.web.auth import Caller

# The fields of a metric's definition, in the order history shows them.
DEFINITION = (
    "name",
    "unit",
    "direction",
    "baseline",
    "target",
    "target_date",
    "owner",
    "review_date",
)


def today() -> date:
    return utcnow().date()


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measured:
    count: int
    latest: Reading | None


async def _measured(
    session: AsyncSession, metric_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Measured]:
    """Per metric: how many measurements it has and its latest one (latest ``measured_on``;
    on the same day, the one recorded last)."""
    M = models.Measurement
    count_rows = await session.execute(
        select(M.metric_id, func.count().label("n"))
        .where(M.metric_id.in_(metric_ids))
        .group_by(M.metric_id)
    )
    counts = {row.metric_id: row.n for row in count_rows}
    latest_rows = await session.execute(
        select(M.metric_id, M.value, M.measured_on)
        .where(M.metric_id.in_(metric_ids))
        .ext(distinct_on(M.metric_id))
        .order_by(M.metric_id, M.measured_on.desc(), M.created_at.desc(), M.id.desc())
    )
    latest = {row.metric_id: Reading(row.value, row.measured_on) for row in latest_rows}
    return {
        metric_id: Measured(count=counts.get(metric_id, 0), latest=latest.get(metric_id))
        for metric_id in metric_ids
    }


async def _people(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, PersonRef]:
    return {
        key: PersonRef(id=key, name=name)
        for key, name in (await records.names(session, ids)).items()
    }


async def metrics_out(session: AsyncSession, metrics: list[models.Metric]) -> list[schemas.Metric]:
    """The metrics as the API shows them, each with its derived state."""
    if not metrics:
        return []
    measured = await _measured(session, [metric.id for metric in metrics])
    people = await _people(
        session,
        {m.created_by_id for m in metrics} | {m.owner_id for m in metrics if m.owner_id},
    )
    on = today()
    return [metric_from(metric, measured[metric.id], people, on) for metric in metrics]


class MetricRow(NamedTuple):
    """A metric as read for its body without the entity (``outcomes.reads``)."""

    id: uuid.UUID
    problem_id: uuid.UUID
    name: str
    unit: str
    direction: str
    baseline: float
    target: float
    target_date: date
    owner_id: uuid.UUID | None
    review_date: date | None
    created_by_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    version: int


def metric_from(
    metric: MetricRow | models.Metric,
    facts: Measured,
    people: dict[uuid.UUID, PersonRef],
    on: date,
) -> schemas.Metric:
    """The metric as the API shows it, its state derived from its latest measurement."""
    derived = standing(
        direction=cast(Direction, metric.direction),
        baseline=metric.baseline,
        target=metric.target,
        target_date=metric.target_date,
        latest=facts.latest,
        today=on,
    )
    return from_row(
        schemas.Metric,
        metric,
        owner=people[metric.owner_id] if metric.owner_id else None,
        state=derived.state,
        latest_value=derived.latest_value,
        latest_measured_on=derived.latest_measured_on,
        progress=derived.progress,
        measurement_count=facts.count,
        created_by=people[metric.created_by_id],
    )


async def metric_out(session: AsyncSession, metric: models.Metric) -> schemas.Metric:
    return (await metrics_out(session, [metric]))[0]


async def _metric_of(
    session: AsyncSession, problem: models.Problem, metric_id: uuid.UUID, *, for_update: bool
) -> models.Metric:
    """The problem's metric; 404 when there is none (removed, or another problem's)."""
    return await records.record_of(
        session,
        models.Metric,
        problem.id,
        metric_id,
        models.Metric.present(),
        for_update=for_update,
    )


async def get_metric(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, metric_id: uuid.UUID
) -> models.Metric:
    problem = await problems.get_visible(session, caller, problem_id)
    return await _metric_of(session, problem, metric_id, for_update=False)


list_metrics = records.lister(
    "list_metrics",
    lambda _, problem_id: select(models.Metric).where(
        models.Metric.problem_id == problem_id, models.Metric.present()
    ),
    (models.Metric.created_at, models.Metric.id),
    metrics_out,
    doc="The problem's metrics in the order they were defined.",
)


# -- defining metrics -----------------------------------------------------------------------


async def _owner(session: AsyncSession, problem: models.Problem, email: str) -> models.Person:
    """The person named as owner: active and able to see the problem; 422 otherwise."""
    person, _ = await access.active_person(session, email, "owner_email")
    if person is None:
        raise ValidationFailed(
            "The owner must be an active person registered in Intake.",
            [FieldError("owner_email", "No active person with this e-mail")],
        )
    if not await access.can_see(session, person, problem.id):
        raise ValidationFailed(
            "The owner must be able to see the problem.",
            [FieldError("owner_email", "This person cannot see the problem")],
        )
    return person


def _check_blank(**texts: str) -> None:
    blank = [FieldError(name, "Cannot be blank") for name, text in texts.items() if not text]
    if blank:
        raise ValidationFailed("Some fields are blank.", blank)


def _check_target(direction: str, baseline: float, target: float) -> None:
    if not better(cast(Direction, direction), target, baseline):
        side = "above" if direction == "increase" else "below"
        raise ValidationFailed(
            f"For a metric that should {direction}, the target must be {side} the baseline.",
            [FieldError("target", f"Must be {side} the baseline ({baseline:g})")],
        )


async def _check_name_free(
    session: AsyncSession, problem_id: uuid.UUID, name: str, but: uuid.UUID | None = None
) -> None:
    """Metric names are unique per problem, compared without case: 409 on a clash. A removed
    metric's name is free again."""
    query = select(models.Metric.id).where(
        models.Metric.problem_id == problem_id,
        func.lower(models.Metric.name) == name.lower(),
        models.Metric.present(),
    )
    if but is not None:
        query = query.where(models.Metric.id != but)
    if await session.scalar(query) is not None:
        raise Conflict(f"This problem already has a metric named '{name}'.")


def _value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, PersonRef):
        return msgspec.to_builtins(value)
    return value


def _ref(metric: models.Metric) -> dict[str, str]:
    return {"id": str(metric.id), "name": metric.name}


async def _definition(session: AsyncSession, metric: models.Metric) -> dict[str, Any]:
    """The metric's definition as history shows it (the owner by id and name)."""
    owner = None
    if metric.owner_id is not None:
        person = await session.get(models.Person, metric.owner_id)
        assert person is not None
        owner = PersonRef(id=person.id, name=person.name)
    return {
        name: _value(owner if name == "owner" else getattr(metric, name)) for name in DEFINITION
    }


async def _changing(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    metric_id: uuid.UUID,
    if_match: str | None,
) -> tuple[models.Problem, models.Metric]:
    """The problem and its metric, both locked, for a change of the definition: 404, then
    403 off the team, 412/428 on the ETag, 409 unless the work is open."""
    problem = await problems.get_visible(session, caller, problem_id, for_update=True)
    metric = await _metric_of(session, problem, metric_id, for_update=True)
    await require_problem_team(session, caller, problem)
    check_if_match(if_match, metric.version)
    require_work_open(problem)
    return problem, metric


async def create_metric(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, data: schemas.MetricCreate
) -> models.Metric:
    """Define an outcome metric for the problem (its triager and team, while work is open)."""
    problem = await records.team_problem(session, caller, problem_id)
    name, unit = data.name.strip(), data.unit.strip()
    _check_blank(name=name, unit=unit)
    _check_target(data.direction, data.baseline, data.target)
    owner = await _owner(session, problem, data.owner_email) if data.owner_email else None
    await _check_name_free(session, problem.id, name)
    metric = await records.insert(
        session,
        caller,
        models.Metric,
        problem.id,
        name=name,
        unit=unit,
        direction=data.direction,
        baseline=data.baseline,
        target=data.target,
        target_date=data.target_date,
        owner_id=owner.id if owner else None,
        review_date=data.review_date,
    )
    definition = await _definition(session, metric)
    added = {name: edits.change(None, value) for name, value in definition.items()}
    await history.record(
        session, problem.id, caller.id, "metric_added", changes={"metric": _ref(metric), **added}
    )
    await session.refresh(metric)
    return metric


async def update_metric(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    metric_id: uuid.UUID,
    data: schemas.MetricUpdate,
    if_match: str | None,
) -> models.Metric:
    """Edit a metric's definition; every changed field goes to history with from and to."""
    problem, metric = await _changing(session, caller, problem_id, metric_id, if_match)

    before = await _definition(session, metric)
    given = edits.given(data)
    for name in ("name", "unit"):
        if name in given:
            given[name] = given[name].strip()
    _check_blank(**{name: given[name] for name in ("name", "unit") if name in given})
    _check_target(
        given.get("direction", metric.direction),
        given.get("baseline", metric.baseline),
        given.get("target", metric.target),
    )
    if "owner_email" in given:
        email = given.pop("owner_email")
        owner = await _owner(session, problem, email) if email else None
        given["owner_id"] = owner.id if owner else None
    if "name" in given:
        await _check_name_free(session, problem.id, given["name"], but=metric.id)
    for name, value in given.items():
        setattr(metric, name, value)

    after = await _definition(session, metric)
    changes = edits.between(before, after, DEFINITION)
    if changes:
        changes = {"metric": _ref(metric), **changes}
        await records.changed(session, caller, metric, "metric_updated", changes)
    return metric


async def delete_metric(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    metric_id: uuid.UUID,
    if_match: str | None,
) -> None:
    """Remove a metric defined by mistake; once it has measurements it stays (409).

    A removed metric is gone from the API (its name can be used again) but kept, with
    ``deleted_at``, for the portfolio's views of earlier moments.
    """
    problem, metric = await _changing(session, caller, problem_id, metric_id, if_match)
    count = await session.scalar(
        select(func.count()).where(models.Measurement.metric_id == metric.id)
    )
    if count:
        raise Conflict(
            f"The metric '{metric.name}' has {count} measurement(s) and cannot be removed; "
            "measured outcomes stay on the record."
        )
    definition = await _definition(session, metric)
    metric.remove(caller.id, utcnow())
    gone = {name: edits.change(value, None) for name, value in definition.items()}
    await history.record(
        session, problem.id, caller.id, "metric_removed", changes={"metric": _ref(metric), **gone}
    )


# -- measurements ---------------------------------------------------------------------------


def measurement_out(measurement: models.Measurement, recorder: PersonRef) -> schemas.Measurement:
    return from_row(
        schemas.Measurement, measurement, recorded_by=recorder, recorded_at=measurement.created_at
    )


async def record_measurement(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    metric_id: uuid.UUID,
    data: schemas.MeasurementCreate,
) -> schemas.Measurement:
    """Record a value of the metric: the problem's triager and team, or the metric's owner."""
    # Locked like every other outcome write (problem, then metric): a measurement cannot slip
    # in beside a concurrent close, and each event's state change (from, to) follows the one
    # recorded before it.
    problem = await problems.get_visible(session, caller, problem_id, for_update=True)
    metric = await _metric_of(session, problem, metric_id, for_update=True)
    if metric.owner_id != caller.id and not await on_problem_team(session, caller, problem):
        raise Forbidden(
            "Only the problem's triager, the members of its team and the metric's owner "
            "can record measurements."
        )
    require_work_open(problem)
    if data.measured_on > today():
        raise ValidationFailed(
            "A measurement cannot be dated in the future.",
            [FieldError("measured_on", f"Must be today ({today().isoformat()}) or earlier")],
        )
    (before,) = await metrics_out(session, [metric])
    note = (data.note or "").strip() or None
    measurement = models.Measurement(
        id=uuid.uuid4(),
        metric_id=metric.id,
        value=data.value,
        measured_on=data.measured_on,
        note=note,
        recorded_by_id=caller.id,
        created_at=utcnow(),
    )
    session.add(measurement)
    await session.flush()
    await session.refresh(measurement)
    (after,) = await metrics_out(session, [metric])
    recorded = {
        "metric": _ref(metric),
        "measurement": {
            "id": str(measurement.id),
            "value": measurement.value,
            "measured_on": measurement.measured_on.isoformat(),
            "note": note,
        },
        "state": edits.change(before.state, after.state),
    }
    await history.record(session, problem.id, caller.id, "measurement_recorded", changes=recorded)
    return measurement_out(measurement, PersonRef(id=caller.id, name=caller.name))


async def get_measurement(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    metric_id: uuid.UUID,
    measurement_id: uuid.UUID,
) -> schemas.Measurement:
    metric = await get_metric(session, caller, problem_id, metric_id)
    M, Person = models.Measurement, models.Person
    row = (
        await session.execute(
            select(M, Person.name)
            .join(Person, Person.id == M.recorded_by_id)
            .where(M.id == measurement_id, M.metric_id == metric.id)
        )
    ).first()
    if row is None:
        raise NotFound(f"Metric {metric_id} has no measurement {measurement_id}.")
    measurement, name = row
    return measurement_out(measurement, PersonRef(id=measurement.recorded_by_id, name=name))


async def list_measurements(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    metric_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.Measurement], str | None]:
    """The metric's measurements, oldest first (by the day measured, then when recorded)."""
    metric = await get_metric(session, caller, problem_id, metric_id)
    M, Person = models.Measurement, models.Person
    rows, next_cursor = await page_rows(
        session,
        select(M, Person.name)
        .join(Person, Person.id == M.recorded_by_id)
        .where(M.metric_id == metric.id),
        (M.measured_on, M.created_at, M.id),
        cursor,
        limit=limit,
    )
    return [
        measurement_out(measurement, PersonRef(id=measurement.recorded_by_id, name=name))
        for measurement, name in rows
    ], next_cursor
