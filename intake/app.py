"""create_app(settings, database_url) -> Litestar: plugins, routers and the error mapping."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, get_args

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ControllerRouterHandler
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from intake import __version__
from intake.accounts import schemas as accounts
from intake.accounts import service as service_accounts
from intake.accounts.controllers import ROUTES as ACCOUNT_ROUTES
from intake.collaboration import schemas as collaboration
from intake.collaboration.controllers import ROUTES as COLLABORATION_ROUTES
from intake.composition import create_sessionmaker
from intake.config import Settings
from intake.db import migrate
from intake.db.embedded import EmbeddedPostgres, Supervisor
from intake.db.replica import ReadReplica
from intake.db.session import create_engine
from intake.delivery import schemas as delivery
from intake.delivery.controllers import ROUTES as DELIVERY_ROUTES
from intake.discovery import schemas as discovery
from intake.discovery.controllers import ROUTES as DISCOVERY_ROUTES
from intake.feed.controllers import ROUTES as FEED_ROUTES
from intake.health.controllers import HealthController
from intake.lib import background, metrics
from intake.lib.access import AccessLog
from intake.lib.methods import answer_options
from intake.lib.openapi import ExampleSchemaPlugin, StrictInputSchemaPlugin, document_errors
from intake.lib.ratelimit import rate_limit
from intake.lib.request import IntakeRequest
from intake.lib.routing import OwnRouter
from intake.mail import delivery as mail_delivery
from intake.notifications import schemas as notifications
from intake.notifications.controllers import ROUTES as NOTIFICATION_ROUTES
from intake.outcomes import state as outcomes
from intake.outcomes.controllers import ROUTES as OUTCOME_ROUTES
from intake.pages.rendering import page_or_problem
from intake.pages.routes import page_routers, template_config
from intake.portfolio.caching import ViewBodies
from intake.portfolio.controllers import ROUTES as PORTFOLIO_ROUTES
from intake.problems import schemas as problems
from intake.problems.controllers import ProblemController
from intake.registry import schemas as registry
from intake.registry.controllers import (
    DepartmentController,
    MeController,
    PeopleController,
    TeamController,
)
from intake.triage import meanings
from intake.triage.controllers import (
    PolicyController,
    ProblemTriageController,
    SubmissionController,
    TriageActionController,
    TriageQueueController,
)
from intake.triage.scoring import rules as scoring
from intake.triage.sla import breaches
from intake.vocabulary import events, states
from intake.web.auth import (
    BearerTokenMiddleware,
    Caller,
    UncheckedServiceToken,
    create_verifier,
    load_caller,
)
from intake.web.openapi_document import CompletedDocument, CompletedJson, OfflineSwagger
from intake.web.reads import (
    Account,
    PersonReads,
    Reader,
    answer_instead,
    check_invalid,
    pooled,
    provide_reads,
)
from intake.web.timeouts import BodyTimeout
from intake.web.transaction import (
    RequestTransaction,
    committed,
    provide_db_session,
    provide_read_session,
    request_sessions,
)
from intake.webhooks import delivery as webhook_delivery
from intake.webhooks.controllers import ROUTES as WEBHOOK_ROUTES

API_CONTROLLERS: list[ControllerRouterHandler] = [
    MeController,
    DepartmentController,
    PeopleController,
    TeamController,
    ProblemController,
    SubmissionController,
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
    *ACCOUNT_ROUTES,
]

# The enums the OpenAPI document names: each is one schema component, referenced by every
# field, parameter and list item that takes exactly its values (intake.web.openapi_document).
SCHEMA_ENUMS: dict[str, tuple[str, ...]] = {
    name: get_args(literal)
    for name, literal in {
        "ProblemStatus": states.Status,
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
        "ServiceScope": accounts.Scope,
    }.items()
}


def answer_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The app's error handler: problem+json under the API, an error page elsewhere
    (``page_or_problem``), for the error itself or the caller's refusal that comes first
    (``intake.web.reads.check_invalid``)."""
    return page_or_problem(request, answer_instead(request, exc))


async def provide_caller(request: Request[Any, Any, Any], db_session: AsyncSession) -> Caller:
    """The signed-in person; the middleware has already verified the token. A service
    account's token is checked here, and refused (403) outside its scopes."""
    if isinstance(request.user, UncheckedServiceToken):  # a service account: only its scopes
        return await service_accounts.caller_for(
            db_session, request.user.token, request.method, service_accounts.route_of(request)
        )
    return await load_caller(db_session, str(request.user))


