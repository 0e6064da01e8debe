"""/api/v1/webhooks: admins subscribe receivers; the secret is shown once; bad input is 422."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from intake.lib.pagination import encode_cursor
from intake.vocabulary.events import EVENT_TYPES
from tests.builders import City
from tests.helpers import Client, assert_problem_json

HOOKS = "/api/v1/webhooks"
RECEIVER_URL = "https://data.city.example/intake/events"


async def subscribe(
    client: Client, city: City, url: str = RECEIVER_URL, **fields: Any
) -> dict[str, Any]:
    response = await client.post(HOOKS, json={"url": url, **fields}, headers=city.auth("admin"))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_an_admin_subscribes_and_sees_the_secret_once(client: Client, city: City) -> None:
    response = await client.post(
        HOOKS,
        json={
            "url": RECEIVER_URL,
            "description": "  City data platform  ",
            "types": ["submitted", "accepted", "submitted"],
        },
        headers=city.auth("admin"),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{HOOKS}/{created['id']}"
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["url"] == RECEIVER_URL
    assert created["description"] == "City data platform"
    assert created["types"] == ["accepted", "submitted"]
    assert created["active"] is True
    assert (created["disabled_reason"], created["disabled_at"]) == (None, None)
    assert (created["attempts"], created["retry_at"]) == (0, None)
    assert created["created_by"] == str(city.people["admin"])
    assert isinstance(created["feed_position"], str)

    shown = (await client.get(f"{HOOKS}/{created['id']}", headers=city.auth("admin"))).json()
    assert "secret" not in shown
    assert shown == {k: v for k, v in created.items() if k != "secret"}
    listed = (await client.get(HOOKS, headers=city.auth("admin"))).json()
    assert listed == {"items": [shown], "next_cursor": None}
    assert created["secret"] not in str(listed)

    other = await subscribe(client, city, "http://127.0.0.1:9/hook")
    assert other["secret"] != created["secret"]
    assert other["types"] == []  # every type


async def test_rotating_gives_a_new_secret_and_keeps_the_old_one_a_day(
    client: Client, city: City
) -> None:
    created = await subscribe(client, city)
    response = await client.post(
        f"{HOOKS}/{created['id']}/rotate-secret", headers=city.auth("admin")
    )
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]
    assert rotated["previous_secret_until"] is not None
    shown = (await client.get(f"{HOOKS}/{created['id']}", headers=city.auth("admin"))).json()
    assert "secret" not in shown
    assert shown["previous_secret_until"] == rotated["previous_secret_until"]


async def test_only_admins_manage_webhooks(client: Client, city: City) -> None:
    created = await subscribe(client, city)
    one = f"{HOOKS}/{created['id']}"
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", HOOKS, {"url": RECEIVER_URL}),
        ("GET", HOOKS, None),
        ("GET", one, None),
        ("PATCH", one, {"active": False}),
        ("DELETE", one, None),
        ("POST", f"{one}/rotate-secret", None),
        ("GET", f"{one}/deliveries", None),
    ]
    for who in ("requester", "triager", "team_member", "leader"):
        for method, path, body in requests:
            response = await client.request(method, path, json=body, headers=city.auth(who))
            assert_problem_json(response, 403)
    # Nothing changed.
    shown = (await client.get(one, headers=city.auth("admin"))).json()
    assert shown["active"] is True
    assert len((await client.get(HOOKS, headers=city.auth("admin"))).json()["items"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://data.city.example/hook"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "data.city.example/hook"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://user:pw@data.city.example/hook"}, "url"),
        ({"url": "https://data.city.example/a hook"}, "url"),
        ({"url": "http://xn--/"}, "url"),  # not a host once decoded
        ({"url": "http://xn--ls8h.la/"}, "url"),
        ({"url": "http://127.0.0.1:65536/hook"}, "url"),
        ({"url": ""}, "url"),
        ({"url": "https://data.city.example/" + "a" * 2000}, "url"),
        ({}, "url"),
        ({"url": RECEIVER_URL, "types": ["Submitted"]}, "types"),
        ({"url": RECEIVER_URL, "types": "submitted"}, "types"),
        ({"url": RECEIVER_URL, "types": ["submitted"] * 51}, "types"),
        ({"url": RECEIVER_URL, "description": "x" * 501}, "description"),
        ({"url": RECEIVER_URL, "secret": "mine"}, "secret"),
        ({"url": RECEIVER_URL, "active": False}, "active"),
    ],
)
async def test_bad_subscriptions_are_422_naming_the_field(
    client: Client, city: City, body: dict[str, Any], field: str
) -> None:
    response = await client.post(HOOKS, json=body, headers=city.auth("admin"))
    problem = assert_problem_json(response, 422)
    fields = [error["field"] for error in problem["errors"]]
    assert any(name.startswith(field) for name in fields), problem  # types[0] names the item


async def test_an_unknown_event_type_is_422_naming_it(client: Client, city: City) -> None:
    """A typo would be a subscription that never fires: it is refused, on create and change."""
    admin = city.auth("admin")
    body = {"url": RECEIVER_URL, "types": ["submitted", "acepted"]}
    problem = assert_problem_json(await client.post(HOOKS, json=body, headers=admin), 422)
    [error] = problem["errors"]
    assert error["field"].startswith("types"), problem
    assert "acepted" in error["message"], problem
    assert (await client.get(HOOKS, headers=admin)).json()["items"] == []

    created = await subscribe(client, city, types=["submitted"])
    one = f"{HOOKS}/{created['id']}"
    # A status is not an event type: `marked_duplicate` is what marking a duplicate records.
    changed = await client.patch(one, json={"types": ["accepted", "duplicate"]}, headers=admin)
    problem = assert_problem_json(changed, 422)
    [error] = problem["errors"]
    assert error["field"].startswith("types"), problem
    assert "duplicate" in error["message"], problem
    assert (await client.get(one, headers=admin)).json()["types"] == ["submitted"]


async def test_every_recorded_event_type_may_be_subscribed_to(client: Client, city: City) -> None:
    created = await subscribe(client, city, types=list(EVENT_TYPES))
    assert created["types"] == sorted(EVENT_TYPES)


async def test_a_bad_url_in_a_change_is_422_too(client: Client, city: City) -> None:
    created = await subscribe(client, city)
    response = await client.patch(
        f"{HOOKS}/{created['id']}", json={"url": "gopher://x"}, headers=city.auth("admin")
    )
    assert assert_problem_json(response, 422)["errors"][0]["field"] == "url"


async def test_a_retry_with_the_same_idempotency_key_gets_the_same_subscription(
    client: Client, city: City
) -> None:
    headers = {**city.auth("admin"), "Idempotency-Key": "hook-data-platform-1"}
    first = await client.post(HOOKS, json={"url": RECEIVER_URL}, headers=headers)
    again = await client.post(HOOKS, json={"url": RECEIVER_URL}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()  # the same subscription, and its secret
    assert again.headers["idempotent-replayed"] == "true"
    assert len((await client.get(HOOKS, headers=city.auth("admin"))).json()["items"]) == 1
    other = await client.post(HOOKS, json={"url": "https://else.example/"}, headers=headers)
    assert assert_problem_json(other, 422)["errors"][0]["field"] == "Idempotency-Key"


async def test_changing_turning_off_and_on(client: Client, city: City) -> None:
    created = await subscribe(client, city, types=["submitted"])
    one = f"{HOOKS}/{created['id']}"
    admin = city.auth("admin")

    changed = await client.patch(
        one,
        json={"url": "http://127.0.0.1:8081/in", "description": "Test", "types": []},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["url"], body["description"], body["types"]) == (
        "http://127.0.0.1:8081/in",
        "Test",
        [],
    )
    assert "secret" not in body

    off = (await client.patch(one, json={"active": False}, headers=admin)).json()
    assert off["active"] is False
    assert off["disabled_reason"] == "Turned off by Ops Admin."
    assert off["disabled_at"] is not None
    again = (await client.patch(one, json={"active": False}, headers=admin)).json()
    assert again["disabled_at"] == off["disabled_at"]  # already off: nothing changes

    on = (await client.patch(one, json={"active": True}, headers=admin)).json()
    assert on["active"] is True
    assert (on["disabled_reason"], on["disabled_at"]) == (None, None)
    assert on["feed_position"] == created["feed_position"]

    unknown = await client.patch(one, json={"secret": "mine"}, headers=admin)
    assert_problem_json(unknown, 422)


async def test_deleting_a_subscription(client: Client, city: City) -> None:
    created = await subscribe(client, city)
    one = f"{HOOKS}/{created['id']}"
    response = await client.delete(one, headers=city.auth("admin"))
    assert response.status_code == 204
    for method in ("GET", "DELETE", "PATCH"):
        body = {"active": True} if method == "PATCH" else None
        response = await client.request(method, one, json=body, headers=city.auth("admin"))
        assert_problem_json(response, 404)
    assert_problem_json(await client.post(f"{one}/rotate-secret", headers=city.auth("admin")), 404)
    assert_problem_json(await client.get(f"{one}/deliveries", headers=city.auth("admin")), 404)


async def test_unknown_subscriptions_are_404(client: Client, city: City) -> None:
    missing = f"{HOOKS}/{uuid.uuid4()}"
    assert_problem_json(await client.get(missing, headers=city.auth("admin")), 404)
    assert_problem_json(await client.get(f"{missing}/deliveries", headers=city.auth("admin")), 404)


async def test_lists_page_with_a_cursor(client: Client, city: City) -> None:
    urls = [f"https://receiver{n}.city.example/hook" for n in range(5)]
    for url in urls:
        await subscribe(client, city, url)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(HOOKS, params=params, headers=city.auth("admin"))).json()
        seen += [item["url"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == urls  # oldest first, each once
    bad = await client.get(HOOKS, params={"cursor": "nonsense"}, headers=city.auth("admin"))
    assert assert_problem_json(bad, 422)["errors"][0]["field"] == "cursor"
    too_many = await client.get(HOOKS, params={"limit": 101}, headers=city.auth("admin"))
    assert_problem_json(too_many, 422)
    # A delivery log cursor past any id is refused as a cursor, not by the database.
    log = f"{HOOKS}/{(await subscribe(client, city, RECEIVER_URL))['id']}/deliveries"
    huge = await client.get(
        log, params={"cursor": encode_cursor([2**70])}, headers=city.auth("admin")
    )
    assert assert_problem_json(huge, 422)["errors"][0]["field"] == "cursor"
