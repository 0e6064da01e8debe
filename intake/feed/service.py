"""The event feed: every problem's history as one ordered stream, for the city's data platform.

**Publication is its own record.** An event is published (a ``FeedEntry``) when it is
written, for the readers who may see its problem then, and again whenever the problem's
visibility widens, for the readers it reaches only from then on: a draft's history at
submit (until then it is its department's), a restricted problem's when it is opened up or
gains a collaborator. The trigger ``feed_publish`` on ``problem_events`` does it, in the
transaction that writes the event, whoever writes it (migration ``feed_publication``).
Each entry names whom it is for (a ``FeedAudience``: the readers ``reach`` names, less
those ``seen_by`` names); ``reader_names`` are the names a reader answers to.

**Order.** Entry ids come from a sequence, and transactions commit in any order: a request
can take id 41, another id 42 and commit first. A reader paging "id > the last id read"
would read 42, then never see 41. So each entry records the transaction that published it
(``xact_id``, ``pg_current_xact_id()`` by default), and the feed shows an entry only once
its transaction, and every older one, has certainly finished: ``xact_id`` is below the
oldest transaction still running in the statement's snapshot (``pg_snapshot_xmin``). Those
transactions can no longer add an entry, and the ones that committed are all visible to
the snapshot. The feed is ordered by (xact_id, id), and a cursor is a position in that
order up to which the reader has read everything; an entry published later always lands
after it, also when it publishes an old event. None is skipped, none comes twice.

The price is a short delay: an event appears once every older writing transaction has
finished (milliseconds, usually). A long-running writer holds the feed back; it never loses
an event.

Visibility is also judged when the feed is read, as a problem's history is: an entry for a
reader whose problem they may no longer see (restricted since) is not shown, and what an
event says about another problem is judged then too (``intake.problems.redaction``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Select,
    String,
    Text,
    any_,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.models import XID8, FeedAudience, FeedEntry, Person, Problem, ProblemEvent
from intake.feed import schemas
from intake.lib.pagination import decode_cursor, encode_cursor
from intake.lib.schema import from_row
from intake.problems import redaction
from intake.problems import service as problems
from intake.problems.guards import event_visible_to, visible_to
from intake.web.auth import Caller

# A position in the feed: the (xact_id, id) of an entry (for the events published before
# entries existed, the entry id is the event's). A cursor holds the position up to which the
# reader has read everything.
Position = tuple[int, int]
_Part = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 2)]
# The position before every event, for a feed read from its start that has nothing yet.
START = encode_cursor([0, 0])


@dataclass(frozen=True, slots=True)
class FeedFilters:
    types: tuple[str, ...] = ()
    problem: uuid.UUID | None = None


def _position() -> ColumnElement[Any]:
    return tuple_(FeedEntry.xact_id, FeedEntry.id)


def _at(position: Position) -> ColumnElement[Any]:
    return tuple_(literal(position[0], XID8), literal(position[1], BigInteger))


# The names a publication's audience uses (FeedAudience; feed_reach_of in the migration
# writes them for a problem, as guards.visible_to lets readers see it).
EVERYONE = "everyone"
PRIVILEGED = "privileged"  # DTI roles and leadership: every submitted problem


def reader_names(caller: Caller) -> list[str]:
    """The names ``caller`` answers to in a publication's audience."""
    names = [f"department:{caller.department_id}", f"person:{caller.id}"]
    return [*names, PRIVILEGED] if caller.sees_everything_submitted else names


def published_for(caller: Caller) -> ColumnElement[bool]:
    """SQL condition on a feed entry: it is for the caller (its audience reaches them and
    did not reach them before)."""
    names = reader_names(caller)
    audiences = select(FeedAudience.id).where(
        FeedAudience.reach.overlap(literal([EVERYONE, *names], ARRAY(Text))),
        ~FeedAudience.seen_by.overlap(literal(names, ARRAY(Text))),
    )
    return FeedEntry.audience_id.in_(audiences)


def newest_published() -> Select[int, int]:
    """The (xact_id, id) of the newest published entry, no row while there is none. Every
    entry at or before it is final: its transaction, and every older one, finished before
    the statement's snapshot (``xact_id`` below the snapshot's xmin), so none can be added.
    """
    finished = FeedEntry.xact_id < func.pg_snapshot_xmin(func.pg_current_snapshot(), type_=XID8)
    return (
        select(FeedEntry.xact_id, FeedEntry.id)
        .where(finished)
        .order_by(FeedEntry.xact_id.desc(), FeedEntry.id.desc())
        .limit(1)
    )


