"""Talking to the SMTP server: one connection, and what a failed send means.

``smtp://`` upgrades to TLS with STARTTLS whenever the server offers it; ``smtps://`` is TLS
from the first byte. Certificates are checked against the system's trusted authorities
(``SSL_CERT_FILE`` names another bundle). A password is only ever sent over TLS: a server
that offers no STARTTLS gets no login, and the pass fails with that reason.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiosmtplib

from intake.config import MailSettings

CONNECT_SECONDS = 10.0
# Each SMTP command's answer; a whole mail (MAIL, RCPT, DATA) is bounded by SEND_SECONDS.
COMMAND_SECONDS = 30.0
SEND_SECONDS = 60.0
QUIT_SECONDS = 5.0
ERROR_CHARS = 500


class NotEncrypted(aiosmtplib.SMTPException):
    """The server offered no TLS, and Intake would have had to send the password."""


@contextlib.asynccontextmanager
async def connection(mail: MailSettings) -> AsyncIterator[aiosmtplib.SMTP]:
    """A connection to the server, upgraded to TLS when possible and logged in when the URL
    names a user; closed (QUIT) afterwards, or at once when the pass is cancelled."""
    client = aiosmtplib.SMTP(
        hostname=mail.host,
        port=mail.port,
        use_tls=mail.implicit_tls,
        start_tls=None,  # smtp://: STARTTLS if the server offers it
        timeout=COMMAND_SECONDS,
    )
    await client.connect(timeout=CONNECT_SECONDS)
    try:
        if mail.username is not None:
            if client.get_transport_info("sslcontext") is None:
                raise NotEncrypted(
                    f"{mail.server} offers no STARTTLS; Intake does not send the SMTP password "
                    "unencrypted (use a server with TLS, or smtps://)"
                )
            await client.login(mail.username, mail.password or "")
        yield client
    except asyncio.CancelledError:
        client.close()  # the process is stopping: no QUIT, whose answer it would wait for
        raise
    finally:
        if client.is_connected:
            with contextlib.suppress(Exception):
                await client.quit(timeout=QUIT_SECONDS)
        client.close()


@dataclass(frozen=True)
class Failure:
    """Why a mail was not sent, and what follows from it."""

    reason: str
    permanent: bool = False  # giving up at once: trying again cannot help
    connection_lost: bool = False  # no further mail on this connection


def failure(error: BaseException) -> Failure:
    """Describe a failed send: the server's code and words when it answered."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        refused = error.recipients[0]
        # 5xx: the server will never take this recipient (no such mailbox, say); 4xx: later,
        # and 421 means the server is closing the connection too.
        return Failure(
            _said(refused.code, refused.message),
            permanent=refused.code >= 500,
            connection_lost=refused.code == 421,
        )
    if isinstance(error, aiosmtplib.SMTPNotSupported | ValueError):
        return Failure(_clipped(f"Not sendable: {error}"), permanent=True)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return Failure(_said(error.code, error.message), connection_lost=error.code == 421)
    if isinstance(error, TimeoutError):
        return Failure(f"No answer in time ({type(error).__name__})", connection_lost=True)
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return Failure(_clipped(text), connection_lost=True)


def _said(code: int, message: str) -> str:
    return _clipped(f"SMTP {code}: {' '.join(message.split())}")


def _clipped(text: str) -> str:
    return text.replace("\x00", "")[:ERROR_CHARS]
