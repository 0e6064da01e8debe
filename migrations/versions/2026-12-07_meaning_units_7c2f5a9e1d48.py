"""A problem's units: its title and each sentence of its statement, embedded apart.

- problem_meanings.units: the units' vectors (float32, 384 each, one after the other); NULL
  for a vector stored before units, which is matched by its whole text alone.
- problem_meanings.units_nearest, units_nearest_ids: its best units scores among its nearest
  by the whole text, and whose (how crowded its units' neighbourhood is).

Every submitted problem is due again (meaning_model NULL): the meaning worker, or `intake
similar recompute`, embeds its units; meanwhile its vector and stored matches serve as they
are.

Downgrading drops the columns.

Revision ID: 7c2f5a9e1d48
Revises: e3b9d4a61c07
Create Date: 2026-12-07 22:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7c2f5a9e1d48"
down_revision: str | None = "e3b9d4a61c07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("problem_meanings", sa.Column("units", sa.LargeBinary()))
    op.add_column("problem_meanings", sa.Column("units_nearest", postgresql.ARRAY(sa.REAL())))
    op.add_column(
        "problem_meanings",
        sa.Column("units_nearest_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True))),
    )
    op.execute("UPDATE problems SET meaning_model = NULL WHERE meaning_model IS NOT NULL")


def downgrade() -> None:
    for column in ("units_nearest_ids", "units_nearest", "units"):
        op.drop_column("problem_meanings", column)
