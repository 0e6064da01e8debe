"""Problem schemas: the record in the requester's words, as the API takes and shows it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from intake.lib.schema import LABEL, NO_NUL, Input, Output
from intake.problems.framing import FramingHint
from intake.registry.schemas import DepartmentRef
from intake.vocabulary.states import Status

AffectedGroup = Literal["residents", "businesses", "staff", "nonprofits", "visitors"]
UrgencyReason = Literal[
    "legal_mandate", "funding_expiry", "contract_end", "public_safety", "policy_commitment", "other"
]
DataSensitivity = Literal["public", "internal", "confidential", "restricted"]

Title = Annotated[str, msgspec.Meta(min_length=5, max_length=200), NO_NUL, LABEL]
LongText = Annotated[str, msgspec.Meta(max_length=5000), NO_NUL]
ShortText = Annotated[str, msgspec.Meta(max_length=1000), NO_NUL]
Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
Hours = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
Dollars = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000_000)]
Community = Annotated[str, msgspec.Meta(min_length=1, max_length=100), NO_NUL]


class SystemInvolved(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A system the problem touches; ``legacy`` marks the ones due for modernisation."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120), NO_NUL, LABEL]
    legacy: bool = False
    notes: Annotated[str, msgspec.Meta(max_length=1000), NO_NUL] = ""


class ProblemCreate(Input):
    """A new draft. Only ``title`` is needed now; the rest is checked at submit."""

    examples = (
        {
            "title": "Residents wait weeks for a street tree permit",
            "problem_statement": "Residents who want to plant a street tree fill in a paper "
            "form, mail it, and wait four to six weeks for an inspector to "
            "visit. Many give up.",
            "affected_groups": ["residents"],
            "affected_people_per_year": 2400,
            "current_process": "Paper form by mail, keyed in by a clerk, inspection booked by "
            "phone.",
            "workarounds": "Clerks keep a shared spreadsheet of pending visits.",
            "impact_staff_hours_per_year": 1800,
            "impact_resident_burden": "Two trips or calls per permit; 40% of applicants abandon.",
            "desired_outcome": "Residents know within a week whether they can plant, without a "
            "visit.",
            "success_measures": "Median days from request to decision; abandonment rate.",
            "data_sensitivity": "internal",
            "communities_affected": ["Ward 3", "Ward 7"],
        },
    )

    title: Title
    problem_statement: LongText | None = None
    affected_groups: Annotated[list[AffectedGroup], msgspec.Meta(max_length=5)] = msgspec.field(
        default_factory=list
    )
    affected_people_per_year: Count | None = None
    current_process: LongText | None = None
    workarounds: LongText | None = None
    impact_staff_hours_per_year: Hours | None = None
    impact_cost_per_year: Dollars | None = None
    impact_risk: LongText | None = None
    impact_resident_burden: LongText | None = None
    urgency_deadline: date | None = None
    urgency_reason: UrgencyReason | None = None
    urgency_notes: ShortText | None = None
    desired_outcome: LongText | None = None
    success_measures: LongText | None = None
    systems_involved: Annotated[list[SystemInvolved], msgspec.Meta(max_length=30)] = msgspec.field(
        default_factory=list
    )
    data_sensitivity: DataSensitivity | None = None
    equity_considerations: LongText | None = None
    communities_affected: Annotated[list[Community], msgspec.Meta(max_length=30)] = msgspec.field(
        default_factory=list
    )
    accessibility_needs: LongText | None = None
    language_access_needs: LongText | None = None
    restricted: bool = False


class ProblemUpdate(Input):
    """A partial edit: fields left out stay as they are; ``null`` clears a field."""

    examples = ({"affected_people_per_year": 3100, "workarounds": None},)

    title: Title | msgspec.UnsetType = msgspec.UNSET
    problem_statement: LongText | msgspec.UnsetType | None = msgspec.UNSET
    affected_groups: (
        Annotated[list[AffectedGroup], msgspec.Meta(max_length=5)] | msgspec.UnsetType
    ) = msgspec.UNSET
    affected_people_per_year: Count | msgspec.UnsetType | None = msgspec.UNSET
    current_process: LongText | msgspec.UnsetType | None = msgspec.UNSET
    workarounds: LongText | msgspec.UnsetType | None = msgspec.UNSET
    impact_staff_hours_per_year: Hours | msgspec.UnsetType | None = msgspec.UNSET
    impact_cost_per_year: Dollars | msgspec.UnsetType | None = msgspec.UNSET
    impact_risk: LongText | msgspec.UnsetType | None = msgspec.UNSET
    impact_resident_burden: LongText | msgspec.UnsetType | None = msgspec.UNSET
    urgency_deadline: date | msgspec.UnsetType | None = msgspec.UNSET
    urgency_reason: UrgencyReason | msgspec.UnsetType | None = msgspec.UNSET
    urgency_notes: ShortText | msgspec.UnsetType | None = msgspec.UNSET
    desired_outcome: LongText | msgspec.UnsetType | None = msgspec.UNSET
    success_measures: LongText | msgspec.UnsetType | None = msgspec.UNSET
    systems_involved: (
        Annotated[list[SystemInvolved], msgspec.Meta(max_length=30)] | msgspec.UnsetType
    ) = msgspec.UNSET
    data_sensitivity: DataSensitivity | msgspec.UnsetType | None = msgspec.UNSET
    equity_considerations: LongText | msgspec.UnsetType | None = msgspec.UNSET
    communities_affected: (
        Annotated[list[Community], msgspec.Meta(max_length=30)] | msgspec.UnsetType
    ) = msgspec.UNSET
    accessibility_needs: LongText | msgspec.UnsetType | None = msgspec.UNSET
    language_access_needs: LongText | msgspec.UnsetType | None = msgspec.UNSET
    restricted: bool | msgspec.UnsetType = msgspec.UNSET


class Withdrawal(Input):
    examples = ({"reason": "Solved by the new state portal."},)

    reason: Annotated[str, msgspec.Meta(max_length=2000), NO_NUL] | None = None


class PersonRef(Output):
    id: uuid.UUID
    name: str


class TeamRef(Output):
    id: uuid.UUID
    name: str


class OutcomeReviewOut(Output):
    result: str
    summary: str
    lessons: str


class StatusUpdateOut(Output):
    """A status update on delivery: on_track, at_risk or off_track, with a summary."""

    id: uuid.UUID
    status: str
    summary: str
    author: PersonRef
    created_at: datetime


class Problem(Output):
    """A problem as its readers see it, with the hints that help frame it as a problem."""

    id: uuid.UUID
    reference: str | None
    status: Status
    version: int
    title: str
    problem_statement: str | None
    affected_groups: list[str]
    affected_people_per_year: int | None
    current_process: str | None
    workarounds: str | None
    impact_staff_hours_per_year: int | None
    impact_cost_per_year: int | None
    impact_risk: str | None
    impact_resident_burden: str | None
    urgency_deadline: date | None
    urgency_reason: str | None
    urgency_notes: str | None
    desired_outcome: str | None
    success_measures: str | None
    systems_involved: list[SystemInvolved]
    data_sensitivity: str | None
    equity_considerations: str | None
    communities_affected: list[str]
    accessibility_needs: str | None
    language_access_needs: str | None
    restricted: bool
    department: DepartmentRef
    submitter: PersonRef
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    triager: PersonRef | None
    team: TeamRef | None
    score: int | None
    primary_problem_id: uuid.UUID | None
    redirected_to: DepartmentRef | None
    redirect_channel: str | None
    held_from_status: str | None
    delivery_phase: str | None
    launched_at: datetime | None
    closed_at: datetime | None
    outcome_review: OutcomeReviewOut | None
    latest_update: StatusUpdateOut | None
    framing_hints: list[FramingHint]


class ProblemSummary(Output):
    """One row of a problem list."""

    id: uuid.UUID
    reference: str | None
    status: Status
    title: str
    department: DepartmentRef
    submitter: PersonRef
    restricted: bool
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    rank: float | None = None


class EventHeading(Output):
    """A history event without what it changed: who, when, what kind (the inbox's event)."""

    id: int
    type: str
    occurred_at: datetime
    actor: PersonRef | None
    from_status: str | None
    to_status: str | None
    reason: str | None


class HistoryEvent(EventHeading):
    """One change to a problem: who, when, what kind, and what changed."""

    changes: dict[str, Any]
