"""The requester's pages: problem lists, the draft form with framing hints, a problem's page
with its history and comments, submit, answering a request for information, following."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from intake.collaboration import comments, watchers
from intake.collaboration.schemas import CommentCreate
from intake.db import models
from intake.pages import forms, paging
from intake.pages.collaboration_view import SAVED, CollaborationForm, collaboration_context
from intake.pages.deps import (
    Caller,
    FieldError,
    Forbidden,
    IntakeError,
    PreconditionFailed,
    ProblemForm,
    ProblemPage,
    SignedInPage,
    ValidationFailed,
    may_act,
    once,
)
from intake.pages.rendering import render
from intake.pages.words import STATUS_WORDS
from intake.problems import lifecycle, schemas
from intake.problems import service as problems
from intake.problems.framing import framing_hints
from intake.problems.guards import require_requester_of
from intake.triage import service as triage
from intake.triage import similar
from intake.triage.schemas import Respond


def _hints(record: dict[str, Any]) -> list[Any]:
    def text(name: str) -> str | None:
        value = record.get(name)
        return value if isinstance(value, str) else None

    return framing_hints(
        title=text("title"),
        problem_statement=text("problem_statement"),
        desired_outcome=text("desired_outcome"),
    )


def _may_edit(caller: Caller, problem: models.Problem) -> bool:
    if problem.status not in lifecycle.EDITABLE_STATES:
        return False
    try:
        require_requester_of(caller, problem)
    except Forbidden:
        return False
    return True


def _form_page(
    request: Request[Any, Any, Any],
    *,
    values: dict[str, Any],
    errors: forms.FormErrors | None = None,
    problem: schemas.Problem | None = None,
    version: int | None = None,
    notice: str | None = None,
    status: int = 200,
    record: dict[str, Any] | None = None,
) -> Any:
    return render(
        request,
        "problem_form.html",
        status,
        title=("Edit: " + problem.title) if problem else "Describe a problem",
        fields=forms.FIELDS,
        by_name=forms.BY_NAME,
        values=values,
        errors=errors or forms.FormErrors(),
        hints=_hints(record if record is not None else values),
        problem=problem,
        version=version,
        notice=notice,
        unread_count=None,
    )


def _read(
    request: Request[Any, Any, Any], form: FormMultiDict, **page: Any
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """The problem form as typed and the record it describes; and, when it has mistakes or
    asks for a preview, the form page to answer with (else None)."""
    values = forms.raw_values(form)
    record, errors = forms.parse(values)
    if not errors and form.get("action") != "preview":
        return values, record, None
    status = 422 if errors else 200
    shown = _form_page(request, values=values, errors=errors, record=record, status=status, **page)
    return values, record, shown


class ProblemPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/")
    async def home(self, signed_in: SignedInPage) -> Any:
        request, session, caller = signed_in.request, signed_in.session, signed_in.caller

        async def listed(name: str, which: problems.ProblemFilters) -> paging.Shown[Any]:
            return await paging.listed(
                request,
                name,
                problems.list_problems,
                session,
                caller,
                which,
                limit=paging.PROBLEMS,
            )

        mine = await listed("mine", problems.ProblemFilters(department=caller.department_code))
        followed = await listed("followed", problems.ProblemFilters(followed_by=caller.id))
        return render(
            request,
            "problems.html",
            title="My problems",
            mine=mine.items,
            followed=[p for p in followed.items if p.department.id != caller.department_id],
            pages={"mine": mine, "followed": followed},
            words=STATUS_WORDS,
        )

    @get("/problems/new")
    async def new_problem(self, request: Request[Any, Any, Any], caller: Caller) -> Any:
        if not caller.has_role("requester"):
            raise Forbidden("Only requesters describe new problems.")
        return _form_page(request, values=forms.blank_values())

    @post("/problems/new", status_code=303)
    async def create_problem(self, signed_in: SignedInPage) -> Any:
        request, session, caller = signed_in.request, signed_in.session, signed_in.caller
        form = await request.form()
        _, record, shown = _read(request, form)
        if shown is not None:
            return shown
        key = str(form.get("idempotency_key") or "") or None

        async def create() -> str:
            data = msgspec.convert(record, schemas.ProblemCreate)
            problem = await problems.create_problem(session, caller, data)
            return f"/problems/{problem.id}"

        return await once(request, session, caller, key, "/", create)

    @post("/problems/hints")
    async def hints(self, request: Request[Any, Any, Any], caller: Caller) -> Any:
        """The framing hints for the form as typed so far (the page's script asks while
        typing; without it, the same hints come with save and preview)."""
        form = await request.form()
        values = forms.raw_values(form)
        return render(request, "_hints.html", hints=_hints(values), by_name=forms.BY_NAME)

    @get("/problems/{problem_id:uuid}")
    async def problem_page(self, page: ProblemPage) -> Any:
        return await render_problem(page)

    @get("/problems/{problem_id:uuid}/edit")
    async def edit_page(self, page: ProblemPage) -> Any:
        problem = await problems.get_visible(*page.on)
        if not _may_edit(page.caller, problem):
            raise Forbidden(
                "Only the owning department edits a problem, while it is a draft "
                "or waiting for an answer."
            )
        out = await problems.problem_out(page.session, page.caller, problem)
        return _form_page(
            page.request, values=forms.form_values(out), problem=out, version=problem.version
        )

    @post("/problems/{problem_id:uuid}/edit", status_code=303)
    async def save_edit(self, posted: ProblemForm) -> Any:
        request, session, caller = posted.request, posted.session, posted.caller
        problem = await problems.get_visible(session, caller, posted.problem_id)
        out = await problems.problem_out(session, caller, problem)
        values, record, shown = _read(request, posted.form, problem=out, version=posted.version)
        if shown is not None:
            return shown
        data = msgspec.convert(record, schemas.ProblemUpdate)
        try:
            await problems.update_problem(session, caller, posted.problem_id, data, posted.if_match)
        except PreconditionFailed:
            current = forms.form_values(out)
            changed = [f.label for f in forms.FIELDS if current[f.name] != values[f.name]]
            notice = (
                "Someone changed this problem after you opened it, so your changes were not "
                "saved. The saved version now differs from what you typed in: "
                + (", ".join(changed) or "nothing you can see")
                + ". Check your answers and save again to replace it."
            )
            return _form_page(
                request,
                values=values,
                record=record,
                problem=out,
                version=problem.version,
                notice=notice,
                status=412,
            )
        return Redirect(f"/problems/{posted.problem_id}", status_code=303)

    @post("/problems/{problem_id:uuid}/submit", status_code=303)
    async def submit(self, posted: ProblemForm) -> Any:

        async def submit() -> None:  # as the API submits: its similar problems searched first
            await triage.submit(*posted.on, posted.if_match)

        location = f"/problems/{posted.problem_id}?submitted=1"
        try:
            return await posted.once(location, submit)
        except (ValidationFailed, PreconditionFailed) as error:
            return await render_problem(posted, error=error)

    @post("/problems/{problem_id:uuid}/respond", status_code=303)
    async def respond(self, posted: ProblemForm) -> Any:
        answer = posted.text("answer").strip()
        try:
            try:  # the API's own schema for the answer
                checked = msgspec.convert({"answer": answer}, Respond).answer
            except msgspec.ValidationError:
                raise ValidationFailed(
                    "Write your answer: up to 5,000 characters, without unusual characters.",
                    [FieldError("answer", "Write your answer in up to 5,000 characters")],
                ) from None
            async with posted.session.begin_nested():
                await problems.apply_action(*posted.on, "respond", posted.if_match, reason=checked)
        except (ValidationFailed, PreconditionFailed) as error:
            return await render_problem(posted, error=error, answer=answer)
        return Redirect(f"/problems/{posted.problem_id}", status_code=303)

    @post("/problems/{problem_id:uuid}/comments", status_code=303)
    async def comment(self, posted: ProblemForm) -> Any:
        body = posted.text("body")
        try:
            data = msgspec.convert({"body": body}, CommentCreate)
        except msgspec.ValidationError:
            error = ValidationFailed("Write a comment of up to 10,000 characters.", [])
            return await render_problem(posted, comment_error=error.detail, comment=body)
        await comments.add_comment(*posted.on, data)
        return Redirect(f"/problems/{posted.problem_id}#comments", status_code=303)

    @post("/problems/{problem_id:uuid}/follow", status_code=303)
    async def follow(self, posted: ProblemForm) -> Any:
        await watchers.add_watcher(*posted.on, None)
        return Redirect(f"/problems/{posted.problem_id}", status_code=303)

    @post("/problems/{problem_id:uuid}/unfollow", status_code=303)
    async def unfollow(self, posted: ProblemForm) -> Any:
        session, caller, problem_id = posted.on
        await problems.get_visible(session, caller, problem_id)
        if await _following(session, caller, problem_id):
            await watchers.remove_watcher(session, caller, problem_id, caller.id)
        return Redirect(f"/problems/{problem_id}", status_code=303)


async def _following(session: AsyncSession, caller: Caller, problem_id: uuid.UUID) -> bool:
    followers = await watchers.list_watchers(session, caller, problem_id)
    return any(person.id == caller.id for person in followers)


async def render_problem(
    page: ProblemPage,
    *,
    error: IntakeError | None = None,
    answer: str = "",
    comment: str = "",
    comment_error: str | None = None,
    collab: CollaborationForm | None = None,
) -> Any:
    request, session, caller, problem_id = page.request, *page.on
    problem = await problems.get_visible(session, caller, problem_id)
    out = await problems.problem_out(session, caller, problem)
    on = (session, caller, problem_id)
    history = await paging.listed(
        request, "history", problems.list_history, *on, limit=paging.HISTORY
    )
    thread = await paging.listed(
        request, "comments", comments.list_comments, *on, limit=paging.COMMENTS
    )
    missing = problems.missing_for_submit(problem) if problem.status == "draft" else []
    errors = forms.FormErrors()
    for item in missing:
        errors.add(item.field, item.message)
    similar_problems = (
        await similar.similar_problems(session, caller, problem)
        if problem.status != "draft"
        else []
    )
    status = error.status if error else (422 if comment_error else 200)
    if collab is not None:
        status = collab.status
    return render(
        request,
        "problem.html",
        status,
        title=out.title,
        problem=out,
        words=STATUS_WORDS,
        history=history.items,
        comments=thread.items,
        pages={"history": history, "comments": thread},
        missing=errors.summary(),
        error=error,
        answer=answer,
        comment=comment,
        comment_error=comment_error,
        following=await _following(session, caller, problem_id),
        may_edit=_may_edit(caller, problem),
        may_submit=may_act(caller, problem, "submit"),
        may_respond=may_act(caller, problem, "respond"),
        may_withdraw=may_act(caller, problem, "withdraw"),
        withdrawn=request.query_params.get("withdrawn") == "1",
        **await collaboration_context(
            session, caller, problem, collab, SAVED.get(request.query_params.get("saved") or "")
        ),
        similar=similar_problems,
        submitted=request.query_params.get("submitted") == "1",
        version=problem.version,
        by_name=forms.BY_NAME,
    )
