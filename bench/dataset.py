"""The benchmark city: departments, people, teams and N problems with their history.

Problems are written from ``bench.corpus`` templates and given realistic lives: most are
historic (closed, live, declined, redirected, duplicate, withdrawn), a few percent wait in
the triage queue, some are being worked on by a team. Each has the history events its
life implies (created, submitted, triaged, info requests, the decision, team work) with
increasing timestamps over three years, the SLA due times the app would have set at
submit, and a ``P-YYYY-NNNNN`` reference numbered in submit order per year.

Rows go in with binary COPY (``copy_records_to_table``); ``search_vector`` is a generated
column, so PostgreSQL computes it. Text for the next chunk is written on a thread while
PostgreSQL ingests the current one.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bench.corpus import DEPARTMENTS, TOPICS, ProblemWriter, Topic
from intake.db.models import OUTCOME_RESULTS
from intake.triage.sla import Calendar, Pause, due_at

DATASET_VERSION = 3  # bump when the generated data changes, so --keep reloads
DOMAIN = "city.example"
TIMEZONE = "America/Chicago"
FIRST_RESPONSE_DAYS, DECISION_DAYS = 3, 10
CHUNK = 5000

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
# How long ago (days) a problem in each state was created.
AGE_DAYS: dict[str, tuple[float, float]] = {
    "draft": (0, 120),
    "submitted": (0.2, 6),
    "triage": (1, 40),
    "needs_info": (3, 60),
    "accepted": (20, 300),
    "discovery": (30, 400),
    "delivery": (60, 540),
    "on_hold": (60, 540),
    "live": (120, 1095),
    "closed": (200, 1095),
}
DEFAULT_AGE = (10, 1095)
SCORED_SHARE = {"submitted": 0.05, "triage": 0.5, "needs_info": 0.4}
TEAM_STATES = frozenset({"accepted", "discovery", "delivery", "on_hold", "live", "closed"})

PROBLEM_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "reference",
    "status",
    "version",
    "department_id",
    "submitter_id",
    "restricted",
    "title",
    "problem_statement",
    "affected_groups",
    "affected_people_per_year",
    "current_process",
    "workarounds",
    "impact_staff_hours_per_year",
    "impact_cost_per_year",
    "impact_risk",
    "impact_resident_burden",
    "urgency_deadline",
    "urgency_reason",
    "urgency_notes",
    "desired_outcome",
    "success_measures",
    "systems_involved",
    "data_sensitivity",
    "equity_considerations",
    "communities_affected",
    "accessibility_needs",
    "language_access_needs",
    "submitted_at",
    "triager_id",
    "team_id",
    "team_assigned_at",
    "primary_problem_id",
    "redirected_to_department_id",
    "redirect_channel",
    "held_from_status",
    "first_response_at",
    "first_response_due_at",
    "decided_at",
    "decision_due_at",
    "paused_since",
    "score",
    "launched_at",
    "closed_at",
    "outcome_result",
)
EVENT_COLUMNS = (
    "problem_id",
    "actor_id",
    "type",
    "occurred_at",
    "from_status",
    "to_status",
    "reason",
    "changes",
)

Step = tuple[str, str | None, str | None]  # event type, from status, to status

_INFO_CYCLE: list[Step] = [
    ("info_requested", "triage", "needs_info"),
    ("info_provided", "needs_info", "triage"),
]
_DECISIONS: dict[str, Step] = {
    "declined": ("declined", "triage", "declined"),
    "redirected": ("redirected", "triage", "redirected"),
    "duplicate": ("marked_duplicate", "triage", "duplicate"),
}
_WORK: list[Step] = [
    ("accepted", "triage", "accepted"),
    ("discovery_started", "accepted", "discovery"),
    ("delivery_started", "discovery", "delivery"),
    ("launched", "delivery", "live"),
    ("closed", "live", "closed"),
]
_WORK_DEPTH = {"accepted": 1, "discovery": 2, "delivery": 3, "live": 4, "closed": 5}
_REASONS = {
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
}


def path_for(state: str, rng: random.Random) -> list[Step]:
    """The events a problem now in ``state`` went through, oldest first (3 to 8)."""
    created: Step = ("created", None, "draft")
    submitted: Step = ("submitted", "draft", "submitted")
    updated: Step = ("updated", None, None)
    if state == "draft":
        return [created, *[updated] * rng.randint(0, 2)]
    if state == "withdrawn":
        if rng.random() < 0.5:
            return [created, updated, ("withdrawn", "draft", "withdrawn")]
        return [created, submitted, ("withdrawn", "submitted", "withdrawn")]
    if state == "submitted":
        return [created, updated, submitted]
    steps = [created, submitted, ("triaged", "submitted", "triage")]
    cycle = _INFO_CYCLE if rng.random() < 0.25 else []
    if state == "triage":
        return steps + cycle
    if state == "needs_info":
        return [*steps, *cycle, _INFO_CYCLE[0]]
    if state in _DECISIONS:
        return [*steps, *cycle[: 2 if rng.random() < 0.5 else 0], _DECISIONS[state]]
    if state == "on_hold":
        work = _WORK[: rng.randint(1, 2)]
        return [*steps, *work, ("held", work[-1][2], "on_hold")]
    work = _WORK[: _WORK_DEPTH[state]]
    if state == "accepted":
        work = [*work, ("team_assigned", None, None)]
    return steps + work


@dataclass(slots=True)
class Plan:
    """One problem's life before its text is written: state, department, event times."""

    id: uuid.UUID
    state: str
    topic: Topic
    department: str
    steps: list[Step]
    times: list[datetime]
    reference: str | None = None

    def time_of(self, *types: str) -> datetime | None:
        found = [t for (kind, _, _), t in zip(self.steps, self.times, strict=True) if kind in types]
        return found[-1] if found else None

    def first_time_of(self, kind: str) -> datetime | None:
        for (step_kind, _, _), at in zip(self.steps, self.times, strict=True):
            if step_kind == kind:
                return at
        return None


