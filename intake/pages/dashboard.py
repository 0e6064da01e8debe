"""The leadership dashboard's content: the portfolio views as charts, and its filter form.

The views are the API's own (``intake.portfolio``), read through the same kept bodies, so a
dashboard and a program polling ``/api/v1/portfolio/...`` share one computation. This
module turns them into charts (``charts.bar_chart``) and plain sentences; the controller
(``controllers/dashboard.py``) only parses, scopes and renders.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from intake.outcomes.state import STATES as METRIC_STATES
from intake.pages.charts import Category, Chart, Series, bar_chart, days, percent, whole
from intake.pages.words import DELIVERY_PHASES, STATUS_WORDS, UPDATE_STATUSES
from intake.pages.words import RESULTS as RESULT_WORDS
from intake.portfolio import (
    caching,
    compliance,
    distribution,
    flow,
    outcomes,
    risk,
    schemas,
    teams,
)
from intake.portfolio import service as portfolio
from intake.portfolio.scope import Scope, data_version
from intake.vocabulary.states import STATES

# The API's view names: the page and the API share each view's kept bodies.
VIEWS: dict[str, tuple[caching.Compute, type[msgspec.Struct]]] = {
    "summary": (portfolio.summary, schemas.Summary),
    "flow": (flow.flow, schemas.Flow),
    "sla": (compliance.sla, schemas.Sla),
    "teams": (teams.teams, schemas.Teams),
    "outcomes": (outcomes.outcomes, schemas.Outcomes),
    "at-risk": (risk.at_risk, schemas.AtRisk),
    "distribution": (distribution.distribution, schemas.Distribution),
}

# The submitted states as leadership reads them.
STATE_WORDS = {
    **{state: words for state, words in STATUS_WORDS.items() if state != "draft"},
    "needs_info": "Waiting for the department",
}
WORDS = {
    **STATE_WORDS,
    **DELIVERY_PHASES,
    "high": "High (score 70 or more)",
    "medium": "Medium (40 to 69)",
    "low": "Low (under 40)",
    "unscored": "Not scored yet",
    "unassigned": "No team yet",
    "not_started": "Not started",
    "improving": "Improving",
    "worsening": "Worsening",
    "missed": "Missed",
    **RESULT_WORDS,
    **UPDATE_STATUSES,
    "first_response": "first response",
    "decision": "decision",
}
RESULTS = ("achieved", "partially_achieved", "not_achieved", "not_measurable")
PRIORITIES = ("high", "medium", "low", "unscored")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def word(key: str) -> str:
    return WORDS.get(key, key)


# -- the filter form ---------------------------------------------------------------------


@dataclass(slots=True)
class Filters:
    """The dashboard's GET form as typed, and what it means once read."""

    as_of: str = ""
    department: str = ""
    team: str = ""
    date_from: str = ""
    date_to: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # field id -> message

    def query(self, **changes: str) -> str:
        """The filters as a query string (for the CSV link), empty ones left out."""
        values = {
            "as_of": self.as_of,
            "department": self.department,
            "team": self.team,
            "from": self.date_from,
            "to": self.date_to,
            **changes,
        }
        return urlencode({name: value for name, value in values.items() if value})

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def summary(self) -> list[tuple[str, str, str]]:
        return [(name, LABELS[name], message) for name, message in self.errors.items()]


LABELS = {
    "as_of": "As of",
    "department": "Department",
    "team": "Team",
    "date_from": "Submitted from",
    "date_to": "Submitted to",
}
# The API's names for the query parameters (its 422s name them) -> the form's field ids.
FIELD_IDS = {"as_of": "as_of", "department": "department", "team": "team"}
FIELD_IDS |= {"from": "date_from", "to": "date_to"}


@dataclass(frozen=True, slots=True)
class Question:
    """The filters read: what ``scope_for`` takes."""

    as_of: datetime | None
    department: str | None
    team: uuid.UUID | None
    date_from: date | None
    date_to: date | None


