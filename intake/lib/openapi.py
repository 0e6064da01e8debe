"""OpenAPI helpers: every operation documents its errors the same way, with an example, and
the errors that follow from what it takes are derived rather than listed (``document_errors``);
the headers a response carries are declared by name; request bodies declare that they refuse
unknown fields, the limits they are checked against and the examples their struct gives.

``intake.web.openapi_document`` completes the generated document with the rules that hold for
every operation (429 and 503, required ``If-Match``, ``Idempotency-Key``, named enums)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import msgspec

# Litestar's own struct schema plugin is not public; Intake pins litestar<3 (pyproject.toml).
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example, Operation, Reference, Schema
from litestar.openapi.spec import OpenAPIHeader as Header
from litestar.params import Body
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

from intake.lib.errors import (
    PROBLEM_JSON,
    TYPE_PREFIX,
    BadRequest,
    Forbidden,
    IntakeError,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    ProblemDetails,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
)
from intake.lib.schema import Input

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar._kwargs import KwargsModel
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.handlers import HTTPRouteHandler

# Each status an operation may document: its error (type and title), and the example's detail.
_ERRORS: dict[int, tuple[type[IntakeError], str]] = {
    400: (BadRequest, "The body is not valid JSON."),
    401: (NotAuthenticated, "Send 'Authorization: Bearer <token>'."),
    403: (Forbidden, "This needs the role admin."),
    404: (NotFound, "No such resource."),
    409: (
        InvalidTransition,
        "Cannot submit a problem in state 'submitted'. Allowed actions: withdraw.",
    ),
    412: (
        PreconditionFailed,
        'The problem has changed since you read it (ETag "3"); fetch it again.',
    ),
    413: (PayloadTooLarge, "The request body is larger than allowed."),
    422: (ValidationFailed, "The request has invalid fields."),
    428: (PreconditionRequired, "Send If-Match with the problem's ETag."),
    429: (RateLimited, "Too many requests: wait until Retry-After has passed and try again."),
    503: (ServiceUnavailable, "The database is not reachable."),
}


def problem_example(status: int) -> dict[str, Any]:
    """The example problem+json body documented for this status."""
    error, detail = _ERRORS[status]
    example: dict[str, Any] = {
        "type": TYPE_PREFIX + error.slug,
        "title": error.title,
        "status": status,
        "detail": detail,
        "instance": "/api/v1/problems/6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11",
    }
    if status == 422:
        example["errors"] = [
            {"field": "title", "message": "Expected `str` of length <= 200", "source": "body"}
        ]
    return example


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem+json response specs for these statuses, plus 400 (any request may be unreadable).

    Listing 400 also replaces Litestar's generated 400, which describes its own error shape
    rather than the problem+json Intake sends.
    """
    specs: dict[int, ResponseSpec] = {}
    for status in sorted({400, *statuses}):
        title = _ERRORS[status][0].title
        specs[status] = ResponseSpec(
            data_container=ProblemDetails,
            description=title,
            media_type=PROBLEM_JSON,
            generate_examples=False,
            examples=[Example(summary=title, value=problem_example(status))],
        )
    return specs


def not_modified() -> dict[int, ResponseSpec]:
    """The 304 of an operation that takes ``If-None-Match`` (it carries the 200's headers)."""
    return {
        304: ResponseSpec(
            data_container=None,
            description="Not modified: `If-None-Match` names the current ETag; no body.",
        )
    }


def _declared(name: str) -> ResponseHeader:
    """A header a handler's success response carries; described once, in
    ``intake.web.openapi_document.HEADERS``."""
    return ResponseHeader(name=name, documentation_only=True)


# What a success response may carry besides its body, for ``response_headers=[...]``.
ETAG = _declared("ETag")
LOCATION = _declared("Location")
AGE = _declared("Age")
CACHE_CONTROL = _declared("Cache-Control")
VARY = _declared("Vary")
CONTENT_DISPOSITION = _declared("Content-Disposition")


