"""The product team's workspace for one problem: its phase and the legal next phase actions,
findings with their evidence, the journey map, milestones with their slips, status updates,
and outcome metrics with their measurements and derived state.

Everyone who may read a problem's work records through the API and works at DTI or in
leadership reads the workspace, and so does a metric's owner (who records its measurements);
the problem's triager and its team's members act in it. Every form calls the services of
``intake.discovery``, ``intake.delivery`` and ``intake.outcomes``, which apply the rules,
and is answered by ``intake.pages.work_answers``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, get, post
from litestar.handlers import HTTPRouteHandler

from intake.delivery import milestones, updates
from intake.delivery import schemas as delivery_schemas
from intake.delivery import service as delivery
from intake.discovery import journey as journeys
from intake.discovery import schemas as discovery_schemas
from intake.discovery import service as discovery
from intake.outcomes import schemas as outcome_schemas
from intake.outcomes import service as outcomes
from intake.pages import work_forms
from intake.pages.deps import NotFound, ProblemForm, ProblemPage, ValidationFailed, etag
from intake.pages.work_answers import answer, milestone_changed
from intake.pages.work_forms import Filled
from intake.pages.workspace_view import (
    PHASE_ACTIONS,
    forward_phases,
    phase_words,
    workspace_page,
)
from intake.problems import service as problems


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


# The phase actions' services, and the input each takes besides the note.
_PHASE_SERVICES: dict[str, Any] = {
    "start-discovery": (delivery.start_discovery, None),
    "start-delivery": (delivery.start_delivery, delivery_schemas.StartDelivery),
    "launch": (delivery.launch, None),
    "close": (delivery.close, delivery_schemas.OutcomeReview),
}


def _creates(
    path: str,
    form: str,
    service: Callable[..., Awaitable[object]],
    into: type[Any],
    section: str,
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> HTTPRouteHandler:
    """The route of a form that adds one record to the workspace: ``service(*on, data)``."""

    async def create(self: Controller, posted: ProblemForm) -> Any:
        return await answer(
            posted, work_forms.read(form, posted.form),
            lambda data: service(*posted.on, data),
            into=into, shape=shape, saved=form, section=section, creates=True,
        )  # fmt: skip

    create.__name__ = f"add_{form}"
    return post(path, status_code=303)(create)


class WorkspacePages(Controller):
    path = "/problems/{problem_id:uuid}/work"
    include_in_schema = False

    @get("/")
    async def workspace(self, page: ProblemPage) -> Any:
        return await workspace_page(page)

    # -- phases -------------------------------------------------------------------------------

    @post("/phase/{action:str}", status_code=303)
    async def change_phase(self, posted: ProblemForm, action: str) -> Any:
        if action not in PHASE_ACTIONS:
            raise NotFound("There is no such phase action.")
        problem = await problems.get_visible(*posted.on)
        filled = work_forms.read(action, posted.form, phase=forward_phases(problem) or None)
        seen = posted.text("seen_phase")
        service, into = _PHASE_SERVICES[action]

        async def act(data: Any) -> object:
            given = data if into is not None else filled.values.get("reason")
            return await service(*posted.on, posted.if_match, given)

        async def stale() -> str:
            words = phase_words(await problems.get_visible(*posted.on))
            changed = f"It is now in {words}" + (f", not {seen}" if seen and seen != words else "")
            return (
                "Someone changed this problem after you opened the page, so nothing was done. "
                f"{changed}. Check the phase below and choose again."
            )

        return await answer(
            posted, filled, act, into=into, saved="phase", section="phase", stale=stale
        )

    # -- adding a record ----------------------------------------------------------------------

    add_step = _creates(
        "/journey/steps", "step", discovery.add_finding, discovery_schemas.FindingCreate,
        "journey", _step,
    )  # fmt: skip
    add_milestone = _creates(
        "/milestones", "milestone", milestones.create_milestone,
        delivery_schemas.MilestoneCreate, "milestones",
    )  # fmt: skip
    post_update = _creates(
        "/updates", "update", updates.post_update, delivery_schemas.StatusUpdateCreate, "updates"
    )
    add_metric = _creates(
        "/metrics", "metric", outcomes.create_metric, outcome_schemas.MetricCreate, "metrics"
    )

    # -- discovery ----------------------------------------------------------------------------

    @post("/findings", status_code=303)
    async def add_finding(self, posted: ProblemForm) -> Any:
        journey, _ = await journeys.journey_map(*posted.on)
        filled = work_forms.read("finding", posted.form, step=[str(s.id) for s in journey.steps])
        return await answer(
            posted, filled, lambda data: discovery.add_finding(*posted.on, data),
            into=discovery_schemas.FindingCreate, shape=_finding,
            saved="finding", section="findings", creates=True,
        )  # fmt: skip

    @post("/findings/{finding_id:uuid}/step", status_code=303)
    async def place_pain_point(self, posted: ProblemForm, finding_id: uuid.UUID) -> Any:
        """Put a pain point on a journey step, move it to another, or take it off the map."""
        journey, _ = await journeys.journey_map(*posted.on)
        steps = [str(step.id) for step in journey.steps]
        filled = work_forms.read("place", posted.form, anchor=f"place-{finding_id}", step=steps)

        async def stale() -> str:
            now = await discovery.get_finding(*posted.on, finding_id)
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

        return await answer(
            posted, filled,
            lambda data: discovery.update_finding(*posted.on, finding_id, data, posted.if_match),
            into=discovery_schemas.FindingUpdate, shape=lambda v: {"journey_step_id": v["step"]},
            saved="place", section="findings", stale=stale,
        )  # fmt: skip

    @post("/journey/move", status_code=303)
    async def move_step(self, posted: ProblemForm) -> Any:
        """Move one step up or down the journey (buttons, so no script is needed)."""
        journey, _ = await journeys.journey_map(*posted.on)
        order = [step.id for step in journey.steps]
        step_id, direction = posted.text("step_id"), posted.form.get("direction")
        seen = [s for s in posted.text("seen_steps").split(",") if s]
        moved = next((i for i, step in enumerate(order) if str(step) == step_id), None)
        if moved is None or direction not in ("up", "down"):
            raise ValidationFailed("Choose a step of this journey to move up or down.", [])
        other = moved - 1 if direction == "up" else moved + 1
        if 0 <= other < len(order):
            order[moved], order[other] = order[other], order[moved]
        if_match = etag(posted.text("journey"))

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

        return await answer(
            posted, Filled(form="step", typed={}, anchor="journey"),
            lambda _: journeys.reorder_journey(*posted.on, order, if_match),
            saved="journey", section="journey", stale=stale,
        )  # fmt: skip

    # -- milestones ---------------------------------------------------------------------------

    @post("/milestones/{milestone_id:uuid}/{change:str}", status_code=303)
    async def change_milestone(
        self, posted: ProblemForm, milestone_id: uuid.UUID, change: str
    ) -> Any:
        """Move a milestone's target date (``slip``, with a reason) or complete it (``done``)."""
        if change not in ("slip", "done"):
            raise NotFound("A milestone can be moved or completed here.")
        return await answer(
            posted, work_forms.read(change, posted.form, anchor=f"{change}-{milestone_id}"),
            lambda data: milestones.update_milestone(
                *posted.on, milestone_id, data, posted.if_match
            ),
            into=delivery_schemas.MilestoneUpdate,
            saved=change, section=f"milestone-{milestone_id}",
            stale=lambda: milestone_changed(posted, milestone_id),
        )  # fmt: skip

    # -- outcomes -----------------------------------------------------------------------------

    @post("/metrics/{metric_id:uuid}/measurements", status_code=303)
    async def record_measurement(self, posted: ProblemForm, metric_id: uuid.UUID) -> Any:
        return await answer(
            posted, work_forms.read("measure", posted.form, anchor=f"measure-{metric_id}"),
            lambda data: outcomes.record_measurement(*posted.on, metric_id, data),
            into=outcome_schemas.MeasurementCreate,
            saved="measure", section=f"metric-{metric_id}", creates=True,
        )  # fmt: skip
