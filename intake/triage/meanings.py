"""Similar problems by meaning: each submitted problem's vector, and matches scored by a blend
of meaning and terms, stored by a worker beside the requests.

A submit answers at once with the matches of its terms (``intake.triage.similar``), and marks
the problem due (``meaning_model`` NULL, as an edit of its title or statement does). The
app's meaning worker then, every ``INTAKE_MEANING_SECONDS``: reads the newest due problems
(without locks), embeds them in a thread outside any transaction (``intake.triage.meaning``,
tens of milliseconds each, so the event loop keeps serving), and stores each one's matches
again, scored

    BLEND * meaning + (1 - BLEND) * cosine of their weighted terms

where meaning is the cosine of the two vectors, mixed with their units' (each unit's best match
among the other's units, both ways) for the nearest, each less how crowded the two problems'
neighbourhoods are (docs/triage.md#meaning). It is scored over the ``NEAREST`` problems nearest
in meaning (a brute-force product with the process's matrix of every stored vector, kept up to
date from ``problem_meanings``) and the problems sharing its rarest terms. Its best
``similar.KEEP`` are its list; it joins their lists with the same score, and every list that
held it gets the new score too, so a list never mixes the two scales for long. Each problem is
stored in a short transaction of its own, if its words are still the ones embedded. One pass
runs at a time city-wide (an advisory lock), whatever the number of processes.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.lib import background
from intake.lib.clock import utcnow
from intake.triage import meaning, similar, words

logger = logging.getLogger(__name__)

# The score: BLEND * meaning + (1 - BLEND) * the terms' cosine. Meaning is the cosine less
# CROWDING * (the crowding of each, less the city's mean crowding); for the NEAREST that have
# units, (1 - UNITS) of that and UNITS of their units score less CROWDING * (the units
# crowding of each, less the city's mean). Tuned on tests/corpus/paraphrases.txt and
# paraphrases_outside3.txt only (docs/triage.md#meaning).
BLEND = 0.65
CROWDING = 1.125
UNITS = 0.4
CROWD = 10  # a problem's crowding: the mean cosine of its CROWD nearest
POOL = 50  # its units crowding: the mean of its best CROWD units scores among its POOL nearest
EMPTY = -2.0  # a free place among a problem's nearest (a cosine is at least -1)
NEAREST = 100  # problems nearest in meaning scored with their terms too
BATCH = 16  # problems a pass claims and embeds at once
LOCK = 0x1D7A_4E18  # the advisory lock one pass holds: one pass at a time city-wide
CHUNK = 5000  # stored vectors read at once
OVERLAP = timedelta(minutes=1)  # the matrix reads back this much, for late commits
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Sessions = async_sessionmaker[AsyncSession]

_DUE_SQL = text(
    """
    SELECT id, version, title, left(coalesce(problem_statement, ''), 2000) AS statement
    FROM problems WHERE reference IS NOT NULL AND meaning_model IS NULL
    ORDER BY submitted_at DESC, id LIMIT :limit
    """
)
_COUNT_DUE_SQL = text(
    "SELECT count(*) FROM problems WHERE reference IS NOT NULL AND meaning_model IS NULL"
)
_CLAIM_SQL = text(
    "UPDATE problems SET meaning_model = :model "
    "WHERE id = :id AND version = :version AND meaning_model IS NULL "
    "RETURNING similar_terms"
)
_VECTOR_SQL = text(
    """
    INSERT INTO problem_meanings (problem_id, model, vector, nearest, nearest_ids, units,
                                  units_nearest, units_nearest_ids, stored_at)
    VALUES (:id, :model, :vector, :nearest, :nearest_ids, :units, :units_nearest,
            :units_nearest_ids, :now)
    ON CONFLICT (problem_id) DO UPDATE
        SET model = excluded.model, vector = excluded.vector, nearest = excluded.nearest,
            nearest_ids = excluded.nearest_ids, units = excluded.units,
            units_nearest = excluded.units_nearest,
            units_nearest_ids = excluded.units_nearest_ids, stored_at = excluded.stored_at
    """
)
# The units of the given problems (of this model), with their best units scores and whose.
_UNITS_SQL = text(
    "SELECT problem_id, units, units_nearest, units_nearest_ids FROM problem_meanings "
    "WHERE problem_id = ANY(CAST(:ids AS uuid[])) AND model = :model AND units IS NOT NULL"
)
_UNITS_NEAREST_SQL = text(
    "UPDATE problem_meanings SET units_nearest = :units_nearest, "
    "units_nearest_ids = :units_nearest_ids WHERE problem_id = :id"
)
# The city's mean units crowding, as the problems stored last have it (newest first on
# ``stored_at``'s index: a pass reads some rows, not the city).
_UNITS_MEAN_SQL = text(
    """
    SELECT avg((SELECT avg(score) FROM unnest(units_nearest) AS score)) FROM (
        SELECT units_nearest FROM problem_meanings
        WHERE model = :model AND cardinality(units_nearest) > 0
        ORDER BY stored_at DESC LIMIT :sample
    ) AS recent
    """
)
MEAN_SAMPLE = 2000  # problems whose units crowding gives the city's mean
_NEAREST_SQL = text(
    "UPDATE problem_meanings SET nearest = :nearest, nearest_ids = :nearest_ids, "
    "stored_at = :now WHERE problem_id = :id"
)
_STORED_SQL = text(
    "SELECT problem_id, vector, nearest, nearest_ids, stored_at FROM problem_meanings "
    "WHERE model = :model AND stored_at >= :since ORDER BY stored_at"
)
# The terms' cosine of the problem with the given problems, the problems sharing its rarest
# terms (as the search on submit finds them) and those whose lists hold it.
_TERMS_SCORES_SQL = text(
    """
    WITH query AS (
        SELECT * FROM unnest(CAST(:terms AS text[]), CAST(:weights AS float8[]))
            AS query(term, weight)
    ), chosen AS (
        (SELECT id FROM problems
         WHERE similar_terms && CAST(:rare AS text[]) AND id <> CAST(:id AS uuid)
           AND reference IS NOT NULL AND similar_norm > 0
         ORDER BY submitted_at DESC NULLS LAST, id LIMIT :candidates)
        UNION SELECT unnest(CAST(:ids AS uuid[]))
        UNION SELECT problem_id FROM problem_similarities WHERE similar_id = CAST(:id AS uuid)
    )
    SELECT chosen.id, coalesce(least(1.0, coalesce((
        SELECT sum(query.weight) FROM unnest(problems.similar_terms) AS shared(term)
        JOIN query ON query.term = shared.term
    ), 0.0) / nullif(:norm * problems.similar_norm, 0)), 0.0) AS score
    FROM chosen JOIN problems ON problems.id = chosen.id
    WHERE chosen.id <> CAST(:id AS uuid) AND problems.reference IS NOT NULL
    """
)
_FORGET_OWN_SQL = text("DELETE FROM problem_similarities WHERE problem_id = :id")
_EDGES_SQL = text(
    """
    INSERT INTO problem_similarities (problem_id, similar_id, score)
    SELECT problem_id, similar_id, score
    FROM unnest(CAST(:from AS uuid[]), CAST(:to AS uuid[]), CAST(:scores AS real[]))
        AS edges(problem_id, similar_id, score)
    ORDER BY problem_id, similar_id
    ON CONFLICT (problem_id, similar_id) DO UPDATE SET score = excluded.score
    """
)
_HELD_SQL = text(
    """
    UPDATE problem_similarities SET score = given.score
    FROM unnest(CAST(:ids AS uuid[]), CAST(:scores AS real[])) AS given(problem_id, score)
    WHERE problem_similarities.problem_id = given.problem_id
      AND problem_similarities.similar_id = CAST(:id AS uuid)
    """
)


class Matrix:
    """Every stored vector of the current model in this process's memory, a row each, with
    the cosines of each one's ``CROWD`` nearest others and whose they are (their rows: a
    problem embedded again replaces its cosines, it is not counted twice). Filled from
    ``problem_meanings`` on first use, then with what changed since (``refresh``) and what
    this process stores (``add``)."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget every row: the next ``refresh`` reads them all again."""
        self.ids: list[uuid.UUID] = []
        self.rows: dict[uuid.UUID, int] = {}
        self.vectors = np.zeros((0, meaning.DIMENSIONS), dtype=np.float32)
        self.nearest = np.zeros((0, CROWD), dtype=np.float32)
        self.near = np.zeros((0, CROWD), dtype=np.int32)  # the rows of those (-1: none)
        self.seen: datetime | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        size = len(self)
        return int(
            self.vectors[:size].nbytes + self.nearest[:size].nbytes + self.near[:size].nbytes
        )

    async def refresh(self, session: AsyncSession) -> None:
        """Read what was stored since this matrix last looked (everything, the first time)."""
        since = EPOCH if self.seen is None else self.seen - OVERLAP
        # In chunks, each put in off the event loop (100,000 rows take a while); every vector
        # first, then the nearest, which name one another.
        read: list[Any] = []
        stream = await session.stream(_STORED_SQL, {"model": meaning.MODEL_ID, "since": since})
        async for chunk in stream.partitions(CHUNK):
            await asyncio.to_thread(self._put_vectors, chunk)
            read.extend(
                (row.problem_id, row.nearest_ids, row.nearest, row.stored_at) for row in chunk
            )
        await asyncio.to_thread(self._put_nearest, read)

    def _put_vectors(self, rows: Sequence[Any]) -> None:
        for row in rows:
            self._put(row.problem_id, np.frombuffer(row.vector, dtype="<f4"), [])

    def _put_nearest(
        self, rows: Sequence[tuple[uuid.UUID, list[uuid.UUID], list[float], datetime]]
    ) -> None:
        for problem_id, ids, values, _ in rows:
            pairs = [
                (self.rows[other], value)
                for other, value in zip(ids, values, strict=True)
                if other in self.rows  # else one stored late, under another model: left out
            ]
            self._put(problem_id, self.vectors[self.rows[problem_id]], pairs)
        if rows:
            self.seen = max(self.seen or rows[-1][3], rows[-1][3])

    def add(
        self, problem_id: uuid.UUID, vector: meaning.Vectors
    ) -> tuple[meaning.Vectors, dict[uuid.UUID, list[tuple[uuid.UUID, float]]]]:
        """Put a problem's vector in; its cosine with every row (its own -inf), and the
        problems whose nearest changed, with their nearest now as (problem, cosine), its own
        first. Embedded again, it replaces its old cosines in the others' nearest."""
        cosines = self.cosines(vector)
        own = self.rows.get(problem_id)
        if own is not None:
            cosines[own] = -np.inf
        held: list[int] = (
            [int(other) for other in np.flatnonzero((self.near[: len(self)] == own).any(axis=1))]
            if own is not None
            else []
        )
        self._put(problem_id, vector, self._nearest(cosines))
        row = self.rows[problem_id]
        changed: dict[uuid.UUID, list[tuple[uuid.UUID, float]]] = {}
        # Those that held it: their nearest again, from every vector (it may have gone away).
        for other in held:
            others = self.cosines(self.vectors[other])
            others[other] = -np.inf
            self._put(self.ids[other], self.vectors[other], self._nearest(others))
            changed[self.ids[other]] = self._pairs(other)
        # It joins the nearest of every other problem it is nearer to than their farthest.
        farthest = self.nearest[: len(cosines)].min(axis=1, initial=np.inf)
        joined = np.flatnonzero(cosines > farthest)
        for other in (int(other) for other in joined if other not in held):
            place = np.argmin(self.nearest[other])
            self.nearest[other, place], self.near[other, place] = cosines[other], row
            changed[self.ids[other]] = self._pairs(other)
        if own is None:  # its own row, new and last
            cosines = np.append(cosines, np.float32(-np.inf))
        return cosines, {problem_id: self._pairs(row), **changed}

    def _nearest(self, cosines: meaning.Vectors) -> list[tuple[int, float]]:
        """The rows of the ``CROWD`` highest ``cosines`` (not -inf), with them."""
        return [(int(row), float(cosines[row])) for row in _highest(cosines, CROWD)]

    def _pairs(self, row: int) -> list[tuple[uuid.UUID, float]]:
        """A row's nearest, as (problem, cosine), nearest last."""
        pairs = [
            (self.ids[other], float(value))
            for other, value in zip(self.near[row], self.nearest[row], strict=True)
            if other >= 0
        ]
        return sorted(pairs, key=lambda pair: (pair[1], pair[0]))

    def crowding(self, rows: Sequence[int] | NDArray[np.intp]) -> meaning.Vectors:
        """How crowded each row's neighbourhood is: the mean cosine of its nearest."""
        nearest = self.nearest[rows]
        filled = nearest > EMPTY
        total = np.where(filled, nearest, 0.0).sum(axis=1)
        crowded: meaning.Vectors = (total / np.maximum(filled.sum(axis=1), 1)).astype(np.float32)
        return crowded

    def cosines(self, vector: meaning.Vectors) -> meaning.Vectors:
        """The cosine of ``vector`` with every stored one, in row order."""
        result: meaning.Vectors = self.vectors[: len(self)] @ vector
        return result

    def _put(
        self, problem_id: uuid.UUID, vector: meaning.Vectors, nearest: Sequence[tuple[int, float]]
    ) -> None:
        row = self.rows.get(problem_id)
        if row is None:
            row = len(self.ids)
            if row == len(self.vectors):  # grow by half: amortised appends
                size = max(1024, row * 3 // 2)
                self.vectors = _grown(self.vectors, size, 0.0)
                self.nearest = _grown(self.nearest, size, EMPTY)
                self.near = _grown(self.near, size, -1)
            self.ids.append(problem_id)
            self.rows[problem_id] = row
        self.vectors[row] = vector
        self.nearest[row], self.near[row] = EMPTY, -1
        for place, (other, value) in enumerate(nearest[:CROWD]):
            self.nearest[row, place], self.near[row, place] = value, other


def _highest(values: meaning.Vectors, count: int) -> NDArray[np.intp]:
    """The rows of the ``count`` highest ``values`` that are not -inf, in no order."""
    count = min(count, int(np.isfinite(values).sum()))
    if count <= 0:
        return np.zeros(0, dtype=np.intp)
    return np.argpartition(-values, count - 1)[:count]


def _grown(array: NDArray[Any], size: int, fill: float) -> NDArray[Any]:
    grown = np.full((size, array.shape[1]), fill, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


@dataclass(frozen=True)
class MeaningPass:
    embedded: int
    seconds: float
    busy: bool = False  # another pass held the lock: nothing was tried
    failed: int = 0  # problems that could not be stored this pass (logged; they stay due)


async def count_due(session: AsyncSession) -> int:
    """Submitted problems whose meaning is due."""
    return int(await session.scalar(_COUNT_DUE_SQL) or 0)


async def embed_due(sessionmaker: Sessions, matrix: Matrix, limit: int = BATCH) -> MeaningPass:
    """Embed up to ``limit`` due problems, newest first, and store each one's matches in a
    short transaction of its own; nothing while another pass (of any process) runs.

    The lock that keeps passes apart is a transaction's advisory lock on a connection of
    its own, which holds no row locks and ends (releasing it) however the pass ends. The due
    problems are read without locks and embedded outside any transaction; each is then stored
    only if its words are still the ones embedded (its version), else it stays due. A problem
    that fails is logged and left due; the others are stored."""
    started = utcnow()
    async with sessionmaker() as guard, guard.begin():
        locked = await guard.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK})
        if not locked:
            return MeaningPass(0, 0.0, busy=True)
        async with sessionmaker() as session:
            due = (await session.execute(_DUE_SQL, {"limit": limit})).all()
        if not due:
            return MeaningPass(0, 0.0)
        encoder = await asyncio.to_thread(meaning.encoder)
        async with sessionmaker() as session:
            await matrix.refresh(session)
            mean = await session.scalar(
                _UNITS_MEAN_SQL, {"model": meaning.MODEL_ID, "sample": MEAN_SAMPLE}
            )
        texts = [(row.title, row.statement) for row in due]
        embedded = await asyncio.to_thread(_embed_each, encoder, texts)
        done = failed = 0
        for row, meant in zip(due, embedded, strict=True):
            try:
                async with sessionmaker() as session, session.begin():
                    done += await store(session, matrix, row.id, row.version, meant, mean)
            except Exception:
                failed += 1
                logger.exception("The meaning of problem %s was not stored; it stays due", row.id)
                matrix.clear()  # it may hold what was rolled back: read it all again
                async with sessionmaker() as session:
                    await matrix.refresh(session)
    return MeaningPass(done, (utcnow() - started).total_seconds(), failed=failed)


