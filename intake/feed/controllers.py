"""The event feed endpoint: ``GET /api/v1/events``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import Provide

from intake.db.replica import ReadReplica
from intake.feed import reads as lean
from intake.feed import schemas
from intake.feed import service as feed
from intake.feed.params import FeedQuery, provide_feed_query
from intake.web.reads import Account, PersonReads, Reader, caller_of, check_caller
from intake.web.transaction import replica_session

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


class EventFeedController(Controller):
    path = "/events"
    tags = ["events"]
    dependencies = {"feed_query": Provide(provide_feed_query, sync_to_thread=False)}

    @get(
        "/",
        summary="The ordered event feed",
        description=DESCRIPTION,
        response_description="A page of the feed; keep `next_cursor` for the next request.",
    )
    async def read_feed(
        self, request: Request[Any, Any, Any], reader: Reader, feed_query: FeedQuery
    ) -> schemas.FeedPage:
        person = reader if isinstance(reader, PersonReads) else None
        account = reader if isinstance(reader, Account) else None
        if person is not None and feed_query.invalid is not None:
            await check_caller(*person)  # a refused caller before a wrong filter
        query = feed_query.checked()
        filters, cursor, limit = query.filters, query.cursor, query.limit
        replicated: ReadReplica = request.app.state.reads
        caller = account.caller if account else None
        if person is not None and replicated.configured:  # on the primary, before the replica
            caller = await caller_of(*person)
        async with replica_session(request) as replica:
            if person is not None and replica is None:  # the primary: one statement
                return await lean.feed_for(*person, filters, cursor=cursor, limit=limit)
            session = replica or (account.session if account else None)
            assert caller is not None and session is not None
            return await feed.read_feed(session, caller, filters, cursor=cursor, limit=limit)


ROUTES: list[type[Controller]] = [EventFeedController]
