"""The `intake` command: serve, db upgrade|downgrade|check|revision|backup|restore, demo,
departments add, people add, token, service-accounts, sla sweep|recompute, similar
backfill|recompute, webhooks deliver, mail send|test."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import shutil
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import Any, TextIO, TypeVar

import msgspec
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake import __version__
from intake.composition import create_sessionmaker
from intake.config import MailSettings, Settings
from intake.db import migrate
from intake.db.embedded import EmbeddedPostgres
from intake.db.runtime import database_url, owned_database
from intake.db.session import create_engine
from intake.lib.errors import ConfigError, IntakeError, retryable

T = TypeVar("T")

TOUR_LOGINS = (
    "requester@city.example",
    "triager@city.example",
    "leader@city.example",
    "admin@city.example",
)


@contextlib.asynccontextmanager
async def _sessions(
    settings: Settings, url: str
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the database for one command; its connections are closed afterwards."""
    engine = create_engine(url, settings)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


def _in_session(settings: Settings, url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction: committed when it returns, rolled back if it raises."""

    async def run() -> T:
        async with _sessions(settings, url) as sessions, sessions() as session, session.begin():
            return await work(session)

    return asyncio.run(run())


def _seed(settings: Settings, url: str) -> bool:
    from intake.demo.seed import seed_demo_city

    return _in_session(settings, url, seed_demo_city)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    with owned_database(settings) as (url, embedded):
        print("Applying migrations...", flush=True)
        migrate.upgrade(url)
        if settings.seed_demo and _seed(settings, url):
            print("Seeded the demo city (departments, people, teams and problems).", flush=True)
        print(_banner(settings), flush=True)
        # uvicorn re-raises SIGINT/SIGTERM once it has shut down; turn both into
        # KeyboardInterrupt so the embedded database is stopped on the way out.
        signal.signal(signal.SIGTERM, _interrupt)
        with contextlib.suppress(KeyboardInterrupt):
            _serve(settings, url, embedded)
    print("Intake stopped.", flush=True)
    return 0


def _banner(settings: Settings) -> str:
    base = f"http://{settings.host}:{settings.port}"
    lines = [f"\nIntake is serving on {base}", f"  API docs:    {base}/schema"]
    if settings.oidc is None:
        lines += [
            f"  Get a token: INTAKE_DATA_DIR={shlex.quote(str(settings.data_dir))} "
            f"{_command_name()} token {TOUR_LOGINS[0]} | tail -1",
            f"  Demo logins: {', '.join(TOUR_LOGINS)}",
        ]
    else:
        lines.append(f"  Tokens come from the identity provider ({settings.oidc.issuer}).")
    if settings.mail is not None:  # the server only: the URL may hold a password
        lines.append(f"  E-mail:      notifications are mailed through {settings.mail.server}")
    lines.append("  Stop with Ctrl-C.\n")
    return "\n".join(lines)


def _command_name() -> str:
    """How the person who started us can run `intake` again, e.g. `.venv/bin/intake`."""
    program = Path(sys.argv[0])
    if program.name != "intake":
        return f"{sys.executable} -m intake"
    if shutil.which("intake") == str(program.resolve()):
        return "intake"
    try:
        return str(program.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(program)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _serve(settings: Settings, url: str, embedded: EmbeddedPostgres | None) -> None:
    """uvicorn, with the timeouts for slow and idle clients. The embedded database this
    process started (``embedded``) is watched and restarted by the app should it die."""
    import uvicorn

    from intake.app import create_app
    from intake.lib import logs
    from intake.web.timeouts import uvicorn_options

    # Intake's handler for every logger; uvicorn's access lines give way to Intake's own.
    # With one process, after the app is built: building it sets up Litestar's logging.
    if settings.workers > 1:
        logs.configure(settings.log_format, settings.log_level)
        uvicorn.run(
            "intake.asgi:create",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            **logs.UVICORN_OPTIONS,
            # Each worker process reads its settings from the environment again.
            http="intake.asgi:HTTPProtocol",
            timeout_keep_alive=settings.keepalive_timeout_seconds,
        )
    else:
        app = create_app(settings, url, embedded=embedded)
        logs.configure(settings.log_format, settings.log_level)
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            **logs.UVICORN_OPTIONS,
            **uvicorn_options(settings),
        )


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    if args.db_command in ("backup", "restore"):
        return cmd_db_backup_or_restore(settings, args)
    with database_url(settings) as url:
        if args.db_command == "revision":
            return cmd_db_revision(url, args.message)
        if args.db_command == "upgrade":
            migrate.upgrade(url, args.revision)
            print(f"Database at {asyncio.run(migrate.current_revision(url))}.")
        elif args.db_command == "downgrade":
            migrate.downgrade(url, args.revision)
            print(f"Database at {asyncio.run(migrate.current_revision(url))}.")
        else:
            current = asyncio.run(migrate.current_revision(url))
            head = migrate.head_revision()
            if current != head:
                print(f"Database at {current}, expected {head}: run `intake db upgrade`.")
                return 1
            drift = asyncio.run(migrate.schema_drift(url))
            if drift:
                print("Database schema differs from the models:")
                for item in drift:
                    print(f"  {item}")
                return 1
            print(f"Database at {head}; schema matches the models.")
    return 0


def cmd_db_backup_or_restore(settings: Settings, args: argparse.Namespace) -> int:
    from intake.db import backup

    file = Path(args.file).resolve()
    with database_url(settings) as url:
        database = make_url(url).database
        programs = backup.client_programs(asyncio.run(backup.server_major_version(url)))
        if args.db_command == "backup":
            held = backup.backup(url, file, programs)
            size = file.stat().st_size
            print(f"Backed up {database} ({held.describe()}) to {file} ({size:,} bytes).")
            return 0
        restored = backup.restore(url, file, programs, force=args.force)
    print(f"Restored {file} into {database} ({restored.contents.describe()}).")
    if restored.behind_head:
        print("The backup predates this release's schema: run `intake db upgrade` next.")
    if restored.feed_ahead:
        print(
            "The backup comes from another PostgreSQL server: renumber the event feed before "
            "the API serves (docs/integration.md, section 6, and 7.7 for webhooks)."
        )
    return 0


def cmd_db_revision(url: str, message: str) -> int:
    from alembic.util import CommandError

    if not migrate.IN_CHECKOUT:
        print(
            "error: `intake db revision` writes a migration into a checkout's migrations/; "
            f"this Intake is installed, with its release's migrations in {migrate.ROOT}.",
            file=sys.stderr,
        )
        return 1
    try:
        path = migrate.new_revision(url, message)
    except CommandError as error:
        behind = "not up to date" in str(error)
        print(
            f"error: {error}" + ("; run `intake db upgrade` first." if behind else ""),
            file=sys.stderr,
        )
        return 1
    print(f"Wrote {path.relative_to(migrate.ROOT)}: read it and fix what autogenerate misses.")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    if args.problems is None:
        if args.append:
            print("error: --append goes with --problems N.", file=sys.stderr)
            return 2
        with database_url(settings) as url:
            migrate.upgrade(url)
            if _seed(settings, url):
                print("Seeded the demo city.")
            else:
                print("The demo city is already there (a DTI department exists); nothing to do.")
        return 0
    return _generate_demo(settings, args)


def _generate_demo(settings: Settings, args: argparse.Namespace) -> int:
    """``intake demo --problems N``: a generated city of N problems with their history."""
    from intake.demo.generate import Progress, existing_problems, generate

    with database_url(settings) as url:
        migrate.upgrade(url)
        existing = asyncio.run(existing_problems(url))
        if existing and not args.append:
            print(
                f"error: the database already holds {existing:,} problem"
                f"{'' if existing == 1 else 's'}; `intake demo --problems N` fills an empty "
                f"database. Add --append to add {args.problems:,} more to this city, or start "
                "from an empty database.",
                file=sys.stderr,
            )
            return 1
        seed = args.seed if args.seed is not None else 2026 + existing
        print(
            f"Generating {args.problems:,} problems with their history (seed {seed})...",
            file=sys.stderr,
            flush=True,
        )
        result = asyncio.run(generate(url, args.problems, seed=seed, progress=Progress()))
        # Their similar problems are searched on first read; the searches need their terms.
        asyncio.run(weigh_terms(settings, url))
    records = ", ".join(
        f"{count:,} {table.replace('_', ' ')}" for table, count in result.records.items()
    )
    print(
        f"Added {result.problems:,} problems and {result.events:,} history events "
        f"({result.events / max(result.problems, 1):.1f} per problem) in {result.seconds:.0f} s; "
        f"{records}; {result.timeline_rows:,} portfolio timeline rows."
    )
    print(f"Demo logins: {', '.join(TOUR_LOGINS)}")
    return 0


def _problem_count(value: str) -> int:
    try:
        number = int(value.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= number <= 5_000_000:
        raise argparse.ArgumentTypeError("give between 1 and 5,000,000 problems")
    return number


def cmd_people_add(settings: Settings, args: argparse.Namespace) -> int:
    from intake.registry import schemas
    from intake.registry import service as registry

    data = msgspec.convert(
        {
            "email": args.email,
            "name": args.name,
            "department": args.department,
            "roles": args.role or ["requester"],
        },
        schemas.PersonCreate,
    )

    async def add(session: AsyncSession) -> Any:
        return registry.person_out(await registry.create_person(session, data))

    with database_url(settings) as url:
        person = _in_session(settings, url, add)
    roles = ", ".join(person.roles)
    print(f"Added {person.name} <{person.email}> ({person.department.code}; {roles}).")
    return 0


def cmd_departments_add(settings: Settings, args: argparse.Namespace) -> int:
    from intake.registry import schemas
    from intake.registry import service as registry

    data = msgspec.convert({"code": args.code, "name": args.name}, schemas.DepartmentCreate)

    async def add(session: AsyncSession) -> Any:
        return registry.department_out(await registry.create_department(session, data))

    with database_url(settings) as url:
        department = _in_session(settings, url, add)
    print(f"Added department {department.code} ({department.name}).")
    return 0


def cmd_token(settings: Settings, args: argparse.Namespace) -> int:
    from intake.registry import service as registry
    from intake.web.auth import LocalKeys

    if settings.oidc is not None:
        print("error: tokens come from the identity provider in OIDC mode.", file=sys.stderr)
        return 1
    if problem := _not_a_data_folder(settings):
        print(f"error: {problem}", file=sys.stderr)
        return 1

    async def find(session: AsyncSession) -> Any:
        return await registry.person_by_email(session, args.email)

    with database_url(settings) as url:
        if asyncio.run(migrate.current_revision(url)) is None:
            print(
                f"error: the database of {settings.data_dir.resolve()} has no Intake tables yet; "
                "run `intake serve` or `intake db upgrade` first.",
                file=sys.stderr,
            )
            return 1
        person = _in_session(settings, url, find)
    if person is None:
        print(
            f"error: no person with e-mail {args.email}; add them with `intake people add`.",
            file=sys.stderr,
        )
        return 1
    if not person.active:
        print(f"error: {person.email} is deactivated.", file=sys.stderr)
        return 1
    from datetime import timedelta

    token = LocalKeys(settings.data_dir, timedelta(minutes=settings.token_ttl_minutes)).issue(
        person.email
    )
    minutes = settings.token_ttl_minutes
    print(f"Bearer token for {person.name} <{person.email}>, valid for {minutes} minutes:")
    print(token)
    return 0


def cmd_service_accounts(settings: Settings, args: argparse.Namespace) -> int:
    """Create, list, rotate and revoke service accounts, as an admin does over the API."""
    from intake.accounts import schemas
    from intake.accounts import service as accounts

    command = args.service_accounts_command
    if command == "create":
        data = msgspec.convert(
            {
                "name": args.name,
                "description": args.description,
                "scopes": args.scope,
                "department": args.department,
                "expires_in_days": args.days,
            },
            schemas.ServiceAccountCreate,
        )
    if command == "rotate" and not 1 <= args.days <= 366:
        print("error: --days must be between 1 and 366", file=sys.stderr)
        return 1

    async def work(session: AsyncSession) -> Any:
        if command == "create":
            return await accounts.create_account(session, data)
        if command == "list":
            rows, _ = await accounts.list_accounts(session, cursor=None, limit=10_000)
            return rows
        row = await accounts.account_by_name(session, args.name)
        if command == "rotate":
            return await accounts.rotate(session, row, args.days)
        return await accounts.revoke(session, row)

    with database_url(settings) as url:
        result = _in_session(settings, url, work)
    if command == "list":
        for account in result:
            live = [t for t in account.tokens if t.revoked_at is None]
            scope = account.department.code if account.department else "city"
            expiry = min((t.expires_at for t in live), default=None)
            used = max((t.last_used_at for t in live if t.last_used_at), default=None)
            print(
                f"{account.name}\t{','.join(account.scopes)}\t{scope}\t"
                f"{len(live)} live token(s)\texpires {expiry or '-'}\tlast used {used or '-'}"
            )
        return 0
    if command == "revoke":
        print(f"Revoked every token of {result.name}.")
        return 0
    print(f"Service account {result.account.name}: {', '.join(result.account.scopes)}.")
    print(f"Token (shown once; it expires {result.expires_at:%Y-%m-%d %H:%M} UTC):")
    print(result.token)
    return 0


def _not_a_data_folder(settings: Settings) -> str | None:
    """Why INTAKE_DATA_DIR is not the data folder of a server a token could be for, if it
    is not: a token signed with a key made up here would be refused by every server, so
    `intake token` creates no folder, key or database to get one."""
    from intake.db.embedded import holds_cluster

    folder = settings.data_dir.resolve()
    hint = "run it where `intake serve` runs, or set INTAKE_DATA_DIR to that server's folder"
    if not folder.is_dir():
        return f"no data folder at {folder} (INTAKE_DATA_DIR); {hint}."
    if settings.database_url is None and not holds_cluster(folder):
        return f"{folder} (INTAKE_DATA_DIR) holds no Intake database; {hint}."
    return None


def cmd_sla(settings: Settings, args: argparse.Namespace) -> int:
    if args.sla_command == "recompute":
        return cmd_sla_recompute(settings)
    return cmd_sla_sweep(settings)


def cmd_sla_sweep(settings: Settings) -> int:
    """Record SLA breaches (and forget expired Idempotency-Keys) once, for cron where
    INTAKE_SLA_SWEEP_SECONDS=0: the same sweep each API process runs in the background."""
    from intake.triage.sla import breaches

    async def sweep(url: str) -> int:
        async with _sessions(settings, url) as sessions:
            return await breaches.sweep(sessions)

    with database_url(settings) as url:
        count = asyncio.run(sweep(url))
    print(f"Recorded {count} SLA breach{'' if count == 1 else 'es'}.")
    return 0


def cmd_sla_recompute(settings: Settings) -> int:
    """Recompute every open problem's due times from its history, as saving the SLA
    settings does: for databases whose stored due times predate a change of the rules."""
    from intake.triage.sla import clocks

    with database_url(settings) as url:
        checked, changed = _in_session(settings, url, clocks.recompute_open)
    print(f"Checked the due times of {checked} open problems; {changed} changed.")
    return 0


def cmd_problems(settings: Settings, args: argparse.Namespace) -> int:
    """``problems reframe``: store every problem's framing hints with the current rules."""
    from intake.problems import service as problems

    async def reframe(url: str) -> int:
        done = 0
        async with _sessions(settings, url) as sessions:
            while True:
                async with sessions() as session, session.begin():
                    count = await problems.reframe_batch(session, args.batch)
                if not count:
                    return done
                done += count

    with database_url(settings) as url:
        done = asyncio.run(reframe(url))
    print(f"Stored the framing hints of {done} problem{'' if done == 1 else 's'}.")
    return 0


def cmd_webhooks_deliver(settings: Settings, args: argparse.Namespace) -> int:
    """Deliver the webhooks that are due once, for cron where INTAKE_WEBHOOK_SECONDS=0: the
    same pass each API process runs in the background."""
    from intake.webhooks import delivery

    async def deliver(url: str) -> delivery.DeliveryPass:
        async with _sessions(settings, url) as sessions, delivery.webhook_client() as client:
            return await delivery.deliver_due(sessions, client)

    with database_url(settings) as url:
        done = asyncio.run(deliver(url))
    print(
        f"Delivered {done.delivered} event{'' if done.delivered == 1 else 's'}; "
        f"{done.failed} attempt{'' if done.failed == 1 else 's'} failed"
        + (f"; turned off {done.turned_off} subscription(s)" if done.turned_off else "")
        + "."
    )
    return 0


def cmd_mail(settings: Settings, args: argparse.Namespace) -> int:
    if settings.mail is None:
        raise ConfigError("E-mail is off: set INTAKE_SMTP_URL and INTAKE_MAIL_FROM.")
    if args.mail_command == "test":
        return cmd_mail_test(settings.mail, args.address)
    return cmd_mail_send(settings, settings.mail)


def cmd_mail_send(settings: Settings, mail: MailSettings) -> int:
    """Mail the notifications that are due once, for cron where INTAKE_MAIL_SECONDS=0: the
    same pass each API process runs in the background."""
    from intake.mail import delivery

    async def send(url: str) -> delivery.MailPass:
        async with _sessions(settings, url) as sessions:
            return await delivery.send_due(sessions, mail, settings.public_url)

    with database_url(settings) as url:
        done = asyncio.run(send(url))
    print(
        f"Sent {done.sent} mail{'' if done.sent == 1 else 's'}; "
        f"{done.failed} attempt{'' if done.failed == 1 else 's'} failed"
        + (f" ({done.gave_up} given up)" if done.gave_up else "")
        + f"; {done.skipped} skipped (read, e-mail off or no longer visible); "
        f"{done.dropped} too old to send."
    )
    return 0


def cmd_mail_test(mail: MailSettings, address: str) -> int:
    """Send one mail to ``address`` through the configured server: is the setting right?"""
    from intake.lib.clock import utcnow
    from intake.mail import smtp
    from intake.mail.message import check_mail

    async def send() -> smtp.Failure | None:
        try:
            message = check_mail(mail, address, utcnow())
            async with smtp.connection(mail) as client:
                await client.send_message(message)
        except Exception as error:
            return smtp.failure(error)
        return None

    failed = asyncio.run(send())
    if failed is not None:
        print(f"error: no mail sent through {mail.server}: {failed.reason}", file=sys.stderr)
        return 1
    print(f"Sent a test mail to {address} through {mail.server}.")
    return 0


# Problems per transaction: each holds its rows for about a second at most, so a submit
# that touches the same lists never waits long.
BACKFILL_BATCH = 50


@dataclass(frozen=True)
class Backfill:
    filled: int
    seconds: float


async def _weigh_terms(
    sessions: async_sessionmaker[AsyncSession], total: int, batch: int, stream: TextIO | None
) -> None:
    """Store and count every submitted problem's terms that are missing, then weigh every
    problem's (once all are counted), in batches with progress: what a search compares."""
    from intake.demo.generate import Progress
    from intake.triage import similar

    progress = Progress(stream)
    for stage, work in (("terms", similar.store_terms), ("weights", similar.store_norms)):
        progress.stage(stage, total)
        done, after = 0, None
        while True:
            async with sessions() as session, session.begin():
                ids = await similar.next_submitted(session, after, batch)
                await work(session, ids)
            if not ids:
                break
            done, after = done + len(ids), ids[-1]
            progress.update(done)


async def weigh_terms(
    settings: Settings, url: str, batch: int = BACKFILL_BATCH, stream: TextIO | None = None
) -> bool:
    """Store, count and weigh the terms of submitted problems that have none (loaded by the
    demo generator, or from before terms were stored), so that searches find them; False
    when there were none."""
    from intake.triage import similar

    async with _sessions(settings, url) as sessions:
        async with sessions() as session:
            if not await similar.count_without_terms(session):
                return False
            total = await similar.count_submitted(session)
        await _weigh_terms(sessions, total, batch, stream)
        async with sessions() as session, session.begin():
            if await similar.recorded_dictionary(session) is None:
                await similar.record_dictionary(session)
    return True


async def backfill_similar(
    settings: Settings, url: str, batch: int = BACKFILL_BATCH, stream: TextIO | None = None
) -> Backfill:
    """Store the similar problems of every submitted problem that has none, in batches of
    ``batch`` (one transaction each), with progress on ``stream`` (stderr by default).

    Safe beside running API processes: a problem a request has just filled is skipped, and a
    batch PostgreSQL rolls back to break a deadlock with a request is run again.
    """
    from sqlalchemy.exc import DBAPIError

    from intake.demo.generate import Progress
    from intake.triage import similar

    async def fill_batch(
        sessions: async_sessionmaker[AsyncSession], after: uuid.UUID | None
    ) -> tuple[list[uuid.UUID], int]:
        async with sessions() as session, session.begin():
            ids = await similar.next_unfilled(session, after, batch)
            return ids, sum([await similar.fill(session, problem_id) for problem_id in ids])

    started = monotonic()
    await weigh_terms(settings, url, batch, stream)  # what the searches compare
    progress = Progress(stream)
    filled, after = 0, None
    async with _sessions(settings, url) as sessions:
        async with sessions() as session:
            progress.stage("similar", await similar.count_unfilled(session))
        while True:
            for attempt in range(3):
                try:
                    ids, count = await fill_batch(sessions, after)
                    break
                except DBAPIError as error:
                    if not retryable(error) or attempt == 2:
                        raise
            if not ids:
                break
            filled, after = filled + count, ids[-1]
            progress.update(filled)
    await embed_meanings(settings, url, stream)
    seconds = monotonic() - started
    progress.done(f"Stored the similar problems of {filled:,} problems in {seconds:.0f} s.")
    return Backfill(filled, seconds)


async def embed_meanings(settings: Settings, url: str, stream: TextIO | None = None) -> int:
    """Embed every problem whose meaning is due and store its matches by meaning and terms
    (what the app's meaning worker does), with progress; the number embedded here."""
    from intake.demo.generate import Progress
    from intake.triage import meanings

    progress = Progress(stream)
    matrix, done = meanings.Matrix(), 0
    async with _sessions(settings, url) as sessions:
        async with sessions() as session:
            progress.stage("meaning", await meanings.count_due(session))
        while True:
            result = await meanings.embed_due(sessions, matrix)
            done += result.embedded
            progress.update(done)
            if result.embedded:
                continue
            if result.failed:
                raise IntakeError(
                    f"{result.failed} problem(s) could not be embedded (see the log): they stay due"
                )
            async with sessions() as session:
                if not await meanings.count_due(session):
                    return done
            await asyncio.sleep(0.5)  # an app's worker holds the lock: it is doing them


@dataclass(frozen=True)
class Recompute:
    recomputed: bool  # False: the stored matches were built with this dictionary already
    filled: int
    seconds: float


async def recompute_similar(
    settings: Settings,
    url: str,
    batch: int = BACKFILL_BATCH,
    stream: TextIO | None = None,
    force: bool = False,
) -> Recompute:
    """Compute every submitted problem's terms, weights and similar problems again, when the
    stored ones were built with another dictionary (or ``force``), with progress on ``stream``.

    Three passes in batches: every problem's terms and their counts, then each problem's
    weights (once all are counted), then the matches (all dropped first, then filled as the
    backfill fills them). Until the last pass readers see the matches as they were; during it
    a problem not reached yet is searched on its first read. The new dictionary is recorded
    when all is done.
    """
    from intake.triage import meaning, similar
    from intake.triage.words import dictionary_hash

    started = monotonic()
    async with _sessions(settings, url) as sessions:
        async with sessions() as session:
            recorded = await similar.recorded_dictionary(session)
            total = await similar.count_submitted(session)
        if recorded == dictionary_hash() and not force:
            return Recompute(False, 0, monotonic() - started)
        # The last pass embeds with the model: without it, stop before anything is dropped.
        try:
            await asyncio.to_thread(meaning.encoder)
        except meaning.ModelUnavailable as error:
            raise meaning.ModelUnavailable(f"{error} (nothing was changed)") from error
        async with sessions() as session, session.begin():
            await similar.forget_terms(session)
        await _weigh_terms(sessions, total, batch, stream)
        async with sessions() as session, session.begin():
            await similar.forget_matches(session)
    filled = await backfill_similar(settings, url, batch, stream)
    async with _sessions(settings, url) as sessions, sessions() as session, session.begin():
        await similar.record_dictionary(session)
    return Recompute(True, filled.filled, monotonic() - started)


def cmd_similar_recompute(settings: Settings, args: argparse.Namespace) -> int:
    """Store every problem's similar problems again when the dictionary changed."""
    with database_url(settings) as url:
        result = asyncio.run(recompute_similar(settings, url, args.batch, force=args.force))
    if not result.recomputed:
        print(
            "The stored similar problems were built with this dictionary already: nothing to "
            "do (--force recomputes them anyway)."
        )
        return 0
    print(
        f"Recomputed {result.filled:,} problem{'' if result.filled == 1 else 's'} "
        f"in {result.seconds:.1f} s."
    )
    return 0


def cmd_similar(settings: Settings, args: argparse.Namespace) -> int:
    if args.similar_command == "recompute":
        return cmd_similar_recompute(settings, args)
    return cmd_similar_backfill(settings, args)


def cmd_similar_backfill(settings: Settings, args: argparse.Namespace) -> int:
    """Fill the stored similar problems of problems submitted before they were stored."""
    with database_url(settings) as url:
        result = asyncio.run(backfill_similar(settings, url, args.batch))
    print(
        f"Filled {result.filled:,} problem{'' if result.filled == 1 else 's'} "
        f"in {result.seconds:.1f} s."
    )
    return 0


def _batch_size(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 10_000:
        raise argparse.ArgumentTypeError("give between 1 and 10,000 problems per batch")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intake", description=__doc__)
    parser.add_argument("--version", action="version", version=f"intake {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("serve", help="start the database if embedded, migrate, seed and serve")

    db = commands.add_parser("db", help="migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply migrations (default: to head)")
    upgrade.add_argument("revision", nargs="?", default="head")
    downgrade = db_commands.add_parser("downgrade", help="revert migrations, e.g. -1 or base")
    downgrade.add_argument("revision")
    db_commands.add_parser("check", help="exit 1 unless at head and matching the models")
    revision = db_commands.add_parser(
        "revision",
        help="write a new migration, autogenerated from the models",
        description="Compare the models with the database (which must be at head) and write "
        "the difference as migrations/versions/YYYY-MM-DD_<slug>_<rev>.py, to read and fix "
        "(autogenerate misses triggers and functions).",
    )
    revision.add_argument("-m", "--message", required=True, help='what it does, e.g. "add labels"')
    backup = db_commands.add_parser(
        "backup",
        help="write the whole database to FILE (pg_dump custom format)",
        description="Dump the database (embedded or INTAKE_DATABASE_URL) with pg_dump -Fc, "
        "using the PostgreSQL programs that match the server's version.",
    )
    backup.add_argument("file", metavar="FILE")
    restore = db_commands.add_parser(
        "restore",
        help="replace the database with a backup from `intake db backup`",
        description="Replace everything in the database with FILE, in one transaction. "
        "Refused if the database holds any rows (unless --force) or if FILE comes from a "
        "newer schema than this release knows; after restoring an older one, run "
        "`intake db upgrade`.",
    )
    restore.add_argument("file", metavar="FILE")
    restore.add_argument("--force", action="store_true", help="replace a database that holds rows")

    demo = commands.add_parser(
        "demo",
        help="seed the demo city (skipped if already seeded), or generate one of any size",
        description="Without --problems: seed the small hand-written demo city (skipped if a "
        "DTI department exists). With --problems N: generate a realistic city of N problems "
        "with about eleven history events each (every state, SLA clocks, discovery, delivery, "
        "outcomes), with progress on stderr; refused if the database already holds problems, "
        "unless --append.",
    )
    demo.add_argument(
        "--problems", type=_problem_count, metavar="N", help="generate N problems, e.g. 100000"
    )
    demo.add_argument(
        "--append", action="store_true", help="add the N problems to a city that has problems"
    )
    demo.add_argument(
        "--seed", type=int, help="random seed (default: 2026 + problems already there)"
    )

    people = commands.add_parser("people", help="manage people")
    people_commands = people.add_subparsers(dest="people_command", required=True)
    add = people_commands.add_parser("add", help="register a person")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--department", required=True, help="department code, e.g. DOT")
    add.add_argument(
        "--role",
        action="append",
        choices=["requester", "triager", "team_member", "leadership", "admin"],
        help="repeat for several roles (default: requester)",
    )

    departments = commands.add_parser("departments", help="manage departments")
    department_commands = departments.add_subparsers(dest="departments_command", required=True)
    add_department = department_commands.add_parser("add", help="register a department")
    add_department.add_argument("--code", required=True, help="short upper-case code, e.g. DOT")
    add_department.add_argument("--name", required=True)

    token = commands.add_parser("token", help="print a bearer token for a registered person")
    token.add_argument("email")

    service = commands.add_parser(
        "service-accounts", help="service accounts for integrations, and their tokens"
    )
    service_commands = service.add_subparsers(dest="service_accounts_command", required=True)
    create = service_commands.add_parser(
        "create", help="create a service account and print its first token (shown once)"
    )
    create.add_argument("name")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        choices=["feed:read", "portfolio:read", "problems:read", "webhooks:manage"],
        help="repeat for several scopes",
    )
    create.add_argument("--department", help="only this department's problems, e.g. DOT")
    create.add_argument("--description", default="")
    create.add_argument("--days", type=int, default=90, help="days until the token expires")
    service_commands.add_parser("list", help="list service accounts and their tokens")
    rotate = service_commands.add_parser(
        "rotate", help="print a new token (shown once); the earlier ones stop working"
    )
    rotate.add_argument("name")
    rotate.add_argument("--days", type=int, default=90, help="days until the token expires")
    revoke = service_commands.add_parser("revoke", help="revoke every token of an account")
    revoke.add_argument("name")

    sla = commands.add_parser("sla", help="SLA clocks")
    sla_commands = sla.add_subparsers(dest="sla_command", required=True)
    sla_commands.add_parser(
        "sweep", help="record overdue SLA clocks once and notify watchers (for cron)"
    )
    sla_commands.add_parser(
        "recompute",
        help="recompute every open problem's due times from its history",
        description="Recompute the first response and decision due times of every problem "
        "in submitted, triage or needs_info from its history and the current SLA settings, "
        "as saving the settings does; each problem whose due times move gets an "
        "sla_recomputed history event. Run it once after an upgrade that changes how due "
        "times are kept (see docs/deployment.md).",
    )

    similar = commands.add_parser("similar", help="similar problems")
    similar_commands = similar.add_subparsers(dest="similar_command", required=True)
    backfill = similar_commands.add_parser(
        "backfill",
        help="store the similar problems of every submitted problem that has none yet",
        description="Search and store the similar problems of every submitted problem that "
        "has none stored (problems from before Intake stored them), in batches, with "
        "progress on stderr. Safe to run while the API serves, and to run again: it only "
        "does what is left. Problems it has not reached yet are filled on their first read.",
    )
    recompute = similar_commands.add_parser(
        "recompute",
        help="compute every problem's similar problems again after a dictionary change",
        description="When the stored similar problems were built with another dictionary "
        "(intake/triage/thesaurus/, the English word frequencies, the rules for terms), "
        "compute every submitted problem's terms, weights and matches again, in batches, "
        "with progress on stderr. Safe while the API serves: a problem not reached yet is "
        "searched on its first read.",
    )
    recompute.add_argument(
        "--force", action="store_true", help="recompute even if the dictionary is the same"
    )
    problems = commands.add_parser("problems", help="problem records")
    problem_commands = problems.add_subparsers(dest="problems_command", required=True)
    reframe = problem_commands.add_parser(
        "reframe",
        help="store every problem's framing hints again after the rules changed",
        description="Problems keep the framing hints computed on their last write, with the "
        "version of the rules (intake/problems/framing.py). After an upgrade that changes "
        "the rules, reads compute a problem's hints until this stores them again, in "
        "batches. Safe while the API serves, and to run again: it only does what is left.",
    )
    for command in (backfill, recompute, reframe):
        command.add_argument(
            "--batch",
            type=_batch_size,
            default=BACKFILL_BATCH,
            metavar="N",
            help=f"problems per transaction (default {BACKFILL_BATCH})",
        )
    webhooks = commands.add_parser("webhooks", help="webhook deliveries")
    webhook_commands = webhooks.add_subparsers(dest="webhooks_command", required=True)
    webhook_commands.add_parser(
        "deliver",
        help="deliver the webhooks that are due once (for cron, or to catch up by hand)",
        description="Send every subscription's due events, in order, until each has caught "
        "up with the feed or an attempt fails (it is retried later), as each API process "
        "does every INTAKE_WEBHOOK_SECONDS. Safe beside running API processes.",
    )
    mail = commands.add_parser("mail", help="e-mail notifications")
    mail_commands = mail.add_subparsers(dest="mail_command", required=True)
    mail_commands.add_parser(
        "send",
        help="mail the notifications that are due once (for cron, or to catch up by hand)",
        description="Mail every notification that is due, once, as each API process does "
        "every INTAKE_MAIL_SECONDS: unread, visible to its reader, whose reader wants e-mail, "
        "and at most 24 hours old (older ones are dropped, never mailed). Failed attempts are "
        "retried by later passes. Safe beside running API processes. Needs INTAKE_SMTP_URL "
        "and INTAKE_MAIL_FROM.",
    )
    mail_test = mail_commands.add_parser(
        "test", help="send one test mail, to check INTAKE_SMTP_URL and INTAKE_MAIL_FROM"
    )
    mail_test.add_argument("address", help="where to send it, e.g. you@city.example")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        handler = {
            "serve": cmd_serve,
            "db": cmd_db,
            "demo": cmd_demo,
            "people": cmd_people_add,
            "departments": cmd_departments_add,
            "token": cmd_token,
            "service-accounts": cmd_service_accounts,
            "sla": cmd_sla,
            "similar": cmd_similar,
            "problems": cmd_problems,
            "webhooks": cmd_webhooks_deliver,
            "mail": cmd_mail,
        }[args.command]
        return handler(settings, args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except IntakeError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
    except msgspec.ValidationError as error:  # what a command was given, as an API body
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
