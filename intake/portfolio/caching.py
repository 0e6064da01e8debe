"""ETags and Cache-Control for portfolio views, so dashboards can poll cheaply.

A view's ETag hashes the view, the caller's scope and the data version (the newest history
events, every setting and team edit, and the database's identity: ``scope.data_version``). Views
of the present also depend on the clock (ages, breaches), so their tag changes each minute
too; views of a past moment do not. A request whose
If-None-Match names the current tag gets 304 without the view being computed, and the
last bodies are kept per process, so repeated polls by many dashboards cost one small
query each.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from intake.portfolio.scope import Scope

CURRENT_MAX_AGE = 60
PAST_MAX_AGE = 3600
_BODIES_KEPT = 256


def view_etag(view: str, scope: Scope, version: str) -> str:
    minute = "" if scope.as_of is not None else scope.moment.strftime("%Y-%m-%dT%H:%M")
    digest = hashlib.sha256(f"{view}|{scope.key}|{version}|{minute}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def cache_control(scope: Scope) -> str:
    max_age = PAST_MAX_AGE if scope.as_of is not None else CURRENT_MAX_AGE
    return f"private, max-age={max_age}"


def not_modified(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    tags = {candidate.strip().removeprefix("W/") for candidate in if_none_match.split(",")}
    return "*" in tags or tag in tags


class RecentBodies:
    """The last encoded bodies by ETag (an ETag names exactly one body)."""

    def __init__(self, size: int = _BODIES_KEPT) -> None:
        self.size = size
        self._bodies: OrderedDict[str, bytes] = OrderedDict()

    def get(self, tag: str) -> bytes | None:
        body = self._bodies.get(tag)
        if body is not None:
            self._bodies.move_to_end(tag)
        return body

    def put(self, tag: str, body: bytes) -> None:
        self._bodies[tag] = body
        self._bodies.move_to_end(tag)
        while len(self._bodies) > self.size:
            self._bodies.popitem(last=False)
