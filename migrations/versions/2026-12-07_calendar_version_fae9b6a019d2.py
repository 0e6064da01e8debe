"""The SLA calendar's version: a token renewed by triggers whenever settings or holidays change.

A process keeps the calendar (the SLA targets and time zone, the holidays) it loaded under
the token it read with it, and each read of the queue reads the token in its own statement:
another process's change, or one made in psql, shows at once.

Revision ID: fae9b6a019d2
Revises: 5d2e8c41f7a3
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "fae9b6a019d2"
down_revision: str | None = "5d2e8c41f7a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("settings", "holidays")


def upgrade() -> None:
    op.create_table(
        "calendar_version",
        sa.Column("id", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("token", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint("id", name=op.f("ck_calendar_version_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_version")),
    )
    op.execute("INSERT INTO calendar_version DEFAULT VALUES")
    # A new token per statement that changes either table, in its transaction: readers see
    # the token and the change together. Statement-level, so a year of holidays is one.
    op.execute(
        """
        CREATE FUNCTION calendar_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO calendar_version (id, token) VALUES (true, gen_random_uuid())
            ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_calendar_changed "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION calendar_changed()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_calendar_changed ON {table}")
    op.execute("DROP FUNCTION calendar_changed()")
    op.drop_table("calendar_version")
