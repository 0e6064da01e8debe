"""The portfolio CSV export over HTTP: columns, quoting, spreadsheet safety, scope, as_of,
and a body streamed from a server-side cursor."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from litestar import Litestar

from intake.composition import create_sessionmaker
from intake.db.session import create_engine
from intake.portfolio import export
from intake.portfolio.scope import Scope
from intake.portfolio.timeline import REBUILD_SQL
from tests.builders import City
from tests.conftest import Steady
from tests.helpers import Client, act, assert_problem_json, events, in_phase, paired, submitted

URL = "/api/v1/portfolio/export.csv"
RATINGS = {
    "reach": 4,
    "severity": 4,
    "urgency": 4,
    "equity": 4,
    "alignment": 4,
    "confidence": 4,
    "effort": "s",
}


async def _export(client: Client, city: City, who: str = "leader", **query: str) -> Any:
    return await client.get(URL, params=query, headers=city.auth(who))


def _rows(response: Any) -> list[dict[str, str]]:
    """The CSV body as dicts by header, read the way a spreadsheet import would."""
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte order mark
    text = response.content.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == export.HEADER
    return list(reader)


def _by_reference(response: Any) -> dict[str, dict[str, str]]:
    return {row["reference"]: row for row in _rows(response)}


def _band(score: int) -> str:
    """The views' priority bands, worked out by hand."""
    return "high" if score >= 70 else "medium" if score >= 40 else "low"


def _stamp(value: str) -> str:
    """An API timestamp as the export writes it: UTC, to the second."""
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _score(client: Client, city: City, problem: dict[str, Any], **ratings: Any) -> int:
    response = await client.put(
        f"/api/v1/problems/{problem['id']}/score",
        json={"ratings": {**RATINGS, **ratings}},
        headers={**city.auth("triager"), "If-Match": problem["etag"]},
    )
    assert response.status_code == 200, response.text
    problem["etag"] = response.headers["etag"]
    return int(response.json()["current"]["score"])


async def _update(
    client: Client, city: City, problem: dict[str, Any], status: str, summary: str
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/updates",
        json={"status": status, "summary": summary},
        headers=city.auth("triager"),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _edit(client: Client, city: City, problem: dict[str, Any], **fields: Any) -> None:
    response = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json=fields,
        headers={**city.auth("requester"), "If-Match": problem["etag"]},
    )
    assert response.status_code == 200, response.text
    problem["etag"] = response.headers["etag"]


async def test_one_row_per_submitted_problem_with_every_column(client: Client, city: City) -> None:
    live = await in_phase(client, city, "live")
    score = await _score(client, city, live)
    update = await _update(client, city, live, "on_track", "Launched in two wards.")
    waiting = await submitted(client, city, "parks", title="Playground repairs are slow")
    await client.post("/api/v1/problems", json={"title": "A draft"}, headers=city.auth("parks"))

    response = await _export(client, city)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert disposition == f'attachment; filename="intake-portfolio-{today}.csv"'
    assert response.headers["cache-control"] == "private, max-age=60"
    assert response.content.count(b"\r\n") == 3  # header and two rows, CRLF line ends
    rows = _rows(response)
    assert [row["reference"] for row in rows] == [live["reference"], waiting["reference"]]

    # The key dates are when history says each step happened.
    when = {
        e["to_status"]: e["occurred_at"] for e in reversed(await events(client, city, live["id"]))
    }
    first = rows[0]
    assert first == {
        "reference": live["reference"],
        "title": live["title"],
        "department_code": "DOT",
        "department_name": "Department of Transportation",
        "state": "live",
        "delivery_phase": "alpha",
        "team": "Permits Team",
        "triager": "Priya One",
        "score": str(score),
        "priority": _band(score),
        "submitted_at": _stamp(when["submitted"]),
        "first_response_at": _stamp(when["triage"]),
        "decided_at": _stamp(when["accepted"]),
        "launched_at": _stamp(when["live"]),
        "closed_at": "",
        "latest_update_status": "on_track",
        "latest_update_at": _stamp(update["created_at"]),
        "latest_update_summary": "Launched in two wards.",
        "outcome_result": "",
        "restricted": "false",
        "communities": "Ward 3; Ward 7",
    }
    second = rows[1]
    assert (second["state"], second["department_code"], second["team"]) == ("submitted", "PRK", "")
    assert (second["score"], second["priority"], second["triager"]) == ("", "unscored", "")
    assert second["latest_update_status"] == second["decided_at"] == ""


