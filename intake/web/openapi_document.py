"""The OpenAPI document as served: Litestar's generated document, completed with what a
generated client needs and Litestar cannot declare per operation, and the interactive docs
served with assets from Intake itself (no CDN).

``complete`` applies the rules that hold for every operation, so no controller repeats them:

- every ``/api/v1`` operation may answer 429 (the rate limit) and every operation 503 (the
  database is unreachable, or a transaction was undone), with ``Retry-After``;
- ``If-Match`` is required wherever its absence is a 428;
- an operation that takes ``Idempotency-Key`` says how long the key may be, and that a replay
  carries ``Idempotent-Replayed``;
- a request body shows the examples of its schema (``Input.examples``) where it declares
  none of its own;
- the headers responses carry (``ETag``, ``Location``, ``RateLimit-*``, ...) are declared
  once in ``components/headers`` and referenced;
- each enum named at start-up is one schema component, referenced wherever its values are;
- integer bounds are integers within int64 (Litestar writes a parameter's bounds as floats,
  and 2**63 - 1 as a float is 2**63).

Litestar hands the same generated dictionary to every render plugin, so the JSON document
and the Swagger UI page show the completed document; ``app.openapi_schema`` (the model
Litestar builds it from) does not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from litestar import Request, Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.response import File

from intake.lib.errors import PROBLEM_JSON
from intake.lib.openapi import INT64, problem_example
from intake.web.idempotency import KEY_PATTERN

METHODS = ("get", "put", "post", "patch", "delete")
API_PREFIX = "/api/v1"
RATE_LIMIT_HEADERS = (
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
)

_SECONDS = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
_TEXT = {"type": "string"}


def _header(description: str, schema: dict[str, Any] = _TEXT) -> dict[str, Any]:
    return {"description": description, "schema": dict(schema)}


# Every response header Intake sends, as components/headers.
HEADERS: dict[str, dict[str, Any]] = {
    "ETag": _header(
        "The version of what the response shows (a quoted string). Send it "
        "back as `If-Match` to change it, or as `If-None-Match` to get a 304 while unchanged.",
        {"type": "string", "pattern": '^(W/)?"[^"]*"$'},
    ),
    "Location": _header(
        "The path of the resource the request created (or found).",
        {"type": "string", "format": "uri-reference"},
    ),
    "Idempotent-Replayed": _header(
        "`true` when this is the stored response to an earlier request with "
        "the same `Idempotency-Key`: nothing was done again.",
        {"type": "string", "enum": ["true"]},
    ),
    "Age": _header(
        "Seconds since this portfolio body was computed, when it is served "
        "while a fresher one is being computed (see `Cache-Control`).",
        _SECONDS,
    ),
    "Cache-Control": _header("How long a client or proxy may reuse the body."),
    "Vary": _header("The body depends on who asks."),
    "Content-Disposition": _header('Download as a file: `attachment; filename="..."`.'),
    "Retry-After": _header(
        "Seconds to wait before sending the request again.", {**_SECONDS, "minimum": 1}
    ),
    "RateLimit-Limit": _header(
        "Requests a person may make per window (`INTAKE_RATE_LIMIT_PER_MINUTE`). "
        "Sent on every `/api/v1` response while the limit is on.",
        {"type": "integer", "minimum": 1},
    ),
    "RateLimit-Remaining": _header(
        "Requests left in the current window.", {"type": "integer", "minimum": 0}
    ),
    "RateLimit-Reset": _header(
        "Seconds until the current window ends.", {"type": "integer", "minimum": 0}
    ),
    "RateLimit-Policy": _header("The limit and its window in seconds, e.g. `600; w=60`."),
    "WWW-Authenticate": _header("The authentication scheme to use: `Bearer`."),
}

# The errors any operation may answer without declaring them, and the headers they carry.
_GLOBAL_ERRORS: dict[str, tuple[str, ...]] = {
    "429": ("Retry-After", *RATE_LIMIT_HEADERS),
    "503": ("Retry-After",),
}


def complete(document: dict[str, Any], enums: Mapping[str, Sequence[str]]) -> None:
    """Complete Litestar's generated document in place (see the module's docstring)."""
    components = document.setdefault("components", {})
    components.setdefault("headers", {}).update(HEADERS)
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                _complete_operation(path, item[method])
                _show_examples(item[method], components.get("schemas", {}))
    _name_enums(document, enums)
    for node in _schemas_in(document.get("paths", {})):
        if node.get("type") == "integer":
            for name, limit in (("minimum", INT64[0]), ("maximum", INT64[1])):
                if isinstance(node.get(name), float):
                    node[name] = max(INT64[0], min(INT64[1], int(node[name])))
                node.setdefault(name, limit)


def _complete_operation(path: str, operation: dict[str, Any]) -> None:
    api = path.startswith(API_PREFIX)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in _GLOBAL_ERRORS:
        if status == "429" and not api:
            continue  # health checks are not rate limited
        responses.setdefault(status, _problem(int(status)))
    body = operation.get("requestBody")
    if body and any(
        {"type": "null"} in media.get("schema", {}).get("oneOf", [])
        for media in body.get("content", {}).values()
    ):
        body["required"] = False  # a body that may be null may be left out
    parameters: list[dict[str, Any]] = operation.get("parameters", [])
    replays = False
    for parameter in parameters:
        if parameter.get("in") != "header":
            continue
        if parameter["name"] == "If-Match" and "428" in responses:
            parameter["required"] = True
            parameter["schema"] = {
                "type": "string",
                "pattern": r"\S",  # blank is missing (428)
                "description": "An ETag, a comma-separated list of them, or `*`.",
            }
        elif parameter["name"] == "Idempotency-Key":
            replays = True
            parameter["schema"] = {"type": "string", "minLength": 1, "pattern": KEY_PATTERN}
    if "304" in responses and "200" in responses:
        # A 304 carries the caching headers its 200 would have (RFC 9110, 15.4.5).
        cached = responses["200"].get("headers", {})
        responses["304"]["headers"] = {
            name: {} for name in cached if name not in ("Content-Disposition", "Content-Length")
        }
    for status, response in responses.items():
        names = list(response.get("headers", {}))
        if replays and status.startswith("2"):
            names.append("Idempotent-Replayed")
        names.extend(_GLOBAL_ERRORS.get(status, ()))
        if status == "401":
            names.append("WWW-Authenticate")  # refused before the rate limit counts
        elif api:
            names.extend(RATE_LIMIT_HEADERS)
        if names:
            response["headers"] = {
                name: {"$ref": f"#/components/headers/{name}"}
                if name in HEADERS
                else response["headers"][name]
                for name in dict.fromkeys(names)
            }
        else:
            response.pop("headers", None)


def _show_examples(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """The request body shows its schema's examples, as Litestar shows a body's own: beside
    the reference (``allOf`` when the body is required, ``oneOf`` with null when not)."""
    for media in operation.get("requestBody", {}).get("content", {}).values():
        schema = media.get("schema", {})
        if "examples" in schema:
            continue
        references = [schema, *schema.get("oneOf", [])]
        for reference in references:
            name = reference.get("$ref", "").removeprefix("#/components/schemas/")
            examples = schemas.get(name, {}).get("examples")
            if examples:
                if reference is schema:
                    media["schema"] = {"allOf": [schema], "examples": examples}
                else:
                    schema["examples"] = examples
                break


def _problem(status: int) -> dict[str, Any]:
    """The problem+json response ``intake.lib.openapi.errors`` would declare, its example
    under the name Litestar gives it there."""
    title = problem_example(status)["title"]
    example = {"summary": title, "value": problem_example(status)}
    return {
        "description": title,
        "content": {
            PROBLEM_JSON: {
                "schema": {"$ref": "#/components/schemas/ProblemDetails"},
                "examples": {"problemdetails-example-1": example},
            }
        },
    }


def _name_enums(document: dict[str, Any], enums: Mapping[str, Sequence[str]]) -> None:
    """Each enum in ``enums`` becomes the component of that name; every schema listing
    exactly its values (in any order, possibly with null) refers to it instead."""
    schemas: dict[str, Any] = document["components"].setdefault("schemas", {})
    by_values: dict[frozenset[str], str] = {}
    for name, values in enums.items():
        key = frozenset(values)
        assert name not in schemas, f"enum {name} would replace a schema"
        assert key not in by_values, f"enums {by_values[key]} and {name} have the same values"
        by_values[key] = name
    for node in _schemas_in(document):
        listed = node.get("enum")
        if not isinstance(listed, list):
            continue
        named = by_values.get(frozenset(value for value in listed if value is not None))
        if named is None:
            continue
        del node["enum"]
        node.pop("type", None)
        reference = {"$ref": f"#/components/schemas/{named}"}
        if None in listed:
            node["oneOf"] = [reference, {"type": "null"}]
        else:
            node.update(reference)
    for name, values in enums.items():
        schemas[name] = {"type": "string", "enum": list(values), "title": name}


def _schemas_in(node: Any) -> Iterator[dict[str, Any]]:
    """Every dictionary in the document, depth first (the enum rule checks each)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schemas_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas_in(value)


