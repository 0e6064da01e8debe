"""The triager's pages: the queue with both SLA clocks, and a problem's triage page with
every triage action the lifecycle allows the signed-in person now."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, get, post
from litestar.handlers import HTTPRouteHandler

from intake.db import models
from intake.pages import clocks, paging
from intake.pages import triage_forms as tf
from intake.pages.deps import (
    Caller,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ProblemForm,
    ProblemPage,
    SignedInPage,
    ValidationFailed,
    may_act,
    whole_number,
)
from intake.pages.rendering import render
from intake.pages.words import TRIAGER_WORDS as WORDS
from intake.problems import lifecycle
from intake.problems import service as problems
from intake.registry import service as registry
from intake.triage import links, pairing, schemas, similar
from intake.triage import service as triage
from intake.triage.scoring import service as scores
from intake.triage.scoring.rules import CRITERIA

# Who reads the queue and the triage page, as the API's queue and recommendations allow.
READERS = ("triager", "admin", "leadership")
# The lifecycle actions the triage page has a form for (``triage`` is its "take" form).
ACTIONS = (
    "triage",
    "request-info",
    "accept",
    "decline",
    "redirect",
    "mark-duplicate",
    "hold",
    "resume",
    "reassign",
)
DONE = {
    "triage": "You took this problem into triage.",
    "request-info": "Your questions were sent to the requester.",
    "accept": "The problem is accepted. Pair it with a product team below.",
    "decline": "The problem is declined.",
    "redirect": "The problem is redirected.",
    "mark-duplicate": "The problem is marked as a duplicate.",
    "hold": "The work is on hold.",
    "resume": "The work has resumed.",
    "score": "The score is saved.",
    "link": "The problems are linked.",
    "team": "The product team is assigned.",
    "reassign": "The problem has a new owner.",
}
# A service's field name -> the field on the triage page that holds it, per form.
FIELD_OF = {
    "request-info": {"reason": "questions", "questions": "questions"},
    "accept": {"reason": "accept_reason"},
    "decline": {"reason": "decline_reason"},
    "redirect": {
        "reason": "redirect_reason",
        "department": "redirect_department",
        "channel": "redirect_channel",
    },
    "mark-duplicate": {"reason": "duplicate_reason", "primary_problem_id": "primary"},
    "hold": {"reason": "hold_reason"},
    "resume": {"reason": "resume_reason"},
    "link": {"to_problem_id": "link_to", "type": "link_type"},
    "team": {"team_id": "team_id", "override_reason": "override_reason"},
    "reassign": {"triager_email": "triager_email", "reason": "reassign_reason"},
    "score": {},
    "triage": {},
}
FIRST_FIELD = {
    "request-info": "questions",
    "accept": "accept_reason",
    "decline": "decline_reason",
    "redirect": "redirect_reason",
    "mark-duplicate": "primary",
    "hold": "hold_reason",
    "resume": "resume_reason",
    "link": "link_to",
    "team": "team_id",
    "score": "reach",
    "triage": "take",
    "reassign": "triager_email",
}


def offered(caller: Caller, problem: models.Problem) -> set[str]:
    """Every form the triage page shows this caller for this problem now."""
    forms = {action for action in ACTIONS if may_act(caller, problem, action)}
    if caller.has_role("triager") and problem.reference is not None:
        forms.add("link")
        if problem.status not in lifecycle.TERMINAL_STATES:
            forms.add("score")
        if problem.status in pairing.ASSIGNABLE_STATES:
            forms.add("team")
    return forms


def _decision(action: str, field: str, *, required: bool) -> HTTPRouteHandler:
    """The route of accept, decline, hold or resume: a reason, required or not, and the
    action."""

    async def decide(self: Controller, posted: ProblemForm) -> Any:
        errors = tf.Errors()
        why = tf.reason(posted.form, field, errors, required=required)

        async def run() -> None:
            await problems.apply_action(*posted.on, action, posted.if_match, reason=why)

        return await _act(posted, action, errors, run)

    decide.__name__ = action
    return post(f"/{{problem_id:uuid}}/{action}", status_code=303)(decide)


class TriagePages(Controller):
    path = "/triage"
    include_in_schema = False

    @get("/")
    async def queue(self, signed_in: SignedInPage) -> Any:
        request, session, caller = signed_in.request, signed_in.session, signed_in.caller
        if not caller.has_role(*READERS):
            raise Forbidden("The triage queue is for DTI product managers and leadership.")
        read = tf.read_queue_form(request.query_params, caller)
        items: list[schemas.QueueItem] = []
        next_cursor = None
        if not read.errors:
            items, next_cursor = await triage.triage_queue(
                session, caller, read.filters, cursor=read.cursor, limit=25
            )
        departments = await paging.every(
            lambda cursor, limit: registry.list_departments(session, cursor=cursor, limit=limit)
        )
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        return render(
            request,
            "triage_queue.html",
            422 if read.errors else 200,
            title="Triage queue",
            items=items,
            rows=[
                (item, clocks.in_words(item.first_response), clocks.in_words(item.decision))
                for item in items
            ],
            values=read.values,
            errors=read.errors.summary(),
            error_of=read.errors.messages,
            departments=departments,
            states=tf.QUEUE_STATES,
            triager_choices=tf.TRIAGER_CHOICES,
            breached_choices=tf.BREACHED_CHOICES,
            sort_choices=tf.SORT_CHOICES,
            words=WORDS,
            next_page="/triage?" + urlencode([*query, ("cursor", next_cursor)])
            if next_cursor
            else None,
            later_page=read.cursor is not None,
            first_page="/triage?" + urlencode(query),
        )

    @get("/{problem_id:uuid}")
    async def triage_page(self, page: ProblemPage) -> Any:
        query = page.request.query_params
        # "Use as the primary" and "Link to it" by a similar problem fill in its reference.
        prefill = {
            name: value[:40] for name in ("primary", "link_to") if (value := query.get(name))
        }
        return await _triage_page(page, done=DONE.get(query.get("done") or ""), prefill=prefill)

    @post("/{problem_id:uuid}/take", status_code=303)
    async def take(self, posted: ProblemForm) -> Any:
        async def run() -> None:
            await triage.take_into_triage(*posted.on, posted.if_match, None)

        return await _act(posted, "triage", tf.Errors(), run)

    @post("/{problem_id:uuid}/request-info", status_code=303)
    async def request_info(self, posted: ProblemForm) -> Any:
        errors = tf.Errors()
        questions = tf.reason(posted.form, "questions", errors, required=True)

        async def run() -> None:
            await problems.apply_action(
                *posted.on, "request-info", posted.if_match, reason=questions
            )

        return await _act(posted, "request-info", errors, run)

    @post("/{problem_id:uuid}/reassign", status_code=303)
    async def reassign(self, posted: ProblemForm) -> Any:
        errors = tf.Errors()
        email = posted.text("triager_email").strip()
        why = tf.reason(posted.form, "reassign_reason", errors, required=False)
        data: schemas.Reassign | None = None
        try:
            data = msgspec.convert({"triager_email": email, "reason": why}, schemas.Reassign)
        except msgspec.ValidationError:
            errors.add("triager_email", "Enter an e-mail address, such as name@city.example")

        async def run() -> None:
            assert data is not None
            await triage.reassign(*posted.on, posted.if_match, data)

        return await _act(posted, "reassign", errors, run)

    accept = _decision("accept", "accept_reason", required=False)
    decline = _decision("decline", "decline_reason", required=True)
    hold = _decision("hold", "hold_reason", required=True)
    resume = _decision("resume", "resume_reason", required=False)

    @post("/{problem_id:uuid}/redirect", status_code=303)
    async def redirect(self, posted: ProblemForm) -> Any:
        errors = tf.Errors()
        why = tf.reason(posted.form, "redirect_reason", errors, required=True)
        department = posted.text("redirect_department").strip().upper() or None
        channel = tf.reason(posted.form, "redirect_channel", errors, required=False)
        if channel is not None and len(channel) > 200:
            errors.add("redirect_channel", "Write 200 characters or fewer")
        if department is None and channel is None:
            errors.add("redirect_department", "Choose a department, name a channel, or both")
        elif department is not None and not tf.DEPARTMENT_CODE.match(department):
            errors.add("redirect_department", "Choose a department from the list")

        async def run() -> None:
            data = schemas.Redirect(reason=why or "", department=department, channel=channel)
            await triage.redirect(*posted.on, posted.if_match, data)

        return await _act(posted, "redirect", errors, run)

    @post("/{problem_id:uuid}/mark-duplicate", status_code=303)
    async def mark_duplicate(self, posted: ProblemForm) -> Any:
        errors = tf.Errors()
        primary = await _other_problem(posted, "primary", errors)
        why = tf.reason(posted.form, "duplicate_reason", errors, required=True)

        async def run() -> None:
            assert primary is not None
            data = schemas.MarkDuplicate(primary_problem_id=primary, reason=why or "")
            await triage.mark_duplicate(*posted.on, posted.if_match, data)

        return await _act(posted, "mark-duplicate", errors, run)

    @post("/{problem_id:uuid}/score", status_code=303)
    async def score(self, posted: ProblemForm) -> Any:
        errors = tf.Errors()
        rated = tf.ratings(posted.form, errors)
        notes = tf.reason(posted.form, "score_notes", errors, required=False)

        async def run() -> None:
            data = msgspec.convert({"ratings": rated, "notes": notes}, schemas.ScoreInput)
            await scores.score_problem(*posted.on, posted.if_match, data)

        return await _act(posted, "score", errors, run)

    @post("/{problem_id:uuid}/link", status_code=303)
    async def link(self, posted: ProblemForm) -> Any:
        errors = tf.Errors()
        other = await _other_problem(posted, "link_to", errors)
        kind = tf.choice(
            posted.form, "link_type", tf.LINK_TYPES, errors, "Choose how they are linked"
        )

        async def run() -> None:
            assert other is not None
            # A link is not a change of the problem's record, so it takes no If-Match; the
            # idempotency key still makes a double click one link.
            data = schemas.LinkInput(to_problem_id=other, type=kind)  # type: ignore[arg-type]
            await links.add_link(*posted.on, data)

        return await _act(posted, "link", errors, run)

    @post("/{problem_id:uuid}/team", status_code=303)
    async def assign_team(self, posted: ProblemForm) -> Any:
        errors = tf.Errors()
        team_id: uuid.UUID | None = None
        try:
            team_id = uuid.UUID(posted.text("team_id"))
        except ValueError:
            errors.add("team_id", "Choose a product team")
        override = tf.reason(posted.form, "override_reason", errors, required=False)

        async def run() -> None:
            assert team_id is not None
            data = schemas.AssignTeam(team_id=team_id, override_reason=override)
            await pairing.assign_team(*posted.on, posted.if_match, data)

        return await _act(posted, "team", errors, run)


async def _other_problem(posted: ProblemForm, field: str, errors: tf.Errors) -> uuid.UUID | None:
    """The problem a triager names by reference or id, if they may see it."""
    ref = tf.problem_ref(posted.form, field, errors)
    if ref is None:
        return None
    try:
        if ref.reference is not None:
            found = await problems.get_visible_by_reference(
                posted.session, posted.caller, ref.reference
            )
        else:
            assert ref.id is not None
            found = await problems.get_visible(posted.session, posted.caller, ref.id)
    except NotFound:
        errors.add(field, "There is no problem you can see with this reference")
        return None
    return found.id


async def _act(
    posted: ProblemForm, action: str, errors: tf.Errors, run: Callable[[], Awaitable[None]]
) -> Any:
    """Run one triage form once (a double click replays the first), then back to the page;
    mistakes, refusals and stale forms come back as the page with what was typed."""
    if errors:
        return await _triage_page(posted, errors=errors, typed=posted, status=422)
    try:
        return await posted.once(f"/triage/{posted.problem_id}?done={action}", run)
    except ValidationFailed as error:
        fields = FIELD_OF[action]
        for item in error.errors:
            errors.add(fields.get(item.field, FIRST_FIELD[action]), item.message)
        if not errors:
            errors.add(FIRST_FIELD[action], error.detail)
        return await _triage_page(posted, errors=errors, typed=posted, status=422)
    except Conflict as error:
        # Over a team's WIP limit, the override reason is what is missing.
        errors.add("override_reason" if action == "team" else FIRST_FIELD[action], error.detail)
        return await _triage_page(posted, errors=errors, typed=posted, status=409)
    except PreconditionFailed:
        return await _triage_page(posted, typed=posted, stale=True, status=412)


async def _triage_page(
    page: ProblemPage,
    *,
    errors: tf.Errors | None = None,
    typed: ProblemForm | None = None,
    prefill: dict[str, str] | None = None,
    stale: bool = False,
    done: str | None = None,
    status: int = 200,
) -> Any:
    request, session, caller, problem_id = page.request, *page.on
    problem = await problems.get_visible(session, caller, problem_id)
    if not caller.has_role(*READERS):
        raise Forbidden("The triage page is for DTI product managers and leadership.")
    out = await problems.problem_out(session, caller, problem)
    # Not shown as a list: what changed since the form was drawn, and the last event seen.
    history = await paging.every(
        lambda cursor, limit: problems.list_history(
            session, caller, problem_id, cursor=cursor, limit=limit
        )
    )
    forms = offered(caller, problem)
    submitted = problem.reference is not None
    first_response = decision = None
    if problem.submitted_at is not None:
        first, second = await triage.problem_clocks(session, problem)
        first_response, decision = clocks.in_words(first), clocks.in_words(second)
    score = await scores.score_view(session, caller, problem) if submitted else None
    recommendations = (
        await pairing.recommend_teams(session, caller, problem_id)
        if problem.status in pairing.ASSIGNABLE_STATES
        else []
    )
    departments = await paging.every(
        lambda cursor, limit: registry.list_departments(session, cursor=cursor, limit=limit)
    )
    seen = whole_number(typed.text("seen")) if typed is not None else None
    changed = [event for event in history if event.id > seen] if stale and seen is not None else []
    return render(
        request,
        "triage.html",
        status,
        title=f"Triage: {out.title}",
        problem=out,
        words=WORDS,
        forms=forms,
        first_response=first_response,
        decision=decision,
        score=score,
        ratings=_ratings_shown(score, typed),
        suggested={s.criterion: s.rating for s in score.suggestions} if score else {},
        similar=await similar.similar_to(session, caller, problem_id) if submitted else [],
        links=await links.list_links(session, caller, problem_id),
        recommendations=recommendations,
        moved=next((e.changes for e in history if e.type == "marked_duplicate"), None),
        departments=[d for d in departments if d.id != out.department.id],
        criteria=[(c, *tf.CRITERION_LABELS[c]) for c in CRITERIA],
        efforts=tf.EFFORT_LABELS,
        link_types=tf.LINK_TYPES,
        errors=(errors or tf.Errors()).summary(),
        error_of=(errors or tf.Errors()).messages,
        typed=typed.form if typed is not None else (prefill or {}),
        stale=stale,
        typed_text=[
            (label, typed.text(name).strip())
            for name, label in tf.LABELS.items()
            if typed is not None and stale and typed.text(name).strip()
        ],
        changed=changed,
        done=done,
        version=problem.version,
        seen=history[-1].id if history else 0,
    )


def _ratings_shown(score: schemas.ScoreOut | None, typed: ProblemForm | None) -> dict[str, str]:
    """What the score form shows chosen: what was just typed, else the current ratings,
    else the ratings suggested from the record."""
    if typed is not None and any(typed.text(name) for name in (*CRITERIA, "effort")):
        return {name: typed.text(name) for name in (*CRITERIA, "effort")}
    if score is not None and score.current is not None:
        shown = {line.criterion: str(line.rating) for line in score.current.breakdown}
        return {**shown, "effort": score.current.effort}
    if score is not None:
        return {s.criterion: str(s.rating) for s in score.suggestions}
    return {}
