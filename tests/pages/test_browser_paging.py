"""A long list in a real headless Chromium: the link to the next records is reached with the
keyboard and followed without script, and the page stays clean for axe-core and at a phone's
width (320 CSS px)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from playwright.async_api import Browser, Page, expect

from intake.pages import paging
from tests.builders import City
from tests.helpers import in_phase
from tests.pages.browser import assert_accessible, no_horizontal_scroll, sign_in, tab_to

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)


async def test_older_status_updates_by_keyboard_at_a_phones_width(
    page: Page, browser: Browser, base_url: str, city: City, client: Any
) -> None:
    assert isinstance(client, AsyncTestClient)
    problem = await in_phase(client, city, "delivery")
    for n in range(paging.UPDATES + 1):
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/updates",
            json={"status": "at_risk", "summary": f"Update number {n:03}"},
            headers=city.auth("team_member"),
        )
        assert response.status_code == 201, response.text
    await sign_in(page, "Dev One")
    await page.goto(f"/problems/{problem['id']}/work")
    updates = page.locator("section[aria-labelledby=updates]")
    await expect(updates.get_by_text("Update number 000")).to_have_count(0)
    await assert_accessible(page)
    older = updates.get_by_role("link", name="Older status updates")
    await older.focus()  # from the previous link, one Tab reaches it
    await page.keyboard.press("Shift+Tab")
    await tab_to(page, "a[rel=next][href*=updates_after]", limit=5)
    await page.keyboard.press("Enter")
    await expect(updates.get_by_text("Update number 000")).to_be_visible()
    await expect(
        updates.get_by_role("link", name="Back to the first status updates")
    ).to_be_visible()
    await expect(page.get_by_role("heading", name="Milestones")).to_be_visible()
    await assert_accessible(page)
    narrow = await browser.new_context(base_url=base_url, viewport={"width": 320, "height": 800})
    try:
        phone = await narrow.new_page()
        await sign_in(phone, "Dev One")
        await phone.goto(page.url)
        await expect(phone.get_by_text("Update number 000")).to_be_visible()
        await no_horizontal_scroll(phone)
    finally:
        await narrow.close()
