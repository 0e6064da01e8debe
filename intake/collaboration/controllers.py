"""Collaboration endpoints: a problem's comments, watchers and collaborators."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from intake.collaboration import collaborators, comments, schemas, watchers
from intake.collaboration import reads as lean
from intake.lib.openapi import LOCATION, errors, success_headers
from intake.problems.deps import OnProblem
from intake.problems.item_routes import Item, RecordController
from intake.problems.schemas import PersonRef
from intake.web.idempotency import Created, Once
from intake.web.reads import Reader, read_by

COMMENTS = Item(
    "comment", "comments", schemas.CommentDetail, shape=comments.comment_out, versioned=True
)
COLLABORATORS = Item("collaborator", "collaborators", schemas.Collaborator)
WATCHERS = Item("person", "watchers", PersonRef)  # a watcher is named by the person's id


class CommentController(RecordController):
    tags = ["collaboration"]

    add_comment = COMMENTS.create(
        comments.add_comment,
        schemas.CommentCreate,
        summary="Comment on a problem",
        description=(
            "Anyone who can see the problem may comment, in any state. `visibility` "
            "`dti_internal` is for DTI roles only, and such comments exist for DTI roles only. "
            "`@` followed by a person's full e-mail mentions them: they are notified and start "
            "following; a mention of someone unknown, inactive or unable to read the comment is "
            "a 422."
        ),
    )
    list_comments = COMMENTS.page(
        comments.list_comments,
        lean=lean.comments_for,
        summary="A problem's comments, oldest first",
        description="DTI-internal comments are listed for DTI roles only.",
        out=schemas.Comment,
    )
    get_comment = COMMENTS.read(comments.get_comment, summary="A comment with its earlier texts")
    edit_comment = COMMENTS.change(
        comments.edit_comment,
        schemas.CommentUpdate,
        summary="Edit your comment",
        description=(
            "The author replaces the text (send `If-Match` with the comment's ETag); the earlier "
            "text is kept under `edits`. Only newly added mentions are notified."
        ),
        conflicts=False,
    )


class WatcherController(RecordController):
    tags = ["collaboration"]

    @get("/watchers", summary="Who follows a problem")
    async def list_watchers(self, problem_id: uuid.UUID, reader: Reader) -> list[PersonRef]:
        return await read_by(reader, watchers.list_watchers, lean.watchers_for, problem_id)

    get_watcher = WATCHERS.read(
        watchers.get_watcher,
        summary="Whether a person follows a problem",
        description="200 with the person if they follow it, 404 if not.",
    )

    @post(
        "/watchers",
        summary="Follow a problem",
        description=(
            "Without a body you follow it yourself (anyone who can see the problem may). With "
            "`email`, the owning department's requesters and the problem's triager and team add "
            "someone else who can see it. 201 when the person starts following, 200 when they "
            "already did."
        ),
        responses={
            200: ResponseSpec(data_container=PersonRef, description="They already followed it"),
            **errors(403),
        },
        status_code=201,
        operation_class=success_headers(LOCATION),
    )
    async def add_watcher(
        self, on: OnProblem, once: Once, data: JSONBody[schemas.WatcherAdd | None] = None
    ) -> Response[PersonRef]:
        async def create() -> Created:
            email = data.email if data is not None else None
            person, added = await watchers.add_watcher(*on, email)
            location = f"/api/v1/problems/{on.problem_id}/watchers/{person.id}"
            return (201 if added else 200), person, {"Location": location}

        return await once(create)

    remove_watcher = WATCHERS.remove(
        watchers.remove_watcher,
        summary="Stop following a problem",
        description=(
            "Yourself, or (for the owning department's requesters and the problem's triager and "
            "team) anyone. 404 if the person does not follow it."
        ),
    )


class CollaboratorController(RecordController):
    tags = ["collaboration"]

    @get("/collaborators", summary="Collaborating departments and people")
    async def list_collaborators(
        self, problem_id: uuid.UUID, reader: Reader
    ) -> list[schemas.Collaborator]:
        service = collaborators.list_collaborators
        return await read_by(reader, service, lean.collaborators_for, problem_id)

    get_collaborator = COLLABORATORS.read(
        collaborators.get_collaborator, summary="One collaborator"
    )
    add_collaborator = COLLABORATORS.create(
        collaborators.add_collaborator,
        schemas.CollaboratorCreate,
        summary="Add a collaborating department or person",
        description=(
            "Exactly one of `department` (a code) or `email`. For the owning department's "
            "requesters, the problem's triager and team, and admins. Collaborators see the "
            "problem even when it is restricted. A duplicate is a 409; the owning department "
            "(or one of its people) is a 422."
        ),
    )
    remove_collaborator = COLLABORATORS.remove(
        collaborators.remove_collaborator,
        summary="Remove a collaborator",
        description="For the same people who add collaborators.",
    )


ROUTES: list[type[Controller]] = [CommentController, WatcherController, CollaboratorController]
