"""The framing grammar's vocabulary, read from framing_words.txt beside this module.

Every word list the grammar uses is a section of that file, so extending the grammar's
reach is an edit to the file (docs/triage.md explains the sections). This module only reads
it, derives each verb's inflections and builds the speller that reads misspellings.
"""

from __future__ import annotations

import re
from pathlib import Path

from wordfreq import zipf_frequency

from intake.problems.spelling import Speller

WANT, BUILD, IMPLEMENT, BUY, MIGRATE, PLACE, REPLACE, AUTOMATE = (
    "want", "build", "implement", "buy", "migrate", "place", "replace", "automate",
)  # fmt: skip
APP, DASHBOARD, SYSTEM, DEVICE, PRODUCT = "app", "dashboard", "system", "device", "product"

WORDS_FILE = Path(__file__).with_name("framing_words.txt")


def _read_words(path: Path) -> dict[str, list[tuple[str | None, list[str]]]]:
    """The sections of a words file: each a list of (key or None, words)."""
    joined: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line[0].isspace() and joined:
            joined[-1] += " " + line.strip()  # a continuation of the line above
        else:
            joined.append(line.strip())
    sections: dict[str, list[tuple[str | None, list[str]]]] = {}
    entries: list[tuple[str | None, list[str]]] = []
    for line in joined:
        if line.startswith("[") and line.endswith("]"):
            entries = sections.setdefault(line[1:-1], [])
            continue
        key, sep, rest = line.partition(": ")
        if not sep or "," in key:
            key, rest = "", line
        words = [" ".join(word.split()) for word in rest.split(",") if word.strip()]
        entries.append((key or None, words))
    return sections


WORDS = _read_words(WORDS_FILE)


def _set(section: str) -> frozenset[str]:
    return frozenset(word for _, words in WORDS[section] for word in words)


def _keyed(section: str) -> dict[str, str]:
    """word -> its line's key ("need" -> "want" in [verbs])."""
    return {word: key for key, words in WORDS[section] for word in words if key is not None}


VERBS: dict[str, str] = _keyed("verbs")
IRREGULAR = _keyed("irregular")
NOMINALS: dict[str, str] = _keyed("nominals")
COMMAND_ONLY = _set("command_only")
DESTINATION = _set("destination")
PAPER_ONLY = _set("paper_only")
PAPER = _set("paper")
PLACING = _set("placing")
GIVING = _set("giving")
AMBIGUOUS = _set("ambiguous")
COMPOUNDS = _set("compounds")
OBJECTS: dict[str, str] = _keyed("objects")
QUALIFIED: dict[str, tuple[frozenset[str], str]] = {
    key.split()[0]: (frozenset(words), key.split()[1])
    for key, words in WORDS["qualified"]
    if key is not None
}
UNDERTAKINGS = _set("undertakings")
TECH_MODIFIERS = _set("tech_modifiers")
ABSTRACT = _set("abstract")
PHYSICAL = _set("physical")
NEW, OLD = _set("new"), _set("old")
OPENERS = NEW | OLD
SEVERAL = _set("several")
JOINING = _set("joining")
FOLLOWERS = _set("followers")
TEMPORAL = _set("temporal")
MEANS = _set("means")
ENABLING = _set("enabling")
PRESCRIBING = _set("prescribing")
WANTING = _set("wanting")
OBLIGED = _set("obliged")
WITH, TO = frozenset({"with"}), frozenset({"to", "into", "onto"})
MOVED_TO = TO | {"online"}  # "move the permit applications online"
PLACES = _set("places")
FINITE = _set("finite")
NEGATIONS = _set("negations")
MODALS = _set("modals")
SUBJECTS = _set("subjects")
ADVERBS = _set("adverbs")
NOT_PRODUCT = _set("not_product")
NAME_END = _set("name_end")
NOT_PRODUCT_AFTER = _set("not_product_after")
ASKING = _set("asking")
REPORTED = _set("reported")
WISHFUL = _set("wishful")
BELIEVING = _set("believing")
ACTED_ON = _set("acted_on")
RELYING = _set("relying")
SUBORDINATING = _set("subordinating")
CHANNELS = _set("channels")
PRONOUNS = _set("pronouns")
AGAIN_AFTER = _set("again_after")
MONEY = _set("money")
DEFINED_BY_USE = _set("defined_by_use")
SENT = _set("sent")
MANDATING = _set("mandating")
ING_AFTER = _set("ing_after")
NOT_TECH = _set("not_tech")
NEW_SOLUTION = frozenset({"a", "an", "new", "another"})
CONTAINERS = _set("containers")
THINGS = _set("things")
PUBLIC = _set("public")
# What a solution used as a verb acts on: "dashboard the overtime data".
DETERMINERS = frozenset({"the", "our", "all", "every", "each", "this", "these", "those", "their"})
# "we should have a portal", "ideally we'd have one database"
HAVING = frozenset({"should", "must", "shall", "would", "we'd", "i'd"})
KNOWN_VENDORS = _set("vendors")
# Names with a capital inside ("DocuSign", "SharePoint") read in any case ("Docusign",
# "sharepoint") when no English word is spelt so ("OverDrive" stays as written).
CASED_VENDORS = frozenset(
    name.lower()
    for name in KNOWN_VENDORS
    if " " not in name
    and len(name) >= 6
    and any(c.isupper() for c in name[1:])
    and name.isalnum()
    and zipf_frequency(name.lower(), "en") < 2.0
)
KINDS_OF = _set("kinds_of")
PRODUCT_PARTS = _set("product_parts")
CURRENT = _set("current")
USAGE = _set("usage")
STATES = _set("states")
OUTCOME_MEANS = _set("outcome_means")
FEWER = _set("fewer")
GETTING = _set("getting")
LIVE = _set("live")
ACTING = _set("acting")
REPLACED_BY = frozenset({"by", "with"})


