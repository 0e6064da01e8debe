"""Delivering webhooks: each subscription's events, in feed order, one signed POST each.

A delivery pass (``deliver_due``) runs in every API process every INTAKE_WEBHOOK_SECONDS,
and ``intake webhooks deliver`` runs one by hand. Several processes may run passes at
once; per subscription the work goes like this:

1. **Claim** (a short transaction): subscriptions that are on, not held by another worker
   and not waiting for a retry are locked ``FOR UPDATE SKIP LOCKED`` and given a lease
   (``leased_until``, ``lease_id``). Until it runs out no other worker touches them, so
   one process at a time delivers for a subscription and its order holds.
2. **Read** the next events after the subscription's position with the feed's own query
   (``intake.feed.service.read_published``, as ``service.RECEIVER``), in a read-only
   transaction closed before anything is sent.
3. **Send** each event outside any transaction: an open transaction would hold row locks,
   and one that has written holds back the feed's horizon for every reader, for as long
   as a slow receiver takes.
4. **Record** the attempt (a short transaction): the delivery log row, and, while the lease
   is still this worker's, the new position (2xx) or the retry (anything else). Anything
   but a 2xx stops the subscription's work: the same event is tried again after
   RETRY_AFTER, and later events wait for it. After MAX_ATTEMPTS it is turned off.

Delivery is at least once: a receiver whose 2xx is lost (a timeout just after it
answered, a process stopped mid-request) gets the event again. ``Intake-Event-Id`` lets
it recognise a repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic
from typing import Any

import httpx
import msgspec
from sqlalchemy import BigInteger, Update, delete, literal, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake import __version__
from intake.db.models import XID8, WebhookDelivery, WebhookSubscription
from intake.db.session import write_in_batches
from intake.feed import schemas as feed_schemas
from intake.feed import service as feed
from intake.lib import background, metrics, retries
from intake.lib.clock import Clock, running_from, utcnow
from intake.lib.outages import log_failure
from intake.webhooks import service as webhooks
from intake.webhooks.signing import SIGNATURE_HEADER, signature_header

logger = logging.getLogger(__name__)

# After the n-th failed attempt at an event, the next one waits RETRY_AFTER[n - 1]; the
# attempt after the last wait is the last one (8 h 36 min 10 s after the first).
RETRY_AFTER = (
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_AFTER) + 1

CONNECT_SECONDS = 5.0
READ_SECONDS = 10.0
# However a receiver dribbles its answer, one request ends after this long.
REQUEST_SECONDS = 20.0
# A worker's hold on a subscription, renewed after every request: longer than any request
# and its recording. A worker that stops mid-request leaves it to run out.
LEASE = timedelta(seconds=60)

CLAIM_BATCH = 10  # subscriptions a process delivers for side by side
EVENTS_PER_CLAIM = 50  # then the subscription is released, and claimed again if still due
ERROR_CHARS = 500
USER_AGENT = f"Intake-Webhooks/{__version__}"

KEPT_FOR = timedelta(days=30)  # the delivery log
FORGET_BATCH = 1000

Sessions = async_sessionmaker[AsyncSession]


def retry_table() -> str:
    """The retry schedule as docs/integration.md prints it (tests/app/test_docs.py keeps the
    two the same)."""
    return retries.retry_table(
        RETRY_AFTER,
        first="at the first delivery pass after the event is published",
        after_last="the subscription is turned off",
    )


@dataclass
class DeliveryPass:
    """What one pass did."""

    delivered: int = 0  # events a receiver took (2xx)
    failed: int = 0  # attempts that failed (to be retried, or the last one)
    turned_off: int = 0  # subscriptions turned off after their last attempt
    forgotten: int = 0  # delivery log rows past KEPT_FOR deleted


@dataclass
class _Claim:
    """What a worker needs of a subscription it holds, read when it claimed it."""

    id: uuid.UUID
    lease_id: uuid.UUID
    url: str
    secrets: list[str]
    types: tuple[str, ...]
    after: feed.Position
    attempts: int


@dataclass
class _Result:
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class _Outcome:
    delivered: int = 0
    failed: int = 0
    turned_off: int = 0
    more: bool = False  # stopped at EVENTS_PER_CLAIM with more to send


@asynccontextmanager
async def webhook_client() -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP client a process delivers with: bounded connect and read times, redirects
    not followed (a 3xx is a failure: the subscription's URL should be the final one)."""
    timeout = httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        yield client


