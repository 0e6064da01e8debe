"""Framing hints: spot text that prescribes a solution instead of describing a problem.

Departments often arrive with a solution in mind ("we need an app", "buy Salesforce"). Intake
still accepts such a problem, but returns hints that quote the words and say how to restate
the underlying need. The rules are a small grammar over the words of each field, so every hint
can be explained by the verb and the object that triggered it; there is no scoring and no
model, and the same text always gets the same hints.

**A hint is a solution verb with a solution object**, in one clause (clauses end at ``. ! ? ;
:``, brackets and dashes), in either order and in any inflection:

- *Verbs* (``VERBS``) come in classes: wanting (need, want, require, would like, "there should
  be", "should have"), building (build, create, develop, make, launch, design, provide, set
  up, write, start, give, offer, send, equip ... with, ...), implementing (implement, deploy,
  install, configure, adopt, roll out), buying (buy, purchase, procure, acquire, license,
  lease, subscribe to, sign up for), moving (migrate, move to, switch to, transition to,
  upgrade, modernise, convert to), placing (put, bring, load, publish, post, add, upload:
  "into Accela", "online", "on an interactive map", "as an ArcGIS layer"), replacing (replace,
  rebuild, redesign, overhaul, revamp) and automating (automate, digitise, computerise, and
  scan, for paper). Each verb is known in all its forms (build, builds, building, built) and
  as a noun (purchase, implementation, migration, rollout, automation, "a need for"). Giving
  verbs take whom it is for first ("give our drivers a GPS app").
- *Objects* (``OBJECTS``) are the heads of noun phrases that name technology: apps, websites,
  portals, chatbots and kiosks; dashboards, scorecards and visualisations; systems, software,
  platforms, databases, CRM, ERP, GIS, AI, APIs, scripts, the cloud; devices (tablets,
  laptops, phones, scanners, sensors, drones). Some count only with a describing word
  (``QUALIFIED``): a *mobile* application (an application is usually a permit application), a
  *software* tool, a *data* warehouse, an *online* form. A system described by a physical word
  (HVAC, sprinkler, filing, traffic) is equipment, not software; one modelled on a product
  ("a Petfinder-style page") is software. A solution word before an undertaking ("a drone
  program", "a chatbot pilot") is the object. A named product counts too: a capitalised name
  (Salesforce, Tyler EnerGov, Windows 11) or a well-known vendor.
- *Means*: in a clause that prescribes ("should", "must", "could", "needs to", or a command
  that enables: "let", "allow", "enable"), a new solution after "through", "via", "using",
  "with", "on" or "in" ("patients should book through a self-scheduling tool"), and after an
  enabling command, "online" ("let residents renew online").
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

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

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

# Which rules stored hints were computed with: this module's own text, tables and code
# alike, so any change to it makes every stored hint stale (see ``stored_hints``).
RULES_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


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

# --- vocabulary -----------------------------------------------------------------------------

WANT, BUILD, IMPLEMENT, BUY, MIGRATE, PLACE, REPLACE, AUTOMATE = (
    "want", "build", "implement", "buy", "migrate", "place", "replace", "automate",
)  # fmt: skip
APP, DASHBOARD, SYSTEM, DEVICE, PRODUCT = "app", "dashboard", "system", "device", "product"

# Solution verbs by class. A phrasal verb is written with its particle ("set up"); one that
# only counts with a destination ("move to") is in DESTINATION.
VERBS: dict[str, str] = {
    **dict.fromkeys(("need", "want", "require", "would like", "have"), WANT),
    **dict.fromkeys(
        ("build", "create", "develop", "make", "launch", "design", "provide", "get",
         "set up", "stand up", "spin up", "put in place", "introduce", "write", "give", "offer",
         "send", "start", "equip"),
        BUILD,
    ),
    **dict.fromkeys(
        ("implement", "deploy", "install", "configure", "adopt", "roll out", "integrate",
         "use", "leverage", "utilize", "utilise"),
        IMPLEMENT,
    ),
    **dict.fromkeys(
        ("buy", "purchase", "procure", "acquire", "license", "licence", "lease", "subscribe to",
         "sign up for", "sign up with", "contract with"),
        BUY,
    ),
    **dict.fromkeys(
        ("migrate", "move", "switch", "transition", "upgrade", "modernize", "modernise",
         "convert", "port"),
        MIGRATE,
    ),
    **dict.fromkeys(("put", "bring", "load", "publish", "post", "add", "upload"), PLACE),
    **dict.fromkeys(("replace", "rebuild", "redesign", "overhaul", "revamp", "rewrite"), REPLACE),
    **dict.fromkeys(
        ("automate", "digitize", "digitise", "computerize", "computerise", "scan"), AUTOMATE
    ),
}  # fmt: skip
# Verbs that prescribe only as a command or after a modal ("use AI to ...", "we should use
# Salesforce", "could we add WhatsApp"), since "staff use Accela", "clerks scan the forms" or
# "we post notices online" describe the current process.
COMMAND_ONLY = frozenset(
    {"use", "leverage", "utilize", "utilise", "write", "give", "offer", "send", "start", "equip",
     "have", "put",
     "bring", "load", "publish", "post", "add", "upload", "scan", "contract"}
)  # fmt: skip
# Moving verbs that prescribe only with a destination ("move to the cloud"), not an object.
DESTINATION = frozenset({"move", "switch", "transition", "convert", "port"})
# Automating verbs that prescribe only for paper ("scan the case files", not "scan a dog").
PAPER_ONLY = frozenset({"scan"})
PAPER = frozenset(
    {"file", "files", "record", "records", "document", "documents", "form", "forms", "paper",
     "papers", "archive", "archives", "plan", "plans", "drawing", "drawings", "map", "maps",
     "ledger", "ledgers", "card", "cards", "binder", "binders", "folder", "folders", "box",
     "boxes", "microfilm", "microfiche", "permit", "permits", "deed", "deeds", "minute",
     "minutes", "report", "reports", "certificate", "certificates", "photo", "photos"}
)  # fmt: skip
# Placing verbs: something put somewhere ("bring permits into Accela", "put the map online",
# "publish scores on an interactive map"), or a solution added ("add WhatsApp as a channel").
PLACING = frozenset({"put", "bring", "load", "publish", "post", "add", "upload"})
# Giving verbs take whom it is for before the thing ("give our drivers a GPS app").
GIVING = frozenset({"give", "provide", "offer", "send", "get", "build", "make"})
# Words that are as often nouns or other verbs: a verb only when an article, the object or a
# product follows ("build a portal", not "building permits" or "license renewal system").
AMBIGUOUS = frozenset(
    {"build", "purchase", "license", "licence", "design", "need", "want", "upgrade", "lease",
     "launch", "switch", "move", "make", "get", "install", "replace", "overhaul", "rebuild",
     "redesign", "provide", "port", "convert", "require", "transition"}
)  # fmt: skip
_IRREGULAR = {
    "built": "build", "bought": "buy", "made": "make", "got": "get", "gotten": "get",
    "rebuilt": "rebuild", "rewrote": "rewrite", "rewritten": "rewrite", "stood": "stand",
    "spun": "spin", "wrote": "write", "written": "write", "gave": "give", "given": "give",
    "brought": "bring", "had": "have", "equipped": "equip",
}  # fmt: skip
# Nouns naming the act: "CRM implementation", "purchase of tablets", "a need for a portal".
NOMINALS: dict[str, str] = {
    "implementation": "implement", "deployment": "deploy", "installation": "install",
    "development": "develop", "procurement": "procure", "purchase": "purchase",
    "acquisition": "acquire", "migration": "migrate", "upgrade": "upgrade",
    "replacement": "replace", "automation": "automate", "digitization": "digitize",
    "digitisation": "digitise", "rollout": "roll out", "roll-out": "roll out",
    "build-out": "build", "buildout": "build", "rebuild": "rebuild", "redesign": "redesign",
    "overhaul": "overhaul", "modernization": "modernize", "modernisation": "modernise",
    "adoption": "adopt", "need": "need", "build": "build", "conversion": "convert",
}  # fmt: skip

# Heads of noun phrases that name a solution, by kind.
OBJECTS: dict[str, str] = {
    **dict.fromkeys(
        ("app", "website", "webpage", "microsite", "portal", "chatbot", "bot", "kiosk",
         "e-form", "eform", "viewer"),
        APP,
    ),
    **dict.fromkeys(
        ("dashboard", "scorecard", "visualization", "visualisation", "heatmap"), DASHBOARD
    ),
    **dict.fromkeys(
        ("system", "software", "platform", "database", "crm", "erp", "gis", "ai", "api",
         "blockchain", "algorithm", "saas", "rpa", "llm", "script", "cloud", "mainframe",
         "chatgpt", "copilot", "middleware", "registry", "macro"),
        SYSTEM,
    ),
    **dict.fromkeys(
        ("tablet", "ipad", "laptop", "smartphone", "cellphone", "phone", "device", "scanner",
         "sensor", "drone", "camera", "bodycam", "computer", "handheld", "hotspot", "tracker",
         "printer", "beacon", "e-reader", "ereader", "radio", "router", "server", "monitor",
         "terminal", "headset", "screen", "display"),
        DEVICE,
    ),
}  # fmt: skip
# Heads that name a solution only after one of these words ("a mobile application").
QUALIFIED: dict[str, tuple[frozenset[str], str]] = {
    "application": (frozenset({"mobile", "web", "smartphone", "phone", "software", "online"}), APP),
    "site": (frozenset({"web"}), APP),
    "form": (frozenset({"online", "web", "digital", "electronic", "fillable"}), APP),
    "map": (
        frozenset({"interactive", "online", "web", "digital", "heat", "story", "3d", "gis",
                   "live", "real-time"}),
        DASHBOARD,
    ),
    "directory": (frozenset({"online", "web", "digital", "searchable", "interactive"}), APP),
    "catalog": (frozenset({"online", "web", "digital", "searchable"}), APP),
    "calendar": (frozenset({"online", "web", "digital", "shared"}), APP),
    "book": (frozenset({"electronic", "e-poll", "epoll"}), DEVICE),
    "tool": (
        frozenset({"software", "digital", "online", "web", "ai", "bi", "analytics", "reporting",
                   "data", "tracking", "workflow", "ticketing", "scheduling", "texting",
                   "messaging", "notification", "alert"}),
        SYSTEM,
    ),
    "solution": (
        frozenset({"software", "technology", "tech", "digital", "it", "cloud", "saas", "ai",
                   "online", "web"}),
        SYSTEM,
    ),
    "warehouse": (frozenset({"data"}), SYSTEM),
    "lake": (frozenset({"data"}), SYSTEM),
    "intelligence": (frozenset({"artificial", "business"}), SYSTEM),
    "learning": (frozenset({"machine"}), SYSTEM),
    "unit": (frozenset({"gps"}), DEVICE),
    "service": (
        frozenset({"video", "interpreting", "software", "cloud", "subscription", "texting",
                   "sms", "messaging", "streaming", "hosting"}),
        SYSTEM,
    ),
    "base": (frozenset({"knowledge"}), SYSTEM),
    "assistant": (frozenset({"ai", "virtual", "digital", "voice"}), APP),
    "meter": (frozenset({"smart", "digital", "electronic", "wireless"}), DEVICE),
    "reader": (frozenset({"plate", "card", "badge", "rfid", "barcode", "meter"}), DEVICE),
    "planner": (frozenset({"trip", "route", "journey", "online"}), APP),
    "page": (
        frozenset({"web", "online", "landing", "facebook", "social", "searchable", "interactive"}),
        APP,
    ),
    "chat": (frozenset({"live", "web", "online"}), APP),
    "layer": (frozenset({"gis", "web", "map", "online"}), DASHBOARD),
    "code": (frozenset({"qr"}), DEVICE),
    **dict.fromkeys(
        ("notification", "alert", "reminder", "message"),
        (frozenset({"text", "sms", "push", "automated", "automatic", "email", "e-mail",
                    "texting"}), SYSTEM),
    ),
}  # fmt: skip
# Heads that name an undertaking: a solution word before one is still the object ("launch a
# drone program", "a chatbot pilot").
UNDERTAKINGS = frozenset({"program", "programme", "project", "pilot", "initiative"})
# Describing words that make any head technology ("self-return machines", "wearable air
# quality monitors", "an online knowledge base"), unless the head is abstract (ABSTRACT).
TECH_MODIFIERS = frozenset(
    {"smart", "wearable", "digital", "electronic", "automated", "automatic", "online",
     "contactless", "self-service", "self-return", "self-checkout", "virtual", "wireless",
     "cloud-based", "web-based", "ai-powered", "mobile", "touchscreen", "touch-screen"}
)  # fmt: skip
ABSTRACT = frozenset(
    {"access", "service", "payment", "option", "information", "help", "support", "training",
     "presence", "version", "copy", "record", "way", "process", "communication", "outreach",
     "meeting", "hearing", "class", "program", "learning", "engagement", "safety", "banking",
     "world", "age", "era", "future", "format", "signature", "submission", "filing",
     "renewal", "application", "request", "booking", "ordering", "transaction", "content",
     "storage", "document", "data", "check-in", "registration"}
)  # fmt: skip
# Describing words that make a "system" or "platform" equipment rather than software.
PHYSICAL = frozenset(
    {"hvac", "heating", "cooling", "ventilation", "alarm", "fire", "sprinkler", "irrigation",
     "drainage", "sewer", "water", "plumbing", "electrical", "lighting", "sound", "filing",
     "parking", "traffic", "signal", "transit", "bus", "train", "rail", "loading", "viewing",
     "septic", "storm", "phone", "telephone", "pa", "security", "solar", "power", "court",
     "school", "justice", "shelter", "highway", "road", "buddy", "point", "honor", "honour",
     "paper", "manual", "legal", "welfare", "foster", "care", "health", "tax", "voting",
     "classification", "numbering", "grading", "rating", "reward", "merit", "lottery",
     "docking", "immune", "nervous", "belief", "value", "support"}
)  # fmt: skip


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Articles and the like that open a noun phrase; the second set marks something that exists.
_NEW = frozenset(
    {"a", "an", "another", "new", "some", "more", "additional", "one", "two", "three", "four",
     "five", "ten", "several", "multiple", "few", "extra", "modern", "us", "me", "them",
     "better", "proper", "single", "central", "centralized", "centralised", "dedicated",
     "custom", "own"}
)  # fmt: skip
_OLD = frozenset(
    {"the", "our", "their", "its", "this", "that", "these", "those", "my", "your", "his", "her",
     "existing", "current", "old", "legacy", "same", "it", "them"}
)  # fmt: skip
_OPENERS = _NEW | _OLD
_SEVERAL = frozenset({"two", "three", "four", "five", "ten", "several", "multiple"})
# Words that end a noun phrase, so they cannot describe a solution noun.
_JOINING = _words(
    "the a an to for of and or but nor that which who whom whose with without in on at by "
    "from into about is are was were be been it its this these those our their his her your "
    "my we they you i he she sure not no than as so if when where while because all any each "
    "every can cannot could would should will must do does did have has had get way ways over "
    "under after before during through across per via between"
)
# Words before an act named as a noun that date it: "since the Munis upgrade" happened.
_TEMPORAL = frozenset({"since", "after", "during", "following", "until", "before", "from"})
# Prepositions that name the means in a prescriptive clause ("book through an online calendar").
_MEANS = frozenset({"through", "via", "using", "with", "on", "in"})
# Commands that enable someone ("let residents renew online"); the clause prescribes a means.
_ENABLING = frozenset({"let", "allow", "enable", "please"})
_PRESCRIBING = frozenset({"should", "must", "shall", "could"})
# "have to use": what people must do today, not a prescription.
_OBLIGED = frozenset({"have", "has", "had", "having", "got"})
# Where a solution goes: after replacing "with", moving "to", placing "into", "on", "as" ...
_WITH, _TO = frozenset({"with"}), frozenset({"to", "into"})
_PLACES = frozenset({"into", "onto", "to", "on", "in", "as", "online"})
# Surname prefixes whose names look like product names ("McDonald", "DeKalb").
_SURNAME = re.compile(r"(?:Mc|Mac|De|Di|La|Le|Van|Von|O')[A-Z]")
# Words that may follow a solution noun that heads its phrase ("an app residents can use").
_FOLLOWERS = _words(
    "for to that which who where so with and or but like similar instead because in on at by "
    "from we they residents staff people users customers businesses the our their this these "
    "asap now soon today next before after as is are was were would will should could can such "
    "must when if than built designed developed owned hosted managed of into across "
    "throughout within downtown citywide everywhere here there immediately first"
)
# Words that make a compound noun with an ambiguous verb ("purchase order", "license fee").
_COMPOUNDS = frozenset(
    {"order", "permit", "card", "request", "renewal", "fee", "plan", "inspection", "code",
     "department", "history", "price", "record", "application", "agreement", "date",
     "number", "type", "category", "status", "plate", "holder"}
)  # fmt: skip
# Finite verbs that show a title describes a problem ("New portal keeps timing out").
_FINITE = _words(
    "is are was were has have had does do did can cannot can't won't isn't aren't doesn't "
    "don't didn't wasn't weren't keeps keep lose loses lost crash crashes crashed fail fails "
    "failed break breaks broke broken show shows take takes took lack lacks miss misses "
    "missed go goes went stop stops stopped freeze freezes froze need needs get gets cause "
    "causes caused slow slows confuse confuses confusing delay delays delayed"
)
_NEGATIONS = frozenset({"not", "never", "no", "without", "instead", "nor", "cannot"})
_MODALS = frozenset(
    {"should", "must", "will", "would", "could", "can", "to", "shall", "might", "may"}
)
_SUBJECTS = frozenset({"we", "i", "they", "you"})
_ADVERBS = frozenset(
    {"really", "urgently", "just", "still", "also", "badly", "desperately", "simply", "now"}
)

# Capitalised words that start names of things other than products.
_NOT_PRODUCT = _words(
    "City County State Federal Council Department Dept Mayor Office Division Bureau Board "
    "Commission Agency Local Law Executive Order Vision Title Section Phase Step Part Option "
    "Plan Program Version New ADA HIPAA CJIS FOIA GDPR PDF CSV HTML JSON XML I We They It "
    "This That The A An English Spanish Chinese Mandarin Cantonese Vietnamese Korean Tagalog "
    "Arabic French Haitian Creole Russian Portuguese Somali Amharic Bengali Hindi Urdu Polish "
    "Japanese Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March "
    "April May June July August September October November December DTI HR IT Our Their Its "
    "Residents Staff Inspectors Crews"
)
_NAME_END = _words(
    "And Or For To In On At By Of With From The A An Before After Next This That So But "
    "Instead Because As I We They It"
)
_NOT_PRODUCT_AFTER = re.compile(
    r"polic(?:y|ies)|laws?|ordinances?|requirements?|programs?|initiatives?|plans?|rules?|"
    r"regulations?|standards?|guidance|acts?|mandates?|codes?|department|office|staff|crews?|"
    r"residents?",
    re.IGNORECASE,
)
# Vendors and products whose names look like ordinary words, recognised in any text.
_KNOWN_VENDORS = frozenset(
    {
        "Accela", "Adobe", "Airtable", "Amazon", "Apple", "ArcGIS", "Asana", "AWS", "Azure",
        "ChatGPT", "Cisco", "Cityworks", "Copilot", "Databricks", "DocuSign", "Dynamics",
        "EnerGov", "Esri", "Genesys", "Google", "Granicus", "Hansen", "Infor", "iPad", "iPads",
        "Kronos", "Laserfiche", "Microsoft", "Motorola", "Munis", "Okta", "OpenAI", "Oracle",
        "PeopleSoft", "Salesforce", "SAP", "ServiceNow", "SharePoint", "Slack", "Smartsheet",
        "Snowflake", "Socrata", "Tableau", "Tyler", "Workday", "Zendesk", "Zoom",
    }
)  # fmt: skip
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
_FIELDS = ("title", "problem_statement", "desired_outcome")


def _verb_forms() -> dict[str, tuple[str, str]]:
    """Every inflection of a verb's head word: form -> (lemma, "base"|"s"|"ing"|"past")."""
    forms: dict[str, tuple[str, str]] = {}
    heads = {verb.split()[0] for verb in VERBS} | {"set", "stand", "spin", "roll", "put"}
    heads -= {"would"}
    for head in heads:
        stem = head[:-1] if head.endswith("e") else head
        double = head + head[-1] if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnpt]", head) else head
        ing = (double if double != head else stem) + "ing"
        past = (stem if head.endswith("e") else double) + "ed"
        third = head + ("es" if head.endswith(("s", "sh", "ch", "x", "z")) else "s")
        forms[ing] = (head, "ing")
        forms[past] = (head, "past")
        forms[third] = (head, "s")
        forms[head] = (head, "base")
    for form, head in _IRREGULAR.items():
        forms[form] = (head, "past")
    forms["has"] = ("have", "s")
    forms["equipping"] = ("equip", "ing")
    return forms


