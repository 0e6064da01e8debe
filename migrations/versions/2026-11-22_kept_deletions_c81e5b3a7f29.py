"""Removed milestones and metrics are kept, so the portfolio's past moments still see them.

- milestones and metrics: deleted_at (when it was removed; NULL while it is not) and
  deleted_by_id (who removed it). The API hides a removed record from then on; views as of
  an earlier moment count it, since it existed then.
- metrics: a metric's name is unique per problem among the metrics not removed (a partial
  unique index instead of the constraint), so a removed metric's name can be used again.

Downgrading deletes the removed records (the revision before has no way to say a record is
gone, so a kept one would come back to life), then restores the constraint and drops the
columns. Removed metrics have no measurements (only unmeasured metrics can be removed).

Revision ID: c81e5b3a7f29
Revises: 4f2a8c6d1e07
Create Date: 2026-11-22 10:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c81e5b3a7f29"
down_revision: str | None = "4f2a8c6d1e07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEPT = ("milestones", "metrics")


def upgrade() -> None:
    for table in KEPT:
        op.add_column(table, sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column("deleted_by_id", sa.UUID(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_{table}_deleted_by_id_people"), table, "people", ["deleted_by_id"], ["id"]
        )
    op.drop_constraint(op.f("uq_metrics_problem_id"), "metrics", type_="unique")
    op.create_index(
        "uq_metrics_problem_id_name_present",
        "metrics",
        ["problem_id", "name"],
        unique=True,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.execute("DELETE FROM milestones WHERE deleted_at IS NOT NULL")
    op.execute("DELETE FROM metrics WHERE deleted_at IS NOT NULL")
    op.drop_index(
        "uq_metrics_problem_id_name_present",
        table_name="metrics",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_unique_constraint(op.f("uq_metrics_problem_id"), "metrics", ["problem_id", "name"])
    for table in KEPT:
        op.drop_constraint(op.f(f"fk_{table}_deleted_by_id_people"), table, type_="foreignkey")
        op.drop_column(table, "deleted_by_id")
        op.drop_column(table, "deleted_at")
