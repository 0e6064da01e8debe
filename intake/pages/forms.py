"""The problem form: each field's label and hint in plain words, and reading what was sent.

Values are checked by the API's own schema (``ProblemUpdate``), one field at a time, so the
page can list every field that is wrong, each with a plain-language message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, get_args

import msgspec
from litestar.datastructures import FormMultiDict

from intake.problems import schemas

GROUP_LABELS = {
    "residents": "Residents",
    "businesses": "Businesses",
    "staff": "City staff",
    "nonprofits": "Nonprofits",
    "visitors": "Visitors",
}
URGENCY_LABELS = {
    "legal_mandate": "A law or legal mandate",
    "funding_expiry": "Funding runs out",
    "contract_end": "A contract ends",
    "public_safety": "Public safety",
    "policy_commitment": "A policy commitment",
    "other": "Something else",
}
SENSITIVITY_LABELS = {
    "public": "Public: anyone may see it",
    "internal": "Internal: city staff only",
    "confidential": "Confidential: personal or sensitive details",
    "restricted": "Restricted: protected by law (health, criminal justice, tax)",
}


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    hint: str
    kind: str  # text, textarea, number, date, select, checkboxes, lines, systems, checkbox
    options: dict[str, str] = field(default_factory=dict)
    required_at_submit: bool = False


FIELDS: tuple[Field, ...] = (
    Field(
        "title",
        "Title",
        "A short name for the problem, in your own words.",
        "text",
        required_at_submit=True,
    ),
    Field(
        "problem_statement",
        "What is hard today?",
        "Describe the problem, not a solution. Who struggles, with what, and when?",
        "textarea",
        required_at_submit=True,
    ),
    Field(
        "affected_groups",
        "Who is affected?",
        "Select all that apply.",
        "checkboxes",
        GROUP_LABELS,
        required_at_submit=True,
    ),
    Field(
        "affected_people_per_year",
        "About how many people are affected each year?",
        "A rough number is fine, for example 2400.",
        "number",
        required_at_submit=True,
    ),
    Field(
        "current_process",
        "How does it work today?",
        "The steps people follow now, and the systems or paper they use.",
        "textarea",
        required_at_submit=True,
    ),
    Field("workarounds", "Workarounds", "What people do to get around the problem.", "textarea"),
    Field(
        "impact_staff_hours_per_year",
        "Staff hours lost each year",
        "Give at least one kind of impact: hours, cost, risk or burden on residents.",
        "number",
    ),
    Field(
        "impact_cost_per_year", "Cost each year, in dollars", "Whole dollars, no commas.", "number"
    ),
    Field("impact_risk", "Risk", "What could go wrong if nothing changes.", "textarea"),
    Field(
        "impact_resident_burden",
        "Burden on residents",
        "Trips, calls, waiting, forms: what it costs residents.",
        "textarea",
    ),
    Field("urgency_deadline", "Deadline, if there is one", "For example 2027-06-30.", "date"),
    Field(
        "urgency_reason",
        "Why does the deadline matter?",
        "Needed when you give a deadline.",
        "select",
        URGENCY_LABELS,
    ),
    Field("urgency_notes", "More about the deadline", "Optional.", "textarea"),
    Field(
        "desired_outcome",
        "What would be different if this were solved?",
        "Describe the outcome, not the tool that might get you there.",
        "textarea",
        required_at_submit=True,
    ),
    Field(
        "success_measures",
        "How could we measure success?",
        "For example: median days from request to decision.",
        "textarea",
        required_at_submit=True,
    ),
    Field(
        "systems_involved",
        "Systems involved",
        "One system per line. Add (legacy) after a system due for replacement.",
        "systems",
    ),
    Field(
        "data_sensitivity",
        "How sensitive is the data?",
        "The most sensitive data the problem involves.",
        "select",
        SENSITIVITY_LABELS,
        required_at_submit=True,
    ),
    Field(
        "equity_considerations",
        "Equity considerations",
        "Communities, wards or groups affected more than others.",
        "textarea",
    ),
    Field("communities_affected", "Communities or wards affected", "One per line.", "lines"),
    Field(
        "accessibility_needs",
        "Accessibility needs",
        "For example: screen reader users, people with low vision.",
        "textarea",
    ),
    Field(
        "language_access_needs",
        "Language access needs",
        "Languages residents need the service in.",
        "textarea",
    ),
    Field(
        "restricted",
        "Restricted",
        "Only my department, collaborators, DTI and leadership can see it.",
        "checkbox",
    ),
)
BY_NAME = {f.name: f for f in FIELDS}
# The submit check names impact as one field; the form shows it at the first impact input.
ANCHORS = {"impact": "impact_staff_hours_per_year"}

_PLAIN = {
    "number": "Enter a whole number, like 2400",
    "date": "Enter a date as YYYY-MM-DD, like 2027-06-30",
    "select": "Choose one of the options",
    "checkboxes": "Choose from the options",
}


@dataclass(slots=True)
class FormErrors:
    """Field name -> plain-language message, in the order of the form."""

    messages: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        name = ANCHORS.get(name, name)
        self.messages.setdefault(name, message)

    def summary(self) -> list[tuple[str, str, str]]:
        """(field id, label, message) in the order of the form."""
        order = {f.name: i for i, f in enumerate(FIELDS)}
        names = sorted(self.messages, key=lambda n: order.get(n, len(order)))
        return [(n, BY_NAME[n].label if n in BY_NAME else n, self.messages[n]) for n in names]

    def __bool__(self) -> bool:
        return bool(self.messages)


def raw_values(form: FormMultiDict) -> dict[str, Any]:
    """What the person typed, to show back in the form as it was."""
    values: dict[str, Any] = {}
    for f in FIELDS:
        if f.kind == "checkboxes":
            values[f.name] = [v for v in form.getall(f.name, []) if isinstance(v, str)]
        elif f.kind == "checkbox":
            values[f.name] = form.get(f.name) == "yes"
        else:
            value = form.get(f.name, "")
            values[f.name] = value if isinstance(value, str) else ""
    return values


def _converted(f: Field, raw: Any) -> Any:
    if f.kind == "checkboxes" or f.kind == "checkbox":
        return raw
    text = raw.strip()
    if f.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if f.kind == "systems":
        systems = []
        for line in text.splitlines():
            name = line.strip()
            if not name:
                continue
            legacy = name.lower().endswith("(legacy)")
            if legacy:
                name = name[: -len("(legacy)")].strip()
            systems.append({"name": name, "legacy": legacy})
        return systems
    if not text:
        return None
    if f.kind == "number":
        digits = text.replace(",", "")
        # isdigit() alone admits "²", which int() refuses: only ASCII digits are a number.
        return int(digits) if digits.isascii() and digits.isdigit() else text
    return text


def parse(values: dict[str, Any]) -> tuple[dict[str, Any], FormErrors]:
    """The record the form describes, and every field that is wrong with it."""
    errors = FormErrors()
    record: dict[str, Any] = {}
    for f in FIELDS:
        value = _converted(f, values[f.name])
        try:
            msgspec.convert({f.name: value}, schemas.ProblemUpdate, strict=True)
        except msgspec.ValidationError as error:
            errors.add(f.name, _message(f, str(error)))
            continue
        record[f.name] = value
    if not record.get("title"):
        errors.add("title", "Enter a title of at least 5 characters")
    return record, errors


def _message(f: Field, detail: str) -> str:
    if f.name == "title":
        return "Enter a title between 5 and 200 characters"
    if "length" in detail and f.kind in ("text", "textarea"):
        return "This is too long; shorten it"
    if "NUL" in detail or "\\x00" in detail:
        return "Remove the unusual characters from this answer"
    if "<=" in detail and f.kind == "number":
        return "That number is too large"
    if ">=" in detail and f.kind == "number":
        return "Enter a number of 0 or more"
    return _PLAIN.get(f.kind, "Check this answer")


def form_values(problem: schemas.Problem) -> dict[str, Any]:
    """A saved problem's values, as the form shows them."""
    values: dict[str, Any] = {}
    for f in FIELDS:
        value = getattr(problem, f.name)
        if f.kind in ("checkboxes", "checkbox"):
            values[f.name] = value
        elif f.kind == "lines":
            values[f.name] = "\n".join(value)
        elif f.kind == "systems":
            values[f.name] = "\n".join(s.name + (" (legacy)" if s.legacy else "") for s in value)
        elif isinstance(value, date):
            values[f.name] = value.isoformat()
        else:
            values[f.name] = "" if value is None else str(value)
    return values


def blank_values() -> dict[str, Any]:
    return {
        f.name: [] if f.kind == "checkboxes" else False if f.kind == "checkbox" else ""
        for f in FIELDS
    }


assert set(GROUP_LABELS) == set(get_args(schemas.AffectedGroup))
assert set(URGENCY_LABELS) == set(get_args(schemas.UrgencyReason))
assert set(SENSITIVITY_LABELS) == set(get_args(schemas.DataSensitivity))
