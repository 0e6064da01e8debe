"""Base structs for API schemas: strict input, compact output."""

from __future__ import annotations

import msgspec


class Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A request body: unknown fields are rejected, so nobody can mass-assign server fields."""


class Output(msgspec.Struct, kw_only=True):
    """A response body."""