async def test_closed_problems_carry_their_outcome(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "live")
    review = {"result": "partially_achieved", "summary": "Half the wards.", "lessons": "Pilot."}
    assert (await act(client, city, problem, "close", body=review)).status_code == 200
    row = _by_reference(await _export(client, city))[problem["reference"]]
    assert row["state"] == "closed"
    assert row["outcome_result"] == "partially_achieved"
    assert row["closed_at"] >= row["launched_at"] >= row["decided_at"] > ""


async def test_quoting_and_non_ascii_round_trip_through_a_csv_reader(
    client: Client, city: City
) -> None:
    tricky = 'Permits, "fast-track" and\nmulti-line: é ü 中文 许可证'
    communities = ["Ward 3, north", 'The "Heights"', "Quartier Pétion", "唐人街"]
    problem = await paired(client, city, title=tricky, communities_affected=communities)
    summary = "Line one, with a comma\r\nLine two: naïve café — 进展顺利"
    await _update(client, city, problem, "at_risk", summary)

    response = await _export(client, city)
    raw = response.content
    assert f'"{tricky.replace(chr(34), chr(34) * 2)}"'.encode() in raw  # quoted, "" escaped
    assert "中文".encode() in raw  # UTF-8, not an escape or a legacy code page
    row = _by_reference(response)[problem["reference"]]
    assert row["title"] == tricky
    assert row["communities"] == "; ".join(communities)
    assert row["latest_update_summary"] == summary
    assert row["team"] == "Permits Team"


