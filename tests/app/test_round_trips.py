"""What a draft and a submit cost in round trips to PostgreSQL (issue 15's write path).

Each statement is a round trip the request waits for, and most of a write's CPU (the
driver's send, SQLAlchemy's per-statement work): the budgets below are the statements the
write path needs, BEGIN and COMMIT included, so a change that adds one is a decision, not
an accident. docs/performance.md lists what each statement is.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from litestar import Litestar
from sqlalchemy import event

from tests.builders import City
from tests.helpers import Client, draft, submit

# One statement outside any transaction: the caller, the draft with its watcher, its event
# and the timeline (a new draft's created event tells nobody: its only watcher is its author).
CREATE_BUDGET = 1
# With an Idempotency-Key: BEGIN, the caller, the key claimed, that statement, the response
# kept for retries, COMMIT.
KEYED_CREATE_BUDGET = 6
# BEGIN; the caller and the problem locked, read with its names, its words and the SLA
# calendar; the similar problems (what it was listed in forgotten with the terms' counts
# read, the search with the terms kept and the problem marked, the matches read with the
# lists cut back); one statement for the reference, the problem, its event, the inbox, the
# timeline and the terms counted in; COMMIT.
SUBMIT_BUDGET = 7


@contextmanager
def statements(app: Litestar) -> Iterator[list[str]]:
    """Every statement the app sends meanwhile, BEGIN and COMMIT included: its engine's
    (SQLAlchemy's events), and those sent on a connection without the engine's execution
    (asyncpg's query logger, which tells of its query before the request's answer is sent).
    The logger tells of a query on the app's event loop's next turn, so the engine's events
    are noted that way too: each in the order it was sent."""
    sent: list[str] = []
    engine = app.state.engine.sync_engine

    def note(statement: str) -> None:
        asyncio.get_running_loop().call_soon(sent.append, statement)  # the app's loop

    def executed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        note(statement)

    def began(_conn: Any) -> None:
        note("BEGIN")

    def committed(_conn: Any) -> None:
        note("COMMIT")

    def logged(record: Any) -> None:
        # The engine's own statements go through prepared statements, which it does not
        # log; its BEGIN and COMMIT are counted above.
        if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK)\b", record.query, re.IGNORECASE):
            sent.append(record.query)

    def checkout(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(logged)

    def checkin(dbapi_connection: Any, *_: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.driver_connection.remove_query_logger(logged)

    hooks: list[tuple[Any, str, Callable[..., None]]] = [
        (engine, "before_cursor_execute", executed),
        (engine, "begin", began),
        (engine, "commit", committed),
        (engine.pool, "checkout", checkout),
        (engine.pool, "checkin", checkin),
    ]
    for target, name, hook in hooks:
        event.listen(target, name, hook)
    try:
        yield sent
    finally:
        for target, name, hook in hooks:
            event.remove(target, name, hook)


async def test_a_draft_and_its_submit_stay_within_their_round_trips(
    app: Litestar, client: Client, city: City
) -> None:
    await submit(client, city, await draft(client, city))  # first use: caches filled

    with statements(app) as created:
        problem = await draft(client, city)
    with statements(app) as submitted:
        response = await submit(client, city, problem)
    assert response.status_code == 200, response.text
    assert response.json()["reference"]
    with statements(app) as keyed:
        again = await client.post(
            "/api/v1/problems",
            json={"title": "A draft sent with a key"},
            headers={**city.auth("requester"), "Idempotency-Key": "draft-once"},
        )
    assert again.status_code == 201, again.text

    assert len(created) <= CREATE_BUDGET, "\n".join(created)
    assert len(keyed) <= KEYED_CREATE_BUDGET, "\n".join(keyed)
    assert len(submitted) <= SUBMIT_BUDGET, "\n".join(submitted)
    # Every submit of the year waits on the counter's row from the statement that takes it
    # until commit: the last statement takes it, and the request commits right after.
    counted = [at for at, sent in enumerate(submitted) if "reference_counters" in sent]
    assert counted == [len(submitted) - 2], "\n".join(submitted)
    assert submitted[-1] == "COMMIT"
