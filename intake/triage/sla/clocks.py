"""The SLA clocks of a problem, kept on its row so the triage queue can sort by them.

First response: from submit until a triager first acts. Decision: from submit until it is
accepted, declined, redirected or marked a duplicate, paused while it waits on the
requester (needs_info). Due times are recomputed whenever a pause ends or the policy or
holidays change.

The stored due time is always the one ``sla.due_at`` gives for the problem's history, so
the queue's order, its ``breached`` filter, the rows' clocks and the breach sweep all read
one value. In particular a pause clears the decision due time only if the clock had not
run out yet: one that ran out before the pause keeps its (past) due time, and stays
breached while the problem waits.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, any_, bindparam, or_, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.problems import history
from intake.problems.subscribers import Changing
from intake.triage import policy
from intake.triage.sla.business_time import Calendar, Pause, calendar_of, due_at

DECISIONS = frozenset({"accepted", "declined", "redirected", "duplicate"})
FIRST_RESPONSES = DECISIONS | {"triage", "needs_info"}


def due_times(problem: Changing) -> tuple[datetime | None, datetime | None]:
    return problem.first_response_due_at, problem.decision_due_at


def due_times_changes(problem: Changing) -> dict[str, str | None]:
    """The problem's due times as history records them (``changes["sla"]``), so the
    portfolio can judge SLA compliance as of any past moment from history alone."""
    return {
        name: value.isoformat() if value is not None else None
        for name, value in (
            ("first_response_due_at", problem.first_response_due_at),
            ("decision_due_at", problem.decision_due_at),
        )
    }


async def calendar(session: AsyncSession) -> tuple[Calendar, policy.SlaPolicy]:
    current, days = await policy.sla_targets_and_holidays(session)
    return calendar_of(policy.zone(current), days), current


_READ_AHEAD = "intake.sla.read_ahead"  # session.info: (problem id, calendar)


def read_ahead(
    session: AsyncSession, problem_id: uuid.UUID, found: tuple[Calendar, policy.SlaPolicy] | None
) -> None:
    """The calendar a submit read in its transaction, checked against the database's token
    (``current.columns`` in another statement, saving one): its clocks start on it."""
    if found is not None:
        session.info[_READ_AHEAD] = (problem_id, found)


def _calendar_read_for(
    session: AsyncSession, problem_id: uuid.UUID
) -> tuple[Calendar, policy.SlaPolicy] | None:
    kept = session.info.pop(_READ_AHEAD, None)
    return kept[1] if kept is not None and kept[0] == problem_id else None


_Event = models.ProblemEvent
# One array parameter, not an expanding IN: the statement is the same whatever the number of
# problems, so it is compiled and prepared once.
_PAUSE_EVENTS = (
    select(_Event.problem_id, _Event.occurred_at, _Event.from_status, _Event.to_status)
    .where(_Event.problem_id == any_(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))))
    .where(or_(_Event.to_status == "needs_info", _Event.from_status == "needs_info"))
    .order_by(_Event.problem_id, _Event.id)
)


async def pauses_for(
    session: AsyncSession, problem_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Pause]]:
    """The intervals each problem spent waiting on its requester, from history, in one query."""
    if not problem_ids:
        return {}
    events = await session.execute(_PAUSE_EVENTS, {"ids": problem_ids})
    found: dict[uuid.UUID, list[Pause]] = {}
    open_since: dict[uuid.UUID, datetime] = {}
    for problem_id, occurred_at, from_status, to_status in events:
        if to_status == "needs_info":
            open_since[problem_id] = occurred_at
        elif from_status == "needs_info" and problem_id in open_since:
            start = open_since.pop(problem_id)
            found.setdefault(problem_id, []).append(Pause(start=start, end=occurred_at))
    for problem_id, start in open_since.items():
        found.setdefault(problem_id, []).append(Pause(start=start, end=None))
    return found


async def pauses(session: AsyncSession, problem: Changing) -> list[Pause]:
    return (await pauses_for(session, [problem.id])).get(problem.id, [])


async def on_state_changed(
    session: AsyncSession, problem: Changing, before: str, after: str, now: datetime
) -> dict[str, Any]:
    """The lifecycle's subscriber: move the clocks; the event records due times that moved."""
    due_before = due_times(problem)
    await on_transition(session, problem, before, after, now)
    if due_times(problem) != due_before:
        return {"sla": due_times_changes(problem)}
    return {}


async def on_transition(
    session: AsyncSession, problem: Changing, before: str, after: str, now: datetime
) -> None:
    """Start, stop, pause and resume the clocks as the problem changes state.

    An action that keeps the state (reassign, delivery alpha to beta) moves no clock: a
    problem reassigned while it waits on its requester stays paused since the same moment.
    """
    if before == after:
        return
    if after == "submitted":
        cal, targets = _calendar_read_for(session, problem.id) or await calendar(session)
        problem.first_response_due_at = due_at(now, targets.first_response_days, cal)
        problem.decision_due_at = due_at(now, targets.decision_days, cal)
        return
    if problem.first_response_at is None and after in FIRST_RESPONSES:
        problem.first_response_at = now
    if after == "needs_info":
        problem.paused_since = now
        due = problem.decision_due_at
        if due is None or due > now:  # not yet due: unknown until the requester answers
            problem.decision_due_at = None
    elif before == "needs_info":
        ended = problem.paused_since
        problem.paused_since = None
        if after == "triage" and problem.submitted_at is not None:
            cal, targets = await calendar(session)
            # The event ending this pause is written after us: close it here.
            history = [p for p in await pauses(session, problem) if p.end is not None]
            if ended is not None:
                history.append(Pause(start=ended, end=now))
            problem.decision_due_at = due_at(
                problem.submitted_at, targets.decision_days, cal, history
            )
    if after in DECISIONS:
        problem.decided_at = now


async def recompute_open(
    session: AsyncSession, actor_id: uuid.UUID | None = None
) -> tuple[int, int]:
    """Recompute the due times of every problem still in triage (after a policy change);
    each problem whose due times moved gets an ``sla_recomputed`` history event. Returns
    how many problems were checked and how many changed.

    A problem waiting on its requester counts its open pause too: its decision due time is
    ``None`` unless the new targets ran out before the pause began.
    """
    cal, targets = await calendar(session)
    # Locked (in id order, as every multi-row writer here): an action committing between
    # this read and the write below would otherwise be overwritten with due times computed
    # for the state it left. Actions on these problems wait for this transaction.
    open_problems = list(
        await session.scalars(
            select(models.Problem)
            .where(models.Problem.status.in_(("submitted", "triage", "needs_info")))
            .order_by(models.Problem.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    paused = await pauses_for(session, [problem.id for problem in open_problems])
    count = changed = 0
    for problem in open_problems:
        if problem.submitted_at is None:
            continue
        before = due_times(problem)
        problem.first_response_due_at = due_at(
            problem.submitted_at, targets.first_response_days, cal
        )
        problem.decision_due_at = due_at(
            problem.submitted_at, targets.decision_days, cal, paused.get(problem.id, [])
        )
        if due_times(problem) != before:
            moved = {"sla": due_times_changes(problem)}
            await history.record(session, problem.id, actor_id, "sla_recomputed", changes=moved)
            changed += 1
        count += 1
    await session.flush()
    return count, changed
