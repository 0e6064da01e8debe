"""Registry schemas: departments, people and teams, as the API shows and takes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from intake.lib.addresses import EmailAddress, RegisteredAddress
from intake.lib.schema import LABEL, NO_NUL, Input, Output

Role = Literal["requester", "triager", "team_member", "leadership", "admin"]
Discipline = Literal[
    "product_management", "civic_design", "data", "software_engineering", "security"
]

DepartmentCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Z][A-Z0-9]{1,9}$",
        description="Short upper-case code, e.g. DOT",
        examples=["DOT"],
    ),
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200), NO_NUL, LABEL]
TeamName = Annotated[str, msgspec.Meta(min_length=1, max_length=120), NO_NUL, LABEL]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=60), NO_NUL]


class DepartmentRef(Output):
    id: uuid.UUID
    code: str
    name: str


class Department(Output):
    id: uuid.UUID
    code: str
    name: str
    created_at: datetime
    updated_at: datetime


class DepartmentCreate(Input):
    examples = ({"code": "LIB", "name": "Public Library"},)

    code: DepartmentCode
    name: Name


class DepartmentUpdate(Input):
    examples = ({"name": "San Francisco Public Library"},)

    name: Name | msgspec.UnsetType = msgspec.UNSET


class Person(Output):
    id: uuid.UUID
    email: str
    name: str
    department: DepartmentRef
    roles: list[str]
    active: bool
    # The person's own choice (PATCH /api/v1/me): whether notifications are also e-mailed.
    email_notifications: bool
    created_at: datetime
    updated_at: datetime


class PersonCreate(Input):
    examples = (
        {
            "email": "ana.silva@city.example",
            "name": "Ana Silva",
            "department": "DOT",
            "roles": ["requester"],
        },
    )

    email: EmailAddress
    name: Name
    department: DepartmentCode
    roles: Annotated[list[Role], msgspec.Meta(max_length=5)] = msgspec.field(
        default_factory=lambda: ["requester"]
    )


class PersonUpdate(Input):
    examples = ({"roles": ["requester", "leadership"], "active": True},)

    name: Name | msgspec.UnsetType = msgspec.UNSET
    department: DepartmentCode | msgspec.UnsetType = msgspec.UNSET
    roles: Annotated[list[Role], msgspec.Meta(max_length=5)] | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class Me(Output):
    id: uuid.UUID
    email: str
    name: str
    department: DepartmentRef
    roles: list[str]
    # Whether notifications are also e-mailed (when Intake sends e-mail at all).
    email_notifications: bool


class MeUpdate(Input):
    """What people change about themselves; the rest of their record is the admins'."""

    examples = ({"email_notifications": False},)

    email_notifications: bool | msgspec.UnsetType = msgspec.UNSET


class TeamMember(Output):
    person_id: uuid.UUID
    name: str
    email: str
    discipline: str | None


class Team(Output):
    id: uuid.UUID
    name: str
    description: str
    disciplines: list[str]
    focus_areas: list[str]
    wip_limit: int
    active: bool
    members: list[TeamMember]
    created_at: datetime
    updated_at: datetime


class TeamMemberInput(Input):
    email: RegisteredAddress
    discipline: Discipline | None = None


class TeamCreate(Input):
    examples = (
        {
            "name": "Permits & Licensing",
            "disciplines": ["product_management", "civic_design", "software_engineering"],
            "focus_areas": ["permits", "payments"],
            "wip_limit": 3,
            "members": [{"email": "grace.nakamura@city.example", "discipline": "civic_design"}],
        },
    )

    name: TeamName
    description: Annotated[str, msgspec.Meta(max_length=2000), NO_NUL] = ""
    disciplines: Annotated[list[Discipline], msgspec.Meta(max_length=5)] = msgspec.field(
        default_factory=list
    )
    focus_areas: Annotated[list[Tag], msgspec.Meta(max_length=20)] = msgspec.field(
        default_factory=list
    )
    wip_limit: Annotated[int, msgspec.Meta(ge=1, le=50)] = 3
    members: Annotated[list[TeamMemberInput], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )


class TeamUpdate(Input):
    examples = ({"wip_limit": 4},)

    name: TeamName | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, msgspec.Meta(max_length=2000), NO_NUL] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    disciplines: Annotated[list[Discipline], msgspec.Meta(max_length=5)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    focus_areas: Annotated[list[Tag], msgspec.Meta(max_length=20)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    wip_limit: Annotated[int, msgspec.Meta(ge=1, le=50)] | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    members: Annotated[list[TeamMemberInput], msgspec.Meta(max_length=50)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
