"""A submit's last statement: the reference taken, and everything that names it, at once.

The year's counter row stays locked from the moment a number is taken until commit, and
every submit of the year waits for it. So the number is taken by the statement that writes
what needs it, and nothing else: the problem's new state (reference included), its event
(with the reference in its ``changes``) and what the history's subscribers add for that
event (``subscribers.EventRows``: the inbox, the timeline, the terms counted in), as clauses
of one ``WITH``. Then the request commits. Everything else a submit does (the checks, the
similar problems, the due times, the answer's names) happens before.

Inside one statement every clause reads the database as it was before the statement: a
subscriber reads the new event from the clause ``event``, not from ``problem_events``. The
event feed's trigger (``feed_publish``, after the statement) sees everything the statement
wrote, the problem's reference with it, so it publishes the draft's history then.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import driven, models
from intake.db.base import Base
from intake.lib import clock
from intake.problems import subscribers
from intake.vocabulary.events import EventType

_PROBLEMS = Base.metadata.tables["problems"]

# P-YYYY-NNNNN: at least five digits, as ``f"{number:05d}"``.
_NUMBERED = """
WITH numbered AS (
    INSERT INTO reference_counters (year, last_number) VALUES (:year, 1)
    ON CONFLICT (year) DO UPDATE SET last_number = reference_counters.last_number + 1
    RETURNING format('P-%s-%s', year,
                     lpad(last_number::text, greatest(5, length(last_number::text)), '0'))
        AS reference
), changed AS (
    UPDATE problems SET {sets}reference = numbered.reference FROM numbered
    WHERE problems.id = :problem_id
    RETURNING problems.id, problems.reference, problems.department_id,
              problems.community_list_id
), problem AS (
    SELECT id, department_id, community_list_id FROM changed
), event AS (
    INSERT INTO problem_events (problem_id, actor_id, type, from_status, to_status, reason,
                                changes, internal{moment_column})
    SELECT changed.id, :actor_id, :type, :from_status, :to_status, :reason,
           CAST(:changes AS jsonb) || jsonb_build_object(
               'reference', jsonb_build_object('from', NULL, 'to', changed.reference)),
           false{moment_value}
    FROM changed
    RETURNING id, problem_id, actor_id, type, from_status, to_status, reason, changes,
              internal, occurred_at, xact_id
){rows}
SELECT event.id, event.occurred_at, event.xact_id, changed.reference FROM event, changed
"""
_STATEMENTS: dict[tuple[Any, ...], driven.Compiled] = {}


def _statement(columns: tuple[str, ...], travelled: bool, rows: tuple[str, ...]) -> driven.Compiled:
    """The statement for these changed columns and subscribers' clauses, built and compiled
    for asyncpg once."""
    key = (columns, travelled, rows)
    statement = _STATEMENTS.get(key)
    if statement is None:
        sql = _NUMBERED.format(
            sets="".join(f"{_PROBLEMS.c[name].name} = :set_{name}, " for name in columns),
            moment_column=", occurred_at" if travelled else "",
            moment_value=", :occurred_at" if travelled else "",
            rows="".join(f",\n{clause}" for clause in rows),
        )
        statement = driven.compiled(
            text(sql).bindparams(
                bindparam("changes", type_=JSONB),
                *(bindparam(f"set_{name}", type_=_PROBLEMS.c[name].type) for name in columns),
            )
        )
        _STATEMENTS[key] = statement
    return statement


async def record_numbered(
    session: AsyncSession,
    connection: asyncpg.Connection,
    problem_id: uuid.UUID,
    changed: Mapping[str, Any],
    *,
    year: int,
    actor_id: uuid.UUID | None,
    type: EventType,
    from_status: str | None,
    to_status: str | None,
    reason: str | None = None,
    changes: dict[str, Any],
) -> str:
    """Give the problem the year's next reference and write its ``changed`` columns (by
    attribute name) with it, and its event, in one statement (``history.record``'s contract:
    the subscribers follow the event, here within the statement where they can), sent on
    the session's ``connection`` (``intake.db.driven``). Returns the reference."""
    moment = clock.travelled()
    # The event's columns as the statement writes them, its changes and id aside.
    columns: dict[str, Any] = {
        "problem_id": problem_id,
        "actor_id": actor_id,
        "type": type,
        "from_status": from_status,
        "to_status": to_status,
        "reason": reason,
    }
    pending = models.ProblemEvent(**columns, changes=changes, internal=False)
    following = subscribers.of(session)
    clauses: list[str] = []
    params: dict[str, Any] = {}
    after = []
    rows_of_each = following.event_rows or (None,) * len(following.event_recorded)
    for recorded, rows_of in zip(following.event_recorded, rows_of_each, strict=True):
        rows = rows_of(session, pending, ()) if rows_of is not None else None
        if rows is None:
            after.append(recorded)
        elif rows.sql:
            clauses.append(rows.sql)
            params.update(rows.params or {})
    statement = _statement(tuple(sorted(changed)), moment is not None, tuple(clauses))
    values = {
        **params,
        **{f"set_{name}": value for name, value in changed.items()},
        **columns,
        "year": year,
        "changes": changes,
    }
    if moment is not None:  # a replayed past action (the demo seed) happened then, not now
        values["occurred_at"] = moment
    (written,) = await driven.fetch(connection, statement, values)
    reference: str = written["reference"]
    if after:  # the event as written, for the subscribers that follow it
        event = models.ProblemEvent(
            **columns,
            changes={**changes, "reference": {"from": None, "to": reference}},
            internal=False,
            occurred_at=written["occurred_at"],
            id=written["id"],
            xact_id=written["xact_id"],
        )
        for follow in after:
            await follow(session, event, ())
    return reference
