"""Framing hints: spot text that prescribes a solution instead of describing a problem.

Departments often arrive with a solution in mind ("we need an app", "buy Salesforce"). Intake
still accepts such a problem, but returns hints that quote the words and say how to restate
the underlying need. The rules are a small grammar over the words of each field: a solution
verb with a solution object in one clause (in either order, any inflection), an ask, a named
product, or an outcome stated as the solution delivered; reported solutions, mandates and
today's tools named as context are left alone. No scoring and no model: the same text always
gets the same hints, each explained by the words that triggered it. The grammar is
``framing_grammar.py``, its word lists sections of ``framing_words.txt`` (read by
``framing_words.py``), misspellings ``spelling.py``; docs/api.md lists every rule a hint can
carry, docs/triage.md how to extend the words and measure a change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import msgspec

from intake.problems import framing_words as vocab
from intake.problems.framing_grammar import Reader
from intake.problems.framing_words import OBJECTS, VERBS

__all__ = [
    "OBJECTS",
    "RULES",
    "RULES_VERSION",
    "VERBS",
    "FramingHint",
    "FramingRule",
    "framing_hints",
    "stored_hints",
    "to_store",
]

# Which rules stored hints were computed with: the text of every file the rules live in
# (this module, the grammar, the word lists and their reader, the spelling) and the word
# frequencies the spelling relies on, so a change to any of them makes every stored hint
# stale (see ``stored_hints``).
_RULE_FILES = (
    "framing.py",
    "framing_grammar.py",
    "framing_words.py",
    "framing_words.txt",
    "spelling.py",
)
RULES_VERSION = hashlib.sha256(
    b"".join((Path(__file__).parent / name).read_bytes() for name in _RULE_FILES)
    + metadata.version("wordfreq").encode()
).hexdigest()[:16]


class FramingHint(msgspec.Struct, frozen=True, kw_only=True):
    """One solution-prescriptive phrase found in a problem's text, with advice."""

    field: str  # "title", "problem_statement" or "desired_outcome"
    rule: str  # a stable rule id from RULES, e.g. "build_app"
    phrase: str  # the matched words exactly as written
    start: int  # character offset of ``phrase`` in that field's text
    message: str  # plain-language explanation quoting the phrase
    suggestion: str  # how to restate the underlying need
    verb: str  # the solution verb as written, e.g. "Build" or "implementation"
    object: str  # the solution object as written, e.g. "dashboard" or "Salesforce"
    reason: str  # why: 'solution verb "Build" (build) with solution object "dashboard" (...)'


@dataclass(frozen=True, slots=True)
class FramingRule:
    """A kind of hint; ``prescribes`` completes "The text prescribes a solution (...): ..."."""

    id: str
    prescribes: str
    suggestion: str


RULES: tuple[FramingRule, ...] = (
    FramingRule(
        id="build_app",
        prescribes="an app, website or portal to build",
        suggestion=(
            "Describe what residents or staff cannot do today, how they get by now and what "
            "would be different for them, rather than the app you have in mind."
        ),
    ),
    FramingRule(
        id="build_dashboard",
        prescribes="a dashboard to build",
        suggestion=(
            "Describe the decisions people need to make, the information they lack or wait for "
            "today and what they would do differently with it, rather than the dashboard."
        ),
    ),
    FramingRule(
        id="need_system",
        prescribes="a system or software to put in place",
        suggestion=(
            "Describe the work that is hard today, who does it, what goes wrong and what should "
            "change, rather than the system or software you have in mind."
        ),
    ),
    FramingRule(
        id="get_devices",
        prescribes="devices to hand out",
        suggestion=(
            "Describe the work people do away from a desk, what slows them down or goes wrong "
            "there today and what should be different, rather than the devices to provide."
        ),
    ),
    FramingRule(
        id="buy_product",
        prescribes="a product to buy",
        suggestion=(
            "Describe the problem the purchase should solve: who is affected, what it costs "
            "them today and what outcome you need. DTI can then compare options, including "
            "tools the city already owns."
        ),
    ),
    FramingRule(
        id="implement_product",
        prescribes="a product to implement",
        suggestion=(
            "Describe the process the product is meant to fix, who it affects and what should "
            "be different afterwards, so the team can test whether that product fits."
        ),
    ),
    FramingRule(
        id="migrate_to_product",
        prescribes="a platform to move to",
        suggestion=(
            "Describe what is failing in what you use today (cost, risk, support ending, staff "
            "workarounds) and who it affects, rather than the platform to move to."
        ),
    ),
    FramingRule(
        id="replace_with_product",
        prescribes="a replacement chosen in advance",
        suggestion=(
            "Describe what is wrong with what you use today, who it affects and any deadline "
            "driving the change (contract end, support ending), rather than its replacement."
        ),
    ),
    FramingRule(
        id="automate_process",
        prescribes="a process to automate",
        suggestion=(
            "Describe the manual steps that are slow or error-prone today, who does them, how "
            "often and what it costs, rather than how to automate them."
        ),
    ),
)
_RULES = {rule.id: rule for rule in RULES}

