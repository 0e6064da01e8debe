"""The docs print tables the code also reads; these tests keep the two identical."""

from __future__ import annotations

from pathlib import Path

from intake.mail import delivery as mail
from intake.problems import lifecycle
from intake.webhooks import delivery

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_triage_doc_prints_the_lifecycle_table_the_code_enforces() -> None:
    assert lifecycle.markdown_table() in (DOCS / "triage.md").read_text()


def test_integration_doc_prints_the_webhook_retry_schedule_the_code_keeps() -> None:
    assert delivery.retry_table() in (DOCS / "integration.md").read_text()


def test_delivery_doc_prints_the_mail_retry_schedule_the_code_keeps() -> None:
    assert mail.retry_table() in (DOCS / "delivery.md").read_text()
