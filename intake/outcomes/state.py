"""A metric's derived state: where its latest measurement stands against baseline and target.

Pure functions of plain values, so the rules can be read (and table-tested) on their own:

- ``not_started``: nothing measured yet;
- ``achieved``: the latest value meets the target (increase: >= target; decrease: <= target),
  whenever it was measured;
- ``missed``: the target date has passed (today is after it) and the latest value does not
  meet the target;
- ``improving``: the latest value is better than the baseline in the metric's direction;
- ``worsening``: the latest value equals the baseline or is worse.

The rules apply in that order. "Latest" is the measurement with the latest ``measured_on``;
of two on the same day, the one recorded last (the service's query picks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Direction = Literal["increase", "decrease"]
MetricState = Literal["not_started", "improving", "worsening", "achieved", "missed"]
STATES: tuple[MetricState, ...] = ("not_started", "improving", "worsening", "achieved", "missed")


@dataclass(frozen=True, slots=True)
class Reading:
    """The latest measurement as the state needs it: its value and the day it was taken."""

    value: float
    measured_on: date


@dataclass(frozen=True, slots=True)
class Standing:
    """A metric's derived state, its latest reading and its progress towards the target."""

    state: MetricState
    latest_value: float | None
    latest_measured_on: date | None
    progress: float | None


def better(direction: Direction, value: float, than: float) -> bool:
    """``value`` is strictly better than ``than`` for a metric moving in ``direction``."""
    return value > than if direction == "increase" else value < than


def meets(direction: Direction, value: float, target: float) -> bool:
    """``value`` reaches the target (equal counts)."""
    return value >= target if direction == "increase" else value <= target


def progress(baseline: float, target: float, value: float) -> float:
    """How far ``value`` has come from baseline to target: 0 at baseline, 1 at the target.

    Beyond the target it exceeds 1; on the wrong side of the baseline it is negative.
    Rounded to four places so the JSON does not carry floating-point noise.
    """
    return round((value - baseline) / (target - baseline), 4)


def metric_state(
    *,
    direction: Direction,
    baseline: float,
    target: float,
    target_date: date,
    value: float | None,
    today: date,
) -> MetricState:
    """The state of a metric whose latest measured value is ``value`` (None: none yet)."""
    if value is None:
        return "not_started"
    if meets(direction, value, target):
        return "achieved"
    if today > target_date:
        return "missed"
    if better(direction, value, baseline):
        return "improving"
    return "worsening"


def standing(
    *,
    direction: Direction,
    baseline: float,
    target: float,
    target_date: date,
    latest: Reading | None,
    today: date,
) -> Standing:
    """Everything derived from a metric's latest reading."""
    value = latest.value if latest else None
    return Standing(
        state=metric_state(
            direction=direction,
            baseline=baseline,
            target=target,
            target_date=target_date,
            value=value,
            today=today,
        ),
        latest_value=value,
        latest_measured_on=latest.measured_on if latest else None,
        progress=progress(baseline, target, value) if value is not None else None,
    )
