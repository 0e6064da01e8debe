"""Demo discovery, delivery and outcome records for the demo problems past acceptance.

Written by hand for the problems they belong to (keyed by ``DemoProblem.key``), so the
demo reads like a city's real work: findings with evidence and a journey map, milestones
with a slip, status updates, outcome metrics with measurements. Dates are days relative to
the seeding day (negative: in the past).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


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


WORK: Final[dict[str, DemoWork]] = {
    "dot-street-closure-permits": DemoWork(
        findings=(
            DemoFinding(
                "journey_step",
                "Organizer finds the right form",
                "Three PDFs on two websites; most organizers call 311 first.",
                "Interviews with 8 organizers",
                -18,
                ("Organizers pick the wrong form and start over",),
            ),
            DemoFinding(
                "journey_step",
                "Organizer collects neighbour signatures",
                "A petition signed by 51% of households on the block.",
                "Interviews with 8 organizers",
                -18,
                ("Signature sheets get lost between neighbours",),
            ),
            DemoFinding(
                "journey_step",
                "Permit desk checks conflicts by email",
                "Police, transit and sanitation are each emailed separately.",
                "Shadowing the permit desk, 2 days",
                -15,
                ("Replies take up to 9 days; nobody owns the chase",),
            ),
            DemoFinding(
                "insight",
                "Most delay is waiting on other agencies, not on the application",
                "Of 31 days median, 22 are spent waiting for conflict replies.",
                "Permit log export, last 12 months",
                -12,
            ),
            DemoFinding(
                "constraint",
                "Police sign-off is required by ordinance",
                "Section 12.4 requires written police approval; it cannot be skipped.",
                "City attorney",
                -10,
            ),
        ),
        updates=(DemoUpdate("on_track", "Discovery interviews done; journey map drafted.", -9),),
    ),
    "hsa-child-care-recertification": DemoWork(
        findings=(
            DemoFinding(
                "pain_point",
                "Families mail packets that never get scanned",
                "The mailroom batches packets weekly; 1 in 12 is never indexed.",
                "Mailroom sample of 400 packets",
                -6,
            ),
            DemoFinding(
                "opportunity",
                "Most documents already exist in the state benefits portal",
                "Income proofs for 70% of families are on file with the state.",
                "State data-sharing agreement review",
                -4,
            ),
        ),
    ),
    "prk-facility-reservations": DemoWork(
        findings=(
            DemoFinding(
                "insight",
                "Weekend families want to know what is free before they travel",
                "Availability is the first question in 64% of calls.",
                "Call log analysis, 3 months",
                -40,
            ),
            DemoFinding(
                "decision",
                "Buy a reservation product instead of building one",
                "Three vendors meet the needs; payments integrate with cashiering.",
                "Options analysis with Treasurer",
                -30,
            ),
        ),
        milestones=(
            DemoMilestone("Alpha with two parks' shelters", -15, done_days=-16),
            DemoMilestone(
                "Beta: all shelters and fields bookable online",
                20,
                slipped_from_days=5,
                slip_reason="Payment integration certification took three weeks longer.",
            ),
            DemoMilestone("Spring season opens online", 100),
        ),
        updates=(
            DemoUpdate(
                "on_track", "Alpha live in two parks; 140 bookings, no double-bookings.", -12
            ),
            DemoUpdate("at_risk", "Payment certification is late; beta moved by two weeks.", -3),
        ),
        metrics=(
            DemoMetric(
                "Share of bookings made online",
                "%",
                "increase",
                0,
                70,
                120,
                150,
                ((-10, 12.0), (-2, 21.5)),
            ),
            DemoMetric(
                "Days to refund a deposit", "days", "decrease", 58, 7, 120, 150, ((-2, 31.0),)
            ),
        ),
    ),
    "fin-business-tax-payments": DemoWork(
        findings=(
            DemoFinding(
                "insight",
                "Late notices are caused by posting lag, not by late payers",
                "83% of disputed notices were for checks received before the due date.",
                "Dispute log, last renewal season",
                -80,
            ),
        ),
        milestones=(
            DemoMilestone("Online renewal and card payments", -45, done_days=-40),
            DemoMilestone("Same-day posting to the tax system", -30, done_days=-29),
        ),
        updates=(
            DemoUpdate(
                "on_track", "Launched; 38% of renewals paid online in the first two weeks.", -12
            ),
        ),
        metrics=(
            DemoMetric(
                "Share of renewals paid online",
                "%",
                "increase",
                0,
                60,
                90,
                120,
                ((-20, 22.0), (-12, 38.0), (-3, 47.5)),
            ),
            DemoMetric(
                "Erroneous late notices per renewal season",
                "notices",
                "decrease",
                1900,
                200,
                90,
                120,
                ((-3, 240.0),),
            ),
        ),
    ),
}
