"""Each role can do in the browser everything its API allows.

Every write route of the API (POST, PUT, PATCH, DELETE under ``/api/v1``) is either done by
a page form, named here with the page route that receives it, or listed with the reason no
person's page offers it. A new write route with neither fails this test.
"""

from __future__ import annotations

import re
from pathlib import Path

from litestar import Litestar

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
P = "/api/v1/problems/{problem_id:uuid}"
PAGE = "/problems/{problem_id:uuid}"
WORK = PAGE + "/work"
TRIAGE = "/triage/{problem_id:uuid}"

# API route -> the page form(s) that do the same thing (the page routes their forms post to).
PAGE_FORMS: dict[tuple[str, str], tuple[str, ...]] = {
    # the requester's record
    ("POST", "/api/v1/problems"): ("/problems/new",),
    ("PATCH", P): (PAGE + "/edit",),
    ("POST", P + "/submit"): (PAGE + "/submit",),
    ("POST", P + "/respond"): (PAGE + "/respond",),
    ("POST", P + "/withdraw"): (PAGE + "/withdraw",),
    # collaboration
    ("POST", P + "/comments"): (PAGE + "/comments",),
    ("PATCH", P + "/comments/{comment_id:uuid}"): (PAGE + "/comments/{comment_id:uuid}/edit",),
    ("POST", P + "/watchers"): (PAGE + "/follow", PAGE + "/watchers"),
    ("DELETE", P + "/watchers/{person_id:uuid}"): (
        PAGE + "/unfollow",
        PAGE + "/watchers/{person_id:uuid}/remove",
    ),
    ("POST", P + "/collaborators"): (PAGE + "/collaborators",),
    ("DELETE", P + "/collaborators/{collaborator_id:uuid}"): (
        PAGE + "/collaborators/{collaborator_id:uuid}/remove",
    ),
    # the product team's workspace
    ("POST", P + "/start-discovery"): (WORK + "/phase/{action:str}",),
    ("POST", P + "/start-delivery"): (WORK + "/phase/{action:str}",),
    ("POST", P + "/launch"): (WORK + "/phase/{action:str}",),
    ("POST", P + "/close"): (WORK + "/phase/{action:str}",),
    ("POST", P + "/findings"): (WORK + "/findings", WORK + "/journey/steps"),
    ("PATCH", P + "/findings/{finding_id:uuid}"): (
        WORK + "/findings/{finding_id:uuid}/step",
        WORK + "/findings/{finding_id:uuid}/edit",
    ),
    ("DELETE", P + "/findings/{finding_id:uuid}"): (WORK + "/findings/{finding_id:uuid}/remove",),
    ("PUT", P + "/journey"): (WORK + "/journey/move",),
    ("POST", P + "/milestones"): (WORK + "/milestones",),
    ("PATCH", P + "/milestones/{milestone_id:uuid}"): (
        WORK + "/milestones/{milestone_id:uuid}/{change:str}",
        WORK + "/milestones/{milestone_id:uuid}/edit",
    ),
    ("DELETE", P + "/milestones/{milestone_id:uuid}"): (
        WORK + "/milestones/{milestone_id:uuid}/remove",
    ),
    ("POST", P + "/updates"): (WORK + "/updates",),
    ("POST", P + "/metrics"): (WORK + "/metrics",),
    ("PATCH", P + "/metrics/{metric_id:uuid}"): (WORK + "/metrics/{metric_id:uuid}/edit",),
    ("DELETE", P + "/metrics/{metric_id:uuid}"): (WORK + "/metrics/{metric_id:uuid}/remove",),
    ("POST", P + "/metrics/{metric_id:uuid}/measurements"): (
        WORK + "/metrics/{metric_id:uuid}/measurements",
    ),
    # everyone's
    ("POST", "/api/v1/me/notifications/read"): ("/inbox/read",),
    ("POST", "/api/v1/me/notifications/{notification_id:int}/read"): (
        "/inbox/{notification_id:int}/read",
    ),
    ("PATCH", "/api/v1/me"): ("/settings",),
    # the triager's page
    ("POST", P + "/triage"): (TRIAGE + "/take",),
    ("POST", P + "/reassign"): (TRIAGE + "/reassign",),
    ("POST", P + "/request-info"): (TRIAGE + "/request-info",),
    ("POST", P + "/accept"): (TRIAGE + "/accept",),
    ("POST", P + "/decline"): (TRIAGE + "/decline",),
    ("POST", P + "/redirect"): (TRIAGE + "/redirect",),
    ("POST", P + "/mark-duplicate"): (TRIAGE + "/mark-duplicate",),
    ("POST", P + "/hold"): (TRIAGE + "/hold",),
    ("POST", P + "/resume"): (TRIAGE + "/resume",),
    ("PUT", P + "/score"): (TRIAGE + "/score",),
    ("POST", P + "/links"): (TRIAGE + "/link",),
    ("PUT", P + "/team"): (TRIAGE + "/team",),
}

