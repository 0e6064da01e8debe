"""Problem intake over HTTP: draft, edit with If-Match, submit, withdraw, read and history."""

from __future__ import annotations

import json
import re

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.problems import framing
from intake.problems import service as problems
from tests.builders import COMPLETE_PROBLEM, City
from tests.helpers import Client, assert_problem_json, draft, submit, submitted


async def test_draft_is_created_with_etag_location_and_history(client: Client, city: City) -> None:
    response = await client.post(
        "/api/v1/problems",
        json={"title": "Permit renewals take three visits"},
        headers=city.auth("requester"),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["reference"] is None
    assert body["department"]["code"] == "DOT"
    assert body["submitter"]["name"] == "Rosa Diaz"
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/api/v1/problems/{body['id']}"

    history = await client.get(
        f"/api/v1/problems/{body['id']}/history", headers=city.auth("requester")
    )
    events = history.json()["items"]
    assert [e["type"] for e in events] == ["created"]
    assert events[0]["actor"]["name"] == "Rosa Diaz"
    assert events[0]["to_status"] == "draft"
    assert events[0]["changes"]["title"] == "Permit renewals take three visits"


async def test_a_title_is_trimmed_before_its_length_is_counted(client: Client, city: City) -> None:
    """Five characters at least, not counting the spaces around them nor invisible ones;
    right-to-left marks and joined emoji are kept as written."""
    me = city.auth("requester")
    for short in ("   Bus   ", "Bus\u200b\u200b\u200b\u200b", "\u00a0\u3000Bus\u2003\u00a0"):
        refused = await client.post("/api/v1/problems", json={"title": short}, headers=me)
        assert assert_problem_json(refused, 422)["errors"][0]["field"] == "title"
    problem = await draft(client, city, title="  Route 7 buses skip stops  ")
    assert problem["title"] == "Route 7 buses skip stops"
    written = (
        "\u05e8\u05d7\u05d5\u05d1 \u05d4\u05e8\u05e6\u05dc 12\u200f \U0001f469\u200d\U0001f4bb"
    )
    response = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json={"title": f"\t{written}\n"},
        headers={**me, "If-Match": problem["etag"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["title"] == written


async def test_every_field_of_the_record_round_trips(client: Client, city: City) -> None:
    fields = {
        **COMPLETE_PROBLEM,
        "impact_cost_per_year": 120000,
        "impact_risk": "Missed state reporting deadline.",
        "urgency_deadline": "2027-06-30",
        "urgency_reason": "legal_mandate",
        "urgency_notes": "State law requires online filing from July.",
        "systems_involved": [{"name": "PermitTrack 1998", "legacy": True, "notes": "COBOL"}],
        "equity_considerations": "Applicants in Wards 3 and 7 rely on paper.",
        "accessibility_needs": "Screen-reader friendly forms.",
        "language_access_needs": "Spanish, Chinese, Tagalog.",
        "restricted": True,
    }
    created = await draft(client, city, **fields)
    response = await client.get(f"/api/v1/problems/{created['id']}", headers=city.auth("requester"))
    body = response.json()
    for name, value in fields.items():
        assert body[name] == value, name
    assert response.headers["etag"] == '"1"'


async def test_framing_hints_come_back_on_create_edit_and_submit(
    client: Client, city: City
) -> None:
    problem = await draft(client, city, title="We need an app for pothole reports")
    assert [h["phrase"] for h in problem["framing_hints"]] == ["We need an app"]
    assert problem["framing_hints"][0]["field"] == "title"

    edited = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json={"desired_outcome": "Purchase a CRM for the call centre"},
        headers={**city.auth("requester"), "If-Match": problem["etag"]},
    )
    assert edited.status_code == 200
    phrases = {h["phrase"] for h in edited.json()["framing_hints"]}
    assert "We need an app" in phrases
    assert any("Purchase a CRM" in p for p in phrases)

    sent = await submit(client, city, {**problem, "etag": edited.headers["etag"]})
    assert sent.status_code == 200
    assert len(sent.json()["framing_hints"]) == 2


async def test_problem_described_as_a_problem_gets_no_hints(client: Client, city: City) -> None:
    problem = await draft(client, city, title="Residents cannot find the app's login page")
    assert problem["framing_hints"] == []


async def test_edit_needs_if_match_and_rejects_stale_etag(client: Client, city: City) -> None:
    problem = await draft(client, city)
    url = f"/api/v1/problems/{problem['id']}"
    missing = await client.patch(url, json={"workarounds": "None"}, headers=city.auth("requester"))
    assert_problem_json(missing, 428)

    first = await client.patch(
        url,
        json={"workarounds": "Phone tree"},
        headers={**city.auth("requester"), "If-Match": '"1"'},
    )
    assert first.status_code == 200
    assert first.headers["etag"] == '"2"'

    stale = await client.patch(
        url, json={"workarounds": "Email"}, headers={**city.auth("requester"), "If-Match": '"1"'}
    )
    assert_problem_json(stale, 412)
    current = await client.get(url, headers=city.auth("requester"))
    assert current.json()["workarounds"] == "Phone tree"


async def test_edit_records_what_changed_and_null_clears(client: Client, city: City) -> None:
    problem = await draft(client, city)
    url = f"/api/v1/problems/{problem['id']}"
    response = await client.patch(
        url,
        json={
            "affected_people_per_year": 3100,
            "workarounds": None,
            "title": COMPLETE_PROBLEM["title"],
        },
        headers={**city.auth("requester"), "If-Match": problem["etag"]},
    )
    assert response.status_code == 200
    assert response.json()["workarounds"] is None
    events = (await client.get(f"{url}/history", headers=city.auth("requester"))).json()["items"]
    assert events[-1]["type"] == "updated"
    assert events[-1]["changes"] == {
        "affected_people_per_year": {"from": 2400, "to": 3100},
        "workarounds": {"from": COMPLETE_PROBLEM["workarounds"], "to": None},
    }


async def test_edit_with_no_change_keeps_version_and_history(client: Client, city: City) -> None:
    problem = await draft(client, city)
    url = f"/api/v1/problems/{problem['id']}"
    response = await client.patch(
        url, json={"title": problem["title"]}, headers={**city.auth("requester"), "If-Match": '"1"'}
    )
    assert response.headers["etag"] == '"1"'
    events = (await client.get(f"{url}/history", headers=city.auth("requester"))).json()["items"]
    assert len(events) == 1


async def test_inputs_refuse_server_owned_fields(client: Client, city: City) -> None:
    for field, value in [
        ("status", "accepted"),
        ("department", "DTI"),
        ("reference", "P-2026-00001"),
    ]:
        response = await client.post(
            "/api/v1/problems",
            json={"title": "A real problem", field: value},
            headers=city.auth("requester"),
        )
        body = assert_problem_json(response, 422)
        assert [e["field"] for e in body["errors"]] == [field]
    problem = await draft(client, city)
    response = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json={"status": "accepted"},
        headers={**city.auth("requester"), "If-Match": problem["etag"]},
    )
    assert_problem_json(response, 422)


async def test_submit_lists_every_missing_field(client: Client, city: City) -> None:
    response = await client.post(
        "/api/v1/problems",
        json={"title": "Something is hard", "urgency_deadline": "2027-01-31"},
        headers=city.auth("requester"),
    )
    problem = {**response.json(), "etag": response.headers["etag"]}
    result = await submit(client, city, problem)
    body = assert_problem_json(result, 422)
    fields = {error["field"] for error in body["errors"]}
    assert fields == {
        "problem_statement",
        "affected_groups",
        "affected_people_per_year",
        "current_process",
        "desired_outcome",
        "success_measures",
        "data_sensitivity",
        "impact",
        "urgency_reason",
    }
    still = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("requester"))
    assert still.json()["status"] == "draft"
    assert still.json()["reference"] is None


