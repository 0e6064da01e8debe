"""Delivery endpoints: the phase actions from accepted to closed, milestones, status updates."""

from __future__ import annotations

from litestar import Controller

from intake.delivery import milestones, schemas, updates
from intake.delivery import service as delivery
from intake.lib.pagination import MAX_LIMIT
from intake.problems.action_routes import ActionRoute, action_controller
from intake.problems.deps import ON_PROBLEM
from intake.problems.item_routes import Item
from intake.problems.schemas import StatusUpdateOut
from intake.web.idempotency import ONCE

# ``POST /api/v1/problems/{id}/<action>`` for the problem's triager and team.
DeliveryActionController = action_controller(
    "DeliveryActionController",
    "delivery",
    [
        ActionRoute(
            "start-discovery",
            schemas.PhaseChange,
            body_optional=True,
            run=lambda session, caller, problem_id, if_match, data: delivery.start_discovery(
                session, caller, problem_id, if_match, data.reason if data else None
            ),
        ),
        ActionRoute(
            "start-delivery",
            schemas.StartDelivery,
            run=delivery.start_delivery,
        ),
        ActionRoute(
            "launch",
            schemas.PhaseChange,
            example={"reason": "Online permits open to all wards."},
            body_optional=True,
            run=lambda session, caller, problem_id, if_match, data: delivery.launch(
                session, caller, problem_id, if_match, data.reason if data else None
            ),
        ),
        ActionRoute(
            "close",
            schemas.OutcomeReview,
            run=delivery.close,
        ),
    ],
)


# -- milestones and status updates ------------------------------------------------------------

MILESTONES = Item("milestone", "milestones", schemas.Milestone, versioned=True)
UPDATES = Item("update", "updates", StatusUpdateOut)


class MilestoneController(Controller):
    """``/api/v1/problems/{id}/milestones``: anyone who sees the problem reads; its triager and
    team write while the work is open."""

    path = "/problems/{problem_id:uuid}"
    tags = ["delivery"]
    dependencies = {**ON_PROBLEM, **ONCE}

    add_milestone = MILESTONES.create(
        "add_milestone",
        milestones.create_milestone,
        schemas.MilestoneCreate,
        summary="Add a milestone",
        description=(
            "For the problem's triager and its team's members while the work is open "
            "(accepted, discovery, delivery, live or on hold). `done_on` cannot be in the "
            "future. Accepts `Idempotency-Key`."
        ),
    )
    list_milestones = MILESTONES.page(
        "list_milestones",
        milestones.list_milestones,
        summary="List a problem's milestones",
        description=(
            "Earliest target date first. Each milestone shows its `state` (done, done_late, "
            "overdue, upcoming), `earlier_targets` and `slip_days`."
        ),
        limit=MAX_LIMIT,
    )
    get_milestone = MILESTONES.read(
        "get_milestone", milestones.get_milestone, summary="Get a milestone"
    )
    update_milestone = MILESTONES.change(
        "update_milestone",
        milestones.update_milestone,
        schemas.MilestoneUpdate,
        summary="Edit, move or complete a milestone",
        description=(
            "Send `If-Match` with the milestone's ETag. A new `target_date` keeps the old one "
            "in `earlier_targets` (with `reason`, if given), so slips stay visible; `done_on` "
            "marks it done and `done_on: null` reopens it."
        ),
    )
    remove_milestone = MILESTONES.remove(
        "remove_milestone",
        milestones.delete_milestone,
        summary="Remove a milestone",
        description=(
            "Send `If-Match` with the milestone's ETag; history keeps what it was. A removed "
            "milestone is a 404 from then on; portfolio views as of an earlier moment still "
            "count it."
        ),
        statuses=(403, 409, 422),
    )


class StatusUpdateController(Controller):
    """``/api/v1/problems/{id}/updates``: a log of status updates, never edited."""

    path = "/problems/{problem_id:uuid}"
    tags = ["delivery"]
    dependencies = {**ON_PROBLEM, **ONCE}

    post_update = UPDATES.create(
        "post_update",
        updates.post_update,
        schemas.StatusUpdateCreate,
        summary="Post a status update",
        description=(
            "For the problem's triager and its team's members while the work is open. "
            "Updates are never edited or deleted: post a newer one to correct. The newest "
            "shows on the problem as `latest_update`. Accepts `Idempotency-Key`."
        ),
    )
    list_updates = UPDATES.page(
        "list_updates",
        updates.list_updates,
        summary="List a problem's status updates",
        description="Newest first.",
    )
    get_update = UPDATES.read("get_update", updates.get_update, summary="Get a status update")


ROUTES: list[type[Controller]] = [
    DeliveryActionController,
    MilestoneController,
    StatusUpdateController,
]
