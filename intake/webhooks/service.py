"""Webhook subscriptions: create, read, change, rotate the secret, read the delivery log.

Admins and service accounts with ``webhooks:manage`` manage them (the controllers check
the role; such an account reads as an admin here, ``intake.accounts``). What a subscription
receives is what a leadership reader of the event feed reads (``RECEIVER``): every submitted
problem's events (a draft's history once it is submitted), restricted problems included,
DTI-internal events left out. A new subscription starts at the feed's horizon, so it
receives what happens from now on, not years of history; the feed itself holds the past.
Services never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated

import httpx
import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.models import WebhookDelivery, WebhookSubscription
from intake.feed import service as feed
from intake.lib.clock import utcnow
from intake.lib.errors import FieldError, NotFound, ValidationFailed
from intake.lib.pagination import page_of, seek
from intake.lib.schema import from_row
from intake.web.auth import Caller
from intake.webhooks import schemas
from intake.webhooks.signing import new_secret

# Whom a receiver reads the feed as: leadership, so every submitted problem and no
# DTI-internal event, in no department and collaborating on nothing, so a draft's events
# only once it is submitted (they are published again then, for those who could not see
# them). The feed's own rule (``published_for``, ``visible_to``, ``event_visible_to``)
# decides; nothing is repeated.
_NOBODY = uuid.UUID(int=0)
RECEIVER = Caller(
    id=_NOBODY,
    email="webhooks@intake.invalid",
    name="Intake webhooks",
    department_id=_NOBODY,
    department_code="",
    roles=frozenset({"leadership"}),
)

_DeliveryId = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]

# How long the previous secret keeps signing after a rotation: time to update a receiver.
PREVIOUS_SECRET_KEPT_FOR = timedelta(hours=24)


def _checked_url(url: str) -> str:
    """An absolute http(s) URL with a host, a usable port and no credentials; 422 otherwise."""
    url = url.strip()
    try:
        parsed = httpx.URL(url)
        # Read here: decoding an internationalised host can fail too (idna's errors are
        # ValueErrors).
        scheme, host, port, userinfo = parsed.scheme, parsed.host, parsed.port, parsed.userinfo
    except (httpx.InvalidURL, ValueError):
        scheme = None
    problem = None
    if scheme is None or any(char.isspace() for char in url):
        problem = "Not a URL"
    elif scheme not in ("http", "https") or not host:
        problem = "An http:// or https:// URL with a host, e.g. https://data.city.example/hook"
    elif port is not None and not 1 <= port <= 65535:
        problem = "A port between 1 and 65535"
    elif userinfo:
        problem = "No user name or password in the URL; the signature authenticates Intake"
    if problem:
        raise ValidationFailed("Invalid webhook URL.", [FieldError("url", problem)])
    return url


def _types(types: Sequence[str]) -> list[str]:
    return sorted(set(types))


def webhook_out(row: WebhookSubscription) -> schemas.Webhook:
    return from_row(
        schemas.Webhook,
        row,
        types=list(row.event_types),
        feed_position=feed.encode_position((row.after_xact_id, row.after_event_id)),
        previous_secret_until=(
            row.previous_secret_until if len(signing_secrets(row, utcnow())) > 1 else None
        ),
        created_by=row.created_by_id,
        created_by_service_account=row.created_by_service_account_id,
    )


def signing_secrets(row: WebhookSubscription, now: datetime) -> list[str]:
    """The secrets that sign a request at ``now``: the current one, and for
    PREVIOUS_SECRET_KEPT_FOR after a rotation the one it replaced."""
    until = row.previous_secret_until
    if row.previous_secret and until is not None and until > now:
        return [row.secret, row.previous_secret]
    return [row.secret]


def with_secret(row: WebhookSubscription) -> schemas.WebhookWithSecret:
    """The subscription and its current secret: only right after creating or rotating."""
    return from_row(schemas.WebhookWithSecret, webhook_out(row), secret=row.secret)


async def create_webhook(
    session: AsyncSession, caller: Caller, data: schemas.WebhookCreate
) -> WebhookSubscription:
    """A new, active subscription that starts at the feed's horizon: it receives the events
    published from now on."""
    after = await feed.published_up_to(session) or (0, 0)
    row = WebhookSubscription(
        url=_checked_url(data.url),
        description=data.description.strip(),
        event_types=_types(data.types),
        secret=new_secret(),
        after_xact_id=after[0],
        after_event_id=after[1],
        created_by_id=None if caller.service_account else caller.id,
        created_by_service_account_id=caller.id if caller.service_account else None,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def list_webhooks(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> tuple[list[schemas.Webhook], str | None]:
    """Subscriptions, oldest first."""
    Subscription = WebhookSubscription
    order = (Subscription.created_at, Subscription.id)
    query = seek(select(Subscription), order, cursor, (datetime, uuid.UUID), limit=limit)
    rows, next_cursor = page_of(
        (await session.scalars(query)).all(), limit, lambda r: (r.created_at.isoformat(), r.id)
    )
    return [webhook_out(row) for row in rows], next_cursor


async def get_webhook(
    session: AsyncSession, webhook_id: uuid.UUID, *, for_update: bool = False
) -> WebhookSubscription:
    row = await session.get(
        WebhookSubscription, webhook_id, with_for_update=for_update, populate_existing=for_update
    )
    if row is None:
        raise NotFound(f"No webhook {webhook_id}.")
    return row


async def update_webhook(
    session: AsyncSession, caller: Caller, webhook_id: uuid.UUID, data: schemas.WebhookUpdate
) -> WebhookSubscription:
    """Change a subscription. A new URL or new types, and turning it back on, start the next
    event's attempts afresh (tried at the next delivery pass); a worker delivering for it
    at that moment stops after its current request."""
    row = await get_webhook(session, webhook_id, for_update=True)
    retry_now = turned_off = False
    if data.url is not msgspec.UNSET and (url := _checked_url(data.url)) != row.url:
        row.url, retry_now = url, True
    if data.description is not msgspec.UNSET:
        row.description = data.description.strip()
    if data.types is not msgspec.UNSET and _types(data.types) != list(row.event_types):
        row.event_types, retry_now = _types(data.types), True
    if data.active is not msgspec.UNSET and data.active != row.active:
        row.active = data.active
        if data.active:
            row.disabled_at, row.disabled_reason, retry_now = None, None, True
        else:
            row.disabled_at, row.disabled_reason = utcnow(), f"Turned off by {caller.name}."
            turned_off = True
    if retry_now:
        row.attempts, row.retry_at = 0, None
    if retry_now or turned_off:
        # Taking the lease away makes a worker in the middle of a request stop after it.
        row.leased_until, row.lease_id = None, None
    await session.flush()
    await session.refresh(row)
    return row


async def delete_webhook(session: AsyncSession, webhook_id: uuid.UUID) -> None:
    """Remove a subscription and its delivery log. Nothing more is sent to it."""
    await session.delete(await get_webhook(session, webhook_id, for_update=True))
    await session.flush()


async def rotate_secret(session: AsyncSession, webhook_id: uuid.UUID) -> WebhookSubscription:
    """A new secret. The one it replaces keeps signing too (a second ``v1``) for
    PREVIOUS_SECRET_KEPT_FOR, so the receiver can be given the new one without a gap."""
    row = await get_webhook(session, webhook_id, for_update=True)
    row.previous_secret = row.secret
    row.previous_secret_until = utcnow() + PREVIOUS_SECRET_KEPT_FOR
    row.secret = new_secret()
    # A worker delivering for it signs with the secrets it claimed: taking its lease away
    # makes it stop after its current request, and the next claim signs with both.
    row.leased_until, row.lease_id = None, None
    await session.flush()
    await session.refresh(row)
    return row


def delivery_out(row: WebhookDelivery) -> schemas.WebhookDelivery:
    delivered = row.status_code is not None and 200 <= row.status_code < 300
    return from_row(schemas.WebhookDelivery, row, delivered=delivered)


async def list_deliveries(
    session: AsyncSession, webhook_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[schemas.WebhookDelivery], str | None]:
    """A subscription's delivery attempts, newest first."""
    await get_webhook(session, webhook_id)
    query = seek(
        select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook_id),
        (WebhookDelivery.id,),
        cursor,
        (_DeliveryId,),
        limit=limit,
        descending=True,
    )
    rows, next_cursor = page_of((await session.scalars(query)).all(), limit, lambda r: (r.id,))
    return [delivery_out(row) for row in rows], next_cursor
