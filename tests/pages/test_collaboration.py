"""Working together from a problem's page, over HTTP: withdraw, collaborators, followers and
comment edits; who may, stale forms, and bad input as a page, never a 500."""

from __future__ import annotations

import re
from typing import Any

import asyncpg

from tests.builders import EMAILS, City
from tests.helpers import act, events, submitted
from tests.pages.helpers import Client, hidden, sign_in


def page_of(problem: dict[str, Any]) -> str:
    return f"/problems/{problem['id']}"


def summary_of(html: str) -> str:
    return html.split('class="error-summary"')[1].split("</div>")[0]


async def test_a_requester_withdraws_their_departments_problem_with_a_reason(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city)
    csrf = await sign_in(client, "requester2")  # same department, not the submitter
    page = await client.get(page_of(problem))
    assert "Withdraw this problem" in page.text
    response = await client.post(
        page_of(problem) + "/withdraw",
        data={
            "csrf_token": csrf,
            "version": hidden(page.text, "version"),
            "seen_status": "submitted",
            "reason": "The state portal solved it.",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    after = await client.get(response.headers["location"])
    assert "You have withdrawn this problem" in after.text
    assert "Withdrawn" in after.text and "Withdraw this problem" not in after.text
    history = await events(client, city, problem["id"])
    assert history[-1]["type"] == "withdrawn"
    assert history[-1]["reason"] == "The state portal solved it."


async def test_withdrawing_is_offered_and_allowed_only_to_the_owning_department(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city)
    for who in ("parks", "triager"):
        client.cookies.clear()
        csrf = await sign_in(client, who)
        page = await client.get(page_of(problem))
        assert page.status_code == 200
        assert "Withdraw this problem" not in page.text
        refused = await client.post(
            page_of(problem) + "/withdraw",
            data={"csrf_token": csrf, "version": problem["etag"].strip('"')},
        )
        assert refused.status_code == 403, (who, refused.text)
        assert refused.headers["content-type"].startswith("text/html")
    assert (await events(client, city, problem["id"]))[-1]["type"] != "withdrawn"


async def test_a_stale_withdrawal_says_what_changed_and_withdraws_nothing(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city)
    csrf = await sign_in(client, "requester")
    page = await client.get(page_of(problem))
    version = hidden(page.text, "version")
    assert (await act(client, city, problem, "triage")).status_code == 200
    stale = await client.post(
        page_of(problem) + "/withdraw",
        data={"csrf_token": csrf, "version": version, "seen_status": "submitted"},
    )
    assert stale.status_code == 412
    assert "it is now “In triage”, not “Submitted”" in stale.text
    assert "Withdraw this problem" in stale.text  # still allowed, on the fresh version
    assert (await events(client, city, problem["id"]))[-1]["type"] != "withdrawn"


async def test_bad_withdrawal_input_is_a_form_with_its_mistake_never_a_500(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city)
    csrf = await sign_in(client, "requester")
    page = await client.get(page_of(problem))
    version = hidden(page.text, "version")
    for reason in ("x" * 2001, "nul \x00 here"):
        response = await client.post(
            page_of(problem) + "/withdraw",
            data={"csrf_token": csrf, "version": version, "reason": reason},
        )
        assert response.status_code == 422
        assert 'href="#withdraw-reason"' in summary_of(response.text)
    garbage = await client.post(
        page_of(problem) + "/withdraw", data={"csrf_token": csrf, "version": "not-a-version"}
    )
    assert garbage.status_code == 412
    assert (await events(client, city, problem["id"]))[-1]["type"] != "withdrawn"


async def test_a_requester_adds_and_removes_collaborating_departments_and_colleagues(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city, restricted=True)
    csrf = await sign_in(client, "requester")
    page = await client.get(page_of(problem))
    key = hidden(page.text, "idempotency_key")
    added = {"csrf_token": csrf, "kind": "department", "department": "PRK", "idempotency_key": key}
    response = await client.post(
        page_of(problem) + "/collaborators", data=added, follow_redirects=False
    )
    assert response.status_code == 303
    again = await client.post(
        page_of(problem) + "/collaborators", data=added, follow_redirects=False
    )
    assert again.status_code == 303  # a double click adds one
    person = {"csrf_token": csrf, "kind": "person", "email": EMAILS["health"]}
    assert (
        await client.post(page_of(problem) + "/collaborators", data=person, follow_redirects=False)
    ).status_code == 303
    page = await client.get(page_of(problem))
    assert "The collaborator has been added" not in page.text  # shown after a redirect only
    assert "Parks and Recreation (PRK)" in page.text and "Inès Moreau" in page.text
    listed = await client.get(
        f"/api/v1/problems/{problem['id']}/collaborators", headers=city.auth("requester")
    )
    assert len(listed.json()) == 2
    # A restricted problem is now visible to the collaborating department's staff.
    seen = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("parks"))
    assert seen.status_code == 200

    parks = next(c for c in listed.json() if c["kind"] == "department")
    removed = await client.post(
        page_of(problem) + f"/collaborators/{parks['id']}/remove",
        data={"csrf_token": csrf, "name": "Parks and Recreation"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert (
        "The collaborator has been removed." in (await client.get(removed.headers["location"])).text
    )
    hidden_now = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("parks"))
    assert hidden_now.status_code == 404
    types = [e["type"] for e in await events(client, city, problem["id"])]
    assert types.count("collaborator_added") == 2 and types.count("collaborator_removed") == 1

    # Removed meanwhile (another window): the page says so instead of failing.
    twice = await client.post(
        page_of(problem) + f"/collaborators/{parks['id']}/remove",
        data={"csrf_token": csrf, "name": "Parks and Recreation"},
    )
    assert twice.status_code == 409
    assert "Parks and Recreation no longer collaborates" in twice.text


async def test_collaborator_mistakes_come_back_on_the_field(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    csrf = await sign_in(client, "requester")
    target = page_of(problem) + "/collaborators"
    cases = [
        ({"kind": "department", "department": ""}, "collaborator-department", 422, "Choose"),
        ({"kind": "department", "department": "DOT"}, "collaborator-department", 422, "owns"),
        ({"kind": "department", "department": "../x"}, "collaborator-department", 422, "list"),
        ({"kind": "department", "department": "ZZZ"}, "collaborator-department", 422, "ZZZ"),
        ({"kind": "person", "email": ""}, "collaborator-email", 422, "Enter"),
        ({"kind": "person", "email": "nobody"}, "collaborator-email", 422, "e-mail"),
        ({"kind": "person", "email": "x@nowhere.example"}, "collaborator-email", 422, "No active"),
        ({"kind": "person", "email": EMAILS["requester2"]}, "collaborator-email", 422, "owning"),
    ]
    for body, field, status, words in cases:
        response = await client.post(target, data={"csrf_token": csrf, **body})
        assert response.status_code == status, (body, response.text)
        summary = summary_of(response.text)
        assert f'href="#{field}"' in summary and words in summary, (body, summary)
    first = {"csrf_token": csrf, "kind": "department", "department": "PRK"}
    assert (await client.post(target, data=first, follow_redirects=False)).status_code == 303
    duplicate = await client.post(target, data=first)
    assert duplicate.status_code == 409
    assert "PRK already collaborates" in summary_of(duplicate.text)


async def test_only_stewards_see_and_use_the_collaborator_and_follower_forms(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city)
    listed = await client.post(
        f"/api/v1/problems/{problem['id']}/collaborators",
        json={"department": "PRK"},
        headers=city.auth("requester"),
    )
    collaborator = listed.json()["id"]
    csrf = await sign_in(client, "health")  # another department's requester
    page = await client.get(page_of(problem))
    assert page.status_code == 200
    assert "Add a collaborator" not in page.text and "/remove" not in page.text
    assert "Ask a colleague to follow it" not in page.text
    attempts = [
        ("/collaborators", {"kind": "department", "department": "DPH"}),
        (f"/collaborators/{collaborator}/remove", {}),
        ("/watchers", {"email": EMAILS["parks"]}),
        (f"/watchers/{city.people['requester']}/remove", {}),
    ]
    for path, body in attempts:
        refused = await client.post(page_of(problem) + path, data={"csrf_token": csrf, **body})
        assert refused.status_code == 403, (path, refused.text)
    types = [e["type"] for e in await events(client, city, problem["id"])]
    assert "collaborator_removed" not in types and types.count("collaborator_added") == 1


async def test_a_hidden_problem_is_a_404_page_for_every_collaboration_form(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city, restricted=True)
    csrf = await sign_in(client, "parks")
    for path in (
        "/withdraw",
        "/collaborators",
        f"/collaborators/{city.people['parks']}/remove",
        "/watchers",
        f"/watchers/{city.people['requester']}/remove",
        f"/comments/{city.people['parks']}/edit",
    ):
        response = await client.post(
            page_of(problem) + path,
            data={"csrf_token": csrf, "kind": "department", "department": "PRK", "body": "hi"},
        )
        assert response.status_code == 404, (path, response.text)
        assert "does not exist, or you do not have access" in response.text


async def test_a_steward_adds_and_removes_another_persons_following(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city)
    csrf = await sign_in(client, "requester")
    target = page_of(problem) + "/watchers"
    added = await client.post(
        target, data={"csrf_token": csrf, "email": EMAILS["parks"]}, follow_redirects=False
    )
    assert added.status_code == 303
    page = await client.get(added.headers["location"])
    assert "Your colleague now follows this problem." in page.text
    assert "Tom Reyes" in page.text
    for email, words in (("", "Enter"), ("nobody", "like name@"), ("x@none.example", "No active")):
        bad = await client.post(target, data={"csrf_token": csrf, "email": email})
        assert bad.status_code == 422
        assert 'href="#watcher-email"' in summary_of(bad.text) and words in bad.text
    removed = await client.post(
        page_of(problem) + f"/watchers/{city.people['parks']}/remove",
        data={"csrf_token": csrf, "name": "Tom Reyes"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    followers = await client.get(
        f"/api/v1/problems/{problem['id']}/watchers", headers=city.auth("requester")
    )
    assert city.people["parks"] not in {p["id"] for p in followers.json()}
    again = await client.post(
        page_of(problem) + f"/watchers/{city.people['parks']}/remove",
        data={"csrf_token": csrf, "name": "Tom Reyes"},
    )
    assert again.status_code == 409 and "Tom Reyes no longer follows" in again.text


async def _comment(client: Client, city: City, problem: dict[str, Any], who: str) -> str:
    response = await client.post(
        f"/api/v1/problems/{problem['id']}/comments",
        json={"body": "First thoughts"},
        headers=city.auth(who),
    )
    assert response.status_code == 201
    return str(response.json()["id"])


def _version_of(html: str, comment_id: str) -> str:
    start = html.index(f"/comments/{comment_id}/edit")
    found = re.search(r'name="version" value="(\d+)"', html[start:])
    assert found
    return found.group(1)


async def test_the_author_edits_their_comment_and_the_earlier_text_is_kept(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city)
    mine = await _comment(client, city, problem, "requester")
    theirs = await _comment(client, city, problem, "triager")
    csrf = await sign_in(client, "requester")
    page = await client.get(page_of(problem))
    assert f"/comments/{mine}/edit" in page.text and f"/comments/{theirs}/edit" not in page.text
    version = _version_of(page.text, mine)
    target = page_of(problem) + f"/comments/{mine}/edit"
    edited = await client.post(
        target,
        data={"csrf_token": csrf, "version": version, "body": "Second thoughts"},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    after = await client.get(edited.headers["location"])
    assert "Your comment has been changed" in after.text and "Second thoughts" in after.text
    detail = await client.get(
        f"/api/v1/problems/{problem['id']}/comments/{mine}", headers=city.auth("requester")
    )
    assert [e["body"] for e in detail.json()["edits"]] == ["First thoughts"]

    # The same form again, on the version it was read at: stale, and it says what it reads now.
    stale = await client.post(
        target, data={"csrf_token": csrf, "version": version, "body": "Third thoughts"}
    )
    assert stale.status_code == 412
    assert "It now reads: “Second thoughts”" in stale.text and "Third thoughts" in stale.text

    for body, words in (("   ", "Required"), ("", "10,000"), ("x" * 10001, "10,000")):
        bad = await client.post(
            target, data={"csrf_token": csrf, "version": str(int(version) + 1), "body": body}
        )
        assert bad.status_code == 422, bad.text
        assert f'href="#comment-{mine}-body"' in summary_of(bad.text) and words in bad.text
    mention = await client.post(
        target,
        data={"csrf_token": csrf, "version": str(int(version) + 1), "body": "@x@none.example"},
    )
    assert mention.status_code == 422 and f'href="#comment-{mine}-body"' in mention.text

    refused = await client.post(
        page_of(problem) + f"/comments/{theirs}/edit",
        data={"csrf_token": csrf, "version": "1", "body": "Not mine"},
    )
    assert refused.status_code == 403
