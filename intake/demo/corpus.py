"""Realistic problem text for a generated city, from topics, templates and word lists.

Each problem belongs to one service topic (permits, inspections, 311, benefits, payments,
records, parks, transit, ...) and is written from templates whose slots are filled with
that topic's nouns and actions plus city-wide word lists (systems, neighbourhoods,
languages, channels, durations). Topic words repeat across thousands of problems, as real
intake text does, and the neighbourhood, street, system and form names give the long tail,
so full-text search sees common and rare lexemes in realistic proportions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topic:
    departments: tuple[str, ...]
    things: tuple[str, ...]  # plural noun phrases: "building permit applications"
    actors: tuple[str, ...]  # who is affected: "homeowners"
    actions: tuple[str, ...]  # what they try to do: "apply for a permit"
    groups: tuple[str, ...]  # affected_groups values
    qualifiers: tuple[str, ...] = ()  # narrow a thing: "historic district" building permits


TOPICS: tuple[Topic, ...] = (
    Topic(
        ("DBI", "PLN"),
        (
            "building permit applications",
            "electrical permit requests",
            "plumbing permit renewals",
            "demolition permit reviews",
            "solar panel permits",
            "accessory dwelling unit permits",
        ),
        ("homeowners", "contractors", "architects", "small landlords"),
        ("apply for a permit", "upload revised plans", "pay permit fees", "check plan review"),
        ("residents", "businesses"),
        (
            "residential",
            "commercial",
            "historic district",
            "multi-family",
            "rooftop",
            "basement",
            "emergency",
            "after-hours",
            "hillside",
            "waterfront",
            "mixed-use",
            "tenant improvement",
        ),
    ),
    Topic(
        ("DBI", "DPH"),
        (
            "restaurant health inspections",
            "fire safety inspections",
            "elevator inspections",
            "rental housing inspections",
            "final building inspections",
        ),
        ("restaurant owners", "tenants", "property managers", "inspectors"),
        ("book an inspection", "see inspection results", "reschedule an inspection"),
        ("businesses", "residents", "staff"),
        (
            "annual",
            "follow-up",
            "complaint-driven",
            "pre-opening",
            "re-inspection",
            "night-time",
            "school kitchen",
            "food truck",
            "daycare",
            "boarding house",
            "high-rise",
            "warehouse",
        ),
    ),
    Topic(
        ("CSC", "DOT"),
        (
            "311 service requests",
            "pothole reports",
            "streetlight outage reports",
            "graffiti removal requests",
            "illegal dumping reports",
            "missed trash pickup complaints",
        ),
        ("residents", "call takers", "crew supervisors", "neighbourhood associations"),
        ("report a problem", "track a service request", "get a case number"),
        ("residents", "staff"),
        (
            "after-hours",
            "recurring",
            "anonymous",
            "school-zone",
            "alley",
            "park-adjacent",
            "bulk item",
            "abandoned vehicle",
            "storm-related",
            "holiday week",
            "downtown",
            "overnight",
        ),
    ),
    Topic(
        ("HSA", "DPH"),
        (
            "SNAP benefit renewals",
            "rental assistance applications",
            "childcare subsidy applications",
            "emergency shelter referrals",
            "senior meal program enrolments",
            "utility bill assistance requests",
        ),
        ("low-income families", "seniors", "caseworkers", "people experiencing homelessness"),
        ("renew benefits", "upload eligibility documents", "check application status"),
        ("residents", "nonprofits", "staff"),
        (
            "first-time",
            "emergency",
            "seasonal",
            "veteran",
            "kinship care",
            "refugee",
            "disability",
            "student",
            "pregnant and postpartum",
            "summer",
            "heating season",
            "eviction prevention",
        ),
    ),
    Topic(
        ("FIN", "WTR", "DOT"),
        (
            "water bill payments",
            "parking ticket payments",
            "property tax payments",
            "business tax filings",
            "payment plan requests",
            "refund requests",
        ),
        ("residents", "small businesses", "cashiers", "collections staff"),
        ("pay a bill", "set up a payment plan", "dispute a charge", "get a receipt"),
        ("residents", "businesses", "staff"),
        (
            "overdue",
            "partial",
            "autopay",
            "senior discount",
            "disputed",
            "duplicate",
            "cash",
            "cross-department",
            "installment",
            "penalty waiver",
            "vacant property",
            "estate",
        ),
    ),
    Topic(
        ("CLK", "DPH"),
        (
            "public records requests",
            "birth certificate requests",
            "police report copies",
            "council meeting minutes",
            "marriage licence applications",
        ),
        ("residents", "journalists", "records clerks", "attorneys"),
        ("request a record", "search archived documents", "get a certified copy"),
        ("residents", "staff"),
        (
            "expedited",
            "bulk",
            "historical",
            "redacted",
            "sealed",
            "out-of-state",
            "amended",
            "archived microfilm",
            "body camera",
            "genealogy",
            "court-ordered",
            "legislative",
        ),
    ),
    Topic(
        ("PRK",),
        (
            "park shelter reservations",
            "youth sports registrations",
            "community garden plot waitlists",
            "summer camp enrolments",
            "athletic field bookings",
            "recreation centre memberships",
        ),
        ("parents", "league coordinators", "seniors", "recreation staff"),
        ("reserve a shelter", "register a child", "join a waitlist", "book a field"),
        ("residents", "nonprofits", "visitors"),
        (
            "wheelchair-accessible",
            "weekend",
            "drop-in",
            "low-income",
            "adaptive",
            "after-school",
            "senior",
            "lakefront",
            "indoor",
            "lighted",
            "tournament",
            "scholarship",
        ),
    ),
    Topic(
        ("DOT",),
        (
            "paratransit ride bookings",
            "bus stop accessibility complaints",
            "residential parking permits",
            "traffic calming requests",
            "bike lane maintenance reports",
            "transit pass discounts",
        ),
        ("riders with disabilities", "commuters", "dispatchers", "traffic engineers"),
        ("book a ride", "request a parking permit", "report an unsafe crossing"),
        ("residents", "visitors", "staff"),
        (
            "same-day",
            "school-area",
            "overnight",
            "temporary",
            "contractor",
            "disabled placard",
            "event",
            "downtown",
            "hospital district",
            "construction zone",
            "late-night",
            "holiday",
        ),
    ),
    Topic(
        ("LIB",),
        (
            "library card sign-ups",
            "meeting room bookings",
            "interlibrary loan requests",
            "digital literacy class registrations",
        ),
        ("patrons", "librarians", "adult learners", "students"),
        ("get a library card", "book a meeting room", "register for a class"),
        ("residents", "staff"),
        (
            "homebound",
            "teen",
            "bilingual",
            "branch",
            "after-hours",
            "homework help",
            "ESL",
            "job seeker",
            "citizenship",
            "maker space",
            "senior tech",
            "outreach van",
        ),
    ),
    Topic(
        ("FIN", "CLK"),
        (
            "job applications",
            "timesheet approvals",
            "vendor invoices",
            "purchase requisitions",
            "contract renewals",
            "overtime requests",
        ),
        ("city employees", "applicants", "vendors", "payroll staff"),
        ("submit a timesheet", "apply for a city job", "get an invoice paid"),
        ("staff", "businesses"),
        (
            "retroactive",
            "emergency",
            "sole-source",
            "grant-funded",
            "seasonal",
            "part-time",
            "cross-charged",
            "capital project",
            "cooperative",
            "multi-year",
            "late",
            "disputed",
        ),
    ),
    Topic(
        ("WTR", "CSC"),
        (
            "water main break reports",
            "meter reading disputes",
            "sewer backup claims",
            "lead service line replacements",
            "stormwater credit applications",
        ),
        ("homeowners", "field crews", "customer service agents", "renters"),
        ("report a leak", "dispute a meter reading", "schedule a replacement"),
        ("residents", "staff"),
        (
            "emergency",
            "after-hours",
            "commercial",
            "multi-unit",
            "hydrant",
            "irrigation",
            "private-side",
            "school",
            "basement",
            "estimated",
            "backflow",
            "winter",
        ),
    ),
    Topic(
        ("DPH",),
        (
            "vaccination clinic appointments",
            "food handler certifications",
            "lead testing referrals",
            "mosquito spraying requests",
            "clinic patient intake forms",
        ),
        ("patients", "food workers", "public health nurses", "parents"),
        ("book an appointment", "renew a certificate", "get test results"),
        ("residents", "businesses", "staff"),
        (
            "walk-in",
            "mobile clinic",
            "school-based",
            "travel",
            "homebound",
            "free",
            "after-hours",
            "bilingual",
            "pop-up",
            "workplace",
            "mass",
            "follow-up",
        ),
    ),
)

DEPARTMENTS: dict[str, str] = {
    "DTI": "Department of Technology and Innovation",
    "DOT": "Department of Transportation",
    "DPH": "Department of Public Health",
    "PRK": "Parks and Recreation",
    "DBI": "Department of Building Inspection",
    "FIN": "Finance and Treasury",
    "HSA": "Human Services Agency",
    "CLK": "Office of the City Clerk",
    "CSC": "311 Customer Service Center",
    "PLN": "Planning Department",
    "WTR": "Water and Sewer Utility",
    "LIB": "Public Library",
    "MYR": "Office of the Mayor",
}

SYSTEMS = (
    ("Accela", False),
    ("Tyler Munis", False),
    ("an AS/400 mainframe application", True),
    ("a FoxPro database", True),
    ("Lotus Notes", True),
    ("a shared Access database", True),
    ("SAP", False),
    ("Oracle E-Business Suite", False),
    ("PeopleSoft", False),
    ("shared Excel workbooks", True),
    ("paper ledgers", True),
    ("Salesforce", False),
    ("ServiceNow", False),
    ("Hansen", True),
    ("Cityworks", False),
    ("KIVA", True),
    ("Laserfiche", False),
    ("OnBase", False),
    ("a COBOL billing system", True),
    ("the old 311 CRM", True),
    ("Microsoft Dynamics", False),
    ("a vendor portal", False),
    ("Kronos", False),
    ("ArcGIS", False),
)

CHANNELS = (
    "paper forms",
    "fax",
    "email attachments",
    "phone calls",
    "the walk-in counter",
    "fillable PDF forms",
    "the 311 app",
    "mailed cheques",
    "voicemail",
    "a web form that emails staff",
)

NEIGHBOURHOODS = (
    "Eastgate",
    "Riverside",
    "Old Town",
    "Hillcrest",
    "Mill Creek",
    "Southport",
    "Lakeview",
    "Cedar Heights",
    "Harbor Point",
    "Northfield",
    "Westbrook",
    "Fairmont",
    "Ironworks",
    "Chinatown",
    "Little Saigon",
    "Pleasant Valley",
    "Rosedale",
    "Union Square",
    "Brighton",
    "Maple Grove",
    "Kingsbury",
    "Oak Park",
    "Canal District",
    "Sunset Ridge",
)

STREETS = (
    "Alder",
    "Birch",
    "Chestnut",
    "Dogwood",
    "Elm",
    "Fir",
    "Hawthorn",
    "Juniper",
    "Linden",
    "Magnolia",
    "Poplar",
    "Sycamore",
    "Walnut",
    "Willow",
    "Franklin",
    "Lincoln",
    "Jefferson",
    "Madison",
    "Monroe",
    "Jackson",
    "Harrison",
    "Grant",
    "Tubman",
    "Chavez",
    "Douglass",
    "Addams",
)
STREET_KINDS = ("Street", "Avenue", "Boulevard", "Road", "Way", "Place")

LANGUAGES = (
    "Spanish",
    "Vietnamese",
    "Chinese",
    "Tagalog",
    "Arabic",
    "Somali",
    "Haitian Creole",
    "Russian",
    "Korean",
    "Amharic",
    "Portuguese",
    "Hmong",
)

DURATIONS = (
    "two weeks",
    "three weeks",
    "four to six weeks",
    "two months",
    "up to ninety days",
    "ten business days",
    "a full quarter",
    "several months",
)

SEASONS = ("summer", "spring", "the end of the fiscal year", "tax season", "winter", "August")

TOOLS = (
    "a shared spreadsheet",
    "sticky notes on a whiteboard",
    "a binder at the front desk",
    "personal email inboxes",
    "an Access database on one clerk's desktop",
    "a paper logbook",
    "a wall calendar",
)

BURDENS = (
    "two or three trips to City Hall",
    "taking unpaid time off work",
    "repeated calls to 311",
    "printing, signing and scanning forms",
    "paying late fees they did not know about",
    "starting over when a document is rejected",
    "waiting on hold for forty minutes",
)

RISKS = (
    "missed statutory deadlines",
    "audit findings",
    "lost revenue",
    "injury claims",
    "loss of grant funding",
    "a consent decree",
    "records that cannot be produced in litigation",
    "data breaches from files on shared drives",
)

PROGRAM_WORDS = (
    "Green",
    "Safe",
    "Healthy",
    "Bright",
    "Open",
    "Fair",
    "Clean",
    "Smart",
    "Resilient",
    "Neighbourly",
    "Thriving",
    "Connected",
    "Cool",
    "Welcoming",
    "Renewed",
)
PROGRAM_NOUNS = (
    "Streets",
    "Blocks",
    "Homes",
    "Futures",
    "Corridors",
    "Kitchens",
    "Routes",
    "Roofs",
    "Canopies",
    "Commons",
    "Starts",
    "Harvest",
    "Pathways",
    "Storefronts",
    "Waters",
)

SOLUTION_PHRASES = (
    "We need an app for this.",
    "Please build a dashboard so managers can see the backlog.",
    "We would like to purchase a CRM.",
    "The vendor says we should implement Salesforce.",
    "A chatbot could answer most of these calls.",
)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class ProblemWriter:
    """Writes one problem's text fields from a seeded random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def street(self) -> str:
        pick = self.rng.choice
        return f"{pick(STREETS)} {pick(STREET_KINDS)}"

    def write(self, topic: Topic, department_name: str) -> dict[str, object]:
        rng, pick = self.rng, self.rng.choice
        thing, actor, action = pick(topic.things), pick(topic.actors), pick(topic.actions)
        if topic.qualifiers and rng.random() < 0.8:
            thing = f"{pick(topic.qualifiers)} {thing}"
        system, legacy = pick(SYSTEMS)
        other_system, other_legacy = pick(SYSTEMS)
        channel, place = pick(CHANNELS), pick(NEIGHBOURHOODS)
        duration, language, tool = pick(DURATIONS), pick(LANGUAGES), pick(TOOLS)
        per_year = rng.choice((120, 300, 800, 1500, 2400, 5000, 12000, 40000, 150000))
        per_year = int(per_year * rng.uniform(0.6, 1.6))
        hours = rng.choice((200, 600, 1200, 2500, 5000, 9000))
        form = f"Form {rng.choice(topic.departments)}-{rng.randint(100, 9999)}"
        program = f"{pick(PROGRAM_WORDS)} {pick(PROGRAM_NOUNS)}"
        title = pick(
            (
                f"{_cap(actor)} wait {duration} for {thing}",
                f"{_cap(thing)} are tracked in {tool}",
                f"{_cap(actor)} cannot {action} online",
                f"Staff re-key {thing} from {channel} into {system}",
                f"{_cap(thing)} backlog grows every {pick(SEASONS)}",
                f"No way to see the status of {thing}",
                f"{_cap(thing)} get lost between departments",
                f"Duplicate {thing} because {actor} get no confirmation",
                f"{_cap(actor)} call 311 repeatedly to check on {thing}",
                f"{_cap(thing)} are only available in English",
                f"{_cap(thing)} still depend on {system}",
                f"{_cap(thing)} in {place} take longer than anywhere else",
                f"{_cap(actor)} abandon {thing} halfway through",
                f"{form} for {thing} is confusing and often incomplete",
            )
        )
        statement_parts = [
            pick(
                (
                    f"Every year about {per_year:,} {actor} need to {action}.",
                    f"To {action}, {actor} have to use {channel} and wait {duration}.",
                    f"{_cap(thing)} arrive by {channel} and are keyed into {system} by hand.",
                    f"{_cap(actor)} in {place} and across the city struggle to {action}.",
                )
            ),
            pick(
                (
                    "Nobody can tell them where their request stands, so they call again.",
                    "About a third of submissions are missing a document and bounce back.",
                    "Staff spend hours each week answering status questions by phone.",
                    f"The {form} asks for the same information three times.",
                    f"Requests pile up around {pick(SEASONS)} and take months to clear.",
                    f"Information is copied between {system} and {other_system}, with errors.",
                )
            ),
            pick(
                (
                    f"Residents who speak {language} often give up because nothing is translated.",
                    f"People without a car must travel to the counter on {self.street()}.",
                    "Small businesses lose days of trading while they wait.",
                    f"Errors lead to {pick(RISKS)}.",
                    f"Applicants end up {pick(BURDENS)}.",
                )
            ),
        ]
        if rng.random() < 0.4:
            statement_parts.insert(
                1, f"The {program} program depends on this step and has stalled in {place}."
            )
        if rng.random() < 0.5:
            statement_parts.append(
                f"{department_name} has tried to fix this with overtime, but demand keeps growing."
            )
        if rng.random() < 0.12:
            statement_parts.append(pick(SOLUTION_PHRASES))
        outcome = pick(
            (
                f"{_cap(actor)} can {action} in one visit, online or by phone, in plain language.",
                f"{_cap(actor)} know within a week whether their request is approved.",
                f"Staff stop re-keying {thing} and spend the time on cases that need judgement.",
                f"Every {thing[:-1] if thing.endswith('s') else thing} has a visible status.",
                f"Fewer {actor} give up before finishing, especially in {place}.",
            )
        )
        measures = pick(
            (
                f"Median days from request to decision for {thing}.",
                f"Share of {thing} completed online; repeat calls to 311 per request.",
                "Staff hours per year spent re-keying; error rate found in audits.",
                "Abandonment rate, by ward and by language.",
            )
        )
        systems = [{"name": system, "legacy": legacy, "notes": f"holds {thing}"}]
        if rng.random() < 0.4 and other_system != system:
            systems.append({"name": other_system, "legacy": other_legacy, "notes": ""})
        deadline_reason = rng.random()
        return {
            "title": title[:200],
            "problem_statement": " ".join(statement_parts),
            "affected_groups": list(dict.fromkeys(rng.sample(topic.groups, rng.randint(1, 2)))),
            "affected_people_per_year": per_year,
            "current_process": pick(
                (
                    f"{_cap(thing)} come in through {channel}. A clerk checks them against "
                    f"{system} and files them in {tool}; follow-ups are by phone.",
                    f"Intake staff open each request from {channel}, copy it into {system}, "
                    f"and email the {program} coordinator.",
                    f"{_cap(actor)} fill in {form}; a supervisor approves it and the data is "
                    f"typed into {system} at the end of the week.",
                    f"Requests are triaged at the {self.street()} office and routed by "
                    f"interoffice mail to whoever covers {place}.",
                )
            ),
            "workarounds": pick(
                (
                    f"Staff keep {tool} of pending cases and call {actor} back one by one.",
                    f"Supervisors print a weekly list from {system} and assign it by hand.",
                    f"A volunteer translates notices into {language} when one is available.",
                    f"The counter on {self.street()} stays open late twice a month.",
                )
            ),
            "impact_staff_hours_per_year": hours,
            "impact_cost_per_year": hours * rng.choice((45, 60, 75)),
            "impact_risk": f"Risk of {pick(RISKS)}." if rng.random() < 0.6 else None,
            "impact_resident_burden": f"{_cap(actor)} report {pick(BURDENS)}.",
            "urgency_reason": (
                None
                if deadline_reason < 0.6
                else pick(("legal_mandate", "funding_expiry", "contract_end", "public_safety"))
            ),
            "urgency_notes": (
                f"The support contract for {system} ends and the vendor will not renew it."
                if deadline_reason >= 0.6
                else None
            ),
            "desired_outcome": outcome,
            "success_measures": measures,
            "systems_involved": systems,
            "data_sensitivity": pick(("public", "internal", "internal", "confidential")),
            "equity_considerations": (
                f"Residents in {place} and {pick(NEIGHBOURHOODS)} are affected most; many speak "
                f"{language} at home."
                if rng.random() < 0.55
                else None
            ),
            "communities_affected": sorted({place, f"Ward {rng.randint(1, 15)}"}),
            "accessibility_needs": (
                "Forms must work with screen readers and on phones." if rng.random() < 0.3 else None
            ),
            "language_access_needs": (
                f"Notices and forms in {language} and {pick(LANGUAGES)}."
                if rng.random() < 0.4
                else None
            ),
        }
