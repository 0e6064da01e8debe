"""What a portfolio request looks at: which moment, which problems, who is asking.

Every view reads the same snapshot: the timeline row of each submitted problem valid at
the moment asked for (now, or ``as_of``), narrowed by the filters and by the caller's
reach. Leadership and DTI roles see the whole city; a requester sees their own
department's portfolio, restricted problems included (they are their department's).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    Text,
    and_,
    cast,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.selectable import ScalarSelect

from intake.db import models
from intake.db.base import Base
from intake.feed import service as feed
from intake.lib.clock import utcnow
from intake.lib.errors import FieldError, Forbidden, ValidationFailed
from intake.registry import service as registry
from intake.vocabulary.states import STATES
from intake.web.auth import Caller

Timeline = models.ProblemTimeline
# Every state a submitted problem can be in (none goes back to draft).
SUBMITTED_STATES = tuple(state for state in STATES if state != "draft")
# The end of a row that is still valid. The portfolio indexes are keyed on
# ``coalesce(valid_to, 'infinity')`` (``valid_until``): the current rows sit together under
# 'infinity' and the rows valid at a past moment are one range scan, index-only.
NOT_ENDED = literal_column("'infinity'::timestamptz", DateTime(timezone=True))
# A column or an SQL expression over columns, as the view queries pass them around.
Expression = ColumnElement[Any] | QueryableAttribute[Any]


# The span of moments and days a portfolio question may name: nothing in Intake's history
# is older, and a day past LATEST_DAY cannot be turned into the next day's start.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_DAY = date(9998, 12, 31)


@dataclass(frozen=True, slots=True)
class Scope:
    """One portfolio question: the moment, the filters, and the caller's reach."""

    moment: datetime  # the moment the view describes (now, or as_of)
    as_of: datetime | None  # None: the current state
    department_id: uuid.UUID | None
    team_id: uuid.UUID | None
    submitted_from: datetime | None  # problems submitted in [from, to)
    submitted_to: datetime | None
    # False for a requester: the view is their department's, and other departments'
    # restricted work is not theirs to see, not even as a count.
    sees_everything: bool = True

    @property
    def key(self) -> str:
        """The scope in a stable text form, for ETags and caches."""
        return "|".join(
            str(part)
            for part in (
                self.as_of.isoformat() if self.as_of else "now",
                self.department_id,
                self.team_id,
                self.submitted_from,
                self.submitted_to,
                "city" if self.sees_everything else "department",
            )
        )


async def scope_for(
    session: AsyncSession,
    caller: Caller,
    *,
    as_of: datetime | None,
    department: str | None,
    team: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
) -> Scope:
    """Validate the filters and apply the caller's reach (403 outside it)."""
    now = utcnow()
    if as_of is not None:
        if as_of.tzinfo is None:
            raise ValidationFailed(
                "as_of needs a time zone.",
                [
                    FieldError(
                        "as_of", "Use RFC 3339 with an offset, e.g. 2026-06-30T23:59:59Z", "query"
                    )
                ],
            )
        if as_of > now:
            raise ValidationFailed(
                "as_of is in the future.",
                [FieldError("as_of", "Must not be in the future", "query")],
            )
    if as_of is not None and as_of < EARLIEST:
        raise ValidationFailed(
            "as_of is before any history.",
            [FieldError("as_of", f"Must be {EARLIEST.date()} or later", "query")],
        )
    for name, day in (("from", date_from), ("to", date_to)):
        if day is not None and not EARLIEST.date() <= day <= LATEST_DAY:
            raise ValidationFailed(
                f"`{name}` is out of range.",
                [FieldError(name, f"Must be between {EARLIEST.date()} and {LATEST_DAY}", "query")],
            )
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed(
            "The date range is empty.", [FieldError("from", "Must not be after `to`", "query")]
        )
    department_id = None
    if department is not None:
        department_id = (
            await registry.department_by_code(session, department.upper(), "department", "query")
        ).id
    if caller.only_department is not None:  # a department-scoped service account
        if department_id not in (None, caller.only_department):
            raise Forbidden("This service account sees its own department's portfolio.")
        department_id = caller.only_department
    elif not caller.sees_everything_submitted:
        if department_id not in (None, caller.department_id):
            raise Forbidden("Requesters see their own department's portfolio.")
        department_id = caller.department_id
    if team is not None and await session.get(models.Team, team) is None:
        raise ValidationFailed("Unknown team.", [FieldError("team", f"No team {team}", "query")])
    return Scope(
        moment=as_of or now,
        as_of=as_of,
        department_id=department_id,
        team_id=team,
        submitted_from=_start_of(date_from),
        submitted_to=_start_of(date_to + timedelta(days=1)) if date_to else None,
        sees_everything=caller.sees_everything_submitted,
    )


def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


def moment(scope: Scope) -> ColumnElement[datetime]:
    """The scope's moment as an SQL value (durations are clipped at it, clocks judged at it)."""
    return literal(scope.moment, DateTime(timezone=True))


def today(scope: Scope) -> date:
    """The calendar day (UTC) of the scope's moment: what "today" was then, for dates."""
    return scope.moment.astimezone(UTC).date()


def valid_until(row: Any = Timeline) -> ColumnElement[datetime]:
    """When the row stopped being valid ('infinity' while it still is): the indexes' key."""
    return func.coalesce(row.valid_to, NOT_ENDED)


