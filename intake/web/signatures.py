"""Handlers made at import time from a declaration (a lifecycle action, a kind of record):
the signature Litestar reads a handler's parameters, body and answer from."""

from __future__ import annotations

from collections.abc import Callable
from inspect import Parameter, Signature
from typing import Any

# A handler's keyword parameter: name, annotation, default (``REQUIRED``: none).
Takes = tuple[str, Any, Any]
REQUIRED = Parameter.empty


def takes(name: str, annotation: Any, default: Any = REQUIRED) -> Takes:
    return (name, annotation, default)


def signed(
    handler: Callable[..., Any], name: str, parameters: list[Takes], returns: Any
) -> Callable[..., Any]:
    """``handler`` named ``name``, taking these keyword parameters (after ``self``) and
    answering ``returns``, as Litestar reads a handler: its signature and annotations."""
    declared = [Parameter("self", Parameter.POSITIONAL_OR_KEYWORD)]
    for parameter, annotation, default in parameters:
        declared.append(
            Parameter(parameter, Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        )
    handler.__signature__ = Signature(declared, return_annotation=returns)  # type: ignore[attr-defined]
    handler.__annotations__ = {p.name: p.annotation for p in declared[1:]} | {"return": returns}
    handler.__name__ = handler.__qualname__ = name
    return handler
