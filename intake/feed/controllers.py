"""The event feed endpoint: ``GET /api/v1/events``."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from intake.feed import schemas
from intake.feed import service as feed
from intake.lib.errors import FieldError, ValidationFailed
from intake.lib.openapi import API_ERRORS, errors
from intake.lib.pagination import MAX_LIMIT, Cursor, Limit
from intake.vocabulary import events
from intake.web.auth import Caller

MAX_TYPES = schemas.MAX_TYPES

DESCRIPTION = """\
Every problem's history as one ordered stream, for the city's data platform: each item is a
history event (as `GET /problems/{id}/history` shows it) with its problem's `id` and
`reference`.

**Order and cursor.** Events come in the order they were published: by the transaction
that published them (in the order in which transactions started writing), and in order
within one. That is not always `id` order: ids are taken before commit, and an event may
be published again later (below). Keep `next_cursor` and send it back as `cursor`: it is
never null, also on an empty page, so a poller always resumes where it stopped. Fewer
items than `limit` means you have caught up; wait a little and ask again.

**Published when it becomes visible.** An event is published when it is written, for those
who may see its problem then, and again, for those who may see it only later, when that
changes: a draft's history when it is submitted, a restricted problem's when it is opened
up or gains a collaborator. That comes after everything published before, so a reader
following the cursor and a full read hold the same events in the same order.

**Guarantee.** An event appears once the transaction that published it, and every older
writing transaction, has finished: usually within milliseconds (where Intake reads a replica,
up to its lag later; see docs/deployment.md). A long-running writer holds the feed back for
that long; it never makes the feed skip an event. Each event reaches a
reader once (unless a problem the reader could see is hidden from them and shown again:
then its history comes again; see docs/integration.md).

**Visibility.** That of a problem's history, judged again when the feed is read: events of
problems you may see, DTI-internal ones only for DTI roles. A data platform reads the feed
as a service account with the scope `feed:read`, as leadership reads it (or one
department's part of it): see docs/integration.md.

**Filters.** `type` and `problem` narrow the feed; a cursor is a position in the whole
feed, so it stays valid when you change them."""

_EXAMPLE = {
    "items": [
        {
            "id": 1042,
            "type": "accepted",
            "occurred_at": "2026-11-21T19:31:02.118407Z",
            "actor": {"id": "0b7f3c52-8d0e-4a36-9f2a-51c1e9b0d7aa", "name": "Jordan Ellis"},
            "from_status": "triage",
            "to_status": "accepted",
            "reason": None,
            "changes": {},
            "problem": {"id": "39907127-cfc6-4443-ad55-f73e6841036a", "reference": "P-2026-00013"},
        }
    ],
    "next_cursor": "WzkxNDIsMTA0Ml0",
}


def _event_types(values: list[str] | None) -> tuple[str, ...]:
    """``type=a&type=b`` and ``type=a,b`` alike; 422 for a name that is no event type, as a
    webhook's ``types`` is (a typo would otherwise match nothing, silently)."""
    types = [part.strip() for value in values or () for part in value.split(",")]
    problem = None
    if len(types) > MAX_TYPES:
        problem = f"Up to {MAX_TYPES} event types"
    elif unknown := events.unknown(types):
        problem = events.unknown_message(unknown)
    if problem is not None:
        raise ValidationFailed("Invalid event type filter.", [FieldError("type", problem, "query")])
    return tuple(dict.fromkeys(types))


class EventFeedController(Controller):
    path = "/events"
    tags = ["events"]

    @get(
        "/",
        summary="The ordered event feed",
        description=DESCRIPTION,
        responses={
            200: ResponseSpec(
                data_container=schemas.FeedPage,
                description="A page of the feed; keep `next_cursor` for the next request.",
                generate_examples=False,
                examples=[Example(summary="One event", value=_EXAMPLE)],
            ),
            **errors(*API_ERRORS),
        },
    )
    async def read_feed(
        self,
        caller: Caller,
        read_session: AsyncSession,
        type: Annotated[
            list[str] | None,
            Parameter(
                description=(
                    "Only events of these types; repeat the parameter or separate with "
                    "commas: `type=submitted,accepted`. Each must be an event type Intake "
                    "records (the values of a webhook's `types`); anything else is a 422."
                ),
                schema_extra={"items": {"enum": list(events.EVENT_TYPES)}, "max_items": MAX_TYPES},
            ),
        ] = None,
        problem: Annotated[
            uuid.UUID | None, Parameter(description="Only the events of this problem (its id).")
        ] = None,
        cursor: Cursor = None,
        limit: Limit = MAX_LIMIT,
    ) -> schemas.FeedPage:
        filters = feed.FeedFilters(types=_event_types(type), problem=problem)
        return await feed.read_feed(read_session, caller, filters, cursor=cursor, limit=limit)


ROUTES: list[type[Controller]] = [EventFeedController]
