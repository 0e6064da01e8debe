"""Similar problems across all departments, by PostgreSQL full-text search.

The most distinctive lexemes of the problem's title and statement opening become an OR
query; the most recent visible submitted problems matching it are ranked with
``ts_rank_cd`` (normalised to 0..1), so the same words in a title weigh more than in the
body. See docs/performance.md for why the terms and candidates are bounded.
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

# The problem's most distinctive lexemes (title, then the statement's opening), rarest first.
# ANALYZE's lexeme frequencies drop words most problems share ("staff", "request", "wait"),
# which would otherwise make the OR match, and rank, nearly every problem in the city.
# Before the first ANALYZE, or while the city has under 1,000 problems, every term is kept.
_QUERY_SQL = text(
    """
    WITH stats AS (
        SELECT element AS lexeme, frequency
        FROM pg_stats,
             unnest(most_common_elems::text::text[], most_common_elem_freqs)
                 AS common(element, frequency)
        WHERE schemaname = current_schema()
          AND tablename = 'problems' AND attname = 'search_vector'
          -- a few hundred problems say little about which words are common
          AND (SELECT reltuples FROM pg_class WHERE oid = 'problems'::regclass) >= 1000
    )
    SELECT string_agg(quote_literal(lexeme), ' | ')
    FROM (
        SELECT terms.lexeme
        FROM (
            SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, :title))
            UNION
            SELECT lexeme FROM (
                SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, :statement))
                ORDER BY positions[1] LIMIT :statement_terms
            ) AS opening
        ) AS terms
        LEFT JOIN stats USING (lexeme)
        WHERE coalesce(stats.frequency, 0) < CAST(:max_frequency AS real)
          AND terms.lexeme !~ '^[0-9]'
        ORDER BY coalesce(stats.frequency, 0), terms.lexeme
        LIMIT CASE WHEN EXISTS (SELECT 1 FROM stats) THEN CAST(:max_terms AS bigint) END
    ) AS distinctive
    """
)
STATEMENT_TERMS = 12
MAX_FREQUENCY = 0.05  # a lexeme in 5% of problems or more says nothing about this one
MAX_TERMS = 8
# Rank at most this many matches, the most recently submitted: bounds the cost of a search.
MAX_CANDIDATES = 300


async def similar_problems(
    session: AsyncSession, caller: Caller, problem: models.Problem, limit: int = 10
) -> list[schemas.SimilarProblem]:
    query_text = await session.scalar(
        _QUERY_SQL,
        {
            "title": problem.title,
            "statement": (problem.problem_statement or "")[:2000],
            "statement_terms": STATEMENT_TERMS,
            "max_frequency": MAX_FREQUENCY,
            "max_terms": MAX_TERMS,
        },
    )
    if not query_text:
        return []
    tsquery = func.to_tsquery(text("'english'::regconfig"), query_text)
    candidates = (
        select(models.Problem.id)
        .where(
            models.Problem.id != problem.id,
            models.Problem.reference.is_not(None),
            models.Problem.search_vector.op("@@")(tsquery),
            visible_to(caller),
        )
        .order_by(models.Problem.submitted_at.desc().nulls_last())
        .limit(MAX_CANDIDATES)
        .subquery()
    )
    similarity = func.ts_rank_cd(models.Problem.search_vector, tsquery, 32)
    rows = (
        await session.execute(
            select(models.Problem, models.Department, similarity.label("similarity"))
            .join(candidates, candidates.c.id == models.Problem.id)
            .join(models.Department, models.Department.id == models.Problem.department_id)
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
