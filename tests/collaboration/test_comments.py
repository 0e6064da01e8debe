"""Comments: who writes and reads which, edits kept, @mentions, and DTI-internal secrecy."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from tests.builders import EMAILS, City
from tests.helpers import Client, assert_problem_json, draft, events, paired, submitted


async def comment(
    client: Client,
    city: City,
    problem_id: str,
    body: str,
    who: str = "requester",
    visibility: str | None = None,
    **headers: str,
) -> Any:
    payload: dict[str, Any] = {"body": body}
    if visibility is not None:
        payload["visibility"] = visibility
    return await client.post(
        f"/api/v1/problems/{problem_id}/comments",
        json=payload,
        headers={**city.auth(who), **headers},
    )


async def listed(client: Client, city: City, problem_id: str, who: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/problems/{problem_id}/comments?limit=100", headers=city.auth(who)
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def edit(
    client: Client, city: City, problem_id: str, comment_id: str, body: str, who: str, tag: str
) -> Any:
    return await client.patch(
        f"/api/v1/problems/{problem_id}/comments/{comment_id}",
        json={"body": body},
        headers={**city.auth(who), "If-Match": tag},
    )


async def inbox(client: Client, city: City, who: str) -> dict[str, Any]:
    response = await client.get("/api/v1/me/notifications?limit=100", headers=city.auth(who))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def mention_rows(db: asyncpg.Connection, person_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(
        await db.fetch(
            "SELECT n.kind, e.type, e.changes FROM notifications n "
            "JOIN problem_events e ON e.id = n.event_id WHERE n.person_id = $1 ORDER BY n.id",
            person_id,
        )
    )


# -- writing and reading --------------------------------------------------------------------


async def test_anyone_who_sees_the_problem_comments_and_it_is_in_history(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city)
    response = await comment(
        client, city, problem["id"], "  Same queue problem at DPH.  ", "health"
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == (
        f"/api/v1/problems/{problem['id']}/comments/{created['id']}"
    )
    assert created["body"] == "Same queue problem at DPH."
    assert created["author"] == {"id": str(city.people["health"]), "name": "Inès Moreau"}
    assert created["visibility"] == "all"
    assert (created["mentions"], created["edits"]) == ([], [])
    assert (created["edited"], created["edited_at"], created["version"]) == (False, None, 1)

    for who in ("requester", "parks", "leader", "triager"):
        assert [c["id"] for c in await listed(client, city, problem["id"], who)] == [created["id"]]
    one = await client.get(
        f"/api/v1/problems/{problem['id']}/comments/{created['id']}", headers=city.auth("parks")
    )
    assert one.status_code == 200
    assert one.json()["body"] == "Same queue problem at DPH."

    history = await events(client, city, problem["id"], who="requester")
    assert history[-1]["type"] == "comment_added"
    assert history[-1]["actor"]["id"] == str(city.people["health"])
    assert history[-1]["changes"] == {
        "comment_id": created["id"],
        "visibility": "all",
        "body": "Same queue problem at DPH.",
    }


async def test_comments_are_listed_oldest_first_a_page_at_a_time(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city)
    ids = []
    for n in range(3):
        response = await comment(client, city, problem["id"], f"Note {n}", "triager")
        assert response.status_code == 201
        ids.append(response.json()["id"])
    url = f"/api/v1/problems/{problem['id']}/comments"
    first = (await client.get(f"{url}?limit=2", headers=city.auth("requester"))).json()
    assert [c["id"] for c in first["items"]] == ids[:2]
    assert first["next_cursor"]
    second = (
        await client.get(
            f"{url}?limit=2&cursor={first['next_cursor']}", headers=city.auth("requester")
        )
    ).json()
    assert [c["id"] for c in second["items"]] == ids[2:]
    assert second["next_cursor"] is None
    assert_problem_json(
        await client.get(f"{url}?cursor=not-ours", headers=city.auth("requester")), 422
    )


async def test_invalid_comments_are_refused(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    blank = assert_problem_json(await comment(client, city, problem["id"], "   "), 422)
    assert blank["errors"][0]["field"] == "body"
    assert_problem_json(await comment(client, city, problem["id"], ""), 422)
    assert_problem_json(await comment(client, city, problem["id"], "x" * 10001), 422)
    assert_problem_json(await comment(client, city, problem["id"], "a\x00b"), 422)
    assert_problem_json(await comment(client, city, problem["id"], "hi", visibility="secret"), 422)
    smuggled = await client.post(
        f"/api/v1/problems/{problem['id']}/comments",
        json={"body": "hi", "author_id": str(city.people["admin"])},
        headers=city.auth("requester"),
    )
    assert assert_problem_json(smuggled, 422)["errors"][0]["field"] == "author_id"
    assert await listed(client, city, problem["id"], "triager") == []


async def test_hidden_problems_and_foreign_comments_are_404(client: Client, city: City) -> None:
    secret = await submitted(client, city, restricted=True)
    assert_problem_json(await comment(client, city, secret["id"], "hello", "health"), 404)
    url = f"/api/v1/problems/{secret['id']}/comments"
    assert_problem_json(await client.get(url, headers=city.auth("health")), 404)

    mine = await comment(client, city, secret["id"], "Internal to DOT, DTI and leadership.")
    assert mine.status_code == 201
    other = await submitted(client, city, title="Another problem entirely")
    cross = f"/api/v1/problems/{other['id']}/comments/{mine.json()['id']}"
    assert_problem_json(await client.get(cross, headers=city.auth("requester")), 404)
    assert_problem_json(
        await edit(client, city, other["id"], mine.json()["id"], "moved", "requester", '"1"'), 404
    )
    unknown = f"/api/v1/problems/{other['id']}/comments/{uuid.uuid4()}"
    assert_problem_json(await client.get(unknown, headers=city.auth("requester")), 404)


async def test_drafts_are_discussed_inside_the_owning_department(
    client: Client, city: City
) -> None:
    problem = await draft(client, city)
    response = await comment(
        client, city, problem["id"], "Shall we add the ward data?", "requester2"
    )
    assert response.status_code == 201, response.text
    assert_problem_json(await comment(client, city, problem["id"], "Hello", "triager"), 404)
    # ...and a colleague elsewhere cannot be mentioned into it: they could not read it.
    body = assert_problem_json(
        await comment(client, city, problem["id"], f"@{EMAILS['triager']} look"), 422
    )
    assert "cannot see this problem" in body["errors"][0]["message"]


async def test_a_retried_comment_is_created_once(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    key = {"Idempotency-Key": "comment-7f3a"}
    first = await comment(client, city, problem["id"], "Only once, please.", **key)
    retry = await comment(client, city, problem["id"], "Only once, please.", **key)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["location"] == first.headers["location"]
    assert len(await listed(client, city, problem["id"], "requester")) == 1
    different = await comment(client, city, problem["id"], "Something else", **key)
    assert_problem_json(different, 422)


# -- edits ----------------------------------------------------------------------------------


async def test_the_author_edits_and_earlier_texts_stay_visible(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    created = (await comment(client, city, problem["id"], "Visit on Tuesday.")).json()
    cid, pid = created["id"], problem["id"]
    url = f"/api/v1/problems/{pid}/comments/{cid}"

    missing = await client.patch(url, json={"body": "x"}, headers=city.auth("requester"))
    assert_problem_json(missing, 428)
    assert_problem_json(await edit(client, city, pid, cid, "x", "requester", '"7"'), 412)
    for other in ("requester2", "triager", "admin"):
        assert_problem_json(await edit(client, city, pid, cid, "x", other, '"1"'), 403)
    assert_problem_json(await edit(client, city, pid, cid, "  ", "requester", '"1"'), 422)
    sneaky = await client.patch(
        url,
        json={"body": "x", "visibility": "dti_internal"},
        headers={**city.auth("requester"), "If-Match": '"1"'},
    )
    assert_problem_json(sneaky, 422)

    first = await edit(client, city, pid, cid, "Visit on Wednesday.", "requester", '"1"')
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"2"'
    assert (first.json()["edited"], first.json()["version"]) == (True, 2)
    assert first.json()["edited_at"] is not None
    # Sending the same text again changes nothing.
    same = await edit(client, city, pid, cid, "Visit on Wednesday.", "requester", '"2"')
    assert (same.status_code, same.headers["etag"]) == (200, '"2"')
    second = await edit(client, city, pid, cid, "Visit on Thursday.", "requester", '"2"')
    assert second.status_code == 200

    shown = await client.get(url, headers=city.auth("health"))
    assert shown.headers["etag"] == '"3"'
    detail = shown.json()
    assert detail["body"] == "Visit on Thursday."
    assert [e["body"] for e in detail["edits"]] == ["Visit on Tuesday.", "Visit on Wednesday."]
    assert all(e["replaced_by"]["id"] == str(city.people["requester"]) for e in detail["edits"])
    assert detail["edits"][0]["replaced_at"] <= detail["edits"][1]["replaced_at"]
    assert detail["edited_at"] == detail["edits"][1]["replaced_at"]
    [row] = await listed(client, city, pid, "health")
    assert (row["edited"], row["body"]) == (True, "Visit on Thursday.")

    edits = [e for e in await events(client, city, pid, "health") if e["type"] == "comment_edited"]
    assert [e["changes"]["body"] for e in edits] == [
        {"from": "Visit on Tuesday.", "to": "Visit on Wednesday."},
        {"from": "Visit on Wednesday.", "to": "Visit on Thursday."},
    ]
    assert all(e["changes"]["comment_id"] == cid for e in edits)


# -- mentions -------------------------------------------------------------------------------


async def test_mentions_notify_people_and_make_them_follow(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city)
    text = (
        "@DEV.ONE@City.Example can you look? cc @sam.park@city.example. "
        "Thanks @dev.one@city.example"
    )
    response = await comment(client, city, problem["id"], text, "health")
    assert response.status_code == 201, response.text
    assert response.json()["mentions"] == [
        {"id": str(city.people["team_member"]), "name": "Dev One"},
        {"id": str(city.people["requester2"]), "name": "Sam Park"},
    ]
    watchers = await client.get(
        f"/api/v1/problems/{problem['id']}/watchers", headers=city.auth("health")
    )
    ids = {w["id"] for w in watchers.json()}
    assert {str(city.people["team_member"]), str(city.people["requester2"])} <= ids

    for who in ("team_member", "requester2"):
        items = (await inbox(client, city, who))["items"]
        assert [(n["kind"], n["event"]["type"]) for n in items] == [("mention", "comment_added")]
        assert items[0]["problem"]["id"] == problem["id"]
        assert items[0]["event"]["actor"]["id"] == str(city.people["health"])
    # The author hears nothing about their own comment.
    assert await mention_rows(db, city.people["health"]) == []
    history = await events(client, city, problem["id"])
    assert history[-1]["changes"]["mentions"] == [
        str(city.people["team_member"]),
        str(city.people["requester2"]),
    ]


async def test_text_that_only_looks_like_a_mention_is_just_text(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city)
    text = (
        "Write to sam.park@city.example, meet @ 5 in room 2, ask @sam or "
        "email(sam.park@city.example); @@ and @nobody@ are not people either."
    )
    response = await comment(client, city, problem["id"], text, "health")
    assert response.status_code == 201, response.text
    assert response.json()["mentions"] == []
    assert response.json()["body"] == text
    assert await mention_rows(db, city.people["requester2"]) == []


async def test_mentions_that_cannot_stand_are_422_and_nothing_is_written(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    secret = await submitted(client, city, restricted=True)
    text = (
        "@nobody@city.example @gone@city.example @ines.moreau@city.example "
        "and @dev.one@city.example"
    )
    body = assert_problem_json(await comment(client, city, secret["id"], text), 422)
    messages = [e["message"] for e in body["errors"]]
    assert len(messages) == 3
    assert "@nobody@city.example" in messages[0]
    assert "@gone@city.example" in messages[1]
    assert "@ines.moreau@city.example" in messages[2]
    assert "cannot see this problem" in messages[2]
    assert all(e["field"] == "body" for e in body["errors"])
    assert await listed(client, city, secret["id"], "triager") == []
    assert await mention_rows(db, city.people["team_member"]) == []
    assert "comment_added" not in [e["type"] for e in await events(client, city, secret["id"])]


async def test_an_edit_notifies_only_newly_mentioned_people(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city)
    created = await comment(client, city, problem["id"], "@dev.one@city.example please review")
    assert created.status_code == 201
    cid = created.json()["id"]
    edited = await edit(
        client,
        city,
        problem["id"],
        cid,
        "@dev.one@city.example and @ops@city.example please review",
        "requester",
        '"1"',
    )
    assert edited.status_code == 200, edited.text
    assert [m["id"] for m in edited.json()["mentions"]] == [
        str(city.people["team_member"]),
        str(city.people["admin"]),
    ]
    dev = await mention_rows(db, city.people["team_member"])
    ops = await mention_rows(db, city.people["admin"])
    assert [(r["kind"], r["type"]) for r in dev] == [("mention", "comment_added")]
    assert [(r["kind"], r["type"]) for r in ops] == [("mention", "comment_edited")]
    watchers = await client.get(
        f"/api/v1/problems/{problem['id']}/watchers/{city.people['admin']}",
        headers=city.auth("requester"),
    )
    assert watchers.status_code == 200
    # Removing a mention in an edit notifies nobody.
    assert (
        await edit(client, city, problem["id"], cid, "please review", "requester", '"2"')
    ).status_code == 200
    assert len(await mention_rows(db, city.people["team_member"])) == 1
    assert len(await mention_rows(db, city.people["admin"])) == 1
    # An edit is checked like a new comment.
    bad = await edit(client, city, problem["id"], cid, "@no.one@city.example", "requester", '"3"')
    assert "@no.one@city.example" in assert_problem_json(bad, 422)["errors"][0]["message"]


# -- DTI-internal comments --------------------------------------------------------------------


async def test_only_dti_roles_write_internal_comments(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    for who in ("requester", "health", "leader"):
        refused = await comment(client, city, problem["id"], "psst", who, "dti_internal")
        assert_problem_json(refused, 403)
    for who in ("triager", "team_member", "admin"):
        response = await comment(client, city, problem["id"], "note", who, "dti_internal")
        assert response.status_code == 201, response.text
        assert response.json()["visibility"] == "dti_internal"
    # Only DTI staff can be mentioned in one: nobody else could read it.
    body = assert_problem_json(
        await comment(
            client, city, problem["id"], "@rosa.diaz@city.example ?", "triager", "dti_internal"
        ),
        422,
    )
    assert "not DTI staff" in body["errors"][0]["message"]


async def test_internal_comments_never_reach_a_requester(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await paired(client, city)
    pid = problem["id"]
    # The requester follows the problem and is mentioned in public, so they have an inbox.
    public = await comment(client, city, pid, "@rosa.diaz@city.example kickoff Monday", "triager")
    assert public.status_code == 201
    secret_text = "Budget for this is shaky: CFO-SECRET-4471"
    created = await comment(
        client, city, pid, f"@dev.one@city.example {secret_text}", "triager", "dti_internal"
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    edited = await edit(client, city, pid, cid, f"{secret_text} (confirmed)", "triager", '"1"')
    assert edited.status_code == 200

    # DTI roles see it everywhere.
    for who in ("triager", "team_member", "admin"):
        assert cid in [c["id"] for c in await listed(client, city, pid, who)]
    detail = await client.get(f"/api/v1/problems/{pid}/comments/{cid}", headers=city.auth("admin"))
    assert detail.status_code == 200
    assert detail.json()["edits"][0]["body"].endswith(secret_text)
    dti_history = await events(client, city, pid, who="team_member")
    internal_events = [e for e in dti_history if e["changes"].get("comment_id") == cid]
    assert [e["type"] for e in internal_events] == ["comment_added", "comment_edited"]
    assert all("body" not in e["changes"] for e in internal_events)  # the text stays out
    dev_inbox = (await inbox(client, city, "team_member"))["items"]
    assert ("mention", "comment_added") in [(n["kind"], n["event"]["type"]) for n in dev_inbox]

    # For everyone else it does not exist: not listed, not readable, not editable, no trace.
    for who in ("requester", "requester2", "health", "leader"):
        comments = await client.get(f"/api/v1/problems/{pid}/comments", headers=city.auth(who))
        assert comments.status_code == 200
        assert [c["id"] for c in comments.json()["items"]] == [public.json()["id"]]
        assert "CFO-SECRET" not in comments.text
        one = await client.get(f"/api/v1/problems/{pid}/comments/{cid}", headers=city.auth(who))
        assert_problem_json(one, 404)
        assert "CFO-SECRET" not in one.text
        assert_problem_json(await edit(client, city, pid, cid, "hijack", who, '"2"'), 404)
        history = await client.get(
            f"/api/v1/problems/{pid}/history?limit=100", headers=city.auth(who)
        )
        assert history.status_code == 200
        assert cid not in history.text and "CFO-SECRET" not in history.text
        assert "comment_edited" not in [e["type"] for e in history.json()["items"]]
        notifications = await client.get("/api/v1/me/notifications", headers=city.auth(who))
        assert notifications.status_code == 200
        assert "CFO-SECRET" not in notifications.text
        seen = {n["event"]["id"] for n in notifications.json()["items"]}
        assert not seen & {e["id"] for e in internal_events}
    requester_inbox = (await inbox(client, city, "requester"))["items"]
    assert [n["kind"] for n in requester_inbox if n["kind"] == "mention"] == ["mention"]

    # Behind the API: no inbox row for any non-DTI person was written for the internal events.
    leaked = await db.fetchval(
        "SELECT count(*) FROM notifications n JOIN problem_events e ON e.id = n.event_id "
        "JOIN people p ON p.id = n.person_id WHERE e.internal "
        "AND NOT p.roles && ARRAY['triager','team_member','admin']::varchar[]"
    )
    assert leaked == 0
    internal_rows = await db.fetchval(
        "SELECT count(*) FROM problem_events WHERE internal AND changes->>'comment_id' = $1", cid
    )
    assert internal_rows == 2


async def test_an_internal_mention_notifies_without_showing_in_the_watchers(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city)
    response = await comment(
        client,
        city,
        problem["id"],
        f"@{EMAILS['admin']} the budget line is tight",
        who="triager",
        visibility="dti_internal",
    )
    assert response.status_code == 201, response.text
    watchers = await client.get(
        f"/api/v1/problems/{problem['id']}/watchers", headers=city.auth("requester")
    )
    assert str(city.people["admin"]) not in watchers.text
    inbox = (await client.get("/api/v1/me/notifications", headers=city.auth("admin"))).json()
    assert [item["kind"] for item in inbox["items"]] == ["mention"]
