"""A problem's terms crowding: its best terms' cosines, and whose.

- problem_meanings.terms_nearest, terms_nearest_ids: the problem's best terms' cosines among
  the problems scored with it, and whose (how crowded its terms' neighbourhood is); NULL for
  a meaning stored before them, counted as crowded as the city's mean.

Every submitted problem is due again (meaning_model NULL): the meaning worker, or `intake
similar recompute`, stores them; meanwhile its vector and stored matches serve as they are.

Downgrading drops the columns.

Revision ID: 617d7ea840fe
Revises: 7c2f5a9e1d48
Create Date: 2026-12-08 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "617d7ea840fe"
down_revision: str | None = "7c2f5a9e1d48"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("problem_meanings", sa.Column("terms_nearest", postgresql.ARRAY(sa.REAL())))
    op.add_column(
        "problem_meanings",
        sa.Column("terms_nearest_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True))),
    )
    op.execute("UPDATE problems SET meaning_model = NULL WHERE meaning_model IS NOT NULL")


def downgrade() -> None:
    for column in ("terms_nearest_ids", "terms_nearest"):
        op.drop_column("problem_meanings", column)
