"""Webhook endpoints for admins and ``webhooks:manage`` service accounts: subscriptions,
their secret, their delivery log."""

from __future__ import annotations

import uuid

from litestar import Controller, Response
from litestar.params import JSONBody

from intake.lib.openapi import LOCATION
from intake.lib.pagination import PAGING, Page, Paging
from intake.web.auth import ACTING, Acting
from intake.web.idempotency import ONCE, Created, Once
from intake.web.roles import admin
from intake.webhooks import schemas
from intake.webhooks import service as webhooks


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]
    dependencies = {**ACTING, **ONCE}

    @admin.post(
        "/",
        summary="Subscribe a receiver",
        description=(
            "From now on every published event of a submitted problem (what leadership reads "
            "in the feed: no drafts, no DTI-internal events), of the `types` given (empty: "
            "all), is POSTed to `url`, one event per request, in feed order, signed with the "
            "`secret` in this response. **The secret is shown only here**; keep it with the "
            "receiver. Accepts `Idempotency-Key`. See docs/integration.md."
        ),
        status_code=201,
        response_description="The subscription and its secret, shown this once.",
        response_headers=[LOCATION],
    )
    async def create_webhook(
        self, acting: Acting, once: Once, data: JSONBody[schemas.WebhookCreate]
    ) -> Response[schemas.WebhookWithSecret]:
        async def create() -> Created:
            row = await webhooks.create_webhook(*acting, data)
            return 201, webhooks.with_secret(row), {"Location": f"/api/v1/webhooks/{row.id}"}

        return await once(create)

    @admin.get(
        "/",
        summary="List webhook subscriptions",
        description="Oldest first. Secrets are never listed.",
        response_description="A page of subscriptions.",
        dependencies=PAGING,
    )
    async def list_webhooks(self, acting: Acting, paging: Paging) -> Page[schemas.Webhook]:
        return Page.of(await webhooks.list_webhooks(acting.session, **paging))

    @admin.get(
        "/{webhook_id:uuid}",
        summary="Get a webhook subscription",
        response_description="The subscription, without its secret.",
    )
    async def get_webhook(self, acting: Acting, webhook_id: uuid.UUID) -> schemas.Webhook:
        return webhooks.webhook_out(await webhooks.get_webhook(acting.session, webhook_id))

    @admin.patch(
        "/{webhook_id:uuid}",
        summary="Change, turn off or turn on a webhook subscription",
        description=(
            "`active: false` stops delivery; `active: true` on a subscription that is off "
            "resumes it at the event it stopped at (also after it was turned off for "
            "failing), with fresh attempts; on one that is on it changes nothing. A new "
            "`url` or new `types` also retry the next event at once."
        ),
    )
    async def update_webhook(
        self, acting: Acting, webhook_id: uuid.UUID, data: JSONBody[schemas.WebhookUpdate]
    ) -> schemas.Webhook:
        return webhooks.webhook_out(await webhooks.update_webhook(*acting, webhook_id, data))

    @admin.delete(
        "/{webhook_id:uuid}",
        summary="Delete a webhook subscription",
        description="Nothing more is sent to it; its delivery log goes with it.",
        status_code=204,
    )
    async def delete_webhook(self, acting: Acting, webhook_id: uuid.UUID) -> None:
        await webhooks.delete_webhook(acting.session, webhook_id)

    @admin.post(
        "/{webhook_id:uuid}/rotate-secret",
        summary="Give a webhook subscription a new secret",
        description=(
            "Returns the subscription with its new secret, shown only here. For 24 hours "
            "the previous secret signs every request too (a second `v1` in `Intake-Signature`), "
            "so the receiver can switch without missing a request."
        ),
        response_description="The subscription and its new secret.",
        status_code=200,
    )
    async def rotate_secret(
        self, acting: Acting, webhook_id: uuid.UUID
    ) -> schemas.WebhookWithSecret:
        return webhooks.with_secret(await webhooks.rotate_secret(acting.session, webhook_id))

    @admin.get(
        "/{webhook_id:uuid}/deliveries",
        summary="A webhook subscription's delivery attempts, newest first",
        description=(
            "Every attempt to deliver an event: the receiver's status code, or what went wrong "
            "(timeout, connection refused, the start of a non-2xx answer), and how long it took. "
            "Kept for 30 days."
        ),
        response_description="A page of attempts, newest first.",
        dependencies=PAGING,
    )
    async def list_deliveries(
        self, acting: Acting, webhook_id: uuid.UUID, paging: Paging
    ) -> Page[schemas.WebhookDelivery]:
        return Page.of(await webhooks.list_deliveries(acting.session, webhook_id, **paging))


ROUTES: list[type[Controller]] = [WebhookController]
