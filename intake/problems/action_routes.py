"""Lifecycle action routes, built from the lifecycle table: ``POST /problems/{id}/<action>``.

The table (``intake.problems.lifecycle.ACTIONS``) gives each route its path, summary and
description; a domain adds only what is particular to it: the body, the service call and, for
the few that answer more than the problem, the answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Response, post
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Example
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.etag import etag
from intake.lib.openapi import ETAG
from intake.problems import lifecycle, schemas
from intake.problems import service as problems
from intake.problems.responses import ACTION_ERRORS, IfMatch
from intake.web.auth import Caller
from intake.web.signatures import REQUIRED, signed, takes

# (session, caller, problem_id, If-Match, body) -> what ``Answer`` turns into the response.
Run = Callable[[AsyncSession, Caller, uuid.UUID, str | None, Any], Awaitable[Any]]
# (session, caller, what ``Run`` returned) -> the body and the problem's ETag.
Answer = Callable[[AsyncSession, Caller, Any], Awaitable[tuple[Any, str]]]


async def answer_problem(
    session: AsyncSession, caller: Caller, problem: models.Problem
) -> tuple[schemas.Problem, str]:
    """The problem as the caller sees it, and its ETag: what most actions answer."""
    return await problems.problem_out(session, caller, problem), etag(problem.version)


@dataclass(frozen=True, slots=True)
class ActionRoute:
    """What serving one lifecycle action needs beyond its row in the table."""

    action: str
    # The request body struct; None: the action takes no body. ``example``: this action's own
    # example, where it differs from the struct's (``Input.examples``).
    body: type[Any] | None = None
    body_optional: bool = False
    example: dict[str, Any] | None = None
    # The service call; by default the plain lifecycle action, with the body's ``reason``.
    run: Run | None = None
    reason: str = "reason"
    # ``run`` takes this field of the body (None when no body came) rather than the body.
    passes: str | None = None
    answer: Answer = answer_problem
    returns: type[Any] = schemas.Problem
    # The handler's name, part of the operation id; by default the action's.
    name: str | None = None


def action_handler(route: ActionRoute) -> HTTPRouteHandler:
    """The ``POST /{problem_id}/<action>`` handler of a controller at ``/problems``."""
    action = lifecycle.ACTIONS[route.action]

    async def handler(
        self: Controller,
        *,
        caller: Caller,
        db_session: AsyncSession,
        problem_id: uuid.UUID,
        if_match: str | None = None,
        data: Any = None,
    ) -> Response[Any]:
        if route.run is not None:
            if route.passes is not None:
                data = getattr(data, route.passes) if data is not None else None
            result = await route.run(db_session, caller, problem_id, if_match, data)
        else:
            reason = getattr(data, route.reason) if data is not None else None
            result = await problems.apply_action(
                db_session, caller, problem_id, route.action, if_match, reason=reason
            )
        body, tag = await route.answer(db_session, caller, result)
        return Response(body, status_code=200, headers={"ETag": tag})

    parameters = [
        takes("caller", Caller),
        takes("db_session", AsyncSession),
        takes("problem_id", uuid.UUID),
        takes("if_match", IfMatch, None),
    ]
    if route.body is not None:
        examples = [Example(value=route.example)] if route.example else None
        body = route.body | None if route.body_optional else route.body
        default = None if route.body_optional else REQUIRED
        parameters.append(takes("data", Annotated[body, Body(examples=examples)], default))
    name = route.name or route.action.replace("-", "_")
    returns = Response[route.returns]  # type: ignore[name-defined]
    return action_post(action)(signed(handler, name, parameters, returns))


def action_post(action: lifecycle.Action, **options: Any) -> HTTPRouteHandler:
    """The ``POST /{problem_id}/<action>`` decorator, as the lifecycle table declares the
    action (summary, description) with every action's answers; ``options`` add to it."""
    return post(
        f"/{{problem_id:uuid}}/{action.name}",
        summary=action.summary,
        description=action.description,
        responses=ACTION_ERRORS,
        status_code=200,
        response_headers=[ETAG],
        **options,
    )


def action_controller(name: str, tag: str, routes: Iterable[ActionRoute]) -> type[Controller]:
    """A controller at ``/problems`` serving these actions, tagged ``tag``."""
    handlers = {
        handler.handler_name: handler for handler in (action_handler(route) for route in routes)
    }
    namespace = {"path": "/problems", "tags": [tag], "__module__": __name__, **handlers}
    return type(name, (Controller,), namespace)
