"""Framing hints on shapes of prescribing that outside writers used and the grammar had not
read: something wanted done ("we need the forms digitized"), what software is rebuilt in,
a tool set against today's paper, a system to retire, a solution that has launched or acts,
a scheduled feed into a product, a labelled ask, a purpose after a title's solution, what
is sold of a solution, an app residents download; and the problem texts that use the same
words as context."""

import pytest

from tests.helpers import hints_for


@pytest.mark.parametrize(
    ("field", "text", "rule", "phrase"),
    [
        pytest.param(
            "problem_statement",
            "We need the intake forms digitized before the move.",
            "automate_process",
            "intake forms digitized",
            id="wanted-done",
        ),
        pytest.param(
            "problem_statement",
            "We'd like the case records moved to the cloud.",
            "migrate_to_product",
            "moved to the cloud",
            id="wanted-moved",
        ),
        pytest.param(
            "title",
            "Have the court calendar moved onto Legistar",
            "migrate_to_product",
            "moved onto Legistar",
            id="have-it-done",
        ),
        pytest.param(
            "problem_statement",
            "Leadership wants every timesheet approved in Workday.",
            "implement_product",
            "in Workday",
            id="work-wanted-done-in-a-tool",
        ),
        pytest.param(
            "desired_outcome",
            "The grant tracker has been rewritten in Java.",
            "replace_with_product",
            "rewritten in Java",
            id="rewritten-in-a-language",
        ),
        pytest.param(
            "desired_outcome",
            "The library catalogue has been rebuilt on a modern stack.",
            "replace_with_product",
            "rebuilt on a modern stack",
            id="rebuilt-on-a-new-stack",
        ),
        pytest.param(
            "desired_outcome",
            "Case notes have been migrated into CaseWorthy for every caseworker.",
            "migrate_to_product",
            "migrated into CaseWorthy",
            id="moved-into-a-domain-product",
        ),
        pytest.param(
            "desired_outcome",
            "Leave requests go through the HR portal instead of paper forms.",
            "build_app",
            "the HR portal",
            id="a-tool-instead-of-paper",
        ),
        pytest.param(
            "desired_outcome",
            "Overtime is approved in Workday rather than by e-mail.",
            "implement_product",
            "Workday",
            id="a-tool-rather-than-e-mail",
        ),
        pytest.param(
            "desired_outcome",
            "The vendor portal has launched and vendors submit invoices through it.",
            "build_app",
            "The vendor portal",
            id="has-launched",
        ),
        pytest.param(
            "desired_outcome",
            "Residents can download the parks app on any phone.",
            "build_app",
            "the parks app",
            id="an-app-residents-download",
        ),
        pytest.param(
            "desired_outcome",
            "The chatbot answers housing questions 24/7 on our website.",
            "build_app",
            "The chatbot",
            id="the-solution-acts",
        ),
        pytest.param(
            "desired_outcome",
            "Our team works out of one shared Smartsheet instead of twelve spreadsheets.",
            "implement_product",
            "one shared Smartsheet",
            id="worked-out-of-a-product-instead-of-spreadsheets",
        ),
        pytest.param(
            "desired_outcome",
            "Overtime data is pulled into Power BI every night.",
            "automate_process",
            "pulled into Power BI",
            id="a-scheduled-feed-into-a-product",
        ),
        pytest.param(
            "title",
            "Time to retire the AS/400 billing system",
            "replace_with_product",
            "retire the AS/400",
            id="a-system-to-retire",
        ),
        pytest.param(
            "title",
            "License seats for ArcGIS Pro for the planning team",
            "buy_product",
            "seats for ArcGIS Pro",
            id="seats-for-a-product",
        ),
        pytest.param(
            "problem_statement",
            "The clerk's office has been looking at Laserfiche for records retention.",
            "implement_product",
            "looking at Laserfiche",
            id="has-been-looking-at",
        ),
        pytest.param(
            "problem_statement",
            "Fleet request: routing software integrated with our telematics and billing.",
            "need_system",
            "routing software",
            id="a-labelled-ask",
        ),
        pytest.param(
            "title",
            "Machine learning model to predict water main breaks",
            "need_system",
            "Machine learning model",
            id="a-title-with-its-purpose",
        ),
        pytest.param(
            "problem_statement",
            "The clerk's office is asking for a redaction software license.",
            "need_system",
            "asking for a redaction software license",
            id="what-is-sold-of-a-solution",
        ),
    ],
)
def test_these_shapes_of_prescribing_get_a_hint(
    field: str, text: str, rule: str, phrase: str
) -> None:
    hints = hints_for(field, text)

    assert [(hint.rule, hint.phrase) for hint in hints] == [(rule, phrase)]


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("problem_statement", "We need the backlog of 900 inspections cleared before the audit."),
        ("problem_statement", "We need tenants moved into permanent housing faster."),
        ("problem_statement", "Caseworkers need the files scanned last year to be searchable."),
        ("problem_statement", "Staff want the permits reviewed in Accela to be correct."),
        ("problem_statement", "We need a modern framework for deciding which roads to repave."),
        ("problem_statement", "Our software licenses expire in June and renewal costs doubled."),
        ("problem_statement", "Request: the permit system crashes daily."),
        ("desired_outcome", "Timesheets approved in Kronos within two days of the pay period."),
        ("desired_outcome", "Leave requests are approved within two days instead of two weeks."),
        (
            "desired_outcome",
            "Residents can report through the existing portal instead of by email.",
        ),
        ("desired_outcome", "The senior center is rebuilt in a new location."),
        ("desired_outcome", "Broken laptops are replaced within two days."),
        ("desired_outcome", "The program has launched in every ward."),
        ("desired_outcome", "Families moved into permanent housing stay housed for a year."),
        ("desired_outcome", "Results copied into Munis match the field sheets."),
        ("desired_outcome", "Overtime figures in Power BI match payroll to the dollar."),
        ("desired_outcome", "The API the state gives us no longer breaks our monthly report."),
        ("title", "Residents have to call three times to get a permit"),
        ("title", "Planners wait weeks for a free ArcGIS Pro seat"),
        ("problem_statement", "Two inspectors retire this year and nobody else knows the system."),
        ("problem_statement", "We have been using Laserfiche for ten years and it keeps crashing."),
    ],
)
def test_the_same_words_as_context_get_no_hint(field: str, text: str) -> None:
    assert hints_for(field, text) == []
