"""Event feed schemas: a history event, with the problem it belongs to."""

from __future__ import annotations

import uuid

from intake.lib.schema import Output
from intake.problems.schemas import HistoryEvent

# The feed's ``type`` filter and a webhook's ``types`` take up to MAX_TYPES event type names,
# each one of EVENT_TYPES (intake.vocabulary.events): anything else is a 422.
MAX_TYPES = 50


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