@dataclass(frozen=True)
class Embedded:
    """A problem's meaning: the vector of its whole text, and of each of its units."""

    vector: meaning.Vectors
    units: meaning.Vectors  # a row each: its title, then each sentence of its statement


def _embed_each(
    encoder: meaning.Encoder, texts: Sequence[tuple[str, str | None]]
) -> list[Embedded]:
    """One problem at a time: a batch pads every text to its longest, half again the work
    (a problem's units, short sentences, are one batch)."""
    return [
        Embedded(
            encoder.embed([meaning.problem_text(title, statement)])[0],
            encoder.embed(meaning.units_of(title, statement)),
        )
        for title, statement in texts
    ]


async def store(
    session: AsyncSession,
    matrix: Matrix,
    problem_id: uuid.UUID,
    version: int,
    meant: Embedded,
    mean: float | None = None,
) -> bool:
    """Store the problem's vector, its units and its matches by meaning and terms; False
    when its words changed since they were read (it stays due). ``mean`` is the city's mean
    units crowding, as the pass found it (None: none yet)."""
    claimed = (
        await session.execute(
            _CLAIM_SQL, {"id": problem_id, "version": version, "model": meaning.MODEL_ID}
        )
    ).first()
    if claimed is None:
        return False
    cosines, nearest = await asyncio.to_thread(matrix.add, problem_id, meant.vector)
    by_meaning, candidates = await asyncio.to_thread(_by_meaning, matrix, problem_id, cosines)
    units = await _with_units(session, matrix, problem_id, meant, cosines, candidates, mean)
    units.score(matrix, by_meaning, candidates)
    now = utcnow()
    await session.execute(
        _VECTOR_SQL,
        {
            "id": problem_id,
            "model": meaning.MODEL_ID,
            "vector": meant.vector.astype("<f4").tobytes(),
            **_nearest_params(nearest.pop(problem_id)),
            "units": meant.units.astype("<f4").tobytes(),
            **_nearest_params(units.own, "units_"),
            "now": now,
        },
    )
    if nearest:  # the problems it is now among the nearest of, in key order
        await session.execute(
            _NEAREST_SQL,
            [
                {"id": other, "now": now, **_nearest_params(pairs)}
                for other, pairs in sorted(nearest.items())
            ],
        )
    # A second batch in key order: only the worker writes these rows, one pass at a time.
    if units.joined:  # the problems whose best units scores it joined (or left), in key order
        await session.execute(
            _UNITS_NEAREST_SQL,
            [
                {"id": other, **_nearest_params(pairs, "units_")}
                for other, pairs in sorted(units.joined.items())
            ],
        )
    scores = await _scores(
        session, matrix, problem_id, claimed.similar_terms or [], by_meaning, candidates
    )
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[: similar.KEEP]
    await session.execute(_FORGET_OWN_SQL, {"id": problem_id})
    if best:
        ids = [other for other, _ in best]
        values = [score for _, score in best]
        await session.execute(
            _EDGES_SQL,
            {
                "from": [problem_id] * len(ids) + ids,
                "to": ids + [problem_id] * len(ids),
                "scores": values + values,
            },
        )
    # The lists that held it and do not make its own best keep it at the new score.
    kept = dict(best)
    held = [(other, score) for other, score in scores.items() if other not in kept]
    if held:
        await session.execute(
            _HELD_SQL,
            {
                "id": problem_id,
                "ids": [other for other, _ in held],
                "scores": [score for _, score in held],
            },
        )
    await similar.cut_back(session, sorted({problem_id, *kept}))
    return True


