"""Similar problems by meaning: the worker embeds submitted problems and stores their matches
by meaning and terms, so a paraphrase sharing no word is found; one pass at a time; the
app's worker runs in the background and stops with the app; `intake similar recompute`
embeds every problem again."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from typing import Any

import asyncpg
import numpy as np
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.app import create_app
from intake.config import Settings
from intake.triage import meaning, meanings
from tests.builders import City
from tests.helpers import (
    INSPECTIONS,
    LIBRARY,
    PLAIN,
    Client,
    embed_all,
    ids,
    intake,
    similar_to,
    submitted,
    until,
)

Sessions = async_sessionmaker[AsyncSession]

# The same problem from two departments, without a word (nor a synonym) in common.
HUNGRY = {
    **PLAIN,
    "title": "Kids go hungry over the summer",
    "problem_statement": "When school is out, many children lose the free lunches they rely on.",
}
HUNGRY_TOO = {
    **PLAIN,
    "title": "Pupils lack food during vacation months",
    "problem_statement": "Students who depend on cafeteria meals have nothing to eat once "
    "classes end in June.",
}
ROADS = {
    **PLAIN,
    "title": "Potholes reopen weeks after repair",
    "problem_statement": "Crews patch the same potholes on arterial roads again and again.",
}


async def city_of_five(client: Client, city: City) -> tuple[dict[str, Any], dict[str, Any]]:
    hungry = await submitted(client, city, "parks", **HUNGRY)
    for who, fields in (("requester", INSPECTIONS), ("requester", LIBRARY), ("parks", ROADS)):
        await submitted(client, city, who, **fields)
    return hungry, await submitted(client, city, "health", **HUNGRY_TOO)


async def test_a_paraphrase_sharing_no_word_is_found_through_meaning(
    client: Client, city: City, sessions: Sessions
) -> None:
    hungry, hungry_too = await city_of_five(client, city)
    assert hungry_too["id"] not in ids(await similar_to(client, city, hungry))  # terms alone

    assert await embed_all(sessions) == 5

    found = await similar_to(client, city, hungry)
    assert ids(found)[:1] == [hungry_too["id"]]
    assert found[0]["other_department"] is True
    assert "consider collaborating" in found[0]["suggestion"]
    # The others share no word with it either, and mean something else: far below it.
    assert all(match["similarity"] < 0.3 for match in found[1:]), found
    back = await similar_to(client, city, hungry_too)  # and the other way round
    assert ids(back)[:1] == [hungry["id"]]
    assert back[0]["similarity"] == found[0]["similarity"]


async def test_an_edit_of_the_words_is_embedded_again(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection
) -> None:
    hungry, hungry_too = await city_of_five(client, city)
    await embed_all(sessions)
    before = await db.fetchval(
        "SELECT vector FROM problem_meanings WHERE problem_id = $1", hungry["id"]
    )
    # The requester rewrites the problem while the triager waits on an answer.
    for action, body in (("triage", None), ("request-info", {"questions": "Which schools?"})):
        await client.post(
            f"/api/v1/problems/{hungry['id']}/{action}",
            json=body,
            headers={**city.auth("triager"), "If-Match": await etag(client, city, hungry)},
        )
    response = await client.patch(
        f"/api/v1/problems/{hungry['id']}",
        json={"title": "Potholes on arterial roads reopen", "problem_statement": "Crews again."},
        headers={**city.auth("parks"), "If-Match": await etag(client, city, hungry)},
    )
    assert response.status_code == 200, response.text

    assert await embed_all(sessions) == 1
    after = await db.fetchval(
        "SELECT vector FROM problem_meanings WHERE problem_id = $1", hungry["id"]
    )
    assert after != before
    assert hungry_too["id"] not in ids(await similar_to(client, city, hungry))[:1]


async def etag(client: Client, city: City, problem: dict[str, Any]) -> str:
    response = await client.get(f"/api/v1/problems/{problem['id']}", headers=city.auth("triager"))
    return response.headers["etag"]


async def test_one_pass_at_a_time_and_a_changed_problem_stays_due(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection
) -> None:
    hungry, _ = await city_of_five(client, city)
    # Another process's pass holds the lock: this one does nothing, and says so.
    await db.execute("SELECT pg_advisory_lock($1)", meanings.LOCK)
    try:
        busy = await meanings.embed_due(sessions, meanings.Matrix())
    finally:
        await db.execute("SELECT pg_advisory_unlock($1)", meanings.LOCK)
    assert (busy.embedded, busy.busy) == (0, True)
    assert await db.fetchval("SELECT count(*) FROM problem_meanings") == 0

    # A problem whose words changed after they were read is not stored: it stays due.
    version = await db.fetchval("SELECT version FROM problems WHERE id = $1", hungry["id"])
    title = meaning.encoder().embed([HUNGRY["title"]])
    meant = meanings.Embedded(vector=title[0], units=title)
    async with sessions() as session, session.begin():
        stored = await meanings.store(session, meanings.Matrix(), hungry["id"], version - 1, meant)
    assert stored is False
    async with sessions() as session:
        assert await meanings.count_due(session) == 5


async def test_the_app_embeds_in_the_background_and_stops_with_it(
    city: City, settings: Settings, database_url: str, db: asyncpg.Connection
) -> None:
    app = create_app(replace(settings, meaning_seconds=1), database_url)
    async with AsyncTestClient(app=app) as client:
        hungry, hungry_too = await city_of_five(client, city)

        async def found() -> bool:
            return ids(await similar_to(client, city, hungry))[:1] == [hungry_too["id"]]

        await until(found, "the meaning worker to match the paraphrase")
        # All to do again, and the app stops, whether a pass is under way or not. In one
        # transaction, the problems first: their locks wait for a store under way to
        # commit, so the vectors deleted after include its one, and none is stored meanwhile.
        async with db.transaction():
            await db.execute("UPDATE problems SET meaning_model = NULL")
            await db.execute("DELETE FROM problem_meanings")
    # Nothing half done: a problem has its vector and is marked, or neither.
    rows = await db.fetch(
        "SELECT problems.meaning_model, problem_meanings.model FROM problems "
        "LEFT JOIN problem_meanings ON problem_meanings.problem_id = problems.id"
    )
    assert len(rows) == 5
    assert all(row["meaning_model"] == row["model"] for row in rows)


async def test_recompute_embeds_every_problem_with_progress(
    client: Client, city: City, db: asyncpg.Connection, cli_env: dict[str, str]
) -> None:
    hungry, hungry_too = await city_of_five(client, city)
    # As a city whose matches another model built.
    await db.execute("UPDATE similar_dictionary SET dictionary = 'older'")

    result = intake("similar", "recompute", "--batch", "2", env=cli_env)

    assert result.returncode == 0, result.stderr
    assert "meaning" in result.stderr and "5/5" in result.stderr
    rows = await db.fetch("SELECT model, length(vector) AS size FROM problem_meanings")
    assert [(row["model"], row["size"]) for row in rows] == [(meaning.MODEL_ID, 4 * 384)] * 5
    assert ids(await similar_to(client, city, hungry))[:1] == [hungry_too["id"]]
    assert "similar_problems" not in (await client.get("/health/ready")).json()


async def test_each_process_follows_what_the_others_stored(
    client: Client, city: City, sessions: Sessions
) -> None:
    first, second = meanings.Matrix(), meanings.Matrix()  # two processes' vectors in memory
    hungry = await submitted(client, city, "parks", **HUNGRY)
    await submitted(client, city, "requester", **INSPECTIONS)
    assert (await meanings.embed_due(sessions, first)).embedded == 2
    await submitted(client, city, "requester", **LIBRARY)
    await submitted(client, city, "parks", **ROADS)
    assert (await meanings.embed_due(sessions, second)).embedded == 2
    hungry_too = await submitted(client, city, "health", **HUNGRY_TOO)
    assert (await meanings.embed_due(sessions, first)).embedded == 1
    async with sessions() as session:
        await second.refresh(session)

    # Both know every vector, and how crowded each one's neighbourhood is now, whoever
    # stored it: what one process matches, the other would match the same.
    assert sorted(first.ids) == sorted(second.ids) and len(first) == 5
    for problem_id in first.ids:
        one = first.crowding([first.rows[problem_id]])[0]
        other = second.crowding([second.rows[problem_id]])[0]
        assert abs(float(one) - float(other)) < 1e-6
    assert ids(await similar_to(client, city, hungry))[:1] == [hungry_too["id"]]


async def test_each_problem_is_committed_before_the_next_is_stored(
    client: Client,
    city: City,
    sessions: Sessions,
    db: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await city_of_five(client, city)
    stored_before: list[int] = []
    store = meanings.store

    async def watched(session: AsyncSession, *args: Any) -> bool:
        # What another connection sees: the problems stored (and committed) so far.
        stored_before.append(await db.fetchval("SELECT count(*) FROM problem_meanings"))
        return await store(session, *args)

    monkeypatch.setattr(meanings, "store", watched)
    assert (await meanings.embed_due(sessions, meanings.Matrix())).embedded == 5

    # No row stays locked while the others are stored: each is its own short transaction.
    assert stored_before == [0, 1, 2, 3, 4]


async def test_a_problem_that_fails_does_not_stop_the_others(
    client: Client,
    city: City,
    sessions: Sessions,
    db: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hungry, hungry_too = await city_of_five(client, city)
    store = meanings.store

    async def failing(
        session: AsyncSession, matrix: meanings.Matrix, problem_id: Any, *args: Any
    ) -> bool:
        if str(problem_id) == hungry["id"]:
            await store(session, matrix, problem_id, *args)  # half done, then rolled back
            raise RuntimeError("a problem that cannot be stored")
        return await store(session, matrix, problem_id, *args)

    monkeypatch.setattr(meanings, "store", failing)
    matrix = meanings.Matrix()
    done = await meanings.embed_due(sessions, matrix)

    assert (done.embedded, done.failed) == (4, 1)
    async with sessions() as session:
        assert await meanings.count_due(session) == 1
    assert hungry["id"] not in {str(problem_id) for problem_id in matrix.ids}
    monkeypatch.setattr(meanings, "store", store)
    assert (await meanings.embed_due(sessions, matrix)).embedded == 1
    assert ids(await similar_to(client, city, hungry))[:1] == [hungry_too["id"]]


async def test_embedding_a_problem_again_leaves_its_neighbours_crowding_alone(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection
) -> None:
    hungry, _ = await city_of_five(client, city)
    matrix = meanings.Matrix()
    assert (await meanings.embed_due(sessions, matrix)).embedded == 5
    once = {problem_id: float(matrix.crowding([row])[0]) for problem_id, row in matrix.rows.items()}

    # Due again with the same words (as after an edit put back), and embedded again.
    await db.execute("UPDATE problems SET meaning_model = NULL WHERE id = $1", hungry["id"])
    assert (await meanings.embed_due(sessions, matrix)).embedded == 1

    # Its old cosine was replaced, not kept beside the new one: in this process's matrix,
    # and in what the others read.
    fresh = meanings.Matrix()
    async with sessions() as session:
        await fresh.refresh(session)
    for each in (matrix, fresh):
        twice = {
            problem_id: float(each.crowding([row])[0]) for problem_id, row in each.rows.items()
        }
        assert twice.keys() == once.keys()
        for problem_id, crowding in once.items():
            assert abs(twice[problem_id] - crowding) < 1e-6


async def units_nearest(db: asyncpg.Connection) -> dict[str, list[tuple[str, float]]]:
    rows = await db.fetch(
        "SELECT problem_id, units_nearest, units_nearest_ids FROM problem_meanings"
    )
    return {
        str(row["problem_id"]): sorted(
            zip(map(str, row["units_nearest_ids"] or []), row["units_nearest"] or [], strict=True)
        )
        for row in rows
    }


async def test_each_problem_is_matched_on_its_units_too_and_they_are_kept_once(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection
) -> None:
    hungry, hungry_too = await city_of_five(client, city)
    assert await embed_all(sessions) == 5

    # Each problem's units (its title and each sentence of its statement) are stored, and
    # its best units scores among its nearest: the four others, each once.
    units = await db.fetchval(
        "SELECT length(units) FROM problem_meanings WHERE problem_id = $1", hungry["id"]
    )
    assert units == 2 * meaning.DIMENSIONS * 4  # "Kids go hungry ..." and one sentence
    once = await units_nearest(db)
    assert all(len({other for other, _ in pairs}) == len(pairs) == 4 for pairs in once.values())
    assert max(once[hungry["id"]], key=lambda pair: pair[1])[0] == hungry_too["id"]

    # Embedded again with the same words, it replaces its scores in the others' best.
    await db.execute("UPDATE problems SET meaning_model = NULL WHERE id = $1", hungry["id"])
    assert await embed_all(sessions) == 1
    twice = await units_nearest(db)
    assert twice.keys() == once.keys()
    for problem_id, pairs in once.items():
        assert [other for other, _ in twice[problem_id]] == [other for other, _ in pairs]
        assert all(
            abs(a - b) < 1e-5 for (_, a), (_, b) in zip(twice[problem_id], pairs, strict=True)
        )
    assert ids(await similar_to(client, city, hungry))[:1] == [hungry_too["id"]]


async def test_a_problem_stored_before_units_is_matched_on_its_whole_text(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection
) -> None:
    hungry, hungry_too = await city_of_five(client, city)
    assert await embed_all(sessions) == 5
    # As after the upgrade that brought units, before the worker reached it.
    await db.execute(
        "UPDATE problem_meanings SET units = NULL, units_nearest = NULL, "
        "units_nearest_ids = NULL WHERE problem_id = $1",
        hungry_too["id"],
    )
    await db.execute("UPDATE problems SET meaning_model = NULL WHERE id = $1", hungry["id"])
    assert await embed_all(sessions) == 1

    assert ids(await similar_to(client, city, hungry))[:1] == [hungry_too["id"]]
    assert hungry_too["id"] not in dict(
        (await units_nearest(db))[hungry["id"]]
    )  # nothing to compare its units with


def test_a_units_list_keeps_the_best_ten_each_problem_once() -> None:
    ids_ = [uuid.UUID(int=n) for n in range(12)]
    full = [(ids_[n], 0.9 - n / 100) for n in range(meanings.CROWD)]  # 0.90 down to 0.81

    # A better score joins and the lowest leaves; a lower one changes nothing.
    joined = meanings._joined(full, ids_[11], 0.95)
    assert joined is not None and joined[0] == (ids_[11], 0.95)
    assert len(joined) == meanings.CROWD and ids_[9] not in dict(joined)
    assert meanings._joined(full, ids_[11], 0.5) is None
    # A problem already there is replaced, not added twice, at its new place.
    again = meanings._joined(full, ids_[3], 0.99)
    assert again is not None and again[0] == (ids_[3], 0.99) and len(again) == meanings.CROWD
    fell = meanings._joined(full, ids_[3], 0.1)
    assert fell is not None and fell[-1] == (ids_[3], 0.1) and len(fell) == meanings.CROWD
    # A short list takes anyone.
    assert meanings._joined(full[:3], ids_[11], 0.1) == [*full[:3], (ids_[11], 0.1)]


def test_units_make_their_share_of_the_meaning_of_candidates_that_have_them() -> None:
    matrix = meanings.Matrix()
    first, second, third = (uuid.UUID(int=n) for n in (1, 2, 3))
    for problem_id in (first, second, third):
        matrix.add(problem_id, np.eye(meaning.DIMENSIONS, dtype=np.float32)[problem_id.int])
    by_meaning = np.array([0.5, 0.3, 0.2], dtype=np.float32)
    units = meanings.Units(
        scores={second: 0.7},  # the third has no units (stored before them)
        theirs={second: [(third, 0.6), (first, 0.4)]},  # its units crowding: 0.5
        own=[(second, 0.7), (third, 0.5)],  # the first's: 0.6
        joined={},
        mean=0.45,
    )
    units.score(matrix, by_meaning, [second, third])

    crowded = (0.6 - 0.45) + (0.5 - 0.45)
    share = meanings.UNITS
    expected = (1 - share) * 0.3 + share * (0.7 - meanings.CROWDING * crowded)
    assert by_meaning.tolist() == pytest.approx([0.5, expected, 0.2])


def test_the_units_score_is_each_units_best_match_averaged_both_ways() -> None:
    a, b, c = np.eye(3, dtype=np.float32)
    # One text says a and b, the other only a: a finds a, b finds nothing (0); back, a finds a.
    assert meanings.units_score(np.stack([a, b]), np.stack([a])) == pytest.approx((0.5 + 1) / 2)
    assert meanings.units_score(np.stack([a]), np.stack([a, b])) == pytest.approx(0.75)
    assert meanings.units_score(np.stack([c]), np.stack([a, b])) == pytest.approx(0.0)


async def test_the_matrix_is_filled_off_the_event_loop_in_chunks(
    client: Client, city: City, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    await city_of_five(client, city)
    assert await embed_all(sessions) == 5
    loop = threading.current_thread()
    threads: list[threading.Thread] = []
    put = meanings.Matrix._put

    def watched(self: meanings.Matrix, *args: Any) -> None:
        threads.append(threading.current_thread())
        put(self, *args)

    monkeypatch.setattr(meanings.Matrix, "_put", watched)
    monkeypatch.setattr(meanings, "CHUNK", 2, raising=False)
    matrix = meanings.Matrix()
    async with sessions() as session:
        await matrix.refresh(session)

    assert len(matrix) == 5 and len(threads) == 10  # each vector, then each one's nearest
    assert loop not in threads  # the event loop kept serving
    assert all(len(matrix.crowding([row])) == 1 for row in matrix.rows.values())
