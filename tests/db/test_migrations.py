"""The migrations are the schema: they match the models, and they go down and up again."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import asyncpg
import pytest

from intake.db import migrate
from tests.builders import recreate_database, with_database

ROOT = Path(__file__).resolve().parents[2]


async def test_models_and_migrations_agree(database_url: str) -> None:
    assert await migrate.schema_drift(database_url) == []
    assert await migrate.current_revision(database_url) == migrate.head_revision()


@pytest.fixture
def scratch_url(server_url: str) -> str:
    asyncio.run(recreate_database(server_url, "intake_migrations"))
    return with_database(server_url, "intake_migrations")


def test_downgrade_to_base_and_upgrade_to_head(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    assert asyncio.run(migrate.current_revision(scratch_url)) == migrate.head_revision()
    migrate.downgrade(scratch_url, "base")
    assert asyncio.run(migrate.current_revision(scratch_url)) is None
    migrate.upgrade(scratch_url)
    assert asyncio.run(migrate.schema_drift(scratch_url)) == []


# The first CTEs of a statement that writes a city's records: a department, a person in it.
A_PERSON = """
            WITH d AS (INSERT INTO departments (id, code, name)
                       VALUES (gen_random_uuid(), 'DOT', 'Transportation') RETURNING id),
                 p AS (INSERT INTO people (id, email, name, department_id, roles)
                       SELECT gen_random_uuid(), 'a@city.example', 'A', id, '{requester}' FROM d
                       RETURNING id, department_id),"""
# The last statement of such a write: each problem ``pr`` returns was submitted, on 5 January.
SUBMITTED = """
            INSERT INTO problem_events (problem_id, actor_id, type, occurred_at, from_status,
                                        to_status)
            SELECT id, submitter_id, 'submitted', '2026-01-05T10:00:00Z', 'draft', 'submitted'
            FROM pr
            """


async def _fetch(url: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


def test_the_timeline_backfill_keeps_the_due_times_of_earlier_problems(scratch_url: str) -> None:
    """A city upgraded from before the timeline: its problems' SLA due times, which history
    did not record then, are recorded once (e5d19b7c3a40), so its clocks are judged rather
    than counted met."""
    migrate.upgrade(scratch_url, "5e1f0c2a9b7d")
    asyncio.run(
        _fetch(
            scratch_url,
            A_PERSON
            + """
                 pr AS (INSERT INTO problems (id, reference, status, department_id, submitter_id,
                                              title, submitted_at, first_response_due_at,
                                              decision_due_at)
                        SELECT gen_random_uuid(), 'P-2026-00001', 'submitted', department_id, id,
                               'An old problem', '2026-01-05T10:00:00Z',
                               '2026-01-08T10:00:00Z', '2026-01-19T10:00:00Z' FROM p
                        RETURNING id, submitter_id)
            """
            + SUBMITTED,
        )
    )
    migrate.upgrade(scratch_url)
    rows = asyncio.run(
        _fetch(
            scratch_url,
            "SELECT status, first_response_due_at, decision_due_at FROM problem_timeline "
            "WHERE valid_to IS NULL",
        )
    )
    assert [(r["status"], r["first_response_due_at"].isoformat()) for r in rows] == [
        ("submitted", "2026-01-08T10:00:00+00:00")
    ]
    assert rows[0]["decision_due_at"].isoformat() == "2026-01-19T10:00:00+00:00"
    migrate.downgrade(scratch_url, "5e1f0c2a9b7d")
    recorded = asyncio.run(_fetch(scratch_url, "SELECT type FROM problem_events ORDER BY id"))
    assert [r["type"] for r in recorded] == ["submitted"]


def test_downgrading_kept_removals_deletes_the_removed_records(scratch_url: str) -> None:
    """Before the revision that keeps removed milestones and metrics, a removed record was
    gone: downgrading deletes the kept ones (so none comes back) and restores the metric name
    constraint, which the name of a removed metric used again would otherwise break."""
    migrate.upgrade(scratch_url)
    asyncio.run(
        _fetch(
            scratch_url,
            A_PERSON
            + """
                 pr AS (INSERT INTO problems (id, reference, status, department_id,
                                              submitter_id, title)
                        SELECT gen_random_uuid(), 'P-2026-00001', 'live', department_id, id,
                               'Permits' FROM p
                        RETURNING id, submitter_id),
                 ms AS (INSERT INTO milestones (id, problem_id, title, target_date,
                                                created_by_id, deleted_at, deleted_by_id)
                        SELECT gen_random_uuid(), pr.id, m.title, '2026-12-01', submitter_id,
                               m.deleted_at, CASE WHEN m.deleted_at IS NOT NULL
                                                  THEN submitter_id END
                        FROM pr, (VALUES ('Beta', NULL::timestamptz),
                                         ('Alpha', '2026-11-20T10:00:00Z')) AS m(title, deleted_at))
            INSERT INTO metrics (id, problem_id, name, unit, direction, baseline, target,
                                 target_date, created_by_id, deleted_at)
            SELECT gen_random_uuid(), pr.id, 'Online share', '%', 'increase', 10, 50,
                   '2027-01-01', submitter_id, m.deleted_at
            FROM pr, (VALUES (NULL::timestamptz), ('2026-11-20T10:00:00Z')) AS m(deleted_at)
            """,
        )
    )
    migrate.downgrade(scratch_url, "4f2a8c6d1e07")
    milestones = asyncio.run(_fetch(scratch_url, "SELECT title FROM milestones"))
    assert [r["title"] for r in milestones] == ["Beta"]
    metrics = asyncio.run(_fetch(scratch_url, "SELECT name FROM metrics"))
    assert [r["name"] for r in metrics] == ["Online share"]
    constraints = asyncio.run(
        _fetch(
            scratch_url, "SELECT conname FROM pg_constraint WHERE conname = 'uq_metrics_problem_id'"
        )
    )
    assert len(constraints) == 1
    migrate.upgrade(scratch_url)
    assert asyncio.run(migrate.schema_drift(scratch_url)) == []


def test_events_from_before_the_feed_share_the_migrations_transaction(scratch_url: str) -> None:
    """048a3a8fe1cb adds problem_events.xact_id without touching a row (the append-only
    trigger would refuse an UPDATE): events already there all get the migration's own
    transaction id, so the feed publishes them in id order, before any later event.
    Downgrading drops the column."""
    migrate.upgrade(scratch_url, "b7e2d4f19a60")
    asyncio.run(
        _fetch(
            scratch_url,
            A_PERSON
            + """
                 pr AS (INSERT INTO problems (id, reference, status, department_id,
                                              submitter_id, title)
                        SELECT gen_random_uuid(), 'P-2026-00001', 'submitted', department_id,
                               id, 'Permits' FROM p
                        RETURNING id, submitter_id)
            INSERT INTO problem_events (problem_id, actor_id, type)
            SELECT pr.id, submitter_id, t FROM pr, (VALUES ('created'), ('submitted')) AS v(t)
            """,
        )
    )
    migrate.upgrade(scratch_url)
    before = asyncio.run(_fetch(scratch_url, "SELECT id, xact_id FROM problem_events"))
    assert len(before) == 2 and len({r["xact_id"] for r in before}) == 1
    later = asyncio.run(
        _fetch(
            scratch_url,
            "INSERT INTO problem_events (problem_id, actor_id, type) "
            "SELECT problem_id, actor_id, 'updated' FROM problem_events LIMIT 1 "
            "RETURNING xact_id",
        )
    )
    assert later[0]["xact_id"] > before[0]["xact_id"]
    migrate.downgrade(scratch_url, "b7e2d4f19a60")
    column = "SELECT 1 FROM information_schema.columns WHERE column_name = 'xact_id'"
    assert asyncio.run(_fetch(scratch_url, column)) == []
    assert len(asyncio.run(_fetch(scratch_url, "SELECT id FROM problem_events"))) == 3


def test_community_lists_fill_a_populated_database_and_go_down_again(scratch_url: str) -> None:
    """2d7e5a9c4f13 on a city with problems and a timeline: each record gets the shared list
    of its communities (blank and empty lists alike: the list of one NULL), its timeline rows
    carry it, and downgrading drops it all and brings back the index it replaced."""
    migrate.upgrade(scratch_url, "5e1f0c2a9b7d")
    asyncio.run(
        _fetch(
            scratch_url,
            A_PERSON
            + """
                 pr AS (INSERT INTO problems (id, reference, status, department_id, submitter_id,
                                              title, communities_affected, submitted_at,
                                              first_response_due_at, decision_due_at)
                        SELECT gen_random_uuid(), 'P-2026-0000' || n, 'submitted',
                               department_id, id, 'Problem ' || n, c, '2026-01-05T10:00:00Z',
                               '2026-01-08T10:00:00Z', '2026-01-19T10:00:00Z'
                        FROM p, (VALUES (1, ARRAY['Ward 3']::varchar[]),
                                        (2, ARRAY[' ward 3', 'WARD 3']::varchar[]),
                                        (3, ARRAY[]::varchar[]),
                                        (4, ARRAY['  ', '']::varchar[]),
                                        (5, ARRAY['Seniors', 'Ward 3']::varchar[])) AS v(n, c)
                        RETURNING id, submitter_id)
            """
            + SUBMITTED,
        )
    )
    migrate.upgrade(scratch_url)
    lists = asyncio.run(
        _fetch(
            scratch_url,
            "SELECT p.title, l.keys FROM problems AS p "
            "JOIN community_lists AS l ON l.id = p.community_list_id ORDER BY p.title",
        )
    )
    assert [(r["title"], r["keys"]) for r in lists] == [
        ("Problem 1", ["ward 3"]),
        ("Problem 2", ["ward 3"]),
        ("Problem 3", [None]),
        ("Problem 4", [None]),
        ("Problem 5", ["seniors", "ward 3"]),
    ]
    assert (
        asyncio.run(_fetch(scratch_url, "SELECT count(*) AS n FROM community_lists"))[0]["n"] == 4
    )
    unlike = (
        "SELECT count(*) AS n FROM problem_timeline AS t JOIN problems AS p "
        "ON p.id = t.problem_id WHERE t.community_list_id <> p.community_list_id"
    )
    assert asyncio.run(_fetch(scratch_url, unlike))[0]["n"] == 0
    # Each problem's submit and the due times e5d19b7c3a40 recorded for it.
    assert (
        asyncio.run(_fetch(scratch_url, "SELECT count(*) AS n FROM problem_timeline"))[0]["n"] == 10
    )

    # The release before this one (beside the new one during a deploy) writes the timeline
    # without the list, as the rebuild frozen in 9d4a7c2e5b13 does: its rows get it.
    path = next((ROOT / "migrations" / "versions").glob("*_9d4a7c2e5b13.py"))
    spec = importlib.util.spec_from_file_location("timeline_9d4a7c2e5b13", path)
    assert spec is not None and spec.loader is not None
    frozen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(frozen)
    asyncio.run(_fetch(scratch_url, "DELETE FROM problem_timeline"))
    asyncio.run(_fetch(scratch_url, frozen.REBUILD_SQL))
    assert (
        asyncio.run(_fetch(scratch_url, "SELECT count(*) AS n FROM problem_timeline"))[0]["n"] == 10
    )
    assert asyncio.run(_fetch(scratch_url, unlike))[0]["n"] == 0

    migrate.downgrade(scratch_url, "41a08b2f8b49")
    gone = asyncio.run(
        _fetch(
            scratch_url,
            "SELECT (SELECT count(*) FROM information_schema.columns "
            "        WHERE column_name = 'community_list_id') AS columns, "
            "       (SELECT count(*) FROM pg_proc WHERE proname IN ('community_list_id', "
            "        'problems_community_list', 'problem_timeline_community_list', "
            "        'problem_timeline_new_row_community_list')) AS functions, "
            "       to_regclass('community_lists') IS NULL AS no_table, "
            "       to_regclass('ix_problems_communities') IS NOT NULL AS index_back",
        )
    )[0]
    assert (gone["columns"], gone["functions"], gone["no_table"], gone["index_back"]) == (
        0,
        0,
        True,
        True,
    )
    migrate.upgrade(scratch_url)
    assert asyncio.run(migrate.schema_drift(scratch_url)) == []
    assert asyncio.run(_fetch(scratch_url, unlike))[0]["n"] == 0


async def _run(url: str, *statements: str) -> None:
    """Statements in one transaction, as one request of the API runs them."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with connection.transaction():
            for statement in statements:
                await connection.execute(statement)
    finally:
        await connection.close()


