"""Similar problems across all departments: shared terms weighed by rarity, stored.

Each problem is compared on its *terms* (``intake.triage.words``): the stems of its title and
of the opening of its statement, synonyms joined (families and households share a term) and
each kind of thing named (sofas and mattresses are both bulky items).
A term weighs by how rare it is, in the city's problems and in English, so a paraphrase from
another department that shares "naloxone" and "overdose" beats a problem that shares
"residents", "wait" and "month". The score of two problems is the cosine of their weighted
terms: 1 for the same terms, 0 for none in common, the same whichever of the two asks.

The search runs when a problem is submitted and when its title or statement changes, not on
every read: the problems sharing its rarest terms (at most ``MAX_CANDIDATES``, the most
recently submitted) are scored, and its best ``KEEP`` are stored in ``problem_similarities``
for everyone, restricted ones included; each match lists the problem back with the same
score (cutting its own list back to its best ``KEEP``). A read is then one indexed query that
applies the reader's visibility. Problems submitted before the table existed have nothing
stored (``similar_computed_at`` is NULL): their first read fills them, or ``intake similar
backfill`` fills them all. ``intake similar recompute`` computes every problem's terms,
weights and matches again, as after a change to the dictionary.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy import (
    ARRAY,
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
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import driven, models
from intake.db.base import Base
from intake.lib.clock import utcnow
from intake.lib.errors import NotFound
from intake.problems.guards import (
    visible_clause,
    visible_clause_for,
    visible_params,
    visible_to,
)
from intake.problems.rows import department_ref
from intake.problems.subscribers import Rows
from intake.triage import schemas, words
from intake.web.auth import Caller

MAX_FREQUENCY = 0.2  # a term in a fifth of problems or more finds no candidates (it still
# scores them): searching on it would visit most of the city for a few hundredths of score
OPENING = 20  # stems of the statement's opening compared on, besides the title's
# The candidates scored: the problems holding the rarest terms, up to about this many (the
# most recently submitted, if ever more): bounds a search's cost.
MAX_CANDIDATES = 1500
# Matches stored per problem: enough that a reader who may not see some of them (restricted
# problems of other departments) still gets LIMIT.
KEEP = 30
LIMIT = 10

# Marks a problem's matches as stored (``force``: even if they were), and returns what the
# search needs: whether it was submitted, the stems of its title and of its statement's
# opening (its first ``OPENING``, read from its first 2,000 characters, in the order they
# occur), and the terms stored. Plain SQL: the marker is not an edit, so the model's
# updated_at stamp must not apply (nor a new version, nor history). Nothing is returned if
# the problem was marked already and not ``force``. Its meaning is due again: the meaning
# worker (intake.triage.meanings) scores its matches again, by meaning and terms. _WORDS_SQL
# reads the same of several.
# A problem's words as both read them: its title's stems, its opening's and the stored ones.


def _terms(of: str = "") -> str:
    """The words' columns, over the problem ``of`` names (an alias), or the only one."""
    at = f"{of}." if of else ""
    return f"""{at}reference IS NOT NULL AS submitted,
        ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, {at}title))
              ORDER BY positions[1]) AS title_terms,
        ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig,
              left(coalesce({at}problem_statement, ''), 2000)))
              ORDER BY positions[1] LIMIT :opening) AS opening_terms,
        {at}similar_terms AS stored_terms"""  # noqa: S608 (an alias of ours)