def success_headers(*headers: ResponseHeader) -> type[Operation]:
    """An ``operation_class`` whose 2xx responses declare ``headers``: for a handler whose
    success response is a ``ResponseSpec``, which cannot carry ``response_headers``."""

    @dataclass
    class WithHeaders(Operation):
        def __post_init__(self) -> None:
            for status, response in (self.responses or {}).items():
                if status.startswith("2") and not isinstance(response, Reference):
                    response.headers = {
                        **(response.headers or {}),
                        **{header.name: Header() for header in headers},
                    }

    return WithHeaders


def derived_errors(path: str, handler: HTTPRouteHandler, takes: KwargsModel) -> set[int]:
    """The errors an operation may answer because of what it takes: a token under the API
    (401), a path parameter that may name nothing (404), ``If-Match`` (412, 428), a body, a
    query, ``Idempotency-Key`` or a bounded path parameter to validate (422), and
    ``Idempotency-Key`` again, whose first request may still be running (409)."""
    headers = {parameter.field_alias for parameter in takes.expected_header_params}
    found = set()
    if path.startswith("/api/"):
        found.add(401)
    if takes.expected_path_params:
        found.add(404)
    if "If-Match" in headers:
        found |= {412, 428}
    if "Idempotency-Key" in headers:
        found |= {409, 422}
    signature = handler.parsed_fn_signature.parameters

    def bounded(name: str) -> bool:
        limits = getattr(signature.get(name), "kwarg_definition", None)
        return bool(getattr(limits, "is_constrained", False))

    if (
        "data" in takes.expected_reserved_kwargs
        or takes.expected_query_params
        or any(bounded(parameter.field_name) for parameter in takes.expected_path_params)
    ):
        found.add(422)
    return found


def document_errors(app: Litestar) -> None:
    """Give every documented operation the errors that follow from what it takes, beside the
    ones its handler declares (``responses=errors(403, 409)``: what only its rules know)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler, takes in route.route_handler_map.values():
            if handler.include_in_schema:
                derived = errors(*derived_errors(route.path, handler, takes))
                handler.responses = {**derived, **(handler.responses or {})}


INT64 = (-(2**63), 2**63 - 1)
# Input's calendar days (intake.lib.schema.EARLIEST_DAY to LATEST_DAY): years 1900 to 2999.
INPUT_DAY_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})-"


class ExampleSchemaPlugin(StructSchemaPlugin):
    """A struct that gives ``examples`` (a class variable, as ``Input`` and ``Output`` have)
    shows them on its schema component."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return super().is_plugin_supported_field(field_definition) and bool(
            _examples(field_definition.type_)
        )

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        schema.examples = list(_examples(field_definition.type_)) or None
        return schema


def _examples(struct: Any) -> tuple[Any, ...]:
    examples = getattr(struct, "examples", ())
    return examples if isinstance(examples, tuple) else ()


