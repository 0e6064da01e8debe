"""What tests build: the small city every API test starts from, a complete problem, and
databases of their own on the suite's server.

The ``city`` fixture (tests/conftest.py) inserts the city; tests import these names from here,
never from another test module.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from intake.web.auth import LocalKeys

ROOT = Path(__file__).resolve().parents[1]  # the repository


@dataclass
class City:
    """A small city: departments and people in every role, with helpers for their tokens."""

    keys: LocalKeys
    departments: dict[str, uuid.UUID]
    people: dict[str, uuid.UUID]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.issue(EMAILS[who])}"}


EMAILS = {
    "requester": "rosa.diaz@city.example",  # DOT
    "requester2": "sam.park@city.example",  # DOT
    "health": "ines.moreau@city.example",  # DPH requester
    "parks": "tom.reyes@city.example",  # PRK requester
    "triager": "pm.one@city.example",  # DTI
    "team_member": "dev.one@city.example",  # DTI
    "leader": "cto@city.example",  # DTI leadership
    "admin": "ops@city.example",  # DTI admin
    "inactive": "gone@city.example",  # DOT requester, deactivated
}
_PEOPLE = {
    "requester": ("Rosa Diaz", "DOT", ["requester"]),
    "requester2": ("Sam Park", "DOT", ["requester"]),
    "health": ("Inès Moreau", "DPH", ["requester"]),
    "parks": ("Tom Reyes", "PRK", ["requester"]),
    "triager": ("Priya One", "DTI", ["triager"]),
    "team_member": ("Dev One", "DTI", ["team_member"]),
    "leader": ("Chief Tech", "MYR", ["leadership"]),
    "admin": ("Ops Admin", "DTI", ["admin"]),
    "inactive": ("Gone Person", "DOT", ["requester"]),
}
_DEPARTMENTS = {
    "DTI": "Department of Technology and Innovation",
    "DOT": "Department of Transportation",
    "DPH": "Department of Public Health",
    "PRK": "Parks and Recreation",
    "MYR": "Office of the Mayor",
}


async def build_city(db: asyncpg.Connection, keys: LocalKeys) -> City:
    departments = {code: uuid.uuid4() for code in _DEPARTMENTS}
    await db.executemany(
        "INSERT INTO departments (id, code, name) VALUES ($1, $2, $3)",
        [(departments[code], code, name) for code, name in _DEPARTMENTS.items()],
    )
    people = {who: uuid.uuid4() for who in _PEOPLE}
    await db.executemany(
        "INSERT INTO people (id, email, name, department_id, roles, active) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (people[who], EMAILS[who], name, departments[code], roles, who != "inactive")
            for who, (name, code, roles) in _PEOPLE.items()
        ],
    )
    return City(keys=keys, departments=departments, people=people)


COMPLETE_PROBLEM: dict[str, Any] = {
    "title": "Residents wait weeks for a street tree planting permit",
    "problem_statement": (
        "Residents who want a street tree fill in a paper form and wait four to six weeks "
        "for an inspector. Many give up before anyone visits."
    ),
    "affected_groups": ["residents"],
    "affected_people_per_year": 2400,
    "current_process": "Paper form by mail, keyed in by a clerk, inspection booked by phone.",
    "workarounds": "Clerks track pending visits in a shared spreadsheet.",
    "impact_staff_hours_per_year": 1800,
    "impact_resident_burden": "Two trips or calls per permit; 40% of applicants abandon.",
    "desired_outcome": "Residents know within a week whether they can plant.",
    "success_measures": "Median days from request to decision; abandonment rate.",
    "data_sensitivity": "internal",
    "communities_affected": ["Ward 3", "Ward 7"],
}


# -- databases of their own, on the suite's server ----------------------------------------------


def plain_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def recreate_database(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(plain_url(with_database(server_url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
