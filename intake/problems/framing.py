"""Framing hints: spot text that prescribes a solution instead of describing a problem.

Departments often arrive with a solution in mind ("we need an app", "buy Salesforce"). Intake
still accepts such a problem, but returns hints that quote the phrase and say how to restate
the underlying need. The rules are plain regular expressions, so every hint can be explained
by pointing at the rule and the words it matched; there is no scoring and no model.

The rules, in priority order (``RULES``):

``build_app``
    A "make" verb and an app-like noun: "we need an app", "build us a portal",
    "create a mobile app", "develop a chatbot", "there should be a website", "install kiosks".
``build_dashboard``
    A "make" verb and a dashboard-like noun: "build a dashboard", "we want a data visualization".
``need_system``
    A "make" verb and a system-like noun: "we want a new system", "we need software",
    "implement a CRM", "deploy an AI tool", "stand up a data warehouse".
``buy_product``
    A buying verb (buy, purchase, procure, acquire, license, subscribe to) and either any of the
    solution nouns above or a product name: "purchase a CRM", "buy Tyler EnerGov".
``implement_product``
    An implementing verb (implement, deploy, install, roll out, configure) and a product name:
    "implement ServiceNow", "roll out Microsoft Teams".
``migrate_to_product``
    A moving verb (migrate to, switch to, transition to, upgrade to) and a product name, a
    solution noun or "the cloud": "migrate to Microsoft Dynamics", "switch to the cloud".
``replace_with_product``
    "replace <something> with" a product name or a solution noun:
    "replace the mainframe with Salesforce".

How the pieces work:

- "Make" verbs are wants (need, want, would like, "there should be") and building or
  implementing verbs (build, create, develop, make, launch, set up, implement, deploy, ...).
  Verbs are matched in their base form only, so a description of the past ("we built an app in
  2019") or of what people do ("businesses buy permits") is not read as a prescription.
- A solution noun may follow an article and up to three describing words ("a case management
  system"), but only if none of them is a joining word ("make sure the system ...") or a
  physical-equipment word ("a new HVAC system"). "The" counts only as "the new", because "the
  app" is usually an existing thing. The noun must end the phrase (end of text, punctuation or
  a joining word such as "for", "to", "that"), so "app login" or "system access" do not count.
- A product name is a Capitalised or CamelCase word (plus up to three more capitalised words
  or version numbers), e.g. "Salesforce", "Tyler EnerGov", "Windows 11". Ordinary lowercase
  words never count; civic words (City, State, Council, Local Law ...), languages, days,
  months and file formats are excluded, and so is a name followed by "policy", "law",
  "requirements" and the like. In Title Case text, where every word is capitalised, a product
  name must be CamelCase, all capitals, carry a version number or be a well-known vendor.
- Where two matches overlap in the same field, the earlier rule wins, so each phrase gets one
  hint. Hints are ordered by field (title, problem_statement, desired_outcome), then offset.
"""

import re
from dataclasses import dataclass

import msgspec

__all__ = ["RULES", "FramingHint", "FramingRule", "framing_hints"]


class FramingHint(msgspec.Struct, frozen=True, kw_only=True):
    """One solution-prescriptive phrase found in a problem's text, with advice."""

    field: str  # "title", "problem_statement" or "desired_outcome"
    rule: str  # a stable rule id from RULES, e.g. "build_app"
    phrase: str  # the matched words exactly as written
    start: int  # character offset of ``phrase`` in that field's text
    message: str  # plain-language explanation quoting the phrase
    suggestion: str  # how to restate the underlying need


@dataclass(frozen=True, slots=True)
class FramingRule:
    """A named pattern; ``prescribes`` completes "The text prescribes a solution (...): ..."."""

    id: str
    pattern: re.Pattern[str]
    prescribes: str
    suggestion: str


# --- vocabulary -----------------------------------------------------------------------------

_NEED = (
    r"(?:(?:we|i|they|you)\s+)?(?:(?:really|urgently|just|still|also|badly|desperately)\s+)?"
    r"(?:needs?|wants?|would\s+like)(?:\s+to\s+(?:have|get))?"
    r"|there\s+(?:should|must|needs\s+to|has\s+to)\s+be"
)
_BUILD = r"build|create|develop|make|launch|(?:set|stand|spin)\s+up"
_IMPLEMENT = r"implement|deploy|install|roll\s+out|configure"
_MAKE = rf"(?:{_NEED}|{_BUILD}|{_IMPLEMENT})"
_BUY = r"(?:buy|purchase|procure|acquire|licen[cs]e|subscribe\s+to)"
_MIGRATE = r"(?:migrate\s+(?:to|onto)|switch\s+(?:over\s+)?to|transition\s+to|upgrade\s+to)"

