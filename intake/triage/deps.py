"""Request plumbing of the triage queue: its filters, read by one dependency."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Request
from litestar.di import Provide
from litestar.params import Parameter

from intake.lib.errors import FieldError, ValidationFailed
from intake.problems.deps import DepartmentFilter
from intake.triage.service import QueueFilters
from intake.web.reads import Reads, check_caller, person_only

# For the schema: the queue's triager filter is a UUID or `none`.
TRIAGER_PATTERN = (
    r"^(none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)


async def queue_filters(
    request: Request[Any, Any, Any],
    reads: Reads,
    department: DepartmentFilter = None,
    triager: Annotated[
        str | None,
        Parameter(
            description="A triager's id, or `none` for unassigned",
            schema_extra={"pattern": TRIAGER_PATTERN},
        ),
    ] = None,
    status: list[Literal["submitted", "triage", "needs_info"]] | None = None,
    breached: bool | None = None,
    # Litestar leaves a minimum of 0 out of the schema; schema_extra puts it back.
    min_age_days: Annotated[
        int | None, Parameter(ge=0, le=3650, schema_extra={"minimum": 0})
    ] = None,
) -> QueueFilters:
    """The filters of ``GET /triage/queue``; an invalid ``triager`` is a 422, after a refused
    caller's 401."""
    triager_id = None
    if triager not in (None, "none"):
        try:
            triager_id = uuid.UUID(triager)
        except ValueError:
            await check_caller(reads, person_only(request))
            raise ValidationFailed(
                "Invalid triager.", [FieldError("triager", "A person id or none", "query")]
            ) from None
    return QueueFilters(
        department=department,
        triager=triager_id,
        unassigned=triager == "none",
        states=tuple(status or ()),
        breached=breached,
        min_age_days=min_age_days,
    )


# ``GET /triage/queue`` takes ``filters: QueueFilters`` with this dependency.
QUEUE_FILTERS = {"filters": Provide(queue_filters)}
