"""Registry rules: departments, people and teams. Services never commit."""

from __future__ import annotations

import uuid
from typing import TypeVar

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.errors import Conflict, FieldError, NotFound, ValidationFailed
from intake.lib.pagination import page_of, page_rows, seek
from intake.lib.schema import from_row
from intake.registry import schemas

R = TypeVar("R", models.Department, models.Person, models.Team)


async def _flush_or_conflict(session: AsyncSession, message: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(message) from None


async def _insert(session: AsyncSession, row: R, clash: str) -> R:
    """``row`` written and read back; a unique key it repeats is a 409 saying ``clash``."""
    session.add(row)
    await _flush_or_conflict(session, clash)
    await session.refresh(row)
    return row


async def _get(session: AsyncSession, model: type[R], row_id: uuid.UUID) -> R:
    row = await session.get(model, row_id)
    if row is None:
        noun = {"people": "person"}.get(model.__tablename__, model.__tablename__[:-1])
        raise NotFound(f"No {noun} {row_id}.")
    return row


# -- departments ----------------------------------------------------------------------------


def department_out(row: models.Department) -> schemas.Department:
    return from_row(schemas.Department, row)


async def list_departments(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> tuple[list[schemas.Department], str | None]:
    rows, next_cursor = await page_rows(
        session, select(models.Department), (models.Department.code,), cursor, limit=limit
    )
    return [department_out(r) for r in rows], next_cursor


async def get_department(session: AsyncSession, department_id: uuid.UUID) -> models.Department:
    return await _get(session, models.Department, department_id)


async def department_by_code(
    session: AsyncSession, code: str, field: str, source: str = "body"
) -> models.Department:
    """The department with this code; a 422 naming ``field`` (in the body, or the query)."""
    row = await session.scalar(select(models.Department).where(models.Department.code == code))
    if row is None:
        raise ValidationFailed(
            f"Unknown department {code!r}.",
            [FieldError(field, f"No department with code {code}", source)],
        )
    return row


async def create_department(
    session: AsyncSession, data: schemas.DepartmentCreate
) -> models.Department:
    row = models.Department(code=data.code, name=data.name.strip())
    return await _insert(session, row, f"A department with code {data.code} already exists.")


async def update_department(
    session: AsyncSession, department_id: uuid.UUID, data: schemas.DepartmentUpdate
) -> models.Department:
    row = await get_department(session, department_id)
    if data.name is not msgspec.UNSET:
        row.name = data.name.strip()
    await session.flush()
    await session.refresh(row)
    return row


# -- people ---------------------------------------------------------------------------------


def person_out(person: models.Person) -> schemas.Person:
    department = from_row(schemas.DepartmentRef, person.department)
    return from_row(schemas.Person, person, department=department, roles=sorted(person.roles))


async def list_people(
    session: AsyncSession, *, department: str | None, cursor: str | None, limit: int
) -> tuple[list[schemas.Person], str | None]:
    query = select(models.Person)
    if department:
        query = query.join(models.Department).where(models.Department.code == department)
    query = seek(query, (models.Person.email,), cursor, (str,), limit=limit)
    rows, next_cursor = page_of(
        (await session.scalars(query)).unique().all(), limit, lambda r: (r.email,)
    )
    return [person_out(r) for r in rows], next_cursor


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> models.Person:
    return await _get(session, models.Person, person_id)


async def person_by_email(session: AsyncSession, email: str) -> models.Person | None:
    return await session.scalar(
        select(models.Person).where(func.lower(models.Person.email) == email.strip().lower())
    )


async def create_person(session: AsyncSession, data: schemas.PersonCreate) -> models.Person:
    email = data.email.strip()
    if await person_by_email(session, email) is not None:
        raise Conflict(f"A person with e-mail {email} already exists.")
    department = await department_by_code(session, data.department, "department")
    row = models.Person(
        email=email,
        name=data.name.strip(),
        department_id=department.id,
        roles=sorted(set(data.roles)),
    )
    return await _insert(session, row, f"A person with e-mail {email} already exists.")


async def update_person(
    session: AsyncSession, person_id: uuid.UUID, data: schemas.PersonUpdate
) -> models.Person:
    row = await get_person(session, person_id)
    if data.name is not msgspec.UNSET:
        row.name = data.name.strip()
    if data.department is not msgspec.UNSET:
        row.department_id = (await department_by_code(session, data.department, "department")).id
    if data.roles is not msgspec.UNSET:
        row.roles = sorted(set(data.roles))
    if data.active is not msgspec.UNSET:
        row.active = data.active
    await session.flush()
    await session.refresh(row, ["department", "updated_at"])
    return row


def me_out(person: models.Person) -> schemas.Me:
    return from_row(schemas.Me, person_out(person))


async def update_me(
    session: AsyncSession, person_id: uuid.UUID, data: schemas.MeUpdate
) -> models.Person:
    """A person's own preferences. Not a change to a problem, so no history event."""
    row = await get_person(session, person_id)
    if data.email_notifications is not msgspec.UNSET:
        row.email_notifications = data.email_notifications
    await session.flush()
    await session.refresh(row, ["department", "updated_at"])
    return row


# -- teams ----------------------------------------------------------------------------------


async def _members_of(
    session: AsyncSession, team_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[schemas.TeamMember]]:
    """Members of several teams in one query, by name."""
    rows = await session.execute(
        select(
            models.TeamMember.team_id,
            models.TeamMember.discipline,
            models.Person.id,
            models.Person.name,
            models.Person.email,
        )
        .join(models.Person, models.Person.id == models.TeamMember.person_id)
        .where(models.TeamMember.team_id.in_(team_ids))
        .order_by(models.Person.name)
    )
    members: dict[uuid.UUID, list[schemas.TeamMember]] = {team_id: [] for team_id in team_ids}
    for team_id, discipline, person_id, name, email in rows:
        members[team_id].append(
            schemas.TeamMember(person_id=person_id, name=name, email=email, discipline=discipline)
        )
    return members


def _team(team: models.Team, members: list[schemas.TeamMember]) -> schemas.Team:
    return from_row(
        schemas.Team,
        team,
        disciplines=list(team.disciplines),
        focus_areas=list(team.focus_areas),
        members=members,
    )


async def team_out(session: AsyncSession, team: models.Team) -> schemas.Team:
    return _team(team, (await _members_of(session, [team.id]))[team.id])


async def list_teams(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> tuple[list[schemas.Team], str | None]:
    page, next_cursor = await page_rows(
        session, select(models.Team), (models.Team.name,), cursor, limit=limit
    )
    members = await _members_of(session, [team.id for team in page])
    return [_team(team, members[team.id]) for team in page], next_cursor


async def get_team(session: AsyncSession, team_id: uuid.UUID) -> models.Team:
    return await _get(session, models.Team, team_id)


async def _set_members(
    session: AsyncSession, team: models.Team, members: list[schemas.TeamMemberInput]
) -> None:
    errors: list[FieldError] = []
    resolved: dict[uuid.UUID, str | None] = {}
    for index, member in enumerate(members):
        person = await person_by_email(session, member.email)
        if person is None or not person.active:
            errors.append(FieldError(f"members[{index}].email", f"No active person {member.email}"))
        elif "team_member" not in person.roles:
            errors.append(
                FieldError(f"members[{index}].email", f"{member.email} lacks the team_member role")
            )
        else:
            resolved[person.id] = member.discipline
    if errors:
        raise ValidationFailed("Some team members cannot join this team.", errors)
    existing = await session.scalars(
        select(models.TeamMember).where(models.TeamMember.team_id == team.id)
    )
    for row in existing:
        await session.delete(row)
    await session.flush()
    for person_id, discipline in resolved.items():
        session.add(models.TeamMember(team_id=team.id, person_id=person_id, discipline=discipline))


async def create_team(session: AsyncSession, data: schemas.TeamCreate) -> models.Team:
    row = models.Team(
        name=data.name.strip(),
        description=data.description,
        disciplines=sorted(set(data.disciplines)),
        focus_areas=list(dict.fromkeys(t.strip() for t in data.focus_areas)),
        wip_limit=data.wip_limit,
    )
    session.add(row)
    await _flush_or_conflict(session, f"A team named {data.name!r} already exists.")
    await _set_members(session, row, data.members)
    await session.flush()
    await session.refresh(row)
    return row


async def update_team(
    session: AsyncSession, team_id: uuid.UUID, data: schemas.TeamUpdate
) -> models.Team:
    row = await get_team(session, team_id)
    if data.name is not msgspec.UNSET:
        row.name = data.name.strip()
    if data.description is not msgspec.UNSET:
        row.description = data.description
    if data.disciplines is not msgspec.UNSET:
        row.disciplines = sorted(set(data.disciplines))
    if data.focus_areas is not msgspec.UNSET:
        row.focus_areas = list(dict.fromkeys(t.strip() for t in data.focus_areas))
    if data.wip_limit is not msgspec.UNSET:
        row.wip_limit = data.wip_limit
    if data.active is not msgspec.UNSET:
        row.active = data.active
    await _flush_or_conflict(session, "A team with that name already exists.")
    if data.members is not msgspec.UNSET:
        await _set_members(session, row, data.members)
        await session.flush()
    await session.refresh(row)
    return row