async def published_up_to(session: AsyncSession) -> Position | None:
    """The position of the newest published event (None: nothing yet)."""
    row = (await session.execute(newest_published())).first()
    return (int(row[0]), int(row[1])) if row else None


@dataclass(frozen=True, slots=True)
class Published:
    """Events read from the feed, each with its position, and where the next read starts:
    the last event's position on a full read, else the horizon (every published event up
    to it has been looked at)."""

    events: list[tuple[Position, schemas.FeedEvent]]
    next_position: Position | None


async def read_published(
    session: AsyncSession,
    caller: Caller,
    filters: FeedFilters,
    *,
    after: Position | None,
    limit: int,
) -> Published:
    """Up to ``limit`` published events after ``after`` (from the start with None) that
    ``caller`` may see and the filters match, in feed order. The one query behind the feed
    and the webhooks (``intake.webhooks``), so both publish the same events in the same
    order under the same visibility rule."""
    horizon = await published_up_to(session)
    if horizon is None or (after is not None and after >= horizon):
        return Published(events=[], next_position=after)

    Event, Entry = ProblemEvent, FeedEntry
    query = (
        select(Entry.xact_id, Entry.id, Event, Person.name, Problem.reference)
        .select_from(Entry)
        .join(Event, Event.id == Entry.event_id)
        .join(Problem, Problem.id == Event.problem_id)
        .outerjoin(Person, Person.id == Event.actor_id)
        .where(
            _position() <= _at(horizon),
            published_for(caller),
            visible_to(caller),
            event_visible_to(caller),
        )
        .order_by(Entry.xact_id, Entry.id)
        .limit(limit)
    )
    if after is not None:
        # "> (x, i)" written as ">= (x, i + 1)", the same rows: PostgreSQL estimates a row
        # comparison from its first column alone, and "xact_id > x" is close to no rows when
        # many entries share x (a bulk load, the events published by the migration that made
        # entries), so it would join and sort everything after the cursor before taking a
        # page (0.6 s instead of 1 ms at 200,000 events). "xact_id >= x" keeps the plan an
        # ordered index scan.
        query = query.where(_position() >= _at((after[0], after[1] + 1)))
    if filters.types:
        query = query.where(Event.type == any_(literal(list(filters.types), ARRAY(String))))
    if filters.problem:
        query = query.where(Event.problem_id == filters.problem)

    rows = (await session.execute(query)).all()
    events = [
        (
            (int(xact_id), int(entry_id)),
            from_row(
                schemas.FeedEvent,
                problems.history_event(event, actor_name),
                problem=schemas.FeedProblem(id=event.problem_id, reference=reference),
            ),
        )
        for xact_id, entry_id, event, actor_name, reference in rows
    ]
    events = await _redacted(session, caller, events)
    last = events[-1][0] if len(events) == limit else horizon
    return Published(events=events, next_position=last)


async def _redacted(
    session: AsyncSession, caller: Caller, events: list[tuple[Position, schemas.FeedEvent]]
) -> list[tuple[Position, schemas.FeedEvent]]:
    """The events naming no other problem the caller may not see (``redaction``): the
    same rule as a problem's history, so a webhook, reading as ``RECEIVER``, gets it too."""
    shown = await redaction.redact(session, caller, [event for _, event in events])
    return [(position, event) for (position, _), event in zip(events, shown, strict=True)]


async def read_feed(
    session: AsyncSession, caller: Caller, filters: FeedFilters, *, cursor: str | None, limit: int
) -> schemas.FeedPage:
    """Up to ``limit`` published events after ``cursor`` (from the start without one) that
    the caller may see and the filters match, in feed order.

    ``next_cursor`` is the last event's position on a full page. On a shorter one every
    published event up to the horizon has been looked at, so it is the horizon: a reader
    whose filters or visibility match few events does not look at the others again.
    """
    after: Position | None = None
    if cursor:
        after = decode_position(cursor)
    published = await read_published(session, caller, filters, after=after, limit=limit)
    if published.next_position is None or published.next_position == after:  # nothing new
        return schemas.FeedPage(items=[], next_cursor=cursor or START)
    return schemas.FeedPage(
        items=[event for _, event in published.events],
        next_cursor=encode_position(published.next_position),
    )


def encode_position(position: Position) -> str:
    """The cursor of a position in the feed."""
    return encode_cursor(list(position))


def decode_position(cursor: str) -> Position:
    """The position a cursor of this feed holds; 422 for anything else."""
    xact_id, event_id = decode_cursor(cursor, (_Part, _Part))
    return (xact_id, event_id)
