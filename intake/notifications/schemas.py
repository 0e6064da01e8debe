"""Inbox schemas: a notification names its problem and the event, with a one-line summary."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from intake.lib.schema import Input, Output
from intake.problems.schemas import EventHeading
from intake.vocabulary.states import Status

NotificationKind = Literal[
    "mention", "state_change", "info_requested", "sla_breach", "status_update", "assigned"
]
NotificationId = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]


class NotificationProblem(Output):
    id: uuid.UUID
    reference: str | None
    title: str
    status: Status


class NotificationEvent(EventHeading):
    """The history event the notification is about (as the problem's history shows it)."""


class Notification(Output):
    id: int
    kind: NotificationKind
    created_at: datetime
    read_at: datetime | None
    summary: str
    problem: NotificationProblem
    event: NotificationEvent


class Inbox(Output):
    """One page of the inbox, newest first, and how many unread notifications there are."""

    items: list[Notification]
    next_cursor: str | None
    unread_count: int


class MarkRead(Input):
    """Either ``ids`` (up to 100 of your notifications) or ``all: true``, not both."""

    examples = ({"ids": [41, 42]}, {"all": True})

    ids: Annotated[list[NotificationId], msgspec.Meta(min_length=1, max_length=100)] | None = None
    all: bool = False


class MarkedRead(Output):
    marked: int
    unread_count: int
