"""Keyset pagination: one opaque cursor format, one way to cut a page and one page shape for
every list."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypedDict, TypeVar

import msgspec
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy import BigInteger, Integer, Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from intake.lib.errors import FieldError, ValidationFailed

T = TypeVar("T")
R = TypeVar("R")
Q = TypeVar("Q", bound="Select[*tuple[Any, ...]]")

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


class Paging(TypedDict):
    """Which page of a list a request asks for, as a service takes it: ``**paging``."""

    cursor: str | None
    limit: int


def paging(cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> Paging:
    return {"cursor": cursor, "limit": limit}


# A list route that takes ``paging: Paging`` (a page of 25 unless asked) has these
# dependencies (``dependencies=PAGING``).
PAGING = {"paging": Provide(paging, sync_to_thread=False)}


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[T]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: tuple[list[T], str | None]) -> Page[T]:
        """The page a service returns as ``(items, next_cursor)``."""
        items, next_cursor = page
        return cls(items=items, next_cursor=next_cursor)


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(values)).decode().rstrip("=")


# What a cursor's whole numbers may hold: an ``int`` is an int8 (``bigint``) unless its
# column is an int4 (``integer``), whose cursors say ``Int4``.
Int4 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
Int8 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


def decode_cursor(cursor: str, types: tuple[Any, ...]) -> list[Any]:
    """Decode a cursor made by ``encode_cursor`` holding values of ``types`` (msgspec types,
    ``Annotated`` bounds included; a bare ``int`` is an ``Int8``); 422 otherwise, as for
    values no column holds: a datetime that has no UTC time (year 1 at +05:00, say)."""
    bounded = tuple(Int8 if kind is int else kind for kind in types)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values: tuple[Any, ...] = msgspec.json.decode(raw, type=tuple[bounded])  # type: ignore[valid-type]
        for value in values:
            if isinstance(value, str) and "\x00" in value:
                raise ValueError("NUL in cursor")
            if isinstance(value, datetime) and value.tzinfo is not None:
                value.astimezone(UTC)  # OverflowError past either end of the calendar
    except (
        binascii.Error,
        ValueError,
        OverflowError,
        msgspec.DecodeError,
        msgspec.ValidationError,
    ):
        raise ValidationFailed(
            "The cursor is not one this server handed out.",
            [FieldError("cursor", "Invalid cursor; use next_cursor from a previous page", "query")],
        ) from None
    return list(values)


def seek(
    query: Q,
    order: Sequence[Any],
    cursor: str | None,
    types: tuple[Any, ...],
    *,
    limit: int,
    descending: bool = False,
) -> Q:
    """``query`` sorted by the ``order`` columns, from just after ``cursor`` (holding values
    of ``types``), with one row more than a page: ``page_of`` tells from it whether another
    page follows."""
    query = query.order_by(*(column.desc() if descending else column for column in order))
    if cursor:
        keys, after = tuple_(*order), tuple_(*decode_cursor(cursor, types))
        query = query.where(keys < after if descending else keys > after)
    return query.limit(limit + 1)


def page_of(
    rows: Sequence[R], limit: int, key: Callable[[R], Sequence[Any]]
) -> tuple[list[R], str | None]:
    """The first ``limit`` of ``rows`` (fetched one more than a page), and the cursor after
    the last of them, made of ``key(row)``; None when no further row came."""
    page = list(rows[:limit])
    return page, (encode_cursor(list(key(page[-1]))) if len(rows) > limit else None)


async def page_rows(
    session: AsyncSession,
    query: Q,
    order: Sequence[InstrumentedAttribute[Any]],
    cursor: str | None,
    *,
    limit: int,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of ``query`` sorted by the ``order`` columns of its first entity: the seek,
    the read and the cut in one step, the cursor made of the last entity's values. The rows,
    or the entities themselves when the query selects one entity alone."""
    types = tuple(
        Int4
        if isinstance(column.type, Integer) and not isinstance(column.type, BigInteger)
        else column.type.python_type
        for column in order
    )
    query = seek(query, order, cursor, types, limit=limit, descending=descending)
    rows = (await session.execute(query)).all()
    page, next_cursor = page_of(
        rows, limit, lambda row: [getattr(row[0], column.key) for column in order]
    )
    if len(query.column_descriptions) == 1:
        return [row[0] for row in page], next_cursor
    return page, next_cursor
