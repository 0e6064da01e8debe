"""The problem lifecycle as data: which action moves a problem from which states to which.

This table is the single source of truth for transitions; the service enforces it and the
docs print it. Later capabilities (triage, delivery) add their actions here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from intake.lib.errors import InvalidTransition

Status = Literal[
    "draft",
    "submitted",
    "triage",
    "needs_info",
    "declined",
    "redirected",
    "duplicate",
    "accepted",
    "discovery",
    "delivery",
    "live",
    "closed",
    "withdrawn",
    "on_hold",
]
STATES: tuple[str, ...] = get_args(Status)
TERMINAL_STATES = frozenset({"declined", "redirected", "duplicate", "closed", "withdrawn"})

# Requesters edit their department's problems only while these hold.
EDITABLE_STATES = frozenset({"draft", "needs_info"})


@dataclass(frozen=True, slots=True)
class Action:
    """A lifecycle action: ``POST /api/v1/problems/{id}/<name>``."""

    name: str
    from_states: frozenset[str]
    to_state: str
    roles: frozenset[str]
    owning_department_only: bool
    summary: str


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            name="submit",
            from_states=frozenset({"draft"}),
            to_state="submitted",
            roles=frozenset({"requester"}),
            owning_department_only=True,
            summary="Send a complete draft to DTI; it gets its P-YYYY-NNNNN reference.",
        ),
        Action(
            name="withdraw",
            from_states=frozenset(
                {"draft", "submitted", "triage", "needs_info", "accepted", "discovery"}
            ),
            to_state="withdrawn",
            roles=frozenset({"requester"}),
            owning_department_only=True,
            summary="The requesting department no longer needs this solved.",
        ),
    )
}


def allowed_actions(state: str) -> list[str]:
    return sorted(name for name, action in ACTIONS.items() if state in action.from_states)


def check_transition(action_name: str, state: str) -> Action:
    """The action, if it may run from ``state``; InvalidTransition (409) otherwise."""
    action = ACTIONS[action_name]
    if state not in action.from_states:
        raise InvalidTransition(action_name, state, allowed_actions(state))
    return action