def _inflections(head: str) -> dict[str, str]:
    """A regular verb's forms: form -> "base", "s", "ing" or "past"."""
    stem = head[:-1] if head.endswith("e") else head
    short = re.fullmatch(r"[^aeiou]*[aeiou][bdgmnpt]", head)
    double = head + head[-1] if short or head.endswith(("mit", "fer", "trol", "pel")) else head
    ing = (double if double != head else stem) + "ing"
    past = (stem if head.endswith("e") else double) + "ed"
    third = head + ("es" if head.endswith(("s", "sh", "ch", "x", "z", "o")) else "s")
    if re.search(r"[^aeiou]y$", head):
        past, third = head[:-1] + "ied", head[:-1] + "ies"
    return {ing: "ing", past: "past", third: "s", head: "base"}


def _verb_forms() -> dict[str, tuple[str, str]]:
    """Every inflection of a verb's head word: form -> (lemma, "base"|"s"|"ing"|"past")."""
    forms: dict[str, tuple[str, str]] = {}
    heads = {verb.split()[0] for verb in VERBS} | {"set", "stand", "spin", "roll", "put"}
    heads -= {"would"}
    for head in heads:
        for form, kind in _inflections(head).items():
            forms[form] = (head, kind)
    for form, head in IRREGULAR.items():
        forms[form] = (head, "past")
    forms["has"] = ("have", "s")
    forms["equipping"] = ("equip", "ing")
    return forms


FORMS = _verb_forms()
HELD = _set("held")
VERB_OBJECTS = _set("verb_objects")
PARTICIPLES = _set("participles")
TROUBLE = _set("trouble")
AFTER_TOOL = _set("after_tool")
CONNECTING = _set("connecting")
LINKED = frozenset({"with", "to", "into"})
CHANNEL_ACTS = _set("channel_acts")
PRODUCT_TITLE = _set("product_title")
MEDIA = _set("media")
HEADLINE_STATES = _set("headline_states")
IN_USE = _set("in_use")
ELLIPTICAL = _set("elliptical")
DISMISSING = _set("dismissing")
HELPING = _set("helping")
TODAY = _set("today") | CURRENT
ASKS = _set("asks")
WORKED_IN = _set("worked_in")
BEFORE_NOW = _set("before_now")
DIGITAL_FORMATS = _set("digital_formats")
BUILT_IN = _set("built_in")
TODAY_MEDIA = MEDIA | _set("today_media")
SOLD = _set("sold")
DOWNLOADING = _set("downloading")
MEASURING = _set("measuring")
AMOUNTS = _set("amounts")
FEEDING = _set("feeding")
SCHEDULES = _set("schedules")
TIMES = _set("times")
RETIRING = _set("retiring")
WORK = frozenset(form for word in _set("work") for form in _inflections(word)) - HELD
SENDING = frozenset(form for word in _set("sending") for form in _inflections(word))
# Misspelt solution words and verbs are read as meant ("labtops", "databse", "implment").
SPELLER = Speller([*OBJECTS, *(f"{word}s" for word in OBJECTS), *QUALIFIED, *NOMINALS, *FORMS])
