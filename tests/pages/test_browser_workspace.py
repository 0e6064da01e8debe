"""The product team's workspace in a real headless Chromium: the team takes an accepted,
paired problem through discovery, delivery and launch to closed with an outcome review, with
axe-core on the workspace at each stage; the page at a phone's width and at 200% zoom; and
the people kept out of it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from playwright.async_api import Browser, Locator, Page, expect

from tests.builders import City
from tests.helpers import paired
from tests.pages.browser import assert_accessible, no_horizontal_scroll, shot, sign_in

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)

# The service's today is the UTC date; a day read before midnight is never in its future.
DAY = datetime.now(UTC).date()
TODAY = DAY.isoformat()


async def opened(page: Page, summary: str, action: str) -> Locator:
    """Unfold the form behind ``summary`` and return the form posting to ``action``."""
    await page.locator("summary", has_text=summary).first.click()
    form = page.locator(f"form[action$='{action}']")
    await expect(form).to_be_visible()
    return form


async def evidence(form: Locator) -> None:
    await form.get_by_label("Evidence: where it comes from").fill("Interviews with clerks")
    await form.get_by_label("Evidence: date").fill("2026-11-30")
    await form.get_by_label("Evidence: who gave it").fill("Permit desk staff")


async def phase(page: Page, name: str) -> None:
    await expect(page.locator(".phases [aria-current=step]")).to_contain_text(name)


async def paired_problem(client: Any, city: City) -> dict[str, Any]:
    assert isinstance(client, AsyncTestClient)
    return await paired(client, city)


async def test_the_team_takes_a_problem_from_accepted_to_closed(
    page: Page, city: City, client: object, db: asyncpg.Connection
) -> None:
    problem = await paired_problem(client, city)
    await sign_in(page, "Dev One")
    # Pairing made the team's members follow the problem: it is on their home page.
    await page.get_by_role("link", name=problem["title"]).click()
    await page.get_by_role("link", name="Team workspace").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(problem["title"])
    await phase(page, "Accepted")
    await expect(page.get_by_role("button", name="Launch: it is live")).to_have_count(0)
    await assert_accessible(page)

    await page.get_by_role("button", name="Start discovery").click()
    await phase(page, "Discovery")

    # The journey map: three steps, a pain point on one, and a step moved without script.
    for title in ("Mail the paper form", "Get the decision", "Wait for the inspector"):
        form = await opened(page, "Add a step at the end of the journey", "/journey/steps")
        await form.get_by_label("Step", exact=True).fill(title)
        await evidence(form)
        await form.get_by_role("button", name="Add the step").click()
        await expect(page.get_by_text("The step has been added to the journey.")).to_be_visible()
    await page.get_by_role("button", name=re.compile("Move up.*step 3, Wait for the")).click()
    steps = page.locator(".journey-step h3")
    await expect(steps).to_have_text(
        ["Mail the paper form", "Wait for the inspector", "Get the decision"]
    )
    form = await opened(page, "Add a finding", "/findings")
    await form.get_by_role("button", name="Add the finding").click()  # empty: every error
    summary = page.locator(".error-summary")
    await expect(summary).to_contain_text("Finding")
    await expect(summary).to_contain_text("Evidence: who gave it")
    await assert_accessible(page)
    form = page.locator("form[action$='/findings']")
    await form.get_by_label("Pain point: where people struggle").check()
    await form.get_by_label("Finding", exact=True).fill("Nobody says when the inspector comes")
    await form.get_by_label("Where in the journey?").select_option(label="Wait for the inspector")
    await evidence(form)
    await form.get_by_role("button", name="Add the finding").click()
    await expect(page.locator(".pain-points")).to_contain_text("Nobody says when")
    await assert_accessible(page)

    # Delivery: alpha, then beta (never back), with a milestone that slips and is done.
    await page.get_by_label("Alpha: try out the riskiest ideas").check()
    await page.get_by_role("button", name="Start delivery").click()
    await phase(page, "Alpha")
    form = await opened(page, "Add a milestone", "/milestones")
    await form.get_by_label("Milestone", exact=True).fill("Beta open in Ward 3")
    later = (DAY + timedelta(days=30)).isoformat()
    await form.get_by_label("Target date").fill(later)
    await form.get_by_role("button", name="Add the milestone").click()
    await expect(page.get_by_text("The milestone has been added.")).to_be_visible()
    form = await opened(page, "Move the target date", "/slip")
    await form.get_by_label("New target date").fill((DAY + timedelta(days=44)).isoformat())
    await form.get_by_label("Why it moved").fill("The form needs translating first.")
    await form.get_by_role("button", name="Move the target date").click()
    await expect(page.get_by_text("14 days from the first target")).to_be_visible()
    form = await opened(page, "Mark as done", "/done")
    await form.get_by_label("Done on").fill(TODAY)
    await form.get_by_role("button", name="Mark as done").click()
    await expect(page.get_by_text("The milestone is done.")).to_be_visible()
    form = await opened(page, "Post a status update", "/updates")
    await form.get_by_label("At risk").check()
    await form.get_by_label("Summary").fill("Beta slipped two weeks for the translation.")
    await form.get_by_role("button", name="Post the update").click()
    await expect(page.locator("#updates ~ .record").first).to_contain_text("At risk")
    await page.get_by_label("Beta: a real service, still improving").check()
    await page.get_by_role("button", name="Start delivery").click()
    await phase(page, "Beta")
    await expect(page.get_by_label("Alpha: try out the riskiest ideas")).to_have_count(0)
    await assert_accessible(page)

    # Live: an outcome metric measured until it is achieved.
    await page.get_by_role("button", name="Launch: it is live").click()
    await phase(page, "Live")
    form = await opened(page, "Add an outcome metric", "/metrics")
    await form.get_by_label("Metric", exact=True).fill("Median days to a decision")
    await form.get_by_label("Unit").fill("days")
    await form.get_by_label("Lower is better").check()
    await form.get_by_label("Baseline").fill("31")
    await form.get_by_label("Target", exact=True).fill("5")
    await form.get_by_label("Target date").fill((DAY + timedelta(days=90)).isoformat())
    await form.get_by_role("button", name="Add the metric").click()
    metric = page.locator(".record", has_text="Median days to a decision")
    await expect(metric).to_contain_text("Not measured yet")
    for value, state in (("12", "Improving"), ("4", "Achieved")):
        form = await opened(page, "Record a measurement", "/measurements")
        await form.get_by_label("Value").fill(value)
        await form.get_by_label("Measured on").fill(TODAY)
        await form.get_by_role("button", name="Record the measurement").click()
        await expect(metric.locator(".record-title .tag")).to_have_text(state)
    await assert_accessible(page)
    await shot(page, "team-workspace.png")

    # Closed, with the outcome review.
    form = page.locator("form[action$='/phase/close']")
    await form.get_by_label("Achieved", exact=True).check()
    await form.get_by_label("Summary").fill("Decisions take 4 days, down from 31.")
    await form.get_by_label("Lessons").fill("Bring inspectors in from week one.")
    await form.get_by_role("button", name="Close with an outcome review").click()
    await phase(page, "Closed")
    await expect(page.get_by_text("Bring inspectors in from week one.")).to_be_visible()
    await expect(page.locator("form[action*='/phase/']")).to_have_count(0)
    await assert_accessible(page)
    row = await db.fetchrow("SELECT status, outcome_result FROM problems")
    assert (row["status"], row["outcome_result"]) == ("closed", "achieved")


async def test_the_workspace_reflows_on_a_phone_and_at_200_percent(
    browser: Browser, base_url: str, city: City, client: object, db: asyncpg.Connection
) -> None:
    problem = await paired_problem(client, city)
    # 320 CSS px is a 1280 px window at 400%; 640 CSS px at 2x pixels is 200% zoom.
    for width, scale in ((320, 1), (640, 2)):
        context = await browser.new_context(
            base_url=base_url, viewport={"width": width, "height": 800}, device_scale_factor=scale
        )
        page = await context.new_page()
        page.set_default_timeout(20_000)
        try:
            await sign_in(page, "Dev One")
            await page.goto(f"/problems/{problem['id']}/work")
            await no_horizontal_scroll(page)
            start = page.get_by_role("button", name="Start discovery")
            await start.scroll_into_view_if_needed()
            await expect(start).to_be_in_viewport()
            form = await opened(page, "Add a milestone", "/milestones")
            await no_horizontal_scroll(page)
            await form.get_by_role("button", name="Add the milestone").click()
            await expect(page.locator(".error-summary")).to_be_visible()
            await no_horizontal_scroll(page)
            await assert_accessible(page)
        finally:
            await context.close()


async def test_a_requester_and_another_team_cannot_act(
    browser: Browser, base_url: str, city: City, client: object, db: asyncpg.Connection
) -> None:
    problem = await paired_problem(client, city)
    await db.execute(
        "INSERT INTO people (id, email, name, department_id, roles, active) "
        "VALUES (gen_random_uuid(), 'dev.two@city.example', 'Dev Two', $1, '{team_member}', true)",
        city.departments["DTI"],
    )
    for name, status in (("Rosa Diaz", 403), ("Dev Two", 200)):
        context = await browser.new_context(base_url=base_url)
        page = await context.new_page()
        page.set_default_timeout(20_000)
        try:
            await sign_in(page, name)
            response = await page.goto(f"/problems/{problem['id']}/work")
            assert response is not None and response.status == status
            if status == 403:
                await expect(page.get_by_role("heading", level=1)).to_have_text(
                    "You cannot do that"
                )
            else:
                await expect(page.get_by_text("You can read this workspace.")).to_be_visible()
                await expect(page.locator("main form")).to_have_count(0)
            await assert_accessible(page)
        finally:
            await context.close()
    assert await db.fetchval("SELECT status FROM problems") == "accepted"