class StrictInputSchemaPlugin(ExampleSchemaPlugin):
    """Request bodies (``forbid_unknown_fields`` structs) as they are checked: their schemas say
    ``additionalProperties: false`` (an unknown field is a 422), keep the bounds of list
    items and the minimum 0, which Litestar leaves out, give every integer its bounds (int64
    at most) and every calendar day of an ``Input`` its range, so clients and fuzzers know
    them too, and show their ``examples``."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return StructSchemaPlugin.is_plugin_supported_field(self, field_definition) and bool(
            field_definition.type_.__struct_config__.forbid_unknown_fields
        )

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        struct_info = msgspec.inspect.type_info(field_definition.type_)
        assert isinstance(struct_info, msgspec.inspect.StructType)
        checks_days = issubclass(field_definition.type_, Input)
        for field in struct_info.fields:
            prop = (schema.properties or {}).get(field.encode_name)
            if not isinstance(prop, Schema):
                continue
            bounds = _item_bounds(field.type)
            if bounds:
                for array in _arrays(prop):
                    for name, value in bounds.items():
                        setattr(array.items, name, value)
            _bound_values(prop, field.type, checks_days)
        return schema


def _bound_values(prop: Schema, info: msgspec.inspect.Type, checks_days: bool) -> None:
    """Put an integer's bounds (int64 when it has none) and an Input day's range on the
    property, or on its non-null alternative when the field may be null or left out.

    A rule checked in code rather than by the type is stated with ``msgspec.Meta(
    extra_json_schema={"minimum": ..., "maximum": ...})`` (or ``{"pattern": ...}`` for a
    string), which decoding ignores."""
    for annotated in info.types if isinstance(info, msgspec.inspect.UnionType) else (info,):
        kind = annotated.type if isinstance(annotated, msgspec.inspect.Metadata) else annotated
        stated = (
            (annotated.extra_json_schema or {})
            if isinstance(annotated, msgspec.inspect.Metadata)
            else {}
        )
        if isinstance(kind, msgspec.inspect.IntType):
            low = kind.ge if kind.ge is not None else (kind.gt + 1 if kind.gt is not None else None)
            high = (
                kind.le if kind.le is not None else (kind.lt - 1 if kind.lt is not None else None)
            )
            low, high = stated.get("minimum", low), stated.get("maximum", high)
            bounds: dict[str, Any] = {
                "minimum": max(INT64[0], low) if low is not None else INT64[0],
                "maximum": min(INT64[1], high) if high is not None else INT64[1],
                "exclusive_minimum": None,
                "exclusive_maximum": None,
            }
            wanted = "integer"
        elif isinstance(kind, msgspec.inspect.DateType) and checks_days:
            bounds, wanted = {"pattern": INPUT_DAY_PATTERN}, "string"
        elif isinstance(kind, msgspec.inspect.StrType) and "pattern" in stated:
            bounds, wanted = {"pattern": stated["pattern"]}, "string"
        else:
            continue
        if prop.one_of:
            prop.one_of = [
                replace(candidate, **bounds)
                if isinstance(candidate, Schema) and candidate.type == wanted
                else candidate
                for candidate in prop.one_of
            ]
            for name in bounds:
                setattr(prop, name, None)
        elif prop.type == wanted:
            for name, value in bounds.items():
                setattr(prop, name, value)


def _unwrapped(info: msgspec.inspect.Type) -> list[msgspec.inspect.Type]:
    """The types a field may hold, without their Annotated metadata."""
    types = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    return [t.type if isinstance(t, msgspec.inspect.Metadata) else t for t in types]


def _item_bounds(info: msgspec.inspect.Type) -> dict[str, Any]:
    """The OpenAPI bounds (as Schema attributes) on the strings or integers of a list field."""
    for kind in _unwrapped(info):
        if not isinstance(kind, msgspec.inspect.ListType):
            continue
        items = _unwrapped(kind.item_type)
        item = items[0] if len(items) == 1 else None
        if isinstance(item, msgspec.inspect.StrType):
            bounds = {
                "min_length": item.min_length,
                "max_length": item.max_length,
                "pattern": item.pattern,
            }
        elif isinstance(item, msgspec.inspect.IntType):
            bounds = {"minimum": item.ge, "maximum": item.le}
        else:
            return {}
        return {name: value for name, value in bounds.items() if value is not None}
    return {}


def _arrays(schema: Schema) -> Iterator[Schema]:
    """The array schemas in a property's schema (itself, or the alternatives of its oneOf)."""
    for candidate in [schema, *(schema.one_of or ())]:
        if isinstance(candidate, Schema) and isinstance(candidate.items, Schema):
            yield candidate


def example(*values: Any) -> Any:
    """``Annotated`` metadata: a request body documented with these examples (each an
    ``Example``, or a plain value)."""
    return Body(examples=[v if isinstance(v, Example) else Example(value=v) for v in values])
