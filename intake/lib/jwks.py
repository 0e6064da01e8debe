"""The identity provider's signing keys (its JWKS), as one API process keeps them.

- A token signed with a key the process knows is checked at once and never waits for the
  identity provider: keys ten minutes old are fetched again in the background, and kept
  when that fails.
- A token naming an unknown key id has the keys fetched again, at most once a second. Every
  request that needs them meanwhile waits for that one fetch (5 s at most).
- A failed fetch backs off (2 s, 4 s, ... up to a minute between attempts). Until the next
  attempt, a token naming an unknown key is answered 503 with ``Retry-After`` at once,
  instead of each waiting for its own fetch to time out.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

import jwt

from intake.lib.errors import NotAuthenticated, ServiceUnavailable

logger = logging.getLogger(__name__)

MAX_AGE_SECONDS = 600.0  # keys this old are fetched again, in the background
FETCH_TIMEOUT_SECONDS = 5.0
UNKNOWN_KEY_REFETCH_SECONDS = 1.0  # an unknown key id fetches the keys at most this often
BACKOFF_SECONDS = (2.0, 4.0, 8.0, 16.0, 32.0, 60.0)  # after the 1st, 2nd, ... failed fetch


class SigningKeys:
    """The signing keys published at ``url``, fetched when needed and shared by all requests."""

    def __init__(self, url: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> None:
        self.url = url
        self._client = jwt.PyJWKClient(url, cache_jwk_set=False, timeout=timeout)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None  # time.monotonic() of the last good fetch
        self._failures = 0  # failed fetches in a row
        self._next_attempt = 0.0  # no fetch before this, after a failure
        self._fetching: asyncio.Task[bool] | None = None

    async def key_for(self, kid: str) -> jwt.PyJWK:
        """The key with id ``kid``: NotAuthenticated when the provider publishes none,
        ServiceUnavailable when its keys cannot be fetched now."""
        now = time.monotonic()
        key = self._keys.get(kid)
        if key is not None:
            stale = self._fetched_at is not None and now - self._fetched_at >= MAX_AGE_SECONDS
            if stale and now >= self._next_attempt:
                self._start_fetch()  # in the background: nobody waits for it
            return key
        fetching = self._fetching
        if fetching is None:
            if now < self._next_attempt:
                raise self._unavailable(now)
            if self._fetched_at is not None and now - self._fetched_at < (
                UNKNOWN_KEY_REFETCH_SECONDS
            ):
                raise _unknown(kid)
            fetching = self._start_fetch()
        # Shielded: a client that goes away does not cancel the fetch the others wait for.
        if not await asyncio.shield(fetching):
            raise self._unavailable(time.monotonic())
        key = self._keys.get(kid)
        if key is None:
            raise _unknown(kid)
        return key

    def _start_fetch(self) -> asyncio.Task[bool]:
        """The fetch under way, or a new one: True when it got the keys."""
        if self._fetching is None:
            self._fetching = asyncio.create_task(self._fetch_keys(), name="intake-jwks")
        return self._fetching

    async def _fetch_keys(self) -> bool:
        try:
            # PyJWKClient fetches over blocking HTTP: keep it off the event loop.
            keys = await asyncio.to_thread(self._client.get_signing_keys, True)
        except Exception as error:  # unreachable, timed out, an error status, not a JWKS
            self._failures += 1
            wait = BACKOFF_SECONDS[min(self._failures, len(BACKOFF_SECONDS)) - 1]
            self._next_attempt = time.monotonic() + wait
            logger.warning(
                "Fetching the identity provider's signing keys from %s failed (%s); "
                "next attempt in %g s.",
                self.url,
                " ".join(str(error).split()) or type(error).__name__,
                wait,
            )
            return False
        else:
            self._keys = {key.key_id: key for key in keys if key.key_id}
            self._fetched_at = time.monotonic()
            self._failures, self._next_attempt = 0, 0.0
            return True
        finally:
            self._fetching = None

    def _unavailable(self, now: float) -> ServiceUnavailable:
        return ServiceUnavailable(
            "The identity provider's signing keys cannot be fetched right now, so this token "
            "cannot be checked; send the request again after Retry-After.",
            retry_after=max(1, math.ceil(self._next_attempt - now)),
        )


def _unknown(kid: str) -> NotAuthenticated:
    return NotAuthenticated(
        f"The token's signing key is unknown: the identity provider publishes no key '{kid}'."
    )
