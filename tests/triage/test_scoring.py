"""The triage score and the ratings suggested from the record: numbers worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import msgspec
import pytest

from intake.triage.scoring.rules import (
    CRITERIA,
    Ratings,
    Score,
    Suggestion,
    Weights,
    compute_score,
    suggest_ratings,
)

TODAY = date(2026, 11, 21)


def rate(effort: str = "m", **ratings: int) -> Ratings:
    """Ratings of 1 unless given, so each test names only what matters to it."""
    document: dict[str, Any] = {**dict.fromkeys(CRITERIA, 1), **ratings, "effort": effort}
    return msgspec.convert(document, Ratings)


def only(**weights: Any) -> Weights:
    """Weights of 0 for every criterion not named (``effort_factors`` may be given too)."""
    document: dict[str, Any] = {**dict.fromkeys(CRITERIA, 0), **weights}
    return msgspec.convert(document, Weights)


def points(score: Score) -> dict[str, float]:
    return {line.criterion: line.points for line in score.breakdown}


# --- compute_score -------------------------------------------------------------------------


def test_worked_example_with_default_weights() -> None:
    # Default weights sum to 100, so each criterion's points are weight x (rating-1)/4:
    #   reach 20 x 3/4 = 15      severity 25 x 4/4 = 25     urgency    15 x 2/4 = 7.5
    #   equity 15 x 3/4 = 11.25  alignment 15 x 2/4 = 7.5   confidence 10 x 1/4 = 2.5
    # value = 68.75; effort m (0.9): 68.75 x 0.9 = 61.875 -> 62
    ratings = rate("m", reach=4, severity=5, urgency=3, equity=4, alignment=3, confidence=2)
    score = compute_score(ratings, Weights())

    assert score.value == 68.75
    assert score.score == 62
    assert score.effort == "m"
    assert score.effort_factor == 0.9
    assert points(score) == {
        "reach": 15.0,
        "severity": 25.0,
        "urgency": 7.5,
        "equity": 11.25,
        "alignment": 7.5,
        "confidence": 2.5,
    }
    assert [line.criterion for line in score.breakdown] == list(CRITERIA)


@pytest.mark.parametrize(
    ("rating", "effort", "value", "expected"),
    [
        (1, "xs", 0.0, 0),  # the lowest rating everywhere is 0 whatever the effort
        (1, "xl", 0.0, 0),
        (5, "xs", 100.0, 100),  # the highest everywhere at the smallest effort is 100
        (5, "s", 100.0, 95),
        (5, "m", 100.0, 90),
        (5, "l", 100.0, 80),
        (5, "xl", 100.0, 70),
        (3, "xs", 50.0, 50),  # the middle rating everywhere is half the weight
        (3, "l", 50.0, 40),
    ],
)
def test_uniform_ratings(rating: int, effort: str, value: float, expected: int) -> None:
    score = compute_score(rate(effort, **dict.fromkeys(CRITERIA, rating)), Weights())
    assert (score.value, score.score) == (value, expected)


def test_zero_weight_criterion_contributes_no_points() -> None:
    # Equity weighs 0, so its 5 adds nothing; the others sum to 85:
    #   severity 25 x 4/4 = 25 -> 25/85 x 100 = 29.41 points, value 29.41, xs -> 29
    weights = Weights(equity=0)
    score = compute_score(rate("xs", equity=5, severity=5), weights)

    assert points(score)["equity"] == 0.0
    assert points(score)["severity"] == 29.41
    assert score.value == 29.41
    assert score.score == 29


def test_custom_weights() -> None:
    # Weights reach 10, severity 30, confidence 10 (sum 50), the rest 0:
    #   reach 10 x 2/4 = 5, severity 30 x 3/4 = 22.5, confidence 10 x 4/4 = 10 -> 37.5
    #   value = 37.5 / 50 x 100 = 75; effort l (0.8): 75 x 0.8 = 60
    weights = only(reach=10, severity=30, confidence=10)
    score = compute_score(rate("l", reach=3, severity=4, confidence=5, urgency=5), weights)

    assert points(score) == {
        "reach": 10.0,
        "severity": 45.0,
        "urgency": 0.0,
        "equity": 0.0,
        "alignment": 0.0,
        "confidence": 20.0,
    }
    assert (score.value, score.score) == (75.0, 60)


def test_weights_are_relative_so_scaling_them_changes_nothing() -> None:
    ratings = rate("s", reach=4, severity=2, urgency=5, equity=3, alignment=1, confidence=4)
    doubled = Weights(reach=40, severity=50, urgency=30, equity=30, alignment=30, confidence=20)
    scaled, default = compute_score(ratings, doubled), compute_score(ratings, Weights())
    assert (scaled.score, scaled.value, points(scaled)) == (
        default.score,
        default.value,
        points(default),
    )


@pytest.mark.parametrize(
    ("reach", "factor", "expected"),
    [
        (3, 0.95, 48),  # 50 x 0.95 = 47.5 -> 48
        (3, 0.85, 43),  # 50 x 0.85 = 42.5 -> 43 (round() would give the even 42)
        (2, 0.5, 13),  # 25 x 0.5 = 12.5 -> 13 (round() would give the even 12)
        (4, 0.7, 53),  # 75 x 0.7 = 52.5 -> 53
        (2, 0.98, 25),  # 25 x 0.98 = 24.5 -> 25
        (2, 0.9, 23),  # 25 x 0.9 = 22.5 -> 23
    ],
)
def test_score_rounds_half_up(reach: int, factor: float, expected: int) -> None:
    # Only reach is weighted, so value = (reach-1)/4 x 100.
    factors = {"xs": 1.0, "s": 0.95, "m": 0.9, "l": 0.8, "xl": factor}
    weights = only(reach=1, effort_factors=factors)
    assert compute_score(rate("xl", reach=reach), weights).score == expected


def test_points_round_half_up_to_two_decimals() -> None:
    # reach weight 1 of 8: 1 x 1/4 / 8 x 100 = 3.125 -> 3.13; all weights 1 of 6 -> 4.1666 -> 4.17
    assert points(compute_score(rate(reach=2), only(reach=1, severity=7)))["reach"] == 3.13
    repeating = compute_score(rate("xs", reach=2), only(**dict.fromkeys(CRITERIA, 1)))
    assert (repeating.value, repeating.score) == (4.17, 4)


def test_score_depends_only_on_its_own_ratings_and_weights() -> None:
    ratings = rate("m", reach=4, severity=5, urgency=3, equity=4, alignment=3, confidence=2)
    first = compute_score(ratings, Weights())
    compute_score(rate("xs", **dict.fromkeys(CRITERIA, 5)), Weights())
    assert compute_score(ratings, Weights()) == first


def test_breakdown_explains_the_numbers() -> None:
    ratings = rate("m", reach=4, severity=5, urgency=3, equity=4, alignment=3, confidence=2)
    score = compute_score(ratings, Weights())
    explanations = {line.criterion: line.explanation for line in score.breakdown}

    assert explanations["reach"] == "rated 4 of 5 x weight 20/100 = 15.0 points"
    assert explanations["equity"] == "rated 4 of 5 x weight 15/100 = 11.25 points"
    assert explanations["confidence"] == "rated 2 of 5 x weight 10/100 = 2.5 points"
    assert "value = sum(weight x (rating-1)/4) / sum(weights) x 100" in score.formula
    assert score.formula.endswith("here score = round(68.75 x 0.9) = 62")


def test_breakdown_shows_suggestions_next_to_ratings() -> None:
    score = compute_score(rate("m", reach=4, urgency=3), Weights(), {"reach": 3, "urgency": 3})
    by_criterion = {line.criterion: line for line in score.breakdown}

    assert by_criterion["reach"].suggested == 3
    assert by_criterion["reach"].explanation.endswith("(suggested 3 from the record)")
    assert by_criterion["urgency"].suggested == 3
    assert "suggested" not in by_criterion["urgency"].explanation  # agrees with the triager
    assert by_criterion["severity"].suggested is None
    # Suggestions are shown, never scored.
    assert score.score == compute_score(rate("m", reach=4, urgency=3), Weights()).score


def test_score_encodes_as_json() -> None:
    score = compute_score(rate("xs", **dict.fromkeys(CRITERIA, 5)), Weights())
    body = msgspec.json.decode(msgspec.json.encode(score))
    assert body["score"] == 100
    assert body["breakdown"][0] == {
        "criterion": "reach",
        "rating": 5,
        "weight": 20,
        "points": 20.0,
        "suggested": None,
        "explanation": "rated 5 of 5 x weight 20/100 = 20.0 points",
    }


def test_compute_score_refuses_invalid_weights() -> None:
    with pytest.raises(ValueError, match="at least one criterion must have a weight above 0"):
        compute_score(rate(), only())


# --- Weights and Ratings --------------------------------------------------------------------


def test_default_weights_are_valid_and_sum_to_100() -> None:
    weights = Weights()
    assert weights.validate() == []
    assert sum(getattr(weights, criterion) for criterion in CRITERIA) == 100


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({"severity": -1}, [("severity", "must be between 0 and 100, got -1")]),
        ({"reach": 101}, [("reach", "must be between 0 and 100, got 101")]),
        (
            dict.fromkeys(CRITERIA, 0),
            [("weights", "at least one criterion must have a weight above 0")],
        ),
        (
            {"effort_factors": {"xs": 1.0, "s": 0.95, "m": 0.9, "l": 0.8}},
            [("effort_factors.xl", "no factor for effort size xl")],
        ),
        (
            {"effort_factors": {"xs": 1.0, "s": 0.95, "m": 0.9, "l": 0.8, "xl": 0.7, "xxl": 0.5}},
            [("effort_factors.xxl", "unknown effort size 'xxl'; expected one of xs, s, m, l, xl")],
        ),
        (
            {"effort_factors": {"xs": 1.5, "s": 0.95, "m": 0.0, "l": -0.1, "xl": float("nan")}},
            [
                ("effort_factors.xs", "must be above 0 and at most 1, got 1.5"),
                ("effort_factors.m", "must be above 0 and at most 1, got 0.0"),
                ("effort_factors.l", "must be above 0 and at most 1, got -0.1"),
                ("effort_factors.xl", "must be above 0 and at most 1, got nan"),
            ],
        ),
    ],
)
def test_weights_validation_messages(
    changes: dict[str, Any], problems: list[tuple[str, str]]
) -> None:
    assert Weights(**changes).validate() == problems


def test_weights_validation_reports_every_problem() -> None:
    weights = only(reach=-5, effort_factors={"xs": 1.0})
    fields = [field for field, _ in weights.validate()]
    assert fields == [
        "reach",
        "weights",
        "effort_factors.s",
        "effort_factors.m",
        "effort_factors.l",
        "effort_factors.xl",
    ]


def test_weights_reject_unknown_fields() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field `speed`"):
        msgspec.convert({"speed": 10}, Weights)


@pytest.mark.parametrize("bad", [0, 6, -1])
@pytest.mark.parametrize("criterion", CRITERIA)
def test_ratings_must_be_1_to_5(criterion: str, bad: int) -> None:
    with pytest.raises(msgspec.ValidationError, match=rf"\$\.{criterion}"):
        rate("m", **{criterion: bad})


def test_ratings_reject_unknown_effort_and_fields() -> None:
    with pytest.raises(msgspec.ValidationError, match="effort"):
        rate("huge")
    with pytest.raises(msgspec.ValidationError, match="unknown field `cost`"):
        rate("m", cost=3)


# --- suggest_ratings -------------------------------------------------------------------------


def suggest(
    people: int | None = None, days: int | None = None, reason: str | None = None
) -> list[Suggestion]:
    deadline = None if days is None else TODAY + timedelta(days=days)
    return suggest_ratings(
        affected_people_per_year=people,
        urgency_deadline=deadline,
        urgency_reason=reason,
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("people", "rating"),
    [
        (0, 1),
        (99, 1),
        (100, 2),
        (999, 2),
        (1_000, 3),
        (9_999, 3),
        (10_000, 4),
        (99_999, 4),
        (100_000, 5),
        (2_500_000, 5),
    ],
)
def test_reach_suggested_from_people_affected(people: int, rating: int) -> None:
    assert [(s.criterion, s.rating) for s in suggest(people=people)] == [("reach", rating)]


@pytest.mark.parametrize(
    ("people", "reason"),
    [
        (2_400, "About 2,400 people a year are affected (1,000 to 9,999 -> 3)"),
        (40, "About 40 people a year are affected (fewer than 100 -> 1)"),
        (1, "About 1 person a year is affected (fewer than 100 -> 1)"),
        (250_000, "About 250,000 people a year are affected (100,000 or more -> 5)"),
    ],
)
def test_reach_reason_gives_the_numbers(people: int, reason: str) -> None:
    assert suggest(people=people)[0].reason == reason


@pytest.mark.parametrize(
    ("days", "rating"),
    [
        (-400, 5),
        (-1, 5),
        (0, 5),
        (30, 5),
        (31, 4),
        (90, 4),
        (91, 3),
        (180, 3),
        (181, 2),
        (365, 2),
        (366, 1),
    ],
)
def test_urgency_suggested_from_deadline(days: int, rating: int) -> None:
    assert [(s.criterion, s.rating) for s in suggest(days=days)] == [("urgency", rating)]


@pytest.mark.parametrize(
    ("days", "reason"),
    [
        (45, "The deadline 2027-01-05 is 45 days away (31 to 90 days -> 4)"),
        (1, "The deadline 2026-11-22 is 1 day away (past or within 30 days -> 5)"),
        (0, "The deadline 2026-11-21 is today (past or within 30 days -> 5)"),
        (-20, "The deadline 2026-11-01 passed 20 days ago (past or within 30 days -> 5)"),
        (400, "The deadline 2027-12-26 is 400 days away (more than 365 days -> 1)"),
    ],
)
def test_urgency_reason_gives_the_numbers(days: int, reason: str) -> None:
    assert suggest(days=days)[0].reason == reason


@pytest.mark.parametrize(
    ("days", "reason", "rating"),
    [
        (91, "legal_mandate", 4),  # 3 raised by 1
        (400, "public_safety", 2),  # 1 raised by 1
        (31, "legal_mandate", 5),  # 4 raised by 1
        (-3, "legal_mandate", 5),  # already 5, stays 5
        (91, "funding_expiry", 3),  # other reasons do not raise it
        (91, "other", 3),
    ],
)
def test_legal_mandate_and_public_safety_raise_urgency(days: int, reason: str, rating: int) -> None:
    assert suggest(days=days, reason=reason)[0].rating == rating


def test_raised_urgency_says_why() -> None:
    assert suggest(days=91, reason="legal_mandate")[0].reason == (
        "The deadline 2027-02-20 is 91 days away (91 to 180 days -> 3);"
        " raised by 1 to 4 because it is a legal mandate"
    )
    assert suggest(days=-3, reason="legal_mandate")[0].reason.endswith(
        "; it is a legal mandate, already at the maximum 5"
    )


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("public_safety", [("urgency", 4)]),
        ("legal_mandate", []),
        ("other", []),
        (None, []),
    ],
)
def test_urgency_without_deadline(reason: str | None, expected: list[tuple[str, int]]) -> None:
    assert [(s.criterion, s.rating) for s in suggest(reason=reason)] == expected


def test_public_safety_without_deadline_says_so() -> None:
    assert suggest(reason="public_safety") == [
        Suggestion(
            criterion="urgency",
            rating=4,
            reason="There is no deadline, but the reason is public safety -> 4",
        )
    ]


def test_both_suggestions_and_none_from_an_empty_record() -> None:
    assert suggest() == []
    both = suggest(people=12_000, days=10, reason="contract_end")
    assert [(s.criterion, s.rating) for s in both] == [("reach", 4), ("urgency", 5)]


def test_suggestions_feed_the_breakdown() -> None:
    suggested = {s.criterion: s.rating for s in suggest(people=2_400, days=45)}
    score = compute_score(rate("m", reach=3, urgency=5), Weights(), suggested)
    assert [(line.criterion, line.suggested) for line in score.breakdown[:3]] == [
        ("reach", 3),
        ("severity", None),
        ("urgency", 4),
    ]
