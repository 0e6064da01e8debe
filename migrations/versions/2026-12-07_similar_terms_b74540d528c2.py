"""Similar problems compared on terms weighed by rarity, with the dictionary recorded.

- problems.similar_terms: a submitted problem's terms (stems of its title and statement
  opening, synonyms joined; intake.triage.words), with a GIN index: the search finds the
  problems sharing its rarest terms through it. problems.similar_norm: the length of the
  problem's vector of term weights, for the cosine score.
- similar_term_counts: how many stored problems hold each term, the row '' holding how many
  problems are stored; the weights come from it.
- similar_dictionary: one row, the dictionary (intake.triage.words.dictionary_hash) the
  stored matches were built with. A database that has stored matches gets 'before-terms':
  they were ranked the older way, and /health/ready says so until `intake similar
  recompute` runs. Nothing is computed here: terms need the dictionary in Python.

Downgrading drops all of it; the stored matches stay as they are.

Revision ID: b74540d528c2
Revises: 7c3e1a9b5d20
Create Date: 2026-12-07 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b74540d528c2"
down_revision: str | None = "7c3e1a9b5d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("problems", sa.Column("similar_terms", postgresql.ARRAY(sa.Text())))
    op.add_column("problems", sa.Column("similar_norm", sa.REAL()))
    op.create_index(
        "ix_problems_similar_terms", "problems", ["similar_terms"], postgresql_using="gin"
    )
    op.create_table(
        "similar_term_counts",
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_similar_term_counts")),
    )
    op.create_table(
        "similar_dictionary",
        sa.Column("one", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("dictionary", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("one", name=op.f("ck_similar_dictionary_one_row")),
        sa.PrimaryKeyConstraint("one", name=op.f("pk_similar_dictionary")),
    )
    op.execute(
        "INSERT INTO similar_dictionary (dictionary, recorded_at) SELECT 'before-terms', now() "
        "WHERE EXISTS (SELECT FROM problems WHERE similar_computed_at IS NOT NULL)"
    )


def downgrade() -> None:
    op.drop_table("similar_dictionary")
    op.drop_table("similar_term_counts")
    op.drop_index("ix_problems_similar_terms", table_name="problems")
    op.drop_column("problems", "similar_norm")
    op.drop_column("problems", "similar_terms")
