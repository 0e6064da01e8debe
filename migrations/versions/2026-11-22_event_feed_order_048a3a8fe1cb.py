"""Each history event records the transaction that wrote it: the order of the event feed.

- problem_events.xact_id (xid8, NOT NULL, DEFAULT pg_current_xact_id()): the 64-bit id of
  the writing transaction. Event ids come from a sequence and are not committed in order,
  so a reader paging "id > last seen" could skip an event whose transaction commits after
  a later id was read. GET /api/v1/events publishes only events whose transaction is
  certainly finished (xact_id below the oldest transaction still running) in
  (xact_id, id) order, so no event is ever skipped.
- ix_problem_events_xact_id_id: (xact_id, id), the feed's keyset.

Every writer (``history.record``, the demo seed and generator, earlier migrations' own
inserts) leaves the column out and gets the default. The default is stable, not volatile,
so PostgreSQL adds the column without rewriting the table: the events already there all
get this migration's own transaction id, and keep their id order among themselves. Adding a
column is not an UPDATE, so the append-only trigger does not fire.

Downgrading drops the index and the column.

Revision ID: 048a3a8fe1cb
Revises: b7e2d4f19a60
Create Date: 2026-11-22 03:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "048a3a8fe1cb"
down_revision: str | None = "b7e2d4f19a60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Raw SQL: SQLAlchemy has no xid8 type (intake.db.models.XID8 maps it for the app).
    op.execute(
        "ALTER TABLE problem_events ADD COLUMN xact_id xid8 NOT NULL DEFAULT pg_current_xact_id()"
    )
    op.create_index(
        op.f("ix_problem_events_xact_id_id"), "problem_events", ["xact_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_problem_events_xact_id_id"), table_name="problem_events")
    op.drop_column("problem_events", "xact_id")
