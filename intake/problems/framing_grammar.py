"""The framing grammar: the words of one field, read as clauses, verbs and noun phrases.

``Reader(text, field).matches()`` finds each solution verb with its solution object (and the
other shapes framing.py's docstring lists); ``title_object`` and ``outcome_object`` read a
title or an outcome that only names a solution. The word lists are in framing_words.txt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

from intake.problems import framing_words as vocab

# Surname prefixes whose names look like product names ("McDonald", "DeKalb").
_SURNAME = re.compile(r"(?:Mc|Mac|De|Di|La|Le|Van|Von|O')[A-Z]")
_DISTINCTIVE = re.compile(r"[a-z][A-Z]|^[A-Z]{2,}$|\d")
# A mixed-case name ("WhatsApp", "REDCap", "iPad"): a product, not an agency's initials.
_MIXED_CASE = re.compile(r"^(?![A-Z]+s$)(?:.*[a-z][A-Z]|[A-Z]{2,}[a-z])")
# A describing word that names a product as the model ("a Petfinder-style page").
_STYLED = re.compile(r"[A-Z][A-Za-z0-9]*-(?:style|like|type)")
_LONG_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]{3,}")
_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|['\u2019.&+-](?=[A-Za-z0-9]))*")
_HARD_GAP = re.compile(r"[.!?;:()\[\]\"\u201c\u201d\n\u2013\u2014]|\s-\s")
_SOFT_GAP = re.compile(r"[,/]")
_YEAR = re.compile(r"(?:19|20)\d\d")


@dataclass(slots=True)
class _Token:
    text: str
    low: str  # lower case, misspellings read as meant (``spelling.Speller``)
    start: int
    end: int
    clause: int
    soft_before: bool  # a comma or slash between this token and the previous one
    sentence_start: bool
    noun: str  # the word as a singular noun ("apps" -> "app", "app's" -> "app")


def _noun(low: str) -> str:
    """The word as a singular noun ("apps" -> "app", "app's" -> "app")."""
    word = re.sub(r"['\u2019]s$", "", low)
    if word not in vocab.OBJECTS and word not in vocab.QUALIFIED:
        for suffix, replacement in (("ies", "y"), ("es", ""), ("s", "")):
            if word.endswith(suffix) and word[: -len(suffix)] + replacement in vocab.OBJECTS:
                return word[: -len(suffix)] + replacement
            if word.endswith(suffix) and word[: -len(suffix)] + replacement in vocab.QUALIFIED:
                return word[: -len(suffix)] + replacement
    return word


@dataclass(frozen=True, slots=True)
class _Object:
    kind: str
    start: int  # token index where the noun phrase starts (after any opener)
    end: int  # token index of its last word
    opener: str | None  # "new", "old" or None


@dataclass(frozen=True, slots=True)
class _Match:
    rule: str
    first: int  # token indexes the phrase spans
    last: int
    verb: tuple[int, int] | None  # token indexes of the verb words (None: a bare title)
    verb_lemma: str
    object: _Object
    shape: str = ""  # "elliptical": a sentence that only names the solution; "again": wanted
    # by a pronoun after it was named ("... a drone program and we want it")


def _tech_compound(word: str) -> bool:
    """A describing word made of a solution word: "GIS-based", "cloud-hosted", "app-enabled"."""
    first, dash, _ = word.partition("-")
    return bool(dash) and (first in vocab.OBJECTS or first in vocab.TECH_MODIFIERS)


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    clause, previous_end = 0, 0
    for found in _TOKEN.finditer(text):
        gap = text[previous_end : found.start()]
        hard = bool(_HARD_GAP.search(gap)) if tokens else True
        if hard and tokens:
            clause += 1
        sentence = not tokens or bool(re.search(r"[.!?:\n]", gap))
        word = found.group()
        low = word.lower().replace("\u2019", "'")
        if word[1:].islower():  # not a name such as "SharePoint" or "DBI"
            low = vocab.SPELLER.correct(low) or low
        tokens.append(
            _Token(
                text=word,
                low=low,
                start=found.start(),
                end=found.end(),
                clause=clause,
                soft_before=bool(tokens) and bool(_SOFT_GAP.search(gap)),
                sentence_start=sentence,
                noun=_noun(low),
            )
        )
        previous_end = found.end()
    return tokens


# Where a command puts its solution when its object is not one (see match_verb).
_COMMAND_MEANS = (vocab.MEANS - {"on", "in", "by"}) | {"onto", "online"}

# How many times a noun phrase may be looked through ("something like", "a version of").
_NESTED = 4

# The verbs of more than one word by their first word, in the order of the word list.
_PHRASAL: dict[str, list[tuple[str, list[str]]]] = {}
for _verb in vocab.VERBS:
    if " " in _verb:
        _PHRASAL.setdefault(_verb.split()[0], []).append((_verb, _verb.split()))


class Reader:
    """The grammar applied to one field's words."""

    def __init__(self, text: str, field: str = "problem_statement") -> None:
        self.text = text
        self.field = field
        self.tokens = _tokens(text)
        words = _LONG_WORD.findall(text)
        self.title_case = len(words) >= 3 and all(word[0].isupper() for word in words)
        self.question = text.rstrip().endswith("?")
        self._phrases: dict[tuple[int, int, bool, bool, int], _Object | None] = {}
        self._happened: dict[int, bool] = {}
        self._kinds: dict[int, str | None] = {}

    # -- where words are in a clause ------------------------------------------------------------
    # A rule that asks "is there such a word earlier (or later) in this clause?" reads these,
    # computed once per text, instead of scanning the clause again for every token: the
    # grammar stays linear in the length of the text (tests/problems/test_framing_cost.py).

    @cached_property
    def clause_start(self) -> list[int]:
        """The index of each clause's first token (a clause's tokens are consecutive)."""
        tokens = self.tokens
        return [n for n, t in enumerate(tokens) if n == 0 or tokens[n - 1].clause != t.clause]

    def clause_range(self, clause: int) -> range:
        """The indexes of the clause's tokens."""
        starts = self.clause_start
        return range(
            starts[clause], starts[clause + 1] if clause + 1 < len(starts) else len(self.tokens)
        )

    def first_where(self, test: Callable[[int], bool]) -> list[int]:
        """For each clause, the index of its first token that passes ``test``
        (``len(tokens)`` if none does)."""
        first = [len(self.tokens)] * len(self.clause_start)
        for n in range(len(self.tokens) - 1, -1, -1):
            if test(n):
                first[self.tokens[n].clause] = n
        return first

    def last_where(self, test: Callable[[int], bool]) -> list[int]:
        """For each clause, the index of its last token that passes ``test`` (-1 if none)."""
        last = [-1] * len(self.clause_start)
        for n in range(len(self.tokens)):
            if test(n):
                last[self.tokens[n].clause] = n
        return last

    def run_start(self, stops: Callable[[int], bool]) -> list[int]:
        """For each token, the nearest index at or before it, in its clause, where
        ``stops`` holds or the clause starts: where a walk back from the token ends."""
        found: list[int] = []
        for n, token in enumerate(self.tokens):
            opens = n == 0 or self.tokens[n - 1].clause != token.clause
            found.append(n if opens or stops(n) else found[n - 1])
        return found

    def counted(self, test: Callable[[_Token], bool]) -> list[int]:
        """How many tokens before each index pass ``test``, one more entry for the end."""
        counts = [0]
        for token in self.tokens:
            counts.append(counts[-1] + test(token))
        return counts

    @cached_property
    def first_negation(self) -> list[int]:
        return self.first_where(
            lambda n: self.tokens[n].low in vocab.NEGATIONS or self.tokens[n].low.endswith("n't")
        )

    @cached_property
    def first_past_or_reported(self) -> list[int]:
        return self.first_where(lambda n: self.past(n) or self.tokens[n].low in vocab.REPORTED)

    @cached_property
    def asking_clauses(self) -> frozenset[int]:
        return frozenset(t.clause for t in self.tokens if t.low in vocab.ASKING)

    @cached_property
    def first_wanting(self) -> list[int]:
        return self.first_where(lambda n: self.tokens[n].low in vocab.WANTING)

    @cached_property
    def first_to_after_wanting(self) -> list[int]:
        wanting = self.first_wanting
        return self.first_where(
            lambda n: self.tokens[n].low == "to" and n >= wanting[self.tokens[n].clause]
        )

    @cached_property
    def first_prescribing(self) -> list[int]:
        return self.first_where(lambda n: self.tokens[n].low in vocab.PRESCRIBING)

    @cached_property
    def last_to_be(self) -> list[int]:
        """For each clause, where its last "to be" starts (-1 if none)."""
        return self.last_where(
            lambda n: (
                self.tokens[n].low == "to"
                and (be := self.at(n + 1, self.tokens[n].clause)) is not None
                and be.low == "be"
            )
        )

    @cached_property
    def last_finite(self) -> list[int]:
        return self.last_where(lambda n: self.tokens[n].low in vocab.FINITE)

    @cached_property
    def sentence_clauses(self) -> frozenset[int]:
        """Clauses with a finite verb, a negation, trouble or a year: not a headline."""
        settled = vocab.FINITE | vocab.NEGATIONS | vocab.TROUBLE
        return frozenset(
            t.clause for t in self.tokens if t.low in settled or _YEAR.fullmatch(t.low)
        )

    @cached_property
    def headline_start(self) -> list[int]:
        """Where a headline's subject ending at each index starts: after a comma or a joining
        word that opens nothing ("and", "for")."""
        closing = vocab.JOINING - vocab.OPENERS
        return self.run_start(
            lambda n: self.tokens[n].soft_before or self.tokens[n - 1].low in closing
        )

    @cached_property
    def old_before(self) -> list[int]:
        """How many words before each index say the thing exists ("our", "existing")."""
        old = vocab.OLD - {"the"}
        return self.counted(lambda t: t.low in old)

    def labelled(self, start: int) -> bool:
        """A colon is the last thing before ``start`` but blanks ("Request: ...")."""
        before = start
        while before > 0 and self.text[before - 1].isspace():
            before -= 1
        return before > 0 and self.text[before - 1] == ":"

    @cached_property
    def last_today(self) -> int:
        """The index of the last word about today or the past (-1 if none)."""
        today = vocab.TODAY | vocab.BEFORE_NOW
        return max((n for n, t in enumerate(self.tokens) if t.low in today), default=-1)

    @cached_property
    def after_joining(self) -> list[int]:
        """Where a walk back from each index stops: just after a joining word."""
        return self.run_start(lambda n: self.tokens[n - 1].low in vocab.JOINING)

    @cached_property
    def nominal_start(self) -> list[int]:
        """Where the words before a nominal ending at each index start ("the CRM
        implementation"): after a comma, a joining word or an opener."""
        stop = vocab.JOINING | vocab.OPENERS
        return self.run_start(
            lambda n: self.tokens[n].soft_before or self.tokens[n - 1].low in stop
        )

    @cached_property
    def after_opener(self) -> list[int]:
        """Where a run of openers ("all the", "our") ending at each index starts."""
        return self.run_start(lambda n: self.tokens[n - 1].low not in vocab.OPENERS)

    @cached_property
    def years_before(self) -> list[int]:
        return self.counted(lambda t: bool(_YEAR.fullmatch(t.low)))

    @cached_property
    def by_hand_clauses(self) -> frozenset[int]:
        """Clauses about data kept or moved by hand ("entered", "copied", "manually")."""
        by_hand = vocab.HELD | {"manually", "hand"}
        return frozenset(t.clause for t in self.tokens if t.low in by_hand)

    @cached_property
    def current_clauses(self) -> frozenset[int]:
        return frozenset(t.clause for t in self.tokens if t.low in vocab.CURRENT)

    def at(self, index: int, clause: int) -> _Token | None:
        """The token at ``index`` if it is in ``clause`` (else None)."""
        if 0 <= index < len(self.tokens) and self.tokens[index].clause == clause:
            return self.tokens[index]
        return None

    # -- objects ------------------------------------------------------------------------------

    def kind_of(self, index: int) -> str | None:
        """The object kind of the word at ``index`` as the head of its phrase, if it is one
        (read once: every phrase that could end at the word asks)."""
        if index not in self._kinds:
            self._kinds[index] = self.read_kind(index)
        return self._kinds[index]

    def read_kind(self, index: int) -> str | None:
        token = self.tokens[index]
        noun = token.noun
        if token.low in vocab.JOINING:
            return None  # "pay online or by phone": "or" heads nothing
        if noun in vocab.OBJECTS:
            kind = vocab.OBJECTS[noun]
            if noun in ("system", "platform", "software", "database"):
                before = self.at(index - 1, token.clause)
                if before is not None and before.noun in vocab.PHYSICAL:
                    return None
            return kind
        if noun.startswith("e-") and len(noun) > 4 and noun not in vocab.NOT_TECH:
            return vocab.APP  # "e-permitting", "e-signatures"
        if noun in vocab.QUALIFIED:
            qualifiers, kind = vocab.QUALIFIED[noun]
            after = self.at(index + 1, token.clause)
            then = self.at(index + 2, token.clause)
            if (
                noun in vocab.DEFINED_BY_USE
                and after is not None
                and after.low in ("that", "which", "to")
                and then is not None
                and then.low not in vocab.JOINING | vocab.FINITE
            ):
                return kind  # "a tool that auto-assigns work orders", "a tool to track leave"
            for back in (1, 2, 3):  # "an off-the-shelf case management product"
                before = self.at(index - back, token.clause)
                if before is None or before.low in vocab.JOINING:
                    break
                if vocab.FORMS.get(before.low, ("", ""))[1] in ("base", "s"):
                    break  # a verb: "the system sends renewal reminders"
                if {before.low, before.noun, before.low.rsplit("-", 1)[-1]} & qualifiers:
                    return kind  # "a mobile application", "a self-scheduling tool"
                if (
                    before.text in vocab.KNOWN_VENDORS
                    or before.low in vocab.TECH_MODIFIERS
                    or (before.low.startswith("e-") and before.low not in vocab.NOT_TECH)
                    or _tech_compound(before.low)
                ):
                    return kind  # "a SharePoint site", "an e-fax service"
                if before.noun in vocab.OBJECTS and (
                    vocab.OBJECTS[before.noun] != vocab.DEVICE or noun not in vocab.SENT
                ):  # "a GIS mapping tool", "a body-worn camera solution", not "radio messages"
                    return vocab.OBJECTS[before.noun]
        if noun not in vocab.ABSTRACT and noun.rstrip("s") not in vocab.ABSTRACT:
            for back in (1, 2, 3):
                before = self.at(index - back, token.clause)
                if before is None or before.low in vocab.JOINING:
                    break
                if vocab.FORMS.get(before.low, ("", ""))[1] in ("base", "s"):
                    break  # a verb: "smart meters send readings" is not "smart readings"
                if (
                    before.low in vocab.TECH_MODIFIERS
                    or _STYLED.fullmatch(before.text)
                    or (back == 1 and self.vendor_ends(index - 1) and self.nominal_after(index))
                    or _tech_compound(before.low)
                    or (before.low.startswith("e-") and before.low not in vocab.NOT_TECH)
                ):
                    return (
                        vocab.DEVICE
                        if before.low in ("wearable", "smart", "self-return")
                        else vocab.APP
                    )
        return None

    def nominal_after(self, index: int) -> bool:
        """The word after a product is a noun, not the clause's verb: "a SharePoint site",
        not "photos taken on iPads attach to the case" (a verb takes an object or "to")."""
        token = self.tokens[index]
        after = self.at(index + 1, token.clause)
        return after is None or after.soft_before or after.low not in vocab.VERB_OBJECTS

    def vendor_ends(self, index: int) -> bool:
        """A well-known vendor's name ends at ``index`` ("a Power BI report")."""
        token = self.tokens[index]
        before = self.at(index - 1, token.clause)
        pair = f"{before.text} {token.text}" if before is not None else ""
        return (
            token.text in vocab.KNOWN_VENDORS
            or pair in vocab.KNOWN_VENDORS
            or token.low in vocab.CASED_VENDORS
        )

    def is_head(self, index: int, loose: bool = False) -> bool:
        """An object word that ends its phrase: nothing but a joining word may follow.

        ``loose`` (a new solution in an outcome: "a dashboard shows", "a laptop connected
        to"): a present or past verb may follow too, since "a dashboard shows" cannot be
        one noun."""
        token = self.tokens[index]
        after = self.at(index + 1, token.clause)
        if after is None or after.soft_before:
            return True
        if token.text.endswith(("'s", "\u2019s")) and after.low not in vocab.JOINING:
            return False  # "the 311 app's reports": the app's reports are the head
        when = self.at(index + 2, token.clause)
        if after.low in ("every", "each") and when is not None and when.low in vocab.TIMES:
            return True  # "staff use tablets every day": a time, not more of the phrase
        # a reduced relative clause also ends it: "a website showing", "trackers installed"
        participle = after.low.endswith("ing") or vocab.FORMS.get(after.low, ("", ""))[1] == "past"
        head = self.at(index + 2, token.clause)
        if after.low.endswith("ing") and head is not None and self.kind_of(index + 2) is not None:
            return False  # "a GIS mapping tool": the phrase goes on
        if loose and after.low.endswith(("s", "ed")) and after.noun not in vocab.OBJECTS:
            return True
        if (
            self.field == "desired_outcome"
            and after.low in vocab.ACTING
            and after.noun not in vocab.QUALIFIED
        ):
            return True  # "smart meters send readings", not "text message alerts"
        if self.field == "desired_outcome" and self.is_live(index + 1, token.clause):
            return True  # "the system goes live in March"
        if self.field == "desired_outcome" and self.does(index + 1, token.clause):
            return True  # "AI transcribes every 911 call"
        if self.field == "desired_outcome" and after.low in vocab.LIVE | vocab.HEADLINE_STATES:
            return True  # "CRM live for all agents", "Dashboard available to the council"
        return after.low in vocab.FOLLOWERS or participle

    def product(
        self, index: int, clause: int, vendors_only: bool, commanded: bool = False
    ) -> int | None:
        """The last token index of a product name starting at ``index``, if one does.

        ``vendors_only``: only a well-known vendor, or, where the clause commands
        (``commanded``), a mixed-case name ("WhatsApp", "REDCap") that no agency is called."""
        token = self.at(index, clause)
        if (
            token is None
            or not (
                token.text[:1].isupper()
                or _MIXED_CASE.match(token.text)
                or token.low in vocab.CASED_VENDORS
            )
            or token.text in vocab.NOT_PRODUCT
        ):
            return None  # a name is capitalised, or mixed-case from its first letter: "ePlans"
        last = index
        while last - index < 3:
            nxt = self.at(last + 1, clause)
            joined = nxt is not None and self.text[self.tokens[last].end : nxt.start] == "/"
            if joined and nxt is not None and nxt.text[:1].isdigit():
                last += 1  # "AS/400"
                continue
            if nxt is None or nxt.soft_before or nxt.text in vocab.NAME_END:
                break
            if not (nxt.text[:1].isupper() or nxt.text[:1].isdigit()):
                break
            last += 1
        after = self.at(last + 1, clause)
        if after is not None and after.low in vocab.NOT_PRODUCT_AFTER:
            return None
        names = [re.sub(r"['\u2019]s$", "", t.text) for t in self.tokens[index : last + 1]]
        spans = (
            " ".join(names[a:b]) for a in range(len(names)) for b in range(a + 1, len(names) + 1)
        )
        known = (
            any(span in vocab.KNOWN_VENDORS for span in spans)
            or any(t.low in vocab.CASED_VENDORS for t in self.tokens[index : last + 1])
        ) or (
            (commanded or self.field == "desired_outcome")
            and any(_MIXED_CASE.match(name) and not _SURNAME.match(name) for name in names)
        )
        if vendors_only or self.title_case or token.sentence_start:
            distinctive = any(_DISTINCTIVE.search(name) for name in names)
            if not known and (vendors_only or not distinctive):
                return None
        if all(
            t.noun in vocab.OBJECTS or t.noun in vocab.QUALIFIED
            for t in self.tokens[index : last + 1]
        ):
            return None  # "CRM", "AI": an object word, not a product name
        return last

    def phrase_after(
        self,
        index: int,
        clause: int,
        vendors_only: bool,
        commanded: bool = False,
        nested: int = 0,
    ) -> _Object | None:
        """The solution noun phrase starting at ``index``: openers, up to four describing
        words and a solution head, or a product name.

        "something like" and "a version of" are looked through to the phrase after them
        (``nested`` times so far), at most _NESTED times: "the latest version of an instance
        of Salesforce" needs two, and a text of nothing but "copy of copy of ..." would
        otherwise go deeper than Python's stack. Each phrase is read once."""
        if nested > _NESTED:
            return None
        key = (index, clause, vendors_only, commanded, nested)
        if key not in self._phrases:
            self._phrases[key] = self.read_phrase(index, clause, vendors_only, commanded, nested)
        return self._phrases[key]

    def read_phrase(
        self, index: int, clause: int, vendors_only: bool, commanded: bool, nested: int
    ) -> _Object | None:
        opener: str | None = None
        k = index
        while k - index < 3:
            token = self.at(k, clause)
            if token is None or (k > index and token.soft_before):
                break
            if token.low not in vocab.OPENERS and not (
                token.low.isdigit() and not _YEAR.fullmatch(token.low)
            ):
                break
            if (
                token.low in vocab.NEW
                or token.low.isdigit()
                or (opener == "old" and token.low in ("new", "own"))
            ):
                opener = "new" if opener is None or token.low in ("new", "own") else opener
            elif opener is None:
                opener = "old"
            k += 1
        first = self.at(k, clause)
        if first is None or (k > index and first.soft_before):
            return None
        like = self.at(k + 1, clause)
        if (
            (first.low in ("something", "anything") or first.noun in vocab.KINDS_OF)
            and like is not None
            and like.low == "like"
        ):  # "options like DocuSign"
            model = self.phrase_after(k + 2, clause, False, True, nested + 1)
            if model is not None:  # "something like Uber", "something like the county's tracker"
                return _Object(model.kind, k, model.end, "new")
        for j in (k, k + 1):  # "the latest version of ArcGIS Pro", "an instance of Salesforce"
            word, of = self.at(j, clause), self.at(j + 1, clause)
            if (
                word is not None
                and word.noun in vocab.CONTAINERS
                and of is not None
                and of.low == "of"
            ):
                inner = self.phrase_after(j + 2, clause, vendors_only, commanded, nested + 1)
                before = self.at(j - 1, clause)
                techy = before is not None and (
                    before.low in vocab.TECH_MODIFIERS or _tech_compound(before.low)
                )
                if inner is None and techy and j > index:
                    return _Object(vocab.APP, k, j, opener)  # "a mobile-friendly version"
                return inner
        end = self.product(k, clause, vendors_only, commanded)
        if end is not None and not (
            self.field == "desired_outcome"
            and not commanded
            and (after := self.at(end + 1, clause)) is not None
            and after.noun in vocab.OBJECTS
        ):  # in an outcome, "a Power BI dashboard" is a new dashboard
            end = self.coordinated(end, clause, vendors_only, commanded)
            part = self.at(end + 1, clause)
            if part is not None and not part.soft_before and part.low in vocab.PRODUCT_PARTS:
                end += 1  # "Tableau licenses", "an Alexa skill", "a SharePoint site"
            return _Object(vocab.PRODUCT, k, end, opener)
        for j in range(k, k + 5):
            token = self.at(j, clause)
            if token is None or (j > k and token.soft_before):
                return None
            kind = self.kind_of(j)
            loose = opener == "new" and self.field == "desired_outcome"
            if kind is not None and self.is_head(j, loose):
                return _Object(kind, k, j, opener)
            if (
                kind is None
                and j > k
                and self.vendor_ends(j)
                and self.is_head(j)
                and not (j + 1 < len(self.tokens) and self.joins_names(j + 1, clause))
            ):  # "one shared Smartsheet", not "a native iOS and Android app"
                return _Object(vocab.PRODUCT, k, j, opener)
            undertaking = self.at(j + 1, clause)
            if (
                kind is not None
                and undertaking is not None
                and undertaking.low in vocab.UNDERTAKINGS
            ):
                return _Object(kind, k, j + 1, opener)  # "a drone program"
            if (
                kind is not None
                and undertaking is not None
                and undertaking.low in vocab.SOLD
                and self.is_head(j + 1)
            ):
                return _Object(kind, k, j + 1, opener)  # "a redaction software license"
            if kind is None and token.low in vocab.JOINING and not self.joins_names(j, clause):
                return None
        return None

    def joins_names(self, index: int, clause: int) -> bool:
        """ "and" or "or" between two product names: "a native iOS and Android app"."""
        before, after = self.at(index - 1, clause), self.at(index + 1, clause)
        return (
            self.tokens[index].low in ("and", "or", "&")
            and before is not None
            and after is not None
            and self.vendor_ends(index - 1)
            and after.text in vocab.KNOWN_VENDORS
        )

    def coordinated(self, end: int, clause: int, vendors_only: bool, commanded: bool) -> int:
        """The end of two product names joined by "and" or "or" ("iOS and Android")."""
        joining = self.at(end + 1, clause)
        if joining is not None and joining.low in ("and", "or", "&"):
            second = self.product(end + 2, clause, vendors_only, commanded)
            verb = self.at(second + 1, clause) if second is not None else None
            if second is not None and (verb is None or verb.low not in vocab.FINITE):
                return second  # not "runs in Workday and PeopleSoft is switched off"
        return end

    def subject_before(self, index: int, clause: int) -> _Object | None:
        """What is to be automated, in the passive: the words before "should be"."""
        j = index - 1
        while (token := self.at(j, clause)) is not None and (
            token.low in vocab.MODALS
            or token.low in ("be", "get", "needs", "need", "has", "have", "is", "are", "been")
        ):
            j -= 1
        end = j
        if (token := self.at(j, clause)) is not None and token.low not in vocab.JOINING:
            j = self.after_joining[end] - 1  # back to a joining word or the clause's start
        if end <= j or self.tokens[end].low[:1].isdigit():
            return None  # nothing, or a number ("files from 1980 to 2010 should be scanned")
        return _Object(vocab.SYSTEM, j + 1, end, None)

    def phrase_before(self, index: int, clause: int) -> _Object | None:
        """The nearest solution noun phrase ending before ``index`` (up to 8 words back)."""
        for j in range(index - 1, max(index - 9, -1), -1):
            token = self.at(j, clause)
            if token is None:
                return None
            kind = self.kind_of(j)
            if kind is None or not self.is_head(j):
                if token.text in vocab.KNOWN_VENDORS:
                    return _Object(vocab.PRODUCT, j, j, None)
                continue
            start = j
            while start - 1 >= 0 and start - j > -5:
                before = self.at(start - 1, clause)
                if before is None or self.tokens[start].soft_before:
                    break
                if before.low in vocab.JOINING and before.low not in vocab.OPENERS:
                    break
                start -= 1
            opener = next(
                (
                    "old" if t.low in vocab.OLD else "new"
                    for t in self.tokens[start:j]
                    if t.low in vocab.OPENERS
                ),
                None,
            )
            return _Object(kind, start, j, opener)
        return None

    # -- verbs --------------------------------------------------------------------------------

    def verb_at(self, index: int) -> tuple[str, str, int] | None:
        """(lemma, form, last token index) when a solution verb starts at ``index``."""
        token = self.tokens[index]
        clause = token.clause
        low = token.low
        nxt = self.at(index + 1, clause)
        if low in ("would", "we'd", "i'd", "they'd", "it'd"):
            if nxt is not None and nxt.low in ("like", "love", "help"):
                return "would like", "base", index + 1
            return None
        opening = self.at(index - 1, clause) is None
        if opening and nxt is not None and low in ("how", "what") and nxt.low == "about":
            return "need", "there", index + 1  # "How about a texting service?"
        if nxt is not None and low in vocab.ASKING:  # "what we need is", "the answer would be"
            if nxt.low in ("here", "really", "simply", "clearly") and index > 0:
                be = self.at(index + 2, clause)  # "the answer here is"
                if be is not None and be.low == "is":
                    return "need", "there", index + 2
            if nxt.low == "is":
                after = self.at(index + 2, clause)  # "our ask is for a texting service"
                return "need", "there", index + 2 if after and after.low == "for" else index + 1
            if nxt.low in vocab.SUBJECTS and index > 0:  # "the fix we have in mind is"
                for j in range(index + 2, index + 7):
                    be = self.at(j, clause)
                    if be is None or be.low in vocab.NEGATIONS:
                        break
                    if be.low == "is":
                        return "need", "there", j
            be = self.at(index + 2, clause)
            if nxt.low in ("would", "will") and be is not None and be.low == "be":
                return "need", "there", index + 2
        if low == "there":
            modal = self.at(index + 1, clause)
            if modal is not None and modal.low in ("should", "must", "needs", "has", "could"):
                k = index + 2
                if modal.low in ("needs", "has"):
                    to = self.at(k, clause)
                    if to is None or to.low != "to":
                        return None
                    k += 1
                be = self.at(k, clause)
                if be is not None and be.low == "be":
                    return "need", "there", k
            return None
        found = vocab.FORMS.get(low)
        if found is None:
            return None
        head, form = found
        asked, then = self.at(index + 1, clause), self.at(index + 2, clause)
        if (
            head == "ask"
            and asked is not None
            and (asked.text.isupper() or asked.low in ("you", "them", "us"))
            and then is not None
            and then.low == "for"
        ):
            return "ask for", form, index + 2  # "we are asking DTI for an automated workflow"
        for verb, words in _PHRASAL.get(head, ()):
            rest = [self.at(index + n, clause) for n in range(1, len(words))]
            if all(t is not None and t.low == w for t, w in zip(rest, words[1:], strict=True)):
                return verb, form, index + len(words) - 1
        if head in vocab.VERBS:
            return head, form, index
        return None

    def reported(self, index: int, clause: int) -> bool:
        """ "we were told to", "the law requires us to" before a verb: a solution someone else
        named or a mandate, reported ("Finance asked us to license Workday" still asks)."""
        token = self.at(index, clause)
        if token is not None and token.low in ("us", "me"):  # "the state requires us to"
            mandate = self.at(index - 1, clause)
            return mandate is not None and mandate.low in vocab.MANDATING
        return token is not None and token.low in vocab.REPORTED

    def negated(self, index: int, clause: int) -> bool:
        for j in range(index - 1, index - 4, -1):
            token = self.at(j, clause)
            if token is None:
                return False
            if self.why_not(j, clause):
                return False  # "why not use Teams?" asks
            if token.low in vocab.NEGATIONS or token.low.endswith("n't"):
                return True
        return False

    def commanded(self, index: int, clause: int) -> bool:
        """The verb at ``index`` is a command or follows a modal: "Use AI", "we should use",
        "please add", "could we add", "can 311 get" (a question), but not "staff have to use"
        (what they must do today) nor "staff can use" (what they can)."""
        before = self.at(index - 1, clause)
        if before is None or before.low in ("please", "pls", "plz", "let's", "lets"):
            return True
        if self.why_not(index - 1, clause):
            return True  # "why not use Teams?"
        if before.low == "to":  # not "To apply, residents ..." (a purpose) nor "have to use"
            obliged = self.at(index - 2, clause)
            return obliged is not None and obliged.low not in vocab.OBLIGED
        if before.low in vocab.MODALS - {"can", "may"}:
            return True
        for back in (2, 3):  # a question: the modal opens the clause, then its subject
            modal = self.at(index - back, clause)
            if modal is None or self.at(index - back - 1, clause) is not None:
                continue
            subject = self.tokens[index - back + 1 : index]
            if modal.low in vocab.MODALS - {"to"} and not any(
                t.low in vocab.JOINING and t.low not in vocab.SUBJECTS for t in subject
            ):
                return True
        return False

    def why_not(self, index: int, clause: int) -> bool:
        """ "why not" ending at ``index``: a suggestion, not a negation."""
        token, why = self.at(index, clause), self.at(index - 1, clause)
        return token is not None and token.low == "not" and why is not None and why.low == "why"

    def wishful(self, index: int, clause: int) -> bool:
        """A wish or a question about what is possible before ``index`` in its clause ("it
        would be great to have", "is it possible to have", "if only we had"): what follows is
        wanted."""
        for j in range(index - 1, index - 9, -1):
            token = self.at(j, clause)
            if token is None or token.low in vocab.NEGATIONS:
                return False
            if token.low in vocab.WISHFUL:
                return True
        return False

    def prescriptive_participle(self, index: int, clause: int, lemma: str) -> bool:
        """A past participle after "be" and a modal ("should be built", "needs to be
        replaced", "should be scanned and loaded"), or wanting in the passive ("an app is
        needed")."""
        before = self.at(index - 1, clause)
        if before is None:
            return False
        if vocab.VERBS[lemma] == vocab.WANT and before.low in ("is", "are"):
            return True
        if before.low in ("and", "or"):  # the second of two: "scanned and loaded"
            first = self.at(index - 2, clause)
            found = vocab.FORMS.get(first.low) if first is not None else None
            return found is not None and found[1] == "past" and self.after_modal_be(index - 2)
        return self.after_modal_be(index)

    def wanted_done(self, index: int, clause: int) -> bool:
        """A solution verb's participle after what a wanting verb wants done to it: "we want
        the site rebuilt in React", "we need the intake forms digitized", "we'd like the
        records moved to the cloud" (not "we need staff to ...": an infinitive says it)."""
        end = self.at(index - 1, clause)
        if end is None or (end.low in vocab.JOINING and end.low not in vocab.OLD):
            return False  # a noun phrase comes between: "the site", "them"
        after = [self.at(j, clause) for j in range(index + 1, index + 4)]
        if any(
            t is not None and (t.low in vocab.BEFORE_NOW or _YEAR.fullmatch(t.low)) for t in after
        ):
            return False  # "the files scanned last year": what was done
        if self.last_to_be[clause] > index:
            return False  # "want the permits reviewed in Accela to be correct": a quality
        for j in range(index - 2, index - 10, -1):
            token = self.at(j, clause)
            if token is None or token.low == "to":
                return False
            if token.low in ("have", "get") and self.commanded(j, clause):
                return True  # "Have the court calendar moved onto Legistar"
            if token.low in vocab.WANTING:
                subject = self.at(j - 1, clause)
                if subject is not None and subject.low in vocab.OPENERS - {"us", "them"}:
                    return False  # "the need", "our needs": a noun
                return not self.negated(j, clause)
            if token.low in vocab.JOINING and token.low not in vocab.OPENERS | {
                *("all", "each", "every", "of")
            }:
                return False  # "we need to know when files are scanned"
            if self.past(j) or token.low in vocab.FINITE:
                return False  # another verb comes between
        return False

    def outcome_participle(self, index: int, clause: int, cls: str) -> bool:
        """In an outcome, a solution verb in the passive states the solution in place: "body
        cameras are deployed to all officers", "the permitting system is integrated with the
        state API", "paper timesheets replaced by a mobile app" (not "was": what happened)."""
        if self.field != "desired_outcome" or cls == vocab.WANT or self.current(clause):
            return False
        j = index - 1
        while (before := self.at(j, clause)) is not None and before.low in vocab.ADVERBS:
            j -= 1  # "Tyler EnerGov is fully implemented"
        if before is not None and before.low in ("is", "are"):
            return True
        if before is not None and before.low == "been":
            have = self.at(index - 2, clause)
            return have is not None and have.low in ("has", "have")
        if before is not None and before.low == "and":  # "is turned on and integrated"
            for j in range(index - 2, index - 5, -1):
                first = self.at(j, clause)
                if first is not None and vocab.FORMS.get(first.low, ("", ""))[1] == "past":
                    return self.outcome_participle(j, clause, cls)
        nxt = self.at(index + 1, clause)
        if (
            cls == vocab.AUTOMATE
            and clause not in self.sentence_clauses
            and before is not None
            and before.low not in vocab.JOINING
        ):
            return True  # a headline: "leave requests automated in Workday"
        if (
            cls in (vocab.MIGRATE, vocab.PLACE)
            and not self.happened(clause)
            and clause not in self.by_hand_clauses
            and before is not None
            and before.low not in vocab.JOINING
        ):
            return True  # "the department moved all shared drives to SharePoint Online"
        return cls in (vocab.REPLACE, vocab.MIGRATE) and nxt is not None and nxt.low in ("by", "to")

    def headline(self, index: int, last: int, clause: int, cls: str) -> _Object | None:
        """A title or an outcome in headline form, the solution and its participle with no
        "is" or "are": "Salesforce rolled out to all 311 agents", "Tableau licenses purchased
        for all analysts", "Body cameras issued to every officer" (not "Cameras installed in
        2019 keep failing": a finite verb or a year makes it a sentence about the past)."""
        if self.field == "problem_statement" or self.current(clause):
            return None  # a title may want: "New CRM needed", "Tablets wanted for rangers"
        if clause in self.sentence_clauses:
            return None  # "Laptops issued without the right software", "... weeks late"
        end = index - 1
        while (adverb := self.at(end, clause)) is not None and adverb.low in vocab.ADVERBS:
            end -= 1  # "Tablets fully deployed to all crews"
        index = end + 1
        before = self.at(end, clause)
        if before is None:
            return None
        if before.low in vocab.PRODUCT_PARTS and self.at(end - 1, clause) is not None:
            end -= 1  # "Tableau licenses purchased"
        if self.vendor_ends(end):
            kind = vocab.PRODUCT
        elif (found := self.kind_of(end)) is not None and end == index - 1:
            kind = found
        else:
            return None
        start = self.headline_start[end]
        if self.old_before[end] > self.old_before[start]:
            return None  # "our tablets issued in ...": what exists
        return _Object(kind, start, index - 1, "new")

    def after_modal_be(self, index: int) -> bool:
        """ "should be" or "needs to get" just before the word at ``index``, or "be" after
        an ask ("Fire requests that Field Maps be rolled out"; not a mandate: "the state
        requires that records be kept")."""
        clause = self.tokens[index].clause
        before = self.at(index - 1, clause)
        if before is None or before.low not in ("be", "get"):
            return False
        modal = self.at(index - 2, clause)
        if modal is not None and (modal.low in vocab.MODALS or modal.low.endswith("'ll")):
            return True
        for j in range(index - 2, index - 9, -1):
            that = self.at(j, clause)
            if that is None:
                return False
            asking = self.at(j - 1, clause)
            if that.low == "that" and asking is not None:
                lemma = vocab.FORMS.get(asking.low, ("", ""))[0]
                return (
                    vocab.VERBS.get(lemma) == vocab.WANT or lemma in vocab.ASKS
                ) and asking.low not in vocab.MANDATING
        return False

    def matches(self) -> list[_Match]:
        found: list[_Match] = []
        for index in range(len(self.tokens)):
            match = (
                self.match_verb(index)
                or self.match_nominal(index)
                or self.match_means(index)
                or self.match_noun_as_verb(index)
                or self.match_would_help(index)
                or self.match_product_question(index)
                or self.match_wanted_again(index)
            )
            if match is not None and not self.dismissed(match.last):
                found.append(match)
        return found

    def dismissed(self, index: int) -> bool:
        """A solution set aside later in its sentence: "a tablet for every crew would be
        nice, but the real issue is ...", "residents ask for an app, but what they need
        is ..."."""
        return self.next_dismissal[index + 1] < self.next_sentence[index + 1]

    @cached_property
    def next_dismissal(self) -> list[int]:
        """For each index, the first "but" at or after it that sets a solution aside ("but
        the real issue is", "but what they need"), ``len(tokens)`` if none."""
        found = [len(self.tokens)] * (len(self.tokens) + 1)
        for j in range(len(self.tokens) - 1, -1, -1):
            after = [t.low for t in self.tokens[j + 1 : j + 4]]
            dismissing = self.tokens[j].low == "but" and (
                bool(set(after) & vocab.DISMISSING) or after[:1] == ["what"]
            )
            found[j] = j if dismissing else found[j + 1]
        return found

    @cached_property
    def next_sentence(self) -> list[int]:
        """For each index, the first token at or after it that starts a sentence."""
        found = [len(self.tokens)] * (len(self.tokens) + 1)
        for j in range(len(self.tokens) - 1, -1, -1):
            found[j] = j if self.tokens[j].sentence_start else found[j + 1]
        return found

    def match_noun_as_verb(self, index: int) -> _Match | None:
        """A solution used as a verb in a command or after a modal: "can we dashboard the
        overtime data", "let's Smartsheet the grants process"."""
        token = self.tokens[index]
        nxt = self.at(index + 1, token.clause)
        if (
            nxt is None
            or nxt.low not in vocab.DETERMINERS
            or not self.commanded(index, token.clause)
        ):
            return None
        if token.text in vocab.KNOWN_VENDORS:
            kind = vocab.PRODUCT
        elif token.low == token.noun and vocab.OBJECTS.get(token.low) in (
            vocab.APP,
            vocab.DASHBOARD,
        ):
            kind = vocab.OBJECTS[token.low]
        else:
            return None
        obj = _Object(kind, index, index, "new")
        return self.build(vocab.IMPLEMENT, index, index, (index, index), "use", obj)

    def match_wanted_again(self, index: int) -> _Match | None:
        """A solution named, then wanted by a pronoun: "a vendor demoed a drone program and we
        want it", "other cities use SeeClickFix and we should too", "we need DTI to set them
        up" (not "the old system crashes and we want it fixed": a state wanted of what is)."""
        if self.field == "desired_outcome":
            return None
        token = self.tokens[index]
        clause = token.clause
        nxt, after = self.at(index + 1, clause), self.at(index + 2, clause)
        verb = self.verb_at(index)
        wanting = verb is not None and vocab.VERBS[verb[0]] == vocab.WANT and verb[1] != "past"
        if wanting and verb is not None:
            nxt, after = self.at(verb[2] + 1, clause), self.at(verb[2] + 2, clause)
        if wanting and nxt is not None and nxt.low in vocab.PRONOUNS:
            if after is not None and after.low not in vocab.AGAIN_AFTER:
                return None  # "we want it fixed", "we want it to work offline"
            j = index - 1
            while (subject := self.at(j, clause)) is not None and subject.low in (
                vocab.ADVERBS | vocab.MODALS | {"do", "also"}
            ):
                j -= 1
            if subject is None or subject.low not in vocab.SUBJECTS:
                return None  # "the reminders go with them"
        elif token.low in vocab.MODALS - {"to"} and nxt is not None and nxt.low == "too":
            subject = self.at(index - 1, clause)  # "and we should too"
            if subject is None or subject.low not in vocab.SUBJECTS:
                return None
        elif (
            verb is not None
            and vocab.VERBS[verb[0]] in (vocab.BUILD, vocab.IMPLEMENT, vocab.PLACE)
            and verb[1] == "base"
            and self.commanded(index, clause)
            and nxt is not None
            and nxt.low in vocab.PRONOUNS
            and (after is None or after.low in ("up", "here", "in", "out", "on"))
        ):
            pass  # "we need DTI to set them up", "want to bring it here"
        else:
            return None
        if self.negated(index, clause):
            return None
        start = max(0, index - 30)  # the solution is near: in this sentence or the one before
        for j in range(index - 1, start - 1, -1):
            word = self.tokens[j]
            if word.clause == clause and j >= index - 1:
                continue
            obj = self.phrase_after(j, word.clause, vendors_only=True)
            if obj is None or obj.start != j or obj.opener == "old":
                continue
            inside = self.tokens[j : obj.end + 1]
            if any(t.low in vocab.OLD | vocab.TODAY for t in inside[1:]):
                continue  # "an old Access database"
            if obj.opener is None and obj.kind != vocab.PRODUCT and j > 0:
                before = self.tokens[j - 1]
                opens = before.low in vocab.JOINING - vocab.OLD or before.low in vocab.FORMS
                if before.clause == word.clause and not opens:
                    continue  # "our tablets", "an old Access database"
            if self.negated(j, word.clause) or self.current(word.clause):
                continue
            lemma = verb[0] if verb is not None and " " not in verb[0] else "want"
            return replace(
                self.build(vocab.WANT, j, index + 1, (index, index), lemma, obj), shape="again"
            )
        return None

    def match_would_help(self, index: int) -> _Match | None:
        """A new solution as the subject of what it would do: "a GIS-based tool would let
        planners see zoning changes", "an app could save residents the trip", "tablets would
        solve this", "a texting service is the answer", or asked about: "would a chatbot
        work here?"."""
        token = self.tokens[index]
        bare = (token.sentence_start or self.believed(index)) and token.low not in vocab.OPENERS
        opening = self.clause_start[token.clause]
        asked = (
            index - opening == 1
            and self.tokens[opening].low in ("would", "could", "can", "might", "will", "should")
            and self.question
        )
        bare = bare or (asked and token.low not in vocab.OPENERS)  # "would tablets work?"
        if token.low not in vocab.NEW_SOLUTION and not bare:
            return None
        if index > opening and self.tokens[index - 1].low in vocab.OLD:
            return None  # "the new system would": one that exists
        if self.first_past_or_reported[token.clause] < index:
            return None  # "we were told a new CRM would fix it", "we hoped a new app would"
        obj = self.phrase_after(index, token.clause, vendors_only=True)
        if obj is None and asked:  # "would a chatbot work here?": its verb follows
            obj = self.asked_about(index + 1, token.clause)
        if obj is None or obj.opener != ("new" if not bare else None):
            return None
        if bare and obj.start != index:
            return None
        if asked:  # "would a chatbot work here?", "could Power BI do this?"
            return self.build(vocab.BUILD, index, obj.end, None, "", obj)
        for j in range(obj.end + 1, obj.end + 7):  # past what it is for: "on the website"
            modal = self.at(j, token.clause)
            answer = [self.at(j + n, token.clause) for n in (1, 2)]
            if (
                modal is not None
                and modal.low == "is"
                and answer[0] is not None
                and (
                    answer[0].low == "what"  # "a mobile app ... is what we're after"
                    or (
                        answer[0].low in ("the", "our", "my")
                        and answer[1] is not None
                        and answer[1].low in vocab.ASKING
                    )
                )
            ):
                return self.build(vocab.BUILD, index, obj.end, None, "", obj)  # "is the answer"
            if modal is None or modal.low in vocab.FINITE:
                return None
            if modal.low in ("would", "could"):
                break
        else:
            return None
        if self.negated(j + 2, token.clause):
            return None  # "a new website would not solve this"
        helping = self.at(j + 1, token.clause)
        if (
            bare
            and (helping is None or helping.low not in vocab.HELPING)
            and not (self.believed(index) and self.tokens[obj.start].text[:1].isupper())
        ):  # "tablets would solve this", not "laptops would take months"; a product proposed
            return None  # after "we think" whatever it would do: "ChatGPT could draft"
        return self.build(vocab.BUILD, index, obj.end, None, "", obj)

    def believed(self, index: int) -> bool:
        """A sentence's subject, a verb of belief and maybe "that" just before ``index``:
        "we think tablets would solve this", "I believe that Power BI is the answer"."""
        clause = self.tokens[index].clause
        that = self.at(index - 1, clause)
        back = 1 if that is not None and that.low == "that" else 0
        verb, subject = self.at(index - 1 - back, clause), self.at(index - 2 - back, clause)
        return (
            verb is not None
            and verb.low in vocab.BELIEVING
            and subject is not None
            and subject.low in vocab.SUBJECTS
            and subject.sentence_start
        )

    def match_product_question(self, index: int) -> _Match | None:
        """A question whether a product is the answer: "Is Power BI an option for us?"."""
        token = self.tokens[index]
        if not token.sentence_start or token.low not in ("is", "are", "would", "could"):
            return None
        if not self.question or token.clause not in self.asking_clauses:
            return None
        end = self.product(index + 1, token.clause, vendors_only=True)
        if end is None:
            return None
        obj = _Object(vocab.PRODUCT, index + 1, end, "new")
        return self.build(vocab.IMPLEMENT, index, end, None, "", obj)

    def asked_about(self, index: int, clause: int) -> _Object | None:
        """The solution a question asks about, up to its verb: "would a chatbot work"."""
        for j in range(index, index + 4):
            token, after = self.at(j, clause), self.at(j + 1, clause)
            if token is None or token.low in vocab.JOINING:
                return None
            kind = self.kind_of(j)
            if kind is not None and (after is None or after.noun not in vocab.OBJECTS):
                return _Object(kind, index, j, "new")
        return None

    def match_verb(self, index: int) -> _Match | None:
        verb = self.verb_at(index)
        if verb is None:
            return None
        lemma, form, last = verb
        token = self.tokens[index]
        clause = token.clause
        cls = vocab.VERBS[lemma]
        before = self.at(index - 1, clause)
        if self.negated(index, clause):
            return None
        if before is not None and before.low == "to" and self.reported(index - 2, clause):
            return None  # "we were told to buy a CRM": someone else's solution, reported
        commanded = form == "base" and self.commanded(index, clause)
        outcome = self.field == "desired_outcome"
        if form == "past" and outcome and before is not None and before.low in ("has", "have"):
            form, commanded = "base", True  # an outcome: "The department has moved to the cloud"
        if (
            form == "past"
            and not outcome
            and cls in (vocab.WANT, vocab.BUY)
            and before is not None
            and (before.low in ("has", "have") or before.low.endswith("'ve"))
        ):
            form = "base"  # an ask that goes on: "staff have requested tablets", "we've
            # budgeted $200,000 for a new permitting system"
        if (
            lemma == "have"
            and form == "past"
            and before is not None
            and before.low in vocab.SUBJECTS
            and self.wishful(index - 1, clause)
        ):
            form, commanded = "base", True  # "it would be great if we had a portal"
        if form == "past" and (headline := self.headline(index, last, clause, cls)) is not None:
            return self.build(cls, headline.start, last, (index, last), lemma, headline)
        if form == "past":
            wanted = self.wanted_done(index, clause)
            in_place = self.outcome_participle(index, clause, cls)
            if not (self.prescriptive_participle(index, clause, lemma) or in_place or wanted):
                return None
            obj = None
            if cls == vocab.PLACE:  # "should be loaded into a document management system"
                obj = self.destination(last + 1, clause, vocab.PLACES, commanded=True)
            elif cls == vocab.MIGRATE and (in_place or wanted) and self.moved_off(last, clause):
                obj = self.moved_off(last, clause)  # "we are fully migrated off the AS/400"
            elif cls in (vocab.REPLACE, vocab.MIGRATE) and (in_place or wanted):
                # "logs replaced by digital forms", "we want the site rebuilt in React"; not
                # "sensors that fail are replaced"
                obj = self.destination(
                    last + 1, clause, vocab.REPLACED_BY if cls == vocab.REPLACE else vocab.MOVED_TO
                ) or self.platform(last + 1, clause)  # "redesigned on Drupal"
                if obj is None and cls == vocab.REPLACE:
                    obj = self.rebuilt_in(last + 1, clause)  # "rewritten in a new language"
                if obj is None and cls == vocab.REPLACE and lemma != "replace":
                    obj = self.phrase_before(index, clause)  # "the payroll app is rebuilt"
            else:
                obj = self.phrase_before(index, clause)
            if obj is None and wanted and cls == vocab.BUILD:
                obj = self.phrase_after(last + 1, clause, vendors_only=True)  # "we'd like every
                # firefighter issued an iPad"
            if obj is None and cls == vocab.AUTOMATE:
                obj = self.subject_before(index, clause)
            if obj is None or not self.fits(cls, lemma, obj, passive=True):
                return None
            return self.build(cls, min(obj.start, index), last, (index, last), lemma, obj)
        in_place = (  # an outcome's habit is the solution in place: "clerks scan every document"
            outcome
            and form in ("base", "s")
            and before is not None
            and before.low not in vocab.JOINING
            and not self.current(clause)
        )
        if in_place and cls == vocab.PLACE and not commanded:
            j = last + 1
            while (word := self.at(j, clause)) is not None and word.low.endswith("ly"):
                j += 1
            if word is None or word.low in vocab.PLACES:
                return None  # "the website loads quickly on phones": nothing is placed
        giving = lemma in vocab.GIVING and form == "ing" and token.sentence_start
        giving = giving or (  # a title that names the act: "Putting the permit process online"
            self.field == "title"
            and form == "ing"
            and index == 0
            and not any(t.low in vocab.FINITE for t in self.tokens)
        )
        if lemma in vocab.COMMAND_ONLY and not (commanded or in_place or giving):
            return None
        if form == "s" and token.sentence_start:
            return None  # "Requests for laptops reach the desk late": a noun, not a command
        if lemma == "have" and not (
            (before is not None and before.low in vocab.HAVING)
            or (form == "base" and commanded and self.wishful(index, clause))
        ):
            return None  # "we should have a portal", "it would help to have one"; "have DTI
            # build it" is about "build"
        if (
            form in ("base", "s")
            and before is not None
            and before.low in vocab.OPENERS - {"us", "it"}
        ):
            return None  # "the build", "our purchase": a noun (see match_nominal)
        if form == "ing" and not token.sentence_start:
            nxt = self.at(last + 1, clause)
            prev_ok = (
                before is None
                or before.low in vocab.MODALS | vocab.ING_AFTER
                or (before.low == "by" and outcome)  # "saves $50,000 by switching to Zoom"
            )
            if nxt is None or (nxt.low not in vocab.OPENERS and not prev_ok):
                return None
        head = lemma.split()[0]
        if head == "go" and lemma.split()[-1] not in vocab.MEANS:  # "go digital", "go paperless"
            obj = _Object(vocab.SYSTEM, last, last, "new")
            return self.build(cls, index, last, (index, last - 1), lemma, obj)
        nxt = self.at(last + 1, clause)
        if nxt is None or nxt.soft_before:
            return None
        if cls == vocab.WANT:
            if form == "base" and before is not None and before.low == "a":
                return None
            asker = before is not None and (
                before.text[:1].isupper()
                or before.low in vocab.SUBJECTS | {"is", "are", "am", "has", "have", "'ve"}
            )  # "Sanitation requests GPS trackers", "we are requesting Smartsheet licenses"
            opens = token.sentence_start and (
                form == "ing" or self.product(last + 1, clause, vendors_only=True) is not None
            )  # "Requesting tablets for inspectors", "Request Salesforce licenses"
            if (
                lemma == "request"
                and nxt.low not in vocab.NEW
                and not nxt.low.isdigit()
                and not asker
                and not opens
            ):
                return None  # "a records request system"; "we request a new portal" asks
            k, obj = last + 1, None
            while form == "there" and nxt.low in vocab.ADVERBS and self.at(k + 1, clause):
                k += 1  # "the best option is probably a kiosk"
                nxt = self.tokens[k]
            if nxt.low == "to" and (second := self.at(k + 1, clause)) is not None:
                if (end := self.product(k + 1, clause, vendors_only=True)) is not None:
                    obj = _Object(vocab.PRODUCT, k + 1, end, "new")  # "would like to DocuSign it"
                elif second.low not in ("have", "get") and not (
                    second.low == "see" and lemma == "would like"
                ):
                    return None  # "need to buy ...": the inner verb speaks for itself; "we'd
                    # like to see a texting service" wants it
                k += 2
            obj = obj or self.phrase_after(k, clause, vendors_only=True, commanded=commanded)
            same = self.at(k + 1, clause)
            if obj is None and nxt.low == "the" and same is not None and same.low == "same":
                found = self.phrase_after(k + 2, clause, vendors_only=True)  # "the same system
                obj = found and _Object(found.kind, k, found.end, "new")  # Parks uses"
            if obj is None and nxt.low == "is" and index > 0 and self.tokens[0].low == "what":
                obj = self.phrase_after(k + 1, clause, vendors_only=True)  # "what we're
                # asking for is a shared database"
            if obj is None and nxt.low != "to":
                obj = self.to_have(k, clause)
            j = index - 1
            while (subject := self.at(j, clause)) is not None and subject.low in vocab.ADVERBS:
                j -= 1
            if (
                obj is not None
                and obj.kind == vocab.DEVICE
                and subject
                and subject.low in vocab.PUBLIC
            ):
                return None  # "residents need a smartphone to apply": a barrier, not a device
        elif head in vocab.DESTINATION or (lemma == "upgrade" and nxt.low == "to"):
            obj = None
        else:
            strict = cls in (vocab.BUILD, vocab.PLACE)
            obj = self.phrase_after(last + 1, clause, vendors_only=strict, commanded=commanded)
            gerund = form == "ing" and token.sentence_start  # "Giving each of them a tablet"
            if (
                (obj is None or obj.opener == "old")
                and head in vocab.GIVING
                and (commanded or gerund)
            ):
                obj = self.after_recipient(last + 1, clause) or obj
            # the solution as the means or the place: "Implement single sign-on with Okta",
            # "get all inspectors onto iPads", "make the forms available online" (but not
            # "make sure residents can apply online")
            means = cls in (vocab.IMPLEMENT, vocab.BUILD, vocab.BUY) and nxt.low != "sure"
            if obj is None and commanded and means:
                obj = self.destination(last + 1, clause, _COMMAND_MEANS, commanded=True)
            if obj is None and commanded and cls == vocab.BUILD and nxt.low != "sure":
                obj = self.platform(last + 1, clause)
        target = None
        if cls == vocab.MIGRATE and (left := self.moved_off(last, clause)) is not None:
            obj = left  # "move our case tracking off Excel"
        if cls in (vocab.MIGRATE, vocab.REPLACE) and lemma not in vocab.RETIRING:
            target = self.destination(
                last + 1,
                clause,
                vocab.WITH if cls == vocab.REPLACE else vocab.MOVED_TO,
                commanded=True,
                names=True,
            )
            obj = target or obj
        elif cls == vocab.PLACE:
            target = self.destination(last + 1, clause, vocab.PLACES, commanded=True)
            obj = target or obj
        elif head == "equip":  # "equip inspectors with body cameras"
            obj = self.destination(last + 1, clause, vocab.WITH, commanded=True)
        if head in vocab.AMBIGUOUS and form != "ing" and cls != vocab.WANT and target is None:
            follows = (
                nxt.low in vocab.OPENERS
                or (nxt.low.isdigit() and not _YEAR.fullmatch(nxt.low))  # "order 40 headsets"
                or self.kind_of(last + 1) is not None
            )
            # A command or a modal makes it a verb ("Purchase self-service kiosks"), unless
            # the next word usually makes a compound noun ("purchase order system").
            commanding = before is None or before.low in vocab.MODALS | vocab.SUBJECTS | {"please"}
            if not (follows or self.product(last + 1, clause, False) is not None) and not (
                commanding and nxt.noun not in vocab.COMPOUNDS
            ):
                return None
        if cls == vocab.BUY and obj is None:  # "we've budgeted $200,000 for a new system"
            for j in range(last + 1, last + 6):
                word = self.at(j, clause)
                if word is None:
                    break
                if word.low == "for" and j > last + 1:
                    obj = self.phrase_after(j + 1, clause, vendors_only=True)
                    break
                if not (word.low[:1].isdigit() or word.low in vocab.AMOUNTS | vocab.MONEY):
                    break
        if cls == vocab.AUTOMATE and obj is None:
            obj = self.any_phrase(last + 1, clause)
            paper = obj is not None and self.tokens[obj.end].noun in vocab.PAPER
            into = self.destination(last + 1, clause, frozenset({"into", "onto"}), True, True)
            if (
                head in vocab.PAPER_ONLY
                and not paper
                and into is not None
                and (into.kind == vocab.PRODUCT or into.opener == "new")
            ):
                obj = into  # "scan them all into Laserfiche"
            elif obj is not None and head in vocab.PAPER_ONLY and not paper:
                return None  # "scan old case files", not "scan a dog"
        several = (
            obj is not None and obj.start > 0 and self.tokens[obj.start - 1].low in vocab.SEVERAL
        )
        if in_place and not commanded and several:
            return None  # "staff use two systems instead of five": fewer, not a new one
        if (
            obj is not None
            and obj.opener == "old"
            and head in vocab.CONNECTING
            and (other := self.destination(obj.end + 1, clause, vocab.LINKED, names=True))
        ):
            obj = other  # "integrate the case system with the DMV API": the link is new
        if obj is None or not self.fits(cls, lemma, obj, passive=False, commanded=commanded):
            return None
        first = index
        if cls == vocab.WANT:
            while (prev := self.at(first - 1, clause)) is not None and prev.low in vocab.ADVERBS:
                first -= 1
            if (prev := self.at(first - 1, clause)) is not None and prev.low in vocab.SUBJECTS:
                first -= 1
                if (prev := self.at(first - 1, clause)) is not None and prev.low in ("what", "all"):
                    first -= 1  # "What we really need is"
        return self.build(cls, first, obj.end, (index, last), lemma, obj)

    def match_means(self, index: int) -> _Match | None:
        """A new solution named as the means in a clause that prescribes: "residents should
        book through an online calendar", "let residents renew online"."""
        token = self.tokens[index]
        clause = token.clause
        if token.low not in vocab.MEANS and token.low != "online":
            return None
        opening = self.clause_start[clause]
        enabling = self.tokens[opening].low in vocab.ENABLING
        outcome = self.field == "desired_outcome"
        wanting = self.first_wanting[clause]  # "to" after it prescribes: "we want to pay by"
        prescribing = self.first_prescribing[clause] < index or (
            wanting < index and self.first_to_after_wanting[clause] < index
        )
        if (
            opening < wanting < index
            and self.tokens[wanting - 1].low in vocab.SUBJECTS | vocab.HAVING
        ):
            prescribing = True  # "we'd like the permits data exposed through an API"
        if token.low == "online":
            if not enabling or self.negated(index, clause):
                return None
            return self.build(
                vocab.IMPLEMENT,
                index,
                index,
                (index, index),
                "use",
                _Object(vocab.APP, index, index, "new"),
            )
        done = index - 1
        while (word := self.at(done, clause)) is not None and word.low.endswith("ly"):
            done -= 1
        if word is not None and self.past(done) and self.wanted_done(done, clause):
            prescribing = enabling = True  # "Leadership wants every timesheet approved in Workday"
        if outcome and self.current(clause):
            return None  # "the existing portal works on phones"
        if not (enabling or prescribing or outcome) or self.first_negation[clause] < index:
            return None
        obj = self.phrase_after(index + 1, clause, vendors_only=True, commanded=True)
        if obj is None or obj.opener == "old":
            return None
        bare = obj.opener is None and obj.kind != vocab.PRODUCT  # "on smartphones"
        if not (enabling or prescribing or obj.opener == "new" or bare):
            return None  # an outcome names a new means ("through a new portal"), not "in Accela"
        be, to = self.at(index - 1, clause), self.at(index - 2, clause)
        to_be = be is not None and be.low == "be" and to is not None and to.low == "to"
        if obj.kind == vocab.PRODUCT and token.low in ("in", "on") and not (enabling or to_be):
            return None  # where work is done today: "staff need to re-enter it in Munis"
        if obj.kind == vocab.DEVICE and token.low == "by":
            return None  # a channel: "contacted by phone"
        if outcome and bare and self.used_on(index, obj, clause):
            return None  # "the website works on phones": where what exists is used
        if outcome and self.in_subject(index, obj.end, clause):
            return None  # "data collected on tablets matches what crews saw"
        return self.build(vocab.IMPLEMENT, index, obj.end, (index, index), "use", obj)

    def used_on(self, index: int, obj: _Object, clause: int) -> bool:
        """Devices after a preposition at ``index`` in a clause whose subject is a solution that
        exists: where it is used ("the website works on phones and with screen readers")."""
        opening = self.clause_start[clause]
        return (
            obj.kind == vocab.DEVICE
            and obj.opener is None
            and self.tokens[opening].low in vocab.OLD
            and any(self.kind_of(j) for j in range(opening + 1, min(opening + 4, index)))
        )

    def destination(
        self,
        index: int,
        clause: int,
        words: frozenset[str],
        commanded: bool = False,
        names: bool = False,
    ) -> _Object | None:
        """ "to the cloud", "with an online portal", "into Accela", "online": a solution
        after the first of ``words`` in the clause (any capitalised name with ``names``)."""
        for j in range(index, index + 12):
            token = self.at(j, clause)
            if token is None or (token.soft_before and words is vocab.PLACES):
                return (
                    None  # a place is in the verb's own phrase: "put X online", not after a comma
                )
            if token.low == "online" and "online" in words:
                return _Object(vocab.APP, j, j, "new")
            digital = self.at(j + 1, clause)
            if (
                token.low == "to"
                and "to" in words
                and digital is not None
                and (
                    digital.noun in vocab.DIGITAL_FORMATS  # "convert the files to PDF"
                )
            ):
                return _Object(vocab.SYSTEM, j + 1, j + 1, "new")
            if token.low in words:
                nxt = self.at(j + 1, clause)
                cloud = self.at(j + 2, clause)
                if nxt is not None and nxt.low == "the" and cloud and cloud.noun == "cloud":
                    return _Object(vocab.SYSTEM, j + 1, j + 2, "new")
                if nxt is not None and nxt.noun == "cloud":
                    return _Object(vocab.SYSTEM, j + 1, j + 1, "new")
                return self.phrase_after(j + 1, clause, not names, commanded)
        return None

    def moved_off(self, last: int, clause: int) -> _Object | None:
        """What a moving verb ending at ``last`` leaves, named after "off", "off of" or "away
        from" within its phrase: "migrate off the AS/400", "move case tracking off of Excel"."""
        for j in range(last + 1, last + 6):
            token = self.at(j, clause)
            if token is None:
                return None
            after = self.at(j + 1, clause)
            if token.low == "from" and j == last + 1:  # "upgrade from Windows 10"
                return self.phrase_after(j + 1, clause, vendors_only=True, commanded=True)
            if token.low == "off" or (token.low == "away" and after and after.low == "from"):
                k = j + 1 if token.low == "off" else j + 2
                if (of := self.at(k, clause)) is not None and of.low == "of":
                    k += 1
                return self.phrase_after(k, clause, vendors_only=False, commanded=True)
            if token.low in vocab.JOINING - vocab.OPENERS:
                return None
        return None

    def platform(self, index: int, clause: int) -> _Object | None:
        """What a command builds on: "build this in Power Apps", "get the fleet on
        Samsara" (a product, or something new), not "get the data in Accela cleaned up"."""
        place = self.destination(index, clause, frozenset({"in", "on"}), commanded=True)
        plural_device = (
            place is not None
            and place.opener is None
            and place.kind == vocab.DEVICE
            and self.tokens[place.end].low != self.tokens[place.end].noun
        )  # "get the crews on tablets"
        if place is None or (
            place.kind != vocab.PRODUCT and place.opener != "new" and not plural_device
        ):
            return None
        after = self.at(place.end + 1, clause)
        if after is not None and (after.low.endswith("ed") or after.low in vocab.IRREGULAR):
            return None
        return place

    def rebuilt_in(self, index: int, clause: int) -> _Object | None:
        """What something is rebuilt in, named by its kind: "rebuilt from scratch in a modern
        framework", "rewritten on a new stack" (not "rebuilt in a new location")."""
        for j in range(index, index + 6):
            token = self.at(j, clause)
            if token is None:
                return None
            if token.low not in ("in", "on"):
                continue
            k, new = j + 1, False
            while (word := self.at(k, clause)) is not None and word.low in vocab.OPENERS:
                new = new or word.low in vocab.NEW
                k += 1
            head = self.at(k, clause)
            if new and head is not None and head.noun.removesuffix("s") in vocab.BUILT_IN:
                return _Object(vocab.SYSTEM, j + 1, k, "new")
            return None
        return None

    def to_have(self, index: int, clause: int) -> _Object | None:
        """Wanting someone to have a solution: "we want every crew to have a rugged tablet",
        "we need inspectors to use tablets" (up to four words for whom it is for)."""
        for j in range(index, index + 5):
            token = self.at(j, clause)
            if token is None or (j > index and token.soft_before):
                return None
            verb = self.at(j + 1, clause)
            if token.low == "to" and verb is not None and verb.low in ("have", "get", "use"):
                obj = self.phrase_after(j + 2, clause, vendors_only=True, commanded=True)
                return obj if obj is not None and obj.opener != "old" else None
        return None

    def after_recipient(self, index: int, clause: int) -> _Object | None:
        """Giving someone something: "give our volunteer drivers a GPS app"."""
        for j in range(index + 1, index + 5):
            token = self.at(j, clause)
            if token is None or token.soft_before:
                return None
            if token.low in ("a", "an", "new"):
                return self.phrase_after(j, clause, vendors_only=True, commanded=True)
            if (
                j > index
                and self.tokens[j - 1].low not in vocab.OPENERS | vocab.JOINING | {"sure"}
                and self.kind_of(j) is not None
                and self.is_head(j)
            ):
                return self.phrase_after(j, clause, vendors_only=True)  # "the team smartphones"
            of_them = self.at(j + 1, clause)
            if token.low == "of" and of_them is not None and of_them.low in vocab.OLD:
                continue  # "each of them", "all of our drivers"
            if token.low in vocab.JOINING and token.low not in vocab.OLD:
                return None
        return None

    def any_phrase(self, index: int, clause: int) -> _Object | None:
        """Automating needs an object, whatever it is: the words up to a joining word."""
        while (first := self.at(index, clause)) is not None and first.low in (
            "all",
            "every",
            "each",
        ):
            index += 1
        end = None
        for j in range(index, index + 6):
            token = self.at(j, clause)
            if token is None or (j > index and token.soft_before):
                break
            if token.low in vocab.JOINING and token.low not in vocab.OPENERS:
                break
            end = j
        if end is None or self.tokens[end].low in vocab.OPENERS:
            return None
        return _Object(vocab.SYSTEM, index, end, None)

    def fits(
        self, cls: str, lemma: str, obj: _Object, passive: bool, commanded: bool = False
    ) -> bool:
        """Whether the object goes with the verb: wanting, building, buying or implementing
        something that exists is not prescribing it."""
        if (
            cls in (vocab.WANT, vocab.BUILD, vocab.IMPLEMENT, vocab.BUY)
            and obj.opener == "old"
            and obj.kind != vocab.PRODUCT
        ):
            return passive  # "the new portal should be built" reads as prescribing
        if cls in (vocab.WANT, vocab.BUILD) and obj.kind == vocab.PRODUCT:
            first = self.tokens[obj.start]
            if first.low in ("something", "anything") or first.noun in vocab.KINDS_OF:
                return True  # "something like Uber": a product as the model
            return (
                self.product(obj.start, self.tokens[obj.start].clause, True, commanded) is not None
            )
        return True

    def match_nominal(self, index: int) -> _Match | None:
        """ "CRM implementation", "tablet purchase", "purchase of tablets", "a need for a
        portal": the act named as a noun."""
        token = self.tokens[index]
        lemma = vocab.NOMINALS.get(
            token.low.removesuffix("s") if token.low.endswith("s") else token.low
        )
        if lemma is None:
            lemma = vocab.NOMINALS.get(token.low)
        if lemma is None:
            return None
        clause, cls = token.clause, vocab.VERBS[lemma]
        if self.negated(index, clause):
            return None
        nxt = self.at(index + 1, clause)
        joins = {
            vocab.IMPLEMENT: ("of", "for", "between", "with"),
            vocab.MIGRATE: ("of", "for", "to"),
        }.get(cls, ("of", "for"))  # "a migration to Microsoft 365"
        if nxt is not None and not nxt.soft_before and nxt.low in joins:
            if cls == vocab.WANT and nxt.low != "for":
                return None
            obj = self.phrase_after(
                index + 2, clause, vendors_only=cls in (vocab.WANT, vocab.BUILD, vocab.BUY)
            )
            if cls == vocab.MIGRATE:
                obj = self.destination(index + 2, clause, vocab.TO, names=True) or obj
            if obj is not None and (cls != vocab.WANT or obj.opener != "old"):
                return self.build(cls, index, obj.end, (index, index), lemma, obj)
        if cls == vocab.WANT or token.low in vocab.THINGS:
            return None  # "Power BI licenses nobody uses": things held, not an act
        before = self.at(index - 1, clause)
        if before is None or token.soft_before:
            return None
        kind = self.kind_of(index - 1)
        if kind is None and before.text not in vocab.KNOWN_VENDORS and before.noun != "cloud":
            return None
        start = self.nominal_start[index - 1]
        if self.years_before[index] > self.years_before[max(start - 2, 0)]:
            return None  # "the 2019 CRM implementation": something that happened
        dated = start - 1
        if (prev := self.at(dated, clause)) is not None and prev.low in vocab.OPENERS:
            dated = self.after_opener[dated] - 1  # back over "the", "our", ...
            prev = self.at(dated, clause)
        if prev is not None and prev.low in vocab.TEMPORAL:
            return None  # "since the Munis upgrade": something that happened too
        obj = _Object(kind or vocab.PRODUCT, start, index - 1, None)
        if before.noun == "cloud":
            obj = _Object(vocab.SYSTEM, start, index - 1, None)
        return self.build(cls, start, index, (index, index), lemma, obj)

    def sentences(self) -> list[list[int]]:
        """Token indexes by sentence (a colon starts one too: "The solution: a kiosk")."""
        found: list[list[int]] = []
        for index, token in enumerate(self.tokens):
            if token.sentence_start or not found:
                found.append([])
            found[-1].append(index)
        return found

    def elliptical(self) -> _Match | None:
        """A short sentence of a statement that names a new solution and nothing that is
        so today: "Maybe an app?", "Dashboard please.", "Time for a new website.", "The
        solution: a kiosk in the lobby." (no verb, no negation, no word about today; after
        a colon only when what comes before asks: not "Workaround: an Access database")."""
        sentences = self.sentences()
        for number, sentence in enumerate(sentences):
            words = [self.tokens[j] for j in sentence]
            if (asked := self.asked_after_label(sentences, number)) is not None:
                return replace(asked, shape="elliptical")
            if len(words) > 8 or any(
                t.low in vocab.FINITE | vocab.NEGATIONS | vocab.TODAY | vocab.BEFORE_NOW
                or t.low.endswith("n't")
                or t.low in vocab.FORMS
                or self.past(j)
                for j, t in zip(sentence, words, strict=True)
            ):
                continue
            labelled = False
            if number > 0 and self.labelled(words[0].start):
                label = [self.tokens[j].low for j in sentences[number - 1]]
                if not set(label) & (vocab.ASKING | {"ideal", "ideally", "request"}):
                    continue  # "Workaround: an Access database"
                labelled = True  # "Our goal: every crew on a tablet by spring"
            for j in sentence:
                token = self.tokens[j]
                if token.low in vocab.SEVERAL or token.low.isdigit():
                    break  # "Two databases per division": what there is too much of
                obj = self.phrase_after(j, token.clause, vendors_only=True)
                if obj is not None and obj.opener != "old" and obj.kind != vocab.PRODUCT:
                    inside = self.tokens[obj.start : obj.end + 1]
                    if (obj.opener is None and obj.start != j) or any(
                        t.low in vocab.OPENERS | vocab.OLD for t in inside[1:]
                    ):
                        break  # "Detectives search three systems", "a legacy database"
                    match = self.build(vocab.BUILD, j, obj.end, None, "", obj)
                    return replace(match, shape="elliptical")
                if not labelled and token.low not in vocab.ELLIPTICAL | vocab.ASKING | vocab.NEW:
                    break  # only words that ask may come before it: "Maybe an app?"
        return None

    def asked_after_label(self, sentences: list[list[int]], number: int) -> _Match | None:
        """A sentence that opens with a new solution after a label that asks, whatever
        follows it: "Sanitation request: route optimization software integrated with our
        fleet telematics" (not "Request: the permit system crashes daily")."""
        first = self.tokens[sentences[number][0]]
        if number == 0 or not self.labelled(first.start):
            return None
        label = [self.tokens[j].low for j in sentences[number - 1]]
        if len(label) > 3 or not set(label) & (vocab.ASKING | {"ideal", "ideally", "request"}):
            return None
        if self.last_today >= sentences[number][0]:
            return None
        obj = self.phrase_after(sentences[number][0], first.clause, vendors_only=True)
        if obj is None or obj.opener == "old" or obj.kind == vocab.PRODUCT:
            return None
        if any(t.low in vocab.OPENERS for t in self.tokens[obj.start + 1 : obj.end]):
            return None  # not one noun phrase
        return self.build(vocab.BUILD, sentences[number][0], obj.end, None, "", obj)

    def title_object(self) -> _Match | None:
        """A title that only names a solution: "New onboarding portal for new hires",
        "Dashboard of eviction filings by ward" (no verb, so nothing else it could say)."""
        purpose = next((n for n, t in enumerate(self.tokens) if t.low == "to"), len(self.tokens))
        if not self.tokens or any(t.low in vocab.FINITE for t in self.tokens[:purpose]):
            return None  # after "to", a purpose: "Machine learning model to predict main breaks"
        start = 0  # after a label: "Request: new case management software"
        label = sum(t.clause == 0 for t in self.tokens)
        if label <= 2 < len(self.tokens) and ":" in self.text[: self.tokens[label].start]:
            start = label
        clause = self.tokens[start].clause
        obj = self.phrase_after(start, clause, vendors_only=True)
        if (
            obj is not None
            and obj.kind == vocab.PRODUCT
            and self.at(obj.end + 1, clause) is not None
            and self.tokens[obj.end + 1].noun
            in vocab.OBJECTS.keys() | vocab.QUALIFIED.keys() | vocab.PRODUCT_PARTS
            and (kind := self.kind_of(obj.end + 1)) is not None
            and self.is_head(obj.end + 1)
        ):
            obj = _Object(kind, obj.start, obj.end + 1, obj.opener)  # "Power BI dashboard for"
        if obj is not None and obj.kind == vocab.PRODUCT and obj.start == start:
            after = self.at(obj.end + 1, clause)  # "Salesforce for the grants office"
            if (after is not None and after.low in vocab.PRODUCT_TITLE) or (
                after is None
                and self.tokens[obj.end].low in vocab.PRODUCT_PARTS | vocab.UNDERTAKINGS
            ):  # "Salesforce instead of spreadsheets", "Request: Adobe licenses", "Salesforce
                # Project"
                return self.build(vocab.IMPLEMENT, start, obj.end, None, "", obj)
        if obj is None and (moved := self.paper_to(start, clause)) is not None:
            return moved
        for j in range(start, len(self.tokens) - 1):  # "Online payment option via Stripe"
            if self.tokens[j].low in ("via", "using"):
                end = self.product(j + 1, self.tokens[j].clause, vendors_only=True)
                if end is not None:
                    obj = _Object(vocab.PRODUCT, j + 1, end, None)
                    return self.build(vocab.IMPLEMENT, j, end, None, "", obj)
        channel = self.at(start, clause)
        for gap in (1, 2):  # "Online dog licensing": what is done may come between
            act = self.at(start + gap, clause)
            if (
                (obj is None or (obj.start == start and obj.end < start + gap))
                and channel is not None
                and channel.low in vocab.TECH_MODIFIERS
                and act is not None
                and act.noun.removesuffix("s") in vocab.CHANNEL_ACTS
                and (
                    (after := self.at(start + gap + 1, clause)) is None
                    or after.low in ("for", "at", "in")
                )
            ):  # "Online booking for community rooms", "Mobile payments for parking"
                obj = _Object(vocab.APP, start, start + gap, None)
                return self.build(vocab.BUILD, start, start + gap, None, "", obj)
        if obj is None or obj.kind == vocab.PRODUCT or obj.opener == "old":
            return None
        if self.tokens[start].low in vocab.SEVERAL:
            return None  # "Three systems for one record": what there is too much of
        after = self.at(obj.end + 1, clause)
        # The title is the phrase ("Help desk chatbot"), or the phrase and what it is for
        # ("GPS trackers on all garbage trucks"); a longer opening is a sentence's subject.
        words = obj.end - obj.start + 1
        if any(t.low in vocab.OPENERS for t in self.tokens[obj.start + 1 : obj.end]):
            return None  # "Detectives search three systems": not one noun phrase
        if after is None:
            fits = words <= 5
        else:
            fits = words <= 4 and after.low in (
                *("for", "of", "on", "at", "in", "to", "with", "across", "throughout"),
                *("along", "when", "whenever"),  # "Push notifications when trash day changes"
                *("that", "which"),  # "Excel macro that builds the weekly report"
                "instead",  # "One system instead of sticky notes"
            )
        if not fits:
            return None
        return self.build(vocab.BUILD, start, obj.end, None, "", obj)

    def paper_to(self, start: int, clause: int) -> _Match | None:
        """A title that moves from today's medium to a solution: "From paper to tablets for
        inspections", "Paper to digital for building permits" (not "Paper to screen
        re-keying": the solution must end the title or come before what it is for)."""
        first = self.at(start, clause)
        k = start + 1 if first is not None and first.low == "from" else start
        medium, to = self.at(k, clause), self.at(k + 1, clause)
        if medium is None or medium.noun not in vocab.MEDIA or to is None or to.low != "to":
            return None
        target = self.destination(k + 1, clause, vocab.TO, names=True)
        if target is None:
            return None
        after = self.at(target.end + 1, clause)
        if after is not None and after.low not in ("for", "in", "at", "across"):
            return None
        return self.build(vocab.MIGRATE, start, target.end, None, "", target)

    def past(self, index: int) -> bool:
        """A past-tense verb ("built", "launched"), not a perfect ("has moved")."""
        token = self.tokens[index]
        before = self.at(index - 1, token.clause)
        if before is not None and before.low in ("has", "have", "be", "been", "is", "are"):
            return False
        form = vocab.FORMS.get(token.low, ("", ""))[1]
        return form == "past" or (token.low.endswith("ed") and len(token.low) > 4)

    def outcome_object(self) -> _Match | None:
        """An outcome that is a new solution in place: "A new CRM is live", "a self-service
        kiosk in each branch", "every inspector carries a tablet"."""
        for index, token in enumerate(self.tokens):
            nxt = self.at(index + 1, token.clause)
            if token.low not in vocab.NEW_SOLUTION and not (
                token.low == "the" and nxt is not None and nxt.low == "new"
            ):
                continue
            if self.negated(index, token.clause) or self.denied(index):
                continue  # "without a separate app", "nobody waits a week for a laptop"
            if self.happened(token.clause):
                continue  # "We built an app in 2019": what happened, not an outcome
            obj = self.phrase_after(index, token.clause, vendors_only=True)
            thing = obj is not None and self.at(obj.end + 1, token.clause)
            if (
                obj is not None
                and obj.kind == vocab.PRODUCT
                and thing
                and thing.low not in (vocab.JOINING | vocab.FOLLOWERS)
            ):  # "a Power BI report", "a new Accela module": a new thing of the product
                obj = _Object(vocab.PRODUCT, obj.start, obj.end + 1, obj.opener)
                return self.build(vocab.IMPLEMENT, index, obj.end, None, "", obj)
            if (
                obj is not None
                and obj.kind == vocab.PRODUCT
                and obj.end > obj.start
                and self.tokens[obj.end].low in vocab.PRODUCT_PARTS
            ):  # "every employee has a Microsoft 365 license"
                return self.build(vocab.IMPLEMENT, index, obj.end, None, "", obj)
            if obj is not None and obj.opener == "new" and obj.kind != vocab.PRODUCT:
                return self.build(vocab.BUILD, index, obj.end, None, "", obj)
        return None

    def happened(self, clause: int) -> bool:
        """A clause about the past: "was", "had" or a year with a past verb ("the records
        system was implemented in 2015"), or a past verb after its subject ("we built an
        app"); a headline's participle ("timesheets submitted in Kronos") is not."""
        if clause not in self._happened:
            self._happened[clause] = self.clause_happened(clause)
        return self._happened[clause]

    def clause_happened(self, clause: int) -> bool:
        words = list(self.clause_range(clause))
        pasts = [
            j for j in words if self.past(j) and self.tokens[j].low not in vocab.TECH_MODIFIERS
        ]
        if not pasts:
            return False
        if any(
            self.tokens[j].low in vocab.BEFORE_NOW or _YEAR.fullmatch(self.tokens[j].low)
            for j in words
        ):
            return True
        return any(
            (subject := self.at(j - 1, clause)) is not None
            and (subject.low in vocab.SUBJECTS or subject.low in ("he", "she", "it", "who"))
            for j in pasts
        )

    def ends_clause(self, index: int, clause: int) -> bool:
        """Nothing but what modifies it follows a tool named after a verb of work ("handled
        in Outlook by residents", "in Kronos from a phone"); a verb after it makes that
        phrase the subject: "rooms booked in Outlook are never double-booked", "cases
        handled in Salesforce close within ten days"."""
        after = self.at(index, clause)
        return (
            after is None
            or after.soft_before  # "approved in Workday, not on paper"
            or after.low in vocab.AFTER_TOOL
            or after.low.endswith("ly")
        )

    def work_before(self, index: int, clause: int) -> bool:
        """A verb of work done in a tool before the preposition at ``index`` ("rooms are
        scheduled in Outlook", "staff book rooms in Outlook", "texts sent from Twilio"), not
        a verb that says where data sits ("entered in Munis") nor a noun ("records in
        Accela")."""
        sending = self.tokens[index].low == "from"  # "sent from Twilio", not "run from Munis"
        for j in range(index - 1, index - 7, -1):
            token = self.at(j, clause)
            if token is None or token.low in vocab.HELD:
                return False
            if token.low in (vocab.SENDING if sending else vocab.WORK):
                return True
            if token.low in vocab.JOINING - vocab.OPENERS - {"all", "each", "every"} or self.past(
                j
            ):
                return False  # another verb: "work orders closed in Cityworks"
        return False

    def denied(self, index: int) -> bool:
        """A negation earlier in the clause: "nobody waits more than a week for a laptop"."""
        return self.first_negation[self.tokens[index].clause] < index

    def current(self, clause: int) -> bool:
        """A clause about what is so today ("the data today sits in Accela", "the tablets
        crews already carry"): the tools it names are context, not an outcome."""
        return clause in self.current_clauses

    def outcome_solution(self) -> _Match | None:
        """An outcome that only states a solution: a new one, one in place, or a solution
        named alone as a title would ("One unified CRM for all departments")."""
        return self.outcome_object() or self.outcome_in_place() or self.title_object()

    def acts(self, index: int, clause: int) -> bool:
        """A new solution's verb, past what it is for: "kiosks in every branch let patrons
        renew cards", "dashboards replace the monthly spreadsheet"."""
        if self.does(index, clause):
            return True
        for j in range(index, index + 5):
            token = self.at(j, clause)
            if token is None or token.low in vocab.FINITE:
                return False
            if token.low in vocab.ACTING or self.acting_ing(token.low):
                verb = self.at(j + 1, clause)  # "chatbot answers are correct": a noun
                return verb is None or verb.low not in vocab.FINITE
        return False

    @staticmethod
    def acting_ing(low: str) -> bool:
        """An -ing form of an acting verb: "kiosks replacing paper sign-in sheets"."""
        stem = low.removesuffix("ing")
        return stem != low and bool({stem, stem + "e", stem + "s", stem + "es"} & vocab.ACTING)

    def does(self, index: int, clause: int) -> bool:
        """Any verb right after a solution, with what it acts on after it: "AI transcribes
        every 911 call", "drones inspect every bridge", "text reminders go out" (not "chatbot
        answers are correct" nor "the website works on phones": no object)."""
        verb, after = self.at(index, clause), self.at(index + 1, clause)
        if verb is None or after is None or verb.soft_before or after.soft_before:
            return False
        if verb.low in ("go", "goes") and after.low == "out":
            return True  # "automated reminders go out before each hearing"
        if (
            verb.low in vocab.FINITE | vocab.JOINING | vocab.HELD
            or verb.noun in vocab.OBJECTS
            or verb.low.endswith(("ss", "us", "ly", "ed", "ing", "'s"))
            or not verb.low.isalpha()
        ):
            return False
        helping = vocab.HELPING - {"work"}  # "radios work in every basement": what exists
        if verb.low in helping or verb.low.removesuffix("s") in helping:
            return True  # "text reminders reduce no-shows"
        when = self.at(index + 2, clause)
        if after.low in ("every", "each") and when is not None and when.low in vocab.TIMES:
            return False  # "inspectors' tablets sync every night": a habit of what exists
        return after.low in vocab.ACTED_ON

    def does_now(self, index: int, clause: int) -> bool:
        """``does`` for a solution named with "the": its verb ends in "s" ("the chatbot
        resolves half of all calls")."""
        verb = self.at(index, clause)
        return verb is not None and verb.low.endswith("s") and self.does(index, clause)

    def acts_now(self, index: int, clause: int) -> bool:
        """The verb right after a solution named with "the" (adverbs aside): "the chatbot
        answers housing questions 24/7", "the 311 app sends a photo with every report" (not
        "the API the state gives us no longer breaks the report")."""
        j = index
        while (word := self.at(j, clause)) is not None and word.low in vocab.ADVERBS:
            j += 1
        verb, after = self.at(j, clause), self.at(j + 1, clause)
        return self.does_now(j, clause) or (
            verb is not None
            and verb.low in vocab.ACTING
            and (after is None or after.low not in vocab.FINITE)  # "chatbot answers are"
        )

    def is_live(self, index: int, clause: int) -> bool:
        """ "is live", "are deployed", "is in place", "is in use" from ``index``."""
        be, state, place = (self.at(index + n, clause) for n in range(3))
        if be is not None and be.low in ("has", "have") and state is not None:
            if state.low == "gone" and place is not None and place.low == "live":
                return True  # "the portal has gone live"
            if state.low == "been":  # "has been deployed"
                be, state, place = (self.at(index + n, clause) for n in range(1, 4))
            elif state.low in vocab.LIVE - {"live"}:
                return True  # "the vendor portal has launched"
        if be is not None and be.low in ("go", "goes") and state is not None:
            return state.low == "live"  # "the system goes live in March"
        if be is None or be.low not in ("is", "are", "been") or state is None:
            return False
        return state.low in vocab.LIVE or (
            state.low == "in" and place is not None and place.low in vocab.IN_USE
        )

    def headline_state(self, index: int, clause: int) -> bool:
        """A headline's state of a new solution, with no "is": "CRM live for all agents",
        "Dashboard available to the council", "New portal up and running"."""
        state, place = self.at(index, clause), self.at(index + 1, clause)
        if state is None or self.last_finite[clause] >= index:
            return False
        if state.low == "up" and place is not None and place.low == "to":
            return False  # "website up to date": what exists, kept current
        return state.low in vocab.LIVE | vocab.HEADLINE_STATES or (
            state.low == "in" and place is not None and place.low in vocab.IN_USE
        )

    def outcome_in_place(self) -> _Match | None:
        """An outcome stated as the solution delivered: a solution that staff or residents
        use, have, carry or get ("meter readers use handheld RFID scanners", "the fleet has
        GPS trackers"), a solution as the subject ("body cameras are deployed", "Salesforce
        is the system of record", "the department is fully on Microsoft 365"), or a solution
        a process runs through ("hiring runs through NEOGOV")."""
        for index, token in enumerate(self.tokens):
            clause = token.clause
            if self.current(clause) or self.negated(index, clause) or self.denied(index):
                continue
            if self.happened(clause):
                continue  # "the records system was implemented in 2015": what happened
            before = self.at(index - 1, clause)
            worked = (
                before is not None
                and before.low in vocab.WORKED_IN
                and self.work_before(index - 1, clause)
            )  # "room bookings handled in Outlook", "plans reviewed in ProjectDox"
            named = worked or (before is not None and before.low in ("via", "through", "using"))
            obj = self.phrase_after(index, clause, vendors_only=True, commanded=named)
            if obj is None or token.low in vocab.SEVERAL:
                continue  # "staff use two systems instead of five": fewer, not a new one
            if obj.opener == "old" and any(
                t.noun == "cloud" for t in self.tokens[obj.start : obj.end + 1]
            ):
                obj = _Object(obj.kind, obj.start, obj.end, "new")  # "in the cloud": not ours
                if before is not None and before.low in ("in", "on", "to", "onto", "into"):
                    return self.build(vocab.MIGRATE, index, obj.end, None, "", obj)
            if (
                before is not None
                and before.low in ("into", "to", "onto")
                and index > 1
                and self.tokens[index - 2].low in vocab.FEEDING
                and (obj.kind == vocab.PRODUCT or obj.opener != "old")
                and self.scheduled(obj.end + 1, clause)
            ):  # "overtime data is pulled into Power BI every night": a feed, automated
                return self.build(vocab.AUTOMATE, index - 2, obj.end, None, "", obj)
            out_of = before is not None and before.low == "of" and index > 1
            if (
                before is not None
                and (
                    before.low in vocab.OUTCOME_MEANS | vocab.WORKED_IN
                    or (out_of and self.tokens[index - 2].low == "out")  # "work out of"
                )
                and self.instead_of_today(obj.end + 1, clause)
            ):  # "timesheets go through the Power App instead of on paper": the new means
                return self.build(vocab.IMPLEMENT, index, obj.end, None, "", obj)
            if obj.start != index and obj.opener == "new" and token.low in vocab.NEW_SOLUTION:
                continue  # a phrase opened by "a" or "new" is outcome_object's
            if any(t.low in vocab.OPENERS for t in self.tokens[obj.start : obj.end]):
                continue  # "search three systems": not one noun phrase
            if (
                obj.opener == "old"
                and obj.kind == vocab.APP
                and before is not None
                and before.low in vocab.DOWNLOADING
            ):  # "residents can download the parks app": the app is in place
                return self.build(vocab.BUILD, index, obj.end, None, "", obj)
            opens = before is None or (  # "fewer calls once the online scheduler is live"
                before.low in vocab.SUBORDINATING and self.is_live(obj.end + 1, clause)
            )
            thanks = self.tokens[index - 2].low if before is not None and index > 1 else ""
            if (
                before is not None
                and (
                    before.low == "via"
                    or (before.low == "to" and thanks == "thanks")
                    or (  # "because of automation", not "because of the old system"
                        before.low == "of"
                        and thanks == "because"
                        and obj.opener != "old"
                        and obj.kind != vocab.PRODUCT  # "late because of Accela": blame
                    )
                    or (  # "work orders on their phones through the Cityworks app"
                        before.low in ("through", "using")
                        and obj.opener == "old"
                        and any(self.vendor_ends(j) for j in range(obj.start, obj.end + 1))
                    )
                )
                and not self.in_subject(index - 1, obj.end, clause)
            ):  # "approve orders via the ERP mobile app", "thanks to GPS tracking"
                return self.build(vocab.IMPLEMENT, index, obj.end, None, "", obj)
            if obj.opener == "old" or (before is None and obj.kind != vocab.PRODUCT):
                # a solution as the subject is one in place only when it is said to be
                # ("the 311 chatbot is live", "body cameras are deployed"); "lost devices are
                # reported", "crews' phones stay charged" ask something of what exists
                if not opens or not (
                    self.is_live(obj.end + 1, clause)
                    or (obj.opener != "old" and self.acts(obj.end + 1, clause))
                    or (obj.opener == "old" and self.acts_now(obj.end + 1, clause))
                    or (obj.opener != "old" and self.headline_state(obj.end + 1, clause))
                ):
                    continue
            elif obj.kind == vocab.PRODUCT and worked and self.ends_clause(obj.end + 1, clause):
                if self.measured(obj.end + 1, clause):
                    continue  # "timesheets approved in Kronos within two days": the measure
                # "room bookings handled in Outlook", "texts sent from Twilio"
            elif obj.kind == vocab.PRODUCT:
                if before is None:  # "Salesforce is the system of record"
                    be = self.at(obj.end + 1, clause)
                    state = self.at(obj.end + 2, clause)
                    if self.acts_now(obj.end + 1, clause) or self.headline_state(
                        obj.end + 1, clause
                    ):
                        return self.build(vocab.IMPLEMENT, index, obj.end, None, "", obj)
                    if not (be and be.low in ("is", "are") and state):
                        continue
                    head = self.at(obj.end + 3, clause)
                    if (
                        state.low == "the"
                        and head is not None
                        and head.noun in vocab.OBJECTS.keys() | vocab.QUALIFIED.keys()
                    ):  # "Power BI is the tool everyone uses"
                        return self.build(vocab.IMPLEMENT, index, obj.end, None, "", obj)
                    if (
                        not self.is_live(obj.end + 1, clause)
                        and state.low not in vocab.STATES
                        and not (
                            state.low == "the" and self.phrase_after(obj.end + 2, clause, True)
                        )
                    ):
                        continue
                elif before.low in ("on", "onto"):  # "the department is fully on Office 365"
                    j = index - 2
                    while (word := self.at(j, clause)) is not None and word.low in vocab.ADVERBS:
                        j -= 1
                    headline = clause not in self.sentence_clauses  # "Everyone on Salesforce"
                    if not headline and (
                        word is None or word.low not in {"is", "are", "be", "been"} | vocab.RELYING
                    ):
                        continue  # "staff rely on ServiceNow" counts too
                elif before.low == "with":  # "signed with DocuSign", not "our contract with Tyler"
                    verb = self.at(index - 2, clause)
                    if verb is None or not verb.low.endswith("ed"):
                        continue
                elif (
                    before.low in ("in", "on")
                    and index - 1 - self.clause_start[clause] <= 4
                    and (
                        (after := self.at(obj.end + 1, clause)) is None
                        or after.low in ("for", "by", "across", "throughout")
                    )
                    and not (
                        clause in self.sentence_clauses
                        or clause in self.by_hand_clauses
                        or self.measured(obj.end + 1, clause)
                    )
                ):
                    pass  # a headline: "311 data in Power BI", not "permits in Accela match"
                elif before.low not in vocab.USAGE and before.low not in vocab.OUTCOME_MEANS:
                    continue
            elif before is not None and before.low in vocab.OUTCOME_MEANS | {"from"}:
                if self.used_on(index - 1, obj, clause):
                    continue  # "the website loads quickly on phones"
                if (
                    obj.kind == vocab.DEVICE
                    and before.low == "by"
                    and obj.start == obj.end
                    and self.tokens[obj.end].noun in vocab.CHANNELS
                ):
                    continue  # a channel: "reached by phone" (not "read by smart meters")
            elif before is not None and not (
                before.low in vocab.USAGE
                or before.low in vocab.GETTING
                or (  # a solution as what something becomes: "all forms are fillable PDFs"
                    before.low in ("is", "are", "become", "becomes")
                    and obj.opener is None
                    and self.tokens[obj.end].noun in vocab.OBJECTS.keys() | vocab.QUALIFIED.keys()
                )
                or (  # a verb after its subject: "the clinic sends SMS reminders"
                    before.low.endswith("s")
                    and not before.low.endswith("ss")
                    and before.low not in vocab.PUBLIC | vocab.JOINING | vocab.FEWER
                    and before.noun not in vocab.OBJECTS
                    and (subject := self.at(index - 2, clause)) is not None
                    and subject.low not in vocab.JOINING | vocab.OPENERS
                )
            ):
                continue  # "data between the two systems", "every lent device", "the records
                # system"
            if before is not None and self.in_subject(index - 1, obj.end, clause):
                continue  # "requests submitted through SeeClickFix reach crews"
            return self.build(vocab.IMPLEMENT, index, obj.end, None, "", obj)
        return None

    def scheduled(self, index: int, clause: int) -> bool:
        """A schedule after a tool data is fed into: "every night", "nightly", "in real
        time", "automatically" (re-keying by hand is not done on a schedule)."""
        return self.last_schedule[clause] >= index

    @cached_property
    def last_schedule(self) -> list[int]:
        """For each clause, where its last schedule starts (-1 if none)."""

        def schedule(n: int) -> bool:
            low, after = self.tokens[n].low, self.at(n + 1, self.tokens[n].clause)
            return (
                low in vocab.SCHEDULES
                or (low == "every" and after is not None and after.low in vocab.TIMES)
                or (low == "real" and after is not None and after.low == "time")
            )

        return self.last_where(schedule)

    def measured(self, index: int, clause: int) -> bool:
        """A measure after a tool today's work is done in: "within two days", "in under an
        hour", "by the 5th": the outcome is the measure, the tool its context."""
        for j in range(index, index + 3):
            token, amount = self.at(j, clause), self.at(j + 1, clause)
            if token is None or amount is None:
                return False
            if amount.low[:1].isdigit() and token.low in vocab.MEASURING | {"by"}:
                return True  # "by 10 am"
            if token.low in vocab.MEASURING and amount.low in vocab.AMOUNTS:
                return True
        return False

    def instead_of_today(self, index: int, clause: int) -> bool:
        """A contrast with today's medium right after a tool: "... instead of on paper",
        "rather than by hand", "not in spreadsheets": the tool is the means wanted."""
        words = [self.at(j, clause) for j in range(index, index + 6)]
        lows = [t.low for t in words if t is not None]
        for n, low in enumerate(lows[:2]):
            contrast = (low == "instead" and lows[n + 1 : n + 2] == ["of"]) or (
                low == "rather" and lows[n + 1 : n + 2] == ["than"]
            )
            if contrast or low == "not":
                return any(word in vocab.TODAY_MEDIA for word in lows[n + 1 : n + 5])
        return False

    def in_subject(self, preposition: int, end: int, clause: int) -> bool:
        """A tool named in the subject, after a participle, with the clause's verb after it:
        "requests submitted through SeeClickFix reach crews", "data collected on tablets
        matches" (not "rooms booked in Outlook by residents": nothing but what modifies it
        follows)."""
        j = preposition - 1
        while (word := self.at(j, clause)) is not None and word.low.endswith("ly"):
            j -= 1  # "signed electronically with"
        participle = word is not None and (
            vocab.FORMS.get(word.low, ("", ""))[1] == "past"
            or word.low in vocab.IRREGULAR
            or (word.low.endswith("ed") and len(word.low) > 4)
            or word.low in vocab.PARTICIPLES
        )
        if not participle or self.at(j - 1, clause) is None:
            return False
        be = self.at(j - 1, clause)
        if be is not None and be.low in ("is", "are", "be", "been", "was", "were"):
            return False  # "requests are submitted through SeeClickFix": the clause's verb
        return not self.ends_clause(end + 1, clause)

    def build(
        self,
        cls: str,
        first: int,
        last: int,
        verb: tuple[int, int] | None,
        lemma: str,
        obj: _Object,
    ) -> _Match:
        if cls == vocab.BUY:
            rule = "buy_product"
        elif cls == vocab.MIGRATE:
            rule = "migrate_to_product"
        elif cls == vocab.REPLACE:
            rule = "replace_with_product"
        elif cls == vocab.AUTOMATE:
            rule = "automate_process"
        else:
            rule = {
                vocab.APP: "build_app",
                vocab.DASHBOARD: "build_dashboard",
                vocab.SYSTEM: "need_system",
                vocab.DEVICE: "get_devices",
                vocab.PRODUCT: "implement_product",
            }[obj.kind]
        return _Match(rule, min(first, obj.start), max(last, obj.end), verb, lemma, obj)

    def words(self, first: int, last: int) -> tuple[int, str]:
        start, end = self.tokens[first].start, self.tokens[last].end
        return start, self.text[start:end]
