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

    examples = (
        {
            "items": [
                {
                    "id": 1042,
                    "type": "accepted",
                    "occurred_at": "2026-11-21T19:31:02.118407Z",
                    "actor": {"id": "0b7f3c52-8d0e-4a36-9f2a-51c1e9b0d7aa", "name": "Jordan Ellis"},
                    "from_status": "triage",
                    "to_status": "accepted",
                    "reason": None,
                    "changes": {},
                    "problem": {
                        "id": "39907127-cfc6-4443-ad55-f73e6841036a",
                        "reference": "P-2026-00013",
                    },
                }
            ],
            "next_cursor": "WzkxNDIsMTA0Ml0",
        },
    )

    items: list[FeedEvent]
    next_cursor: str
