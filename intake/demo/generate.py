"""A realistic city of any size, with its whole history, written straight into PostgreSQL.

``intake demo --problems N`` and the benchmarks (``bench/triage.py``, ``bench/portfolio.py``)
use this one generator. It adds what a city three years into using Intake would have:

- the registry: departments, requesters in every department that owns problems, triagers,
  product team members in eight teams, leaders, admins, the four demo logins
  (``requester@``, ``triager@``, ``leader@`` and ``admin@city.example``), city holidays and
  the SLA policy. What already exists (same department code, e-mail or team name) is kept;
- N problems written from ``intake.demo.corpus`` topics, in every state, each with the life
  its state implies: created, edited, submitted (with the SLA due times), triaged (with the
  triager), scored, asked for information and answered, decided, paired with a team,
  discovery, delivery in alpha and beta, held and resumed, launched, closed with an outcome
  review, and the SLA breaches the sweep would have recorded. Time between steps follows
  realistic spreads (days to a first response, months of delivery), laid back from the
  moment each problem reached its current state;
- the work records of problems past acceptance, with their history events: findings with
  evidence and journey steps, milestones (some slipped, some overdue, most done), status
  updates (some at_risk or off_track), outcome metrics with measurements, and comments,
  watchers and score breakdowns.

About eleven history events per problem on average. Rows go in with binary COPY
(``copy_records_to_table``) in chunks, the text of the next chunk written on a thread while
PostgreSQL takes the current one. Events are staged in a temporary table and copied into
``problem_events`` in time order, so event ids are the order of history, as the app's own
would be. Everything is one transaction with ``timeline.rebuild`` (the portfolio reads the
timeline, which bulk loads bypass), so an interrupted load leaves nothing behind; then
``VACUUM (ANALYZE)``.
"""

from __future__ import annotations

import asyncio
import math
import random
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from intake.db import models
from intake.db.models import OUTCOME_RESULTS
from intake.demo import data as demo_data
from intake.demo.corpus import TOPICS, WORDS, ProblemWriter, Topic
from intake.outcomes.state import metric_state
from intake.portfolio import timeline
from intake.problems import framing
from intake.triage.scoring.rules import CRITERIA, EFFORTS, Ratings, Weights, compute_score
from intake.triage.sla.business_time import Calendar, Pause, due_at
from intake.vocabulary.events import EventType

DATASET_VERSION = 7  # bump when the generated data changes, so benchmark --keep reloads
DOMAIN = "city.example"
TIMEZONE = "America/Chicago"
FIRST_RESPONSE_DAYS, DECISION_DAYS = 3, 10
HISTORY_DAYS = 1095  # the city has used Intake for three years
CHUNK = 2500  # problems per COPY round
# Work older than this has sparser records (the city took up discovery and delivery
# records gradually), which keeps the average near ten events per problem.
RICH_RECORDS_DAYS = 365
TOUR_LOGINS = (
    "requester@city.example",
    "triager@city.example",
    "leader@city.example",
    "admin@city.example",
)

# Share of problems in each state (percent), for a city three years into using Intake.
STATE_WEIGHTS: dict[str, float] = {
    "draft": 1.5,
    "withdrawn": 4.0,
    "submitted": 1.2,
    "triage": 1.8,
    "needs_info": 0.8,
    "declined": 14.0,
    "redirected": 8.0,
    "duplicate": 7.0,
    "accepted": 1.5,
    "discovery": 2.0,
    "delivery": 2.5,
    "on_hold": 0.5,
    "live": 12.0,
    "closed": 43.2,
}
TERMINAL = frozenset({"withdrawn", "declined", "redirected", "duplicate", "closed"})
TEAM_STATES = frozenset({"accepted", "discovery", "delivery", "on_hold", "live", "closed"})
SCORED_SHARE = {"submitted": 0.0, "triage": 0.5, "needs_info": 0.4}
DECISIONS = frozenset({"accepted", "declined", "redirected", "duplicate"})
FIRST_RESPONSES = DECISIONS | {"triage", "needs_info"}
SLA_OPEN = frozenset({"submitted", "triage", "needs_info"})
OUTCOME_WEIGHTS = {
    "achieved": 40,
    "partially_achieved": 30,
    "not_achieved": 15,
    "not_measurable": 15,
}
assert set(OUTCOME_WEIGHTS) == set(OUTCOME_RESULTS)

# Days before each step (median, spread of the logarithm): a first response within a day or
# two, decisions within a couple of weeks, discovery in weeks and delivery in months.
GAPS: dict[str, tuple[float, float]] = {
    "updated": (1.0, 1.0),
    "submitted": (2.0, 1.2),
    "withdrawn": (6.0, 1.0),
    "triaged": (0.9, 1.0),
    "scored": (1.0, 0.8),
    "info_requested": (2.0, 0.8),
    "info_provided": (4.0, 0.8),
    "accepted": (5.0, 0.7),
    "declined": (5.0, 0.7),
    "redirected": (4.0, 0.7),
    "marked_duplicate": (2.0, 0.8),
    "team_assigned": (3.0, 0.8),
    "discovery_started": (12.0, 0.6),
    "delivery_started": (45.0, 0.5),
    "beta": (35.0, 0.5),
    "launched": (80.0, 0.5),
    "closed": (150.0, 0.6),
    "held": (20.0, 0.8),
    "resumed": (30.0, 0.6),
}
# How long ago an open problem reached its current state: ("exp", mean) or ("uniform", a, b)
# in days. Terminal problems ended at any time in the city's history.
SINCE: dict[str, tuple[str, float, float]] = {
    "draft": ("exp", 15.0, 120.0),
    "submitted": ("exp", 1.5, 30.0),
    "triage": ("exp", 7.0, 90.0),
    "needs_info": ("exp", 8.0, 90.0),
    "accepted": ("exp", 15.0, 200.0),
    "discovery": ("uniform", 3.0, 90.0),
    "delivery": ("uniform", 5.0, 150.0),
    "on_hold": ("uniform", 5.0, 120.0),
    "live": ("uniform", 5.0, 365.0),
}

# Every column of a problem but those the database and the similarity work fill in.
PROBLEM_COLUMNS = tuple(
    column.name
    for column in models.Problem.__table__.columns
    if column.name
    not in {
        "community_list_id",
        "search_vector",
        "similar_computed_at",
        "similar_terms",
        "similar_norm",
    }
)
EVENT_COLUMNS = (
    "seq",
    "problem_id",
    "actor_id",
    "type",
    "occurred_at",
    "from_status",
    "to_status",
    "reason",
    "changes",
    "internal",
)
# Every other table the generator writes, with its columns, in the order they are copied
# (a table after those its rows refer to).
RECORD_COLUMNS: dict[str, tuple[str, ...]] = {
    "problem_watchers": ("problem_id", "person_id", "added_at"),
    "problem_scores": (
        "id",
        "problem_id",
        "scored_by_id",
        "score",
        "ratings",
        "weights",
        "breakdown",
        "notes",
        "created_at",
    ),
    "findings": (
        "id",
        "created_at",
        "updated_at",
        "problem_id",
        "kind",
        "title",
        "detail",
        "evidence",
        "position",
        "journey_step_id",
        "created_by_id",
        "version",
    ),
    "milestones": (
        "id",
        "created_at",
        "updated_at",
        "problem_id",
        "title",
        "description",
        "target_date",
        "done_on",
        "earlier_targets",
        "created_by_id",
        "version",
    ),
    "status_updates": ("id", "problem_id", "status", "summary", "author_id", "created_at"),
    "metrics": (
        "id",
        "created_at",
        "updated_at",
        "problem_id",
        "name",
        "unit",
        "direction",
        "baseline",
        "target",
        "target_date",
        "owner_id",
        "review_date",
        "created_by_id",
        "version",
    ),
    "measurements": (
        "id",
        "metric_id",
        "value",
        "measured_on",
        "note",
        "recorded_by_id",
        "created_at",
    ),
    "comments": (
        "id",
        "created_at",
        "updated_at",
        "problem_id",
        "author_id",
        "body",
        "visibility",
        "mentions",
        "version",
    ),
}
STAGING_SQL = """
CREATE TEMPORARY TABLE demo_events (
    seq bigint, problem_id uuid, actor_id uuid, type varchar(40), occurred_at timestamptz,
    from_status varchar(20), to_status varchar(20), reason text, changes jsonb, internal boolean
) ON COMMIT DROP
"""
# Event ids follow time, as the app's own would (history is in id order; the load is one
# transaction, so the event feed publishes it in id order too).
COPY_EVENTS_SQL = """
INSERT INTO problem_events (problem_id, actor_id, type, occurred_at, from_status, to_status,
                            reason, changes, internal)
SELECT problem_id, actor_id, type, occurred_at, from_status, to_status, reason, changes, internal
FROM demo_events ORDER BY occurred_at, seq
"""
VACUUMED = (
    "problems",
    "problem_events",
    "problem_timeline",
    "problem_watchers",
    "problem_scores",
    *[name for name in RECORD_COLUMNS if name not in ("problem_watchers", "problem_scores")],
    "people",
    "teams",
    "community_lists",
)