@dataclass
class City:
    """What the loader created, for the benchmark to log in as and sample from."""

    departments: dict[str, uuid.UUID]
    department_names: dict[str, str]
    requesters: dict[str, list[uuid.UUID]]
    triagers: list[tuple[uuid.UUID, str]]
    team_members: list[uuid.UUID]
    admin: uuid.UUID
    teams: list[uuid.UUID]
    holidays: dict[date, str] = field(default_factory=dict)

    @property
    def triager_email(self) -> str:
        return self.triagers[0][1]


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


async def load_registry(connection: asyncpg.Connection, now: datetime) -> City:
    """Departments, people in every role, product teams, holidays and the SLA policy."""
    departments = {code: uuid.uuid4() for code in DEPARTMENTS}
    await connection.copy_records_to_table(
        "departments",
        records=[(departments[code], code, name) for code, name in DEPARTMENTS.items()],
        columns=("id", "code", "name"),
    )
    people: list[tuple[uuid.UUID, str, str, uuid.UUID, list[str]]] = []

    def person(email: str, name: str, code: str, roles: list[str]) -> uuid.UUID:
        person_id = uuid.uuid4()
        people.append((person_id, f"{email}@{DOMAIN}", name, departments[code], roles))
        return person_id

    owning = sorted({code for topic in TOPICS for code in topic.departments})
    requesters = {
        code: [
            person(f"{code.lower()}.staff{n:02d}", f"{code} Staff {n}", code, ["requester"])
            for n in range(1, 7)
        ]
        for code in owning
    }
    triagers = []
    for n in range(1, 11):
        triager_id = person(f"pm{n:02d}", f"Product Manager {n}", "DTI", ["triager"])
        triagers.append((triager_id, f"pm{n:02d}@{DOMAIN}"))
    members = [
        person(f"dev{n:02d}", f"Team Member {n}", "DTI", ["team_member"]) for n in range(1, 25)
    ]
    admin = person("ops", "Ops Admin", "DTI", ["admin"])
    person("ops2", "Ops Admin Two", "DTI", ["admin", "triager"])
    for n, title in enumerate(("cto", "deputy.mayor", "budget.director"), start=1):
        person(title, f"Leader {n}", "MYR", ["leadership"])
    await connection.copy_records_to_table(
        "people", records=people, columns=("id", "email", "name", "department_id", "roles")
    )
    team_specs = (
        ("Permits and Inspections", ("permits", "inspections")),
        ("Resident Services", ("311", "service requests")),
        ("Benefits Access", ("benefits", "eligibility")),
        ("Payments and Billing", ("payments", "billing")),
        ("Records and Transparency", ("records", "open data")),
        ("Mobility", ("transit", "parking")),
        ("Parks and Community", ("parks", "recreation", "libraries")),
        ("Data Platform", ("data", "integration")),
    )
    disciplines = ["product_management", "civic_design", "data", "software_engineering"]
    teams = [uuid.uuid4() for _ in team_specs]
    await connection.copy_records_to_table(
        "teams",
        records=[
            (
                team_id,
                name,
                f"The {name} product team.",
                disciplines + (["security"] if n % 3 == 0 else []),
                list(focus),
                3 + n % 4,
            )
            for n, (team_id, (name, focus)) in enumerate(zip(teams, team_specs, strict=True))
        ],
        columns=("id", "name", "description", "disciplines", "focus_areas", "wip_limit"),
    )
    await connection.copy_records_to_table(
        "team_members",
        records=[
            (teams[n % len(teams)], member, disciplines[n % len(disciplines)])
            for n, member in enumerate(members)
        ],
        columns=("team_id", "person_id", "discipline"),
    )
    holidays = city_holidays(range(now.year - 3, now.year + 2))
    await connection.copy_records_to_table(
        "holidays", records=sorted(holidays.items()), columns=("day", "name")
    )
    policy = {
        "first_response_days": FIRST_RESPONSE_DAYS,
        "decision_days": DECISION_DAYS,
        "timezone": TIMEZONE,
    }
    await connection.execute(
        "INSERT INTO settings (key, value, updated_by_id) VALUES ('sla', $1, $2)",
        json.dumps(policy),
        admin,
    )
    return City(
        departments=departments,
        department_names=dict(DEPARTMENTS),
        requesters=requesters,
        triagers=triagers,
        team_members=members,
        admin=admin,
        teams=teams,
        holidays=holidays,
    )


