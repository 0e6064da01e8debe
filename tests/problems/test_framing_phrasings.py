"""Framing hints on the ways city staff prescribe that the first grammar did not read:
outcomes stated as a delivered system, asks, named products used as verbs, purchases of
licences, misspellings; and problem texts that only report someone else's solution."""

import pytest

from tests.helpers import hints_for


@pytest.mark.parametrize(
    ("field", "text", "rule", "phrase"),
    [
        pytest.param(
            "desired_outcome",
            "A new CRM is live and every caseworker uses it.",
            "need_system",
            "A new CRM",
            id="outcome-a-delivered-system",
        ),
        pytest.param(
            "desired_outcome",
            "The department has moved to a cloud-based permitting platform.",
            "migrate_to_product",
            "moved to a cloud-based permitting platform",
            id="outcome-in-the-perfect",
        ),
        pytest.param(
            "desired_outcome",
            "Staff enter hours in a new web-based timesheet app.",
            "build_app",
            "in a new web-based timesheet app",
            id="outcome-a-new-means",
        ),
        pytest.param(
            "problem_statement",
            "What we really need is a proper ticketing system so requests stop getting lost.",
            "need_system",
            "What we really need is a proper ticketing system",
            id="what-we-need-is",
        ),
        pytest.param(
            "problem_statement",
            "How about a texting service that reminds people about jury duty?",
            "need_system",
            "How about a texting service",
            id="how-about",
        ),
        pytest.param(
            "problem_statement",
            "We would like to DocuSign every contract so nothing needs a wet signature.",
            "implement_product",
            "We would like to DocuSign",
            id="a-product-as-a-verb",
        ),
        pytest.param(
            "problem_statement",
            "It's time for the department to go digital with its permit applications.",
            "automate_process",
            "go digital",
            id="go-digital",
        ),
        pytest.param(
            "title",
            "License for ArcGIS Online for the parks planners",
            "buy_product",
            "License for ArcGIS Online",
            id="license-for-a-product",
        ),
        pytest.param(
            "problem_statement",
            "Our request is funding for 30 rugged laptops for building inspectors.",
            "buy_product",
            "funding for 30 rugged laptops",
            id="funding-for-devices",
        ),
        pytest.param(
            "problem_statement",
            "Set up appointment booking with Calendly for the vaccine clinics.",
            "implement_product",
            "Set up appointment booking with Calendly",
            id="a-product-as-the-means-of-a-command",
        ),
        pytest.param(
            "title",
            "Request: new case management software",
            "need_system",
            "new case management software",
            id="title-after-a-label",
        ),
        pytest.param(
            "title",
            "Upgrade to the latest version of ArcGIS Pro",
            "migrate_to_product",
            "Upgrade to the latest version of ArcGIS Pro",
            id="latest-version-of",
        ),
        pytest.param(
            "problem_statement",
            "We want every resident to be able to pay water bills with Apple Pay.",
            "implement_product",
            "with Apple Pay",
            id="a-wanted-means",
        ),
        pytest.param(
            "problem_statement",
            "Can we dashboard the overtime data so chiefs see it weekly?",
            "build_dashboard",
            "dashboard",
            id="a-solution-noun-as-a-verb",
        ),
        pytest.param(
            "problem_statement",
            "A GIS-based tool would let planners see zoning changes at a glance.",
            "need_system",
            "A GIS-based tool",
            id="a-tool-that-would-help",
        ),
        pytest.param(
            "problem_statement",
            "We envision a one-stop portal where businesses see every permit they hold.",
            "build_app",
            "We envision a one-stop portal",
            id="envision",
        ),
        pytest.param(
            "problem_statement",
            "Let's move the whole grants process onto Smartsheet.",
            "migrate_to_product",
            "move the whole grants process onto Smartsheet",
            id="move-onto",
        ),
        pytest.param(
            "problem_statement",
            "Overdue book notices should be sent by SMS instead of mail.",
            "need_system",
            "by SMS",
            id="by-sms",
        ),
        pytest.param(
            "problem_statement",
            "We need e-permitting so contractors stop driving to the counter.",
            "build_app",
            "We need e-permitting",
            id="an-e-word",
        ),
        pytest.param(
            "problem_statement",
            "Parents can't tell if the pool is full; a live occupancy counter on the parks "
            "website would help.",
            "get_devices",
            "a live occupancy counter",
            id="would-help-after-what-it-is-for",
        ),
    ],
)
def test_more_ways_of_prescribing_get_a_hint(field: str, text: str, rule: str, phrase: str) -> None:
    hints = hints_for(field, text)

    assert [(hint.rule, hint.phrase) for hint in hints] == [(rule, phrase)]
    assert text[hints[0].start :].startswith(phrase)


