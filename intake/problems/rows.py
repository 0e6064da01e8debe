"""A problem's answer built from a row that names it: the one-statement reads
(``intake.problems.reads``) and a new draft's statement (``intake.problems.drafting``) give
rows of the same columns, so they answer alike.

``service.problem_out`` builds the same body from an entity for the writes that have loaded
one; tests/test_problems.py holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import msgspec

from intake.problems import framing, schemas
from intake.registry.schemas import DepartmentRef
from intake.vocabulary.states import Status

# A row: an asyncpg Record, or a SQLAlchemy row's mapping.
Row = Mapping[Any, Any]

_SYSTEMS = msgspec.json.Decoder(list[schemas.SystemInvolved])


def department_ref(row: Row) -> DepartmentRef:
    """The problem's department, from a row that names it."""
    return DepartmentRef(
        id=row["department_id"], code=row["department_code"], name=row["department_name"]
    )


def problem_from_row(row: Row) -> schemas.Problem:
    triager_id, team_id, redirected_id = row["triager_id"], row["team_id"], row["redirected_id"]
    primary, update_id = row["primary_problem_id"], row["update_id"]
    return schemas.Problem(
        id=row["id"],
        reference=row["reference"],
        status=cast(Status, row["status"]),
        version=row["version"],
        title=row["title"],
        problem_statement=row["problem_statement"],
        affected_groups=list(row["affected_groups"]),
        affected_people_per_year=row["affected_people_per_year"],
        current_process=row["current_process"],
        workarounds=row["workarounds"],
        impact_staff_hours_per_year=row["impact_staff_hours_per_year"],
        impact_cost_per_year=row["impact_cost_per_year"],
        impact_risk=row["impact_risk"],
        impact_resident_burden=row["impact_resident_burden"],
        urgency_deadline=row["urgency_deadline"],
        urgency_reason=row["urgency_reason"],
        urgency_notes=row["urgency_notes"],
        desired_outcome=row["desired_outcome"],
        success_measures=row["success_measures"],
        systems_involved=_SYSTEMS.decode(row["systems_involved"]),
        data_sensitivity=row["data_sensitivity"],
        equity_considerations=row["equity_considerations"],
        communities_affected=list(row["communities_affected"]),
        accessibility_needs=row["accessibility_needs"],
        language_access_needs=row["language_access_needs"],
        restricted=row["restricted"],
        department=department_ref(row),
        submitter=schemas.PersonRef(id=row["submitter_id"], name=row["submitter_name"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        submitted_at=row["submitted_at"],
        triager=schemas.PersonRef(id=triager_id, name=row["triager_name"]) if triager_id else None,
        team=schemas.TeamRef(id=team_id, name=row["team_name"]) if team_id else None,
        score=row["score"],
        primary_problem_id=primary if primary else None,
        redirected_to=DepartmentRef(
            id=redirected_id, code=row["redirected_code"], name=row["redirected_name"]
        )
        if redirected_id
        else None,
        redirect_channel=row["redirect_channel"],
        held_from_status=row["held_from_status"],
        delivery_phase=row["delivery_phase"],
        launched_at=row["launched_at"],
        closed_at=row["closed_at"],
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
