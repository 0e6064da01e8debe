"""Seed the demo city: departments, people, product teams and problems with their history.

The registry is written as rows: it keeps no history of its own. Every problem's life is
replayed through the service functions the API calls, each action by the person who would
take it and at the moment it happened (``intake.lib.clock.travel``), oldest first across the
whole city: drafts created and submitted, taken into triage, questions asked, accepted and
paired with a product team or declined, withdrawn, discovery, delivery and launch, and for the
work past acceptance (``intake.demo.work``) its findings, milestones, status updates and
outcome metrics. So the history events, SLA clocks, portfolio timeline, similar problems and
inbox are those real actions write, and every view of the city tells one story.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import msgspec
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.delivery import milestones, updates
from intake.delivery import schemas as delivery_schemas
from intake.delivery import service as delivery
from intake.demo import data, work
from intake.discovery import schemas as discovery_schemas
from intake.discovery import service as discovery
from intake.lib import clock
from intake.outcomes import schemas as outcome_schemas
from intake.outcomes import service as outcomes
from intake.problems import service as problems
from intake.problems.schemas import ProblemCreate
from intake.triage import pairing
from intake.triage import schemas as triage_schemas
from intake.triage import service as triage
from intake.web.auth import Caller

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
DEMO_TRIAGER = "triager@city.example"
# The seed acts on what it just wrote: any version will do (a person sends the ETag they read).
ANY_VERSION = "*"
# An accepted problem is paired with its team this far into its next step.
PAIRING_DELAY = 0.25
# Milestones and metrics are set up an hour after discovery starts.
SET_UP = timedelta(hours=1)

_Input = TypeVar("_Input")

_RECORD_FIELDS = (
    "title",
    "problem_statement",
    "affected_groups",
    "affected_people_per_year",
    "current_process",
    "workarounds",
    "impact_staff_hours_per_year",
    "impact_cost_per_year",
    "impact_risk",
    "impact_resident_burden",
    "urgency_deadline",
    "urgency_reason",
    "urgency_notes",
    "desired_outcome",
    "success_measures",
    "data_sensitivity",
    "equity_considerations",
    "communities_affected",
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
    now = clock.utcnow()
    since = now - timedelta(days=max(p.days_ago for p in data.PROBLEMS) + 30)
    callers, teams = await _registry(session, since)
    moves: list[_Move] = []
    for problem in data.PROBLEMS:
        moves += _Story(session, problem, callers, teams, now).moves()
    # In time order across the city, as it happened: event ids follow time. The sort is
    # stable, so a problem's moves at one moment keep their order.
    moves.sort(key=_when)
    for move in moves:
        with clock.travel(move.at):
            await move.act()
    # The inbox rows the database stamped with today: each is as old as its event.
    await session.execute(
        text(
            "UPDATE notifications AS n SET created_at = e.occurred_at "
            "FROM problem_events AS e WHERE e.id = n.event_id"
        )
    )
    return True


async def _registry(
    session: AsyncSession, since: datetime
) -> tuple[dict[str, Caller], dict[str, uuid.UUID]]:
    """Departments, people and teams, in place since ``since``; (callers by e-mail, team ids
    by name)."""
    stamps = {"created_at": since, "updated_at": since}
    departments: dict[str, uuid.UUID] = {}
    for dept in data.DEPARTMENTS:
        row = models.Department(id=uuid.uuid4(), code=dept.code, name=dept.name, **stamps)
        session.add(row)
        departments[dept.code] = row.id
    callers: dict[str, Caller] = {}
    for person in data.PEOPLE:
        row_person = models.Person(
            id=uuid.uuid4(),
            email=person.email,
            name=person.name,
            department_id=departments[person.department],
            roles=sorted(person.roles),
            **stamps,
        )
        session.add(row_person)
        callers[person.email] = Caller(
            id=row_person.id,
            email=person.email,
            name=person.name,
            department_id=departments[person.department],
            department_code=person.department,
            roles=frozenset(person.roles),
        )
    await session.flush()
    teams: dict[str, uuid.UUID] = {}
    for team in data.TEAMS:
        row_team = models.Team(
            id=uuid.uuid4(),
            name=team.name,
            disciplines=list(team.disciplines),
            focus_areas=list(team.focus_areas),
            wip_limit=team.wip_limit,
            **stamps,
        )
        session.add(row_team)
        teams[team.name] = row_team.id
        await session.flush()
        for email in team.members:
            session.add(
                models.TeamMember(team_id=row_team.id, person_id=callers[email].id, added_at=since)
            )
    await session.flush()
    return callers, teams


@dataclass(frozen=True, slots=True)
class _Move:
    """One action of the city's history, and when it happened."""

    at: datetime
    act: Callable[[], Awaitable[object]]


