"""Registry endpoints: the caller, departments, people and teams (admins write)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, patch
from litestar.params import JSONBody, Parameter

from intake.lib.openapi import errors
from intake.lib.pagination import PAGING, Page, Paging
from intake.registry import reads as registry_reads
from intake.registry import schemas
from intake.registry import service as registry
from intake.web.auth import ACTING, Acting
from intake.web.reads import Reads, person_only
from intake.web.roles import admin


class MeController(Controller):
    path = "/me"
    tags = ["registry"]
    dependencies = ACTING

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
    async def update_me(self, acting: Acting, data: JSONBody[schemas.MeUpdate]) -> schemas.Me:
        session, caller = acting
        return registry.me_out(await registry.update_me(session, caller.id, data))


class DepartmentController(Controller):
    path = "/departments"
    tags = ["registry"]
    dependencies = ACTING

    @get("/", summary="List departments", dependencies=PAGING)
    async def list_departments(self, acting: Acting, paging: Paging) -> Page[schemas.Department]:
        return Page.of(await registry.list_departments(acting.session, **paging))

    @get("/{department_id:uuid}", summary="Get a department")
    async def get_department(self, acting: Acting, department_id: uuid.UUID) -> schemas.Department:
        return registry.department_out(await registry.get_department(acting.session, department_id))

    @admin.post("/", summary="Create a department", responses=errors(409))
    async def create_department(
        self, acting: Acting, data: JSONBody[schemas.DepartmentCreate]
    ) -> schemas.Department:
        return registry.department_out(await registry.create_department(acting.session, data))

    @admin.patch("/{department_id:uuid}", summary="Rename a department")
    async def update_department(
        self, acting: Acting, department_id: uuid.UUID, data: JSONBody[schemas.DepartmentUpdate]
    ) -> schemas.Department:
        row = await registry.update_department(acting.session, department_id, data)
        return registry.department_out(row)


class PeopleController(Controller):
    path = "/people"
    tags = ["registry"]
    dependencies = ACTING

    @admin.get("/", summary="List people", dependencies=PAGING)
    async def list_people(
        self,
        acting: Acting,
        *,
        department: Annotated[str | None, Parameter(pattern=r"^[A-Z0-9]{1,10}$")] = None,
        paging: Paging,
    ) -> Page[schemas.Person]:
        people = await registry.list_people(acting.session, department=department, **paging)
        return Page.of(people)

    @admin.get("/{person_id:uuid}", summary="Get a person")
    async def get_person(self, acting: Acting, person_id: uuid.UUID) -> schemas.Person:
        return registry.person_out(await registry.get_person(acting.session, person_id))

    @admin.post("/", summary="Register a person", responses=errors(409))
    async def create_person(
        self, acting: Acting, data: JSONBody[schemas.PersonCreate]
    ) -> schemas.Person:
        return registry.person_out(await registry.create_person(acting.session, data))

    @admin.patch("/{person_id:uuid}", summary="Change a person's department, roles or status")
    async def update_person(
        self, acting: Acting, person_id: uuid.UUID, data: JSONBody[schemas.PersonUpdate]
    ) -> schemas.Person:
        return registry.person_out(await registry.update_person(acting.session, person_id, data))


class TeamController(Controller):
    path = "/teams"
    tags = ["registry"]
    dependencies = ACTING

    @get("/", summary="List product teams", dependencies=PAGING)
    async def list_teams(self, acting: Acting, paging: Paging) -> Page[schemas.Team]:
        return Page.of(await registry.list_teams(acting.session, **paging))

    @get("/{team_id:uuid}", summary="Get a product team")
    async def get_team(self, acting: Acting, team_id: uuid.UUID) -> schemas.Team:
        session = acting.session
        return await registry.team_out(session, await registry.get_team(session, team_id))

    @admin.post("/", summary="Create a product team", responses=errors(409))
    async def create_team(self, acting: Acting, data: JSONBody[schemas.TeamCreate]) -> schemas.Team:
        team = await registry.create_team(acting.session, data)
        return await registry.team_out(acting.session, team)

    @admin.patch("/{team_id:uuid}", summary="Change a product team", responses=errors(409))
    async def update_team(
        self, acting: Acting, team_id: uuid.UUID, data: JSONBody[schemas.TeamUpdate]
    ) -> schemas.Team:
        team = await registry.update_team(acting.session, team_id, data)
        return await registry.team_out(acting.session, team)
