"""SLA compliance: were first responses and decisions on time, by department and by triager.

Each submitted problem has two clocks, judged at the view's moment from its timeline row
then in force (first response and decision times, and the due times history recorded):

- ``met``: the clock stopped at or before its due time (or while it had none: a decision
  taken while the clock was paused waiting on the requester cannot be late, unless it had
  run out before the pause, and then it kept its due time);
- ``breached``: it stopped after its due time;
- ``running``: not stopped yet and not past due (a decision clock paused in time counts
  here);
- ``running_breached``: not stopped yet and already past due.

A clock that can no longer stop (the problem was withdrawn before it did) is not counted.
``met_pct`` is met / (met + breached): how often DTI was on time, over the clocks that
stopped. The triager is the one the problem had at the moment ("unassigned" before triage).
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.portfolio import labels, schemas
from intake.portfolio.scope import Expression, Scope, Timeline, moment, rows_at

TRIAGE_STATES = ("submitted", "triage", "needs_info")
CLOCK_STATES = ("met", "breached", "running", "running_breached")
# In SQL a clock's state is its position in CLOCK_STATES: over every problem of the city a
# small integer is judged, grouped and compared faster than text (a quarter off the view).
MET, BREACHED, RUNNING, RUNNING_BREACHED = range(len(CLOCK_STATES))
UNASSIGNED = "unassigned"
CLOCKS = ("first_response", "decision")
# Where each clock's count in each state sits in a group's tally.
SLOTS = {
    (clock, code): slot
    for slot, (clock, code) in enumerate(itertools.product(CLOCKS, range(len(CLOCK_STATES))))
}


def clock_state(
    stopped_at: Expression,
    due_at: Expression,
    still_running: ColumnElement[bool],
    at: ColumnElement[datetime],
) -> ColumnElement[int | None]:
    """SQL: the state of one clock at ``at``, as its position in CLOCK_STATES (NULL: not
    counted)."""
    return case(
        (
            stopped_at.is_not(None),
            case((or_(due_at.is_(None), stopped_at <= due_at), MET), else_=BREACHED),
        ),
        (
            still_running,
            case((and_(due_at.is_not(None), due_at < at), RUNNING_BREACHED), else_=RUNNING),
        ),
        else_=None,
    )


def first_response_state(scope: Scope) -> ColumnElement[int | None]:
    return clock_state(
        Timeline.first_response_at,
        Timeline.first_response_due_at,
        Timeline.status == "submitted",
        moment(scope),
    )


def decision_state(scope: Scope) -> ColumnElement[int | None]:
    return clock_state(
        Timeline.decided_at,
        Timeline.decision_due_at,
        Timeline.status.in_(TRIAGE_STATES),
        moment(scope),
    )


async def sla(session: AsyncSession, scope: Scope) -> schemas.Sla:
    """Both clocks for the whole scope, by department and by triager.

    One index-only scan grouped by department, triager and the two clocks' states (each
    clock judged once per problem); the totals, the departments and the triagers are added
    up from those groups here, and named with two small lookups.
    """
    first_response = first_response_state(scope).label("first_response")
    decision = decision_state(scope).label("decision")
    keys = (Timeline.department_id, Timeline.triager_id, first_response, decision)
    groups = (
        await session.execute(rows_at(scope, *keys, func.count().label("n")).group_by(*keys))
    ).all()
    departments = {
        row.id: (row.code, row.name)
        for row in await session.execute(
            select(models.Department.id, models.Department.code, models.Department.name)
        )
    }
    triager_ids = {row.triager_id for row in groups if row.triager_id is not None}
    triager_names = dict(
        (
            await session.execute(
                select(models.Person.id, models.Person.name).where(
                    models.Person.id.in_(triager_ids)
                )
            )
        ).all()
        if triager_ids
        else []
    )
    # Each group's counts in one flat list, a slot per clock and state: added up here, row
    # by row, for the whole scope, its department and its triager.
    total = _tally()
    by_department: dict[uuid.UUID, list[int]] = {}
    by_triager: dict[uuid.UUID | None, list[int]] = {}
    for row in groups:
        # A clock that can no longer stop (state NULL) is not counted.
        codes = ((clock, getattr(row, clock)) for clock in CLOCKS)
        slots = [SLOTS[clock, code] for clock, code in codes if code is not None]
        for tally in (
            total,
            by_department.setdefault(row.department_id, _tally()),
            by_triager.setdefault(row.triager_id, _tally()),
        ):
            for slot in slots:
                tally[slot] += row.n
    departments_out = [
        _group(*departments.get(key, (str(key), str(key))), tally)
        for key, tally in by_department.items()
    ]
    triagers = [
        _group(str(key), triager_names.get(key, UNASSIGNED), tally)
        if key is not None
        else _group(UNASSIGNED, UNASSIGNED, tally)
        for key, tally in by_triager.items()
    ]
    departments_out.sort(key=lambda group: group.key)
    triagers.sort(key=lambda group: (group.key == UNASSIGNED, group.label, group.key))
    totals = _group("all", "all", total)
    return schemas.Sla(
        **await labels.heading(session, scope),
        first_response=totals.first_response,
        decision=totals.decision,
        by_department=departments_out,
        by_triager=triagers,
    )


def _tally() -> list[int]:
    return [0] * len(SLOTS)


def _group(key: str, label: str, tally: list[int]) -> schemas.SlaGroup:
    return schemas.SlaGroup(
        key=key,
        label=label,
        first_response=_clock(tally, "first_response"),
        decision=_clock(tally, "decision"),
    )


def _clock(tally: list[int], clock: str) -> schemas.ClockCompliance:
    met, breached, running, running_breached = (
        tally[SLOTS[clock, code]] for code in range(len(CLOCK_STATES))
    )
    return schemas.ClockCompliance(
        met=met,
        breached=breached,
        running=running,
        running_breached=running_breached,
        met_pct=labels.percent(met, met + breached),
    )