_TERMS = _terms()
# The same of the problem a submit locks (``pr``: ``problems.submitting.lock_statement``),
# read with it; its parameter ``opening`` is ``OPENING``.
LOCKED_WORDS = _terms("pr")
_MARK_SQL = text(
    f"""
    UPDATE problems SET similar_computed_at = :now, meaning_model = NULL
    WHERE id = :id AND (:force OR similar_computed_at IS NULL)
    RETURNING {_TERMS}
    """  # noqa: S608 (constant fragments only)
)
_WORDS_SQL = text(
    f"""
    SELECT id, {_TERMS}
    FROM problems WHERE id = ANY(:ids) ORDER BY id
    """  # noqa: S608 (constant fragments only)
)
# A submitted problem's words are new: the lists that held it are searched again on their
# next read, its own matches go, and it is marked (_MARK_SQL), in one statement.
_FORGETTING = """
    WITH stale AS (
        UPDATE problems SET similar_computed_at = NULL WHERE id IN
            (SELECT problem_id FROM problem_similarities WHERE similar_id = :id
             ORDER BY problem_id)
        AND id <> :id
    ), forgot AS (
        DELETE FROM problem_similarities WHERE problem_id = :id OR similar_id = :id
    )
"""
_FORGET_AND_MARK_SQL = text("".join((_FORGETTING, _MARK_SQL.text)))
# A submit's (``search_before_numbering``), compiled for its connection below: its words were
# read with its lock, so the forgetting rides on the counts' read.
_FORGET_AND_COUNT = driven.compiled(
    text(
        "".join(
            (
                _FORGETTING,
                "SELECT term, problems FROM similar_term_counts "
                "WHERE term = ANY(CAST(:terms AS text[]))",
            )
        )
    )
)
_UNMARK_SQL = text("UPDATE problems SET similar_computed_at = NULL WHERE id = :id")
_STALE_LISTS = text(
    "UPDATE problems SET similar_computed_at = NULL WHERE id IN "
    "(SELECT problem_id FROM problem_similarities WHERE similar_id = :id ORDER BY problem_id) "
    "AND id <> :id"
)
_TERMS_SQL = text(
    "UPDATE problems SET similar_terms = :kept_terms, similar_norm = :norm WHERE id = :id"
)
_NORMS_SQL = text(
    "UPDATE problems SET similar_norm = given.norm "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:norms AS real[])) AS given(id, norm) "
    "WHERE problems.id = given.id"
)
# Adds ``changes`` to the terms' counts, rows in key order (two submits lock them alike), and
# records the dictionary on a database that has none recorded yet.
_COUNT_SQL = text(
    """
    WITH recorded AS (
        INSERT INTO similar_dictionary (dictionary, recorded_at) VALUES (:dictionary, :now)
        ON CONFLICT DO NOTHING
    )
    INSERT INTO similar_term_counts (term, problems)
    SELECT term, change FROM unnest(CAST(:terms AS text[]), CAST(:changes AS int[]))
        AS given(term, change)
    ORDER BY term
    ON CONFLICT (term) DO UPDATE SET problems = similar_term_counts.problems + excluded.problems
    """
)
# _COUNT_SQL as clauses of a submit's one statement (``rows``).
_COUNTED = """
recorded AS (
    INSERT INTO similar_dictionary (dictionary, recorded_at)
    VALUES (:counted_dictionary, :counted_now)
    ON CONFLICT DO NOTHING
), counted AS (
    INSERT INTO similar_term_counts (term, problems)
    SELECT term, change FROM unnest(CAST(:counted_terms AS text[]),
                                    CAST(:counted_changes AS int[])) AS given(term, change)
    ORDER BY term
    ON CONFLICT (term) DO UPDATE SET problems = similar_term_counts.problems + excluded.problems
)"""
_COUNTS_SQL = text(
    "SELECT term, problems FROM similar_term_counts WHERE term = ANY(CAST(:terms AS text[]))"
)
_TOTAL = ""  # the counts' row that holds how many problems are counted
# A problem's terms to count in, and those to count out (None: it was not counted yet).
_Change = tuple[Sequence[str], Sequence[str] | None]
# In the session's info: the problems a submit searched before its reference, each with
# the change its event counts in (``search_before_numbering``).
_SEARCHED = "intake.triage.similar.searched"


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
    cut: list[uuid.UUID] | None = None,
    connection: asyncpg.Connection | None = None,
) -> list[schemas.SimilarProblem]:
    """The best stored matches the caller may see: submitted problems, best first.

    ``cut``: lists that grew, cut back to their best ``KEEP`` by the same statement. The cut
    never reaches these matches: the problem's own list was just written (at most ``KEEP``),
    and whatever a cut removes is below the best ``KEEP``, far below the ``limit`` read.
    ``connection``: the session's (``intake.db.driven``), for a person's read."""
    clause = visible_clause(caller)
    params: dict[str, Any] = {"problem_id": problem_id, "limit": limit}
    if cut:
        params |= {"lists": cut, "keep": KEEP}
    if clause is None:  # a department-scoped service account: its rule built for it
        query = _stored_query(visible_to(caller), bool(cut))
    else:
        key = caller.sees_everything_submitted, bool(cut)
        params |= visible_params(caller)
        if connection is not None:
            found = await driven.fetch(connection, _STORED_DRIVEN[key], params)
            return [_similar_problem(row, department_id) for row in found]
        query = _STORED[key]
    rows = await session.execute(query, params)
    return [_similar_problem(dict(row._mapping), department_id) for row in rows]


