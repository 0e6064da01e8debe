"""What the routes that act on a problem share, whichever domain they belong to.

The problem as the caller sees it with its ETag, the ``If-Match`` header it is changed
with, and the errors a change of a problem documents.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Response
from litestar.params import HeaderParameter
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.etag import etag
from intake.lib.openapi import errors
from intake.problems import schemas
from intake.problems import service as problems
from intake.web.auth import Caller

IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="The ETag of the problem as you last read it."),
]

# What only the rules of a change know: who may make it (403), in which states (409). The
# rest follows from what the route takes (``intake.lib.openapi.document_errors``).
ACTION_ERRORS = errors(403, 409)


async def problem_response(
    session: AsyncSession, caller: Caller, problem: models.Problem
) -> Response[schemas.Problem]:
    """The problem as the caller sees it, with its ETag."""
    body = await problems.problem_out(session, caller, problem)
    return Response(body, headers={"ETag": etag(problem.version)})
