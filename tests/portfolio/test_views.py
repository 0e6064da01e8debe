"""Portfolio views over HTTP: flow, SLA, teams, outcomes, at risk and distribution.

Each view is checked on a small city whose figures can be worked out by hand, now and
``as_of`` a moment T after which things changed. Some histories happen through the API
(T is recorded between requests); others are written into ``problem_events`` with chosen
times and the timeline rebuilt from them (``timeline.rebuild``, as after a bulk load), so lead
times, months and SLA clocks come out in round days.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Date, Double, String, cast, literal, null, select
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from intake.outcomes.state import Direction, metric_state
from intake.portfolio.outcomes import metric_state_sql
from intake.portfolio.timeline import REBUILD_SQL
from tests.builders import EMAILS, City
from tests.conftest import Steady
from tests.helpers import Client, act, assert_problem_json, submitted, until

VIEWS = ("summary", "flow", "sla", "teams", "outcomes", "at-risk", "distribution")


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


async def view(
    client: Client, city: City, name: str, who: str = "leader", **query: Any
) -> dict[str, Any]:
    params = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in query.items()}
    response = await client.get(f"/api/v1/portfolio/{name}", params=params, headers=city.auth(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- histories written at chosen moments ----------------------------------------------------


@dataclass
class Histories:
    """Problems whose whole history is written straight into the tables at chosen times.

    ``problem`` takes the states it went through with when; ``changes`` adds what else an
    event carried (the triager, the team, SLA due times), keyed by the event's position.
    """

    db: asyncpg.Connection
    city: City
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(90001))

    async def problem(
        self,
        department: str,
        steps: list[tuple[datetime, str]],
        *,
        title: str | None = None,
        changes: dict[int, dict[str, Any]] | None = None,
        communities: list[str] | None = None,
        restricted: bool = False,
    ) -> dict[str, Any]:
        problem_id = uuid.uuid4()
        reference = f"P-2026-{next(self.numbers):05d}"
        status = steps[-1][1]
        created = steps[0][0] - timedelta(hours=1)
        submitted_at = next((when for when, state in steps if state == "submitted"), None)
        await self.db.execute(
            "INSERT INTO problems (id, reference, status, department_id, submitter_id, title, "
            "communities_affected, restricted, submitted_at, outcome_result, created_at, "
            "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
            problem_id,
            reference,
            status,
            self.city.departments[department],
            self.city.people["requester"],
            title or f"Problem {reference}",
            communities or [],
            restricted,
            submitted_at,
            "achieved" if status == "closed" else None,
            created,
        )
        await self._event(problem_id, created, "created", None, "draft", {})
        before = "draft"
        for position, (when, state) in enumerate(steps):
            extra = (changes or {}).get(position, {})
            if state == "closed":
                extra = {"outcome_review": {"result": "achieved"}, **extra}
            await self._event(problem_id, when, state, before, state, extra)
            before = state
        return {"id": str(problem_id), "reference": reference}

    async def change(self, problem: dict[str, Any], when: datetime, **changes: Any) -> None:
        """An event that changes something other than the state (team, triager, clocks)."""
        await self._event(uuid.UUID(problem["id"]), when, "updated", None, None, changes)

    async def _event(
        self,
        problem_id: uuid.UUID,
        when: datetime,
        kind: str,
        before: str | None,
        after: str | None,
        changes: dict[str, Any],
    ) -> None:
        await self.db.execute(
            "INSERT INTO problem_events (problem_id, actor_id, type, occurred_at, from_status, "
            "to_status, changes) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",
            problem_id,
            self.city.people["triager"],
            kind,
            when,
            before,
            after,
            json.dumps(changes, default=str),
        )

    async def rebuild(self) -> None:
        """The timeline recomputed from the whole history."""
        sql = REBUILD_SQL.replace(
            "(CAST(:everything AS boolean) OR e.problem_id = ANY(CAST(:problem_ids AS uuid[])))",
            "true",
        )
        async with self.db.transaction():
            await self.db.execute("DELETE FROM problem_timeline")
            await self.db.execute(sql)


@pytest.fixture
def histories(db: asyncpg.Connection, city: City) -> Histories:
    return Histories(db, city)


def sla(first_response_due: datetime, decision_due: datetime | None) -> dict[str, Any]:
    return {
        "sla": {
            "first_response_due_at": first_response_due.isoformat(),
            "decision_due_at": decision_due.isoformat() if decision_due else None,
        }
    }


def triaged_by(city: City, who: str = "triager") -> dict[str, Any]:
    return {"triager_id": {"from": None, "to": str(city.people[who])}}


# -- flow -----------------------------------------------------------------------------------

T = at(7, 11)  # the moment the as_of tests look back to


async def _flow_city(histories: Histories, city: City) -> dict[str, dict[str, Any]]:
    """Four problems in 2026; at T (11 July, noon) one is discovering, one waits for triage.

    Lead times to decision: 10, 4 and 20 days; to launch: 90. After T, the waiting one is
    triaged and the discovering one moves to delivery.
    """
    team = uuid.uuid4()
    await histories.db.execute(
        "INSERT INTO teams (id, name, wip_limit) VALUES ($1, 'Flow Team', 3)", team
    )
    one = await histories.problem(
        "DOT",
        [
            (at(1, 10), "submitted"),
            (at(1, 12), "triage"),
            (at(1, 20), "accepted"),
            (at(2, 1), "discovery"),
            (at(3, 1), "delivery"),
            (at(4, 10), "live"),
            (at(6, 10), "closed"),
        ],
        title="Permit backlog",
    )
    # A team assigned mid-acceptance starts a new timeline row, not a new stay.
    await histories.change(one, at(1, 25), team={"from": None, "to": str(team)})
    two = await histories.problem(
        "DPH", [(at(2, 1), "submitted"), (at(2, 2), "triage"), (at(2, 5), "declined")]
    )
    three = await histories.problem(
        "PRK",
        [
            (at(3, 1), "submitted"),
            (at(3, 3), "triage"),
            (at(3, 4), "needs_info"),
            (at(3, 8), "triage"),
            (at(3, 21), "accepted"),
            (at(4, 1), "discovery"),
            (at(8, 1), "delivery"),  # after T
        ],
        title="Pool bookings",
    )
    four = await histories.problem(
        "DOT",
        [(at(7, 2), "submitted"), (at(7, 20), "triage")],  # triaged after T
        title="Parking appeals",
    )
    await histories.rebuild()
    return {"one": one, "two": two, "three": three, "four": four}


def _by(items: list[dict[str, Any]], key: str = "state") -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


async def test_flow_lead_times_time_in_state_throughput_and_ageing_as_of_a_moment(
    client: Client, city: City, histories: Histories
) -> None:
    problems = await _flow_city(histories, city)
    body = await view(client, city, "flow", as_of=T)

    assert body["as_of"] is not None
    assert body["lead_time_to_decision"] == {"count": 3, "median_days": 10.0, "p85_days": 17.0}
    assert body["lead_time_to_launch"] == {"count": 1, "median_days": 90.0, "p85_days": 90.0}

    states = _by(body["time_in_state"])
    assert list(states) == [
        "submitted",
        "triage",
        "needs_info",
        "accepted",
        "discovery",
        "delivery",
        "on_hold",
        "live",
    ]
    # submitted: 2, 1, 2 and (still, at T) 9 days.
    assert states["submitted"] == {
        "state": "submitted",
        "problems": 4,
        "median_days": 2.0,
        "mean_days": 3.5,
    }
    # triage: 8, 3, and 1 + 13 (two stays around the wait for information).
    assert states["triage"]["problems"] == 3
    assert states["triage"]["median_days"] == 8.0 and states["triage"]["mean_days"] == 8.3
    assert states["needs_info"]["median_days"] == 4.0
    # accepted: 12 (split by the team assignment, still one stay) and 11.
    assert states["accepted"]["median_days"] == 11.5 and states["accepted"]["problems"] == 2
    # discovery: 28, and 101 days so far at T (clipped at the moment).
    assert states["discovery"]["median_days"] == 64.5
    assert states["delivery"]["median_days"] == 40.0
    assert states["live"]["median_days"] == 61.0
    assert states["on_hold"] == {
        "state": "on_hold",
        "problems": 0,
        "median_days": None,
        "mean_days": None,
    }

    months = {m["month"]: m for m in body["throughput"]}
    assert next(iter(months)) == "2025-08" and list(months)[-1] == "2026-07"
    assert months["2026-01"]["decisions"] == 1
    assert months["2026-02"]["decisions"] == 1
    assert months["2026-03"]["decisions"] == 1
    assert months["2026-04"] == {"month": "2026-04", "decisions": 0, "launches": 1, "closes": 0}
    assert months["2026-06"]["closes"] == 1
    assert sum(m["decisions"] for m in body["throughput"]) == 3

    ageing = _by(body["ageing"])
    assert ageing["submitted"]["count"] == 1
    (waiting,) = ageing["submitted"]["oldest"]
    assert waiting["problem"]["reference"] == problems["four"]["reference"]
    assert waiting["problem"]["title"] == "Parking appeals"
    assert waiting["problem"]["department"] == "DOT"
    assert waiting["days_in_state"] == 9.0
    (discovering,) = ageing["discovery"]["oldest"]
    assert discovering["problem"]["reference"] == problems["three"]["reference"]
    assert discovering["days_in_state"] == 101.0
    assert ageing["delivery"]["count"] == 0 and ageing["triage"]["oldest"] == []

    # Now the waiting problem is in triage and the discovering one in delivery.
    now = await view(client, city, "flow")
    assert now["as_of"] is None
    now_ageing = _by(now["ageing"])
    assert now_ageing["submitted"]["count"] == 0
    assert (
        now_ageing["triage"]["oldest"][0]["problem"]["reference"] == problems["four"]["reference"]
    )
    assert now_ageing["delivery"]["oldest"][0]["in_state_since"].startswith("2026-08-01T12:00")
    assert _by(now["time_in_state"])["submitted"]["mean_days"] == 5.8  # 2, 1, 2, 18


async def test_flow_follows_filters(client: Client, city: City, histories: Histories) -> None:
    await _flow_city(histories, city)
    dot = await view(client, city, "flow", as_of=T, department="DOT")
    assert dot["lead_time_to_decision"] == {"count": 1, "median_days": 10.0, "p85_days": 10.0}
    assert _by(dot["ageing"])["discovery"]["count"] == 0
    march = await view(client, city, "flow", as_of=T, **{"from": "2026-03-01", "to": "2026-03-31"})
    assert march["lead_time_to_decision"]["count"] == 1
    assert march["lead_time_to_decision"]["median_days"] == 20.0


async def test_flow_counts_each_milestone_once_for_the_team_at_the_moment(
    client: Client, city: City, histories: Histories
) -> None:
    """Lead times and throughput follow the team a problem had at the moment asked about,
    and a decision recorded in the same instant as another change counts once."""
    first, second = uuid.uuid4(), uuid.uuid4()
    for team, name in ((first, "First Team"), (second, "Second Team")):
        await histories.db.execute(
            "INSERT INTO teams (id, name, wip_limit) VALUES ($1, $2, 3)", team, name
        )
    problem = await histories.problem(
        "DOT", [(at(1, 10), "submitted"), (at(1, 12), "triage"), (at(1, 20), "accepted")]
    )
    # Paired in the very instant of the decision (as one request does), re-paired after T.
    await histories.change(problem, at(1, 20), team={"from": None, "to": str(first)})
    await histories.change(problem, at(8, 1), team={"from": str(first), "to": str(second)})
    await histories.rebuild()

    def decisions(body: dict[str, Any]) -> tuple[int, int]:
        return (
            body["lead_time_to_decision"]["count"],
            sum(month["decisions"] for month in body["throughput"]),
        )

    city_then = await view(client, city, "flow", as_of=T)
    assert city_then["lead_time_to_decision"] == {
        "count": 1,
        "median_days": 10.0,
        "p85_days": 10.0,
    }
    assert decisions(city_then) == (1, 1)
    assert decisions(await view(client, city, "flow", as_of=T, team=str(first))) == (1, 1)
    assert decisions(await view(client, city, "flow", as_of=T, team=str(second))) == (0, 0)
    assert decisions(await view(client, city, "flow", team=str(second))) == (1, 1)
    assert decisions(await view(client, city, "flow", team=str(first))) == (0, 0)


async def test_flow_now_counts_a_decision_stamped_by_a_clock_ahead_of_the_apis(
    client: Client, city: City, histories: Histories
) -> None:
    """History is stamped by the database's clock (``now()``), which may run ahead of the
    API host's: a decision just recorded is in the current snapshot, so flow counts it, as
    the summary does."""
    now = datetime.now(UTC)
    await histories.problem(
        "DOT",
        [
            (now - timedelta(days=10), "submitted"),
            (now - timedelta(days=9), "triage"),
            (now + timedelta(seconds=30), "accepted"),
        ],
    )
    await histories.rebuild()
    body = await view(client, city, "flow")
    assert body["lead_time_to_decision"]["count"] == 1
    assert sum(month["decisions"] for month in body["throughput"]) == 1
    assert (await view(client, city, "summary"))["total"] == 1


async def test_flow_covers_the_twelve_months_up_to_the_moment(
    client: Client, city: City, histories: Histories
) -> None:
    old = datetime(2025, 3, 1, 12, tzinfo=UTC)
    await histories.problem(
        "DOT",
        [
            (old, "submitted"),
            (old + timedelta(days=2), "triage"),
            (old + timedelta(days=31), "declined"),
        ],
    )
    waiting = await histories.problem("DPH", [(datetime(2025, 6, 1, 12, tzinfo=UTC), "submitted")])
    await histories.rebuild()

    body = await view(client, city, "flow", as_of=T)
    assert body["window_start"] == "2025-08-01T00:00:00Z"
    assert body["lead_time_to_decision"]["count"] == 0  # decided before the window
    assert sum(month["decisions"] for month in body["throughput"]) == 0
    # Waiting since 1 June 2025: 344.5 days of it fall in the window; all 405 are its age.
    submitted_time = _by(body["time_in_state"])["submitted"]
    assert submitted_time["problems"] == 1 and submitted_time["median_days"] == 344.5
    assert _by(body["time_in_state"])["triage"]["problems"] == 0
    (oldest,) = _by(body["ageing"])["submitted"]["oldest"]
    assert oldest["problem"]["reference"] == waiting["reference"]
    assert oldest["days_in_state"] == 405.0


async def test_time_in_state_adds_up_a_problems_stays_only_within_the_window(
    client: Client, city: City, histories: Histories
) -> None:
    def day(year: int, month: int, d: int) -> datetime:
        return datetime(year, month, d, 12, tzinfo=UTC)

    await histories.problem(
        "PRK",
        [
            (day(2025, 6, 1), "submitted"),
            (day(2025, 6, 2), "triage"),  # ends before either window
            (day(2025, 6, 10), "needs_info"),
            (day(2025, 9, 1), "triage"),
            (day(2026, 7, 20), "needs_info"),  # after T
            (day(2026, 8, 1), "triage"),
            (day(2026, 9, 1), "accepted"),
        ],
    )
    await histories.rebuild()

    # At T the window starts on 1 August 2025: the first triage stay is before it, the
    # second runs to T, the third has not begun; the first wait for information is clipped.
    at_t = _by((await view(client, city, "flow", as_of=T))["time_in_state"])
    assert at_t["triage"]["problems"] == 1
    assert at_t["triage"]["median_days"] == (T - day(2025, 9, 1)).days  # 313
    assert at_t["needs_info"]["problems"] == 1
    assert at_t["needs_info"]["median_days"] == 31.5  # 1 August, midnight, to 1 September

    # On 15 September 2026 the window starts on 1 October 2025: two triage stays fall in it
    # (292.5 days clipped, then 31) and count as one problem; the second wait for
    # information (12 days) is alone in it.
    later = day(2026, 9, 15)
    then = _by((await view(client, city, "flow", as_of=later))["time_in_state"])
    assert then["triage"] == {
        "state": "triage",
        "problems": 1,
        "median_days": 323.5,
        "mean_days": 323.5,
    }
    assert then["needs_info"]["problems"] == 1 and then["needs_info"]["median_days"] == 12.0
    assert then["accepted"]["problems"] == 1 and then["accepted"]["median_days"] == 14.0


# -- SLA compliance -------------------------------------------------------------------------


async def _sla_city(histories: Histories, city: City) -> None:
    """Six problems; at T (11 July): first responses 3 met, 1 breached, 1 running late;
    decisions 1 met, 1 breached, 3 running (one paused). Afterwards two clocks stop."""
    by = triaged_by(city)
    # DOT: answered and decided on time.
    await histories.problem(
        "DOT",
        [(at(7, 1), "submitted"), (at(7, 2), "triage"), (at(7, 7), "accepted")],
        changes={0: sla(at(7, 3), at(7, 8)), 1: by},
    )
    # DOT: answered late, decided late.
    await histories.problem(
        "DOT",
        [(at(7, 1), "submitted"), (at(7, 4), "triage"), (at(7, 9), "declined")],
        changes={0: sla(at(7, 3), at(7, 8)), 1: by},
    )
    # DPH: nobody has looked at it, first response overdue at T; triaged late after T.
    await histories.problem(
        "DPH",
        [(at(7, 2), "submitted"), (at(7, 20), "triage")],
        changes={0: sla(at(7, 4), at(7, 15)), 1: by},
    )
    # DPH: answered, decision still running at T; accepted in time after T.
    await histories.problem(
        "DPH",
        [(at(7, 9), "submitted"), (at(7, 10), "triage"), (at(7, 19), "accepted")],
        changes={0: sla(at(7, 14), at(7, 20)), 1: by},
    )
    # PRK: answered, then waiting on the requester: the decision clock is paused.
    await histories.problem(
        "PRK",
        [(at(6, 1), "submitted"), (at(6, 2), "triage"), (at(6, 5), "needs_info")],
        changes={0: sla(at(6, 3), at(6, 12)), 1: by, 2: sla(at(6, 3), None)},
    )
    # PRK: withdrawn before anyone answered: neither clock counts.
    await histories.problem(
        "PRK",
        [(at(6, 1), "submitted"), (at(6, 2), "withdrawn")],
        changes={0: sla(at(6, 3), at(6, 12))},
    )
    await histories.rebuild()


def _clock(met: int, breached: int, running: int, late: int, pct: float | None) -> dict[str, Any]:
    return {
        "met": met,
        "breached": breached,
        "running": running,
        "running_breached": late,
        "met_pct": pct,
    }


async def test_sla_compliance_by_department_and_triager_as_of_a_moment(
    client: Client, city: City, histories: Histories
) -> None:
    await _sla_city(histories, city)
    body = await view(client, city, "sla", as_of=T)
    assert body["first_response"] == _clock(3, 1, 0, 1, 75.0)
    assert body["decision"] == _clock(1, 1, 3, 0, 50.0)

    departments = _by(body["by_department"], "key")
    assert list(departments) == ["DOT", "DPH", "PRK"]
    assert departments["DOT"]["label"] == "Department of Transportation"
    assert departments["DOT"]["first_response"] == _clock(1, 1, 0, 0, 50.0)
    assert departments["DOT"]["decision"] == _clock(1, 1, 0, 0, 50.0)
    assert departments["DPH"]["first_response"] == _clock(1, 0, 0, 1, 100.0)
    assert departments["DPH"]["decision"] == _clock(0, 0, 2, 0, None)
    assert departments["PRK"]["first_response"] == _clock(1, 0, 0, 0, 100.0)
    assert departments["PRK"]["decision"] == _clock(0, 0, 1, 0, None)

    triagers = _by(body["by_triager"], "label")
    assert list(triagers) == ["Priya One", "unassigned"]
    assert triagers["Priya One"]["key"] == str(city.people["triager"])
    assert triagers["Priya One"]["first_response"] == _clock(3, 1, 0, 0, 75.0)
    assert triagers["Priya One"]["decision"] == _clock(1, 1, 2, 0, 50.0)
    assert triagers["unassigned"]["first_response"] == _clock(0, 0, 0, 1, None)

    # Now: the overdue one was answered late (and its decision is overdue), the running
    # decision was met; the paused one is still paused.
    now = await view(client, city, "sla")
    assert now["first_response"] == _clock(3, 2, 0, 0, 60.0)
    assert now["decision"] == _clock(2, 1, 1, 1, 66.7)
    only_dph = await view(client, city, "sla", department="DPH")
    assert only_dph["first_response"] == _clock(1, 1, 0, 0, 50.0)
    assert [group["key"] for group in only_dph["by_department"]] == ["DPH"]


# -- teams ----------------------------------------------------------------------------------


async def new_team(client: Client, city: City, name: str, wip_limit: int) -> str:
    response = await client.post(
        "/api/v1/teams",
        json={
            "name": name,
            "disciplines": ["product_management", "software_engineering"],
            "wip_limit": wip_limit,
            "members": [{"email": EMAILS["team_member"], "discipline": "software_engineering"}],
        },
        headers=city.auth("admin"),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def accepted(
    client: Client, city: City, who: str = "requester", **fields: Any
) -> dict[str, Any]:
    problem = await submitted(client, city, who, **fields)
    for action in ("triage", "accept"):
        assert (await act(client, city, problem, action)).status_code == 200
    return problem


async def assign(
    client: Client, city: City, problem: dict[str, Any], team_id: str, override: bool = False
) -> None:
    body: dict[str, Any] = {"team_id": team_id}
    if override:
        body["override_reason"] = "The mayor's priority this quarter."
    response = await client.put(
        f"/api/v1/problems/{problem['id']}/team",
        json=body,
        headers={**city.auth("triager"), "If-Match": problem["etag"]},
    )
    assert response.status_code == 200, response.text
    problem.update(response.json())
    problem["etag"] = response.headers["etag"]


async def forward(client: Client, city: City, problem: dict[str, Any], *steps: str) -> None:
    bodies = {"start-delivery": {"phase": "alpha"}}
    for step in steps:
        response = await act(client, city, problem, step, "team_member", bodies.get(step))
        assert response.status_code == 200, response.text


def _teams(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {team["name"]: team for team in body["teams"]}


async def test_teams_show_active_work_against_wip_limits_now_and_as_of(
    client: Client, city: City
) -> None:
    permits = await new_team(client, city, "Permits Team", 5)
    small = await new_team(client, city, "Small Team", 1)
    ours = await accepted(client, city, title="Sidewalk permits take weeks")
    theirs = await accepted(client, city, "health", title="Clinic waitlists", restricted=True)
    launched = await accepted(client, city, title="Bus stop reports")
    crowded = await accepted(client, city, title="Crossing guard rota")
    extra = await accepted(client, city, "health", title="Vaccine reminders")
    waiting = await accepted(client, city, title="Snow plough routes")
    await assign(client, city, ours, permits)
    await assign(client, city, theirs, permits)
    await forward(client, city, theirs, "start-discovery")
    await assign(client, city, launched, permits)
    await forward(client, city, launched, "start-discovery", "start-delivery", "launch")
    await assign(client, city, crowded, small)
    await assign(client, city, extra, small, override=True)

    body = await view(client, city, "teams")
    teams = _teams(body)
    assert list(teams) == ["Permits Team", "Small Team"]
    assert {k: teams["Permits Team"][k] for k in ("wip_limit", "load", "free_capacity")} == {
        "wip_limit": 5,
        "load": 2,  # live work no longer counts
        "free_capacity": 3,
    }
    assert teams["Permits Team"]["over_limit"] is False
    assert [p["title"] for p in teams["Permits Team"]["problems"]] == [
        "Sidewalk permits take weeks",
        "Clinic waitlists",
    ]
    assert [p["state"] for p in teams["Permits Team"]["problems"]] == ["accepted", "discovery"]
    assert teams["Permits Team"]["problems"][1]["department"] == "DPH"
    assert teams["Small Team"]["load"] == 2 and teams["Small Team"]["free_capacity"] == 0
    assert teams["Small Team"]["over_limit"] is True
    assert body["unassigned"] == 1

    # A requester sees only its own department's problems, and another department's
    # restricted work is not even counted in the load.
    mine = _teams(await view(client, city, "teams", who="requester"))
    assert mine["Permits Team"]["load"] == 1 and mine["Permits Team"]["active"] == 1
    assert mine["Small Team"]["load"] == 2  # the other department's open work still counts
    assert [p["reference"] for p in mine["Permits Team"]["problems"]] == [ours["reference"]]
    assert [p["title"] for p in mine["Small Team"]["problems"]] == ["Crossing guard rota"]
    filtered = await view(client, city, "teams", team=small)
    assert list(_teams(filtered)) == ["Small Team"]

    moment = datetime.now(UTC)
    await forward(client, city, theirs, "start-delivery", "launch")
    await assign(client, city, waiting, small, override=True)

    now = _teams(await view(client, city, "teams"))
    assert now["Permits Team"]["load"] == 1 and now["Small Team"]["load"] == 3
    then = await view(client, city, "teams", as_of=moment)
    assert _teams(then)["Permits Team"]["load"] == 2
    assert _teams(then)["Small Team"]["load"] == 2
    assert [p["state"] for p in _teams(then)["Permits Team"]["problems"]] == [
        "accepted",
        "discovery",
    ]
    assert then["unassigned"] == 1


# -- outcomes -------------------------------------------------------------------------------


def _day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


async def metric(
    client: Client, city: City, problem: dict[str, Any], name: str, **definition: Any
) -> str:
    body = {"name": name, "unit": "count", "target_date": _day(60), **definition}
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/metrics", json=body, headers=city.auth("team_member")
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def measure(
    client: Client, city: City, problem: dict[str, Any], metric_id: str, value: float
) -> None:
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/metrics/{metric_id}/measurements",
        json={"value": value, "measured_on": _day(0)},
        headers=city.auth("team_member"),
    )
    assert response.status_code == 201, response.text


async def close(client: Client, city: City, problem: dict[str, Any], result: str) -> None:
    review = {"result": result, "summary": "Reviewed.", "lessons": "Measure earlier."}
    response = await act(client, city, problem, "close", body=review)
    assert response.status_code == 200, response.text


def _states(body: dict[str, Any]) -> dict[str, int]:
    return {count["key"]: count["count"] for count in body["metrics_by_state"]}


async def test_outcomes_count_metrics_by_state_and_closed_work_by_result_as_of(
    client: Client, city: City
) -> None:
    live = await in_phase_live(client, city, "Permits Team", title="Permit waits")
    days = await metric(
        client, city, live, "Days to permit", direction="decrease", baseline=30, target=10
    )
    online = await metric(
        client, city, live, "Online share", direction="increase", baseline=10, target=50
    )
    abandon = await metric(
        client, city, live, "Abandonment", direction="decrease", baseline=40, target=20
    )
    complaints = await metric(
        client,
        city,
        live,
        "Complaints",
        direction="decrease",
        baseline=100,
        target=50,
        target_date=_day(-10),
    )
    mood = await metric(
        client, city, live, "Satisfaction", direction="increase", baseline=3, target=4
    )
    await measure(client, city, live, days, 20)
    await measure(client, city, live, online, 55)
    await measure(client, city, live, complaints, 80)
    await measure(client, city, live, mood, 2.5)
    for name, result in (("Parks Team", "achieved"), ("Water Team", "not_achieved")):
        done = await in_phase_live(client, city, name, title=f"Closed by {name}")
        await close(client, city, done, result)

    body = await view(client, city, "outcomes")
    assert body["metrics_total"] == 5
    assert _states(body) == {
        "not_started": 1,
        "improving": 1,
        "worsening": 1,
        "achieved": 1,
        "missed": 1,
    }
    assert [m["name"] for m in body["metrics"]] == [
        "Complaints",
        "Satisfaction",
        "Abandonment",
        "Days to permit",
        "Online share",
    ]
    missed = body["metrics"][0]
    assert missed["state"] == "missed" and missed["latest_value"] == 80.0
    assert missed["target"] == 50.0 and missed["problem"]["reference"] == live["reference"]
    assert body["metrics"][2]["latest_value"] is None
    assert body["closed_total"] == 2
    assert {c["key"]: c["count"] for c in body["closed_by_result"]} == {
        "achieved": 1,
        "partially_achieved": 0,
        "not_achieved": 1,
        "not_measurable": 0,
    }

    moment = datetime.now(UTC)
    await measure(client, city, live, abandon, 30)
    await measure(client, city, live, days, 8)
    await close(client, city, live, "partially_achieved")

    now = await view(client, city, "outcomes")
    assert _states(now) == {
        "not_started": 0,
        "improving": 1,
        "worsening": 1,
        "achieved": 2,
        "missed": 1,
    }
    assert now["closed_total"] == 3
    then = await view(client, city, "outcomes", as_of=moment)
    assert _states(then) == _states(body)
    assert then["closed_total"] == 2
    assert [m["latest_value"] for m in then["metrics"]] == [80.0, 2.5, None, 20.0, 55.0]


async def test_outcomes_count_the_metrics_of_work_held_or_withdrawn(
    client: Client, city: City
) -> None:
    team = await new_team(client, city, "Permits Team", 5)
    held = await accepted(client, city, title="Held work")
    await assign(client, city, held, team)
    await forward(client, city, held, "start-discovery")
    await metric(client, city, held, "Days to permit", direction="decrease", baseline=30, target=9)
    gone = await accepted(client, city, title="Withdrawn work")
    await assign(client, city, gone, team)
    await metric(client, city, gone, "Forms online", direction="increase", baseline=1, target=9)
    moment = datetime.now(UTC)
    response = await act(client, city, held, "hold", body={"reason": "Budget review."})
    assert response.status_code == 200, response.text
    response = await act(client, city, gone, "withdraw", who="requester", body={"reason": "Moot."})
    assert response.status_code == 200, response.text

    for body in (
        await view(client, city, "outcomes"),
        await view(client, city, "outcomes", as_of=moment),
    ):
        assert body["metrics_total"] == 2
        assert sorted(m["problem"]["title"] for m in body["metrics"]) == [
            "Held work",
            "Withdrawn work",
        ]


async def in_phase_live(client: Client, city: City, team: str, **fields: Any) -> dict[str, Any]:
    problem = await accepted(client, city, **fields)
    await assign(client, city, problem, await new_team(client, city, team, 5))
    await forward(client, city, problem, "start-discovery", "start-delivery", "launch")
    return problem


@pytest.mark.parametrize("direction", ["increase", "decrease"])
async def test_metric_states_in_sql_follow_the_rules_in_python(
    db: asyncpg.Connection, direction: Direction
) -> None:
    today = date(2027, 3, 15)
    baseline, target = (50.0, 80.0) if direction == "increase" else (31.0, 7.0)
    values = [
        None,
        baseline - 5,
        baseline,
        (baseline + target) / 2,
        target,
        target + 5 * (1 if direction == "increase" else -1),
    ]
    for value, target_date in itertools.product(
        values, [today - timedelta(days=1), today, today + timedelta(days=1)]
    ):
        expression = metric_state_sql(
            literal(direction, String),
            literal(baseline, Double),
            literal(target, Double),
            literal(target_date, Date),
            literal(value, Double) if value is not None else cast(null(), Double),
            literal(today, Date),
        )
        sql = select(expression).compile(
            dialect=PGDialect_asyncpg(),  # type: ignore[no-untyped-call]
            compile_kwargs={"literal_binds": True},
        )
        expected = metric_state(
            direction=direction,
            baseline=baseline,
            target=target,
            target_date=target_date,
            value=value,
            today=today,
        )
        assert await db.fetchval(str(sql)) == expected, (value, target_date)


# -- at risk --------------------------------------------------------------------------------


async def post_update(
    client: Client, city: City, problem: dict[str, Any], status: str, summary: str
) -> None:
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/updates",
        json={"status": status, "summary": summary},
        headers=city.auth("team_member"),
    )
    assert response.status_code == 201, response.text


async def milestone(
    client: Client, city: City, problem: dict[str, Any], title: str, target: int, **more: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/milestones",
        json={"title": title, "target_date": _day(target), **more},
        headers=city.auth("team_member"),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def move(
    client: Client, city: City, problem: dict[str, Any], item: dict[str, Any], target: int
) -> None:
    response = await client.patch(
        f"/api/v1/problems/{problem['id']}/milestones/{item['id']}",
        json={"target_date": _day(target), "reason": "Vendor delay."},
        headers={**city.auth("team_member"), "If-Match": f'"{item["version"]}"'},
    )
    assert response.status_code == 200, response.text
    item.update(response.json())


async def working(
    client: Client, city: City, team: str, who: str = "requester", **fields: Any
) -> dict[str, Any]:
    problem = await accepted(client, city, who, **fields)
    await assign(client, city, problem, await new_team(client, city, team, 5))
    return problem


async def test_at_risk_lists_risky_updates_breached_clocks_and_slipped_milestones(
    client: Client, city: City, histories: Histories
) -> None:
    late = await histories.problem(
        "DOT",
        [(at(1, 5), "submitted")],
        title="Nobody answered",
        changes={0: sla(at(1, 7), at(1, 16))},
    )
    now_ish = datetime.now(UTC) - timedelta(hours=1)
    await histories.problem(
        "DOT",
        [(now_ish, "submitted")],
        title="Just arrived",
        changes={0: sla(now_ish + timedelta(days=3), now_ish + timedelta(days=10))},
    )
    await histories.rebuild()

    slow = await working(client, city, "Permits Team", title="Permit waits")
    await forward(client, city, slow, "start-discovery", "start-delivery")
    calm = await working(client, city, "Health Team", "health", title="Clinic waitlists")
    await forward(client, city, calm, "start-discovery")
    stuck = await working(client, city, "Parks Team", "parks", title="Pool bookings")
    await post_update(client, city, slow, "on_track", "Going well.")
    await post_update(client, city, slow, "at_risk", "The vendor is late.")
    await post_update(client, city, calm, "off_track", "Lost our designer.")
    await post_update(client, city, calm, "on_track", "Back on track.")
    await post_update(client, city, stuck, "off_track", "No capacity until spring.")
    await milestone(client, city, slow, "Alpha ready", -5)
    slipped = await milestone(client, city, slow, "Beta open", 10)
    await move(client, city, slow, slipped, 20)
    earlier = await milestone(client, city, slow, "Launch", 30)
    await move(client, city, slow, earlier, 25)  # brought forward: not a slip
    await milestone(client, city, slow, "Research done", -3, done_on=_day(-1))

    body = await view(client, city, "at-risk")
    updates = body["updates"]
    assert updates["total"] == 2
    assert [(u["problem"]["title"], u["status"]) for u in updates["items"]] == [
        ("Pool bookings", "off_track"),
        ("Permit waits", "at_risk"),
    ]
    first = updates["items"][0]
    assert first["summary"] == "No capacity until spring."
    assert first["problem"]["department"] == "PRK" and first["problem"]["team"] == "Parks Team"
    assert first["problem"]["state"] == "accepted"

    breaches = body["sla_breaches"]
    assert breaches["total"] == 1
    (breach,) = breaches["items"]
    assert breach["problem"]["reference"] == late["reference"]
    assert breach["problem"]["title"] == "Nobody answered" and breach["problem"]["team"] is None
    assert breach["breached"] == ["first_response", "decision"]
    expected = (datetime.now(UTC) - at(1, 7)).total_seconds() / 86400
    assert abs(breach["days_overdue"] - expected) < 0.2

    milestones = body["milestones"]
    assert milestones["total"] == 2
    assert [(m["title"], m["overdue"], m["slipped"]) for m in milestones["items"]] == [
        ("Alpha ready", True, False),
        ("Beta open", False, True),
    ]
    beta = milestones["items"][1]
    assert beta["target_date"] == _day(20) and beta["original_target_date"] == _day(10)
    assert beta["slip_days"] == 10 and beta["problem"]["reference"] == slow["reference"]

    moment = datetime.now(UTC)
    await post_update(client, city, calm, "off_track", "Lost our designer again.")
    await move(client, city, slow, earlier, 40)
    problem = {"id": late["id"], "etag": '"1"'}
    assert (await act(client, city, problem, "triage")).status_code == 200

    now = await view(client, city, "at-risk")
    assert now["updates"]["total"] == 3
    # Overdue first, then the biggest slips (tied at 10 days: the earlier target first).
    assert [m["title"] for m in now["milestones"]["items"]] == [
        "Alpha ready",
        "Beta open",
        "Launch",
    ]
    assert now["sla_breaches"]["items"][0]["breached"] == ["decision"]
    then = await view(client, city, "at-risk", as_of=moment)
    assert [u["problem"]["title"] for u in then["updates"]["items"]] == [
        "Pool bookings",
        "Permit waits",
    ]
    assert [m["title"] for m in then["milestones"]["items"]] == ["Alpha ready", "Beta open"]
    assert then["milestones"]["items"][1]["target_date"] == _day(20)
    assert then["sla_breaches"]["items"][0]["breached"] == ["first_response", "decision"]
    only_prk = await view(client, city, "at-risk", department="PRK")
    assert only_prk["updates"]["total"] == 1 and only_prk["milestones"]["total"] == 0


# -- removed milestones and metrics ----------------------------------------------------------


async def remove(client: Client, city: City, path: str, version: int) -> None:
    response = await client.delete(
        f"/api/v1/problems/{path}",
        headers={**city.auth("team_member"), "If-Match": f'"{version}"'},
    )
    assert response.status_code == 204, response.text


def _metrics(body: dict[str, Any]) -> list[tuple[str, str, float]]:
    return [(m["metric_id"], m["name"], m["baseline"]) for m in body["metrics"]]


async def test_removed_milestones_and_metrics_leave_the_present_but_not_the_past(
    client: Client, city: City
) -> None:
    """A slipped milestone and a metric removed after T are gone from the views of now and
    of any moment after their removal, and still there as of T; a metric defined again under
    the removed one's name is another metric, which T does not see."""
    slow = await working(client, city, "Permits Team", title="Permit waits")
    await forward(client, city, slow, "start-discovery", "start-delivery")
    await milestone(client, city, slow, "Alpha ready", -5)
    slipped = await milestone(client, city, slow, "Beta open", 10)
    await move(client, city, slow, slipped, 20)
    live = await in_phase_live(client, city, "Parks Team", title="Pool bookings")
    online = await metric(
        client, city, live, "Online share", direction="increase", baseline=10, target=50
    )
    weekly = await metric(
        client, city, live, "Bookings a week", direction="increase", baseline=100, target=150
    )
    await measure(client, city, live, online, 30)

    before = await view(client, city, "at-risk")
    assert [m["title"] for m in before["milestones"]["items"]] == ["Alpha ready", "Beta open"]
    outcomes = await view(client, city, "outcomes")
    assert _states(outcomes)["not_started"] == 1 and outcomes["metrics_total"] == 2

    moment = datetime.now(UTC)
    await remove(client, city, f"{slow['id']}/milestones/{slipped['id']}", slipped["version"])
    await remove(client, city, f"{live['id']}/metrics/{weekly}", 1)
    removed = datetime.now(UTC)
    again = await metric(
        client, city, live, "Bookings a week", direction="increase", baseline=90, target=150
    )

    now = await view(client, city, "at-risk")
    assert now["milestones"]["total"] == 1
    assert [m["title"] for m in now["milestones"]["items"]] == ["Alpha ready"]
    now = await view(client, city, "outcomes")
    assert now["metrics_total"] == 2
    assert _metrics(now) == [(again, "Bookings a week", 90.0), (online, "Online share", 10.0)]

    then = await view(client, city, "at-risk", as_of=moment)
    assert then["milestones"]["total"] == 2
    beta = then["milestones"]["items"][1]
    assert (beta["milestone_id"], beta["title"]) == (slipped["id"], "Beta open")
    assert (beta["target_date"], beta["slip_days"], beta["slipped"]) == (_day(20), 10, True)
    then = await view(client, city, "outcomes", as_of=moment)
    assert _states(then) == _states(outcomes)
    assert _metrics(then) == [(weekly, "Bookings a week", 100.0), (online, "Online share", 10.0)]

    # Between the removal and the new metric: neither the removed records nor the new one.
    between = await view(client, city, "at-risk", as_of=removed)
    assert [m["title"] for m in between["milestones"]["items"]] == ["Alpha ready"]
    between = await view(client, city, "outcomes", as_of=removed)
    assert _metrics(between) == [(online, "Online share", 10.0)]