def read_filters(filters: Filters, today: date) -> Question | None:
    """The question the form asks, or None with ``filters.errors`` saying what is wrong.

    ``as_of`` is a day: the portfolio as it stood at the end of that day (UTC); today (or
    no day) is now.
    """
    as_of_day = _day(filters, "as_of", filters.as_of)
    if as_of_day is not None and as_of_day > today:
        filters.error("as_of", "The date must be today or in the past")
    team: uuid.UUID | None = None
    if filters.team:
        try:
            team = uuid.UUID(filters.team)
        except ValueError:
            filters.error("team", "Choose a team from the list")
    department = filters.department.strip() or None
    if department is not None and not re.fullmatch(r"[A-Za-z0-9]{1,10}", department):
        filters.error("department", "Choose a department from the list")
    date_from = _day(filters, "date_from", filters.date_from)
    date_to = _day(filters, "date_to", filters.date_to)
    if filters.errors:
        return None
    as_of = None
    if as_of_day is not None and as_of_day < today:
        as_of = datetime.combine(as_of_day + timedelta(days=1), time.min, UTC) - timedelta(
            microseconds=1
        )
    return Question(as_of, department, team, date_from, date_to)


def _day(filters: Filters, name: str, text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        filters.error(name, "Enter a real date, for example 2026-06-30")
        return None


# -- the views -----------------------------------------------------------------------------


async def read_views(
    session: AsyncSession, bodies: caching.ViewBodies, scope: Scope
) -> dict[str, Any]:
    """Every view for the scope, from the bodies kept by ETag (the API's), else computed
    (a view of now may be the body computed last, within the stale window, as the API's)."""
    version = await data_version(session)
    views: dict[str, Any] = {}
    for name, (compute, kind) in VIEWS.items():
        tag = caching.view_etag(name, scope, version)
        body = bodies.get(tag)
        if body is None:
            stale = bodies.stale(name, scope, bodies.stale_seconds)
            if stale is None:
                body = await bodies.compute(session, name, scope, tag, compute)
            else:
                bodies.refresh(name, scope, tag, compute)
                body = stale.body
        views[name] = msgspec.json.decode(body, type=kind)
    return views


COUNT = Series("problems", text="{value}")
NO_CLOCKS = "none stopped"
SUBMITTED = Series("submitted")
ACCEPTED = Series("accepted", style="hatched")


def _counts(
    chart_id: str,
    title: str,
    buckets: list[schemas.Count],
    order: tuple[str, ...] | None,
    label_heading: str,
    what: str,
    labels: dict[str, str] | None = None,
) -> Chart:
    """A chart of one breakdown (``order``: the keys in their natural order, zeros left out)."""
    if order is not None:
        rank = {key: i for i, key in enumerate(order)}
        buckets = sorted(buckets, key=lambda b: rank.get(b.key, len(rank)))
    names = labels or {}
    categories = [
        Category(names.get(b.key, word(b.key) if b.key in WORDS else b.label), [b.count])
        for b in buckets
    ]
    total = sum(b.count for b in buckets)
    if categories:
        most = max(categories, key=lambda c: c.values[0] or 0)
        description = (
            f"{whole(total)} {what} in {len(categories)} "
            f"{'group' if len(categories) == 1 else 'groups'}. "
            f"The largest is {most.label}, with {whole(most.values[0] or 0)}."
        )
    else:
        description = f"There are no {what} to show."
    return bar_chart(chart_id, title, description, categories, [COUNT], label_heading=label_heading)


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    value: str
    link: str  # the section that explains it


def key_figures(views: dict[str, Any]) -> list[Figure]:
    """The few numbers a leader reads first, each linking to its section."""
    summary: schemas.Summary = views["summary"]
    states = {b.key: b.count for b in summary.by_state}
    waiting = sum(states.get(s, 0) for s in ("submitted", "triage", "needs_info"))
    active = sum(states.get(s, 0) for s in ("accepted", "discovery", "delivery", "on_hold"))
    risk: schemas.AtRisk = views["at-risk"]
    sla: schemas.Sla = views["sla"]
    return [
        Figure("submitted problems", whole(summary.total), "#counts"),
        Figure("waiting for a decision", whole(waiting), "#counts"),
        Figure("in discovery or delivery", whole(active), "#teams"),
        Figure("live", whole(states.get("live", 0)), "#outcomes"),
        Figure(
            "at risk",
            whole(risk.updates.total + risk.sla_breaches.total + risk.milestones.total),
            "#at-risk",
        ),
        Figure(
            "decisions on time",
            "none yet" if sla.decision.met_pct is None else percent(sla.decision.met_pct),
            "#sla",
        ),
    ]


def summary_charts(summary: schemas.Summary) -> list[Chart]:
    teams_named = {b.key: (b.label or b.key) for b in summary.by_team}
    teams_named["unassigned"] = word("unassigned")
    return [
        _counts("by-state", "Problems by state", summary.by_state, STATES, "State", "problems"),
        _counts(
            "by-phase",
            "Work in delivery by phase",
            summary.by_phase,
            ("alpha", "beta"),
            "Phase",
            "problems in delivery",
        ),
        _counts(
            "by-priority",
            "Problems by priority",
            summary.by_priority,
            PRIORITIES,
            "Priority",
            "problems",
        ),
        _counts(
            "by-department",
            "Problems by department",
            summary.by_department,
            None,
            "Department",
            "problems",
        ),
        _counts(
            "by-team", "Problems by team", summary.by_team, None, "Team", "problems", teams_named
        ),
    ]


def flow_charts(view: schemas.Flow) -> list[Chart]:
    stays = [s for s in view.time_in_state if s.median_days is not None]
    time_in_state = bar_chart(
        "time-in-state",
        "Median days in each state",
        (
            "How long problems stayed in each state since "
            f"{view.window_start:%-d %B %Y}, each problem's stays added up. "
            + (
                f"The longest median is {word(max(stays, key=_median).state)}: "
                f"{days(_median(max(stays, key=_median)))} days."
                if stays
                else "No problem spent time in a state in this period."
            )
        ),
        [Category(word(s.state), [s.median_days, s.problems]) for s in stays],
        [
            Series("median days", fmt=days, text="{value} days"),
            Series("problems", style="hatched", one="1 problem"),
        ],
        label_heading="State",
    )
    months = view.throughput
    every_month = [
        Category(_month(m.month), [m.decisions, m.launches, m.closes]) for m in reversed(months)
    ]
    totals = [sum(m.decisions for m in months), sum(m.launches for m in months)]
    throughput = bar_chart(
        "throughput",
        "Decisions, launches and closes per month",
        (
            f"The last {len(months)} months: {whole(totals[0])} decisions and "
            f"{whole(totals[1])} launches in all, "
            f"{whole(sum(m.closes for m in months))} closed."
        ),
        [Category(_month(m.month), [m.decisions, m.launches, m.closes]) for m in reversed(months)],
        [
            Series("decisions"),
            Series("launches", style="hatched"),
            Series("closes", style="dotted", text="{value} closed"),
        ],
        label_heading="Month",
        table_categories=every_month,
    )
    return [time_in_state, throughput]


def _median(stay: schemas.StateTime) -> float:
    return stay.median_days or 0.0


def _month(key: str) -> str:
    try:
        return datetime.strptime(key, "%Y-%m").strftime("%B %Y")
    except ValueError:
        return key


def sla_chart(view: schemas.Sla) -> Chart:
    def met(clock: schemas.ClockCompliance) -> float | None:
        return clock.met_pct

    groups = [("All departments", view.first_response, view.decision)] + [
        (g.label, g.first_response, g.decision) for g in view.by_department
    ]
    return bar_chart(
        "sla",
        "SLA met, by department",
        (
            "The share of stopped clocks that stopped in time: first response and decision. "
            f"City-wide, first response {_pct(view.first_response.met_pct)} met and "
            f"decision {_pct(view.decision.met_pct)} met; "
            f"{view.first_response.running_breached + view.decision.running_breached} "
            "running clocks are already past due."
        ),
        [Category(label, [met(first), met(decision)]) for label, first, decision in groups],
        [
            Series("first response met", "solid", percent, "{value} response", NO_CLOCKS),
            Series("decision met", "hatched", percent, "{value} decision", NO_CLOCKS),
        ],
        label_heading="Department",
        maximum=100,
    )


def _pct(value: float | None) -> str:
    return "none" if value is None else percent(value)


def teams_chart(view: schemas.Teams) -> Chart:
    over = [t.name for t in view.teams if t.over_limit]
    return bar_chart(
        "team-load",
        "Team load against work-in-progress limits",
        (
            f"{len(view.teams)} teams. Each bar is a team's active work; the line is its "
            "limit. "
            + (f"Over the limit: {', '.join(over)}. " if over else "No team is over its limit. ")
            + f"{view.unassigned} accepted problems are waiting for a team."
        ),
        [
            Category(
                t.name,
                [t.load],
                limit=t.wip_limit,
                warn=t.over_limit,
                note=(
                    f"over its limit of {t.wip_limit}"
                    if t.over_limit
                    else f"limit {t.wip_limit}, {t.free_capacity} free"
                ),
            )
            for t in view.teams
        ],
        [Series("active", text="{value} active")],
        label_heading="Team",
    )


def outcome_charts(view: schemas.Outcomes) -> list[Chart]:
    return [
        _counts(
            "metrics-by-state",
            "Outcome metrics by state",
            view.metrics_by_state,
            METRIC_STATES,
            "State",
            "outcome metrics",
        ),
        _counts(
            "closed-by-result",
            "Closed problems by outcome",
            view.closed_by_result,
            RESULTS,
            "Outcome",
            "closed problems",
        ),
    ]


def risk_chart(view: schemas.AtRisk) -> Chart:
    categories = [
        Category("Status updates at risk or off track", [view.updates.total]),
        Category("Problems past an SLA due time", [view.sla_breaches.total]),
        Category("Milestones slipped or overdue", [view.milestones.total]),
    ]
    return bar_chart(
        "at-risk",
        "Work at risk",
        (
            f"{view.updates.total} status updates at risk or off track, "
            f"{view.sla_breaches.total} problems past an SLA due time, "
            f"{view.milestones.total} milestones slipped or overdue."
        ),
        categories,
        [Series("items", text="{value}")],
        label_heading="Kind of risk",
    )


def distribution_charts(view: schemas.Distribution) -> list[Chart]:
    def share(rows: Sequence[schemas.DepartmentShare | schemas.CommunityShare]) -> str:
        if not rows:
            return "None to show."
        top = max(rows, key=lambda r: r.submitted)
        return f"The most submitted: {top.label}, {top.submitted} ({top.submitted_pct:.0f}%)."

    return [
        bar_chart(
            "departments",
            "Submitted and accepted, by department",
            f"{view.submitted} problems submitted, {view.accepted} accepted. "
            + share(view.departments),
            [Category(d.label, [d.submitted, d.accepted]) for d in view.departments],
            [SUBMITTED, ACCEPTED],
            label_heading="Department",
        ),
        bar_chart(
            "communities",
            "Submitted and accepted, by community",
            f"{view.communities_total} communities named; {view.no_community} problems name "
            "none. " + share(view.communities),
            [Category(c.label, [c.submitted, c.accepted]) for c in view.communities],
            [SUBMITTED, ACCEPTED],
            label_heading="Community",
        ),
    ]
