"""The triager's pages over HTTP: the queue with its clocks, filters and pages; the triage
page's actions, each offered only when legal; mistakes, stale forms and double clicks;
who is kept out."""

from __future__ import annotations

import re
from typing import Any

import asyncpg

from tests.builders import City
from tests.helpers import act, events, submitted
from tests.pages.helpers import Client, csrf_of, form, sign_in


def form_of(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to ``.../<action>`` on the page."""
    found = re.search(
        rf'<form method="post" action="(/triage/[^"]+/{action})"(.*?)</form>', html, re.S
    )
    assert found, f"the page offers no {action} form"
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', found.group(2)))
    fields["_path"] = found.group(1)
    return fields


async def post_form(client: Client, page: str, action: str, **typed: Any) -> Any:
    """Post the ``action`` form of the page as it is now, with what was typed."""
    fields = form_of((await client.get(page)).text, action)
    path = fields.pop("_path")
    return await client.post(path, data={**fields, **typed}, follow_redirects=False)


async def fresh(client: Client, city: City, problem: dict[str, Any]) -> dict[str, Any]:
    """The problem with its current ETag, after the pages changed it."""
    response = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("triager"))
    problem.update(response.json(), etag=response.headers["etag"])
    return problem


def offered(html: str) -> set[str]:
    return set(re.findall(r'<form method="post" action="/triage/[^"]+/([a-z-]+)"', html))


async def test_a_requester_and_a_team_member_are_kept_out(client: Client, city: City) -> None:
    mine = await submitted(client, city, "requester")
    hidden = await submitted(client, city, "health", restricted=True)
    await sign_in(client, "requester")
    queue = await client.get("/triage")
    assert queue.status_code == 403
    assert "You cannot do that" in queue.text and mine["title"] not in queue.text
    page = await client.get(f"/triage/{mine['id']}")
    assert page.status_code == 403
    assert "Take it into triage" not in page.text
    assert (await client.get(f"/triage/{hidden['id']}")).status_code == 404
    assert 'href="/triage"' not in (await client.get("/")).text  # no link in the menu

    await sign_in(client, "team_member")
    assert (await client.get("/triage")).status_code == 403
    assert (await client.get(f"/triage/{mine['id']}")).status_code == 403


async def test_the_queue_shows_both_clocks_in_words(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    fresh = await submitted(client, city, "requester", title="Potholes are reported by phone")
    late = await submitted(client, city, "health", title="Clinic bookings are kept on paper")
    await db.execute(
        "UPDATE problems SET first_response_due_at = now() - interval '2 days', "
        "decision_due_at = now() - interval '1 day' WHERE id = $1",
        late["id"],
    )
    await sign_in(client, "triager")
    response = await client.get("/triage")
    assert response.status_code == 200
    rows = response.text.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert [late["title"] in rows[0], fresh["title"] in rows[1]] == [True, True]  # due first
    assert "Breached</span> Overdue by" in rows[0]
    # Business days left, whatever the day and hour the test runs.
    assert len(re.findall(r"On time</span> [\d.]+ business days? left: due", rows[1])) == 2
    assert "Nobody yet" in rows[1] and "Not scored" in rows[1]
    assert f'href="/triage/{fresh["id"]}"' in rows[1]


async def test_the_queue_filters_as_a_get_form(client: Client, city: City) -> None:
    dot = await submitted(client, city, "requester", title="Potholes are reported by phone")
    dph = await submitted(client, city, "health", title="Clinic bookings are kept on paper")
    await act(client, city, dph, "triage")
    await sign_in(client, "triager")

    async def titles(query: str) -> set[str]:
        response = await client.get("/triage?" + query)
        assert response.status_code == 200, response.text
        table = response.text.split("<tbody>")[1] if "<tbody>" in response.text else ""
        return {t for t in (dot["title"], dph["title"]) if t in table}

    assert await titles("") == {dot["title"], dph["title"]}
    assert await titles("department=DPH") == {dph["title"]}
    assert await titles("triager=me") == {dph["title"]}
    assert await titles("triager=none") == {dot["title"]}
    assert await titles("status=submitted&status=needs_info") == {dot["title"]}
    assert await titles("breached=yes") == set()
    assert await titles("breached=no&min_age_days=0") == {dot["title"], dph["title"]}
    assert await titles("min_age_days=3") == set()
    kept = await client.get("/triage?department=DPH&triager=me&breached=no")
    assert '<option value="DPH" selected>' in kept.text  # the form shows what was chosen
    assert '<option value="me" selected>' in kept.text


async def test_the_queue_sorts_by_score_or_age_and_pages_in_that_order(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    made = [
        await submitted(client, city, "requester", title=f"Permit backlog number {n:02d}")
        for n in range(27)
    ]
    for n, problem in enumerate(made):  # scores 0..26; the oldest has the lowest
        await db.execute(
            "UPDATE problems SET score = $2, submitted_at = now() - make_interval(hours => $3),"
            " decision_due_at = now() + make_interval(hours => $4) WHERE id = $1",
            problem["id"],
            n,
            100 - n,
            n,
        )
    await sign_in(client, "triager")

    async def titles(query: str) -> tuple[list[str], str | None]:
        response = await client.get("/triage?" + query)
        assert response.status_code == 200, response.text
        later = re.search(r'href="/triage\?([^"]*cursor=[^"]+)" rel="next"', response.text)
        found = re.findall(r"Permit backlog number (\d\d)", response.text.split("<tbody>")[1])
        return found, later.group(1).replace("&amp;", "&") if later else None

    by_due, _ = await titles("")
    assert by_due[:3] == ["00", "01", "02"]
    by_score, more = await titles("sort=score")
    assert by_score[:3] == ["26", "25", "24"] and more and "sort=score" in more
    rest, last = await titles(more)
    assert rest == ["01", "00"] and last is None
    oldest, more = await titles("sort=oldest")
    assert oldest[:2] == ["00", "01"] and more
    rest, _ = await titles(more)
    assert rest == ["25", "26"]
    wrong = await client.get("/triage?" + more.replace("sort=oldest", "sort=score"))
    assert wrong.status_code == 422  # a cursor of another order


async def test_bad_filters_are_a_clear_page(client: Client, city: City) -> None:
    await submitted(client, city, "requester")
    await sign_in(client, "triager")
    for query, field in (
        ("min_age_days=soon", "min_age_days"),
        ("min_age_days=99999", "min_age_days"),
        ("status=closed", "status"),
        ("triager=someone", "triager"),
        ("breached=maybe", "breached"),
        ("sort=newest", "sort"),
        ("department=%00%00", "department"),
    ):
        response = await client.get("/triage?" + query)
        assert response.status_code == 422, query
        assert f'href="#{field}"' in response.text.split('class="error-summary"')[1], query
    cursor = await client.get("/triage?cursor=not-a-cursor")
    assert cursor.status_code == 422
    assert cursor.headers["content-type"].startswith("text/html")


async def test_the_queue_comes_in_pages(client: Client, city: City) -> None:
    for n in range(26):
        await submitted(client, city, "requester", title=f"Permit backlog number {n:02d}")
    await sign_in(client, "triager")
    first = await client.get("/triage?department=DOT")
    assert first.text.count('<tr>\n    <td data-label="Problem">') == 25
    link = re.search(r'href="(/triage\?[^"]*cursor=[^"]+)" rel="next"', first.text)
    assert link and "department=DOT" in link.group(1)
    second = await client.get(link.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert second.text.count('<tr>\n    <td data-label="Problem">') == 1
    assert "First page" in second.text and 'rel="next"' not in second.text
    seen = set(re.findall(r"Permit backlog number \d\d", first.text + second.text))
    assert len(seen) == 26


async def test_a_triager_takes_asks_scores_accepts_and_pairs_via_the_pages(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city, "requester")
    page = f"/triage/{problem['id']}"
    await sign_in(client, "triager")
    record = await client.get(f"/problems/{problem['id']}")
    assert f'<a class="button" href="{page}">Triage page</a>' in record.text
    before = (await client.get(page)).text
    assert offered(before) == {"take", "mark-duplicate", "score", "link"}

    taken = await post_form(client, page, "take")
    assert taken.status_code == 303 and taken.headers["location"] == f"{page}?done=triage"
    now = await client.get(taken.headers["location"])
    assert "You took this problem into triage" in now.text
    assert "Taken by</dt><dd>Priya One" in now.text
    assert "Met</span> Met in time" in now.text
    assert {"request-info", "accept", "decline", "redirect", "mark-duplicate", "reassign"} <= (
        offered(now.text)
    )
    assert "take" not in offered(now.text)

    empty = await post_form(client, page, "request-info", questions="   ")
    assert empty.status_code == 422
    assert 'href="#questions">Your questions for the requester: Enter your questions' in empty.text
    asked = await post_form(client, page, "request-info", questions="How many a month?")
    assert asked.status_code == 303
    waiting = (await client.get(page)).text
    assert "Waiting for the requester" in waiting and "Paused</span>" in waiting
    assert offered(waiting) == {"mark-duplicate", "reassign", "score", "link"}  # only legal
    answered = await act(
        client, city, await fresh(client, city, problem), "respond", "requester", {"answer": "200"}
    )
    assert answered.status_code == 200, answered.text

    partial = await post_form(client, page, "score", reach="4", effort="m")
    assert partial.status_code == 422
    assert 'href="#severity"' in partial.text and 'value="4" checked' in partial.text
    ratings = {"reach": "4", "severity": "5", "urgency": "3", "equity": "4"}
    scored = await post_form(
        client, page, "score", **ratings, alignment="3", confidence="2", effort="m"
    )
    assert scored.status_code == 303
    shown = (await client.get(page)).text
    assert "62 out of 100" in shown
    assert "rated 4 of 5 x weight 20/100 = 15.0 points" in shown
    assert "About 2,400 people a year are affected" in shown  # the suggestion, explained

    accepted = await post_form(client, page, "accept", accept_reason="High reach.")
    assert accepted.status_code == 303
    assert await db.fetchval("SELECT status FROM problems") == "accepted"
    assert "The problem is accepted" in (await client.get(accepted.headers["location"])).text

    team = await client.post(
        "/api/v1/teams",
        json={
            "name": "Permits Team",
            "disciplines": ["product_management", "civic_design", "data", "software_engineering"],
            "wip_limit": 1,
        },
        headers=city.auth("admin"),
    )
    assert team.status_code == 201, team.text
    busy = await submitted(client, city, "health", title="Clinic bookings are kept on paper")
    for action in ("triage", "accept"):
        await act(client, city, busy, action)
    taken_up = await client.put(
        f"/api/v1/problems/{busy['id']}/team",
        json={"team_id": team.json()["id"]},
        headers={**city.auth("triager"), "If-Match": busy["etag"]},
    )
    assert taken_up.status_code == 200, taken_up.text
    recommended = (await client.get(page)).text
    assert "1. Permits Team" in recommended
    assert "at its WIP limit (1 active of 1): needs an override" in recommended
    refused = await post_form(client, page, "team", team_id=team.json()["id"])
    assert refused.status_code == 409
    assert 'href="#override_reason"' in refused.text and "WIP limit" in refused.text
    team_of = "SELECT team_id FROM problems WHERE id = $1"
    assert await db.fetchval(team_of, problem["id"]) is None
    paired = await post_form(
        client, page, "team", team_id=team.json()["id"], override_reason="Mayor's priority."
    )
    assert paired.status_code == 303
    assert "Product team</dt><dd>Permits Team" in (await client.get(page)).text
    history = await events(client, city, problem["id"])
    assigned = [e for e in history if e["type"] == "team_assigned"]
    assert assigned[0]["reason"] == "Mayor's priority." and assigned[0]["changes"]["wip_override"]


async def test_a_stale_form_does_nothing_and_names_what_changed(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city, "requester")
    await act(client, city, problem, "triage")
    page = f"/triage/{problem['id']}"
    await sign_in(client, "triager")
    fields = form_of((await client.get(page)).text, "decline")
    await act(client, city, problem, "request-info", body={"questions": "Which wards?"})
    path = fields.pop("_path")
    stale = await client.post(path, data={**fields, "decline_reason": "Covered by the state."})
    assert stale.status_code == 412
    notice = stale.text.split("Someone changed this problem after you opened it")[1]
    assert "info requested (Waiting for the requester)" in notice.split("</div>")[0]
    assert "Which wards?" in notice.split("</div>")[0]
    assert "Covered by the state." in notice.split("</div>")[0]  # what was typed is kept
    assert await db.fetchval("SELECT status FROM problems") == "needs_info"


async def test_a_double_clicked_action_acts_once(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    problem = await submitted(client, city, "requester")
    await act(client, city, problem, "triage")
    await sign_in(client, "triager")
    fields = form_of((await client.get(f"/triage/{problem['id']}")).text, "accept")
    path = fields.pop("_path")
    one = await client.post(path, data=fields, follow_redirects=False)
    two = await client.post(path, data=fields, follow_redirects=False)
    assert one.status_code == two.status_code == 303
    assert one.headers["location"] == two.headers["location"]
    count = "SELECT count(*) FROM problem_events WHERE type = 'accepted'"
    assert await db.fetchval(count) == 1


async def test_decline_and_redirect_need_reasons(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    one = await submitted(client, city, "requester")
    two = await submitted(client, city, "requester", title="Street lights stay broken")
    for problem in (one, two):
        await act(client, city, problem, "triage")
    await sign_in(client, "triager")
    page = f"/triage/{one['id']}"
    missing = await post_form(client, page, "decline", decline_reason="")
    assert missing.status_code == 422 and 'href="#decline_reason"' in missing.text
    declined = await post_form(client, page, "decline", decline_reason="The state does it.")
    assert declined.status_code == 303
    shown = (await client.get(declined.headers["location"])).text
    assert "The problem is declined" in shown and not offered(shown) - {"link"}

    page = f"/triage/{two['id']}"
    nowhere = await post_form(client, page, "redirect", redirect_reason="Not ours.")
    assert nowhere.status_code == 422 and 'href="#redirect_department"' in nowhere.text
    redirected = await post_form(
        client,
        page,
        "redirect",
        redirect_reason="The utility maintains street lights.",
        redirect_department="DPH",
        redirect_channel="Utility service desk",
    )
    assert redirected.status_code == 303
    row = await db.fetchrow(
        "SELECT p.status, d.code, p.redirect_channel FROM problems p "
        "JOIN departments d ON d.id = p.redirected_to_department_id WHERE p.id = $1",
        two["id"],
    )
    assert tuple(row) == ("redirected", "DPH", "Utility service desk")


async def test_mark_duplicate_shows_who_moved_and_who_did_not(client: Client, city: City) -> None:
    primary = await submitted(client, city, "health", restricted=True, title="Clinic queues")
    duplicate = await submitted(client, city, "requester", title="Clinic queues at DOT too")
    followed = await client.post(
        f"/api/v1/problems/{duplicate['id']}/watchers", json={}, headers=city.auth("parks")
    )
    assert followed.status_code in (200, 201), followed.text
    await act(client, city, duplicate, "triage")
    await sign_in(client, "triager")
    page = f"/triage/{duplicate['id']}"
    suggested = (await client.get(page)).text
    use = f'href="{page}?primary={primary["reference"]}#primary"'
    assert use in suggested.split('id="similar"')[1]  # a similar problem, one click away
    prefilled = await client.get(f"{page}?primary={primary['reference']}")
    assert f'name="primary" value="{primary["reference"]}"' in prefilled.text
    unknown = await post_form(
        client, page, "mark-duplicate", primary="P-1999-00001", duplicate_reason="Same."
    )
    assert unknown.status_code == 422
    assert "There is no problem you can see with this reference" in unknown.text
    marked = await post_form(
        client,
        page,
        "mark-duplicate",
        primary=primary["reference"].lower(),
        duplicate_reason="Same clinic queues.",
    )
    assert marked.status_code == 303
    shown = (await client.get(page)).text
    moved = shown.split("Moved to the primary problem")[1].split("</section>")[0]
    assert primary["reference"] in moved
    assert "1 watcher and 0 collaborators moved" in moved  # the triager
    assert "Tom Reyes (watcher): Cannot see the primary problem" in moved
    assert "Rosa Diaz (watcher)" in moved


async def test_hold_resume_and_link(client: Client, city: City, db: asyncpg.Connection) -> None:
    problem = await submitted(client, city, "requester")
    other = await submitted(client, city, "health", title="Clinic bookings are kept on paper")
    for action in ("triage", "accept"):
        await act(client, city, problem, action)
    await sign_in(client, "triager")
    page = f"/triage/{problem['id']}"
    before = (await client.get(page)).text
    assert {"hold", "link", "score"} <= offered(before)
    assert "There are no active product teams to pair it with" in before
    held = await post_form(client, page, "hold", hold_reason="Waiting on budget.")
    assert held.status_code == 303
    shown = (await client.get(page)).text
    assert "resume" in offered(shown) and "hold" not in offered(shown)
    assert "It goes back to Accepted." in shown
    resumed = await post_form(client, page, "resume")
    assert resumed.status_code == 303
    assert await db.fetchval("SELECT status FROM problems WHERE id = $1", problem["id"]) == (
        "accepted"
    )

    linked = await post_form(client, page, "link", link_to=other["reference"], link_type="blocks")
    assert linked.status_code == 303
    assert f'Blocks <a href="/triage/{other["id"]}">' in (await client.get(page)).text
    there = (await client.get(f"/triage/{other['id']}")).text
    assert f'Blocked by <a href="/triage/{problem["id"]}">' in there
    again = await post_form(client, page, "link", link_to=other["reference"], link_type="blocks")
    assert again.status_code == 409 and "already linked" in again.text


async def test_hand_a_problem_to_another_triager(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    await db.execute(
        "INSERT INTO people (id, email, name, department_id, roles) "
        "VALUES (gen_random_uuid(), 'pm.two@city.example', 'Priya Two', $1, $2)",
        city.departments["DTI"],
        ["triager"],
    )
    problem = await submitted(client, city, "requester")
    await act(client, city, problem, "triage")
    await sign_in(client, "admin")  # operations move the work of a triager who has left
    page = f"/triage/{problem['id']}"
    assert offered((await client.get(page)).text) == {"reassign"}
    wrong = await post_form(client, page, "reassign", triager_email="rosa.diaz@city.example")
    assert wrong.status_code == 422
    assert "is not an active triager" in wrong.text.split('class="error-summary"')[1]
    bad = await post_form(client, page, "reassign", triager_email="not an address")
    assert bad.status_code == 422 and 'href="#triager_email"' in bad.text
    handed = await post_form(
        client,
        page,
        "reassign",
        triager_email="pm.two@city.example",
        reassign_reason="Priya Two leads the permits work from now on.",
    )
    assert handed.status_code == 303
    assert "Taken by</dt><dd>Priya Two" in (await client.get(handed.headers["location"])).text
    owner = "SELECT name FROM people WHERE id = (SELECT triager_id FROM problems)"
    assert await db.fetchval(owner) == "Priya Two"


async def test_leadership_reads_the_queue_and_page_without_forms(
    client: Client, city: City
) -> None:
    problem = await submitted(client, city, "requester")
    await sign_in(client, "leader")
    queue = await client.get("/triage")
    assert queue.status_code == 200 and problem["title"] in queue.text
    page = await client.get(f"/triage/{problem['id']}")
    assert page.status_code == 200 and offered(page.text) == set()
    assert "There is nothing for you to do on this problem now" in page.text
    refused = await client.post(
        f"/triage/{problem['id']}/take",
        data={"csrf_token": csrf_of(page.text), "version": str(problem["version"])},
    )
    assert refused.status_code == 403


async def test_bad_triage_input_is_a_page_never_a_500(client: Client, city: City) -> None:
    problem = await submitted(client, city, "requester")
    await act(client, city, problem, "triage")
    await sign_in(client, "triager")
    page = f"/triage/{problem['id']}"
    for action, typed in (
        ("score", {"reach": "9", "severity": "x", "effort": "huge"}),
        ("score", {"score_notes": "n" * 6000}),
        ("decline", {"decline_reason": "nul \x00 byte"}),
        ("decline", {"version": "abc", "decline_reason": "Fine."}),
        ("decline", {"version": "9" * 40, "decline_reason": "Fine."}),
        ("accept", {"idempotency_key": "\x01" * 300}),
        ("mark-duplicate", {"primary": "not a reference", "duplicate_reason": "x"}),
        ("mark-duplicate", {"primary": problem["id"], "duplicate_reason": "Itself."}),
        ("link", {"link_to": problem["reference"], "link_type": "parent"}),
        ("redirect", {"redirect_reason": "x", "redirect_department": "NOPE!"}),
        ("redirect", {"redirect_reason": "x", "redirect_channel": "c" * 300}),
    ):
        response = await post_form(client, page, action, **typed)
        assert 400 <= response.status_code < 500, (action, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), action
    fields = form_of((await client.get(page)).text, "accept")
    del fields["_path"]
    team = await client.post(f"{page}/team", data={**fields, "team_id": "x"})
    assert 400 <= team.status_code < 500
    unknown = await client.get("/triage/6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11")
    assert unknown.status_code == 404


async def test_digits_int_refuses_are_a_page_not_a_500(client: Client, city: City) -> None:
    """ "²" is a digit to str.isdigit but not to int: every number a page reads."""
    problem = await submitted(client, city, "requester")
    await act(client, city, problem, "triage")
    csrf = await sign_in(client, "requester")
    new = await client.post(
        "/problems/new", data=form(csrf_token=csrf, affected_people_per_year="²")
    )
    assert new.status_code == 422 and 'href="#affected_people_per_year"' in new.text
    await sign_in(client, "triager")
    page = f"/triage/{problem['id']}"
    queue = await client.get("/triage?min_age_days=²")
    assert queue.status_code == 422 and 'href="#min_age_days"' in queue.text
    stale = await post_form(client, page, "decline", version="²", seen="²", decline_reason="x")
    assert stale.status_code == 412 and "Someone changed this problem" in stale.text
