"""SLA breaches: each clock that runs past its due time is recorded once, in history.

The first-response clock runs from submit until a triager first acts; the decision clock
until the decision, and while the problem waits on its requester (needs_info) it is paused
and has no due time, so it cannot breach, unless it had already run out when the pause
began: then it keeps its past due time (see ``clocks``), and the sweep records that breach
if it had not yet. The sweep writes one ``sla_breached`` event per overdue clock, which
notifies the problem's watchers, and stamps the problem's ``*_breached_at`` column so the
clock never breaches twice. It judges a clock overdue from the same stored due times as
the triage queue's ``breached`` filter.

Several API processes may sweep at once: each locks the rows it records with
``FOR UPDATE SKIP LOCKED``, so a row another sweep (or a request) holds is left for the next
sweep instead of being waited on or recorded twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.db.models import Problem
from intake.lib import background, metrics
from intake.lib.clock import utcnow
from intake.notifications.fan_out import SLA_BREACHED
from intake.problems import history
from intake.web import idempotency

logger = logging.getLogger(__name__)

# The clocks run only while DTI owes the requester an answer; a withdrawn problem's stop.
OPEN_STATES = ("submitted", "triage", "needs_info")
BATCH_SIZE = 100


def _first_response_overdue(now: datetime) -> ColumnElement[bool]:
    return and_(
        Problem.first_response_at.is_(None),
        Problem.first_response_due_at < now,
        Problem.first_response_breached_at.is_(None),
    )


def _decision_overdue(now: datetime) -> ColumnElement[bool]:
    return and_(
        Problem.decided_at.is_(None),
        Problem.decision_due_at < now,
        Problem.decision_breached_at.is_(None),
    )


async def record_breaches(
    session: AsyncSession, now: datetime, *, batch_size: int = BATCH_SIZE
) -> int:
    """Record every clock overdue at ``now`` and not yet recorded; return how many.

    Works through the open problems in batches of ``batch_size`` (by id, so it always ends),
    in the caller's transaction.
    """
    first_response, decision = _first_response_overdue(now), _decision_overdue(now)
    recorded = 0
    after: uuid.UUID | None = None
    while True:
        query = (
            select(
                Problem.id,
                Problem.first_response_due_at,
                Problem.decision_due_at,
                first_response.label("first_response"),
                decision.label("decision"),
            )
            .where(Problem.status.in_(OPEN_STATES), or_(first_response, decision))
            .order_by(Problem.id)
            .limit(batch_size)
            .with_for_update(of=Problem, skip_locked=True)
        )
        if after is not None:
            query = query.where(Problem.id > after)
        rows = (await session.execute(query)).all()
        for row in rows:
            if row.first_response:
                await _breach(session, row.id, "first_response", row.first_response_due_at, now)
                recorded += 1
            if row.decision:
                await _breach(session, row.id, "decision", row.decision_due_at, now)
                recorded += 1
        if len(rows) < batch_size:
            return recorded
        after = rows[-1].id


async def _breach(
    session: AsyncSession, problem_id: uuid.UUID, clock: str, due_at: datetime, now: datetime
) -> None:
    column = {
        "first_response": Problem.first_response_breached_at,
        "decision": Problem.decision_breached_at,
    }[clock]
    # Not an edit of the record: the version (ETag) and updated_at stay as they were, so a
    # triager's If-Match is not made stale by the sweep.
    await session.execute(
        update(Problem)
        .where(Problem.id == problem_id)
        .values({column: now, Problem.updated_at: Problem.updated_at})
        .execution_options(synchronize_session=False)
    )
    breached = {"clock": clock, "due_at": due_at.isoformat()}
    await history.record(session, problem_id, None, SLA_BREACHED, changes=breached)


async def sweep(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """One sweep in its own transaction, as of now. It also forgets expired
    Idempotency-Keys (in transactions of their own): the one periodic task each process runs
    keeps both tidy."""
    async with sessionmaker() as session, session.begin():
        recorded = await record_breaches(session, utcnow())
    await idempotency.forget_expired(sessionmaker)
    metrics.SLA_SWEEPS.inc()
    metrics.SLA_BREACHES.inc(recorded)
    return recorded


async def sweep_every(run: Callable[[], Awaitable[int]], seconds: float) -> None:
    """Run a sweep now and then every ``seconds`` until cancelled (``background.every``)."""
    await background.every(
        seconds,
        run,
        what="The SLA sweep",
        report=lambda count: f"Recorded {count} SLA breach(es)." if count else None,
    )
