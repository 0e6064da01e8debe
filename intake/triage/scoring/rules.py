"""The triage score: absolute, explainable, 0-100, and the ratings suggested from the record.

Pure functions and Structs, no I/O. A score depends only on one problem's ratings and the
admin's weights, never on other problems, so it means the same thing on every day:

    value = sum(weight x (rating - 1) / 4) / sum(weights) x 100     (0..100)
    score = round-half-up(value x effort factor)

Arithmetic is exact (``Fraction``), so 47.5 rounds to 48 and never to a float's 47.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import floor
from typing import Annotated, Any, ClassVar, Literal, get_args

import msgspec

Criterion = Literal["reach", "severity", "urgency", "equity", "alignment", "confidence"]
CRITERIA: tuple[Criterion, ...] = get_args(Criterion)
Effort = Literal["xs", "s", "m", "l", "xl"]
EFFORTS: tuple[Effort, ...] = get_args(Effort)

Rating = Annotated[int, msgspec.Meta(ge=1, le=5)]
MIN_RATING, MAX_RATING = 1, 5
MAX_WEIGHT = 100
# The range for the OpenAPI schema only: ``Weights.validate`` checks it, with every other
# problem of the weights, so one 422 lists them all.
Weight = Annotated[int, msgspec.Meta(extra_json_schema={"minimum": 0, "maximum": MAX_WEIGHT})]

FORMULA = (
    "score = round(value x effort factor), halves rounded up; "
    "value = sum(weight x (rating-1)/4) / sum(weights) x 100"
)


def _default_effort_factors() -> dict[str, float]:
    return {"xs": 1.0, "s": 0.95, "m": 0.9, "l": 0.8, "xl": 0.7}


class Weights(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Admin setting: relative weight of each criterion (0..100 ints, at least one > 0) and the
    multiplier each effort size applies (0 < factor <= 1)."""

    examples: ClassVar[tuple[Any, ...]] = (
        {
            "reach": 20,
            "severity": 25,
            "urgency": 15,
            "equity": 20,
            "alignment": 10,
            "confidence": 10,
        },
    )

    reach: Weight = 20
    severity: Weight = 25
    urgency: Weight = 15
    equity: Weight = 15
    alignment: Weight = 15
    confidence: Weight = 10
    effort_factors: dict[str, float] = msgspec.field(default_factory=_default_effort_factors)

    def weight(self, criterion: Criterion) -> int:
        weight: int = getattr(self, criterion)
        return weight

    def validate(self) -> list[tuple[str, str]]:
        """Every problem with these weights as (field, message); empty when they are usable."""
        problems: list[tuple[str, str]] = []
        for criterion in CRITERIA:
            weight = self.weight(criterion)
            if not 0 <= weight <= MAX_WEIGHT:
                problems.append((criterion, f"must be between 0 and {MAX_WEIGHT}, got {weight}"))
        if all(self.weight(criterion) <= 0 for criterion in CRITERIA):
            problems.append(("weights", "at least one criterion must have a weight above 0"))
        for effort in EFFORTS:
            if effort not in self.effort_factors:
                problems.append((f"effort_factors.{effort}", f"no factor for effort size {effort}"))
        for size, factor in self.effort_factors.items():
            if size not in EFFORTS:
                problems.append(
                    (
                        f"effort_factors.{size}",
                        f"unknown effort size {size!r}; expected one of {', '.join(EFFORTS)}",
                    )
                )
            elif not 0 < factor <= 1:  # also false for NaN
                problems.append(
                    (f"effort_factors.{size}", f"must be above 0 and at most 1, got {factor}")
                )
        return problems


class Ratings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The triager's ratings, each 1 (lowest) to 5 (highest), and the effort size."""

    reach: Rating
    severity: Rating
    urgency: Rating
    equity: Rating
    alignment: Rating
    confidence: Rating
    effort: Effort

    def rating(self, criterion: Criterion) -> int:
        rating: int = getattr(self, criterion)
        return rating


