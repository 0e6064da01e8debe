"""The triage queue, its SLA clocks and the admin policy behind them."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from intake.composition import create_sessionmaker
from intake.config import Settings
from intake.db.session import create_engine
from intake.triage.sla import clocks
from intake.triage.sla.business_time import Calendar, Pause, clock, due_at
from tests.builders import City
from tests.helpers import Client, act, assert_problem_json, draft, submitted, waited_a_week


async def queue(
    client: Client, city: City, query: str = "", who: str = "triager"
) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/triage/queue?{query}", headers=city.auth(who))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def _age(db: asyncpg.Connection, problem: dict[str, Any], days: int) -> None:
    """Pretend the problem was submitted ``days`` ago, with its clocks computed then."""
    then = datetime.now(UTC) - timedelta(days=days)
    await db.execute(
        "UPDATE problems SET submitted_at = $2, first_response_due_at = $3, decision_due_at = $4 "
        "WHERE id = $1",
        uuid.UUID(problem["id"]),
        then,
        then + timedelta(days=4),
        then + timedelta(days=14),
    )


async def test_queue_holds_open_problems_soonest_due_first(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    old = await submitted(client, city, title="Oldest open problem here")
    new = await submitted(client, city, "health", title="Newest open problem here")
    middle = await submitted(client, city, title="Middle open problem here")
    await draft(client, city, title="A draft is not in the queue")
    accepted = await submitted(client, city, title="Accepted leaves the queue")
    await act(client, city, accepted, "triage")
    await act(client, city, accepted, "accept")
    await _age(db, old, 20)
    await _age(db, middle, 5)
    ids = [item["id"] for item in await queue(client, city)]
    assert ids == [old["id"], middle["id"], new["id"]]


async def test_score_breaks_ties_and_needs_info_waits_at_the_end(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    low = await submitted(client, city, title="Low scored problem")
    high = await submitted(client, city, title="High scored problem")
    waiting = await submitted(client, city, title="Waiting on the requester")
    same_due = datetime.now(UTC) + timedelta(days=3)
    for problem, score in ((low, 20), (high, 80)):
        await db.execute(
            "UPDATE problems SET decision_due_at = $2, score = $3 WHERE id = $1",
            uuid.UUID(problem["id"]),
            same_due,
            score,
        )
    await act(client, city, waiting, "triage")
    await act(client, city, waiting, "request-info", body={"questions": "Which systems?"})
    rows = await queue(client, city)
    assert [r["id"] for r in rows] == [high["id"], low["id"], waiting["id"]]
    paused = rows[-1]["decision"]
    assert paused["paused"] is True
    assert paused["due_at"] is None


async def test_rows_show_both_sla_clocks(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city)
    row = (await queue(client, city))[0]
    assert row["first_response"]["target_days"] == 3
    assert row["decision"]["target_days"] == 10
    assert row["first_response"]["breached"] is False
    assert row["first_response"]["stopped_at"] is None
    assert row["decision"]["due_at"] > row["first_response"]["due_at"]
    await act(client, city, problem, "triage")
    row = (await queue(client, city))[0]
    assert row["first_response"]["stopped_at"] is not None
    assert row["triager"]["name"] == "Priya One"


async def test_breach_and_age_filters(client: Client, city: City, db: asyncpg.Connection) -> None:
    late = await submitted(client, city, title="Submitted a month ago")
    fresh = await submitted(client, city, title="Submitted just now")
    await _age(db, late, 30)
    breached = await queue(client, city, "breached=true")
    assert [r["id"] for r in breached] == [late["id"]]
    assert breached[0]["decision"]["breached"] is True
    assert breached[0]["first_response"]["breached"] is True
    assert [r["id"] for r in await queue(client, city, "breached=false")] == [fresh["id"]]
    assert [r["id"] for r in await queue(client, city, "min_age_days=7")] == [late["id"]]


async def test_department_triager_and_status_filters(client: Client, city: City) -> None:
    dot = await submitted(client, city, title="Transportation problem here")
    dph = await submitted(client, city, "health", title="Health problem here")
    await act(client, city, dph, "triage")
    assert [r["id"] for r in await queue(client, city, "department=DPH")] == [dph["id"]]
    assert [r["id"] for r in await queue(client, city, f"triager={city.people['triager']}")] == [
        dph["id"]
    ]
    assert [r["id"] for r in await queue(client, city, "triager=none")] == [dot["id"]]
    assert [r["id"] for r in await queue(client, city, "status=triage")] == [dph["id"]]
    for bad in ("status=accepted", "triager=someone", "min_age_days=-1"):
        response = await client.get(f"/api/v1/triage/queue?{bad}", headers=city.auth("triager"))
        assert_problem_json(response, 422)


async def test_queue_pages(client: Client, city: City) -> None:
    made = {
        (await submitted(client, city, title=f"Queue page problem {n}"))["id"] for n in range(5)
    }
    first = (await client.get("/api/v1/triage/queue?limit=2", headers=city.auth("triager"))).json()
    seen = [r["id"] for r in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (
            await client.get(
                f"/api/v1/triage/queue?limit=2&cursor={cursor}", headers=city.auth("triager")
            )
        ).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == 5
    assert set(seen) == made


@pytest.mark.parametrize("who", ["requester", "team_member"])
async def test_queue_is_for_triagers_admins_and_leadership(
    client: Client, city: City, who: str
) -> None:
    response = await client.get("/api/v1/triage/queue", headers=city.auth(who))
    assert_problem_json(response, 403)


async def test_needs_info_pauses_the_decision_clock(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city)
    pid = uuid.UUID(problem["id"])
    await act(client, city, problem, "triage")
    await act(client, city, problem, "request-info", body={"questions": "Data owner?"})
    assert await db.fetchval("SELECT decision_due_at FROM problems WHERE id = $1", pid) is None
    await waited_a_week(db, pid)
    await act(client, city, problem, "respond", who="requester", body={"answer": "Finance."})
    submitted_at, due = await db.fetchrow(
        "SELECT submitted_at, decision_due_at FROM problems WHERE id = $1", pid
    )
    without_pause = due_at(submitted_at, 10, Calendar(tz=ZoneInfo("UTC")))
    assert without_pause is not None
    # A week of waiting is five business days that do not count against DTI.
    assert due - without_pause >= timedelta(days=5)
    row = (await queue(client, city))[0]
    assert row["decision"]["paused"] is False
    assert row["decision"]["breached"] is False
    # One calendar day ran before the pause: up to one business day, none on a weekend.
    assert 0 <= row["decision"]["elapsed_business_days"] <= 1


async def test_admin_changes_targets_and_open_clocks_follow(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city)
    pid = uuid.UUID(problem["id"])
    before = await db.fetchval("SELECT decision_due_at FROM problems WHERE id = $1", pid)
    body = {"first_response_days": 2, "decision_days": 5, "timezone": "America/New_York"}
    response = await client.put("/api/v1/settings/sla", json=body, headers=city.auth("admin"))
    assert response.status_code == 200
    assert (await client.get("/api/v1/settings/sla", headers=city.auth("requester"))).json() == body
    after = await db.fetchval("SELECT decision_due_at FROM problems WHERE id = $1", pid)
    assert after < before
    row = (await queue(client, city))[0]
    assert row["decision"]["target_days"] == 5


def _recompute_slowly(database_url: str, settings: Settings, read: threading.Event) -> None:
    """An admin's settings change on its own connection and event loop, which takes its
    time between reading the open problems and writing their new due times."""

    async def run() -> None:
        engine = create_engine(database_url, settings)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                assert await clocks.recompute_open(session) == (1, 1)
        finally:
            await engine.dispose()

    asyncio.run(run())


async def test_an_action_racing_a_recompute_of_the_clocks_is_not_overwritten(
    client: Client,
    city: City,
    db: asyncpg.Connection,
    database_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = await submitted(client, city)
    assert (await act(client, city, problem, "triage")).status_code == 200
    # A due time the recompute will correct, so it has something to write.
    await db.execute(
        "UPDATE problems SET decision_due_at = decision_due_at + interval '1 day' WHERE id = $1",
        uuid.UUID(problem["id"]),
    )
    read = threading.Event()
    pauses_for = clocks.pauses_for

    async def slowly(*args: Any) -> Any:
        found = await pauses_for(*args)
        read.set()  # the open problems and their pauses are read, nothing written yet
        await asyncio.sleep(0.5)
        return found

    monkeypatch.setattr(clocks, "pauses_for", slowly)
    admin = threading.Thread(target=_recompute_slowly, args=(database_url, settings, read))
    admin.start()
    try:
        assert read.wait(30)
        # Asking now waits until the recompute has written, then pauses the clock, rather
        # than being overwritten by a due time computed for the problem in triage.
        body = {"questions": "Which permit types?"}
        assert (await act(client, city, problem, "request-info", body=body)).status_code == 200
    finally:
        admin.join(30)
    [row] = await queue(client, city)
    assert row["status"] == "needs_info"
    assert row["decision"]["paused"] is True and row["decision"]["due_at"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"first_response_days": 3, "decision_days": 10, "timezone": "Mars/Olympus"},
        {"first_response_days": 12, "decision_days": 10},
        {"decision_days": 0},
    ],
)
async def test_bad_sla_settings_are_422(client: Client, city: City, body: dict[str, Any]) -> None:
    response = await client.put("/api/v1/settings/sla", json=body, headers=city.auth("admin"))
    assert_problem_json(response, 422)


async def test_only_admins_change_policy(client: Client, city: City) -> None:
    for path, body in (
        ("/api/v1/settings/sla", {"decision_days": 5}),
        ("/api/v1/settings/scoring", {"reach": 50}),
        ("/api/v1/settings/holidays/2026", []),
    ):
        assert_problem_json(await client.put(path, json=body, headers=city.auth("triager")), 403)


async def test_holidays_push_due_dates(client: Client, city: City, db: asyncpg.Connection) -> None:
    problem = await submitted(client, city)
    pid = uuid.UUID(problem["id"])
    before = await db.fetchval("SELECT decision_due_at FROM problems WHERE id = $1", pid)
    today = datetime.now(UTC).date()
    days = [
        today + timedelta(days=n) for n in range(1, 15) if (today + timedelta(days=n)).weekday() < 5
    ]
    holidays = [
        {"day": day.isoformat(), "name": "Civic holiday"}
        for day in days[:3]
        if day.year == today.year
    ]
    response = await client.put(
        f"/api/v1/settings/holidays/{today.year}", json=holidays, headers=city.auth("admin")
    )
    assert response.status_code == 200
    assert [h["day"] for h in response.json()] == [h["day"] for h in holidays]
    after = await db.fetchval("SELECT decision_due_at FROM problems WHERE id = $1", pid)
    assert (after - before).days == len(holidays) or after > before
    wrong_year = await client.put(
        f"/api/v1/settings/holidays/{today.year}",
        json=[{"day": f"{today.year + 1}-01-01", "name": "New Year"}],
        headers=city.auth("admin"),
    )
    assert_problem_json(wrong_year, 422)


async def test_pages_follow_the_queue_order_into_the_paused_problems(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    made = [await submitted(client, city, title=f"Paging problem number {n}") for n in range(7)]
    same_due = datetime.now(UTC) + timedelta(days=3)
    for problem, score in zip(made[:4], (50, None, 50, 80), strict=True):
        await db.execute(
            "UPDATE problems SET decision_due_at = $2, score = $3 WHERE id = $1",
            uuid.UUID(problem["id"]),
            same_due,
            score,
        )
    for problem, score in zip(made[4:], (None, 70, 70), strict=True):  # waiting on requesters
        await act(client, city, problem, "triage")
        await act(client, city, problem, "request-info", body={"questions": "Which form?"})
        await db.execute(
            "UPDATE problems SET score = $2 WHERE id = $1", uuid.UUID(problem["id"]), score
        )
    whole = [row["id"] for row in await queue(client, city, "limit=100")]
    ids = [problem["id"] for problem in made]
    tied, paused = sorted([ids[0], ids[2]]), sorted([ids[5], ids[6]])
    # Due first (paused last), then highest score (unscored last), then id.
    assert whole == [ids[3], *tied, ids[1], *paused, ids[4]]
    for limit in (1, 2, 3):
        paged: list[str] = []
        cursor = ""
        while True:
            response = await client.get(
                f"/api/v1/triage/queue?limit={limit}{cursor}", headers=city.auth("triager")
            )
            page = response.json()
            paged += [row["id"] for row in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
        assert paged == whole, limit


async def test_an_overdue_clock_leaves_out_waits_after_it_was_due(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city)
    pid = uuid.UUID(problem["id"])
    await act(client, city, problem, "triage")
    await act(client, city, problem, "request-info", body={"questions": "Which form?"})
    await act(client, city, problem, "respond", who="requester", body={"answer": "Form 12."})
    # Rewind: submitted a month ago, so overdue for two weeks, and then it waited a week
    # on its requester; the due time is what the app computes for that history.
    now = datetime.now(UTC)
    submitted_at, asked, answered = (now - timedelta(days=d) for d in (30, 10, 3))
    utc = Calendar(tz=ZoneInfo("UTC"))
    wait = Pause(start=asked, end=answered)
    await db.execute(
        "UPDATE problems SET submitted_at = $2, decision_due_at = $3 WHERE id = $1",
        pid,
        submitted_at,
        due_at(submitted_at, 10, utc, [wait]),
    )
    await db.execute("ALTER TABLE problem_events DISABLE TRIGGER problem_events_append_only")
    try:
        await db.execute(
            "UPDATE problem_events SET occurred_at = $2 "
            "WHERE problem_id = $1 AND to_status = 'needs_info'",
            pid,
            asked,
        )
        await db.execute(
            "UPDATE problem_events SET occurred_at = $2 "
            "WHERE problem_id = $1 AND from_status = 'needs_info'",
            pid,
            answered,
        )
    finally:
        await db.execute("ALTER TABLE problem_events ENABLE TRIGGER problem_events_append_only")
    decision = (await queue(client, city))[0]["decision"]
    expected = clock(
        started_at=submitted_at, target_days=10, calendar=utc, now=datetime.now(UTC), pauses=[wait]
    )
    ignoring_wait = clock(
        started_at=submitted_at, target_days=10, calendar=utc, now=datetime.now(UTC)
    )
    assert decision["breached"] is True
    assert decision["paused"] is False
    assert abs(decision["elapsed_business_days"] - expected.elapsed_business_days) <= 0.01
    # The week of waiting, five business days, does not count against DTI.
    assert ignoring_wait.elapsed_business_days - decision["elapsed_business_days"] >= 4.9


async def test_queue_shows_an_sla_change_at_once(client: Client, city: City) -> None:
    await submitted(client, city)
    assert (await queue(client, city))[0]["decision"]["target_days"] == 10  # now kept
    body = {"first_response_days": 2, "decision_days": 5, "timezone": "UTC"}
    response = await client.put("/api/v1/settings/sla", json=body, headers=city.auth("admin"))
    assert response.status_code == 200
    row = (await queue(client, city))[0]
    assert row["first_response"]["target_days"] == 2
    assert row["decision"]["target_days"] == 5


async def test_queue_counts_new_holidays_at_once(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city)
    await _age(db, problem, 20)
    before = (await queue(client, city))[0]["first_response"]["elapsed_business_days"]
    today = datetime.now(UTC).date()
    weekdays = [
        today - timedelta(days=n) for n in range(5, 16) if (today - timedelta(days=n)).weekday() < 5
    ]
    year = max({day.year for day in weekdays}, key=lambda y: sum(d.year == y for d in weekdays))
    days = [day for day in weekdays if day.year == year]
    holidays = [{"day": day.isoformat(), "name": "Civic holiday"} for day in days]
    response = await client.put(
        f"/api/v1/settings/holidays/{year}", json=holidays, headers=city.auth("admin")
    )
    assert response.status_code == 200
    after = (await queue(client, city))[0]["first_response"]["elapsed_business_days"]
    assert abs(before - after - len(days)) <= 0.02


async def test_queue_shows_a_calendar_changed_elsewhere_at_once(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    """Another process (another worker, an operator in psql) changes the holidays and the
    SLA targets: this process's next queue shows them, whatever it had kept."""
    problem = await submitted(client, city)
    await _age(db, problem, 20)
    year = datetime.now(UTC).year
    response = await client.put(
        f"/api/v1/settings/holidays/{year}", json=[], headers=city.auth("admin")
    )
    assert response.status_code == 200
    before = (await queue(client, city))[0]["first_response"]  # the calendar is kept now
    today = datetime.now(UTC).date()
    holiday = next(
        today - timedelta(days=n) for n in range(5, 16) if (today - timedelta(days=n)).weekday() < 5
    )
    await db.execute("INSERT INTO holidays (day, name) VALUES ($1, 'Civic holiday')", holiday)
    after = (await queue(client, city))[0]["first_response"]
    assert abs(before["elapsed_business_days"] - after["elapsed_business_days"] - 1) <= 0.02
    await db.execute(
        "INSERT INTO settings (key, value) VALUES ('sla', $1::jsonb)",
        '{"first_response_days": 2, "decision_days": 7, "timezone": "UTC"}',
    )
    row = (await queue(client, city))[0]
    assert row["first_response"]["target_days"] == 2
    assert row["decision"]["target_days"] == 7


