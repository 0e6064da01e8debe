"""The SLA calendar (targets, time zone, holidays) as a process keeps it between reads.

Admins change it rarely and the queue reads it on every request, so a process keeps what it
loaded under the token of ``calendar_version``, which triggers renew in the transaction of
any change to ``settings`` or ``holidays`` (migration ``calendar_version``). A read passes
the token it knows and reads the current one in the same statement (``COLUMNS``): the
database sends the calendar only when they differ. So a change made by another process, or
in psql, shows on the next read everywhere, and an unchanged calendar costs a comparison.
Without the row (deleted by hand) the calendar is sent every time. A submit reads it so
too, in its transaction (``columns``, read with the draft it locks); the other writes that
store what they compute (due times) read the policy afresh (``clocks.calendar``).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from intake.triage.policy import SlaPolicy, zone
from intake.triage.sla.business_time import Calendar, calendar_of


def columns(known: str) -> str:
    """SQL: the current token, and the calendar when it is not the one ``known`` (a uuid
    parameter) names; over ``calendar_version v`` (LEFT JOINed: it may have no row)."""
    stale = f"(v.token IS NULL OR v.token IS DISTINCT FROM {known})"
    return f"""v.token AS calendar_token,
       CASE WHEN {stale} THEN (SELECT s.value::text FROM settings s WHERE s.key = 'sla')
       END AS calendar_sla,
       CASE WHEN {stale} THEN ARRAY(SELECT h.day FROM holidays h ORDER BY h.day)
       END AS calendar_holidays"""


# What ``columns`` reads from, joined into a statement of one row.
JOIN = "LEFT JOIN calendar_version v ON v.id"
_READ = text(f"SELECT {columns('CAST(:known AS uuid)')} FROM (VALUES (1)) AS one (n) {JOIN}")
Kept = tuple[Calendar, SlaPolicy]
_kept: dict[uuid.UUID, Kept] = {}
_KEEP_AT_MOST = 4  # a process serves one database; the tests' process a few
_POLICY = msgspec.json.Decoder(SlaPolicy)


def known() -> uuid.UUID | None:
    """The token of the calendar kept last, to pass as ``known``."""
    return next(reversed(_kept), None)


def from_row(row: Any) -> Kept | None:
    """The calendar of a row with ``columns``: sent, or kept under its token; None if the
    row did not send it and it is no longer kept (read it again with ``current``)."""
    token: uuid.UUID | None = row["calendar_token"]
    holidays: list[date] | None = row["calendar_holidays"]
    if holidays is None:
        return _kept.get(token) if token is not None else None
    sla: str | None = row["calendar_sla"]
    policy = _POLICY.decode(sla) if sla is not None else SlaPolicy()
    found = calendar_of(zone(policy), frozenset(holidays)), policy
    if token is not None:
        _kept.pop(token, None)
        _kept[token] = found
        while len(_kept) > _KEEP_AT_MOST:
            del _kept[next(iter(_kept))]
    return found


async def current(session: AsyncSession) -> Kept:
    """The calendar as the session's transaction sees it, kept or read."""
    found = from_row((await session.execute(_READ, {"known": known()})).mappings().one())
    if found is None:  # forgotten between the two: read it whole
        row = (await session.execute(_READ, {"known": None})).mappings().one()
        found = from_row(row)
    assert found is not None
    return found
