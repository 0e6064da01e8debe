"""Service accounts: integrations that read Intake with API tokens, never as a person.

- service_accounts: a name (unique, any case), a description, its scopes and an optional
  department that confines it to that department's problems.
- service_tokens: each token's SHA-256 (the token is shown once and never stored), when it
  expires, when it was last used (at most once a minute) and when it was revoked.

Downgrading drops both tables: every service account and token is lost.

Revision ID: 7c3e1a9b5d20
Revises: 9854e00867ed
Create Date: 2026-12-07 04:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c3e1a9b5d20"
down_revision: str | None = "9854e00867ed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_accounts",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), server_default="", nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(length=40)), server_default="{}", nullable=False),
        sa.Column("department_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "scopes <@ ARRAY['feed:read','portfolio:read','problems:read',"
            "'webhooks:manage']::varchar[]",
            name=op.f("ck_service_accounts_scopes_known"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_service_accounts_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_accounts")),
    )
    op.create_index(
        "uq_service_accounts_name_lower",
        "service_accounts",
        [sa.literal_column("lower(name)")],
        unique=True,
    )
    op.create_table(
        "service_tokens",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("secret_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["service_accounts.id"],
            name=op.f("fk_service_tokens_account_id_service_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_tokens")),
    )
    op.create_index(
        op.f("ix_service_tokens_account_id"), "service_tokens", ["account_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_service_tokens_account_id"), table_name="service_tokens")
    op.drop_table("service_tokens")
    op.drop_index("uq_service_accounts_name_lower", table_name="service_accounts")
    op.drop_table("service_accounts")
