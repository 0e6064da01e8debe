"""The triage queue in one statement, straight to its rows (``intake.web.reads``).

One statement reads the caller, one page of the queue they see in the order
``ix_problems_triage_queue`` keeps, the names on each row, the pauses of the rows whose
decision clock needs them, and the SLA calendar's token (the calendar itself only when it
changed: ``sla.current``). The clocks are then computed from each row and the calendar,
without another round trip. The API reads it outside any transaction; the pages through
their session's connection (``service.triage_queue``), on the same SQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple, get_args

import asyncpg
import msgspec

from intake.lib.errors import Forbidden, ValidationFailed
from intake.lib.pagination import Int4, decode_cursor, encode_cursor
from intake.lib.schema import from_row
from intake.problems.rows import department_ref
from intake.problems.schemas import PersonRef
from intake.triage import schemas
from intake.triage.sla import current
from intake.triage.sla.business_time import (
    Calendar,
    Pause,
    SlaClock,
    business_time_elapsed,
    clock,
    due_at,
)
from intake.web.reads import CALLER, BindArgs, fetch_as, visible

QUEUE_STATES = ("submitted", "triage", "needs_info")
QUEUE_READERS = ("triager", "admin", "leadership")

QueueOrder = Literal["due", "score", "oldest"]
QUEUE_ORDERS: tuple[QueueOrder, ...] = get_args(QueueOrder)


@dataclass(frozen=True, slots=True)
class QueueFilters:
    department: str | None = None
    triager: uuid.UUID | None = None
    unassigned: bool = False
    states: tuple[str, ...] = ()
    breached: bool | None = None
    min_age_days: int | None = None
    # "due" (the queue's own order), "score" (highest first) or "oldest" (submitted first).
    order: QueueOrder = "due"


# A paused problem's place in a cursor: its decision clock has no due time, so it sorts last.
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)

# The bind parameters every queue statement starts with, after the caller's three.
_NOW, _KNOWN = "$4::timestamptz", "$5::uuid"

# Each order over the alias ``pr``, the same in the index scans and around them.
_ORDERS: dict[QueueOrder, str] = {
    "due": "pr.decision_due_at ASC NULLS LAST, pr.score DESC NULLS LAST, pr.id",
    "score": "coalesce(pr.score, -1) DESC, pr.id",
    "oldest": "pr.submitted_at, pr.id",
}


def _after_in_group(score: str, after_id: str) -> str:
    return (
        f"(coalesce(pr.score, -1) < {score} "
        f"OR (coalesce(pr.score, -1) = {score} AND pr.id > {after_id}))"
    )


def _ranges(filters: QueueFilters, cursor: str | None, arg: BindArgs) -> list[str]:
    """The index ranges to read, in order, each as a condition of its own LIMITed scan.

    A lower bound on ``decision_due_at`` starts the range at the cursor (a ``coalesce`` of
    it would read the queue from the start); score and id only break ties among rows due at
    the same moment. Paused rows (no due time) are their own range at the end of the index,
    read once the dated rows run out. Another order's cursor is a 422.
    """
    if not cursor:
        return ["true"]
    if filters.order == "score":
        _, after, after_id = decode_cursor(cursor, (Literal["score"], Int4, uuid.UUID))
        return [_after_in_group(arg(after, "int"), arg(after_id, "uuid"))]
    if filters.order == "oldest":
        _, since, after_id = decode_cursor(cursor, (Literal["oldest"], datetime, uuid.UUID))
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        after = f"({arg(since, 'timestamptz')}, {arg(after_id, 'uuid')})"
        return [f"(pr.submitted_at, pr.id) > {after}"]
    due, score, after_id = decode_cursor(cursor, (datetime, Int4, uuid.UUID))
    if due.tzinfo is None:  # this server writes UTC with its offset; read a bare one as UTC
        due = due.replace(tzinfo=UTC)
    in_group = _after_in_group(arg(score, "int"), arg(after_id, "uuid"))
    if due >= _FAR_FUTURE:
        return [f"pr.decision_due_at IS NULL AND {in_group}"]
    at = arg(due, "timestamptz")
    return [
        f"pr.decision_due_at >= {at} AND (pr.decision_due_at > {at} OR {in_group})",
        "pr.decision_due_at IS NULL",
    ]


def breached_sql(now: str) -> str:
    """SQL: either clock of a queue row shows ``breached`` at ``now`` (never NULL).

    The same judgement as the rows' clocks (``first_response_clock``, ``decision_clock``),
    on the same stored due times: the first response was given after its due time, or is
    still owed and overdue; the decision is overdue. A decision clock paused after it ran
    out keeps its due time (``clocks.on_transition``), so it stays breached while paused;
    one paused in time has none. Plain comparisons of the row's own columns, so the queue
    is still read in index order and filtered as it goes.
    """
    return (
        f"coalesce(pr.decision_due_at < {now} "
        f"OR pr.first_response_due_at < coalesce(pr.first_response_at, {now}), false)"
    )


def _needs_pauses_sql(now: str) -> str:
    """SQL: ``needs_pauses`` of the row ``pr``."""
    return f"pr.decision_due_at IS NULL OR pr.decision_due_at <= {now} OR pr.decided_at IS NOT NULL"


def queue_sql(
    filters: QueueFilters, now: datetime, cursor: str | None, limit: int
) -> tuple[str, list[object]]:
    """The statement and its parameters after the fixed five (the caller's three, ``now``,
    the calendar token known): the caller, whether they may read the queue, the calendar, and
    up to ``limit + 1`` rows (one more than a page) with their names and pauses."""
    arg = BindArgs(5)
    readers = arg(list(QUEUE_READERS), "varchar[]")
    where = [f"pr.status = ANY({arg(list(filters.states or QUEUE_STATES), 'varchar[]')})"]
    where.append(visible("pr"))
    if filters.department:
        where.append(
            "pr.department_id = (SELECT dd.id FROM departments dd "
            f"WHERE dd.code = {arg(filters.department.upper(), 'varchar')})"
        )
    if filters.unassigned:
        where.append("pr.triager_id IS NULL")
    elif filters.triager:
        where.append(f"pr.triager_id = {arg(filters.triager, 'uuid')}")
    if filters.min_age_days is not None:
        since = now - timedelta(days=filters.min_age_days)
        where.append(f"pr.submitted_at <= {arg(since, 'timestamptz')}")
    if filters.breached is not None:
        where.append(breached_sql(_NOW) if filters.breached else f"NOT {breached_sql(_NOW)}")
    order = _ORDERS[filters.order]
    count = arg(limit + 1, "int")
    scans = " UNION ALL ".join(
        f"""(SELECT pr.* FROM problems pr
        WHERE {" AND ".join([*where, extra])}
        ORDER BY {order} LIMIT {count})"""
        for extra in _ranges(filters, cursor, arg)
    )
    sql = f"""
