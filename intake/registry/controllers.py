"""Registry endpoints: the caller, departments, people and teams (admins write)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from intake.lib.openapi import errors
from intake.lib.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from intake.registry import reads as registry_reads
from intake.registry import schemas
from intake.registry import service as registry
from intake.web.auth import Caller, require_role
from intake.web.reads import Reads, person_only


class MeController(Controller):
    path = "/me"
    tags = ["registry"]

    @get("/", summary="Who am I")
    async def me(self, request: Request[Any, Any, Any], reads: Reads) -> schemas.Me:
        """The signed-in person, their home department and roles, and whether their
        notifications are e-mailed to them."""
        return await registry_reads.me_for(reads, person_only(request))

    @patch(
        "/",
        summary="Change my preferences",
        description=(
            "`email_notifications`: whether your notifications are also e-mailed to you "
            "(on by default). Your inbox keeps them either way."
        ),
    )
    async def update_me(
        self, caller: Caller, db_session: AsyncSession, data: JSONBody[schemas.MeUpdate]
    ) -> schemas.Me:
        return registry.me_out(await registry.update_me(db_session, caller.id, data))


class DepartmentController(Controller):
    path = "/departments"
    tags = ["registry"]

    @get("/", summary="List departments")
    async def list_departments(
        self,
        caller: Caller,
        db_session: AsyncSession,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Department]:
        return Page.of(await registry.list_departments(db_session, cursor=cursor, limit=limit))

    @get("/{department_id:uuid}", summary="Get a department")
    async def get_department(
        self, caller: Caller, db_session: AsyncSession, department_id: uuid.UUID
    ) -> schemas.Department:
        return registry.department_out(await registry.get_department(db_session, department_id))

    @post("/", summary="Create a department (admin)", responses=errors(403, 409))
    async def create_department(
        self, caller: Caller, db_session: AsyncSession, data: JSONBody[schemas.DepartmentCreate]
    ) -> schemas.Department:
        require_role(caller, "admin")
        return registry.department_out(await registry.create_department(db_session, data))

    @patch(
        "/{department_id:uuid}",
        summary="Rename a department (admin)",
        responses=errors(403),
    )
    async def update_department(
        self,
        caller: Caller,
        db_session: AsyncSession,
        department_id: uuid.UUID,
        data: JSONBody[schemas.DepartmentUpdate],
    ) -> schemas.Department:
        require_role(caller, "admin")
        row = await registry.update_department(db_session, department_id, data)
        return registry.department_out(row)


class PeopleController(Controller):
    path = "/people"
    tags = ["registry"]

    @get("/", summary="List people (admin)", responses=errors(403))
    async def list_people(
        self,
        caller: Caller,
        db_session: AsyncSession,
        department: Annotated[str | None, Parameter(pattern=r"^[A-Z0-9]{1,10}$")] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Person]:
        require_role(caller, "admin")
        return Page.of(
            await registry.list_people(
                db_session, department=department, cursor=cursor, limit=limit
            )
        )

    @get("/{person_id:uuid}", summary="Get a person (admin)", responses=errors(403))
    async def get_person(
        self, caller: Caller, db_session: AsyncSession, person_id: uuid.UUID
    ) -> schemas.Person:
        require_role(caller, "admin")
        return registry.person_out(await registry.get_person(db_session, person_id))

    @post("/", summary="Register a person (admin)", responses=errors(403, 409))
    async def create_person(
        self, caller: Caller, db_session: AsyncSession, data: JSONBody[schemas.PersonCreate]
    ) -> schemas.Person:
        require_role(caller, "admin")
        return registry.person_out(await registry.create_person(db_session, data))

    @patch(
        "/{person_id:uuid}",
        summary="Change a person's department, roles or status (admin)",
        responses=errors(403),
    )
    async def update_person(
        self,
        caller: Caller,
        db_session: AsyncSession,
        person_id: uuid.UUID,
        data: JSONBody[schemas.PersonUpdate],
    ) -> schemas.Person:
        require_role(caller, "admin")
        return registry.person_out(await registry.update_person(db_session, person_id, data))


class TeamController(Controller):
    path = "/teams"
    tags = ["registry"]

    @get("/", summary="List product teams")
    async def list_teams(
        self,
        caller: Caller,
        db_session: AsyncSession,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Team]:
        return Page.of(await registry.list_teams(db_session, cursor=cursor, limit=limit))

    @get("/{team_id:uuid}", summary="Get a product team")
    async def get_team(
        self, caller: Caller, db_session: AsyncSession, team_id: uuid.UUID
    ) -> schemas.Team:
        return await registry.team_out(db_session, await registry.get_team(db_session, team_id))

    @post("/", summary="Create a product team (admin)", responses=errors(403, 409))
    async def create_team(
        self, caller: Caller, db_session: AsyncSession, data: JSONBody[schemas.TeamCreate]
    ) -> schemas.Team:
        require_role(caller, "admin")
        team = await registry.create_team(db_session, data)
        return await registry.team_out(db_session, team)

    @patch(
        "/{team_id:uuid}",
        summary="Change a product team (admin)",
        responses=errors(403, 409),
    )
    async def update_team(
        self,
        caller: Caller,
        db_session: AsyncSession,
        team_id: uuid.UUID,
        data: JSONBody[schemas.TeamUpdate],
    ) -> schemas.Team:
        require_role(caller, "admin")
        team = await registry.update_team(db_session, team_id, data)
        return await registry.team_out(db_session, team)
