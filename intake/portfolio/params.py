"""What every portfolio endpoint takes (the views and the export): the filters, checked into
a ``Scope`` by one dependency, and for the views the conditional-request headers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import HeaderParameter, Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from intake.portfolio import caching
from intake.portfolio.scope import Scope, data_version, scope_for
from intake.web.auth import Caller

# The moments and days scope_for accepts (scope.EARLIEST to scope.LATEST_DAY), for the
# schema: as_of from 1970 (and not in the future), from/to from 1970-01-01 to 9998-12-31.
AS_OF_PATTERN = r"^(19[7-9][0-9]|[2-9][0-9]{3})-"
DAY_PATTERN = r"^(19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-"

AsOf = Annotated[
    datetime | None,
    Parameter(
        description="Answer as the portfolio stood at this moment (RFC 3339 with an offset, "
        "1970 or later, not in the future), rebuilt from history. Omit for now.",
        schema_extra={"pattern": AS_OF_PATTERN},
    ),
]
Department = Annotated[
    str | None, Parameter(pattern=r"^[A-Za-z0-9]{1,10}$", description="A department code.")
]
Team = Annotated[uuid.UUID | None, Parameter(description="A team id.")]
DateFrom = Annotated[
    date | None,
    QueryParameter(
        name="from",
        description="Problems submitted on or after this day (1970-01-01 to 9998-12-31).",
        schema_extra={"pattern": DAY_PATTERN},
    ),
]
DateTo = Annotated[
    date | None,
    QueryParameter(
        name="to",
        description="Problems submitted on or before this day (1970-01-01 to 9998-12-31, "
        "not before `from`).",
        schema_extra={"pattern": DAY_PATTERN},
    ),
]
IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(name="If-None-Match", description="The ETag you have; 304 if unchanged."),
]
CacheControl = Annotated[
    str | None,
    HeaderParameter(
        name="Cache-Control",
        description="`no-cache` (or `max-age=0`) for a body computed now, not one up to "
        "INTAKE_PORTFOLIO_STALE_SECONDS old; `max-age=N` accepts one up to N seconds old.",
    ),
]


async def provide_view_scope(
    read_session: AsyncSession,
    caller: Caller,
    as_of: AsOf = None,
    department: Department = None,
    team: Team = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Scope:
    """The filters every portfolio endpoint takes, checked against the caller's reach."""
    return await scope_for(
        read_session,
        caller,
        as_of=as_of,
        department=department,
        team=team,
        date_from=date_from,
        date_to=date_to,
    )


@dataclass(slots=True)
class View:
    """One request for a portfolio view: its scope, where it reads, what the client holds."""

    session: AsyncSession
    scope: Scope
    bodies: caching.ViewBodies
    if_none_match: str | None
    cache_control: str | None

    async def answer(self, name: str, compute: caching.Compute) -> Response[Any]:
        """The view's body with its ETag and Cache-Control; 304 when the client has it.

        A current view whose data changed since it was last computed answers with that body
        while it is at most ``bodies.stale_seconds`` old (and the request's Cache-Control
        accepts it), with an ``Age`` header, and is computed again in the background.
        """
        scope, bodies = self.scope, self.bodies
        tag = caching.view_etag(name, scope, await data_version(self.session))
        headers = {
            "ETag": tag,
            "Cache-Control": caching.cache_control(scope),
            "Vary": "Authorization",
        }
        if caching.not_modified(self.if_none_match, tag):
            return Response(b"", status_code=304, headers=headers)
        body = bodies.get(tag)
        if body is None:
            accepted = caching.accepted_age(self.cache_control, bodies.stale_seconds)
            stale = bodies.stale(name, scope, accepted)
            if stale is None:
                body = await bodies.compute(self.session, name, scope, tag, compute)
            else:
                bodies.refresh(name, scope, tag, compute)
                headers |= {"ETag": stale.tag, "Age": str(stale.age)}
                if caching.not_modified(self.if_none_match, stale.tag):
                    return Response(b"", status_code=304, headers=headers)
                body = stale.body
        return Response(body, headers=headers, media_type="application/json")


def provide_view(
    state: State,
    read_session: AsyncSession,
    view_scope: Scope,
    if_none_match: IfNoneMatch = None,
    cache_control: CacheControl = None,
) -> View:
    bodies: caching.ViewBodies = state.view_bodies  # made with the database
    return View(read_session, view_scope, bodies, if_none_match, cache_control)


SCOPE = {"view_scope": Provide(provide_view_scope)}
VIEW = {**SCOPE, "view": Provide(provide_view, sync_to_thread=False)}