async def test_blank_text_counts_as_missing_at_submit(client: Client, city: City) -> None:
    problem = await draft(client, city, problem_statement="   ")
    body = assert_problem_json(await submit(client, city, problem), 422)
    assert [e["field"] for e in body["errors"]] == ["problem_statement"]


async def test_submit_gives_a_reference_and_records_history(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city)
    assert problem["status"] == "submitted"
    assert re.fullmatch(r"P-\d{4}-\d{5}", problem["reference"])
    assert problem["reference"].endswith("-00001")
    assert problem["submitted_at"] is not None
    events = (
        await client.get(
            f"/api/v1/problems/{problem['id']}/history", headers=city.auth("requester")
        )
    ).json()["items"]
    assert [(e["type"], e["from_status"], e["to_status"]) for e in events] == [
        ("created", None, "draft"),
        ("submitted", "draft", "submitted"),
    ]
    assert events[1]["changes"]["reference"]["to"] == problem["reference"]


async def test_submitted_problem_cannot_be_edited_or_resubmitted(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city)
    edit = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json={"title": "Changed after submit"},
        headers={**city.auth("requester"), "If-Match": problem["etag"]},
    )
    body = assert_problem_json(edit, 409)
    assert body["current_state"] == "submitted"
    again = await submit(client, city, problem)
    body = assert_problem_json(again, 409)
    assert body["current_state"] == "submitted"
    assert body["allowed_actions"] == ["mark-duplicate", "triage", "withdraw"]


