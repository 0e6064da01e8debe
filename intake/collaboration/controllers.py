"""Collaboration endpoints: a problem's comments, watchers and collaborators."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import HeaderParameter

from intake.collaboration import collaborators, comments, schemas, watchers
from intake.collaboration import reads as lean
from intake.db import models
from intake.lib.etag import etag
from intake.lib.openapi import API_ERRORS, ETAG, LOCATION, errors, example, success_headers
from intake.lib.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from intake.problems.deps import ON_PROBLEM, OnProblem
from intake.problems.schemas import PersonRef
from intake.web.idempotency import ONCE, Created, Once
from intake.web.reads import Reads, ServiceAccount, person_only

CommentIfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="The ETag of the comment as you last read it."),
]
PROBLEM = "/problems/{problem_id:uuid}"
_MENTION = "@mei.chen@city.example can you join Tuesday's site visit?"
NewComment = Annotated[schemas.CommentCreate, example({"body": _MENTION, "visibility": "all"})]
CommentChange = Annotated[
    schemas.CommentUpdate, example({"body": "Site visit moved to Wednesday 10:00."})
]
NewWatcher = Annotated[schemas.WatcherAdd | None, example({"email": "maria.lopez@city.example"})]
NewCollaborator = Annotated[
    schemas.CollaboratorCreate,
    example(
        Example(summary="A department", value={"department": "PRK"}),
        Example(summary="A person", value={"email": "keisha.brown@city.example"}),
    ),
]


async def _comment(on: OnProblem, comment: models.Comment) -> Response[schemas.CommentDetail]:
    body = await comments.comment_out(on.session, comment)
    return Response(body, headers={"ETag": etag(comment.version)})


class CommentController(Controller):
    path = PROBLEM + "/comments"
    tags = ["collaboration"]
    dependencies = {**ON_PROBLEM, **ONCE}

    @post(
        "/",
        summary="Comment on a problem",
        description=(
            "Anyone who can see the problem may comment, in any state. `visibility` "
            "`dti_internal` is for DTI roles only, and such comments exist for DTI roles only. "
            "`@` followed by a person's full e-mail mentions them: they are notified and start "
            "following; a mention of someone unknown, inactive or unable to read the comment is "
            "a 422."
        ),
        responses=errors(*API_ERRORS, 403, 404),
        status_code=201,
        response_headers=[ETAG, LOCATION],
    )
    async def add_comment(
        self, on: OnProblem, once: Once, data: NewComment
    ) -> Response[schemas.CommentDetail]:
        async def create() -> Created:
            comment = await comments.add_comment(*on, data)
            body = await comments.comment_out(on.session, comment)
            location = f"/api/v1/problems/{on.problem_id}/comments/{comment.id}"
            return 201, body, {"ETag": etag(comment.version), "Location": location}

        return await once(create)

    @get(
        "/",
        summary="A problem's comments, oldest first",
        description="DTI-internal comments are listed for DTI roles only.",
        responses=errors(*API_ERRORS, 404),
    )
    async def list_comments(
        self,
        request: Request[Any, Any, Any],
        problem_id: uuid.UUID,
        reads: Reads,
        account: ServiceAccount,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Comment]:
        if account is not None:
            on = OnProblem(*account, problem_id)
            return Page.of(await comments.list_comments(*on, cursor=cursor, limit=limit))
        email = person_only(request)
        return Page.of(
            await lean.comments_for(reads, email, problem_id, cursor=cursor, limit=limit)
        )

    @get(
        "/{comment_id:uuid}",
        summary="A comment with its earlier texts",
        responses=errors(401, 404),
        response_headers=[ETAG],
    )
    async def get_comment(
        self, on: OnProblem, comment_id: uuid.UUID
    ) -> Response[schemas.CommentDetail]:
        return await _comment(on, await comments.get_comment(*on, comment_id))

    @patch(
        "/{comment_id:uuid}",
        summary="Edit your comment",
        description=(
            "The author replaces the text (send `If-Match` with the comment's ETag); the earlier "
            "text is kept under `edits`. Only newly added mentions are notified."
        ),
        responses=errors(*API_ERRORS, 403, 404, 412, 428),
        response_headers=[ETAG],
    )
    async def edit_comment(
        self,
        on: OnProblem,
        comment_id: uuid.UUID,
        data: CommentChange,
        if_match: CommentIfMatch = None,
    ) -> Response[schemas.CommentDetail]:
        return await _comment(on, await comments.edit_comment(*on, comment_id, data, if_match))


class WatcherController(Controller):
    path = PROBLEM + "/watchers"
    tags = ["collaboration"]
    dependencies = {**ON_PROBLEM, **ONCE}

    @get("/", summary="Who follows a problem", responses=errors(401, 404))
    async def list_watchers(
        self,
        request: Request[Any, Any, Any],
        problem_id: uuid.UUID,
        reads: Reads,
        account: ServiceAccount,
    ) -> list[PersonRef]:
        if account is not None:
            return await watchers.list_watchers(*account, problem_id)
        return await lean.watchers_for(reads, person_only(request), problem_id)

    @get(
        "/{person_id:uuid}",
        summary="Whether a person follows a problem",
        description="200 with the person if they follow it, 404 if not.",
        responses=errors(401, 404),
    )
    async def get_watcher(self, on: OnProblem, person_id: uuid.UUID) -> PersonRef:
        return await watchers.get_watcher(*on, person_id)

    @post(
        "/",
        summary="Follow a problem",
        description=(
            "Without a body you follow it yourself (anyone who can see the problem may). With "
            "`email`, the owning department's requesters and the problem's triager and team add "
            "someone else who can see it. 201 when the person starts following, 200 when they "
            "already did."
        ),
        responses={
            200: ResponseSpec(data_container=PersonRef, description="They already followed it"),
            **errors(*API_ERRORS, 403, 404),
        },
        status_code=201,
        operation_class=success_headers(LOCATION),
    )
    async def add_watcher(
        self, on: OnProblem, once: Once, data: NewWatcher = None
    ) -> Response[PersonRef]:
        async def create() -> Created:
            email = data.email if data is not None else None
            person, added = await watchers.add_watcher(*on, email)
            location = f"/api/v1/problems/{on.problem_id}/watchers/{person.id}"
            return (201 if added else 200), person, {"Location": location}

        return await once(create)

    @delete(
        "/{person_id:uuid}",
        summary="Stop following a problem",
        description=(
            "Yourself, or (for the owning department's requesters and the problem's triager and "
            "team) anyone. 404 if the person does not follow it."
        ),
        responses=errors(401, 403, 404),
        status_code=204,
    )
    async def remove_watcher(self, on: OnProblem, person_id: uuid.UUID) -> None:
        await watchers.remove_watcher(*on, person_id)


class CollaboratorController(Controller):
    path = PROBLEM + "/collaborators"
    tags = ["collaboration"]
    dependencies = {**ON_PROBLEM, **ONCE}

    @get(
        "/",
        summary="Collaborating departments and people",
        responses=errors(401, 404),
    )
    async def list_collaborators(
        self,
        request: Request[Any, Any, Any],
        problem_id: uuid.UUID,
        reads: Reads,
        account: ServiceAccount,
    ) -> list[schemas.Collaborator]:
        if account is not None:
            return await collaborators.list_collaborators(*account, problem_id)
        return await lean.collaborators_for(reads, person_only(request), problem_id)

    @get("/{collaborator_id:uuid}", summary="One collaborator", responses=errors(401, 404))
    async def get_collaborator(
        self, on: OnProblem, collaborator_id: uuid.UUID
    ) -> schemas.Collaborator:
        return await collaborators.get_collaborator(*on, collaborator_id)

    @post(
        "/",
        summary="Add a collaborating department or person",
        description=(
            "Exactly one of `department` (a code) or `email`. For the owning department's "
            "requesters, the problem's triager and team, and admins. Collaborators see the "
            "problem even when it is restricted. A duplicate is a 409; the owning department "
            "(or one of its people) is a 422."
        ),
        responses=errors(*API_ERRORS, 403, 404, 409),
        status_code=201,
        response_headers=[LOCATION],
    )
    async def add_collaborator(
        self, on: OnProblem, once: Once, data: NewCollaborator
    ) -> Response[schemas.Collaborator]:
        async def create() -> Created:
            collaborator = await collaborators.add_collaborator(*on, data)
            location = f"/api/v1/problems/{on.problem_id}/collaborators/{collaborator.id}"
            return 201, collaborator, {"Location": location}

        return await once(create)

    @delete(
        "/{collaborator_id:uuid}",
        summary="Remove a collaborator",
        description="For the same people who add collaborators.",
        responses=errors(401, 403, 404),
        status_code=204,
    )
    async def remove_collaborator(self, on: OnProblem, collaborator_id: uuid.UUID) -> None:
        await collaborators.remove_collaborator(*on, collaborator_id)


ROUTES: list[type[Controller]] = [CommentController, WatcherController, CollaboratorController]
