"""A submit without the ORM: the problem locked and read in one statement, the checks on its
row, the reference taken last.

The first statement locks the problem (``FOR UPDATE``, visible to the caller) and reads what
the checks and the answer need: its columns, its names (department, people, team, latest
status update), and whatever the caller adds (``lock_statement``: triage adds the words its
search stems and the SLA calendar). The checks run on that row, then ``before_numbering``
(triage's search for similar problems), the ``state_changed`` subscribers (the SLA clocks,
on a ``subscribers.State``), and ``numbering.record_numbered`` writes the new state, the
reference and the event in the last statement, under the counter's lock until commit. The
answer is the row with what the submit changed (``rows.problem_from_row``, as
``GET /problems/{id}``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Any

import asyncpg
from sqlalchemy import TextualSelect, column, text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import driven
from intake.lib.clock import utcnow
from intake.lib.errors import FieldError, NotFound, ValidationFailed
from intake.lib.etag import check_if_match
from intake.problems import lifecycle, numbering, schemas, subscribers
from intake.problems.guards import require_action
from intake.problems.rows import ANSWER_COLUMNS, NAMES_JOINS, UPDATE_COLUMNS, problem_from_row
from intake.web.auth import Caller, caller_in, checked_caller
from intake.web.reads import CALLER_NAMED, DTI_ROLE_LIST, PRIVILEGED_ROLES, visible

# Fields that must be filled before a draft can be submitted.
REQUIRED_AT_SUBMIT = (
    "title",
    "problem_statement",
    "affected_groups",
    "affected_people_per_year",
    "current_process",
    "desired_outcome",
    "success_measures",
    "data_sensitivity",
)
IMPACT_FIELDS = (
    "impact_staff_hours_per_year",
    "impact_cost_per_year",
    "impact_risk",
    "impact_resident_burden",
)

# ``c``: the caller as ``web.reads.visible`` reads it: given (``_GIVEN``), or looked up by
# e-mail (``_AS``).
_LOCK = f"""
SELECT {ANSWER_COLUMNS},
       pr.department_id, pr.submitter_id, pr.triager_id, pr.team_id,
       pr.redirected_to_department_id AS redirected_id, pr.primary_problem_id,
       pr.first_response_at, pr.first_response_due_at, pr.decision_due_at, pr.decided_at,
       pr.paused_since,
       d.code AS department_code, d.name AS department_name, s.name AS submitter_name,
       t.name AS triager_name, tm.name AS team_name,
       rd.code AS redirected_code, rd.name AS redirected_name,
       {UPDATE_COLUMNS}{{columns}}
FROM problems pr{{given}}
JOIN departments d ON d.id = pr.department_id
JOIN people s ON s.id = pr.submitter_id
{NAMES_JOINS}{{joins}}
WHERE pr.id = :problem_id AND {{visible}}{{scoped}}
FOR UPDATE OF pr
"""  # noqa: S608 (constant fragments only)
# The caller in hand (a department-scoped service account also sees its department's
# problems only: ``guards.visible_to``).
_GIVEN = """
CROSS JOIN (SELECT CAST(:caller_department_id AS uuid) AS department_id,
                   CAST(:caller_id AS uuid) AS id,
                   CAST(:caller_privileged AS boolean) AS privileged) c"""
_SCOPED = """
  AND (CAST(:caller_only_department AS uuid) IS NULL
       OR pr.department_id = CAST(:caller_only_department AS uuid))"""
# The caller looked up by the same statement (``web.reads.CALLER``), with the draft if they
# may see it: a request's, as ``web.auth.load_caller`` would look them up.
_AS = """
WITH {caller}
SELECT c.id AS caller_id, c.email AS caller_email, c.name AS caller_name,
       c.department_id AS caller_department_id, c.department_code AS caller_department_code,
       c.roles AS caller_roles, c.active AS caller_active, locked.*
