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

# SQL over ``pr``, a problem, that a statement answering with the problem shares
# (``problem_from_row`` reads what they select): its own columns the answer shows ...
ANSWER_COLUMNS = """pr.id, pr.reference, pr.status, pr.version, pr.title, pr.problem_statement,
       pr.affected_groups, pr.affected_people_per_year, pr.current_process, pr.workarounds,
       pr.impact_staff_hours_per_year, pr.impact_cost_per_year, pr.impact_risk,
       pr.impact_resident_burden, pr.urgency_deadline, pr.urgency_reason, pr.urgency_notes,
       pr.desired_outcome, pr.success_measures, pr.systems_involved::text AS systems_involved,
       pr.data_sensitivity, pr.equity_considerations, pr.communities_affected,
       pr.accessibility_needs, pr.language_access_needs, pr.restricted, pr.created_at,
       pr.updated_at, pr.submitted_at, pr.score, pr.redirect_channel, pr.held_from_status,
       pr.delivery_phase, pr.launched_at, pr.closed_at, pr.outcome_result, pr.outcome_summary,
       pr.outcome_lessons, pr.framing_hints::text AS framing_hints, pr.framing_rules"""
# ... its latest status update (from ``NAMES_JOINS``) ...
UPDATE_COLUMNS = """u.id AS update_id, u.status AS update_status, u.summary AS update_summary,
       u.created_at AS update_created_at, u.author_id AS update_author_id,
       ua.name AS update_author_name"""
# ... and what names its triager (t), team (tm), the department it was redirected to (rd),
# and its latest status update (u) with that update's author (ua).
NAMES_JOINS = """LEFT JOIN people t ON t.id = pr.triager_id
LEFT JOIN teams tm ON tm.id = pr.team_id
LEFT JOIN departments rd ON rd.id = pr.redirected_to_department_id
LEFT JOIN LATERAL (
    SELECT su.id, su.status, su.summary, su.created_at, su.author_id
    FROM status_updates su WHERE su.problem_id = pr.id
    ORDER BY su.created_at DESC, su.id DESC LIMIT 1
) u ON true
LEFT JOIN people ua ON ua.id = u.author_id"""

# A row: an asyncpg Record, or a SQLAlchemy row's mapping.
Row = Mapping[Any, Any]

_SYSTEMS = msgspec.json.Decoder(list[schemas.SystemInvolved])


def department_ref(row: Row) -> DepartmentRef:
    """The department a row names (``department_id``, ``_code`` and ``_name``): a problem's,
    or a collaborating department's."""
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
