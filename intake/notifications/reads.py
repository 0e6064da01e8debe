"""The inbox in one statement, straight to its response (``intake.web.reads``): the
caller, one page of their notifications they may see now, and the unread count, with the
same rule as ``service`` (``visible``, and DTI-internal events for DTI roles only)."""

from __future__ import annotations

from typing import Any, NamedTuple, cast

import asyncpg
import msgspec

from intake.lib.errors import ValidationFailed
from intake.lib.pagination import decode_cursor, page_of
from intake.notifications import schemas
from intake.notifications.service import summary
from intake.problems.schemas import PersonRef
from intake.vocabulary.states import Status
from intake.web.reads import CALLER, check_caller, fetch_as, visible


def _readable(n: str, e: str, pr: str) -> str:
    """SQL: notification ``n`` (its event ``e``, problem ``pr``) is the caller's to read."""
    return f"{n}.person_id = c.id AND {visible(pr)} AND (c.dti OR NOT {e}.internal)"


def _inbox_sql(unread_only: bool, after: bool) -> str:
    unread = "AND n.read_at IS NULL" if unread_only else ""
    seek = "AND n.id < $5::bigint" if after else ""
    return f"""
WITH {CALLER}
SELECT c.active AS caller_active, u.unread_count, n.id, n.kind, n.created_at, n.read_at,
       e.id AS event_id, e.type, e.occurred_at, e.actor_id, a.name AS actor_name,
       e.from_status, e.to_status, e.reason, e.changes::text AS changes,
       pr.id AS problem_id, pr.reference, pr.title, pr.status
FROM c
CROSS JOIN LATERAL (
    SELECT count(*) AS unread_count FROM notifications un
    JOIN problem_events ue ON ue.id = un.event_id
    JOIN problems upr ON upr.id = ue.problem_id
    WHERE {_readable("un", "ue", "upr")} AND un.read_at IS NULL
) u
LEFT JOIN LATERAL (
    SELECT n.* FROM notifications n
    JOIN problem_events e ON e.id = n.event_id
    JOIN problems pr ON pr.id = e.problem_id
    WHERE {_readable("n", "e", "pr")} {unread} {seek}
    ORDER BY n.id DESC LIMIT $4
) n ON true
LEFT JOIN problem_events e ON e.id = n.event_id
LEFT JOIN problems pr ON pr.id = e.problem_id
LEFT JOIN people a ON a.id = e.actor_id
ORDER BY n.id DESC
"""


_BOTH = (False, True)
_INBOX_SQL = {(unread, after): _inbox_sql(unread, after) for unread in _BOTH for after in _BOTH}
_CHANGES = msgspec.json.Decoder(dict[str, Any])


class _Event(NamedTuple):
    changes: dict[str, Any]
    from_status: str | None
    to_status: str | None


async def inbox_for(
    connection: asyncpg.Connection,
    email: str,
    *,
    unread_only: bool,
    cursor: str | None,
    limit: int,
) -> schemas.Inbox:
    """``service.list_notifications`` for the person ``email``, in one statement."""
    args: list[object] = [limit + 1]
    if cursor:
        try:
            args.append(decode_cursor(cursor, (int,))[0])
        except ValidationFailed:
            await check_caller(connection, email)  # 401 before 422, as the service answers
            raise
    rows = await fetch_as(connection, email, _INBOX_SQL[unread_only, bool(cursor)], *args)
    page, next_cursor = page_of(
        [row for row in rows if row["id"] is not None], limit, lambda row: (row["id"],)
    )
    return schemas.Inbox(
        items=[_notification(row) for row in page],
        next_cursor=next_cursor,
        unread_count=rows[0]["unread_count"],
    )


def _notification(row: asyncpg.Record) -> schemas.Notification:
    actor_id, actor_name = row["actor_id"], row["actor_name"]
    event = _Event(_CHANGES.decode(row["changes"]), row["from_status"], row["to_status"])
    problem = row["reference"] or f'"{row["title"]}"'
    return schemas.Notification(
        id=row["id"],
        kind=row["kind"],
        created_at=row["created_at"],
        read_at=row["read_at"],
        summary=summary(row["kind"], event, problem, actor_name),
        problem=schemas.NotificationProblem(
            id=row["problem_id"],
            reference=row["reference"],
            title=row["title"],
            status=cast(Status, row["status"]),
        ),
        event=schemas.NotificationEvent(
            id=row["event_id"],
            type=row["type"],
            occurred_at=row["occurred_at"],
            actor=PersonRef(id=actor_id, name=actor_name or "") if actor_id else None,
            from_status=row["from_status"],
            to_status=row["to_status"],
            reason=row["reason"],
        ),
    )
