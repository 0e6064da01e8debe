"""Service accounts and their tokens: ``/api/v1/service-accounts`` (admins).

Creating POSTs here take no ``Idempotency-Key``: replaying the first response would mean
keeping the token it shows, and a token is stored only as a hash. A retry that created a
second account gets 409 (the name is taken); a retried rotation revokes the token it issued.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response
from litestar.params import Body, JSONBody

from intake.accounts import schemas
from intake.accounts import service as accounts
from intake.lib.openapi import LOCATION, errors, success_headers
from intake.lib.pagination import PAGING, Page, Paging
from intake.web.auth import ACTING, Acting
from intake.web.roles import admin


class ServiceAccountController(Controller):
    path = "/service-accounts"
    tags = ["service accounts"]
    dependencies = ACTING

    @admin.post(
        "/",
        summary="Create a service account and its first token",
        description=(
            "An integration that reads Intake within its `scopes` (and, with `department`, "
            "only that department's problems); it never acts as a person. **The token is "
            "shown only here**; only its hash is kept. Send it as `Authorization: Bearer "
            "<token>`. See docs/api.md#service-accounts."
        ),
        responses=errors(409),
        status_code=201,
        operation_class=success_headers(LOCATION),
    )
    async def create_account(
        self, acting: Acting, data: JSONBody[schemas.ServiceAccountCreate]
    ) -> Response[schemas.IssuedToken]:
        issued = await accounts.create_account(acting.session, data)
        return Response(
            issued,
            status_code=201,
            headers={"Location": f"/api/v1/service-accounts/{issued.account.id}"},
        )

    @admin.get(
        "/",
        summary="List service accounts and their tokens",
        description="By name. Tokens are listed by id, expiry, last use and revocation.",
        dependencies=PAGING,
    )
    async def list_accounts(self, acting: Acting, paging: Paging) -> Page[schemas.ServiceAccount]:
        return Page.of(await accounts.list_accounts(acting.session, **paging))

    @admin.get("/{account_id:uuid}", summary="Get a service account")
    async def get_account(self, acting: Acting, account_id: uuid.UUID) -> schemas.ServiceAccount:
        session = acting.session
        return await accounts.account_out(session, await accounts.get_account(session, account_id))

    @admin.post(
        "/{account_id:uuid}/rotate",
        summary="Issue a new token; the earlier ones stop working",
        description="**The new token is shown only here.** Earlier tokens are refused from "
        "the next request on.",
        status_code=200,
    )
    async def rotate(
        self,
        acting: Acting,
        account_id: uuid.UUID,
        data: Annotated[schemas.TokenRequest | None, Body()] = None,
    ) -> schemas.IssuedToken:
        session = acting.session
        days = data.expires_in_days if data is not None else schemas.DEFAULT_DAYS
        return await accounts.rotate(session, await accounts.get_account(session, account_id), days)

    @admin.post(
        "/{account_id:uuid}/revoke",
        summary="Revoke every token of a service account",
        description="Refused from the next request on. The account stays; rotate to "
        "issue a new token.",
        responses=errors(422),
        status_code=200,
    )
    async def revoke(self, acting: Acting, account_id: uuid.UUID) -> schemas.ServiceAccount:
        session = acting.session
        return await accounts.revoke(session, await accounts.get_account(session, account_id))


ROUTES: list[type[Controller]] = [ServiceAccountController]
