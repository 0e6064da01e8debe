"""Service account schemas: the accounts and their tokens, as the API shows and takes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from intake.lib.schema import LABEL, NO_NUL, Input, Output
from intake.registry.schemas import DepartmentCode, DepartmentRef

Scope = Literal["feed:read", "portfolio:read", "problems:read", "webhooks:manage"]
AccountName = Annotated[str, msgspec.Meta(min_length=1, max_length=100), NO_NUL, LABEL]
Description = Annotated[str, msgspec.Meta(max_length=500), NO_NUL]
# How long a token stays valid, in days (a year at most: rotate before it expires).
Days = Annotated[int, msgspec.Meta(ge=1, le=366, description="Days until the token expires")]
DEFAULT_DAYS = 90


class ServiceAccountCreate(Input):
    examples = (
        {
            "name": "data-platform-feed",
            "description": "The data platform's feed reader",
            "scopes": ["feed:read"],
            "expires_in_days": 90,
        },
    )

    name: AccountName
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=4)]
    description: Description = ""
    department: DepartmentCode | None = None
    expires_in_days: Days = DEFAULT_DAYS


class TokenRequest(Input):
    expires_in_days: Days = DEFAULT_DAYS


class Token(Output):
    """A token's record; the token itself is never shown again after it is issued."""

    id: uuid.UUID
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ServiceAccount(Output):
    id: uuid.UUID
    name: str
    description: str
    scopes: list[Scope]
    department: DepartmentRef | None
    tokens: list[Token]
    created_at: datetime
    updated_at: datetime


class IssuedToken(Output):
    """The account and its new token: ``token`` is shown this once and stored only hashed."""

    account: ServiceAccount
    token: str
    token_id: uuid.UUID
    expires_at: datetime
