"""Score the framing hints on labelled texts: ``python -m intake.problems.framing_eval FILE``.

Each line of FILE is ``label<TAB>field<TAB>text``: label ``solution`` (the text prescribes a
solution, so a hint is expected) or ``problem`` (no hint expected), field ``title``,
``statement`` or ``outcome``. Blank lines and lines starting with ``#`` are skipped. It prints
recall (solution texts that get a hint) and precision (hinted texts that are solution texts),
overall and per field, and with ``--misses`` each text the hints got wrong. A header line
(``label<TAB>field<TAB>text``) is skipped, labels and fields may be in any case, and a text
quoted the way spreadsheets write TSV (in double quotes, inner quotes doubled) is unquoted.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from intake.problems.framing import framing_hints

__all__ = ["LabelledText", "Score", "read_labelled", "score"]

FIELDS = {
    "title": "title",
    "statement": "problem_statement",
    "problem_statement": "problem_statement",
    "outcome": "desired_outcome",
    "desired_outcome": "desired_outcome",
}
LABELS = {"solution": True, "problem": False}


@dataclass(frozen=True, slots=True)
class LabelledText:
    solution_first: bool
    field: str  # "title", "problem_statement" or "desired_outcome"
    text: str


@dataclass(frozen=True, slots=True)
class Score:
    texts: int
    solutions: int
    flagged: int
    flagged_solutions: int
    misses: tuple[LabelledText, ...]  # solution texts without a hint
    false_alarms: tuple[LabelledText, ...]  # problem texts with a hint

    @property
    def recall(self) -> float:
        return self.flagged_solutions / self.solutions if self.solutions else 1.0

    @property
    def precision(self) -> float:
        return self.flagged_solutions / self.flagged if self.flagged else 1.0


def read_labelled(path: Path) -> list[LabelledText]:
    """The labelled texts of a TSV file; a malformed line is a ValueError naming it."""
    texts: list[LabelledText] = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split("\t", 2)]
        if [part.lower() for part in parts] == ["label", "field", "text"]:
            continue
        if len(parts) != 3 or parts[0].lower() not in LABELS or parts[1].lower() not in FIELDS:
            raise ValueError(f"{path}:{number}: expected label<TAB>field<TAB>text: {line!r}")
        label, field, text = parts
        if len(text) > 1 and text[0] == text[-1] == '"':
            text = text[1:-1].replace('""', '"')
        texts.append(LabelledText(LABELS[label.lower()], FIELDS[field.lower()], text))
    return texts


def hinted(text: LabelledText) -> bool:
    fields: dict[str, str | None] = dict.fromkeys(("title", "problem_statement", "desired_outcome"))
    fields[text.field] = text.text
    return bool(framing_hints(**fields))


def score(texts: list[LabelledText]) -> Score:
    misses: list[LabelledText] = []
    false_alarms: list[LabelledText] = []
    flagged = flagged_solutions = 0
    for text in texts:
        got = hinted(text)
        flagged += got
        flagged_solutions += got and text.solution_first
        if got != text.solution_first:
            (misses if text.solution_first else false_alarms).append(text)
    return Score(
        texts=len(texts),
        solutions=sum(text.solution_first for text in texts),
        flagged=flagged,
        flagged_solutions=flagged_solutions,
        misses=tuple(misses),
        false_alarms=tuple(false_alarms),
    )


def _line(name: str, result: Score) -> str:
    return (
        f"{name:<20} {result.texts:>5} texts  recall {result.recall:.3f} "
        f"({result.flagged_solutions}/{result.solutions})  precision {result.precision:.3f} "
        f"({result.flagged_solutions}/{result.flagged})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m intake.problems.framing_eval", description=__doc__.splitlines()[0]
    )
    parser.add_argument("files", nargs="+", type=Path, help="TSV: label<TAB>field<TAB>text")
    parser.add_argument("--misses", action="store_true", help="list the texts it got wrong")
    args = parser.parse_args(argv)
    try:
        texts = [text for path in args.files for text in read_labelled(path)]
    except (OSError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    result = score(texts)
    print(_line("all", result))
    for field in ("title", "problem_statement", "desired_outcome"):
        part = [text for text in texts if text.field == field]
        if part:
            print(_line(field, score(part)))
    if args.misses:
        for text in result.misses:
            print(f"missed       {text.field}: {text.text}")
        for text in result.false_alarms:
            print(f"false alarm  {text.field}: {text.text}")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:  # piped into head
        sys.stderr.close()
        raise SystemExit(0) from None
