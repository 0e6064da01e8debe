"""The benchmark city: the app's own generator, ``intake.demo.generate``.

``intake demo --problems N`` and the benchmarks load the same city (registry, problems in
every state with their whole history, work records, the portfolio timeline). This module
keeps the names the benchmarks import.
"""

from __future__ import annotations

from intake.demo.generate import DATASET_VERSION, City, load, read_city_at

__all__ = ["DATASET_VERSION", "City", "load", "read_city"]


async def read_city(url: str) -> City:
    """The registry of an already-loaded benchmark database (for ``--keep`` reruns)."""
    return await read_city_at(url)
