"""The request class: a body that is not JSON Intake can read is a 400, never a 500, and a
body is checked against its handler's type strictly (no "12" for 12, no 0 for false)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import SerializationException, ValidationException

# What msgspec raises for bytes it cannot read as JSON. Litestar turns only the first into a
# 400; invalid UTF-8 inside a string and nesting deeper than the interpreter's recursion
# limit surface as the other two.
UNREADABLE_JSON = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


class IntakeRequest(Request[Any, Any, Any]):
    """Litestar's request, with every unreadable JSON body reported as one (400), and the
    body converted strictly to the type of the handler's ``data`` parameter (else 422).

    Litestar converts ``data`` with msgspec's lax mode, which turns ``"12"`` into 12 and
    ``"true"`` or ``0`` into booleans. Converting it here, strictly, hands Litestar a value
    of the right type already, which it passes through unchanged.
    """

    async def json(self) -> Any:
        try:
            value = await super().json()
        except UnicodeDecodeError:
            raise SerializationException("it is not valid UTF-8") from None
        except RecursionError:
            raise SerializationException("it is nested too deeply") from None
        target = self.route_handler.parsed_fn_signature.parameters.get("data")
        if target is None:
            return value
        try:
            return msgspec.convert(value, target.annotation)
        except msgspec.ValidationError as error:
            raise _invalid_body(error) from None


def _invalid_body(error: msgspec.ValidationError) -> ValidationException:
    """msgspec's "Expected `int`, got `str` - at `$.members[0].age`" in Litestar's shape."""
    message, separator, where = str(error).rpartition(" - at `$")
    if not separator:
        message, where = str(error), "`"
    key = where.removesuffix("`").removeprefix(".")
    return ValidationException(
        "The request body is invalid.", extra=[{"message": message, "key": key, "source": "body"}]
    )
