"""A current portfolio view may answer with a body up to INTAKE_PORTFOLIO_STALE_SECONDS old.

Once the data has changed, the next request gets the body computed last, with an Age header,
and the view is computed again in the background; a request that says `Cache-Control:
no-cache` (or a smaller max-age) waits for a fresh body instead. The rest of the suite runs
with the window at 0 (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar

from intake.config import Settings
from intake.portfolio import caching
from tests.builders import City
from tests.conftest import Apps
from tests.helpers import Client, submitted

WINDOW = 60
SUMMARY = "/api/v1/portfolio/summary"


@pytest.fixture
def app(apps: Apps, settings: Settings) -> Litestar:
    return apps.build(replace(settings, portfolio_stale_seconds=WINDOW))


async def summary(
    client: Client, city: City, who: str = "leader", **headers: str
) -> httpx.Response:
    response = await client.get(
        SUMMARY, headers={**city.auth(who), **{k.replace("_", "-"): v for k, v in headers.items()}}
    )
    assert response.status_code in (200, 304), response.text
    return response


def total(response: httpx.Response) -> Any:
    return response.json()["total"]


async def fresh_within(
    client: Client, city: City, want: int, seconds: float = 10
) -> httpx.Response:
    """Poll (without no-cache) until the background computation has answered ``want``."""
    deadline = time.monotonic() + seconds
    while True:
        response = await summary(client, city)
        if total(response) == want:
            return response
        assert time.monotonic() < deadline, f"still {total(response)} after {seconds} s"
        await asyncio.sleep(0.05)


async def test_a_changed_view_answers_with_its_last_body_while_it_is_computed_again(
    client: Client, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caching, "REFRESH_SECONDS", 0)
    await submitted(client, city)
    first = await summary(client, city)
    assert total(first) == 1 and "age" not in first.headers

    await submitted(client, city, "parks")
    stale = await summary(client, city)
    assert stale.content == first.content
    assert stale.headers["etag"] == first.headers["etag"]
    assert int(stale.headers["age"]) <= WINDOW
    assert stale.headers["cache-control"] == "private, max-age=60"

    fresh = await fresh_within(client, city, 2)
    assert fresh.headers["etag"] != first.headers["etag"]
    assert "age" not in fresh.headers
    generated = datetime.fromisoformat(fresh.json()["generated_at"])
    assert generated >= datetime.fromisoformat(first.json()["generated_at"])


async def test_a_view_whose_data_keeps_changing_is_computed_at_most_every_refresh_interval(
    client: Client, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    await submitted(client, city)
    first = await summary(client, city)
    await submitted(client, city, "parks")
    for _ in range(3):  # changed, but its last computation began under 10 s ago: kept
        again = await summary(client, city)
        assert again.content == first.content and "age" in again.headers
        await asyncio.sleep(0.2)

    shift = caching.REFRESH_SECONDS  # the last computation began 10 s earlier than it did
    monkeypatch.setattr(caching, "monotonic", lambda: time.monotonic() + shift)
    await fresh_within(client, city, 2)


async def test_background_computations_are_bounded_per_process(
    client: Client, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caching, "REFRESH_SECONDS", 0)
    monkeypatch.setattr(caching, "MAX_REFRESHING", 1)
    await submitted(client, city)
    first = {
        view: await client.get(f"/api/v1/portfolio/{view}", headers=city.auth("leader"))
        for view in ("summary", "sla")
    }
    await submitted(client, city, "parks")
    gate = asyncio.Event()
    original = caching.ViewBodies._refresh
    started: list[int] = []

    async def held(self: caching.ViewBodies, *args: Any) -> None:
        started.append(1)
        if len(started) == 1:
            await gate.wait()  # the first background computation is still running
        await original(self, *args)

    monkeypatch.setattr(caching.ViewBodies, "_refresh", held)
    assert total(await summary(client, city)) == 1  # stale; its computation starts, and waits
    for _ in range(3):  # the one slot is taken: sla keeps its last body, nothing starts
        sla = await client.get("/api/v1/portfolio/sla", headers=city.auth("leader"))
        assert sla.content == first["sla"].content and "age" in sla.headers
        await asyncio.sleep(0.05)
    assert len(started) == 1
    gate.set()
    await fresh_within(client, city, 2)


async def test_no_cache_or_a_smaller_max_age_waits_for_a_fresh_body(
    client: Client, city: City
) -> None:
    await submitted(client, city)
    assert total(await summary(client, city)) == 1

    await submitted(client, city, "parks")
    fresh = await summary(client, city, cache_control="no-cache")
    assert total(fresh) == 2 and "age" not in fresh.headers

    await submitted(client, city, "health")
    assert total(await summary(client, city, cache_control="max-age=0")) == 3
    await submitted(client, city)
    assert total(await summary(client, city, cache_control="max-age=nonsense")) == 4
    await submitted(client, city)
    accepting = await summary(client, city, cache_control="max-age=3600")
    assert total(accepting) == 4 and "age" in accepting.headers  # the window still bounds it


async def test_a_dashboard_holding_the_stale_body_gets_304(client: Client, city: City) -> None:
    await submitted(client, city)
    first = await summary(client, city)
    await submitted(client, city, "parks")
    again = await summary(client, city, if_none_match=first.headers["etag"])
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"] and "age" in again.headers


async def test_a_body_older_than_the_window_is_not_served(
    client: Client, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    await submitted(client, city)
    assert total(await summary(client, city)) == 1
    await submitted(client, city, "parks")
    later = time.monotonic() + WINDOW + 1
    monkeypatch.setattr(caching, "monotonic", lambda: later)
    response = await summary(client, city)
    assert total(response) == 2 and "age" not in response.headers


async def test_each_scope_has_its_own_last_body(client: Client, city: City) -> None:
    await submitted(client, city)  # DOT
    await submitted(client, city, "parks")
    city_wide = await summary(client, city)
    own = await summary(client, city, "requester")
    assert (total(city_wide), total(own)) == (2, 1)

    await submitted(client, city, "parks")
    stale_own = await summary(client, city, "requester")
    assert stale_own.content == own.content and "age" in stale_own.headers
    stale_city = await summary(client, city)
    assert stale_city.content == city_wide.content


async def test_views_of_a_past_moment_are_never_stale(client: Client, city: City) -> None:
    await submitted(client, city)
    moment = datetime.now(UTC).isoformat()
    params = {"as_of": moment}
    first = await client.get(SUMMARY, params=params, headers=city.auth("leader"))
    await submitted(client, city, "parks")
    again = await client.get(SUMMARY, params=params, headers=city.auth("leader"))
    assert again.status_code == 200 and "age" not in again.headers
    assert again.headers["etag"] != first.headers["etag"]
    assert total(again) == total(first) == 1


async def test_a_cache_control_that_cannot_be_read_asks_for_a_fresh_body(
    client: Client, city: City
) -> None:
    await submitted(client, city)
    assert total(await summary(client, city)) == 1
    await submitted(client, city, "parks")
    for unreadable in ("max-age=-1", "max-age=1e3", "max-age", 'max-age=""'):
        response = await summary(client, city, cache_control=unreadable)
        assert response.status_code == 200
        assert total(response) == 2 and "age" not in response.headers


@pytest.mark.parametrize(
    ("cache_control", "accepted"),
    [
        (None, 60),
        ("", 60),
        ("max-age=30", 30),
        ('max-age="30"', 30),
        ("max-age=3600", 60),
        ("no-cache", 0),
        ("max-age=30, no-cache", 0),
        ("MAX-AGE=5", 5),
        ("max-age=\xb2", 0),  # "²" is a digit to str.isdigit(), not to int(); a header's
        ("max-age=\u0663", 0),  # bytes arrive as latin-1, so a client can send it
        ("no-store, max-stale=10", 60),
    ],
)
def test_how_old_a_body_a_request_accepts(cache_control: str | None, accepted: float) -> None:
    assert caching.accepted_age(cache_control, 60) == accepted
