"""The request class: a body that is not JSON Intake can read is a 400, never a 500."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import SerializationException

# What msgspec raises for bytes it cannot read as JSON. Litestar turns only the first into a
# 400; invalid UTF-8 inside a string and nesting deeper than the interpreter's recursion
# limit surface as the other two.
UNREADABLE_JSON = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


class IntakeRequest(Request[Any, Any, Any]):
    """Litestar's request, with every unreadable JSON body reported as one (400)."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except UnicodeDecodeError:
            raise SerializationException("it is not valid UTF-8") from None
        except RecursionError:
            raise SerializationException("it is nested too deeply") from None