Step = tuple[EventType, str | None, str | None]  # event type, from status, to status
Row = tuple[Any, ...]

_REASONS: dict[str, tuple[str, ...]] = {
    "info_requested": (
        "How many requests did you receive last year, and how many were abandoned?",
        "Which system holds the records today, and who owns the contract?",
        "Is there a legal deadline, and what happens if it is missed?",
    ),
    "info_provided": ("About 2,400 last year; roughly a third abandoned.", "See attached."),
    "declined": (
        "Covered by the state's new portal, launching next year.",
        "The vendor upgrade already scheduled fixes this.",
        "Too small to justify a product team; a process change will do.",
    ),
    "redirected": ("Belongs with the regional transit agency.", "Procurement owns this."),
    "marked_duplicate": ("Same problem as the earlier submission.",),
    "withdrawn": ("No longer needed after the reorganisation.", "Submitted twice by mistake."),
    "held": ("Waiting for the budget decision.", "Team reassigned to an emergency."),
    "resumed": ("Budget confirmed for the rest of the year.", "The team is back from the outage."),
}
# fmt: off
FIRST_NAMES = (
    "Amara", "Ben", "Carla", "Deshawn", "Elif", "Farid", "Gwen", "Hiro", "Ines", "Jonah",
    "Kiri", "Leila", "Marcus", "Nia", "Omar", "Paula", "Quinn", "Rosa", "Sanjay", "Tessa",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zara", "Aiden", "Bea", "Cyrus", "Dalia",
    "Emeka", "Freya", "Gabriel", "Hana", "Ivan", "June", "Kofi", "Lena", "Mateo", "Noor",
)
LAST_NAMES = (
    "Abara", "Bianchi", "Castillo", "Dubois", "Eriksen", "Fontaine", "Garcia", "Huang",
    "Ibrahim", "Jensen", "Kowalski", "Lindqvist", "Mensah", "Nakamura", "Okoro", "Petrova",
    "Quiroga", "Reyes", "Sato", "Tanaka", "Usman", "Vargas", "Whitfield", "Xu", "Yilmaz",
    "Zamora", "Adeyemi", "Brennan", "Chaudhry", "Delacroix", "Esposito", "Fischer", "Gallo",
    "Haddad", "Iyer", "Jovanovic", "Kim", "Lopez", "Moreau", "Nguyen",
)
# fmt: on
TEAM_SPECS = (
    ("Permits and Inspections", ("permits", "inspections")),
    ("Resident Services", ("311", "service requests")),
    ("Benefits Access", ("benefits", "eligibility")),
    ("Payments and Billing", ("payments", "billing")),
    ("Records and Transparency", ("records", "open data")),
    ("Mobility", ("transit", "parking")),
    ("Parks and Community", ("parks", "recreation", "libraries")),
    ("Data Platform", ("data", "integration")),
)
DISCIPLINES = ("product_management", "civic_design", "data", "software_engineering")


# -- progress ---------------------------------------------------------------------------------


class Progress:
    """Progress on a stream (stderr): a bar redrawn in place on a terminal; elsewhere (a pipe,
    a log file, CI) one plain line per tenth of the work, so logs stay short and readable.

    Each line gives the stage, percent, count, rate and estimated time left, e.g.
    ``problems   40%  40,000/100,000  1,210/s  ETA 0:50``.
    """

    WIDTH = 24

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.label = ""
        self.total = 0
        self.started = time.monotonic()
        self._next_tenth = 1
        self._drawn = False

    def stage(self, label: str, total: int = 0) -> None:
        """Start a stage; with a total, ``update`` reports its progress."""
        self._end_line()
        self.label, self.total = label, total
        self.started = time.monotonic()
        self._next_tenth = 1
        if not total:
            self._write(f"{label}...\n")

    def update(self, done: int) -> None:
        if not self.total:
            return
        share = min(done / self.total, 1.0)
        if self.tty:
            filled = int(share * self.WIDTH)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self._write(f"\r{self.label:<10} [{bar}] {self._figures(done, share)}")
            self._drawn = True
        elif share * 10 >= self._next_tenth or done >= self.total:
            self._next_tenth = int(share * 10) + 1
            self._write(f"{self.label:<10} {self._figures(done, share)}\n")

    def done(self, message: str) -> None:
        self._end_line()
        self._write(f"{message}\n")

    def _figures(self, done: int, share: float) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = done / elapsed
        left = (self.total - done) / rate if rate else 0.0
        minutes, seconds = divmod(int(left), 60)
        return (
            f"{share * 100:3.0f}%  {done:,}/{self.total:,}  {rate:,.0f}/s  "
            f"ETA {minutes}:{seconds:02d}"
        )

    def _end_line(self) -> None:
        if self._drawn:
            self._write("\n")
            self._drawn = False

    def _write(self, text_: str) -> None:
        self.stream.write(text_)
        self.stream.flush()


# -- the registry -----------------------------------------------------------------------------


@dataclass
class City:
    """The registry the problems are written for (read back from the database)."""

    departments: dict[str, uuid.UUID]
    department_names: dict[str, str]
    requesters: dict[str, list[uuid.UUID]]
    triagers: list[tuple[uuid.UUID, str]]
    team_members: list[uuid.UUID]
    admin: uuid.UUID
    teams: list[uuid.UUID]
    holidays: dict[date, str] = field(default_factory=dict)
    names: dict[uuid.UUID, str] = field(default_factory=dict)
    team_names: dict[uuid.UUID, str] = field(default_factory=dict)
    members_by_team: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    leaders: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    first_response_days: int = FIRST_RESPONSE_DAYS
    decision_days: int = DECISION_DAYS
    timezone: str = TIMEZONE
    weights: Weights = field(default_factory=Weights)

    @property
    def triager_email(self) -> str:
        return self.triagers[0][1]

    @property
    def leader_email(self) -> str:
        return self.leaders[0][1] if self.leaders else self.triager_email


