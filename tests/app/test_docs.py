"""The docs print tables the code also reads; these tests keep the two identical."""

from __future__ import annotations

import re
from pathlib import Path

from intake.mail import delivery as mail
from intake.portfolio import export
from intake.problems import lifecycle
from intake.vocabulary.events import EVENT_TYPES
from intake.webhooks import delivery

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_triage_doc_prints_the_lifecycle_table_the_code_enforces() -> None:
    assert lifecycle.markdown_table() in (DOCS / "triage.md").read_text()


def test_integration_doc_prints_the_webhook_retry_schedule_the_code_keeps() -> None:
    assert delivery.retry_table() in (DOCS / "integration.md").read_text()


def test_delivery_doc_prints_the_mail_retry_schedule_the_code_keeps() -> None:
    assert mail.retry_table() in (DOCS / "delivery.md").read_text()


def test_integration_doc_lists_exactly_the_event_types_history_records() -> None:
    text = (DOCS / "integration.md").read_text()
    section = text.split("### Event types", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    listed = [name for row in rows for name in re.findall(r"`([a-z_]+)`", row.split(" | ")[0])]
    assert sorted(listed) == sorted(EVENT_TYPES)


def test_portfolio_doc_describes_exactly_the_export_columns() -> None:
    text = (DOCS / "portfolio.md").read_text()
    section = text.split("## 9. CSV export", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    described = [name for row in rows for name in re.findall(r"`([a-z_]+)`", row.split(" | ")[0])]
    assert described == list(export.HEADER)
    assert ",".join(export.HEADER) in section  # the example's header line
