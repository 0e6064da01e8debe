"""The query parameters every portfolio endpoint takes (the views and the export)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from litestar.params import HeaderParameter, Parameter, QueryParameter

# The moments and days scope_for accepts (scope.EARLIEST to scope.LATEST_DAY), for the
# schema: as_of from 1970 (and not in the future), from/to from 1970-01-01 to 9998-12-31.
AS_OF_PATTERN = r"^(19[7-9][0-9]|[2-9][0-9]{3})-"
DAY_PATTERN = r"^(19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-"

AsOf = Annotated[
    datetime | None,
    Parameter(
        description="Answer as the portfolio stood at this moment (RFC 3339 with an offset, "
        "1970 or later, not in the future), rebuilt from history. Omit for now.",
        schema_extra={"pattern": AS_OF_PATTERN},
    ),
]
Department = Annotated[
    str | None, Parameter(pattern=r"^[A-Za-z0-9]{1,10}$", description="A department code.")
]
Team = Annotated[uuid.UUID | None, Parameter(description="A team id.")]
DateFrom = Annotated[
    date | None,
    QueryParameter(
        name="from",
        description="Problems submitted on or after this day (1970-01-01 to 9998-12-31).",
        schema_extra={"pattern": DAY_PATTERN},
    ),
]
DateTo = Annotated[
    date | None,
    QueryParameter(
        name="to",
        description="Problems submitted on or before this day (1970-01-01 to 9998-12-31, "
        "not before `from`).",
        schema_extra={"pattern": DAY_PATTERN},
    ),
]
IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(name="If-None-Match", description="The ETag you have; 304 if unchanged."),
]
CacheControl = Annotated[
    str | None,
    HeaderParameter(
        name="Cache-Control",
        description="`no-cache` (or `max-age=0`) for a body computed now, not one up to "
        "INTAKE_PORTFOLIO_STALE_SECONDS old; `max-age=N` accepts one up to N seconds old.",
    ),
]