def city_holidays(years: Sequence[int]) -> dict[date, str]:
    """A US-style municipal holiday calendar."""

    def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        offset = (weekday - first.weekday()) % 7
        if n > 0:
            return first + timedelta(days=offset + 7 * (n - 1))
        following = date(year + month // 12, month % 12 + 1, 1)
        return following - timedelta(days=(following.weekday() - weekday) % 7 or 7)

    days: dict[date, str] = {}
    for year in years:
        thanksgiving = nth_weekday(year, 11, 3, 4)
        days.update(
            {
                date(year, 1, 1): "New Year's Day",
                nth_weekday(year, 1, 0, 3): "Martin Luther King Jr. Day",
                nth_weekday(year, 5, 0, -1): "Memorial Day",
                date(year, 6, 19): "Juneteenth",
                date(year, 7, 4): "Independence Day",
                nth_weekday(year, 9, 0, 1): "Labor Day",
                date(year, 11, 11): "Veterans Day",
                thanksgiving: "Thanksgiving",
                thanksgiving + timedelta(days=1): "Day after Thanksgiving",
                date(year, 12, 25): "Christmas Day",
            }
        )
    return days


def _name(index: int) -> str:
    first = FIRST_NAMES[(index * 7) % len(FIRST_NAMES)]
    return f"{first} {LAST_NAMES[(index * 11) % len(LAST_NAMES)]}"


def _registry_people() -> list[tuple[str, str, str, list[str]]]:
    """(e-mail, name, department code, roles) of everyone the generated city has."""
    owning = sorted({code for topic in TOPICS for code in topic.departments})
    people: list[tuple[str, str, str, list[str]]] = []
    for code in owning:
        for n in range(1, 7):
            people.append((f"{code.lower()}.staff{n:02d}", _name(len(people)), code, ["requester"]))
    for n in range(1, 11):
        people.append((f"pm{n:02d}", _name(len(people)), "DTI", ["triager"]))
    for n in range(1, 25):
        people.append((f"dev{n:02d}", _name(len(people)), "DTI", ["team_member"]))
    people.append(("ops", "Ops Admin", "DTI", ["admin"]))
    people.append(("ops2", "Ops Admin Two", "DTI", ["admin", "triager"]))
    for title in ("cto", "deputy.mayor", "budget.director"):
        people.append((title, _name(len(people)), "MYR", ["leadership"]))
    by_email = {person.email: person for person in demo_data.PEOPLE}
    for email in TOUR_LOGINS:
        tour = by_email[email]
        people.append((email.split("@")[0], tour.name, tour.department, sorted(tour.roles)))
    return [(f"{local}@{DOMAIN}", name, code, roles) for local, name, code, roles in people]


async def ensure_registry(connection: asyncpg.Connection, now: datetime) -> City:
    """Add the generated city's registry where it is missing; return the city as stored."""
    await connection.executemany(
        "INSERT INTO departments (id, code, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [(uuid.uuid4(), code, name) for code, name in WORDS.departments.items()],
    )
    departments = {
        row["code"]: row["id"] for row in await connection.fetch("SELECT id, code FROM departments")
    }
    since = now - timedelta(days=HISTORY_DAYS + 30)
    await connection.executemany(
        "INSERT INTO people (id, email, name, department_id, roles, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING",
        [
            (uuid.uuid4(), email, name, departments[code], roles, since)
            for email, name, code, roles in _registry_people()
        ],
    )
    await connection.executemany(
        "INSERT INTO teams (id, name, description, disciplines, focus_areas, wip_limit, "
        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT DO NOTHING",
        [
            (
                uuid.uuid4(),
                name,
                f"The {name} product team.",
                [*DISCIPLINES, *(["security"] if n % 3 == 0 else [])],
                list(focus),
                3 + n % 4,
                since,
            )
            for n, (name, focus) in enumerate(TEAM_SPECS)
        ],
    )
    teams = {row["name"]: row["id"] for row in await connection.fetch("SELECT id, name FROM teams")}
    people = {
        row["email"]: row["id"] for row in await connection.fetch("SELECT id, email FROM people")
    }
    developers = [f"dev{n:02d}@{DOMAIN}" for n in range(1, 25)]
    await connection.executemany(
        "INSERT INTO team_members (team_id, person_id, discipline, added_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [
            (
                teams[TEAM_SPECS[n % len(TEAM_SPECS)][0]],
                people[email],
                DISCIPLINES[n % len(DISCIPLINES)],
                since,
            )
            for n, email in enumerate(developers)
        ],
    )
    holidays = city_holidays(range(now.year - 4, now.year + 2))
    await connection.executemany(
        "INSERT INTO holidays (day, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        sorted(holidays.items()),
    )
    admin = people[f"ops@{DOMAIN}"]
    policy = {
        "first_response_days": FIRST_RESPONSE_DAYS,
        "decision_days": DECISION_DAYS,
        "timezone": TIMEZONE,
    }
    await connection.execute(
        "INSERT INTO settings (key, value, updated_by_id, updated_at) "
        "VALUES ('sla', $1, $2, $3) ON CONFLICT DO NOTHING",
        msgspec.json.encode(policy).decode(),
        admin,
        since,
    )
    return await read_city(connection)


async def read_city(connection: asyncpg.Connection) -> City:
    """The registry as the database holds it (also for benchmark ``--keep`` reruns)."""
    departments = await connection.fetch("SELECT id, code, name FROM departments ORDER BY code")
    people = await connection.fetch(
        "SELECT p.id, p.email, p.name, p.roles, d.code FROM people p "
        "JOIN departments d ON d.id = p.department_id WHERE p.active ORDER BY p.email"
    )
    teams = await connection.fetch("SELECT id, name FROM teams WHERE active ORDER BY name")
    members = await connection.fetch(
        "SELECT team_id, person_id FROM team_members ORDER BY team_id, person_id"
    )
    holidays = {row["day"]: row["name"] for row in await connection.fetch("SELECT * FROM holidays")}
    settings = {
        row["key"]: msgspec.json.decode(row["value"].encode())
        if isinstance(row["value"], str)
        else row["value"]
        for row in await connection.fetch(
            "SELECT key, value FROM settings WHERE key IN ('sla', 'scoring')"
        )
    }
    requesters: dict[str, list[uuid.UUID]] = {}
    for row in people:
        if "requester" in row["roles"]:
            requesters.setdefault(row["code"], []).append(row["id"])
    by_team: dict[uuid.UUID, list[uuid.UUID]] = {}
    for row in members:
        by_team.setdefault(row["team_id"], []).append(row["person_id"])
    sla = settings.get("sla") or {}
    weights = Weights()
    if "scoring" in settings:
        weights = msgspec.convert(settings["scoring"], Weights)
    admins = [row["id"] for row in people if "admin" in row["roles"]]
    return City(
        departments={row["code"]: row["id"] for row in departments},
        department_names={row["code"]: row["name"] for row in departments},
        requesters=requesters,
        triagers=[
            (row["id"], row["email"])
            for row in people
            if row["roles"] == ["triager"] and row["code"] == "DTI"
        ],
        team_members=[row["id"] for row in people if "team_member" in row["roles"]],
        admin=admins[0] if admins else people[0]["id"],
        teams=[row["id"] for row in teams],
        holidays=holidays,
        names={row["id"]: row["name"] for row in people},
        team_names={row["id"]: row["name"] for row in teams},
        members_by_team=by_team,
        leaders=[(row["id"], row["email"]) for row in people if "leadership" in row["roles"]],
        first_response_days=int(sla.get("first_response_days", 3)),
        decision_days=int(sla.get("decision_days", 10)),
        timezone=str(sla.get("timezone", "UTC")),
        weights=weights,
    )


# -- planning each problem's life --------------------------------------------------------------


def _gap(kind: str, before: str | None, rng: random.Random) -> float:
    """Days before a step of this kind (log-normal around its median)."""
    key = "beta" if kind == "delivery_started" and before == "delivery" else kind
    median, spread = GAPS.get(key, (1.0, 0.8))
    return median * math.exp(spread * rng.gauss(0.0, 1.0))


