"""The portfolio as CSV: one row per problem in scope, streamed straight from the database.

The rows come from the same snapshot as the views (``scope.snapshot``): the timeline row of
each submitted problem valid at the moment asked for, with the same filters and the same
reach. With ``as_of`` every column describes that moment: state, team, triager, score,
phase, key dates and outcome come from the timeline; the latest status update is the newest
created by then; title, communities and ``restricted``, which a requester may edit while
asked for information, are taken from the first later edit's ``from`` value. Only the
names of departments, teams and people are today's (the registry keeps no name history).

Memory stays flat however large the city: a server-side cursor fetches ``BATCH`` rows at a
time, each batch is written as CSV and sent before the next is fetched. The request's own
session is committed and closed by Litestar before a streamed body is sent, so the stream
opens its own read-only session where lagging reads go (the read replica within its lag, else
the primary: ``intake.db.replica``) and closes it when the body is done, fails, or the client
goes away.

Spreadsheet safety: the body is UTF-8 with a byte order mark (so Excel reads accents and
CJK correctly), quoted as RFC 4180 (CRLF line ends, quotes only where needed), and any cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
apostrophe, so a title like ``=HYPERLINK(...)`` is shown as text, never run as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import anyio
from litestar import Controller, Response, get
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.response import Stream
from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Select,
    case,
    cast,
    func,
    literal,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from intake.db import models
from intake.lib.openapi import (
    CACHE_CONTROL,
    CONTENT_DISPOSITION,
    ETAG,
    VARY,
    errors,
    not_modified,
    success_headers,
)
from intake.portfolio import caching
from intake.portfolio.params import SCOPE, IfNoneMatch
from intake.portfolio.scope import (
    VIEW_SETTINGS,
    Scope,
    Timeline,
    data_version,
    snapshot,
)
from intake.portfolio.service import priority_band

# Rows fetched from the cursor and written per chunk: big enough that round trips are few,
# small enough that a chunk is a few hundred kilobytes at most.
BATCH = 2000

HEADER = (
    "reference",
    "title",
    "department_code",
    "department_name",
    "state",
    "delivery_phase",
    "team",
    "triager",
    "score",
    "priority",
    "submitted_at",
    "first_response_at",
    "decided_at",
    "launched_at",
    "closed_at",
    "latest_update_status",
    "latest_update_at",
    "latest_update_summary",
    "outcome_result",
    "restricted",
    "communities",
)
BOM = "\ufeff"
# Cells starting with these are formulas (or become one) in Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The problem fields a requester may edit after submitting, read as of the moment asked for.
EDITABLE = ("title", "communities_affected", "restricted")
COMMUNITY_SEPARATOR = "; "

Team = models.Team
Person = models.Person
Department = models.Department
Update = models.StatusUpdate
Event = models.ProblemEvent


# -- the query ---------------------------------------------------------------------------


def export_query(scope: Scope) -> Select[Any]:
    """Every problem in scope as it stood at the scope's moment, oldest submission first.

    Each column comes out of the database as the cell's final text (timestamps formatted,
    NULL for an empty cell, formula-like text neutralised), so writing a row is only
    quoting: at 100,000 rows, per-cell work in Python would cost more than the query.
    """
    latest = select(Update.status, Update.created_at, Update.summary).where(
        Update.problem_id == Timeline.problem_id
    )
    if scope.as_of is not None:
        latest = latest.where(Update.created_at <= scope.as_of)
    latest_update = (
        latest.order_by(Update.created_at.desc(), Update.id.desc()).limit(1).lateral("latest")
    )
    title: ColumnExpressionArgument[str] = models.Problem.title
    communities: ColumnExpressionArgument[str] = func.array_to_string(
        models.Problem.communities_affected, COMMUNITY_SEPARATOR
    )
    restricted: ColumnExpressionArgument[str] = cast(models.Problem.restricted, Text)
    edits = _edits_after(scope.as_of) if scope.as_of is not None else None
    if edits is not None:
        title = func.coalesce(edits.c.title, title)
        communities = func.coalesce(_joined(edits.c.communities_affected), communities)
        restricted = func.coalesce(edits.c.restricted, restricted)
    columns: tuple[Any, ...] = (
        models.Problem.reference,
        _safe(title),
        Department.code,
        _safe(Department.name),
        Timeline.status,
        Timeline.delivery_phase,
        _safe(Team.name),
        _safe(Person.name),
        Timeline.score,
        priority_band(),
        _stamp(Timeline.submitted_at),
        _stamp(Timeline.first_response_at),
        _stamp(Timeline.decided_at),
        _stamp(Timeline.launched_at),
        _stamp(Timeline.closed_at),
        latest_update.c.status,
        _stamp(latest_update.c.created_at),
        _safe(latest_update.c.summary),
        Timeline.outcome_result,
        restricted,
        _safe(communities),
    )
    query = (
        snapshot(scope, *(column.label(name) for column, name in zip(columns, HEADER, strict=True)))
        .join(Department, Department.id == models.Problem.department_id)
        .outerjoin(Team, Team.id == Timeline.team_id)
        .outerjoin(Person, Person.id == Timeline.triager_id)
        .outerjoin(latest_update, true())
    )
    if edits is not None:
        query = query.outerjoin(edits, edits.c.problem_id == Timeline.problem_id)
    return query.order_by(Timeline.submitted_at, models.Problem.reference)


def _edits_after(moment: datetime) -> Any:
    """Per problem, each editable field's value at ``moment``: the ``from`` of its first
    edit after then (NULL when it was not edited since, so today's value holds).

    One grouped pass over the edits made after the moment, joined by hash, rather than a
    lookup per problem: an export reads every problem in scope.
    """

    def first_from(name: str, as_text: bool) -> ColumnElement[Any]:
        value = Event.changes[(name, "from")]
        values = func.array_agg(
            aggregate_order_by(value.astext if as_text else value, Event.occurred_at, Event.id)
        ).filter(Event.changes.has_key(name))
        return type_coerce(values, ARRAY(Text if as_text else JSONB))[1].label(name)

    return (
        select(
            Event.problem_id,
            first_from("title", as_text=True),
            first_from("communities_affected", as_text=False),
            first_from("restricted", as_text=True),
        )
        .where(
            Event.type == "updated",
            Event.occurred_at > moment,
            Event.changes.has_any(type_coerce(list(EDITABLE), ARRAY(Text))),
        )
        .group_by(Event.problem_id)
        .subquery("edits")
    )


def _joined(communities: ColumnElement[Any]) -> ColumnElement[str]:
    """A JSON array of community names as one cell, in their order."""
    names = (
        func.jsonb_array_elements_text(communities)
        .table_valued("value", with_ordinality="n")
        .render_derived()
    )
    return select(
        func.string_agg(names.c.value, aggregate_order_by(literal(COMMUNITY_SEPARATOR), names.c.n))
    ).scalar_subquery()


def _stamp(column: ColumnExpressionArgument[Any]) -> ColumnElement[str]:
    """RFC 3339 in UTC to the second: what a spreadsheet shows and sorts cleanly."""
    return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')


def _safe(text_column: ColumnExpressionArgument[Any]) -> ColumnElement[str]:
    """Free text a spreadsheet would run as a formula, made text by a leading apostrophe."""
    return case(
        (func.left(text_column, 1).in_(FORMULA_STARTS), func.concat("'", text_column)),
        else_=text_column,
    )


# -- the body ----------------------------------------------------------------------------


class CsvChunks:
    """Rows to RFC 4180 CSV bytes, one chunk at a time, reusing one small buffer."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")

    def encode(self, rows: Iterable[Sequence[str]], prefix: str = "") -> bytes:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._buffer.write(prefix)
        self._writer.writerows(rows)
        return self._buffer.getvalue().encode("utf-8")


