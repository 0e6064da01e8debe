"""Portfolio endpoints for leadership: ``/api/v1/portfolio/...``, now or ``?as_of=``."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get
from litestar.params import HeaderParameter, Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from intake.lib.auth import Caller
from intake.lib.openapi import API_ERRORS, errors
from intake.portfolio import caching, schemas
from intake.portfolio import service as portfolio
from intake.portfolio.scope import Scope, data_version, scope_for

AsOf = Annotated[
    datetime | None,
    Parameter(
        description="Answer as the portfolio stood at this moment (RFC 3339), rebuilt from "
        "history. Omit for now."
    ),
]
Department = Annotated[
    str | None, Parameter(pattern=r"^[A-Za-z0-9]{1,10}$", description="A department code.")
]
Team = Annotated[uuid.UUID | None, Parameter(description="A team id.")]
DateFrom = Annotated[
    date | None, QueryParameter(name="from", description="Problems submitted on or after this day.")
]
DateTo = Annotated[
    date | None, QueryParameter(name="to", description="Problems submitted on or before this day.")
]
IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(name="If-None-Match", description="The ETag you have; 304 if unchanged."),
]
VIEW_ERRORS = errors(*API_ERRORS, 403)

_bodies = caching.RecentBodies()


async def _view(
    session: AsyncSession,
    scope: Scope,
    name: str,
    if_none_match: str | None,
    compute: Callable[[AsyncSession, Scope], Awaitable[msgspec.Struct]],
) -> Response[Any]:
    """The view's body with its ETag and Cache-Control; 304 when the client has it."""
    tag = caching.view_etag(name, scope, await data_version(session))
    headers = {"ETag": tag, "Cache-Control": caching.cache_control(scope), "Vary": "Authorization"}
    if caching.not_modified(if_none_match, tag):
        return Response(b"", status_code=304, headers=headers)
    body = _bodies.get(tag)
    if body is None:
        body = msgspec.json.encode(await compute(session, scope))
        _bodies.put(tag, body)
    return Response(body, headers=headers, media_type="application/json")


class PortfolioController(Controller):
    path = "/portfolio"
    tags = ["portfolio"]

    @get(
        "/summary",
        summary="Portfolio summary: counts by state, phase, department, team and priority",
        description=(
            "Submitted problems as they stand now, or `as_of` a past moment (rebuilt from "
            "history). Priority bands: high (score 70+), medium (40-69), low (under 40), "
            "unscored. Leadership and DTI roles see the city; a requester, their department."
        ),
        responses=VIEW_ERRORS,
        response_model=schemas.Summary,
    )
    async def summary(
        self,
        caller: Caller,
        db_session: AsyncSession,
        as_of: AsOf = None,
        department: Department = None,
        team: Team = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        if_none_match: IfNoneMatch = None,
    ) -> Response[Any]:
        scope = await scope_for(
            db_session,
            caller,
            as_of=as_of,
            department=department,
            team=team,
            date_from=date_from,
            date_to=date_to,
        )
        return await _view(db_session, scope, "summary", if_none_match, portfolio.summary)


ROUTES: list[type[Controller]] = [PortfolioController]
