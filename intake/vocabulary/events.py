"""The event types a problem's history records: the one list.

``history.record`` refuses a type that is not here, and every writer of history (the
lifecycle table, the services, the demo seed and generator) is typed with ``EventType``,
so mypy and the suite both prove that the code writes no other type. The event feed's
``type`` filter and a webhook's ``types`` take these names and nothing else, so a typo is a
422, not a subscription that never fires. Adding a type means adding it here and to the
table in docs/integration.md (a test keeps the two identical).
"""

from __future__ import annotations

from typing import Literal, get_args

EventType = Literal[
    # The problem record.
    "created",
    "updated",
    # Lifecycle actions (intake.problems.lifecycle.ACTIONS, one event each).
    "submitted",
    "withdrawn",
    "triaged",
    "reassigned",
    "info_requested",
    "info_provided",
    "accepted",
    "declined",
    "redirected",
    "marked_duplicate",
    "held",
    "resumed",
    "discovery_started",
    "delivery_started",
    "launched",
    "closed",
    # Triage: scores, pairing, links, SLA clocks.
    "scored",
    "team_assigned",
    "linked",
    "duplicate_linked",
    "sla_recomputed",
    "sla_breached",
    # Written once, by migration e5d19b7c3a40, for problems submitted before history
    # recorded their due times; the app itself never writes it again.
    "sla_recorded",
    # Discovery.
    "finding_added",
    "finding_updated",
    "finding_removed",
    "journey_reordered",
    # Delivery.
    "milestone_added",
    "milestone_updated",
    "milestone_done",
    "milestone_removed",
    "update_posted",
    # Outcomes.
    "metric_added",
    "metric_updated",
    "metric_removed",
    "measurement_recorded",
    # Collaboration.
    "comment_added",
    "comment_edited",
    "watcher_added",
    "watcher_removed",
    "collaborator_added",
    "collaborator_removed",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


def unknown(types: list[str] | tuple[str, ...]) -> list[str]:
    """The names in ``types`` that are no event type, in the order given, each once."""
    return [name for name in dict.fromkeys(types) if name not in EVENT_TYPES]


def unknown_message(unknown: list[str]) -> str:
    """What a 422 says about names that are no event type: which, and what would do."""
    names = ", ".join(repr(name) for name in unknown)
    return f"Not an event type: {names}. Event types: {', '.join(EVENT_TYPES)}"