async def provide_reader(request: Request[Any, Any, Any]) -> AsyncGenerator[Reader, None]:
    """What a read that serves people and service accounts reads with: for a person, a
    pooled connection for one statement (``intake.web.reads``), no session opened; for a
    service account, the request's transaction and the checked account, committed as
    ``db_session`` is."""
    user = request.user
    if isinstance(user, UncheckedServiceToken):
        async with committed(request_sessions(request.scope).transaction()) as session:
            yield Account(session, await provide_caller(request, session))
        return
    async with pooled(request) as connection:
        yield PersonReads(connection, str(user).strip().lower())


def create_app(
    settings: Settings, database_url: str, *, embedded: EmbeddedPostgres | None = None
) -> Litestar:
    """Build the application. Nothing connects until start-up; nothing reads the environment.

    ``embedded`` is the embedded PostgreSQL this process started and so owns (``intake
    serve``): the app watches it and starts it again should it die.
    """

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_engine(database_url, settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.reads = reads = ReadReplica.for_settings(app.state.sessionmaker, settings)
        app.state.view_bodies = ViewBodies(reads.session, settings.portfolio_stale_seconds)
        try:
            async with reads.watching():
                yield
        finally:
            await app.state.view_bodies.close()
            await reads.close()
            await engine.dispose()

    @asynccontextmanager
    async def embedded_database(app: Litestar) -> AsyncGenerator[None, None]:
        """Keep the embedded PostgreSQL this process owns running, connections on its port."""
        if embedded is None:
            yield
            return
        supervisor = Supervisor(embedded)
        event.listen(app.state.engine.sync_engine, "do_connect", supervisor.follow_port)
        async with background.in_background(supervisor.watch(), "intake-embedded-postgres"):
            yield

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

    @asynccontextmanager
    async def meaning_worker(app: Litestar) -> AsyncGenerator[None, None]:
        """Embed the problems due and store their matches by meaning every
        INTAKE_MEANING_SECONDS in the background (0: never)."""
        if settings.meaning_seconds == 0:
            yield
            return
        run = partial(meanings.embed_due, app.state.sessionmaker, meanings.Matrix())
        passes = meanings.embed_every(run, settings.meaning_seconds)
        async with background.in_background(passes, "intake-meanings"):
            yield

    api = OwnRouter(
        path="/api/v1",
        route_handlers=API_CONTROLLERS,
        dependencies={
            "caller": Provide(provide_caller),
            "reader": Provide(provide_reader),
            "reads": Provide(provide_reads),
            "read_session": Provide(provide_read_session),
        },
        security=[{"bearer": []}],  # here, not document-wide: the health checks need no token
        # Outermost first: the limit counts people, so it comes after the token is verified;
        # a service token is refused outside its routes once counted.
        middleware=[
            BearerTokenMiddleware,
            *(
                [rate_limit(settings.rate_limit_per_minute)]
                if settings.rate_limit_per_minute
                else []
            ),
            service_accounts.PeopleOnly,
        ],
    )
    logging.getLogger("intake").setLevel(settings.log_level.upper())
    document = CompletedDocument(SCHEMA_ENUMS)
    app = Litestar(
        route_handlers=[HealthController, metrics.scrape, api, *page_routers()],
        template_config=template_config(),
        dependencies={"db_session": Provide(provide_db_session)},
        # Left in reverse: the background tasks stop before the engine is disposed.
        lifespan=[
            database,
            metrics.process_metrics,
            embedded_database,
            sla_sweeps,
            webhook_deliveries,
            mail_deliveries,
            meaning_worker,
        ],
        state=State(
            {
                "settings": settings,
                "verifier": create_verifier(settings),
                "migration_head": migrate.head_revision(),
            }
        ),
        # problem+json under the API; an error page (with its headers) anywhere else.
        exception_handlers={Exception: answer_error},
        after_exception=[check_invalid],
        before_request=answer_options,
        middleware=[
            DefineMiddleware(BodyTimeout, seconds=settings.body_timeout_seconds),
            RequestTransaction,
        ],
        request_class=IntakeRequest,
        plugins=[StrictInputSchemaPlugin(), ExampleSchemaPlugin()],
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
    document_errors(app)
    # Outside everything else: every request gets its id, one access line and its metrics.
    app.asgi_handler = AccessLog(app.asgi_handler, settings.trusted_proxies)
    return app
