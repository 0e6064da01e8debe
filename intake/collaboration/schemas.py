"""Collaboration schemas: comments, watchers and collaborators, as the API takes and shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from intake.lib.addresses import RegisteredAddress
from intake.lib.schema import NO_NUL, Input, Output
from intake.problems.schemas import PersonRef
from intake.registry.schemas import DepartmentRef

Visibility = Literal["all", "dti_internal"]
CommentText = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=10000,
        description="Plain text; `@` followed by a person's full e-mail mentions them.",
    ),
    NO_NUL,
]
DepartmentCodeInput = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z][A-Za-z0-9]{1,9}$",
        description="A department's code, e.g. PRK (case does not matter)",
        examples=["PRK"],
    ),
]


# -- comments -------------------------------------------------------------------------------


class CommentCreate(Input):
    examples = (
        {"body": "@mei.chen@city.example can you join Tuesday's site visit?", "visibility": "all"},
    )

    body: CommentText
    visibility: Visibility = "all"


class CommentUpdate(Input):
    """An edit replaces the text; the earlier text is kept and shown under ``edits``."""

    examples = ({"body": "Site visit moved to Wednesday 10:00."},)

    body: CommentText


class CommentRevision(Output):
    """A comment's earlier text, and who replaced it when."""

    body: str
    replaced_at: datetime
    replaced_by: PersonRef


class Comment(Output):
    id: uuid.UUID
    problem_id: uuid.UUID
    author: PersonRef
    body: str
    visibility: Visibility
    mentions: list[PersonRef]
    version: int
    created_at: datetime
    edited: bool
    edited_at: datetime | None


class CommentDetail(Comment):
    """One comment with its earlier texts, oldest first."""

    edits: list[CommentRevision]


# -- watchers -------------------------------------------------------------------------------


class WatcherAdd(Input):
    """Who starts following; without a body (or without ``email``) it is the caller."""

    examples = ({"email": "maria.lopez@city.example"},)

    email: RegisteredAddress | None = None


# -- collaborators --------------------------------------------------------------------------


class CollaboratorCreate(Input):
    """Exactly one of ``department`` (its code) or ``email`` (a person)."""

    examples = ({"department": "PRK"}, {"email": "keisha.brown@city.example"})

    department: DepartmentCodeInput | None = None
    email: RegisteredAddress | None = None


class Collaborator(Output):
    """A department or a person working on the problem with the owning department."""

    id: uuid.UUID
    kind: Literal["department", "person"]
    department: DepartmentRef | None
    person: PersonRef | None
    added_at: datetime
