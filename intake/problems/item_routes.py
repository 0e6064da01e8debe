"""Routes of the records kept under a problem (findings, milestones, metrics, comments, ...),
built from one declaration per kind: ``/problems/{problem_id}/<plural>[/{<name>_id}]``.

An ``Item`` says what its records are called, what a response shows and whether a record has
a version (then its responses carry an ``ETag`` and its changes take ``If-Match``). Each
route then names only its service call, its body and its words; the handler takes the
service's name (the operation id), the parameters, the status, ``Location`` and the headers
follow from the kind, and the errors from what the route takes
(``intake.lib.openapi.document_errors``). A ``RecordController`` serves them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Response, delete, get, patch, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import Body, HeaderParameter
from sqlalchemy.ext.asyncio import AsyncSession

from intake.lib.etag import etag
from intake.lib.openapi import ETAG, LOCATION, errors
from intake.lib.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from intake.problems.deps import ON_PROBLEM, OnProblem
from intake.web.idempotency import ONCE, Created, Once
from intake.web.reads import Reader, read_by
from intake.web.signatures import Takes, signed, takes

# The service's answer as the response shows it (a row to its output struct).
Shape = Callable[[AsyncSession, Any], Awaitable[Any]]
Service = Callable[..., Awaitable[Any]]


class RecordController(Controller):
    """A controller of routes under ``/problems/{problem_id}``: each subclass names its
    ``tags`` and its routes (``Item`` routes, or handlers of its own taking ``on: OnProblem``
    and, for a creating POST, ``once: Once``)."""

    path = "/problems/{problem_id:uuid}"
    dependencies = {**ON_PROBLEM, **ONCE}


async def as_is(session: AsyncSession, answer: Any) -> Any:
    """The service already answers with the output struct."""
    return answer


@dataclass(frozen=True, slots=True)
class Item:
    """A kind of record under a problem, or under one of its records (``parent``)."""

    name: str  # "finding": the path parameter is ``finding_id``
    plural: str  # "findings": the path segment
    out: type[Any]  # what a response shows
    shape: Shape = as_is
    versioned: bool = False  # an ETag on each response, If-Match on each change
    parent: Item | None = None  # measurements sit under a metric

    @property
    def id_name(self) -> str:
        return f"{self.name}_id"

    @property
    def above(self) -> list[str]:
        """The path parameters between ``problem_id`` and a record's own id."""
        return [*self.parent.above, self.parent.id_name] if self.parent else []

    @property
    def path(self) -> str:
        """The collection, below ``/problems/{problem_id}``."""
        parent = self.parent
        return f"{parent.record if parent else ''}/{self.plural}"

    @property
    def record(self) -> str:
        return f"{self.path}/{{{self.id_name}:uuid}}"

    def create(
        self,
        service: Service,
        body: Any,
        *,
        summary: str,
        description: str,
        name: str | None = None,
    ) -> HTTPRouteHandler:
        """``POST``: ``service(*on, *above, data)``; 201 with ``Location``, once per
        ``Idempotency-Key``. Who may add records is a rule of the service (403)."""

        async def handler(_: Any, on: OnProblem, once: Once, data: Any, **ids: Any) -> Any:
            above = [ids[name] for name in self.above]

            async def create() -> Created:
                answer = await service(*on, *above, data)
                body, headers = await self._shown(on, answer)
                return 201, body, {**headers, "Location": self._location(on, above, answer.id)}

            return await once(create)

        parameters = [
            takes("on", OnProblem),
            takes("once", Once),
            *self._ids(self.above),
            _body(body),
        ]
        return post(
            self.path,
            summary=summary,
            description=description,
            responses=errors(403),
            status_code=201,
            response_headers=[ETAG, LOCATION] if self.versioned else [LOCATION],
        )(signed(handler, name or service.__name__, parameters, self._one))

    def page(
        self,
        service: Service,
        *,
        summary: str,
        description: str | None = None,
        out: type[Any] | None = None,
        limit: int = DEFAULT_LIMIT,
        lean: Service | None = None,
    ) -> HTTPRouteHandler:
        """``GET`` the collection: a page of ``service(*on, *above, cursor=, limit=)``, each
        record shown as ``out`` (by default, as a record alone is). With ``lean``, a person's
        page is ``lean(connection, email, problem_id, *above, cursor=, limit=)``: one
        statement on a pooled connection, no transaction; a service account's stays the
        service's."""

        async def handler(_: Any, on: OnProblem, cursor: Cursor, limit: int, **ids: Any) -> Any:
            above = [ids[name] for name in self.above]
            return Page.of(await service(*on, *above, cursor=cursor, limit=limit))

        async def lean_handler(
            _: Any, problem_id: uuid.UUID, reader: Reader, cursor: Cursor, limit: int, **ids: Any
        ) -> Any:
            above = [ids[name] for name in self.above]
            assert lean is not None
            args = (problem_id, *above)
            return Page.of(await read_by(reader, service, lean, *args, cursor=cursor, limit=limit))

        chosen: Callable[..., Any] = handler
        if lean is None:
            parameters = [takes("on", OnProblem)]
        else:
            parameters = [takes("problem_id", uuid.UUID), takes("reader", Reader)]
            chosen = lean_handler
        parameters += [*self._ids(self.above)]
        parameters += [takes("cursor", Cursor, None), takes("limit", Limit, limit)]
        returns = Page[out or self.out]  # type: ignore[misc, valid-type]
        return get(self.path, summary=summary, description=description)(
            signed(chosen, service.__name__, parameters, returns)
        )

    def read(
        self, service: Service, *, summary: str, description: str | None = None
    ) -> HTTPRouteHandler:
        """``GET`` a record: ``service(*on, *above, id)``."""

        async def handler(_: Any, on: OnProblem, **ids: Any) -> Any:
            body, headers = await self._shown(on, await service(*on, *self._in_order(ids)))
            return Response(body, headers=headers)

        return get(
            self.record,
            summary=summary,
            description=description,
            response_headers=[ETAG] if self.versioned else None,
        )(signed(handler, service.__name__, self._on_record(), self._one))

    def change(
        self, service: Service, body: Any, *, summary: str, description: str, conflicts: bool = True
    ) -> HTTPRouteHandler:
        """``PATCH`` a versioned record with ``If-Match``: ``service(*on, *above, id, data,
        if_match)``. ``conflicts``: the problem's state may refuse the change (409)."""

        async def handler(
            _: Any, on: OnProblem, data: Any, if_match: str | None, **ids: Any
        ) -> Any:
            answer = await service(*on, *self._in_order(ids), data, if_match)
            body, headers = await self._shown(on, answer)
            return Response(body, headers=headers)

        parameters = [*self._on_record(), _body(body), self._if_match()]
        return patch(
            self.record,
            summary=summary,
            description=description,
            responses=errors(403, 409) if conflicts else errors(403),
            response_headers=[ETAG],
        )(signed(handler, service.__name__, parameters, self._one))

    def remove(
        self,
        service: Service,
        *,
        summary: str,
        description: str,
        statuses: tuple[int, ...] = (403,),
        name: str | None = None,
    ) -> HTTPRouteHandler:
        """``DELETE`` a record: ``service(*on, *above, id)``, and ``if_match`` when the kind
        is versioned; 204. ``statuses``: the errors its rules may answer."""

        async def handler(_: Any, on: OnProblem, if_match: str | None = None, **ids: Any) -> None:
            extra = [if_match] if self.versioned else []
            await service(*on, *self._in_order(ids), *extra)

        parameters = [*self._on_record(), *([self._if_match()] if self.versioned else [])]
        return delete(
            self.record,
            summary=summary,
            description=description,
            responses=errors(*statuses),
            status_code=204,
        )(signed(handler, name or service.__name__, parameters, None))

    @property
    def _one(self) -> Any:
        """What a route answering with one record returns."""
        return Response[self.out]  # type: ignore[name-defined]

    async def _shown(self, on: OnProblem, answer: Any) -> tuple[Any, dict[str, str]]:
        """The response body for the service's answer, and its ETag when versioned."""
        body = await self.shape(on.session, answer)
        return body, ({"ETag": etag(answer.version)} if self.versioned else {})

    def _location(self, on: OnProblem, above: list[uuid.UUID], record: uuid.UUID) -> str:
        path = self.record
        for name, value in zip([*self.above, self.id_name], [*above, record], strict=True):
            path = path.replace(f"{{{name}:uuid}}", str(value))
        return f"/api/v1/problems/{on.problem_id}{path}"

    def _in_order(self, ids: dict[str, Any]) -> list[Any]:
        """A record's path ids, from the top."""
        return [ids[name] for name in (*self.above, self.id_name)]

    def _on_record(self) -> list[Takes]:
        return [takes("on", OnProblem), *self._ids([*self.above, self.id_name])]

    @staticmethod
    def _ids(names: list[str]) -> list[Takes]:
        return [takes(name, uuid.UUID) for name in names]

    def _if_match(self) -> Takes:
        description = f"The ETag of the {self.name} as you last read it."
        header = HeaderParameter(name="If-Match", description=description)
        return takes("if_match", Annotated[str | None, header], None)


def _body(body: Any) -> Takes:
    """The request body, ``data``, marked as a JSON body (Litestar 3 requires the marker)."""
    return takes("data", Annotated[body, Body()])
