"""ETags, Cache-Control and the bodies each process keeps, so dashboards can poll cheaply.

A view's ETag hashes the view, the caller's scope and the data version (the newest history
events, every setting and team edit, and the database's identity: ``scope.data_version``). Views
of the present also depend on the clock (ages, breaches), so their tag changes each minute
too; views of a past moment do not. A request whose
If-None-Match names the current tag gets 304 without the view being computed, and the
last bodies are kept per process, so repeated polls by many dashboards cost one small
query each.

A current view's body may be up to ``INTAKE_PORTFOLIO_STALE_SECONDS`` old, as its
``Cache-Control: max-age`` already allows a client to keep it: once the data or the minute
has changed, the next request still gets the body computed last (with an ``Age`` header
saying how old it is, and its own ``generated_at``), and the view is computed again in the
background for the requests after it, at most every ``REFRESH_SECONDS`` per view and scope.
A request with ``Cache-Control: no-cache`` (or a smaller ``max-age``) accepts no older
body, and waits for a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from time import monotonic

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from intake.lib import metrics
from intake.lib.outages import log_failure
from intake.portfolio.scope import VIEW_SETTINGS, Scope

logger = logging.getLogger(__name__)

CURRENT_MAX_AGE = 60
PAST_MAX_AGE = 3600
_BODIES_KEPT = 256
# While its data keeps changing, a view of now (per scope) is computed again at most this
# often in the background; until then its last body answers (within the stale window).
REFRESH_SECONDS = 10
# Background computations one process runs at once (each holds a database connection); a
# view that finds them all busy keeps answering with its last body and asks again later.
MAX_REFRESHING = 3

Compute = Callable[[AsyncSession, Scope], Awaitable[msgspec.Struct]]
# Opens a session for a background computation: a sessionmaker, or ``ReadReplica.session``
# (intake.db.replica) so that refreshes read the replica while it is within its lag.
OpenSession = Callable[[], AsyncSession]
_DIGITS = re.compile("[0-9]+")


def view_etag(view: str, scope: Scope, version: str) -> str:
    minute = "" if scope.as_of is not None else scope.moment.strftime("%Y-%m-%dT%H:%M")
    digest = hashlib.sha256(f"{view}|{scope.key}|{version}|{minute}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def cache_control(scope: Scope) -> str:
    max_age = PAST_MAX_AGE if scope.as_of is not None else CURRENT_MAX_AGE
    return f"private, max-age={max_age}"


def accepted_age(cache_control: str | None, window: float) -> float:
    """How old a body the request accepts, in seconds: the server's ``window``, or less when
    its Cache-Control says ``no-cache`` (none) or ``max-age=N`` (N). A directive that cannot
    be read accepts none."""
    for directive in (cache_control or "").lower().split(","):
        name, _, value = directive.strip().partition("=")
        if name == "no-cache":
            return 0
        if name == "max-age":
            seconds = value.strip().strip('"')
            if not _DIGITS.fullmatch(seconds):  # str.isdigit() also takes "²", int() not
                return 0
            window = min(window, int(seconds))
    return window


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


@dataclass(frozen=True, slots=True)
class Stale:
    """The body last computed for a view and scope, older than the data it would show now."""

    tag: str
    body: bytes
    age: int  # whole seconds since its computation began


class ViewBodies:
    """The portfolio bodies one process keeps, and the computations under way.

    - By ETag, the last 256 bodies: a poll whose tag is unchanged is served without
      computing.
    - In flight: a request for a tag being computed waits for that computation instead of
      running the same aggregate again (dashboards poll together).
    - For each current view and scope, the body computed last and when: for ``stale_seconds``
      it answers the requests that come once the data or the minute has changed, while the
      view is computed again in the background (at most once every ``REFRESH_SECONDS``).
    """

    def __init__(
        self,
        sessionmaker: OpenSession | None,
        stale_seconds: float,
        *,
        kept: int = _BODIES_KEPT,
        share: bool = True,
    ) -> None:
        self.stale_seconds = stale_seconds if sessionmaker is not None else 0
        self._sessionmaker = sessionmaker
        self._share = share
        self._bodies = RecentBodies(kept)
        self._computing: dict[str, asyncio.Future[bytes | None]] = {}
        self._latest: OrderedDict[str, tuple[str, bytes, float]] = OrderedDict()
        self._refreshing: dict[str, asyncio.Task[None]] = {}  # by view and scope

    @classmethod
    def cold(cls) -> ViewBodies:
        """Keeps and shares nothing: every request computes its view (for benchmarks)."""
        return cls(None, 0, kept=0, share=False)

    def get(self, tag: str) -> bytes | None:
        return self._bodies.get(tag)

    def stale(self, view: str, scope: Scope, accepted_age: float) -> Stale | None:
        """The body computed last for this current view and scope, if it began at most
        ``accepted_age`` seconds ago."""
        if scope.as_of is not None or accepted_age <= 0:
            return None
        latest = self._latest.get(_latest_key(view, scope))
        if latest is None:
            return None
        tag, body, began = latest
        age = monotonic() - began
        return Stale(tag, body, int(age)) if age <= accepted_age else None

    async def compute(
        self, session: AsyncSession, view: str, scope: Scope, tag: str, compute: Compute
    ) -> bytes:
        """The body for ``tag``, computed once: concurrent requests share the first one's."""
        running = self._computing.get(tag)
        if running is not None:
            shared = await asyncio.shield(running)
            if shared is not None:
                return shared
            # The first computation failed; compute here (and fail here, if it fails again).
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        if self._share:
            self._computing[tag] = future
        began = monotonic()
        body: bytes | None = None
        try:
            await session.execute(VIEW_SETTINGS)
            body = msgspec.json.encode(await compute(session, scope))
            self._bodies.put(tag, body)
            if self.stale_seconds > 0 and scope.as_of is None:
                self._remember(_latest_key(view, scope), (tag, body, began))
            return body
        finally:
            future.set_result(body)
            if self._computing.get(tag) is future:
                del self._computing[tag]

    def refresh(self, view: str, scope: Scope, tag: str, compute: Compute) -> None:
        """Compute ``tag`` in the background on a session of its own, unless this view and
        scope is being computed already or began its last computation less than
        ``REFRESH_SECONDS`` ago (while the city keeps changing, each view and scope costs at
        most one computation every ``REFRESH_SECONDS``, however many requests come), or
        ``MAX_REFRESHING`` computations are under way already."""
        key = _latest_key(view, scope)
        if self._sessionmaker is None or key in self._refreshing or tag in self._computing:
            return
        if len(self._refreshing) >= MAX_REFRESHING:
            return
        latest = self._latest.get(key)
        if latest is not None and monotonic() - latest[2] < REFRESH_SECONDS:
            return
        task = asyncio.create_task(self._refresh(self._sessionmaker, view, scope, tag, compute))
        self._refreshing[key] = task
        task.add_done_callback(lambda _: self._refreshing.pop(key, None))

    async def close(self) -> None:
        """Stop the background computations (the app is stopping)."""
        for task in list(self._refreshing.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _refresh(
        self,
        sessionmaker: OpenSession,
        view: str,
        scope: Scope,
        tag: str,
        compute: Compute,
    ) -> None:
        try:
            async with sessionmaker() as session:
                await self.compute(session, view, scope, tag, compute)
            metrics.PORTFOLIO_REFRESHES.labels(view).inc()
            logger.debug("Computed the %s view again in the background.", view)
        except Exception as error:
            # The stale body goes on answering until it is too old; then a request computes.
            log_failure(logger, error, "Computing the %s view in the background failed", view)

    def _remember(self, key: str, latest: tuple[str, bytes, float]) -> None:
        known = self._latest.get(key)
        if known is not None and known[2] > latest[2]:
            return  # a computation that began later has already finished
        self._latest[key] = latest
        self._latest.move_to_end(key)
        while len(self._latest) > self._bodies.size:
            self._latest.popitem(last=False)


def _latest_key(view: str, scope: Scope) -> str:
    return f"{view}|{scope.key}"