class CompletedDocument:
    """Completes the generated document once for all the render plugins that show it."""

    def __init__(self, enums: Mapping[str, Sequence[str]]) -> None:
        self.enums = enums
        self._completed: dict[str, Any] | None = None

    def __call__(self, generated: dict[str, Any]) -> dict[str, Any]:
        if generated is not self._completed:
            complete(generated, self.enums)
            self._completed = generated
        return generated


class CompletedJson(JsonRenderPlugin):
    """``/schema/openapi.json``: the completed document."""

    def __init__(self, document: CompletedDocument) -> None:
        super().__init__()
        self.document = document

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, self.document(openapi_schema))


# The Swagger UI files the page loads, from the swagger-ui-bundle-v2 package (the upstream
# swagger-ui-dist files, unchanged).
SWAGGER_UI = Path(str(resources.files("swagger_ui_bundle"))) / "vendor"
ASSETS_PATH = "/assets"
_FAVICON = "favicon-32x32.png"
_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    _FAVICON: "image/png",
}


def _swagger_ui_dir() -> Path:
    """The one swagger-ui-<version> folder the package ships."""
    (folder,) = SWAGGER_UI.glob("swagger-ui-*")
    return folder


class OfflineSwagger(SwaggerRenderPlugin):
    """Swagger UI at ``/schema`` with its scripts, styles and icon served by Intake
    (``/schema/assets/...``), so the docs work offline and load nothing from other hosts."""

    def __init__(self, document: CompletedDocument, path: str | Sequence[str]) -> None:
        base = "/schema" + ASSETS_PATH
        super().__init__(
            js_url=f"{base}/swagger-ui-bundle.js",
            css_url=f"{base}/swagger-ui.css",
            standalone_preset_js_url=f"{base}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{base}/{_FAVICON}'>",
            path=path,
        )
        self.document = document
        self.folder = _swagger_ui_dir()

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, self.document(openapi_schema))

    def receive_router(self, router: Router) -> None:
        super().receive_router(router)
        folder = self.folder

        @get(ASSETS_PATH + "/{name:str}", sync_to_thread=False, include_in_schema=False)
        def swagger_asset(name: str) -> File:
            """One of the few files the docs page loads; anything else is a 404."""
            if name not in _ASSETS:
                raise NotFoundException
            return File(
                folder / name,
                media_type=_ASSETS[name],
                headers={"Cache-Control": "public, max-age=86400"},
            )

        router.register(swagger_asset)