_FIELDS = ("title", "problem_statement", "desired_outcome")


def _hints_in(field: str, text: str) -> list[FramingHint]:
    reader = Reader(text, field)
    taken_to = -1  # the last word any hint so far quotes
    hints: list[FramingHint] = []
    matches = reader.matches()
    if field == "title" and not matches and (bare := reader.title_object()) is not None:
        matches.append(bare)
    if field == "desired_outcome" and not matches and (bare := reader.outcome_solution()):
        matches.append(bare)
    if field != "desired_outcome" and not matches and (bare := reader.elliptical()):
        matches.append(bare)
    for match in sorted(matches, key=lambda m: (m.first, m.last)):
        if match.first <= taken_to:
            continue  # an earlier match already explains these words (none starts later)
        taken_to = max(taken_to, match.last)
        start, phrase = reader.words(match.first, match.last)
        _, verb = reader.words(*match.verb) if match.verb else (0, "")
        _, thing = reader.words(match.object.start, match.object.end)
        rule = _RULES[match.rule]
        if match.shape == "again":
            reason = (
                f'a solution object "{thing}" ({match.object.kind}) named, then wanted again '
                f'with "{verb}"'
            )
        elif match.verb and match.verb_lemma == "use" and verb.lower() in vocab.MEANS | {"online"}:
            reason = (
                f'the means "{verb}" in a clause that prescribes, with solution object '
                f'"{thing}" ({match.object.kind})'
            )
        elif match.verb and match.verb == (match.object.start, match.object.end):
            reason = f'the solution "{thing}" ({match.object.kind}) used as a verb'
        elif match.verb:
            reason = (
                f'solution verb "{verb}" ({VERBS[match.verb_lemma]}: {match.verb_lemma}) '
                f'with solution object "{thing}" ({match.object.kind})'
            )
        elif match.shape == "elliptical":
            reason = (
                f'a sentence that only names a new solution object "{thing}" ({match.object.kind})'
            )
        elif field == "title":
            reason = f'the title names a solution object "{thing}" ({match.object.kind}) alone'
        elif field == "problem_statement":
            reason = f'a new solution object "{thing}" ({match.object.kind}) said to help'
        else:
            reason = f'the outcome is a new solution object "{thing}" ({match.object.kind})'
        for token in reader.tokens[match.first : match.last + 1]:
            if token.low != token.text.lower().replace("\u2019", "'"):
                reason += f'; "{token.text}" read as "{token.low}"'

        hints.append(
            FramingHint(
                field=field,
                rule=rule.id,
                phrase=phrase,
                start=start,
                message=f'The text prescribes a solution ("{phrase}"): {rule.prescribes}.',
                suggestion=rule.suggestion,
                verb=verb,
                object=thing,
                reason=reason,
            )
        )
    return hints


def framing_hints(
    *, title: str | None, problem_statement: str | None, desired_outcome: str | None
) -> list[FramingHint]:
    """Return hints for solution-prescriptive phrases, ordered by field then offset.

    Missing or empty fields give no hints; the same text always gives the same hints.
    """
    texts = (title, problem_statement, desired_outcome)
    hints: list[FramingHint] = []
    for field, text in zip(_FIELDS, texts, strict=True):
        if text:
            hints.extend(_hints_in(field, text))
    return hints


_STORED = msgspec.json.Decoder(list[FramingHint])


def to_store(
    *, title: str | None, problem_statement: str | None, desired_outcome: str | None
) -> list[dict[str, Any]]:
    """The hints as a problem stores them (``Problem.framing_hints``), with RULES_VERSION."""
    hints = framing_hints(
        title=title, problem_statement=problem_statement, desired_outcome=desired_outcome
    )
    stored: list[dict[str, Any]] = msgspec.to_builtins(hints)
    return stored


def stored_hints(
    stored: str | bytes | list[dict[str, Any]],
    rules: str | None,
    *,
    title: str | None,
    problem_statement: str | None,
    desired_outcome: str | None,
) -> list[FramingHint]:
    """A problem's hints: the stored ones (JSON text, or as loaded) when computed with these
    rules, else computed now from its text."""
    if rules == RULES_VERSION:
        if isinstance(stored, list):
            return msgspec.convert(stored, list[FramingHint])
        return _STORED.decode(stored)
    return framing_hints(
        title=title, problem_statement=problem_statement, desired_outcome=desired_outcome
    )
