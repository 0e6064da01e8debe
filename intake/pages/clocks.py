"""The SLA clocks in words: remaining, met, paused or breached, never said by colour alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from intake.triage.schemas import SlaClockOut


@dataclass(frozen=True, slots=True)
class ClockWords:
    """One clock as a page shows it: a one-word state (also its CSS class) and a sentence."""

    state: str  # "running", "met", "paused", "breached"
    label: str  # the word on the tag: "On time", "Met", "Paused", "Breached"
    text: str


def when(moment: datetime | None) -> str:
    return moment.strftime("%a %-d %b %Y, %H:%M UTC") if moment else "not known yet"


def days(count: float) -> str:
    shown = f"{round(count, 1):g}"
    return f"{shown} business day" + ("" if shown == "1" else "s")


def in_words(clock: SlaClockOut) -> ClockWords:
    """What the clock says now, in plain words."""
    over = max(clock.elapsed_business_days - clock.target_days, 0)
    if clock.stopped_at is not None:
        if clock.breached:
            return ClockWords(
                "breached",
                "Breached",
                f"Late: done {when(clock.stopped_at)}, {days(over)} after the "
                f"{days(clock.target_days)} target.",
            )
        return ClockWords("met", "Met", f"Met in time: done {when(clock.stopped_at)}.")
    if clock.paused:
        if clock.breached:
            return ClockWords(
                "breached",
                "Breached",
                f"Overdue since {when(clock.due_at)}; paused while the requester answers.",
            )
        return ClockWords(
            "paused",
            "Paused",
            f"Paused while the requester answers: {days(clock.elapsed_business_days)} of "
            f"{days(clock.target_days)} used.",
        )
    if clock.breached:
        return ClockWords(
            "breached", "Breached", f"Overdue by {days(over)}: it was due {when(clock.due_at)}."
        )
    left = max(clock.target_days - clock.elapsed_business_days, 0)
    return ClockWords("running", "On time", f"{days(left)} left: due {when(clock.due_at)}.")
