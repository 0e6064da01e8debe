"""Similar problems across all departments, by PostgreSQL full-text search, stored.

The most distinctive lexemes of a problem's title and statement opening become an OR
query; of the most recently submitted problems matching it, the best are ranked with
``ts_rank_cd`` (normalised to 0..1), so the same words in a title weigh more than in the
body. See docs/performance.md for why the terms and candidates are bounded.

That search runs when a problem is submitted and when its title or statement changes,
not on every read: its best ``KEEP`` matches are stored in ``problem_similarities`` for
everyone, restricted ones included, and each match lists the problem back with the same
score (cutting its own list back to its best ``KEEP``). A read is then one indexed query
that applies the reader's visibility. Problems submitted before the table existed have
nothing stored (``similar_computed_at`` is NULL): their first read fills them, or
``intake similar backfill`` fills them all.

Other words for the same thing: the search runs on PostgreSQL's English stems (so
"families" finds "family"), and a civic synonym dictionary kept in the repository
(``synonyms.txt``) joins words staff use for one thing ("household", "family"; "benefit",
"assistance", "aid"). Each group present in a problem's words is searched as one term that
any member matches, so a paraphrase from another department is found. The dictionary is
applied to the query, not the stored document: the ``search_vector`` column stays what it
was (a generated column on any PostgreSQL, no server-side dictionary files), and changing the
dictionary needs no migration, only ``intake similar recompute`` to search again.

"Distinctive" comes from the statistics ANALYZE keeps on ``problems.search_vector``: the
share of problems holding each common lexeme. They change only when (auto)ANALYZE runs,
so each process keeps them for ``STATS_SECONDS`` (``intake.db.session.cached``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ARRAY,
    Text,
    and_,
    any_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import models
from intake.db.base import Base
from intake.db.session import cached
from intake.lib.auth import Caller
from intake.lib.clock import utcnow
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
OPENING = 12  # lexemes of the statement's opening searched on, besides the title's
# Rank at most this many matches, the most recently submitted: bounds the cost of a search.
MAX_CANDIDATES = 300
# Matches stored per problem: enough that a reader who may not see some of them (restricted
# problems of other departments) still gets LIMIT.
KEEP = 30
LIMIT = 10

LEXEME_FREQUENCIES = "triage.lexeme_frequencies"
SYNONYMS = Path(__file__).with_name("synonyms.txt")
VOCABULARY = "triage.synonyms"
VOCABULARY_SECONDS = 86_400.0  # the file changes only with a new release
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

# Marks a problem's matches as stored (``force``: even if they were), and returns what the
# search needs: whether it was submitted, the lexemes of its title, and the first ``OPENING`` of its
# statement (read from its first 2,000 characters) in the order they occur. Plain SQL: the
# marker is not an edit, so the model's updated_at stamp must not apply (nor a new version,
# nor history). Nothing is returned if the problem was marked already and not ``force``.
_MARK_SQL = text(
    """
    UPDATE problems SET similar_computed_at = :now
    WHERE id = :id AND (:force OR similar_computed_at IS NULL)
    RETURNING reference IS NOT NULL AS submitted,
        ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, title))) AS title_terms,
        ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig,
              left(coalesce(problem_statement, ''), 2000))) ORDER BY positions[1] LIMIT :opening)
            AS opening_terms
    """
)
_UNMARK_SQL = text("UPDATE problems SET similar_computed_at = NULL WHERE id = :id")
_STALE_LISTS = text(
    "UPDATE problems SET similar_computed_at = NULL WHERE id IN "
    "(SELECT problem_id FROM problem_similarities WHERE similar_id = :id ORDER BY problem_id) "
    "AND id <> :id"
)


# -- reading ----------------------------------------------------------------------------------


async def similar_to(
    session: AsyncSession, caller: Caller, problem_id: uuid.UUID
) -> list[schemas.SimilarProblem]:
    """GET /problems/{id}/similar: 404 unless the caller may see the problem.

    A problem with nothing stored yet (from before matches were stored) is filled first.
    """
    Problem = models.Problem
    row = (
        await session.execute(
            select(Problem.department_id, Problem.similar_computed_at).where(
                Problem.id == problem_id, visible_to(caller)
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"No problem {problem_id}.")
    if row.similar_computed_at is None:
        await fill(session, problem_id)
    return await _stored(session, caller, problem_id, row.department_id)


async def similar_problems(
    session: AsyncSession, caller: Caller, problem: models.Problem, limit: int = LIMIT
) -> list[schemas.SimilarProblem]:
    """The same list for a problem already in hand (returned on submit, once stored)."""
    return await _stored(session, caller, problem.id, problem.department_id, limit)


async def _stored(
    session: AsyncSession,
    caller: Caller,
    problem_id: uuid.UUID,
    department_id: uuid.UUID,
    limit: int = LIMIT,
) -> list[schemas.SimilarProblem]:
    """The best stored matches the caller may see: submitted problems, best first."""
    Problem, Department, Similarity = models.Problem, models.Department, models.ProblemSimilarity
    rows = await session.execute(
        select(
            Problem.id,
            Problem.reference,
            Problem.title,
            Problem.status,
            Department.id.label("department_id"),
            Department.code.label("department_code"),
            Department.name.label("department_name"),
            Similarity.score.label("similarity"),
        )
        .select_from(Similarity)
        .join(Problem, Problem.id == Similarity.similar_id)
        .join(Department, Department.id == Problem.department_id)
        .where(
            Similarity.problem_id == problem_id,
            Problem.reference.is_not(None),
            visible_to(caller),
        )
        .order_by(Similarity.score.desc(), Similarity.similar_id)
        .limit(limit)
    )
    return [_similar_problem(row, department_id) for row in rows]


# -- storing ----------------------------------------------------------------------------------


async def recompute(session: AsyncSession, problem: models.Problem) -> None:
    """The problem's words are new: it was just submitted, or its title or statement changed.

    Its matches, and its place in other problems' lists, are computed again now, in the
    change's transaction. A draft's (stored only if someone read them) are dropped instead,
    and computed again when next read: drafts change often and nobody else sees them.
    """
    submitted = problem.reference is not None
    if not submitted and problem.similar_computed_at is None:
        return  # a draft nobody has read the matches of: nothing stored to drop
    await session.flush()  # the search reads the problem's new words from the database
    # The lists that held this problem lose it and never got back the match they cut for
    # it: they are searched again on their next read (or by the backfill).
    await session.execute(_STALE_LISTS, {"id": problem.id})
    await session.execute(_FORGET, {"id": problem.id})
    if not submitted:
        await session.execute(_UNMARK_SQL, {"id": problem.id})
        return
    marking = {"now": utcnow(), "id": problem.id, "force": True, "opening": OPENING}
    words = (await session.execute(_MARK_SQL, marking)).one()
    await _store(session, problem.id, words)


async def fill(session: AsyncSession, problem_id: uuid.UUID) -> bool:
    """Compute and store the matches of a problem that has none stored yet.

    Adds to what is there: other problems may already list it. False when another
    transaction has just done it (its marker is claimed first, so only one of them searches).
    """
    marking = {"now": utcnow(), "id": problem_id, "force": False, "opening": OPENING}
    words = (await session.execute(_MARK_SQL, marking)).first()
    if words is None:
        return False
    await _store(session, problem_id, words)
    return True


async def forget_all(session: AsyncSession) -> None:
    """Drop every stored match (``intake similar recompute`` then searches again)."""
    await session.execute(delete(_SIMILARITIES))
    await session.execute(
        text("UPDATE problems SET similar_computed_at = NULL WHERE similar_computed_at IS NOT NULL")
    )


async def count_unfilled(session: AsyncSession) -> int:
    """Submitted problems with nothing stored yet (what the backfill has to do)."""
    Problem = models.Problem
    count = await session.scalar(
        select(func.count()).where(
            Problem.reference.is_not(None), Problem.similar_computed_at.is_(None)
        )
    )
    return int(count or 0)


async def next_unfilled(
    session: AsyncSession, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """Up to ``limit`` submitted problems with nothing stored, in id order after ``after``."""
    Problem = models.Problem
    query = (
        select(Problem.id)
        .where(Problem.reference.is_not(None), Problem.similar_computed_at.is_(None))
        .order_by(Problem.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Problem.id > after)
    return list(await session.scalars(query))


async def _store(session: AsyncSession, problem_id: uuid.UUID, words: Row[Any]) -> None:
    """Search, and store the best ``KEEP`` matches (and, once submitted, the problem in each
    match's list); then cut every list that grew back to its best ``KEEP``."""
    terms = search_terms(
        [*words.title_terms, *words.opening_terms],
        await _frequencies(session),
        await vocabulary(session),
    )
    if not terms:
        return
    rows = await session.execute(
        _STORE_BOTH_WAYS if words.submitted else _STORE,
        {
            "id": problem_id,
            "query": " | ".join(terms),
            "candidates": MAX_CANDIDATES,
            "keep": KEEP,
        },
    )
    lists = {problem_id, *(list_id for (list_id,) in rows)}
    if len(lists) > 1:
        await session.execute(_CUT_BACK, {"lists": sorted(lists), "keep": KEEP})


# The statements are built once: building them per search cost more than running them.
_SIMILARITIES = Base.metadata.tables["problem_similarities"]
_FORGET = delete(_SIMILARITIES).where(
    or_(
        _SIMILARITIES.c.problem_id == bindparam("id"), _SIMILARITIES.c.similar_id == bindparam("id")
    )
)


def _store_statement(both_ways: bool) -> Any:
    """One INSERT ... SELECT: the search, and its matches as rows of the problem's list (and
    ``both_ways``, of theirs), returning which lists got rows.

    An edge already there (the other problem found this one first) keeps the higher of the
    two scores, so the result does not depend on which was computed first. Rows go in key
    order, so two submits touching the same lists lock them in the same order.
    """
    Problem, table = models.Problem, _SIMILARITIES
    this = bindparam("id", type_=UUID(as_uuid=True))
    tsquery = func.to_tsquery(text("'english'::regconfig"), bindparam("query", type_=Text))
    candidates = (
        select(Problem.id)
        .where(
            Problem.id != this,
            Problem.reference.is_not(None),
            Problem.search_vector.op("@@")(tsquery),
        )
        .order_by(Problem.submitted_at.desc().nulls_last())
        .limit(bindparam("candidates"))
        .subquery()
    )
    score = func.ts_rank_cd(Problem.search_vector, tsquery, 32)
    found = (
        select(Problem.id, score.label("score"))
        .join(candidates, candidates.c.id == Problem.id)
        .order_by(score.desc(), Problem.id)
        .limit(bindparam("keep"))
        .cte("found")
    )
    forward = select(this.label("problem_id"), found.c.id.label("similar_id"), found.c.score)
    edges = forward.union_all(select(found.c.id, this, found.c.score)) if both_ways else forward
    ordered = edges.subquery("edges")
    statement = insert(table).from_select(
        ["problem_id", "similar_id", "score"],
        select(ordered).order_by(ordered.c.problem_id, ordered.c.similar_id),
    )
    return statement.on_conflict_do_update(
        index_elements=[table.c.problem_id, table.c.similar_id],
        set_={"score": func.greatest(table.c.score, statement.excluded.score)},
    ).returning(table.c.problem_id)


def _cut_back_statement() -> Any:
    """Delete what falls below each list's best ``keep``, locking rows in key order."""
    table = _SIMILARITIES
    rows = table.alias("rows")
    ranked = (
        select(
            rows.c.problem_id,
            rows.c.similar_id,
            func.row_number()
            .over(partition_by=rows.c.problem_id, order_by=(rows.c.score.desc(), rows.c.similar_id))
            .label("place"),
        )
        .where(rows.c.problem_id == any_(bindparam("lists", type_=ARRAY(UUID(as_uuid=True)))))
        .subquery("ranked")
    )
    surplus = (
        select(table.c.problem_id, table.c.similar_id)
        .join(
            ranked,
            and_(
                ranked.c.problem_id == table.c.problem_id,
                ranked.c.similar_id == table.c.similar_id,
            ),
        )
        .where(ranked.c.place > bindparam("keep"))
        .order_by(table.c.problem_id, table.c.similar_id)
        .with_for_update(of=table)
        .cte("surplus")
    )
    return delete(table).where(
        tuple_(table.c.problem_id, table.c.similar_id).in_(
            select(surplus.c.problem_id, surplus.c.similar_id)
        )
    )


_STORE = _store_statement(both_ways=False)
_STORE_BOTH_WAYS = _store_statement(both_ways=True)
_CUT_BACK = _cut_back_statement()


# -- other words for the same thing ---------------------------------------------------------


def synonym_groups(path: Path = SYNONYMS) -> tuple[tuple[str, ...], ...]:
    """The dictionary's groups: one a line, comma-separated words or phrases, ``#`` comments."""
    groups: list[tuple[str, ...]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        words = tuple(
            dict.fromkeys(w.strip().lower() for w in line.split("#", 1)[0].split(",") if w.strip())
        )
        if len(words) > 1:
            groups.append(words)
    return tuple(groups)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The synonym groups as PostgreSQL sees them (English stems).

    ``group_of`` maps a one-word member's lexeme to its group (the first group wins if a
    lexeme is in two); ``phrases`` lists each group's multi-word members as lexeme tuples;
    ``alternatives`` is each group's members as tsquery text (``'famili'``,
    ``'food' <-> 'stamp'``).
    """

    group_of: Mapping[str, int]
    phrases: tuple[tuple[tuple[str, ...], ...], ...]
    alternatives: tuple[tuple[str, ...], ...]


EMPTY_VOCABULARY = Vocabulary({}, (), ())

_STEMS_SQL = text(
    """
    SELECT word,
        ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, word))
              ORDER BY positions[1]) AS lexemes,
        phraseto_tsquery('english'::regconfig, word)::text AS query
    FROM unnest(CAST(:words AS text[])) AS word
    """
)


async def vocabulary(
    session: AsyncSession, groups: tuple[tuple[str, ...], ...] | None = None
) -> Vocabulary:
    """The dictionary's groups stemmed by the database (so exactly as its documents are)."""

    async def load() -> Vocabulary:
        chosen = synonym_groups() if groups is None else groups
        words = sorted({word for group in chosen for word in group})
        rows = await session.execute(_STEMS_SQL, {"words": words})
        stems = {row.word: (tuple(row.lexemes), row.query) for row in rows}
        group_of: dict[str, int] = {}
        phrases: list[tuple[tuple[str, ...], ...]] = []
        alternatives: list[tuple[str, ...]] = []
        for index, group in enumerate(chosen):
            members = [stems[word] for word in group if stems[word][0]]
            for lexemes, _ in members:
                if len(lexemes) == 1:
                    group_of.setdefault(lexemes[0], index)
            phrases.append(tuple(lexemes for lexemes, _ in members if len(lexemes) > 1))
            alternatives.append(tuple(dict.fromkeys(query for _, query in members)))
        return Vocabulary(group_of, tuple(phrases), tuple(alternatives))

    if groups is not None:
        return await load()
    return await cached(session, VOCABULARY, VOCABULARY_SECONDS, load)


