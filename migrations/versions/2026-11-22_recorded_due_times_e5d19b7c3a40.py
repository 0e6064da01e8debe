"""Record the SLA due times of problems from before history recorded them.

The portfolio timeline (3b8e6f0d2a91) judges SLA clocks from the due times history records.
Problems submitted before history recorded them had none, so their clocks were counted as
met. This revision records each such problem's current due times as one ``sla_recorded``
event at its submission, and rebuilds the timeline when it recorded any (with the frozen
rebuild of 9d4a7c2e5b13, the timeline's shape since). On a database that has no such
problem it changes nothing. Downgrading deletes those events and rebuilds the timeline.

Revision ID: e5d19b7c3a40
Revises: 7f1c66f3ea91
Create Date: 2026-11-22 02:40:00+00:00
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "e5d19b7c3a40"
down_revision: str | None = "7f1c66f3ea91"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD_DUE_TIMES_SQL = """
INSERT INTO problem_events (problem_id, actor_id, type, occurred_at, reason, changes)
SELECT p.id, NULL, 'sla_recorded', p.submitted_at,
       'Due times recorded when the portfolio timeline was introduced',
       jsonb_build_object('sla', jsonb_build_object(
           'first_response_due_at', p.first_response_due_at,
           'decision_due_at', p.decision_due_at))
FROM problems AS p
WHERE p.submitted_at IS NOT NULL
  AND (p.first_response_due_at IS NOT NULL OR p.decision_due_at IS NOT NULL)
  AND NOT EXISTS (
      SELECT 1 FROM problem_events AS e WHERE e.problem_id = p.id AND e.changes ? 'sla'
  )
ORDER BY p.submitted_at
"""


def _rebuild_timeline() -> None:
    """Project the whole history again, with the timeline rebuild frozen in 9d4a7c2e5b13."""
    path = next(Path(__file__).parent.glob("*_9d4a7c2e5b13.py"))
    spec = importlib.util.spec_from_file_location("timeline_9d4a7c2e5b13", path)
    assert spec is not None and spec.loader is not None
    frozen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(frozen)
    op.execute("SELECT set_config('work_mem', '256MB', true)")
    op.execute("TRUNCATE problem_timeline")
    op.execute(frozen.REBUILD_SQL)
    op.execute("ANALYZE problem_timeline")


def upgrade() -> None:
    recorded = op.get_bind().execute(sa.text(RECORD_DUE_TIMES_SQL)).rowcount
    if recorded:
        _rebuild_timeline()


def downgrade() -> None:
    bind = op.get_bind()
    if not bind.execute(
        sa.text("SELECT 1 FROM problem_events WHERE type = 'sla_recorded'")
    ).first():
        return
    op.execute("TRUNCATE problem_timeline")  # its rows point at the events about to go
    op.execute("ALTER TABLE problem_events DISABLE TRIGGER problem_events_append_only")
    op.execute("DELETE FROM problem_events WHERE type = 'sla_recorded'")
    op.execute("ALTER TABLE problem_events ENABLE TRIGGER problem_events_append_only")
    _rebuild_timeline()
