"""OpenAPI helpers: every operation documents its errors the same way, with an example, and
request bodies declare that they refuse unknown fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    """Request bodies (``forbid_unknown_fields`` structs) refuse unknown fields with a 422; their
    schemas say ``additionalProperties: false`` so clients and fuzzers know it too."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return super().is_plugin_supported_field(field_definition) and bool(
            field_definition.type_.__struct_config__.forbid_unknown_fields
        )

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        return schema