def search_terms(
    lexemes: Iterable[str], frequencies: Mapping[str, float], words: Vocabulary
) -> list[str]:
    """The terms to search a problem's lexemes on: its distinctive lexemes, each synonym group
    it holds as one term (its share of problems is its members' together)."""
    present = set(lexemes)
    fragments: dict[str, str] = {}
    shares: dict[str, float] = {}
    groups: set[int] = set()
    for lexeme in present:
        group = words.group_of.get(lexeme)
        if group is None:
            fragments[lexeme] = tsquery_text([lexeme])
            shares[lexeme] = frequencies.get(lexeme, 0.0)
        else:
            groups.add(group)
    for index, phrases in enumerate(words.phrases):
        if any(all(lexeme in present for lexeme in phrase) for phrase in phrases):
            groups.add(index)
    for index in groups:
        key = f"~{index}"  # no lexeme starts with "~"
        fragments[key] = "(" + " | ".join(words.alternatives[index]) + ")"
        shares[key] = sum(
            frequencies.get(lexeme, 0.0)
            for lexeme, group in words.group_of.items()
            if group == index
        )
    chosen = distinctive_terms(fragments, shares if frequencies else {})
    return [fragments[key] for key in chosen]


def search_query(
    lexemes: Iterable[str], frequencies: Mapping[str, float], words: Vocabulary
) -> str:
    """The tsquery text that finds the candidates: every term OR'd."""
    return " | ".join(search_terms(lexemes, frequencies, words))


# -- choosing the words -----------------------------------------------------------------------


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
