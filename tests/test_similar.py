"""Which words the similar-problem search uses (the search itself: test_triage_pairing)."""

from __future__ import annotations

from intake.triage.similar import MAX_TERMS, distinctive_terms, tsquery_text


def test_rarest_words_first_common_ones_and_numbers_dropped() -> None:
    frequencies = {"permit": 0.02, "build": 0.01, "staff": 0.4, "wait": 0.05}
    lexemes = ["staff", "wait", "permit", "build", "hillsid", "11", "660", "permit"]
    # Not in the statistics at all: rarer than any lexeme in them.
    assert distinctive_terms(lexemes, frequencies) == ["hillsid", "build", "permit"]


def test_fairly_common_words_only_when_there_is_nothing_rarer() -> None:
    frequencies = {"submit": 0.04, "employ": 0.035, "timesheet": 0.01, "staff": 0.4}
    assert distinctive_terms(["submit", "employ", "timesheet", "staff"], frequencies) == [
        "timesheet"
    ]
    assert distinctive_terms(["submit", "employ", "staff"], frequencies) == ["employ", "submit"]


def test_at_most_eight_words_once_there_are_statistics() -> None:
    lexemes = [f"word{chr(97 + n)}" for n in range(12)]
    assert distinctive_terms(lexemes, {"other": 0.2}) == sorted(lexemes)[:MAX_TERMS]
    # A new or small table has no statistics yet: every word is kept.
    assert distinctive_terms(lexemes, {}) == sorted(lexemes)


def test_query_text_quotes_each_word() -> None:
    assert tsquery_text(["permit", "o'hare", "a\\b"]) == "'permit' | 'o''hare' | 'a\\\\b'"
    assert tsquery_text([]) == ""
