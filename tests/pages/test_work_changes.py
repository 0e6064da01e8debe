"""Changing what the workspace recorded, over HTTP: edit and remove findings and journey
steps, milestones (and reopen one) and outcome metrics; stale forms, the people kept out, bad
input as a page, and the requester who owns a metric finding the workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from tests.builders import City
from tests.helpers import events, in_phase, submitted
from tests.pages.helpers import Client, sign_in

DAY = datetime.now(UTC).date()
EVIDENCE = [{"source": "Interviews with permit clerks", "date": "2026-11-30", "who": "Clerks"}]


def work(problem: dict[str, Any]) -> str:
    return f"/problems/{problem['id']}/work"


def summary_of(html: str) -> str:
    return html.split('class="error-summary"')[1].split("</div>")[0]


async def _api(client: Client, city: City, problem: dict[str, Any], what: str, body: Any) -> Any:
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/{what}", json=body, headers=city.auth("team_member")
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _finding(client: Client, city: City, problem: dict[str, Any], **extra: Any) -> Any:
    body = {"kind": "insight", "title": "Clerks retype every form", "evidence": EVIDENCE}
    return await _api(client, city, problem, "findings", {**body, **extra})


async def _milestone(client: Client, city: City, problem: dict[str, Any]) -> Any:
    target = (DAY + timedelta(days=30)).isoformat()
    return await _api(
        client, city, problem, "milestones", {"title": "Beta in Ward 3", "target_date": target}
    )


def _metric_body(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Median days to decision",
        "unit": "days",
        "direction": "decrease",
        "baseline": 31,
        "target": 5,
        "target_date": (DAY + timedelta(days=90)).isoformat(),
        **extra,
    }


async def test_the_team_edits_and_removes_a_finding_and_a_journey_step(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "discovery")
    finding = await _finding(client, city, problem)
    step = await _finding(client, city, problem, kind="journey_step", title="Mail the form")
    csrf = await sign_in(client, "team_member")
    page = await client.get(work(problem))
    assert f"/work/findings/{finding['id']}/edit" in page.text
    assert f"/work/findings/{step['id']}/remove" in page.text
    edited = await client.post(
        f"{work(problem)}/findings/{finding['id']}/edit",
        data={
            "csrf_token": csrf,
            "version": "1",
            "title": "Clerks retype most forms",
            "detail": "",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    after = await client.get(edited.headers["location"])
    assert "The finding has been changed." in after.text
    assert "Clerks retype most forms" in after.text

    # The same form again on the version it was read at: stale, naming what differs.
    stale = await client.post(
        f"{work(problem)}/findings/{finding['id']}/edit",
        data={"csrf_token": csrf, "version": "1", "title": "Clerks retype all", "detail": ""},
    )
    assert stale.status_code == 412
    assert "differs from what you typed in: Finding" in stale.text
    assert 'value="Clerks retype all"' in stale.text

    bad = await client.post(
        f"{work(problem)}/findings/{finding['id']}/edit",
        data={"csrf_token": csrf, "version": "2", "title": " ", "detail": "x" * 20001},
    )
    assert bad.status_code == 422
    summary = summary_of(bad.text)
    assert f'href="#edit-finding-{finding["id"]}-title"' in summary
    assert f'href="#edit-finding-{finding["id"]}-detail"' in summary

    removed = await client.post(
        f"{work(problem)}/findings/{step['id']}/remove",
        data={"csrf_token": csrf, "version": "1"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert "Mail the form" not in (await client.get(removed.headers["location"])).text
    types = [e["type"] for e in await events(client, city, problem["id"])]
    assert "finding_updated" in types and "finding_removed" in types
    stale_remove = await client.post(
        f"{work(problem)}/findings/{finding['id']}/remove",
        data={"csrf_token": csrf, "version": "1"},
    )
    assert stale_remove.status_code == 412
    assert "Someone changed “Clerks retype most forms”" in stale_remove.text


async def test_the_team_edits_reopens_and_removes_a_milestone(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "delivery")
    milestone = await _milestone(client, city, problem)
    done = await client.patch(
        f"/api/v1/problems/{problem['id']}/milestones/{milestone['id']}",
        json={"done_on": DAY.isoformat()},
        headers={**city.auth("team_member"), "If-Match": '"1"'},
    )
    assert done.status_code == 200, done.text
    csrf = await sign_in(client, "team_member")
    page = await client.get(work(problem))
    assert "Reopen: it is not done" in page.text
    target = f"{work(problem)}/milestones/{milestone['id']}"
    seen = {"seen_target": milestone["target_date"], "seen_done": DAY.isoformat()}
    reopened = await client.post(
        f"{target}/reopen",
        data={"csrf_token": csrf, "version": "2", **seen},
        follow_redirects=False,
    )
    assert reopened.status_code == 303
    after = await client.get(reopened.headers["location"])
    assert (
        "The milestone is open again." in after.text and "Reopen: it is not done" not in after.text
    )

    stale = await client.post(f"{target}/reopen", data={"csrf_token": csrf, "version": "2", **seen})
    assert stale.status_code == 412
    assert "it was reopened" in stale.text

    edited = await client.post(
        f"{target}/edit",
        data={"csrf_token": csrf, "version": "3", "title": "Beta in Wards 3 and 7"},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    assert "Beta in Wards 3 and 7" in (await client.get(edited.headers["location"])).text
    for title, words in (("\x00", "unusual characters"), ("  ", "Enter milestone")):
        bad = await client.post(
            f"{target}/edit", data={"csrf_token": csrf, "version": "4", "title": title}
        )
        assert bad.status_code == 422
        summary = summary_of(bad.text)
        assert f'href="#edit-milestone-{milestone["id"]}-title"' in summary and words in summary

    removed = await client.post(
        f"{target}/remove", data={"csrf_token": csrf, "version": "4"}, follow_redirects=False
    )
    assert removed.status_code == 303
    listed = await client.get(
        f"/api/v1/problems/{problem['id']}/milestones", headers=city.auth("team_member")
    )
    assert listed.json()["items"] == []
    assert [e["type"] for e in await events(client, city, problem["id"])][-1] == (
        "milestone_removed"
    )


async def test_the_team_edits_a_metric_and_removes_one_never_measured(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "live")
    metric = await _api(
        client, city, problem, "metrics", _metric_body(owner_email="rosa.diaz@city.example")
    )
    measured = await _api(client, city, problem, "metrics", _metric_body(name="Calls per week"))
    await _api(
        client,
        city,
        problem,
        f"metrics/{measured['id']}/measurements",
        {"value": 20, "measured_on": DAY.isoformat()},
    )
    csrf = await sign_in(client, "team_member")
    page = await client.get(work(problem))
    assert 'value="rosa.diaz@city.example"' in page.text  # the owner, ready to change
    assert f"/metrics/{metric['id']}/remove" in page.text
    assert f"/metrics/{measured['id']}/remove" not in page.text  # measured: it stays

    target = f"{work(problem)}/metrics/{metric['id']}"
    form = {k: str(v) for k, v in _metric_body().items()}
    edited = await client.post(
        f"{target}/edit",
        data={"csrf_token": csrf, "version": "1", **form, "target": "3", "owner_email": ""},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    api = await client.get(
        f"/api/v1/problems/{problem['id']}/metrics/{metric['id']}", headers=city.auth("leader")
    )
    assert api.json()["target"] == 3 and api.json()["owner"] is None

    stale = await client.post(
        f"{target}/edit", data={"csrf_token": csrf, "version": "1", **form, "target": "4"}
    )
    assert stale.status_code == 412
    assert "differs from what you typed in: Target" in stale.text

    wrong_side = await client.post(
        f"{target}/edit", data={"csrf_token": csrf, "version": "2", **form, "target": "40"}
    )
    assert wrong_side.status_code == 422
    assert f'href="#edit-metric-{metric["id"]}-target"' in summary_of(wrong_side.text)
    nonsense = await client.post(
        f"{target}/edit",
        data={"csrf_token": csrf, "version": "2", **form, "baseline": "lots", "target_date": "x"},
    )
    assert nonsense.status_code == 422
    summary = summary_of(nonsense.text)
    assert "-baseline" in summary and "-target_date" in summary

    refused = await client.post(
        f"{work(problem)}/metrics/{measured['id']}/remove",
        data={"csrf_token": csrf, "version": "1"},
    )
    assert refused.status_code == 409
    assert "cannot be removed" in refused.text
    removed = await client.post(
        f"{target}/remove", data={"csrf_token": csrf, "version": "2"}, follow_redirects=False
    )
    assert removed.status_code == 303
    listed = await client.get(
        f"/api/v1/problems/{problem['id']}/metrics", headers=city.auth("leader")
    )
    assert [m["name"] for m in listed.json()["items"]] == ["Calls per week"]


async def test_only_the_team_changes_the_workspace_and_a_hidden_problem_is_a_404(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "live")
    finding = await _finding(client, city, problem)
    milestone = await _milestone(client, city, problem)
    metric = await _api(
        client, city, problem, "metrics", _metric_body(owner_email="rosa.diaz@city.example")
    )
    posts = [
        (f"/findings/{finding['id']}/edit", {"title": "Changed"}),
        (f"/findings/{finding['id']}/remove", {}),
        (f"/milestones/{milestone['id']}/edit", {"title": "Changed"}),
        (f"/milestones/{milestone['id']}/reopen", {}),
        (f"/milestones/{milestone['id']}/remove", {}),
        (f"/metrics/{metric['id']}/edit", {k: str(v) for k, v in _metric_body().items()}),
        (f"/metrics/{metric['id']}/remove", {}),
    ]
    for who in ("leader", "requester"):  # they read the workspace; the team changes it
        client.cookies.clear()
        csrf = await sign_in(client, who)
        page = await client.get(work(problem))
        assert page.status_code == 200 and "Change or remove" not in page.text
        for path, body in posts:
            response = await client.post(
                work(problem) + path, data={"csrf_token": csrf, "version": "1", **body}
            )
            assert response.status_code == 403, (who, path, response.text)
    # The metric's owner (a requester) finds the workspace from the problem's page; a
    # colleague in the same department who owns no metric does not.
    for who, linked in (("requester", True), ("requester2", False)):
        client.cookies.clear()
        await sign_in(client, who)
        page = await client.get(f"/problems/{problem['id']}")
        assert (f'href="{work(problem)}"' in page.text) is linked, who

    hidden = await submitted(client, city, "health", restricted=True)
    client.cookies.clear()
    csrf = await sign_in(client, "parks")
    for path, body in posts:
        response = await client.post(
            work(hidden) + path, data={"csrf_token": csrf, "version": "1", **body}
        )
        assert response.status_code == 404, (path, response.text)
    types = [e["type"] for e in await events(client, city, problem["id"])]
    assert not {"finding_updated", "finding_removed", "milestone_removed"} & set(types)
