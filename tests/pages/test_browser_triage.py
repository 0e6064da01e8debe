"""The triager's pages in a real headless Chromium: a submitted problem taken to accepted
with a team, by keyboard where it matters; axe-core on the queue and the triage page in
each state; a phone-width screen and 200% zoom; a requester kept out."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from playwright.async_api import Browser, Page, expect

from tests.builders import City
from tests.helpers import act, submitted
from tests.pages.browser import assert_accessible, shot, sign_in, tab_to

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)


async def a_team(client: Any, city: City, name: str, wip_limit: int = 3) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/teams",
        json={
            "name": name,
            "disciplines": ["product_management", "civic_design", "data", "software_engineering"],
            "wip_limit": wip_limit,
        },
        headers=city.auth("admin"),
    )
    assert response.status_code == 201, response.text
    team: dict[str, Any] = response.json()
    return team


async def test_a_triager_takes_a_problem_to_accepted_with_a_team(
    page: Page, city: City, client: AsyncTestClient[Any], db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city, "requester")
    other = await submitted(client, city, "health", title="Clinic bookings are kept on paper")
    await act(client, city, other, "triage")
    await a_team(client, city, "Permits Team")

    await sign_in(page, "Priya One")
    await page.get_by_role("link", name="Triage queue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Triage queue")
    row = page.get_by_role("row").filter(has_text=problem["title"])
    await expect(row).to_contain_text("Nobody yet")
    await expect(row.get_by_text("On time").first).to_be_visible()
    await assert_accessible(page)
    await shot(page, "triager-queue.png")

    # The filters are a GET form: only the problems taken by nobody yet.
    await page.get_by_label("Taken by").select_option("none")
    await page.get_by_role("button", name="Show problems").click()
    await expect(page.get_by_role("link", name=problem["title"])).to_be_visible()
    await expect(page.get_by_role("link", name=other["title"])).to_have_count(0)
    assert "triager=none" in page.url
    await assert_accessible(page)

    await page.get_by_role("link", name=problem["title"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(problem["title"])
    await expect(page.get_by_role("button", name="Accept the problem")).to_have_count(0)
    await assert_accessible(page)

    # Keyboard only: take it into triage.
    await tab_to(page, "#take")
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("You took this problem into triage")).to_be_visible()
    await expect(page.get_by_text("Met in time").first).to_be_visible()
    await assert_accessible(page)

    # A decline without a reason: the error summary takes the focus and links to the field.
    await page.get_by_role("button", name="Decline the problem").click()
    summary = page.locator(".error-summary")
    await expect(summary).to_be_focused()
    await expect(summary).to_contain_text("Say why you decline it")
    await assert_accessible(page)
    await summary.get_by_role("link").first.click()
    await expect(page.locator("#decline_reason")).to_be_focused()

    # Score it with the mouse: the suggested reach is preselected from the record.
    await expect(page.locator("#reach-3")).to_be_checked()
    for criterion, rating in (
        ("severity", "5"),
        ("urgency", "3"),
        ("equity", "4"),
        ("alignment", "3"),
        ("confidence", "2"),
    ):
        await page.locator(f"label[for='{criterion}-{rating}']").click()
    await page.get_by_role("radio", name="Medium").check()
    await page.get_by_role("button", name="Save the score").click()
    await expect(page.get_by_text("The score is saved")).to_be_visible()
    await expect(page.get_by_text("out of 100").first).to_be_visible()
    await assert_accessible(page)

    # Keyboard only: accept, then pair with the recommended team.
    await tab_to(page, "#accept_reason", limit=200)
    await page.keyboard.type("Many residents, and a clear measure of success.")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("The problem is accepted")).to_be_visible()
    await expect(page.get_by_text("1. Permits Team")).to_be_visible()
    await assert_accessible(page)
    await tab_to(page, "#team_id", limit=200)
    await page.keyboard.press("Space")
    await tab_to(page, "form[action$='/team'] button[type=submit]")
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("The product team is assigned")).to_be_visible()
    await expect(page.locator(".summary-list").first).to_contain_text("Permits Team")
    await assert_accessible(page)
    await shot(page, "triager-triage.png")

    row = await db.fetchrow(
        "SELECT p.status, t.name FROM problems p JOIN teams t ON t.id = p.team_id WHERE p.id = $1",
        problem["id"],
    )
    assert tuple(row) == ("accepted", "Permits Team")


async def fits(page: Page, action: str) -> None:
    """Nothing overflows sideways, and the main action is on screen and reachable."""
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} overflows by {overflow}px"
    button = page.get_by_role("button", name=action).first
    await button.scroll_into_view_if_needed()
    await expect(button).to_be_visible()
    box = await button.bounding_box()
    width = await page.evaluate("() => document.documentElement.clientWidth")
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


async def test_the_pages_fit_a_phone_and_200_percent_zoom(
    browser: Browser, base_url: str, city: City, client: AsyncTestClient[Any]
) -> None:
    problem = await submitted(client, city, "requester")
    await act(client, city, problem, "triage")
    # 320 CSS px is a phone (WCAG's reflow width); 640 is a 1280 px window at 200% zoom.
    for width, scale in ((320, 1), (640, 2)):
        context = await browser.new_context(
            base_url=base_url,
            viewport={"width": width, "height": 720},
            device_scale_factor=scale,
        )
        page = await context.new_page()
        page.set_default_timeout(20_000)
        try:
            await sign_in(page, "Priya One")
            await page.goto("/triage?breached=no")
            await fits(page, "Show problems")
            await expect(page.get_by_role("link", name=problem["title"])).to_be_visible()
            await page.goto(f"/triage/{problem['id']}")
            await fits(page, "Accept the problem")
            await fits(page, "Save the score")
            await assert_accessible(page)
        finally:
            await context.close()


async def test_a_requester_cannot_reach_the_triage_pages(
    page: Page, city: City, client: AsyncTestClient[Any]
) -> None:
    problem = await submitted(client, city, "requester")
    await sign_in(page, "Rosa Diaz")
    await expect(page.get_by_role("link", name="Triage queue")).to_have_count(0)
    for path in ("/triage", f"/triage/{problem['id']}"):
        response = await page.goto(path)
        assert response is not None and response.status == 403
        await expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do that")
        await assert_accessible(page)
    await page.goto(f"/problems/{problem['id']}")
    await expect(page.get_by_role("link", name="Triage page")).to_have_count(0)


async def test_the_triage_page_works_without_javascript(
    browser: Browser, base_url: str, city: City, client: AsyncTestClient[Any]
) -> None:
    # axe-core cannot run here (it is JavaScript); the tests above check the same pages.
    problem = await submitted(client, city, "requester")
    context = await browser.new_context(base_url=base_url, java_script_enabled=False)
    page = await context.new_page()
    page.set_default_timeout(20_000)
    try:
        await sign_in(page, "Priya One")
        await page.goto(f"/triage/{problem['id']}")
        await page.get_by_role("button", name="Take it into triage").click()
        await expect(page.get_by_text("You took this problem into triage")).to_be_visible()
        await page.get_by_label("Your questions for the requester").fill("Which wards?")
        await page.get_by_role("button", name="Send questions").click()
        await expect(page.get_by_text("Your questions were sent to the requester")).to_be_visible()
        await expect(page.get_by_text("Paused while the requester answers").first).to_be_visible()
    finally:
        await context.close()
