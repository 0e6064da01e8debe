"""A new draft in one statement: the problem, its author watching it, its ``created`` event
and what the history's subscribers add for that event, as clauses of one ``WITH``.

The statement looks up its author (``intake.web.reads.CALLER``) and writes only for an
active requester; its row is the answer's (``intake.problems.rows``). One statement is
atomic on its own, so the API runs it on a pooled connection outside any transaction
(``create_as``): the request pays no BEGIN, no COMMIT and no statement for the caller. A
session runs the same statement in its transaction (``create``): the pages, the demo seed,
and a request with an ``Idempotency-Key``, whose claim commits with the draft.

Inside one statement every clause reads the database as it was before it: the subscribers
read the new event from the clause ``event`` and the new problem from the clause
``problem`` (``subscribers.Rows``). The event feed's trigger runs after the statement.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import msgspec
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.base import Base
from intake.db.models import ProblemEvent
from intake.lib import clock
from intake.lib.clock import utcnow
from intake.lib.errors import Forbidden, NotAuthenticated
from intake.problems import edits, framing, schemas, subscribers
from intake.problems.rows import problem_from_row
from intake.web.auth import Caller
from intake.web.reads import (
    CALLER_NAMED,
    CALLER_PARAMS,
    DTI_ROLE_LIST,
    PRIVILEGED_ROLES,
    fetch_as,
)

_PROBLEMS = Base.metadata.tables["problems"]
_GIVEN = schemas.ProblemCreate.__struct_fields__
# Held as JSON: given to the statement as JSON text.
_JSON = frozenset(name for name in _GIVEN if isinstance(_PROBLEMS.c[name].type, JSONB))
REQUIRED_ROLE = "requester"

_DRAFT = """
WITH {caller},
made AS (
    INSERT INTO problems (id, status, version, department_id, submitter_id, created_at,
                          updated_at, framing_hints, framing_rules, {given_columns})
    SELECT :id, 'draft', 1, c.department_id, c.id, :now, :now,
           CAST(:framing_hints AS jsonb), :framing_rules, {given_values}
    FROM c WHERE c.active AND CAST(:role AS varchar) = ANY(c.roles)
    RETURNING id, reference, status, version, title, problem_statement, affected_groups,
              affected_people_per_year, current_process, workarounds,
              impact_staff_hours_per_year, impact_cost_per_year, impact_risk,
              impact_resident_burden, urgency_deadline, urgency_reason, urgency_notes,
              desired_outcome, success_measures, systems_involved::text AS systems_involved,
              data_sensitivity, equity_considerations, communities_affected,
              accessibility_needs, language_access_needs, restricted, created_at, updated_at,
              submitted_at, score, redirect_channel, held_from_status, delivery_phase,
              launched_at, closed_at, outcome_result, outcome_summary, outcome_lessons,
              framing_hints::text AS framing_hints, framing_rules, department_id,
              submitter_id, triager_id, team_id, redirected_to_department_id AS redirected_id,
              primary_problem_id, community_list_id
), followed AS (
    INSERT INTO problem_watchers (problem_id, person_id, added_at)
    SELECT id, submitter_id, created_at FROM made
), problem AS (
    SELECT id, department_id, community_list_id FROM made
), event AS (
    INSERT INTO problem_events (problem_id, actor_id, type, from_status, to_status, reason,
                                changes, internal{moment_column})
    SELECT made.id, made.submitter_id, 'created', NULL, 'draft', NULL,
           CAST(:changes AS jsonb), false{moment_value}
    FROM made
    RETURNING id, problem_id, actor_id, type, from_status, to_status, reason, changes,
              internal, occurred_at, xact_id
){rows}
SELECT c.active AS caller_active, made.*, c.department_code, c.department_name,
       c.name AS submitter_name, NULL AS triager_name, NULL AS team_name,
       NULL AS redirected_code, NULL AS redirected_name, NULL::uuid AS update_id
