"""The workspace's forms: each field's label and hint in plain words, and reading what was
sent into the values the discovery, delivery and outcome services take.

Every field is checked on its own, so a form with several mistakes lists all of them; the
bounds are the API schemas' own (``intake.discovery.schemas``, ``intake.delivery.schemas``,
``intake.outcomes.schemas``). A rule only a service knows (a target on the wrong side of the
baseline, an owner who cannot see the problem) comes back as its ``FieldError``, which
``field_of`` places on the form's field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from litestar.datastructures import FormMultiDict

from intake.pages.words import RESULTS, UPDATE_STATUSES

FINDING_KINDS = {
    "insight": "Insight: something learned about the problem",
    "pain_point": "Pain point: where people struggle",
    "constraint": "Constraint: a limit the work must respect",
    "opportunity": "Opportunity: something that could make it better",
    "decision": "Decision: a choice the team made, and why",
}
KIND_WORDS = {
    "insight": "Insight",
    "pain_point": "Pain point",
    "journey_step": "Journey step",
    "constraint": "Constraint",
    "opportunity": "Opportunity",
    "decision": "Decision",
}
PHASES = {
    "alpha": "Alpha: try out the riskiest ideas",
    "beta": "Beta: a real service, still improving",
}
DIRECTIONS = {"increase": "Higher is better", "decrease": "Lower is better"}
METRIC_STATES = {
    "not_started": "Not measured yet",
    "improving": "Improving",
    "worsening": "Not improving",
    "achieved": "Achieved",
    "missed": "Missed",
}
MILESTONE_STATES = {
    "done": "Done",
    "done_late": "Done late",
    "overdue": "Overdue",
    "upcoming": "Upcoming",
}
# The bounds of the outcome schemas' Number: finite, and well inside what a double holds.
NUMBER_LIMIT = 1e15


@dataclass(frozen=True, slots=True)
class Spec:
    """One field: ``kind`` is text, textarea, date, number, select or radios."""

    name: str
    label: str
    hint: str
    kind: str = "text"
    required: bool = False
    max_length: int = 200
    options: dict[str, str] = field(default_factory=dict)


def _evidence() -> tuple[Spec, ...]:
    return (
        Spec(
            "source",
            "Evidence: where it comes from",
            "For example: interview with permit clerks, or the 2026 call log.",
            required=True,
            max_length=500,
        ),
        Spec("evidence_date", "Evidence: date", "For example 2026-11-30.", "date", True),
        Spec(
            "who",
            "Evidence: who gave it",
            "A person, a group or a team, for example: permit desk staff.",
            required=True,
        ),
    )


_NOTE = Spec("reason", "Note for the history", "Optional.", "textarea", max_length=5000)
FORMS: dict[str, tuple[Spec, ...]] = {
    "start-discovery": (_NOTE,),
    "start-delivery": (
        Spec(
            "phase",
            "Which phase?",
            "Delivery moves forward only: alpha, then beta.",
            "radios",
            True,
            options=PHASES,
        ),
        _NOTE,
    ),
    "launch": (_NOTE,),
    "close": (
        Spec(
            "result",
            "Was the outcome achieved?",
            "Compare with the outcome metrics.",
            "radios",
            True,
            options=RESULTS,
        ),
        Spec(
            "summary", "Summary", "What changed for the people affected.", "textarea", True, 20000
        ),
        Spec("lessons", "Lessons", "What the next team should know.", "textarea", True, 20000),
    ),
    "finding": (
        Spec("kind", "Kind of finding", "", "radios", True, options=FINDING_KINDS),
        Spec("title", "Finding", "One sentence, in plain words.", required=True),
        Spec("detail", "Detail", "Optional.", "textarea", max_length=20000),
        Spec(
            "step",
            "Where in the journey?",
            "For a pain point: the step where people meet it.",
            "select",
        ),
        *_evidence(),
    ),
    "step": (
        Spec(
            "title",
            "Step",
            "What people do at this step, for example: mail the paper form.",
            required=True,
        ),
        Spec("detail", "Detail", "Optional.", "textarea", max_length=20000),
        *_evidence(),
    ),
    "place": (
        Spec("step", "Step", "The journey step where people meet this pain point.", "select"),
    ),
    "milestone": (
        Spec(
            "title",
            "Milestone",
            "What will be true, for example: beta open in Ward 3.",
            required=True,
        ),
        Spec("target_date", "Target date", "For example 2027-03-31.", "date", True),
        Spec("description", "Description", "Optional.", "textarea", max_length=5000),
    ),
    "slip": (
        Spec("target_date", "New target date", "For example 2027-04-30.", "date", True),
        Spec("reason", "Why it moved", "Leadership reads this.", "textarea", max_length=5000),
    ),
    "done": (
        Spec("done_on", "Done on", "Today or earlier, for example 2026-12-07.", "date", True),
    ),
    "update": (
        Spec("status", "How is the work going?", "", "radios", True, options=UPDATE_STATUSES),
        Spec(
            "summary",
            "Summary",
            "A few sentences leadership can read on their own.",
            "textarea",
            True,
            5000,
        ),
    ),
    "metric": (
        Spec("name", "Metric", "For example: median days from request to decision.", required=True),
        Spec("unit", "Unit", "For example: days, %, calls.", required=True, max_length=40),
        Spec("direction", "Which way is better?", "", "radios", True, options=DIRECTIONS),
        Spec("baseline", "Baseline", "The value before the work, for example 31.", "number", True),
        Spec("target", "Target", "The value that means success, for example 5.", "number", True),
        Spec("target_date", "Target date", "For example 2027-06-30.", "date", True),
        Spec(
            "owner_email",
            "Owner's e-mail",
            "Optional. The owner may record measurements.",
            max_length=320,
        ),
        Spec("review_date", "Review date", "Optional. When to look at it again.", "date"),
    ),
    "measure": (
        Spec("value", "Value", "A number, for example 12.5.", "number", True),
        Spec(
            "measured_on", "Measured on", "Today or earlier, for example 2026-12-07.", "date", True
        ),
        Spec("note", "Note", "Optional.", "textarea", max_length=2000),
    ),
}
# Changing what was recorded (intake/pages/controllers/work_changes.py): a finding's and a
# milestone's words, a metric's whole definition (an empty owner takes the owner away).
FORMS["edit-finding"] = tuple(s for s in FORMS["finding"] if s.name in ("title", "detail"))
FORMS["edit-milestone"] = tuple(s for s in FORMS["milestone"] if s.name != "target_date")
FORMS["edit-metric"] = tuple(
    Spec(s.name, s.label, "Optional. Leave it empty for no owner.", s.kind, max_length=320)
    if s.name == "owner_email"
    else s
    for s in FORMS["metric"]
)
# Where a service's FieldError lands on a form, when its name differs from the field's.
_SERVICE_FIELDS = {
    "evidence[0].source": "source",
    "evidence[0].date": "evidence_date",
    "evidence[0].who": "who",
    "journey_step_id": "step",
}


@dataclass(slots=True)
class Filled:
    """A form as sent: what was typed (to show back), the values read, and what is wrong."""

    form: str
    typed: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # The form's id on the page (a milestone's or metric's own forms carry its id).
    anchor: str = ""

    def summary(self) -> list[tuple[str, str, str]]:
        """(field id, label, message) in the order of the form."""
        labels = {spec.name: spec.label for spec in FORMS[self.form]}
        return [
            (f"{self.anchor}-{name}", labels.get(name, "This form"), message)
            for name, message in sorted(self.errors.items(), key=lambda i: _order(self.form, i[0]))
        ]

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


def _order(form: str, name: str) -> int:
    names = [spec.name for spec in FORMS[form]]
    return names.index(name) if name in names else len(names)


def field_of(form: str, service_field: str) -> str:
    """The form's field a service's FieldError names (the first field when none fits)."""
    name = _SERVICE_FIELDS.get(service_field, service_field)
    names = [spec.name for spec in FORMS[form]]
    return name if name in names else names[0]


def read(form: str, sent: FormMultiDict, anchor: str | None = None, **limits: Any) -> Filled:
    """Read and check one form; ``limits`` may narrow a field's options (``phase=[...]``)."""
    typed = {}
    for spec in FORMS[form]:
        value = sent.get(spec.name, "")
        typed[spec.name] = value if isinstance(value, str) else ""
    filled = Filled(form=form, typed=typed, anchor=anchor or form)
    for spec in FORMS[form]:
        text = typed[spec.name].strip()
        if "\x00" in text:
            filled.add(spec.name, "Remove the unusual characters from this answer")
            continue
        if not text:
            if spec.required:
                filled.add(spec.name, _missing(spec))
            else:
                filled.values[spec.name] = None
            continue
        allowed = limits.get(spec.name) or spec.options or None
        if spec.kind in ("select", "radios") and allowed is not None and text not in allowed:
            filled.add(spec.name, "Choose one of the options")
        elif spec.kind == "date":
            try:
                filled.values[spec.name] = date.fromisoformat(text)
            except ValueError:
                filled.add(spec.name, "Enter a date as YYYY-MM-DD, like 2027-06-30")
        elif spec.kind == "number":
            number = _number(text)
            if number is None:
                filled.add(spec.name, "Enter a number, like 12 or 12.5")
            else:
                filled.values[spec.name] = number
        elif len(text) > spec.max_length:
            filled.add(spec.name, f"This is too long; use at most {spec.max_length:,} characters")
        else:
            filled.values[spec.name] = text
    return filled


def _number(text: str) -> float | None:
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return None
    if not math.isfinite(number) or abs(number) > NUMBER_LIMIT:
        return None
    return number


def _missing(spec: Spec) -> str:
    if spec.kind in ("select", "radios"):
        return f"Choose: {spec.label.rstrip('?').lower()}"
    if spec.kind == "date":
        return f"Enter the {spec.label.lower().removeprefix('evidence: ')}"
    return f"Enter {spec.label.lower().removeprefix('evidence: ')}"


def evidence(values: dict[str, Any]) -> list[dict[str, Any]]:
    """The one piece of evidence a finding form carries, as the schema takes it."""
    return [{"source": values["source"], "date": values["evidence_date"], "who": values["who"]}]
