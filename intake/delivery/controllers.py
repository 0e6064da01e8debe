"""Delivery endpoints: the phase actions from accepted to closed, milestones, status updates."""

from __future__ import annotations

from litestar import Controller

from intake.delivery import milestones, schemas, updates
from intake.delivery import reads as lean
from intake.delivery import service as delivery
from intake.lib.pagination import MAX_LIMIT
from intake.problems.action_routes import ActionRoute, action_controller
from intake.problems.item_routes import Item, RecordController
from intake.problems.schemas import StatusUpdateOut

# ``POST /api/v1/problems/{id}/<action>`` for the problem's triager and team.
DeliveryActionController = action_controller(
    "DeliveryActionController",
    "delivery",
    [
        ActionRoute(
            "start-discovery",
            schemas.PhaseChange,
            body_optional=True,
            run=delivery.start_discovery,
            passes="reason",
        ),
        ActionRoute("start-delivery", schemas.StartDelivery, run=delivery.start_delivery),
        ActionRoute(
            "launch",
            schemas.PhaseChange,
            example={"reason": "Online permits open to all wards."},
            body_optional=True,
            run=delivery.launch,
            passes="reason",
        ),
        ActionRoute("close", schemas.OutcomeReview, run=delivery.close),
    ],
)


# -- milestones and status updates ------------------------------------------------------------

MILESTONES = Item("milestone", "milestones", schemas.Milestone, versioned=True)
UPDATES = Item("update", "updates", StatusUpdateOut)


class MilestoneController(RecordController):
    """``/api/v1/problems/{id}/milestones``: anyone who sees the problem reads; its triager and
    team write while the work is open."""

    tags = ["delivery"]

    add_milestone = MILESTONES.create(
        milestones.create_milestone,
        schemas.MilestoneCreate,
        summary="Add a milestone",
        description=(
            "For the problem's triager and its team's members while the work is open "
            "(accepted, discovery, delivery, live or on hold). `done_on` cannot be in the "
            "future. Accepts `Idempotency-Key`."
        ),
        name="add_milestone",
    )
    list_milestones = MILESTONES.page(
        milestones.list_milestones,
        lean=lean.milestones_for,
        summary="List a problem's milestones",
        description=(
            "Earliest target date first. Each milestone shows its `state` (done, done_late, "
            "overdue, upcoming), `earlier_targets` and `slip_days`."
        ),
        limit=MAX_LIMIT,
    )
    get_milestone = MILESTONES.read(milestones.get_milestone, summary="Get a milestone")
    update_milestone = MILESTONES.change(
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
        milestones.delete_milestone,
        summary="Remove a milestone",
        description=(
            "Send `If-Match` with the milestone's ETag; history keeps what it was. A removed "
            "milestone is a 404 from then on; portfolio views as of an earlier moment still "
            "count it."
        ),
        statuses=(403, 409, 422),
        name="remove_milestone",
    )


class StatusUpdateController(RecordController):
    """``/api/v1/problems/{id}/updates``: a log of status updates, never edited."""

    tags = ["delivery"]

    post_update = UPDATES.create(
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
        updates.list_updates,
        lean=lean.updates_for,
        summary="List a problem's status updates",
        description="Newest first.",
    )
    get_update = UPDATES.read(updates.get_update, summary="Get a status update")


ROUTES: list[type[Controller]] = [
    DeliveryActionController,
    MilestoneController,
    StatusUpdateController,
]