async def deliver_due(
    sessionmaker: Sessions, client: httpx.AsyncClient, now: datetime | None = None
) -> DeliveryPass:
    """One delivery pass as of ``now`` (the clock's time without it): every subscription that
    is due gets its events sent until it has caught up with the feed or an attempt fails.
    Then delivery log rows older than KEPT_FOR are deleted."""
    clock = running_from(now)
    result = DeliveryPass()
    finished: set[uuid.UUID] = set()
    # Up to CLAIM_BATCH subscriptions at once, each in its own task; a slot that frees is
    # filled at once, so a slow receiver holds up no one but itself.
    running: dict[asyncio.Task[_Outcome], _Claim] = {}
    try:
        while True:
            if free := CLAIM_BATCH - len(running):
                busy = finished | {claim.id for claim in running.values()}
                for claim in await _claim(sessionmaker, clock(), busy, free):
                    task = asyncio.create_task(_deliver(sessionmaker, client, claim, clock))
                    running[task] = claim
            if not running:
                break
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                claim = running.pop(task)
                if (error := task.exception()) is not None:
                    # Left to its lease: another pass takes it up once that runs out.
                    log_failure(logger, error, "Delivering webhook %s failed", claim.id)
                    finished.add(claim.id)
                    continue
                outcome = task.result()
                result.delivered += outcome.delivered
                result.failed += outcome.failed
                result.turned_off += outcome.turned_off
                if not outcome.more:
                    finished.add(claim.id)
    finally:
        for task in running:  # stopping: each lets go of its subscription (see _deliver)
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
    result.forgotten = await forget_old_deliveries(sessionmaker, clock())
    return result


