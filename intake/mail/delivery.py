"""Mailing notifications: each one once, to its person, while it is still news.

A mail pass (``send_due``) runs in every API process every INTAKE_MAIL_SECONDS when
INTAKE_SMTP_URL is set, and ``intake mail send`` runs one by hand. Several processes may
run passes at once; the work goes like this:

1. **Drop** what is too old: a pending notification older than WINDOW is marked
   ``dropped`` and never mailed, so turning e-mail on, or a mail server that was down for
   a day, never sends a backlog.
2. **Claim** (a short transaction): up to CLAIM_BATCH pending notifications, oldest first,
   that are not held by another worker and not waiting for a retry, locked
   ``FOR UPDATE SKIP LOCKED``. Each is checked as its reader's inbox would show it now
   (``intake.notifications.service.unread_among``: theirs, unread, about a problem and an
   event they may see), and against its person (active, e-mail on). The others are marked
   ``skipped``; the rest get a lease (``email_leased_until``), so no other worker sends them.
3. **Send** them outside any transaction, over one SMTP connection for the whole pass.
4. **Record** each outcome (a short transaction), while the lease is still this worker's:
   ``sent``; a failure to be retried after RETRY_AFTER; or ``failed`` after MAX_ATTEMPTS,
   or at once when the server refuses the recipient for good (5xx).

Delivery is at least once: a mail whose answer was lost (the process stopped mid-send) is
sent again by whoever takes it up, with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from time import monotonic
from typing import Any

import aiosmtplib
from sqlalchemy import Update, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.collaboration.access import as_caller
from intake.config import MailSettings
from intake.db.models import Notification, Person
from intake.db.session import write_in_batches
from intake.lib import background, metrics, retries
from intake.lib.clock import Clock, running_from, utcnow
from intake.mail import smtp
from intake.mail.message import notification_mail
from intake.notifications import service as inbox

logger = logging.getLogger(__name__)

# After the n-th failed attempt, the next one waits RETRY_AFTER[n - 1]; the attempt after
# the last wait is the last one (36 min after the first).
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
# A notification still unsent this long after it was written is dropped, never mailed.
WINDOW = timedelta(hours=24)

CLAIM_BATCH = 50
DROP_BATCH = 1000
# A pass starts no new mail after this long; with the mail in flight (smtp.SEND_SECONDS)
# it ends well inside LEASE, so a claimed mail is never taken over while it is being sent.
SENDING_SECONDS = 120.0
LEASE = timedelta(minutes=5)

Sessions = async_sessionmaker[AsyncSession]


@dataclass
class MailPass:
    """What one pass did."""

    sent: int = 0
    failed: int = 0  # attempts that failed (to be retried, or the last one)
    gave_up: int = 0  # notifications marked failed: never to be mailed
    skipped: int = 0  # read first, e-mail turned off, or no longer visible to their reader
    dropped: int = 0  # older than WINDOW before they could be sent
    unreachable: str | None = None  # why the mail server could not be used, if it could not


@dataclass
class _Mail:
    """A claimed notification and its mail."""

    id: int
    leased_until: datetime
    attempts: int  # failed attempts before this one
    message: EmailMessage | None
    unsendable: str | None = None  # why no mail could be written for it


@dataclass
class _Claim:
    mails: list[_Mail]
    skipped: int
    examined: int


def retry_table() -> str:
    """The retry schedule as docs/delivery.md prints it (tests/app/test_docs.py keeps the two
    the same)."""
    return retries.retry_table(
        RETRY_AFTER,
        first="at the first mail pass after the notification is written",
        after_last="the notification is not mailed",
    )


async def send_due(
    sessionmaker: Sessions,
    mail: MailSettings,
    public_url: str | None,
    now: datetime | None = None,
) -> MailPass:
    """One mail pass as of ``now`` (the clock's time without it): drop what is too old, then
    send every due notification, a batch at a time, over one connection."""
    clock = running_from(now)
    result = MailPass(dropped=await drop_stale(sessionmaker, clock()))
    async with contextlib.AsyncExitStack() as stack:
        run = _Pass(sessionmaker, mail, stack, clock, result)
        while not run.out_of_time():
            claim = await _claim(sessionmaker, mail, public_url, clock())
            result.skipped += claim.skipped
            try:
                going = await run.send(claim.mails)
            except asyncio.CancelledError:
                # The process is stopping (a deploy): let go now rather than leave the mails
                # to their lease. One in flight, if it went out, is sent again (at least once).
                with contextlib.suppress(Exception):
                    await asyncio.shield(_release(sessionmaker, claim.mails))
                raise
            if not going or claim.examined < CLAIM_BATCH:
                break
    return result


@dataclass
class _Pass:
    """One pass's connection (opened for the first mail), clock and tally."""

    sessionmaker: Sessions
    mail: MailSettings
    stack: contextlib.AsyncExitStack
    clock: Clock
    result: MailPass
    client: aiosmtplib.SMTP | None = None
    started: float = field(default_factory=monotonic)

    def out_of_time(self) -> bool:
        return monotonic() - self.started >= SENDING_SECONDS

    async def send(self, mails: list[_Mail]) -> bool:
        """Send claimed mails one after the other, recording each. False when the server
        cannot be reached, the connection is lost or time is up: mails not tried are let
        go for the next pass."""
        if mails and self.client is None:
            try:
                self.client = await self.stack.enter_async_context(smtp.connection(self.mail))
            except Exception as error:
                # The server, not these mails: they cost no attempt and wait for a later
                # pass (within the 24 hours), each saying why in email_error.
                _log_unexpected(error, "Connecting to %s failed", self.mail.server)
                reason = smtp.failure(error).reason
                logger.warning(
                    "Cannot send mail through %s (%s); %d notification(s) wait for the next pass.",
                    self.mail.server,
                    reason,
                    len(mails),
                )
                await _release(self.sessionmaker, mails, reason)
                self.result.unreachable = reason
                return False
        for index, mail in enumerate(mails):
            assert self.client is not None
            if not self.client.is_connected or self.out_of_time():
                await _release(self.sessionmaker, mails[index:])
                return False
            outcome = await _send(self.client, mail)
            await self._record([(mail, outcome)])
            if outcome is not None and outcome.connection_lost:
                await _release(self.sessionmaker, mails[index + 1 :])
                return False
        return True

    async def _record(self, outcomes: list[tuple[_Mail, smtp.Failure | None]]) -> None:
        await _record(self.sessionmaker, outcomes, self.clock())
        for mail, outcome in outcomes:
            if outcome is None:
                self.result.sent += 1
                metrics.MAIL_SENT.inc()
            else:
                self.result.failed += 1
                metrics.MAIL_FAILURES.inc()
                self.result.gave_up += _gives_up(mail, outcome)


async def _send(client: aiosmtplib.SMTP, mail: _Mail) -> smtp.Failure | None:
    """Send one mail; None when the server took it, else why not."""
    if mail.message is None:
        return smtp.Failure(mail.unsendable or "No mail could be written", permanent=True)
    try:
        async with asyncio.timeout(smtp.SEND_SECONDS):
            await client.send_message(mail.message)
    except Exception as error:
        _log_unexpected(error, "Mailing notification %s failed", mail.id)
        return smtp.failure(error)
    return None


def _log_unexpected(error: Exception, message: str, *args: object) -> None:
    """Failures the server or the network explain are recorded, not logged; anything else
    is logged with its traceback too."""
    if not isinstance(error, aiosmtplib.SMTPException | OSError | TimeoutError | ValueError):
        logger.error(message, *args, exc_info=error)


def _gives_up(mail: _Mail, outcome: smtp.Failure) -> bool:
    return outcome.permanent or mail.attempts + 1 >= MAX_ATTEMPTS


async def _claim(
    sessionmaker: Sessions, mail: MailSettings, public_url: str | None, now: datetime
) -> _Claim:
    """Lease up to CLAIM_BATCH due notifications, and skip those that are not to be mailed:
    read, about what their reader may no longer see, or for someone who wants no e-mail."""
    due = (
        select(Notification.id, Notification.person_id, Notification.email_attempts)
        .where(
            Notification.email_state == "pending",
            Notification.created_at > now - WINDOW,
            or_(Notification.email_next_at.is_(None), Notification.email_next_at <= now),
            or_(
                Notification.email_leased_until.is_(None),
                Notification.email_leased_until <= now,
            ),
        )
        .order_by(Notification.created_at, Notification.id)
        .limit(CLAIM_BATCH)
        .with_for_update(skip_locked=True)
    )
    leased_until = now + LEASE
    async with sessionmaker() as session, session.begin():
        rows = (await session.execute(due)).all()
        if not rows:
            return _Claim([], 0, 0)
        ids_of: dict[uuid.UUID, list[int]] = defaultdict(list)
        for row in rows:
            ids_of[row.person_id].append(row.id)
        people = await session.scalars(select(Person).where(Person.id.in_(ids_of)))
        mails: list[_Mail] = []
        attempts = {row.id: row.email_attempts for row in rows}
        for person in people:
            if not (person.active and person.email_notifications and person.email):
                continue
            readable = await inbox.unread_among(session, as_caller(person), ids_of[person.id])
            for notification in readable:
                claimed = _Mail(notification.id, leased_until, attempts[notification.id], None)
                try:
                    claimed.message = notification_mail(
                        notification, person.name, person.email, mail, public_url, now
                    )
                except Exception as error:  # one odd address must not stop everyone's mail
                    claimed.unsendable = f"Not sendable: {error}"
                mails.append(claimed)
        leased = {m.id for m in mails}
        skipped = [row.id for row in rows if row.id not in leased]
        if skipped:
            await session.execute(_bookkeeping(skipped, email_state="skipped"))
        if leased:
            await session.execute(_bookkeeping(leased, email_leased_until=leased_until))
    return _Claim(sorted(mails, key=lambda m: m.id), len(skipped), len(rows))


def _bookkeeping(ids: Sequence[int] | set[int], *where: Any, **values: Any) -> Update:
    """An update of the mail columns of some notifications."""
    return (
        update(Notification)
        .where(Notification.id.in_(ids), *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def _record(
    sessionmaker: Sessions, outcomes: list[tuple[_Mail, smtp.Failure | None]], now: datetime
) -> None:
    """Record what became of each mail, while its lease is still this worker's."""
    async with sessionmaker() as session, session.begin():
        for mail, outcome in outcomes:
            held = (
                Notification.email_state == "pending",
                Notification.email_leased_until == mail.leased_until,
            )
            attempt = mail.attempts + 1
            values: dict[str, object] = {"email_attempts": attempt, "email_leased_until": None}
            if outcome is None:
                values |= {"email_state": "sent", "emailed_at": now, "email_error": None}
            elif _gives_up(mail, outcome):
                values |= {"email_state": "failed", "email_error": outcome.reason}
                logger.warning(
                    "Gave up mailing notification %s (attempt %d): %s",
                    mail.id,
                    attempt,
                    outcome.reason,
                )
            else:
                retry_at = now + RETRY_AFTER[attempt - 1]
                values |= {"email_next_at": retry_at, "email_error": outcome.reason}
                logger.info(
                    "Mailing notification %s failed (attempt %d: %s); trying again at %s.",
                    mail.id,
                    attempt,
                    outcome.reason,
                    retry_at,
                )
            written = await session.execute(_bookkeeping([mail.id], *held, **values))
            if not getattr(written, "rowcount", 0):
                logger.warning("Notification %s was no longer this worker's to record.", mail.id)


async def _release(
    sessionmaker: Sessions, mails: Sequence[_Mail], reason: str | None = None
) -> None:
    """Let go of claimed mails that were not tried (saying why, if the server was the
    reason): the next pass takes them up."""
    if not mails:
        return
    values: dict[str, object] = {"email_leased_until": None}
    if reason is not None:
        values["email_error"] = reason
    async with sessionmaker() as session, session.begin():
        for mail in mails:
            held = Notification.email_leased_until == mail.leased_until
            await session.execute(_bookkeeping([mail.id], held, **values))


async def drop_stale(sessionmaker: Sessions, now: datetime) -> int:
    """Mark pending notifications older than WINDOW (and held by no worker) ``dropped``, a
    batch per transaction."""
    stale = (
        select(Notification.id)
        .where(
            Notification.email_state == "pending",
            Notification.created_at <= now - WINDOW,
            or_(
                Notification.email_leased_until.is_(None),
                Notification.email_leased_until <= now,
            ),
        )
        .limit(DROP_BATCH)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Notification)
        .where(Notification.id.in_(stale.scalar_subquery()))
        .values(email_state="dropped", email_leased_until=None)
        .execution_options(synchronize_session=False)
    )
    return await write_in_batches(sessionmaker, statement, DROP_BATCH)


async def send_every(run: Callable[[], Awaitable[MailPass]], seconds: float) -> None:
    """Run a mail pass now and then every ``seconds`` until cancelled (``background.every``)."""
    await background.every(seconds, run, what="The mail pass", report=_said)


async def drop_every(sessionmaker: Sessions, seconds: float) -> None:
    """Without a mail server, only drop what is too old, now and then every ``seconds``:
    the pending notifications (and their index) stay a day's worth, and turning e-mail on
    later mails at most the last day."""

    async def drop() -> MailPass:
        return MailPass(dropped=await drop_stale(sessionmaker, utcnow()))

    await background.every(seconds, drop, what="Dropping unsent mail", report=_said)


def _said(done: MailPass) -> str | None:
    if not (done.sent or done.failed or done.dropped):
        return None
    return (
        f"Mail: {done.sent} sent, {done.failed} attempt(s) failed, {done.dropped} too old to send."
    )
