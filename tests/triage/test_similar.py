"""Similar problems: stored when a problem is submitted or its words change, read with the
reader's visibility, filled on first read for problems from before they were stored; and
which words the search uses. (More in test_triage_pairing; the backfill: test_cli.)"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from intake.triage import similar
from tests.builders import City
from tests.helpers import (
    INSPECTIONS,
    LIBRARY,
    PLAIN,
    Client,
    act,
    draft,
    events,
    ids,
    similar_to,
    submitted,
)

INSPECTIONS_TOO = {
    **PLAIN,
    "title": "Paper forms for scheduling inspections",
    "problem_statement": "Health inspectors book inspection visits with paper forms.",
}
LIBRARY_TOO = {
    **PLAIN,
    "title": "Renewing a library card takes a trip to the branch",
    "problem_statement": "Library patrons travel to a branch to renew their cards.",
}


async def edit(
    client: Client, city: City, problem: dict[str, Any], who: str = "requester", **fields: Any
) -> None:
    response = await client.patch(
        f"/api/v1/problems/{problem['id']}",
        json=fields,
        headers={**city.auth(who), "If-Match": problem["etag"]},
    )
    assert response.status_code == 200, response.text


async def test_submit_stores_the_matches_and_the_older_problem_lists_the_newer_one(
    client: Client, city: City
) -> None:
    older = await submitted(client, city, **INSPECTIONS)
    assert await similar_to(client, city, older) == []  # nothing like it yet

    newer = await submitted(client, city, "health", **INSPECTIONS_TOO)
    assert ids(newer["similar_problems"]) == [older["id"]]
    # Submitting the newer problem listed it on the older one, with the same score.
    back = await similar_to(client, city, older, who="requester")
    assert ids(back) == [newer["id"]]
    assert back[0]["similarity"] == newer["similar_problems"][0]["similarity"] > 0
    assert back[0]["other_department"] is True
    assert back[0]["department"]["code"] == "DPH"
    assert "P-" in back[0]["suggestion"] and "collaborat" in back[0]["suggestion"]
    assert await similar_to(client, city, newer) == newer["similar_problems"]


async def test_a_problem_keeps_only_its_best_matches(
    client: Client, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(similar, "KEEP", 2)
    first = await submitted(client, city, title="Paper forms for street tree permits")
    closest = await submitted(client, city, title="Paper forms for street tree permits, again")
    await submitted(client, city, title="Paper forms")
    await submitted(client, city, title="Street tree paper forms for permits today")
    found = await similar_to(client, city, first)
    assert len(found) == 2  # four others match it; the weakest one was let go
    assert closest["id"] in ids(found)
    assert found[0]["similarity"] >= found[1]["similarity"]


async def test_editing_the_words_recomputes_the_matches_both_ways(
    client: Client, city: City
) -> None:
    inspections = await submitted(client, city, "health", **INSPECTIONS)
    library = await submitted(client, city, "parks", **LIBRARY)
    problem = await submitted(client, city, **INSPECTIONS_TOO)
    assert ids(await similar_to(client, city, problem)) == [inspections["id"]]
    assert ids(await similar_to(client, city, inspections)) == [problem["id"]]

    assert (await act(client, city, problem, "triage")).status_code == 200
    asked = {"questions": "Is this really about inspections?"}
    assert (await act(client, city, problem, "request-info", body=asked)).status_code == 200
    await edit(client, city, problem, **LIBRARY_TOO)

    assert ids(await similar_to(client, city, problem)) == [library["id"]]
    assert ids(await similar_to(client, city, library)) == [problem["id"]]
    assert await similar_to(client, city, inspections) == []  # no longer alike


async def test_a_list_gets_back_what_it_let_go_when_a_match_changes_its_words(
    client: Client, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(similar, "KEEP", 1)
    inspections = await submitted(client, city, "health", **INSPECTIONS)
    library = await submitted(client, city, "parks", **LIBRARY)
    first = await submitted(client, city, **INSPECTIONS_TOO)
    # A closer match pushes `first` out of the one-place list of `inspections`.
    closer = await submitted(
        client, city, "parks", **{**INSPECTIONS, "title": INSPECTIONS["title"] + "!"}
    )
    assert ids(await similar_to(client, city, inspections)) == [closer["id"]]

    assert (await act(client, city, closer, "triage")).status_code == 200
    asked = {"questions": "Is this really about inspections?"}
    assert (await act(client, city, closer, "request-info", body=asked)).status_code == 200
    await edit(client, city, closer, who="parks", **LIBRARY_TOO)

    # `inspections` lost its match and is searched again: `first` is back.
    assert ids(await similar_to(client, city, inspections)) == [first["id"]]
    assert ids(await similar_to(client, city, closer)) == [library["id"]]


async def test_other_edits_leave_the_matches_alone(client: Client, city: City) -> None:
    other = await submitted(client, city, "health", **INSPECTIONS)
    problem = await submitted(client, city, **INSPECTIONS_TOO)
    assert (await act(client, city, problem, "triage")).status_code == 200
    asked = {"questions": "How many a year?"}
    assert (await act(client, city, problem, "request-info", body=asked)).status_code == 200
    before = await similar_to(client, city, problem)
    await edit(client, city, problem, affected_people_per_year=5000)
    assert await similar_to(client, city, problem) == before
    assert ids(before) == [other["id"]]


async def test_restricted_matches_show_only_to_those_who_may_see_them(
    client: Client, city: City
) -> None:
    restricted = await submitted(
        client,
        city,
        "health",
        title="Lead pipe notices are mailed late",
        problem_statement="Residents learn about lead service lines months late.",
        restricted=True,
    )
    visible = await submitted(
        client,
        city,
        "parks",
        title="Lead pipe replacement notices confuse residents",
        problem_statement="Notices about lead service lines are hard to read.",
    )
    mine = await submitted(
        client,
        city,
        title="Lead service line notices arrive late",
        problem_statement="Lead pipe notices reach residents late.",
    )
    # Stored whoever may see it; each reader sees what is theirs to see.
    assert ids(mine["similar_problems"]) == [visible["id"]]  # the submitter is in DOT
    assert ids(await similar_to(client, city, mine, who="requester")) == [visible["id"]]
    assert ids(await similar_to(client, city, mine, who="parks")) == [visible["id"]]
    everything = {restricted["id"], visible["id"]}
    assert set(ids(await similar_to(client, city, mine, who="triager"))) == everything
    assert set(ids(await similar_to(client, city, mine, who="leader"))) == everything
    # Its own department sees it, and the reverse edge: the DOT problem on the restricted one.
    on_restricted = await similar_to(client, city, restricted, who="health")
    assert set(ids(on_restricted)) == {mine["id"], visible["id"]}
    response = await client.get(
        f"/api/v1/problems/{restricted['id']}/similar", headers=city.auth("requester")
    )
    assert response.status_code == 404

    # A department collaborating on the restricted problem sees it from then on.
    added = await client.post(
        f"/api/v1/problems/{restricted['id']}/collaborators",
        json={"department": "DOT"},
        headers=city.auth("health"),
    )
    assert added.status_code == 201, added.text
    assert set(ids(await similar_to(client, city, mine, who="requester"))) == everything


async def test_problems_from_before_are_filled_on_their_first_read(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    older = await submitted(client, city, **INSPECTIONS)
    newer = await submitted(client, city, "health", **INSPECTIONS_TOO)
    # As the migration leaves a city that existed before matches were stored.
    await db.execute("DELETE FROM problem_similarities")
    await db.execute("UPDATE problems SET similar_computed_at = NULL")
    url = f"/api/v1/problems/{older['id']}"
    before = await client.get(url, headers=city.auth("requester"))
    history = await events(client, city, older["id"])

    found = await similar_to(client, city, older, who="requester")
    assert ids(found) == [newer["id"]]
    assert ids(await similar_to(client, city, newer)) == [older["id"]]
    assert (await similar_to(client, city, newer))[0]["similarity"] == found[0]["similarity"]
    # Filling is not an edit: same ETag, same updated_at, no history event.
    after = await client.get(url, headers=city.auth("requester"))
    assert after.headers["etag"] == before.headers["etag"]
    assert after.json()["updated_at"] == before.json()["updated_at"]
    assert await events(client, city, older["id"]) == history
    assert await db.fetchval("SELECT count(*) FROM problems WHERE similar_computed_at IS NULL") == 0


async def test_a_draft_lists_similar_problems_and_follows_its_edits(
    client: Client, city: City
) -> None:
    inspections = await submitted(client, city, "health", **INSPECTIONS)
    library = await submitted(client, city, "parks", **LIBRARY)
    mine = await draft(client, city, **INSPECTIONS_TOO)
    assert ids(await similar_to(client, city, mine, who="requester")) == [inspections["id"]]
    # A draft is nobody else's match.
    assert await similar_to(client, city, inspections) == []

    await edit(client, city, mine, **LIBRARY_TOO)
    assert ids(await similar_to(client, city, mine, who="requester")) == [library["id"]]


# -- which words the search uses ----------------------------------------------------------------


async def test_words_the_stemmer_keeps_apart_are_one_term(client: Client, city: City) -> None:
    # "jury" and "juror" stem apart (juri, juror), as do "summons" and "summoned": the
    # dictionary joins them, so the court's problem finds the clerk's.
    jury = await submitted(
        client,
        city,
        **PLAIN,
        title="Jury summonses go to old addresses",
        problem_statement="Residents called for jury duty never get the letter.",
    )
    jurors = await submitted(
        client,
        city,
        "health",
        **PLAIN,
        title="Jurors fail to appear",
        problem_statement="Half the jurors we summoned do not show up at the courthouse.",
    )

    [match] = await similar_to(client, city, jury)

    assert match["id"] == jurors["id"]
    assert match["other_department"] is True


def test_the_rarest_terms_find_the_candidates_within_a_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(similar, "MAX_CANDIDATES", 100)
    weights = {"naloxon": 6.0, "librari": 3.0, "branch": 2.5, "staff": 0.5}
    counts = {"naloxon": 2, "librari": 60, "branch": 80, "staff": 400}
    # Rarest first, until the problems holding them would pass the budget (2 + 60 + 80).
    assert similar.finding_terms(weights, counts) == ["naloxon", "librari"]
    # The rarest always, however many problems hold it; a common term never.
    assert similar.finding_terms({"permit": 3.0}, {"permit": 500}) == ["permit"]
    assert similar.finding_terms({"staff": 1.0}, {"staff": 1}) == []
