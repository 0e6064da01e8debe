"""Framing hints are computed on every POST and PATCH of a problem and for the pages' live
hints, so their work must grow in proportion to the text. Adversarial texts of the longest a
field may be (5,000 characters) get their hints, and the grammar's work, counted as the
calls of its functions (deterministic, unlike a clock), grows about twice when the text
doubles. Before this was checked, "a " 2,500 times took 27 s of CPU."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest

from intake.problems import framing_grammar
from tests.helpers import hints_for

LONGEST = 5000  # schemas.LongText
FIELDS = ("title", "problem_statement", "desired_outcome")

# One unit repeated to fill a field: a run of one word, of a solution verb, of solution
# phrases, of punctuation, of product names, one clause of many words, and the words each
# rule walks over (openers, adverbs, "something like", "a version of", "but").
ADVERSARIAL = {
    "one-word": "a ",
    "one-letter": "x ",
    "solution-verb": "build ",
    "solution-phrase": "build an app ",
    "new-solution": "a new app ",
    "would-help": "tablets would help ",
    "participle": "built ",
    "automated": "should be scanned ",
    "nominal": "CRM implementation ",
    "full-stops": ". ",
    "commas": "a, ",
    "colons": "need: a ",
    "products": "Power BI ",
    "mixed-case": "iPad ",
    "means": "in ",
    "openers": "the ",
    "adverbs": "really ",
    "something-like": "something like ",
    "containers": "version of ",
    "dismissed": "an app but the real issue ",
    "wanted-again": "we want it ",
    "moved": "moved all files to SharePoint ",
    "moved-off": "move off of ",
    "acting": "drones inspect every ",
    "believed": "we think Teams would ",
    "wishful": "it would be great to have ",
    "prose": (
        "We need a new app built in Salesforce but the portal would help staff scan "
        "records into Laserfiche "
    ),
}


def filled(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


@contextmanager
def grammar_calls() -> Iterator[list[int]]:
    """Count the calls of the grammar's functions (and resumptions of its generators)."""
    grammar = framing_grammar.__file__
    count = [0]

    def profile(frame: FrameType, event: str, _: Any) -> None:
        if event == "call" and frame.f_code.co_filename == grammar:
            count[0] += 1

    sys.setprofile(profile)
    try:
        yield count
    finally:
        sys.setprofile(None)


def work(field: str, text: str) -> int:
    hints_for(field, "a warm-up with a mispelled word")  # the speller loads its words once
    with grammar_calls() as count:
        hints_for(field, text)
    return count[0]


@pytest.mark.parametrize("unit", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_the_longest_adversarial_texts_get_their_hints(unit: str) -> None:
    for field in FIELDS:
        text = filled(unit, LONGEST)
        hints = hints_for(field, text)
        assert all(text[h.start : h.start + len(h.phrase)] == h.phrase for h in hints)


def test_every_repeated_solution_gets_its_hint() -> None:
    text = filled("Build an app. ", LONGEST)
    hints = hints_for("problem_statement", text)
    assert len(hints) == text.count("Build an app")
    assert {(h.rule, h.phrase) for h in hints} == {("build_app", "Build an app")}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("unit", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_the_work_grows_in_proportion_to_the_text(unit: str, field: str) -> None:
    single, double = work(field, filled(unit, 1250)), work(field, filled(unit, 2500))
    # Linear work doubles, plus a little for the fixed cost of a text; quadratic work would
    # take four times as much.
    assert double <= 2.3 * single + 100, (single, double)
