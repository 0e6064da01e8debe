"""Framing hints: spot text that prescribes a solution instead of describing a problem.

Departments often arrive with a solution in mind ("we need an app", "buy Salesforce"). Intake
still accepts such a problem, but returns hints that quote the words and say how to restate
the underlying need. The rules are a small grammar over the words of each field, so every hint
can be explained by the verb and the object that triggered it; there is no scoring and no
model, and the same text always gets the same hints. The word lists are sections of
``framing_words.txt`` (read by ``framing_words.py``); the grammar is ``framing_grammar.py``.

**A hint is a solution verb with a solution object**, in one clause (clauses end at ``. ! ? ;
:``, brackets and dashes), in either order and in any inflection:

- *Verbs* (``VERBS``) come in classes: wanting (need, want, require, would like or love, ask
  for, look for, envision, "there should be", "should have", "what we need is", "the answer
  would be", "how about"), building (build, create, develop, make, launch, design, provide, set
  up, stand up, pilot, write, start, give, offer, send, equip ... with, ...), implementing
  (implement, deploy, install, configure, adopt, roll out), buying (buy, purchase, procure,
  acquire, license, lease, subscribe to, sign up for, invest in, "licenses for", "funding
  for"), moving (migrate, move to, switch to, transition to, upgrade, modernise, convert to),
  placing (put, bring, load, publish, post, add, upload: "into Accela", "online", "on an
  interactive map", "as an ArcGIS layer"), replacing (replace, rebuild, redesign, overhaul,
  revamp) and automating (automate, digitise, computerise, "go digital", "go paperless", and
  scan, for paper). Each verb is known in all its forms (build, builds, building, built) and as
  a noun (purchase, implementation, migration, rollout, automation, "a need for"). Giving verbs
  take whom it is for first ("give our drivers a GPS app").
- *Objects* (``OBJECTS``) are the heads of noun phrases that name technology: apps, websites,
  portals, chatbots and kiosks; dashboards, scorecards and visualisations; systems, software,
  platforms, databases, CRM, ERP, GIS, AI, APIs, scripts, the cloud; devices (tablets, laptops,
  phones, scanners, sensors, drones). Some count only with a describing word (``QUALIFIED``): a
  *mobile* application (an application is usually a permit application), a *software* tool, a
  *data* warehouse, an *online* form. A system described by a physical word (HVAC, sprinkler,
  filing, traffic) is equipment, not software; one modelled on a product ("a Petfinder-style
  page") is software. A solution word before an undertaking ("a drone program", "a chatbot
  pilot") is the object. A named product counts too: a capitalised name (Salesforce, Tyler
  EnerGov, Windows 11) or a well-known vendor ("Power BI"), also as a describing word ("a
  SharePoint site") or used as a verb ("would like to DocuSign every contract", "can we
  dashboard the data"). A misspelt object or verb is read as meant when it is a rare word one
  edit from exactly one of them ("labtops"; ``spelling.py``).
- *Means*: in a clause that prescribes ("should", "must", "could", "needs to", or a command
  that enables: "let", "allow", "enable"), a new solution after "through", "via", "using",
  "with", "on" or "in" ("patients should book through a self-scheduling tool"), and after an
  enabling command, "online" ("let residents renew online"). A wanting clause prescribes its
  means too ("we want residents to pay with Apple Pay"), and so does a command whose object is
  not a solution ("set up appointment booking with Calendly").
- *Outcomes and hopes*: a new solution said to help ("a GIS-based tool would let planners
  ..."), and a desired outcome stated as the solution delivered: a new one ("A new CRM is
  live", "we have a mobile inspection app", "One unified CRM for all departments"); one that
  people use, have, carry or get ("meter readers use handheld RFID scanners", "the fleet has
  GPS trackers", "its own GIS portal"); one a process runs through ("hiring runs through
  NEOGOV", "signed with DocuSign", "check out at self-service kiosks", "is fully on Microsoft
  365"); one as the subject said to be live or to act ("the 311 chatbot is live", "Salesforce
  is the system of record", "kiosks in every branch let patrons renew cards"); a solution verb
  in the passive ("body cameras are deployed", "the permitting system is integrated with the
  state API", "logs replaced by digital forms", "the department has moved to the cloud"); and
  an everyday verb as a habit ("clerks scan every document").
- *Order*: the verb before the object ("build a dashboard of overtime by unit", "purchase
  tablets and an app"), the object before a passive verb ("a new portal should be built", "an
  app is needed"), or the object naming the act ("CRM implementation", "tablet purchase",
  "migration of the Access database").

What keeps plain problem descriptions free of hints:

- *Tense*: a past or perfect verb describes what happened ("we built an app in 2019", "the
  system was implemented in 2015"); only a base form, an ``-ing`` form, a noun, or a passive
  after a modal ("should be replaced", "needs to be migrated", "is needed") prescribes.
- *Negation*: "not", "never", "no", "without", "instead of" just before the verb.
- *Commands, not habits*: verbs that are everyday work (use, put, post, add, load, bring,
  scan, send, give, write, start, have) prescribe only as a command, after a modal, or in a
  question ("could we add ..."); "staff have to use fillable PDF forms" and a sentence
  opening "To apply, ..." describe what people do today.
- *Dated acts*: "since the Munis upgrade", "after the 2019 CRM implementation" happened.
- *Outcomes about today*: an outcome's clause that says what is so now ("already",
  "currently", "today", "existing", "still") or contrasts with it ("but", "though") names its
  tools as context ("even though the data today sits in Accela"); a product counts in an
  outcome only after a usage verb or a means ("through", "via", "using", "signed with"), not
  where data is kept ("in Munis", "into Excel", "from Munis exports"); a solution as the
  subject counts only when it is said to be live or to act, and a past verb ("was
  implemented in 2015") or a negation ("nobody waits a week for a laptop", "applicants who
  lack a smartphone") anywhere before it in the clause keeps it clean; counted systems ("two
  systems instead of five", "between systems") are fewer, not new.
- *Someone else's solution*: "we were told to buy a new CRM, but ...", "the state requires
  us to go digital" report a solution or a mandate; a product "in" or "on" is where work is
  done today ("staff re-enter it in Munis"); licences "nobody uses" are held, not asked for;
  a device the public needs ("residents need a smartphone to apply") is a barrier.
- *What already exists*: wanting, building, buying or implementing "the system", "our app",
  "their tablets" is about something in place ("staff need the system to stop timing out");
  only a new one ("a", "new", "another", no article, "the new") is prescribed. Moving,
  replacing and automating are about what exists, so there "our Access database" counts.
- *Nouns that look like verbs*: "building permits", "the purchasing office", "license
  renewal system": an ambiguous word (``AMBIGUOUS``) counts as a verb only when an article,
  the object itself or a product follows it; an ``-ing`` form only when an article follows or
  it opens the clause.
- *Names that are not products*: civic words (City, Council, Local Law ...), languages, days,
  months, file formats, and a name followed by "policy", "law", "requirements" and the like.
  In Title Case text, where every word is capitalised, a product name must be CamelCase, all
  capitals, carry a version number or be a well-known vendor. Wanting or building a product
  needs a well-known vendor ("we need Salesforce"; "we need DPW crews" is not a product), or
  a mixed-case name in a command or after a modal ("could we add WhatsApp"); surnames
  (McDonald, DeKalb) are not products.

Which rule a hint carries (``RULES``) follows from the verb's class and the object's kind:
buying is ``buy_product``, moving ``migrate_to_product``, replacing ``replace_with_product``,
automating ``automate_process``; wanting, building or implementing an app is ``build_app``, a
dashboard ``build_dashboard``, a system ``need_system``, devices ``get_devices`` and a named
product ``implement_product``. Where two matches overlap in a field, the one starting first
wins, so each phrase gets one hint. Hints are ordered by field (title, problem_statement,
desired_outcome), then offset. docs/triage.md explains how to extend the word lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from intake.problems import framing_words as vocab
from intake.problems.framing_grammar import Reader
from intake.problems.framing_words import OBJECTS, VERBS

__all__ = ["OBJECTS", "RULES", "VERBS", "FramingHint", "FramingRule", "framing_hints"]


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
    taken: list[tuple[int, int]] = []
    hints: list[FramingHint] = []
    matches = reader.matches()
    if field == "title" and not matches and (bare := reader.title_object()) is not None:
        matches.append(bare)
    if field == "desired_outcome" and not matches and (bare := reader.outcome_solution()):
        matches.append(bare)
    for match in sorted(matches, key=lambda m: (m.first, m.last)):
        if any(match.first <= e and s <= match.last for s, e in taken):
            continue  # an earlier match already explains these words
        taken.append((match.first, match.last))
        start, phrase = reader.words(match.first, match.last)
        _, verb = reader.words(*match.verb) if match.verb else (0, "")
        _, thing = reader.words(match.object.start, match.object.end)
        rule = _RULES[match.rule]
        if match.verb and match.verb_lemma == "use" and verb.lower() in vocab.MEANS | {"online"}:
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