FEED_ENTRIES = """
    SELECT f.id, f.xact_id, e.id AS event_id, e.xact_id AS event_xact_id, e.type, p.title,
           a.reach, a.seen_by
    FROM feed_entries AS f JOIN problem_events AS e ON e.id = f.event_id
    JOIN problems AS p ON p.id = e.problem_id JOIN feed_audiences AS a ON a.id = f.audience_id
    ORDER BY f.xact_id, f.id
"""


def test_the_feed_publishes_earlier_events_where_it_had_them(scratch_url: str) -> None:
    """9854e00867ed on a city with history: each event is published at the position the feed
    had it, (xact_id, id), so cursors handed out before stay valid, for whom may see its
    problem now; a draft's for its department, and again for everyone when it is submitted
    (by the release before this one as well: the trigger publishes whoever writes).
    Downgrading drops the publications and keeps the history."""
    migrate.upgrade(scratch_url, "2d7e5a9c4f13")
    asyncio.run(
        _run(
            scratch_url,
            A_PERSON
            + """
                 pr AS (INSERT INTO problems (id, reference, status, department_id,
                                              submitter_id, title)
                        SELECT gen_random_uuid(), r, s, department_id, id, t
                        FROM p, (VALUES ('P-2026-00001', 'submitted', 'Permits'),
                                        (NULL, 'draft', 'Parking')) AS v(r, s, t)
                        RETURNING id, submitter_id, reference)
            INSERT INTO problem_events (problem_id, actor_id, type)
            SELECT id, submitter_id, 'created' FROM pr ORDER BY reference NULLS LAST
            """,
            "INSERT INTO problem_events (problem_id, actor_id, type) "
            "SELECT id, submitter_id, 'submitted' FROM problems WHERE reference IS NOT NULL",
        )
    )
    migrate.upgrade(scratch_url)
    department = asyncio.run(_fetch(scratch_url, "SELECT id FROM departments"))[0]["id"]
    owner = [f"department:{department}"]
    entries = asyncio.run(_fetch(scratch_url, FEED_ENTRIES))
    assert [(r["id"], r["xact_id"]) for r in entries] == [
        (r["event_id"], r["event_xact_id"]) for r in entries
    ]
    assert [(r["title"], r["type"], r["reach"], r["seen_by"]) for r in entries] == [
        ("Permits", "created", ["everyone"], []),
        ("Parking", "created", owner, []),
        ("Permits", "submitted", ["everyone"], []),
    ]

    asyncio.run(
        _run(
            scratch_url,
            "UPDATE problems SET reference = 'P-2026-00002', status = 'submitted' "
            "WHERE reference IS NULL",
            "INSERT INTO problem_events (problem_id, actor_id, type) "
            "SELECT id, submitter_id, 'submitted' FROM problems WHERE title = 'Parking'",
        )
    )
    later = asyncio.run(_fetch(scratch_url, FEED_ENTRIES))[3:]
    assert [(r["title"], r["type"], r["reach"], r["seen_by"]) for r in later] == [
        ("Parking", "created", ["everyone"], owner),
        ("Parking", "submitted", ["everyone"], []),
    ]
    assert later[0]["xact_id"] == later[1]["xact_id"] > entries[-1]["xact_id"]
    assert later[0]["id"] > entries[-1]["id"]

    migrate.downgrade(scratch_url, "2d7e5a9c4f13")
    gone = asyncio.run(
        _fetch(
            scratch_url,
            "SELECT (SELECT count(*) FROM pg_tables WHERE tablename LIKE 'feed_%') AS tables, "
            "       (SELECT count(*) FROM pg_proc WHERE proname LIKE 'feed_%') AS functions, "
            "       (SELECT count(*) FROM problem_events) AS events",
        )
    )
    assert dict(gone[0]) == {"tables": 0, "functions": 0, "events": 4}
    migrate.upgrade(scratch_url)
    assert len(asyncio.run(_fetch(scratch_url, FEED_ENTRIES))) == 4