_DETERMINER = (
    r"(?:(?:us|me|them)\s+)?"
    r"(?:(?:an?|another|one|some|more|additional|the\s+new|our\s+(?:own|new))\s+)?"
)
# Words that end a noun phrase, so they cannot describe a solution noun.
_JOINING = (
    r"the|an?|to|for|of|and|or|but|nor|that|which|who|whom|whose|with|without|in|on|at|by|from|"
    r"into|about|is|are|was|were|be|been|it|its|this|these|those|our|their|his|her|your|my|we|"
    r"they|you|i|he|she|sure|not|no|than|as|so|if|when|where|while|because|all|any|each|every|"
    r"can|cannot|could|would|should|will|must|do|does|did|have|has|had|get|way|ways"
)
# Equipment that is called a "system" or "platform" but is not software.
_PHYSICAL = (
    r"hvac|heating|cooling|ventilation|alarm|fire|sprinkler|irrigation|drainage|sewer|water|"
    r"plumbing|electrical|lighting|sound|filing|parking|traffic|signal|transit|bus|train|rail|"
    r"loading|viewing|septic|storm"
)
_DESCRIBING = rf"(?:(?!(?:{_JOINING}|{_PHYSICAL})\b)[a-z][a-z0-9'\u2019-]*\s+){{0,3}}"

_APP_NOUNS = (
    r"(?:mobile|web|smartphone|phone|software)\s+applications?|apps?|web\s?sites?|portals?|"
    r"chatbots?|bots?|kiosks?"
)
_DASHBOARD_NOUNS = r"dashboards?|(?:data\s+)?visuali[sz]ations?|scorecards?|interactive\s+maps?"
_SYSTEM_NOUNS = (
    r"systems?|software|platforms?|databases?|data\s+(?:warehouse|lake)s?|crm|erp|gis|ai|apis?|"
    r"(?:software|digital|online|web|ai|bi|analytics|reporting|data)\s+tools?|"
    r"artificial\s+intelligence|machine\s+learning|algorithms?|blockchain"
)
_ANY_NOUN = rf"(?:{_APP_NOUNS}|{_DASHBOARD_NOUNS}|{_SYSTEM_NOUNS})"
# What may follow a solution noun: end of text, punctuation or a joining word.
_NOUN_END = (
    r"\b(?=\s*(?:$|[.,;:!?()\[\]/\"\u201c\u201d]|[-\u2013\u2014]\s|"
    r"(?:for|to|that|which|who|where|so|with|and|or|but|like|similar|instead|because|in|on|"
    r"at|by|from|we|they|residents|staff|people|users|customers|businesses|the|our|their|this|"
    r"these|asap|now|soon|today|next|before|after|as|is|are|was|would|will|should|could|can|"
    r"must|when|if|than|built|designed|developed|owned|hosted|managed)\b))"
)

# Capitalised words that start names of things other than products.
_NOT_PRODUCT = (
    r"City|County|State|Federal|Council|Department|Dept|Mayor|Office|Division|Bureau|Board|"
    r"Commission|Agency|Local|Law|Executive|Order|Vision|Title|Section|Phase|Step|Part|Option|"
    r"Plan|Program|Version|New|ADA|HIPAA|CJIS|FOIA|GDPR|PDF|CSV|HTML|JSON|XML|I|We|They|It|"
    r"This|That|The|A|An|English|Spanish|Chinese|Mandarin|Cantonese|Vietnamese|Korean|Tagalog|"
    r"Arabic|French|Haitian|Creole|Russian|Portuguese|Somali|Amharic|Bengali|Hindi|Urdu|"
    r"Polish|Japanese|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|"
    r"February|March|April|May|June|July|August|September|October|November|December"
)
_NAME_END = (
    r"And|Or|For|To|In|On|At|By|Of|With|From|The|A|An|Before|After|Next|This|That|So|But|"
    r"Instead|Because|As|I|We|They|It"
)
_WORD = r"[A-Z][A-Za-z0-9]*(?:[.&+-][A-Za-z0-9]+)*"
# The trailing words are possessive ({0,3}+) so a rejected follower ("Local Law 97
# requirements") cannot be dodged by giving back words.
_PRODUCT = (
    rf"(?P<product>(?!(?:{_NOT_PRODUCT})\b){_WORD}"
    rf"(?:\s+(?:(?!(?:{_NAME_END})\b){_WORD}|\d[\w.]*)){{0,3}}+)"
    r"(?!\s+(?i:polic(?:y|ies)|laws?|ordinances?|requirements?|programs?|initiatives?|plans?|"
    r"rules?|regulations?|standards?|guidance|acts?|mandates?|codes?)\b)"
)
_THE = r"(?:(?i:the|an?|additional|more)\s+)?"


def _solution(nouns: str) -> str:
    return rf"(?i:{_DETERMINER}{_DESCRIBING}(?:{nouns}){_NOUN_END})"


def _compile(pattern: str) -> re.Pattern[str]:
    # Case-insensitive parts are marked (?i:...); product names stay case-sensitive.
    return re.compile(rf"\b{pattern}")


