"""Portfolio view schemas: every view says which moment and filters it describes."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from intake.lib.schema import Output


class Filters(Output):
    department: str | None
    team_id: uuid.UUID | None
    submitted_from: date | None
    submitted_to: date | None


class Count(Output):
    """One bucket of a breakdown: ``key`` is the state, phase, code, id or band."""

    key: str
    label: str
    count: int


class Summary(Output):
    as_of: datetime | None
    generated_at: datetime
    filters: Filters
    total: int
    by_state: list[Count]
    by_phase: list[Count]
    by_department: list[Count]
    by_team: list[Count]
    by_priority: list[Count]


class PortfolioProblem(Output):
    """A problem as a portfolio list shows it, as it stood at the view's moment."""

    id: uuid.UUID
    reference: str
    title: str
    department: str  # the owning department's code
    state: str
    team_id: uuid.UUID | None
    team: str | None  # the team's name


# -- flow -----------------------------------------------------------------------------------


class LeadTime(Output):
    """Calendar days from submit to an event, over the problems that reached it in the window."""

    count: int
    median_days: float | None
    p85_days: float | None


class StateTime(Output):
    """Days problems spent in one state within the window (each problem's stays added up)."""

    state: str
    problems: int
    median_days: float | None
    mean_days: float | None


class MonthThroughput(Output):
    """First decisions, launches and closes in one calendar month (``YYYY-MM``)."""

    month: str
    decisions: int
    launches: int
    closes: int


class AgeingItem(Output):
    problem: PortfolioProblem
    in_state_since: datetime
    days_in_state: float


class AgeingState(Output):
    """The open problems in one state: how many, and the oldest by time in that state."""

    state: str
    count: int
    oldest: list[AgeingItem]


class Flow(Output):
    as_of: datetime | None
    generated_at: datetime
    filters: Filters
    window_start: datetime  # lead times, throughput and time in state cover [this, the moment]
    lead_time_to_decision: LeadTime
    lead_time_to_launch: LeadTime
    time_in_state: list[StateTime]
    throughput: list[MonthThroughput]
    ageing: list[AgeingState]


# -- SLA compliance -------------------------------------------------------------------------


class ClockCompliance(Output):
    """One SLA clock over many problems. ``met_pct`` is met / (met + breached), in percent."""

    met: int
    breached: int
    running: int
    running_breached: int
    met_pct: float | None


class SlaGroup(Output):
    key: str
    label: str
    first_response: ClockCompliance
    decision: ClockCompliance


class Sla(Output):
    as_of: datetime | None
    generated_at: datetime
    filters: Filters
    first_response: ClockCompliance
    decision: ClockCompliance
    by_department: list[SlaGroup]
    by_triager: list[SlaGroup]


# -- teams ----------------------------------------------------------------------------------


class TeamWork(Output):
    """A team's active work against its WIP limit.

    ``load`` counts all the team's active work city-wide (what the WIP limit is about),
    except, for a requester, other departments' restricted work;
    ``active`` and ``problems`` are the part of it within the view's scope and filters.
    """

    id: uuid.UUID
    name: str
    wip_limit: int
    load: int
    free_capacity: int
    over_limit: bool
    active: int
    problems: list[PortfolioProblem]


class Teams(Output):
    as_of: datetime | None
    generated_at: datetime
    filters: Filters
    teams: list[TeamWork]
    unassigned: int  # accepted work in scope still waiting for a team


# -- outcomes -------------------------------------------------------------------------------


class MetricStanding(Output):
    problem: PortfolioProblem
    metric_id: uuid.UUID
    name: str
    unit: str
    direction: str
    state: str
    latest_value: float | None
    latest_measured_on: date | None
    baseline: float
    target: float
    target_date: date


class Outcomes(Output):
    as_of: datetime | None
    generated_at: datetime
    filters: Filters
    metrics_total: int
    metrics_by_state: list[Count]
    closed_total: int
    closed_by_result: list[Count]
    metrics: list[MetricStanding]


# -- at risk --------------------------------------------------------------------------------


class UpdateRisk(Output):
    problem: PortfolioProblem
    status: str
    summary: str
    posted_at: datetime


class SlaBreach(Output):
    problem: PortfolioProblem
    breached: list[str]  # first_response, decision
    first_response_due_at: datetime | None
    decision_due_at: datetime | None
    days_overdue: float  # since the earliest breached due time


class MilestoneRisk(Output):
    problem: PortfolioProblem
    milestone_id: uuid.UUID
    title: str
    target_date: date  # the target in force at the moment
    original_target_date: date
    slip_days: int
    slipped: bool
    overdue: bool


class UpdateRisks(Output):
    total: int
    items: list[UpdateRisk]


class SlaBreaches(Output):
    total: int
    items: list[SlaBreach]


class MilestoneRisks(Output):
    total: int
    items: list[MilestoneRisk]


class AtRisk(Output):
    as_of: datetime | None
    generated_at: datetime
    filters: Filters
    updates: UpdateRisks
    sla_breaches: SlaBreaches
    milestones: MilestoneRisks


# -- distribution ---------------------------------------------------------------------------


class DepartmentShare(Output):
    key: str  # the department's code
    label: str
    submitted: int
    decided: int
    accepted: int
    submitted_pct: float  # of all submitted problems in the view
    accepted_pct: float | None  # of all accepted work in the view
    acceptance_pct: float | None  # accepted / decided


class CommunityShare(Output):
    key: str  # the community as named, lower-cased
    label: str
    submitted: int
    decided: int
    accepted: int
    submitted_pct: float  # of all submitted problems in the view (problems name several)
    acceptance_pct: float | None  # accepted / decided


class Distribution(Output):
    as_of: datetime | None
    generated_at: datetime
    filters: Filters
    submitted: int
    accepted: int
    no_community: int  # problems that name no community
    departments: list[DepartmentShare]
    communities_total: int
    communities: list[CommunityShare]
