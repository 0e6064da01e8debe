"""Read a misspelt word as the word it was meant to be ("labtops" as "laptops").

Only a rare word (not an English word by wordfreq's counts) one edit away (a letter added,
dropped, changed, or two neighbours swapped) from exactly one word of a given vocabulary is
read as that word. Common words stay as written, so "postal" is never read as "portal".
"""

from __future__ import annotations

from collections.abc import Iterable

from wordfreq import zipf_frequency

__all__ = ["Speller"]

MIN_LENGTH = 5  # shorter words are too close to too many others
RARE = 2.0  # zipf frequency below which a word is not taken as English as written
KEEP = 50_000  # words whose reading is kept


def _deletions(word: str) -> set[str]:
    return {word[:n] + word[n + 1 :] for n in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one edit (Damerau: a swap counts as one)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [n for n in range(len(a)) if a[n] != b[n]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )  # fmt: skip
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return short in _deletions(long)


class Speller:
    """Corrections towards one vocabulary, computed once per word and kept."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.vocabulary = frozenset(w for w in vocabulary if len(w) >= MIN_LENGTH and w.isalpha())
        self.by_deletion: dict[str, set[str]] = {}
        for word in self.vocabulary:
            for key in {word} | _deletions(word):
                self.by_deletion.setdefault(key, set()).add(word)
        self.known: dict[str, str | None] = {}  # emptied when it grows past KEEP

    def correct(self, word: str) -> str | None:
        """The vocabulary word ``word`` was meant to be, or None (correct, common or unclear)."""
        if word in self.known:
            return self.known[word]
        found: str | None = None
        if len(word) >= MIN_LENGTH and word.isalpha() and word not in self.vocabulary:
            candidates = {
                known
                for key in {word} | _deletions(word)
                for known in self.by_deletion.get(key, ())
                if _one_edit(word, known)
            }
            if len(candidates) == 1 and zipf_frequency(word, "en") < RARE:
                found = candidates.pop()
        if len(self.known) >= KEEP:
            self.known.clear()
        self.known[word] = found
        return found
