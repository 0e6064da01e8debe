"""The content of the demo city: departments, people, product teams and problems.

Plain, typed, immutable data only. The demo seeder turns it into database rows; nothing here
touches the database or imports the rest of Intake. Tour logins: ``admin@city.example``,
``triager@city.example``, ``requester@city.example`` (DOT) and ``leader@city.example`` (CTO).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

DOMAIN: Final = "city.example"


@dataclass(frozen=True, slots=True)
class DemoDepartment:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class DemoPerson:
    email: str
    name: str
    department: str
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoTeam:
    name: str
    disciplines: tuple[str, ...]
    focus_areas: tuple[str, ...]
    wip_limit: int
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoSystem:
    name: str
    legacy: bool
    notes: str


@dataclass(frozen=True, slots=True)
class DemoProblem:
    key: str
    department: str
    submitter: str
    state: str
    title: str
    problem_statement: str
    affected_groups: tuple[str, ...]
    affected_people_per_year: int
    current_process: str
    workarounds: str
    impact_staff_hours_per_year: int | None
    impact_cost_per_year: int | None
    impact_risk: str
    impact_resident_burden: str
    urgency_deadline: str | None
    urgency_reason: str | None
    urgency_notes: str
    desired_outcome: str
    success_measures: str
    systems_involved: tuple[DemoSystem, ...]
    data_sensitivity: str
    equity_considerations: str
    communities_affected: tuple[str, ...]
    accessibility_needs: str
    language_access_needs: str
    restricted: bool
    days_ago: int
    # The product team it is paired with once accepted (by name), and the words of its last
    # triage step: the questions asked, or why it was declined or withdrawn.
    team: str | None = None
    reason: str | None = None


DEPARTMENTS: Final[tuple[DemoDepartment, ...]] = (
    DemoDepartment("DTI", "Department of Technology and Innovation"),
    DemoDepartment("MYR", "Office of the Mayor"),
    DemoDepartment("DOT", "Department of Transportation"),
    DemoDepartment("DPH", "Department of Public Health"),
    DemoDepartment("DBI", "Department of Building Inspection"),
    DemoDepartment("HSA", "Human Services Agency"),
    DemoDepartment("PRK", "Parks and Recreation"),
    DemoDepartment("FIN", "Office of the Treasurer and Finance"),
    DemoDepartment("CCC", "311 Customer Contact Center"),
    DemoDepartment("WTR", "Water and Sewer Utility"),
)

_R: Final = ("requester",)
_T: Final = ("team_member",)

PEOPLE: Final[tuple[DemoPerson, ...]] = (
    # DTI operations, triage (product managers), leadership and product team members
    DemoPerson("admin@city.example", "Dana Okafor", "DTI", ("admin",)),
    DemoPerson("triager@city.example", "Jordan Ellis", "DTI", ("triager",)),
    DemoPerson("aisha.rahman@city.example", "Aisha Rahman", "DTI", ("triager",)),
    DemoPerson("tomas.novak@city.example", "Tomás Novak", "DTI", ("triager",)),
    DemoPerson("leader@city.example", "Priya Raman", "DTI", ("leadership",)),
    DemoPerson("fatima.haddad@city.example", "Fatima Haddad", "DTI", _T),
    DemoPerson("mei.chen@city.example", "Mei Chen", "DTI", _T),
    DemoPerson("kwame.asante@city.example", "Kwame Asante", "DTI", _T),
    DemoPerson("daniel.kim@city.example", "Daniel Kim", "DTI", _T),
    DemoPerson("grace.nakamura@city.example", "Grace Nakamura", "DTI", _T),
    DemoPerson("jamal.washington@city.example", "Jamal Washington", "DTI", _T),
    DemoPerson("liam.obrien@city.example", "Liam O'Brien", "DTI", _T),
    DemoPerson("hannah.schultz@city.example", "Hannah Schultz", "DTI", _T),
    DemoPerson("sofia.gutierrez@city.example", "Sofía Gutiérrez", "DTI", _T),
    DemoPerson("ravi.patel@city.example", "Ravi Patel", "DTI", _T),
    DemoPerson("nadia.petrov@city.example", "Nadia Petrov", "DTI", _T),
    DemoPerson("ana.silva@city.example", "Ana Silva", "DTI", _T),
    DemoPerson("elena.rossi@city.example", "Elena Rossi", "DTI", _T),
    DemoPerson("oluwaseun.adeyemi@city.example", "Oluwaseun Adeyemi", "DTI", _T),
    DemoPerson("tuan.nguyen@city.example", "Tuan Nguyen", "DTI", _T),
    # Mayor's Office
    DemoPerson("carmen.delgado@city.example", "Carmen Delgado", "MYR", ("leadership",)),
    DemoPerson("lucia.ferreira@city.example", "Lucía Ferreira", "MYR", _R),
    DemoPerson("ben.adler@city.example", "Ben Adler", "MYR", _R),
    # Other departments
    DemoPerson("requester@city.example", "Chris Morales", "DOT", _R),
    DemoPerson("maria.lopez@city.example", "María López", "DOT", _R),
    DemoPerson("derek.thompson@city.example", "Derek Thompson", "DOT", _R),
    DemoPerson("keisha.brown@city.example", "Keisha Brown", "DPH", _R),
    DemoPerson("anil.kapoor@city.example", "Anil Kapoor", "DPH", _R),
    DemoPerson("patrick.murphy@city.example", "Patrick Murphy", "DBI", _R),
    DemoPerson("linh.tran@city.example", "Linh Tran", "DBI", _R),
    DemoPerson("rosa.martinez@city.example", "Rosa Martínez", "HSA", _R),
    DemoPerson("samuel.osei@city.example", "Samuel Osei", "HSA", _R),
    DemoPerson("emily.walsh@city.example", "Emily Walsh", "PRK", _R),
    DemoPerson("diego.ramirez@city.example", "Diego Ramírez", "PRK", _R),
    DemoPerson("wei.zhang@city.example", "Wei Zhang", "FIN", _R),
    DemoPerson("olivia.grant@city.example", "Olivia Grant", "FIN", _R),
    DemoPerson("tamika.harris@city.example", "Tamika Harris", "CCC", _R),
    DemoPerson("yusuf.ali@city.example", "Yusuf Ali", "CCC", _R),
    DemoPerson("greg.kowalski@city.example", "Greg Kowalski", "WTR", _R),
    DemoPerson("amara.nwosu@city.example", "Amara Nwosu", "WTR", _R),
)

TEAMS: Final[tuple[DemoTeam, ...]] = (
    DemoTeam(
        name="Permits & Licensing",
        disciplines=("product_management", "civic_design", "software_engineering", "security"),
        focus_areas=("permits", "licensing", "inspections", "scheduling", "payments"),
        wip_limit=3,
        members=(
            "fatima.haddad@city.example",
            "mei.chen@city.example",
            "kwame.asante@city.example",
            "daniel.kim@city.example",
        ),
    ),
    DemoTeam(
        name="Resident Services",
        disciplines=("product_management", "civic_design", "software_engineering"),
        focus_areas=("311", "service requests", "reservations", "payments", "language access"),
        wip_limit=4,
        members=(
            "grace.nakamura@city.example",
            "jamal.washington@city.example",
            "liam.obrien@city.example",
            "hannah.schultz@city.example",
        ),
    ),
    DemoTeam(
        name="Data Platform",
        disciplines=("data", "software_engineering", "security"),
        focus_areas=("address data", "data quality", "open data", "reporting", "integration"),
        wip_limit=2,
        members=(
            "sofia.gutierrez@city.example",
            "ravi.patel@city.example",
            "nadia.petrov@city.example",
            "daniel.kim@city.example",
        ),
    ),
    DemoTeam(
        name="Health & Human Services",
        disciplines=("product_management", "civic_design", "data", "security"),
        focus_areas=("benefits enrollment", "case management", "public health", "eligibility"),
        wip_limit=3,
        members=(
            "ana.silva@city.example",
            "elena.rossi@city.example",
            "oluwaseun.adeyemi@city.example",
            "tuan.nguyen@city.example",
        ),
    ),
)

_NO_SYSTEMS: Final[tuple[DemoSystem, ...]] = ()

PROBLEMS: Final[tuple[DemoProblem, ...]] = (
    DemoProblem(
        key="pothole-app",
        department="DOT",
        submitter="requester@city.example",
        state="draft",
        title="We need an app for pothole reports",
        problem_statement=(
            "We need a mobile app so residents can report potholes with a photo. Right now "
            "reports come in through 311 calls, emails to council offices and our own voicemail, "
            "and crews often drive out to a pothole that was already patched."
        ),
        affected_groups=("residents", "staff"),
        affected_people_per_year=9000,
        current_process=(
            "311 agents type the location into a work order; council staff forward emails to "
            "the street maintenance inbox, where a clerk re-keys them."
        ),
        workarounds="Crew leads keep a whiteboard of 'hot spots' in the yard office.",
        impact_staff_hours_per_year=1200,
        impact_cost_per_year=None,
        impact_risk="Tire and suspension damage claims against the city.",
        impact_resident_burden="",
        urgency_deadline=None,
        urgency_reason=None,
        urgency_notes="",
        desired_outcome="",
        success_measures="",
        systems_involved=(DemoSystem("Cityworks", False, "Street maintenance work orders."),),
        data_sensitivity="public",
        equity_considerations="",
        communities_affected=(),
        accessibility_needs="",
        language_access_needs="",
        restricted=False,
        days_ago=4,
    ),
    DemoProblem(
        key="dbi-inspection-scheduling",
        department="DBI",
        submitter="patrick.murphy@city.example",
        state="triage",
        title="Contractors cannot book building inspections without calling during office hours",
        problem_statement=(
            "To book a framing, electrical or final inspection, contractors must call our "
            "scheduling line between 8 and 11 a.m. Inspectors get their routes on paper each "
            "morning, so a cancellation or a failed inspection means another phone call. "
            "Projects sit idle for days waiting for a slot, and homeowners pay for it."
        ),
        affected_groups=("businesses", "residents", "staff"),
        affected_people_per_year=14000,
        current_process=(
            "Three clerks take calls, write requests on paper scheduling sheets by district, "
            "and type them into the permit system at the end of the day. Inspectors pick up "
            "printed route sheets at 7 a.m. and return handwritten results."
        ),
        workarounds=(
            "Large contractors email inspectors directly; clerks keep a spreadsheet of "
            "cancellations to backfill open slots."
        ),
        impact_staff_hours_per_year=5200,
        impact_cost_per_year=310000,
        impact_risk="Unequal access: contractors with personal contacts get faster inspections.",
        impact_resident_burden=(
            "Homeowners doing their own renovation lose mornings on hold; average wait for "
            "an inspection slot is 6 business days."
        ),
        urgency_deadline="2027-06-30",
        urgency_reason="contract_end",
        urgency_notes="The call-center scheduling vendor contract ends June 30, 2027.",
        desired_outcome=(
            "Contractors and homeowners can see open inspection slots and book, reschedule "
            "or cancel any time; inspectors see today's schedule and record results in the field."
        ),
        success_measures=(
            "Median days from request to inspection; share of inspections booked without a "
            "phone call; clerk hours spent on scheduling."
        ),
        systems_involved=(
            DemoSystem("Accela permits", False, "System of record for permits and inspections."),
            DemoSystem("Paper route sheets", True, "Printed daily, results re-keyed by clerks."),
        ),
        data_sensitivity="internal",
        equity_considerations=(
            "Small and minority-owned contractors without staff to wait on hold are "
            "disadvantaged compared to large firms."
        ),
        communities_affected=("small contractors", "homeowners", "limited-English speakers"),
        accessibility_needs="Booking must work with screen readers and still by phone.",
        language_access_needs="Spanish, Chinese and Vietnamese.",
        restricted=False,
        days_ago=19,
    ),
    DemoProblem(
        key="dph-inspection-scheduling",
        department="DPH",
        submitter="keisha.brown@city.example",
        state="submitted",
        title="Restaurant health inspections are scheduled on paper and by phone",
        problem_statement=(
            "Our environmental health inspectors schedule restaurant and food truck "
            "inspections from paper calendars and phone calls. Re-inspections after a "
            "violation are hard to book quickly, so businesses wait to reopen, and we cannot "
            "tell which establishments are overdue for their routine inspection."
        ),
        affected_groups=("businesses", "staff", "residents"),
        affected_people_per_year=6500,
        current_process=(
            "Owners call the front desk to request a re-inspection; a clerk writes it in the "
            "district's paper scheduling book and calls the inspector. Routine inspections are "
            "planned from a printed list exported monthly from the permit database."
        ),
        workarounds="Inspectors keep personal spreadsheets of overdue establishments.",
        impact_staff_hours_per_year=2600,
        impact_cost_per_year=None,
        impact_risk=(
            "Overdue high-risk establishments are missed; a closed restaurant loses revenue "
            "every day it waits for re-inspection."
        ),
        impact_resident_burden="Food safety risk when high-risk establishments go uninspected.",
        urgency_deadline=None,
        urgency_reason=None,
        urgency_notes="State audit of inspection frequency expected next year.",
        desired_outcome=(
            "Businesses can request and book inspections themselves, and supervisors can see "
            "which establishments are overdue by risk category."
        ),
        success_measures=(
            "Days from re-inspection request to inspection; percentage of high-risk "
            "establishments inspected on schedule."
        ),
        systems_involved=(
            DemoSystem("EnvHealth permit database", True, "Access database from 2009."),
            DemoSystem("Paper scheduling books", True, "One per district."),
        ),
        data_sensitivity="internal",
        equity_considerations="Immigrant-owned small restaurants rely most on phone scheduling.",
        communities_affected=("small businesses", "limited-English speakers", "Ward 3"),
        accessibility_needs="",
        language_access_needs="Spanish, Chinese, Korean and Amharic.",
        restricted=False,
        days_ago=8,
    ),
    DemoProblem(
        key="ccc-address-mismatch",
        department="CCC",
        submitter="tamika.harris@city.example",
        state="needs_info",
        title="311 service requests are routed to the wrong crew because addresses do not match",
        problem_statement=(
            "About one in ten 311 requests has an address our systems cannot match: new "
            "developments, unit numbers, intersections and common place names. Those requests "
            "land in a manual review queue or go to the wrong district crew, and residents "
            "call back to ask why nothing happened."
        ),
        affected_groups=("residents", "staff"),
        affected_people_per_year=42000,
        current_process=(
            "Agents type the address as the caller says it; unmatched requests go to a daily "
            "review queue where a supervisor looks them up in the county GIS viewer and fixes "
            "them by hand."
        ),
        workarounds="A shared spreadsheet of 'known bad addresses' and their corrections.",
        impact_staff_hours_per_year=3100,
        impact_cost_per_year=None,
        impact_risk="Missed service requests for hazards such as downed signs and open manholes.",
        impact_resident_burden="Residents call back 1.8 times on average for unmatched requests.",
        urgency_deadline=None,
        urgency_reason=None,
        urgency_notes="",
        desired_outcome=(
            "Every 311 request is tied to a valid location at intake, and the same address "
            "means the same place in every city system."
        ),
        success_measures="Share of requests needing manual address review; repeat calls.",
        systems_involved=(
            DemoSystem("311 CRM", False, "Salesforce-based, configured in 2019."),
            DemoSystem("County address points", True, "Updated quarterly by the county."),
        ),
        data_sensitivity="internal",
        equity_considerations=(
            "Unmatched addresses cluster in newer affordable housing and informal addresses "
            "in Wards 7 and 8."
        ),
        communities_affected=("Ward 7", "Ward 8", "public housing residents"),
        accessibility_needs="",
        language_access_needs="Interpreted calls take longer to confirm addresses.",
        restricted=False,
        days_ago=40,
        reason=(
            "Which address sources does the review queue check today? Could the county share "
            "its address point updates monthly instead of quarterly?"
        ),
    ),
    DemoProblem(
        key="wtr-lead-line-notices",
        department="WTR",
        submitter="amara.nwosu@city.example",
        state="accepted",
        title="Lead service line notices come back undeliverable because our address data is wrong",
        problem_statement=(
            "Federal rules require us to notify every household served by a lead or unknown "
            "service line. Our billing addresses do not match the service addresses in the "
            "customer system, so thousands of notices come back undeliverable or go to "
            "landlords instead of the tenants who drink the water."
        ),
        affected_groups=("residents", "staff"),
        affected_people_per_year=38000,
        current_process=(
            "Each quarter we export service-line inventory from GIS, join it to billing "
            "addresses in Excel, and send the list to a print vendor for mailing."
        ),
        workarounds=(
            "Field staff hand-deliver door hangers to returned addresses, about 400 per quarter."
        ),
        impact_staff_hours_per_year=2200,
        impact_cost_per_year=95000,
        impact_risk="Non-compliance with the federal Lead and Copper Rule; public health risk.",
        impact_resident_burden="Tenants, often with young children, never learn of the risk.",
        urgency_deadline="2027-10-16",
        urgency_reason="legal_mandate",
        urgency_notes="Annual notification and inventory updates are due under federal rules.",
        desired_outcome=(
            "Every household on a lead or unknown line receives the notice at the service "
            "address, in its language, and we can prove it."
        ),
        success_measures=(
            "Undeliverable notice rate; share of affected households confirmed notified; "
            "staff hours per notification cycle."
        ),
        systems_involved=(
            DemoSystem("CIS billing", True, "Mainframe customer billing system."),
            DemoSystem("Water GIS", False, "Service-line inventory layer."),
        ),
        data_sensitivity="confidential",
        equity_considerations=(
            "Lead lines are concentrated in older housing in neighborhoods with more renters "
            "and children under six."
        ),
        communities_affected=("Ward 5", "Ward 7", "renters", "families with young children"),
        accessibility_needs="Notices need large-print and plain-language versions.",
        language_access_needs="Spanish, Haitian Creole, Vietnamese and Arabic.",
        restricted=False,
        days_ago=52,
        team="Health & Human Services",
    ),
    DemoProblem(
        key="dot-street-closure-permits",
        department="DOT",
        submitter="maria.lopez@city.example",
        state="discovery",
        title="Block party and street closure permits take weeks of emails and PDFs",
        problem_statement=(
            "Residents and event organizers apply for street closures with a fillable PDF "
            "emailed to a shared inbox. We then email police, fire, transit and sanitation for "
            "sign-off one by one, and applicants have no idea where their permit stands. "
            "Closures sometimes conflict with utility work nobody told us about."
        ),
        affected_groups=("residents", "nonprofits", "businesses", "staff"),
        affected_people_per_year=3200,
        current_process=(
            "Two permit techs track applications in a spreadsheet, forward PDFs to five "
            "agencies, chase replies and mail the signed permit."
        ),
        workarounds="Applicants call council offices to get their permit expedited.",
        impact_staff_hours_per_year=2900,
        impact_cost_per_year=None,
        impact_risk="Conflicting closures and emergency access not coordinated.",
        impact_resident_burden=(
            "Average 23 days from application to permit; many organizers give up on block parties."
        ),
        urgency_deadline="2027-04-01",
        urgency_reason="policy_commitment",
        urgency_notes="The Mayor's neighborhood events initiative starts with the spring season.",
        desired_outcome=(
            "Organizers apply once, see status, and get a decision within 10 days; agencies "
            "review in one place and conflicts show up before approval."
        ),
        success_measures="Days from application to decision; share of closures with conflicts.",
        systems_involved=(
            DemoSystem("Shared permit inbox", True, "Outlook mailbox and a spreadsheet."),
            DemoSystem("Right-of-way GIS", False, "Utility excavation permits."),
        ),
        data_sensitivity="internal",
        equity_considerations=(
            "Block parties are approved far more often in wealthier wards; the process "
            "favors organizers who know whom to call."
        ),
        communities_affected=("Ward 2", "Ward 6", "community groups"),
        accessibility_needs="The PDF form is not accessible to screen readers.",
        language_access_needs="Spanish and Chinese.",
        restricted=False,
        days_ago=96,
        team="Permits & Licensing",
    ),
    DemoProblem(
        key="prk-facility-reservations",
        department="PRK",
        submitter="emily.walsh@city.example",
        state="delivery",
        title="Residents cannot see or book picnic shelters and sports fields without calling",
        problem_statement=(
            "Picnic shelters, fields and community rooms are booked by phone or in person at "
            "the central office. Availability lives in a desktop program only two staff can "
            "use, so double-bookings happen and weekend families show up to a taken shelter. "
            "Deposits are paid by check and refunds take two months."
        ),
        affected_groups=("residents", "nonprofits", "staff"),
        affected_people_per_year=21000,
        current_process=(
            "Staff check the desktop booking program, take a paper application and a check, "
            "and mail a confirmation letter."
        ),
        workarounds="Youth leagues get a block of fields pre-assigned by email each season.",
        impact_staff_hours_per_year=3600,
        impact_cost_per_year=48000,
        impact_risk="The booking software is unsupported and runs on one Windows 7 machine.",
        impact_resident_burden="A trip to the central office during work hours for each booking.",
        urgency_deadline="2027-03-01",
        urgency_reason="other",
        urgency_notes="Spring season bookings open March 1.",
        desired_outcome=(
            "Anyone can see availability and book and pay online or by phone, with refunds "
            "issued automatically."
        ),
        success_measures=(
            "Share of bookings made online; double-bookings per season; days to refund a deposit."
        ),
        systems_involved=(
            DemoSystem("RecDesk 2004", True, "Desktop booking program, vendor out of business."),
            DemoSystem("Treasurer cashiering", False, "Deposits and refunds."),
        ),
        data_sensitivity="internal",
        equity_considerations=(
            "Field permits historically went to established leagues; new community groups "
            "in east-side parks struggle to get slots."
        ),
        communities_affected=("east side", "youth sports leagues", "families"),
        accessibility_needs="Accessible shelters and restrooms must be shown on the booking page.",
        language_access_needs="Spanish.",
        restricted=False,
        days_ago=138,
        team="Health & Human Services",
    ),
    DemoProblem(
        key="hsa-child-care-recertification",
        department="HSA",
        submitter="rosa.martinez@city.example",
        state="discovery",
        title="Families lose child care subsidies because recertification packets get lost",
        problem_statement=(
            "Every year families receiving child care assistance must recertify with pay "
            "stubs and custody documents. Packets are mailed or dropped off, scanned days "
            "later, and sometimes never matched to the case, so eligible families are "
            "terminated and children lose their child care slot."
        ),
        affected_groups=("residents", "staff", "nonprofits"),
        affected_people_per_year=5400,
        current_process=(
            "Caseworkers mail a 12-page packet 60 days before the renewal date; returned "
            "packets are scanned by a central unit and indexed by hand into the case file."
        ),
        workarounds=(
            "Child care providers fax documents on families' behalf; caseworkers keep personal "
            "tracking lists of pending renewals."
        ),
        impact_staff_hours_per_year=7800,
        impact_cost_per_year=None,
        impact_risk="Wrongful terminations, appeals and state corrective action findings.",
        impact_resident_burden=(
            "About 18% of families lose coverage at renewal; half re-apply within 90 days."
        ),
        urgency_deadline="2027-09-30",
        urgency_reason="funding_expiry",
        urgency_notes="State modernization grant for the subsidy program must be spent by then.",
        desired_outcome=(
            "Families can renew with documents from their phone, see what is missing, and "
            "eligible families keep their care without a gap."
        ),
        success_measures=(
            "Share of eligible families retained at renewal; days from packet receipt to "
            "decision; caseworker hours per renewal."
        ),
        systems_involved=(
            DemoSystem("State child care eligibility system", True, "State-run, no API."),
            DemoSystem("Document imaging", False, "Scanned case documents."),
        ),
        data_sensitivity="restricted",
        equity_considerations=(
            "Single parents working hourly jobs and families with irregular income are most "
            "likely to be cut off."
        ),
        communities_affected=("single parents", "low-income families", "limited-English speakers"),
        accessibility_needs="Document upload must work on low-end phones and with screen readers.",
        language_access_needs="Spanish, Somali and Vietnamese; packets are English-only today.",
        restricted=True,
        days_ago=88,
        team="Permits & Licensing",
    ),
    DemoProblem(
        key="dph-immunization-records",
        department="DPH",
        submitter="anil.kapoor@city.example",
        state="triage",
        title="Parents wait weeks for immunization records needed for school enrollment",
        problem_statement=(
            "Parents who need a copy of their child's immunization record for school or camp "
            "must come to the clinic or fax a signed form. Clinic staff look the child up in "
            "the state registry and mail a printout. In August the backlog reaches three "
            "weeks and children are excluded from school."
        ),
        affected_groups=("residents", "staff"),
        affected_people_per_year=11000,
        current_process=(
            "Walk-in or faxed request form, identity check at the counter, lookup in the state "
            "immunization registry, printed record mailed or handed over."
        ),
        workarounds="Temporary summer staff and extended clinic hours in August.",
        impact_staff_hours_per_year=4100,
        impact_cost_per_year=60000,
        impact_risk="Children excluded from school; records faxed to wrong numbers.",
        impact_resident_burden="Time off work and a clinic visit for a one-page document.",
        urgency_deadline="2027-07-15",
        urgency_reason="public_safety",
        urgency_notes="Back-to-school rush starts mid-July.",
        desired_outcome=(
            "Parents get a verified copy of their child's record quickly and securely "
            "without a clinic visit."
        ),
        success_measures="Days from request to record delivered; walk-in requests in August.",
        systems_involved=(
            DemoSystem("State immunization registry", False, "Read-only web portal for clinics."),
            DemoSystem("Clinic fax server", True, "Requests arrive as faxes."),
        ),
        data_sensitivity="restricted",
        equity_considerations="Families without paid leave or a car are hit hardest.",
        communities_affected=("immigrant families", "Ward 4", "Ward 8"),
        accessibility_needs="",
        language_access_needs="Spanish, Arabic, French and Portuguese.",
        restricted=True,
        days_ago=22,
    ),
    DemoProblem(
        key="fin-business-tax-payments",
        department="FIN",
        submitter="wei.zhang@city.example",
        state="live",
        title="Small businesses can only renew and pay the business license tax by mailed check",
        problem_statement=(
            "Business license tax renewals are mailed as paper forms and paid by check to a "
            "bank lockbox. Payments are posted two to three weeks later, so businesses get "
            "late notices for taxes they already paid and call us to sort it out."
        ),
        affected_groups=("businesses", "staff"),
        affected_people_per_year=27000,
        current_process=(
            "Annual paper renewal mailed in January; checks go to the lockbox; remittance "
            "files are loaded into the tax system weekly and exceptions are fixed by hand."
        ),
        workarounds="Walk-in cashier window accepts cards for a 3% fee.",
        impact_staff_hours_per_year=6000,
        impact_cost_per_year=180000,
        impact_risk="Erroneous late penalties and revenue posted late at fiscal year end.",
        impact_resident_burden="Owners spend hours on the phone disputing late notices.",
        urgency_deadline="2027-01-31",
        urgency_reason="other",
        urgency_notes="Next annual renewal deadline; the online option must be ready before it.",
        desired_outcome=(
            "Businesses renew and pay online in minutes, and their account shows paid the same day."
        ),
        success_measures=(
            "Share of renewals paid online; erroneous late notices; February calls to the tax line."
        ),
        systems_involved=(
            DemoSystem("Business tax system", True, "COBOL system, batch updates."),
            DemoSystem("Bank lockbox", False, "Remittance files."),
        ),
        data_sensitivity="confidential",
        equity_considerations="Home-based and immigrant-owned microbusinesses paid most penalties.",
        communities_affected=("microbusinesses", "limited-English speakers"),
        accessibility_needs="WCAG 2.1 AA payment pages.",
        language_access_needs="Spanish, Chinese and Korean.",
        restricted=False,
        days_ago=194,
        team="Health & Human Services",
    ),
    DemoProblem(
        key="myr-public-records-requests",
        department="MYR",
        submitter="lucia.ferreira@city.example",
        state="accepted",
        title="We miss statutory deadlines on public records requests tracked in spreadsheets",
        problem_statement=(
            "Public records requests arrive by email, mail and at the counter for every "
            "department. Each department tracks them in its own spreadsheet, so nobody knows "
            "which requests are close to the 10-day statutory deadline until a requester "
            "complains or sues."
        ),
        affected_groups=("residents", "businesses", "staff"),
        affected_people_per_year=8500,
        current_process=(
            "The Mayor's Office logs requests in a spreadsheet and emails department records "
            "liaisons, who reply with files by email or on a USB stick."
        ),
        workarounds="Weekly reminder emails from the records coordinator.",
        impact_staff_hours_per_year=9500,
        impact_cost_per_year=120000,
        impact_risk="Litigation and attorney fee awards for late responses.",
        impact_resident_burden="Requesters do not know the status and re-request the same records.",
        urgency_deadline="2027-01-01",
        urgency_reason="legal_mandate",
        urgency_notes="Amended state records law adds annual reporting of response times.",
        desired_outcome=(
            "Every request has an owner, a due date and a visible status across departments, "
            "and responses are delivered electronically."
        ),
        success_measures="Share of requests answered within the statutory deadline; median days.",
        systems_involved=(
            DemoSystem("Records request spreadsheets", True, "One per department."),
            DemoSystem("Email", False, "Intake and delivery."),
        ),
        data_sensitivity="confidential",
        equity_considerations="Community groups without lawyers get the slowest responses.",
        communities_affected=("journalists", "community organizations"),
        accessibility_needs="Released documents should be accessible PDFs.",
        language_access_needs="Request form in the city's five top languages.",
        restricted=False,
        days_ago=58,
        team="Resident Services",
    ),
    DemoProblem(
        key="dbi-contractor-renewals",
        department="DBI",
        submitter="linh.tran@city.example",
        state="declined",
        title="Contractor registration renewals are processed by hand from paper forms",
        problem_statement=(
            "Licensed contractors renew their city registration every two years on paper with "
            "a copy of their insurance certificate. Clerks check each certificate by hand and "
            "some lapsed policies go unnoticed."
        ),
        affected_groups=("businesses", "staff"),
        affected_people_per_year=4200,
        current_process="Paper form and insurance certificate, checked and entered by two clerks.",
        workarounds="Clerks call insurers to confirm coverage when a certificate looks altered.",
        impact_staff_hours_per_year=1500,
        impact_cost_per_year=None,
        impact_risk="Uninsured contractors working on city-permitted jobs.",
        impact_resident_burden="Homeowners may hire a contractor whose insurance has lapsed.",
        urgency_deadline=None,
        urgency_reason=None,
        urgency_notes="",
        desired_outcome="Renewals online with insurance verified automatically.",
        success_measures="Renewal processing days; lapsed policies caught.",
        systems_involved=(DemoSystem("Accela permits", False, "Contractor records module."),),
        data_sensitivity="internal",
        equity_considerations="",
        communities_affected=("small contractors",),
        accessibility_needs="",
        language_access_needs="Spanish.",
        restricted=False,
        days_ago=74,
        reason=(
            "The state licensing board adds insurance verification to its own portal next "
            "year; renewals will check coverage there."
        ),
    ),
    DemoProblem(
        key="prk-camp-waitlist",
        department="PRK",
        submitter="diego.ramirez@city.example",
        state="withdrawn",
        title="Summer camp registration opens at midnight and fills before families can get in",
        problem_statement=(
            "Summer camp spots open on one night and sell out within an hour. Families "
            "without reliable internet or flexible hours rarely get a spot, and the waitlist "
            "is managed by phone call by call."
        ),
        affected_groups=("residents", "staff"),
        affected_people_per_year=6000,
        current_process="First-come online registration plus a paper waitlist at each center.",
        workarounds="Center directors hold back a few spots for families they know.",
        impact_staff_hours_per_year=800,
        impact_cost_per_year=None,
        impact_risk="Fairness complaints; unused spots when waitlisted families cannot be reached.",
        impact_resident_burden="Parents stay up at midnight and still miss out.",
        urgency_deadline=None,
        urgency_reason=None,
        urgency_notes="Withdrawn: the department is moving to a lottery this season.",
        desired_outcome="A fair way to allocate camp spots and fill cancellations quickly.",
        success_measures="Share of spots going to families in priority neighborhoods.",
        systems_involved=(DemoSystem("Rec registration portal", False, "Vendor SaaS."),),
        data_sensitivity="internal",
        equity_considerations="Low-income families and shift workers are systematically excluded.",
        communities_affected=("shift workers", "low-income families"),
        accessibility_needs="",
        language_access_needs="Spanish.",
        restricted=False,
        days_ago=47,
        reason="The department is moving to a lottery this season.",
    ),
    DemoProblem(
        key="hsa-rental-assistance-status",
        department="HSA",
        submitter="samuel.osei@city.example",
        state="draft",
        title="Tenants keep calling to ask where their emergency rental assistance application is",
        problem_statement=(
            "Tenants facing eviction apply for emergency rental assistance and then hear "
            "nothing for weeks. They call us, their landlord calls us, and caseworkers spend "
            "the day answering status calls instead of processing applications."
        ),
        affected_groups=("residents", "staff", "nonprofits"),
        affected_people_per_year=4800,
        current_process="Applications in a case management system that applicants cannot see.",
        workarounds="Legal aid partners email a caseworker directly for urgent court dates.",
        impact_staff_hours_per_year=None,
        impact_cost_per_year=None,
        impact_risk="Evictions that assistance could have prevented.",
        impact_resident_burden="",
        urgency_deadline=None,
        urgency_reason=None,
        urgency_notes="",
        desired_outcome="",
        success_measures="",
        systems_involved=_NO_SYSTEMS,
        data_sensitivity="confidential",
        equity_considerations="",
        communities_affected=("renters", "Ward 8"),
        accessibility_needs="",
        language_access_needs="",
        restricted=False,
        days_ago=3,
    ),
)
