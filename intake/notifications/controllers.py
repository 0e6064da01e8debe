"""Inbox endpoints: ``/api/v1/me/notifications``, the signed-in person's own notifications."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, Parameter

from intake.lib.openapi import errors
from intake.lib.pagination import PAGING, Paging
from intake.notifications import reads as lean
from intake.notifications import schemas
from intake.notifications import service as inbox
from intake.web.auth import ACTING, Acting
from intake.web.reads import Reads, person_only


class NotificationController(Controller):
    path = "/me/notifications"
    tags = ["notifications"]
    dependencies = ACTING

    @get(
        "/",
        summary="My notifications",
        description=(
            "Newest first: mentions, state changes of problems you follow, requests for "
            "information and SLA breaches. `unread=true` lists unread ones only; "
            "`unread_count` counts all unread ones, whatever the page. Only notifications about "
            "problems and events you may see now are shown."
        ),
        dependencies=PAGING,
    )
    async def list_notifications(
        self,
        request: Request[Any, Any, Any],
        reads: Reads,
        *,
        unread: Annotated[
            bool, Parameter(description="Only notifications not yet marked read.")
        ] = False,
        paging: Paging,
    ) -> schemas.Inbox:
        email = person_only(request)  # the router refuses service accounts here already
        return await lean.inbox_for(reads, email, unread_only=unread, **paging)

    @post(
        "/{notification_id:int}/read",
        summary="Mark a notification read",
        description="Idempotent: a notification read before keeps its first `read_at`.",
        status_code=200,
    )
    async def mark_read(
        self, acting: Acting, notification_id: Annotated[int, Parameter(ge=1, le=2**63 - 1)]
    ) -> schemas.Notification:
        return await inbox.mark_read(*acting, notification_id)

    @post(
        "/read",
        summary="Mark several or all notifications read",
        description=(
            'Send `{"ids": [...]}` (up to 100) or `{"all": true}`. Any id that is not one of '
            "your notifications makes it a 404 and nothing is marked."
        ),
        responses=errors(404),
        status_code=200,
    )
    async def mark_many_read(
        self, acting: Acting, data: JSONBody[schemas.MarkRead]
    ) -> schemas.MarkedRead:
        return await inbox.mark_many_read(*acting, data)


ROUTES: list[type[Controller]] = [NotificationController]
