"""OpenAPI helpers: every operation documents its errors the same way, with an example, and
request bodies declare that they refuse unknown fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import msgspec

# Litestar's own struct schema plugin is not public; Intake pins litestar<3 (pyproject.toml).
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example, Schema
from litestar.typing import FieldDefinition

from intake.lib.errors import PROBLEM_JSON, TYPE_PREFIX, ProblemDetails

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("bad-request", "Bad request", "The body is not valid JSON."),
    401: ("not-authenticated", "Not authenticated", "Send 'Authorization: Bearer <token>'."),
    403: ("forbidden", "Forbidden", "This needs the role admin."),
    404: ("not-found", "Not found", "No such resource."),
    409: (
        "invalid-transition",
        "Action not allowed in the current state",
        "Cannot submit a problem in state 'submitted'. Allowed actions: withdraw.",
    ),
    412: (
        "precondition-failed",
        "Precondition failed",
        'The problem has changed since you read it (ETag "3"); fetch it again.',
    ),
    413: ("payload-too-large", "Payload too large", "The request body is larger than allowed."),
    422: ("validation", "Validation failed", "The request has invalid fields."),
    428: (
        "precondition-required",
        "Precondition required",
        "Send If-Match with the problem's ETag.",
    ),
    429: (
        "rate-limited",
        "Too many requests",
        "Too many requests: wait until Retry-After has passed and try again.",
    ),
    503: ("unavailable", "Service unavailable", "The database is not reachable."),
}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem+json response specs for these statuses, plus 400 (any request may be unreadable).

    Listing 400 also replaces Litestar's generated 400, which describes its own error shape
    rather than the problem+json Intake sends.
    """
    specs: dict[int, ResponseSpec] = {}
    for status in sorted({400, *statuses}):
        slug, title, detail = _ERRORS[status]
        example: dict[str, Any] = {
            "type": TYPE_PREFIX + slug,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": "/api/v1/problems/6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11",
        }
        if status == 422:
            example["errors"] = [
                {"field": "title", "message": "Expected `str` of length <= 200", "source": "body"}
            ]
        specs[status] = ResponseSpec(
            data_container=ProblemDetails,
            description=title,
            media_type=PROBLEM_JSON,
            generate_examples=False,
            examples=[Example(summary=title, value=example)],
        )
    return specs


API_ERRORS = (400, 401, 422, 429)


class StrictInputSchemaPlugin(StructSchemaPlugin):
    """Request bodies (``forbid_unknown_fields`` structs) as they are checked: their schemas say
    ``additionalProperties: false`` (an unknown field is a 422) and keep the bounds of list
    items, which Litestar leaves out, so clients and fuzzers know them too."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return super().is_plugin_supported_field(field_definition) and bool(
            field_definition.type_.__struct_config__.forbid_unknown_fields
        )

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        struct_info = msgspec.inspect.type_info(field_definition.type_)
        assert isinstance(struct_info, msgspec.inspect.StructType)
        for field in struct_info.fields:
            bounds = _item_bounds(field.type)
            prop = (schema.properties or {}).get(field.encode_name)
            if bounds and isinstance(prop, Schema):
                for array in _arrays(prop):
                    for name, value in bounds.items():
                        setattr(array.items, name, value)
        return schema


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