Pairs = list[tuple[uuid.UUID, float]]


@dataclass
class Units:
    """A problem's units scores with the problems near it that have units, its best
    ``CROWD`` among its ``POOL`` nearest (``own``), theirs with it where it joined or left
    them (``joined``), and the city's mean units crowding."""

    scores: dict[uuid.UUID, float]
    theirs: dict[uuid.UUID, Pairs]  # each one's best units scores, as they are now
    own: Pairs
    joined: dict[uuid.UUID, Pairs]
    mean: float

    def crowding(self, pairs: Pairs) -> float:
        """How crowded the units' neighbourhood of a problem with these best scores is, less
        the city's mean (none known: as crowded as the mean)."""
        return _mean(pairs) - self.mean if pairs else 0.0

    def score(
        self, matrix: Matrix, by_meaning: meaning.Vectors, candidates: Sequence[uuid.UUID]
    ) -> None:
        """Mix the units into the meaning part of the score of each candidate that has them."""
        own = self.crowding(self.own)
        for other in candidates:
            if other in self.scores:
                row = matrix.rows[other]
                crowded = own + self.crowding(self.theirs[other])
                by_meaning[row] = (1 - UNITS) * by_meaning[row] + UNITS * (
                    self.scores[other] - CROWDING * crowded
                )


