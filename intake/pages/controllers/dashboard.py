"""Leadership's dashboard: the portfolio views as charts, as of any day, filtered, and the
CSV download of the same snapshot. Whoever may read ``/api/v1/portfolio`` may read it, with
the same reach: the whole city for leadership and DTI roles, a requester's own department
(another department is a 403 page, as in the API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from intake.pages import dashboard, paging
from intake.pages.deps import Caller, ValidationFailed, provide_read_session, utcnow
from intake.pages.rendering import render
from intake.portfolio import export
from intake.portfolio.scope import Scope, scope_for
from intake.registry import service as registry

# Read as typed: ``dashboard.read_filters`` says what is wrong with each, in the form.
Text = Annotated[str, QueryParameter(required=False)]
From = Annotated[str, QueryParameter(name="from", required=False)]
To = Annotated[str, QueryParameter(name="to", required=False)]


async def _scope(session: AsyncSession, caller: Caller, filters: dashboard.Filters) -> Scope | None:
    """The portfolio question the filters ask, or None with the form's errors set.
    Another department for a requester is Forbidden, raised: a 403 page."""
    question = dashboard.read_filters(filters, utcnow().date())
    if question is None:
        return None
    try:
        return await scope_for(
            session,
            caller,
            as_of=question.as_of,
            department=question.department,
            team=question.team,
            date_from=question.date_from,
            date_to=question.date_to,
        )
    except ValidationFailed as error:
        for problem in error.errors:
            name = dashboard.FIELD_IDS.get(problem.field, "as_of")
            filters.error(name, _plain(problem.message))
        return None


def _plain(message: str) -> str:
    if message.startswith("No department"):
        return "Choose a department from the list"
    if message.startswith("No team"):
        return "Choose a team from the list"
    if "after `to`" in message:
        return "The first day must be on or before the last day"
    return message


@dataclass(slots=True)
class Asked:
    """What the dashboard is asked: the filters as typed and the snapshot they ask for
    (None when they cannot be read; the filter form then says why)."""

    request: Request[Any, Any, Any]
    session: AsyncSession
    caller: Caller
    filters: dashboard.Filters
    scope: Scope | None

    async def form(self) -> dict[str, Any]:
        """What the filter form offers: departments (the whole city's, for those who see
        it) and teams."""
        session = self.session
        departments = await paging.every(
            lambda cursor, limit: registry.list_departments(session, cursor=cursor, limit=limit)
        )
        teams = await paging.every(
            lambda cursor, limit: registry.list_teams(session, cursor=cursor, limit=limit)
        )
        whole_city = self.caller.sees_everything_submitted
        return {
            "filters": self.filters,
            "departments": departments if whole_city else [],
            "teams": teams,
            "whole_city": whole_city,
        }

    async def mistaken(self) -> Any:
        """The dashboard with only its filter form, saying what is wrong with the filters."""
        context = await self.form()
        return render(self.request, "dashboard.html", 422, title="Portfolio", **context)


async def provide_asked(
    request: Request[Any, Any, Any],
    read_session: AsyncSession,
    caller: Caller,
    as_of: Text = "",
    department: Text = "",
    team: Text = "",
    date_from: From = "",
    date_to: To = "",
) -> Asked:
    filters = dashboard.Filters(as_of, department, team, date_from, date_to)
    scope = await _scope(read_session, caller, filters)
    return Asked(request, read_session, caller, filters, scope)


class DashboardPages(Controller):
    path = "/"
    include_in_schema = False
    dependencies = {
        "read_session": Provide(provide_read_session),
        "asked": Provide(provide_asked),
    }

    @get("/dashboard")
    async def dashboard_page(self, asked: Asked, state: State) -> Any:
        if asked.scope is None:
            return await asked.mistaken()
        views = await dashboard.read_views(asked.session, state.view_bodies, asked.scope)
        return render(
            asked.request,
            "dashboard.html",
            title="Portfolio",
            scope=asked.scope,
            views=views,
            figures=dashboard.key_figures(views),
            summary_charts=dashboard.summary_charts(views["summary"]),
            flow_charts=dashboard.flow_charts(views["flow"]),
            sla_chart=dashboard.sla_chart(views["sla"]),
            teams_chart=dashboard.teams_chart(views["teams"]),
            outcome_charts=dashboard.outcome_charts(views["outcomes"]),
            risk_chart=dashboard.risk_chart(views["at-risk"]),
            distribution_charts=dashboard.distribution_charts(views["distribution"]),
            word=dashboard.word,
            **await asked.form(),
        )

    @get("/dashboard/export.csv", media_type="text/csv")
    async def download(self, asked: Asked, state: State) -> Any:
        """The API's export (``intake.portfolio.export``) for the dashboard's filters; with
        mistakes in them, the dashboard says what they are."""
        if asked.scope is None:
            return await asked.mistaken()
        body = export.csv_stream(state.reads.session, export.export_query(asked.scope))
        return Stream(
            body,
            media_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{export.filename(asked.scope)}"',
            },
            background=BackgroundTask(body.aclose),
        )
