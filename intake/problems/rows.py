"""A problem's answer built from a row that names it: the one-statement reads
(``intake.problems.reads``) and a new draft's statement (``intake.problems.drafting``) give
rows of the same columns, so they answer alike.

``service.problem_out`` builds the same body from an entity for the writes that have loaded
one; tests/test_problems.py holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from intake.lib.schema import from_columns
from intake.problems import framing, schemas
from intake.registry.schemas import DepartmentRef

# A row: an asyncpg Record, or a SQLAlchemy row's mapping.
Row = Mapping[Any, Any]

_SYSTEMS = msgspec.json.Decoder(list[schemas.SystemInvolved])


def department_ref(row: Row) -> DepartmentRef:
    """The problem's department, from a row that names it."""
    return DepartmentRef(
        id=row["department_id"], code=row["department_code"], name=row["department_name"]
    )


_problem = from_columns(
    schemas.Problem,
    *("affected_groups", "communities_affected", "systems_involved", "department", "submitter"),
    *("triager", "team", "redirected_to", "outcome_review", "latest_update", "framing_hints"),
)


def problem_from_row(row: Row) -> schemas.Problem:
    triager_id, team_id, redirected_id = row["triager_id"], row["team_id"], row["redirected_id"]
    update_id = row["update_id"]
    return _problem(
        row,
        affected_groups=list(row["affected_groups"]),
        communities_affected=list(row["communities_affected"]),
        systems_involved=_SYSTEMS.decode(row["systems_involved"]),
        department=department_ref(row),
        submitter=schemas.PersonRef(id=row["submitter_id"], name=row["submitter_name"]),
        triager=schemas.PersonRef(id=triager_id, name=row["triager_name"]) if triager_id else None,
        team=schemas.TeamRef(id=team_id, name=row["team_name"]) if team_id else None,
        redirected_to=DepartmentRef(
            id=redirected_id, code=row["redirected_code"], name=row["redirected_name"]
        )
        if redirected_id
        else None,
        outcome_review=schemas.OutcomeReviewOut(
            result=row["outcome_result"],
            summary=row["outcome_summary"] or "",
            lessons=row["outcome_lessons"] or "",
        )
        if row["outcome_result"]
        else None,
        latest_update=schemas.StatusUpdateOut(
            id=update_id,
            status=row["update_status"],
            summary=row["update_summary"],
            author=schemas.PersonRef(id=row["update_author_id"], name=row["update_author_name"]),
            created_at=row["update_created_at"],
        )
        if update_id
        else None,
        framing_hints=framing.stored_hints(
            row["framing_hints"],
            row["framing_rules"],
            title=row["title"],
            problem_statement=row["problem_statement"],
            desired_outcome=row["desired_outcome"],
        ),
    )
