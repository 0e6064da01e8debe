"""E-mail notifications: each notification's mail state, and each person's choice.

- notifications: email_state (pending, sent, failed, skipped, dropped), the failed
  attempts so far and when to try again (email_attempts, email_next_at), the lease a mail
  pass holds while it sends (email_leased_until), when it was sent (emailed_at) and why the
  last attempt failed (email_error); a partial index on the pending ones by age, which is
  what the mail pass reads.
- people: email_notifications, on unless the person turns it off.

Notifications already there are never mailed: the column is added with the default
'skipped', which PostgreSQL stores once for every existing row without rewriting the
table, and only then does the default become 'pending' for new rows.

Downgrading drops the columns and the index: what was mailed, and who turned e-mail off,
is lost.

Revision ID: 41a08b2f8b49
Revises: 5b9e2f7c1d84
Create Date: 2026-11-22 06:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "41a08b2f8b49"
down_revision: str | None = "5b9e2f7c1d84"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = ("pending", "sent", "failed", "skipped", "dropped")


def upgrade() -> None:
    op.add_column(
        "people",
        sa.Column(
            "email_notifications", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
    )
    op.add_column(
        "notifications",
        sa.Column("email_state", sa.String(length=10), server_default="skipped", nullable=False),
    )
    op.alter_column("notifications", "email_state", server_default="pending")
    op.add_column(
        "notifications",
        sa.Column("email_attempts", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.add_column(
        "notifications", sa.Column("email_next_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "notifications",
        sa.Column("email_leased_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "notifications", sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("notifications", sa.Column("email_error", sa.String(length=500), nullable=True))
    op.create_check_constraint(
        op.f("ck_notifications_email_state_known"),
        "notifications",
        "email_state IN (" + ", ".join(f"'{state}'" for state in STATES) + ")",
    )
    op.create_index(
        "ix_notifications_email_pending",
        "notifications",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("email_state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_notifications_email_pending",
        table_name="notifications",
        postgresql_where=sa.text("email_state = 'pending'"),
    )
    op.drop_constraint(op.f("ck_notifications_email_state_known"), "notifications", type_="check")
    for column in (
        "email_error",
        "emailed_at",
        "email_leased_until",
        "email_next_at",
        "email_attempts",
        "email_state",
    ):
        op.drop_column("notifications", column)
    op.drop_column("people", "email_notifications")
