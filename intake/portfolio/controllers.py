"""Portfolio endpoints for leadership: ``/api/v1/portfolio/...``, now or ``?as_of=``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from intake.lib.openapi import (
    AGE,
    API_ERRORS,
    CACHE_CONTROL,
    ETAG,
    VARY,
    errors,
    not_modified,
)
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
from intake.portfolio.export import EXPORT_ROUTES
from intake.portfolio.params import (
    AsOf,
    CacheControl,
    DateFrom,
    DateTo,
    Department,
    IfNoneMatch,
    Team,
)
from intake.portfolio.scope import data_version, scope_for
from intake.web.auth import Caller

VIEW_RESPONSES = {**errors(*API_ERRORS, 403), **not_modified()}
VIEW_HEADERS = [ETAG, CACHE_CONTROL, VARY, AGE]


def provide_view_bodies(state: State) -> caching.ViewBodies:
    """The bodies this process keeps (``app.state.view_bodies``, made with the database)."""
    bodies: caching.ViewBodies = state.view_bodies
    return bodies


async def _view(
    session: AsyncSession,
    caller: Caller,
    bodies: caching.ViewBodies,
    name: str,
    compute: caching.Compute,
    conditions: tuple[str | None, str | None],
    **query: Any,
) -> Response[Any]:
    """The view's body with its ETag and Cache-Control; 304 when the client has it.

    ``conditions`` is the request's If-None-Match and Cache-Control. A current view whose
    data changed since it was last computed answers with that body while it is at most
    ``bodies.stale_seconds`` old (and the request's Cache-Control accepts it), with an
    ``Age`` header, and is computed again in the background.

    ``query`` is the parameters every view takes (``scope_for`` checks them). They are
    declared on each handler rather than in a shared dependency: Litestar parses a
    dependency's parameters while resolving dependencies, and a bad value there would skip
    closing the request's database session.
    """
    if_none_match, cache_control = conditions
    scope = await scope_for(session, caller, **query)
    tag = caching.view_etag(name, scope, await data_version(session))
    headers = {"ETag": tag, "Cache-Control": caching.cache_control(scope), "Vary": "Authorization"}
    if caching.not_modified(if_none_match, tag):
        return Response(b"", status_code=304, headers=headers)
    body = bodies.get(tag)
    if body is None:
        accepted = caching.accepted_age(cache_control, bodies.stale_seconds)
        stale = bodies.stale(name, scope, accepted)
        if stale is None:
            body = await bodies.compute(session, name, scope, tag, compute)
        else:
            bodies.refresh(name, scope, tag, compute)
            headers |= {"ETag": stale.tag, "Age": str(stale.age)}
            if caching.not_modified(if_none_match, stale.tag):
                return Response(b"", status_code=304, headers=headers)
            body = stale.body
    return Response(body, headers=headers, media_type="application/json")


class PortfolioController(Controller):
    """Leadership views. Each takes ``as_of``, ``department``, ``team``, ``from`` and ``to``."""

    path = "/portfolio"
    tags = ["portfolio"]
    dependencies = {"bodies": Provide(provide_view_bodies, sync_to_thread=False)}

    @get(
        "/summary",
        summary="Portfolio summary: counts by state, phase, department, team and priority",
        description=(
            "Submitted problems as they stand now, or `as_of` a past moment (rebuilt from "
            "history). Priority bands: high (score 70+), medium (40-69), low (under 40), "
            "unscored. Leadership and DTI roles see the city; a requester, their department."
        ),
        responses=VIEW_RESPONSES,
        response_headers=VIEW_HEADERS,
    )
    async def summary(
        self,
        caller: Caller,
        read_session: AsyncSession,
        bodies: caching.ViewBodies,
        as_of: AsOf = None,
        department: Department = None,
        team: Team = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        if_none_match: IfNoneMatch = None,
        cache_control: CacheControl = None,
    ) -> Response[schemas.Summary]:
        return await _view(
            read_session,
            caller,
            bodies,
            "summary",
            portfolio.summary,
            (if_none_match, cache_control),
            as_of=as_of,
            department=department,
            team=team,
            date_from=date_from,
            date_to=date_to,
        )

    @get(
        "/flow",
        summary="Flow: lead times, time in each state, throughput per month, ageing work",
        description=(
            "How long things take and how much moves. Lead time in calendar days from submit "
            "to the first decision and to launch (median and 85th percentile: most problems "
            "are faster than p85); time spent in each open state (each problem's stays added "
            "up, clipped at the moment); decisions, launches and closes per calendar month for "
            "the last 12 months; and per open state the problems waiting longest in it. A "
            "leader reads where work piles up and whether the pipeline is speeding up."
        ),
        responses=VIEW_RESPONSES,
        response_headers=VIEW_HEADERS,
    )
    async def flow(
        self,
        caller: Caller,
        read_session: AsyncSession,
        bodies: caching.ViewBodies,
        as_of: AsOf = None,
        department: Department = None,
        team: Team = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        if_none_match: IfNoneMatch = None,
        cache_control: CacheControl = None,
    ) -> Response[schemas.Flow]:
        return await _view(
            read_session,
            caller,
            bodies,
            "flow",
            flow.flow,
            (if_none_match, cache_control),
            as_of=as_of,
            department=department,
            team=team,
            date_from=date_from,
            date_to=date_to,
        )

    @get(
        "/sla",
        summary="SLA compliance for first response and decision, by department and triager",
        description=(
            "Each clock is met (stopped by its due time), breached (stopped late), running, "
            "or running_breached (still open and past due at the moment); `met_pct` is met "
            "over all stopped clocks. A leader reads whether DTI answers departments on time, "
            "and where (which department, which triager) it does not."
        ),
        responses=VIEW_RESPONSES,
        response_headers=VIEW_HEADERS,
    )
    async def sla(
        self,
        caller: Caller,
        read_session: AsyncSession,
        bodies: caching.ViewBodies,
        as_of: AsOf = None,
        department: Department = None,
        team: Team = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        if_none_match: IfNoneMatch = None,
        cache_control: CacheControl = None,
    ) -> Response[schemas.Sla]:
        return await _view(
            read_session,
            caller,
            bodies,
            "sla",
            compliance.sla,
            (if_none_match, cache_control),
            as_of=as_of,
            department=department,
            team=team,
            date_from=date_from,
            date_to=date_to,
        )

    @get(
        "/teams",
        summary="Teams: active work against WIP limits",
        description=(
            "Per team: its active work (accepted, discovery, delivery, on hold) against its "
            "work-in-progress limit, free capacity and whether it is over the limit, with the "
            "problems it holds (up to 50 listed per team). `load` counts the team's work "
            "city-wide; `active` and the list, the work in the caller's scope. A leader reads "
            "which teams can take more and which are overloaded."
        ),
        responses=VIEW_RESPONSES,
        response_headers=VIEW_HEADERS,
    )
    async def teams(
        self,
        caller: Caller,
        read_session: AsyncSession,
        bodies: caching.ViewBodies,
        as_of: AsOf = None,
        department: Department = None,
        team: Team = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        if_none_match: IfNoneMatch = None,
        cache_control: CacheControl = None,
    ) -> Response[schemas.Teams]:
        return await _view(
            read_session,
            caller,
            bodies,
            "teams",
            teams.teams,
            (if_none_match, cache_control),
            as_of=as_of,
            department=department,
            team=team,
            date_from=date_from,
            date_to=date_to,
        )

    @get(
        "/outcomes",
        summary="Outcomes: metrics by state, closed problems by outcome review result",
        description=(
            "Outcome metrics by derived state at the moment (not_started, improving, "
            "worsening, achieved, missed), closed problems by their review result, and the "
            "metrics most in need of attention (missed and worsening first, up to 25). A "
            "leader reads whether launched work is achieving what it set out to."
        ),
        responses=VIEW_RESPONSES,
        response_headers=VIEW_HEADERS,
    )
    async def outcomes(
        self,
        caller: Caller,
        read_session: AsyncSession,
        bodies: caching.ViewBodies,
        as_of: AsOf = None,
        department: Department = None,
        team: Team = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        if_none_match: IfNoneMatch = None,
        cache_control: CacheControl = None,
    ) -> Response[schemas.Outcomes]:
        return await _view(
            read_session,
            caller,
            bodies,
            "outcomes",
            outcomes.outcomes,
            (if_none_match, cache_control),
            as_of=as_of,
            department=department,
            team=team,
            date_from=date_from,
            date_to=date_to,
        )

    @get(
        "/at-risk",
        summary="At risk: risky status updates, breached SLAs, slipped or overdue milestones",
        description=(
            "Work whose latest status update is at_risk or off_track, problems in triage with "
            "an SLA clock past due, and open milestones that slipped or are overdue, each "
            "with its total and up to 100 items. A leader reads what to ask about this week."
        ),
        responses=VIEW_RESPONSES,
        response_headers=VIEW_HEADERS,
    )
    async def at_risk(
        self,
        caller: Caller,
        read_session: AsyncSession,
        bodies: caching.ViewBodies,
        as_of: AsOf = None,
        department: Department = None,
        team: Team = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        if_none_match: IfNoneMatch = None,
        cache_control: CacheControl = None,
    ) -> Response[schemas.AtRisk]:
        return await _view(
            read_session,
            caller,
            bodies,
            "at-risk",
            risk.at_risk,
            (if_none_match, cache_control),
            as_of=as_of,
            department=department,
            team=team,
            date_from=date_from,
            date_to=date_to,
        )

    @get(
        "/distribution",
        summary="Distribution of problems and accepted work across departments and communities",
        description=(
            "Problems submitted, decided and accepted per department (with each department's "
            "share) and per community named in the records (`communities_affected`, as the "
            "record reads today). A leader reads whether DTI serves the city's departments "
            "and communities equitably."
        ),
        responses=VIEW_RESPONSES,
        response_headers=VIEW_HEADERS,
    )
    async def distribution(
        self,
        caller: Caller,
        read_session: AsyncSession,
        bodies: caching.ViewBodies,
        as_of: AsOf = None,
        department: Department = None,
        team: Team = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        if_none_match: IfNoneMatch = None,
        cache_control: CacheControl = None,
    ) -> Response[schemas.Distribution]:
        return await _view(
            read_session,
            caller,
            bodies,
            "distribution",
            distribution.distribution,
            (if_none_match, cache_control),
            as_of=as_of,
            department=department,
            team=team,
            date_from=date_from,
            date_to=date_to,
        )


ROUTES: list[type[Controller]] = [PortfolioController, *EXPORT_ROUTES]
