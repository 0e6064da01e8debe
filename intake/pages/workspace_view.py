"""The product team's workspace as a page: who may open it and act in it, and everything it
shows, read through the discovery, delivery and outcome services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.delivery import milestones, updates
from intake.discovery import journey as journeys
from intake.discovery import service as discovery
from intake.outcomes import service as outcomes
from intake.pages import paging, work_forms
from intake.pages.deps import Caller, Conflict, Forbidden, ProblemPage
from intake.pages.rendering import render
from intake.pages.words import DELIVERY_PHASES, STATUS_WORDS
from intake.pages.work_forms import Filled
from intake.problems import lifecycle
from intake.problems import service as problems
from intake.problems.guards import WORK_STATES, on_problem_team

PHASE_ACTIONS = ("start-discovery", "start-delivery", "launch", "close")
ACTION_WORDS = {
    "start-discovery": "Start discovery",
    "start-delivery": "Start delivery",
    "launch": "Launch: it is live",
    "close": "Close with an outcome review",
}
SAVED = {
    "phase": "The phase has changed.",
    "finding": "The finding has been added.",
    "step": "The step has been added to the journey.",
    "place": "The pain point has moved.",
    "journey": "The journey has been reordered.",
    "milestone": "The milestone has been added.",
    "slip": "The milestone's target date has moved; the earlier date is kept.",
    "done": "The milestone is done.",
    "update": "The status update has been posted.",
    "metric": "The outcome metric has been added.",
    "measure": "The measurement has been recorded.",
    "edit-finding": "The finding has been changed.",
    "remove-finding": "The finding has been removed.",
    "edit-milestone": "The milestone has been changed.",
    "reopen": "The milestone is open again.",
    "remove-milestone": "The milestone has been removed; the history keeps it.",
    "edit-metric": "The outcome metric has been changed.",
    "remove-metric": "The outcome metric has been removed.",
}
# The phases a problem goes through once accepted, in order, as the workspace shows them.
PHASES = ("accepted", "discovery", "alpha", "beta", "live", "closed")
PHASE_WORDS = {**STATUS_WORDS, **DELIVERY_PHASES}


def phase_of(status: str, delivery_phase: str | None) -> str:
    """The phase a problem in ``status`` is in (delivery shows its sub-phase)."""
    if status == "delivery":
        return delivery_phase or "alpha"
    return status


def phase_words(problem: models.Problem) -> str:
    if problem.status == "on_hold" and problem.held_from_status:
        held = phase_of(problem.held_from_status, problem.delivery_phase)
        return f"On hold (from {PHASE_WORDS.get(held, held)})"
    phase = phase_of(problem.status, problem.delivery_phase)
    return PHASE_WORDS.get(phase, phase)


def forward_phases(problem: models.Problem) -> list[str]:
    """The delivery sub-phases start-delivery may move to now (never back)."""
    if problem.status == "discovery":
        return list(work_forms.PHASES)
    if problem.status == "delivery" and problem.delivery_phase == "alpha":
        return ["beta"]
    return []


@dataclass(slots=True)
class Access:
    """What the signed-in person may do in this problem's workspace now."""

    on_team: bool
    write: bool
    actions: list[str]


async def access_of(session: AsyncSession, caller: Caller, problem: models.Problem) -> Access:
    on_team = await on_problem_team(session, caller, problem)
    allowed = lifecycle.allowed_actions(problem.status, problem.held_from_status)
    actions = [a for a in PHASE_ACTIONS if on_team and a in allowed]
    if "start-delivery" in actions and not forward_phases(problem):
        actions.remove("start-delivery")
    return Access(on_team=on_team, write=on_team and problem.status in WORK_STATES, actions=actions)


def _has_work(problem: models.Problem) -> bool:
    return problem.team_id is not None or problem.status in WORK_STATES


