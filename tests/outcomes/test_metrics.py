"""Outcome metrics and measurements over HTTP: who defines and measures, and what state shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from tests.builders import EMAILS, City
from tests.helpers import Client, act, assert_problem_json, events, in_phase

TODAY = datetime.now(UTC).date()


def days(n: int) -> str:
    """The ISO date ``n`` days from today (negative: in the past)."""
    return (TODAY + timedelta(days=n)).isoformat()


ADOPTION: dict[str, Any] = {
    "name": "Share of permits applied for online",
    "unit": "%",
    "direction": "increase",
    "baseline": 40,
    "target": 70,
    "target_date": days(90),
}
DECISION_TIME: dict[str, Any] = {
    "name": "Median days to a permit decision",
    "unit": "days",
    "direction": "decrease",
    "baseline": 31,
    "target": 7,
    "target_date": days(120),
}


def metrics_url(problem: dict[str, Any]) -> str:
    return f"/api/v1/problems/{problem['id']}/metrics"


async def define(
    client: Client, city: City, problem: dict[str, Any], who: str = "triager", **fields: Any
) -> dict[str, Any]:
    """Define a metric (the adoption one unless ``fields`` say otherwise); returns it with ETag."""
    response = await client.post(
        metrics_url(problem), json={**ADOPTION, **fields}, headers=city.auth(who)
    )
    assert response.status_code == 201, response.text
    metric: dict[str, Any] = response.json()
    metric["etag"] = response.headers["etag"]
    return metric


async def measure(
    client: Client,
    city: City,
    problem: dict[str, Any],
    metric: dict[str, Any],
    value: float,
    on: str = TODAY.isoformat(),
    who: str = "team_member",
    **fields: Any,
) -> Any:
    return await client.post(
        f"{metrics_url(problem)}/{metric['id']}/measurements",
        json={"value": value, "measured_on": on, **fields},
        headers=city.auth(who),
    )


async def read(
    client: Client, city: City, problem: dict[str, Any], metric: dict[str, Any], who: str = "leader"
) -> dict[str, Any]:
    response = await client.get(f"{metrics_url(problem)}/{metric['id']}", headers=city.auth(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    body["etag"] = response.headers["etag"]
    return body


async def test_define_then_measure_after_launch_from_not_started_to_achieved(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "delivery")
    response = await client.post(
        metrics_url(problem),
        json={**ADOPTION, "owner_email": EMAILS["requester"], "review_date": days(100)},
        headers=city.auth("triager"),
    )
    assert response.status_code == 201, response.text
    metric = response.json()
    assert response.headers["location"] == f"{metrics_url(problem)}/{metric['id']}"
    assert response.headers["etag"] == '"1"'
    assert metric["owner"] == {"id": str(city.people["requester"]), "name": "Rosa Diaz"}
    assert metric["created_by"]["name"] == "Priya One"
    assert (metric["name"], metric["baseline"], metric["target"]) == (ADOPTION["name"], 40, 70)
    assert metric["review_date"] == days(100)
    assert metric["state"] == "not_started"
    assert (metric["latest_value"], metric["latest_measured_on"], metric["progress"]) == (
        None,
        None,
        None,
    )
    assert metric["measurement_count"] == 0

    assert (await act(client, city, problem, "launch", who="team_member")).status_code == 200
    first = await measure(client, city, problem, metric, 55, on=days(-10), note="First month")
    assert first.status_code == 201, first.text
    recorded = first.json()
    assert first.headers["location"] == (
        f"{metrics_url(problem)}/{metric['id']}/measurements/{recorded['id']}"
    )
    assert recorded["recorded_by"]["name"] == "Dev One"
    assert (recorded["value"], recorded["measured_on"], recorded["note"]) == (
        55,
        days(-10),
        "First month",
    )
    again = await client.get(first.headers["location"], headers=city.auth("parks"))
    assert again.status_code == 200 and again.json() == recorded

    improving = await read(client, city, problem, metric)
    assert improving["state"] == "improving"
    assert (improving["latest_value"], improving["latest_measured_on"]) == (55, days(-10))
    assert improving["progress"] == 0.5
    assert improving["measurement_count"] == 1

    # the owner, a requester of the owning department, records the next value
    second = await measure(client, city, problem, metric, 72, who="requester")
    assert second.status_code == 201, second.text
    achieved = await read(client, city, problem, metric, who="requester")
    assert achieved["state"] == "achieved"
    assert (achieved["latest_value"], achieved["latest_measured_on"]) == (72, TODAY.isoformat())
    assert achieved["progress"] == 1.0667
    assert achieved["measurement_count"] == 2
    assert achieved["version"] == 1  # measurements don't change the definition

    listed = await client.get(metrics_url(problem), headers=city.auth("parks"))
    assert listed.status_code == 200
    assert [(m["id"], m["state"]) for m in listed.json()["items"]] == [(metric["id"], "achieved")]

    history = await events(client, city, problem["id"], who="requester")
    outcome_events = [e for e in history if e["type"].startswith(("metric_", "measurement_"))]
    assert [e["type"] for e in outcome_events] == [
        "metric_added",
        "measurement_recorded",
        "measurement_recorded",
    ]
    added, measured, measured_again = outcome_events
    assert added["actor"]["name"] == "Priya One"
    assert added["changes"]["metric"] == {"id": metric["id"], "name": ADOPTION["name"]}
    assert added["changes"]["target"] == {"from": None, "to": 70}
    assert added["changes"]["owner"]["to"] == metric["owner"]
    assert measured["changes"]["metric"]["name"] == ADOPTION["name"]
    assert measured["changes"]["measurement"]["value"] == 55
    assert measured["changes"]["measurement"]["measured_on"] == days(-10)
    assert measured["changes"]["state"] == {"from": "not_started", "to": "improving"}
    assert measured_again["actor"]["name"] == "Rosa Diaz"
    assert measured_again["changes"]["state"] == {"from": "improving", "to": "achieved"}


async def test_a_decrease_metric_reads_its_latest_by_the_day_measured(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "live")
    metric = await define(client, city, problem, **DECISION_TIME)
    assert (await measure(client, city, problem, metric, 19, on=days(-1))).status_code == 201
    seen = await read(client, city, problem, metric)
    assert (seen["state"], seen["progress"]) == ("improving", 0.5)

    # an older value recorded later does not replace the latest
    assert (await measure(client, city, problem, metric, 33, on=days(-60))).status_code == 201
    seen = await read(client, city, problem, metric)
    assert (seen["state"], seen["latest_value"], seen["latest_measured_on"]) == (
        "improving",
        19,
        days(-1),
    )

    # a day's later recording wins over an earlier one on the same day
    assert (await measure(client, city, problem, metric, 40, on=days(0))).status_code == 201
    seen = await read(client, city, problem, metric)
    assert (seen["state"], seen["latest_value"], seen["progress"]) == ("worsening", 40, -0.375)
    assert (await measure(client, city, problem, metric, 7, on=days(0))).status_code == 201
    seen = await read(client, city, problem, metric)
    assert (seen["state"], seen["latest_value"], seen["progress"]) == ("achieved", 7, 1.0)
    assert seen["measurement_count"] == 4

    # oldest first, page by page
    url = f"{metrics_url(problem)}/{metric['id']}/measurements"
    first = (await client.get(url, params={"limit": 3}, headers=city.auth("parks"))).json()
    assert [m["value"] for m in first["items"]] == [33, 19, 40]
    rest = (
        await client.get(
            url, params={"limit": 3, "cursor": first["next_cursor"]}, headers=city.auth("parks")
        )
    ).json()
    assert [m["value"] for m in rest["items"]] == [7]
    assert rest["next_cursor"] is None


async def test_missed_once_the_target_date_has_passed(client: Client, city: City) -> None:
    """Target dates may lie in the past (a metric defined or moved after the fact)."""
    problem = await in_phase(client, city, "live")
    late = await define(client, city, problem, target_date=days(-1))
    assert (await measure(client, city, problem, late, 60)).status_code == 201
    assert (await read(client, city, problem, late))["state"] == "missed"

    # a metric on time, moved to yesterday through PATCH, is missed too; moved back, it is not
    on_time = await define(client, city, problem, **DECISION_TIME)
    assert (await measure(client, city, problem, on_time, 20)).status_code == 201
    assert (await read(client, city, problem, on_time))["state"] == "improving"
    moved = await client.patch(
        f"{metrics_url(problem)}/{on_time['id']}",
        json={"target_date": days(-1)},
        headers={**city.auth("team_member"), "If-Match": on_time["etag"]},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["state"] == "missed"
    back = await client.patch(
        f"{metrics_url(problem)}/{on_time['id']}",
        json={"target_date": days(30)},
        headers={**city.auth("team_member"), "If-Match": moved.headers["etag"]},
    )
    assert back.json()["state"] == "improving"

    # reaching the target after the date is still achieved; the target date itself is not late
    assert (await measure(client, city, problem, late, 75)).status_code == 201
    assert (await read(client, city, problem, late))["state"] == "achieved"
    today = await define(client, city, problem, name="Due today", target_date=days(0))
    assert (await measure(client, city, problem, today, 41)).status_code == 201
    assert (await read(client, city, problem, today))["state"] == "improving"


async def test_metric_validation(client: Client, city: City, db: asyncpg.Connection) -> None:
    problem = await in_phase(client, city, "live", restricted=True)
    url = metrics_url(problem)
    auth = city.auth("triager")

    async def refused(body: dict[str, Any], field: str) -> None:
        response = await client.post(url, json=body, headers=auth)
        error = assert_problem_json(response, 422)
        assert field in [e["field"] for e in error["errors"]], error

    # the target must be on the improving side of the baseline
    await refused({**ADOPTION, "target": 30}, "target")
    await refused({**ADOPTION, "target": 40}, "target")
    await refused({**DECISION_TIME, "target": 40}, "target")
    await refused({**DECISION_TIME, "target": 31}, "target")
    # finite numbers only
    await refused({**ADOPTION, "target": "NaN"}, "target")
    await refused({**ADOPTION, "baseline": "Infinity"}, "baseline")
    response = await client.post(
        url,
        content=b'{"name": "x", "unit": "%", "direction": "increase", "baseline": 1e400, '
        b'"target": 2, "target_date": "2030-01-01"}',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert_problem_json(response, 400)  # beyond a double: the JSON itself cannot be read
    # shape and text
    await refused({**ADOPTION, "direction": "sideways"}, "direction")
    await refused({**ADOPTION, "name": "   "}, "name")
    await refused({**ADOPTION, "name": "x" * 201}, "name")
    await refused({**ADOPTION, "status": "achieved"}, "status")
    await refused({k: v for k, v in ADOPTION.items() if k != "target_date"}, "target_date")
    # the owner: an active person who can see the (restricted) problem
    await refused({**ADOPTION, "owner_email": "nobody@city.example"}, "owner_email")
    await refused({**ADOPTION, "owner_email": EMAILS["requester"] + "."}, "owner_email")
    await refused({**ADOPTION, "owner_email": EMAILS["inactive"]}, "owner_email")
    await refused({**ADOPTION, "owner_email": EMAILS["parks"]}, "owner_email")
    assert (await client.get(url, headers=auth)).json()["items"] == []

    # names are unique per problem, whatever their case: 409
    metric = await define(client, city, problem, owner_email=EMAILS["requester2"].upper())
    assert metric["owner"]["name"] == "Sam Park"
    clash = await client.post(
        url, json={**ADOPTION, "name": ADOPTION["name"].upper()}, headers=auth
    )
    assert_problem_json(clash, 409)
    other = await define(client, city, problem, **DECISION_TIME)
    renamed = await client.patch(
        f"{url}/{other['id']}",
        json={"name": ADOPTION["name"]},
        headers={**auth, "If-Match": other["etag"]},
    )
    assert_problem_json(renamed, 409)

    # PATCH keeps the same rules, on the metric as it would become
    async def patch_refused(body: dict[str, Any], field: str) -> None:
        response = await client.patch(
            f"{url}/{metric['id']}", json=body, headers={**auth, "If-Match": metric["etag"]}
        )
        error = assert_problem_json(response, 422)
        assert field in [e["field"] for e in error["errors"]], error

    await patch_refused({"target": 39}, "target")
    await patch_refused({"direction": "decrease"}, "target")
    await patch_refused({"baseline": 70}, "target")
    await patch_refused({"owner_email": EMAILS["parks"]}, "owner_email")
    await patch_refused({"name": None}, "name")
    await patch_refused({"version": 5}, "version")
    flipped = await client.patch(
        f"{url}/{metric['id']}",
        json={"direction": "decrease", "target": 20, "owner_email": None},
        headers={**auth, "If-Match": metric["etag"]},
    )
    assert flipped.status_code == 200, flipped.text
    assert (flipped.json()["direction"], flipped.json()["owner"]) == ("decrease", None)

    # measurements: dated today or earlier, a finite value
    measurements = f"{url}/{metric['id']}/measurements"
    future = await measure(client, city, problem, metric, 30, on=days(1))
    assert "measured_on" in [e["field"] for e in assert_problem_json(future, 422)["errors"]]
    for body in (
        {"value": "NaN", "measured_on": days(0)},
        {"value": 1, "measured_on": "yesterday"},
        {"value": 1, "measured_on": days(0), "recorded_by": "me"},
        {"value": 1, "measured_on": days(0), "note": "a\x00b"},
        {"measured_on": days(0)},
    ):
        assert_problem_json(await client.post(measurements, json=body, headers=auth), 422)
    assert await db.fetchval("SELECT count(*) FROM measurements") == 0


async def test_the_owner_records_measurements_but_does_not_edit_the_metric(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "live")
    metric = await define(client, city, problem, owner_email=EMAILS["requester"])
    url = f"{metrics_url(problem)}/{metric['id']}"

    assert (await measure(client, city, problem, metric, 50, who="requester")).status_code == 201
    assert (await measure(client, city, problem, metric, 51, who="triager")).status_code == 201
    # a colleague of the owner, leadership and admin are not on the team and do not own it
    for who in ("requester2", "leader", "admin", "parks"):
        assert_problem_json(await measure(client, city, problem, metric, 52, who=who), 403)

    for who in ("requester", "requester2", "leader", "parks"):
        headers = {**city.auth(who), "If-Match": metric["etag"]}
        assert_problem_json(await client.patch(url, json={"target": 90}, headers=headers), 403)
        assert_problem_json(await client.delete(url, headers=headers), 403)
        created = await client.post(
            metrics_url(problem), json={**ADOPTION, "name": who}, headers=city.auth(who)
        )
        assert_problem_json(created, 403)
    assert (await read(client, city, problem, metric))["measurement_count"] == 2
    assert (await read(client, city, problem, metric))["version"] == 1


async def test_other_departments_read_open_problems_and_never_see_restricted_ones(
    client: Client, city: City
) -> None:
    open_problem = await in_phase(client, city, "live")
    metric = await define(client, city, open_problem)
    assert (await measure(client, city, open_problem, metric, 50)).status_code == 201
    url = f"{metrics_url(open_problem)}/{metric['id']}"
    assert (await client.get(url, headers=city.auth("parks"))).json()["state"] == "improving"
    assert_problem_json(await measure(client, city, open_problem, metric, 60, who="parks"), 403)

    hidden = await in_phase(client, city, "live", team_name="Health Team", restricted=True)
    secret = await define(client, city, hidden)
    assert (await measure(client, city, hidden, secret, 50)).status_code == 201
    secret_url = f"{metrics_url(hidden)}/{secret['id']}"
    measurement = (
        await client.get(f"{secret_url}/measurements", headers=city.auth("requester"))
    ).json()["items"][0]
    for path in (
        metrics_url(hidden),
        secret_url,
        f"{secret_url}/measurements",
        f"{secret_url}/measurements/{measurement['id']}",
    ):
        assert_problem_json(await client.get(path, headers=city.auth("parks")), 404)
        assert (await client.get(path, headers=city.auth("leader"))).status_code == 200
    assert_problem_json(await measure(client, city, hidden, secret, 60, who="parks"), 404)
    assert_problem_json(
        await client.patch(
            secret_url,
            json={"target": 80},
            headers={**city.auth("parks"), "If-Match": secret["etag"]},
        ),
        404,
    )
    assert_problem_json(
        await client.post(metrics_url(hidden), json=DECISION_TIME, headers=city.auth("parks")), 404
    )

    # a metric, or a measurement, under another problem's path is not found
    assert_problem_json(
        await client.get(
            f"{metrics_url(open_problem)}/{secret['id']}", headers=city.auth("leader")
        ),
        404,
    )
    assert_problem_json(
        await client.get(f"{url}/measurements/{measurement['id']}", headers=city.auth("leader")),
        404,
    )
    assert_problem_json(
        await measure(client, city, open_problem, secret, 60, who="triager"),
        404,
    )


async def test_edits_need_if_match_and_keep_earlier_values_in_history(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "live")
    metric = await define(client, city, problem)
    url = f"{metrics_url(problem)}/{metric['id']}"
    change = {"baseline": 35, "target": 75, "target_date": days(150), "review_date": days(160)}

    missing = await client.patch(url, json=change, headers=city.auth("team_member"))
    assert_problem_json(missing, 428)
    stale = await client.patch(
        url, json=change, headers={**city.auth("team_member"), "If-Match": '"7"'}
    )
    assert_problem_json(stale, 412)
    edited = await client.patch(
        url, json=change, headers={**city.auth("team_member"), "If-Match": metric["etag"]}
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] == '"2"'
    assert (edited.json()["baseline"], edited.json()["target"]) == (35, 75)
    assert (await read(client, city, problem, metric))["etag"] == '"2"'

    # an edit that changes nothing keeps the version and writes no history
    same = await client.patch(
        url, json={"target": 75}, headers={**city.auth("team_member"), "If-Match": '"2"'}
    )
    assert same.headers["etag"] == '"2"'
    # the old ETag no longer works
    assert_problem_json(
        await client.patch(
            url, json={"target": 80}, headers={**city.auth("triager"), "If-Match": metric["etag"]}
        ),
        412,
    )

    history = await events(client, city, problem["id"], who="parks")
    updates = [e for e in history if e["type"] == "metric_updated"]
    assert len(updates) == 1
    assert updates[0]["actor"]["name"] == "Dev One"
    assert updates[0]["changes"] == {
        "metric": {"id": metric["id"], "name": ADOPTION["name"]},
        "baseline": {"from": 40, "to": 35},
        "target": {"from": 70, "to": 75},
        "target_date": {"from": days(90), "to": days(150)},
        "review_date": {"from": None, "to": days(160)},
    }


async def test_a_metric_with_measurements_cannot_be_removed(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "live")
    measured = await define(client, city, problem)
    unused = await define(client, city, problem, **DECISION_TIME)
    assert (await measure(client, city, problem, measured, 45)).status_code == 201

    url = f"{metrics_url(problem)}/{measured['id']}"
    headers = {**city.auth("triager"), "If-Match": measured["etag"]}
    assert_problem_json(await client.delete(url, headers=headers), 409)
    assert (await client.get(url, headers=city.auth("triager"))).status_code == 200

    unused_url = f"{metrics_url(problem)}/{unused['id']}"
    assert_problem_json(await client.delete(unused_url, headers=city.auth("triager")), 428)
    assert_problem_json(
        await client.delete(unused_url, headers={**city.auth("triager"), "If-Match": '"2"'}), 412
    )
    removed = await client.delete(
        unused_url, headers={**city.auth("team_member"), "If-Match": unused["etag"]}
    )
    assert removed.status_code == 204, removed.text
    assert_problem_json(await client.get(unused_url, headers=city.auth("triager")), 404)
    listed = (await client.get(metrics_url(problem), headers=city.auth("triager"))).json()
    assert [m["id"] for m in listed["items"]] == [measured["id"]]

    last = (await events(client, city, problem["id"]))[-1]
    assert last["type"] == "metric_removed"
    assert last["actor"]["name"] == "Dev One"
    assert last["changes"]["metric"] == {"id": unused["id"], "name": DECISION_TIME["name"]}
    assert last["changes"]["target"] == {"from": 7, "to": None}


async def test_a_removed_metric_is_gone_from_every_endpoint_and_its_name_is_free(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "live")
    kept = await define(client, city, problem, **DECISION_TIME)
    removed = await define(client, city, problem)
    url = f"{metrics_url(problem)}/{removed['id']}"
    auth = city.auth("team_member")
    response = await client.delete(url, headers={**auth, "If-Match": removed["etag"]})
    assert response.status_code == 204, response.text

    again = {**auth, "If-Match": removed["etag"]}
    assert_problem_json(await client.get(url, headers=city.auth("requester")), 404)
    assert_problem_json(await client.patch(url, json={"target": 80}, headers=again), 404)
    assert_problem_json(await client.delete(url, headers=again), 404)
    assert_problem_json(await measure(client, city, problem, removed, 45), 404)
    assert_problem_json(await client.get(f"{url}/measurements", headers=auth), 404)
    listed = (await client.get(metrics_url(problem), headers=auth)).json()
    assert [m["id"] for m in listed["items"]] == [kept["id"]]

    # The name is free again, in any case, for a new metric or a renamed one; the new
    # metric is another record, measured from scratch.
    renamed = await client.patch(
        f"{metrics_url(problem)}/{kept['id']}",
        json={"name": ADOPTION["name"].lower()},
        headers={**auth, "If-Match": kept["etag"]},
    )
    assert renamed.status_code == 200, renamed.text
    renamed_back = await client.patch(
        f"{metrics_url(problem)}/{kept['id']}",
        json={"name": DECISION_TIME["name"]},
        headers={**auth, "If-Match": renamed.headers["etag"]},
    )
    assert renamed_back.status_code == 200, renamed_back.text
    reused = await define(client, city, problem, baseline=35)
    assert reused["id"] != removed["id"]
    assert (reused["name"], reused["baseline"], reused["state"]) == (
        ADOPTION["name"],
        35,
        "not_started",
    )
    assert (await measure(client, city, problem, reused, 50)).status_code == 201
    clash = await client.post(metrics_url(problem), json=ADOPTION, headers=auth)
    assert_problem_json(clash, 409)  # but only once: two live metrics never share a name
    listed = (await client.get(metrics_url(problem), headers=auth)).json()
    assert [m["id"] for m in listed["items"]] == [kept["id"], reused["id"]]
    history = await events(client, city, problem["id"])
    assert [e["type"] for e in history if e["type"].startswith("metric_")] == [
        "metric_added",
        "metric_added",
        "metric_removed",
        "metric_updated",
        "metric_updated",
        "metric_added",
    ]


async def test_outcome_records_change_only_while_the_work_is_open(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "accepted")
    metric = await define(client, city, problem)  # defined early, measured after launch
    hold = await act(client, city, problem, "hold", body={"reason": "Budget review."})
    assert hold.status_code == 200, hold.text
    assert (await measure(client, city, problem, metric, 45)).status_code == 201
    assert (await act(client, city, problem, "resume")).status_code == 200
    for action, body in (
        ("start-discovery", None),
        ("start-delivery", {"phase": "beta"}),
        ("launch", None),
    ):
        assert (await act(client, city, problem, action, body=body)).status_code == 200
    review = {"result": "achieved", "summary": "Most permits are online.", "lessons": "Ask early."}
    assert (await act(client, city, problem, "close", body=review)).status_code == 200

    url = f"{metrics_url(problem)}/{metric['id']}"
    closed = assert_problem_json(await measure(client, city, problem, metric, 80), 409)
    assert closed["current_state"] == "closed"
    assert_problem_json(
        await client.post(metrics_url(problem), json=DECISION_TIME, headers=city.auth("triager")),
        409,
    )
    assert_problem_json(
        await client.patch(
            url, json={"target": 80}, headers={**city.auth("triager"), "If-Match": metric["etag"]}
        ),
        409,
    )
    # the record stays readable once closed
    assert (await read(client, city, problem, metric, who="parks"))["measurement_count"] == 1


async def test_a_retried_create_with_an_idempotency_key_creates_once(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "live")
    headers = {**city.auth("triager"), "Idempotency-Key": "metric-adoption-1"}
    first = await client.post(metrics_url(problem), json=ADOPTION, headers=headers)
    again = await client.post(metrics_url(problem), json=ADOPTION, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    changed = await client.post(
        metrics_url(problem), json={**ADOPTION, "target": 90}, headers=headers
    )
    assert_problem_json(changed, 422)
    assert await db.fetchval("SELECT count(*) FROM metrics") == 1

    metric = first.json()
    url = f"{metrics_url(problem)}/{metric['id']}/measurements"
    key = {**city.auth("team_member"), "Idempotency-Key": "march-reading"}
    body = {"value": 55, "measured_on": days(-1)}
    one = await client.post(url, json=body, headers=key)
    two = await client.post(url, json=body, headers=key)
    assert (one.status_code, two.status_code) == (201, 201)
    assert two.json() == one.json()
    assert await db.fetchval("SELECT count(*) FROM measurements") == 1
    history = await events(client, city, problem["id"])
    assert [e["type"] for e in history].count("measurement_recorded") == 1
    assert [e["type"] for e in history].count("metric_added") == 1


async def test_metric_lists_page_in_the_order_defined(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "discovery")
    names = [f"Metric {n}" for n in range(5)]
    for name in names:
        await define(client, city, problem, name=name)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (
            await client.get(metrics_url(problem), params=params, headers=city.auth("health"))
        ).json()
        seen += [m["name"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == names
    bad = await client.get(
        metrics_url(problem), params={"cursor": "not-a-cursor"}, headers=city.auth("health")
    )
    assert_problem_json(bad, 422)
