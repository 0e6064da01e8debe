"""Triage queue index in the queue's own order, so a page reads a short index range.

Revision ID: 5e1f0c2a9b7d
Revises: 22d0eded9782
Create Date: 2026-11-21 20:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1f0c2a9b7d"
down_revision: str | None = "22d0eded9782"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('submitted', 'triage', 'needs_info')")


def upgrade() -> None:
    op.drop_index("ix_problems_triage_queue", table_name="problems")
    op.create_index(
        "ix_problems_triage_queue",
        "problems",
        ["decision_due_at", sa.text("score DESC NULLS LAST"), "id"],
        unique=False,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_problems_triage_queue", table_name="problems")
    op.create_index(
        "ix_problems_triage_queue",
        "problems",
        ["decision_due_at", "score", "id"],
        unique=False,
        postgresql_where=OPEN,
    )
