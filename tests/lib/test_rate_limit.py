"""Rate limiting: a caller past INTAKE_RATE_LIMIT_PER_MINUTE gets 429 problem+json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from intake.config import ConfigError, Settings
from tests.builders import EMAILS, City
from tests.conftest import Apps
from tests.helpers import assert_problem_json

LIMIT = 3


@pytest.fixture
async def limited(
    apps: Apps, settings: Settings, db: asyncpg.Connection
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with apps.test_client(replace(settings, rate_limit_per_minute=LIMIT)) as client:
        yield client


async def test_a_caller_past_the_limit_gets_429_with_retry_after(
    limited: AsyncTestClient[Litestar], city: City
) -> None:
    for left in range(LIMIT - 1, -1, -1):
        response = await limited.get("/api/v1/me", headers=city.auth("requester"))
        assert response.status_code == 200
        assert response.headers["ratelimit-remaining"] == str(left)
        assert response.headers["ratelimit-limit"] == str(LIMIT)

    refused = await limited.get("/api/v1/me", headers=city.auth("requester"))
    body = assert_problem_json(refused, 429)
    assert body["type"].endswith("rate-limited")
    assert body["title"] == "Too many requests"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-remaining"] == "0"

    # Each caller counts on their own; health checks are never limited.
    assert (await limited.get("/api/v1/me", headers=city.auth("triager"))).status_code == 200
    for _ in range(LIMIT + 1):
        assert (await limited.get("/health/live")).status_code == 200


async def test_every_token_of_a_person_shares_one_budget(
    limited: AsyncTestClient[Litestar], city: City
) -> None:
    # A fresh token per request (a client that renews them) does not reset the count.
    tokens = [city.keys.issue(EMAILS["requester"], timedelta(minutes=m)) for m in (5, 6, 7, 8)]
    assert len(set(tokens)) == len(tokens)
    codes = [
        (await limited.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code
        for token in tokens
    ]
    assert codes == [200] * LIMIT + [429]
    # A request without a valid token is refused before it is counted.
    assert (await limited.get("/api/v1/me")).status_code == 401


def test_the_limit_is_a_setting() -> None:
    assert Settings.from_env({}).rate_limit_per_minute == 600
    assert Settings.from_env({"INTAKE_RATE_LIMIT_PER_MINUTE": "0"}).rate_limit_per_minute == 0
    with pytest.raises(ConfigError, match="INTAKE_RATE_LIMIT_PER_MINUTE"):
        Settings.from_env({"INTAKE_RATE_LIMIT_PER_MINUTE": "-1"})
