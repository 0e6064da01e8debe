"""The problem lifecycle as data: which action moves a problem from which states to which.

This table is the single source of truth for transitions; the service enforces it and the
docs print it. Later capabilities (triage, delivery) add their actions here.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.lib.errors import InvalidTransition
from intake.vocabulary.events import EventType
from intake.vocabulary.states import STATES

TERMINAL_STATES = frozenset({"declined", "redirected", "duplicate", "closed", "withdrawn"})

# Requesters edit their department's problems only while these hold.
EDITABLE_STATES = frozenset({"draft", "needs_info"})


# A held problem goes back where it was; withdrawing one is allowed only if that was before
# delivery.
RESUME = "(back where it was)"
# An action that changes something other than the state (reassign) leaves it where it is.
UNCHANGED = "(stays where it is)"
WITHDRAWABLE = frozenset({"draft", "submitted", "triage", "needs_info", "accepted", "discovery"})
TRIAGER = frozenset({"triager"})
REQUESTER = frozenset({"requester"})
PROBLEM_TEAM = frozenset({"triager", "team_member"})
# Who may hand a problem in triage to another triager: when its triager is away, another
# triager or DTI operations (who manage people) must be able to move it on.
TRIAGE_OWNERS = frozenset({"triager", "admin"})


@dataclass(frozen=True, slots=True)
class Action:
    """A lifecycle action: ``POST /api/v1/problems/{id}/<name>``."""

    name: str
    from_states: frozenset[str]
    to_state: str
    roles: frozenset[str]
    owning_department_only: bool
    event: EventType
    # The route's summary and description in the API document.
    summary: str
    description: str
    reason_required: bool = False
    # Only the problem's own triager and the members of its team (not any triager).
    problem_team_only: bool = False

    @property
    def changes_state(self) -> bool:
        """False for an action that leaves the state as it is (its event records none)."""
        return self.to_state != UNCHANGED


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            name="submit",
            from_states=frozenset({"draft"}),
            to_state="submitted",
            roles=REQUESTER,
            owning_department_only=True,
            event="submitted",
            summary="Submit a draft to DTI",
            description=(
                "Checks the record is complete (422 lists every missing field), gives it its "
                "reference P-YYYY-NNNNN and moves it to `submitted`. The response lists similar "
                "problems from any department."
            ),
        ),
        Action(
            name="withdraw",
            from_states=WITHDRAWABLE | {"on_hold"},
            to_state="withdrawn",
            roles=REQUESTER,
            owning_department_only=True,
            event="withdrawn",
            summary="Withdraw a problem",
            description=(
                "The requesting department no longer needs it solved. Allowed before delivery."
            ),
        ),
        Action(
            name="triage",
            from_states=frozenset({"submitted"}),
            to_state="triage",
            roles=TRIAGER,
            owning_department_only=False,
            event="triaged",
            summary="Take a problem into triage",
            description="Assigns the acting triager, or the one named by `triager_email`.",
        ),
        Action(
            name="reassign",
            from_states=frozenset({"triage", "needs_info"}),
            to_state=UNCHANGED,
            roles=TRIAGE_OWNERS,
            owning_department_only=False,
            event="reassigned",
            summary="Hand a problem in triage to another triager",
            description=(
                "From triage or needs_info, for triagers and admins: the triager named by "
                "`triager_email` owns and watches the problem. Its state and SLA clocks stay as "
                "they are."
            ),
        ),
        Action(
            name="request-info",
            from_states=frozenset({"triage"}),
            to_state="needs_info",
            roles=TRIAGER,
            owning_department_only=False,
            event="info_requested",
            summary="Ask the requester for information",
            description="Moves the problem to needs_info; the decision SLA clock pauses.",
            reason_required=True,
        ),
        Action(
            name="respond",
            from_states=frozenset({"needs_info"}),
            to_state="triage",
            roles=REQUESTER,
            owning_department_only=True,
            event="info_provided",
            summary="Answer DTI's questions",
            description="The owning department answers; the problem returns to triage.",
            reason_required=True,
        ),
        Action(
            name="accept",
            from_states=frozenset({"triage"}),
            to_state="accepted",
            roles=TRIAGER,
            owning_department_only=False,
            event="accepted",
            summary="Accept a problem",
            description="DTI will work on it; next, pair it with a product team.",
        ),
        Action(
            name="decline",
            from_states=frozenset({"triage"}),
            to_state="declined",
            roles=TRIAGER,
            owning_department_only=False,
            event="declined",
            summary="Decline a problem",
            description=(
                "DTI will not take it on; the reason is required and shown to the requester."
            ),
            reason_required=True,
        ),
        Action(
            name="redirect",
            from_states=frozenset({"triage"}),
            to_state="redirected",
            roles=TRIAGER,
            owning_department_only=False,
            event="redirected",
            summary="Redirect a problem to another department or channel",
            description="Another department or channel is the right home; say which and why.",
            reason_required=True,
        ),
        Action(
            name="mark-duplicate",
            from_states=frozenset({"submitted", "triage", "needs_info"}),
            to_state="duplicate",
            roles=TRIAGER,
            owning_department_only=False,
            event="marked_duplicate",
            summary="Mark a problem as a duplicate of another",
            description=(
                "Watchers and collaborators move to the primary, except anyone who could not "
                "already see a restricted primary: they stay on the duplicate, and `not_moved` "
                "names them and says why. Both histories record it."
            ),
            reason_required=True,
        ),
        Action(
            name="hold",
            from_states=frozenset({"accepted", "discovery", "delivery"}),
            to_state="on_hold",
            roles=TRIAGER,
            owning_department_only=False,
            event="held",
            summary="Put work on hold",
            description="Pause the work, with a reason; resume brings it back where it was.",
            reason_required=True,
        ),
        Action(
            name="resume",
            from_states=frozenset({"on_hold"}),
            to_state=RESUME,
            roles=TRIAGER,
            owning_department_only=False,
            event="resumed",
            summary="Resume held work",
            description="Continue held work from the state it was held in.",
        ),
        Action(
            name="start-discovery",
            from_states=frozenset({"accepted"}),
            to_state="discovery",
            roles=PROBLEM_TEAM,
            owning_department_only=False,
            problem_team_only=True,
            event="discovery_started",
            summary="Start discovery",
            description="The problem must be accepted and paired with a team.",
        ),
        Action(
            name="start-delivery",
            from_states=frozenset({"discovery", "delivery"}),
            to_state="delivery",
            roles=PROBLEM_TEAM,
            owning_department_only=False,
            problem_team_only=True,
            event="delivery_started",
            summary="Start delivery, or move it from alpha to beta",
            description="From discovery into `alpha` or `beta`; from delivery, only forward.",
        ),
        Action(
            name="launch",
            from_states=frozenset({"delivery"}),
            to_state="live",
            roles=PROBLEM_TEAM,
            owning_department_only=False,
            problem_team_only=True,
            event="launched",
            summary="Launch: the work is live",
            description="From delivery; outcome metrics are now measured against their targets.",
        ),
        Action(
            name="close",
            from_states=frozenset({"live"}),
            to_state="closed",
            roles=PROBLEM_TEAM,
            owning_department_only=False,
            problem_team_only=True,
            event="closed",
            summary="Close with an outcome review",
            description=(
                "From live. The review says whether the outcome was achieved, partially achieved, "
                "not achieved or not measurable, with a summary and lessons."
            ),
        ),
    )
}


def _may(action: Action, state: str, held_from: str | None) -> bool:
    if state not in action.from_states:
        return False
    if action.name == "withdraw" and state == "on_hold":
        return held_from in WITHDRAWABLE
    return True


def allowed_actions(state: str, held_from: str | None = None) -> list[str]:
    return sorted(name for name, action in ACTIONS.items() if _may(action, state, held_from))


def check_transition(action_name: str, state: str, held_from: str | None = None) -> Action:
    """The action, if it may run from ``state``; InvalidTransition (409) otherwise."""
    action = ACTIONS[action_name]
    if not _may(action, state, held_from):
        raise InvalidTransition(action_name, state, allowed_actions(state, held_from))
    return action


def target_state(action: Action, state: str, held_from: str | None) -> str:
    """Where the action takes a problem that is in ``state``."""
    if action.to_state == RESUME:
        assert held_from is not None
        return held_from
    if action.to_state == UNCHANGED:
        return state
    return action.to_state


def who_may(action: Action) -> str:
    """In words: who may take the action (the docs print this)."""
    roles = " or ".join(sorted(action.roles))
    if action.problem_team_only:
        return "the problem's own triager, or a team_member of its team"
    if action.owning_department_only:
        return f"{roles} of the owning department"
    return f"any {roles}"


def markdown_table() -> str:
    """The ACTIONS table as docs/triage.md prints it; a test keeps the two identical."""
    lines = [
        "| action | from states | to state | who may act | reason required | event type |",
        "|---|---|---|---|---|---|",
    ]
    for action in ACTIONS.values():
        sources = ", ".join(f"`{s}`" for s in sorted(action.from_states, key=STATES.index))
        target = (
            action.to_state if action.to_state in (RESUME, UNCHANGED) else f"`{action.to_state}`"
        )
        reason = "yes" if action.reason_required else "no"
        lines.append(
            f"| `{action.name}` | {sources} | {target} | {who_may(action)} | {reason} "
            f"| `{action.event}` |"
        )
    return "\n".join(lines) + "\n"
