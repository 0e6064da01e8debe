"""Changing what the workspace recorded: edit and remove findings (journey steps too),
milestones (and reopen one marked done by mistake) and outcome metrics.

The forms call the same services as the API's PATCH and DELETE, with the version the page
was read at as ``If-Match``; a form sent on an old reading changes nothing and says what is
different now.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, post
from sqlalchemy.ext.asyncio import AsyncSession

from intake.delivery import milestones
from intake.delivery import schemas as delivery_schemas
from intake.discovery import schemas as discovery_schemas
from intake.discovery import service as discovery
from intake.outcomes import schemas as outcome_schemas
from intake.outcomes import service as outcomes
from intake.pages import work_forms
from intake.pages.controllers.workspace import _answer, _convert, milestone_changed
from intake.pages.deps import Caller, etag
from intake.pages.work_forms import Filled

_STALE = "Someone changed {what} after you opened the page, so nothing was saved: {how}. {then}"


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


class WorkChangePages(Controller):
    path = "/problems/{problem_id:uuid}/work"
    include_in_schema = False

    # -- findings and journey steps -----------------------------------------------------------

    @post("/findings/{finding_id:uuid}/edit", status_code=303)
    async def edit_finding(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        finding_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        filled = work_forms.read("edit-finding", form, anchor=f"edit-finding-{finding_id}")
        data = _convert(filled, discovery_schemas.FindingUpdate)
        if_match = etag(str(form.get("version") or ""))

        async def act() -> object:
            assert data is not None
            return await discovery.update_finding(
                db_session, caller, problem_id, finding_id, data, if_match
            )

        async def stale() -> str:
            now = await discovery.get_finding(db_session, caller, problem_id, finding_id)
            how = _differs(filled, {"title": now.title, "detail": now.detail or ""})
            return _STALE.format(
                what=f"“{now.title}”", how=how, then="Your text is kept below; save it again."
            )

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="edit-finding", section=f"finding-{finding_id}", stale=stale,
        )  # fmt: skip

    @post("/findings/{finding_id:uuid}/remove", status_code=303)
    async def remove_finding(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        finding_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        filled = Filled(form="edit-finding", typed={}, anchor=f"edit-finding-{finding_id}")
        if_match = etag(str(form.get("version") or ""))

        async def act() -> object:
            await discovery.remove_finding(db_session, caller, problem_id, finding_id, if_match)
            return None

        async def stale() -> str:
            now = await discovery.get_finding(db_session, caller, problem_id, finding_id)
            return _STALE.format(
                what=f"“{now.title}”",
                how="it was edited, or a pain point was put on it or taken off",
                then="Read it below as it is now, and remove it again if you still want to.",
            )

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="remove-finding", section="findings", stale=stale,
        )  # fmt: skip

    # -- milestones ---------------------------------------------------------------------------

    @post("/milestones/{milestone_id:uuid}/edit", status_code=303)
    async def edit_milestone(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        milestone_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        filled = work_forms.read("edit-milestone", form, anchor=f"edit-milestone-{milestone_id}")
        data = _convert(filled, delivery_schemas.MilestoneUpdate)
        if_match = etag(str(form.get("version") or ""))

        async def act() -> object:
            assert data is not None
            return await milestones.update_milestone(
                db_session, caller, problem_id, milestone_id, data, if_match
            )

        async def stale() -> str:
            return await milestone_changed(db_session, caller, problem_id, milestone_id, form)

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="edit-milestone", section=f"milestone-{milestone_id}", stale=stale,
        )  # fmt: skip

    @post("/milestones/{milestone_id:uuid}/reopen", status_code=303)
    async def reopen_milestone(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        milestone_id: uuid.UUID,
    ) -> Any:
        """Take the done date off a milestone marked done by mistake."""
        form = await request.form()
        filled = Filled(form="edit-milestone", typed={}, anchor=f"edit-milestone-{milestone_id}")
        if_match = etag(str(form.get("version") or ""))

        async def act() -> object:
            return await milestones.update_milestone(
                db_session,
                caller,
                problem_id,
                milestone_id,
                delivery_schemas.MilestoneUpdate(done_on=None),
                if_match,
            )

        async def stale() -> str:
            return await milestone_changed(db_session, caller, problem_id, milestone_id, form)

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="reopen", section=f"milestone-{milestone_id}", stale=stale,
        )  # fmt: skip

    @post("/milestones/{milestone_id:uuid}/remove", status_code=303)
    async def remove_milestone(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        milestone_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        filled = Filled(form="edit-milestone", typed={}, anchor=f"edit-milestone-{milestone_id}")
        if_match = etag(str(form.get("version") or ""))

        async def act() -> object:
            await milestones.delete_milestone(
                db_session, caller, problem_id, milestone_id, if_match
            )
            return None

        async def stale() -> str:
            return await milestone_changed(db_session, caller, problem_id, milestone_id, form)

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="remove-milestone", section="milestones", stale=stale,
        )  # fmt: skip

    # -- outcome metrics ----------------------------------------------------------------------

    @post("/metrics/{metric_id:uuid}/edit", status_code=303)
    async def edit_metric(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        metric_id: uuid.UUID,
    ) -> Any:
        form = await request.form()
        filled = work_forms.read("edit-metric", form, anchor=f"edit-metric-{metric_id}")
        data = _convert(filled, outcome_schemas.MetricUpdate)
        if_match = etag(str(form.get("version") or ""))

        async def act() -> object:
            assert data is not None
            return await outcomes.update_metric(
                db_session, caller, problem_id, metric_id, data, if_match
            )

        async def stale() -> str:
            now = await outcomes.get_metric(db_session, caller, problem_id, metric_id)
            fields = ("name", "unit", "direction", "baseline", "target", "target_date")
            values = {name: _text(getattr(now, name)) for name in fields}
            values["review_date"] = _text(now.review_date)
            return _STALE.format(
                what=f"the metric “{now.name}”",
                how=_differs(filled, values),
                then="What you typed is kept below; save it again to replace it.",
            )

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="edit-metric", section=f"metric-{metric_id}", stale=stale,
        )  # fmt: skip

    @post("/metrics/{metric_id:uuid}/remove", status_code=303)
    async def remove_metric(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        problem_id: uuid.UUID,
        metric_id: uuid.UUID,
    ) -> Any:
        """Remove a metric defined by mistake (one with measurements stays: a 409)."""
        form = await request.form()
        filled = Filled(form="edit-metric", typed={}, anchor=f"edit-metric-{metric_id}")
        if_match = etag(str(form.get("version") or ""))

        async def act() -> object:
            await outcomes.delete_metric(db_session, caller, problem_id, metric_id, if_match)
            return None

        async def stale() -> str:
            now = await outcomes.get_metric(db_session, caller, problem_id, metric_id)
            return _STALE.format(
                what=f"the metric “{now.name}”",
                how=f"its target is now {now.target:g} {now.unit} by {now.target_date}",
                then="Read it below as it is now, and remove it again if you still want to.",
            )

        return await _answer(
            request, db_session, caller, problem_id, filled, act,
            saved="remove-metric", section="metrics", stale=stale,
        )  # fmt: skip
