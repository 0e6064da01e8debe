"""Similar problems by meaning: each submitted problem's vector, and matches scored by a blend
of meaning and terms, stored by a worker beside the requests.

A submit answers at once with the matches of its terms (``intake.triage.similar``), and marks
the problem due (``meaning_model`` NULL, as an edit of its title or statement does). The
app's meaning worker then, every ``INTAKE_MEANING_SECONDS``: claims the newest due problems,
embeds them in a thread (``intake.triage.meaning``, tens of milliseconds each, so the event
loop keeps serving), and stores each one's matches again, scored

    BLEND * cosine of the two vectors + (1 - BLEND) * cosine of their weighted terms

over the ``NEAREST`` problems nearest in meaning (a brute-force product with the process's
matrix of every stored vector, kept up to date from ``problem_meanings``) and the problems
sharing its rarest terms. Its best ``similar.KEEP`` are its list; it joins their lists with
the same score, and every list that held it gets the new score too, so a list never mixes
the two scales for long. One pass runs at a time city-wide (an advisory lock), whatever the
number of processes.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.lib import background
from intake.lib.clock import utcnow
from intake.triage import meaning, similar, words

logger = logging.getLogger(__name__)

BLEND = 0.5  # meaning's share of the score (tuned on tests/corpus/paraphrases.txt only)
NEAREST = 100  # problems nearest in meaning scored with their terms too
BATCH = 16  # problems a pass claims and embeds at once
LOCK = 0x1D7A_4E18  # the advisory lock one pass holds: one pass at a time city-wide
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
    INSERT INTO problem_meanings (problem_id, model, vector, embedded_at)
    VALUES (:id, :model, :vector, :now)
    ON CONFLICT (problem_id) DO UPDATE
        SET model = excluded.model, vector = excluded.vector, embedded_at = excluded.embedded_at
    """
)
_EMBEDDED_SQL = text(
    "SELECT problem_id, vector, embedded_at FROM problem_meanings "
    "WHERE model = :model AND embedded_at >= :since ORDER BY embedded_at"
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
    SELECT chosen.id, coalesce(least(1.0, (
        SELECT sum(query.weight) FROM unnest(problems.similar_terms) AS shared(term)
        JOIN query ON query.term = shared.term
    ) / nullif(:norm * problems.similar_norm, 0)), 0.0) AS score
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
    """Every stored vector of the current model, in this process's memory: a row each,
    found by problem id. Filled from ``problem_meanings`` on first use, then with what was
    embedded since (``refresh``) and what this process embeds (``put``)."""

    def __init__(self) -> None:
        self.ids: list[uuid.UUID] = []
        self.rows: dict[uuid.UUID, int] = {}
        self.vectors = np.zeros((0, meaning.DIMENSIONS), dtype=np.float32)
        self.seen: datetime | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        return int(self.vectors[: len(self.ids)].nbytes)

    async def refresh(self, session: AsyncSession) -> None:
        since = EPOCH if self.seen is None else self.seen - OVERLAP
        rows = (
            await session.execute(_EMBEDDED_SQL, {"model": meaning.MODEL_ID, "since": since})
        ).all()
        if not rows:
            return
        vectors = np.frombuffer(b"".join(row.vector for row in rows), dtype="<f4")
        self.put([row.problem_id for row in rows], vectors.reshape(len(rows), -1))
        self.seen = max(self.seen or rows[-1].embedded_at, rows[-1].embedded_at)

    def put(self, ids: Sequence[uuid.UUID], vectors: meaning.Vectors) -> None:
        for problem_id, vector in zip(ids, vectors, strict=True):
            row = self.rows.get(problem_id)
            if row is None:
                row = len(self.ids)
                if row == len(self.vectors):  # grow by half: amortised appends
                    grown = np.zeros((max(1024, row * 3 // 2), meaning.DIMENSIONS), np.float32)
                    grown[:row] = self.vectors
                    self.vectors = grown
                self.ids.append(problem_id)
                self.rows[problem_id] = row
            self.vectors[row] = vector

    def cosines(self, vector: meaning.Vectors) -> meaning.Vectors:
        """The cosine of ``vector`` with every stored one, in row order."""
        result: meaning.Vectors = self.vectors[: len(self.ids)] @ vector
        return result

    def nearest(self, vector: meaning.Vectors, count: int, but: uuid.UUID) -> list[uuid.UUID]:
        cosines = self.cosines(vector)
        if (own := self.rows.get(but)) is not None:
            cosines[own] = -np.inf
        count = min(count, len(cosines))
        if count == 0:
            return []
        best = np.argpartition(-cosines, count - 1)[:count]
        return [self.ids[row] for row in best if np.isfinite(cosines[row])]


@dataclass(frozen=True)
class MeaningPass:
    embedded: int
    seconds: float
    busy: bool = False  # another pass held the lock: nothing was tried


async def count_due(session: AsyncSession) -> int:
    """Submitted problems whose meaning is due."""
    return int(await session.scalar(_COUNT_DUE_SQL) or 0)


async def embed_due(sessionmaker: Sessions, matrix: Matrix, limit: int = BATCH) -> MeaningPass:
    """Claim up to ``limit`` due problems, newest first, embed them and store their
    matches, in one transaction; nothing while another pass (of any process) runs."""
    started = utcnow()
    async with sessionmaker() as session, session.begin():
        locked = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK})
        if not locked:
            return MeaningPass(0, 0.0, busy=True)
        due = (await session.execute(_DUE_SQL, {"limit": limit})).all()
        if not due:
            return MeaningPass(0, 0.0)
        encoder = await asyncio.to_thread(meaning.encoder)
        await matrix.refresh(session)
        texts = [meaning.problem_text(row.title, row.statement) for row in due]
        vectors = await asyncio.to_thread(encoder.embed, texts)
        done = 0
        for row, vector in zip(due, vectors, strict=True):
            done += await store(session, matrix, row.id, row.version, vector)
    return MeaningPass(done, (utcnow() - started).total_seconds())


async def store(
    session: AsyncSession,
    matrix: Matrix,
    problem_id: uuid.UUID,
    version: int,
    vector: meaning.Vectors,
) -> bool:
    """Store the problem's vector and its matches by meaning and terms; False when its words
    changed since they were read (it stays due)."""
    claimed = (
        await session.execute(
            _CLAIM_SQL, {"id": problem_id, "version": version, "model": meaning.MODEL_ID}
        )
    ).first()
    if claimed is None:
        return False
    await session.execute(
        _VECTOR_SQL,
        {
            "id": problem_id,
            "model": meaning.MODEL_ID,
            "vector": vector.astype("<f4").tobytes(),
            "now": utcnow(),
        },
    )
    matrix.put([problem_id], vector[None, :])
    scores = await _scores(session, matrix, problem_id, claimed.similar_terms or [], vector)
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
    held = [(other, score) for other, score in scores.items() if other not in dict(best)]
    if held:
        await session.execute(
            _HELD_SQL,
            {
                "id": problem_id,
                "ids": [other for other, _ in held],
                "scores": [score for _, score in held],
            },
        )
    await similar.cut_back(session, sorted({problem_id, *(other for other, _ in best)}))
    return True


async def _scores(
    session: AsyncSession,
    matrix: Matrix,
    problem_id: uuid.UUID,
    terms: Sequence[str],
    vector: meaning.Vectors,
) -> dict[uuid.UUID, float]:
    """The blended score with each candidate that has a vector: the nearest in meaning, the
    ones sharing its rarest terms, and those whose lists hold it."""
    nearest = matrix.nearest(vector, NEAREST, but=problem_id)
    vocabulary = await words.vocabulary(session)
    weights, counts = await similar.term_weights(session, terms, vocabulary)
    norm = float(np.sqrt(sum(weight * weight for weight in weights.values())))
    rows = await session.execute(
        _TERMS_SCORES_SQL,
        {
            "id": problem_id,
            "ids": nearest,
            "terms": list(weights),
            "weights": [weight * weight for weight in weights.values()],
            "norm": norm,
            "rare": similar.finding_terms(weights, counts) if norm else [],
            "candidates": similar.MAX_CANDIDATES,
        },
    )
    by_terms = {row.id: float(row.score) for row in rows}
    known = [other for other in by_terms if other in matrix.rows]
    if not known:
        return {}
    cosines = matrix.vectors[[matrix.rows[other] for other in known]] @ vector
    return {
        other: float(BLEND * max(float(cosine), 0.0) + (1 - BLEND) * by_terms[other])
        for other, cosine in zip(known, cosines, strict=True)
    }


async def embed_every(run: Callable[[], Awaitable[MeaningPass]], seconds: float) -> None:
    """A pass now and then every ``seconds`` (sooner while there is more to do), until
    cancelled."""

    async def passes() -> MeaningPass:
        done = await run()
        while done.embedded:  # a backlog (an upgrade, a recompute) is worked through at once
            more = await run()
            done = MeaningPass(done.embedded + more.embedded, done.seconds + more.seconds)
            if not more.embedded:
                break
        return done

    await background.every(seconds, passes, what="The meaning worker", report=_said)


def _said(done: MeaningPass) -> str | None:
    if not done.embedded:
        return None
    return f"Similar problems: {done.embedded} problem(s) embedded and matched by meaning."
