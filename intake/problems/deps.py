"""Request plumbing shared by the routes under ``/problems/{problem_id}``."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

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