def _when(move: _Move) -> datetime:
    return move.at


class _Story:
    """One demo problem's life as the actions that make it, each with its moment."""

    def __init__(
        self,
        session: AsyncSession,
        demo: data.DemoProblem,
        callers: dict[str, Caller],
        teams: dict[str, uuid.UUID],
        now: datetime,
    ) -> None:
        self.session, self.demo, self.now = session, demo, now
        self.requester = callers[demo.submitter]
        self.triager = callers[DEMO_TRIAGER]
        self.team_id = teams[demo.team] if demo.team else None
        lead = next((t.members[0] for t in data.TEAMS if t.name == demo.team), None)
        # The team's work is recorded by its first member (the triager without a team).
        self.member = callers[lead] if lead else self.triager
        self.problem_id = uuid.UUID(int=0)  # set by create, the first move
        self.milestones: dict[str, uuid.UUID] = {}  # by title
        self.metrics: dict[str, uuid.UUID] = {}  # by name

    def moves(self) -> list[_Move]:
        demo = self.demo
        created = self.now - timedelta(days=demo.days_ago, hours=3)
        path = _PATHS[demo.state]
        step = timedelta(days=demo.days_ago) / (len(path) + 1)
        moves = [_Move(created, self.create)]
        for index, status in enumerate(path, start=1):
            at = created + step * index
            moves.append(_Move(at, partial(self.enter, status)))
            if status == "accepted" and self.team_id is not None:
                moves.append(_Move(at + step * PAIRING_DELAY, self.pair))
        if demo.key in work.WORK:
            assert "discovery" in path, f"{demo.key} has work records but no discovery"
            started = created + step * (path.index("discovery") + 1)
            moves += self.records(work.WORK[demo.key], started)
        return moves

    # the lifecycle ----------------------------------------------------------------------

    async def create(self) -> None:
        demo = self.demo
        record = {name: getattr(demo, name) for name in _RECORD_FIELDS}
        record["systems_involved"] = [
            {"name": s.name, "legacy": s.legacy, "notes": s.notes} for s in demo.systems_involved
        ]
        draft = _parsed(ProblemCreate, **record)
        problem = await problems.create_problem(self.session, self.requester, draft)
        self.problem_id = problem.id

    async def enter(self, status: str) -> None:
        """The action that takes the problem into ``status``, by whoever owns it."""
        session, problem_id, reason = self.session, self.problem_id, self.demo.reason
        match status:
            case "submitted":
                await problems.submit(session, self.requester, problem_id, ANY_VERSION)
            case "withdrawn":
                await problems.apply_action(
                    session, self.requester, problem_id, "withdraw", ANY_VERSION, reason=reason
                )
            case "triage":
                await triage.take_into_triage(session, self.triager, problem_id, ANY_VERSION, None)
            case "needs_info":
                assert reason, f"{self.demo.key}: say what the triager asks"
                await problems.apply_action(
                    session, self.triager, problem_id, "request-info", ANY_VERSION, reason=reason
                )
            case "accepted" | "declined":
                action = "accept" if status == "accepted" else "decline"
                await problems.apply_action(
                    session, self.triager, problem_id, action, ANY_VERSION, reason=reason
                )
            case "discovery":
                await delivery.start_discovery(session, self.member, problem_id, ANY_VERSION, None)
            case "delivery":
                phase = _parsed(delivery_schemas.StartDelivery, phase="beta")
                await delivery.start_delivery(session, self.member, problem_id, ANY_VERSION, phase)
            case "live":
                await delivery.launch(session, self.member, problem_id, ANY_VERSION, None)
            case _:
                raise ValueError(f"no demo action leads to {status}")

    async def pair(self) -> None:
        team = _parsed(triage_schemas.AssignTeam, team_id=self.team_id)
        await pairing.assign_team(self.session, self.triager, self.problem_id, ANY_VERSION, team)

    # the work past acceptance -----------------------------------------------------------

    def records(self, demo: work.DemoWork, started: datetime) -> list[_Move]:
        """Findings, milestones, updates and metrics, each at its day relative to today (never
        before discovery ``started``)."""
        moves: list[_Move] = []

        def at(days: int) -> datetime:
            return max(self.now + timedelta(days=days), started + SET_UP)

        for finding in demo.findings:
            moves.append(_Move(at(finding.days), partial(self.find, finding)))
        for milestone in demo.milestones:
            first = milestone.slipped_from_days
            created = partial(self.plan, milestone.title, first or milestone.target_days)
            moves.append(_Move(started + SET_UP, created))
            if first is not None:  # moved to its target four days ago
                slip = _parsed(
                    delivery_schemas.MilestoneUpdate,
                    target_date=self.day(milestone.target_days),
                    reason=milestone.slip_reason,
                )
                moves.append(_Move(at(-4), partial(self.change, milestone.title, slip)))
            if milestone.done_days is not None:
                done_on = self.day(milestone.done_days)
                done = _parsed(delivery_schemas.MilestoneUpdate, done_on=done_on)
                moves.append(
                    _Move(at(milestone.done_days), partial(self.change, milestone.title, done))
                )
        for update in demo.updates:
            posted = _parsed(
                delivery_schemas.StatusUpdateCreate, status=update.status, summary=update.summary
            )
            moves.append(_Move(at(update.days), partial(self.post, posted)))
        for metric in demo.metrics:
            moves.append(_Move(started + SET_UP, partial(self.define, metric)))
            for days, value in metric.measurements:
                measured = _parsed(
                    outcome_schemas.MeasurementCreate, value=value, measured_on=self.day(days)
                )
                moves.append(_Move(at(days), partial(self.measure, metric.name, measured)))
        return moves

    def day(self, days: int) -> date:
        return (self.now + timedelta(days=days)).date()

    async def find(self, finding: work.DemoFinding) -> None:
        """A finding, and on a journey step the pain points found there."""
        evidence = [
            {"source": finding.source, "date": self.day(finding.days), "who": self.member.name}
        ]
        found = await discovery.add_finding(
            self.session,
            self.member,
            self.problem_id,
            _parsed(
                discovery_schemas.FindingCreate,
                kind=finding.kind,
                title=finding.title,
                detail=finding.detail,
                evidence=evidence,
            ),
        )
        for pain in finding.pain_points:
            on_step = _parsed(
                discovery_schemas.FindingCreate,
                kind="pain_point",
                title=pain,
                evidence=evidence,
                journey_step_id=found.id,
            )
            await discovery.add_finding(self.session, self.member, self.problem_id, on_step)

    async def plan(self, title: str, target_days: int) -> None:
        planned = _parsed(
            delivery_schemas.MilestoneCreate, title=title, target_date=self.day(target_days)
        )
        made = await milestones.create_milestone(
            self.session, self.member, self.problem_id, planned
        )
        self.milestones[title] = made.id

    async def change(self, title: str, change: delivery_schemas.MilestoneUpdate) -> None:
        await milestones.update_milestone(
            self.session,
            self.member,
            self.problem_id,
            self.milestones[title],
            change,
            ANY_VERSION,
        )

    async def post(self, update: delivery_schemas.StatusUpdateCreate) -> None:
        await updates.post_update(self.session, self.member, self.problem_id, update)

    async def define(self, metric: work.DemoMetric) -> None:
        definition = _parsed(
            outcome_schemas.MetricCreate,
            name=metric.name,
            unit=metric.unit,
            direction=metric.direction,
            baseline=metric.baseline,
            target=metric.target,
            target_date=self.day(metric.target_days),
            owner_email=self.requester.email,
            review_date=self.day(metric.review_days),
        )
        made = await outcomes.create_metric(self.session, self.member, self.problem_id, definition)
        self.metrics[metric.name] = made.id

    async def measure(self, name: str, measured: outcome_schemas.MeasurementCreate) -> None:
        await outcomes.record_measurement(
            self.session, self.member, self.problem_id, self.metrics[name], measured
        )


def _parsed(schema: type[_Input], **fields: Any) -> _Input:
    """A request body built from ``fields`` and checked as the API checks the JSON it gets."""
    return msgspec.convert(fields, schema)
