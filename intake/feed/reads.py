"""The event feed in one statement for a person, while its reads go to the primary
(``intake.web.reads``): the caller, the horizon, a page of the entries published for them
and the redaction of what each event says about another problem, as ``service.read_feed``
answers it (``published_for``, ``newest_published``, ``visible``, ``redaction``). One
statement sees one snapshot, so the horizon and the page agree as in the service's
transaction."""

from __future__ import annotations

import asyncpg

from intake.feed import schemas
from intake.feed.service import (
    EVERYONE,
    PRIVILEGED,
    START,
    FeedFilters,
    decode_position,
    encode_position,
)
from intake.lib.errors import ValidationFailed
from intake.problems import redaction
from intake.problems.reads import event_fields, other_visible_sql
from intake.web.reads import CALLER, check_caller, fetch_as, visible

# The names the caller answers to in an audience (``service.reader_names``).
_NAMES = f"""(ARRAY['department:' || c.department_id::text, 'person:' || c.id::text]
    || CASE WHEN c.privileged THEN ARRAY['{PRIVILEGED}'] ELSE ARRAY[]::text[] END)"""


def _feed_sql(after: bool, types: bool, problem: bool) -> str:
    """$4: the page's length; then the cursor's position (two), the types, the problem."""
    where = []
    n = 5
    if after:
        # "> (x, i)" as ">= (x, i + 1)": see service.read_published.
        where.append(f"(fe.xact_id, fe.id) >= (${n}::text::xid8, ${n + 1}::bigint + 1)")
        n += 2
    if types:
        where.append(f"e.type = ANY(${n}::varchar[])")
        n += 1
    if problem:
        where.append(f"e.problem_id = ${n}::uuid")
    extra = "".join(f" AND {condition}" for condition in where)
    return f"""
WITH {CALLER},
h AS (
    SELECT fe.xact_id, fe.id FROM feed_entries fe
    WHERE fe.xact_id < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY fe.xact_id DESC, fe.id DESC LIMIT 1
)
SELECT c.active AS caller_active, h.xact_id::text AS horizon_xact_id, h.id AS horizon_id,
       x.xact_id::text AS xact_id, x.entry_id, x.problem_id, x.reference,
       e.id, e.type, e.occurred_at, e.actor_id, a.name AS actor_name, e.from_status,
       e.to_status, e.reason, e.changes::text AS changes, {other_visible_sql()} AS other_visible
FROM c
LEFT JOIN h ON true
LEFT JOIN LATERAL (
    SELECT fe.xact_id, fe.id AS entry_id, fe.event_id, pr.id AS problem_id, pr.reference
    FROM feed_entries fe
    JOIN problem_events e ON e.id = fe.event_id
    JOIN problems pr ON pr.id = e.problem_id
    WHERE (fe.xact_id, fe.id) <= (h.xact_id, h.id)
      AND fe.audience_id IN (
          SELECT fa.id FROM feed_audiences fa
          WHERE fa.reach && (ARRAY['{EVERYONE}'] || {_NAMES})
            AND NOT fa.seen_by && {_NAMES})
      AND {visible("pr")} AND (c.dti OR NOT e.internal){extra}
    ORDER BY fe.xact_id, fe.id LIMIT $4
) x ON true
LEFT JOIN problem_events e ON e.id = x.event_id
LEFT JOIN people a ON a.id = e.actor_id
ORDER BY x.xact_id, x.entry_id
"""


_FEED_SQL = {
    (after, types, problem): _feed_sql(after, types, problem)
    for after in (False, True)
    for types in (False, True)
    for problem in (False, True)
}


async def feed_for(
    connection: asyncpg.Connection,
    email: str,
    filters: FeedFilters,
    *,
    cursor: str | None,
    limit: int,
) -> schemas.FeedPage:
    """``service.read_feed`` for the person ``email``, in one statement."""
    args: list[object] = [limit]
    after = None
    if cursor:
        try:
            after = decode_position(cursor)
        except ValidationFailed:
            await check_caller(connection, email)  # 401 before 422, as the service answers
            raise
        args += [str(after[0]), after[1]]
    if filters.types:
        args.append(list(filters.types))
    if filters.problem:
        args.append(filters.problem)
    sql = _FEED_SQL[after is not None, bool(filters.types), filters.problem is not None]
    rows = await fetch_as(connection, email, sql, *args)
    first = rows[0]
    if first["horizon_xact_id"] is None:  # nothing published yet
        return schemas.FeedPage(items=[], next_cursor=cursor or START)
    horizon = (int(first["horizon_xact_id"]), first["horizon_id"])
    if after is not None and after >= horizon:
        return schemas.FeedPage(items=[], next_cursor=cursor or START)
    found = [row for row in rows if row["id"] is not None]
    items = [_event(row) for row in found]
    last = (int(found[-1]["xact_id"]), found[-1]["entry_id"]) if len(found) == limit else horizon
    if last == after:
        return schemas.FeedPage(items=[], next_cursor=cursor or START)
    return schemas.FeedPage(items=items, next_cursor=encode_position(last))


def _event(row: asyncpg.Record) -> schemas.FeedEvent:
    event = schemas.FeedEvent(
        **event_fields(row),
        problem=schemas.FeedProblem(id=row["problem_id"], reference=row["reference"]),
    )
    return redaction.unless_visible(event, row["other_visible"])
