"""The content of the demo city: departments, people, product teams and problems.

Written in ``city.toml`` beside this module and read here as plain, typed, immutable data. The
demo seeder turns it into database rows; nothing here touches the database or imports the rest
of Intake. Tour logins: ``admin@city.example``, ``triager@city.example``,
``requester@city.example`` (DOT) and ``leader@city.example`` (CTO).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from typing import Final, TypeVar

import msgspec

T = TypeVar("T")

DOMAIN: Final = "city.example"


@dataclass(frozen=True, slots=True)
class DemoDepartment:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class DemoPerson:
    email: str
    name: str
    department: str
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoTeam:
    name: str
    disciplines: tuple[str, ...]
    focus_areas: tuple[str, ...]
    wip_limit: int
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoSystem:
    name: str
    legacy: bool
    notes: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoProblem:
    key: str
    department: str
    submitter: str
    state: str
    title: str
    problem_statement: str
    affected_groups: tuple[str, ...]
    affected_people_per_year: int
    current_process: str
    workarounds: str
    impact_staff_hours_per_year: int | None = None
    impact_cost_per_year: int | None = None
    impact_risk: str
    impact_resident_burden: str
    urgency_deadline: str | None = None
    urgency_reason: str | None = None
    urgency_notes: str
    desired_outcome: str
    success_measures: str
    systems_involved: tuple[DemoSystem, ...]
    data_sensitivity: str
    equity_considerations: str
    communities_affected: tuple[str, ...]
    accessibility_needs: str
    language_access_needs: str
    restricted: bool
    days_ago: int
    # The product team it is paired with once accepted (by name), and the words of its last
    # triage step: the questions asked, or why it was declined or withdrawn.
    team: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class _City:
    departments: tuple[DemoDepartment, ...]
    people: tuple[DemoPerson, ...]
    teams: tuple[DemoTeam, ...]
    problems: tuple[DemoProblem, ...]


def read_toml(name: str, into: type[T]) -> T:
    """The TOML file ``name`` beside this module, checked as ``into``."""
    text = files("intake.demo").joinpath(name).read_text(encoding="utf-8")
    return msgspec.convert(tomllib.loads(text), into)


_CITY = read_toml("city.toml", _City)
DEPARTMENTS: Final = _CITY.departments
PEOPLE: Final = _CITY.people
TEAMS: Final = _CITY.teams
PROBLEMS: Final = _CITY.problems
