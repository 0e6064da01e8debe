"""Framing hints measured on a labelled corpus (tests/corpus/framing.txt): texts written in
the voice of city staff, half prescribing a solution, half describing a problem.

The corpus is in batches. Each batch after the first was written after the rules were last
changed and measured before anything was tuned on it; its header keeps those first figures
(docs/triage.md reports them). tests/corpus/framing_heldout.txt is one more batch, written by
someone who never saw the rules. The later batches (tests/corpus/framing_batch*.tsv) hold one
field a line (title, statement or outcome), in the format ``intake.problems.framing_eval``
scores. The targets hold on every batch as the rules stand now."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from intake.problems.framing import framing_hints
from intake.problems.framing_eval import read_labelled

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "framing.txt"
HELD_OUT = Path(__file__).resolve().parents[1] / "corpus" / "framing_heldout.txt"
ONE_FIELD = sorted((Path(__file__).resolve().parents[1] / "corpus").glob("framing_batch*.tsv"))
# Texts by writers who never saw the rules. Each was first scored before any rule was tuned
# on it (each file's header keeps its first figures); the rules have since been tuned on the
# first three and half of the fourth, never on the fifth. Every figure now is a floor, so no
# change makes them worse.
OUTSIDE = {
    "framing_outside1.tsv": 0.975,
    "framing_outside2.tsv": 0.975,
    "framing_outside3.tsv": 1.0,
    "framing_outside4.tsv": 0.9,  # tuned on its first half only (every other line)
    "framing_outside5.tsv": 0.925,  # never tuned on
}
RECALL = 0.9  # of the solution-first texts, the share that gets a hint
PRECISION = 0.95  # of the texts that get a hint, the share that are solution-first
# What the whole corpus reaches as the rules stand (2,380 texts: 0.955 and 0.996; the 1,881
# before batch 18 at 0.970 and 0.998): a floor.
CORPUS_RECALL, CORPUS_PRECISION = 0.95, 0.995


Fields = dict[str, str | None]  # title, problem_statement and desired_outcome


@dataclass
class Batch:
    name: str
    texts: list[tuple[bool, Fields]] = field(default_factory=list)


def batches() -> list[Batch]:
    found = [Batch("first batch")]
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.startswith("# ") and "batch" in line and len(found[-1].texts) > 0:
            found.append(Batch(line[2:].split(" (")[0].lower()))
        read(line, found[-1])
    held_out = Batch("held out")
    for line in HELD_OUT.read_text(encoding="utf-8").splitlines():
        read(line, held_out)
    found.append(held_out)
    for path in ONE_FIELD:
        batch = Batch(path.stem.replace("framing_", "").replace("batch", "batch "))
        for text in read_labelled(path):
            fields: Fields = dict.fromkeys(("title", "problem_statement", "desired_outcome"))
            fields[text.field] = text.text
            batch.texts.append((text.solution_first, fields))
        found.append(batch)
    return found


def read(line: str, batch: Batch) -> None:
    """Add a corpus line's text to ``batch`` (comments and blank lines add nothing)."""
    if not line.strip() or line.startswith("#"):
        return
    label, _department, title, statement = (part.strip() for part in line.split("|"))
    assert label in ("S", "P"), line
    fields: Fields = {"title": title, "problem_statement": statement, "desired_outcome": None}
    batch.texts.append((label == "S", fields))


def measure(texts: list[tuple[bool, Fields]]) -> tuple[float, float, list[str]]:
    flagged_solutions = flagged = solutions = 0
    wrong: list[str] = []
    for solution_first, fields in texts:
        hinted = bool(framing_hints(**fields))
        solutions += solution_first
        flagged += hinted
        flagged_solutions += solution_first and hinted
        if hinted != solution_first:
            shown = next(text for text in fields.values() if text)
            wrong.append(("missed: " if solution_first else "false alarm: ") + shown)
    recall = flagged_solutions / solutions if solutions else 1.0  # batch 10 is problems only
    return recall, flagged_solutions / flagged if flagged else 1.0, wrong


def test_the_corpus_is_large_and_balanced() -> None:
    texts = [text for batch in batches() for text in batch.texts]
    solutions = sum(solution_first for solution_first, _ in texts)

    assert len(texts) >= 200
    assert abs(solutions - (len(texts) - solutions)) <= len(texts) * 0.05


def test_framing_meets_its_targets_on_the_whole_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    every = [text for batch in batches() for text in batch.texts]
    recall, precision, wrong = measure(every)
    with capsys.disabled():
        print(f"\nframing, {len(every)} texts: recall {recall:.3f}, precision {precision:.3f}")

    assert recall >= CORPUS_RECALL, wrong
    assert precision >= CORPUS_PRECISION, wrong


@pytest.mark.parametrize("batch", batches(), ids=lambda batch: batch.name.replace(" ", "-"))
def test_framing_meets_its_targets_on_each_batch(
    batch: Batch, capsys: pytest.CaptureFixture[str]
) -> None:
    recall, precision, wrong = measure(batch.texts)
    with capsys.disabled():
        print(
            f"\n{batch.name}, {len(batch.texts)} texts: recall {recall:.3f}, "
            f"precision {precision:.3f}"
        )

    assert recall >= RECALL, wrong
    assert precision >= PRECISION, wrong


@pytest.mark.parametrize("name", sorted(OUTSIDE))
def test_texts_written_outside_keep_their_first_figures(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = []
    for text in read_labelled(ONE_FIELD[0].parent / name):
        fields: Fields = dict.fromkeys(("title", "problem_statement", "desired_outcome"))
        fields[text.field] = text.text
        texts.append((text.solution_first, fields))
    recall, precision, wrong = measure(texts)
    with capsys.disabled():
        print(f"\n{name}, {len(texts)} texts: recall {recall:.3f}, precision {precision:.3f}")
    assert recall >= OUTSIDE[name], wrong
    assert precision >= PRECISION, wrong
