"""Triage schemas: action bodies, the queue, scores, links, team recommendations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from intake.lib.addresses import RegisteredAddress
from intake.lib.schema import NO_NUL, Input, Output
from intake.problems.schemas import PersonRef, Problem
from intake.registry.schemas import DepartmentRef
from intake.triage.scoring.rules import Ratings, Score, Suggestion

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=5000), NO_NUL]
DepartmentCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z][A-Z0-9]{1,9}$")]


class TakeIntoTriage(Input):
    examples = ({"triager_email": "aisha.rahman@city.example"},)

    triager_email: RegisteredAddress | None = None


class Reassign(Input):
    examples = (
        {
            "triager_email": "tomas.novak@city.example",
            "reason": "Priya Two leads the permits work from now on.",
        },
    )

    triager_email: RegisteredAddress
    reason: Reason | None = None


class RequestInfo(Input):
    examples = ({"questions": "How many permits were filed last year?"},)

    questions: Reason


class Respond(Input):
    examples = ({"answer": "About 2,400 permits in 2025."},)

    answer: Reason


class Decision(Input):
    examples = ({"reason": "High reach, legal deadline."},)

    reason: Reason | None = None


class Decline(Input):
    examples = ({"reason": "Covered by the state's new portal."},)

    reason: Reason


class Redirect(Input):
    examples = (
        {
            "reason": "Street lights are maintained by the utility.",
            "department": "WTR",
            "channel": "Utility service desk",
        },
    )

    reason: Reason
    department: DepartmentCode | None = None
    channel: Annotated[str, msgspec.Meta(min_length=1, max_length=200), NO_NUL] | None = None


class MarkDuplicate(Input):
    examples = (
        {
            "primary_problem_id": "6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11",
            "reason": "Same inspection scheduling problem as P-2026-00012.",
        },
    )

    primary_problem_id: uuid.UUID
    reason: Reason


class Hold(Input):
    examples = ({"reason": "Waiting on budget."},)

    reason: Reason


class SlaClockOut(Output):
    target_days: int
    due_at: datetime | None
    stopped_at: datetime | None
    elapsed_business_days: float
    paused: bool
    breached: bool


class QueueItem(Output):
    id: uuid.UUID
    reference: str | None
    title: str
    status: str
    department: DepartmentRef
    triager: PersonRef | None
    score: int | None
    submitted_at: datetime | None
    first_response: SlaClockOut
    decision: SlaClockOut


class ScoreInput(Input):
    examples = (
        {
            "ratings": {
                "reach": 4,
                "severity": 5,
                "urgency": 3,
                "equity": 4,
                "alignment": 3,
                "confidence": 2,
                "effort": "m",
            },
            "notes": "Reach from the 2025 permit count.",
        },
    )

    ratings: Ratings
    notes: Annotated[str, msgspec.Meta(max_length=5000), NO_NUL] | None = None


class ScoreOut(Output):
    problem_id: uuid.UUID
    current: Score | None
    scored_by: PersonRef | None
    scored_at: datetime | None
    notes: str | None
    suggestions: list[Suggestion]
    history: list[ScoreHistoryItem]


class ScoreHistoryItem(Output):
    score: int
    scored_by: PersonRef
    scored_at: datetime


class SimilarProblem(Output):
    id: uuid.UUID
    reference: str | None
    title: str
    status: str
    department: DepartmentRef
    similarity: float
    other_department: bool
    suggestion: str | None


class LinkInput(Input):
    examples = ({"to_problem_id": "6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11", "type": "blocks"},)

    to_problem_id: uuid.UUID
    type: Literal["related", "blocks"]


class LinkOut(Output):
    id: uuid.UUID
    type: str
    direction: Literal["outgoing", "incoming"]
    problem: LinkedProblem
    created_at: datetime


class LinkedProblem(Output):
    id: uuid.UUID
    reference: str | None
    title: str
    status: str


class TeamRecommendation(Output):
    team_id: uuid.UUID
    name: str
    rank: int
    fit: float
    disciplines_needed: list[str]
    disciplines_held: list[str]
    disciplines_missing: list[str]
    active_work: int
    wip_limit: int
    free_capacity: int
    past_work_with_department: int
    reasons: list[str]


class AssignTeam(Input):
    examples = (
        {
            "team_id": "0b6f3c1e-9a1d-4c55-8e0e-6f0d1c2b3a49",
            "override_reason": "Mayor's priority; another item finishes soon.",
        },
    )

    team_id: uuid.UUID
    override_reason: Reason | None = None


class SubmittedProblem(Problem):
    """The submitted problem, with the problems it resembles (to spot duplicates early)."""

    similar_problems: list[SimilarProblem] = msgspec.field(default_factory=list)


class NotMoved(Output):
    """A watcher or collaborator of a duplicate who was not moved to its primary, and why."""

    kind: Literal["watcher", "department", "person"]
    person: PersonRef | None
    department: DepartmentRef | None
    reason: str


class MarkedDuplicate(Problem):
    """The duplicate, and who moved from it to the primary: ``not_moved`` names those who
    stay on the duplicate because they could not see a restricted primary."""

    watchers_moved: int
    collaborators_moved: int
    not_moved: list[NotMoved]
