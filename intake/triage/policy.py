"""Admin-set triage policy: SLA targets and time zone, scoring weights, the holiday calendar.

Stored in the ``settings`` table (one JSON document per key) and ``holidays``; defaults apply
until an admin changes them.

Read paths that run on every request (the triage queue) keep the SLA calendar per process
under a token that any change renews, read in their own statement (``sla.current``): a
change shows at once in every process. Paths that store what they compute from the policy
(due times on submit and resume, scores) always read it from the database.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import msgspec
from sqlalchemy import ARRAY, Date, delete, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.clock import utcnow
from intake.lib.errors import FieldError, ValidationFailed
from intake.lib.schema import NO_NUL, Input, Output
from intake.triage.scoring.rules import Weights

S = TypeVar("S", bound=msgspec.Struct)


class SlaPolicy(Input):
    """Targets in business days, and the time zone whose calendar days count."""

    examples = ({"first_response_days": 3, "decision_days": 10, "timezone": "America/New_York"},)

    first_response_days: Annotated[int, msgspec.Meta(ge=0, le=60)] = 3
    decision_days: Annotated[int, msgspec.Meta(ge=1, le=120)] = 10
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=60), NO_NUL] = "UTC"


class HolidayIn(Input):
    day: date
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120), NO_NUL]


class HolidayOut(Output):
    day: date
    name: str


async def _load(session: AsyncSession, key: str, kind: type[S], default: S) -> S:
    row = await session.get(models.Setting, key)
    if row is None:
        return default
    return msgspec.convert(row.value, kind)


async def _store(session: AsyncSession, key: str, value: msgspec.Struct, by: uuid.UUID) -> None:
    document: dict[str, Any] = msgspec.to_builtins(value)
    await session.execute(
        insert(models.Setting)
        .values(key=key, value=document, updated_by_id=by, updated_at=utcnow())
        .on_conflict_do_update(
            index_elements=["key"],
            set_={"value": document, "updated_by_id": by, "updated_at": utcnow()},
        )
    )


async def sla_policy(session: AsyncSession) -> SlaPolicy:
    return await _load(session, "sla", SlaPolicy, SlaPolicy())


async def set_sla_policy(session: AsyncSession, policy: SlaPolicy, by: uuid.UUID) -> SlaPolicy:
    if policy.timezone not in available_timezones():
        raise ValidationFailed(
            "Unknown time zone.", [FieldError("timezone", "Use an IANA name like America/Chicago")]
        )
    if policy.first_response_days > policy.decision_days:
        raise ValidationFailed(
            "First response cannot be due after the decision.",
            [FieldError("first_response_days", "Must not exceed decision_days")],
        )
    await _store(session, "sla", policy, by)
    return policy


async def weights(session: AsyncSession) -> Weights:
    return await _load(session, "scoring", Weights, Weights())


async def set_weights(session: AsyncSession, value: Weights, by: uuid.UUID) -> Weights:
    problems = value.validate()
    if problems:
        raise ValidationFailed(
            "The weights are not usable.",
            [FieldError(field, message) for field, message in problems],
        )
    await _store(session, "scoring", value, by)
    return value


async def sla_targets_and_holidays(session: AsyncSession) -> tuple[SlaPolicy, frozenset[date]]:
    """The SLA policy and the holidays' days, in one statement (what the clocks need)."""
    row = (await session.execute(_TARGETS_AND_HOLIDAYS)).one()
    stored = msgspec.convert(row.sla, SlaPolicy) if row.sla is not None else SlaPolicy()
    return stored, frozenset(row.days)


_TARGETS_AND_HOLIDAYS = text(
    "SELECT (SELECT value FROM settings WHERE key = 'sla') AS sla, "
    "ARRAY(SELECT day FROM holidays ORDER BY day) AS days"
).columns(sla=JSONB, days=ARRAY(Date))


async def holidays(session: AsyncSession) -> list[HolidayOut]:
    rows = await session.scalars(select(models.Holiday).order_by(models.Holiday.day))
    return [HolidayOut(day=row.day, name=row.name) for row in rows]


async def replace_holidays(
    session: AsyncSession, year: int, days: list[HolidayIn]
) -> list[HolidayOut]:
    """Set the holidays of one year (the calendar is usually published a year at a time)."""
    wrong = [
        FieldError(f"[{index}].day", f"Not in {year}")
        for index, item in enumerate(days)
        if item.day.year != year
    ]
    if wrong:
        raise ValidationFailed("Every holiday must fall in the year named in the path.", wrong)
    await session.execute(
        delete(models.Holiday).where(
            models.Holiday.day >= date(year, 1, 1), models.Holiday.day <= date(year, 12, 31)
        )
    )
    for item in {item.day: item for item in days}.values():
        session.add(models.Holiday(day=item.day, name=item.name.strip()))
    await session.flush()
    return await holidays(session)


def zone(policy: SlaPolicy) -> ZoneInfo:
    try:
        return ZoneInfo(policy.timezone)
    except ZoneInfoNotFoundError:  # stored before validation existed, or tzdata changed
        return ZoneInfo("UTC")
