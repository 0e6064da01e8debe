"""Working together on a problem from its page: withdraw it, add and remove collaborating
departments and people, add and remove other people's following, and edit your comments.

Each form calls the service the API calls (``intake.problems.service``,
``intake.collaboration``), which decides who may; a form with mistakes comes back on the
problem's page with an error summary, and one sent on an old reading of the record says what
changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Controller, post
from litestar.response import Redirect

from intake.collaboration import collaborators, comments, watchers
from intake.collaboration.schemas import CollaboratorCreate, CommentUpdate, WatcherAdd
from intake.pages.collaboration_view import CollaborationForm
from intake.pages.controllers.problems import render_problem
from intake.pages.deps import (
    Conflict,
    NotFound,
    PreconditionFailed,
    ProblemForm,
    ValidationFailed,
)
from intake.pages.words import STATUS_WORDS
from intake.problems import service as problems
from intake.problems.schemas import Withdrawal


def _place(failed: CollaborationForm, error: ValidationFailed, fields: dict[str, str]) -> None:
    """Put the service's refusal on the form's fields (service field name -> field id)."""
    for item in error.errors or []:
        if item.field in fields:
            failed.add(fields[item.field], item.message)
    if not failed.errors:
        failed.add(next(iter(fields.values())), error.detail)


async def _back(posted: ProblemForm, failed: CollaborationForm, status: int | None = None) -> Any:
    """The problem's page again, with the form as it was sent and what is wrong."""
    if status is not None:
        failed.status = status
    return await render_problem(posted, collab=failed)


async def _remove(
    posted: ProblemForm, remove: Callable[[], Awaitable[object]], form: str, gone: str, saved: str
) -> Any:
    """Remove someone, then back to the list (``saved``: the message and where); someone
    already gone is the page as it is now, saying so (a hidden problem is a 404)."""
    try:
        async with posted.session.begin_nested():
            await remove()
    except NotFound:
        await problems.get_visible(*posted.on)
        return await _back(posted, CollaborationForm(form, notice=gone), 409)
    return Redirect(f"/problems/{posted.problem_id}?saved={saved}", status_code=303)


class CollaborationPages(Controller):
    path = "/problems/{problem_id:uuid}"
    include_in_schema = False

    @post("/withdraw", status_code=303)
    async def withdraw(self, posted: ProblemForm) -> Any:
        reason, seen = posted.text("reason").strip(), posted.text("seen_status").strip()
        failed = CollaborationForm("withdraw", {"withdraw-reason": reason})
        try:  # the API's own schema for the reason
            data = msgspec.convert({"reason": reason or None}, Withdrawal)
        except msgspec.ValidationError:
            failed.add(
                "withdraw-reason", "Write at most 2,000 characters, without unusual characters"
            )
            return await _back(posted, failed)
        try:
            async with posted.session.begin_nested():
                await problems.apply_action(
                    *posted.on, "withdraw", posted.if_match, reason=data.reason
                )
        except PreconditionFailed:
            now = await problems.get_visible(*posted.on)
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
            return await _back(posted, failed, 412)
        return Redirect(f"/problems/{posted.problem_id}?withdrawn=1", status_code=303)

    # -- collaborators ------------------------------------------------------------------------

    @post("/collaborators", status_code=303)
    async def add_collaborator(self, posted: ProblemForm) -> Any:
        kind = posted.text("kind").strip()
        department, email = posted.text("department").strip(), posted.text("email").strip()
        field = "collaborator-department" if kind == "department" else "collaborator-email"
        failed = CollaborationForm(
            "collaborator", {"collaborator-department": department, "collaborator-email": email}
        )
        if kind == "department" and not department:
            failed.add(field, "Choose a department")
        elif kind != "department" and not email:
            failed.add(field, "Enter your colleague's e-mail address")
        body = {"department": department} if kind == "department" else {"email": email}
        if failed.errors:
            return await _back(posted, failed)
        try:
            data = msgspec.convert(body, CollaboratorCreate)
        except msgspec.ValidationError:
            failed.add(
                field,
                "Choose a department from the list"
                if kind == "department"
                else "Enter an e-mail address like name@city.example",
            )
            return await _back(posted, failed)

        async def add() -> None:
            await collaborators.add_collaborator(*posted.on, data)

        location = f"/problems/{posted.problem_id}?saved=collaborator#collaborators"
        try:
            return await posted.once(location, add)
        except ValidationFailed as error:
            _place(failed, error, {"department": field, "email": field, "body": field})
            return await _back(posted, failed)
        except Conflict as error:
            failed.add(field, error.detail)
            return await _back(posted, failed, 409)

    @post("/collaborators/{collaborator_id:uuid}/remove", status_code=303)
    async def remove_collaborator(self, posted: ProblemForm, collaborator_id: uuid.UUID) -> Any:
        name = posted.text("name").strip() or "That collaborator"
        return await _remove(
            posted, lambda: collaborators.remove_collaborator(*posted.on, collaborator_id),
            "collaborator",
            f"{name} no longer collaborates on this problem: someone removed them after you "
            "opened the page. The list below is as it is now.",
            "uncollaborated#collaborators",
        )  # fmt: skip

    # -- other people's following ---------------------------------------------------------------

    @post("/watchers", status_code=303)
    async def add_watcher(self, posted: ProblemForm) -> Any:
        email = posted.text("email").strip()
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
            return await _back(posted, failed)
        try:
            async with posted.session.begin_nested():
                await watchers.add_watcher(*posted.on, data.email)
        except ValidationFailed as error:
            _place(failed, error, {"email": "watcher-email"})
            return await _back(posted, failed)
        return Redirect(f"/problems/{posted.problem_id}?saved=watcher#followers", status_code=303)

    @post("/watchers/{person_id:uuid}/remove", status_code=303)
    async def remove_watcher(self, posted: ProblemForm, person_id: uuid.UUID) -> Any:
        name = posted.text("name").strip() or "That person"
        return await _remove(
            posted, lambda: watchers.remove_watcher(*posted.on, person_id),
            "watcher",
            f"{name} no longer follows this problem: it changed after you opened the page. "
            "The list below is as it is now.",
            "unwatched#followers",
        )  # fmt: skip

    # -- comments -----------------------------------------------------------------------------

    @post("/comments/{comment_id:uuid}/edit", status_code=303)
    async def edit_comment(self, posted: ProblemForm, comment_id: uuid.UUID) -> Any:
        body = posted.text("body")
        field = f"comment-{comment_id}-body"
        failed = CollaborationForm(field, {field: body})
        try:
            data = msgspec.convert({"body": body}, CommentUpdate)
        except msgspec.ValidationError:
            failed.add(field, "Write a comment of up to 10,000 characters")
            return await _back(posted, failed)
        try:
            async with posted.session.begin_nested():
                await comments.edit_comment(*posted.on, comment_id, data, posted.if_match)
        except ValidationFailed as error:
            _place(failed, error, {"body": field})
            return await _back(posted, failed)
        except PreconditionFailed:
            now = await comments.get_comment(*posted.on, comment_id)
            failed.notice = (
                "Your comment was changed after you opened the page (in another window?), so "
                f"this edit was not saved. It now reads: “{now.body}”. Your text is kept below; "
                "save it again to replace it."
            )
            return await _back(posted, failed, 412)
        return Redirect(
            f"/problems/{posted.problem_id}?saved=comment#comment-{comment_id}", status_code=303
        )
