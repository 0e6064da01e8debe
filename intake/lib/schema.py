"""Base structs for API schemas: strict input, compact output."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

# PostgreSQL text cannot hold NUL; every free-text input refuses it up front.
NO_NUL = msgspec.Meta(pattern=r"^[^\x00]*$", description="Text without NUL characters")

# Calendar days a city's records can mean. The extremes Python allows (year 1, year 9999)
# would be stored by PostgreSQL as -infinity/infinity and break date arithmetic later.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


class Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A request body: unknown fields are rejected, so nobody can mass-assign server fields.

    Every calendar-day field must lie between EARLIEST_DAY and LATEST_DAY (else 422).
    """

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            is_day = isinstance(value, date) and not isinstance(value, datetime)
            if is_day and not EARLIEST_DAY <= value <= LATEST_DAY:
                raise ValueError(f"`{name}` must be a day between {EARLIEST_DAY} and {LATEST_DAY}")


class Output(msgspec.Struct, kw_only=True):
    """A response body."""
