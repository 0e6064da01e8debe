"""A closed-loop load driver: N workers issue requests back to back; latency per request."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from time import perf_counter, process_time


@dataclass
class Result:
    """One measured phase: every request's latency in seconds, and how long it all took."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU time of this process over the phase (not PostgreSQL's)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def cpu_per_request(self) -> float:
        return self.cpu_seconds / self.count if self.count else 0.0

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """Nearest-rank percentile in milliseconds (0 with no samples)."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(share * len(ordered)))
        return ordered[rank - 1] * 1000


async def drive(
    name: str,
    call: Callable[[int], Awaitable[None]],
    *,
    requests: int,
    concurrency: int,
    max_seconds: float,
) -> Result:
    """Run ``call(i)`` for i in 0..requests-1 on ``concurrency`` workers, back to back.

    Stops early (and says so) once ``max_seconds`` have passed, so a slow endpoint cannot
    hold the run hostage. A failing call is recorded as an error and not timed.
    """
    result = Result(name)
    numbers = itertools.count()
    started, cpu_started = perf_counter(), process_time()
    deadline = started + max_seconds

    async def worker() -> None:
        for index in numbers:
            if index >= requests or perf_counter() > deadline:
                return
            begun = perf_counter()
            try:
                await call(index)
            except Exception as error:  # reported, never raised: the run goes on
                result.errors.append(f"{type(error).__name__}: {error}"[:300])
                continue
            result.latencies.append(perf_counter() - begun)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = perf_counter() - started
    result.cpu_seconds = process_time() - cpu_started
    return result
