"""Similar problems scored offline: the worker's ranking beside variants of how meaning is
computed, in numpy, in seconds once the vectors are cached.

    python -m bench.similar_offline [--problems 3000] [--seed 2026] [--cache DIR] [FILE ...]

Writes a background of problems with the demo generator (``intake.demo.corpus``), buries the
paraphrase pairs of ``tests/corpus/`` (and of any FILE given, same format) among them, and
embeds every text three ways: the whole text as the worker does (``meaning.problem_text``),
the title alone, and each sentence of the statement alone; the vectors are cached in
``--cache`` (keyed by the texts and the model), so a second run embeds nothing. The terms are
the worker's (``intake.triage.words``: the stems come from an embedded PostgreSQL under
``.intake/offline``, started for the run). It prints, for each corpus, the pairs whose
paraphrase is in the first five and the mean log of its place (counted among the background
and the file's own texts: other files tell some of the same problems again; every file is
buried at once, so each text's crowding counts the other files' texts too, where
``bench.similar`` buries each file in a city of its own), for:

- the worker's ranking (``intake.triage.meanings``): ``BLEND`` x the meaning + the rest x
  the terms' cosine, the meaning being (1 - ``UNITS``) x (the whole text's cosine less
  ``CROWDING`` x both crowdings) + ``UNITS`` x (the units score, each unit's best match in
  the other averaged both ways, less ``CROWDING`` x both units crowdings); every problem is
  scored with its units (the worker mixes units in for its 100 nearest candidates only,
  which finds the same pairs here), each crowding computed exactly on the final city (the
  worker keeps them as problems join) and the units split from the whole statement;
- the same with the terms' cosine less ``CROWDING`` x both terms crowdings (each text's
  mean terms' cosine with its ``CROWD`` nearest by them, exactly): not the worker's
  (docs/triage.md, "Units, and other ways to compute meaning");
- the whole text alone, as before units (``BEFORE_UNITS``: its blend then);
- the terms alone, and the whole-text cosine alone.

Tune on paraphrases.txt and paraphrases_outside3.txt only; the other files say whether a
change generalises.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import random
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import numpy as np
from numpy.typing import NDArray
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.similar import CORPORA, CORPUS, TOP, read_pairs
from intake.db.embedded import EmbeddedPostgres
from intake.demo.corpus import TOPICS, WORDS, ProblemWriter
from intake.triage import meaning, meanings, words

Array = NDArray[np.float32]
BEFORE_UNITS = 0.55  # ``meanings.BLEND`` when the meaning was the whole text's alone
_STEMS = """SELECT ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, $1))
                         ORDER BY positions[1]) AS title,
                   ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig,
                         left(coalesce($2, ''), 2000))) ORDER BY positions[1] LIMIT $3)
                   AS opening"""


def sentences(statement: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?;])\s+", statement.strip()) if part]


@dataclass
class City:
    texts: list[tuple[str, str]]  # (title, statement): the background, then the pairs
    queries: list[tuple[str, int, int]]  # (corpus, first, second)
    whole: Array
    title: Array
    units: Array  # every problem's title and sentences, by problem
    starts: NDArray[np.intp]
    counts: NDArray[np.intp]
    lexical: dict[int, Array]  # the terms' cosine of each first with every text
    terms_crowding: Array  # each text's mean terms' cosine with its CROWD nearest by them


def _background(problems: int, seed: int) -> list[tuple[str, str]]:
    writer, rng = ProblemWriter(random.Random(seed)), random.Random(seed)
    texts = []
    for _ in range(problems):
        topic = rng.choice(TOPICS)
        written = writer.write(topic, WORDS.departments[rng.choice(topic.departments)])
        texts.append((str(written["title"]), str(written["problem_statement"])))
    return texts


def _embedded(cache: Path, texts: Sequence[str]) -> Array:
    """The vectors of ``texts``, one at a time as the worker embeds; cached by content."""
    key = hashlib.sha256("\0".join([meaning.MODEL_ID, *texts]).encode()).hexdigest()[:16]
    path = cache / f"vectors-{key}.npy"
    if path.exists():
        cached: Array = np.load(path)
        return cached
    encoder = meaning.encoder()
    vectors = np.zeros((len(texts), meaning.DIMENSIONS), dtype=np.float32)
    for n, text in enumerate(texts):
        vectors[n] = encoder.embed([text])[0]
        if n % 1000 == 999:
            print(f"  embedded {n + 1:,}/{len(texts):,}", file=sys.stderr, flush=True)
    np.save(path, vectors)
    return vectors


async def _terms(texts: Sequence[tuple[str, str]]) -> tuple[list[list[str]], words.Vocabulary]:
    """Each text's terms, as the search stores them, and the vocabulary that weighs them."""
    server = EmbeddedPostgres(Path(".intake/offline"))
    started = server.start()
    try:
        connection = await asyncpg.connect(server.url("postgres").replace("+asyncpg", ""))
        try:
            stems = [
                await connection.fetchrow(_STEMS, title, statement, 20)
                for title, statement in texts
            ]
        finally:
            await connection.close()
        engine = create_async_engine(server.url("postgres"))
        async with AsyncSession(engine) as session:
            vocabulary = await words.vocabulary(session, groups=words.thesaurus())
        await engine.dispose()
    finally:
        if started:
            server.stop()
    found = [words.terms_of([*row["title"], *row["opening"]], vocabulary) for row in stems]
    return found, vocabulary


