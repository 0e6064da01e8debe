"""Event feed schemas: a history event, with the problem it belongs to."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from intake.lib.schema import Output
from intake.problems.schemas import HistoryEvent

# What an event type looks like (``submitted``, ``comment_added``): the feed's ``type``
# filter and a webhook's ``types`` take names of this shape, up to MAX_TYPES of them.
EVENT_TYPE_PATTERN = r"[a-z][a-z_]{0,39}"
MAX_TYPES = 50
EventType = Annotated[
    str,
    msgspec.Meta(
        pattern=f"^{EVENT_TYPE_PATTERN}$",
        description="An event type: lower case letters and _, e.g. submitted",
        examples=["submitted"],
    ),
]


class FeedProblem(Output):
    """The problem an event belongs to: its id, and its reference (null while a draft)."""

    id: uuid.UUID
    reference: str | None


class FeedEvent(HistoryEvent):
    """One change to a problem, as its history shows it, and which problem it is."""

    problem: FeedProblem


class FeedPage(Output):
    """One page of the feed, in feed order. ``next_cursor`` is never null: it is where the
    next page starts, also when this one is empty, so a poller keeps it and asks again."""

    items: list[FeedEvent]
    next_cursor: str
