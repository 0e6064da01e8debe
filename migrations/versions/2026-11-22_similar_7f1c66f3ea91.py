"""Similar problems are stored, not searched per read.

- problem_similarities: each problem's best matches with their scores, in both directions
  (a match lists the problem back), whoever may see them: visibility applies when they are
  read. Indexed by problem and score (the read), and by the matched problem (the lists a
  problem appears in, recomputed when its words change).
- problems.similar_computed_at: when a problem's matches were stored. NULL for every
  problem this revision finds: they are filled on first read, or all at once by
  `intake similar backfill` after the deploy. Not here: one search per submitted problem
  (about 15 ms each) would hold a deploy for half an hour at 100,000 problems.

Downgrading drops both; nothing else refers to them.

Revision ID: 7f1c66f3ea91
Revises: c81e5b3a7f29
Create Date: 2026-11-22 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7f1c66f3ea91"
down_revision: str | None = "c81e5b3a7f29"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "problems", sa.Column("similar_computed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "problem_similarities",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("similar_id", sa.UUID(), nullable=False),
        sa.Column("score", sa.REAL(), nullable=False),
        sa.CheckConstraint(
            "problem_id <> similar_id", name=op.f("ck_problem_similarities_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_problem_similarities_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["similar_id"],
            ["problems.id"],
            name=op.f("fk_problem_similarities_similar_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("problem_id", "similar_id", name=op.f("pk_problem_similarities")),
    )
    op.create_index(
        "ix_problem_similarities_best",
        "problem_similarities",
        ["problem_id", sa.text("score DESC"), "similar_id"],
    )
    op.create_index(
        op.f("ix_problem_similarities_similar_id"), "problem_similarities", ["similar_id"]
    )


def downgrade() -> None:
    op.drop_table("problem_similarities")  # its indexes go with it
    op.drop_column("problems", "similar_computed_at")
