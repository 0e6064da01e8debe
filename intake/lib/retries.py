"""Retry schedules as the docs print them: webhook delivery and mail wait alike."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta


def duration(span: timedelta) -> str:
    """``1 h 5 min 10 s``, leaving out the parts that are zero."""
    hours, rest = divmod(int(span.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join([*filter(None, parts), f"{seconds} s" if seconds else ""]).strip()


def retry_table(waits: Sequence[timedelta], *, first: str, after_last: str) -> str:
    """A Markdown table of the attempts: ``first`` says when the first one is made, the
    n-th failure waits ``waits[n - 1]``, and ``after_last`` says what follows the last."""
    rows = [
        "| attempt | when | at the earliest, after the first attempt |",
        "|---|---|---|",
        f"| 1 | {first} | — |",
    ]
    since = timedelta(0)
    for attempt, wait in enumerate(waits, start=2):
        since += wait
        rows.append(
            f"| {attempt} | {duration(wait)} after attempt {attempt - 1} failed "
            f"| {duration(since)} |"
        )
    rows.append(f"| | attempt {len(waits) + 1} failed: {after_last} | |")
    return "\n".join(rows)
