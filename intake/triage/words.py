"""The words similar problems are compared on, and how much each one says.

A problem's *terms* are the English stems (PostgreSQL's ``english`` configuration, exactly as
its full-text search has them) of its title and of the opening of its statement, with:

- numbers and hyphenated compounds dropped ("11" from "11,660 people"; "spanish-speak"
  beside "spanish" and "speak", which stay);
- the words of one synonym group of the civic thesaurus (``thesaurus/*.txt``, one file a
  city-service domain: household, family; lift, elevator; ...) joined as one term named after
  the group's first member (``~household``): a problem about families and one about households
  share it. A group's phrase member ("food stamps") counts when all its words are there;
- besides each group's term, its *concept* (``^bulky_item`` for sofa, mattress, bulky waste;
  its domain, ``^waste``, for a group under no concept): two problems naming different
  things of one kind share it, at ``CONCEPT_WEIGHT`` of its rarity's weight.

A term *weighs* by how rare it is: ``ln(1 / share)``, its share being the larger of the share
of the city's problems that hold it (``similar_term_counts``, kept as problems are stored)
and the chance it appears in ``TEXT_WORDS`` words of ordinary English (word frequencies from
the ``wordfreq`` package, the same stems). So a word most problems share ("permit" in a city
of permits) weighs little, and so does a word any text has ("never", "month", "new"), even in
a small city whose own counts cannot tell yet; "naloxone" or "detour" weighs a lot.

The *dictionary* is what decides the terms: the thesaurus, the English frequencies and
these rules; and the sentence model that decides meanings (``intake.triage.meaning``). Its
hash (``dictionary_hash``) is recorded with the stored matches, so a change
shows (``/health/ready``, start-up log) until ``intake similar recompute`` runs.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from intake.triage.meaning import MODEL_ID

THESAURUS = Path(__file__).with_name("thesaurus")  # one file a domain; general.txt: no domain
TERMS_VERSION = "3"  # bump when the rules below change what a problem's terms are
CONCEPT_WEIGHT = 1.0  # a concept weighs as its rarity says (measured: 0.5 and 1.3 find fewer)
ENGLISH_WORDS = 60_000  # the most frequent English words whose stems get an English share
TEXT_WORDS = 200  # a problem's text, in words: a word's English share is its chance in as many
FEWEST_PROBLEMS = 100
GENERAL = "general"  # the thesaurus file whose groups belong to no domain


@dataclass(frozen=True, slots=True)
class Group:
    """Words for one thing (the first names its term), and the concept they are a kind of
    (``[section]`` of their file, else the file's domain; None in ``general.txt``)."""

    words: tuple[str, ...]
    concept: str | None = None


def thesaurus(folder: Path = THESAURUS) -> tuple[Group, ...]:
    """The thesaurus's groups, file by file in name order: one a line, comma-separated words
    or phrases, ``#`` comments, ``[concept]`` lines naming the concept of the groups below."""
    groups: list[Group] = []
    for path in sorted(folder.glob("*.txt")):
        domain = None if path.stem == GENERAL else path.stem
        concept = domain
        for line in path.read_text(encoding="utf-8").splitlines():
            content = line.split("#", 1)[0].strip()
            if content.startswith("[") and content.endswith("]"):
                concept = content[1:-1].strip() or domain
                continue
            words = tuple(dict.fromkeys(w.strip().lower() for w in content.split(",") if w.strip()))
            if len(words) > 1 or (words and concept is not None):
                groups.append(Group(words, concept))
    return tuple(groups)


@cache
def dictionary_hash(folder: Path = THESAURUS) -> str:
    """What decides the stored matches, as a short hash: the thesaurus, the English word
    frequencies' release, ``CONCEPT_WEIGHT`` and ``TERMS_VERSION`` decide the terms; the
    sentence model (``meaning.MODEL_ID``) decides what a problem means."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.txt")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(
        f"|wordfreq {version('wordfreq')}|terms {TERMS_VERSION}|concept {CONCEPT_WEIGHT}"
        f"|meaning {MODEL_ID}".encode()
    )
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The dictionary as PostgreSQL's stems.

    ``group_of`` maps a one-word member's stem to its group's term (the first group wins if
    a stem is in two); ``phrases`` pairs each multi-word member's stems with its group's term;
    ``english`` is each stem's share of ``TEXT_WORDS`` words of English (absent: rarer);
    ``concept_of`` maps a group's term to its concept's (``^bulky_item``); ``members`` lists
    the one-word stems of each group's and concept's term (their English shares add up).
    """

    group_of: Mapping[str, str]
    phrases: tuple[tuple[tuple[str, ...], str], ...]
    english: Mapping[str, float]
    concept_of: Mapping[str, str] = field(default_factory=dict)
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Where in ``phrases`` the phrases beginning with each stem are: a text holds a phrase
    # only if it holds its first stem, so a text is checked for those phrases alone.
    starting: Mapping[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starting: dict[str, list[int]] = {}
        for at, (phrase, _) in enumerate(self.phrases):
            starting.setdefault(phrase[0], []).append(at)
        object.__setattr__(self, "starting", {k: tuple(v) for k, v in starting.items()})


_STEMS_SQL = text(
    """
    SELECT word, ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, word))
                       ORDER BY positions[1]) AS lexemes
    FROM unnest(CAST(:words AS text[])) AS word
    """
)


async def vocabulary(session: AsyncSession, groups: Sequence[Group] | None = None) -> Vocabulary:
    """The dictionary stemmed by the database (so exactly as its documents are); kept per
    process, as the English shares are: both change only with a release. ``groups`` replaces
    the thesaurus's (tests), and is not kept."""
    if groups is not None:
        return await _stemmed(session, tuple(groups))
    if not _vocabulary:
        stemmed = await _stemmed(session, thesaurus())
        if not _vocabulary:  # not loaded meanwhile by a request beside this one
            _vocabulary.append(stemmed)
    return _vocabulary[0]


# Filled once per process, like ``_english_shares``.
_vocabulary: list[Vocabulary] = []


async def _stemmed(session: AsyncSession, groups: tuple[Group, ...]) -> Vocabulary:
    members = sorted({word for group in groups for word in group.words})
    stems = {
        row.word: tuple(row.lexemes)
        for row in await session.execute(_STEMS_SQL, {"words": members})
    }
    return build_vocabulary(groups, stems, await _english(session))


def build_vocabulary(
    groups: Sequence[Group], stems: Mapping[str, tuple[str, ...]], english: Mapping[str, float]
) -> Vocabulary:
    """The vocabulary of ``groups``, given each member's stems."""
    group_of: dict[str, str] = {}
    phrases: list[tuple[tuple[str, ...], str]] = []
    concept_of: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for group in groups:
        term = "~" + group.words[0]
        if group.concept is not None:
            concept_of.setdefault(term, "^" + group.concept.replace(" ", "_"))
        for word in group.words:
            lexemes = stems[word]
            # as terms_of reads a text: "e-mail" is the phrase "e mail", its compound dropped
            parts = tuple(lexeme for lexeme in lexemes if _counts(lexeme))
            if len(lexemes) == 1 and " " not in word:
                group_of.setdefault(lexemes[0], term)
            elif len(parts) > 1:
                phrases.append((parts, term))
            # else a phrase of one word that says something ("out of work" is "work"):
            # it would join every text with that word, so it joins none
    for lexeme, term in group_of.items():
        members.setdefault(term, []).append(lexeme)
        if term in concept_of:
            members.setdefault(concept_of[term], []).append(lexeme)
    return Vocabulary(
        group_of,
        tuple(phrases),
        english,
        concept_of,
        {term: tuple(stems) for term, stems in members.items()},
    )


# Filled once per process: stems and frequencies are the same in every database.
_english_shares: dict[str, float] = {}


async def _english(session: AsyncSession) -> dict[str, float]:
    """Each stem's chance to appear in ``TEXT_WORDS`` words of English: the frequencies of the
    ``ENGLISH_WORDS`` most frequent words, summed by stem."""
    if not _english_shares:
        _english_shares.update(await _stem_english(session))
    return _english_shares


async def _stem_english(session: AsyncSession) -> dict[str, float]:
    from wordfreq import get_frequency_list  # loaded on first use: a few MB of word lists

    words: list[str] = []
    frequencies: list[float] = []
    for centibels, bucket in enumerate(get_frequency_list("en", wordlist="large")):
        for word in bucket:
            if word.isalpha():
                words.append(word)
                frequencies.append(10 ** (-centibels / 100))
        if len(words) >= ENGLISH_WORDS:
            break
    rows = await session.execute(
        text(
            "SELECT lexeme, sum(frequency) AS frequency FROM unnest("
            "CAST(:words AS text[]), CAST(:frequencies AS float8[])) AS word(word, frequency), "
            "unnest(to_tsvector('english'::regconfig, word.word)) GROUP BY lexeme"
        ),
        {"words": words, "frequencies": frequencies},
    )
    return {row.lexeme: 1 - math.exp(-row.frequency * TEXT_WORDS) for row in rows}


def terms_of(lexemes: Iterable[str], words: Vocabulary) -> list[str]:
    """A problem's terms from the stems of its words, in their order, each once."""
    present = [lexeme for lexeme in dict.fromkeys(lexemes) if _counts(lexeme)]
    terms = [words.group_of.get(lexeme, lexeme) for lexeme in present]
    found = set(present)
    candidates = sorted(at for lexeme in found for at in words.starting.get(lexeme, ()))
    terms += [
        term
        for phrase, term in (words.phrases[at] for at in candidates)
        if found.issuperset(phrase) and _in_order(phrase, present)
    ]
    terms += [words.concept_of[term] for term in terms if term in words.concept_of]
    return list(dict.fromkeys(terms))


def _counts(lexeme: str) -> bool:
    """Not a number, nor a hyphenated compound (its parts count)."""
    return not lexeme[:1].isdigit() and "-" not in lexeme


def _in_order(phrase: tuple[str, ...], lexemes: list[str]) -> bool:
    """The phrase's stems follow one another among the text's (stop words are not there)."""
    width = len(phrase)
    return any(
        tuple(lexemes[start : start + width]) == phrase
        for start, lexeme in enumerate(lexemes)
        if lexeme == phrase[0]
    )


def weights(
    terms: Iterable[str], counts: Mapping[str, int], problems: int, words: Vocabulary
) -> dict[str, float]:
    """How much each term says: ``ln(1 / share)``, its share being the larger of the share of
    the ``problems`` that hold it (``counts``) and its English share (for a group: its one-word
    members' together). A city of fewer than ``FEWEST_PROBLEMS`` counts as that many: two
    problems sharing a word do not make it common."""
    total = max(problems, FEWEST_PROBLEMS)
    found = {}
    for term in terms:
        english = sum(words.english.get(m, 0.0) for m in words.members.get(term, (term,)))
        share = max(counts.get(term, 0) / total, min(english, 1.0), 1 / (total + 1))
        weight = math.log(1 / share) if share < 1 else 0.0
        found[term] = weight * CONCEPT_WEIGHT if term.startswith("^") else weight
    return found
