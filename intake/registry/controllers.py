"""Registry endpoints: the caller, departments, people and teams (admins write)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.openapi.spec import Example
from litestar.params import Body, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from intake.lib.openapi import API_ERRORS, errors
from intake.lib.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from intake.registry import reads as registry_reads
from intake.registry import schemas
from intake.registry import service as registry
from intake.web.auth import Caller, require_role
from intake.web.reads import Reads, person_only

_TEAM_EXAMPLE = {
    "name": "Permits & Licensing",
    "disciplines": ["product_management", "civic_design", "software_engineering"],
    "focus_areas": ["permits", "payments"],
    "wip_limit": 3,
    "members": [{"email": "grace.nakamura@city.example", "discipline": "civic_design"}],
}
_PERSON_EXAMPLE = {
    "email": "ana.silva@city.example",
    "name": "Ana Silva",
    "department": "DOT",
    "roles": ["requester"],
}

# The request bodies, each with the example the API documentation shows.
MeChange = Annotated[
    schemas.MeUpdate, Body(examples=[Example(value={"email_notifications": False})])
]
NewDepartment = Annotated[
    schemas.DepartmentCreate,
    Body(examples=[Example(value={"code": "LIB", "name": "Public Library"})]),
]
DepartmentChange = Annotated[
    schemas.DepartmentUpdate,
    Body(examples=[Example(value={"name": "San Francisco Public Library"})]),
]
NewPerson = Annotated[schemas.PersonCreate, Body(examples=[Example(value=_PERSON_EXAMPLE)])]
PersonChange = Annotated[
    schemas.PersonUpdate,
    Body(examples=[Example(value={"roles": ["requester", "leadership"], "active": True})]),
]
NewTeam = Annotated[schemas.TeamCreate, Body(examples=[Example(value=_TEAM_EXAMPLE)])]
TeamChange = Annotated[schemas.TeamUpdate, Body(examples=[Example(value={"wip_limit": 4})])]


class MeController(Controller):
    path = "/me"
    tags = ["registry"]

    @get("/", summary="Who am I", responses=errors(401))
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
        responses=errors(*API_ERRORS),
    )
    async def update_me(
        self, caller: Caller, db_session: AsyncSession, data: MeChange
    ) -> schemas.Me:
        return registry.me_out(await registry.update_me(db_session, caller.id, data))


class DepartmentController(Controller):
    path = "/departments"
    tags = ["registry"]

    @get("/", summary="List departments", responses=errors(*API_ERRORS))
    async def list_departments(
        self,
        caller: Caller,
        db_session: AsyncSession,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Department]:
        items, next_cursor = await registry.list_departments(db_session, cursor=cursor, limit=limit)
        return Page(items=items, next_cursor=next_cursor)

    @get("/{department_id:uuid}", summary="Get a department", responses=errors(401, 404))
    async def get_department(
        self, caller: Caller, db_session: AsyncSession, department_id: uuid.UUID
    ) -> schemas.Department:
        return registry.department_out(await registry.get_department(db_session, department_id))

    @post("/", summary="Create a department (admin)", responses=errors(*API_ERRORS, 403, 409))
    async def create_department(
        self, caller: Caller, db_session: AsyncSession, data: NewDepartment
    ) -> schemas.Department:
        require_role(caller, "admin")
        return registry.department_out(await registry.create_department(db_session, data))

    @patch(
        "/{department_id:uuid}",
        summary="Rename a department (admin)",
        responses=errors(*API_ERRORS, 403, 404),
    )
    async def update_department(
        self,
        caller: Caller,
        db_session: AsyncSession,
        department_id: uuid.UUID,
        data: DepartmentChange,
    ) -> schemas.Department:
        require_role(caller, "admin")
        row = await registry.update_department(db_session, department_id, data)
        return registry.department_out(row)


class PeopleController(Controller):
    path = "/people"
    tags = ["registry"]

    @get("/", summary="List people (admin)", responses=errors(*API_ERRORS, 403))
    async def list_people(
        self,
        caller: Caller,
        db_session: AsyncSession,
        department: Annotated[str | None, Parameter(pattern=r"^[A-Z0-9]{1,10}$")] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Person]:
        require_role(caller, "admin")
        items, next_cursor = await registry.list_people(
            db_session, department=department, cursor=cursor, limit=limit
        )
        return Page(items=items, next_cursor=next_cursor)

    @get("/{person_id:uuid}", summary="Get a person (admin)", responses=errors(401, 403, 404))
    async def get_person(
        self, caller: Caller, db_session: AsyncSession, person_id: uuid.UUID
    ) -> schemas.Person:
        require_role(caller, "admin")
        return registry.person_out(await registry.get_person(db_session, person_id))

    @post("/", summary="Register a person (admin)", responses=errors(*API_ERRORS, 403, 409))
    async def create_person(
        self, caller: Caller, db_session: AsyncSession, data: NewPerson
    ) -> schemas.Person:
        require_role(caller, "admin")
        return registry.person_out(await registry.create_person(db_session, data))

    @patch(
        "/{person_id:uuid}",
        summary="Change a person's department, roles or status (admin)",
        responses=errors(*API_ERRORS, 403, 404),
    )
    async def update_person(
        self, caller: Caller, db_session: AsyncSession, person_id: uuid.UUID, data: PersonChange
    ) -> schemas.Person:
        require_role(caller, "admin")
        return registry.person_out(await registry.update_person(db_session, person_id, data))


class TeamController(Controller):
    path = "/teams"
    tags = ["registry"]

    @get("/", summary="List product teams", responses=errors(*API_ERRORS))
    async def list_teams(
        self,
        caller: Caller,
        db_session: AsyncSession,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Team]:
        items, next_cursor = await registry.list_teams(db_session, cursor=cursor, limit=limit)
        return Page(items=items, next_cursor=next_cursor)

    @get("/{team_id:uuid}", summary="Get a product team", responses=errors(401, 404))
    async def get_team(
        self, caller: Caller, db_session: AsyncSession, team_id: uuid.UUID
    ) -> schemas.Team:
        return await registry.team_out(db_session, await registry.get_team(db_session, team_id))

    @post("/", summary="Create a product team (admin)", responses=errors(*API_ERRORS, 403, 409))
    async def create_team(
        self, caller: Caller, db_session: AsyncSession, data: NewTeam
    ) -> schemas.Team:
        require_role(caller, "admin")
        team = await registry.create_team(db_session, data)
        return await registry.team_out(db_session, team)

    @patch(
        "/{team_id:uuid}",
        summary="Change a product team (admin)",
        responses=errors(*API_ERRORS, 403, 404, 409),
    )
    async def update_team(
        self, caller: Caller, db_session: AsyncSession, team_id: uuid.UUID, data: TeamChange
    ) -> schemas.Team:
        require_role(caller, "admin")
        team = await registry.update_team(db_session, team_id, data)
        return await registry.team_out(db_session, team)
