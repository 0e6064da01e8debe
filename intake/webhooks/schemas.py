"""Webhook schemas: subscriptions as admins create and read them, and the delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from intake.feed.schemas import MAX_TYPES
from intake.lib.schema import NO_NUL, Input, Output
from intake.vocabulary.events import EventType

URL_PATTERN = r"^\s*[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#@\x00]+(?:[/?#][^\s\x00]*)?\s*$"
Url = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=2000,
        description="Where to POST each event: an http:// or https:// URL",
        examples=["https://data.city.example/intake/events"],
        # For the schema; webhooks.service checks the URL (host, port, no credentials).
        extra_json_schema={"pattern": URL_PATTERN},
    ),
    NO_NUL,
]
Description = Annotated[str, msgspec.Meta(max_length=500), NO_NUL]
Types = Annotated[
    list[EventType],
    msgspec.Meta(
        max_length=MAX_TYPES,
        description=(
            "Only events of these types (each one of the event types Intake records); "
            "empty (the default): every type"
        ),
    ),
]


class WebhookCreate(Input):
    examples = (
        {
            "url": "https://data.city.example/intake/events",
            "description": "City data platform: problem decisions",
            "types": ["accepted", "declined", "redirected", "duplicate"],
        },
    )

    url: Url
    description: Description = ""
    types: Types = msgspec.field(default_factory=list)


class WebhookUpdate(Input):
    """Change a subscription. ``active: true`` turns it back on after it was turned off:
    delivery resumes at the event it stopped at."""

    examples = ({"active": True},)

    url: Url | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    types: Types | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class Webhook(Output):
    """A subscription. Its secret is never shown again after it is created or rotated."""

    examples = (
        {
            "id": "5d0f6a1e-2b7c-4c55-8d3e-9a41f0c2b7d1",
            "url": "https://data.city.example/intake/events",
            "description": "City data platform: problem decisions",
            "types": ["accepted", "declined", "duplicate", "redirected"],
            "active": True,
            "disabled_reason": None,
            "disabled_at": None,
            "attempts": 0,
            "retry_at": None,
            "feed_position": "WzkxNDIsMTA0Ml0",
            "previous_secret_until": None,
            "created_by": "0b7f3c52-8d0e-4a36-9f2a-51c1e9b0d7aa",
            "created_by_service_account": None,
            "created_at": "2026-11-23T10:02:11.482113Z",
            "updated_at": "2026-11-23T10:02:11.482113Z",
        },
    )

    id: uuid.UUID
    url: str
    description: str
    types: list[str]
    active: bool
    # Why and when it was turned off (by an admin, or after the last failed attempt).
    disabled_reason: str | None
    disabled_at: datetime | None
    # Failed attempts at the next event to deliver, and when it is tried again.
    attempts: int
    retry_at: datetime | None
    # Everything before this position in the feed has been delivered or was not for this
    # receiver: a cursor for GET /api/v1/events.
    feed_position: str
    # After a rotation the previous secret also signs every request until then.
    previous_secret_until: datetime | None
    # Who created it: an admin, or else a service account with webhooks:manage.
    created_by: uuid.UUID | None
    created_by_service_account: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(Webhook):
    """A subscription with its signing secret: the one time the secret is shown."""

    examples = ({**Webhook.examples[0], "secret": "whsec_q3J8m2...kept-by-the-receiver"},)

    secret: str


class WebhookDelivery(Output):
    """One attempt to deliver one event: what the receiver answered, or what went wrong."""

    examples = (
        {
            "id": 311,
            "event_id": 1042,
            "attempt": 2,
            "delivered": False,
            "status_code": 503,
            "error": "HTTP 503: upstream unavailable",
            "duration_ms": 41,
            "attempted_at": "2026-11-23T10:05:12.001230Z",
        },
    )

    id: int
    event_id: int
    attempt: int
    delivered: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    attempted_at: datetime
