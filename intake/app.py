"""create_app(settings, database_url) -> Litestar: plugins, routers and the error mapping."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, get_args

from litestar import Controller, Litestar, Request, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from sqlalchemy.ext.asyncio import AsyncSession

from intake import __version__
from intake.collaboration import schemas as collaboration
from intake.collaboration.controllers import ROUTES as COLLABORATION_ROUTES
from intake.config import Settings
from intake.db import migrate
from intake.db.session import create_engine, create_sessionmaker, transaction
from intake.delivery import schemas as delivery
from intake.delivery.controllers import ROUTES as DELIVERY_ROUTES
from intake.discovery import schemas as discovery
from intake.discovery.controllers import ROUTES as DISCOVERY_ROUTES
from intake.feed.controllers import ROUTES as FEED_ROUTES
from intake.health.controllers import HealthController
from intake.lib import background
from intake.lib.auth import BearerTokenMiddleware, Caller, create_verifier, load_caller
from intake.lib.errors import problem_response
from intake.lib.methods import answer_options
from intake.lib.openapi import StrictInputSchemaPlugin
from intake.lib.openapi_document import CompletedDocument, CompletedJson, OfflineSwagger
from intake.lib.ratelimit import rate_limit
from intake.lib.request import IntakeRequest
from intake.mail import delivery as mail_delivery
from intake.notifications import schemas as notifications
from intake.notifications.controllers import ROUTES as NOTIFICATION_ROUTES
from intake.outcomes import state as outcomes
from intake.outcomes.controllers import ROUTES as OUTCOME_ROUTES
from intake.portfolio.caching import ViewBodies
from intake.portfolio.controllers import ROUTES as PORTFOLIO_ROUTES
from intake.problems import events, lifecycle
from intake.problems import schemas as problems
from intake.problems.controllers import ProblemController
from intake.registry import schemas as registry
from intake.registry.controllers import (
    DepartmentController,
    MeController,
    PeopleController,
    TeamController,
)
from intake.triage import breaches, scoring
from intake.triage.controllers import (
    PolicyController,
    ProblemTriageController,
    TriageActionController,
    TriageQueueController,
)
from intake.pages.routes import page_routers, template_config
from intake.webhooks import delivery as webhook_delivery
from intake.webhooks.controllers import ROUTES as WEBHOOK_ROUTES

API_CONTROLLERS: list[type[Controller]] = [
    MeController,
    DepartmentController,
    PeopleController,
    TeamController,
    ProblemController,
    TriageActionController,
    TriageQueueController,
    ProblemTriageController,
    PolicyController,
    *DELIVERY_ROUTES,
    *DISCOVERY_ROUTES,
    *OUTCOME_ROUTES,
    *COLLABORATION_ROUTES,
    *NOTIFICATION_ROUTES,
    *PORTFOLIO_ROUTES,
    *FEED_ROUTES,
    *WEBHOOK_ROUTES,
]

# The enums the OpenAPI document names: each is one schema component, referenced by every
# field, parameter and list item that takes exactly its values (intake.lib.openapi_document).
SCHEMA_ENUMS: dict[str, tuple[str, ...]] = {
    name: get_args(literal)
    for name, literal in {
        "ProblemStatus": lifecycle.Status,
        "EventType": events.EventType,
        "AffectedGroup": problems.AffectedGroup,
        "UrgencyReason": problems.UrgencyReason,
        "DataSensitivity": problems.DataSensitivity,
        "Role": registry.Role,
        "Discipline": registry.Discipline,
        "Criterion": scoring.Criterion,
        "Effort": scoring.Effort,
        "FindingKind": discovery.FindingKind,
        "DeliveryPhase": delivery.DeliveryPhase,
        "OutcomeResult": delivery.OutcomeResult,
        "MilestoneState": delivery.MilestoneState,
        "UpdateStatus": delivery.UpdateStatus,
        "MetricDirection": outcomes.Direction,
        "MetricState": outcomes.MetricState,
        "CommentVisibility": collaboration.Visibility,
        "NotificationKind": notifications.NotificationKind,
    }.items()
}


async def provide_caller(request: Request[Any, Any, Any], db_session: AsyncSession) -> Caller:
    """The signed-in person; the middleware has already verified the token.

    When a dependency fails, Litestar never finishes the ones resolved before it, so the
    request's transaction (``db_session``) would keep its connection until the garbage
    collector found it. A refused caller (401) closes the session here instead.
    """
    try:
        return await load_caller(db_session, str(request.user))
    except Exception:
        await db_session.close()
        raise


def create_app(settings: Settings, database_url: str) -> Litestar:
    """Build the application. Nothing connects until start-up; nothing reads the environment."""

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_engine(database_url, settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.view_bodies = ViewBodies(app.state.sessionmaker, settings.portfolio_stale_seconds)
        try:
            yield
        finally:
            await app.state.view_bodies.close()
            await engine.dispose()

    @asynccontextmanager
    async def sla_sweeps(app: Litestar) -> AsyncGenerator[None, None]:
        """Record SLA breaches every INTAKE_SLA_SWEEP_SECONDS in the background (0: never)."""
        if settings.sla_sweep_seconds == 0:
            yield
            return
        run = partial(breaches.sweep, app.state.sessionmaker)
        sweeps = breaches.sweep_every(run, settings.sla_sweep_seconds)
        async with background.in_background(sweeps, "intake-sla-sweep"):
            yield

    @asynccontextmanager
    async def webhook_deliveries(app: Litestar) -> AsyncGenerator[None, None]:
        """Deliver due webhooks every INTAKE_WEBHOOK_SECONDS in the background (0: never)."""
        if settings.webhook_seconds == 0:
            yield
            return
        async with webhook_delivery.webhook_client() as client:
            run = partial(webhook_delivery.deliver_due, app.state.sessionmaker, client)
            passes = webhook_delivery.deliver_every(run, settings.webhook_seconds)
            async with background.in_background(passes, "intake-webhooks"):
                yield

    @asynccontextmanager
    async def mail_deliveries(app: Litestar) -> AsyncGenerator[None, None]:
        """Mail due notifications every INTAKE_MAIL_SECONDS in the background (0: never).
        Without INTAKE_SMTP_URL nothing is mailed, and what waits is dropped once a day old."""
        if settings.mail_seconds == 0:
            yield
            return
        if settings.mail is None:
            drops = mail_delivery.drop_every(app.state.sessionmaker, settings.mail_seconds)
            async with background.in_background(drops, "intake-mail-drop"):
                yield
            return
        run = partial(
            mail_delivery.send_due, app.state.sessionmaker, settings.mail, settings.public_url
        )
        passes = mail_delivery.send_every(run, settings.mail_seconds)
        async with background.in_background(passes, "intake-mail"):
            yield

    api = Router(
        path="/api/v1",
        route_handlers=API_CONTROLLERS,
        dependencies={"caller": Provide(provide_caller)},
        security=[{"bearer": []}],  # here, not document-wide: the health checks need no token
        # Outermost first: the limit counts people, so it comes after the token is verified.
        middleware=[
            DefineMiddleware(BearerTokenMiddleware),
            *(
                [rate_limit(settings.rate_limit_per_minute)]
                if settings.rate_limit_per_minute
                else []
            ),
        ],
    )
    logging.getLogger("intake").setLevel(settings.log_level.upper())
    document = CompletedDocument(SCHEMA_ENUMS)
    return Litestar(
        route_handlers=[HealthController, api, *page_routers()],
        template_config=template_config(),
        dependencies={"db_session": Provide(transaction)},
        # Left in reverse: the background tasks stop before the engine is disposed.
        lifespan=[database, sla_sweeps, webhook_deliveries, mail_deliveries],
        state=State(
            {
                "settings": settings,
                "verifier": create_verifier(settings),
                "migration_head": migrate.head_revision(),
            }
        ),
        exception_handlers={Exception: problem_response},
        before_request=answer_options,
        request_class=IntakeRequest,
        plugins=[StrictInputSchemaPlugin()],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Intake",
            version=__version__,
            description=(
                "Take in problems from city departments, triage them, pair them with product "
                "teams and track them to measured outcomes."
            ),
            path="/schema",
            render_plugins=[
                OfflineSwagger(document, path=["/", "/swagger"]),
                CompletedJson(document),
            ],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
        debug=False,
    )