async def _claim(
    sessionmaker: Sessions, now: datetime, busy: set[uuid.UUID], limit: int
) -> list[_Claim]:
    """Lease up to ``limit`` due subscriptions, skipping the ones other workers hold and the
    ones this pass is busy with or has finished.

    Due: on, not held, not waiting for a retry, and behind the feed's horizon. A
    subscription that has caught up is not claimed at all, so a quiet city costs each pass
    one read and no writes.
    """
    Subscription = WebhookSubscription
    async with sessionmaker() as session, session.begin():
        horizon = await feed.published_up_to(session)
        if horizon is None:
            return []
        behind = tuple_(Subscription.after_xact_id, Subscription.after_event_id) < tuple_(
            literal(horizon[0], XID8), literal(horizon[1], BigInteger)
        )
        query = (
            select(Subscription)
            .where(
                Subscription.active,
                behind,
                or_(Subscription.leased_until.is_(None), Subscription.leased_until <= now),
                or_(Subscription.retry_at.is_(None), Subscription.retry_at <= now),
            )
            .order_by(Subscription.retry_at.nulls_first(), Subscription.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if busy:
            query = query.where(Subscription.id.not_in(busy))
        claims = []
        for row in (await session.scalars(query)).all():
            lease_id = uuid.uuid4()
            await session.execute(_bookkeeping(row.id, leased_until=now + LEASE, lease_id=lease_id))
            secrets = webhooks.signing_secrets(row, now)
            claims.append(
                _Claim(
                    id=row.id,
                    lease_id=lease_id,
                    url=row.url,
                    secrets=secrets,
                    types=tuple(row.event_types),
                    after=(row.after_xact_id, row.after_event_id),
                    attempts=row.attempts,
                )
            )
    return claims


def _bookkeeping(subscription_id: uuid.UUID, *where: Any, **values: Any) -> Update:
    """An update of the worker's own columns. It is not a change to the subscription, so
    ``updated_at`` stays as it was."""
    Subscription = WebhookSubscription
    return (
        update(Subscription)
        .where(Subscription.id == subscription_id, *where)
        .values(updated_at=Subscription.updated_at, **values)
        .execution_options(synchronize_session=False)
    )


async def _deliver(
    sessionmaker: Sessions, client: httpx.AsyncClient, claim: _Claim, clock: Clock
) -> _Outcome:
    """Send a claimed subscription's next events, in order, until one fails."""
    async with sessionmaker() as session:  # read only, and closed before anything is sent
        published = await feed.read_published(
            session,
            webhooks.RECEIVER,
            feed.FeedFilters(types=claim.types),
            after=claim.after,
            limit=EVENTS_PER_CLAIM,
        )
    outcome = _Outcome()
    try:
        return await _send(sessionmaker, client, claim, clock, published, outcome)
    except asyncio.CancelledError:
        # The process is stopping (a deploy): let go now rather than leave the subscription
        # to its lease for a minute. What was recorded stays; the request in flight, if any,
        # is sent again by whoever takes it up.
        with contextlib.suppress(Exception):
            await asyncio.shield(_release(sessionmaker, claim, None))
        raise


async def _send(
    sessionmaker: Sessions,
    client: httpx.AsyncClient,
    claim: _Claim,
    clock: Clock,
    published: feed.Published,
    outcome: _Outcome,
) -> _Outcome:
    events = published.events
    for index, (position, event) in enumerate(events):
        # Past the last event of a short read lies nothing for this receiver up to the
        # horizon: the position moves there (as the feed's next_cursor does).
        after = published.next_position if index == len(events) - 1 else position
        assert after is not None
        attempt = claim.attempts + 1
        sent = await _post(client, claim, event, attempt)
        now = clock()
        kept = await _record(sessionmaker, claim, event.id, after, attempt, sent, now)
        subscription = str(claim.id)
        metrics.WEBHOOK_LAG.labels(subscription).set((now - event.occurred_at).total_seconds())
        if sent.delivered:
            outcome.delivered += 1
            metrics.WEBHOOK_DELIVERED.labels(subscription).inc()
        else:
            outcome.failed += 1
            metrics.WEBHOOK_FAILURES.labels(subscription).inc()
            outcome.turned_off += int(kept and attempt >= MAX_ATTEMPTS)
        if not kept or not sent.delivered:
            return outcome
        claim.attempts, claim.after = 0, after
    outcome.more = len(events) == EVENTS_PER_CLAIM
    if not outcome.more:  # caught up with the feed: nothing waits
        metrics.WEBHOOK_LAG.labels(str(claim.id)).set(0)
    await _release(sessionmaker, claim, published.next_position)
    return outcome


async def _post(
    client: httpx.AsyncClient, claim: _Claim, event: feed_schemas.FeedEvent, attempt: int
) -> _Result:
    """POST one event, signed; what the receiver answered, or what went wrong."""
    body = msgspec.json.encode(event)
    timestamp = int(utcnow().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        # Only the start of a failed answer is read: never a compressed body to inflate.
        "Accept-Encoding": "identity",
        "Intake-Webhook-Id": str(claim.id),
        "Intake-Event-Id": str(event.id),
        "Intake-Event-Type": event.type,
        "Intake-Delivery-Attempt": str(attempt),
        SIGNATURE_HEADER: signature_header(claim.secrets, timestamp, body),
    }
    result = _Result()
    started = monotonic()
    try:
        async with asyncio.timeout(REQUEST_SECONDS):
            async with client.stream("POST", claim.url, content=body, headers=headers) as answer:
                result.status_code = answer.status_code
                if not result.delivered:
                    result.error = await _start_of(answer)
    except (TimeoutError, httpx.TimeoutException) as error:
        result.status_code = None
        result.error = f"No answer in time ({type(error).__name__})"
    except Exception as error:  # any other failure is a failed attempt too: retried, then off
        if not isinstance(error, (httpx.HTTPError, httpx.InvalidURL, OSError)):  # unexpected
            logger.exception("Sending event %s to webhook %s failed", event.id, claim.id)
        result.status_code = None
        result.error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    result.duration_ms = round((monotonic() - started) * 1000)
    if result.error:
        result.error = result.error.replace("\x00", "")[:ERROR_CHARS]
    return result


async def _start_of(answer: httpx.Response) -> str:
    """The first characters of a failed answer's body (receivers often say why)."""
    head = b""
    async for chunk in answer.aiter_bytes():
        head += chunk
        if len(head) >= ERROR_CHARS:
            break
    text = head[:ERROR_CHARS].decode("utf-8", errors="replace").strip()
    reason = f"HTTP {answer.status_code}"
    return f"{reason}: {text}" if text else reason


async def _record(
    sessionmaker: Sessions,
    claim: _Claim,
    event_id: int,
    after: feed.Position,
    attempt: int,
    sent: _Result,
    now: datetime,
) -> bool:
    """Log the attempt and, while the lease is still ours, move on (2xx) or schedule the
    retry. False when the subscription is gone or no longer ours: stop working on it."""
    Subscription = WebhookSubscription
    async with sessionmaker() as session, session.begin():
        row = (
            await session.execute(
                select(Subscription.lease_id).where(Subscription.id == claim.id).with_for_update()
            )
        ).first()
        if row is None:  # deleted meanwhile
            return False
        session.add(
            WebhookDelivery(
                subscription_id=claim.id,
                event_id=event_id,
                attempt=attempt,
                status_code=sent.status_code,
                error=sent.error,
                duration_ms=sent.duration_ms,
                attempted_at=now,
            )
        )
        if row.lease_id != claim.lease_id:  # changed by an admin meanwhile (update_webhook)
            return False
        values: dict[str, object]
        if sent.delivered:
            values = {
                "after_xact_id": after[0],
                "after_event_id": after[1],
                "attempts": 0,
                "retry_at": None,
                "leased_until": now + LEASE,
            }
        elif attempt < MAX_ATTEMPTS:
            values = {
                "attempts": attempt,
                "retry_at": now + RETRY_AFTER[attempt - 1],
                "leased_until": None,
                "lease_id": None,
            }
            logger.info(
                "Webhook %s: event %d failed (attempt %d: %s); trying again at %s.",
                claim.id,
                event_id,
                attempt,
                sent.error,
                values["retry_at"],
            )
        else:
            reason = (
                f"Event {event_id} could not be delivered in {attempt} attempts; "
                f"the last one: {sent.error}"
            )[:ERROR_CHARS]
            values = {
                "attempts": attempt,
                "retry_at": None,
                "leased_until": None,
                "lease_id": None,
                "active": False,
                "disabled_at": now,
                "disabled_reason": reason,
            }
            logger.warning("Webhook %s turned off: %s", claim.id, reason)
        await session.execute(_bookkeeping(claim.id, **values))
    return True


async def _release(sessionmaker: Sessions, claim: _Claim, horizon: feed.Position | None) -> None:
    """Let go of a subscription that has caught up (its position moves to ``horizon``: the
    events up to it were not for this receiver) or sent a full batch."""
    values: dict[str, object] = {"leased_until": None, "lease_id": None}
    if horizon is not None and horizon > claim.after:
        values |= {"after_xact_id": horizon[0], "after_event_id": horizon[1]}
    held = WebhookSubscription.lease_id == claim.lease_id
    async with sessionmaker() as session, session.begin():
        await session.execute(_bookkeeping(claim.id, held, **values))


async def forget_old_deliveries(sessionmaker: Sessions, now: datetime) -> int:
    """Delete delivery log rows older than KEPT_FOR, a batch per transaction."""
    old = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.attempted_at < now - KEPT_FOR)
        .limit(FORGET_BATCH)
    )
    statement = delete(WebhookDelivery).where(WebhookDelivery.id.in_(old))
    return await write_in_batches(sessionmaker, statement, FORGET_BATCH)


async def deliver_every(run: Callable[[], Awaitable[DeliveryPass]], seconds: float) -> None:
    """Run a delivery pass now and then every ``seconds`` until cancelled
    (``background.every``)."""
    await background.every(seconds, run, what="The webhook delivery pass", report=_said)


def _said(done: DeliveryPass) -> str | None:
    if not (done.delivered or done.failed):
        return None
    return f"Webhooks: {done.delivered} event(s) delivered, {done.failed} attempt(s) failed."
