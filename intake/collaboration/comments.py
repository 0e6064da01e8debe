"""Comment rules: who may write and read which comments, edits kept, mentions notified.

Anyone who can see a problem may comment on it, in any state (drafts included: the owning
department can discuss a draft before submitting it; nobody else can see it yet). A
``dti_internal`` comment exists for DTI roles only: for anyone else it is never listed and
reading or editing it is a 404, and its history events are internal.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.collaboration import mentions, schemas
from intake.db import models
from intake.lib.clock import utcnow
from intake.lib.errors import FieldError, Forbidden, ValidationFailed
from intake.lib.etag import check_if_match
from intake.problems import edits, history, records
from intake.problems import service as problems
from intake.problems.schemas import PersonRef
from intake.vocabulary.events import EventType
from intake.web.auth import Caller

INTERNAL = "dti_internal"


def _text(body: str) -> str:
    text = body.strip()
    if not text:
        raise ValidationFailed("A comment needs some text.", [FieldError("body", "Required")])
    return text


def _readable(caller: Caller) -> Any:
    """SQL condition: the comment's visibility lets the caller read it."""
    if caller.is_dti:
        return models.Comment.visibility.in_(("all", INTERNAL))
    return models.Comment.visibility == "all"


def _comment_out(comment: models.Comment, names: dict[uuid.UUID, str]) -> schemas.Comment:
    edited = comment.version > 1
    return schemas.Comment(
        id=comment.id,
        problem_id=comment.problem_id,
        author=PersonRef(id=comment.author_id, name=names[comment.author_id]),
        body=comment.body,
        visibility=cast(schemas.Visibility, comment.visibility),
        mentions=[PersonRef(id=pid, name=names[pid]) for pid in comment.mentions if pid in names],
        version=comment.version,
        created_at=comment.created_at,
        edited=edited,
        edited_at=comment.updated_at if edited else None,
    )


async def comment_out(session: AsyncSession, comment: models.Comment) -> schemas.CommentDetail:
    """One comment with its earlier texts (oldest first) and who replaced each, when."""
    Revision, Person = models.CommentRevision, models.Person
    rows = (
        await session.execute(
            select(Revision, Person.name)
            .join(Person, Person.id == Revision.edited_by_id)
            .where(Revision.comment_id == comment.id)
            .order_by(Revision.replaced_at, Revision.id)
        )
    ).all()
    names = await records.names(session, {comment.author_id, *comment.mentions})
    base = _comment_out(comment, names)
    return schemas.CommentDetail(
        **{field: getattr(base, field) for field in base.__struct_fields__},
        edits=[
            schemas.CommentRevision(
                body=revision.body,
                replaced_at=revision.replaced_at,
                replaced_by=PersonRef(id=revision.edited_by_id, name=name),
            )
            for revision, name in rows
        ],
    )


async def _comments_out(session: AsyncSession, page: list[models.Comment]) -> list[schemas.Comment]:
    names = await records.names(
        session, {c.author_id for c in page} | {pid for c in page for pid in c.mentions}
    )
    return [_comment_out(comment, names) for comment in page]


list_comments = records.lister(
    "list_comments",
    lambda caller, problem_id: select(models.Comment).where(
        models.Comment.problem_id == problem_id, _readable(caller)
    ),
    (models.Comment.created_at, models.Comment.id),
    _comments_out,
    doc="The comments the caller may read, oldest first.",
)


async def get_comment(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    comment_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> models.Comment:
    """The comment if the caller may read it and it belongs to this problem; 404 otherwise."""
    await problems.get_visible(session, caller, problem_id)
    return await records.record_of(
        session, models.Comment, problem_id, comment_id, _readable(caller), for_update=for_update
    )


def _event_changes(comment: models.Comment) -> dict[str, Any]:
    """What a comment event records; the text of internal comments stays out of history."""
    return {"comment_id": str(comment.id), "visibility": comment.visibility}


async def add_comment(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, data: schemas.CommentCreate
) -> models.Comment:
    problem = await problems.get_visible(session, caller, problem_id)
    internal = data.visibility == INTERNAL
    if internal and not caller.is_dti:
        raise Forbidden("DTI-internal comments are written by DTI roles only.")
    text = _text(data.body)
    mentioned = await mentions.resolve(session, text, problem_id=problem.id, internal=internal)
    comment = models.Comment(
        id=uuid.uuid4(),
        problem_id=problem.id,
        author_id=caller.id,
        body=text,
        visibility=data.visibility,
        mentions=[person.id for person in mentioned],
        version=1,
    )
    session.add(comment)
    await session.flush()
    changes = _event_changes(comment)
    if not internal:
        changes["body"] = text
    if mentioned:
        changes["mentions"] = [str(person.id) for person in mentioned]
    notified = [person.id for person in mentioned]
    return await _recorded(session, caller, comment, "comment_added", changes, notified)


async def edit_comment(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    comment_id: uuid.UUID,
    data: schemas.CommentUpdate,
    if_match: str | None,
) -> models.Comment:
    """The author replaces the text; the old text is kept, new mentions are notified."""
    comment = await get_comment(session, caller, problem_id, comment_id, for_update=True)
    if comment.author_id != caller.id:
        raise Forbidden("Only the comment's author can edit it.")
    check_if_match(if_match, comment.version)
    text = _text(data.body)
    if text == comment.body:
        return comment
    internal = comment.visibility == INTERNAL
    mentioned = await mentions.resolve(session, text, problem_id=problem_id, internal=internal)
    before_mentions = list(comment.mentions)
    after_mentions = [person.id for person in mentioned]
    added = [pid for pid in after_mentions if pid not in before_mentions]
    now = utcnow()
    session.add(
        models.CommentRevision(
            comment_id=comment.id, body=comment.body, edited_by_id=caller.id, replaced_at=now
        )
    )
    changes = _event_changes(comment)
    if not internal:
        changes["body"] = edits.change(comment.body, text)
    if after_mentions != before_mentions:
        changes["mentions"] = edits.change(
            [str(pid) for pid in before_mentions], [str(pid) for pid in after_mentions]
        )
    comment.body = text
    comment.mentions = after_mentions
    edits.bump(comment, now)
    return await _recorded(session, caller, comment, "comment_edited", changes, added)


async def _recorded(
    session: AsyncSession,
    caller: Caller,
    comment: models.Comment,
    type: EventType,
    changes: dict[str, Any],
    notified: list[uuid.UUID],
) -> models.Comment:
    """The comment's event written, the people it newly mentions (``notified``) told and,
    when everyone may read it, following; the comment read back."""
    internal = comment.visibility == INTERNAL
    if not internal:  # following is visible to all; an internal mention must not show
        for person_id in notified:
            await problems.follow(session, comment.problem_id, person_id)
    await history.record(
        session,
        comment.problem_id,
        caller.id,
        type,
        changes=changes,
        internal=internal,
        mentions=notified,
    )
    await session.refresh(comment)
    return comment
