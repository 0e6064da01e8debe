"""The product team's workspace over HTTP: phases with only the legal next actions, findings
and the journey map, milestones with slips, status updates, outcome metrics, stale forms,
double posts, and who may open it and act in it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from tests.builders import City
from tests.helpers import in_phase, paired, submitted
from tests.pages.helpers import Client, csrf_of, sign_in

# The service's today is the UTC date; a day read before midnight is never in its future.
DAY = datetime.now(UTC).date()
TODAY = DAY.isoformat()


def work(problem: dict[str, Any]) -> str:
    return f"/problems/{problem['id']}/work"


def field_value(html: str, form_action: str, name: str) -> str:
    """A hidden field's value in the form posting to ``form_action``."""
    start = html.index(f'action="{form_action}"')
    found = re.search(rf'name="{name}" value="([^"]*)"', html[start:])
    assert found, f"no {name} in the form to {form_action}"
    return found.group(1)


def summary_of(html: str) -> str:
    return html.split('class="error-summary"')[1].split("</div>")[0]


EVIDENCE = {
    "source": "Interviews with permit clerks",
    "evidence_date": "2026-11-30",
    "who": "Clerks",
}


async def test_only_the_legal_next_phase_is_offered_and_the_team_closes_the_work(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await paired(client, city)
    csrf = await sign_in(client, "team_member")
    page = await client.get(work(problem))
    assert page.status_code == 200
    assert "Start discovery" in page.text
    assert "/phase/launch" not in page.text and "/phase/close" not in page.text

    steps = [
        ("start-discovery", {"reason": "Kick-off on Monday"}, "Discovery"),
        ("start-delivery", {"phase": "alpha"}, "Alpha"),
        ("start-delivery", {"phase": "beta"}, "Beta"),
        ("launch", {}, "Live"),
    ]
    for action, body, phase in steps:
        target = f"{work(problem)}/phase/{action}"
        data = {"csrf_token": csrf, "version": field_value(page.text, target, "version"), **body}
        moved = await client.post(target, data=data, follow_redirects=False)
        assert moved.status_code == 303, moved.text
        page = await client.get(moved.headers["location"])
        assert f'aria-current="step">{phase}' in page.text
        assert "The phase has changed." in page.text
    # From beta, delivery cannot move back to alpha: the only offer left is launch, then close.
    assert "/phase/start-delivery" not in page.text and "/phase/close" in page.text

    target = f"{work(problem)}/phase/close"
    version = field_value(page.text, target, "version")
    missing = await client.post(
        target, data={"csrf_token": csrf, "version": version, "summary": "Faster."}
    )
    assert missing.status_code == 422
    summary = summary_of(missing.text)
    assert 'href="#close-result"' in summary and 'href="#close-lessons"' in summary
    assert 'href="#close-summary"' not in summary
    assert ">Faster.</textarea>" in missing.text  # what was typed stays
    closed = await client.post(
        target,
        data={
            "csrf_token": csrf,
            "version": version,
            "result": "partially_achieved",
            "summary": "Decisions take 9 days, down from 31.",
            "lessons": "Bring inspectors in from week one.",
        },
    )
    assert closed.status_code == 200
    assert 'aria-current="step">Closed' in closed.text
    assert "Partially achieved" in closed.text and "Bring inspectors in" in closed.text
    assert "/phase/" not in closed.text and "Add a finding" not in closed.text
    row = await db.fetchrow("SELECT status, outcome_result FROM problems")
    assert (row["status"], row["outcome_result"]) == ("closed", "partially_achieved")


async def test_a_stale_phase_form_says_what_the_phase_is_now(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await paired(client, city)
    csrf = await sign_in(client, "team_member")
    page = await client.get(work(problem))
    target = f"{work(problem)}/phase/start-discovery"
    data = {
        "csrf_token": csrf,
        "version": field_value(page.text, target, "version"),
        "seen_phase": "Accepted",
    }
    first = await client.post(target, data=data, follow_redirects=False)
    assert first.status_code == 303
    again = await client.post(target, data=data)  # a second tab, or a double click
    assert again.status_code == 412
    assert "It is now in Discovery, not Accepted" in again.text
    assert (
        await db.fetchval("SELECT count(*) FROM problem_events WHERE type = 'discovery_started'")
        == 1
    )


async def test_findings_with_evidence_and_the_journey_map_reordered_without_script(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "discovery")
    csrf = await sign_in(client, "team_member")
    for title in ("Mail the paper form", "Wait for the inspector", "Get the decision"):
        page = await client.get(work(problem))
        added = await client.post(
            f"{work(problem)}/journey/steps",
            data={
                "csrf_token": csrf,
                "idempotency_key": field_value(
                    page.text, f"{work(problem)}/journey/steps", "idempotency_key"
                ),
                "title": title,
                **EVIDENCE,
            },
            follow_redirects=False,
        )
        assert added.status_code == 303, added.text
    page = await client.get(work(problem))
    wait_id = await db.fetchval("SELECT id FROM findings WHERE title = 'Wait for the inspector'")

    # A pain point on a step; a finding without evidence is refused with every missing field.
    refused = await client.post(
        f"{work(problem)}/findings",
        data={"csrf_token": csrf, "kind": "pain_point", "title": "Nobody says when they will come"},
    )
    assert refused.status_code == 422
    summary = summary_of(refused.text)
    for name in ("source", "evidence_date", "who"):
        assert f'href="#finding-{name}"' in summary
    added = await client.post(
        f"{work(problem)}/findings",
        data={
            "csrf_token": csrf,
            "kind": "pain_point",
            "title": "Nobody says when they will come",
            "step": str(wait_id),
            **EVIDENCE,
        },
    )
    assert added.status_code == 200
    assert "at the step “Wait for the inspector”" in added.text
    assert "Evidence: Interviews with permit clerks, from Clerks, 2026-11-30" in added.text

    # Move the last step up: the journey is reordered through the service, with its history.
    page = await client.get(work(problem))
    move = f"{work(problem)}/journey/move"
    decision_id = await db.fetchval("SELECT id FROM findings WHERE title = 'Get the decision'")
    tag = field_value(page.text, move, "journey")
    moved = await client.post(
        move,
        data={"csrf_token": csrf, "step_id": str(decision_id), "direction": "up", "journey": tag},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    order = await db.fetch(
        "SELECT title FROM findings WHERE kind = 'journey_step' ORDER BY position"
    )
    assert [r["title"] for r in order] == [
        "Mail the paper form",
        "Get the decision",
        "Wait for the inspector",
    ]
    # The same form again is stale: the journey changed since it was rendered.
    stale = await client.post(
        move,
        data={"csrf_token": csrf, "step_id": str(decision_id), "direction": "up", "journey": tag},
    )
    assert stale.status_code == 412
    assert "Someone changed the journey" in stale.text
    assert (
        await db.fetchval("SELECT count(*) FROM problem_events WHERE type = 'journey_reordered'")
        == 1
    )


async def test_milestones_slip_with_a_reason_and_complete(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "delivery")
    csrf = await sign_in(client, "team_member")
    page = await client.get(work(problem))
    target = (DAY + timedelta(days=30)).isoformat()
    added = await client.post(
        f"{work(problem)}/milestones",
        data={
            "csrf_token": csrf,
            "idempotency_key": field_value(
                page.text, f"{work(problem)}/milestones", "idempotency_key"
            ),
            "title": "Beta open in Ward 3",
            "target_date": target,
        },
    )
    assert added.status_code == 200
    assert "Upcoming" in added.text
    milestone_id = await db.fetchval("SELECT id FROM milestones")
    slip = f"{work(problem)}/milestones/{milestone_id}/slip"
    version = field_value(added.text, slip, "version")

    bad = await client.post(
        slip, data={"csrf_token": csrf, "version": version, "target_date": "soon"}
    )
    assert bad.status_code == 422
    assert f'href="#slip-{milestone_id}-target_date"' in summary_of(bad.text)

    later = (DAY + timedelta(days=60)).isoformat()
    slipped = await client.post(
        slip,
        data={
            "csrf_token": csrf,
            "version": version,
            "seen_target": target,
            "target_date": later,
            "reason": "The form needs translating first.",
        },
    )
    assert slipped.status_code == 200
    assert "Slipped" in slipped.text and "30 days from the first target" in slipped.text
    assert (
        f"{target}, moved" in slipped.text and "The form needs translating first." in slipped.text
    )

    # The slip form read before the move is stale now, and says what changed.
    stale = await client.post(
        f"{work(problem)}/milestones/{milestone_id}/done",
        data={"csrf_token": csrf, "version": version, "seen_target": target, "done_on": TODAY},
    )
    assert stale.status_code == 412
    assert f"its target date is now {later}" in stale.text
    done_form = f"{work(problem)}/milestones/{milestone_id}/done"
    done = await client.post(
        done_form,
        data={
            "csrf_token": csrf,
            "version": field_value(slipped.text, done_form, "version"),
            "done_on": TODAY,
        },
    )
    assert done.status_code == 200
    assert "Done on" in done.text and "The milestone is done." in done.text
    assert await db.fetchval("SELECT done_on FROM milestones") == DAY


async def test_a_double_posted_status_update_is_posted_once(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "delivery")
    csrf = await sign_in(client, "team_member")
    page = await client.get(work(problem))
    data = {
        "csrf_token": csrf,
        "idempotency_key": field_value(page.text, f"{work(problem)}/updates", "idempotency_key"),
        "status": "at_risk",
        "summary": "Beta slipped a month: the form needs translating.",
    }
    first = await client.post(f"{work(problem)}/updates", data=data, follow_redirects=False)
    second = await client.post(f"{work(problem)}/updates", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM status_updates") == 1
    page = await client.get(first.headers["location"])
    assert "At risk" in page.text and "Beta slipped a month" in page.text


async def test_outcome_metrics_show_their_derived_state(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "live")
    csrf = await sign_in(client, "team_member")
    later = (DAY + timedelta(days=90)).isoformat()
    metric = {
        "csrf_token": csrf,
        "name": "Median days to a decision",
        "unit": "days",
        "direction": "decrease",
        "baseline": "31",
        "target": "40",
        "target_date": later,
    }
    wrong = await client.post(f"{work(problem)}/metrics", data=metric)
    assert wrong.status_code == 422  # the service's rule: below the baseline for a decrease
    assert 'href="#metric-target"' in summary_of(wrong.text)
    assert "Must be below the baseline" in wrong.text
    added = await client.post(f"{work(problem)}/metrics", data={**metric, "target": "5"})
    assert added.status_code == 200
    assert "Not measured yet" in added.text
    metric_id = await db.fetchval("SELECT id FROM metrics")
    measure = f"{work(problem)}/metrics/{metric_id}/measurements"
    for value, state in (("20", "Improving"), ("4", "Achieved")):
        recorded = await client.post(
            measure, data={"csrf_token": csrf, "value": value, "measured_on": TODAY}
        )
        assert recorded.status_code == 200
        block = recorded.text.split(f'id="metric-{metric_id}"')[1]
        assert f'<span class="tag tag-{state.lower()}">{state}</span>' in block
    future = (DAY + timedelta(days=2)).isoformat()
    refused = await client.post(
        measure, data={"csrf_token": csrf, "value": "1e400", "measured_on": future}
    )
    assert refused.status_code == 422
    summary = summary_of(refused.text)
    assert "Enter a number" in summary
    assert await db.fetchval("SELECT count(*) FROM measurements") == 2


async def test_a_requester_is_kept_out_and_cannot_act(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await paired(client, city)
    csrf = await sign_in(client, "requester")
    page = await client.get(work(problem))
    assert page.status_code == 403
    assert "The workspace is for DTI" in page.text
    shown = await client.get(f"/problems/{problem['id']}")
    assert "Team workspace" not in shown.text
    posted = await client.post(
        f"{work(problem)}/updates",
        data={"csrf_token": csrf, "status": "on_track", "summary": "All good."},
    )
    assert posted.status_code == 403
    acted = await client.post(
        f"{work(problem)}/phase/start-discovery",
        data={"csrf_token": csrf, "version": str(problem["version"])},
    )
    assert acted.status_code == 403
    assert await db.fetchval("SELECT status FROM problems") == "accepted"
    assert await db.fetchval("SELECT count(*) FROM status_updates") == 0


async def test_dti_outside_the_team_reads_but_cannot_act(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await paired(client, city)
    # Another team member, not on the problem's team.
    await db.execute(
        "INSERT INTO people (id, email, name, department_id, roles, active) "
        "VALUES (gen_random_uuid(), 'dev.two@city.example', 'Dev Two', $1, '{team_member}', true)",
        city.departments["DTI"],
    )
    page = await client.get("/sign-in")
    await client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(page.text), "email": "dev.two@city.example"},
    )
    home = await client.get("/")
    csrf = csrf_of(home.text)
    read = await client.get(work(problem))
    assert read.status_code == 200
    assert "Only the problem's triager and the members of its team can change it" in read.text
    assert "/phase/start-discovery" not in read.text and "Add a finding" not in read.text
    acted = await client.post(
        f"{work(problem)}/phase/start-discovery",
        data={"csrf_token": csrf, "version": str(problem["version"])},
    )
    assert acted.status_code == 403
    assert await db.fetchval("SELECT status FROM problems") == "accepted"


async def test_hidden_unaccepted_and_unknown_workspaces_are_pages_not_500s(
    client: Client, city: City
) -> None:
    restricted = await submitted(client, city, "health", restricted=True)
    waiting = await submitted(client, city)
    csrf = await sign_in(client, "requester")
    hidden_page = await client.get(work(restricted))
    assert hidden_page.status_code == 404
    assert restricted["title"] not in hidden_page.text
    await sign_in(client, "team_member")
    early = await client.get(work(waiting))
    assert early.status_code == 409
    assert "no workspace" in early.text
    assert (await client.get("/problems/not-a-uuid/work")).status_code == 404
    problem = await paired(client, city, team_name="Second Team")
    csrf = csrf_of((await client.get(work(problem))).text)
    unknown = await client.post(f"{work(problem)}/phase/teleport", data={"csrf_token": csrf})
    assert unknown.status_code == 404
    garbage = await client.post(
        f"{work(problem)}/journey/move",
        data={"csrf_token": csrf, "step_id": "x" * 5000, "direction": "sideways"},
    )
    assert garbage.status_code == 422
    assert garbage.headers["content-type"].startswith("text/html")


async def test_a_metric_owner_outside_dti_records_measurements(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "live")
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/metrics",
        json={
            "name": "Permits decided within a week",
            "unit": "%",
            "direction": "increase",
            "baseline": 10,
            "target": 80,
            "target_date": (DAY + timedelta(days=90)).isoformat(),
            "owner_email": "rosa.diaz@city.example",
        },
        headers=city.auth("team_member"),
    )
    assert response.status_code == 201, response.text
    csrf = await sign_in(client, "requester")
    page = await client.get(work(problem))
    assert page.status_code == 200
    assert "Record a measurement" in page.text and "Add a finding" not in page.text
    recorded = await client.post(
        f"{work(problem)}/metrics/{response.json()['id']}/measurements",
        data={"csrf_token": csrf, "value": "35", "measured_on": TODAY, "note": "November"},
    )
    assert recorded.status_code == 200
    assert "Improving" in recorded.text
    assert await db.fetchval("SELECT count(*) FROM measurements") == 1


async def test_bad_input_in_every_form_is_a_clear_page_never_a_500(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "delivery")
    csrf = await sign_in(client, "team_member")
    await client.post(
        f"{work(problem)}/milestones",
        data={"csrf_token": csrf, "title": "Beta", "target_date": "2027-01-31"},
    )
    await client.post(
        f"{work(problem)}/metrics",
        data={
            "csrf_token": csrf,
            "name": "Calls",
            "unit": "calls",
            "direction": "decrease",
            "baseline": "100",
            "target": "10",
            "target_date": "2027-06-30",
        },
    )
    milestone_id = await db.fetchval("SELECT id FROM milestones")
    metric_id = await db.fetchval("SELECT id FROM metrics")
    nasty = {
        "title": "\u202eReversed title",
        "name": "\x00",
        "detail": "x" * 30_000,
        "summary": " ",
        "kind": "journey_step",
        "status": "great",
        "phase": "gamma",
        "target_date": "2027-02-30",
        "done_on": "3000-01-01",
        "evidence_date": "yesterday",
        "source": "s" * 600,
        "who": "\u200b",
        "step": "not-a-step",
        "unit": "u" * 50,
        "direction": "sideways",
        "baseline": "nan",
        "target": "1e999",
        "owner_email": "nobody@nowhere.example",
        "value": "ten",
        "measured_on": "0000-00-00",
        "version": "abc",
    }
    posts = [
        "phase/start-delivery",
        "findings",
        "journey/steps",
        "milestones",
        f"milestones/{milestone_id}/slip",
        f"milestones/{milestone_id}/done",
        "updates",
        "metrics",
        f"metrics/{metric_id}/measurements",
    ]
    for path in posts:
        response = await client.post(f"{work(problem)}/{path}", data={"csrf_token": csrf, **nasty})
        assert response.status_code in (412, 422), (path, response.status_code)
        assert response.headers["content-type"].startswith("text/html")
        assert 'class="error-summary"' in response.text or "Nothing was changed" in response.text
    assert await db.fetchval("SELECT count(*) FROM findings") == 0
    assert await db.fetchval("SELECT count(*) FROM status_updates") == 0
    # Values only the API's schema refuses come back on their field too.
    mirrored = await client.post(
        f"{work(problem)}/milestones",
        data={"csrf_token": csrf, "title": "\u202eateb", "target_date": "2027-01-31"},
    )
    assert mirrored.status_code == 422
    assert 'href="#milestone-title"' in summary_of(mirrored.text)
    assert "change the direction of the text" in mirrored.text
    far = await client.post(
        f"{work(problem)}/milestones",
        data={"csrf_token": csrf, "title": "Beta in Ward 7", "target_date": "3000-01-01"},
    )
    assert far.status_code == 422
    assert 'href="#milestone-target_date"' in summary_of(far.text)
    assert "between 1900 and 2999" in far.text
    assert await db.fetchval("SELECT count(*) FROM milestones") == 1


async def test_a_pain_point_is_put_on_a_step_later(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "discovery")
    csrf = await sign_in(client, "team_member")
    await client.post(
        f"{work(problem)}/findings",
        data={"csrf_token": csrf, "kind": "pain_point", "title": "Forms get lost", **EVIDENCE},
    )
    for title in ("Mail the paper form", "Wait for the inspector"):
        await client.post(
            f"{work(problem)}/journey/steps", data={"csrf_token": csrf, "title": title, **EVIDENCE}
        )
    page = await client.get(work(problem))
    assert "Pain points not yet on a step" in page.text
    pain_id = await db.fetchval("SELECT id FROM findings WHERE kind = 'pain_point'")
    mail_id = await db.fetchval("SELECT id FROM findings WHERE title = 'Mail the paper form'")
    place = f"{work(problem)}/findings/{pain_id}/step"
    version = field_value(page.text, place, "version")
    placed = await client.post(
        place, data={"csrf_token": csrf, "version": version, "step": str(mail_id)}
    )
    assert placed.status_code == 200
    assert "Pain points not yet on a step" not in placed.text
    step = placed.text.split('class="journey-step"')[1]
    assert "Mail the paper form" in step and "Forms get lost" in step

    stale = await client.post(place, data={"csrf_token": csrf, "version": version, "step": ""})
    assert stale.status_code == 412
    assert "it is now at the step “Mail the paper form”" in stale.text
    assert (
        await db.fetchval("SELECT journey_step_id FROM findings WHERE id = $1", pain_id) == mail_id
    )
