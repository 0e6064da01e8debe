"""Base structs for API schemas: strict input, compact output."""

from __future__ import annotations

import msgspec

# PostgreSQL text cannot hold NUL; every free-text input refuses it up front.
NO_NUL = msgspec.Meta(pattern=r"^[^\x00]*$", description="Text without NUL characters")


class Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A request body: unknown fields are rejected, so nobody can mass-assign server fields."""


class Output(msgspec.Struct, kw_only=True):
    """A response body."""