async def csv_stream(
    sessionmaker: Callable[[], AsyncSession], query: Select[Any], batch: int = BATCH
) -> AsyncGenerator[bytes, None]:
    """The export's body: BOM and header, then a chunk per ``batch`` rows off the cursor.

    The session is this generator's own (read-only: the export changes nothing), opened
    when the body starts and closed however it ends; the close is shielded so a client
    that goes away mid-export cannot leave the connection checked out.
    """
    chunks = CsvChunks()
    yield chunks.encode([HEADER], prefix=BOM)
    session = sessionmaker()
    try:
        await session.connection(execution_options={"postgresql_readonly": True})
        await session.execute(VIEW_SETTINGS)
        result = await session.stream(query.execution_options(yield_per=batch))
        async for rows in result.partitions():
            yield chunks.encode(rows)
    finally:
        with anyio.CancelScope(shield=True):
            await session.close()


def filename(scope: Scope) -> str:
    if scope.as_of is None:
        return f"intake-portfolio-{scope.moment.astimezone(UTC):%Y-%m-%d}.csv"
    return f"intake-portfolio-as-of-{scope.as_of.astimezone(UTC):%Y-%m-%dT%H%M%SZ}.csv"


# -- the endpoint --------------------------------------------------------------------------

_EXAMPLE = (
    "reference,title,department_code,department_name,state,delivery_phase,team,triager,"
    "score,priority,submitted_at,first_response_at,decided_at,launched_at,closed_at,"
    "latest_update_status,latest_update_at,latest_update_summary,outcome_result,restricted,"
    "communities\r\n"
    'P-2026-00042,"Street tree permits take weeks, not days",DOT,Department of '
    "Transportation,delivery,alpha,Permits Team,Priya One,72,high,2026-01-12T09:30:00Z,"
    "2026-01-13T10:02:11Z,2026-01-20T16:45:00Z,,,on_track,2026-03-02T08:15:00Z,"
    "Beta in two wards; inspections booked online,,false,Ward 3; Ward 7\r\n"
)


