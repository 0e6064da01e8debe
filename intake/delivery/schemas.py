"""Delivery schemas: phase action bodies (milestones and status updates live beside them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from intake.lib.schema import LABEL, NO_NUL, Input, Output
from intake.problems.schemas import PersonRef

DeliveryPhase = Literal["alpha", "beta"]
OutcomeResult = Literal["achieved", "partially_achieved", "not_achieved", "not_measurable"]
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=5000), NO_NUL]
LongText = Annotated[str, msgspec.Meta(min_length=1, max_length=20000), NO_NUL]


class PhaseChange(Input):
    """Body of start-discovery and launch: an optional note for the history."""

    examples = ({"reason": "Kick-off with the permit desk on Monday."},)

    reason: Note | None = None


class StartDelivery(Input):
    examples = ({"phase": "alpha", "reason": "Prototype tested."},)

    phase: DeliveryPhase
    reason: Note | None = None


class OutcomeReview(Input):
    """What ``close`` needs: did the work achieve its outcome, and what was learned."""

    examples = (
        {
            "result": "achieved",
            "summary": "Median decision time fell from 31 to 4 days.",
            "lessons": "Involve inspectors in design from week one.",
        },
    )

    result: OutcomeResult
    summary: LongText
    lessons: LongText


# -- milestones -----------------------------------------------------------------------------

MilestoneTitle = Annotated[str, msgspec.Meta(min_length=1, max_length=200), NO_NUL, LABEL]
MilestoneState = Literal["done", "done_late", "overdue", "upcoming"]
UpdateStatus = Literal["on_track", "at_risk", "off_track"]


class MilestoneCreate(Input):
    """A new milestone: what will be true, and by when; ``done_on`` if it already is."""

    examples = (
        {
            "title": "Online permit form in beta in Ward 3",
            "description": "Residents of Ward 3 can apply online; paper stays open.",
            "target_date": "2026-03-31",
        },
    )

    title: MilestoneTitle
    target_date: date
    description: Note | None = None
    done_on: date | None = None


class MilestoneUpdate(Input):
    """A partial edit. A new ``target_date`` keeps the old one in ``earlier_targets``, with
    ``reason`` if given; ``done_on: null`` reopens a milestone."""

    examples = (
        {"target_date": "2026-04-30", "reason": "Translation of the form into Spanish and Somali."},
    )

    title: MilestoneTitle | msgspec.UnsetType = msgspec.UNSET
    description: Note | msgspec.UnsetType | None = msgspec.UNSET
    target_date: date | msgspec.UnsetType = msgspec.UNSET
    reason: Note | msgspec.UnsetType | None = msgspec.UNSET
    done_on: date | msgspec.UnsetType | None = msgspec.UNSET


class EarlierTarget(Output):
    """A target date the milestone had before someone moved it."""

    target_date: date
    replaced_at: datetime
    replaced_by: PersonRef | None
    reason: str | None


class Milestone(Output):
    """A milestone with its slips: every earlier target, oldest first, and the derived state."""

    id: uuid.UUID
    problem_id: uuid.UUID
    title: str
    description: str | None
    target_date: date
    done_on: date | None
    state: MilestoneState
    original_target_date: date
    slip_days: int
    earlier_targets: list[EarlierTarget]
    created_by: PersonRef
    created_at: datetime
    updated_at: datetime
    version: int


# -- status updates -------------------------------------------------------------------------


class StatusUpdateCreate(Input):
    """A status update for leadership: how the work is going, in a few sentences."""

    examples = (
        {"status": "at_risk", "summary": "Beta slipped a month: the form needs translating first."},
    )

    status: UpdateStatus
    summary: Note