def build(problems: int, seed: int, cache: Path, extra: Sequence[Path]) -> City:
    texts = _background(problems, seed)
    files = [(CORPUS / name, label) for name, label in CORPORA] + [(p, p.name) for p in extra]
    queries: list[tuple[str, int, int]] = []
    for path, label in files:
        for first, second in read_pairs(path):
            queries.append((label, len(texts), len(texts) + 1))
            texts += [first, second]
    cache.mkdir(parents=True, exist_ok=True)
    whole = _embedded(cache, [meaning.problem_text(t, s) for t, s in texts])
    title = _embedded(cache, [t for t, _ in texts])
    owners = [n for n, (_, s) in enumerate(texts) for _ in sentences(s)]
    said = _embedded(cache, [part for _, s in texts for part in sentences(s)])
    units = np.concatenate([said, title])
    order = np.argsort(np.array(owners + list(range(len(texts)))), kind="stable")
    owner = np.array(owners + list(range(len(texts))))[order]
    starts = np.searchsorted(owner, np.arange(len(texts)))
    counts = np.diff(np.append(starts, len(owner)))

    terms, vocabulary = asyncio.run(_terms(texts))
    held = Counter(term for found in terms for term in found)
    weights = [words.weights(found, held, len(texts), vocabulary) for found in terms]
    index = {term: n for n, term in enumerate(held)}
    weighted = np.zeros((len(texts), len(index)), dtype=np.float32)  # a row each, normalised
    for n, given in enumerate(weights):
        for term, weight in given.items():
            weighted[n, index[term]] = weight
    norms = np.linalg.norm(weighted, axis=1)
    weighted /= np.where(norms > 0, norms, 1.0)[:, None]
    lexicals = {q: np.minimum(weighted @ weighted[q], 1.0) for _, q, _ in queries}
    return City(
        texts, queries, whole, title, units[order], starts, counts, lexicals, crowding(weighted)
    )


def crowding(vectors: Array) -> Array:
    """The worker's crowding: each text's mean cosine with its ``CROWD`` nearest others (of
    its vectors, or of its weighted terms)."""
    crowd = meanings.CROWD
    found = np.zeros(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), 1000):
        cosines = vectors[start : start + 1000] @ vectors.T
        cosines[np.arange(len(cosines)), np.arange(start, start + len(cosines))] = -9
        found[start : start + 1000] = np.partition(cosines, -crowd, axis=1)[:, -crowd:].mean(1)
    return found


def by_units(city: City, q: int) -> Array:
    """The units score of ``q`` with every text: each unit's best match in the other, averaged
    within a text, then the two directions averaged."""
    own = city.units[city.starts[q] : city.starts[q] + city.counts[q]]
    cosines = own @ city.units.T
    forth = np.maximum.reduceat(cosines, city.starts, axis=1).mean(axis=0)
    back = np.add.reduceat(cosines.max(axis=0), city.starts) / city.counts
    score: Array = (forth + back) / 2
    return score