FROM c LEFT JOIN LATERAL ({locked}) locked ON true
"""
_CALLER_COLUMNS = (
    *("caller_id", "caller_email", "caller_name", "caller_department_id"),
    *("caller_department_code", "caller_roles", "caller_active"),
)


@dataclass(frozen=True, slots=True)
class Locks:
    """The statement that locks and reads the draft, for a caller in hand (``by_caller``)
    and for one it looks up by e-mail (``by_email``)."""

    by_caller: TextualSelect
    by_email: TextualSelect


def lock_statements(columns: str = "", joins: str = "") -> Locks:
    """The statements that lock and read the problem, with ``columns`` (SQL over ``pr``,
    the problem, and ``joins``, each ``expression AS name``) added to its row. Build them once.

    Their columns are named to SQLAlchemy (``TextClause.columns``), which then keeps how it
    reads a row with the compiled statement rather than work it out from every result."""

    def locking(given: str, scoped: str) -> str:
        return _LOCK.format(
            columns=f",\n       {columns}" if columns else "",
            joins=f"\n{joins}" if joins else "",
            visible=visible("pr").strip(),
            given=given,
            scoped=scoped,
        )

    by_caller = locking(_GIVEN, _SCOPED)
    selected = by_caller[by_caller.index("SELECT") + 6 : by_caller.index("\nFROM problems pr")]
    names = _names(selected)
    by_email = _AS.format(caller=CALLER_NAMED.strip(), locked=locking("", "").strip())
    return Locks(
        text(by_caller).columns(*(column(name) for name in names)),
        text(by_email).columns(*(column(name) for name in (*_CALLER_COLUMNS, *names))),
    )


def _names(selected: str) -> list[str]:
    """The name of each column of a select list of ours, in order: its items split at the
    commas outside parentheses, each named by its last word (``AS name``, ``pr.name``)."""
    items, depth, start = [], 0, 0
    for at, char in enumerate(selected):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            items.append(selected[start:at])
            start = at + 1
    items.append(selected[start:])
    names = []
    for item in items:
        named = re.search(r"(\w+)\s*$", item)
        assert named is not None, item
        names.append(named.group(1))
    return names


PLAIN = lock_statements()


# The lifecycle's columns, as the locked row holds them (``subscribers.State``).
_STATE = tuple(field.name for field in fields(subscribers.State))

# Work done once the checks pass and before the reference is taken, given the caller, the
# locked row and the session's connection (``intake.db.driven``), its transaction begun.
Searched = Callable[[Caller, Row[Any], asyncpg.Connection], Awaitable[None]]


def missing_for_submit(problem: Any) -> list[FieldError]:
    """Every field a submitted problem must have, with what is wrong with each (``problem``:
    anything with the record's fields as attributes, an entity or a row)."""
    errors = []
    for name in REQUIRED_AT_SUBMIT:
        if getattr(problem, name) in (None, "", []):
            errors.append(FieldError(name, "Required before submitting", "record"))
    if all(getattr(problem, name) in (None, "") for name in IMPACT_FIELDS):
        errors.append(
            FieldError(
                "impact",
                "Describe at least one impact: " + ", ".join(IMPACT_FIELDS),
                "record",
            )
        )
    if problem.urgency_deadline is not None and problem.urgency_reason is None:
        errors.append(FieldError("urgency_reason", "Say why the deadline matters", "record"))
    return errors


async def submit(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    if_match: str | None,
    *,
    locks: Locks = PLAIN,
    lock_params: dict[str, Any] | None = None,
    before_numbering: Searched | None = None,
) -> schemas.Problem:
    """Check the record is complete, give it its reference and send it to DTI; the problem
    as the caller now sees it.

    ``before_numbering`` is the work that needs no lock (triage's search for similar
    problems), done before the reference is taken; ``locks``: ``lock_statements()`` with
    what it reads (``lock_params`` its parameters). The checks come in the order
    ``service.apply_action`` makes them: 404, 403, 428/412, 409, 422."""
    following, params = await _prepared(
        session,
        lock_params,
        problem_id=problem_id,
        caller_department_id=caller.department_id,
        caller_id=caller.id,
        caller_privileged=caller.sees_everything_submitted,
        caller_only_department=caller.only_department,
    )
    row = (await session.execute(locks.by_caller, params)).first()
    return await _submit(session, following, caller, row, problem_id, if_match, before_numbering)


async def submit_as(
    session: AsyncSession,
    email: str,
    problem_id: uuid.UUID,
    if_match: str | None,
    *,
    locks: Locks = PLAIN,
    lock_params: dict[str, Any] | None = None,
    before_numbering: Searched | None = None,
) -> schemas.Problem:
    """``submit`` by the person ``email``, looked up by the statement that locks the draft
    (401 as ``web.auth.load_caller`` says it): a request's, which then needs no statement of
    its own for its caller."""
    following, params = await _prepared(
        session,
        lock_params,
        problem_id=problem_id,
        caller_email=email,
        caller_privileged=PRIVILEGED_ROLES,
        caller_dti=DTI_ROLE_LIST,
    )
    row = None
    if "\x00" not in email:  # PostgreSQL text cannot hold NUL: nobody has such an e-mail
        params["caller_email"] = email.strip().lower()
        row = (await session.execute(locks.by_email, params)).first()
    caller = checked_caller(caller_in(row, "caller_"), active=row is not None and row.caller_active)
    locked = row if row is not None and row.id is not None else None
    return await _submit(session, following, caller, locked, problem_id, if_match, before_numbering)


async def _prepared(
    session: AsyncSession, lock_params: dict[str, Any] | None, **params: Any
) -> tuple[subscribers.Subscribers, dict[str, Any]]:
    """The session's subscribers and the lock statement's parameters (``lock_params`` and
    ``params``), once what the session holds is written, as ``history.record`` does."""
    following = subscribers.of(session)  # a session that cannot record the event writes nothing
    await session.flush()
    return following, {**(lock_params or {}), **params}


async def _submit(
    session: AsyncSession,
    following: subscribers.Subscribers,
    caller: Caller,
    row: Row[Any] | None,
    problem_id: uuid.UUID,
    if_match: str | None,
    before_numbering: Searched | None,
) -> schemas.Problem:
    """The checks on the locked ``row`` (None: not there, or not visible), the search, the
    clocks and the numbered write."""
    if row is None:
        raise NotFound(f"No problem {problem_id}.")
    action = lifecycle.ACTIONS["submit"]
    require_action(caller, row, action)
    check_if_match(if_match, row.version)
    lifecycle.check_transition("submit", row.status, row.held_from_status)
    missing = missing_for_submit(row)
    if missing:
        raise ValidationFailed(
            f"The problem is missing {len(missing)} thing(s) before it can be submitted.", missing
        )
    connection = await driven.connection(session)  # the lock began its transaction
    if before_numbering is not None:
        await before_numbering(caller, row, connection)
    before = row.status
    after = lifecycle.target_state(action, before, row.held_from_status)
    now = utcnow()
    state = subscribers.State(**{name: getattr(row, name) for name in _STATE})
    state.status = after
    changes: dict[str, Any] = {}
    for follow in following.state_changed:
        changes.update(await follow(session, state, before, after, now))
    state.submitted_at = now
    changed: dict[str, Any] = {
        name: value for name in _STATE if (value := getattr(state, name)) != getattr(row, name)
    }
    changed |= {"version": row.version + 1, "updated_at": now}  # as ``edits.bump``
    reference = await numbering.record_numbered(
        session,
        connection,
        row.id,
        changed,
        year=now.year,
        actor_id=caller.id,
        type=action.event,
        from_status=before,
        to_status=after,
        changes=changes,
    )
    # The answer as the caller now sees it: a draft names no primary problem (only a
    # duplicate does), so nothing in it needs redacting.
    return problem_from_row({**row._mapping, **changed, "reference": reference})