class ExportController(Controller):
    path = "/portfolio"
    tags = ["portfolio"]
    dependencies = SCOPE

    @get(
        "/export.csv",
        summary="Export the portfolio as CSV, one row per problem",
        description=(
            "Every submitted problem in scope (the same filters and reach as the views), now "
            "or `as_of` a past moment, ordered by submission time then reference. UTF-8 with "
            "a byte order mark, RFC 4180 quoting and CRLF line ends; cells that start with "
            "`=`, `+`, `-`, `@`, a tab or a carriage return get a leading apostrophe so a "
            "spreadsheet never runs them as formulas. Timestamps are RFC 3339 UTC to the "
            "second. Streamed: the body arrives as rows are read."
        ),
        responses={
            200: ResponseSpec(
                data_container=str,
                description="The CSV file, streamed.",
                media_type="text/csv",
                generate_examples=False,
                examples=[Example(summary="Two rows", value=_EXAMPLE)],
            ),
            **errors(403),
            **not_modified(),
        },
        operation_class=success_headers(ETAG, CACHE_CONTROL, VARY, CONTENT_DISPOSITION),
        media_type="text/csv",  # Litestar adds "; charset=utf-8"
        response_description="The CSV file, streamed.",
    )
    async def export(
        self,
        read_session: AsyncSession,
        state: State,
        view_scope: Scope,
        if_none_match: IfNoneMatch = None,
    ) -> Response[Any]:
        tag = caching.view_etag("export.csv", view_scope, await data_version(read_session))
        headers = {
            "ETag": tag,
            "Cache-Control": caching.cache_control(view_scope),
            "Vary": "Authorization",
        }
        if caching.not_modified(if_none_match, tag):
            return Response(b"", status_code=304, headers=headers)
        body = csv_stream(state.reads.session, export_query(view_scope))
        return Stream(
            body,
            media_type="text/csv",  # Litestar adds "; charset=utf-8"
            headers={
                **headers,
                "Content-Disposition": f'attachment; filename="{filename(view_scope)}"',
            },
            # Closes the stream's session if the client left while a chunk was being sent
            # (a no-op when the body finished).
            background=BackgroundTask(body.aclose),
        )


EXPORT_ROUTES: list[type[Controller]] = [ExportController]
