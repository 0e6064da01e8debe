"""Stored framing hints: computed on write, with the version of the rules they came from.

Problems written before have none stored (``framing_rules`` NULL): reads compute theirs
until `intake problems reframe` stores them.

Revision ID: 5d2e8c41f7a3
Revises: e41b7d2c9a06
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5d2e8c41f7a3"
down_revision: str | None = "e41b7d2c9a06"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "problems",
        sa.Column(
            "framing_hints",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column("problems", sa.Column("framing_rules", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("problems", "framing_rules")
    op.drop_column("problems", "framing_hints")