WITH {CALLER}
SELECT c.active AS caller_active, c.roles && {readers} AS caller_reads_queue,
       {current.columns(_KNOWN)},
       pr.id, pr.reference, pr.title, pr.status, pr.score, pr.submitted_at,
       pr.first_response_at, pr.first_response_due_at, pr.decided_at, pr.decision_due_at,
       pr.triager_id, t.name AS triager_name,
       d.id AS department_id, d.code AS department_code, d.name AS department_name,
       pa.pause_at, pa.pause_starts
FROM c
LEFT JOIN calendar_version v ON v.id
LEFT JOIN LATERAL (
    SELECT pr.* FROM ({scans}) pr ORDER BY {order} LIMIT {count}
) pr ON true
LEFT JOIN departments d ON d.id = pr.department_id
LEFT JOIN people t ON t.id = pr.triager_id
LEFT JOIN LATERAL (
    SELECT array_agg(ev.occurred_at ORDER BY ev.id) AS pause_at,
           array_agg(coalesce(ev.to_status = 'needs_info', false) ORDER BY ev.id) AS pause_starts
    FROM problem_events ev
    WHERE ({_needs_pauses_sql(_NOW)})
      AND ev.problem_id = pr.id
      AND (ev.to_status = 'needs_info' OR ev.from_status = 'needs_info')
) pa ON true
ORDER BY {order}
"""
    return sql, arg.values


async def queue_for(
    connection: asyncpg.Connection,
    email: str,
    filters: QueueFilters,
    *,
    now: datetime,
    cursor: str | None,
    limit: int,
) -> tuple[list[schemas.QueueItem], str | None]:
    """Open problems the person ``email`` sees, soonest decision due first (paused ones
    last), then highest score, with both SLA clocks; 403 unless they read the queue.

    The order is the one ``ix_problems_triage_queue`` keeps, so a page, first or later, is a
    short range of that index whatever the length of the queue.
    """
    try:
        sql, args = queue_sql(filters, now, cursor, limit)
    except ValidationFailed:  # a cursor we did not make: still 403 first for non-readers
        sql, args = queue_sql(filters, now, None, 0)
        _readable(await fetch_as(connection, email, sql, now, current.known(), *args))
        raise
    rows = await fetch_as(connection, email, sql, now, current.known(), *args)
    _readable(rows)
    calendar = current.from_row(rows[0])
    if calendar is None:  # forgotten meanwhile: ask again, without a token
        rows = await fetch_as(connection, email, sql, now, None, *args)
        calendar = current.from_row(rows[0])
        assert calendar is not None
    cal, targets = calendar
    found = [row for row in rows if row["id"] is not None]
    page = found[:limit]
    items = [
        schemas.QueueItem(
            id=row["id"],
            reference=row["reference"],
            title=row["title"],
            status=row["status"],
            department=department_ref(row),
            triager=PersonRef(id=row["triager_id"], name=row["triager_name"])
            if row["triager_id"]
            else None,
            score=row["score"],
            submitted_at=row["submitted_at"],
            first_response=first_response_clock(clocks, targets.first_response_days, cal, now),
            decision=decision_clock(clocks, targets.decision_days, cal, now, _pauses(row)),
        )
        for row, clocks in ((row, ClockRow.of(row)) for row in page)
    ]
    return items, _next_cursor(filters.order, page, len(found) > limit)


def _readable(rows: Any) -> None:
    if not rows[0]["caller_reads_queue"]:
        raise Forbidden(f"This needs the role {' or '.join(QUEUE_READERS)}.")


def _next_cursor(order: QueueOrder, page: list[asyncpg.Record], more: bool) -> str | None:
    if not more:
        return None
    last = page[-1]
    if order != "due":
        key = last["score"] if order == "score" else last["submitted_at"]
        return encode_cursor([order, key if key is not None else -1, str(last["id"])])
    return encode_cursor(
        [
            last["decision_due_at"] or _FAR_FUTURE,
            last["score"] if last["score"] is not None else -1,
            str(last["id"]),
        ]
    )


def _pauses(row: asyncpg.Record) -> list[Pause]:
    """The intervals the problem waited on its requester, from its events in order (read
    only for the clocks that need them, ``needs_pauses``), as ``clocks.pauses_for``."""
    found: list[Pause] = []
    moments, starts = row["pause_at"], row["pause_starts"]
    if not moments:
        return found
    open_since: datetime | None = None
    for moment, starts_pause in zip(moments, starts, strict=True):
        if starts_pause:
            open_since = moment
        elif open_since is not None:
            found.append(Pause(start=open_since, end=moment))
            open_since = None
    if open_since is not None:
        found.append(Pause(start=open_since, end=None))
    return found


# -- the clocks of a row --------------------------------------------------------------------


class ClockRow(NamedTuple):
    """What the clocks read of a problem: a queue row, or the problem itself."""

    status: str
    submitted_at: datetime | None
    first_response_at: datetime | None
    first_response_due_at: datetime | None
    decided_at: datetime | None
    decision_due_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> ClockRow:
        """From a queue row (asyncpg) or anything with these attributes (a problem)."""
        if isinstance(row, asyncpg.Record):
            return cls(
                row["status"],
                row["submitted_at"],
                row["first_response_at"],
                row["first_response_due_at"],
                row["decided_at"],
                row["decision_due_at"],
            )
        return cls(*(getattr(row, name) for name in cls._fields))


def needs_pauses(row: ClockRow, now: datetime) -> bool:
    """Whether the decision clock needs the problem's pauses, not just its stored due time.

    The due time already allows for every pause before it, so a clock still short of it
    does not; a paused one does, and so does an overdue one (it may have waited on the
    requester since). Stopped clocks never reach the queue, but the clock allows them.
    """
    due = row.decision_due_at
    return due is None or now >= due or row.decided_at is not None


def first_response_clock(
    row: ClockRow, target_days: int, cal: Calendar, now: datetime
) -> schemas.SlaClockOut:
    """From submit until a triager first acts; never paused, so its due time is fixed."""
    started = row.submitted_at or now
    due = row.first_response_due_at or due_at(started, target_days, cal)
    until = row.first_response_at or now
    return schemas.SlaClockOut(
        target_days=target_days,
        due_at=due,
        stopped_at=row.first_response_at,
        elapsed_business_days=round(business_time_elapsed(started, until, cal), 2),
        paused=False,
        breached=due is not None and until > due,
    )


def decision_clock(
    row: ClockRow, target_days: int, cal: Calendar, now: datetime, pauses: list[Pause]
) -> schemas.SlaClockOut:
    """From submit until the decision, paused while waiting on the requester.

    A running clock's business time elapsed is the target less what remains until its
    stored due time, or plus what has passed since (less any pause since then): one span
    of the calendar instead of replaying the problem's whole history. A paused clock's
    due time and breach are the stored ones too, as the queue's ``breached`` filter reads
    them (a policy change recomputes both in the same request).
    """
    due = row.decision_due_at
    paused = row.status == "needs_info"
    if paused or due is None or row.decided_at is not None:
        value = clock_out(
            clock(
                started_at=row.submitted_at or now,
                target_days=target_days,
                calendar=cal,
                now=now,
                stopped_at=row.decided_at,
                pauses=pauses,
            )
        )
        if paused:
            overdue = due is not None and now > due
            return msgspec.structs.replace(value, due_at=due, breached=overdue)
        return value
    if now < due:
        elapsed = max(0.0, target_days - business_time_elapsed(now, due, cal))
    else:
        elapsed = target_days + business_time_elapsed(due, now, cal, pauses)
    return schemas.SlaClockOut(
        target_days=target_days,
        due_at=due,
        stopped_at=None,
        elapsed_business_days=round(elapsed, 2),
        paused=False,
        breached=now > due,
    )


def clock_out(value: SlaClock) -> schemas.SlaClockOut:
    return from_row(schemas.SlaClockOut, value)
