"""SLA compliance: were first responses and decisions on time, by department and by triager.

Each submitted problem has two clocks, judged at the view's moment from its timeline row
then in force (first response and decision times, and the due times history recorded):

- ``met``: the clock stopped at or before its due time (or while it had none: a decision
  taken while the clock was paused waiting on the requester cannot be late);
- ``breached``: it stopped after its due time;
- ``running``: not stopped yet and not past due (a paused decision clock counts here);
- ``running_breached``: not stopped yet and already past due.

A clock that can no longer stop (the problem was withdrawn before it did) is not counted.
``met_pct`` is met / (met + breached): how often DTI was on time, over the clocks that
stopped. The triager is the one the problem had at the moment ("unassigned" before triage).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.clock import utcnow
from intake.portfolio import labels, schemas
from intake.portfolio.scope import Expression, Scope, Timeline, moment, snapshot

TRIAGE_STATES = ("submitted", "triage", "needs_info")
CLOCK_STATES = ("met", "breached", "running", "running_breached")
UNASSIGNED = "unassigned"


def clock_state(
    stopped_at: Expression,
    due_at: Expression,
    still_running: ColumnElement[bool],
    at: ColumnElement[datetime],
) -> ColumnElement[str | None]:
    """SQL: the state of one clock at ``at`` (NULL: not counted)."""
    return case(
        (
            stopped_at.is_not(None),
            case((or_(due_at.is_(None), stopped_at <= due_at), "met"), else_="breached"),
        ),
        (
            still_running,
            case((and_(due_at.is_not(None), due_at < at), "running_breached"), else_="running"),
        ),
        else_=None,
    )


def first_response_state(scope: Scope) -> ColumnElement[str | None]:
    return clock_state(
        Timeline.first_response_at,
        Timeline.first_response_due_at,
        Timeline.status == "submitted",
        moment(scope),
    )


def decision_state(scope: Scope) -> ColumnElement[str | None]:
    return clock_state(
        Timeline.decided_at,
        Timeline.decision_due_at,
        Timeline.status.in_(TRIAGE_STATES),
        moment(scope),
    )


async def sla(session: AsyncSession, scope: Scope) -> schemas.Sla:
    """Both clocks for the whole scope, by department and by triager, in one grouped scan."""
    triager = models.Person
    clocks = (
        snapshot(
            scope,
            models.Department.code.label("department"),
            models.Department.name.label("department_name"),
            Timeline.triager_id,
            triager.name.label("triager_name"),
            first_response_state(scope).label("first_response"),
            decision_state(scope).label("decision"),
        )
        .join(models.Department, models.Department.id == models.Problem.department_id)
        .outerjoin(triager, triager.id == Timeline.triager_id)
        .subquery()
    )
    counts = [
        func.count().filter(getattr(clocks.c, clock) == state).label(f"{clock}_{state}")
        for clock in ("first_response", "decision")
        for state in CLOCK_STATES
    ]
    by_department = (clocks.c.department, clocks.c.department_name)
    by_triager = (clocks.c.triager_id, clocks.c.triager_name)
    rows = await session.execute(
        select(
            func.grouping(*by_department, *by_triager).label("set"),
            *by_department,
            *by_triager,
            *counts,
        ).group_by(
            func.grouping_sets(tuple_(*by_department), tuple_(*by_triager), literal_column("()"))
        )
    )
    total = _group("all", "all", None)
    departments: list[schemas.SlaGroup] = []
    triagers: list[schemas.SlaGroup] = []
    for row in rows:
        # grouping() sets a bit per column NOT grouped on (department is the highest bit).
        if row.set == 0b1111:
            total = _group("all", "all", row)
        elif row.set == 0b0011:
            departments.append(_group(row.department, row.department_name, row))
        else:
            key = str(row.triager_id) if row.triager_id else UNASSIGNED
            triagers.append(_group(key, row.triager_name or UNASSIGNED, row))
    departments.sort(key=lambda group: group.key)
    triagers.sort(key=lambda group: (group.key == UNASSIGNED, group.label, group.key))
    return schemas.Sla(
        as_of=scope.as_of,
        generated_at=utcnow(),
        filters=await labels.filters_out(session, scope),
        first_response=total.first_response,
        decision=total.decision,
        by_department=departments,
        by_triager=triagers,
    )


def _group(key: str, label: str, row: Any) -> schemas.SlaGroup:
    return schemas.SlaGroup(
        key=key,
        label=label,
        first_response=_clock(row, "first_response"),
        decision=_clock(row, "decision"),
    )


def _clock(row: Any, clock: str) -> schemas.ClockCompliance:
    met, breached, running, running_breached = (
        getattr(row, f"{clock}_{state}", 0) if row is not None else 0 for state in CLOCK_STATES
    )
    return schemas.ClockCompliance(
        met=met,
        breached=breached,
        running=running,
        running_breached=running_breached,
        met_pct=labels.percent(met, met + breached),
    )
