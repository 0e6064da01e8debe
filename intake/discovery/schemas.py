"""Discovery schemas: findings with their evidence, and the journey map they form."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from intake.lib.schema import LABEL, NO_NUL, Input, Output
from intake.problems.schemas import PersonRef

FindingKind = Literal[
    "insight", "pain_point", "journey_step", "constraint", "opportunity", "decision"
]

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200), NO_NUL, LABEL]
Detail = Annotated[str, msgspec.Meta(max_length=20000), NO_NUL]
Source = Annotated[str, msgspec.Meta(min_length=1, max_length=500), NO_NUL]
Who = Annotated[str, msgspec.Meta(min_length=1, max_length=200), NO_NUL]
Position = Annotated[int, msgspec.Meta(ge=1, le=10_000)]


class Evidence(Input):
    """Where a finding comes from: the source, when it was gathered, and who gave it."""

    source: Source
    date: date
    who: Who


EvidenceList = Annotated[list[Evidence], msgspec.Meta(min_length=1, max_length=50)]


class FindingCreate(Input):
    """A new finding. Pain points may sit on a journey step; journey steps take a position."""

    examples = (
        {
            "kind": "journey_step",
            "title": "Resident mails the paper application",
            "detail": "Form TP-4, printed from the website or picked up at the counter.",
            "evidence": [
                {
                    "source": "Interview at the permit counter",
                    "date": "2026-12-02",
                    "who": "Permit clerk",
                }
            ],
            "position": 1,
        },
        {
            "kind": "pain_point",
            "title": "No way to know the application arrived",
            "evidence": [
                {
                    "source": "Interview at the permit counter",
                    "date": "2026-12-02",
                    "who": "Permit clerk",
                }
            ],
            "journey_step_id": "5d0c6a8e-1f0b-4c1e-9f6e-2b7a3c4d5e6f",
        },
    )

    kind: FindingKind
    title: Title
    evidence: EvidenceList
    detail: Detail | None = None
    journey_step_id: uuid.UUID | None = None
    position: Position | None = None


class FindingUpdate(Input):
    """Changes to a finding. Its kind is fixed; steps are reordered with PUT /journey."""

    examples = (
        {"title": "Residents cannot tell whether the form arrived", "journey_step_id": None},
    )

    title: Title | msgspec.UnsetType = msgspec.UNSET
    detail: Detail | msgspec.UnsetType | None = msgspec.UNSET
    evidence: EvidenceList | msgspec.UnsetType = msgspec.UNSET
    journey_step_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET


class Finding(Output):
    id: uuid.UUID
    problem_id: uuid.UUID
    kind: FindingKind
    title: str
    detail: str | None
    evidence: list[Evidence]
    position: int | None
    journey_step_id: uuid.UUID | None
    created_by: PersonRef
    created_at: datetime
    updated_at: datetime
    version: int


class JourneyStep(Finding):
    """A step of the current journey with the pain points people meet there."""

    pain_points: list[Finding]


class Journey(Output):
    """The current journey, step by step, and the pain points not yet placed on a step."""

    steps: list[JourneyStep]
    unplaced_pain_points: list[Finding]


class JourneyOrder(Input):
    """Every journey step of the problem, each once, in the new order."""

    examples = (
        {
            "step_ids": [
                "5d0c6a8e-1f0b-4c1e-9f6e-2b7a3c4d5e6f",
                "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            ]
        },
    )

    step_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=10_000)]
