"""A metric's derived state, table by table: every rule and the order they apply in."""

from __future__ import annotations

from datetime import date

import pytest

from intake.outcomes.state import Direction, MetricState, Reading, metric_state, standing

TODAY = date(2027, 3, 15)
BEFORE = date(2027, 3, 14)  # the target date has passed
AFTER = date(2027, 3, 16)  # still to come


@pytest.mark.parametrize(
    ("direction", "baseline", "target", "target_date", "value", "expected"),
    [
        # nothing measured yet, whatever the date
        ("increase", 50.0, 80.0, AFTER, None, "not_started"),
        ("decrease", 31.0, 7.0, BEFORE, None, "not_started"),
        # increase: at or above the target is achieved, before or after the target date
        ("increase", 50.0, 80.0, AFTER, 80.0, "achieved"),
        ("increase", 50.0, 80.0, AFTER, 95.5, "achieved"),
        ("increase", 50.0, 80.0, BEFORE, 80.0, "achieved"),
        # increase: between baseline and target
        ("increase", 50.0, 80.0, AFTER, 79.9, "improving"),
        ("increase", 50.0, 80.0, TODAY, 60.0, "improving"),  # the target date itself counts
        # increase: at or below the baseline
        ("increase", 50.0, 80.0, AFTER, 50.0, "worsening"),
        ("increase", 50.0, 80.0, AFTER, 12.0, "worsening"),
        ("increase", -10.0, 0.0, AFTER, -10.5, "worsening"),
        # increase: the date has passed without reaching the target
        ("increase", 50.0, 80.0, BEFORE, 79.9, "missed"),
        ("increase", 50.0, 80.0, BEFORE, 40.0, "missed"),
        # decrease: at or below the target is achieved
        ("decrease", 31.0, 7.0, AFTER, 7.0, "achieved"),
        ("decrease", 31.0, 7.0, AFTER, 3.0, "achieved"),
        ("decrease", 31.0, 7.0, BEFORE, 6.9, "achieved"),
        # decrease: between baseline and target
        ("decrease", 31.0, 7.0, AFTER, 30.9, "improving"),
        ("decrease", 31.0, 7.0, TODAY, 12.0, "improving"),
        # decrease: at or above the baseline
        ("decrease", 31.0, 7.0, AFTER, 31.0, "worsening"),
        ("decrease", 31.0, 7.0, AFTER, 45.0, "worsening"),
        # decrease: the date has passed
        ("decrease", 31.0, 7.0, BEFORE, 7.1, "missed"),
        ("decrease", 31.0, 7.0, BEFORE, 31.0, "missed"),
    ],
)
def test_state_rules(
    direction: Direction,
    baseline: float,
    target: float,
    target_date: date,
    value: float | None,
    expected: MetricState,
) -> None:
    state = metric_state(
        direction=direction,
        baseline=baseline,
        target=target,
        target_date=target_date,
        value=value,
        today=TODAY,
    )
    assert state == expected


@pytest.mark.parametrize(
    ("direction", "baseline", "target", "value", "expected"),
    [
        ("increase", 50.0, 80.0, 50.0, 0.0),
        ("increase", 50.0, 80.0, 65.0, 0.5),
        ("increase", 50.0, 80.0, 80.0, 1.0),
        ("increase", 50.0, 80.0, 95.0, 1.5),  # beyond the target: more than 1
        ("increase", 50.0, 80.0, 35.0, -0.5),  # the wrong way: negative
        ("decrease", 31.0, 7.0, 19.0, 0.5),
        ("decrease", 31.0, 7.0, 7.0, 1.0),
        ("decrease", 31.0, 7.0, 43.0, -0.5),
        ("decrease", 0.3, 0.1, 0.2, 0.5),  # rounded: no floating-point noise
        ("increase", 0.0, 3.0, 1.0, 0.3333),
    ],
)
def test_progress_from_baseline_to_target(
    direction: Direction, baseline: float, target: float, value: float, expected: float
) -> None:
    derived = standing(
        direction=direction,
        baseline=baseline,
        target=target,
        target_date=AFTER,
        latest=Reading(value=value, measured_on=BEFORE),
        today=TODAY,
    )
    assert derived.progress == expected
    assert derived.latest_value == value
    assert derived.latest_measured_on == BEFORE


def test_nothing_measured_has_no_latest_and_no_progress() -> None:
    derived = standing(
        direction="increase",
        baseline=1.0,
        target=2.0,
        target_date=BEFORE,
        latest=None,
        today=TODAY,
    )
    assert derived.state == "not_started"
    assert (derived.latest_value, derived.latest_measured_on, derived.progress) == (
        None,
        None,
        None,
    )
