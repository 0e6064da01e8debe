"""Marking one notification read from the inbox, over HTTP: only one's own, bad ids as a
page, never a 500."""

from __future__ import annotations

import re

from tests.builders import EMAILS, City
from tests.helpers import submitted
from tests.pages.helpers import Client, sign_in


async def test_a_person_marks_one_of_their_notifications_read(client: Client, city: City) -> None:
    problem = await submitted(client, city)
    for text in ("can you check the form?", "and the photos?"):
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/comments",
            json={"body": f"@{EMAILS['requester']} {text}"},
            headers=city.auth("triager"),
        )
        assert response.status_code == 201
    csrf = await sign_in(client, "requester")
    inbox = await client.get("/inbox?unread=true")
    assert "You have 2 unread notifications." in inbox.text
    ids = re.findall(r'action="/inbox/(\d+)/read"', inbox.text)
    assert len(ids) == 2
    marked = await client.post(
        f"/inbox/{ids[0]}/read",
        data={"csrf_token": csrf, "unread": "true"},
        follow_redirects=False,
    )
    assert marked.status_code == 303
    assert marked.headers["location"] == f"/inbox?unread=true#notification-{ids[0]}"
    after = await client.get(marked.headers["location"])
    assert "You have 1 unread notification." in after.text
    assert f'action="/inbox/{ids[0]}/read"' not in after.text
    api = await client.get("/api/v1/me/notifications", headers=city.auth("requester"))
    read = {str(n["id"]): n["read_at"] for n in api.json()["items"]}
    assert read[ids[0]] is not None and read[ids[1]] is None

    # Someone else's notification is a 404 page and marks nothing; nonsense is never a 500.
    client.cookies.clear()
    csrf = await sign_in(client, "requester2")
    theirs = await client.post(f"/inbox/{ids[1]}/read", data={"csrf_token": csrf})
    assert theirs.status_code == 404
    assert theirs.headers["content-type"].startswith("text/html")
    for bad in ("0", str(2**63), "-1"):
        response = await client.post(f"/inbox/{bad}/read", data={"csrf_token": csrf})
        assert response.status_code in (400, 404), (bad, response.text)
        assert response.headers["content-type"].startswith("text/html")
    api = await client.get("/api/v1/me/notifications", headers=city.auth("requester"))
    assert {str(n["id"]): n["read_at"] for n in api.json()["items"]}[ids[1]] is None