def units_crowding(city: City) -> Array:
    """Each text's mean units score with its best ``CROWD`` among its ``POOL`` nearest by the
    whole text (``meanings``' units crowding)."""
    found = np.zeros(len(city.texts), dtype=np.float32)
    for start in range(0, len(city.texts), 1000):
        cosines = city.whole[start : start + 1000] @ city.whole.T
        cosines[np.arange(len(cosines)), np.arange(start, start + len(cosines))] = -9
        pools = np.argpartition(-cosines, meanings.POOL, axis=1)[:, : meanings.POOL]
        for n, pool in enumerate(pools):
            i = start + n
            own = city.units[city.starts[i] : city.starts[i] + city.counts[i]]
            scores = []
            for other in pool:
                theirs = city.units[city.starts[other] : city.starts[other] + city.counts[other]]
                cosines_ = own @ theirs.T
                scores.append((cosines_.max(axis=1).mean() + cosines_.max(axis=0).mean()) / 2)
            found[i] = np.sort(scores)[-meanings.CROWD :].mean()
    return found


def report(city: City, name: str, score: Callable[[int], NDArray[np.floating]]) -> str:
    """Per file: pairs found in the first ``TOP``, the place counted among the background and
    the file's own texts, and the mean log of the place."""
    owner = np.full(len(city.texts), "", dtype=object)
    for label, q, paraphrase in city.queries:
        owner[[q, paraphrase]] = label
    found: dict[str, tuple[int, int, float]] = {}
    for label, q, paraphrase in city.queries:
        scores = np.array(score(q), dtype=np.float64)
        scores[(owner != "") & (owner != label)] = -np.inf  # another file's telling
        scores[q] = -np.inf
        place = int((scores > scores[paraphrase]).sum()) + 1
        hit, total, logs = found.get(label, (0, 0, 0.0))
        found[label] = (hit + (place <= TOP), total + 1, logs + math.log(place))
    figures = "  ".join(
        f"{label} {h}/{n} ({logs / n:.2f})" for label, (h, n, logs) in found.items()
    )
    return f"{name}: {figures}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.similar_offline")
    parser.add_argument("--problems", type=int, default=3000, help="background problems")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "intake-similar-offline"
    )
    parser.add_argument("files", nargs="*", type=Path, help="more pair files to bury and score")
    args = parser.parse_args(argv)
    city = build(args.problems, args.seed, args.cache, args.files)
    whole = crowding(city.whole)
    whole -= whole.mean()
    units = units_crowding(city)
    units -= units.mean()
    terms = city.terms_crowding - city.terms_crowding.mean()
    blend, crowded, share = meanings.BLEND, meanings.CROWDING, meanings.UNITS

    def by_whole(q: int) -> NDArray[np.floating]:
        found: NDArray[np.floating] = city.whole @ city.whole[q] - crowded * (whole + whole[q])
        return found

    def meant(q: int) -> NDArray[np.floating]:
        units_part = by_units(city, q) - crowded * (units + units[q])
        found: NDArray[np.floating] = (1 - share) * by_whole(q) + share * units_part
        return found

    def worker(q: int) -> NDArray[np.floating]:
        score: NDArray[np.floating] = blend * meant(q) + (1 - blend) * city.lexical[q]
        return score

    def terms_crowding(q: int) -> NDArray[np.floating]:
        lexical = city.lexical[q] - crowded * (terms + terms[q])
        score: NDArray[np.floating] = blend * meant(q) + (1 - blend) * lexical
        return score

    def before_units(q: int) -> NDArray[np.floating]:
        lexical = city.lexical[q]
        score: NDArray[np.floating] = BEFORE_UNITS * by_whole(q) + (1 - BEFORE_UNITS) * lexical
        return score

    print(f"{len(city.queries)} pairs among {args.problems:,} problems: pairs in the first {TOP}")
    print("(mean log of the place in brackets: 0 is always first)")
    print(report(city, "the worker's ranking", worker))
    print(report(city, "the terms less their crowding (not the worker's)", terms_crowding))
    print(report(city, "the whole text alone (before units)", before_units))
    print(report(city, "terms alone", lambda q: city.lexical[q]))
    print(report(city, "meaning alone", lambda q: city.whole @ city.whole[q]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
