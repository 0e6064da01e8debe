"""Request plumbing shared by the routes under ``/problems/{problem_id}``."""

from __future__ import annotations

import uuid
from typing import Annotated, NamedTuple

from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from intake.problems.service import ProblemFilters
from intake.vocabulary.states import Status
from intake.web.auth import Caller


class OnProblem(NamedTuple):
    """What a route under ``/problems/{problem_id}`` works with, in the order the services
    take it: ``service(*on, ...)`` is ``service(session, caller, problem_id, ...)``."""

    session: AsyncSession
    caller: Caller
    problem_id: uuid.UUID


def on_problem(caller: Caller, db_session: AsyncSession, problem_id: uuid.UUID) -> OnProblem:
    return OnProblem(db_session, caller, problem_id)


# A controller under /problems/{problem_id} takes ``on: OnProblem`` with these dependencies.
ON_PROBLEM = {"on": Provide(on_problem, sync_to_thread=False)}


# A query's department, by its code (case does not matter).
DepartmentFilter = Annotated[str | None, Parameter(pattern=r"^[A-Za-z0-9]{1,10}$")]


def problem_filters(
    status: list[Status] | None = None,
    department: DepartmentFilter = None,
    submitter: uuid.UUID | None = None,
    restricted: bool | None = None,
    q: Annotated[str | None, Parameter(min_length=1, max_length=200, pattern=r"^[^\x00]*$")] = None,
) -> ProblemFilters:
    """The filters of ``GET /problems``; a blank ``q`` searches nothing."""
    return ProblemFilters(
        statuses=tuple(status or ()),
        department=department,
        submitter=submitter,
        restricted=restricted,
        q=q.strip() if q and q.strip() else None,
    )


# ``GET /problems`` takes ``filters: ProblemFilters`` with this dependency.
PROBLEM_FILTERS = {"filters": Provide(problem_filters, sync_to_thread=False)}
