"""The pages in a real headless Chromium (Debian's package, driven by Playwright): the
requester's journey with the mouse and with the keyboard only, axe-core on every page,
visibility, CSRF and the security headers."""

from __future__ import annotations

import asyncpg
import pytest
from playwright.async_api import Browser, Page, expect

from tests.builders import City
from tests.helpers import submitted
from tests.pages.browser import assert_accessible, choose, shot, sign_in, tab_to

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)


async def test_requester_journey_from_draft_to_submitted(
    page: Page, city: City, db: asyncpg.Connection
) -> None:
    await sign_in(page, "Rosa Diaz")
    await assert_accessible(page)
    await page.get_by_role("link", name="Describe a problem").first.click()
    await assert_accessible(page)

    # Live framing hints while typing (the page's own script).
    await page.get_by_label("Title").fill("We need an app for street tree permits")
    hints = page.locator("#framing-hints")
    await expect(hints).to_contain_text("need an app")
    await expect(hints).to_contain_text("Describe the problem, not a solution")
    await assert_accessible(page)
    await shot(page, "requester-draft-form.png")

    # Saving with a mistake: the error summary links to the field.
    await page.get_by_label("About how many people are affected each year?").fill("many")
    await page.get_by_role("button", name="Save draft").click()
    summary = page.locator(".error-summary")
    await expect(summary).to_contain_text("Enter a whole number")
    await assert_accessible(page)
    await summary.get_by_role("link").first.click()
    await expect(page.locator("#affected_people_per_year")).to_be_focused()

    await page.get_by_label("Title").fill("Residents wait six weeks for a street tree permit")
    await page.get_by_label("What is hard today?").fill(
        "Residents mail a paper form and wait six weeks for an inspector to visit."
    )
    await page.get_by_role("checkbox", name="Residents").check()
    await page.get_by_label("About how many people are affected each year?").fill("2400")
    await page.get_by_label("How does it work today?").fill("Paper form, keyed in by a clerk.")
    await page.get_by_label("Staff hours lost each year").fill("1800")
    await page.get_by_label("What would be different if this were solved?").fill(
        "Residents know within a week whether they can plant."
    )
    await page.get_by_label("How could we measure success?").fill("Median days to decision.")
    await page.get_by_label("How sensitive is the data?").select_option("internal")
    await page.get_by_role("button", name="Save draft").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Residents wait six weeks for a street tree permit"
    )
    await assert_accessible(page)
    await page.get_by_role("button", name="Submit to DTI").click()
    await expect(page.get_by_text("Your problem has been sent to DTI")).to_be_visible()
    await expect(page.get_by_role("button", name="Submit to DTI")).to_have_count(0)
    await assert_accessible(page)
    await shot(page, "requester-problem.png")
    assert await db.fetchval("SELECT status FROM problems") == "submitted"

    await page.get_by_role("link", name="My problems", exact=True).click()
    await expect(page.get_by_role("link", name="Residents wait six weeks")).to_be_visible()
    await assert_accessible(page)
    await shot(page, "requester-problems.png")
    for path in ("/inbox", "/settings"):
        await page.goto(path)
        await assert_accessible(page)


async def test_requester_journey_with_the_keyboard_only(
    page: Page, city: City, db: asyncpg.Connection
) -> None:
    await page.goto("/sign-in")
    await tab_to(page, "#email")
    await choose(page, "#email", "Rosa")
    await tab_to(page, "button[type=submit]")
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("Signed in as Rosa Diaz")).to_be_visible()

    await tab_to(page, "a[href='/problems/new']")
    await page.keyboard.press("Enter")
    await tab_to(page, "#title")
    await page.keyboard.type("We need a dashboard for permit waiting times")
    await expect(page.locator("#framing-hints")).to_contain_text("dashboard")
    typed = {
        "#problem_statement": "Residents cannot tell how long a permit will take.",
        "#affected_people_per_year": "2400",
        "#current_process": "Residents phone the permit desk.",
        "#impact_staff_hours_per_year": "900",
        "#desired_outcome": "Residents know how long they will wait.",
        "#success_measures": "Calls to the permit desk per month.",
    }
    await tab_to(page, "#problem_statement")
    await page.keyboard.type(typed["#problem_statement"])
    await tab_to(page, "#affected_groups")
    await page.keyboard.press("Space")
    for selector, text in list(typed.items())[1:]:
        await tab_to(page, selector)
        await page.keyboard.type(text)
    await tab_to(page, "#data_sensitivity")
    await choose(page, "#data_sensitivity", "Internal")
    await tab_to(page, "button[value=save]")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("button", name="Submit to DTI")).to_be_visible()
    await tab_to(page, "form[action$='/submit'] button")
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("Your problem has been sent to DTI")).to_be_visible()
    row = await db.fetchrow("SELECT status, data_sensitivity, affected_groups FROM problems")
    assert row["status"] == "submitted"
    assert row["data_sensitivity"] == "internal"
    assert list(row["affected_groups"]) == ["residents"]


async def test_the_form_works_without_javascript(
    browser: Browser, base_url: str, city: City, db: asyncpg.Connection
) -> None:
    # axe-core cannot run here (it is JavaScript); the tests above check the same pages.
    context = await browser.new_context(base_url=base_url, java_script_enabled=False)
    page = await context.new_page()
    page.set_default_timeout(20_000)
    try:
        await sign_in(page, "Rosa Diaz")
        await page.goto("/problems/new")
        await page.get_by_label("Title").fill("Purchase a CRM for the permit desk")
        await page.get_by_role("button", name="Check my wording").click()
        await expect(page.locator("#framing-hints")).to_contain_text("Purchase a CRM")
        await page.get_by_role("button", name="Save draft").click()
        await expect(page.get_by_text("Still needed before you can submit")).to_be_visible()
        assert await db.fetchval("SELECT count(*) FROM problems") == 1
    finally:
        await context.close()


async def test_another_departments_restricted_problem_is_a_404_page(
    page: Page, city: City, client: object
) -> None:
    from litestar.testing import AsyncTestClient

    assert isinstance(client, AsyncTestClient)
    restricted = await submitted(client, city, "health", restricted=True)
    await sign_in(page, "Rosa Diaz")
    response = await page.goto(f"/problems/{restricted['id']}")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    await expect(page.get_by_text(restricted["title"])).to_have_count(0)
    await assert_accessible(page)


async def test_a_forged_form_is_refused_and_headers_are_sent(
    page: Page, city: City, db: asyncpg.Connection
) -> None:
    response = await page.goto("/sign-in")
    assert response is not None
    headers = await response.all_headers()
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    await assert_accessible(page)

    await sign_in(page, "Rosa Diaz")
    await page.goto("/problems/new")
    await page.locator("form[data-hints-form] input[name=csrf_token]").evaluate(
        "input => input.value = 'x'"
    )
    await page.get_by_label("Title").fill("Residents wait six weeks for permits")
    await page.get_by_role("button", name="Save draft").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do that")
    assert await db.fetchval("SELECT count(*) FROM problems") == 0
    await assert_accessible(page)
