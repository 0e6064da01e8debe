"""Links between problems (`related`, `blocks`): a triager's, recorded in
the history of both problems, and shown only where the caller may see the other end."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.errors import Conflict, FieldError, NotFound, ValidationFailed
from intake.lib.schema import from_row
from intake.problems import history
from intake.problems import service as problems
from intake.problems.guards import visible_to
from intake.triage import schemas
from intake.web.auth import Caller, require_role


async def add_link(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, data: schemas.LinkInput
) -> schemas.LinkOut:
    require_role(caller, "triager")
    source = await problems.get_visible(session, caller, problem_id)
    if data.to_problem_id == source.id:
        raise ValidationFailed(
            "A problem cannot link to itself.", [FieldError("to_problem_id", "Choose another")]
        )
    target = await problems.get_visible(session, caller, data.to_problem_id)
    link = models.ProblemLink(
        from_problem_id=source.id, to_problem_id=target.id, type=data.type, created_by_id=caller.id
    )
    session.add(link)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"These problems are already linked as {data.type}.") from None
    for here, there, direction in ((source, target, "to"), (target, source, "from")):
        linked = {"type": data.type, direction: str(there.id), "reference": there.reference}
        await history.record(session, here.id, caller.id, "linked", changes={"link": linked})
    await session.refresh(link)
    return _link_out(link, target, "outgoing")


async def list_links(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID
) -> list[schemas.LinkOut]:
    problem = await problems.get_visible(session, caller, problem_id)
    rows = await session.execute(
        _links_of(problem, caller).order_by(models.ProblemLink.created_at, models.ProblemLink.id)
    )
    return [_link_out(link, other, _direction(link, problem)) for link, other in rows]


async def get_link(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID, link_id: uuid.UUID
) -> schemas.LinkOut:
    """One of the problem's links, seen from it; a link to a problem the caller may not
    see is not there for them (404), as in the list."""
    problem = await problems.get_visible(session, caller, problem_id)
    row = (
        await session.execute(_links_of(problem, caller).where(models.ProblemLink.id == link_id))
    ).first()
    if row is None:
        raise NotFound(f"No link {link_id} on this problem.")
    link, other = row
    return _link_out(link, other, _direction(link, problem))


def _links_of(
    problem: models.Problem, caller: Caller
) -> Select[models.ProblemLink, models.Problem]:
    """The problem's links in both directions, each with the problem at its other end,
    where the caller may see that problem."""
    Link, Other = models.ProblemLink, models.Problem
    return (
        select(Link, Other)
        .join(
            Other,
            or_(
                and_(Link.from_problem_id == problem.id, Other.id == Link.to_problem_id),
                and_(Link.to_problem_id == problem.id, Other.id == Link.from_problem_id),
            ),
        )
        .where(visible_to(caller))
    )


def _direction(link: models.ProblemLink, problem: models.Problem) -> str:
    return "outgoing" if link.from_problem_id == problem.id else "incoming"


def _link_out(link: models.ProblemLink, other: models.Problem, direction: str) -> schemas.LinkOut:
    other_out = from_row(schemas.LinkedProblem, other)
    return from_row(schemas.LinkOut, link, direction=direction, problem=other_out)