ADMIN = (
    "admin operation: the product's pages are for requesters, triagers, teams and "
    "leadership (PRODUCT.md, Pages); admins keep the registry with the API and the CLI"
)
INTEGRATION = (
    "integration set-up (admin): the city's data platform, not a person, is its user; "
    "secrets and tokens shown once belong in a program's configuration, not a page"
)

# API route -> why no person's page offers it (yet).
NOT_ON_PAGES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/departments"): ADMIN,
    ("PATCH", "/api/v1/departments/{department_id:uuid}"): ADMIN,
    ("POST", "/api/v1/people"): ADMIN,
    ("PATCH", "/api/v1/people/{person_id:uuid}"): ADMIN,
    ("POST", "/api/v1/teams"): ADMIN,
    ("PATCH", "/api/v1/teams/{team_id:uuid}"): ADMIN,
    ("PUT", "/api/v1/settings/sla"): ADMIN,
    ("PUT", "/api/v1/settings/scoring"): ADMIN,
    ("PUT", "/api/v1/settings/holidays/{year:int}"): ADMIN,
    ("POST", "/api/v1/service-accounts"): INTEGRATION,
    ("POST", "/api/v1/service-accounts/{account_id:uuid}/rotate"): INTEGRATION,
    ("POST", "/api/v1/service-accounts/{account_id:uuid}/revoke"): INTEGRATION,
    ("POST", "/api/v1/webhooks"): INTEGRATION,
    ("PATCH", "/api/v1/webhooks/{webhook_id:uuid}"): INTEGRATION,
    ("DELETE", "/api/v1/webhooks/{webhook_id:uuid}"): INTEGRATION,
    ("POST", "/api/v1/webhooks/{webhook_id:uuid}/rotate-secret"): INTEGRATION,
}

TEMPLATES = Path(__file__).resolve().parents[2] / "intake" / "pages" / "templates"
_ACTION = re.compile(r'action="([^"]+)"')
_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{[^{}]+\}")
_CHOICE = re.compile(r"\{% if [^%]*%\}(.*?)(?:\{% else %\}(.*?))?\{% endif %\}")


def _routes(app: Litestar, methods: set[str]) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        for method in getattr(route, "methods", set()) & methods:
            found.add((method, route.path))
    return found


def _api_writes(app: Litestar) -> set[tuple[str, str]]:
    return {(m, p) for m, p in _routes(app, WRITES) if p.startswith("/api/v1")}


def _variants(action: str) -> set[str]:
    """The addresses a template's ``action`` may take, one per branch of its ``{% if %}``."""
    found = _CHOICE.search(action)
    if found is None:
        return {action}
    head, tail = action[: found.start()], action[found.end() :]
    return {
        variant
        for branch in (found.group(1), found.group(2) or "")
        for variant in _variants(head + branch + tail)
    }


def _segments(path: str) -> list[str]:
    """A path with each placeholder (a route's ``{x:uuid}`` or a template's ``{{ x }}``) as *."""
    return [_PLACEHOLDER.sub("*", part) for part in path.strip("/").split("/")]


def _same_route(template_action: str, route: str) -> bool:
    action, path = _segments(template_action.split("?")[0]), _segments(route)
    return len(action) == len(path) and all(
        a == p or "*" in a or p == "*" for a, p in zip(action, path, strict=True)
    )


def test_every_api_write_route_has_a_page_form_or_a_reason(app: Litestar) -> None:
    writes = _api_writes(app)
    neither = sorted(writes - PAGE_FORMS.keys() - NOT_ON_PAGES.keys())
    assert not neither, (
        "These API write routes have no page form and no reason to have none; build the "
        f"form, or list the route in NOT_ON_PAGES with why: {neither}"
    )
    both = sorted(PAGE_FORMS.keys() & NOT_ON_PAGES.keys())
    assert not both, f"A route is either on a page or not: {both}"
    gone = sorted((PAGE_FORMS.keys() | NOT_ON_PAGES.keys()) - writes)
    assert not gone, f"These are no longer API write routes; take them out of the lists: {gone}"


def test_each_listed_page_form_is_served_and_offered(app: Litestar) -> None:
    """A page route receives each form, and some page's template has a form posting to it."""
    page_posts = {path for _, path in _routes(app, {"POST"}) if not path.startswith("/api/")}
    actions = {
        action
        for template in TEMPLATES.glob("*.html")
        for written in _ACTION.findall(template.read_text())
        for action in _variants(written)
    }
    for api, pages in PAGE_FORMS.items():
        for page in pages:
            assert page in page_posts, f"{api} is mapped to {page}, which no page route serves"
            assert any(_same_route(action, page) for action in actions), (
                f"No template has a form that posts to {page} ({api})"
            )
