"""Delivery schemas: phase action bodies (milestones and status updates live beside them)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from intake.lib.schema import NO_NUL, Input

DeliveryPhase = Literal["alpha", "beta"]
OutcomeResult = Literal["achieved", "partially_achieved", "not_achieved", "not_measurable"]
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=5000), NO_NUL]
LongText = Annotated[str, msgspec.Meta(min_length=1, max_length=20000), NO_NUL]


class PhaseChange(Input):
    """Body of start-discovery and launch: an optional note for the history."""

    reason: Note | None = None


class StartDelivery(Input):
    phase: DeliveryPhase
    reason: Note | None = None


class OutcomeReview(Input):
    """What ``close`` needs: did the work achieve its outcome, and what was learned."""

    result: OutcomeResult
    summary: LongText
    lessons: LongText
