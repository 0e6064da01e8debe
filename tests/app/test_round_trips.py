"""What a draft and a submit cost in round trips to PostgreSQL (issue 15's write path).

Each statement is a round trip the request waits for, and most of a write's CPU (the
driver's send, SQLAlchemy's per-statement work): the budgets below are the statements the
write path needs, BEGIN and COMMIT included, so a change that adds one is a decision, not
an accident. docs/performance.md lists what each statement is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from litestar import Litestar
from sqlalchemy import event

from tests.builders import City
from tests.helpers import Client, draft, submit

# BEGIN, the caller, the draft with its watcher, its event, the timeline, COMMIT (a new
# draft's created event tells nobody: its only watcher is its author).
CREATE_BUDGET = 6
# BEGIN, the caller, the problem locked; the similar problems (forget and mark, the terms'
# counts, the search with the terms kept, the matches read with the lists cut back); the
# answer's names; the SLA policy; one statement for the reference, the problem, its event,
# the inbox, the timeline and the terms counted in; COMMIT.
SUBMIT_BUDGET = 11


@contextmanager
def statements(app: Litestar) -> Iterator[list[str]]:
    """Every statement the app's engine sends meanwhile, BEGIN and COMMIT included."""
    sent: list[str] = []
    engine = app.state.engine.sync_engine

    def executed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    def began(_conn: Any) -> None:
        sent.append("BEGIN")

    def committed(_conn: Any) -> None:
        sent.append("COMMIT")

    hooks: list[tuple[str, Callable[..., None]]] = [
        ("before_cursor_execute", executed),
        ("begin", began),
        ("commit", committed),
    ]
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield sent
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)


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

    assert len(created) <= CREATE_BUDGET, "\n".join(created)
    assert len(submitted) <= SUBMIT_BUDGET, "\n".join(submitted)
    # Every submit of the year waits on the counter's row from the statement that takes it
    # until commit: the last statement takes it, and the request commits right after.
    counted = [at for at, sent in enumerate(submitted) if "reference_counters" in sent]
    assert counted == [len(submitted) - 2], "\n".join(submitted)
    assert submitted[-1] == "COMMIT"