def plan_problems(count: int, city: City, now: datetime, rng: random.Random) -> list[Plan]:
    """Every problem's state and event times, in submit order, with references assigned."""
    states, weights = zip(*STATE_WEIGHTS.items(), strict=True)
    plans = []
    for state in rng.choices(states, weights=weights, k=count):
        topic = rng.choice(TOPICS)
        steps = path_for(state, rng)
        low, high = AGE_DAYS.get(state, DEFAULT_AGE)
        created = now - timedelta(days=rng.uniform(low, high))
        span = (now - created).total_seconds()
        # Open problems moved recently; historic ones finished some time ago.
        used = span * (rng.uniform(0.7, 0.99) if state in AGE_DAYS else rng.uniform(0.2, 0.9))
        gaps = [rng.expovariate(1.0) for _ in steps[1:]]
        scale = used / max(sum(gaps), 1e-9)
        times = [created]
        for gap in gaps:
            times.append(times[-1] + timedelta(seconds=max(gap * scale, 60.0)))
        plans.append(Plan(uuid.uuid4(), state, topic, rng.choice(topic.departments), steps, times))
    plans.sort(key=lambda plan: plan.times[0])
    numbers: dict[int, int] = {}
    for plan in sorted(
        (p for p in plans if p.first_time_of("submitted") is not None),
        key=lambda p: p.first_time_of("submitted") or now,
    ):
        submitted_at = plan.first_time_of("submitted")
        assert submitted_at is not None
        numbers[submitted_at.year] = numbers.get(submitted_at.year, 0) + 1
        plan.reference = f"P-{submitted_at.year}-{numbers[submitted_at.year]:05d}"
    return plans


