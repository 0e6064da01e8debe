"""`intake demo --problems N`: a generated city with its whole history, as the app sees it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from intake.demo.generate import Progress
from intake.vocabulary.events import EVENT_TYPES
from intake.vocabulary.states import STATES
from intake.web.auth import LocalKeys
from tests.demo.agreement import assert_views_agree
from tests.helpers import Client, intake

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)

N = 200


# The portfolio timeline's current row must say what the problem's own columns say: the
# timeline is rebuilt from history alone, so this checks the history tells the whole story.
TIMELINE_MISMATCHES = """
SELECT count(*) FILTER (WHERE t.problem_id IS NULL) AS missing,
       count(*) FILTER (WHERE (t.status, t.triager_id, t.team_id, t.score, t.delivery_phase,
                               t.outcome_result, t.submitted_at, t.first_response_at,
                               t.decided_at, t.launched_at, t.closed_at,
                               t.first_response_due_at, t.decision_due_at)
                        IS DISTINCT FROM
                              (p.status, p.triager_id, p.team_id, p.score, p.delivery_phase,
                               p.outcome_result, p.submitted_at, p.first_response_at,
                               p.decided_at, p.launched_at, p.closed_at,
                               p.first_response_due_at, p.decision_due_at)) AS differing
FROM problems p
LEFT JOIN problem_timeline t ON t.problem_id = p.id AND t.valid_to IS NULL
"""


async def test_demo_generates_a_city_with_history_the_portfolio_reads(
    client: Client, db: asyncpg.Connection, cli_env: dict[str, str], keys: LocalKeys
) -> None:
    run = intake("demo", "--problems", str(N), env=cli_env)
    assert run.returncode == 0, run.stderr
    assert f"Added {N:,} problems" in run.stdout
    # Progress without a terminal: plain lines with percent, count, rate and time left.
    progress = [line for line in run.stderr.splitlines() if line.startswith("problems")]
    assert progress and "100%" in progress[-1] and f"{N}/{N}" in progress[-1]
    assert "/s" in progress[-1] and "ETA" in progress[-1]

    rows = await db.fetch("SELECT status, count(*) AS n FROM problems GROUP BY status")
    statuses = {row["status"]: row["n"] for row in rows}
    assert sum(statuses.values()) == N
    assert set(statuses) == set(STATES)
    events = await db.fetchval("SELECT count(*) FROM problem_events")
    # Written by COPY, not history.record: only the types the app itself writes.
    recorded = {r["type"] for r in await db.fetch("SELECT DISTINCT type FROM problem_events")}
    assert recorded <= set(EVENT_TYPES)
    assert 6 * N <= events <= 16 * N
    # Event ids follow time, as the app's own history does.
    assert (
        await db.fetchval(
            "SELECT count(*) FROM (SELECT occurred_at < lag(occurred_at) OVER (ORDER BY id) "
            "AS back FROM problem_events) AS ordered WHERE back"
        )
        == 0
    )

    # The events the portfolio timeline reads, in the shapes the app records them.
    shapes = await db.fetchrow(
        """
        SELECT
          bool_and(changes -> 'triager_id' ->> 'to' IS NOT NULL)
            FILTER (WHERE type = 'triaged') AS triaged,
          bool_and(changes -> 'team' ->> 'to' IS NOT NULL)
            FILTER (WHERE type = 'team_assigned') AS team,
          bool_and((changes -> 'score' ->> 'to')::int BETWEEN 0 AND 100)
            FILTER (WHERE type = 'scored') AS scored,
          bool_and(changes -> 'delivery_phase' ->> 'to' IN ('alpha', 'beta'))
            FILTER (WHERE type = 'delivery_started') AS phase,
          bool_and(changes -> 'outcome_review' ->> 'result' IS NOT NULL)
            FILTER (WHERE type = 'closed') AS closed,
          bool_and(changes -> 'sla' ->> 'first_response_due_at' IS NOT NULL
                   AND changes -> 'sla' ? 'decision_due_at')
            FILTER (WHERE type IN ('submitted', 'info_provided')) AS sla,
          bool_and(changes -> 'redirected_to' ->> 'department' IS NOT NULL)
            FILTER (WHERE type = 'redirected') AS redirected,
          bool_and(changes -> 'primary' ->> 'reference' IS NOT NULL)
            FILTER (WHERE type = 'marked_duplicate') AS duplicate,
          count(*) FILTER (WHERE type = 'sla_breached') AS breaches,
          count(*) FILTER (WHERE type = 'comment_added' AND internal) AS internal_comments
        FROM problem_events
        """
    )
    shaped = ("triaged", "team", "scored", "phase", "closed", "sla", "redirected", "duplicate")
    assert all(shapes[key] for key in shaped), dict(shapes)
    assert shapes["breaches"] > 0

    # Work records past acceptance: slipped milestones, risky updates, measured metrics.
    work = await db.fetchrow(
        """
        SELECT (SELECT count(*) FROM findings) AS findings,
               (SELECT count(*) FROM findings WHERE kind = 'journey_step') AS steps,
               (SELECT count(*) FROM milestones WHERE earlier_targets <> '[]') AS slipped,
               (SELECT count(*) FROM milestones WHERE done_on IS NOT NULL) AS done,
               (SELECT count(*) FROM status_updates WHERE status <> 'on_track') AS risky,
               (SELECT count(*) FROM measurements) AS measurements,
               (SELECT count(*) FROM comments) AS comments,
               (SELECT count(*) FROM problem_scores) AS scores
        """
    )
    assert all(value > 0 for value in work.values()), dict(work)

    # The timeline was rebuilt, and agrees with every problem's current columns.
    check = await db.fetchrow(TIMELINE_MISMATCHES)
    assert (check["missing"], check["differing"]) == (0, 0)
    # ... so the portfolio, the triage queue and the export tell one story.
    leader = {"Authorization": f"Bearer {keys.issue('leader@city.example')}"}
    seen = await assert_views_agree(client, db, leader)
    assert seen.team_load and seen.exported_with_team and seen.exported_with_triager

    # The views read it: every submitted problem counts, as of now and as of a past date.
    submitted = await db.fetchval("SELECT count(*) FROM problems WHERE submitted_at IS NOT NULL")
    assert submitted == N - statuses["draft"] - await db.fetchval(
        "SELECT count(*) FROM problems WHERE status = 'withdrawn' AND reference IS NULL"
    )
    summary = (await client.get("/api/v1/portfolio/summary", headers=leader)).json()
    assert summary["total"] == submitted
    by_state = {count["key"]: count["count"] for count in summary["by_state"]}
    assert by_state["closed"] == statuses["closed"]
    past = datetime.now(UTC) - timedelta(days=90)
    then = await db.fetchval("SELECT count(*) FROM problems WHERE submitted_at <= $1", past)
    response = await client.get(
        "/api/v1/portfolio/summary", params={"as_of": past.isoformat()}, headers=leader
    )
    assert response.status_code == 200, response.text
    assert response.json()["total"] == then < submitted

    # The load is one transaction (its events take the default xact_id): the event feed
    # publishes it in id order, that is in the order it happened.
    assert await db.fetchval("SELECT count(DISTINCT xact_id) FROM problem_events") == 1
    page = (await client.get("/api/v1/events", params={"limit": 100}, headers=leader)).json()
    ids = [item["id"] for item in page["items"]]
    assert len(ids) == 100 and ids == sorted(ids)

    # A second run on a city that has problems is refused, and changes nothing.
    again = intake("demo", "--problems", "10", env=cli_env)
    assert again.returncode == 1
    assert f"already holds {N} problems" in again.stderr and "--append" in again.stderr
    assert await db.fetchval("SELECT count(*) FROM problems") == N

    # --append adds to it, references carrying on each year's numbering.
    more = intake("demo", "--problems", "20", "--append", env=cli_env)
    assert more.returncode == 0, more.stderr
    assert await db.fetchval("SELECT count(*) FROM problems") == N + 20
    assert await db.fetchval("SELECT count(DISTINCT email) FROM people") == await db.fetchval(
        "SELECT count(*) FROM people"
    )
    check = await db.fetchrow(TIMELINE_MISMATCHES)
    assert (check["missing"], check["differing"]) == (0, 0)


async def test_a_generated_city_finds_similar_problems_on_first_read(
    client: Client, db: asyncpg.Connection, cli_env: dict[str, str], keys: LocalKeys
) -> None:
    run = intake("demo", "--problems", "60", env=cli_env)
    assert run.returncode == 0, run.stderr
    triager = {"Authorization": f"Bearer {keys.issue('pm01@city.example')}"}
    sampled = await db.fetch(
        "SELECT id FROM problems WHERE reference IS NOT NULL ORDER BY reference LIMIT 3"
    )

    for row in sampled:  # nothing stored yet: each read searches the generated city
        response = await client.get(f"/api/v1/problems/{row['id']}/similar", headers=triager)
        assert response.status_code == 200, response.text
        assert response.json(), "a generated problem shares its service's words with others"


async def test_demo_problems_must_be_a_positive_number(cli_env: dict[str, str]) -> None:
    bad = intake("demo", "--problems", "0", env=cli_env)
    assert bad.returncode == 2
    assert "between 1 and 5,000,000" in bad.stderr
    assert intake("demo", "--append", env=cli_env).returncode == 2


def test_progress_redraws_a_bar_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=True)
    progress.stage("problems", 400)
    for done in (100, 200, 400):
        progress.update(done)
    progress.done("Done.")
    output = stream.getvalue()
    assert output.count("\r") == 3
    assert "[" + "#" * Progress.WIDTH + "]" in output and "100%" in output
    assert output.endswith("\nDone.\n")


async def test_the_demo_city_grown_by_a_generated_one_tells_one_story(
    client: Client, db: asyncpg.Connection, cli_env: dict[str, str], keys: LocalKeys
) -> None:
    """`intake demo`, then `intake demo --problems N --append`: team load, SLA clocks and the
    export agree with the problems' own fields, the seeded ones and the generated ones."""
    seeded = intake("demo", env=cli_env)
    assert seeded.returncode == 0, seeded.stderr
    assert "Seeded the demo city" in seeded.stdout
    grown = intake("demo", "--problems", "300", "--append", "--seed", "7", env=cli_env)
    assert grown.returncode == 0, grown.stderr
    leader = {"Authorization": f"Bearer {keys.issue('leader@city.example')}"}
    seen = await assert_views_agree(client, db, leader)
    assert seen.team_load >= 10 and seen.breached >= 2 and seen.late_responses >= 1
    assert seen.exported_with_team >= 100 and seen.exported_with_triager >= 200
    check = await db.fetchrow(TIMELINE_MISMATCHES)
    assert (check["missing"], check["differing"]) == (0, 0)