def path_for(state: str, rng: random.Random) -> list[Step]:
    """The events of a problem now in ``state`` that change its status or portfolio
    attributes, oldest first (work records are added around them later)."""
    created: Step = ("created", None, "draft")
    submitted: Step = ("submitted", "draft", "submitted")
    updated: Step = ("updated", None, None)
    if state == "draft":
        return [created, *[updated] * rng.randint(0, 2)]
    if state == "withdrawn":
        draw = rng.random()
        if draw < 0.45:
            return [created, updated, ("withdrawn", "draft", "withdrawn")]
        if draw < 0.85:
            return [created, submitted, ("withdrawn", "submitted", "withdrawn")]
        triaged: Step = ("triaged", "submitted", "triage")
        return [created, submitted, triaged, ("withdrawn", "triage", "withdrawn")]
    edits = [updated] if rng.random() < 0.2 else []
    if state == "submitted":
        return [created, *edits, submitted]
    if state == "duplicate" and rng.random() < 0.3:
        return [created, submitted, ("marked_duplicate", "submitted", "duplicate")]
    steps: list[Step] = [created, *edits, submitted, ("triaged", "submitted", "triage")]
    draw = rng.random()
    cycles = 2 if draw < 0.05 else 1 if draw < 0.3 else 0
    info: list[Step] = []
    for _ in range(cycles):
        info += [("info_requested", "triage", "needs_info")]
        if rng.random() < 0.3:
            info.append(("updated", None, None))  # the requester edits while asked
        info.append(("info_provided", "needs_info", "triage"))
    if state in TEAM_STATES:
        scored_share = 0.85
    elif state in ("declined", "redirected", "duplicate"):
        scored_share = 0.4
    else:
        scored_share = SCORED_SHARE.get(state, 0.0)
    scored: list[Step] = [("scored", None, None)] if rng.random() < scored_share else []
    if state == "triage":
        return [*steps, *scored, *info]
    if state == "needs_info":
        return [*steps, *scored, *info, ("info_requested", "triage", "needs_info")]
    decisions: dict[str, Step] = {
        "declined": ("declined", "triage", "declined"),
        "redirected": ("redirected", "triage", "redirected"),
        "duplicate": ("marked_duplicate", "triage", "duplicate"),
    }
    decision = decisions.get(state)
    if decision is not None:
        return [*steps, *info, *scored, decision]
    steps = [*steps, *info, *scored, ("accepted", "triage", "accepted")]
    if state != "accepted" or rng.random() < 0.6:  # some accepted work still awaits a team
        steps.append(("team_assigned", None, None))
    depth = {"accepted": 0, "discovery": 1, "delivery": 2, "live": 3, "closed": 4}.get(state)
    if state == "on_hold":
        depth = rng.randint(0, 2)
    assert depth is not None
    work: list[Step] = []
    if depth >= 1:
        work.append(("discovery_started", "accepted", "discovery"))
        if rng.random() < 0.05:  # paired with another team after a while
            work.append(("team_assigned", None, None))
        if rng.random() < 0.04:  # held for a while and resumed
            work += [("held", "discovery", "on_hold"), ("resumed", "on_hold", "discovery")]
    if depth >= 2:
        work.append(("delivery_started", "discovery", "delivery"))
        if rng.random() < 0.3:  # alpha first, then beta
            work.append(("delivery_started", "delivery", "delivery"))
        if rng.random() < 0.04:
            work += [("held", "delivery", "on_hold"), ("resumed", "on_hold", "delivery")]
    if depth >= 3:
        work.append(("launched", "delivery", "live"))
    if depth >= 4:
        work.append(("closed", "live", "closed"))
    steps += work
    if state == "on_hold":
        statuses = [after for _, _, after in steps if after is not None]
        steps.append(("held", statuses[-1], "on_hold"))
    return steps


@dataclass(slots=True)
class Plan:
    """One problem's life before its text is written: state, department, step times."""

    id: uuid.UUID
    state: str
    topic: Topic
    department: str
    steps: list[Step]
    times: list[datetime]
    reference: str | None = None

    def first_time_of(self, kind: str) -> datetime | None:
        for (step_kind, _, _), at in zip(self.steps, self.times, strict=True):
            if step_kind == kind:
                return at
        return None

    def last_time_of(self, *kinds: str) -> datetime | None:
        found = [t for (kind, _, _), t in zip(self.steps, self.times, strict=True) if kind in kinds]
        return found[-1] if found else None


def _since(state: str, rng: random.Random) -> float:
    kind, first, second = SINCE[state]
    if kind == "exp":
        return min(rng.expovariate(1.0 / first), second)
    return rng.uniform(first, second)


def plan_problems(
    count: int, city: City, now: datetime, rng: random.Random, numbers: dict[int, int]
) -> list[Plan]:
    """Every problem's state and step times, in creation order, with references assigned
    in submit order per year after ``numbers`` (the last reference number of each year)."""
    states, weights = zip(*STATE_WEIGHTS.items(), strict=True)
    # Every state at least once (when there is room), then the city's usual mix.
    chosen = list(states) if count >= len(states) else []
    chosen += rng.choices(states, weights=weights, k=count - len(chosen))
    plans = []
    for state in chosen:
        topic = rng.choice(TOPICS)
        steps = path_for(state, rng)
        gaps = [_gap(kind, before, rng) for kind, before, _ in steps[1:]]
        span = sum(gaps)
        if state in TERMINAL:
            latest = HISTORY_DAYS - min(span, HISTORY_DAYS - 1)
            ago = rng.uniform(0.2, max(latest, 0.3))
        else:
            ago = _since(state, rng)
        if ago + span > HISTORY_DAYS:  # squeeze a long life into the city's history
            gaps = [gap * (HISTORY_DAYS - ago) / span for gap in gaps]
        last = now - timedelta(days=ago)
        times = [last]
        for gap in reversed(gaps):
            times.append(times[-1] - timedelta(days=max(gap, 0.0007)))
        times.reverse()
        plans.append(Plan(uuid.uuid4(), state, topic, rng.choice(topic.departments), steps, times))
    plans.sort(key=lambda plan: plan.times[0])
    for plan in sorted(
        (p for p in plans if p.first_time_of("submitted") is not None),
        key=lambda p: p.first_time_of("submitted") or now,
    ):
        submitted_at = plan.first_time_of("submitted")
        assert submitted_at is not None
        numbers[submitted_at.year] = numbers.get(submitted_at.year, 0) + 1
        plan.reference = f"P-{submitted_at.year}-{numbers[submitted_at.year]:05d}"
    return plans


# -- text for work records ---------------------------------------------------------------------

_EVIDENCE = (
    "Interviews with {n} staff",
    "Shadowing at the counter on {street}",
    "Analysis of 12 months of {system} records",
    "Survey of {n}0 {actor}",
    "311 call logs, last quarter",
    "Usability test with {n} {actor}",
)
_FINDINGS: dict[str, tuple[str, ...]] = {
    "insight": (
        "Most {actor} try the phone first because the web page is hard to find",
        "A third of {thing} arrive incomplete and bounce back",
        "Staff keep a private spreadsheet because {system} cannot show status",
        "Demand for {thing} peaks in the weeks before deadlines",
    ),
    "pain_point": (
        "{actor} re-enter the same details on three forms",
        "Nobody can tell {actor} where their request stands",
        "Notices are only in English",
        "Payments by cheque take two weeks to clear",
    ),
    "journey_step": (
        "{actor} find the right form",
        "{actor} {action}",
        "Staff check the request against {system}",
        "{actor} wait for a decision",
        "Staff send the outcome by {channel}",
    ),
    "constraint": (
        "{system} has no API; exports run nightly",
        "State law requires a wet signature on the final approval",
        "The vendor contract for {system} runs two more years",
    ),
    "opportunity": (
        "An online status page would remove most repeat calls",
        "Pre-filling from {system} would halve the form",
        "Text-message reminders could cut no-shows",
    ),
    "decision": (
        "Start with {thing} in {place} before going city-wide",
        "Keep {system} as the record and build a front end on top",
        "Offer the service in {language} from the first release",
    ),
}
_MILESTONES = (
    "Alpha with staff in {place}",
    "Beta in two wards",
    "Usability testing with {actor}",
    "Data migration from {system}",
    "Accessibility audit passed",
    "Forms translated into {language}",
    "Launch city-wide",
    "Retire the paper form",
)
_SLIP_REASONS = (
    "Vendor API access took longer than planned.",
    "Procurement review added three weeks.",
    "Waiting on the department's sign-off.",
    "Security review found issues to fix first.",
    "Staff were pulled into the budget season.",
)
_UPDATES: dict[str, tuple[str, ...]] = {
    "on_track": (
        "Interviews done; journey map shared with the department.",
        "Alpha in use by {n} staff; feedback sessions booked.",
        "Beta open in {place}; {n}0 requests handled online this week.",
        "Data migration rehearsal passed.",
        "Next milestone on schedule.",
    ),
    "at_risk": (
        "Waiting on the {system} vendor for API access; the next milestone may slip.",
        "Department sign-off delayed; two milestones may slip.",
        "Only one developer available until the budget season ends.",
    ),
    "off_track": (
        "Vendor contract dispute has stopped integration work.",
        "Legal review found the form must change; replanning.",
        "Key staff left the department; work paused until a new owner is named.",
    ),
}
# name, unit, direction, baseline range, target as a share of the baseline (decrease) or
# an absolute range (increase).
_METRICS: tuple[tuple[str, str, str, tuple[float, float], tuple[float, float]], ...] = (
    ("Median days from request to decision", "days", "decrease", (10, 40), (0.3, 0.5)),
    ("Share of requests completed online", "%", "increase", (5, 25), (50, 80)),
    ("Repeat calls to 311 per request", "calls", "decrease", (1.5, 3.5), (0.3, 0.5)),
    ("Abandonment rate", "%", "decrease", (20, 45), (0.3, 0.5)),
    ("Staff hours per month spent re-keying", "hours", "decrease", (150, 600), (0.2, 0.3)),
    ("Requests completed in other languages", "per month", "increase", (0, 30), (80, 200)),
)  # fmt: skip
_COMMENTS: dict[str, tuple[str, ...]] = {
    "requester": (
        "Is there any update on this? Our counter staff keep asking.",
        "We can share last year's {system} export if that helps.",
        "The team in {place} is happy to join a testing session.",
    ),
    "triager": (
        "Thanks, we're looking at this alongside two similar requests.",
        "We'll come back to you after Thursday's triage meeting.",
        "Could you confirm who owns the {system} contract?",
    ),
    "internal": (
        "Overlaps with the {system} replacement; check with the Data Platform team.",
        "Score looks high for reach; double-check the volume figure.",
        "Worth pairing with a team that knows {system}.",
    ),
}
_OUTCOMES = {
    "achieved": ("The service met its targets within the review period.",),
    "partially_achieved": ("Online use grew, but processing times improved less than hoped.",),
    "not_achieved": ("Adoption stayed low; most requests still arrive on paper.",),
    "not_measurable": ("The legacy system could not report the baseline measures.",),
}
_LESSONS = (
    "Involve counter staff from the first week.",
    "Agree the measures with the department before delivery starts.",
    "Budget time for the vendor's API work.",
)
_ENCODE = msgspec.json.Encoder()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _json(value: Any) -> str:
    return _ENCODE.encode(value).decode()


