"""The leadership dashboard over HTTP: charts with their data, as of a day, filters, the CSV
download, who sees what; and the polish every page shares (the unread count in the header,
an HTML 404 with the security headers at any address no page has)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.demo.seed import seed_demo_city
from intake.pages.dashboard import STATE_WORDS
from tests.builders import City
from tests.helpers import act, in_phase, submitted
from tests.pages.helpers import Client, csrf_of, sign_in

CHARTS = (
    "by-state",
    "by-phase",
    "by-priority",
    "by-department",
    "by-team",
    "time-in-state",
    "throughput",
    "sla",
    "team-load",
    "metrics-by-state",
    "closed-by-result",
    "at-risk",
    "departments",
    "communities",
)


def figure(html: str, chart: str) -> str:
    """The chart's figure: title, description, SVG and data table."""
    start = html.index(f'id="chart-{chart}"')
    return html[start : html.index("</figure>", start)]


def drawn(html: str) -> str:
    """The text an SVG chart draws, its lines joined."""
    return " ".join(re.findall(r"<text[^>]*>(.*?)</text>", html))


def rows(html: str) -> dict[str, list[str]]:
    """A chart's data table: the first cell of each row -> the others."""
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    table = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        table[cells[0]] = cells[1:]
    return table


async def _city_at_work(client: Client, city: City) -> None:
    await in_phase(client, city, "delivery")
    await submitted(client, city, "parks", title="Parks problem waiting for triage")
    triaged = await submitted(client, city, "health", title="Health problem in triage")
    await act(client, city, triaged, "triage")


async def test_leadership_reads_every_view_as_a_chart_with_its_data(
    client: Client, city: City
) -> None:
    await _city_at_work(client, city)
    await sign_in(client, "leader")
    page = await client.get("/dashboard")
    assert page.status_code == 200, page.text
    html = page.text
    assert "The city's problems" in html and "as they are now" in html
    for chart in CHARTS:
        shown = figure(html, chart)
        assert f'id="{chart}-title"' in shown and f'id="{chart}-description"' in shown
        assert ("<svg" in shown and "<table" in shown) or "Nothing to show" in shown, chart
        if "<svg" in shown:
            named = f'role="img" aria-labelledby="{chart}-title {chart}-description"'
            assert named in shown, chart

    states = figure(html, "by-state")
    assert "3 problems in 3 groups" in states
    assert "Submitted: 1 In triage: 1 Delivery: 1" in drawn(states)
    assert rows(states) == {"Submitted": ["1"], "In triage": ["1"], "Delivery": ["1"]}
    assert rows(figure(html, "by-phase")) == {"Alpha": ["1"]}
    assert rows(figure(html, "by-department")) == {
        "Department of Transportation": ["1"],
        "Department of Public Health": ["1"],
        "Parks and Recreation": ["1"],
    }
    teams = figure(html, "team-load")
    assert "Permits Team: 1 active, limit 5, 4 free" in drawn(teams)
    assert rows(teams) == {"Permits Team": ["1", "5"]}
    assert "chart-limit" in teams  # the limit drawn across the bar


async def test_as_of_a_day_shows_the_portfolio_at_the_end_of_that_day(
    client: Client,
    db: asyncpg.Connection,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        assert await seed_demo_city(session)  # a city with months of history
    await _sign_in_as(client, "leader@city.example")
    now = rows(figure((await client.get("/dashboard")).text, "by-state"))
    for days_ago in (1, 7):
        day = datetime.now(UTC).date() - timedelta(days=days_ago)
        page = await client.get(f"/dashboard?as_of={day}")
        assert page.status_code == 200, page.text
        assert f"as they stood at the end of {day:%-d %B %Y} (UTC)" in page.text
        shown = rows(figure(page.text, "by-state"))
        assert shown == await _states_at(db, day)
        if days_ago == 7:
            assert shown != now  # a week ago is not today


async def _states_at(db: asyncpg.Connection, day: date) -> dict[str, list[str]]:
    """The by-state table as history says it stood at the end of ``day``."""
    end = datetime.combine(day + timedelta(days=1), time.min, UTC) - timedelta(microseconds=1)
    then = await db.fetch(
        "SELECT DISTINCT ON (problem_id) to_status FROM problem_events "
        "WHERE to_status IS NOT NULL AND occurred_at <= $1 "
        "AND problem_id IN (SELECT problem_id FROM problem_events "
        "  WHERE to_status = 'submitted' AND occurred_at <= $1) "
        "ORDER BY problem_id, occurred_at DESC, id DESC",
        end,
    )
    counts: dict[str, int] = {}
    for row in then:
        counts[row["to_status"]] = counts.get(row["to_status"], 0) + 1
    order = list(STATE_WORDS)
    return {STATE_WORDS[state]: [str(counts[state])] for state in sorted(counts, key=order.index)}


async def _sign_in_as(client: Client, email: str) -> None:
    sign_in_page = await client.get("/sign-in")
    signed = await client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(sign_in_page.text), "email": email},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text


