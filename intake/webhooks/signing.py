"""How a webhook request is signed, so its receiver can tell it comes from Intake unchanged.

``Intake-Signature: t=<unix seconds>,v1=<hex>``: HMAC-SHA256, keyed with the subscription's
secret (its UTF-8 bytes), over ``"<t>.<raw body>"``. The timestamp is signed with the body
so a receiver can refuse a request recorded and sent again later (a replay): it accepts
only a ``t`` within a few minutes of its own clock. Right after a secret is rotated the
header carries one ``v1`` per valid secret, the new one first; any one matching is enough.
docs/integration.md shows a receiver checking it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

SIGNATURE_HEADER = "Intake-Signature"
SCHEME = "v1"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, URL-safe, recognisable by its prefix."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secrets_: Iterable[str], timestamp: int, body: bytes) -> str:
    """The ``Intake-Signature`` value: the timestamp, and a signature per secret."""
    parts = [f"t={timestamp}"]
    parts += [f"{SCHEME}={signature(secret, timestamp, body)}" for secret in secrets_]
    return ",".join(parts)
