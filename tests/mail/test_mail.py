"""E-mail notifications: what a real SMTP server on 127.0.0.1 receives, to whom, when not,
retries and giving up, several passes at once, the setting, the preference and the CLI."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

import asyncpg
import pytest
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, Session
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.app import create_app
from intake.composition import create_sessionmaker
from intake.config import MailSettings, Settings
from intake.db import migrate
from intake.db.session import create_engine
from intake.lib.clock import utcnow
from intake.lib.errors import ConfigError
from intake.mail import delivery
from intake.mail.delivery import MAX_ATTEMPTS, RETRY_AFTER, send_due
from intake.problems import history
from tests.builders import EMAILS, City, recreate_database, with_database
from tests.helpers import (
    PATIENCE,
    Client,
    act,
    assert_problem_json,
    draft,
    intake,
    submit,
    submitted,
    until,
)

PUBLIC_URL = "https://intake.city.example"
SENDER = "intake@city.example"
ME = "/api/v1/me"
INBOX = "/api/v1/me/notifications"

Sessions = async_sessionmaker[AsyncSession]


# -- an SMTP server on loopback that keeps what it is given and answers as it is told --------


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        """The text as a reader sees it (the wire's CRLF line ends as newlines)."""
        content: str = self.message.get_content()
        return content.replace("\r\n", "\n")


@dataclass
class Mailbox:
    """What the server received, and how it answers: ``refuse`` maps a recipient (or "*" for
    everyone) to the reply its RCPT gets; ``delay`` holds every DATA that long, and ``hold``
    (while it is not set) holds every DATA until it is."""

    port: int = 0
    received: list[Delivered] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hold: asyncio.Event | None = None
    connections: int = 0
    commands: list[str] = field(default_factory=list)
    data_begun: int = 0  # DATA commands received, answered or not

    def settings(self, **changes: Any) -> MailSettings:
        mail = MailSettings(
            host="127.0.0.1",
            port=self.port,
            implicit_tls=False,
            from_address=SENDER,
            from_name="Intake",
        )
        return replace(mail, **changes)

    def to(self, who: str) -> list[Delivered]:
        return [d for d in self.received if d.rcpt_tos == [EMAILS[who]]]

    async def arrived(self, count: int = 1, *, within: float) -> None:
        """Wait (at most ``within`` seconds) until ``count`` mails have arrived."""
        await self._until(lambda: len(self.received) >= count, within)
        assert len(self.received) >= count, f"{len(self.received)} of {count} mails arrived"

    async def addressed(self, *, within: float) -> None:
        """Wait (at most ``within`` seconds) until a sender has named a recipient: its mail is
        on its way."""
        await self._until(lambda: bool(self.commands), within)
        assert self.commands, "no mail was begun"

    async def in_data(self, *, within: float) -> None:
        """Wait (at most ``within`` seconds) until a sender has sent its mail and waits for
        the answer, which ``hold`` keeps back."""
        await self._until(lambda: self.data_begun > 0, within)
        assert self.data_begun, "no mail was sent"

    @staticmethod
    async def _until(done: Callable[[], bool], within: float) -> None:
        for _ in range(round(within / 0.02)):
            if done():
                return
            await asyncio.sleep(0.02)

    # aiosmtpd's handler hooks

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, _: Any
    ) -> str:
        self.commands.append(f"RCPT {address}")
        answer = self.refuse.get(address) or self.refuse.get("*")
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.data_begun += 1
        if self.hold is not None:
            await self.hold.wait()
        await asyncio.sleep(self.delay)
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Delivered(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def authenticate(self, *args: Any) -> AuthResult:
        self.commands.append("AUTH")
        return AuthResult(success=False)


@pytest.fixture
async def mailbox() -> AsyncIterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and an ephemeral port, in the tests' loop."""
    box = Mailbox()

    def connect() -> SMTPServer:
        box.connections += 1
        # AUTH offered without TLS, as a careless server might: Intake must still not log in.
        return SMTPServer(
            box,
            hostname="mail.city.example",
            enable_SMTPUTF8=True,
            authenticator=box.authenticate,
            auth_require_tls=False,
        )

    server = await asyncio.get_running_loop().create_server(connect, "127.0.0.1", 0)
    box.port = server.sockets[0].getsockname()[1]
    try:
        yield box
    finally:
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def send(
    sessions: Sessions,
    mailbox: Mailbox,
    now: datetime | None = None,
    public_url: str | None = PUBLIC_URL,
    **changes: Any,
) -> delivery.MailPass:
    return await send_due(sessions, mailbox.settings(**changes), public_url, now)


async def watch(db: asyncpg.Connection, city: City, problem_id: str, who: str) -> None:
    await db.execute(
        "INSERT INTO problem_watchers (problem_id, person_id) VALUES ($1, $2)",
        uuid.UUID(problem_id),
        city.people[who],
    )


async def mail_state(db: asyncpg.Connection, city: City, who: str) -> list[asyncpg.Record]:
    return list(
        await db.fetch(
            "SELECT email_state, email_attempts, email_next_at, email_error, emailed_at "
            "FROM notifications WHERE person_id = $1 ORDER BY id",
            city.people[who],
        )
    )


async def one_for_the_requester(client: Client, city: City) -> dict[str, Any]:
    """A problem Rosa submitted and Priya triaged: one notification, Rosa's, to mail."""
    problem = await submitted(client, city)
    assert (await act(client, city, problem, "triage")).status_code == 200
    return problem


async def two_for_colleagues(client: Client, city: City, db: asyncpg.Connection) -> None:
    """A problem Rosa submitted, followed by Sam (DOT) and Inès (DPH): a mail for each."""
    problem = await draft(client, city)
    await watch(db, city, problem["id"], "requester2")
    await watch(db, city, problem["id"], "health")
    assert (await submit(client, city, problem)).status_code == 200


async def set_preference(client: Client, city: City, who: str, on: bool) -> dict[str, Any]:
    response = await client.patch(ME, json={"email_notifications": on}, headers=city.auth(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- what is sent, and to whom ---------------------------------------------------------------


async def test_a_watcher_gets_one_threaded_mail_per_state_change_and_the_actor_none(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    problem = await submitted(client, city)  # the requester follows what she submits
    assert (await act(client, city, problem, "triage")).status_code == 200
    body = {"reason": "High reach."}
    assert (await act(client, city, problem, "accept", body=body)).status_code == 200

    done = await send(sessions, mailbox)

    assert (done.sent, done.failed, done.skipped, done.dropped) == (2, 0, 0, 0)
    assert mailbox.connections == 1  # one connection for the whole batch
    # Priya acted both times: nothing for her, though she follows the problem since triage.
    assert mailbox.to("triager") == []
    triaged, accepted = mailbox.to("requester")
    reference = problem["reference"]
    message = accepted.message
    assert accepted.mail_from == SENDER
    assert message["From"] == f"Intake <{SENDER}>"
    assert message["To"] == f"Rosa Diaz <{EMAILS['requester']}>"
    assert message["Subject"] == f"Priya One moved {reference} from triage to accepted"
    assert triaged.message["Subject"] == f"Priya One moved {reference} from submitted to triage"
    assert abs(parsedate_to_datetime(message["Date"]) - utcnow()) < timedelta(minutes=1)
    assert message["Auto-Submitted"] == "auto-generated"
    # One thread per problem: both answer the same root; each has its own Message-ID.
    thread = f"<problem.{problem['id']}@city.example>"
    for mail in (triaged, accepted):
        assert mail.message["In-Reply-To"] == thread
        assert mail.message["References"] == thread
    assert re.fullmatch(r"<notification\.\d+\.[0-9a-f]{12}@city\.example>", message["Message-ID"])
    assert message["Message-ID"] != triaged.message["Message-ID"]
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    link = f"{PUBLIC_URL}/api/v1/problems/{problem['id']}"
    assert accepted.body == (
        f"Priya One moved {reference} from triage to accepted.\n"
        "\n"
        f"{reference}: {problem['title']}\n"
        "\n"
        "Reason: High reach.\n"
        "\n"
        f"{link}\n"
        "\n"
        "-- \n"
        f"You get this e-mail from Intake because you follow {reference}.\n"
        f"Your notifications are also in your inbox: {PUBLIC_URL}/api/v1/me/notifications\n"
        f"To stop these e-mails, PATCH {PUBLIC_URL}/api/v1/me with "
        '{"email_notifications": false}.\n'
    )
    assert "Reason" not in triaged.body  # no reason given

    # Once: the next pass sends nothing, and the inbox still has both, unread.
    assert (await send(sessions, mailbox)).sent == 0
    assert len(mailbox.received) == 2
    states = await mail_state(db, city, "requester")
    assert [(s["email_state"], s["email_attempts"]) for s in states] == [("sent", 1)] * 2
    assert all(s["emailed_at"] is not None and s["email_error"] is None for s in states)
    unread = (await client.get(INBOX, headers=city.auth("requester"))).json()["unread_count"]
    assert unread == 2


async def test_names_and_titles_in_any_language_and_the_api_path_without_a_public_url(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    title = "Les délais des permis de café dépassent 6 semaines — 咖啡许可"
    problem = await draft(client, city, title=title)
    await watch(db, city, problem["id"], "health")  # Inès Moreau, of Public Health
    response = await submit(client, city, problem)
    assert response.status_code == 200

    await send(sessions, mailbox, public_url=None)

    (mail,) = mailbox.to("health")
    assert mail.message["To"] == f"Inès Moreau <{EMAILS['health']}>"
    reference = response.json()["reference"]
    assert mail.message["Subject"] == f"Rosa Diaz moved {reference} from draft to submitted"
    assert f"{reference}: {title}\n" in mail.body
    # No INTAKE_PUBLIC_URL: the API path, for whatever client the reader uses.
    assert f"\n/api/v1/problems/{problem['id']}\n" in mail.body
    assert "PATCH /api/v1/me with" in mail.body


async def test_a_mention_and_a_request_for_information_say_why(
    client: Client, city: City, sessions: Sessions, mailbox: Mailbox
) -> None:
    problem = await submitted(client, city)
    comments = f"/api/v1/problems/{problem['id']}/comments"
    secret = "our backlog is 412 permits"
    body = {"body": f"@ines.moreau@city.example {secret}, is yours the same?"}
    response = await client.post(comments, json=body, headers=city.auth("requester"))
    assert response.status_code == 201, response.text
    assert (await act(client, city, problem, "triage")).status_code == 200
    questions = {"questions": "How many permits were filed last year?"}
    assert (await act(client, city, problem, "request-info", body=questions)).status_code == 200

    await send(sessions, mailbox)

    reference = problem["reference"]
    # Being mentioned made Inès follow the problem: she hears of what came after too.
    mention, *followed = mailbox.to("health")
    assert mention.message["Subject"] == f"Rosa Diaz mentioned you on {reference}"
    assert f"because you were mentioned on {reference}." in mention.body
    assert secret not in mention.body  # never a comment's words
    assert f"because you follow {reference}." in followed[0].body
    asked = mailbox.to("requester")[-1]
    assert asked.message["Subject"] == f"Priya One asked for more information on {reference}"
    assert "\nQuestions: How many permits were filed last year?\n" in asked.body


async def test_no_mail_for_someone_who_turned_email_off(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    assert (await client.get(ME, headers=city.auth("requester"))).json()[
        "email_notifications"
    ] is True
    off = await set_preference(client, city, "requester", False)
    assert off["email_notifications"] is False
    assert (await client.get(ME, headers=city.auth("requester"))).json()[
        "email_notifications"
    ] is False
    # An admin answering "why do I get no mail?" sees the choice (it stays theirs to make).
    person = await client.get(
        f"/api/v1/people/{city.people['requester']}", headers=city.auth("admin")
    )
    assert person.json()["email_notifications"] is False
    problem = await one_for_the_requester(client, city)

    done = await send(sessions, mailbox)

    assert (done.sent, done.skipped) == (0, 1)
    assert mailbox.received == []
    assert [s["email_state"] for s in await mail_state(db, city, "requester")] == ["skipped"]
    inbox = (await client.get(INBOX, headers=city.auth("requester"))).json()
    assert inbox["unread_count"] == 1  # the inbox keeps it

    # On again: what happens from then on is mailed; what was skipped stays skipped.
    await set_preference(client, city, "requester", True)
    assert (await act(client, city, problem, "accept")).status_code == 200
    assert (await send(sessions, mailbox)).sent == 1
    (mail,) = mailbox.to("requester")
    assert mail.message["Subject"].endswith("from triage to accepted")


async def test_a_notification_read_in_the_inbox_first_is_not_mailed(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    problem = await one_for_the_requester(client, city)
    marked = await client.post(f"{INBOX}/read", json={"all": True}, headers=city.auth("requester"))
    assert marked.json()["marked"] == 1
    assert (await act(client, city, problem, "accept")).status_code == 200

    done = await send(sessions, mailbox)

    assert (done.sent, done.skipped) == (1, 1)
    (mail,) = mailbox.to("requester")  # the accepted one, still unread
    assert mail.message["Subject"].endswith("from triage to accepted")
    assert [s["email_state"] for s in await mail_state(db, city, "requester")] == [
        "skipped",
        "sent",
    ]


async def test_a_notification_older_than_a_day_is_dropped_never_mailed(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    problem = await submitted(client, city)
    for action in ("triage", "accept"):
        assert (await act(client, city, problem, action)).status_code == 200
    # Mail was off, or the server down, for a while: one is 25 hours old, one 23.
    first, second = (s["id"] for s in await db.fetch("SELECT id FROM notifications ORDER BY id"))
    await db.execute(
        "UPDATE notifications SET created_at = now() - interval '25 hours' WHERE id = $1", first
    )
    await db.execute(
        "UPDATE notifications SET created_at = now() - interval '23 hours' WHERE id = $1", second
    )

    done = await send(sessions, mailbox)

    assert (done.sent, done.dropped) == (1, 1)
    (mail,) = mailbox.received
    assert mail.message["Subject"].endswith("from triage to accepted")
    states = [s["email_state"] for s in await mail_state(db, city, "requester")]
    assert states == ["dropped", "sent"]
    # Dropped for good: a later pass neither sends nor counts it again.
    assert (await send(sessions, mailbox)).dropped == 0
    assert len(mailbox.received) == 1


async def test_a_restricted_problem_the_reader_cannot_see_is_not_mailed(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    problem = await submitted(client, city, title="Child care case files", restricted=True)
    await watch(db, city, problem["id"], "health")  # Public Health is not a collaborator
    await watch(db, city, problem["id"], "requester2")  # her colleague in DOT is
    assert (await act(client, city, problem, "triage")).status_code == 200

    done = await send(sessions, mailbox)

    assert mailbox.to("health") == []
    assert len(mailbox.to("requester2")) == 1
    assert done.skipped == 1
    assert [s["email_state"] for s in await mail_state(db, city, "health")] == ["skipped"]


async def test_a_requester_never_gets_a_mail_about_an_internal_event(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    problem = await submitted(client, city)
    async with sessions() as session, session.begin():
        await history.record(
            session,
            problem_id=uuid.UUID(problem["id"]),
            actor_id=city.people["admin"],
            type="comment_added",
            reason="Internal: the vendor contract ends in March.",
            internal=True,
            mentions=[city.people["requester"], city.people["team_member"]],
        )

    await send(sessions, mailbox)

    (mail,) = mailbox.to("team_member")
    assert mail.message["Subject"] == f"Ops Admin mentioned you on {problem['reference']}"
    assert mailbox.to("requester") == []


# -- failures, retries and giving up ---------------------------------------------------------


async def test_a_server_that_is_down_costs_no_attempt_and_one_that_says_later_is_tried_again(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    await one_for_the_requester(client, city)
    start = utcnow()

    # Nothing listens, for longer than every retry wait together: the server, not the
    # mail, is at fault, so no attempt is counted; the reason is kept.
    for hours in (0, 1, 2):
        down = await send(sessions, mailbox, start + timedelta(hours=hours), port=closed_port())
        assert (down.sent, down.failed, down.gave_up) == (0, 0, 0)
        assert down.unreachable is not None and down.unreachable.startswith("SMTPConnectError: ")
    (state,) = await mail_state(db, city, "requester")
    assert (state["email_state"], state["email_attempts"], state["email_next_at"]) == (
        "pending",
        0,
        None,
    )
    assert state["email_error"].startswith("SMTPConnectError: ")

    # The server is up but says "later" (451): a failed attempt, tried again after a wait.
    back = start + timedelta(hours=3)
    mailbox.refuse["*"] = "451 4.3.0 Mail system busy, try again later"
    assert (await send(sessions, mailbox, back)).failed == 1
    (state,) = await mail_state(db, city, "requester")
    assert state["email_attempts"] == 1
    assert state["email_error"] == "SMTP 451: 4.3.0 Mail system busy, try again later"
    retry = state["email_next_at"]
    assert timedelta(0) <= retry - (back + RETRY_AFTER[0]) < timedelta(seconds=5)

    # Not before the wait is over.
    del mailbox.refuse["*"]
    commands = len(mailbox.commands)
    assert (await send(sessions, mailbox, retry - timedelta(seconds=1))).failed == 0
    assert len(mailbox.commands) == commands

    # Back to normal: sent, once.
    assert (await send(sessions, mailbox, retry)).sent == 1
    (state,) = await mail_state(db, city, "requester")
    assert (state["email_state"], state["email_attempts"], state["email_error"]) == (
        "sent",
        2,
        None,
    )
    assert len(mailbox.received) == 1


async def test_an_address_no_mail_header_can_carry_fails_alone(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    await db.execute(
        "UPDATE people SET email = 'sam.park@city.example.' WHERE id = $1",
        city.people["requester2"],
    )
    await two_for_colleagues(client, city, db)
    done = await send(sessions, mailbox)
    assert (done.sent, done.gave_up) == (1, 1)
    assert [mail.rcpt_tos for mail in mailbox.received] == [[EMAILS["health"]]]
    (state,) = await mail_state(db, city, "requester2")
    assert state["email_state"] == "failed"
    assert "cannot be written as an e-mail address" in state["email_error"]


async def test_after_the_last_attempt_a_notification_is_not_mailed(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    await one_for_the_requester(client, city)
    mailbox.refuse["*"] = "421 4.7.0 Too many connections"
    moment = utcnow()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        done = await send(sessions, mailbox, moment)
        assert done.failed == 1, attempt
        (state,) = await mail_state(db, city, "requester")
        if attempt < MAX_ATTEMPTS:
            moment = state["email_next_at"]
    assert done.gave_up == 1
    assert (state["email_state"], state["email_attempts"]) == ("failed", MAX_ATTEMPTS)
    assert state["email_error"] == "SMTP 421: 4.7.0 Too many connections"
    del mailbox.refuse["*"]
    assert (await send(sessions, mailbox, moment + timedelta(hours=1))).sent == 0
    assert mailbox.received == []


async def test_a_recipient_refused_for_good_is_given_up_at_once_and_the_others_still_sent(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    await two_for_colleagues(client, city, db)
    mailbox.refuse[EMAILS["requester2"]] = "550 5.1.1 No such user here"

    done = await send(sessions, mailbox)

    assert (done.sent, done.failed, done.gave_up) == (1, 1, 1)
    assert len(mailbox.to("health")) == 1  # on the same connection as the refusal
    assert mailbox.connections == 1
    (state,) = await mail_state(db, city, "requester2")
    assert (state["email_state"], state["email_attempts"]) == ("failed", 1)
    assert state["email_error"] == "SMTP 550: 5.1.1 No such user here"
    assert (await send(sessions, mailbox, utcnow() + timedelta(hours=2))).failed == 0


async def test_a_server_closing_the_connection_leaves_the_rest_for_the_next_pass(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    await two_for_colleagues(client, city, db)
    mailbox.refuse["*"] = "421 4.3.2 Shutting down"

    done = await send(sessions, mailbox)

    # The first mail was refused and the server said it is closing: the second is not tried.
    assert (done.sent, done.failed) == (0, 1)
    assert len(mailbox.commands) == 1
    rows = await db.fetch(
        "SELECT person_id, email_state, email_attempts, email_next_at FROM notifications"
    )
    tried, untried = sorted(rows, key=lambda row: -row["email_attempts"])
    assert (tried["email_attempts"], tried["email_next_at"] is not None) == (1, True)
    assert (untried["email_state"], untried["email_attempts"]) == ("pending", 0)
    assert untried["email_next_at"] is None
    # The next pass takes the untried one at once; the refused one waits out its minute.
    del mailbox.refuse["*"]
    assert (await send(sessions, mailbox)).sent == 1
    (mail,) = mailbox.received
    people = {city.people[who]: EMAILS[who] for who in ("requester2", "health")}
    assert mail.rcpt_tos == [people[untried["person_id"]]]


async def test_the_password_never_goes_over_a_connection_without_tls(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    await one_for_the_requester(client, city)
    done = await send(sessions, mailbox, username="intake", password="s3cret")
    assert (done.sent, done.failed) == (0, 0) and done.unreachable is not None
    assert "AUTH" not in mailbox.commands
    (state,) = await mail_state(db, city, "requester")
    assert state["email_error"] == (
        f"NotEncrypted: smtp://127.0.0.1:{mailbox.port} offers no STARTTLS; Intake does not "
        "send the SMTP password unencrypted (use a server with TLS, or smtps://)"
    )
    assert "s3cret" not in state["email_error"]


async def test_no_transaction_is_open_while_the_server_takes_its_time(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    await one_for_the_requester(client, city)
    mailbox.hold = asyncio.Event()  # the server takes its time: until the check below
    sending = asyncio.create_task(send(sessions, mailbox))
    await mailbox.in_data(within=PATIENCE)
    busy = await db.fetch(
        "SELECT state FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"
    )
    assert busy == []
    mailbox.hold.set()
    assert (await sending).sent == 1


async def test_a_stopping_process_lets_go_of_what_it_claimed(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    await one_for_the_requester(client, city)
    mailbox.hold = asyncio.Event()  # the server takes the mail only once the pass has stopped
    sending = asyncio.create_task(send(sessions, mailbox))
    # In DATA, waiting for an answer: a cancellation landing as an answer arrives can be lost
    # inside the SMTP client on Python 3.11 (asyncio.wait_for), so not at RCPT.
    await mailbox.in_data(within=PATIENCE)  # a bound, not a measure: on its way in moments
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    row = await db.fetchrow("SELECT email_state, email_leased_until FROM notifications")
    assert (row["email_state"], row["email_leased_until"]) == ("pending", None)
    mailbox.hold.set()
    assert (await send(sessions, mailbox)).sent == 1  # another pass takes it up at once


# -- several processes ------------------------------------------------------------------------


async def test_two_passes_at_once_mail_each_notification_once(
    client: Client,
    city: City,
    database_url: str,
    settings: Settings,
    db: asyncpg.Connection,
    mailbox: Mailbox,
) -> None:
    for n in range(4):
        problem = await draft(client, city, title=f"Permits take weeks, case {n}")
        for who in ("requester2", "health", "parks"):
            await watch(db, city, problem["id"], who)
        assert (await submit(client, city, problem)).status_code == 200
    expected = await db.fetchval("SELECT count(*) FROM notifications")
    assert expected == 12
    mailbox.delay = 0.02  # long enough for the two passes to overlap

    engines = [create_engine(database_url, settings) for _ in range(2)]
    try:
        first, second = await asyncio.gather(
            *(
                send_due(create_sessionmaker(engine), mailbox.settings(), PUBLIC_URL)
                for engine in engines
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()

    assert first.sent + second.sent == expected
    ids = [mail.message["Message-ID"] for mail in mailbox.received]
    assert len(ids) == len(set(ids)) == expected
    states = await db.fetch("SELECT email_state, email_attempts FROM notifications")
    assert {(s["email_state"], s["email_attempts"]) for s in states} == {("sent", 1)}


async def test_a_notification_held_by_another_worker_waits_for_its_lease(
    client: Client, city: City, sessions: Sessions, db: asyncpg.Connection, mailbox: Mailbox
) -> None:
    await one_for_the_requester(client, city)
    await db.execute("UPDATE notifications SET email_leased_until = now() + interval '5 minutes'")
    assert (await send(sessions, mailbox)).sent == 0
    # A worker that died mid-send leaves its lease to run out; then another takes over.
    assert (await send(sessions, mailbox, utcnow() + timedelta(minutes=6))).sent == 1


# -- before the migration ---------------------------------------------------------------------


async def test_notifications_from_before_email_existed_are_never_mailed(
    server_url: str, settings: Settings, mailbox: Mailbox
) -> None:
    await recreate_database(server_url, "intake_mail_upgrade")
    url = with_database(server_url, "intake_mail_upgrade")
    await asyncio.to_thread(migrate.upgrade, url, "5b9e2f7c1d84")
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(
            """
            WITH d AS (INSERT INTO departments (id, code, name)
                       VALUES (gen_random_uuid(), 'DOT', 'Transportation') RETURNING id),
                 p AS (INSERT INTO people (id, email, name, department_id, roles)
                       SELECT gen_random_uuid(), 'a@city.example', 'A', id, '{requester}'
                       FROM d RETURNING id, department_id),
                 pr AS (INSERT INTO problems (id, reference, status, department_id,
                                              submitter_id, title)
                        SELECT gen_random_uuid(), 'P-2026-00001', 'triage', department_id, id,
                               'Permits' FROM p RETURNING id),
                 e AS (INSERT INTO problem_events (problem_id, type, from_status, to_status)
                       SELECT id, 'triaged', 'submitted', 'triage' FROM pr RETURNING id)
            INSERT INTO notifications (person_id, event_id, kind)
            SELECT p.id, e.id, 'state_change' FROM p, e
            """
        )
        await asyncio.to_thread(migrate.upgrade, url)
        engine = create_engine(url, settings)
        try:
            done = await send_due(create_sessionmaker(engine), mailbox.settings(), PUBLIC_URL)
        finally:
            await engine.dispose()
        assert (done.sent, done.skipped, done.dropped) == (0, 0, 0)
        assert mailbox.received == []
        assert await connection.fetchval("SELECT email_state FROM notifications") == "skipped"
        # Downgrading drops the mail columns; upgrading again leaves nothing to mail.
        await asyncio.to_thread(migrate.downgrade, url, "5b9e2f7c1d84")
        columns = await connection.fetchval(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name IN ('notifications', 'people') AND column_name LIKE 'email_%'"
        )
        assert columns == 0
        await asyncio.to_thread(migrate.upgrade, url)
        assert await migrate.schema_drift(url) == []
    finally:
        await connection.close()


# -- the preference --------------------------------------------------------------------------


async def test_me_shows_and_changes_the_email_preference(client: Client, city: City) -> None:
    me = (await client.get(ME, headers=city.auth("triager"))).json()
    assert me["email_notifications"] is True
    changed = await set_preference(client, city, "triager", False)
    assert changed == {**me, "email_notifications": False}
    # An empty body changes nothing.
    same = await client.patch(ME, json={}, headers=city.auth("triager"))
    assert same.status_code == 200 and same.json()["email_notifications"] is False
    # Only one's own: the others keep theirs.
    assert (await client.get(ME, headers=city.auth("requester"))).json()["email_notifications"]


@pytest.mark.parametrize(
    "body",
    [
        {"email_notifications": "no"},
        {"email_notifications": None},
        {"roles": ["admin"]},  # nobody makes themselves an admin here
        {"email": "someone.else@city.example"},
    ],
)
async def test_a_bad_preference_body_is_a_422(
    client: Client, city: City, body: dict[str, Any]
) -> None:
    response = await client.patch(ME, json=body, headers=city.auth("requester"))
    assert_problem_json(response, 422)
    me = (await client.get(ME, headers=city.auth("requester"))).json()
    assert (me["roles"], me["email_notifications"]) == (["requester"], True)


async def test_malformed_or_anonymous_preference_changes_are_refused(
    client: Client, city: City
) -> None:
    headers = {**city.auth("requester"), "Content-Type": "application/json"}
    assert_problem_json(await client.patch(ME, content=b"{nope", headers=headers), 400)
    assert_problem_json(await client.patch(ME, json={"email_notifications": False}), 401)


async def test_people_an_admin_registers_get_email(client: Client, city: City) -> None:
    person = {"email": "ana.silva@city.example", "name": "Ana Silva", "department": "DOT"}
    created = await client.post("/api/v1/people", json=person, headers=city.auth("admin"))
    assert created.status_code == 201, created.text
    token = {"Authorization": f"Bearer {city.keys.issue('ana.silva@city.example')}"}
    assert (await client.get(ME, headers=token)).json()["email_notifications"] is True


# -- the settings -------------------------------------------------------------------------------


def test_the_mail_settings() -> None:
    off = Settings.from_env({})
    assert (off.mail, off.mail_seconds, off.public_url) == (None, 10, None)
    on = Settings.from_env(
        {
            "INTAKE_SMTP_URL": "smtp://intake%40city.example:p%40ss%3Aword@mail.city.example",
            "INTAKE_MAIL_FROM": "Intake <intake@city.example>",
            "INTAKE_PUBLIC_URL": "https://intake.city.example/",
            "INTAKE_MAIL_SECONDS": "30",
        }
    )
    assert on.mail == MailSettings(
        host="mail.city.example",
        port=587,
        implicit_tls=False,
        from_address="intake@city.example",
        from_name="Intake",
        username="intake@city.example",
        password="p@ss:word",
    )
    assert "p@ss" not in repr(on)  # never in a log line
    assert (on.public_url, on.mail_seconds) == ("https://intake.city.example", 30)
    tls = Settings.from_env(
        {"INTAKE_SMTP_URL": "SMTPS://mail.city.example", "INTAKE_MAIL_FROM": "intake@city.example"}
    ).mail
    assert tls is not None
    assert (tls.port, tls.implicit_tls, tls.username, tls.from_name) == (465, True, None, "")
    relay = Settings.from_env(
        {"INTAKE_SMTP_URL": "smtp://relay.internal:25", "INTAKE_MAIL_FROM": "intake@city.example"}
    ).mail
    assert relay is not None and (relay.port, relay.server) == (25, "smtp://relay.internal:25")


@pytest.mark.parametrize(
    ("env", "messages"),
    [
        (
            {"INTAKE_SMTP_URL": "smtp://mail.city.example"},
            ["INTAKE_SMTP_URL needs INTAKE_MAIL_FROM, the address mails come from"],
        ),
        (
            {"INTAKE_SMTP_URL": "https://user:s3cret@mail.city.example:99999/x?y=1"},
            [
                "INTAKE_SMTP_URL must start with smtp:// (STARTTLS when the server offers it) "
                "or smtps:// (TLS from the start)",
                "INTAKE_SMTP_URL's port must be a number from 1 to 65535",
                "INTAKE_SMTP_URL takes no path, query or fragment after the port",
            ],
        ),
        (
            {"INTAKE_SMTP_URL": "smtp://:s3cret@", "INTAKE_MAIL_FROM": "intake@city.example"},
            [
                "INTAKE_SMTP_URL names no host (e.g. smtp://mail.city.example:587)",
                "INTAKE_SMTP_URL has a password but no user name",
            ],
        ),
        (
            {"INTAKE_MAIL_FROM": "intake@city.example."},
            ["INTAKE_MAIL_FROM='intake@city.example.' is not an e-mail address"],
        ),
        (
            {"INTAKE_MAIL_FROM": "Intake\r <intake@city.example>"},
            ["INTAKE_MAIL_FROM='Intake\\r <intake@city.example>' is not an e-mail address"],
        ),
        (
            {"INTAKE_MAIL_FROM": "the intake robot"},
            [
                "INTAKE_MAIL_FROM='the intake robot' is not an e-mail address "
                "(e.g. intake@city.example or Intake <intake@city.example>)"
            ],
        ),
        (
            {"INTAKE_PUBLIC_URL": "intake.city.example", "INTAKE_MAIL_SECONDS": "-1"},
            [
                "INTAKE_PUBLIC_URL='intake.city.example' must be an http(s) URL, "
                "e.g. https://intake.city.example",
                "INTAKE_MAIL_SECONDS=-1 must be between 0 and 3600",
            ],
        ),
    ],
)
def test_bad_mail_settings_are_all_named_and_no_password_shown(
    env: dict[str, str], messages: list[str]
) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    for message in messages:
        assert message in str(error.value)
    assert "s3cret" not in str(error.value)


# -- the background worker and the CLI ----------------------------------------------------------


async def test_the_app_mails_in_the_background(
    city: City, settings: Settings, database_url: str, mailbox: Mailbox
) -> None:
    app = create_app(replace(settings, mail=mailbox.settings(), mail_seconds=1), database_url)
    async with AsyncTestClient(app=app) as client:
        problem = await submitted(client, city)
        assert (await act(client, city, problem, "triage")).status_code == 200
        await mailbox.arrived(within=PATIENCE)
    (mail,) = mailbox.to("requester")
    assert mail.message["Subject"].endswith("from submitted to triage")


async def test_without_an_smtp_url_nothing_is_mailed_and_what_waits_a_day_is_dropped(
    city: City, settings: Settings, database_url: str, db: asyncpg.Connection
) -> None:
    app = create_app(replace(settings, mail_seconds=1), database_url)  # no INTAKE_SMTP_URL
    async with AsyncTestClient(app=app) as client:
        problem = await submitted(client, city)
        assert (await act(client, city, problem, "triage")).status_code == 200
        assert (
            await act(client, city, problem, "request-info", body={"questions": "How many a year?"})
        ).status_code == 200
        waiting = [row["id"] for row in await db.fetch("SELECT id FROM notifications ORDER BY id")]
        assert len(waiting) == 2
        # A day old one after the other: the second waits, due, through the whole pass that
        # drops the first (passes run one at a time), and the next pass drops it.
        for notification in waiting:
            await db.execute(
                "UPDATE notifications SET created_at = now() - interval '25 hours' WHERE id = $1",
                notification,
            )

            async def dropped(notification: int = notification) -> bool:
                state = "SELECT email_state FROM notifications WHERE id = $1"
                return await db.fetchval(state, notification) == "dropped"

            await until(dropped, "a background pass to drop what waited a day")
        rows = await db.fetch(
            "SELECT email_state, email_attempts, emailed_at FROM notifications ORDER BY id"
        )
    # Only what is still pending is dropped: nothing was mailed, nor tried.
    assert [tuple(row) for row in rows] == [("dropped", 0, None), ("dropped", 0, None)]


def _cli_env(settings: Settings, database_url: str, **mail: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env["INTAKE_DATABASE_URL"] = database_url
    env["INTAKE_DATA_DIR"] = str(settings.data_dir)
    return {**env, **mail}


async def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(intake, "mail", *args, env=env)


async def test_cli_mail_send_runs_one_pass_and_mail_test_sends_one(
    client: Client, city: City, settings: Settings, database_url: str, mailbox: Mailbox
) -> None:
    await one_for_the_requester(client, city)
    env = _cli_env(
        settings,
        database_url,
        INTAKE_SMTP_URL=f"smtp://127.0.0.1:{mailbox.port}",
        INTAKE_MAIL_FROM="Intake <intake@city.example>",
    )

    first = await _cli(env, "send")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (
        "Sent 1 mail; 0 attempts failed; 0 skipped (read, e-mail off or no longer visible); "
        "0 too old to send."
    )
    assert len(mailbox.to("requester")) == 1
    again = await _cli(env, "send")
    assert again.stdout.startswith("Sent 0 mails;")

    checked = await _cli(env, "test", "ops@city.example")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == (
        f"Sent a test mail to ops@city.example through smtp://127.0.0.1:{mailbox.port}."
    )
    test_mail = mailbox.received[-1]
    assert (test_mail.rcpt_tos, test_mail.message["Subject"]) == (
        ["ops@city.example"],
        "Intake test mail",
    )

    mailbox.refuse["*"] = "550 5.7.1 Relaying denied"
    refused = await _cli(env, "test", "someone@elsewhere.example")
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"error: no mail sent through smtp://127.0.0.1:{mailbox.port}: "
        "SMTP 550: 5.7.1 Relaying denied"
    )


async def test_cli_mail_needs_an_smtp_url(settings: Settings, database_url: str) -> None:
    result = await _cli(_cli_env(settings, database_url), "send")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: E-mail is off: set INTAKE_SMTP_URL and INTAKE_MAIL_FROM."
    )
