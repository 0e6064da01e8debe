"""Whose cosines a problem's nearest are: problem_meanings.nearest_ids.

- problem_meanings.nearest_ids: the ids of its nearest problems, in the order of nearest, so
  a problem embedded again replaces its cosine in its neighbours' lists rather than adding a
  second one (which made every neighbourhood look more crowded at each re-embedding).

The stored cosines say not whose they are, so the vectors are dropped and every submitted
problem is due again (meaning_model NULL): the meaning worker, or `intake similar
recompute`, embeds them again; meanwhile the stored matches serve as they are.

Downgrading drops the column; the vectors and their cosines stay.

Revision ID: e3b9d4a61c07
Revises: c5a81e7d3f42
Create Date: 2026-12-07 13:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e3b9d4a61c07"
down_revision: str | None = "c5a81e7d3f42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM problem_meanings")
    op.execute("UPDATE problems SET meaning_model = NULL WHERE meaning_model IS NOT NULL")
    op.add_column(
        "problem_meanings",
        sa.Column("nearest_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("problem_meanings", "nearest_ids")
