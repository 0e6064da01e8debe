"""Working together on a problem from its page: withdraw it, add and remove collaborating
departments and people, add and remove other people's following, and edit your comments.

Each form calls the service the API calls (``intake.problems.service``,
``intake.collaboration``), which decides who may; a form with mistakes comes back on the
problem's page with an error summary, and one sent on an old reading of the record says what
changed.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from intake.collaboration import collaborators, comments, watchers
from intake.collaboration.schemas import CollaboratorCreate, CommentUpdate, WatcherAdd
from intake.pages.collaboration_view import CollaborationForm
from intake.pages.controllers.problems import STATUS_WORDS
from intake.pages.controllers.problems import _problem_page as problem_page
from intake.pages.deps import (
    Caller,
    Conflict,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
    claim_idempotency_key,
    etag,
)
from intake.problems import service as problems
from intake.problems.schemas import Withdrawal


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _place(failed: CollaborationForm, error: ValidationFailed, fields: dict[str, str]) -> None:
    """Put the service's refusal on the form's fields (service field name -> field id)."""
    for item in error.errors or []:
        if item.field in fields:
            failed.add(fields[item.field], item.message)
    if not failed.errors:
        failed.add(next(iter(fields.values())), error.detail)


class CollaborationPages(Controller):
    path = "/problems/{problem_id:uuid}"
    include_in_schema = False

    @post("/withdraw", status_code=303)
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        reason = _text(form, "reason")
        seen = _text(form, "seen_status")
        failed = CollaborationForm("withdraw", {"withdraw-reason": reason})
        try:  # the API's own schema for the reason
            data = msgspec.convert({"reason": reason or None}, Withdrawal)
        except msgspec.ValidationError:
            failed.add(
                "withdraw-reason", "Write at most 2,000 characters, without unusual characters"
            )
            return await problem_page(request, db_session, caller, problem_id, collab=failed)
        try:
            async with db_session.begin_nested():
                await problems.withdraw(
                    db_session, caller, problem_id, etag(_text(form, "version")), data.reason
                )
        except PreconditionFailed:
            now = await problems.get_visible(db_session, caller, problem_id)
            status = STATUS_WORDS.get(now.status, now.status)
            changed = (
                f"it is now “{status}”, not “{STATUS_WORDS.get(seen, seen)}”"
                if seen and seen != now.status
                else "its record was edited"
            )
            failed.notice = (
                "Someone changed this problem after you opened it, so it was not withdrawn: "
                f"{changed}. Read it as it is now; you can still withdraw it below if you want."
            )
            failed.status = 412
            return await problem_page(request, db_session, caller, problem_id, collab=failed)
        return Redirect(f"/problems/{problem_id}?withdrawn=1", status_code=303)

    # -- collaborators ------------------------------------------------------------------------

    @post("/collaborators", status_code=303)
    async def add_collaborator(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        kind = _text(form, "kind")
        department, email = _text(form, "department"), _text(form, "email")
        field = "collaborator-department" if kind == "department" else "collaborator-email"
        failed = CollaborationForm(
            "collaborator", {"collaborator-department": department, "collaborator-email": email}
        )
        if kind == "department" and not department:
            failed.add(field, "Choose a department")
        elif kind != "department" and not email:
            failed.add(field, "Enter your colleague's e-mail address")
        body = {"department": department} if kind == "department" else {"email": email}
        data = None
        if not failed.errors:
            try:
                data = msgspec.convert(body, CollaboratorCreate)
            except msgspec.ValidationError:
                failed.add(
                    field,
                    "Choose a department from the list"
                    if kind == "department"
                    else "Enter an e-mail address like name@city.example",
                )
        if data is None:
            return await problem_page(request, db_session, caller, problem_id, collab=failed)
        location = f"/problems/{problem_id}?saved=collaborator#collaborators"
        try:
            async with db_session.begin_nested():
                idempotent = await claim_idempotency_key(
                    request, db_session, caller, _text(form, "idempotency_key") or None
                )
                if idempotent is not None and await idempotent.replay():
                    return Redirect(location, status_code=303)
                await collaborators.add_collaborator(db_session, caller, problem_id, data)
                if idempotent is not None:
                    await idempotent.remember(303, {"location": location}, {})
        except ValidationFailed as error:
            _place(failed, error, {"department": field, "email": field, "body": field})
            return await problem_page(request, db_session, caller, problem_id, collab=failed)
        except Conflict as error:
            failed.add(field, error.detail)
            failed.status = 409
            return await problem_page(request, db_session, caller, problem_id, collab=failed)
        return Redirect(location, status_code=303)

    @post("/collaborators/{collaborator_id:uuid}/remove", status_code=303)
    async def remove_collaborator(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        collaborator_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        try:
            async with db_session.begin_nested():
                await collaborators.remove_collaborator(
                    db_session, caller, problem_id, collaborator_id
                )
        except NotFound:
            await problems.get_visible(db_session, caller, problem_id)  # a hidden problem: 404
            failed = CollaborationForm("collaborator", status=409)
            name = _text(form, "name") or "That collaborator"
            failed.notice = (
                f"{name} no longer collaborates on this problem: someone removed them after "
                "you opened the page. The list below is as it is now."
            )
            return await problem_page(request, db_session, caller, problem_id, collab=failed)
        return Redirect(
            f"/problems/{problem_id}?saved=uncollaborated#collaborators", status_code=303
        )

    # -- other people's following ---------------------------------------------------------------

    @post("/watchers", status_code=303)
    async def add_watcher(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        email = _text(form, "email")
        failed = CollaborationForm("watcher", {"watcher-email": email})
        data = None
        if not email:
            failed.add("watcher-email", "Enter your colleague's e-mail address")
        else:
            try:
                data = msgspec.convert({"email": email}, WatcherAdd)
            except msgspec.ValidationError:
                failed.add("watcher-email", "Enter an e-mail address like name@city.example")
        if data is None or data.email is None:
            return await problem_page(request, db_session, caller, problem_id, collab=failed)
        try:
            async with db_session.begin_nested():
                await watchers.add_watcher(db_session, caller, problem_id, data.email)
        except ValidationFailed as error:
            _place(failed, error, {"email": "watcher-email"})
            return await problem_page(request, db_session, caller, problem_id, collab=failed)
        return Redirect(f"/problems/{problem_id}?saved=watcher#followers", status_code=303)

    @post("/watchers/{person_id:uuid}/remove", status_code=303)
    async def remove_watcher(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        person_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        try:
            async with db_session.begin_nested():
                await watchers.remove_watcher(db_session, caller, problem_id, person_id)
        except NotFound:
            await problems.get_visible(db_session, caller, problem_id)
            failed = CollaborationForm("watcher", status=409)
            name = _text(form, "name") or "That person"
            failed.notice = (
                f"{name} no longer follows this problem: it changed after you opened the "
                "page. The list below is as it is now."
            )
            return await problem_page(request, db_session, caller, problem_id, collab=failed)
        return Redirect(f"/problems/{problem_id}?saved=unwatched#followers", status_code=303)

    # -- comments -----------------------------------------------------------------------------

    @post("/comments/{comment_id:uuid}/edit", status_code=303)
    async def edit_comment(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        comment_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        body = str(form.get("body") or "")
        field = f"comment-{comment_id}-body"
        failed = CollaborationForm(field, {field: body})
        try:
            data = msgspec.convert({"body": body}, CommentUpdate)
        except msgspec.ValidationError:
            failed.add(field, "Write a comment of up to 10,000 characters")
            return await problem_page(request, db_session, caller, problem_id, collab=failed)
        try:
            async with db_session.begin_nested():
                await comments.edit_comment(
                    db_session, caller, problem_id, comment_id, data, etag(_text(form, "version"))
                )
        except ValidationFailed as error:
            _place(failed, error, {"body": field})
            return await problem_page(request, db_session, caller, problem_id, collab=failed)
        except PreconditionFailed:
            now = await comments.get_comment(db_session, caller, problem_id, comment_id)
            failed.notice = (
                "Your comment was changed after you opened the page (in another window?), so "
                f"this edit was not saved. It now reads: “{now.body}”. Your text is kept below; "
                "save it again to replace it."
            )
            failed.status = 412
            return await problem_page(request, db_session, caller, problem_id, collab=failed)
        return Redirect(
            f"/problems/{problem_id}?saved=comment#comment-{comment_id}", status_code=303
        )
