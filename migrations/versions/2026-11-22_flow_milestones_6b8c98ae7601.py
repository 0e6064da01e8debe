"""Flow reads milestones, not the snapshot: an index of the timeline rows each first
decision, launch and close began, by when; repeated stays indexed by state and end.

- ix_problem_timeline_milestones: lead times and throughput over a window read only the
  milestones in it (index-only), instead of every problem's row at the moment.
- ix_problem_timeline_repeated_stays: keyed by state and by when the stay ended, like
  ix_problem_timeline_stays, so time in state reads only a state's repeated stays in the
  window instead of scanning all of its stays a second time.

Both are built in the migration's transaction: writes to the timeline (every event that
changes a problem's portfolio attributes) wait while they build, a few seconds at
100,000 problems. Downgrading restores the repeated stays index as it was and drops the
milestones index.

Revision ID: 6b8c98ae7601
Revises: 41a08b2f8b49
Create Date: 2026-11-22 08:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6b8c98ae7601"
down_revision: str | None = "41a08b2f8b49"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_ENDED = sa.text("coalesce(valid_to, 'infinity'::timestamptz)")
STAY_COLUMNS = [
    "valid_to",
    "problem_id",
    "department_id",
    "submitted_at",
    "state_entered_at",
    "previous_stay_ended_at",
    "next_stay_began_at",
]
REPEATED_STAYS = sa.text(
    "last_of_stay AND submitted_at IS NOT NULL"
    " AND (previous_stay_ended_at IS NOT NULL OR next_stay_began_at IS NOT NULL)"
)


def upgrade() -> None:
    op.create_index(
        "ix_problem_timeline_milestones",
        "problem_timeline",
        ["valid_from"],
        unique=False,
        postgresql_include=[
            "problem_id",
            "department_id",
            "team_id",
            "submitted_at",
            "decided_at",
            "launched_at",
            "closed_at",
        ],
        postgresql_where=sa.text(
            "submitted_at IS NOT NULL AND coalesce(valid_to, 'infinity'::timestamptz) > valid_from"
            " AND (valid_from = decided_at OR valid_from = launched_at OR valid_from = closed_at)"
        ),
    )
    _repeated_stays(["status", NOT_ENDED])


def downgrade() -> None:
    _repeated_stays(["problem_id", "status"])
    op.drop_index("ix_problem_timeline_milestones", table_name="problem_timeline")


def _repeated_stays(keys: list[str | sa.TextClause]) -> None:
    op.drop_index("ix_problem_timeline_repeated_stays", table_name="problem_timeline")
    op.create_index(
        "ix_problem_timeline_repeated_stays",
        "problem_timeline",
        keys,
        unique=False,
        postgresql_include=STAY_COLUMNS,
        postgresql_where=REPEATED_STAYS,
    )