def valid_at(scope: Scope, row: Any = Timeline) -> ColumnElement[bool]:
    """The timeline row in force at the scope's moment (the open row when asking about now)."""
    if scope.as_of is None:
        return valid_until(row) == NOT_ENDED
    return and_(valid_until(row) > scope.as_of, row.valid_from <= scope.as_of)


def row_filters(scope: Scope, row: Any = Timeline) -> list[ColumnElement[bool]]:
    """The scope's filters on timeline rows (``row``: the timeline or an alias of it).

    Every row carries its problem's department, so no view needs the ``problems`` table to
    filter, and the portfolio indexes answer index-only.
    """
    conditions: list[ColumnElement[bool]] = [row.submitted_at.is_not(None)]
    if scope.department_id is not None:
        conditions.append(row.department_id == scope.department_id)
    if scope.team_id is not None:
        conditions.append(row.team_id == scope.team_id)
    if scope.submitted_from is not None:
        conditions.append(row.submitted_at >= scope.submitted_from)
    if scope.submitted_to is not None:
        conditions.append(row.submitted_at < scope.submitted_to)
    return conditions


def in_states(states: Collection[str] = SUBMITTED_STATES) -> ColumnElement[bool]:
    """Rows in these states. Always part of the snapshot (every state a submitted problem
    can be in, unless a view asks for fewer): ``ix_problem_timeline_snapshot`` is keyed by
    state first, so a view of a few states reads only their ranges, even ``as_of``."""
    return Timeline.status.in_(states)


def rows_at(scope: Scope, *columns: Any, states: Collection[str] = SUBMITTED_STATES) -> Select[Any]:
    """SELECT ``columns`` FROM the timeline rows in scope at the moment (in ``states``),
    without ``problems``: the same problems as ``snapshot``, for queries that need no
    column of the record (an index-only scan of ``ix_problem_timeline_snapshot``)."""
    return (
        select(*columns)
        .select_from(Timeline)
        .where(in_states(states), valid_at(scope), *row_filters(scope))
    )


def first_of_each(
    rows: Subquery, group: ColumnElement[Any], order: tuple[Any, ...], shown: int
) -> Subquery:
    """The first ``shown`` of ``rows`` in each ``group`` by ``order``, each with its ``rank``
    in the group and ``in_group``, how many rows the group holds."""
    ranked = select(
        rows,
        func.count().over(partition_by=group).label("in_group"),
        func.row_number().over(partition_by=group, order_by=order).label("rank"),
    ).subquery()
    return select(ranked).where(ranked.c.rank <= shown).subquery()


def snapshot(scope: Scope, *columns: Any) -> Select[Any]:
    """SELECT ``columns`` FROM each problem as it stood at the scope's moment, joined with
    its record (``problems``), for queries that need the record's text."""
    return (
        select(*columns)
        .select_from(Timeline)
        .join(models.Problem, models.Problem.id == Timeline.problem_id)
        .where(in_states(), valid_at(scope), *row_filters(scope))
    )


async def data_version(session: AsyncSession) -> str:
    """Changes whenever anything a view reads may have changed.

    - History: the newest event, and the newest event whose transaction (and every older
      one) has finished, as the event feed publishes. Ids are not committed in order: a
      transaction holding a lower id can commit after a higher one, leaving ``max(id)``
      as it was; the second part moves once it has.
    - Settings and teams: every row's writing transaction (``xmin``), so any edit, even
      one stamped with an earlier ``updated_at`` than the newest, and any deletion shows.
      Both tables hold a few rows.
    - The database's identity (which database, since when its server runs, and which file
      holds the history: a truncate or a restore gives a new one), so a tag never names a
      body computed from other data that happens to reach the same event id.

    Cheap (index lookups on history, a scan of two small tables, catalog lookups), so
    polling costs little.
    """
    row = (await session.execute(_DATA_VERSION)).one()
    return ":".join(str(part) for part in row)


def _data_version() -> Select[Any]:
    published = feed.newest_published().subquery()

    def rows_written(table: type[Base]) -> ScalarSelect[str]:
        """The table's rows and their writing transactions: any insert, edit or delete."""
        xmin = cast(literal_column("xmin"), Text)
        written = func.string_agg(xmin, aggregate_order_by(literal(","), xmin))
        return (
            select(func.concat(func.count(), "/", func.md5(written)))
            .select_from(table)
            .scalar_subquery()
        )

    return select(
        select(func.max(models.ProblemEvent.id)).scalar_subquery(),
        select(func.concat(cast(published.c.xact_id, Text), "/", published.c.id)).scalar_subquery(),
        rows_written(models.Setting),
        rows_written(models.Team),
        literal_column("(SELECT oid FROM pg_database WHERE datname = current_database())"),
        func.pg_relation_filenode("problem_events"),
        func.pg_postmaster_start_time(),
    )


_DATA_VERSION = _data_version()  # built once: every portfolio request asks


# For the aggregate queries of one view, in its own transaction only (one round trip):
# - room to sort and hash in memory;
# - a plan made for each execution's own values: statements are prepared and reused per
#   connection, and after five runs PostgreSQL may switch to a generic plan that ignores
#   the moment asked about, guesses row counts blind and can be ten times slower;
# - no parallel workers: on a small machine concurrent requests already use every core,
#   and workers only add start-up and gathering (measured: slower alone and under load).
# (JIT is off for every connection: ``intake.db.session``.)
VIEW_SETTINGS = text(
    "SELECT set_config('work_mem', '64MB', true), "
    "set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
)
