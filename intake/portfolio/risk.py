"""At risk: the work a leader should ask about, now or as of any moment.

Three kinds, each with its total and the first ``LISTED`` items:

- ``updates``: work in progress (accepted through live, or on hold) whose latest status update
  by the moment says ``at_risk`` or ``off_track`` (off track first, then the oldest update);
- ``sla_breaches``: problems still in triage (submitted, triage, needs_info) with an SLA clock
  running past its due time at the moment (most overdue first);
- ``milestones``: milestones of work in progress not done by the moment's day that had
  slipped (their target moved later at least once by then) or were overdue (their target
  then had passed). The target in force at the moment is the one ``earlier_targets`` says
  was replaced after it, or the current one; a milestone exists from its creation and is
  done from its ``done_on`` day. Removed milestones are gone (history keeps what they were).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.clock import utcnow
from intake.portfolio import labels, schemas
from intake.portfolio.compliance import decision_state, first_response_state
from intake.portfolio.scope import Scope, Timeline, moment, rows_at, today
from intake.problems.guards import WORK_STATES

LISTED = 100
TRIAGE_STATES = ("submitted", "triage", "needs_info")
RISKY = ("off_track", "at_risk")


async def at_risk(session: AsyncSession, scope: Scope) -> schemas.AtRisk:
    updates, breaches = await _problems_at_risk(session, scope)
    return schemas.AtRisk(
        as_of=scope.as_of,
        generated_at=utcnow(),
        filters=await labels.filters_out(session, scope),
        updates=updates,
        sla_breaches=breaches,
        milestones=await _milestones_at_risk(session, scope),
    )


async def _problems_at_risk(
    session: AsyncSession, scope: Scope
) -> tuple[schemas.UpdateRisks, schemas.SlaBreaches]:
    """Risky latest updates and breached clocks, in one pass over the open problems."""
    Update = models.StatusUpdate
    at = moment(scope)
    latest = (
        select(Update.status, Update.summary, Update.created_at)
        .where(
            # Only work in progress has updates worth reading (a cheap one-time filter).
            Timeline.status.in_(WORK_STATES),
            Update.problem_id == Timeline.problem_id,
            Update.created_at <= at,
        )
        .order_by(Update.created_at.desc(), Update.id.desc())
        .limit(1)
        .lateral("latest")
    )
    first_response = first_response_state(scope).label("first_response")
    decision = decision_state(scope).label("decision")
    candidates = (
        rows_at(
            scope,
            Timeline.problem_id,
            Timeline.status,
            Timeline.team_id,
            Timeline.first_response_due_at,
            Timeline.decision_due_at,
            first_response,
            decision,
            latest.c.status.label("update_status"),
            latest.c.summary.label("update_summary"),
            latest.c.created_at.label("update_at"),
        )
        .outerjoin(latest, true())
        .where(Timeline.status.in_((*TRIAGE_STATES, *WORK_STATES)))
        .subquery()
    )
    c = candidates.c
    fr_breached = c.first_response == "running_breached"
    dc_breached = c.decision == "running_breached"
    section = case(
        (c.update_status.in_(RISKY), "update"),
        (or_(fr_breached, dc_breached), "sla"),
    ).label("section")
    overdue_since = func.least(
        case((fr_breached, c.first_response_due_at)), case((dc_breached, c.decision_due_at))
    ).label("overdue_since")
    flagged = select(
        candidates, section, overdue_since, fr_breached.label("fr"), dc_breached.label("dc")
    ).subquery()
    f = flagged.c
    order = case(
        (f.section == "update", f.update_status != "off_track"),
        else_=False,
    )
    ranked = select(
        flagged,
        func.count().over(partition_by=f.section).label("total"),
        func.row_number()
        .over(
            partition_by=f.section,
            order_by=(order, f.update_at, f.overdue_since, f.problem_id),
        )
        .label("rank"),
    ).subquery()
    listed = select(ranked).where(ranked.c.section.is_not(None), ranked.c.rank <= LISTED).subquery()
    rows = await session.execute(labels.labelled(listed).order_by(listed.c.section, listed.c.rank))
    updates = schemas.UpdateRisks(total=0, items=[])
    breaches = schemas.SlaBreaches(total=0, items=[])
    row: Any
    for row in rows:
        problem = labels.problem_out(row)
        if row.section == "update":
            updates.total = row.total
            updates.items.append(
                schemas.UpdateRisk(
                    problem=problem,
                    status=row.update_status,
                    summary=row.update_summary,
                    posted_at=row.update_at,
                )
            )
        else:
            breaches.total = row.total
            breaches.items.append(
                schemas.SlaBreach(
                    problem=problem,
                    breached=[
                        n for n, hit in (("first_response", row.fr), ("decision", row.dc)) if hit
                    ],
                    first_response_due_at=row.first_response_due_at,
                    decision_due_at=row.decision_due_at,
                    days_overdue=round(
                        (scope.moment - row.overdue_since).total_seconds() / 86400, 1
                    ),
                )
            )
    return updates, breaches


async def _milestones_at_risk(session: AsyncSession, scope: Scope) -> schemas.MilestoneRisks:
    Milestone = models.Milestone
    at, day = moment(scope), literal(today(scope), Date)
    entries = func.jsonb_array_elements(Milestone.earlier_targets).table_valued(
        "value", with_ordinality="position"
    )
    entry = entries.render_derived(name="entry", with_types=False)
    replaced_at = cast(entry.c.value.op("->>")("replaced_at"), DateTime(timezone=True))
    replaced_target = cast(entry.c.value.op("->>")("target_date"), Date)
    # The target in force at the moment: the first one replaced after it, else the current.
    target_then = func.coalesce(
        select(replaced_target)
        .select_from(entry)
        .where(replaced_at > at)
        .order_by(entry.c.position)
        .limit(1)
        .scalar_subquery(),
        Milestone.target_date,
    )
    # The target each move set: the next entry's date, or the current target after the last
    # (``position`` counts from 1, so it indexes the next entry of the 0-based array).
    next_entry = Milestone.earlier_targets.op("->")(cast(entry.c.position, Integer))
    moved_to = func.coalesce(cast(next_entry.op("->>")("target_date"), Date), Milestone.target_date)
    slipped = exists(
        select(true()).select_from(entry).where(replaced_at <= at, moved_to > replaced_target)
    )
    original = func.coalesce(
        cast(Milestone.earlier_targets.op("->")(0).op("->>")("target_date"), Date),
        Milestone.target_date,
    )
    milestones = (
        rows_at(
            scope,
            Timeline.problem_id,
            Timeline.status,
            Timeline.team_id,
            Milestone.id.label("milestone_id"),
            Milestone.title.label("milestone_title"),
            target_then.label("target_then"),
            original.label("original"),
            slipped.label("slipped"),
        )
        .join(Milestone, Milestone.problem_id == Timeline.problem_id)
        .where(
            Timeline.status.in_(WORK_STATES),
            Milestone.created_at <= at,
            or_(Milestone.done_on.is_(None), Milestone.done_on > day),
        )
        .subquery()
    )
    m = milestones.c
    overdue = (m.target_then < day).label("overdue")
    risky = select(milestones, overdue).where(or_(m.slipped, m.target_then < day)).subquery()
    r = risky.c
    ranked = select(
        risky,
        func.count().over().label("total"),
        func.row_number()
        .over(
            order_by=(
                r.overdue.desc(),
                (r.target_then - r.original).desc(),
                r.target_then,
                r.problem_id,
                r.milestone_id,
            )
        )
        .label("rank"),
    ).subquery()
    listed = select(ranked).where(ranked.c.rank <= LISTED).subquery()
    rows = await session.execute(labels.labelled(listed).order_by(listed.c.rank))
    result = schemas.MilestoneRisks(total=0, items=[])
    row: Any
    for row in rows:
        result.total = row.total
        result.items.append(
            schemas.MilestoneRisk(
                problem=labels.problem_out(row),
                milestone_id=row.milestone_id,
                title=row.milestone_title,
                target_date=row.target_then,
                original_target_date=row.original,
                slip_days=(row.target_then - row.original).days,
                slipped=row.slipped,
                overdue=row.overdue,
            )
        )
    return result