async def _with_units(
    session: AsyncSession,
    matrix: Matrix,
    problem_id: uuid.UUID,
    meant: Embedded,
    cosines: meaning.Vectors,
    candidates: Sequence[uuid.UUID],
    mean: float | None,
) -> Units:
    """The problem's units scores with its ``POOL`` nearest by the whole text and the
    ``NEAREST`` candidates (those that have units, read from ``problem_meanings``)."""
    pool = [matrix.ids[row] for row in _highest(cosines, POOL)]
    rows = (
        await session.execute(
            _UNITS_SQL, {"ids": sorted({*pool, *candidates}), "model": meaning.MODEL_ID}
        )
    ).all()
    scores = {
        row.problem_id: units_score(
            meant.units, np.frombuffer(row.units, dtype="<f4").reshape(-1, meaning.DIMENSIONS)
        )
        for row in rows
    }
    theirs = {
        row.problem_id: list(zip(row.units_nearest_ids or [], row.units_nearest or [], strict=True))
        for row in rows
    }
    near = [other for other in pool if other in scores]
    own = sorted(((other, scores[other]) for other in near), key=lambda pair: -pair[1])[:CROWD]
    joined = {}
    for other in near:
        pairs = _joined(theirs[other], problem_id, scores[other])
        if pairs is not None:
            joined[other] = theirs[other] = pairs
    if mean is None:  # none stored yet (a new city, the first pass after the upgrade)
        known = [_mean(pairs) for pairs in (*theirs.values(), own) if pairs]
        mean = float(np.mean(known)) if known else 0.0  # none known: no crowding is counted
    return Units(scores, theirs, own, joined, float(mean))