FROM c LEFT JOIN made ON true
"""


@dataclass(frozen=True, slots=True)
class _Statement:
    """The statement for one set of subscribers' clauses: for a session, and as asyncpg
    takes it (``$n`` parameters, the caller's first, and the names of the others in order)."""

    clause: Any
    sql: str
    names: tuple[str, ...]


_STATEMENTS: dict[tuple[bool, tuple[str, ...]], _Statement] = {}


def _statement(travelled: bool, rows: tuple[str, ...]) -> _Statement:
    """Built once per process for each set of clauses."""
    key = (travelled, rows)
    statement = _STATEMENTS.get(key)
    if statement is None:
        clause = text(
            _DRAFT.format(
                caller=CALLER_NAMED.strip(),
                given_columns=", ".join(_PROBLEMS.c[name].name for name in _GIVEN),
                given_values=", ".join(
                    f"CAST(:{name} AS jsonb)" if name in _JSON else f":{name}" for name in _GIVEN
                ),
                moment_column=", occurred_at" if travelled else "",
                moment_value=", :occurred_at" if travelled else "",
                rows="".join(f",\n{sql}" for sql in rows),
            )
        )
        compiled = clause.compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
        # asyncpg's $n in order of first use; renumbered so the caller's come first, as
        # fetch_as sends them.
        used = list(compiled.positiontup or ())
        names = (*CALLER_PARAMS, *(name for name in used if name not in CALLER_PARAMS))
        number = {str(used.index(name) + 1): str(names.index(name) + 1) for name in used}
        sql = re.sub(r"\$(\d+)\b", lambda n: f"${number[n.group(1)]}", compiled.string)
        statement = _Statement(clause, sql, names[len(CALLER_PARAMS) :])
        _STATEMENTS[key] = statement
    return statement


def _prepared(
    following: subscribers.Subscribers,
    session: AsyncSession | None,
    caller_email: str,
    data: schemas.ProblemCreate,
) -> tuple[_Statement, dict[str, Any]]:
    """The statement and its parameters for ``data``."""
    values = {name: edits.clean(name, getattr(data, name)) for name in _GIVEN}
    hints = framing.framing_hints(
        title=values["title"],
        problem_statement=values["problem_statement"],
        desired_outcome=values["desired_outcome"],
    )
    changes = {
        name: edits.jsonable(value)
        for name, value in values.items()
        if value not in (None, [], False)
    }
    problem_id = uuid.uuid4()
    pending = ProblemEvent(
        problem_id=problem_id, type="created", to_status="draft", changes=changes, internal=False
    )
    clauses: list[str] = []
    params: dict[str, Any] = {}
    rows_of_each = following.event_rows or (None,) * len(following.event_recorded)
    for rows_of in rows_of_each:
        rows = rows_of(session, pending, ()) if rows_of is not None else None
        if rows is None:  # none does today: a draft's event needs no search, no lookup
            raise RuntimeError("a draft's statement needs every subscriber's rows as clauses")
        if rows.sql:
            clauses.append(rows.sql)
            params.update(rows.params or {})
    moment = clock.travelled()
    statement = _statement(moment is not None, tuple(clauses))
    now = utcnow()
    params |= {
        **{name: msgspec.json.encode(values[name]).decode() for name in _JSON},
        **{name: value for name, value in values.items() if name not in _JSON},
        "caller_email": caller_email,
        "caller_privileged": PRIVILEGED_ROLES,
        "caller_dti": DTI_ROLE_LIST,
        "role": REQUIRED_ROLE,
        "id": problem_id,
        "now": now,
        "framing_hints": msgspec.json.encode(hints).decode(),
        "framing_rules": framing.RULES_VERSION,
        "changes": msgspec.json.encode(changes).decode(),
    }
    if moment is not None:  # a replayed past action (the demo seed) happened then, not now
        params["occurred_at"] = moment
    return statement, params


def _answer(row: Mapping[Any, Any]) -> schemas.Problem:
    """The draft as its author sees it; 403 when the caller may not draft."""
    if row["id"] is None:
        raise Forbidden(f"This needs the role {REQUIRED_ROLE}.")
    return problem_from_row(row)


async def create_as(
    connection: asyncpg.Connection,
    email: str,
    following: subscribers.Subscribers,
    data: schemas.ProblemCreate,
) -> schemas.Problem:
    """A new draft by the person ``email`` (401 as ``fetch_as`` says it), in one statement on
    ``connection`` outside any transaction; ``following``: the app's subscribers."""
    statement, params = _prepared(following, None, email, data)
    rows = await fetch_as(
        connection, email, statement.sql, *(params[name] for name in statement.names)
    )
    return _answer(rows[0])


async def create(
    session: AsyncSession, caller: Caller, data: schemas.ProblemCreate
) -> schemas.Problem:
    """A new draft by ``caller``, in the session's transaction: the same statement."""
    following = subscribers.of(session)  # a session that cannot record the event writes nothing
    await session.flush()  # what the session holds first, as history.record does
    statement, params = _prepared(following, session, caller.email, data)
    row = (await session.execute(statement.clause, params)).one_or_none()
    if row is None or not row.caller_active:
        raise NotAuthenticated("The token names a person who is not registered in Intake.")
    return _answer(row._mapping)
