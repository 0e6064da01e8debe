"""The pages' long lists, a keyset page at a time: the API's own cursors, carried in a page's
query string as ``<list>_after`` so each list on a page moves on its own and a plain link
(no script) shows the next records."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from litestar import Request

from intake.pages.deps import MAX_LIMIT, BadRequest, ValidationFailed

T = TypeVar("T")
R = TypeVar("R")

# Records per page, by list. The history reads oldest first, the updates newest first.
FINDINGS = 50
MILESTONES = 50
UPDATES = 25
METRICS = 25
MEASUREMENTS = 25
COMMENTS = 50
HISTORY = 50
PROBLEMS = 50
INBOX = 50

# Query parameters that are a one-off message, not where the reader is.
_MESSAGES = ("saved", "submitted", "withdrawn")
BROKEN = (
    "This link to more records is broken or out of date. Open the page again from its "
    "first records."
)


@dataclass(slots=True)
class Shown(Generic[T]):
    """One page of a list as a page shows it: the records, the link to the next ones, and
    the link back to the first ones when this is a later page."""

    items: list[T]
    more: str | None
    first: str | None


def _link(request: Request[Any, Any, Any], name: str, cursor: str | None, anchor: str) -> str:
    query = [
        (key, value)
        for key, value in request.query_params.multi_items()
        if key != name and key not in _MESSAGES
    ]
    if cursor is not None:
        query.append((name, cursor))
    return f"{request.url.path}{'?' + urlencode(query) if query else ''}#{anchor}"


async def shown(
    request: Request[Any, Any, Any],
    name: str,
    fetch: Callable[[str | None], Awaitable[tuple[list[T], str | None]]],
    *,
    anchor: str | None = None,
) -> Shown[T]:
    """The page of the list ``name`` the address asks for (``<name>_after``), read by
    ``fetch(cursor)``, its links ending at ``#anchor`` (``#name`` by default). A cursor this
    server did not hand out is a 400 page."""
    key = f"{name}_after"
    anchor = anchor or name
    cursor = request.query_params.get(key) or None
    items, next_cursor = await read(fetch, cursor)
    return Shown(
        items=items,
        more=_link(request, key, next_cursor, anchor) if next_cursor else None,
        first=_link(request, key, None, anchor) if cursor else None,
    )


async def listed(
    request: Request[Any, Any, Any],
    name: str,
    service: Callable[..., Awaitable[tuple[list[T], str | None]]],
    *args: Any,
    limit: int,
    anchor: str | None = None,
) -> Shown[T]:
    """``shown`` of a service's keyset list: ``service(*args, cursor=, limit=limit)``."""
    return await shown(
        request, name, lambda cursor: service(*args, cursor=cursor, limit=limit), anchor=anchor
    )


async def read(fetch: Callable[[str | None], Awaitable[R]], cursor: str | None) -> R:
    """``fetch(cursor)``, where a cursor this server did not hand out is a 400 page."""
    if cursor is not None and len(cursor) > 500:
        raise BadRequest(BROKEN)
    try:
        return await fetch(cursor)
    except ValidationFailed as exc:
        if any(error.field == "cursor" for error in exc.errors):
            raise BadRequest(BROKEN) from None
        raise


async def every(
    fetch: Callable[[str | None, int], Awaitable[tuple[list[T], str | None]]],
) -> list[T]:
    """All of a short list (departments, teams), page after page, for a form's choices."""
    items, cursor = await fetch(None, MAX_LIMIT)
    while cursor is not None:
        more, cursor = await fetch(cursor, MAX_LIMIT)
        items.extend(more)
    return items