def _mean(pairs: Pairs) -> float:
    """The mean of a units list's scores (a list with some)."""
    return float(np.mean([score for _, score in pairs]))


def _joined(pairs: Pairs, problem_id: uuid.UUID, score: float) -> Pairs | None:
    """A problem's best ``CROWD`` units scores once another scored ``score`` with it (its
    old score, if it had one, replaced); None if they do not change."""
    kept = [(other, value) for other, value in pairs if other != problem_id]
    if len(kept) < CROWD or score > min(value for _, value in kept):
        return sorted([*kept, (problem_id, score)], key=lambda pair: -pair[1])[:CROWD]
    return kept if len(kept) < len(pairs) else None


def units_score(own: meaning.Vectors, theirs: meaning.Vectors) -> float:
    """How alike two problems' units are: each unit's best cosine among the other's units,
    averaged, both ways."""
    cosines = own @ theirs.T
    return float((cosines.max(axis=1).mean() + cosines.max(axis=0).mean()) / 2)


def _nearest_params(
    pairs: Sequence[tuple[uuid.UUID, float]], prefix: str = ""
) -> dict[str, list[Any]]:
    return {
        f"{prefix}nearest": [value for _, value in pairs],
        f"{prefix}nearest_ids": [other for other, _ in pairs],
    }


