"""Portfolio views over HTTP: counts, scope, as_of rebuilt from history, caching headers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.problems import history
from tests.builders import City
from tests.conftest import Steady
from tests.helpers import Client, act, assert_problem_json, in_phase, paired, submitted


def _counts(buckets: list[dict[str, Any]]) -> dict[str, int]:
    return {bucket["key"]: bucket["count"] for bucket in buckets}


async def _summary(client: Client, city: City, who: str = "leader", **query: str) -> Any:
    return await client.get("/api/v1/portfolio/summary", params=query, headers=city.auth(who))


async def test_summary_counts_the_city_by_state_department_team_and_priority(
    client: Client, city: City
) -> None:
    delivery = await in_phase(client, city, "delivery")
    await submitted(client, city, "parks", title="Parks problem waiting for triage")
    triaged = await submitted(client, city, "health", title="Health problem in triage")
    await act(client, city, triaged, "triage")
    await client.post("/api/v1/problems", json={"title": "A draft"}, headers=city.auth("parks"))

    response = await _summary(client, city)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 3  # drafts are not in the portfolio
    assert _counts(body["by_state"]) == {"delivery": 1, "submitted": 1, "triage": 1}
    assert _counts(body["by_phase"]) == {"alpha": 1}
    assert _counts(body["by_department"]) == {"DOT": 1, "PRK": 1, "DPH": 1}
    assert _counts(body["by_team"]) == {delivery["team"]["id"]: 1, "unassigned": 2}
    assert _counts(body["by_priority"]) == {"unscored": 3}
    assert body["as_of"] is None

    only_dot = (await _summary(client, city, department="dot")).json()
    assert only_dot["total"] == 1 and only_dot["filters"]["department"] == "DOT"
    by_team = (await _summary(client, city, team=delivery["team"]["id"])).json()
    assert by_team["total"] == 1


async def test_as_of_shows_the_portfolio_as_it_stood_then(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "discovery")
    other = await submitted(client, city, "parks", title="Submitted before the moment")
    moment = datetime.now(UTC)
    before = (await _summary(client, city)).json()

    # After the moment: one moves on, one is triaged, one more arrives.
    await act(client, city, problem, "start-delivery", who="team_member", body={"phase": "beta"})
    await act(client, city, other, "triage")
    await submitted(client, city, "health", title="Submitted after the moment")

    then = (await _summary(client, city, as_of=moment.isoformat())).json()
    assert then["as_of"] is not None
    for view in ("total", "by_state", "by_phase", "by_department", "by_team"):
        assert then[view] == before[view], view
    now = (await _summary(client, city)).json()
    assert _counts(now["by_state"]) == {"delivery": 1, "triage": 1, "submitted": 1}
    assert _counts(now["by_phase"]) == {"beta": 1}


async def test_requesters_see_their_own_departments_portfolio(client: Client, city: City) -> None:
    await submitted(client, city, title="Our own restricted problem", restricted=True)
    await submitted(client, city, "parks", title="Their parks problem")
    mine = (await _summary(client, city, who="requester")).json()
    assert mine["total"] == 1 and mine["filters"]["department"] == "DOT"
    assert_problem_json(await _summary(client, city, who="requester", department="PRK"), 403)
    assert (await _summary(client, city, who="leader")).json()["total"] == 2
    assert (await _summary(client, city, who="triager")).json()["total"] == 2


async def test_bad_filters_are_422(client: Client, city: City) -> None:
    for query in (
        {"as_of": "2999-01-01T00:00:00Z"},
        {"as_of": "yesterday"},
        {"department": "NOPE"},
        {"team": "6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11"},
        {"from": "2026-02-01", "to": "2026-01-01"},
        {"from": "2026-13-01"},
        {"to": "9999-12-31"},
        {"from": "0001-01-01"},
        {"as_of": "0001-01-01T00:00:00+05:00"},
        {"as_of": "1969-12-31T23:59:59Z"},
    ):
        assert_problem_json(await _summary(client, city, **query), 422)


async def test_views_carry_etags_and_cache_control_for_cheap_polling(
    client: Client, city: City, steady: Steady
) -> None:
    problem = await submitted(client, city)
    moment = datetime.now(UTC).isoformat()  # before steady() holds the views' clock
    await steady()
    first = await _summary(client, city)
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, max-age=60"
    again = await client.get(
        "/api/v1/portfolio/summary", headers={**city.auth("leader"), "If-None-Match": tag}
    )
    assert again.status_code == 304 and again.content == b""
    await act(client, city, problem, "triage")
    changed = await client.get(
        "/api/v1/portfolio/summary", headers={**city.auth("leader"), "If-None-Match": tag}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    past = await _summary(client, city, as_of=moment)
    assert past.headers["cache-control"] == "private, max-age=3600"


async def test_a_tag_never_names_a_view_of_data_since_replaced(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    await submitted(client, city, title="Counted before the history was replaced")
    first = await _summary(client, city)
    tag = first.headers["etag"]
    assert first.json()["total"] == 1

    # The history is replaced wholesale (a restore, a reload): the event ids start again
    # and reach the same newest id, but the tag is new and the old body is not served.
    await db.execute("TRUNCATE problem_timeline, problem_events RESTART IDENTITY CASCADE")
    await db.execute("DELETE FROM problems")
    await submitted(client, city, "parks", title="Counted after the history was replaced")
    again = await client.get(
        "/api/v1/portfolio/summary", headers={**city.auth("leader"), "If-None-Match": tag}
    )
    assert again.status_code == 200
    assert again.headers["etag"] != tag
    assert {c["key"] for c in again.json()["by_department"]} == {"PRK"}


async def test_an_event_that_commits_after_a_later_one_still_changes_the_tag(
    client: Client, city: City, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # Event ids are not committed in order: this one takes an id, a later one commits first.
    slow = await submitted(client, city, title="Street tree permits take weeks")
    fast = await submitted(client, city, "health", title="Clinic bookings by phone only")
    async with sessions() as held:
        await history.record(
            held,
            problem_id=uuid.UUID(slow["id"]),
            actor_id=city.people["triager"],
            type="comment_added",
            changes={"comment": "Still being written."},
        )
        assert (await act(client, city, fast, "triage")).status_code == 200
        moment = datetime.now(UTC).isoformat()
        first = await _summary(client, city, as_of=moment)
        assert first.status_code == 200
        await held.commit()
    # The newest id is the same as before the commit; the tag must move all the same, or a
    # dashboard would keep a picture without the held event for as long as it polls.
    again = await client.get(
        "/api/v1/portfolio/summary",
        params={"as_of": moment},
        headers={**city.auth("leader"), "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 200
    assert again.headers["etag"] != first.headers["etag"]


async def test_an_admin_edit_changes_the_tag_whatever_its_time_stamp(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    await paired(client, city)  # the Permits Team
    newer = await client.post(
        "/api/v1/teams",
        json={"name": "Clinics Team", "disciplines": ["civic_design"], "wip_limit": 3},
        headers=city.auth("admin"),
    )
    assert newer.status_code == 201, newer.text
    moment = datetime.now(UTC).isoformat()
    first = await _summary(client, city, as_of=moment)
    # An edit stamped earlier than the newest one (a transaction that began first and
    # committed last) leaves max(updated_at) where it was.
    edited = await db.execute(
        "UPDATE teams SET wip_limit = wip_limit + 1, updated_at = '2000-01-01' "
        "WHERE name = 'Permits Team'"
    )
    assert edited == "UPDATE 1"
    again = await client.get(
        "/api/v1/portfolio/summary",
        params={"as_of": moment},
        headers={**city.auth("leader"), "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 200


async def test_team_load_leaves_out_other_departments_restricted_work(
    client: Client, city: City
) -> None:
    hidden = await in_phase(client, city, "accepted", restricted=True)
    team_id = hidden["team"]["id"]

    def load(body: dict[str, Any]) -> int:
        return next(team["load"] for team in body["teams"] if team["id"] == team_id)

    parks = await client.get("/api/v1/portfolio/teams", headers=city.auth("parks"))
    assert parks.status_code == 200, parks.text
    assert load(parks.json()) == 0
    assert hidden["id"] not in parks.text
    leader = (await client.get("/api/v1/portfolio/teams", headers=city.auth("leader"))).json()
    assert load(leader) == 1
    owner = (await client.get("/api/v1/portfolio/teams", headers=city.auth("requester"))).json()
    assert load(owner) == 1
    # Leadership narrowing the view to another department still counts the whole load.
    narrowed = await client.get(
        "/api/v1/portfolio/teams", params={"department": "PRK"}, headers=city.auth("leader")
    )
    assert load(narrowed.json()) == 1
