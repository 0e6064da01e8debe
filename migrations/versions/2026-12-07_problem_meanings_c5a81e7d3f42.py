"""What each problem means: its sentence-model vector, for similar problems.

- problem_meanings: a submitted problem's vector (intake.triage.meaning: 384 float32,
  little-endian, as bytea), the model it came from, and the cosines of its nearest
  problems (how crowded its neighbourhood is), written by the app's meaning worker;
  stored_at (indexed) says when the row last changed, so each process's matrix reads only
  what changed since it last looked.
- problems.meaning_model: the model of its stored vector; NULL while it has none that fits
  its words (just submitted, its title or statement changed, or the model changed). The
  worker finds those through the partial index, newest first. Nothing is computed here:
  existing problems are embedded by the worker or `intake similar recompute`.

Downgrading drops both; the stored matches stay as they are.

Revision ID: c5a81e7d3f42
Revises: fae9b6a019d2
Create Date: 2026-12-07 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c5a81e7d3f42"
down_revision: str | None = "fae9b6a019d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("problems", sa.Column("meaning_model", sa.String(64)))
    op.create_index(
        "ix_problems_meaning_due",
        "problems",
        [sa.text("submitted_at DESC"), "id"],
        postgresql_where=sa.text("reference IS NOT NULL AND meaning_model IS NULL"),
    )
    op.create_table(
        "problem_meanings",
        sa.Column("problem_id", sa.Uuid(), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("nearest", postgresql.ARRAY(sa.REAL()), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_problem_meanings_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("problem_id", name=op.f("pk_problem_meanings")),
    )
    op.create_index(op.f("ix_problem_meanings_stored_at"), "problem_meanings", ["stored_at"])


def downgrade() -> None:
    op.drop_table("problem_meanings")
    op.drop_index("ix_problems_meaning_due", table_name="problems")
    op.drop_column("problems", "meaning_model")