def _stored_query(visible: Any, cut: bool) -> Any:
    Problem, Department, Similarity = models.Problem, models.Department, models.ProblemSimilarity
    query = (
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
            Similarity.problem_id == bindparam("problem_id"),
            Problem.reference.is_not(None),
            visible,
        )
        .order_by(Similarity.score.desc(), Similarity.similar_id)
        .limit(bindparam("limit"))
    )
    return query.add_cte(_CUT_BACK_CTE) if cut else query


# -- storing ----------------------------------------------------------------------------------


# The fields a similar-problem search is made of: a change to either recomputes the
# problem's stored matches.
WORDS = frozenset({"title", "problem_statement"})


async def on_event(
    session: AsyncSession, event: models.ProblemEvent, mentions: tuple[uuid.UUID, ...]
) -> None:
    """The history's subscriber: a submitted problem, or one whose words changed, has its
    matches (and its place in theirs) computed again in the change's transaction. A submit
    that searched before taking its reference (``search_before_numbering``) only counts its
    terms in now."""
    searched: dict[uuid.UUID, _Change | None] = session.info.get(_SEARCHED, {})
    if event.type == "submitted" and event.problem_id in searched:
        change = searched.pop(event.problem_id)
        if change is not None:
            await _count(session, [change])
        return
    if event.type == "submitted" or (
        event.type == "updated" and not WORDS.isdisjoint(event.changes)
    ):
        # A submit writes without the ORM (``problems.submitting``): its problem read afresh.
        afresh = event.type == "submitted"
        problem = await session.get(models.Problem, event.problem_id, populate_existing=afresh)
        if problem is not None:
            await recompute(session, problem)


def rows(
    session: AsyncSession | None, event: models.ProblemEvent, mentions: tuple[uuid.UUID, ...]
) -> Rows | None:
    """``on_event`` as a clause of the statement that writes the event, for a submit that
    searched before its reference (``intake.problems.numbering``): its terms counted in. Any
    other event that needs a search is followed after its statement (None)."""
    searched: dict[uuid.UUID, _Change | None] = (
        session.info.get(_SEARCHED, {}) if session is not None else {}
    )
    if event.type == "submitted" and event.problem_id in searched:
        change = searched.pop(event.problem_id)
        given = _given([change] if change is not None else [])
        if not given:
            return Rows()
        return Rows(
            _COUNTED,
            {
                "counted_terms": [term for term, _ in given],
                "counted_changes": [change for _, change in given],
                "counted_dictionary": words.dictionary_hash(),
                "counted_now": utcnow(),
            },
        )
    if event.type == "submitted" or (
        event.type == "updated" and not WORDS.isdisjoint(event.changes)
    ):
        return None
    return Rows()


async def search_before_numbering(
    session: AsyncSession, caller: Caller, problem: Row[Any], connection: asyncpg.Connection
) -> list[schemas.SimilarProblem]:
    """A submit's search, and the matches it answers with, before the reference is taken.

    ``problem`` is the draft's locked row, with its ``id``, ``department_id`` and words
    (``LOCKED_WORDS``). The search (tens of milliseconds at city scale) then runs while
    other submits take their references, in three statements: what the problem's lists held
    forgotten with the terms' counts read, the search with the terms kept and the problem
    marked, the matches read with the lists that grew cut back. Only counting the problem's
    terms in locks a row every submit shares (the total); that waits for the submit's event
    (``rows``), after the reference. The statements go on the session's ``connection``
    (``intake.db.driven``), which the draft's lock began the transaction of.
    """
    vocabulary = await words.vocabulary(session)
    terms = words.terms_of([*problem.title_terms, *problem.opening_terms], vocabulary)
    change = (terms, problem.stored_terms) if problem.stored_terms != terms else None
    given = {"terms": [_TOTAL, *terms], "id": problem.id}
    counted = await driven.fetch(connection, _FORGET_AND_COUNT, given)
    weights, counts = _weighed(terms, vocabulary, counted, [change] if change else [])
    norm = math.sqrt(sum(weight * weight for weight in weights.values()))
    rare = finding_terms(weights, counts)
    kept = {"id": problem.id, "kept_terms": terms, "norm": norm, "marked_at": utcnow()}
    grew: list[uuid.UUID] = []
    if rare and norm != 0:
        params = _search_params(problem.id, weights, norm, rare, both_ways=True)
        rows = await driven.fetch(connection, _KEEP_MARK_AND_STORE, {**kept, **params})
        lists = {problem.id, *(row["problem_id"] for row in rows)}
        if len(lists) > 1:
            grew = sorted(lists)
    else:
        await driven.fetch(connection, _TERMS_AND_MARK, kept)
    session.info.setdefault(_SEARCHED, {})[problem.id] = change
    return await _stored(
        session, caller, problem.id, problem.department_id, cut=grew, connection=connection
    )