# -- distribution ---------------------------------------------------------------------------


async def test_distribution_across_departments_and_communities_as_of(
    client: Client, city: City
) -> None:
    both = await accepted(client, city, communities_affected=["Ward 3", "ward 3 ", "Ward 7"])
    later = await submitted(client, city, communities_affected=["Ward 3"])
    declined = await submitted(client, city, "health", communities_affected=["Ward 7", "Seniors"])
    await act(client, city, declined, "triage")
    response = await act(client, city, declined, "decline", body={"reason": "Out of scope."})
    assert response.status_code == 200, response.text
    await submitted(client, city, "parks", communities_affected=[])

    body = await view(client, city, "distribution")
    assert (body["submitted"], body["accepted"], body["no_community"]) == (4, 1, 1)
    assert body["departments"] == [
        {
            "key": "DOT",
            "label": "Department of Transportation",
            "submitted": 2,
            "decided": 1,
            "accepted": 1,
            "submitted_pct": 50.0,
            "accepted_pct": 100.0,
            "acceptance_pct": 100.0,
        },
        {
            "key": "DPH",
            "label": "Department of Public Health",
            "submitted": 1,
            "decided": 1,
            "accepted": 0,
            "submitted_pct": 25.0,
            "accepted_pct": 0.0,
            "acceptance_pct": 0.0,
        },
        {
            "key": "PRK",
            "label": "Parks and Recreation",
            "submitted": 1,
            "decided": 0,
            "accepted": 0,
            "submitted_pct": 25.0,
            "accepted_pct": 0.0,
            "acceptance_pct": None,
        },
    ]
    assert body["communities_total"] == 3
    # "Ward 3" is named twice by one problem (in two spellings): it counts once.
    assert [
        (c["key"], c["label"], c["submitted"], c["decided"], c["accepted"], c["acceptance_pct"])
        for c in body["communities"]
    ] == [
        ("ward 3", "Ward 3", 2, 1, 1, 100.0),
        ("ward 7", "Ward 7", 2, 2, 1, 50.0),
        ("seniors", "Seniors", 1, 1, 0, 0.0),
    ]
    assert body["communities"][2]["submitted_pct"] == 25.0

    moment = datetime.now(UTC)
    for action in ("triage", "accept"):
        assert (await act(client, city, later, action)).status_code == 200
    await submitted(client, city, "parks", communities_affected=["Seniors"])

    now = await view(client, city, "distribution")
    assert (now["submitted"], now["accepted"]) == (5, 2)
    then = await view(client, city, "distribution", as_of=moment)
    for key in ("submitted", "accepted", "no_community", "departments", "communities"):
        assert then[key] == body[key], key
    assert both["status"] == "accepted"

    mine = await view(client, city, "distribution", who="requester")
    assert [d["key"] for d in mine["departments"]] == ["DOT"]
    assert [c["key"] for c in mine["communities"]] == ["ward 3", "ward 7"]