async def test_a_submit_starts_its_clocks_on_a_calendar_changed_elsewhere(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    """A submit reads the calendar this process keeps only while the database's token says
    it is current: targets and holidays changed by another process count at once."""
    await submitted(client, city)  # this process keeps the calendar now
    await db.execute(
        "INSERT INTO settings (key, value) VALUES ('sla', $1::jsonb) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        '{"first_response_days": 4, "decision_days": 9, "timezone": "UTC"}',
    )
    problem = await submitted(client, city)
    row = await db.fetchrow(
        "SELECT submitted_at, first_response_due_at, decision_due_at FROM problems WHERE id = $1",
        uuid.UUID(problem["id"]),
    )
    days = frozenset(await db.fetchval("SELECT array_agg(day) FROM holidays") or ())
    cal = Calendar(ZoneInfo("UTC"), days)
    assert row["first_response_due_at"] == due_at(row["submitted_at"], 4, cal)
    assert row["decision_due_at"] == due_at(row["submitted_at"], 9, cal)


# -- the breached filter and the rows' own flags ---------------------------------------------


async def breached_filter_matches_rows(client: Client, city: City) -> dict[str, dict[str, Any]]:
    """Every queue row, after checking that ``breached=true`` lists exactly the rows whose
    first response or decision clock shows ``breached``, and ``breached=false`` the others."""
    rows = {row["id"]: row for row in await queue(client, city, "limit=100")}
    flagged = {
        problem_id
        for problem_id, row in rows.items()
        if row["first_response"]["breached"] or row["decision"]["breached"]
    }
    assert {row["id"] for row in await queue(client, city, "breached=true&limit=100")} == flagged
    assert {row["id"] for row in await queue(client, city, "breached=false&limit=100")} == (
        set(rows) - flagged
    )
    return rows


async def _rewind(db: asyncpg.Connection, problem: dict[str, Any], days: int) -> None:
    """Pretend the problem was submitted ``days`` ago and answered an hour later, with the
    due times the default policy gives for that."""
    then = datetime.now(UTC) - timedelta(days=days)
    utc = Calendar(tz=ZoneInfo("UTC"))
    await db.execute(
        "UPDATE problems SET submitted_at = $2, first_response_at = $3, "
        "first_response_due_at = $4, decision_due_at = $5 WHERE id = $1",
        uuid.UUID(problem["id"]),
        then,
        then + timedelta(hours=1),
        due_at(then, 3, utc),
        due_at(then, 10, utc),
    )


async def test_a_decision_overdue_before_its_pause_stays_breached_while_paused(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city)
    await act(client, city, problem, "triage")
    await _rewind(db, problem, 20)  # decision due about six days ago
    overdue = await db.fetchval(
        "SELECT decision_due_at FROM problems WHERE id = $1", uuid.UUID(problem["id"])
    )
    row = (await breached_filter_matches_rows(client, city))[problem["id"]]
    assert row["decision"]["breached"] is True

    await act(client, city, problem, "request-info", body={"questions": "Which forms?"})
    row = (await breached_filter_matches_rows(client, city))[problem["id"]]
    # Asking the requester late does not undo the breach: the clock is paused, and keeps
    # the due time it ran past.
    assert row["status"] == "needs_info"
    assert row["decision"]["paused"] is True
    assert row["decision"]["breached"] is True
    assert datetime.fromisoformat(row["decision"]["due_at"]) == overdue
    assert row["first_response"]["breached"] is False
    assert [r["id"] for r in await queue(client, city, "breached=true")] == [problem["id"]]
    assert await queue(client, city, "breached=false") == []

    await act(client, city, problem, "respond", who="requester", body={"answer": "Form 12."})
    row = (await breached_filter_matches_rows(client, city))[problem["id"]]
    assert row["decision"]["paused"] is False
    assert row["decision"]["breached"] is True
    assert datetime.fromisoformat(row["decision"]["due_at"]) == overdue


async def test_a_clock_paused_in_time_is_not_breached(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    await act(client, city, problem, "triage")
    await act(client, city, problem, "request-info", body={"questions": "Which forms?"})
    row = (await breached_filter_matches_rows(client, city))[problem["id"]]
    assert row["decision"]["paused"] is True
    assert row["decision"]["due_at"] is None
    assert (row["first_response"]["breached"], row["decision"]["breached"]) == (False, False)
    assert await queue(client, city, "breached=true") == []
    assert [r["id"] for r in await queue(client, city, "breached=false")] == [problem["id"]]

    await act(client, city, problem, "respond", who="requester", body={"answer": "Form 12."})
    row = (await breached_filter_matches_rows(client, city))[problem["id"]]
    assert (row["first_response"]["breached"], row["decision"]["breached"]) == (False, False)


async def test_a_first_response_given_late_stays_breached(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city)
    await _age(db, problem, 10)  # first response due six days ago, decision in four days
    await act(client, city, problem, "triage")
    row = (await breached_filter_matches_rows(client, city))[problem["id"]]
    assert row["first_response"]["stopped_at"] is not None
    assert row["first_response"]["breached"] is True
    assert row["decision"]["breached"] is False
    assert [r["id"] for r in await queue(client, city, "breached=true")] == [problem["id"]]


async def test_a_shorter_target_can_breach_a_paused_clock(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    """An admin's new targets are judged against the time before the pause: a target that
    ran out before the questions were asked breaches the paused clock, in the rows and the
    filter alike; the rest of the queue keeps its due times."""
    paused = await submitted(client, city, title="Waiting since the target ran out")
    await act(client, city, paused, "triage")
    await _rewind(db, paused, 8)  # six business days or fewer: not yet due
    await act(client, city, paused, "request-info", body={"questions": "Which forms?"})
    fresh = await submitted(client, city, title="Submitted just now")
    before = await breached_filter_matches_rows(client, city)
    assert before[paused["id"]]["decision"]["due_at"] is None
    assert not before[paused["id"]]["decision"]["breached"]

    body = {"first_response_days": 1, "decision_days": 1, "timezone": "UTC"}
    response = await client.put("/api/v1/settings/sla", json=body, headers=city.auth("admin"))
    assert response.status_code == 200
    after = await breached_filter_matches_rows(client, city)
    assert after[paused["id"]]["decision"]["paused"] is True
    assert after[paused["id"]]["decision"]["breached"] is True
    assert after[paused["id"]]["decision"]["due_at"] is not None
    assert not after[fresh["id"]]["decision"]["breached"]
