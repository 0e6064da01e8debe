"""The collaboration, work-change and notification forms in a real headless Chromium: a
requester marks a notification read, adds a collaborating department and a colleague, asks
someone to follow, edits a comment and withdraws a problem; the team changes and removes what
it recorded. axe-core on each page and state, at a phone's width and at 200% zoom too;
another department sees none of the forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from playwright.async_api import Browser, Locator, Page, expect

from tests.builders import City
from tests.helpers import in_phase, submitted
from tests.pages.browser import assert_accessible, no_horizontal_scroll, shot, sign_in

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)

DAY = datetime.now(UTC).date()


async def opened(page: Page, summary: str) -> Locator:
    """Unfold the forms behind ``summary``; returns what unfolded."""
    details = page.locator("details", has=page.locator("summary", has_text=summary)).first
    await details.locator("summary").first.click()
    await expect(details).to_have_attribute("open", "")
    return details


async def submitted_problem(client: Any, city: City) -> dict[str, Any]:
    assert isinstance(client, AsyncTestClient)
    problem = await submitted(client, city)
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/comments",
        json={"body": "Clerks can show the team the paper forms on Tuesday."},
        headers=city.auth("requester"),
    )
    assert response.status_code == 201
    mention = await client.post(
        f"/api/v1/problems/{problem['id']}/comments",
        json={"body": "@rosa.diaz@city.example could the clerks bring the spreadsheet too?"},
        headers=city.auth("triager"),
    )
    assert mention.status_code == 201
    return problem


async def test_a_requester_works_on_a_problem_with_others_and_withdraws_it(
    page: Page, city: City, client: object, db: asyncpg.Connection
) -> None:
    problem = await submitted_problem(client, city)
    await sign_in(page, "Rosa Diaz")
    # The triager's mention is in her inbox; she marks it read there.
    await page.goto("/inbox")
    await assert_accessible(page)
    mark = page.get_by_role("button", name=re.compile("^Mark as read"))
    await expect(mark).to_have_count(1)
    await mark.click()
    await expect(page.get_by_text("You have no unread notifications.")).to_be_visible()
    await expect(mark).to_have_count(0)
    await page.goto(f"/problems/{problem['id']}")
    await assert_accessible(page)

    await opened(page, "Add a collaborator")
    await page.get_by_label("Department").select_option(label="Parks and Recreation (PRK)")
    await page.get_by_role("button", name="Add the department").click()
    await expect(page.get_by_text("The collaborator has been added.")).to_be_visible()
    await expect(page.locator(".people").first).to_contain_text("Parks and Recreation (PRK)")

    # A mistake comes back with the error summary, which links to the field.
    await opened(page, "Add a collaborator")
    await page.locator("#collaborator-email").fill("nobody@nowhere.example")
    await page.get_by_role("button", name="Add the colleague").click()
    summary = page.locator(".error-summary")
    await expect(summary).to_contain_text("No active person has the e-mail")
    await assert_accessible(page)
    await summary.get_by_role("link").click()
    await expect(page.locator("#collaborator-email")).to_be_focused()
    await page.locator("#collaborator-email").fill("ines.moreau@city.example")
    await page.get_by_role("button", name="Add the colleague").click()
    await expect(page.locator(".people").first).to_contain_text("Inès Moreau")

    await opened(page, "Ask a colleague to follow it")
    await page.locator("#watcher-email").fill("tom.reyes@city.example")
    await page.get_by_role("button", name="Add them as a follower").click()
    await expect(page.get_by_text("Your colleague now follows this problem.")).to_be_visible()
    await expect(page.locator("#followers ~ .people")).to_contain_text("Tom Reyes")

    form = await opened(page, "Edit your comment")
    await form.get_by_label("Your comment").fill("Clerks can show the forms on Wednesday.")
    await form.get_by_role("button", name="Save the comment").click()
    await expect(page.get_by_text("Your comment has been changed")).to_be_visible()
    await expect(page.locator(".comment").first).to_contain_text("on Wednesday")
    await assert_accessible(page)
    await shot(page, "requester-collaboration.png")

    form = await opened(page, "Withdraw this problem")
    await form.get_by_label("Why you are withdrawing it").fill("The state portal solved it.")
    await form.get_by_role("button", name="Withdraw the problem").click()
    await expect(page.get_by_text("You have withdrawn this problem.")).to_be_visible()
    await expect(page.get_by_text("Withdraw this problem")).to_have_count(0)
    await assert_accessible(page)
    assert await db.fetchval("SELECT status FROM problems") == "withdrawn"


async def test_the_team_changes_and_removes_what_it_recorded(
    page: Page, city: City, client: object, db: asyncpg.Connection
) -> None:
    assert isinstance(client, AsyncTestClient)
    problem = await in_phase(client, city, "live")
    headers = city.auth("team_member")
    base = f"/api/v1/problems/{problem['id']}"
    target = (DAY + timedelta(days=30)).isoformat()
    for path, body in (
        ("milestones", {"title": "Beta in Ward 3", "target_date": target}),
        (
            "findings",
            {
                "kind": "insight",
                "title": "Clerks retype every form",
                "evidence": [{"source": "Interviews", "date": "2026-11-30", "who": "Clerks"}],
            },
        ),
        (
            "metrics",
            {
                "name": "Median days to decision",
                "unit": "days",
                "direction": "decrease",
                "baseline": 31,
                "target": 5,
                "target_date": (DAY + timedelta(days=90)).isoformat(),
            },
        ),
    ):
        assert (await client.post(f"{base}/{path}", json=body, headers=headers)).status_code == 201
    await sign_in(page, "Dev One")
    await page.goto(f"/problems/{problem['id']}/work")
    await assert_accessible(page)

    finding = page.locator(".record", has_text="Clerks retype every form")
    await finding.locator("summary", has_text="Change or remove").click()
    await finding.get_by_label("Finding", exact=True).fill("")
    await finding.get_by_role("button", name="Save the changes").click()
    await expect(page.locator(".error-summary")).to_contain_text("Finding")
    await assert_accessible(page)
    finding = page.locator(".record", has_text="Evidence: Interviews").first
    await finding.get_by_label("Finding", exact=True).fill("Clerks retype most forms")
    await finding.get_by_role("button", name="Save the changes").click()
    await expect(page.get_by_text("The finding has been changed.")).to_be_visible()

    milestone = page.locator(".record", has_text="Beta in Ward 3")
    await milestone.locator("summary", has_text="Change or remove").click()
    await milestone.get_by_label("Milestone", exact=True).fill("Beta in Wards 3 and 7")
    await milestone.get_by_role("button", name="Save the changes").click()
    await expect(page.get_by_text("The milestone has been changed.")).to_be_visible()
    milestone = page.locator(".record", has_text="Beta in Wards 3 and 7")
    await milestone.locator("summary", has_text="Mark as done").click()
    await milestone.get_by_label("Done on").fill(DAY.isoformat())
    await milestone.get_by_role("button", name="Mark as done").click()
    await page.get_by_role("button", name="Reopen: it is not done").click()
    await expect(page.get_by_text("The milestone is open again.")).to_be_visible()

    metric = page.locator(".record", has_text="Median days to decision")
    await metric.locator("summary", has_text="Change or remove").click()
    await metric.get_by_label("Target", exact=True).fill("3")
    await metric.get_by_role("button", name="Save the changes").click()
    await expect(page.get_by_text("The outcome metric has been changed.")).to_be_visible()
    await expect(page.locator(".record", has_text="Median days")).to_contain_text("3 days by")
    await assert_accessible(page)
    metric = page.locator(".record", has_text="Median days to decision")
    await metric.locator("summary", has_text="Change or remove").click()
    await metric.get_by_role("button", name="Remove the metric").click()
    await expect(page.get_by_text("The outcome metric has been removed.")).to_be_visible()
    await expect(page.locator(".record", has_text="Median days")).to_have_count(0)
    await assert_accessible(page)


async def test_the_new_forms_reflow_and_another_department_sees_none(
    browser: Browser, base_url: str, city: City, client: object, db: asyncpg.Connection
) -> None:
    problem = await submitted_problem(client, city)
    context = await browser.new_context(base_url=base_url)
    page = await context.new_page()
    try:  # another department's requester sees none of the forms
        await sign_in(page, "Tom Reyes")
        await page.goto(f"/problems/{problem['id']}")
        await expect(page.get_by_role("heading", level=1)).to_have_text(problem["title"])
        for summary in (
            "Add a collaborator",
            "Ask a colleague to follow it",
            "Edit your comment",
            "Withdraw this problem",
        ):
            await expect(page.locator("summary", has_text=summary)).to_have_count(0)
        await assert_accessible(page)
    finally:
        await context.close()
    # 320 CSS px is a 1280 px window at 400%; 640 CSS px at 2x pixels is 200% zoom.
    for width, scale in ((320, 1), (640, 2)):
        context = await browser.new_context(
            base_url=base_url, viewport={"width": width, "height": 800}, device_scale_factor=scale
        )
        page = await context.new_page()
        page.set_default_timeout(20_000)
        try:
            await sign_in(page, "Rosa Diaz")
            await page.goto(f"/problems/{problem['id']}")
            await no_horizontal_scroll(page)
            for summary in (
                "Add a collaborator",
                "Ask a colleague to follow it",
                "Edit your comment",
                "Withdraw this problem",
            ):
                form = await opened(page, summary)
                await no_horizontal_scroll(page)
                button = form.get_by_role("button").last
                await button.scroll_into_view_if_needed()
                await expect(button).to_be_in_viewport()
            await page.get_by_role("button", name="Add the colleague").click()
            await expect(page.locator(".error-summary")).to_be_visible()
            await no_horizontal_scroll(page)
            await assert_accessible(page)
        finally:
            await context.close()
