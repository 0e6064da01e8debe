"""What a problem's page shows about working together: its collaborating departments and
people, who follows it, who may change either, whether the caller owns one of its outcome
metrics; and a collaboration form sent back with its mistakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.collaboration import access, collaborators, watchers
from intake.db import models
from intake.pages import paging
from intake.pages.deps import Caller, Forbidden
from intake.registry import service as registry

# Each collaboration form's fields: id on the page -> label in the error summary.
LABELS = {
    "withdraw-reason": "Why you are withdrawing it",
    "collaborator-department": "Department",
    "collaborator-email": "Colleague's e-mail",
    "watcher-email": "Colleague's e-mail",
}
# What the message at the top of the page says after a collaboration form (``?saved=``).
SAVED = {
    "collaborator": "The collaborator has been added. They can now see this problem.",
    "uncollaborated": "The collaborator has been removed.",
    "watcher": "Your colleague now follows this problem.",
    "unwatched": "They no longer follow this problem.",
    "comment": "Your comment has been changed; the earlier text is kept.",
}


@dataclass(slots=True)
class CollaborationForm:
    """A collaboration form as it was sent, with what is wrong with it (field id -> message)."""

    name: str
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notice: str | None = None
    status: int = 422

    def add(self, field_id: str, message: str) -> None:
        self.errors.setdefault(field_id, message)

    def summary(self) -> list[tuple[str, str, str]]:
        return [
            (name, LABELS.get(name, "Your comment"), message)
            for name, message in self.errors.items()
        ]


async def _allowed(check: Any) -> bool:
    try:
        await check
    except Forbidden:
        return False
    return True


async def collaboration_context(
    session: AsyncSession,
    caller: Caller,
    problem: models.Problem,
    failed: CollaborationForm | None,
    saved: str | None,
) -> dict[str, Any]:
    """The collaboration part of a problem's page."""
    collaborating = await collaborators.list_collaborators(session, caller, problem.id)
    followers = await watchers.list_watchers(session, caller, problem.id)
    manage = await _allowed(access.require_collaboration_manager(session, caller, problem))
    taken = {c.department.id for c in collaborating if c.department is not None}
    departments: list[Any] = []
    if manage:
        listed = await paging.every(
            lambda cursor, limit: registry.list_departments(session, cursor=cursor, limit=limit)
        )
        departments = [d for d in listed if d.id != problem.department_id and d.id not in taken]
    # A metric's owner outside DTI opens the workspace to record its measurements.
    owns_metric = await session.scalar(
        select(models.Metric.id)
        .where(
            models.Metric.problem_id == problem.id,
            models.Metric.owner_id == caller.id,
            models.Metric.deleted_at.is_(None),
        )
        .limit(1)
    )
    return {
        "owns_metric": owns_metric is not None,
        "collaborators": collaborating,
        "followers": followers,
        "may_manage_collaborators": manage,
        "may_steward": await _allowed(access.require_steward(session, caller, problem)),
        "free_departments": departments,
        "collab": failed,
        "collab_saved": None if failed else saved,
    }