async def test_cells_that_would_run_as_formulas_are_neutralised(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    formula = '=HYPERLINK("http://evil.example","Click")'
    problem = await paired(
        client,
        city,
        team_name="+Rapid Response",
        title=formula,
        communities_affected=["+1 555 0100", "@ward", "Ward 3"],
    )
    await _update(client, city, problem, "off_track", "-20% against the plan")
    # The API trims text, so tabs and carriage returns at the start are written directly.
    other = await submitted(client, city, "health", title="Tabbed title, set below")
    await db.execute(
        "UPDATE problems SET title = $1, communities_affected = $2 WHERE id = $3",
        "\tcmd|' /C calc'!A0",
        ["\rWard 1", "Ward 2"],
        uuid.UUID(other["id"]),
    )

    rows = _by_reference(await _export(client, city))
    row = rows[problem["reference"]]
    assert row["title"] == "'" + formula
    assert row["latest_update_summary"] == "'-20% against the plan"
    assert row["communities"] == "'+1 555 0100; @ward; Ward 3"  # only a cell's start matters
    assert row["team"] == "'+Rapid Response"
    assert rows[other["reference"]]["title"] == "'\tcmd|' /C calc'!A0"
    assert rows[other["reference"]]["communities"] == "'\rWard 1; Ward 2"
    assert rows[other["reference"]]["department_name"] == "Department of Public Health"


async def test_requesters_export_their_own_department_only(client: Client, city: City) -> None:
    ours = await submitted(client, city, title="Our restricted problem", restricted=True)
    theirs = await submitted(client, city, "parks", title="Their parks problem")

    mine = _by_reference(await _export(client, city, who="requester"))
    assert list(mine) == [ours["reference"]]
    assert mine[ours["reference"]]["restricted"] == "true"
    assert list(_by_reference(await _export(client, city, who="requester", department="dot")))
    assert_problem_json(await _export(client, city, who="requester", department="PRK"), 403)
    assert set(_by_reference(await _export(client, city, who="triager"))) == {
        ours["reference"],
        theirs["reference"],
    }
    assert_problem_json(await client.get(URL), 401)


async def test_filters_narrow_the_rows(client: Client, city: City) -> None:
    delivery = await in_phase(client, city, "delivery")
    parks = await submitted(client, city, "parks", title="Parks problem for the filter")

    by_department = _by_reference(await _export(client, city, department="PRK"))
    assert list(by_department) == [parks["reference"]]
    by_team = _by_reference(await _export(client, city, team=delivery["team"]["id"]))
    assert list(by_team) == [delivery["reference"]]
    today = datetime.now(UTC).date().isoformat()
    assert len(_rows(await _export(client, city, **{"from": today, "to": today}))) == 2
    assert _rows(await _export(client, city, to="2020-01-01")) == []
    assert_problem_json(await _export(client, city, department="NOPE"), 422)
    assert_problem_json(
        await _export(client, city, **{"from": "2026-02-01", "to": "2026-01-01"}), 422
    )


async def test_as_of_exports_the_problems_as_they_stood_then(client: Client, city: City) -> None:
    work = await paired(client, city)
    old_score = await _score(client, city, work, reach=1, severity=1, urgency=1, equity=1)
    old_update = await _update(client, city, work, "on_track", "Kick-off done.")
    asked = await submitted(client, city, title="Original title before the edit")
    await act(client, city, asked, "triage")
    await act(client, city, asked, "request-info", body={"questions": "Which wards?"})
    moment = datetime.now(UTC)

    # After the moment: rescored, re-teamed, moved on, a new update; the other one edited.
    new_score = await _score(client, city, work)
    team = await client.post(
        "/api/v1/teams",
        json={"name": "Second Team", "disciplines": ["data"], "wip_limit": 3},
        headers=city.auth("admin"),
    )
    assert team.status_code == 201, team.text
    moved = await client.put(
        f"/api/v1/problems/{work['id']}/team",
        json={"team_id": team.json()["id"]},
        headers={**city.auth("triager"), "If-Match": work["etag"]},
    )
    assert moved.status_code == 200, moved.text
    work["etag"] = moved.headers["etag"]
    await _update(client, city, work, "off_track", "After the moment.")
    await _edit(
        client,
        city,
        asked,
        title="A new title after the moment",
        communities_affected=["Ward 9"],
        restricted=True,
    )
    await act(client, city, asked, "respond", who="requester", body={"answer": "Ward 9."})
    late = await submitted(client, city, "health", title="Submitted after the moment")

    now = _by_reference(await _export(client, city))
    assert now[work["reference"]]["team"] == "Second Team"
    assert now[work["reference"]]["score"] == str(new_score) != str(old_score)
    assert now[work["reference"]]["latest_update_status"] == "off_track"
    assert now[asked["reference"]]["title"] == "A new title after the moment"
    assert late["reference"] in now

    response = await _export(client, city, as_of=moment.isoformat())
    stamp = moment.strftime("%Y-%m-%dT%H%M%SZ")
    assert (
        f'filename="intake-portfolio-as-of-{stamp}.csv"' in response.headers["content-disposition"]
    )
    assert response.headers["cache-control"] == "private, max-age=3600"
    then = _by_reference(response)
    assert list(then) == [work["reference"], asked["reference"]]
    row = then[work["reference"]]
    assert (row["state"], row["team"], row["triager"]) == ("accepted", "Permits Team", "Priya One")
    assert (row["score"], row["priority"]) == (str(old_score), _band(old_score))
    assert row["latest_update_status"] == "on_track"
    assert row["latest_update_summary"] == "Kick-off done."
    assert row["latest_update_at"] == _stamp(old_update["created_at"])
    other = then[asked["reference"]]
    assert other["state"] == "needs_info"
    assert other["title"] == "Original title before the edit"
    assert other["communities"] == "Ward 3; Ward 7"
    assert other["restricted"] == "false"


async def test_unchanged_exports_answer_304(client: Client, city: City, steady: Steady) -> None:
    problem = await submitted(client, city)
    await steady()
    first = await _export(client, city)
    tag = first.headers["etag"]
    again = await client.get(URL, headers={**city.auth("leader"), "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    await act(client, city, problem, "triage")
    changed = await client.get(URL, headers={**city.auth("leader"), "If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag


# -- streaming -----------------------------------------------------------------------------

BULK = 5_000  # more than two batches


async def _bulk_city(db: asyncpg.Connection, city: City, count: int) -> None:
    """``count`` submitted problems written straight to the tables, timeline rebuilt."""
    await db.execute(
        """
        INSERT INTO problems (id, reference, status, department_id, submitter_id, title,
                              submitted_at, communities_affected)
        SELECT gen_random_uuid(), 'P-2020-' || lpad(i::text, 5, '0'), 'submitted', $1, $2,
               'Bulk problem ' || i || ', "quoted"', now() - make_interval(mins => $3 - i),
               ARRAY['Ward ' || (i % 10)]
        FROM generate_series(1, $3) AS i
        """,
        city.departments["DOT"],
        city.people["requester"],
        count,
    )
    await db.execute(
        """
        INSERT INTO problem_events (problem_id, type, occurred_at, from_status, to_status)
        SELECT id, 'submitted', submitted_at, 'draft', 'submitted' FROM problems
        """
    )
    rebuild = REBUILD_SQL.replace(
        "(CAST(:everything AS boolean) OR e.problem_id = ANY(CAST(:problem_ids AS uuid[])))",
        "true",
    )
    await db.execute(rebuild)


async def _open_transactions(db: asyncpg.Connection) -> int:
    """Connections of the app (not this test's) still inside a transaction."""
    return int(
        await db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'intake' "
            "AND datname = current_database() AND xact_start IS NOT NULL"
        )
    )


async def _get_raw(app: Litestar, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """GET straight through the ASGI app, keeping every message it sends (the test client
    joins the body's parts, which would hide whether it was streamed)."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "state": {},
    }
    finished = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await finished.wait()  # the client never leaves early
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    await app(scope, receive, send)  # type: ignore[arg-type]
    return sent


async def test_a_large_export_streams_every_row_in_order(
    app: Litestar, client: Client, city: City, db: asyncpg.Connection
) -> None:
    await _bulk_city(db, city, BULK)
    # In the loop the test client runs the app in, where the app's connections live.
    sent = client.blocking_portal.call(_get_raw, app, URL, city.auth("leader"))
    start, *parts = sent
    assert start["status"] == 200
    assert b"content-length" not in dict(start["headers"])  # sent as it is read
    chunks = [part["body"] for part in parts if part["body"]]
    assert len(chunks) == 1 + -(-BULK // export.BATCH)  # the header, then one per batch
    assert all(part["more_body"] for part in parts[:-1]) and not parts[-1]["more_body"]
    body = b"".join(chunks)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert len(rows) == BULK
    assert [row["reference"] for row in rows] == [f"P-2020-{i:05d}" for i in range(1, BULK + 1)]
    assert rows[-1]["title"] == f'Bulk problem {BULK}, "quoted"'
    assert await _open_transactions(db) == 0  # the stream's session was closed


async def test_a_stream_left_early_releases_its_connection(
    app: Litestar, database_url: str, city: City, db: asyncpg.Connection
) -> None:
    await _bulk_city(db, city, BULK)
    engine = create_engine(database_url, app.state.settings)
    try:
        sessionmaker = create_sessionmaker(engine)
        body = export.csv_stream(sessionmaker, export.export_query(_everything()), batch=100)
        assert (await anext(body)).startswith(b"\xef\xbb\xbfreference,")
        assert (await anext(body)).count(b"\r\n") == 100
        assert await _open_transactions(db) == 1  # the cursor is open mid-stream
        await body.aclose()  # as when the client goes away
        assert await _open_transactions(db) == 0
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


def _everything() -> Scope:
    return Scope(
        moment=datetime.now(UTC),
        as_of=None,
        department_id=None,
        team_id=None,
        submitted_from=None,
        submitted_to=None,
    )