def test_a_misspelt_solution_word_is_read_as_meant_and_the_hint_says_so() -> None:
    [hint] = hints_for("title", "Need new labtops for the assessors")

    assert (hint.rule, hint.phrase, hint.object) == ("get_devices", "Need new labtops", "labtops")
    assert hint.reason.endswith('"labtops" read as "laptops"')
    # a common word one letter from a solution word is left as written
    assert hints_for("problem_statement", "We need postal addresses for every tenant.") == []


@pytest.mark.parametrize(
    ("field", "text"),
    [
        pytest.param(
            "problem_statement",
            "We were told to buy a new CRM, but the real issue is that nobody knows who owns "
            "a complaint once it is logged.",
            id="told-to-buy",
        ),
        pytest.param(
            "problem_statement",
            "We were asked to move to the cloud, but first we need to know what our staff "
            "actually struggle with.",
            id="asked-to-move",
        ),
        pytest.param(
            "problem_statement",
            "Staff need to re-enter everything in Munis after each inspection.",
            id="where-work-is-done-today",
        ),
        pytest.param(
            "problem_statement",
            "Residents need a smartphone to apply, and many of our clients do not have one.",
            id="a-device-the-public-lacks",
        ),
    ],
)
def test_reported_solutions_and_current_tools_get_no_hints(field: str, text: str) -> None:
    assert hints_for(field, text) == []


def test_going_digital_is_prescribed_when_asked_for_not_when_mandated() -> None:
    asked = hints_for("problem_statement", "We want to go paperless in the clerk's office.")
    mandated = hints_for(
        "problem_statement",
        "The state requires us to go digital by 2028, but we don't know which steps "
        "residents find hardest.",
    )

    assert [(hint.rule, hint.phrase) for hint in asked] == [("automate_process", "go paperless")]
    assert mandated == []


def test_licenses_are_prescribed_when_asked_for_not_when_held() -> None:
    asked = hints_for("problem_statement", "We are requesting 25 licenses for Adobe Acrobat Pro.")
    held = hints_for("title", "Power BI licenses nobody uses")

    assert [(hint.rule, hint.phrase) for hint in asked] == [
        ("buy_product", "licenses for Adobe Acrobat Pro")
    ]
    assert held == []


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Issue an RFP for a new CAD system.", "RFP for a new CAD system"),
        ("We need an IVR for the tax line.", "We need an IVR"),
        ("Make all permit forms available online.", "Make all permit forms available online"),
        ("Get all inspectors onto iPads by June.", "Get all inspectors onto iPads"),
        (
            "Create a mobile-friendly version of the benefits application.",
            "Create a mobile-friendly version",
        ),
        ("Convert all forms into fillable PDFs.", "Convert all forms into fillable PDFs"),
        ("Could we use computer vision to count pedestrians?", "use computer vision"),
        ("We need predictive analytics for overdoses.", "We need predictive analytics"),
        ("Tag every library laptop with RFID.", "Tag every library laptop with RFID"),
        ("Add text-to-pay to the parking citation notices.", "Add text-to-pay"),
        ("Set up robotic process automation for invoices.", "Set up robotic process automation"),
    ],
)
def test_civic_technology_words_are_solutions(text: str, phrase: str) -> None:
    assert [hint.phrase for hint in hints_for("problem_statement", text)] == [phrase]


def test_a_new_solution_said_to_help_is_prescribed_unless_denied_or_reported() -> None:
    said = hints_for("problem_statement", "An app could save residents the trip downtown.")

    assert [(hint.rule, hint.phrase) for hint in said] == [("build_app", "An app")]
    for text in (
        "A new website would not solve this; people do not know the program exists.",
        "We were told a new CRM would solve this, but the real problem is ownership.",
        "We were hoping the new system would fix this, but it did not.",
    ):
        assert hints_for("problem_statement", text) == [], text
