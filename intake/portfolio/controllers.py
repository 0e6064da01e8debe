"""Portfolio endpoints for leadership: ``/api/v1/portfolio/...``, now or ``?as_of=``.

Each view takes the filters (``as_of``, ``department``, ``team``, ``from``, ``to``) and
answers through ``View``; it differs from the others only by what this table says.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, Router, get
from litestar.handlers import HTTPRouteHandler
from litestar.types import ControllerRouterHandler

from intake.lib.openapi import AGE, CACHE_CONTROL, ETAG, VARY, errors, not_modified
from intake.portfolio import caching, compliance, distribution, flow, outcomes, risk, schemas
from intake.portfolio import service as portfolio
from intake.portfolio import teams as team_load
from intake.portfolio.export import EXPORT_ROUTES
from intake.portfolio.params import VIEW, View

# name (its path and its ETag's), how it is computed, its body, summary, description
VIEWS: list[tuple[str, caching.Compute, type[msgspec.Struct], str, str]] = [
    (
        "summary",
        portfolio.summary,
        schemas.Summary,
        "Portfolio summary: counts by state, phase, department, team and priority",
        (
            "Submitted problems as they stand now, or `as_of` a past moment (rebuilt from "
            "history). Priority bands: high (score 70+), medium (40-69), low (under 40), "
            "unscored. Leadership and DTI roles see the city; a requester, their department."
        ),
    ),
    (
        "flow",
        flow.flow,
        schemas.Flow,
        "Flow: lead times, time in each state, throughput per month, ageing work",
        (
            "How long things take and how much moves. Lead time in calendar days from submit "
            "to the first decision and to launch (median and 85th percentile: most problems "
            "are faster than p85); time spent in each open state (each problem's stays added "
            "up, clipped at the moment); decisions, launches and closes per calendar month for "
            "the last 12 months; and per open state the problems waiting longest in it. A "
            "leader reads where work piles up and whether the pipeline is speeding up."
        ),
    ),
    (
        "sla",
        compliance.sla,
        schemas.Sla,
        "SLA compliance for first response and decision, by department and triager",
        (
            "Each clock is met (stopped by its due time), breached (stopped late), running, "
            "or running_breached (still open and past due at the moment); `met_pct` is met "
            "over all stopped clocks. A leader reads whether DTI answers departments on time, "
            "and where (which department, which triager) it does not."
        ),
    ),
    (
        "teams",
        team_load.teams,
        schemas.Teams,
        "Teams: active work against WIP limits",
        (
            "Per team: its active work (accepted, discovery, delivery, on hold) against its "
            "work-in-progress limit, free capacity and whether it is over the limit, with the "
            "problems it holds (up to 50 listed per team). `load` counts the team's work "
            "city-wide; `active` and the list, the work in the caller's scope. A leader reads "
            "which teams can take more and which are overloaded."
        ),
    ),
    (
        "outcomes",
        outcomes.outcomes,
        schemas.Outcomes,
        "Outcomes: metrics by state, closed problems by outcome review result",
        (
            "Outcome metrics by derived state at the moment (not_started, improving, "
            "worsening, achieved, missed), closed problems by their review result, and the "
            "metrics most in need of attention (missed and worsening first, up to 25). A "
            "leader reads whether launched work is achieving what it set out to."
        ),
    ),
    (
        "at-risk",
        risk.at_risk,
        schemas.AtRisk,
        "At risk: risky status updates, breached SLAs, slipped or overdue milestones",
        (
            "Work whose latest status update is at_risk or off_track, problems in triage with "
            "an SLA clock past due, and open milestones that slipped or are overdue, each "
            "with its total and up to 100 items. A leader reads what to ask about this week."
        ),
    ),
    (
        "distribution",
        distribution.distribution,
        schemas.Distribution,
        "Distribution of problems and accepted work across departments and communities",
        (
            "Problems submitted, decided and accepted per department (with each department's "
            "share) and per community named in the records (`communities_affected`, as the "
            "record reads today). A leader reads whether DTI serves the city's departments "
            "and communities equitably."
        ),
    ),
]


def _view_route(
    name: str, compute: caching.Compute, body: type[msgspec.Struct], summary: str, description: str
) -> HTTPRouteHandler:
    async def answer(view: View) -> Response[Any]:
        return await view.answer(name, compute)

    answer.__name__ = answer.__qualname__ = name.replace("-", "_")
    answer.__annotations__ = {"view": View, "return": Response[body]}  # type: ignore[valid-type]
    return get(
        f"/{name}",
        summary=summary,
        description=description,
        responses={**errors(403), **not_modified()},
        response_headers=[ETAG, CACHE_CONTROL, VARY, AGE],
    )(answer)


VIEW_ROUTES = Router(
    path="/portfolio",
    tags=["portfolio"],
    dependencies=VIEW,
    route_handlers=[_view_route(*view) for view in VIEWS],
)

ROUTES: list[ControllerRouterHandler] = [VIEW_ROUTES, *EXPORT_ROUTES]
