"""The triager's forms: the queue's filters (a GET form) and each triage action's fields,
read into the triage services' own inputs, with a plain-language message per field."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from litestar.datastructures import FormMultiDict, MultiDict

from intake.pages.deps import Caller, whole_number
from intake.triage import service as triage
from intake.triage.scoring.rules import CRITERIA, EFFORTS

QUEUE_STATES = {
    "submitted": "Submitted, not taken yet",
    "triage": "In triage",
    "needs_info": "Waiting for the requester",
}
TRIAGER_CHOICES = {"": "Anyone or nobody", "me": "Me", "none": "Nobody yet"}
BREACHED_CHOICES = {
    "": "Either",
    "yes": "Breached: a clock ran out",
    "no": "Not breached",
}
SORT_CHOICES = {
    "due": "Decision due soonest",
    "score": "Highest score",
    "oldest": "Submitted longest ago",
}
CRITERION_LABELS = {
    "reach": ("Reach", "How many people are affected."),
    "severity": ("Severity", "How bad it is for them."),
    "urgency": ("Urgency", "How soon it matters: deadlines, mandates."),
    "equity": ("Equity", "How much it affects communities that are underserved."),
    "alignment": ("Alignment", "How well it fits the city's goals."),
    "confidence": ("Confidence", "How sure we are of the ratings above."),
}
EFFORT_LABELS = {
    "xs": "Extra small",
    "s": "Small",
    "m": "Medium",
    "l": "Large",
    "xl": "Extra large",
}
LINK_TYPES = {"related": "Related", "blocks": "This problem blocks the other one"}
# Each field's label, for the error summary (the field's id is its name).
LABELS = {
    "status": "Status",
    "department": "Department",
    "triager": "Taken by",
    "breached": "SLA",
    "min_age_days": "Submitted at least this many days ago",
    "sort": "Sort by",
    "questions": "Your questions for the requester",
    "accept_reason": "Why accept it (optional)",
    "decline_reason": "Why decline it",
    "redirect_reason": "Why redirect it",
    "redirect_department": "Department to send it to",
    "redirect_channel": "Or another channel",
    "primary": "The problem it duplicates",
    "duplicate_reason": "Why it is a duplicate",
    "hold_reason": "Why put it on hold",
    "resume_reason": "Why resume it (optional)",
    "link_to": "The other problem",
    "link_type": "How they are linked",
    "team_id": "Product team",
    "override_reason": "Why assign it over the team's limit",
    "effort": "Effort",
    "score_notes": "Notes (DTI only)",
    "triager_email": "The triager's e-mail address",
    "reassign_reason": "What changes for the work (optional)",
    **{name: label for name, (label, _) in CRITERION_LABELS.items()},
}
# What a required field that was left blank asks for.
MISSING = {
    "questions": "Enter your questions for the requester",
    "decline_reason": "Say why you decline it; the requester reads this",
    "redirect_reason": "Say why it belongs elsewhere; the requester reads this",
    "duplicate_reason": "Say why it is a duplicate",
    "hold_reason": "Say why the work is on hold",
    "override_reason": "Say why the team should take it over its limit",
}
MAX_REASON = 5000
DEPARTMENT_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
_DEPARTMENT = re.compile(r"^[A-Za-z0-9]{1,10}$")
_REFERENCE = re.compile(r"^P-\d{4}-\d{5}$", re.IGNORECASE)


@dataclass(slots=True)
class Errors:
    """Field id -> message, in the order they were found."""

    messages: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.messages.setdefault(name, message)

    def summary(self) -> list[tuple[str, str, str]]:
        return [(name, LABELS.get(name, name), text) for name, text in self.messages.items()]

    def __bool__(self) -> bool:
        return bool(self.messages)


@dataclass(slots=True)
class QueueForm:
    """The queue's filters as typed (to show back) and as the service reads them."""

    values: dict[str, Any]
    filters: triage.QueueFilters
    cursor: str | None
    errors: Errors


def read_queue_form(params: MultiDict[str], caller: Caller) -> QueueForm:
    errors = Errors()
    states = [s for s in params.getall("status", []) if isinstance(s, str)]
    if any(s not in QUEUE_STATES for s in states):
        errors.add("status", "Choose from the states listed")
        states = [s for s in states if s in QUEUE_STATES]
    department = (params.get("department") or "").strip()
    if department and not _DEPARTMENT.match(department):
        errors.add("department", "Choose a department from the list")
        department = ""
    triager = params.get("triager") or ""
    if triager not in TRIAGER_CHOICES:
        errors.add("triager", "Choose anyone, me or nobody yet")
        triager = ""
    breached = params.get("breached") or ""
    if breached not in BREACHED_CHOICES:
        errors.add("breached", "Choose either, breached or not breached")
        breached = ""
    age_text = (params.get("min_age_days") or "").strip()
    min_age: int | None = None
    if age_text:
        min_age = whole_number(age_text, most_digits=4)
        if min_age is None or min_age > 3650:
            min_age = None
            errors.add("min_age_days", "Enter a whole number of days from 0 to 3650")
    sort = params.get("sort") or "due"
    if sort not in SORT_CHOICES:
        errors.add("sort", "Choose one of the orders listed")
        sort = "due"
    cursor = params.get("cursor") or None
    return QueueForm(
        values={
            "status": states,
            "department": department.upper(),
            "triager": triager,
            "breached": breached,
            "min_age_days": age_text,
            "sort": sort,
        },
        filters=triage.QueueFilters(
            department=department or None,
            triager=caller.id if triager == "me" else None,
            unassigned=triager == "none",
            states=tuple(states),
            breached={"yes": True, "no": False}.get(breached),
            min_age_days=min_age,
            order=cast(triage.QueueOrder, sort),
        ),
        cursor=None if errors else cursor,
        errors=errors,
    )


def reason(form: FormMultiDict, name: str, errors: Errors, *, required: bool) -> str | None:
    """A reason, question or note: blank is missing; at most 5,000 characters."""
    value = form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        if required:
            errors.add(name, MISSING.get(name, f"Enter {LABELS[name].lower()}"))
        return None
    if len(text) > MAX_REASON:
        errors.add(name, f"Write {MAX_REASON:,} characters or fewer")
    elif "\x00" in text:
        errors.add(name, "Remove the character that cannot be stored")
    return text


def choice(form: FormMultiDict, name: str, options: Any, errors: Errors, message: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or value not in options:
        errors.add(name, message)
        return ""
    return value


@dataclass(frozen=True, slots=True)
class ProblemRef:
    """Another problem as a triager names it: its reference (P-2026-00042) or its id."""

    reference: str | None
    id: uuid.UUID | None


def problem_ref(form: FormMultiDict, name: str, errors: Errors) -> ProblemRef | None:
    value = form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        errors.add(name, "Enter the other problem's reference, such as P-2026-00042")
        return None
    if _REFERENCE.match(text):
        return ProblemRef(reference=text.upper(), id=None)
    try:
        return ProblemRef(reference=None, id=uuid.UUID(text))
    except ValueError:
        errors.add(name, "Enter a reference such as P-2026-00042")
        return None


def ratings(form: FormMultiDict, errors: Errors) -> dict[str, Any]:
    """The six ratings (1 to 5) and the effort size, as ``Ratings`` reads them."""
    out: dict[str, Any] = {}
    for criterion in CRITERIA:
        value = choice(
            form, criterion, ("1", "2", "3", "4", "5"), errors, "Choose a rating from 1 to 5"
        )
        if value:
            out[criterion] = int(value)
    effort = choice(form, "effort", EFFORTS, errors, "Choose an effort size")
    if effort:
        out["effort"] = effort
    return out