async def recompute(session: AsyncSession, problem: models.Problem) -> None:
    """The problem's words are new: it was just submitted, or its title or statement changed.

    Its terms, its matches and its place in other problems' lists are computed again now, in
    the change's transaction. A draft's matches (stored only if someone read them) are dropped
    instead, and computed again when next read: drafts change often and nobody else sees them.
    (A submit searches before its reference: ``search_before_numbering``.)
    """
    submitted = problem.reference is not None
    if not submitted and problem.similar_computed_at is None:
        return  # a draft nobody has read the matches of: nothing stored to drop
    await session.flush()  # the search reads the problem's new words from the database
    # The lists that held this problem lose it and never got back the match they cut for
    # it: they are searched again on their next read (or by the backfill).
    if not submitted:
        await session.execute(_STALE_LISTS, {"id": problem.id})
        await session.execute(_FORGET, {"id": problem.id})
        await session.execute(_UNMARK_SQL, {"id": problem.id})
        return
    marking = {"now": utcnow(), "id": problem.id, "force": True, "opening": OPENING}
    found = (await session.execute(_FORGET_AND_MARK_SQL, marking)).one()
    _, lists = await _store(session, problem.id, found, submitted=True)
    await _cut_back(session, lists)


async def fill(session: AsyncSession, problem_id: uuid.UUID) -> bool:
    """Compute and store the matches of a problem that has none stored yet.

    Adds to what is there: other problems may already list it. False when another
    transaction has just done it (its marker is claimed first, so only one of them searches).
    """
    marking = {"now": utcnow(), "id": problem_id, "force": False, "opening": OPENING}
    found = (await session.execute(_MARK_SQL, marking)).first()
    if found is None:
        return False
    _, lists = await _store(session, problem_id, found)
    await _cut_back(session, lists)
    return True


async def _store(
    session: AsyncSession,
    problem_id: uuid.UUID,
    found: Row[Any],
    *,
    submitted: bool | None = None,
    count: bool = True,
) -> tuple[_Change | None, list[uuid.UUID]]:
    """Keep the problem's terms (counted, once submitted), search with their weights, and
    store the best ``KEEP`` matches (and, once submitted, the problem in each match's list);
    every list that grew is returned, to be cut back to its best ``KEEP`` (``_cut_back``).

    The terms are counted in last (their rows stay locked until commit), or not at all when
    not ``count``; the change to count is returned too. The weights count it in either way.
    """
    if submitted is None:
        submitted = bool(found.submitted)
    vocabulary = await words.vocabulary(session)
    terms = words.terms_of([*found.title_terms, *found.opening_terms], vocabulary)
    change: _Change | None = None
    if submitted and found.stored_terms != terms:
        change = (terms, found.stored_terms)
    weights, counts = await _weights(session, terms, vocabulary, [change] if change else [])
    norm = math.sqrt(sum(weight * weight for weight in weights.values()))
    rare = finding_terms(weights, counts)
    keep_terms = {"id": problem_id, "kept_terms": terms, "norm": norm}
    lists: list[uuid.UUID] = []
    if rare and norm != 0:
        rows = await session.execute(
            _KEEP_AND_STORE if submitted else _STORE,
            {
                **(keep_terms if submitted else {}),
                **_search_params(problem_id, weights, norm, rare, both_ways=submitted),
            },
        )
        grew = {problem_id, *(list_id for (list_id,) in rows)}
        if len(grew) > 1:
            lists = sorted(grew)
    elif submitted:
        await session.execute(_TERMS_SQL, keep_terms)
    if change is not None and count:
        await _count(session, [change])
    return change, lists