async def test_distribution_follows_a_records_edited_communities_now_and_as_of(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    """The communities are the record's current ones, also as of a moment before the edit
    (the database keeps each record's list, and its timeline's, when they change)."""
    problem = await submitted(client, city, communities_affected=["Ward 3"])
    other = await submitted(client, city, communities_affected=["Ward 3"])
    for action, body in (("triage", None), ("request-info", {"questions": "Which wards?"})):
        assert (await act(client, city, problem, action, body=body)).status_code == 200
    before = datetime.now(UTC)
    current = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("requester"))
    response = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json={"communities_affected": ["ward 9 ", "Ward 9", "Seniors"]},
        headers={**city.auth("requester"), "If-Match": current.headers["etag"]},
    )
    assert response.status_code == 200, response.text

    for body in (
        await view(client, city, "distribution"),
        await view(client, city, "distribution", as_of=before),
    ):
        assert [(c["key"], c["label"], c["submitted"]) for c in body["communities"]] == [
            ("seniors", "Seniors", 1),
            ("ward 3", "Ward 3", 1),
            ("ward 9", "Ward 9", 1),
        ]
    # Records naming the same communities share one list.
    lists = await db.fetch(
        "SELECT id, community_list_id FROM problems WHERE id = ANY($1::uuid[])",
        [uuid.UUID(problem["id"]), uuid.UUID(other["id"])],
    )
    assert len({row["community_list_id"] for row in lists}) == 2
    assert (
        await db.fetchval(
            "SELECT count(*) FROM problem_timeline AS t JOIN problems AS p ON p.id = t.problem_id "
            "WHERE t.community_list_id <> p.community_list_id"
        )
        == 0
    )


