"""Optimistic concurrency: a resource's ETag is its version (or, for a composite like the
journey map, a hash of what it shows), and mutations send If-Match."""

from __future__ import annotations

from intake.lib.errors import PreconditionFailed, PreconditionRequired


def etag(version: int | str) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int | str) -> None:
    """428 without If-Match; 412 unless it names the current version (or is ``*``)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag from your last read, so you don't overwrite "
            "someone else's change."
        )
    current = etag(version)
    for candidate in if_match.split(","):
        tag = candidate.strip()
        tag = tag.removeprefix("W/")
        if tag in ("*", current):
            return
    raise PreconditionFailed(
        f"The resource has changed since you read it (current ETag {current}); "
        "fetch it again and retry.",
    )
