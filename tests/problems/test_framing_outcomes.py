"""Framing hints on desired outcomes stated as the delivered solution ("every inspector carries
a tablet", "hiring runs through NEOGOV", "body cameras are deployed"), while outcomes that name
a change in the world, and mention today's systems only as context, stay clean."""

import pytest

from intake.problems.framing import FramingHint, framing_hints


def outcome_hints(text: str) -> list[FramingHint]:
    return framing_hints(title=None, problem_statement=None, desired_outcome=text)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Meter readers use handheld RFID scanners on every route.", "use handheld RFID scanners"),
        ("The fleet has GPS trackers on every vehicle.", "GPS trackers"),
        ("Tenants get text message alerts when a hearing moves.", "text message alerts"),
        ("Inspectors capture e-signatures on site.", "e-signatures"),
        ("Library patrons check out books at self-service kiosks.", "self-service kiosks"),
        ("Hiring runs through NEOGOV from posting to offer.", "NEOGOV"),
        ("Contracts are signed with DocuSign instead of on paper.", "DocuSign"),
        ("Staff use Power BI for all monthly reporting.", "use Power BI"),
        ("Salesforce is the system of record for every grant.", "Salesforce"),
        ("The department is fully on Microsoft 365.", "Microsoft 365"),
        ("The 311 chatbot is live on the website.", "The 311 chatbot"),
        ("Kiosks in every branch let patrons renew cards.", "Kiosks"),
        ("Smart meters send readings every hour.", "Smart meters"),
        ("Our department has its own GIS portal.", "its own GIS portal"),
        ("An AI assistant answers questions about trash pickup.", "An AI assistant"),
        ("Every school nurse has a laptop connected to the records system.", "a laptop"),
        ("Body cameras are deployed to all patrol officers.", "Body cameras are deployed"),
        (
            "The permitting system is integrated with the state licensing API.",
            "The permitting system is integrated",
        ),
        ("Handwritten logs replaced by digital forms on tablets.", "replaced by digital forms"),
        (
            "Tyler EnerGov is fully implemented across planning.",
            "Tyler EnerGov is fully implemented",
        ),
        ("One unified CRM for all departments.", "One unified CRM"),
        ("Residents receive automated texts when a bin is missed.", "automated texts"),
        ("Overtime is tracked in a Power BI dashboard.", "a Power BI dashboard"),
        (
            "Clerks scan every incoming document into Laserfiche.",
            "scan every incoming document",
        ),
    ],
)
def test_an_outcome_that_is_a_solution_in_place_gets_a_hint(text: str, phrase: str) -> None:
    assert [hint.phrase for hint in outcome_hints(text)][:1] == [phrase]


@pytest.mark.parametrize(
    ("solution", "problem"),
    [
        pytest.param(
            "Staff use Power BI for all monthly reporting.",
            "Staff use Accela to track inspections but re-enter results in Excel.",
            id="a-contrast-is-today",
        ),
        pytest.param(
            "Crews carry tablets with the day's work orders.",
            "The tablets crews already carry are used to close out jobs.",
            id="already",
        ),
        pytest.param(
            "Permit fees are paid through Stripe.",
            "No one types an address twice, even though the data today sits in Accela.",
            id="where-data-lives-today",
        ),
        pytest.param(
            "Smart meters send readings every hour.",
            "Lost devices are reported within a day.",
            id="a-device-as-subject",
        ),
        pytest.param(
            "Smart meters send readings every hour.",
            "Chatbot answers are correct 95% of the time.",
            id="a-verb-that-is-a-noun",
        ),
        pytest.param(
            "Every new hire gets a laptop on day one.",
            "Applicants who lack a smartphone can still apply.",
            id="lacking",
        ),
        pytest.param(
            "Paper logs replaced by tablets.",
            "Sensors that fail are replaced within a week.",
            id="replaced-by-what",
        ),
        pytest.param(
            "Every new hire gets a laptop on day one.",
            "Nobody waits more than a week for a laptop after they start.",
            id="denied",
        ),
        pytest.param(
            "Hiring runs through NEOGOV from posting to offer.",
            "Our contract with Tyler ends before the new budget year.",
            id="a-contract-with",
        ),
        pytest.param(
            "Caseworkers carry tablets on home visits.",
            "Caseworkers spend their time with clients, not re-entering data between systems.",
            id="between-systems",
        ),
        pytest.param(
            "Staff use one case management system.",
            "Staff use two systems instead of five.",
            id="fewer-systems",
        ),
        pytest.param(
            "Body cameras are deployed to all patrol officers.",
            "The records system was implemented in 2015 and is no longer supported.",
            id="what-happened",
        ),
    ],
)
def test_an_outcome_naming_todays_tools_as_context_gets_no_hint(
    solution: str, problem: str
) -> None:
    assert outcome_hints(solution) != []
    assert outcome_hints(problem) == []


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("We need a webhook for new permits.", "We need a webhook"),
        ("Please put NFC stickers on the bus shelters.", "put NFC stickers"),
        ("Buy pagers for the on-call crew.", "Buy pagers"),
        ("We want an NFC chip in every library card.", "We want an NFC chip"),
        (
            "Give parking officers handheld ticket writers.",
            "Give parking officers handheld ticket writers",
        ),
        ("Set up a GTFS feed for the shuttle.", "Set up a GTFS feed"),
        ("We need a two-way interface between Accela and Munis.", "We need a two-way interface"),
        ("Add a chat line to the benefits page.", "Add a chat line"),
        ("Buy smartwatches for the lone-worker program.", "Buy smartwatches"),
        ("Set up an auto-attendant for the main line.", "Set up an auto-attendant"),
        ("We need electronic signatures on all leases.", "We need electronic signatures"),
        ("We need QR-codes on every hydrant.", "We need QR-codes"),
    ],
)
def test_more_technology_words_are_solutions(text: str, phrase: str) -> None:
    hints = framing_hints(title=None, problem_statement=text, desired_outcome=None)

    assert [hint.phrase for hint in hints] == [phrase]


@pytest.mark.parametrize(
    ("solution", "problem"),
    [
        (
            "Add an IVR line for the tax office.",
            "The line at the counter wraps around the building.",
        ),
        ("Set up a GTFS feed for the shuttle.", "The feed from the state changes without notice."),
        ("We need electronic signatures on leases.", "We need a signature from the director."),
        ("Install message signs on the bridge.", "The sign at the front desk is out of date."),
    ],
)
def test_those_words_in_ordinary_senses_get_no_hints(solution: str, problem: str) -> None:
    def hints(text: str) -> list[FramingHint]:
        return framing_hints(title=None, problem_statement=text, desired_outcome=None)

    assert hints(solution) != []
    assert hints(problem) == []
