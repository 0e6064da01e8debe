"""Similar problems across all departments, by PostgreSQL full-text search.

The problem's own title and the opening of its statement become an OR query of their
lexemes; every visible submitted problem matching it is ranked with ``ts_rank_cd``
(normalised to 0..1), so the same words in a title weigh more than in the body.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.lib.auth import Caller
from intake.problems import service as problems
from intake.problems.guards import visible_to
from intake.registry.schemas import DepartmentRef
from intake.triage import schemas

# Lexemes of the title, then the first words of the statement, as an OR tsquery.
_QUERY_SQL = text(
    """
    SELECT string_agg(quote_literal(lexeme), ' | ')
    FROM (
        SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, :title))
        UNION
        SELECT lexeme FROM (
            SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, :statement))
            ORDER BY positions[1] LIMIT :statement_terms
        ) AS opening
    ) AS terms
    """
)
STATEMENT_TERMS = 12


async def similar_problems(
    session: AsyncSession, caller: Caller, problem: models.Problem, limit: int = 10
) -> list[schemas.SimilarProblem]:
    query_text = await session.scalar(
        _QUERY_SQL,
        {
            "title": problem.title,
            "statement": (problem.problem_statement or "")[:2000],
            "statement_terms": STATEMENT_TERMS,
        },
    )
    if not query_text:
        return []
    tsquery = func.to_tsquery(text("'english'::regconfig"), query_text)
    similarity = func.ts_rank_cd(models.Problem.search_vector, tsquery, 32)
    rows = (
        await session.execute(
            select(models.Problem, models.Department, similarity.label("similarity"))
            .join(models.Department, models.Department.id == models.Problem.department_id)
            .where(
                models.Problem.id != problem.id,
                models.Problem.reference.is_not(None),
                models.Problem.search_vector.op("@@")(tsquery),
                visible_to(caller),
            )
            .order_by(similarity.desc(), models.Problem.id)
            .limit(limit)
        )
    ).all()
    found = []
    for other, department, score in rows:
        other_department = other.department_id != problem.department_id
        found.append(
            schemas.SimilarProblem(
                id=other.id,
                reference=other.reference,
                title=other.title,
                status=other.status,
                department=DepartmentRef(
                    id=department.id, code=department.code, name=department.name
                ),
                similarity=round(float(score), 3),
                other_department=other_department,
                suggestion=(
                    f"{department.name} has a similar problem: consider collaborating "
                    f"with them on {other.reference}."
                    if other_department
                    else None
                ),
            )
        )
    return found


async def similar_to(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID
) -> list[schemas.SimilarProblem]:
    problem = await problems.get_visible(session, caller, problem_id)
    return await similar_problems(session, caller, problem)