async def workspace_problem(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID
) -> models.Problem:
    """The problem, if this person may open its workspace.

    404 when the problem is hidden; 409 before DTI accepted it (there is no work yet); 403
    for someone outside DTI and leadership who owns none of its metrics.
    """
    problem = await problems.get_visible(session, caller, problem_id)
    if not _has_work(problem):
        raise Conflict(
            "This problem has no workspace: the work starts once DTI accepts it and pairs it "
            "with a product team."
        )
    if caller.sees_everything_submitted:
        return problem
    owns_metric = await session.scalar(
        select(models.Metric.id)
        .where(
            models.Metric.problem_id == problem_id,
            models.Metric.present(),
            models.Metric.owner_id == caller.id,
        )
        .limit(1)
    )
    if owns_metric is None:
        raise Forbidden(
            "The workspace is for DTI's product teams. You can follow the work on the "
            "problem's own page."
        )
    return problem


async def workspace_page(
    page: ProblemPage,
    *,
    failed: Filled | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Any:
    request, session, caller, problem_id = page.request, *page.on
    problem = await workspace_problem(session, caller, problem_id)
    access = await access_of(session, caller, problem)
    out = await problems.problem_out(session, caller, problem)
    kinds = [kind for kind in work_forms.KIND_WORDS if kind != "journey_step"]
    on = (session, caller, problem_id)
    findings = await paging.listed(
        request, "findings", discovery.list_findings, *on, kinds, limit=paging.FINDINGS
    )
    journey, journey_tag = await journeys.journey_map(session, caller, problem_id)
    milestone_list = await paging.listed(
        request, "milestones", milestones.list_milestones, *on, limit=paging.MILESTONES
    )
    update_list = await paging.listed(
        request, "updates", updates.list_updates, *on, limit=paging.UPDATES
    )
    metric_list = await paging.listed(
        request, "metrics", outcomes.list_metrics, *on, limit=paging.METRICS
    )
    metrics = metric_list.items

    async def measurements_of(metric_id: uuid.UUID) -> paging.Shown[Any]:
        return await paging.listed(
            request,
            f"measurements_{metric_id}",
            outcomes.list_measurements,
            *on,
            metric_id,
            limit=paging.MEASUREMENTS,
            anchor=f"metric-{metric_id}",
        )

    measurements = {metric.id: await measurements_of(metric.id) for metric in metrics}
    open_work = problem.status in WORK_STATES
    measurable = {
        m.id
        for m in metrics
        if open_work and (access.on_team or (m.owner and m.owner.id == caller.id))
    }
    owners = {m.owner.id for m in metrics if m.owner is not None and access.write}
    owner_emails = dict(
        (
            await session.execute(
                select(models.Person.id, models.Person.email).where(models.Person.id.in_(owners))
            )
        ).all()
        if owners
        else []
    )
    current = phase_of(problem.status, problem.delivery_phase)
    saved = request.query_params.get("saved")
    return render(
        request,
        "workspace.html",
        status,
        title=f"Workspace: {out.title}",
        problem=out,
        version=problem.version,
        phase_words=phase_words(problem),
        phases=[(p, PHASE_WORDS[p]) for p in PHASES],
        current_phase=current if current in PHASES else None,
        access=access,
        action_words=ACTION_WORDS,
        phase_options={p: work_forms.PHASES[p] for p in forward_phases(problem)},
        findings=findings.items,
        pages={
            "findings": findings,
            "milestones": milestone_list,
            "updates": update_list,
            "metrics": metric_list,
        },
        journey=journey,
        journey_tag=journey_tag.strip('"'),
        step_titles={step.id: step.title for step in journey.steps},
        milestones=milestone_list.items,
        updates=update_list.items,
        metrics=metrics,
        measurements={key: shown.items for key, shown in measurements.items()},
        measurement_pages=measurements,
        measurable=measurable,
        owner_emails=owner_emails,
        forms=work_forms.FORMS,
        words=work_forms,
        failed=failed,
        notice=notice,
        saved=SAVED.get(saved or ""),
    )