async def test_records_adding_the_same_new_list_at_once_share_it(
    db: asyncpg.Connection, database_url: str, city: City
) -> None:
    """Two transactions naming a list nobody named before: the second waits for the first
    and then uses its list, instead of failing or adding another."""
    url = database_url.replace("postgresql+asyncpg://", "postgresql://")
    first, second = await asyncpg.connect(url), await asyncpg.connect(url)
    insert = (
        "INSERT INTO problems (id, reference, status, department_id, submitter_id, title, "
        "communities_affected) VALUES ($1, $2, 'draft', $3, $4, 'Same list', $5) "
        "RETURNING community_list_id"
    )
    names = ["Harbour district", "night workers"]

    def values(n: int) -> tuple[Any, ...]:
        person = city.people["requester"]
        return (uuid.uuid4(), f"D-{n}", city.departments["DOT"], person, names)

    try:
        first_transaction = first.transaction()
        await first_transaction.start()
        first_list = await first.fetchval(insert, *values(1))
        waiting = asyncio.create_task(second.fetchval(insert, *values(2)))
        waits = "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1"

        async def blocked() -> bool:
            return bool(await db.fetchval(waits, second.get_server_pid()))

        await until(blocked, "the second transaction to wait for the first")
        assert not waiting.done()  # waits on the first's new list
        await first_transaction.commit()
        assert await waiting == first_list
    finally:
        await first.close()
        await second.close()
    assert (
        await db.fetchval(
            "SELECT count(*) FROM community_lists WHERE keys = $1",
            [
                "harbour district",
                "night workers",
            ],
        )
        == 1
    )


