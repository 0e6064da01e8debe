"""The leadership dashboard in a real headless Chromium: leadership reads it as of yesterday
and downloads the CSV, axe-core on every state of the page, a phone-width screen and 200%
zoom, and a requester kept out of another department's portfolio."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.demo.seed import seed_demo_city
from intake.portfolio.export import HEADER
from tests.builders import ROOT, City
from tests.pages.browser import SCREENSHOTS, assert_accessible, sign_in

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)

DEMO_LEADER = "Priya Raman"  # leader@city.example in the demo city
# The charts' texts that run past their SVG's right edge (and would be cut off).
CUT_TEXT = """() => [...document.querySelectorAll("svg.chart-svg")].flatMap(svg => {
  const edge = svg.getBoundingClientRect().right;
  return [...svg.querySelectorAll("text")]
    .filter(text => text.getBoundingClientRect().right > edge + 0.5)
    .map(text => text.textContent);
})"""


async def _demo_city(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        assert await seed_demo_city(session)


async def _states_at(db: asyncpg.Connection, moment: datetime) -> dict[str, str]:
    """Each problem submitted by ``moment``: its reference -> its state then, from history."""
    rows = await db.fetch(
        "SELECT DISTINCT ON (e.problem_id) p.reference, e.to_status FROM problem_events e "
        "JOIN problems p ON p.id = e.problem_id "
        "WHERE e.to_status IS NOT NULL AND e.occurred_at <= $1 "
        "AND e.problem_id IN (SELECT problem_id FROM problem_events "
        "  WHERE to_status = 'submitted' AND occurred_at <= $1) "
        "ORDER BY e.problem_id, e.occurred_at DESC, e.id DESC",
        moment,
    )
    return {row["reference"]: row["to_status"] for row in rows}


async def test_leadership_reads_the_dashboard_as_of_yesterday_and_downloads_the_csv(
    page: Page,
    db: asyncpg.Connection,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    await _demo_city(sessions)
    await sign_in(page, DEMO_LEADER)
    await page.get_by_role("link", name="Portfolio", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Portfolio")
    await expect(page.get_by_text("as they are now")).to_be_visible()
    await assert_accessible(page)

    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    await page.get_by_label("As of").fill(yesterday.isoformat())
    await page.get_by_role("button", name="Show the portfolio").click()
    await expect(
        page.get_by_text(f"as they stood at the end of {yesterday:%-d %B %Y} (UTC)")
    ).to_be_visible()
    await expect(page.locator("#chart-by-state svg[role=img]")).to_be_visible()
    await assert_accessible(page)
    if SCREENSHOTS:
        folder = ROOT / SCREENSHOTS
        folder.mkdir(parents=True, exist_ok=True)
        await page.set_viewport_size({"width": 1100, "height": 1700})
        await page.screenshot(path=str(folder / "leadership-dashboard.png"))

    # Every chart's data opens as a table; the page stays accessible with them open.
    summaries = page.locator("details.chart-data > summary")
    for index in range(await summaries.count()):
        await summaries.nth(index).click()
    await expect(page.locator("#chart-by-state table")).to_be_visible()
    await assert_accessible(page)

    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download as CSV").click()
    download = await downloading.value
    assert download.suggested_filename.startswith(f"intake-portfolio-as-of-{yesterday}")
    saved = tmp_path / "portfolio.csv"
    await download.save_as(saved)
    with saved.open(encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file))
    assert tuple(table[0]) == HEADER
    end = datetime.combine(yesterday + timedelta(days=1), time.min, UTC) - timedelta(microseconds=1)
    reference, state = HEADER.index("reference"), HEADER.index("state")
    assert {row[reference]: row[state] for row in table[1:]} == await _states_at(db, end)
    assert len(table) > 10  # the demo city's problems, one row each


async def test_the_dashboard_fits_a_phone_and_200_percent_zoom(
    browser: Browser,
    base_url: str,
    db: asyncpg.Connection,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _demo_city(sessions)
    # A phone 320 CSS px wide; and a 1280 px window at 200% zoom, which lays the page out
    # in 640 CSS px (device pixels doubled).
    for width, scale in ((320, 1), (640, 2)):
        context = await browser.new_context(
            base_url=base_url,
            viewport={"width": width, "height": 800},
            device_scale_factor=scale,
        )
        page = await context.new_page()
        page.set_default_timeout(20_000)
        try:
            await sign_in(page, DEMO_LEADER)
            await page.goto("/dashboard")
            await expect(page.locator("#chart-team-load svg")).to_be_visible()
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
            for name in ("Show the portfolio", "Download as CSV"):
                action = page.get_by_role("button", name=name).or_(
                    page.get_by_role("link", name=name)
                )
                await action.scroll_into_view_if_needed()
                box = await action.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            for chart in await page.locator("svg.chart-svg").all():
                box = await chart.bounding_box()
                assert box is not None and box["x"] + box["width"] <= width
            cut = await page.evaluate(CUT_TEXT)
            assert cut == [], f"chart text cut off at {width}px: {cut}"
            await assert_accessible(page)
        finally:
            await context.close()


async def test_a_requester_is_kept_to_their_own_department(page: Page, city: City) -> None:
    await sign_in(page, "Rosa Diaz")  # DOT
    await page.goto("/dashboard")
    await expect(page.get_by_text("Your department's problems (DOT)")).to_be_visible()
    await assert_accessible(page)

    response = await page.goto("/dashboard?department=DPH")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do that")
    await assert_accessible(page)

    # A filter that cannot be read: the error summary names it and links to it.
    response = await page.goto("/dashboard?as_of=yesterday")
    assert response is not None and response.status == 422
    summary = page.locator(".error-summary")
    await expect(summary).to_contain_text("As of: Enter a real date")
    await assert_accessible(page)
    await summary.get_by_role("link").first.click()
    await expect(page.locator("#as_of")).to_be_focused()

    response = await page.goto("/no/such/page")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    await assert_accessible(page)
