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
class Who:
    """Who may take an action: anyone with one of ``roles``, or only those of the problem's
    owning department, or only the problem's own triager and its team's members."""

    roles: frozenset[str]
    owning_department_only: bool = False
    problem_team_only: bool = False


@dataclass(frozen=True, slots=True)
class Action:
    """A lifecycle action: ``POST /api/v1/problems/{id}/<name>``."""

    name: str
    from_states: frozenset[str]
    to_state: str
    who: Who
    event: EventType
    # The route's summary and description in the API document.
    summary: str
    description: str
    reason_required: bool = False

    @property
    def roles(self) -> frozenset[str]:
        return self.who.roles

    @property
    def owning_department_only(self) -> bool:
        return self.who.owning_department_only

    @property
    def problem_team_only(self) -> bool:
        return self.who.problem_team_only

    @property
    def changes_state(self) -> bool:
        """False for an action that leaves the state as it is (its event records none)."""
        return self.to_state != UNCHANGED


REQUESTING_DEPARTMENT = Who(REQUESTER, owning_department_only=True)
ANY_TRIAGER = Who(TRIAGER)
TRIAGER_OR_ADMIN = Who(TRIAGE_OWNERS)
ITS_TEAM = Who(PROBLEM_TEAM, problem_team_only=True)


def _action(
    name: str,
    from_states: frozenset[str] | set[str],
    to_state: str,
    who: Who,
    event: EventType,
    summary: str,
    description: str,
    *,
    reason_required: bool = False,
) -> Action:
    """A row of the table below."""
    return Action(
        name, frozenset(from_states), to_state, who, event, summary, description, reason_required
    )


# Each action: its name (the route), the states it moves a problem from and to, who may take
# it, the history event it records, then the route's summary and description in the API
# document, and whether it needs a reason.
# fmt: off
ACTIONS: dict[str, Action] = {action.name: action for action in (
    _action("submit", {"draft"}, "submitted", REQUESTING_DEPARTMENT, "submitted",
            "Submit a draft to DTI",
            "Checks the record is complete (422 lists every missing field), gives it its "
            "reference P-YYYY-NNNNN and moves it to `submitted`. The response lists similar "
            "problems from any department."),
    _action("withdraw", WITHDRAWABLE | {"on_hold"}, "withdrawn", REQUESTING_DEPARTMENT,
            "withdrawn",
            "Withdraw a problem",
            "The requesting department no longer needs it solved. Allowed before delivery."),
    _action("triage", {"submitted"}, "triage", ANY_TRIAGER, "triaged",
            "Take a problem into triage",
            "Assigns the acting triager, or the one named by `triager_email`."),
    _action("reassign", {"triage", "needs_info"}, UNCHANGED, TRIAGER_OR_ADMIN, "reassigned",
            "Hand a problem in triage to another triager",
            "From triage or needs_info, for triagers and admins: the triager named by "
            "`triager_email` owns and watches the problem. Its state and SLA clocks stay as "
            "they are."),
    _action("request-info", {"triage"}, "needs_info", ANY_TRIAGER, "info_requested",
            "Ask the requester for information",
            "Moves the problem to needs_info; the decision SLA clock pauses.",
            reason_required=True),
    _action("respond", {"needs_info"}, "triage", REQUESTING_DEPARTMENT, "info_provided",
            "Answer DTI's questions",
            "The owning department answers; the problem returns to triage.",
            reason_required=True),
    _action("accept", {"triage"}, "accepted", ANY_TRIAGER, "accepted",
            "Accept a problem",
            "DTI will work on it; next, pair it with a product team."),
    _action("decline", {"triage"}, "declined", ANY_TRIAGER, "declined",
            "Decline a problem",
            "DTI will not take it on; the reason is required and shown to the requester.",
            reason_required=True),
    _action("redirect", {"triage"}, "redirected", ANY_TRIAGER, "redirected",
            "Redirect a problem to another department or channel",
            "Another department or channel is the right home; say which and why.",
            reason_required=True),
    _action("mark-duplicate", {"submitted", "triage", "needs_info"}, "duplicate", ANY_TRIAGER,
            "marked_duplicate",
            "Mark a problem as a duplicate of another",
            "Watchers and collaborators move to the primary, except anyone who could not "
            "already see a restricted primary: they stay on the duplicate, and `not_moved` "
            "names them and says why. Both histories record it.",
            reason_required=True),
    _action("hold", {"accepted", "discovery", "delivery"}, "on_hold", ANY_TRIAGER, "held",
            "Put work on hold",
            "Pause the work, with a reason; resume brings it back where it was.",
            reason_required=True),
    _action("resume", {"on_hold"}, RESUME, ANY_TRIAGER, "resumed",
            "Resume held work",
            "Continue held work from the state it was held in."),
    _action("start-discovery", {"accepted"}, "discovery", ITS_TEAM, "discovery_started",
            "Start discovery",
            "The problem must be accepted and paired with a team."),
    _action("start-delivery", {"discovery", "delivery"}, "delivery", ITS_TEAM,
            "delivery_started",
            "Start delivery, or move it from alpha to beta",
            "From discovery into `alpha` or `beta`; from delivery, only forward."),
    _action("launch", {"delivery"}, "live", ITS_TEAM, "launched",
            "Launch: the work is live",
            "From delivery; outcome metrics are now measured against their targets."),
    _action("close", {"live"}, "closed", ITS_TEAM, "closed",
            "Close with an outcome review",
            "From live. The review says whether the outcome was achieved, partially achieved, "
            "not achieved or not measurable, with a summary and lessons."),
)}
# fmt: on


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
