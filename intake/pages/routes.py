"""The pages' router: controllers, their dependencies, error pages and security headers."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from intake.lib.routing import OwnRouter
from intake.pages.controllers.account import AccountPages
from intake.pages.controllers.auth import SignInController
from intake.pages.controllers.collaboration import CollaborationPages
from intake.pages.controllers.dashboard import DashboardPages
from intake.pages.controllers.notifications import NotificationPages
from intake.pages.controllers.problems import ProblemPages
from intake.pages.controllers.triage import TriagePages
from intake.pages.controllers.work_changes import WorkChangePages
from intake.pages.controllers.workspace import WorkspacePages
from intake.pages.deps import (
    provide_problem_form,
    provide_problem_page,
    provide_signed_in,
    provide_signed_in_page,
    provide_visit,
)
from intake.pages.rendering import error_page, new_key
from intake.pages.security import SecurityHeaders
from intake.pages.static import PATH, STATIC, KeptWhenCurrent, static_url

HERE = Path(__file__).parent


def page_routers() -> list[Router]:
    """The pages at ``/`` and their static files at ``/static``."""
    pages = OwnRouter(
        path="/",
        route_handlers=[
            SignInController,
            ProblemPages,
            AccountPages,
            TriagePages,
            WorkspacePages,
            DashboardPages,
            CollaborationPages,
            WorkChangePages,
            NotificationPages,
        ],
        dependencies={
            "visit": Provide(provide_visit),
            "caller": Provide(provide_signed_in),
            "signed_in": Provide(provide_signed_in_page),
            "page": Provide(provide_problem_page),
            "posted": Provide(provide_problem_form),
        },
        exception_handlers={Exception: error_page},
        middleware=[SecurityHeaders()],
        include_in_schema=False,
    )
    static = create_static_files_router(
        path=PATH,
        directories=[STATIC],
        middleware=[SecurityHeaders(), KeptWhenCurrent()],
        include_in_schema=False,
    )
    return [pages, static]


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=_globals
    )


def _globals(engine: JinjaTemplateEngine) -> None:
    """What every template may call, imported macros too."""
    engine.engine.globals["new_key"] = new_key
    engine.engine.globals["static_url"] = static_url
