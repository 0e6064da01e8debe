"""The states a problem can be in: the one list (the lifecycle table moves between them)."""

from __future__ import annotations

from typing import Literal, get_args

Status = Literal[
    "draft",
    "submitted",
    "triage",
    "needs_info",
    "declined",
    "redirected",
    "duplicate",
    "accepted",
    "discovery",
    "delivery",
    "live",
    "closed",
    "withdrawn",
    "on_hold",
]
STATES: tuple[str, ...] = get_args(Status)
