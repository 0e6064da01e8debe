"""Discovery endpoints: findings with their evidence, and the journey map."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, put
from litestar.params import HeaderParameter, JSONBody

from intake.discovery import journey, schemas
from intake.discovery import reads as lean
from intake.discovery import service as discovery
from intake.lib.openapi import ETAG, errors
from intake.lib.pagination import PAGING, Page, Paging
from intake.problems.deps import OnProblem
from intake.problems.item_routes import Item, RecordController
from intake.web.reads import Reader, read_by

FINDINGS = Item("finding", "findings", schemas.Finding, versioned=True)


class FindingController(RecordController):
    """``/api/v1/problems/{id}/findings``: what discovery learned, each with its evidence."""

    tags = ["discovery"]

    add_finding = FINDINGS.create(
        discovery.add_finding,
        schemas.FindingCreate,
        summary="Record a finding",
        description=(
            "An insight, pain point, journey step, constraint, opportunity or decision, with at "
            "least one piece of evidence (source, date, who). A pain point may sit on a journey "
            "step of the same problem (`journey_step_id`). A journey step goes at `position` "
            "(1-based; later steps move down) or, without one, at the end. For the problem's "
            "triager and team members while the work is open (accepted to live, or on hold)."
        ),
    )

    @get(
        "/findings",
        summary="A problem's findings",
        description=(
            "Journey steps first, in journey order, then every other finding oldest first. "
            "`kind` filters (repeat it for several kinds)."
        ),
        dependencies=PAGING,
    )
    async def list_findings(
        self,
        problem_id: uuid.UUID,
        reader: Reader,
        *,
        kind: list[schemas.FindingKind] | None = None,
        paging: Paging,
    ) -> Page[schemas.Finding]:
        service, kinds = discovery.list_findings, kind or ()
        page = await read_by(reader, service, lean.findings_for, problem_id, kinds, **paging)
        return Page.of(page)

    get_finding = FINDINGS.read(discovery.get_finding, summary="Get a finding")
    update_finding = FINDINGS.change(
        discovery.update_finding,
        schemas.FindingUpdate,
        summary="Edit a finding",
        description=(
            "Title, detail, evidence, and for a pain point the journey step it sits on "
            "(`null` takes it off the journey). The kind is fixed; reorder steps with "
            "PUT /journey. Send `If-Match` with the finding's ETag."
        ),
    )
    remove_finding = FINDINGS.remove(
        discovery.remove_finding,
        summary="Remove a finding",
        description=(
            "Removing a journey step closes the gap in the journey and leaves its pain points "
            "on the problem, off the journey. Send `If-Match` with the finding's ETag."
        ),
        statuses=(403, 409),
    )


JourneyIfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="The ETag of the journey from GET /journey."),
]


class JourneyController(RecordController):
    """``/api/v1/problems/{id}/journey``: the current journey, step by step."""

    tags = ["discovery"]

    @get(
        "/journey",
        summary="The current journey map",
        description=(
            "Journey steps in order, each with its pain points (oldest first), and the pain "
            "points not on any step. The ETag is what PUT /journey needs in If-Match."
        ),
        response_headers=[ETAG],
    )
    async def get_journey(self, on: OnProblem) -> Response[schemas.Journey]:
        body, tag = await journey.journey_map(*on)
        return Response(body, headers={"ETag": tag})

    @put(
        "/journey",
        summary="Reorder the journey steps",
        description=(
            "`step_ids` lists every journey step of the problem exactly once, in the new order "
            "(422 names what is missing, extra or repeated). Send `If-Match` with the ETag of "
            "GET /journey: it changes whenever a step or pain point on the map changes."
        ),
        responses=errors(403, 409),
        response_headers=[ETAG],
    )
    async def reorder_journey(
        self, on: OnProblem, data: JSONBody[schemas.JourneyOrder], if_match: JourneyIfMatch = None
    ) -> Response[schemas.Journey]:
        body, tag = await journey.reorder_journey(*on, data.step_ids, if_match)
        return Response(body, headers={"ETag": tag})


ROUTES: list[type[Controller]] = [FindingController, JourneyController]