def _score(ratings: tuple[int, ...], effort: str, weights: Weights) -> tuple[int, str]:
    """The score of these ratings and its breakdown (as the app stores it)."""
    values: dict[str, Any] = dict(zip(CRITERIA, ratings, strict=True))
    result = compute_score(msgspec.convert({**values, "effort": effort}, Ratings), weights)
    return result.score, _json(msgspec.to_builtins(result))


# -- writing the rows ------------------------------------------------------------------------


@dataclass
class Rows:
    """One chunk's rows for every table."""

    problems: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    records: dict[str, list[Row]] = field(
        default_factory=lambda: {name: [] for name in RECORD_COLUMNS}
    )


class ProblemRows:
    """Turns plans into COPY records for ``problems``, their history and their work records."""

    def __init__(self, city: City, rng: random.Random, now: datetime) -> None:
        self.city = city
        self.rng = rng
        self.now = now
        self.today = now.date()
        self.writer = ProblemWriter(rng)
        self.calendar = Calendar(tz=ZoneInfo(city.timezone), holidays=frozenset(city.holidays))
        # Submitted problems so far (id, reference), for duplicates to point at.
        self.primaries: list[tuple[uuid.UUID, str]] = []
        self.seq = 0
        self.weights_json = _json(msgspec.to_builtins(city.weights))
        self.scores: dict[tuple[tuple[int, ...], str], tuple[int, str]] = {}

    def score(self, ratings: tuple[int, ...], effort: str) -> tuple[int, str]:
        key = (ratings, effort)
        if key not in self.scores:
            self.scores[key] = _score(ratings, effort, self.city.weights)
        return self.scores[key]

    def chunk(self, plans: Sequence[Plan]) -> Rows:
        rows = Rows()
        for plan in plans:
            self.problem(plan, rows)
        return rows

    # One problem ------------------------------------------------------------------------

    def problem(self, plan: Plan, out: Rows) -> None:
        rng, city = self.rng, self.city
        text_ = self.writer.write(plan.topic, city.department_names[plan.department])
        submitter = rng.choice(city.requesters[plan.department])
        triager = rng.choice(city.triagers)[0] if plan.first_time_of("triaged") else None
        row: dict[str, Any] = {
            **text_,
            "id": plan.id,
            "created_at": plan.times[0],
            "updated_at": plan.times[-1],
            "reference": plan.reference,
            "status": plan.state,
            "department_id": city.departments[plan.department],
            "submitter_id": submitter,
            "restricted": rng.random() < 0.05,
            "systems_involved": _json(text_["systems_involved"]),
            # Stored on write, as the API stores them (intake.problems.service).
            "framing_hints": _json(
                framing.to_store(
                    title=str(text_["title"]),
                    problem_statement=_text(text_["problem_statement"]),
                    desired_outcome=_text(text_["desired_outcome"]),
                )
            ),
            "framing_rules": framing.RULES_VERSION,
        }
        if text_["urgency_reason"] is not None:
            row["urgency_deadline"] = (plan.times[0] + timedelta(days=rng.randint(60, 400))).date()
        events: list[Row] = []
        context = _Context(self, plan, row, submitter, triager, events, out)
        context.lifecycle()
        context.breaches()
        if plan.state in TEAM_STATES:
            context.work()
        if plan.reference is not None:
            context.comments()
            self.primaries.append((plan.id, plan.reference))
        context.watchers()
        out.problems.append(tuple(row.get(column) for column in PROBLEM_COLUMNS))
        events.sort(key=_event_time)
        for event in events:
            self.seq += 1
            out.events.append((self.seq, *event))


def _event_time(event: Row) -> datetime:
    at: datetime = event[3]
    return at


