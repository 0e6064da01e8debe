"""Keyset pagination: one opaque cursor format and one page shape for every list."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.params import Parameter

from intake.lib.errors import FieldError, ValidationFailed

T = TypeVar("T")

MAX_LIMIT = 100
DEFAULT_LIMIT = 25

Limit = Annotated[
    int,
    Parameter(ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}."),
]
Cursor = Annotated[
    str | None,
    Parameter(max_length=500, description="The `next_cursor` of the previous page."),
]


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(values)).decode().rstrip("=")


def decode_cursor(cursor: str, types: tuple[Any, ...]) -> list[Any]:
    """Decode a cursor made by ``encode_cursor`` holding values of ``types`` (msgspec types,
    ``Annotated`` bounds included); 422 otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values: tuple[Any, ...] = msgspec.json.decode(raw, type=tuple[types])  # type: ignore[valid-type]
        if any(isinstance(value, str) and "\x00" in value for value in values):
            raise ValueError("NUL in cursor")
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise ValidationFailed(
            "The cursor is not one this server handed out.",
            [FieldError("cursor", "Invalid cursor; use next_cursor from a previous page", "query")],
        ) from None
    return list(values)
