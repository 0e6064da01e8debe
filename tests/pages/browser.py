"""Helpers for the pages' browser tests: axe-core, signing in, screenshots, the keyboard."""

from __future__ import annotations

import os
from pathlib import Path

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from tests.builders import ROOT

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# INTAKE_SCREENSHOTS=docs/images keeps the README's screenshots up to date.
SCREENSHOTS = os.environ.get("INTAKE_SCREENSHOTS")


async def assert_accessible(page: Page) -> None:
    """axe-core finds no WCAG 2.1 AA violation on the page as it is now.

    Every rule still runs on every element; ``resultTypes`` only spares axe building a
    selector for each element that passed (its costliest step on a large page, more than half
    of a browser test's time) and sending them all back.
    """
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    results = await Axe().run(page, options=options)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


async def sign_in(page: Page, name: str) -> None:
    await page.goto("/sign-in")
    option = page.locator("#email option", has_text=name).first
    await page.select_option("#email", await option.get_attribute("value"))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_text(f"Signed in as {name}")).to_be_visible()


async def shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        folder = ROOT / SCREENSHOTS
        folder.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / name), full_page=True)


async def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    target = page.locator(selector).first
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


async def choose(page: Page, selector: str, label: str, limit: int = 60) -> None:
    """Pick the option starting with ``label`` in the focused closed select with the arrow
    keys (type-to-select depends on how quickly the keys arrive: not on a busy machine)."""
    select = page.locator(selector)
    await page.keyboard.press("Home")
    for _ in range(limit):
        chosen = await select.evaluate("element => element.selectedOptions[0]?.text ?? ''")
        if chosen.strip().startswith(label):
            return
        await page.keyboard.press("ArrowDown")
    raise AssertionError(f"{selector} has no option starting with {label!r}")


async def no_horizontal_scroll(page: Page) -> None:
    wide = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 0, f"the page scrolls sideways by {wide}px at {page.viewport_size}"