class _Context:
    """The state of one problem while its life is written."""

    def __init__(
        self,
        rows: ProblemRows,
        plan: Plan,
        row: dict[str, Any],
        submitter: uuid.UUID,
        triager: uuid.UUID | None,
        events: list[Row],
        out: Rows,
    ) -> None:
        self.rows, self.plan, self.row = rows, plan, row
        self.rng, self.city, self.now = rows.rng, rows.city, rows.now
        self.submitter, self.triager = submitter, triager
        self.events, self.out = events, out
        self.team: uuid.UUID | None = None
        self.words = {
            "thing": rows.rng.choice(plan.topic.things),
            "actor": rows.rng.choice(plan.topic.actors),
            "action": rows.rng.choice(plan.topic.actions),
            "system": rows.rng.choice(WORDS.systems)[0],
            "channel": rows.rng.choice(WORDS.channels),
            "place": rows.rng.choice(WORDS.neighbourhoods),
            "language": rows.rng.choice(WORDS.languages),
            "street": rows.writer.street(),
        }
        # Per SLA clock that ran past its due time: (when the sweep saw it, the due time).
        self.breach_times: dict[str, tuple[datetime, datetime]] = {}

    # helpers ----------------------------------------------------------------------------

    def say(self, templates: Sequence[str]) -> str:
        sentence = self.rng.choice(templates).format(n=self.rng.randint(3, 9), **self.words)
        return sentence[:1].upper() + sentence[1:]

    def event(
        self,
        kind: EventType,
        at: datetime,
        actor: uuid.UUID | None,
        changes: dict[str, Any] | None = None,
        *,
        before: str | None = None,
        after: str | None = None,
        reason: str | None = None,
        internal: bool = False,
    ) -> None:
        self.events.append(
            (
                self.plan.id,
                actor,
                kind,
                at,
                before,
                after,
                reason,
                _json(changes or {}),
                internal,
            )
        )

    def record(self, table: str, values: Row) -> None:
        self.out.records[table].append(values)

    def member(self) -> uuid.UUID:
        members = self.city.members_by_team.get(self.team) if self.team else None
        if members:
            return self.rng.choice(members)
        if self.triager is not None:
            return self.triager
        return self.rng.choice(self.city.team_members or [self.submitter])

    def when(self, start: datetime, end: datetime) -> datetime:
        """A moment between start and end (never after now)."""
        end = min(end, self.now - timedelta(minutes=1))
        if end <= start:
            return start
        return start + (end - start) * self.rng.random()

    # the lifecycle ----------------------------------------------------------------------

    def lifecycle(self) -> None:
        rng, city, row, plan = self.rng, self.city, self.row, self.plan
        calendar = self.rows.calendar
        triager = self.triager
        status = "draft"
        version = 0
        submitted_at: datetime | None = None
        first_due: datetime | None = None
        decision_due: datetime | None = None
        pauses: list[Pause] = []
        paused_at: datetime | None = None
        segment: datetime | None = None  # when the decision clock last (re)started
        phase: str | None = None
        score: int | None = None
        teams_seen: list[uuid.UUID] = []
        for index, ((kind, before, after), at) in enumerate(
            zip(plan.steps, plan.times, strict=True)
        ):
            actor: uuid.UUID | None = triager
            changes: dict[str, Any] = {}
            reasons = _REASONS.get(kind)
            reason = rng.choice(reasons) if reasons else None
            if kind == "created":
                actor = self.submitter
                changes = {
                    "title": row["title"],
                    "affected_people_per_year": row["affected_people_per_year"],
                }
            elif kind == "updated":
                actor = self.submitter
                if status == "needs_info":
                    changes = {
                        "title": {"from": f"Problem with {self.words['thing']}", "to": row["title"]}
                    }
                else:
                    hours = row["impact_staff_hours_per_year"]
                    changes = {"impact_staff_hours_per_year": {"from": hours // 2, "to": hours}}
            elif kind == "submitted":
                actor = self.submitter
                submitted_at = segment = at
                first_due = due_at(at, city.first_response_days, calendar)
                decision_due = due_at(at, city.decision_days, calendar)
                changes = {
                    "reference": {"from": None, "to": plan.reference},
                    "sla": _sla(first_due, decision_due),
                }
            elif kind == "triaged":
                changes = {"triager_id": {"from": None, "to": str(triager)}}
            elif kind == "info_requested":
                self._decision_segment_ends(segment, decision_due, at)
                paused_at, segment = at, None
                # As clocks.on_transition: a decision already overdue keeps its due time.
                if decision_due is None or decision_due > at:
                    decision_due = None
                    changes = {"sla": _sla(first_due, None)}
            elif kind == "info_provided":
                actor = self.submitter
                assert paused_at is not None and submitted_at is not None
                pauses.append(Pause(paused_at, at))
                paused_at, segment = None, at
                decision_due = due_at(submitted_at, city.decision_days, calendar, pauses)
                changes = {"sla": _sla(first_due, decision_due)}
            elif kind == "scored":
                ratings = tuple(rng.randint(1, 5) for _ in CRITERIA)
                effort = rng.choice(EFFORTS)
                value, breakdown = self.rows.score(ratings, effort)
                changes = {
                    "score": {"from": score, "to": value},
                    "ratings": {**dict(zip(CRITERIA, ratings, strict=True)), "effort": effort},
                }
                score = value
                self.record(
                    "problem_scores",
                    (
                        uuid.uuid4(),
                        plan.id,
                        triager,
                        value,
                        _json(changes["ratings"]),
                        self.rows.weights_json,
                        breakdown,
                        None,
                        at,
                    ),
                )
            elif kind == "team_assigned":
                choices = [team for team in city.teams if team not in teams_seen]
                team = rng.choice(choices or city.teams)
                changes = {
                    "team": {"from": str(self.team) if self.team else None, "to": str(team)},
                    "team_name": city.team_names.get(team, ""),
                }
                self.team = team
                teams_seen.append(team)
                row["team_assigned_at"] = at
            elif kind == "delivery_started":
                later = [k for k, b, _ in plan.steps[index + 1 :] if k == kind and b == "delivery"]
                new_phase = "beta" if before == "delivery" else "alpha" if later else None
                if new_phase is None:
                    new_phase = "alpha" if rng.random() < 0.4 else "beta"
                changes = {"delivery_phase": {"from": phase, "to": new_phase}}
                phase = new_phase
                actor = self.member()
            elif kind in ("discovery_started", "launched"):
                actor = self.member()
                if kind == "launched":
                    row["launched_at"] = at
                    changes = {"launched_at": {"from": None, "to": at.isoformat()}}
            elif kind == "closed":
                actor = self.member()
                result = rng.choices(list(OUTCOME_WEIGHTS), weights=list(OUTCOME_WEIGHTS.values()))
                row["outcome_result"] = result[0]
                row["outcome_summary"] = rng.choice(_OUTCOMES[result[0]])
                row["outcome_lessons"] = rng.choice(_LESSONS)
                row["closed_at"] = at
                changes = {
                    "outcome_review": {
                        "result": row["outcome_result"],
                        "summary": row["outcome_summary"],
                        "lessons": row["outcome_lessons"],
                    }
                }
            elif kind == "withdrawn":
                actor = self.submitter
            elif kind == "redirected":
                changes = {"redirected_to": self._redirect()}
            elif kind == "marked_duplicate" and self.rows.primaries:
                primary, reference = rng.choice(self.rows.primaries[-2000:])
                row["primary_problem_id"] = primary
                changes = {"primary": {"id": str(primary), "reference": reference}}
            if after is not None and after != status:
                if row.get("first_response_at") is None and after in FIRST_RESPONSES:
                    row["first_response_at"] = at
                if after in DECISIONS and row.get("decided_at") is None:
                    row["decided_at"] = at
                    self._decision_segment_ends(segment, decision_due, at)
                    segment = None
                if after == "withdrawn" and status in SLA_OPEN:
                    self._decision_segment_ends(segment, decision_due, at)
                    segment = None
            self.event(kind, at, actor, changes, before=before, after=after, reason=reason)
            if after is not None:
                status = after
            version += 1
        if segment is not None and status in ("submitted", "triage"):
            self._decision_segment_ends(segment, decision_due, self.now)
        if first_due is not None:
            stopped = row.get("first_response_at") or (
                plan.last_time_of("withdrawn") if status == "withdrawn" else None
            )
            if first_due < (stopped or self.now):
                self.breach_times["first_response"] = (first_due, first_due)
        row.update(
            version=version,
            submitted_at=submitted_at,
            triager_id=triager,
            team_id=self.team,
            first_response_due_at=first_due,
            decision_due_at=decision_due,
            paused_since=paused_at if status == "needs_info" else None,
            score=score,
            delivery_phase=phase,
        )
        if plan.state == "on_hold":
            row["held_from_status"] = plan.steps[-1][1]

    def _redirect(self) -> dict[str, str | None]:
        """Where a redirected problem goes, on its row and as its event records it."""
        rng, city, row = self.rng, self.city, self.row
        others = [code for code in city.departments if code != self.plan.department]
        department = rng.choice(others)
        channel = "Regional service desk" if rng.random() < 0.3 else None
        row["redirected_to_department_id"] = city.departments[department]
        row["redirect_channel"] = channel
        return {"department": department, "channel": channel}

    def _decision_segment_ends(
        self, started: datetime | None, due: datetime | None, ended: datetime
    ) -> None:
        """A running stretch of the decision clock ends: breached if its due time passed."""
        if started is None or due is None or "decision" in self.breach_times:
            return
        if due < ended:
            self.breach_times["decision"] = (max(due, started), due)

    def breaches(self) -> None:
        """The SLA sweep's records: one event per clock that ran past its due time."""
        for clock, (overdue_at, due) in self.breach_times.items():
            # The sweep runs every minute.
            at = overdue_at + timedelta(seconds=self.rng.uniform(1, 60))
            if at >= self.now:
                continue
            self.row[f"{clock}_breached_at"] = at
            self.event("sla_breached", at, None, {"clock": clock, "due_at": due.isoformat()})

    # work records -----------------------------------------------------------------------

    def work(self) -> None:
        plan, rng = self.plan, self.rng
        accepted = plan.first_time_of("accepted")
        assert accepted is not None
        discovery = plan.first_time_of("discovery_started")
        delivery = plan.first_time_of("delivery_started")
        launched = plan.first_time_of("launched")
        closed = plan.first_time_of("closed")
        held = plan.last_time_of("held") if plan.state == "on_hold" else None
        end = held or closed or self.now
        # Older work has fewer records: the city took them up gradually.
        rich = accepted > self.now - timedelta(days=RICH_RECORDS_DAYS)
        keep = 1.0 if rich else 0.25
        if discovery is not None:
            self.findings(discovery, delivery or end, keep)
        if delivery is not None:
            self.milestones(delivery, launched, end, keep)
            if rng.random() < 0.7 * keep:
                self.metrics(delivery, launched, closed, end)
        self.updates(accepted, launched or end, 3 if rich else int(rng.random() < 0.4))

    def findings(self, start: datetime, end: datetime, keep: float) -> None:
        rng = self.rng
        count = rng.choices((0, 1, 2, 3, 4), weights=(25, 35, 25, 10, 5))[0]
        count = sum(1 for _ in range(count) if rng.random() < keep)
        steps: list[uuid.UUID] = []
        times = sorted(self.when(start, end) for _ in range(count))
        author = self.member()
        for at in times:
            kind = rng.choices(tuple(_FINDINGS), weights=(30, 25, 20, 10, 10, 5))[0]
            finding = uuid.uuid4()
            title = self.say(_FINDINGS[kind])[:200]
            detail = self.say(_FINDINGS["insight"]) + "." if rng.random() < 0.6 else None
            evidence = [
                {
                    "source": self.say(_EVIDENCE),
                    "date": at.date().isoformat(),
                    "who": self.city.names.get(author, ""),
                }
            ]
            position = None
            step = None
            if kind == "journey_step":
                steps.append(finding)
                position = len(steps)
            elif kind == "pain_point" and steps and rng.random() < 0.6:
                step = steps[-1]
            self.record(
                "findings",
                (
                    finding,
                    at,
                    at,
                    self.plan.id,
                    kind,
                    title,
                    detail,
                    _json(evidence),
                    position,
                    step,
                    author,
                    1,
                ),
            )
            changes: dict[str, Any] = {
                "finding_id": str(finding),
                "kind": kind,
                "title": {"from": None, "to": title},
                "evidence": {"from": None, "to": evidence},
            }
            if detail is not None:
                changes["detail"] = {"from": None, "to": detail}
            if position is not None:
                changes["position"] = {"from": None, "to": position}
            if step is not None:
                changes["journey_step_id"] = {"from": None, "to": str(step)}
            self.event("finding_added", at, author, changes)

    def milestones(
        self, start: datetime, launched: datetime | None, end: datetime, keep: float
    ) -> None:
        rng, today = self.rng, self.rows.today
        count = rng.choices((0, 1, 2, 3), weights=(15, 30, 35, 20))[0]
        count = sum(1 for _ in range(count) if rng.random() < keep)
        titles = rng.sample(_MILESTONES, count)
        author = self.member()
        span = (launched - start) if launched else timedelta(days=rng.uniform(60, 200))
        for number, title_template in enumerate(titles, start=1):
            title = title_template.format(n=3, **self.words)
            created = self.when(start, start + timedelta(days=10))
            if created >= end:
                continue
            target = (start + span * number / (count + 0.5)).date()
            target = max(target, created.date() + timedelta(days=7))
            milestone = uuid.uuid4()
            ref = {"id": str(milestone), "title": title}
            self.event(
                "milestone_added",
                created,
                author,
                {
                    "milestone": ref,
                    "title": {"from": None, "to": title},
                    "target_date": {"from": None, "to": target.isoformat()},
                },
            )
            earlier: list[dict[str, Any]] = []
            updated = created
            if rng.random() < 0.25:  # slipped once
                original = target - timedelta(days=rng.randint(10, 45))
                original = max(original, created.date() + timedelta(days=3))
                moved = self.when(created, _midday(original))
                if moved < end:
                    slip_reason = rng.choice(_SLIP_REASONS)
                    earlier = [
                        {
                            "target_date": original.isoformat(),
                            "replaced_at": moved.isoformat(),
                            "replaced_by_id": str(author),
                            "reason": slip_reason,
                        }
                    ]
                    self.event(
                        "milestone_updated",
                        moved,
                        author,
                        {
                            "milestone": ref,
                            "target_date": {"from": original.isoformat(), "to": target.isoformat()},
                            "slip_days": {"from": 0, "to": (target - original).days},
                        },
                        reason=slip_reason,
                    )
                    updated = moved
            done_on: date | None = None
            finish = target + timedelta(days=round(rng.gauss(2, 8)))
            if launched is not None:
                done_on = min(finish, launched.date())
            elif finish < today and rng.random() < 0.8:
                done_on = finish
            if done_on is not None:
                done_on = max(done_on, updated.date())
                done_at = max(_midday(done_on), updated + timedelta(minutes=5))
                if done_at > min(end, self.now) or done_on > today:
                    done_on = None
                else:
                    self.event(
                        "milestone_done",
                        done_at,
                        author,
                        {"milestone": ref, "done_on": {"from": None, "to": done_on.isoformat()}},
                    )
                    updated = done_at
            self.record(
                "milestones",
                (
                    milestone,
                    created,
                    updated,
                    self.plan.id,
                    title,
                    None,
                    target,
                    done_on,
                    _json(earlier),
                    author,
                    1 + len(earlier) + (done_on is not None),
                ),
            )

    def updates(self, accepted: datetime, end: datetime, cap: int) -> None:
        rng = self.rng
        moments = []
        at = accepted + timedelta(days=rng.uniform(10, 30))
        while at < end and at < self.now:
            moments.append(at)
            at += timedelta(days=rng.uniform(21, 45))
        moments = moments[-cap:] if cap else []
        status: str | None = None
        author = self.member()
        for at in moments:
            draw = rng.random()
            if status in ("at_risk", "off_track") and draw < 0.5:
                new = status
            else:
                new = "on_track" if draw < 0.75 else "at_risk" if draw < 0.93 else "off_track"
            summary = self.say(_UPDATES[new])
            update = uuid.uuid4()
            self.record("status_updates", (update, self.plan.id, new, summary, author, at))
            self.event(
                "update_posted",
                at,
                author,
                {
                    "update": {"id": str(update)},
                    "status": {"from": status, "to": new},
                    "summary": summary,
                },
            )
            status = new

    def metrics(
        self,
        delivery: datetime,
        launched: datetime | None,
        closed: datetime | None,
        end: datetime,
    ) -> None:
        rng = self.rng
        author = self.member()
        outcome = self.row.get("outcome_result")
        count = 1 if rng.random() < 0.65 else 2
        for name, unit, direction, base_range, target_range in rng.sample(_METRICS, count):
            created = self.when(delivery, delivery + timedelta(days=30))
            if created >= end:
                continue
            baseline = round(rng.uniform(*base_range), 1)
            if direction == "decrease":
                target = round(baseline * rng.uniform(*target_range), 1)
            else:
                target = round(max(rng.uniform(*target_range), baseline + 5), 1)
            expected_launch = launched or created + timedelta(days=rng.uniform(60, 180))
            target_date = (expected_launch + timedelta(days=rng.uniform(90, 270))).date()
            review_date = target_date + timedelta(days=30)
            metric = uuid.uuid4()
            definition = {
                "name": name,
                "unit": unit,
                "direction": direction,
                "baseline": baseline,
                "target": target,
                "target_date": target_date.isoformat(),
                "owner": {"id": str(self.submitter), "name": self.city.names.get(self.submitter)},
                "review_date": review_date.isoformat(),
            }
            ref = {"id": str(metric), "name": name}
            self.event(
                "metric_added",
                created,
                author,
                {"metric": ref, **{k: {"from": None, "to": v} for k, v in definition.items()}},
            )
            self.record(
                "metrics",
                (
                    metric,
                    created,
                    created,
                    self.plan.id,
                    name,
                    unit,
                    direction,
                    baseline,
                    target,
                    target_date,
                    self.submitter,
                    review_date,
                    author,
                    1,
                ),
            )
            if launched is None or outcome == "not_measurable":
                continue
            # How far the readings get from baseline to target by the last one.
            reach = {
                "achieved": rng.uniform(1.0, 1.3),
                "partially_achieved": rng.uniform(0.3, 0.9),
                "not_achieved": rng.uniform(-0.3, 0.2),
            }.get(outcome or "", rng.choice((rng.uniform(0.9, 1.2), rng.uniform(0.2, 0.9), -0.2)))
            stop = min(closed or self.now, self.now - timedelta(hours=1))
            days: list[datetime] = []
            at = launched + timedelta(days=rng.uniform(20, 45))
            while at < stop:
                days.append(at)
                at += timedelta(days=rng.uniform(45, 90))
            days = days[-3:]
            state = "not_started"
            for number, measured in enumerate(days, start=1):
                share = reach * number / len(days) + rng.gauss(0, 0.05)
                value = round(baseline + share * (target - baseline), 1)
                measured_on = measured.date()
                recorded = min(measured + timedelta(hours=rng.uniform(2, 60)), stop)
                new_state = metric_state(
                    direction=direction,  # type: ignore[arg-type]
                    baseline=baseline,
                    target=target,
                    target_date=target_date,
                    value=value,
                    today=recorded.date(),
                )
                measurement = uuid.uuid4()
                self.record(
                    "measurements",
                    (measurement, metric, value, measured_on, None, author, recorded),
                )
                self.event(
                    "measurement_recorded",
                    recorded,
                    author,
                    {
                        "metric": ref,
                        "measurement": {
                            "id": str(measurement),
                            "value": value,
                            "measured_on": measured_on.isoformat(),
                            "note": None,
                        },
                        "state": {"from": state, "to": new_state},
                    },
                )
                state = new_state

    def comments(self) -> None:
        rng, plan = self.rng, self.plan
        count = rng.choices((0, 1, 2), weights=(70, 22, 8))[0]
        submitted = plan.first_time_of("submitted")
        assert submitted is not None
        last = plan.times[-1] + timedelta(days=20)
        for _ in range(count):
            at = self.when(submitted, last)
            if self.triager is not None and rng.random() < 0.55:
                author, internal = self.triager, rng.random() < 0.4
                body = self.say(_COMMENTS["internal" if internal else "triager"])
            else:
                author, internal = self.submitter, False
                body = self.say(_COMMENTS["requester"])
            visibility = "dti_internal" if internal else "all"
            comment = uuid.uuid4()
            self.record("comments", (comment, at, at, plan.id, author, body, visibility, [], 1))
            changes: dict[str, Any] = {"comment_id": str(comment), "visibility": visibility}
            if not internal:
                changes["body"] = body
            self.event("comment_added", at, author, changes, internal=internal)

    def watchers(self) -> None:
        plan = self.plan
        added = {self.submitter: plan.times[0]}
        if self.triager is not None:
            added.setdefault(self.triager, plan.first_time_of("triaged") or plan.times[0])
        if self.team is not None:
            at = self.row.get("team_assigned_at") or plan.times[0]
            for person in self.city.members_by_team.get(self.team, []):
                added.setdefault(person, at)
        for person, at in added.items():
            self.record("problem_watchers", (plan.id, person, at))


def _sla(first: datetime | None, decision: datetime | None) -> dict[str, str | None]:
    return {
        "first_response_due_at": first.isoformat() if first else None,
        "decision_due_at": decision.isoformat() if decision else None,
    }


def _midday(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 17, 0, tzinfo=UTC)


# -- loading -----------------------------------------------------------------------------------


@dataclass
class Generated:
    """What one run added."""

    city: City
    problems: int
    events: int
    records: dict[str, int]
    timeline_rows: int
    seconds: float


def _urls(url: str) -> tuple[str, str]:
    """(SQLAlchemy URL, plain asyncpg URL) of the same database."""
    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    return plain.replace("postgresql://", "postgresql+asyncpg://", 1), plain


async def existing_problems(url: str) -> int:
    connection = await asyncpg.connect(_urls(url)[1])
    try:
        return int(await connection.fetchval("SELECT count(*) FROM problems"))
    finally:
        await connection.close()


async def generate(
    url: str,
    count: int,
    *,
    seed: int = 2026,
    now: datetime | None = None,
    progress: Progress | None = None,
    vacuum: bool = True,
) -> Generated:
    """Add ``count`` problems with their history (and any registry they need) to the
    migrated database at ``url``, rebuild the portfolio timeline, then VACUUM ANALYZE.

    Problems already there stay; new references continue each year's numbering.
    """
    started = time.monotonic()
    now = now or datetime.now(UTC)
    sa_url, _ = _urls(url)
    engine = create_async_engine(
        sa_url,
        poolclass=NullPool,
        connect_args={"server_settings": {"application_name": "intake-demo", "timezone": "UTC"}},
    )
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: asyncpg.Connection = raw.driver_connection
            async with connection.begin():
                # Start the transaction on the driver connection before COPY uses it.
                await connection.execute(text("SET LOCAL work_mem = '256MB'"))
                city = await ensure_registry(driver, now)
                loaded = await _load_problems(driver, city, count, now, seed, progress)
                if progress:
                    progress.stage("Rebuilding the portfolio timeline")
                session = AsyncSession(bind=connection)
                timeline_rows = await timeline.rebuild(session)
                await session.close()
                if progress:
                    progress.stage("Committing")
            if vacuum:
                if progress:
                    progress.stage("VACUUM (ANALYZE)")
                await driver.execute(f"VACUUM (ANALYZE) {', '.join(VACUUMED)}")
    finally:
        await engine.dispose()
    problems, events, records = loaded
    return Generated(city, problems, events, records, timeline_rows, time.monotonic() - started)


async def _load_problems(
    connection: asyncpg.Connection,
    city: City,
    count: int,
    now: datetime,
    seed: int,
    progress: Progress | None,
) -> tuple[int, int, dict[str, int]]:
    """COPY ``count`` problems, their records and history; (problems, events, records)."""
    rng = random.Random(seed)
    numbers = {
        row["year"]: row["last_number"]
        for row in await connection.fetch("SELECT year, last_number FROM reference_counters")
    }
    plans = plan_problems(count, city, now, rng, numbers)
    rows = ProblemRows(city, rng, now)
    await connection.execute(STAGING_SQL)
    chunks = [plans[start : start + CHUNK] for start in range(0, len(plans), CHUNK)]
    if progress:
        progress.stage("problems", len(plans))
    pending = asyncio.create_task(asyncio.to_thread(rows.chunk, chunks[0])) if chunks else None
    done = events = 0
    records: dict[str, int] = dict.fromkeys(RECORD_COLUMNS, 0)
    for index, chunk in enumerate(chunks):
        assert pending is not None
        written = await pending
        if index + 1 < len(chunks):
            pending = asyncio.create_task(asyncio.to_thread(rows.chunk, chunks[index + 1]))
        await connection.copy_records_to_table(
            "problems", records=written.problems, columns=PROBLEM_COLUMNS
        )
        for table, columns in RECORD_COLUMNS.items():
            if written.records[table]:
                await connection.copy_records_to_table(
                    table, records=written.records[table], columns=columns
                )
                records[table] += len(written.records[table])
        await connection.copy_records_to_table(
            "demo_events", records=written.events, columns=EVENT_COLUMNS
        )
        events += len(written.events)
        done += len(chunk)
        if progress:
            progress.update(done)
    if progress:
        progress.stage(f"Ordering {events:,} history events")
    await connection.execute(COPY_EVENTS_SQL)
    await connection.executemany(
        "INSERT INTO reference_counters (year, last_number) VALUES ($1, $2) "
        "ON CONFLICT (year) DO UPDATE SET last_number = "
        "greatest(reference_counters.last_number, excluded.last_number)",
        sorted(numbers.items()),
    )
    return len(plans), events, records


# -- for the benchmarks ------------------------------------------------------------------------


async def load(url: str, count: int, seed: int) -> tuple[City, int, int]:
    """Load a city with ``count`` problems into an empty, migrated database (benchmarks)."""
    result = await generate(url, count, seed=seed, progress=Progress())
    return result.city, result.problems, result.events


async def read_city_at(url: str) -> City:
    connection = await asyncpg.connect(_urls(url)[1])
    try:
        return await read_city(connection)
    finally:
        await connection.close()
