"""The query parameters every portfolio endpoint takes (the views and the export)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from litestar.params import HeaderParameter, Parameter, QueryParameter

AsOf = Annotated[
    datetime | None,
    Parameter(
        description="Answer as the portfolio stood at this moment (RFC 3339), rebuilt from "
        "history. Omit for now."
    ),
]
Department = Annotated[
    str | None, Parameter(pattern=r"^[A-Za-z0-9]{1,10}$", description="A department code.")
]
Team = Annotated[uuid.UUID | None, Parameter(description="A team id.")]
DateFrom = Annotated[
    date | None, QueryParameter(name="from", description="Problems submitted on or after this day.")
]
DateTo = Annotated[
    date | None, QueryParameter(name="to", description="Problems submitted on or before this day.")
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
