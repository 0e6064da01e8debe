"""Discovery findings and the journey map: what the team records, in what order, and who may."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from tests.builders import City
from tests.helpers import (
    Client,
    act,
    assert_problem_json,
    events,
    in_phase,
    paired,
    submitted,
)

EVIDENCE = [
    {"source": "Interview at the permit counter", "date": "2026-12-02", "who": "Permit clerk"}
]
KINDS = ("insight", "pain_point", "journey_step", "constraint", "opportunity", "decision")


def findings_url(problem: dict[str, Any]) -> str:
    return f"/api/v1/problems/{problem['id']}/findings"


def journey_url(problem: dict[str, Any]) -> str:
    return f"/api/v1/problems/{problem['id']}/journey"


async def add(
    client: Client,
    city: City,
    problem: dict[str, Any],
    kind: str,
    title: str,
    who: str = "team_member",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    body = {"kind": kind, "title": title, "evidence": EVIDENCE, **fields}
    return await client.post(findings_url(problem), json=body, headers=headers or city.auth(who))


async def added(
    client: Client, city: City, problem: dict[str, Any], kind: str, title: str, **fields: Any
) -> dict[str, Any]:
    response = await add(client, city, problem, kind, title, **fields)
    assert response.status_code == 201, response.text
    finding: dict[str, Any] = response.json()
    return finding


async def journey(
    client: Client, city: City, problem: dict[str, Any], who: str = "requester"
) -> Any:
    return await client.get(journey_url(problem), headers=city.auth(who))


def step_titles(body: dict[str, Any]) -> list[tuple[int, str]]:
    return [(step["position"], step["title"]) for step in body["steps"]]


async def other_triager(city: City, db: asyncpg.Connection) -> dict[str, str]:
    """A second DTI product manager, not the one triaging the problems in these tests."""
    await db.execute(
        "INSERT INTO people (id, email, name, department_id, roles) "
        "VALUES ($1, 'pm.two@city.example', 'Pat Two', $2, '{triager,team_member}')",
        uuid.uuid4(),
        city.departments["DTI"],
    )
    return {"Authorization": f"Bearer {city.keys.issue('pm.two@city.example')}"}


# -- recording and reading -------------------------------------------------------------------


async def test_every_kind_is_recorded_with_its_evidence(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "discovery")
    created = {}
    for kind in KINDS:
        response = await add(
            client, city, problem, kind, f"  A {kind} we learned  ", detail="From the visits."
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"{findings_url(problem)}/{body['id']}"
        assert body["kind"] == kind
        assert body["title"] == f"A {kind} we learned"  # trimmed
        assert body["detail"] == "From the visits."
        assert body["evidence"] == EVIDENCE
        assert body["created_by"]["name"] == "Dev One"
        assert body["version"] == 1
        assert body["position"] == (1 if kind == "journey_step" else None)
        created[kind] = body

    # Anyone who can see the problem reads the findings, the requester included.
    one = await client.get(
        f"{findings_url(problem)}/{created['decision']['id']}", headers=city.auth("requester")
    )
    assert one.status_code == 200
    assert one.headers["etag"] == '"1"'
    assert one.json() == created["decision"]
    listed = await client.get(findings_url(problem), headers=city.auth("parks"))
    assert listed.status_code == 200
    assert {item["kind"] for item in listed.json()["items"]} == set(KINDS)

    added_events = [
        e for e in await events(client, city, problem["id"]) if e["type"] == "finding_added"
    ]
    assert [e["changes"]["kind"] for e in added_events] == list(KINDS)
    step_event = added_events[KINDS.index("journey_step")]
    assert step_event["actor"]["name"] == "Dev One"
    assert step_event["changes"]["finding_id"] == created["journey_step"]["id"]
    assert step_event["changes"]["position"] == {"from": None, "to": 1}
    assert step_event["changes"]["evidence"] == {"from": None, "to": EVIDENCE}


async def test_list_puts_steps_in_journey_order_then_the_rest_oldest_first(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "discovery")
    await added(client, city, problem, "insight", "Clerks retype every form")
    await added(client, city, problem, "journey_step", "Inspector visits")
    await added(client, city, problem, "decision", "Start with online applications")
    await added(client, city, problem, "journey_step", "Resident mails the form", position=1)
    await added(client, city, problem, "constraint", "State law requires a site visit")

    listed = await client.get(findings_url(problem), headers=city.auth("requester"))
    titles = [item["title"] for item in listed.json()["items"]]
    assert titles == [
        "Resident mails the form",
        "Inspector visits",
        "Clerks retype every form",
        "Start with online applications",
        "State law requires a site visit",
    ]

    # Pages follow the same order.
    paged, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await client.get(
            findings_url(problem), params=params, headers=city.auth("requester")
        )
        assert page.status_code == 200, page.text
        paged += [item["title"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert paged == titles

    filtered = await client.get(
        findings_url(problem),
        params={"kind": ["decision", "journey_step"]},
        headers=city.auth("requester"),
    )
    assert [item["title"] for item in filtered.json()["items"]] == [
        "Resident mails the form",
        "Inspector visits",
        "Start with online applications",
    ]
    bad = await client.get(
        findings_url(problem), params={"kind": "wish"}, headers=city.auth("requester")
    )
    assert_problem_json(bad, 422)


async def test_findings_are_validated_and_nothing_is_recorded_on_error(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "discovery")
    elsewhere = await in_phase(
        client, city, "discovery", title="Another problem, another journey", team_name="Other Team"
    )
    foreign_step = await added(client, city, elsewhere, "journey_step", "Their step")
    insight = await added(client, city, problem, "insight", "Not a step")
    url = findings_url(problem)
    auth = city.auth("team_member")

    async def refused(body: dict[str, Any], field: str, says: str = "") -> dict[str, Any]:
        response = await client.post(url, json=body, headers=auth)
        error = assert_problem_json(response, 422)
        assert field in {item["field"] for item in error["errors"]}, error
        assert says in error["errors"][0]["message"], error
        return error

    base = {"kind": "insight", "title": "Something", "evidence": EVIDENCE}
    await refused({"kind": "insight", "title": "No evidence"}, "evidence")
    await refused({**base, "evidence": []}, "evidence")
    await refused(
        {**base, "evidence": [{"source": "Interview", "date": "2026-12-02"}]},
        "evidence[0].who",
        "who",
    )
    await refused({**base, "evidence": [{**EVIDENCE[0], "date": "yesterday"}]}, "evidence[0].date")
    await refused({**base, "title": "   "}, "title")
    await refused({**base, "kind": "wish"}, "kind")
    await refused({**base, "status": "approved"}, "status")
    await refused({**base, "position": 1}, "position")
    await refused({**base, "journey_step_id": foreign_step["id"]}, "journey_step_id")
    pain = {**base, "kind": "pain_point"}
    error = await refused({**pain, "journey_step_id": foreign_step["id"]}, "journey_step_id")
    assert foreign_step["id"] in error["errors"][0]["message"]
    await refused({**pain, "journey_step_id": insight["id"]}, "journey_step_id")
    await refused({**pain, "journey_step_id": str(uuid.uuid4())}, "journey_step_id")
    step = {**base, "kind": "journey_step"}
    await refused({**step, "position": 0}, "position")
    error = await refused({**step, "position": 2}, "position")  # the journey is still empty
    assert "Between 1 and 1" in error["errors"][0]["message"]

    listed = await client.get(url, headers=auth)
    assert [item["id"] for item in listed.json()["items"]] == [insight["id"]]
    history = await events(client, city, problem["id"])
    assert [e["type"] for e in history].count("finding_added") == 1


async def test_a_retried_create_with_an_idempotency_key_records_one_finding(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "discovery")
    headers = {**city.auth("team_member"), "Idempotency-Key": "step-1"}
    first = await add(
        client, city, problem, "journey_step", "Resident mails the form", headers=headers
    )
    again = await add(
        client, city, problem, "journey_step", "Resident mails the form", headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    listed = await client.get(findings_url(problem), headers=city.auth("team_member"))
    assert len(listed.json()["items"]) == 1


async def test_a_finding_of_another_problem_is_not_found_here(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "discovery")
    elsewhere = await in_phase(
        client, city, "discovery", title="Another problem, another journey", team_name="Other Team"
    )
    theirs = await added(client, city, elsewhere, "insight", "Theirs")
    wrong = f"{findings_url(problem)}/{theirs['id']}"
    assert_problem_json(await client.get(wrong, headers=city.auth("team_member")), 404)
    patched = await client.patch(
        wrong, json={"title": "Mine now"}, headers={**city.auth("team_member"), "If-Match": '"1"'}
    )
    assert_problem_json(patched, 404)
    deleted = await client.delete(wrong, headers={**city.auth("team_member"), "If-Match": '"1"'})
    assert_problem_json(deleted, 404)
    missing = await client.get(
        f"/api/v1/problems/{uuid.uuid4()}/findings", headers=city.auth("admin")
    )
    assert_problem_json(missing, 404)


# -- the journey map -------------------------------------------------------------------------


async def test_the_journey_reads_step_by_step_with_its_pain_points(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "discovery")
    empty = await journey(client, city, problem)
    assert empty.status_code == 200
    assert empty.json() == {"steps": [], "unplaced_pain_points": []}
    mail = await added(client, city, problem, "journey_step", "Resident mails the form")
    visit = await added(client, city, problem, "journey_step", "Inspector visits")
    keyed = await added(client, city, problem, "journey_step", "Clerk keys it in", position=2)
    lost = await added(
        client, city, problem, "pain_point", "Forms get lost", journey_step_id=mail["id"]
    )
    waits = await added(
        client, city, problem, "pain_point", "Six weeks of silence", journey_step_id=visit["id"]
    )
    retyped = await added(
        client, city, problem, "pain_point", "Typos from retyping", journey_step_id=keyed["id"]
    )
    unplaced = await added(client, city, problem, "pain_point", "Nobody answers the phone")
    await added(client, city, problem, "insight", "Not on the map")

    response = await journey(client, city, problem, who="health")  # another department reads
    assert response.status_code == 200
    body = response.json()
    assert response.headers["etag"].startswith('"journey-')
    assert step_titles(body) == [
        (1, "Resident mails the form"),
        (2, "Clerk keys it in"),
        (3, "Inspector visits"),
    ]
    assert [[p["id"] for p in step["pain_points"]] for step in body["steps"]] == [
        [lost["id"]],
        [retyped["id"]],
        [waits["id"]],
    ]
    assert [p["id"] for p in body["unplaced_pain_points"]] == [unplaced["id"]]
    assert body["steps"][0]["evidence"] == EVIDENCE

    # The map's ETag changes when anything on it changes, and only then.
    same = await journey(client, city, problem)
    assert same.headers["etag"] == response.headers["etag"]
    await added(client, city, problem, "insight", "Still not on the map")
    assert (await journey(client, city, problem)).headers["etag"] == response.headers["etag"]
    await added(client, city, problem, "pain_point", "Fees unclear", journey_step_id=mail["id"])
    assert (await journey(client, city, problem)).headers["etag"] != response.headers["etag"]


async def test_reordering_the_journey(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "discovery")
    a = await added(client, city, problem, "journey_step", "A")
    b = await added(client, city, problem, "journey_step", "B")
    c = await added(client, city, problem, "journey_step", "C")
    pain = await added(client, city, problem, "pain_point", "Hurts at B", journey_step_id=b["id"])
    read = await journey(client, city, problem)
    tag = read.headers["etag"]
    auth = city.auth("team_member")

    async def reorder(
        step_ids: list[str], if_match: str | None = tag, who: str = "team_member"
    ) -> Any:
        headers = {**city.auth(who), **({"If-Match": if_match} if if_match else {})}
        return await client.put(journey_url(problem), json={"step_ids": step_ids}, headers=headers)

    assert_problem_json(await reorder([c["id"], a["id"], b["id"]], if_match=None), 428)
    assert_problem_json(await reorder([c["id"], a["id"], b["id"]], if_match='"journey-0"'), 412)
    assert_problem_json(await reorder([c["id"], a["id"], b["id"]], who="requester"), 403)

    # Not exactly the problem's steps: 422 naming what is missing, extra or repeated.
    elsewhere = await in_phase(
        client, city, "discovery", title="Another problem, another journey", team_name="Other Team"
    )
    foreign = await added(client, city, elsewhere, "journey_step", "Their step")
    cases = [
        ([c["id"], a["id"]], "Missing", b["id"]),
        ([c["id"], a["id"], b["id"], pain["id"]], "Not journey steps", pain["id"]),
        ([c["id"], a["id"], b["id"], foreign["id"]], "Not journey steps", foreign["id"]),
        ([c["id"], a["id"], b["id"], c["id"]], "more than once", c["id"]),
        ([], "Missing", a["id"]),
    ]
    for step_ids, what, named in cases:
        error = assert_problem_json(await reorder(step_ids), 422)
        messages = " ".join(item["message"] for item in error["errors"])
        assert what in messages and named in messages, (step_ids, error)
    assert_problem_json(await reorder(["not-a-uuid"]), 422)

    response = await reorder([c["id"], a["id"], b["id"]])
    assert response.status_code == 200, response.text
    body = response.json()
    assert step_titles(body) == [(1, "C"), (2, "A"), (3, "B")]
    assert [p["id"] for p in body["steps"][2]["pain_points"]] == [pain["id"]]
    assert response.headers["etag"] not in (tag, None)
    assert (await journey(client, city, problem)).json() == body
    listed = await client.get(findings_url(problem), headers=auth)
    assert [item["title"] for item in listed.json()["items"]][:3] == ["C", "A", "B"]

    # The tag read before the reorder is stale now; the new one works.
    assert_problem_json(await reorder([a["id"], b["id"], c["id"]]), 412)
    again = await reorder([a["id"], c["id"], b["id"]], if_match=response.headers["etag"])
    assert step_titles(again.json()) == [(1, "A"), (2, "C"), (3, "B")]

    reordered = [
        e for e in await events(client, city, problem["id"]) if e["type"] == "journey_reordered"
    ]
    assert [e["changes"]["step_ids"] for e in reordered] == [
        {"from": [a["id"], b["id"], c["id"]], "to": [c["id"], a["id"], b["id"]]},
        {"from": [c["id"], a["id"], b["id"]], "to": [a["id"], c["id"], b["id"]]},
    ]
    assert reordered[0]["actor"]["name"] == "Dev One"


# -- editing and removing --------------------------------------------------------------------


async def test_editing_a_finding_needs_its_current_etag(client: Client, city: City) -> None:
    problem = await in_phase(client, city, "discovery")
    step = await added(client, city, problem, "journey_step", "Resident mails the form")
    other_step = await added(client, city, problem, "journey_step", "Inspector visits")
    pain = await added(
        client, city, problem, "pain_point", "Forms get lost", journey_step_id=step["id"]
    )
    url = f"{findings_url(problem)}/{pain['id']}"
    auth = city.auth("team_member")
    change = {"title": "Forms get lost in the mail", "detail": "One in ten, by the clerks' count."}

    assert_problem_json(await client.patch(url, json=change, headers=auth), 428)
    assert_problem_json(
        await client.patch(url, json=change, headers={**auth, "If-Match": '"7"'}), 412
    )
    response = await client.patch(url, json=change, headers={**auth, "If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    assert response.json()["title"] == "Forms get lost in the mail"
    assert response.json()["version"] == 2
    # The earlier ETag is stale now.
    stale = await client.patch(url, json={"title": "Lost"}, headers={**auth, "If-Match": '"1"'})
    assert_problem_json(stale, 412)

    # A pain point moves to another step, or off the journey.
    moved = await client.patch(
        url, json={"journey_step_id": other_step["id"]}, headers={**auth, "If-Match": '"2"'}
    )
    assert moved.json()["journey_step_id"] == other_step["id"]
    off = await client.patch(
        url, json={"journey_step_id": None}, headers={**auth, "If-Match": '"3"'}
    )
    assert off.json()["journey_step_id"] is None
    assert [
        p["id"] for p in (await journey(client, city, problem)).json()["unplaced_pain_points"]
    ] == [pain["id"]]
    # Nothing changed: no new version, no event.
    unchanged = await client.patch(
        url, json={"journey_step_id": None}, headers={**auth, "If-Match": '"4"'}
    )
    assert unchanged.headers["etag"] == '"4"'

    # The kind is fixed, only pain points sit on steps, evidence stays non-empty.
    step_url = f"{findings_url(problem)}/{step['id']}"
    for body, field in (
        ({"kind": "insight"}, "kind"),
        ({"position": 2}, "position"),
        ({"journey_step_id": other_step["id"]}, "journey_step_id"),
        ({"evidence": []}, "evidence"),
        ({"title": " "}, "title"),
    ):
        error = assert_problem_json(
            await client.patch(step_url, json=body, headers={**auth, "If-Match": '"1"'}), 422
        )
        assert field in {item["field"] for item in error["errors"]}, error

    updated = [
        e for e in await events(client, city, problem["id"]) if e["type"] == "finding_updated"
    ]
    assert len(updated) == 3
    assert updated[0]["changes"]["finding_id"] == pain["id"]
    assert updated[0]["changes"]["title"] == {"from": "Forms get lost", "to": change["title"]}
    assert updated[0]["changes"]["detail"] == {"from": None, "to": change["detail"]}
    assert updated[1]["changes"]["journey_step_id"] == {"from": step["id"], "to": other_step["id"]}
    assert updated[2]["changes"]["journey_step_id"] == {"from": other_step["id"], "to": None}


async def test_removing_a_step_closes_the_gap_and_keeps_its_pain_points(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "discovery")
    a = await added(client, city, problem, "journey_step", "A")
    b = await added(client, city, problem, "journey_step", "B")
    await added(client, city, problem, "journey_step", "C")
    pain = await added(client, city, problem, "pain_point", "Hurts at B", journey_step_id=b["id"])
    url = f"{findings_url(problem)}/{b['id']}"
    auth = city.auth("team_member")

    assert_problem_json(await client.delete(url, headers=auth), 428)
    assert_problem_json(await client.delete(url, headers={**auth, "If-Match": '"2"'}), 412)
    response = await client.delete(url, headers={**auth, "If-Match": '"1"'})
    assert response.status_code == 204, response.text
    assert_problem_json(await client.get(url, headers=auth), 404)

    body = (await journey(client, city, problem)).json()
    assert step_titles(body) == [(1, "A"), (2, "C")]
    assert [p["id"] for p in body["unplaced_pain_points"]] == [pain["id"]]
    detached = await client.get(f"{findings_url(problem)}/{pain['id']}", headers=auth)
    assert detached.json()["journey_step_id"] is None
    assert detached.headers["etag"] == '"2"'  # its representation changed

    # A new step appends after the renumbered ones.
    d = await added(client, city, problem, "journey_step", "D")
    assert d["position"] == 3

    # Removing something that is not a step leaves the journey alone.
    removed = await client.delete(
        f"{findings_url(problem)}/{pain['id']}", headers={**auth, "If-Match": '"2"'}
    )
    assert removed.status_code == 204
    assert step_titles((await journey(client, city, problem)).json()) == [
        (1, "A"),
        (2, "C"),
        (3, "D"),
    ]
    assert a["id"] == (await journey(client, city, problem)).json()["steps"][0]["id"]

    gone = [e for e in await events(client, city, problem["id"]) if e["type"] == "finding_removed"]
    assert gone[0]["changes"] == {
        "finding_id": b["id"],
        "kind": "journey_step",
        "title": {"from": "B", "to": None},
        "position": {"from": 2, "to": None},
        "detached_pain_point_ids": [pain["id"]],
    }
    assert gone[1]["changes"]["finding_id"] == pain["id"]
    assert gone[1]["actor"]["name"] == "Dev One"


# -- who may write, and when -----------------------------------------------------------------


async def test_only_the_problems_triager_and_team_write_findings(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await in_phase(client, city, "discovery")
    outsider = await other_triager(city, db)
    finding = await added(client, city, problem, "journey_step", "Resident mails the form")
    url = f"{findings_url(problem)}/{finding['id']}"
    tag = (await journey(client, city, problem)).headers["etag"]

    callers = {who: city.auth(who) for who in ("requester", "leader", "admin", "health")}
    callers["other triager"] = outsider
    for who, auth in callers.items():
        writes = [
            await add(client, city, problem, "insight", "Mine", headers=auth),
            await client.patch(url, json={"title": "Mine"}, headers={**auth, "If-Match": '"1"'}),
            await client.delete(url, headers={**auth, "If-Match": '"1"'}),
            await client.put(
                journey_url(problem),
                json={"step_ids": [finding["id"]]},
                headers={**auth, "If-Match": tag},
            ),
        ]
        for response in writes:
            assert_problem_json(response, 403)
        # ... while each of them reads.
        assert (await client.get(url, headers=auth)).status_code == 200, who

    # The problem's own triager writes, as its team's members do.
    assert (
        await add(client, city, problem, "decision", "Go digital", who="triager")
    ).status_code == 201
    history = await events(client, city, problem["id"])
    assert [e["type"] for e in history].count("finding_added") == 2


async def test_a_hidden_restricted_problem_is_404_for_reading_and_writing(
    client: Client, city: City
) -> None:
    problem = await in_phase(client, city, "discovery", restricted=True)
    finding = await added(client, city, problem, "insight", "Sensitive")
    health = city.auth("health")  # another department, no collaboration
    url = f"{findings_url(problem)}/{finding['id']}"
    for response in (
        await client.get(findings_url(problem), headers=health),
        await client.get(url, headers=health),
        await client.get(journey_url(problem), headers=health),
        await add(client, city, problem, "insight", "Peek", headers=health),
        await client.patch(url, json={"title": "x"}, headers={**health, "If-Match": '"1"'}),
        await client.delete(url, headers={**health, "If-Match": '"1"'}),
        await client.put(
            journey_url(problem), json={"step_ids": []}, headers={**health, "If-Match": "*"}
        ),
    ):
        assert_problem_json(response, 404)
    # The owning department still reads it.
    assert (await client.get(url, headers=city.auth("requester2"))).status_code == 200


async def test_findings_are_written_only_while_the_work_is_open(client: Client, city: City) -> None:
    # Before acceptance: even the problem's own triager is refused, with the state named.
    early = await submitted(client, city, title="Still being triaged, no findings yet")
    assert (await act(client, city, early, "triage")).status_code == 200
    error = assert_problem_json(
        await add(client, city, early, "insight", "Too soon", who="triager"), 409
    )
    assert error["current_state"] == "triage"

    # Accepted (before discovery starts) and on hold are open.
    problem = await paired(client, city)
    assert (await add(client, city, problem, "insight", "Early insight")).status_code == 201
    assert (await act(client, city, problem, "hold", body={"reason": "Budget"})).status_code == 200
    step = await added(client, city, problem, "journey_step", "Recorded while on hold")
    assert (await act(client, city, problem, "resume")).status_code == 200

    # Closed: reading goes on, writing stops.
    for action, body in (
        ("start-discovery", None),
        ("start-delivery", {"phase": "alpha"}),
        ("launch", None),
        ("close", {"result": "achieved", "summary": "Done.", "lessons": "Start earlier."}),
    ):
        assert (await act(client, city, problem, action, body=body)).status_code == 200
    auth = city.auth("team_member")
    url = f"{findings_url(problem)}/{step['id']}"
    read = await journey(client, city, problem)
    assert read.status_code == 200
    for response in (
        await add(client, city, problem, "insight", "Too late"),
        await client.patch(url, json={"title": "Late"}, headers={**auth, "If-Match": '"1"'}),
        await client.delete(url, headers={**auth, "If-Match": '"1"'}),
        await client.put(
            journey_url(problem),
            json={"step_ids": [step["id"]]},
            headers={**auth, "If-Match": read.headers["etag"]},
        ),
    ):
        assert assert_problem_json(response, 409)["current_state"] == "closed"
    assert (await client.get(url, headers=city.auth("requester"))).status_code == 200
