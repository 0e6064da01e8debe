"""The pages' router: controllers, their dependencies, error pages and security headers."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
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

HERE = Path(__file__).parent
STATIC = HERE / "static"
# A static file's address names its content (``static_url``), so a browser may keep it.
KEPT_A_YEAR = CacheControlHeader(public=True, max_age=365 * 24 * 3600, immutable=True)


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
        path="/static",
        directories=[STATIC],
        cache_control=KEPT_A_YEAR,
        middleware=[SecurityHeaders()],
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


def static_url(name: str) -> str:
    """The address of a static file with a hash of its content: a browser keeps the file
    until it changes (a release, or an edit while developing), then asks for the new one."""
    return _versioned(name, (STATIC / name).stat().st_mtime_ns)


@cache
def _versioned(name: str, modified: int) -> str:
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    return f"/static/{name}?v={digest}"
