"""Changing what the workspace recorded: edit and remove findings (journey steps too),
milestones (and reopen one marked done by mistake) and outcome metrics.

The forms call the same services as the API's PATCH and DELETE, with the version the page
was read at as ``If-Match``; a form sent on an old reading changes nothing and says what is
different now.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, post

from intake.delivery import milestones
from intake.delivery import schemas as delivery_schemas
from intake.discovery import schemas as discovery_schemas
from intake.discovery import service as discovery
from intake.outcomes import schemas as outcome_schemas
from intake.outcomes import service as outcomes
from intake.pages import work_forms
from intake.pages.deps import ProblemForm
from intake.pages.work_answers import answer, milestone_changed
from intake.pages.work_forms import Filled

_STALE = "Someone changed {what} after you opened the page, so nothing was saved: {how}. {then}"
_GONE = "Read it below as it is now, and remove it again if you still want to."


def _differs(filled: Filled, now: dict[str, Any]) -> str:
    """The fields whose saved value now differs from what was typed, by their labels."""
    labels = {spec.name: spec.label for spec in work_forms.FORMS[filled.form]}
    changed = [
        labels[name]
        for name, value in now.items()
        if name in filled.typed and filled.typed[name].strip() != value
    ]
    return (
        "the saved version now differs from what you typed in: " + ", ".join(changed)
        if changed
        else "it was changed, though not in what you typed"
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _untyped(form: str, anchor: str) -> Filled:
    """A form of buttons only (remove, reopen): mistakes land on ``form``'s fields."""
    return Filled(form=form, typed={}, anchor=anchor)


class WorkChangePages(Controller):
    path = "/problems/{problem_id:uuid}/work"
    include_in_schema = False

    # -- findings and journey steps -----------------------------------------------------------

    @post("/findings/{finding_id:uuid}/edit", status_code=303)
    async def edit_finding(self, posted: ProblemForm, finding_id: uuid.UUID) -> Any:
        filled = work_forms.read("edit-finding", posted.form, anchor=f"edit-finding-{finding_id}")

        async def stale() -> str:
            now = await discovery.get_finding(*posted.on, finding_id)
            how = _differs(filled, {"title": now.title, "detail": now.detail or ""})
            return _STALE.format(
                what=f"“{now.title}”", how=how, then="Your text is kept below; save it again."
            )

        return await answer(
            posted, filled,
            lambda data: discovery.update_finding(*posted.on, finding_id, data, posted.if_match),
            into=discovery_schemas.FindingUpdate,
            saved="edit-finding", section=f"finding-{finding_id}", stale=stale,
        )  # fmt: skip

    @post("/findings/{finding_id:uuid}/remove", status_code=303)
    async def remove_finding(self, posted: ProblemForm, finding_id: uuid.UUID) -> Any:
        async def stale() -> str:
            now = await discovery.get_finding(*posted.on, finding_id)
            return _STALE.format(
                what=f"“{now.title}”",
                how="it was edited, or a pain point was put on it or taken off",
                then=_GONE,
            )

        return await answer(
            posted, _untyped("edit-finding", f"edit-finding-{finding_id}"),
            lambda _: discovery.remove_finding(*posted.on, finding_id, posted.if_match),
            saved="remove-finding", section="findings", stale=stale,
        )  # fmt: skip

    # -- milestones ---------------------------------------------------------------------------

    @post("/milestones/{milestone_id:uuid}/edit", status_code=303)
    async def edit_milestone(self, posted: ProblemForm, milestone_id: uuid.UUID) -> Any:
        anchor = f"edit-milestone-{milestone_id}"
        return await answer(
            posted, work_forms.read("edit-milestone", posted.form, anchor=anchor),
            lambda data: milestones.update_milestone(
                *posted.on, milestone_id, data, posted.if_match
            ),
            into=delivery_schemas.MilestoneUpdate,
            saved="edit-milestone", section=f"milestone-{milestone_id}",
            stale=lambda: milestone_changed(posted, milestone_id),
        )  # fmt: skip

    @post("/milestones/{milestone_id:uuid}/reopen", status_code=303)
    async def reopen_milestone(self, posted: ProblemForm, milestone_id: uuid.UUID) -> Any:
        """Take the done date off a milestone marked done by mistake."""
        reopened = delivery_schemas.MilestoneUpdate(done_on=None)
        return await answer(
            posted, _untyped("edit-milestone", f"edit-milestone-{milestone_id}"),
            lambda _: milestones.update_milestone(
                *posted.on, milestone_id, reopened, posted.if_match
            ),
            saved="reopen", section=f"milestone-{milestone_id}",
            stale=lambda: milestone_changed(posted, milestone_id),
        )  # fmt: skip

    @post("/milestones/{milestone_id:uuid}/remove", status_code=303)
    async def remove_milestone(self, posted: ProblemForm, milestone_id: uuid.UUID) -> Any:
        return await answer(
            posted, _untyped("edit-milestone", f"edit-milestone-{milestone_id}"),
            lambda _: milestones.delete_milestone(*posted.on, milestone_id, posted.if_match),
            saved="remove-milestone", section="milestones",
            stale=lambda: milestone_changed(posted, milestone_id),
        )  # fmt: skip

    # -- outcome metrics ----------------------------------------------------------------------

    @post("/metrics/{metric_id:uuid}/edit", status_code=303)
    async def edit_metric(self, posted: ProblemForm, metric_id: uuid.UUID) -> Any:
        filled = work_forms.read("edit-metric", posted.form, anchor=f"edit-metric-{metric_id}")

        async def stale() -> str:
            now = await outcomes.get_metric(*posted.on, metric_id)
            fields = ("name", "unit", "direction", "baseline", "target", "target_date")
            values = {name: _text(getattr(now, name)) for name in (*fields, "review_date")}
            return _STALE.format(
                what=f"the metric “{now.name}”",
                how=_differs(filled, values),
                then="What you typed is kept below; save it again to replace it.",
            )

        return await answer(
            posted, filled,
            lambda data: outcomes.update_metric(*posted.on, metric_id, data, posted.if_match),
            into=outcome_schemas.MetricUpdate,
            saved="edit-metric", section=f"metric-{metric_id}", stale=stale,
        )  # fmt: skip

    @post("/metrics/{metric_id:uuid}/remove", status_code=303)
    async def remove_metric(self, posted: ProblemForm, metric_id: uuid.UUID) -> Any:
        """Remove a metric defined by mistake (one with measurements stays: a 409)."""

        async def stale() -> str:
            now = await outcomes.get_metric(*posted.on, metric_id)
            return _STALE.format(
                what=f"the metric “{now.name}”",
                how=f"its target is now {now.target:g} {now.unit} by {now.target_date}",
                then=_GONE,
            )

        return await answer(
            posted, _untyped("edit-metric", f"edit-metric-{metric_id}"),
            lambda _: outcomes.delete_metric(*posted.on, metric_id, posted.if_match),
            saved="remove-metric", section="metrics", stale=stale,
        )  # fmt: skip
