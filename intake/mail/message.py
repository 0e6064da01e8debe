"""The e-mail a notification becomes: plain text in UTF-8, one thread per problem.

A mail carries what the inbox shows of the notification and nothing more: the summary, the
problem's reference and title, the event's reason, and a link. Never a comment's body, so a
mail forwarded outside the city gives away no more than the inbox line.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from intake.config import MailSettings
from intake.lib.addresses import header_address
from intake.notifications import schemas

PROBLEMS_PATH = "/api/v1/problems"
ME_PATH = "/api/v1/me"

# Why a person got the mail, by the notification's kind (see intake.notifications.fan_out).
_BECAUSE = {
    "mention": "you were mentioned on {problem}",
    "assigned": "{problem} was handed to you",
}
_WATCHING = "you follow {problem}"


def notification_mail(
    notification: schemas.Notification,
    to_name: str,
    to_address: str,
    mail: MailSettings,
    public_url: str | None,
    now: datetime,
) -> EmailMessage:
    """The mail for one notification to one person. Raises ValueError for an address that
    cannot be written in a To header."""
    problem = notification.problem
    message = _headers(mail, to_name, to_address, notification.summary, now)
    domain = mail.from_address.rpartition("@")[2]
    # Stable: a mail sent again after a lost answer (at least once) is recognisably the same.
    key = _recipient_key(to_address)
    message["Message-ID"] = f"<notification.{notification.id}.{key}@{domain}>"
    # Every mail about one problem answers the same (never sent) root: clients thread them.
    root = f"<problem.{problem.id}@{domain}>"
    message["In-Reply-To"] = root
    message["References"] = root
    message.set_content(_body(notification, public_url), charset="utf-8")
    return message


def check_mail(mail: MailSettings, to_address: str, now: datetime) -> EmailMessage:
    """A mail that shows the configuration works (``intake mail test``)."""
    message = _headers(mail, "", to_address, "Intake test mail", now)
    message["Message-ID"] = f"<test.{uuid.uuid4()}@{mail.from_address.rpartition('@')[2]}>"
    message.set_content(
        f"This is a test mail from Intake, sent through {mail.server}.\n"
        "If you can read it, Intake can e-mail notifications.\n",
        charset="utf-8",
    )
    return message


def _headers(
    mail: MailSettings, to_name: str, to_address: str, subject: str, now: datetime
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = Address(mail.from_name, addr_spec=mail.from_address)
    message["To"] = header_address(to_name, to_address)
    # One line whatever the summary quotes (a title is the requester's words).
    message["Subject"] = " ".join(subject.split())
    message["Date"] = format_datetime(now)
    # RFC 3834: machine-made, so auto-responders (out of office) stay quiet; Exchange reads
    # its own header for the same.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    return message


def _recipient_key(address: str) -> str:
    """A short stand-in for the recipient in the Message-ID, which would otherwise repeat
    across databases that number notifications alike."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{address.lower()}").hex[:12]


def _body(notification: schemas.Notification, public_url: str | None) -> str:
    problem, event = notification.problem, notification.event
    named = problem.reference or f'"{problem.title}"'
    lines = [f"{notification.summary}.", ""]
    lines.append(f"{problem.reference}: {problem.title}" if problem.reference else problem.title)
    if event.reason:
        label = "Questions" if notification.kind == "info_requested" else "Reason"
        lines += ["", f"{label}: {event.reason}"]
    base = public_url or ""
    because = _BECAUSE.get(notification.kind, _WATCHING).format(problem=named)
    lines += [
        "",
        f"{base}{PROBLEMS_PATH}/{problem.id}",
        "",
        "-- ",
        f"You get this e-mail from Intake because {because}.",
        f"Your notifications are also in your inbox: {base}{ME_PATH}/notifications",
        f'To stop these e-mails, PATCH {base}{ME_PATH} with {{"email_notifications": false}}.',
    ]
    return "\n".join(lines) + "\n"
