"""The product team's workspace for one problem: its phase and the legal next phase actions,
findings with their evidence, the journey map, milestones with their slips, status updates,
and outcome metrics with their measurements and derived state.

Everyone who may read a problem's work records through the API and works at DTI or in
leadership reads the workspace, and so does a metric's owner (who records its measurements);
the problem's triager and its team's members act in it. Every form calls the services of
``intake.discovery``, ``intake.delivery`` and ``intake.outcomes``, which apply the rules.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from litestar import Controller, Request, get, post
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from intake.delivery import milestones, updates
from intake.delivery import schemas as delivery_schemas
from intake.delivery import service as delivery
from intake.discovery import journey as journeys
from intake.discovery import schemas as discovery_schemas
from intake.discovery import service as discovery
from intake.outcomes import schemas as outcome_schemas
from intake.outcomes import service as outcomes
from intake.pages import work_forms
from intake.pages.deps import (
    Caller,
    Conflict,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
    claim_idempotency_key,
    etag,
)
from intake.pages.work_forms import Filled
from intake.pages.workspace_view import (
    PHASE_ACTIONS,
    forward_phases,
    phase_words,
    workspace_page,
)
from intake.problems import service as problems

T = TypeVar("T")

# -- reading forms and answering them -----------------------------------------------------

_AT = re.compile(r"at `\$\.([\w\[\].]+)`")
_NAMED = re.compile(r"`([\w\[\].]+)`")


def _schema_error(filled: Filled, error: msgspec.ValidationError) -> None:
    """Place a schema's refusal on the form's field, in plain words."""
    text = str(error)
    found = _AT.search(text) or _NAMED.search(text)
    name = work_forms.field_of(filled.form, found.group(1) if found else "")
    if "bidirectional" in text:
        message = "Remove the characters that change the direction of the text"
    elif "at least" in text:
        message = "Enter some text people can see"
    elif "day between" in text:
        message = "Enter a date between 1900 and 2999"
    else:
        message = "Check this answer"
    filled.add(name, message)


def _convert(
    filled: Filled, into: type[T], shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None
) -> T | None:
    """The form's values as the service's input, or None when the form has mistakes (those
    the schema finds are added to them)."""
    if filled.errors:
        return None
    try:
        return msgspec.convert(shape(filled.values) if shape else filled.values, into)
    except msgspec.ValidationError as error:
        _schema_error(filled, error)
        return None


def _finding(values: dict[str, Any]) -> dict[str, Any]:
    pain_point = values["kind"] == "pain_point"
    return {
        "kind": values["kind"],
        "title": values["title"],
        "detail": values["detail"],
        "journey_step_id": values["step"] if pain_point else None,
        "evidence": work_forms.evidence(values),
    }


def _step(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "journey_step",
        "title": values["title"],
        "detail": values["detail"],
        "evidence": work_forms.evidence(values),
    }


async def milestone_changed(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, milestone_id: uuid.UUID, form: Any
) -> str:
    """What a stale milestone form is told: what changed since the form's ``seen_*`` fields
    were read (its target, its done date, its title when the form carried it)."""
    now = await milestones.get_milestone(session, caller, problem_id, milestone_id)
    seen = {name: str(form.get(f"seen_{name}") or "") for name in ("target", "done", "title")}
    changes = []
    if now.target_date.isoformat() != seen["target"]:
        changes.append(f"its target date is now {now.target_date.isoformat()}")
    done = now.done_on.isoformat() if now.done_on else ""
    if done != seen["done"]:
        changes.append(f"it was marked done on {done}" if done else "it was reopened")
    if seen["title"] and now.title != seen["title"]:
        changes.append(f"its title is now “{now.title}”")
    if not changes:
        changes.append(
            "its description changed" if seen["title"] else "its title or description changed"
        )
    return (
        f"Someone changed the milestone “{now.title}” after you opened the page, so nothing was "
        f"saved: {'; '.join(changes)}. Check it below and try again."
    )


async def _answer(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    filled: Filled,
    act: Callable[[], Awaitable[object]],
    *,
    saved: str,
    section: str,
    idempotency_key: str | None = None,
    stale: Callable[[], Awaitable[str]] | None = None,
) -> Any:
    """Run the form's service call in a savepoint and answer: a redirect back to the
    workspace, or the workspace again with the form as typed and what is wrong."""
    location = f"/problems/{problem_id}/work?saved={saved}#{section}"
    if filled.errors:
        return await workspace_page(request, session, caller, problem_id, failed=filled, status=422)
    try:
        async with session.begin_nested():
            idempotent = await claim_idempotency_key(request, session, caller, idempotency_key)
            if idempotent is not None and await idempotent.replay():
                return Redirect(location, status_code=303)
            await act()
            if idempotent is not None:
                await idempotent.remember(303, {"location": location}, {})
    except ValidationFailed as error:
        for item in error.errors or []:
            filled.add(work_forms.field_of(filled.form, item.field), item.message)
        if not filled.errors:
            filled.add(work_forms.field_of(filled.form, ""), error.detail)
        return await workspace_page(request, session, caller, problem_id, failed=filled, status=422)
    except PreconditionFailed:
        notice = await stale() if stale is not None else "Someone changed this meanwhile."
        return await workspace_page(
            request, session, caller, problem_id, failed=filled, notice=notice, status=412
        )
    except Conflict as error:
        filled.add(work_forms.field_of(filled.form, "name"), error.detail)
        return await workspace_page(request, session, caller, problem_id, failed=filled, status=409)
    return Redirect(location, status_code=303)


def _key(form: Any) -> str | None:
    return str(form.get("idempotency_key") or "") or None


class WorkspacePages(Controller):
    path = "/problems/{problem_id:uuid}/work"
    include_in_schema = False

    @get("/")
    async def workspace(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
    ) -> Any:
        return await workspace_page(request, db_session, caller, problem_id)

    # -- phases -------------------------------------------------------------------------------

    @post("/phase/{action:str}", status_code=303)
    async def change_phase(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        action: str,
    ) -> Any:
        if action not in PHASE_ACTIONS:
            raise NotFound("There is no such phase action.")
        form = await request.form()
        problem = await problems.get_visible(db_session, caller, problem_id)
        filled = work_forms.read(action, form, phase=forward_phases(problem) or None)
        if_match = etag(str(form.get("version") or ""))
        seen = str(form.get("seen_phase") or "")
        start = (
            _convert(filled, delivery_schemas.StartDelivery) if action == "start-delivery" else None
        )
        review = _convert(filled, delivery_schemas.OutcomeReview) if action == "close" else None
        note = filled.values.get("reason")

        async def act() -> object:
            if action == "start-discovery":
                return await delivery.start_discovery(
                    db_session, caller, problem_id, if_match, note
                )
            if action == "launch":
                return await delivery.launch(db_session, caller, problem_id, if_match, note)
            if action == "start-delivery":
                assert start is not None
                return await delivery.start_delivery(
                    db_session, caller, problem_id, if_match, start
                )
            assert review is not None
            return await delivery.close(db_session, caller, problem_id, if_match, review)

        async def stale() -> str:
            now = await problems.get_visible(db_session, caller, problem_id)
            words = phase_words(now)
            changed = f"It is now in {words}" + (f", not {seen}" if seen and seen != words else "")
            return (
                "Someone changed this problem after you opened the page, so nothing was done. "
                f"{changed}. Check the phase below and choose again."
            )

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="phase", section="phase", stale=stale,
        )  # fmt: skip

    # -- discovery ----------------------------------------------------------------------------

    @post("/findings", status_code=303)
    async def add_finding(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        journey, _ = await journeys.journey_map(db_session, caller, problem_id)
        filled = work_forms.read("finding", form, step=[str(s.id) for s in journey.steps])
        data = _convert(filled, discovery_schemas.FindingCreate, _finding)

        async def act() -> object:
            assert data is not None
            return await discovery.add_finding(db_session, caller, problem_id, data)

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="finding", section="findings", idempotency_key=_key(form),
        )  # fmt: skip

    @post("/journey/steps", status_code=303)
    async def add_step(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        filled = work_forms.read("step", form)
        data = _convert(filled, discovery_schemas.FindingCreate, _step)

        async def act() -> object:
            assert data is not None
            return await discovery.add_finding(db_session, caller, problem_id, data)

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="step", section="journey", idempotency_key=_key(form),
        )  # fmt: skip

    @post("/findings/{finding_id:uuid}/step", status_code=303)
    async def place_pain_point(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        finding_id: uuid.UUID,
    ) -> Any:
        """Put a pain point on a journey step, move it to another, or take it off the map."""
        form = await request.form()
        journey, _ = await journeys.journey_map(db_session, caller, problem_id)
        steps = [str(step.id) for step in journey.steps]
        filled = work_forms.read("place", form, anchor=f"place-{finding_id}", step=steps)
        data = _convert(
            filled, discovery_schemas.FindingUpdate, lambda v: {"journey_step_id": v["step"]}
        )
        if_match = etag(str(form.get("version") or ""))

        async def act() -> object:
            assert data is not None
            return await discovery.update_finding(
                db_session, caller, problem_id, finding_id, data, if_match
            )

        async def stale() -> str:
            now = await discovery.get_finding(db_session, caller, problem_id, finding_id)
            titles = {step.id: step.title for step in journey.steps}
            where = (
                f"it is now at the step “{titles[now.journey_step_id]}”"
                if now.journey_step_id in titles
                else "it is now on no step"
            )
            return (
                f"Someone changed the pain point “{now.title}” after you opened the page, so "
                f"it was not moved: {where}. Check it below and try again."
            )

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="place", section="findings", stale=stale,
        )  # fmt: skip

    @post("/journey/move", status_code=303)
    async def move_step(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
    ) -> Any:
        """Move one step up or down the journey (buttons, so no script is needed)."""
        form = await request.form()
        filled = Filled(form="step", typed={}, anchor="journey")
        journey, _ = await journeys.journey_map(db_session, caller, problem_id)
        order = [step.id for step in journey.steps]
        step_id = str(form.get("step_id") or "")
        direction = form.get("direction")
        seen = [s for s in str(form.get("seen_steps") or "").split(",") if s]
        moved = next((i for i, step in enumerate(order) if str(step) == step_id), None)
        if moved is None or direction not in ("up", "down"):
            raise ValidationFailed("Choose a step of this journey to move up or down.", [])
        other = moved - 1 if direction == "up" else moved + 1
        if 0 <= other < len(order):
            order[moved], order[other] = order[other], order[moved]
        if_match = etag(str(form.get("journey") or ""))

        async def act() -> object:
            return await journeys.reorder_journey(db_session, caller, problem_id, order, if_match)

        async def stale() -> str:
            titles = {str(step.id): step.title for step in journey.steps}
            added = [titles[s] for s in titles if s not in seen]
            gone = len([s for s in seen if s not in titles])
            changes = []
            if added:
                changes.append("new steps: " + ", ".join(f"“{t}”" for t in added))
            if gone:
                changes.append(f"{gone} step(s) removed")
            if not changes:
                changes.append("the steps or their pain points changed, or their order")
            return (
                "Someone changed the journey after you opened the page, so no step was moved. "
                f"What changed: {'; '.join(changes)}. The journey below is as it is now; "
                "move the step again."
            )

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="journey", section="journey", stale=stale,
        )  # fmt: skip

    # -- milestones and status updates ------------------------------------------------------

    @post("/milestones", status_code=303)
    async def add_milestone(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        filled = work_forms.read("milestone", form)

        data = _convert(filled, delivery_schemas.MilestoneCreate)

        async def act() -> object:
            assert data is not None
            return await milestones.create_milestone(db_session, caller, problem_id, data)

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="milestone", section="milestones", idempotency_key=_key(form),
        )  # fmt: skip

    @post("/milestones/{milestone_id:uuid}/{change:str}", status_code=303)
    async def change_milestone(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        milestone_id: uuid.UUID,
        change: str,
    ) -> Any:
        """Move a milestone's target date (``slip``, with a reason) or complete it (``done``)."""
        if change not in ("slip", "done"):
            raise NotFound("A milestone can be moved or completed here.")
        form = await request.form()
        filled = work_forms.read(change, form, anchor=f"{change}-{milestone_id}")
        if_match = etag(str(form.get("version") or ""))

        data = _convert(filled, delivery_schemas.MilestoneUpdate)

        async def act() -> object:
            assert data is not None
            return await milestones.update_milestone(
                db_session, caller, problem_id, milestone_id, data, if_match
            )

        async def stale() -> str:
            return await milestone_changed(db_session, caller, problem_id, milestone_id, form)

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved=change, section=f"milestone-{milestone_id}", stale=stale,
        )  # fmt: skip

    @post("/updates", status_code=303)
    async def post_update(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        filled = work_forms.read("update", form)

        data = _convert(filled, delivery_schemas.StatusUpdateCreate)

        async def act() -> object:
            assert data is not None
            return await updates.post_update(db_session, caller, problem_id, data)

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="update", section="updates", idempotency_key=_key(form),
        )  # fmt: skip

    # -- outcomes -----------------------------------------------------------------------------

    @post("/metrics", status_code=303)
    async def add_metric(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        filled = work_forms.read("metric", form)

        data = _convert(filled, outcome_schemas.MetricCreate)

        async def act() -> object:
            assert data is not None
            return await outcomes.create_metric(db_session, caller, problem_id, data)

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="metric", section="metrics", idempotency_key=_key(form),
        )  # fmt: skip

    @post("/metrics/{metric_id:uuid}/measurements", status_code=303)
    async def record_measurement(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        metric_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        filled = work_forms.read("measure", form, anchor=f"measure-{metric_id}")

        data = _convert(filled, outcome_schemas.MeasurementCreate)

        async def act() -> object:
            assert data is not None
            return await outcomes.record_measurement(
                db_session, caller, problem_id, metric_id, data
            )

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="measure", section=f"metric-{metric_id}", idempotency_key=_key(form),
        )  # fmt: skip
