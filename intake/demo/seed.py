"""Seed the demo city: departments, people, product teams and problems with history.

Problems in later states get the history they would have had, backdated across their
``days_ago``, with the same event types, SLA clocks, triager and team the real actions set,
and (for work past acceptance) the findings, milestones, updates and metrics in
``intake.demo.work``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.demo import data, work
from intake.lib.clock import utcnow
from intake.portfolio import timeline
from intake.problems import service as problems
from intake.problems.events import EventType
from intake.triage import clocks, similar

# The states a problem passes through on its way to each demo state.
_PATHS: dict[str, tuple[str, ...]] = {
    "draft": (),
    "submitted": ("submitted",),
    "triage": ("submitted", "triage"),
    "needs_info": ("submitted", "triage", "needs_info"),
    "accepted": ("submitted", "triage", "accepted"),
    "discovery": ("submitted", "triage", "accepted", "discovery"),
    "delivery": ("submitted", "triage", "accepted", "discovery", "delivery"),
    "live": ("submitted", "triage", "accepted", "discovery", "delivery", "live"),
    "declined": ("submitted", "triage", "declined"),
    "withdrawn": ("submitted", "withdrawn"),
}
_REQUESTER_STEPS = frozenset({"submitted", "withdrawn"})
# The event each step writes, as the real actions do.
_EVENT_TYPES: dict[str, EventType] = {
    "submitted": "submitted",
    "withdrawn": "withdrawn",
    "triage": "triaged",
    "needs_info": "info_requested",
    "accepted": "accepted",
    "declined": "declined",
    "discovery": "discovery_started",
    "delivery": "delivery_started",
    "live": "launched",
}
DEMO_TRIAGER = "triager@city.example"

_RECORD_FIELDS = (
    "title",
    "problem_statement",
    "affected_people_per_year",
    "current_process",
    "workarounds",
    "impact_staff_hours_per_year",
    "impact_cost_per_year",
    "impact_risk",
    "impact_resident_burden",
    "urgency_reason",
    "urgency_notes",
    "desired_outcome",
    "success_measures",
    "data_sensitivity",
    "equity_considerations",
    "accessibility_needs",
    "language_access_needs",
    "restricted",
)


async def is_seeded(session: AsyncSession) -> bool:
    return (
        await session.scalar(select(models.Department.id).where(models.Department.code == "DTI"))
        is not None
    )


async def seed_demo_city(session: AsyncSession) -> bool:
    """Add the demo city unless a DTI department exists already; True when it seeded."""
    if await is_seeded(session):
        return False
    departments: dict[str, uuid.UUID] = {}
    for dept in data.DEPARTMENTS:
        row = models.Department(id=uuid.uuid4(), code=dept.code, name=dept.name)
        session.add(row)
        departments[dept.code] = row.id
    people: dict[str, uuid.UUID] = {}
    for person in data.PEOPLE:
        row_person = models.Person(
            id=uuid.uuid4(),
            email=person.email,
            name=person.name,
            department_id=departments[person.department],
            roles=sorted(person.roles),
        )
        session.add(row_person)
        people[person.email] = row_person.id
    await session.flush()
    for team in data.TEAMS:
        row_team = models.Team(
            id=uuid.uuid4(),
            name=team.name,
            disciplines=list(team.disciplines),
            focus_areas=list(team.focus_areas),
            wip_limit=team.wip_limit,
        )
        session.add(row_team)
        await session.flush()
        for email in team.members:
            session.add(models.TeamMember(team_id=row_team.id, person_id=people[email]))
    await session.flush()
    teams = list(await session.scalars(select(models.Team.id).order_by(models.Team.name)))
    for problem in sorted(data.PROBLEMS, key=lambda p: -p.days_ago):
        await _seed_problem(session, problem, departments, people, teams)
    await timeline.rebuild(session)  # the seed writes its backdated history directly
    # It submits without the submit action too: store their similar problems, as submit does.
    for problem_id in await similar.next_unfilled(session, None, len(data.PROBLEMS)):
        await similar.fill(session, problem_id)
    return True


async def _seed_problem(
    session: AsyncSession,
    problem: data.DemoProblem,
    departments: dict[str, uuid.UUID],
    people: dict[str, uuid.UUID],
    teams: list[uuid.UUID],
) -> None:
    now = utcnow()
    created = now - timedelta(days=problem.days_ago, hours=3)
    path = _PATHS[problem.state]
    step = timedelta(days=problem.days_ago) / (len(path) + 1)
    record = {name: getattr(problem, name) for name in _RECORD_FIELDS}
    row = models.Problem(
        id=uuid.uuid4(),
        status="draft",
        version=1,
        department_id=departments[problem.department],
        submitter_id=people[problem.submitter],
        affected_groups=list(problem.affected_groups),
        communities_affected=list(problem.communities_affected),
        systems_involved=[
            {"name": s.name, "legacy": s.legacy, "notes": s.notes} for s in problem.systems_involved
        ],
        urgency_deadline=date.fromisoformat(problem.urgency_deadline)
        if problem.urgency_deadline
        else None,
        created_at=created,
        updated_at=created,
        **record,
    )
    session.add(row)
    await session.flush()
    await problems.follow(session, row.id, row.submitter_id)
    session.add(
        models.ProblemEvent(
            problem_id=row.id,
            actor_id=row.submitter_id,
            type="created",
            occurred_at=created,
            to_status="draft",
            changes={"title": problem.title},
        )
    )
    status = "draft"
    events: list[models.ProblemEvent] = []
    for index, next_status in enumerate(path, start=1):
        at = created + step * index
        changes = {}
        if next_status == "submitted":
            row.reference = await problems.next_reference(session, at.year)
            row.submitted_at = at
            changes = {"reference": {"from": None, "to": row.reference}}
        actor = row.submitter_id if next_status in _REQUESTER_STEPS else people[DEMO_TRIAGER]
        if next_status == "triage":
            row.triager_id = people[DEMO_TRIAGER]
            await problems.follow(session, row.id, row.triager_id)
        if next_status == "accepted":
            row.team_id = teams[len(problem.key) % len(teams)]
            row.team_assigned_at = at
            members = await session.scalars(
                select(models.TeamMember.person_id).where(models.TeamMember.team_id == row.team_id)
            )
            for person_id in members:
                await problems.follow(session, row.id, person_id)
        if next_status == "delivery":
            row.delivery_phase = "beta"
            changes = {"delivery_phase": {"from": None, "to": "beta"}}
        if next_status == "live":
            row.launched_at = at
        await clocks.on_transition(session, row, status, next_status, at)
        events.append(
            models.ProblemEvent(
                problem_id=row.id,
                actor_id=actor,
                type=_EVENT_TYPES[next_status],
                occurred_at=at,
                from_status=status,
                to_status=next_status,
                changes=changes,
            )
        )
        status = next_status
        row.status = status
        row.version += 1
        row.updated_at = at
    await session.flush()
    if problem.key in work.WORK and row.team_id is not None:
        member = await session.scalar(
            select(models.TeamMember.person_id)
            .where(models.TeamMember.team_id == row.team_id)
            .order_by(models.TeamMember.added_at, models.TeamMember.person_id)
            .limit(1)
        )
        work_started = max(e.occurred_at for e in events if e.type == "discovery_started")
        author = member or people[DEMO_TRIAGER]
        demo = work.WORK[problem.key]
        events += await _seed_work(session, row, demo, author, work_started)
    # Oldest first, so the event ids (the history's order) follow the times.
    events.sort(key=_occurred)
    session.add_all(events)
    await session.flush()


def _occurred(event: models.ProblemEvent) -> datetime:
    return event.occurred_at


async def _seed_work(
    session: AsyncSession,
    problem: models.Problem,
    demo: work.DemoWork,
    author: uuid.UUID,
    started: datetime,
) -> list[models.ProblemEvent]:
    """The problem's findings, milestones, updates and metrics; returns their history events
    (none earlier than ``started``, when discovery began)."""
    today = utcnow()
    events: list[models.ProblemEvent] = []
    author_name = await session.scalar(select(models.Person.name).where(models.Person.id == author))

    def day(offset: int) -> date:
        return (today + timedelta(days=offset)).date()

    def event(type: EventType, offset: int, changes: dict[str, object]) -> None:
        at = max(today + timedelta(days=offset), started + timedelta(hours=1))
        events.append(
            models.ProblemEvent(
                problem_id=problem.id,
                actor_id=author,
                type=type,
                occurred_at=at,
                changes=changes,
            )
        )

    position = 0
    for finding in demo.findings:
        evidence = [
            {"source": finding.source, "date": day(finding.days).isoformat(), "who": author_name}
        ]
        row = models.Finding(
            id=uuid.uuid4(),
            problem_id=problem.id,
            kind=finding.kind,
            title=finding.title,
            detail=finding.detail,
            evidence=evidence,
            created_by_id=author,
        )
        if finding.kind == "journey_step":
            position += 1
            row.position = position
        session.add(row)
        event("finding_added", finding.days, {"kind": finding.kind, "title": finding.title})
        for pain in finding.pain_points:
            session.add(
                models.Finding(
                    id=uuid.uuid4(),
                    problem_id=problem.id,
                    kind="pain_point",
                    title=pain,
                    evidence=evidence,
                    journey_step_id=row.id,
                    created_by_id=author,
                )
            )
            event("finding_added", finding.days, {"kind": "pain_point", "title": pain})
        await session.flush()
    for milestone in demo.milestones:
        first = milestone.slipped_from_days
        earlier = []
        if first is not None:
            earlier = [
                {
                    "target_date": day(first).isoformat(),
                    "replaced_at": (today - timedelta(days=4)).isoformat(),
                    "replaced_by_id": str(author),
                    "reason": milestone.slip_reason,
                }
            ]
        session.add(
            models.Milestone(
                id=uuid.uuid4(),
                problem_id=problem.id,
                title=milestone.title,
                target_date=day(milestone.target_days),
                done_on=day(milestone.done_days) if milestone.done_days is not None else None,
                earlier_targets=earlier,
                created_by_id=author,
            )
        )
        event("milestone_added", -365, {"title": milestone.title})
    for update in demo.updates:
        session.add(
            models.StatusUpdate(
                id=uuid.uuid4(),
                problem_id=problem.id,
                status=update.status,
                summary=update.summary,
                author_id=author,
                created_at=today + timedelta(days=update.days),
            )
        )
        event("update_posted", update.days, {"status": update.status, "summary": update.summary})
    for metric in demo.metrics:
        metric_row = models.Metric(
            id=uuid.uuid4(),
            problem_id=problem.id,
            name=metric.name,
            unit=metric.unit,
            direction=metric.direction,
            baseline=metric.baseline,
            target=metric.target,
            target_date=day(metric.target_days),
            review_date=day(metric.review_days),
            owner_id=problem.submitter_id,
            created_by_id=author,
        )
        session.add(metric_row)
        await session.flush()
        event("metric_added", -365, {"name": metric.name})
        for offset, value in metric.measurements:
            session.add(
                models.Measurement(
                    id=uuid.uuid4(),
                    metric_id=metric_row.id,
                    value=value,
                    measured_on=day(offset),
                    recorded_by_id=author,
                )
            )
            event(
                "measurement_recorded",
                offset,
                {"metric": metric.name, "value": value, "measured_on": day(offset).isoformat()},
            )
    await session.flush()
    return events