def _search_params(
    problem_id: uuid.UUID,
    weights: Mapping[str, float],
    norm: float,
    rare: list[str],
    *,
    both_ways: bool,
) -> dict[str, Any]:
    """The parameters of the search (``_STORE``) with these weights."""
    return {
        "id": problem_id,
        "both_ways": both_ways,
        "terms": list(weights),
        "weights": [weight * weight for weight in weights.values()],
        "norm": norm,
        "rare": rare,
        "candidates": MAX_CANDIDATES,
        "keep": KEEP,
    }


async def _cut_back(session: AsyncSession, lists: list[uuid.UUID]) -> None:
    """Cut these lists back to their best ``KEEP``."""
    if lists:
        await session.execute(_CUT_BACK, {"lists": lists, "keep": KEEP})


def _counted(changes: Iterable[_Change]) -> Counter[str]:
    """What each term's count changes by: each problem's new terms in, and its old ones
    (None: it was not counted) out."""
    counted: Counter[str] = Counter()
    for new, old in changes:
        counted.update(new)
        counted.subtract(old or ())
        counted[_TOTAL] += 1 if old is None else 0
    return counted


def _given(changes: Iterable[_Change]) -> list[tuple[str, int]]:
    """The terms whose counts change, and by how much, in key order."""
    return sorted((term, change) for term, change in _counted(changes).items() if change)


async def _count(session: AsyncSession, changes: Iterable[_Change]) -> None:
    """Count each problem's new terms in, and its old ones (None: it was not counted) out."""
    given = _given(changes)
    if given:
        await session.execute(
            _COUNT_SQL,
            {
                "terms": [term for term, _ in given],
                "changes": [change for _, change in given],
                "dictionary": words.dictionary_hash(),
                "now": utcnow(),
            },
        )


async def term_weights(
    session: AsyncSession, terms: Sequence[str], vocabulary: words.Vocabulary
) -> tuple[dict[str, float], dict[str, int]]:
    """The terms' weights and counts as a search weighs them (``intake.triage.meanings``)."""
    return await _weights(session, terms, vocabulary)


cut_back = _cut_back


async def _weights(
    session: AsyncSession,
    terms: Sequence[str],
    vocabulary: words.Vocabulary,
    uncounted: Iterable[_Change] = (),
) -> tuple[dict[str, float], dict[str, int]]:
    """The terms' weights, and how many problems hold each (the counts), the ``uncounted``
    changes in as if counted already (as ``_count`` will)."""
    rows = await session.execute(_COUNTS_SQL, {"terms": [_TOTAL, *terms]})
    return _weighed(terms, vocabulary, [dict(row._mapping) for row in rows], uncounted)


def _weighed(
    terms: Sequence[str],
    vocabulary: words.Vocabulary,
    rows: Iterable[Mapping[str, Any]],
    uncounted: Iterable[_Change] = (),
) -> tuple[dict[str, float], dict[str, int]]:
    """``_weights`` from the counts' rows (``term``, ``problems``)."""
    counts = {row["term"]: int(row["problems"]) for row in rows}
    wanted = {_TOTAL, *terms}
    for term, change in _counted(uncounted).items():
        if change and term in wanted:
            counts[term] = counts.get(term, 0) + change
    return words.weights(terms, counts, counts.pop(_TOTAL, 0), vocabulary), counts


# -- computing every problem again (intake similar recompute) ---------------------------------


async def forget_terms(session: AsyncSession) -> None:
    """Drop every problem's terms and the counts (the stored matches stay until
    ``forget_matches``: readers see them meanwhile)."""
    await session.execute(text("DELETE FROM similar_term_counts"))
    await session.execute(
        text(
            "UPDATE problems SET similar_terms = NULL, similar_norm = NULL "
            "WHERE similar_terms IS NOT NULL OR similar_norm IS NOT NULL"
        )
    )


async def forget_matches(session: AsyncSession) -> None:
    """Drop every stored match: each problem is searched again on its next read or by the
    backfill."""
    await session.execute(delete(_SIMILARITIES))
    await session.execute(
        text("UPDATE problems SET similar_computed_at = NULL WHERE similar_computed_at IS NOT NULL")
    )


