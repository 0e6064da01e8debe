"""What ``GET /events`` takes, read into one ``FeedQuery``: the filters and the page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from litestar.params import Parameter

from intake.feed.schemas import MAX_TYPES
from intake.feed.service import FeedFilters
from intake.lib.errors import FieldError, ValidationFailed
from intake.lib.pagination import MAX_LIMIT, Cursor, Limit
from intake.vocabulary import events

EventTypes = Annotated[
    list[str] | None,
    Parameter(
        description=(
            "Only events of these types; repeat the parameter or separate with "
            "commas: `type=submitted,accepted`. Each must be an event type Intake "
            "records (the values of a webhook's `types`); anything else is a 422."
        ),
        schema_extra={"items": {"enum": list(events.EVENT_TYPES)}, "max_items": MAX_TYPES},
    ),
]
ProblemId = Annotated[
    uuid.UUID | None, Parameter(description="Only the events of this problem (its id).")
]


@dataclass(frozen=True, slots=True)
class FeedQuery:
    filters: FeedFilters
    cursor: str | None
    limit: int
    # A filter that is no event type: raised by ``checked`` once the caller is known, so a
    # refused caller is refused first, as when these were the handler's own parameters.
    invalid: ValidationFailed | None = None

    def checked(self) -> FeedQuery:
        if self.invalid is not None:
            raise self.invalid
        return self


def provide_feed_query(
    type: EventTypes = None,
    problem: ProblemId = None,
    cursor: Cursor = None,
    limit: Limit = MAX_LIMIT,
) -> FeedQuery:
    """The feed's query; a wrong ``type`` is kept for ``checked`` to raise."""
    try:
        types = _event_types(type)
    except ValidationFailed as invalid:
        return FeedQuery(FeedFilters(problem=problem), cursor, limit, invalid)
    return FeedQuery(FeedFilters(types=types, problem=problem), cursor, limit)


def _event_types(values: list[str] | None) -> tuple[str, ...]:
    """``type=a&type=b`` and ``type=a,b`` alike; 422 for a name that is no event type, as a
    webhook's ``types`` is (a typo would otherwise match nothing, silently)."""
    types = [part.strip() for value in values or () for part in value.split(",")]
    problem = None
    if len(types) > MAX_TYPES:
        problem = f"Up to {MAX_TYPES} event types"
    elif unknown := events.unknown(types):
        problem = events.unknown_message(unknown)
    if problem is not None:
        raise ValidationFailed("Invalid event type filter.", [FieldError("type", problem, "query")])
    return tuple(dict.fromkeys(types))