async def test_withdraw_with_reason_then_nothing_more(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    url = f"/api/v1/problems/{problem['id']}/withdraw"
    response = await client.post(
        url,
        json={"reason": "The state portal now covers this."},
        headers={**city.auth("requester"), "If-Match": problem["etag"]},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    events = (
        await client.get(
            f"/api/v1/problems/{problem['id']}/history", headers=city.auth("requester")
        )
    ).json()["items"]
    assert events[-1]["type"] == "withdrawn"
    assert events[-1]["reason"] == "The state portal now covers this."
    again = await client.post(
        url, headers={**city.auth("requester"), "If-Match": response.headers["etag"]}
    )
    body = assert_problem_json(again, 409)
    assert body["allowed_actions"] == []


async def test_draft_can_be_withdrawn_without_a_body(client: Client, city: City) -> None:
    problem = await draft(client, city)
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/withdraw",
        headers={**city.auth("requester"), "If-Match": problem["etag"]},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


async def test_colleague_in_same_department_can_edit_and_submit(client: Client, city: City) -> None:
    problem = await draft(client, city)
    response = await submit(client, city, problem, who="requester2")
    assert response.status_code == 200


async def test_only_requesters_draft_problems(client: Client, city: City) -> None:
    response = await client.post(
        "/api/v1/problems", json={"title": "A problem"}, headers=city.auth("leader")
    )
    assert_problem_json(response, 403)


async def test_history_is_append_only_in_the_database(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    await draft(client, city)
    for statement in ("UPDATE problem_events SET type = 'x'", "DELETE FROM problem_events"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await db.execute(statement)
    assert await db.fetchval("SELECT count(*) FROM problem_events") == 1


async def test_framing_hints_are_stored_when_the_text_is_written(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await draft(client, city, title="We need an app for pothole reports")
    stored = await db.fetchrow(
        "SELECT framing_hints, framing_rules FROM problems WHERE id = $1", problem["id"]
    )
    assert stored is not None
    assert [hint["phrase"] for hint in json.loads(stored["framing_hints"])] == ["We need an app"]
    assert stored["framing_rules"] == framing.RULES_VERSION

    edited = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json={"title": "Pothole reports get lost between two inboxes"},
        headers={**city.auth("requester"), "If-Match": problem["etag"]},
    )
    assert edited.status_code == 200
    hints = await db.fetchval("SELECT framing_hints FROM problems WHERE id = $1", problem["id"])
    assert json.loads(hints) == []


async def test_hints_stored_under_other_rules_follow_the_rules_of_today(
    client: Client, city: City, db: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Hints stored before the rules changed are not shown: a read computes them with the
    rules of today, and `intake problems reframe` stores those."""
    problem = await draft(client, city, title="We need an app for pothole reports")
    await db.execute(
        "UPDATE problems SET framing_hints = '[]', framing_rules = 'older-rules' WHERE id = $1",
        problem["id"],
    )
    read = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("requester"))
    assert [hint["phrase"] for hint in read.json()["framing_hints"]] == ["We need an app"]

    async with sessions() as session, session.begin():
        assert await problems.reframe_batch(session) == 1
    async with sessions() as session, session.begin():
        assert await problems.reframe_batch(session) == 0
    stored = await db.fetchrow(
        "SELECT framing_hints, framing_rules, version FROM problems WHERE id = $1", problem["id"]
    )
    assert stored is not None
    assert [hint["phrase"] for hint in json.loads(stored["framing_hints"])] == ["We need an app"]
    assert (stored["framing_rules"], stored["version"]) == (framing.RULES_VERSION, 1)
    again = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("requester"))
    assert again.json() == read.json()