async def test_distribution_lists_the_hundred_largest_communities_and_counts_them_all(
    client: Client, city: City, histories: Histories
) -> None:
    many = [f"Block {n:03d}" for n in range(101)]
    await histories.problem("DOT", [(at(3, 1), "submitted")], communities=many)
    await histories.problem("DPH", [(at(3, 2), "submitted")], communities=["block 100 "])
    await histories.problem("PRK", [(at(3, 3), "submitted")], communities=["Block 050"])
    await histories.rebuild()

    body = await view(client, city, "distribution")
    assert (body["submitted"], body["no_community"], body["communities_total"]) == (3, 0, 101)
    listed = [(c["key"], c["submitted"]) for c in body["communities"]]
    assert len(listed) == 100
    # By problems, then by key: the two named twice first, the last of the rest left out.
    assert listed[:3] == [("block 050", 2), ("block 100", 2), ("block 000", 1)]
    assert ("block 099", 1) not in listed

    await histories.problem("DOT", [(at(3, 4), "submitted")], communities=[])
    await histories.problem("DOT", [(at(3, 5), "submitted")], communities=["  "])  # blank
    await histories.rebuild()
    body = await view(client, city, "distribution")
    assert (body["no_community"], body["communities_total"]) == (2, 101)
    assert [c["key"] for c in body["communities"]] == [key for key, _ in listed]