def _by_meaning(
    matrix: Matrix, problem_id: uuid.UUID, cosines: meaning.Vectors
) -> tuple[meaning.Vectors, list[uuid.UUID]]:
    """The meaning part of the score with every row, and the ``NEAREST`` rows by it."""
    own = matrix.rows[problem_id]
    # Meaning, less how crowded the two neighbourhoods are (``CROWDING``).
    # Each crowding is taken from the city's mean, so a score says the same while the city
    # fills (a first problem's neighbourhood is empty) and after.
    crowding = matrix.crowding(np.arange(len(matrix)))
    crowding -= crowding.mean()
    by_meaning: meaning.Vectors = cosines - CROWDING * (crowding + crowding[own])
    by_meaning[own] = -np.inf
    return by_meaning, [matrix.ids[row] for row in _highest(by_meaning, NEAREST)]


async def _scores(
    session: AsyncSession,
    matrix: Matrix,
    problem_id: uuid.UUID,
    terms: Sequence[str],
    by_meaning: meaning.Vectors,
    nearest: Sequence[uuid.UUID],
) -> dict[uuid.UUID, float]:
    """The score with each candidate that has a vector: the ``NEAREST`` nearest in meaning,
    the ones sharing its rarest terms, and those whose lists hold it."""
    vocabulary = await words.vocabulary(session)
    weights, counts = await similar.term_weights(session, terms, vocabulary)
    norm = float(np.sqrt(sum(weight * weight for weight in weights.values())))
    rows = await session.execute(
        _TERMS_SCORES_SQL,
        {
            "id": problem_id,
            "ids": list(nearest),
            "terms": list(weights),
            "weights": [weight * weight for weight in weights.values()],
            "norm": norm,
            "rare": similar.finding_terms(weights, counts) if norm else [],
            "candidates": similar.MAX_CANDIDATES,
        },
    )
    return {
        row.id: float(BLEND * by_meaning[matrix.rows[row.id]] + (1 - BLEND) * row.score)
        for row in rows
        if row.id in matrix.rows
    }


async def embed_every(run: Callable[[], Awaitable[MeaningPass]], seconds: float) -> None:
    """A pass now and then every ``seconds`` (at once again while there is more to do),
    until cancelled. Without the model's files (or with others) it says so once and stops
    trying: the terms' matches still serve."""
    missing: list[meaning.ModelUnavailable] = []

    async def passes() -> MeaningPass:
        if missing:
            return MeaningPass(0, 0.0)
        try:
            done = await run()
            while done.embedded:  # a backlog (an upgrade, a recompute) is worked through
                more = await run()
                done = MeaningPass(done.embedded + more.embedded, done.seconds + more.seconds)
                if not more.embedded:
                    break
        except meaning.ModelUnavailable as error:
            missing.append(error)
            logger.error("Similar problems are matched on their terms only: %s", error)
            return MeaningPass(0, 0.0)
        return done

    await background.every(seconds, passes, what="The meaning worker", report=_said)


def _said(done: MeaningPass) -> str | None:
    if not done.embedded:
        return None
    return f"Similar problems: {done.embedded} problem(s) embedded and matched by meaning."
