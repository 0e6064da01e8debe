"""Similar problems across all departments, by PostgreSQL full-text search.

The most distinctive lexemes of the problem's title and statement opening become an OR
query; the most recent visible submitted problems matching it are ranked with
``ts_rank_cd`` (normalised to 0..1), so the same words in a title weigh more than in the
body. See docs/performance.md for why the terms and candidates are bounded.

"Distinctive" comes from the statistics ANALYZE keeps on ``problems.search_vector``: the
share of problems holding each common lexeme. They change only when (auto)ANALYZE runs,
so each process keeps them for ``STATS_SECONDS`` (``intake.db.session.cached``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ARRAY, Text, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.db.session import cached
from intake.lib.auth import Caller
from intake.lib.errors import NotFound
from intake.problems.guards import visible_to
from intake.registry.schemas import DepartmentRef
from intake.triage import schemas

MAX_FREQUENCY = 0.05  # a lexeme in 5% of problems or more says nothing about this one,
# and one in 3% or more so little that it is used only when the problem has no rarer one:
# searching on those tripled the problems each search visits, for no better results
# (docs/performance.md, section 4.6).
RARE_FREQUENCY = 0.03
MAX_TERMS = 8
# Rank at most this many matches, the most recently submitted: bounds the cost of a search.
MAX_CANDIDATES = 300
LIMIT = 10

LEXEME_FREQUENCIES = "triage.lexeme_frequencies"
STATS_SECONDS = 600.0  # ANALYZE refreshes them at most every few minutes on a busy table

# Share of problems holding each common lexeme; elements past the lexemes (ANALYZE appends
# the minimum and maximum frequency and the null share) pair with NULL and are dropped.
_FREQUENCIES_SQL = text(
    """
    SELECT common.element, common.frequency
    FROM pg_stats,
         unnest(most_common_elems::text::text[], most_common_elem_freqs)
             AS common(element, frequency)
    WHERE schemaname = current_schema()
      AND tablename = 'problems' AND attname = 'search_vector'
      AND common.element IS NOT NULL
      -- a few hundred problems say little about which words are common: keep every word
      AND (SELECT reltuples FROM pg_class WHERE oid = 'problems'::regclass) >= 1000
    """
)

# The lexemes of a problem's title, and the first 12 of its statement (read from its first
# 2,000 characters) in the order they occur.
_TITLE_TERMS = literal_column(
    "ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, problems.title)))",
    ARRAY(Text),
).label("title_terms")
_OPENING_TERMS = literal_column(
    "ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, "
    "left(coalesce(problems.problem_statement, ''), 2000))) ORDER BY positions[1] LIMIT 12)",
    ARRAY(Text),
).label("opening_terms")


async def similar_to(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID
) -> list[schemas.SimilarProblem]:
    """GET /problems/{id}/similar: 404 unless the caller may see the problem."""
    row = (
        await session.execute(
            select(models.Problem.department_id, _TITLE_TERMS, _OPENING_TERMS).where(
                models.Problem.id == problem_id, visible_to(caller)
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"No problem {problem_id}.")
    return await _search(
        session, caller, problem_id, row.department_id, [*row.title_terms, *row.opening_terms]
    )


async def similar_problems(
    session: AsyncSession, caller: Caller, problem: models.Problem, limit: int = LIMIT
) -> list[schemas.SimilarProblem]:
    """The same list for a problem already in hand (returned on submit)."""
    row = (
        await session.execute(
            select(_TITLE_TERMS, _OPENING_TERMS).where(models.Problem.id == problem.id)
        )
    ).one()
    return await _search(
        session,
        caller,
        problem.id,
        problem.department_id,
        [*row.title_terms, *row.opening_terms],
        limit,
    )


def distinctive_terms(lexemes: Iterable[str], frequencies: Mapping[str, float]) -> list[str]:
    """The lexemes worth searching on, rarest first.

    Words most problems share ("staff", "request", "wait") would make the OR match, and
    rank, nearly every problem in the city; numbers ("11" from "11,660 people") match
    unrelated ones. Without statistics (a new or small table) every other term is kept.
    """
    usable = sorted(
        (frequencies.get(lexeme, 0.0), lexeme)
        for lexeme in set(lexemes)
        if not "0" <= lexeme[:1] <= "9" and frequencies.get(lexeme, 0.0) < MAX_FREQUENCY
    )
    rare = [lexeme for frequency, lexeme in usable if frequency < RARE_FREQUENCY]
    terms = rare or [lexeme for _, lexeme in usable]
    return terms[:MAX_TERMS] if frequencies else terms


def tsquery_text(terms: Iterable[str]) -> str:
    """``'a' | 'b'``: each lexeme quoted (quotes and backslashes doubled), OR'd."""
    quoted = ("'" + term.replace("\\", "\\\\").replace("'", "''") + "'" for term in terms)
    return " | ".join(quoted)


async def _frequencies(session: AsyncSession) -> dict[str, float]:
    async def load() -> dict[str, float]:
        rows = await session.execute(_FREQUENCIES_SQL)
        return {element: float(frequency) for element, frequency in rows}

    return await cached(session, LEXEME_FREQUENCIES, STATS_SECONDS, load)


async def _search(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    department_id: uuid.UUID,
    lexemes: list[str],
    limit: int = LIMIT,
) -> list[schemas.SimilarProblem]:
    terms = distinctive_terms(lexemes, await _frequencies(session))
    if not terms:
        return []
    Problem, Department = models.Problem, models.Department
    tsquery = func.to_tsquery(text("'english'::regconfig"), tsquery_text(terms))
    candidates = (
        select(Problem.id)
        .where(
            Problem.id != problem_id,
            Problem.reference.is_not(None),
            Problem.search_vector.op("@@")(tsquery),
            visible_to(caller),
        )
        .order_by(Problem.submitted_at.desc().nulls_last())
        .limit(MAX_CANDIDATES)
        .subquery()
    )
    similarity = func.ts_rank_cd(Problem.search_vector, tsquery, 32)
    rows = await session.execute(
        select(
            Problem.id,
            Problem.reference,
            Problem.title,
            Problem.status,
            Department.id.label("department_id"),
            Department.code.label("department_code"),
            Department.name.label("department_name"),
            similarity.label("similarity"),
        )
        .join(candidates, candidates.c.id == Problem.id)
        .join(Department, Department.id == Problem.department_id)
        .order_by(similarity.desc(), Problem.id)
        .limit(limit)
    )
    return [_similar_problem(row, department_id) for row in rows]


def _similar_problem(row: Any, department_id: uuid.UUID) -> schemas.SimilarProblem:
    other_department = row.department_id != department_id
    return schemas.SimilarProblem(
        id=row.id,
        reference=row.reference,
        title=row.title,
        status=row.status,
        department=DepartmentRef(
            id=row.department_id, code=row.department_code, name=row.department_name
        ),
        similarity=round(float(row.similarity), 3),
        other_department=other_department,
        suggestion=(
            f"{row.department_name} has a similar problem: consider collaborating "
            f"with them on {row.reference}."
            if other_department
            else None
        ),
    )
