"""Helpers for the pages' tests: signing a browser in over HTTP, and reading forms back."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.builders import EMAILS

Client = AsyncTestClient[Litestar]

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"the page has no hidden {name}"
    return found.group(1)


async def sign_in(client: Client, who: str) -> str:
    """Sign in as a demo person through the sign-in page; returns the CSRF token."""
    page = await client.get("/sign-in")
    assert page.status_code == 200, page.text
    response = await client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(page.text), "email": EMAILS[who]},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    home = await client.get("/")
    assert home.status_code == 200, home.text
    return csrf_of(home.text)


def form(**values: Any) -> dict[str, Any]:
    """A complete problem form as a browser sends it."""
    base: dict[str, Any] = {
        "title": "Residents wait weeks for a street tree planting permit",
        "problem_statement": "Residents fill in a paper form and wait six weeks for a visit.",
        "affected_groups": ["residents"],
        "affected_people_per_year": "2400",
        "current_process": "Paper form by mail, keyed in by a clerk.",
        "impact_staff_hours_per_year": "1800",
        "desired_outcome": "Residents know within a week whether they can plant.",
        "success_measures": "Median days from request to decision.",
        "data_sensitivity": "internal",
        "action": "save",
    }
    base.update(values)
    return base
