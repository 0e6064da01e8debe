"""Work each API process repeats in the background: the SLA sweep, webhook delivery, mail."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from intake.lib.outages import log_failure

logger = logging.getLogger(__name__)

T = TypeVar("T")


async def every(
    seconds: float,
    run: Callable[[], Awaitable[T]],
    *,
    what: str,
    report: Callable[[T], str | None],
) -> None:
    """``await run()`` now and then every ``seconds`` until cancelled, logging what
    ``report`` says of each result. A failed run is logged (one line while the database is
    unreachable) and the loop goes on: the next one picks up what it missed."""
    while True:
        try:
            done = await run()
        except Exception as error:
            log_failure(logger, error, "%s failed; trying again in %s seconds", what, seconds)
        else:
            if (said := report(done)) is not None:
                logger.info("%s", said)
        await asyncio.sleep(seconds)


@contextlib.asynccontextmanager
async def in_background(work: Coroutine[Any, Any, None], name: str) -> AsyncIterator[None]:
    """Run ``work`` as a task while the block runs; on the way out cancel it and wait."""
    task = asyncio.create_task(work, name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
