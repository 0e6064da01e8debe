"""Discovery endpoints: findings with their evidence, and the journey map."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.openapi.spec import Example
from litestar.params import HeaderParameter

from intake.discovery import journey, schemas
from intake.discovery import reads as lean
from intake.discovery import service as discovery
from intake.lib.etag import etag
from intake.lib.openapi import API_ERRORS, ETAG, LOCATION, errors, example
from intake.lib.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from intake.problems.deps import ON_PROBLEM, OnProblem
from intake.web.idempotency import ONCE, Created, Once
from intake.web.reads import Reads, ServiceAccount, person_only

FindingIfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="The ETag of the finding as you last read it."),
]
JourneyIfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="The ETag of the journey from GET /journey."),
]

WRITE_ERRORS = errors(*API_ERRORS, 403, 404, 409)
CHANGE_ERRORS = errors(*API_ERRORS, 403, 404, 409, 412, 428)

_EVIDENCE = [
    {"source": "Interview at the permit counter", "date": "2026-12-02", "who": "Permit clerk"}
]
_STEP = {
    "kind": "journey_step",
    "title": "Resident mails the paper application",
    "detail": "Form TP-4, printed from the website or picked up at the counter.",
    "evidence": _EVIDENCE,
    "position": 1,
}
_PAIN_POINT = {
    "kind": "pain_point",
    "title": "No way to know the application arrived",
    "evidence": _EVIDENCE,
    "journey_step_id": "5d0c6a8e-1f0b-4c1e-9f6e-2b7a3c4d5e6f",
}
NewFinding = Annotated[
    schemas.FindingCreate,
    example(
        Example(summary="A journey step (appended, or inserted at `position`)", value=_STEP),
        Example(summary="A pain point on a journey step", value=_PAIN_POINT),
    ),
]
FindingChange = Annotated[
    schemas.FindingUpdate,
    example({"title": "Residents cannot tell whether the form arrived", "journey_step_id": None}),
]
_STEP_IDS = ["5d0c6a8e-1f0b-4c1e-9f6e-2b7a3c4d5e6f", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"]
NewOrder = Annotated[schemas.JourneyOrder, example({"step_ids": _STEP_IDS})]


def _with_etag(finding: schemas.Finding) -> Response[schemas.Finding]:
    return Response(finding, headers={"ETag": etag(finding.version)})


class FindingController(Controller):
    """``/api/v1/problems/{id}/findings``: what discovery learned, each with its evidence."""

    path = "/problems/{problem_id:uuid}/findings"
    tags = ["discovery"]
    dependencies = {**ON_PROBLEM, **ONCE}

    @post(
        "/",
        summary="Record a finding",
        description=(
            "An insight, pain point, journey step, constraint, opportunity or decision, with at "
            "least one piece of evidence (source, date, who). A pain point may sit on a journey "
            "step of the same problem (`journey_step_id`). A journey step goes at `position` "
            "(1-based; later steps move down) or, without one, at the end. For the problem's "
            "triager and team members while the work is open (accepted to live, or on hold)."
        ),
        responses=WRITE_ERRORS,
        status_code=201,
        response_headers=[ETAG, LOCATION],
    )
    async def add_finding(
        self, on: OnProblem, once: Once, data: NewFinding
    ) -> Response[schemas.Finding]:
        async def create() -> Created:
            finding = await discovery.add_finding(*on, data)
            location = f"/api/v1/problems/{on.problem_id}/findings/{finding.id}"
            return 201, finding, {"ETag": etag(finding.version), "Location": location}

        return await once(create)

    @get(
        "/",
        summary="A problem's findings",
        description=(
            "Journey steps first, in journey order, then every other finding oldest first. "
            "`kind` filters (repeat it for several kinds)."
        ),
        responses=errors(*API_ERRORS, 404),
    )
    async def list_findings(
        self,
        request: Request[Any, Any, Any],
        problem_id: uuid.UUID,
        reads: Reads,
        account: ServiceAccount,
        kind: list[schemas.FindingKind] | None = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Finding]:
        kinds = kind or ()
        if account is not None:
            on = OnProblem(*account, problem_id)
            return Page.of(await discovery.list_findings(*on, kinds, cursor=cursor, limit=limit))
        email = person_only(request)
        return Page.of(
            await lean.findings_for(reads, email, problem_id, kinds, cursor=cursor, limit=limit)
        )

    @get(
        "/{finding_id:uuid}",
        summary="Get a finding",
        responses=errors(401, 404),
        response_headers=[ETAG],
    )
    async def get_finding(self, on: OnProblem, finding_id: uuid.UUID) -> Response[schemas.Finding]:
        return _with_etag(await discovery.get_finding(*on, finding_id))

    @patch(
        "/{finding_id:uuid}",
        summary="Edit a finding",
        description=(
            "Title, detail, evidence, and for a pain point the journey step it sits on "
            "(`null` takes it off the journey). The kind is fixed; reorder steps with "
            "PUT /journey. Send `If-Match` with the finding's ETag."
        ),
        responses=CHANGE_ERRORS,
        response_headers=[ETAG],
    )
    async def update_finding(
        self,
        on: OnProblem,
        finding_id: uuid.UUID,
        data: FindingChange,
        if_match: FindingIfMatch = None,
    ) -> Response[schemas.Finding]:
        return _with_etag(await discovery.update_finding(*on, finding_id, data, if_match))

    @delete(
        "/{finding_id:uuid}",
        summary="Remove a finding",
        description=(
            "Removing a journey step closes the gap in the journey and leaves its pain points "
            "on the problem, off the journey. Send `If-Match` with the finding's ETag."
        ),
        responses=errors(401, 403, 404, 409, 412, 428),
    )
    async def remove_finding(
        self, on: OnProblem, finding_id: uuid.UUID, if_match: FindingIfMatch = None
    ) -> None:
        await discovery.remove_finding(*on, finding_id, if_match)


class JourneyController(Controller):
    """``/api/v1/problems/{id}/journey``: the current journey, step by step."""

    path = "/problems/{problem_id:uuid}/journey"
    tags = ["discovery"]
    dependencies = ON_PROBLEM

    @get(
        "/",
        summary="The current journey map",
        description=(
            "Journey steps in order, each with its pain points (oldest first), and the pain "
            "points not on any step. The ETag is what PUT /journey needs in If-Match."
        ),
        responses=errors(401, 404),
        response_headers=[ETAG],
    )
    async def get_journey(self, on: OnProblem) -> Response[schemas.Journey]:
        body, tag = await journey.journey_map(*on)
        return Response(body, headers={"ETag": tag})

    @put(
        "/",
        summary="Reorder the journey steps",
        description=(
            "`step_ids` lists every journey step of the problem exactly once, in the new order "
            "(422 names what is missing, extra or repeated). Send `If-Match` with the ETag of "
            "GET /journey: it changes whenever a step or pain point on the map changes."
        ),
        responses=CHANGE_ERRORS,
        response_headers=[ETAG],
    )
    async def reorder_journey(
        self, on: OnProblem, data: NewOrder, if_match: JourneyIfMatch = None
    ) -> Response[schemas.Journey]:
        body, tag = await journey.reorder_journey(*on, data.step_ids, if_match)
        return Response(body, headers={"ETag": tag})


ROUTES: list[type[Controller]] = [FindingController, JourneyController]
