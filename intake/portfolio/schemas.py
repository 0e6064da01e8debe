"""Portfolio view schemas: every view says which moment and filters it describes."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from intake.lib.schema import Output


class Filters(Output):
    department: str | None
    team_id: uuid.UUID | None
    submitted_from: date | None
    submitted_to: date | None


class Count(Output):
    """One bucket of a breakdown: ``key`` is the state, phase, code, id or band."""

    key: str
    label: str
    count: int


class Summary(Output):
    as_of: datetime | None
    generated_at: datetime
    filters: Filters
    total: int
    by_state: list[Count]
    by_phase: list[Count]
    by_department: list[Count]
    by_team: list[Count]
    by_priority: list[Count]
