"""Seed the demo city: departments, people, product teams and problems with history.

Problems in later states get the history they would have had, backdated across their
``days_ago``, with the same event types, SLA clocks, triager and team the real actions set.
Delivery actions come with a later capability; until then the seed writes those state
changes directly, as ``status_changed`` events by the demo triager.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.demo import data
from intake.lib.clock import utcnow
from intake.problems import service as problems
from intake.triage import clocks

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
# The event each step writes, as the real actions do; delivery phases come with issue 4.
_EVENT_TYPES = {
    "submitted": "submitted",
    "withdrawn": "withdrawn",
    "triage": "triaged",
    "needs_info": "info_requested",
    "accepted": "accepted",
    "declined": "declined",
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
        if next_status == "accepted":
            row.team_id = teams[len(problem.key) % len(teams)]
            row.team_assigned_at = at
        await clocks.on_transition(session, row, status, next_status, at)
        session.add(
            models.ProblemEvent(
                problem_id=row.id,
                actor_id=actor,
                type=_EVENT_TYPES.get(next_status, "status_changed"),
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