# -- every view: reach, filters, caching ----------------------------------------------------


def _without_clock(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "generated_at"}


async def test_a_requester_sees_its_own_departments_portfolio_in_every_view(
    client: Client, city: City
) -> None:
    ours = await working(client, city, "Permits Team", title="Our restricted work", restricted=True)
    secret = await working(
        client, city, "Health Team", "health", title="Their restricted work", restricted=True
    )
    await post_update(client, city, secret, "off_track", "Confidential trouble.")
    await post_update(client, city, ours, "at_risk", "Our trouble.")
    await submitted(client, city, "parks", title="Public parks problem")

    for name in VIEWS:
        mine = await view(client, city, name, who="requester")
        assert mine["filters"]["department"] == "DOT", name
        as_leader = await view(client, city, name, department="DOT")
        if name == "teams":
            # The one difference: a team's load counts other departments' restricted work
            # for leadership, never for a requester.
            loads = {team["name"]: team["load"] for team in as_leader["teams"]}
            assert loads["Health Team"] == 1
            assert {team["name"]: team["load"] for team in mine["teams"]} == {
                **loads,
                "Health Team": 0,
            }
            for body in (mine, as_leader):
                for team in body["teams"]:
                    for figure in ("load", "free_capacity", "over_limit"):
                        team.pop(figure)
        assert _without_clock(mine) == _without_clock(as_leader), name
        text = json.dumps(mine)
        assert secret["reference"] not in text and "Public parks problem" not in text, name
        everything = json.dumps(await view(client, city, name))
        if name in ("teams", "at-risk"):
            assert ours["reference"] in text and secret["reference"] in everything, name
        refused = await client.get(
            f"/api/v1/portfolio/{name}",
            params={"department": "DPH"},
            headers=city.auth("requester"),
        )
        assert_problem_json(refused, 403)
    summary = await view(client, city, "summary", who="requester")
    assert summary["total"] == 1  # its own restricted problem counts


