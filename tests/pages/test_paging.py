"""The pages' long lists over HTTP: each shows its first records and a plain link to the
next ones (the API's cursor in the address), every record is reachable that way, the rest of
the page stays, and a cursor the server did not hand out is a clear 400 page."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from intake.pages import paging
from tests.builders import City
from tests.helpers import draft, in_phase
from tests.pages.helpers import Client, sign_in

DAY = datetime.now(UTC).date()
MORE = re.compile(r'<a href="([^"]+)" rel="next">(?:Show more|Older) ([^<]+)</a>')
EVIDENCE = [{"source": "Counter interviews", "date": DAY.isoformat(), "who": "Clerks"}]


def part(text: str, start: str, end: str | None) -> str:
    """The piece of a page from the marker ``start`` to the next ``end``."""
    rest = text.split(start, 1)[1]
    return rest.split(end, 1)[0] if end else rest


async def walk(
    client: Client, url: str, what: str, record: str, start: str, end: str | None
) -> list[list[str]]:
    """The records (matches of ``record``) of the list between ``start`` and ``end`` on each
    page reached by following its "Show more <what>" link from ``url``."""
    pages: list[list[str]] = []
    while True:
        page = await client.get(url)
        assert page.status_code == 200, page.text
        section = part(page.text, start, end)
        pages.append(list(dict.fromkeys(re.findall(record, section))))  # once per record
        links = [
            html.unescape(href)
            for href, shows in MORE.findall(section)
            if html.unescape(shows) == what
        ]
        if not links:
            return pages
        assert len(pages) < 10, "the list never ends"
        url = links[0]


async def post(client: Client, city: City, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(url, json=body, headers=city.auth("team_member"))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_every_workspace_list_pages_through_all_its_records(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "live")
    api = f"/api/v1/problems/{problem['id']}"
    later = (DAY + timedelta(days=90)).isoformat()
    for n in range(paging.FINDINGS + 1):
        await post(
            client,
            city,
            f"{api}/findings",
            {"kind": "insight", "title": f"Finding-{n:03}", "evidence": EVIDENCE},
        )
    for n in range(paging.MILESTONES + 1):
        await post(
            client, city, f"{api}/milestones", {"title": f"Mile-{n:03}", "target_date": later}
        )
    for n in range(paging.UPDATES + 1):
        await post(client, city, f"{api}/updates", {"status": "on_track", "summary": f"Upd-{n:03}"})
    metrics = [
        await post(
            client,
            city,
            f"{api}/metrics",
            {
                "name": f"Metric-{n:03}",
                "unit": "%",
                "direction": "increase",
                "baseline": 10,
                "target": 80,
                "target_date": later,
            },
        )
        for n in range(paging.METRICS + 1)
    ]
    first = metrics[0]
    for n in range(paging.MEASUREMENTS + 1):
        await post(
            client,
            city,
            f"{api}/metrics/{first['id']}/measurements",
            {"value": 11 + n, "measured_on": DAY.isoformat(), "note": f"Note-{n:03}"},
        )
    await sign_in(client, "team_member")
    work = f"/problems/{problem['id']}/work"

    def section(name: str) -> tuple[str, str]:
        return f'<section aria-labelledby="{name}">', "</section>"

    lists = (
        ("findings", r"Finding-\d{3}", paging.FINDINGS, section("findings")),
        ("milestones", r"Mile-\d{3}", paging.MILESTONES, section("milestones")),
        ("status updates", r"Upd-\d{3}", paging.UPDATES, section("updates")),
        ("outcome metrics", r"Metric-\d{3}", paging.METRICS, section("metrics")),
        (
            "measurements of Metric-000",
            r"Note-\d{3}",
            paging.MEASUREMENTS,
            (f'id="metric-{first["id"]}"', 'id="metric-'),
        ),
    )
    for what, record, size, (start, end) in lists:
        pages = await walk(client, work, what, record, start, end)
        seen = [title for page in pages for title in page]
        assert len(pages) == 2 and len(pages[0]) == size, (what, [len(p) for p in pages])
        assert len(seen) == len(set(seen)) == size + 1, what
    # The updates read newest first: the second page holds the oldest.
    pages = await walk(client, work, "status updates", r"Upd-\d{3}", *section("updates"))
    assert pages[1] == ["Upd-000"]
    # A later page of one list keeps the page's other sections at their first records.
    page = await client.get(work)
    link = html.unescape(MORE.search(part(page.text, *section("findings")))[1])  # type: ignore[index]
    assert "findings_after=" in link and link.endswith("#findings")
    later_page = await client.get(link)
    assert "Back to the first findings" in later_page.text
    assert len(set(re.findall(r"Mile-\d{3}", later_page.text))) == paging.MILESTONES
    assert "Journey map" in later_page.text and "Add a finding" in later_page.text


async def test_the_problem_page_pages_its_comments_and_history_and_home_its_problems(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "accepted")
    for n in range(paging.COMMENTS + 1):
        await post(
            client,
            city,
            f"/api/v1/problems/{problem['id']}/comments",
            {"body": f"Say-{n:03} for @rosa.diaz@city.example"},
        )
    await sign_in(client, "requester")
    url = f"/problems/{problem['id']}"
    comments = await walk(
        client, url, "comments", r"Say-\d{3}", '<h2 id="comments"', '<h2 id="history"'
    )
    assert [len(page) for page in comments] == [paging.COMMENTS, 1]
    assert comments[1] == [f"Say-{paging.COMMENTS:03}"]  # oldest first
    history = await walk(
        client, url, "history events", r'id="event-(\d+)"', '<h2 id="history"', None
    )
    events = await client.get(
        f"/api/v1/problems/{problem['id']}/history?limit=100", headers=city.auth("requester")
    )
    total = len(events.json()["items"])
    assert total > paging.HISTORY
    assert [len(page) for page in history] == [paging.HISTORY, total - paging.HISTORY]
    # Each comment mentions the requester: more than a page of notifications.
    inbox = await walk(client, "/inbox", "notifications", r'id="notification-(\d+)"', "<h1>", None)
    notified = await db.fetchval(
        "SELECT count(*) FROM notifications n JOIN people p ON p.id = n.person_id"
        " WHERE p.email = 'rosa.diaz@city.example'"
    )
    assert notified > paging.INBOX
    assert [len(page) for page in inbox] == [paging.INBOX, notified - paging.INBOX]
    # The department's own problems, more than a page of them.
    for n in range(paging.PROBLEMS):
        await draft(client, city, title=f"Draft {n:03} of the permit backlog")
    mine = await walk(
        client,
        "/",
        "of my department's problems",
        r'<a href="/problems/[^"]+">',
        '<h2 id="mine"',
        '<h2 id="followed"',
    )
    assert [len(page) for page in mine] == [paging.PROBLEMS, 1]
    assert len({p for page in mine for p in page}) == paging.PROBLEMS + 1


async def test_a_garbled_cursor_is_a_clear_400_page(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "live")
    await sign_in(client, "team_member")
    for url in (
        f"/problems/{problem['id']}/work?findings_after=not-a-cursor",
        f"/problems/{problem['id']}/work?updates_after=%00%00",
        f"/problems/{problem['id']}/work?milestones_after={'A' * 600}",
        f"/problems/{problem['id']}?comments_after=WyJ4Il0",
        f"/problems/{problem['id']}?history_after=e30",
        "/?mine_after=bm9wZQ",
        "/inbox?cursor=garbled",
    ):
        page = await client.get(url)
        assert page.status_code == 400, (url, page.status_code)
        assert "This link to more records is broken or out of date" in page.text, url
        assert "text/html" in page.headers["content-type"]