class CriterionScore(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the breakdown: what the triager rated and what it contributed."""

    criterion: str
    rating: int
    weight: int
    points: float  # contribution to the 0-100 value before effort, 2 decimals
    suggested: int | None
    explanation: str  # e.g. "rated 4 of 5 x weight 20/100 = 15.0 points"


class Score(msgspec.Struct, frozen=True, kw_only=True):
    """An absolute 0-100 score with everything needed to recompute it by hand."""

    score: int  # 0..100
    value: float  # 0..100 before effort, 2 decimals
    effort: str
    effort_factor: float
    breakdown: list[CriterionScore]
    formula: str


class Suggestion(msgspec.Struct, frozen=True, kw_only=True):
    """A rating suggested from the problem's record, with the reason in plain English."""

    criterion: str
    rating: int
    reason: str


def _two_decimals(number: Fraction) -> float:
    exact = Decimal(number.numerator) / Decimal(number.denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _round_half_up(number: Fraction) -> int:
    return floor(number + Fraction(1, 2))


def compute_score(
    ratings: Ratings, weights: Weights, suggestions: Mapping[str, int] | None = None
) -> Score:
    """Score one problem from its ratings; ``suggestions`` (criterion -> rating) are shown
    alongside the triager's ratings but never change the score."""
    if problems := weights.validate():
        listed = "; ".join(f"{field}: {message}" for field, message in problems)
        raise ValueError(f"invalid scoring weights: {listed}")
    suggestions = suggestions or {}
    total_weight = sum(weights.weight(criterion) for criterion in CRITERIA)

    breakdown: list[CriterionScore] = []
    value = Fraction(0)
    for criterion in CRITERIA:
        rating, weight = ratings.rating(criterion), weights.weight(criterion)
        points = Fraction(weight * (rating - MIN_RATING), (MAX_RATING - MIN_RATING)) * 100
        points /= total_weight
        value += points
        suggested = suggestions.get(criterion)
        explanation = (
            f"rated {rating} of {MAX_RATING} x weight {weight}/{total_weight}"
            f" = {_two_decimals(points)} points"
        )
        if suggested is not None and suggested != rating:
            explanation += f" (suggested {suggested} from the record)"
        breakdown.append(
            CriterionScore(
                criterion=criterion,
                rating=rating,
                weight=weight,
                points=_two_decimals(points),
                suggested=suggested,
                explanation=explanation,
            )
        )

    factor = weights.effort_factors[ratings.effort]
    # Decimal(str(...)) reads 0.9 as 9/10, not as the binary float just above it.
    score = _round_half_up(value * Fraction(Decimal(str(factor))))
    shown = _two_decimals(value)
    return Score(
        score=score,
        value=shown,
        effort=ratings.effort,
        effort_factor=factor,
        breakdown=breakdown,
        formula=f"{FORMULA}; here score = round({shown} x {factor}) = {score}",
    )


# (upper bound exclusive, rating, band) for people affected per year; 100,000 or more -> 5.
_REACH_BANDS = (
    (100, 1, "fewer than 100"),
    (1_000, 2, "100 to 999"),
    (10_000, 3, "1,000 to 9,999"),
    (100_000, 4, "10,000 to 99,999"),
)
# (most days until the deadline, rating, band); more than 365 days -> 1.
_DEADLINE_BANDS = (
    (30, 5, "past or within 30 days"),
    (90, 4, "31 to 90 days"),
    (180, 3, "91 to 180 days"),
    (365, 2, "181 to 365 days"),
)
_PRESSING_REASONS = {"legal_mandate": "a legal mandate", "public_safety": "public safety"}


def _suggest_reach(people: int) -> Suggestion:
    rating, band = 5, "100,000 or more"
    for upper, band_rating, band_label in _REACH_BANDS:
        if people < upper:
            rating, band = band_rating, band_label
            break
    affected = "person a year is" if people == 1 else "people a year are"
    return Suggestion(
        criterion="reach",
        rating=rating,
        reason=f"About {people:,} {affected} affected ({band} -> {rating})",
    )


def _suggest_urgency(deadline: date, reason: str | None, today: date) -> Suggestion:
    days = (deadline - today).days
    rating, band = 1, "more than 365 days"
    for most, band_rating, band_label in _DEADLINE_BANDS:
        if days <= most:
            rating, band = band_rating, band_label
            break
    if days < 0:
        when = f"passed {-days:,} day{'s' if days != -1 else ''} ago"
    elif days == 0:
        when = "is today"
    else:
        when = f"is {days:,} day{'s' if days != 1 else ''} away"
    text = f"The deadline {deadline.isoformat()} {when} ({band} -> {rating})"
    if reason in _PRESSING_REASONS:
        raised = min(rating + 1, MAX_RATING)
        if raised == rating:
            text += f"; it is {_PRESSING_REASONS[reason]}, already at the maximum {MAX_RATING}"
        else:
            text += f"; raised by 1 to {raised} because it is {_PRESSING_REASONS[reason]}"
        rating = raised
    return Suggestion(criterion="urgency", rating=rating, reason=text)


def suggest_ratings(
    *,
    affected_people_per_year: int | None,
    urgency_deadline: date | None,
    urgency_reason: str | None,
    today: date,
) -> list[Suggestion]:
    """Ratings the record supports on its own: reach from the people affected per year,
    urgency from the deadline (and a legal or safety reason). Nothing is guessed from gaps."""
    suggestions: list[Suggestion] = []
    if affected_people_per_year is not None:
        suggestions.append(_suggest_reach(affected_people_per_year))
    if urgency_deadline is not None:
        suggestions.append(_suggest_urgency(urgency_deadline, urgency_reason, today))
    elif urgency_reason == "public_safety":
        suggestions.append(
            Suggestion(
                criterion="urgency",
                rating=4,
                reason="There is no deadline, but the reason is public safety -> 4",
            )
        )
    return suggestions
