"""What an edit changed, as history writes it: ``{field: {"from": old, "to": new}}``.

A PATCH takes the fields its body sets (``given``), writes those that differ (``track``)
and, when anything did, gives the record its next version and ETag (``bump``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import msgspec

from intake.lib.clock import utcnow


def clean(name: str, value: Any) -> Any:
    """Trim text; a blank text field is no answer at all."""
    if isinstance(value, str):
        value = value.strip()
        if not value and name != "title":
            return None
    if name == "systems_involved":
        return [msgspec.to_builtins(system) for system in value]
    if name == "communities_affected":
        return list(dict.fromkeys(item.strip() for item in value if item.strip()))
    if name == "affected_groups":
        return list(dict.fromkeys(value))
    return value


def given(data: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body sets, in declaration order (those not left ``UNSET``)."""
    return {
        name: value
        for name in data.__struct_fields__
        if (value := getattr(data, name)) is not msgspec.UNSET
    }


def jsonable(value: Any) -> Any:
    """``value`` as history's JSON holds it: dates and moments in ISO 8601, ids as text."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def change(old: Any, new: Any) -> dict[str, Any]:
    return {"from": jsonable(old), "to": jsonable(new)}


def added(record: Any, names: Iterable[str]) -> dict[str, Any]:
    """What a new record holds, as history shows it: each of ``names`` it has a value for."""
    return {
        name: change(None, value) for name in names if (value := getattr(record, name)) is not None
    }


def removed(record: Any, names: Iterable[str]) -> dict[str, Any]:
    """What a removed record held, as history shows it: each of ``names`` it had a value for."""
    return {
        name: change(value, None) for name in names if (value := getattr(record, name)) is not None
    }


def track(record: Any, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """Set each of ``wanted`` that differs from ``record``'s value; returns what changed."""
    changes = {}
    for name, value in wanted.items():
        old = getattr(record, name)
        if old != value:
            changes[name] = change(old, value)
            setattr(record, name, value)
    return changes


def between(
    before: Mapping[str, Any], after: Mapping[str, Any], names: Iterable[str]
) -> dict[str, Any]:
    """What changed from one snapshot of a record to the next."""
    return {
        name: change(before[name], after[name]) for name in names if before[name] != after[name]
    }


def bump(record: Any, now: datetime | None = None) -> None:
    """``record`` changed: its next version (so its ETag changes) and its ``updated_at``."""
    record.version += 1
    record.updated_at = now or utcnow()