RULES: tuple[FramingRule, ...] = (
    FramingRule(
        id="build_app",
        pattern=_compile(rf"(?i:{_MAKE})\s+{_solution(_APP_NOUNS)}"),
        prescribes="an app, website or portal to build",
        suggestion=(
            "Describe what residents or staff cannot do today, how they get by now and what "
            "would be different for them, rather than the app you have in mind."
        ),
    ),
    FramingRule(
        id="build_dashboard",
        pattern=_compile(rf"(?i:{_MAKE})\s+{_solution(_DASHBOARD_NOUNS)}"),
        prescribes="a dashboard to build",
        suggestion=(
            "Describe the decisions people need to make, the information they lack or wait for "
            "today and what they would do differently with it, rather than the dashboard."
        ),
    ),
    FramingRule(
        id="need_system",
        pattern=_compile(rf"(?i:{_MAKE})\s+{_solution(_SYSTEM_NOUNS)}"),
        prescribes="a system or software to put in place",
        suggestion=(
            "Describe the work that is hard today, who does it, what goes wrong and what should "
            "change, rather than the system or software you have in mind."
        ),
    ),
    FramingRule(
        id="buy_product",
        pattern=_compile(rf"(?i:{_BUY})\s+(?:{_solution(_ANY_NOUN)}|{_THE}{_PRODUCT})"),
        prescribes="a product to buy",
        suggestion=(
            "Describe the problem the purchase should solve: who is affected, what it costs "
            "them today and what outcome you need. DTI can then compare options, including "
            "tools the city already owns."
        ),
    ),
    FramingRule(
        id="implement_product",
        pattern=_compile(rf"(?i:{_IMPLEMENT})\s+{_THE}{_PRODUCT}"),
        prescribes="a product to implement",
        suggestion=(
            "Describe the process the product is meant to fix, who it affects and what should "
            "be different afterwards, so the team can test whether that product fits."
        ),
    ),
    FramingRule(
        id="migrate_to_product",
        pattern=_compile(
            rf"(?i:{_MIGRATE})\s+(?:(?i:the\s+cloud)\b|{_solution(_ANY_NOUN)}|{_THE}{_PRODUCT})"
        ),
        prescribes="a platform to move to",
        suggestion=(
            "Describe what is failing in what you use today (cost, risk, support ending, staff "
            "workarounds) and who it affects, rather than the platform to move to."
        ),
    ),
    FramingRule(
        id="replace_with_product",
        pattern=_compile(
            r"(?i:replac(?:e|ing)\s+(?:(?!with\b)[\w'\u2019/-]+\s+){1,6}?with)\s+"
            rf"(?:{_solution(_ANY_NOUN)}|{_THE}{_PRODUCT})"
        ),
        prescribes="a replacement chosen in advance",
        suggestion=(
            "Describe what is wrong with what you use today, who it affects and any deadline "
            "driving the change (contract end, support ending), rather than its replacement."
        ),
    ),
)

# Vendors whose names look like ordinary words, recognised even in Title Case text.
_KNOWN_VENDORS = frozenset(
    {
        "Accela", "Adobe", "Airtable", "Amazon", "Apple", "Cisco", "Cityworks", "Databricks",
        "Dynamics", "Esri", "Google", "Granicus", "Hansen", "Infor", "Kronos", "Laserfiche",
        "Microsoft", "Motorola", "Okta", "Oracle", "Salesforce", "Slack", "Smartsheet",
        "Snowflake", "Socrata", "Tableau", "Tyler", "Workday", "Zendesk", "Zoom",
    }
)  # fmt: skip
_LONG_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]{3,}")
_DISTINCTIVE = re.compile(r"[a-z][A-Z]|\b[A-Z]{2,}\b|\d")
_FIELDS = ("title", "problem_statement", "desired_outcome")


def _is_title_case(text: str) -> bool:
    """True when every word of four or more letters is capitalised (at least three of them)."""
    words = _LONG_WORD.findall(text)
    return len(words) >= 3 and all(word[0].isupper() for word in words)


def _looks_like_product(name: str) -> bool:
    """In Title Case text, only CamelCase, capitals, versions or known vendors mark a product."""
    return bool(_DISTINCTIVE.search(name)) or any(w in _KNOWN_VENDORS for w in name.split())


def _hints_in(field: str, text: str) -> list[FramingHint]:
    title_case = _is_title_case(text)
    taken: list[tuple[int, int]] = []
    hints: list[FramingHint] = []
    for rule in RULES:
        for match in rule.pattern.finditer(text):
            product = match.groupdict().get("product")
            if title_case and product is not None and not _looks_like_product(product):
                continue
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue  # an earlier rule (or match) already explains these words
            taken.append((start, end))
            phrase = match.group()
            hints.append(
                FramingHint(
                    field=field,
                    rule=rule.id,
                    phrase=phrase,
                    start=start,
                    message=f'The text prescribes a solution ("{phrase}"): {rule.prescribes}.',
                    suggestion=rule.suggestion,
                )
            )
    hints.sort(key=lambda hint: hint.start)
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
