"""At risk: the work a leader should ask about, now or as of any moment.

Three kinds, each with its total and the first ``LISTED`` items:

- ``updates``: work in progress (accepted through live, or on hold) whose latest status update
  by the moment says ``at_risk`` or ``off_track`` (off track first, then the oldest update);
- ``sla_breaches``: problems still in triage (submitted, triage, needs_info) with an SLA clock
  running past its due time at the moment (most overdue first);
- ``milestones``: milestones of work in progress not done by the moment's day that had
  slipped (their target moved later at least once by then) or were overdue (their target
  then had passed). The target in force at the moment is the one ``earlier_targets`` says
  was replaced after it, or the current one; a milestone exists from its creation until it
  is removed (``Milestone.existed_at``), and is done from its ``done_on`` day.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.portfolio import labels, schemas
from intake.portfolio.compliance import RUNNING_BREACHED, decision_state, first_response_state
from intake.portfolio.scope import Scope, Timeline, moment, rows_at, today
from intake.problems.guards import WORK_STATES

LISTED = 100
TRIAGE_STATES = ("submitted", "triage", "needs_info")
RISKY = ("off_track", "at_risk")
EVER_ON_TARGET = literal([], JSONB)  # a milestone's earlier_targets when it never moved


async def at_risk(session: AsyncSession, scope: Scope) -> schemas.AtRisk:
    updates, breaches = await _problems_at_risk(session, scope)
    return schemas.AtRisk(
        **await labels.heading(session, scope),
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
    # Each problem's latest update by the moment: one ordered index-only scan of the updates
    # (DISTINCT ON keeps each problem's first), far cheaper than a probe per open problem at
    # city scale. Only the status and time here; the summary is read for the rows listed.
    latest = (
        select(Update.problem_id, Update.id, Update.status, Update.created_at)
        .where(Update.created_at <= at)
        .order_by(Update.problem_id, Update.created_at.desc(), Update.id.desc())
        .ext(distinct_on(Update.problem_id))
        .subquery("latest")
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
            latest.c.id.label("update_id"),
            latest.c.status.label("update_status"),
            latest.c.created_at.label("update_at"),
            states=(*TRIAGE_STATES, *WORK_STATES),
        )
        # Only work in progress has updates worth reading.
        .outerjoin(
            latest,
            and_(latest.c.problem_id == Timeline.problem_id, Timeline.status.in_(WORK_STATES)),
        )
        .subquery()
    )
    c = candidates.c
    fr_breached = c.first_response == RUNNING_BREACHED
    dc_breached = c.decision == RUNNING_BREACHED
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
    summary = select(Update.summary).where(Update.id == listed.c.update_id).scalar_subquery()
    rows = await session.execute(
        labels.labelled(listed)
        .add_columns(summary.label("update_summary"))
        .order_by(listed.c.section, listed.c.rank)
    )
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
    # The milestones at risk at the moment, over the milestones alone (one pass: the cheap
    # tests first, then the earlier targets of the few left), planned on its own (OFFSET 0)
    # so it is not turned into a lookup per problem in progress.
    at_risk = (
        select(
            Milestone.id.label("milestone_id"),
            Milestone.problem_id,
            target_then.label("target_then"),
            original.label("original"),
            slipped.label("slipped"),
        )
        .where(
            Milestone.existed_at(at),
            or_(Milestone.done_on.is_(None), Milestone.done_on > day),
            # A milestone never moved is at risk only when overdue.
            or_(Milestone.earlier_targets != EVER_ON_TARGET, Milestone.target_date < day),
            or_(slipped, target_then < day),
        )
        .offset(0)
        .subquery("at_risk")
    )
    risky = (
        rows_at(
            scope,
            Timeline.problem_id,
            Timeline.status,
            Timeline.team_id,
            at_risk.c.milestone_id,
            at_risk.c.target_then,
            at_risk.c.original,
            at_risk.c.slipped,
            (at_risk.c.target_then < day).label("overdue"),
            states=WORK_STATES,
        )
        .join(at_risk, at_risk.c.problem_id == Timeline.problem_id)
        .subquery()
    )
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
    # The title for the listed milestones only: the ranking reads no text.
    title = select(Milestone.title).where(Milestone.id == listed.c.milestone_id).scalar_subquery()
    rows = await session.execute(
        labels.labelled(listed).add_columns(title.label("milestone_title")).order_by(listed.c.rank)
    )
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