_FORMS = _verb_forms()


@dataclass(slots=True)
class _Token:
    text: str
    low: str
    start: int
    end: int
    clause: int
    soft_before: bool  # a comma or slash between this token and the previous one
    sentence_start: bool

    @property
    def noun(self) -> str:
        """The word as a singular noun ("apps" -> "app", "app's" -> "app")."""
        word = re.sub(r"['\u2019]s$", "", self.low)
        if word not in OBJECTS and word not in QUALIFIED:
            for suffix, replacement in (("ies", "y"), ("es", ""), ("s", "")):
                if word.endswith(suffix) and word[: -len(suffix)] + replacement in OBJECTS:
                    return word[: -len(suffix)] + replacement
                if word.endswith(suffix) and word[: -len(suffix)] + replacement in QUALIFIED:
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
        tokens.append(
            _Token(
                text=word,
                low=word.lower().replace("\u2019", "'"),
                start=found.start(),
                end=found.end(),
                clause=clause,
                soft_before=bool(tokens) and bool(_SOFT_GAP.search(gap)),
                sentence_start=sentence,
            )
        )
        previous_end = found.end()
    return tokens


class _Reader:
    """The grammar applied to one field's words."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        words = _LONG_WORD.findall(text)
        self.title_case = len(words) >= 3 and all(word[0].isupper() for word in words)

    def at(self, index: int, clause: int) -> _Token | None:
        """The token at ``index`` if it is in ``clause`` (else None)."""
        if 0 <= index < len(self.tokens) and self.tokens[index].clause == clause:
            return self.tokens[index]
        return None

    # -- objects ------------------------------------------------------------------------------

    def kind_of(self, index: int) -> str | None:
        """The object kind of the word at ``index`` as the head of its phrase, if it is one."""
        token = self.tokens[index]
        noun = token.noun
        if noun in OBJECTS:
            kind = OBJECTS[noun]
            if noun in ("system", "platform", "software", "database"):
                before = self.at(index - 1, token.clause)
                if before is not None and before.noun in PHYSICAL:
                    return None
            return kind
        if noun in QUALIFIED:
            qualifiers, kind = QUALIFIED[noun]
            for back in (1, 2):
                before = self.at(index - back, token.clause)
                if before is None or before.low in _JOINING:
                    break
                if {before.low, before.noun, before.low.rsplit("-", 1)[-1]} & qualifiers:
                    return kind  # "a mobile application", "a self-scheduling tool"
                if back == 1 and before.noun in OBJECTS:
                    return OBJECTS[before.noun]  # "a visualization tool", "a GIS platform"
        if noun not in ABSTRACT and noun.rstrip("s") not in ABSTRACT:
            for back in (1, 2, 3):
                before = self.at(index - back, token.clause)
                if before is None or before.low in _JOINING:
                    break
                if before.low in TECH_MODIFIERS or _STYLED.fullmatch(before.text):
                    return DEVICE if before.low in ("wearable", "smart", "self-return") else APP
        return None

    def is_head(self, index: int) -> bool:
        """An object word that ends its phrase: nothing but a joining word may follow."""
        token = self.tokens[index]
        after = self.at(index + 1, token.clause)
        if after is None or after.soft_before:
            return True
        # a reduced relative clause also ends it: "a website showing", "trackers installed"
        participle = after.low.endswith("ing") or _FORMS.get(after.low, ("", ""))[1] == "past"
        return after.low in _FOLLOWERS or participle

    def product(
        self, index: int, clause: int, vendors_only: bool, commanded: bool = False
    ) -> int | None:
        """The last token index of a product name starting at ``index``, if one does.

        ``vendors_only``: only a well-known vendor, or, where the clause commands
        (``commanded``), a mixed-case name ("WhatsApp", "REDCap") that no agency is called."""
        token = self.at(index, clause)
        if token is None or not token.text[:1].isupper() or token.text in _NOT_PRODUCT:
            return None
        last = index
        while last - index < 3:
            nxt = self.at(last + 1, clause)
            if nxt is None or nxt.soft_before or nxt.text in _NAME_END:
                break
            if not (nxt.text[:1].isupper() or nxt.text[:1].isdigit()):
                break
            last += 1
        after = self.at(last + 1, clause)
        if after is not None and _NOT_PRODUCT_AFTER.fullmatch(after.low):
            return None
        names = [t.text for t in self.tokens[index : last + 1]]
        known = any(name in _KNOWN_VENDORS for name in names) or (
            commanded
            and any(_MIXED_CASE.match(name) and not _SURNAME.match(name) for name in names)
        )
        if vendors_only or self.title_case or token.sentence_start:
            distinctive = any(_DISTINCTIVE.search(name) for name in names)
            if not known and (vendors_only or not distinctive):
                return None
        if all(t.noun in OBJECTS or t.noun in QUALIFIED for t in self.tokens[index : last + 1]):
            return None  # "CRM", "AI": an object word, not a product name
        return last

    def phrase_after(
        self, index: int, clause: int, vendors_only: bool, commanded: bool = False
    ) -> _Object | None:
        """The solution noun phrase starting at ``index``: openers, up to four describing
        words and a solution head, or a product name."""
        opener: str | None = None
        k = index
        while k - index < 3:
            token = self.at(k, clause)
            if token is None or (k > index and token.soft_before) or token.low not in _OPENERS:
                break
            if token.low in _NEW or (opener == "old" and token.low == "new"):
                opener = "new" if opener is None or token.low == "new" else opener
            elif opener is None:
                opener = "old"
            k += 1
        first = self.at(k, clause)
        if first is None or (k > index and first.soft_before):
            return None
        end = self.product(k, clause, vendors_only, commanded)
        if end is not None:
            return _Object(PRODUCT, k, end, opener)
        for j in range(k, k + 5):
            token = self.at(j, clause)
            if token is None or (j > k and token.soft_before):
                return None
            kind = self.kind_of(j)
            if kind is not None and self.is_head(j):
                return _Object(kind, k, j, opener)
            undertaking = self.at(j + 1, clause)
            if kind is not None and undertaking is not None and undertaking.low in UNDERTAKINGS:
                return _Object(kind, k, j + 1, opener)  # "a drone program"
            if kind is None and token.low in _JOINING:
                return None
        return None

    def subject_before(self, index: int, clause: int) -> _Object | None:
        """What is to be automated, in the passive: the words before "should be"."""
        j = index - 1
        while (token := self.at(j, clause)) is not None and (
            token.low in _MODALS or token.low in ("be", "get", "needs", "need", "has", "have")
        ):
            j -= 1
        end = j
        while (token := self.at(j, clause)) is not None and token.low not in _JOINING:
            j -= 1
        if end <= j or self.tokens[end].low[:1].isdigit():
            return None  # nothing, or a number ("files from 1980 to 2010 should be scanned")
        return _Object(SYSTEM, j + 1, end, None)

    def phrase_before(self, index: int, clause: int) -> _Object | None:
        """The nearest solution noun phrase ending before ``index`` (up to 8 words back)."""
        for j in range(index - 1, max(index - 9, -1), -1):
            token = self.at(j, clause)
            if token is None:
                return None
            kind = self.kind_of(j)
            if kind is None or not self.is_head(j):
                if token.text in _KNOWN_VENDORS:
                    return _Object(PRODUCT, j, j, None)
                continue
            start = j
            while start - 1 >= 0 and start - j > -5:
                before = self.at(start - 1, clause)
                if before is None or self.tokens[start].soft_before:
                    break
                if before.low in _JOINING and before.low not in _OPENERS:
                    break
                start -= 1
            opener = next(
                (
                    "old" if t.low in _OLD else "new"
                    for t in self.tokens[start:j]
                    if t.low in _OPENERS
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
        if low in ("would", "we'd", "i'd", "they'd"):
            nxt = self.at(index + 1, clause)
            if nxt is not None and nxt.low == "like":
                return "would like", "base", index + 1
            return None
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
        found = _FORMS.get(low)
        if found is None:
            return None
        head, form = found
        for verb in VERBS:
            words = verb.split()
            if words[0] != head or len(words) == 1:
                continue
            rest = [self.at(index + n, clause) for n in range(1, len(words))]
            if all(t is not None and t.low == w for t, w in zip(rest, words[1:], strict=True)):
                return verb, form, index + len(words) - 1
        if head in VERBS:
            return head, form, index
        return None

    def negated(self, index: int, clause: int) -> bool:
        for j in range(index - 1, index - 4, -1):
            token = self.at(j, clause)
            if token is None:
                return False
            if token.low in _NEGATIONS or token.low.endswith("n't"):
                return True
        return False

    def commanded(self, index: int, clause: int) -> bool:
        """The verb at ``index`` is a command or follows a modal: "Use AI", "we should use",
        "please add", "could we add", "can 311 get" (a question), but not "staff have to use"
        (what they must do today) nor "staff can use" (what they can)."""
        before = self.at(index - 1, clause)
        if before is None or before.low in ("please", "let's", "lets"):
            return True
        if before.low == "to":  # not "To apply, residents ..." (a purpose) nor "have to use"
            obliged = self.at(index - 2, clause)
            return obliged is not None and obliged.low not in _OBLIGED
        if before.low in _MODALS - {"can", "may"}:
            return True
        for back in (2, 3):  # a question: the modal opens the clause, then its subject
            modal = self.at(index - back, clause)
            if modal is None or self.at(index - back - 1, clause) is not None:
                continue
            subject = self.tokens[index - back + 1 : index]
            if modal.low in _MODALS - {"to"} and not any(
                t.low in _JOINING and t.low not in _SUBJECTS for t in subject
            ):
                return True
        return False

    def prescriptive_participle(self, index: int, clause: int, lemma: str) -> bool:
        """A past participle after "be" and a modal ("should be built", "needs to be
        replaced", "should be scanned and loaded"), or wanting in the passive ("an app is
        needed")."""
        before = self.at(index - 1, clause)
        if before is None:
            return False
        if VERBS[lemma] == WANT and before.low in ("is", "are"):
            return True
        if before.low in ("and", "or"):  # the second of two: "scanned and loaded"
            first = self.at(index - 2, clause)
            found = _FORMS.get(first.low) if first is not None else None
            return found is not None and found[1] == "past" and self.after_modal_be(index - 2)
        return self.after_modal_be(index)

    def after_modal_be(self, index: int) -> bool:
        """ "should be" or "needs to get" just before the word at ``index``."""
        clause = self.tokens[index].clause
        before = self.at(index - 1, clause)
        if before is None or before.low not in ("be", "get"):
            return False
        modal = self.at(index - 2, clause)
        return modal is not None and (modal.low in _MODALS or modal.low.endswith("'ll"))

    def matches(self) -> list[_Match]:
        found: list[_Match] = []
        for index, token in enumerate(self.tokens):
            match = self.match_verb(index) or self.match_nominal(index) or self.match_means(index)
            if match is not None:
                found.append(match)
            del token
        return found

    def match_verb(self, index: int) -> _Match | None:
        verb = self.verb_at(index)
        if verb is None:
            return None
        lemma, form, last = verb
        token = self.tokens[index]
        clause = token.clause
        cls = VERBS[lemma]
        before = self.at(index - 1, clause)
        if self.negated(index, clause):
            return None
        commanded = form == "base" and self.commanded(index, clause)
        if form == "past":
            if not self.prescriptive_participle(index, clause, lemma):
                return None
            if cls == PLACE:  # "should be loaded into a document management system"
                obj = self.destination(last + 1, clause, _PLACES, commanded=True)
            else:
                obj = self.phrase_before(index, clause)
            if obj is None and cls == AUTOMATE:
                obj = self.subject_before(index, clause)
            if obj is None or not self.fits(cls, lemma, obj, passive=True):
                return None
            return self.build(cls, min(obj.start, index), last, (index, last), lemma, obj)
        if lemma in COMMAND_ONLY and not commanded:
            return None
        if lemma == "have" and (before is None or before.low not in ("should", "must", "shall")):
            return None  # "we should have a portal"; "have DTI build it" is about "build"
        if form in ("base", "s") and before is not None and before.low in _OPENERS - {"us"}:
            return None  # "the build", "our purchase": a noun (see match_nominal)
        if form == "ing" and not token.sentence_start:
            nxt = self.at(last + 1, clause)
            prev_ok = before is None or before.low in _MODALS | {
                "are",
                "is",
                "am",
                "start",
                "begin",
                "about",
                "on",
            }
            if nxt is None or (nxt.low not in _OPENERS and not prev_ok):
                return None
        head = lemma.split()[0]
        nxt = self.at(last + 1, clause)
        if nxt is None or nxt.soft_before:
            return None
        if cls == WANT:
            if form == "base" and before is not None and before.low == "a":
                return None
            k = last + 1
            if nxt.low == "to" and (second := self.at(k + 1, clause)) is not None:
                if second.low not in ("have", "get"):
                    return None  # "need to buy ...": the inner verb speaks for itself
                k += 2
            obj = self.phrase_after(k, clause, vendors_only=True, commanded=commanded)
        elif head in DESTINATION or (lemma == "upgrade" and nxt.low == "to"):
            obj = None
        else:
            strict = cls in (BUILD, PLACE)
            obj = self.phrase_after(last + 1, clause, vendors_only=strict, commanded=commanded)
            if obj is None and head in GIVING and commanded:
                obj = self.after_recipient(last + 1, clause)
        target = None
        if cls in (MIGRATE, REPLACE):
            target = self.destination(
                last + 1, clause, _WITH if cls == REPLACE else _TO, commanded=True, names=True
            )
            obj = target or obj
        elif cls == PLACE:
            target = self.destination(last + 1, clause, _PLACES, commanded=True)
            obj = target or obj
        elif head == "equip":  # "equip inspectors with body cameras"
            obj = self.destination(last + 1, clause, _WITH, commanded=True)
        if head in AMBIGUOUS and form != "ing" and cls != WANT and target is None:
            follows = nxt.low in _OPENERS or self.kind_of(last + 1) is not None
            # A command or a modal makes it a verb ("Purchase self-service kiosks"), unless
            # the next word usually makes a compound noun ("purchase order system").
            commanding = before is None or before.low in _MODALS | _SUBJECTS
            if not (follows or self.product(last + 1, clause, False) is not None) and not (
                commanding and nxt.noun not in _COMPOUNDS
            ):
                return None
        if cls == AUTOMATE and obj is None:
            obj = self.any_phrase(last + 1, clause)
            if obj is not None and head in PAPER_ONLY and self.tokens[obj.end].noun not in PAPER:
                return None  # "scan old case files", not "scan a dog"
        if obj is None or not self.fits(cls, lemma, obj, passive=False, commanded=commanded):
            return None
        first = index
        if cls == WANT:
            while (prev := self.at(first - 1, clause)) is not None and prev.low in _ADVERBS:
                first -= 1
            if (prev := self.at(first - 1, clause)) is not None and prev.low in _SUBJECTS:
                first -= 1
        return self.build(cls, first, obj.end, (index, last), lemma, obj)

    def match_means(self, index: int) -> _Match | None:
        """A new solution named as the means in a clause that prescribes: "residents should
        book through an online calendar", "let residents renew online"."""
        token = self.tokens[index]
        clause = token.clause
        if token.low not in _MEANS and token.low != "online":
            return None
        opening = index
        while self.at(opening - 1, clause) is not None:
            opening -= 1
        enabling = self.tokens[opening].low in _ENABLING
        words = [t.low for t in self.tokens[opening:index]]
        prescribing = any(
            word in _PRESCRIBING or (word == "to" and n > 0 and words[n - 1] in ("need", "needs"))
            for n, word in enumerate(words)
        )
        if token.low == "online":
            if not enabling or self.negated(index, clause):
                return None
            return self.build(
                IMPLEMENT, index, index, (index, index), "use", _Object(APP, index, index, "new")
            )
        if not (enabling or prescribing) or any(
            t.low in _NEGATIONS or t.low.endswith("n't") for t in self.tokens[opening:index]
        ):
            return None
        obj = self.phrase_after(index + 1, clause, vendors_only=True, commanded=True)
        if obj is None or obj.opener == "old":
            return None
        return self.build(IMPLEMENT, index, obj.end, (index, index), "use", obj)

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
        for j in range(index, index + 8):
            token = self.at(j, clause)
            if token is None or (token.soft_before and words is _PLACES):
                return (
                    None  # a place is in the verb's own phrase: "put X online", not after a comma
                )
            if token.low == "online" and "online" in words:
                return _Object(APP, j, j, "new")
            if token.low in words:
                nxt = self.at(j + 1, clause)
                cloud = self.at(j + 2, clause)
                if nxt is not None and nxt.low == "the" and cloud and cloud.noun == "cloud":
                    return _Object(SYSTEM, j + 1, j + 2, "new")
                if nxt is not None and nxt.noun == "cloud":
                    return _Object(SYSTEM, j + 1, j + 1, "new")
                return self.phrase_after(j + 1, clause, not names, commanded)
        return None

    def after_recipient(self, index: int, clause: int) -> _Object | None:
        """Giving someone something: "give our volunteer drivers a GPS app"."""
        for j in range(index + 1, index + 5):
            token = self.at(j, clause)
            if token is None or token.soft_before:
                return None
            if token.low in ("a", "an", "new"):
                return self.phrase_after(j, clause, vendors_only=True, commanded=True)
            if token.low in _JOINING and token.low not in _OLD:
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
            if token.low in _JOINING and token.low not in _OPENERS:
                break
            end = j
        if end is None or self.tokens[end].low in _OPENERS:
            return None
        return _Object(SYSTEM, index, end, None)

    def fits(
        self, cls: str, lemma: str, obj: _Object, passive: bool, commanded: bool = False
    ) -> bool:
        """Whether the object goes with the verb: wanting, building, buying or implementing
        something that exists is not prescribing it."""
        if cls in (WANT, BUILD, IMPLEMENT, BUY) and obj.opener == "old" and obj.kind != PRODUCT:
            return passive  # "the new portal should be built" reads as prescribing
        if cls in (WANT, BUILD) and obj.kind == PRODUCT:
            return (
                self.product(obj.start, self.tokens[obj.start].clause, True, commanded) is not None
            )
        return True

    def match_nominal(self, index: int) -> _Match | None:
        """ "CRM implementation", "tablet purchase", "purchase of tablets", "a need for a
        portal": the act named as a noun."""
        token = self.tokens[index]
        lemma = NOMINALS.get(token.low.removesuffix("s") if token.low.endswith("s") else token.low)
        if lemma is None:
            lemma = NOMINALS.get(token.low)
        if lemma is None:
            return None
        clause, cls = token.clause, VERBS[lemma]
        if self.negated(index, clause):
            return None
        nxt = self.at(index + 1, clause)
        if nxt is not None and not nxt.soft_before and nxt.low in ("of", "for"):
            if cls == WANT and nxt.low != "for":
                return None
            obj = self.phrase_after(index + 2, clause, vendors_only=cls in (WANT, BUILD))
            if cls == MIGRATE:
                obj = self.destination(index + 2, clause, _TO, names=True) or obj
            if obj is not None and (cls != WANT or obj.opener != "old"):
                return self.build(cls, index, obj.end, (index, index), lemma, obj)
        if cls == WANT:
            return None
        before = self.at(index - 1, clause)
        if before is None or token.soft_before:
            return None
        kind = self.kind_of(index - 1)
        if kind is None and before.text not in _KNOWN_VENDORS and before.noun != "cloud":
            return None
        start = index - 1
        while start > 0 and (prev := self.at(start - 1, clause)) is not None:
            if self.tokens[start].soft_before or prev.low in _JOINING or prev.low in _OPENERS:
                break
            start -= 1
        if any(_YEAR.fullmatch(t.low) for t in self.tokens[max(start - 2, 0) : index]):
            return None  # "the 2019 CRM implementation": something that happened
        dated = start - 1
        while (prev := self.at(dated, clause)) is not None and prev.low in _OPENERS:
            dated -= 1
        if prev is not None and prev.low in _TEMPORAL:
            return None  # "since the Munis upgrade": something that happened too
        obj = _Object(kind or PRODUCT, start, index - 1, None)
        if before.noun == "cloud":
            obj = _Object(SYSTEM, start, index - 1, None)
        return self.build(cls, start, index, (index, index), lemma, obj)

    def title_object(self) -> _Match | None:
        """A title that only names a solution: "New onboarding portal for new hires",
        "Dashboard of eviction filings by ward" (no verb, so nothing else it could say)."""
        if not self.tokens or any(t.low in _FINITE for t in self.tokens):
            return None
        obj = self.phrase_after(0, 0, vendors_only=True)
        if obj is None or obj.kind == PRODUCT or obj.opener == "old":
            return None
        if self.tokens[0].low in _SEVERAL:
            return None  # "Three systems for one record": what there is too much of
        after = self.at(obj.end + 1, 0)
        # The title is the phrase ("Help desk chatbot"), or the phrase and what it is for
        # ("GPS trackers on all garbage trucks"); a longer opening is a sentence's subject.
        words = obj.end - obj.start + 1
        if after is None:
            fits = words <= 5
        else:
            fits = words <= 3 and after.low in ("for", "of", "on", "at", "in", "to", "with")
        if not fits:
            return None
        return self.build(BUILD, 0, obj.end, None, "", obj)

    def build(
        self,
        cls: str,
        first: int,
        last: int,
        verb: tuple[int, int] | None,
        lemma: str,
        obj: _Object,
    ) -> _Match:
        if cls == BUY:
            rule = "buy_product"
        elif cls == MIGRATE:
            rule = "migrate_to_product"
        elif cls == REPLACE:
            rule = "replace_with_product"
        elif cls == AUTOMATE:
            rule = "automate_process"
        else:
            rule = {
                APP: "build_app",
                DASHBOARD: "build_dashboard",
                SYSTEM: "need_system",
                DEVICE: "get_devices",
                PRODUCT: "implement_product",
            }[obj.kind]
        return _Match(rule, min(first, obj.start), max(last, obj.end), verb, lemma, obj)

    def words(self, first: int, last: int) -> tuple[int, str]:
        start, end = self.tokens[first].start, self.tokens[last].end
        return start, self.text[start:end]


def _hints_in(field: str, text: str) -> list[FramingHint]:
    reader = _Reader(text)
    taken: list[tuple[int, int]] = []
    hints: list[FramingHint] = []
    matches = reader.matches()
    if field == "title" and not matches and (bare := reader.title_object()) is not None:
        matches.append(bare)
    for match in sorted(matches, key=lambda m: (m.first, m.last)):
        if any(match.first <= e and s <= match.last for s, e in taken):
            continue  # an earlier match already explains these words
        taken.append((match.first, match.last))
        start, phrase = reader.words(match.first, match.last)
        _, verb = reader.words(*match.verb) if match.verb else (0, "")
        _, thing = reader.words(match.object.start, match.object.end)
        rule = _RULES[match.rule]
        if match.verb and match.verb_lemma == "use" and verb.lower() in _MEANS | {"online"}:
            reason = (
                f'the means "{verb}" in a clause that prescribes, with solution object '
                f'"{thing}" ({match.object.kind})'
            )
        elif match.verb:
            reason = (
                f'solution verb "{verb}" ({VERBS[match.verb_lemma]}: {match.verb_lemma}) '
                f'with solution object "{thing}" ({match.object.kind})'
            )
        else:
            reason = f'the title names a solution object "{thing}" ({match.object.kind}) alone'

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