async def next_submitted(
    session: AsyncSession, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """Up to ``limit`` submitted problems, in id order after ``after``."""
    Problem = models.Problem
    query = select(Problem.id).where(Problem.reference.is_not(None))
    if after is not None:
        query = query.where(Problem.id > after)
    return list(await session.scalars(query.order_by(Problem.id).limit(limit)))


async def count_without_terms(session: AsyncSession) -> int:
    """Submitted problems whose terms are not stored (loaded by the demo generator, or from
    before terms were stored): searches cannot find them."""
    Problem = models.Problem
    found = await session.scalar(
        select(func.count()).where(Problem.reference.is_not(None), Problem.similar_terms.is_(None))
    )
    return int(found or 0)


async def count_submitted(session: AsyncSession) -> int:
    Problem = models.Problem
    return int(
        await session.scalar(select(func.count()).where(Problem.reference.is_not(None))) or 0
    )


async def store_terms(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    """Keep and count the terms of these problems (the first pass of a recompute)."""
    vocabulary = await words.vocabulary(session)
    changes = []
    for found in await session.execute(_WORDS_SQL, {"ids": list(ids), "opening": OPENING}):
        if not found.submitted:
            continue
        terms = words.terms_of([*found.title_terms, *found.opening_terms], vocabulary)
        if terms != found.stored_terms:
            changes.append((terms, found.stored_terms))
            await session.execute(_TERMS_SQL, {"id": found.id, "kept_terms": terms, "norm": None})
    await _count(session, changes)


async def store_norms(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    """Weigh the terms of these problems with the counts as they are now (the second pass)."""
    vocabulary = await words.vocabulary(session)
    rows = (
        await session.execute(
            text("SELECT id, similar_terms FROM problems WHERE id = ANY(:ids) ORDER BY id"),
            {"ids": list(ids)},
        )
    ).all()
    every = sorted({term for row in rows for term in row.similar_terms or ()})
    counts = {
        row.term: int(row.problems)
        for row in await session.execute(_COUNTS_SQL, {"terms": [_TOTAL, *every]})
    }
    problems = counts.pop(_TOTAL, 0)
    norms = {}
    for row in rows:
        if row.similar_terms is not None:
            weights = words.weights(row.similar_terms, counts, problems, vocabulary)
            norms[row.id] = math.sqrt(sum(weight * weight for weight in weights.values()))
    if norms:
        await session.execute(_NORMS_SQL, {"ids": list(norms), "norms": list(norms.values())})


async def recorded_dictionary(session: AsyncSession) -> str | None:
    """The dictionary the stored matches were built with (None: nothing recorded yet)."""
    found = await session.scalar(text("SELECT dictionary FROM similar_dictionary"))
    return None if found is None else str(found)


async def record_dictionary(session: AsyncSession) -> None:
    """Every stored match is now built with this release's dictionary."""
    await session.execute(
        text(
            "INSERT INTO similar_dictionary (dictionary, recorded_at) VALUES (:dictionary, :now) "
            "ON CONFLICT (one) DO UPDATE SET dictionary = excluded.dictionary, "
            "recorded_at = excluded.recorded_at"
        ),
        {"dictionary": words.dictionary_hash(), "now": utcnow()},
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


# The statements are built once: building them per search cost more than running them.
_SIMILARITIES = Base.metadata.tables["problem_similarities"]
_FORGET = delete(_SIMILARITIES).where(
    or_(
        _SIMILARITIES.c.problem_id == bindparam("id"), _SIMILARITIES.c.similar_id == bindparam("id")
    )
)


def _store_statement() -> Any:
    """One INSERT ... SELECT: the search, and its matches as rows of the problem's list (and,
    with ``both_ways``, of theirs), returning which lists got rows.

    The candidates are the most recent problems sharing one of the rarest terms; each is
    scored by the cosine of the two problems' weighted terms: the squared weights of the
    terms they share, over the product of their norms (a candidate's norm was computed when
    its own terms were stored). An edge already there (the other problem found this one
    first) keeps the higher of the two scores, so the result does not depend on which was
    computed first. Rows go in key order, so two submits touching the same lists lock them in
    the same order.
    """
    return text(
        """
        WITH query AS (
            SELECT * FROM unnest(CAST(:terms AS text[]), CAST(:weights AS float8[]))
                AS query(term, weight)
        ), candidates AS (
            SELECT id, similar_terms, similar_norm FROM problems
            WHERE similar_terms && CAST(:rare AS text[]) AND id <> CAST(:id AS uuid)
              AND reference IS NOT NULL AND similar_norm > 0
            ORDER BY submitted_at DESC NULLS LAST, id
            LIMIT :candidates
        ), found AS (
            SELECT candidates.id,
                   least(1.0, sum(query.weight) / (:norm * candidates.similar_norm))::real AS score
            FROM candidates
            CROSS JOIN LATERAL unnest(candidates.similar_terms) AS shared(term)
            JOIN query ON query.term = shared.term
            GROUP BY candidates.id, candidates.similar_norm
            ORDER BY score DESC, candidates.id
            LIMIT :keep
        ), edges AS (
            SELECT CAST(:id AS uuid) AS problem_id, id AS similar_id, score FROM found
            UNION ALL
            SELECT id, CAST(:id AS uuid), score FROM found WHERE :both_ways
        )
        INSERT INTO problem_similarities (problem_id, similar_id, score)
        SELECT problem_id, similar_id, score FROM edges ORDER BY problem_id, similar_id
        ON CONFLICT (problem_id, similar_id) DO UPDATE
            SET score = greatest(problem_similarities.score, excluded.score)
        RETURNING problem_id
        """
    )


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


_STORE = _store_statement()
# The submitted problem's terms kept by the same statement as its search.
_KEEPING = (
    "WITH kept AS (UPDATE problems SET similar_terms = :kept_terms, similar_norm = :norm "
    "WHERE id = CAST(:id AS uuid)), "
)
_KEEP_AND_STORE = text("".join((_KEEPING, _STORE.text.strip().removeprefix("WITH "))))
# A submit's: the problem marked as ``_MARK_SQL`` marks it, by the same UPDATE.
_MARKING = "similar_computed_at = :marked_at, meaning_model = NULL, "
_KEEP_MARK_AND_STORE = driven.compiled(
    text(_KEEP_AND_STORE.text.replace("SET ", f"SET {_MARKING}", 1))
)
_TERMS_AND_MARK = driven.compiled(text(_TERMS_SQL.text.replace("SET ", f"SET {_MARKING}", 1)))
_CUT_BACK = _cut_back_statement()
_CUT_BACK_CTE = _CUT_BACK.cte("cut")
# _stored's statements, built once for a person (building them cost more than running them):
# privileged, lists cut back.
_STORED = {
    (privileged, cut): _stored_query(visible_clause_for(privileged), cut)
    for privileged in (False, True)
    for cut in (False, True)
}
# The same on a session's connection (``intake.db.driven``: a submit's).
_STORED_DRIVEN = {key: driven.compiled(query) for key, query in _STORED.items()}


# -- choosing the words -----------------------------------------------------------------------


def finding_terms(weights: Mapping[str, float], counts: Mapping[str, int]) -> list[str]:
    """The terms that find the candidates: the rarest first, as long as the problems holding
    them add up to at most ``MAX_CANDIDATES`` (the rarest always), none that a
    ``MAX_FREQUENCY`` share of problems or of English text holds.

    A common term adds little to any score but many problems to score, and scoring is the
    search's cost; a problem sharing only such terms with this one would not make its list.
    """
    chosen: list[str] = []
    found = 0
    for weight, term in sorted((-weight, term) for term, weight in weights.items()):
        found += counts.get(term, 0)
        if -weight <= _COMMON or (chosen and found > MAX_CANDIDATES):
            break
        chosen.append(term)
    return chosen


_COMMON = -math.log(MAX_FREQUENCY)


def _similar_problem(row: Mapping[str, Any], department_id: uuid.UUID) -> schemas.SimilarProblem:
    other_department = row["department_id"] != department_id
    return schemas.SimilarProblem(
        id=row["id"],
        reference=row["reference"],
        title=row["title"],
        status=row["status"],
        department=department_ref(row),
        similarity=round(min(max(float(row["similarity"]), 0.0), 1.0), 3),  # a blend: kept in 0..1
        other_department=other_department,
        suggestion=(
            f"{row['department_name']} has a similar problem: consider collaborating "
            f"with them on {row['reference']}."
            if other_department
            else None
        ),
    )