class ProblemRows:
    """Turns plans into COPY records for ``problems`` and ``problem_events``."""

    def __init__(self, city: City, rng: random.Random) -> None:
        self.city = city
        self.rng = rng
        self.writer = ProblemWriter(rng)
        self.calendar = Calendar(tz=ZoneInfo(TIMEZONE), holidays=frozenset(city.holidays))
        self.primaries: list[uuid.UUID] = []  # submitted problems so far, for duplicates

    def chunk(self, plans: Sequence[Plan]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        problems, events = [], []
        for plan in plans:
            row, history = self.problem(plan)
            problems.append(tuple(row.get(column) for column in PROBLEM_COLUMNS))
            events.extend(history)
        return problems, events

    def problem(self, plan: Plan) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
        rng, city = self.rng, self.city
        text = self.writer.write(plan.topic, city.department_names[plan.department])
        submitter = rng.choice(city.requesters[plan.department])
        submitted_at = plan.first_time_of("submitted")
        triaged = plan.first_time_of("triaged")
        triager = rng.choice(city.triagers)[0] if triaged is not None else None
        row: dict[str, Any] = {
            **text,
            "id": plan.id,
            "created_at": plan.times[0],
            "updated_at": plan.times[-1],
            "reference": plan.reference,
            "status": plan.state,
            "version": len(plan.steps),
            "department_id": city.departments[plan.department],
            "submitter_id": submitter,
            "restricted": rng.random() < 0.05,
            "systems_involved": json.dumps(text["systems_involved"]),
            "submitted_at": submitted_at,
            "triager_id": triager,
            "first_response_at": triaged,
        }
        if text["urgency_reason"] is not None:
            row["urgency_deadline"] = (plan.times[0] + timedelta(days=rng.randint(60, 400))).date()
        if submitted_at is not None:
            pauses = self._pauses(plan)
            row["first_response_due_at"] = due_at(submitted_at, FIRST_RESPONSE_DAYS, self.calendar)
            row["decision_due_at"] = due_at(submitted_at, DECISION_DAYS, self.calendar, pauses)
            if plan.state == "needs_info":  # the app stops the decision clock while paused
                row["paused_since"] = plan.times[-1]
                row["decision_due_at"] = None
        row["decided_at"] = plan.time_of("accepted", "declined", "redirected", "marked_duplicate")
        if plan.state in TEAM_STATES:
            row["team_id"] = rng.choice(city.teams)
            row["team_assigned_at"] = plan.time_of("accepted")
        if plan.state in ("live", "closed"):
            row["launched_at"] = plan.time_of("launched")
        if plan.state == "closed":  # a closed problem records its outcome (a check constraint)
            row["closed_at"] = plan.time_of("closed")
            # Picked by reference, not by the generator, so the rest of the data stays as it was.
            number = int((plan.reference or "0")[-5:])
            row["outcome_result"] = OUTCOME_RESULTS[number % len(OUTCOME_RESULTS)]
        if plan.state == "on_hold":
            row["held_from_status"] = plan.steps[-1][1]
        elif plan.state == "redirected":
            others = [code for code in city.departments if code != plan.department]
            row["redirected_to_department_id"] = city.departments[rng.choice(others)]
            row["redirect_channel"] = "Regional service desk" if rng.random() < 0.3 else None
        elif plan.state == "duplicate" and self.primaries:
            row["primary_problem_id"] = rng.choice(self.primaries[-2000:])
        if plan.state in TEAM_STATES or plan.state in _DECISIONS:
            scored = 0.85 if plan.state in TEAM_STATES else 0.4
        else:
            scored = SCORED_SHARE.get(plan.state, 0.0)
        if rng.random() < scored:
            row["score"] = rng.randint(15, 95)
        if plan.reference is not None:
            self.primaries.append(plan.id)
        return row, self._events(plan, row, submitter, triager)

    def _pauses(self, plan: Plan) -> list[Pause]:
        pauses, start = [], None
        for (kind, _, _), at in zip(plan.steps, plan.times, strict=True):
            if kind == "info_requested":
                start = at
            elif kind == "info_provided" and start is not None:
                pauses.append(Pause(start, at))
                start = None
        if start is not None:
            pauses.append(Pause(start, None))
        return pauses

    def _events(
        self,
        plan: Plan,
        row: dict[str, Any],
        submitter: uuid.UUID,
        triager: uuid.UUID | None,
    ) -> list[tuple[Any, ...]]:
        rng = self.rng
        events = []
        for (kind, before, after), at in zip(plan.steps, plan.times, strict=True):
            actor: uuid.UUID | None = submitter
            changes: dict[str, Any] = {}
            if kind == "created":
                changes = {
                    "title": row["title"],
                    "affected_people_per_year": row["affected_people_per_year"],
                }
            elif kind == "updated":
                changes = {"problem_statement": {"changed": True}}
            elif kind == "triaged":
                actor = triager
                changes = {"triager_id": {"from": None, "to": str(triager)}}
            elif kind in ("discovery_started", "delivery_started", "launched", "team_assigned"):
                actor = rng.choice(self.city.team_members)
                if kind == "team_assigned":
                    changes = {"team_id": {"from": None, "to": str(row.get("team_id"))}}
            elif kind not in ("submitted", "withdrawn", "info_provided"):
                actor = triager
            reasons = _REASONS.get(kind)
            events.append(
                (
                    plan.id,
                    actor,
                    kind,
                    at,
                    before,
                    after,
                    rng.choice(reasons) if reasons else None,
                    json.dumps(changes),
                )
            )
        return events


async def load_problems(
    connection: asyncpg.Connection, city: City, count: int, now: datetime, seed: int
) -> tuple[int, int]:
    """COPY ``count`` problems and their history; returns (problems, events) written."""
    rng = random.Random(seed)
    plans = plan_problems(count, city, now, rng)
    rows = ProblemRows(city, rng)
    chunks = [plans[start : start + CHUNK] for start in range(0, len(plans), CHUNK)]
    all_events: list[tuple[Any, ...]] = []
    pending = asyncio.create_task(asyncio.to_thread(rows.chunk, chunks[0])) if chunks else None
    for index in range(len(chunks)):
        assert pending is not None
        problems, events = await pending
        if index + 1 < len(chunks):
            pending = asyncio.create_task(asyncio.to_thread(rows.chunk, chunks[index + 1]))
        await connection.copy_records_to_table(
            "problems", records=problems, columns=PROBLEM_COLUMNS
        )
        all_events.extend(events)
    # Event ids are the global order of history (the event feed pages over them).
    all_events.sort(key=lambda event: event[3])
    for start in range(0, len(all_events), 50_000):
        await connection.copy_records_to_table(
            "problem_events", records=all_events[start : start + 50_000], columns=EVENT_COLUMNS
        )
    counters: dict[int, int] = {}
    for plan in plans:
        if plan.reference is not None:
            year, number = int(plan.reference[2:6]), int(plan.reference[7:])
            counters[year] = max(counters.get(year, 0), number)
    await connection.executemany(
        "INSERT INTO reference_counters (year, last_number) VALUES ($1, $2)",
        sorted(counters.items()),
    )
    return len(plans), len(all_events)


async def load(url: str, count: int, seed: int) -> tuple[City, int, int]:
    """Load the whole city into an empty, migrated database, then VACUUM ANALYZE it."""
    connection = await asyncpg.connect(url)
    try:
        now = datetime.now(UTC)
        async with connection.transaction():
            city = await load_registry(connection, now)
        problems, events = await load_problems(connection, city, count, now, seed)
        # Like autovacuum would: statistics, visibility map, and the GIN pending list merged.
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()
    return city, problems, events


async def read_city(url: str) -> City:
    """The registry of an already-loaded benchmark database (for ``--keep`` reruns)."""
    connection = await asyncpg.connect(url)
    try:
        departments = {
            row["code"]: row["id"]
            for row in await connection.fetch("SELECT id, code FROM departments")
        }
        names = {
            row["code"]: row["name"]
            for row in await connection.fetch("SELECT code, name FROM departments")
        }
        people = await connection.fetch(
            "SELECT p.id, p.email, p.roles, d.code FROM people p "
            "JOIN departments d ON d.id = p.department_id ORDER BY p.email"
        )
        teams = [row["id"] for row in await connection.fetch("SELECT id FROM teams")]
        holidays = {
            row["day"]: row["name"] for row in await connection.fetch("SELECT * FROM holidays")
        }
    finally:
        await connection.close()
    requesters: dict[str, list[uuid.UUID]] = {}
    for row in people:
        if "requester" in row["roles"]:
            requesters.setdefault(row["code"], []).append(row["id"])
    return City(
        departments=departments,
        department_names=names,
        requesters=requesters,
        triagers=[
            (row["id"], row["email"])
            for row in people
            if row["roles"] == ["triager"] and row["code"] == "DTI"
        ],
        team_members=[row["id"] for row in people if "team_member" in row["roles"]],
        admin=next(row["id"] for row in people if "admin" in row["roles"]),
        teams=teams,
        holidays=holidays,
    )
