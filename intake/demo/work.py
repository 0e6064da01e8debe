"""Demo discovery, delivery and outcome records for the demo problems past acceptance.

Written by hand in ``work.toml`` for the problems they belong to (by ``DemoProblem.key``), so
the demo reads like a city's real work: findings with evidence and a journey map, milestones
with a slip, status updates, outcome metrics with measurements. Dates are days relative to
the seeding day (negative: in the past)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from intake.demo.data import read_toml


@dataclass(frozen=True, slots=True)
class DemoFinding:
    kind: str
    title: str
    detail: str
    source: str
    days: int
    pain_points: tuple[str, ...] = ()  # for journey steps: pain points on the step


@dataclass(frozen=True, slots=True)
class DemoMilestone:
    title: str
    target_days: int
    done_days: int | None = None
    slipped_from_days: int | None = None  # the first target, when it slipped
    slip_reason: str = ""


@dataclass(frozen=True, slots=True)
class DemoUpdate:
    status: str
    summary: str
    days: int


@dataclass(frozen=True, slots=True)
class DemoMetric:
    name: str
    unit: str
    direction: str
    baseline: float
    target: float
    target_days: int
    review_days: int
    measurements: tuple[tuple[int, float], ...] = ()  # (days, value)


@dataclass(frozen=True, slots=True)
class DemoWork:
    findings: tuple[DemoFinding, ...] = ()
    milestones: tuple[DemoMilestone, ...] = ()
    updates: tuple[DemoUpdate, ...] = ()
    metrics: tuple[DemoMetric, ...] = ()


WORK: Final = read_toml("work.toml", dict[str, DemoWork])