async def test_bad_filters_are_a_page_that_says_what_to_fix(client: Client, city: City) -> None:
    await sign_in(client, "leader")
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    cases = {
        f"as_of={tomorrow}": ("as_of", "today or in the past"),
        "as_of=yesterday": ("as_of", "Enter a real date"),
        "as_of=2026-02-30": ("as_of", "Enter a real date"),
        "as_of=1969-12-31": ("as_of", "1970-01-01 or later"),
        "team=not-a-team": ("team", "Choose a team from the list"),
        "team=6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11": ("team", "Choose a team from the list"),
        "department=ZZZ": ("department", "Choose a department from the list"),
        "department=%27%3B--": ("department", "Choose a department from the list"),
        "from=2026-05-02&to=2026-05-01": ("date_from", "on or before the last day"),
        "to=99999-01-01": ("date_to", "Enter a real date"),
    }
    for query, (field, message) in cases.items():
        for path in ("/dashboard", "/dashboard/export.csv"):
            response = await client.get(f"{path}?{query}")
            assert response.status_code == 422, (query, response.text)
            assert response.headers["content-type"].startswith("text/html")
            summary = response.text.split('class="error-summary"')[1].split("</div>")[0]
            assert f'href="#{field}"' in summary and message in summary, (query, summary)
            assert f'id="{field}"' in response.text
    too_long = await client.get("/dashboard?as_of=" + "1" * 500)
    assert too_long.status_code == 422 and "Enter a real date" in too_long.text


async def test_a_requester_sees_their_department_and_no_other(client: Client, city: City) -> None:
    await _city_at_work(client, city)
    await submitted(client, city, "health", title="Restricted health problem", restricted=True)
    await sign_in(client, "requester")  # DOT
    own = await client.get("/dashboard")
    assert own.status_code == 200
    assert "Your department's problems (DOT)" in own.text
    assert rows(figure(own.text, "by-department")) == {"Department of Transportation": ["1"]}
    assert "Restricted health problem" not in own.text
    assert 'id="department"' in own.text and "<select" in own.text  # teams only
    for path in ("/dashboard", "/dashboard/export.csv"):
        other = await client.get(f"{path}?department=DPH")
        assert other.status_code == 403
        assert "You cannot do that" in other.text and "own department" in other.text
        assert "Restricted health problem" not in other.text


async def test_the_csv_download_is_the_exports_rows_for_the_same_filters(
    client: Client, city: City
) -> None:
    await _city_at_work(client, city)
    await submitted(client, city, "requester2", title="Second DOT problem about signals")
    await sign_in(client, "leader")
    page = await client.get("/dashboard?department=DOT")
    link = re.search(r'href="(/dashboard/export\.csv[^"]*)"', page.text)
    assert link and link.group(1) == "/dashboard/export.csv?department=DOT"
    download = await client.get(link.group(1))
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"].startswith("attachment; filename=")
    assert "frame-ancestors 'none'" in download.headers["content-security-policy"]
    table = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert table[0][:5] == ["reference", "title", "department_code", "department_name", "state"]
    assert sorted(row[1] for row in table[1:]) == [
        "Residents wait weeks for a street tree planting permit",
        "Second DOT problem about signals",
    ]
    assert {row[2] for row in table[1:]} == {"DOT"}
    api = await client.get(
        "/api/v1/portfolio/export.csv", params={"department": "DOT"}, headers=city.auth("leader")
    )
    assert download.content == api.content


async def test_the_dashboard_needs_a_signed_in_person(client: Client, city: City) -> None:
    response = await client.get("/dashboard?as_of=2026-01-01", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fdashboard%3Fas_of%3D2026-01-01"
    csv_link = await client.get("/dashboard/export.csv", follow_redirects=False)
    assert csv_link.status_code == 303


async def test_every_page_shows_the_unread_count_in_its_header(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    comment = await client.post(
        f"/api/v1/problems/{problem['id']}/comments",
        json={"body": "@rosa.diaz@city.example can you share the paper form?"},
        headers=city.auth("triager"),
    )
    assert comment.status_code == 201, comment.text
    await sign_in(client, "requester")
    for path in ("/", "/problems/new", f"/problems/{problem['id']}", "/dashboard", "/settings"):
        page = await client.get(path)
        assert page.status_code == 200, path
        nav = page.text.split('<nav aria-label="Main">')[1].split("</nav>")[0]
        assert '<span class="count">1 unread</span>' in nav, path


async def test_an_address_no_page_has_is_an_html_404_with_the_page_headers(
    client: Client, city: City
) -> None:
    for path in ("/no/such/page", "/problems/not-an-id", "/dashboard/nothing", "/static/none.css"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "Page not found" in response.text
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
    wrong_method = await client.delete("/inbox")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("text/html")
    assert "GET" in wrong_method.headers["allow"]
    assert "frame-ancestors 'none'" in wrong_method.headers["content-security-policy"]
    for path in ("/api/v1/nothing", "/api/nothing", "/health/nothing"):
        api = await client.get(path)
        assert api.status_code == 404
        assert api.headers["content-type"] == "application/problem+json", path
