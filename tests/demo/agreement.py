"""One city, one story: the portfolio, the triage queue and the export agree with the problems.

The triage queue reads the problems' own columns; the portfolio views and the export read the
timeline rebuilt from history. A city whose history leaves out a triager, a team or a due time
shows two different stories, so the demo cities (seeded and generated) are checked with this.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import asyncpg

from intake.triage.pairing import ACTIVE_STATES
from tests.helpers import Client

API = "/api/v1"


@dataclass(frozen=True)
class Agreement:
    """What was compared, so a caller can tell the check was not vacuous."""

    team_load: int  # active problems with a team
    breached: int  # queue items with a clock running past its due time
    late_responses: int  # queue items whose first response came after its due time
    exported_with_team: int
    exported_with_triager: int


async def _queue(client: Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(f"{API}/triage/queue", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


async def assert_views_agree(
    client: Client, db: asyncpg.Connection, headers: dict[str, str]
) -> Agreement:
    """Every view, read by a leader (who sees every submitted problem), tells what the
    problems' own fields say."""
    # Team load: per team, the active problems whose team it is.
    active = await db.fetch(
        "SELECT id, team_id FROM problems WHERE status = ANY($1::text[]) "
        "AND submitted_at IS NOT NULL",
        list(ACTIVE_STATES),
    )
    expected_load = Counter(row["team_id"] for row in active if row["team_id"] is not None)
    response = await client.get(f"{API}/portfolio/teams", headers=headers)
    assert response.status_code == 200, response.text
    teams = response.json()
    load = {uuid.UUID(team["id"]): team["load"] for team in teams["teams"]}
    assert {team: n for team, n in load.items() if n} == dict(expected_load)
    listed = {
        uuid.UUID(team["id"]): {problem["id"] for problem in team["problems"]}
        for team in teams["teams"]
    }
    for team_id, count in expected_load.items():
        assert (
            listed[team_id] == {str(row["id"]) for row in active if row["team_id"] == team_id}
            and len(listed[team_id]) == count
        )
    assert teams["unassigned"] == sum(1 for row in active if row["team_id"] is None)

    # SLA: the queue's clocks (problem columns) against /portfolio/sla and /at-risk (timeline).
    queue = await _queue(client, headers)
    open_ids = {
        str(row["id"])
        for row in await db.fetch(
            "SELECT id FROM problems WHERE status IN ('submitted', 'triage', 'needs_info')"
        )
    }
    assert {item["id"] for item in queue} == open_ids
    fr_running_breached = {
        i["id"]
        for i in queue
        if i["first_response"]["stopped_at"] is None and i["first_response"]["breached"]
    }
    fr_running = {
        i["id"]
        for i in queue
        if i["first_response"]["stopped_at"] is None and not i["first_response"]["breached"]
    }
    late = {
        i["id"]
        for i in queue
        if i["first_response"]["stopped_at"] is not None and i["first_response"]["breached"]
    }
    dc_breached = {i["id"] for i in queue if i["decision"]["breached"]}
    dc_running = {i["id"] for i in queue if not i["decision"]["breached"]}
    response = await client.get(f"{API}/portfolio/sla", headers=headers)
    assert response.status_code == 200, response.text
    sla = response.json()
    assert sla["first_response"]["running_breached"] == len(fr_running_breached)
    assert sla["first_response"]["running"] == len(fr_running)
    assert sla["decision"]["running_breached"] == len(dc_breached)
    assert sla["decision"]["running"] == len(dc_running)
    # ... and per triager: the queue's triager is the one the portfolio counts them under.
    by_triager = {
        group["key"]: (
            group["first_response"]["running_breached"],
            group["decision"]["running_breached"],
        )
        for group in sla["by_triager"]
    }
    for key in {*by_triager, *((i["triager"] or {}).get("id", "unassigned") for i in queue)}:
        mine = [i["id"] for i in queue if ((i["triager"] or {}).get("id") or "unassigned") == key]
        expected = (
            len(fr_running_breached.intersection(mine)),
            len(dc_breached.intersection(mine)),
        )
        assert by_triager.get(key, (0, 0)) == expected, key

    response = await client.get(f"{API}/portfolio/at-risk", headers=headers)
    assert response.status_code == 200, response.text
    breaches = response.json()["sla_breaches"]
    flagged = fr_running_breached | dc_breached
    assert breaches["total"] == len(flagged)
    assert {item["problem"]["id"]: sorted(item["breached"]) for item in breaches["items"]} == {
        problem_id: sorted(
            name
            for name, clocks in (
                ("first_response", fr_running_breached),
                ("decision", dc_breached),
            )
            if problem_id in clocks
        )
        for problem_id in flagged
    }

    # The export: each row's state, team and triager are the problem's own.
    response = await client.get(f"{API}/portfolio/export.csv", headers=headers)
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))
    problems = {
        row["reference"]: row
        for row in await db.fetch(
            "SELECT p.reference, p.status, t.name AS team, s.name AS triager FROM problems p "
            "LEFT JOIN teams t ON t.id = p.team_id LEFT JOIN people s ON s.id = p.triager_id "
            "WHERE p.submitted_at IS NOT NULL"
        )
    }
    assert sorted(row["reference"] for row in rows) == sorted(problems)
    for row in rows:
        own = problems[row["reference"]]
        assert (row["state"], row["team"], row["triager"]) == (
            own["status"],
            own["team"] or "",
            own["triager"] or "",
        ), row["reference"]
    return Agreement(
        team_load=sum(expected_load.values()),
        breached=len(flagged),
        late_responses=len(late),
        exported_with_team=sum(1 for row in rows if row["team"]),
        exported_with_triager=sum(1 for row in rows if row["triager"]),
    )