async def test_every_view_checks_its_filters_and_supports_conditional_requests(
    client: Client, city: City, steady: Steady
) -> None:
    problem = await submitted(client, city)
    await steady()
    for name in VIEWS:
        url = f"/api/v1/portfolio/{name}"
        for query in (
            {"as_of": "2999-01-01T00:00:00Z"},
            {"as_of": "2026-01-01T00:00:00"},
            {"department": "NOPE"},
            {"team": str(uuid.uuid4())},
            {"from": "2026-02-01", "to": "2026-01-01"},
        ):
            response = await client.get(url, params=query, headers=city.auth("leader"))
            assert_problem_json(response, 422)
        first = await client.get(url, headers=city.auth("leader"))
        assert first.headers["cache-control"] == "private, max-age=60", name
        tag = first.headers["etag"]
        again = await client.get(url, headers={**city.auth("leader"), "If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"", name
        past = await client.get(
            url, params={"as_of": "2026-07-11T12:00:00Z"}, headers=city.auth("leader")
        )
        assert past.headers["cache-control"] == "private, max-age=3600", name
        assert past.json()["as_of"] == "2026-07-11T12:00:00Z", name
    tag = (await client.get("/api/v1/portfolio/flow", headers=city.auth("leader"))).headers["etag"]
    await act(client, city, problem, "triage")
    changed = await client.get(
        "/api/v1/portfolio/flow", headers={**city.auth("leader"), "If-None-Match": tag}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert (await client.get("/api/v1/portfolio/flow")).status_code == 401
