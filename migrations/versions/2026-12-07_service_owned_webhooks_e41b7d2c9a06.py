"""Service-owned webhooks: a subscription and an Idempotency-Key record may belong to a
service account (``webhooks:manage``) instead of a person.

Revision ID: e41b7d2c9a06
Revises: a3c7e1f09b52
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e41b7d2c9a06"
down_revision: str | None = "a3c7e1f09b52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER = "coalesce(person_id, service_account_id)"


def upgrade() -> None:
    op.add_column(
        "webhook_subscriptions",
        sa.Column("created_by_service_account_id", postgresql.UUID(as_uuid=True), nullable=True),
    )
    op.create_foreign_key(
        op.f("fk_webhook_subscriptions_created_by_service_account_id_service_accounts"),
        "webhook_subscriptions",
        "service_accounts",
        ["created_by_service_account_id"],
        ["id"],
    )
    op.alter_column("webhook_subscriptions", "created_by_id", nullable=True)
    op.create_check_constraint(
        op.f("ck_webhook_subscriptions_one_creator"),
        "webhook_subscriptions",
        "num_nonnulls(created_by_id, created_by_service_account_id) = 1",
    )

    # Keys live a day (intake.web.idempotency.KEPT_FOR): the rewrite this needs is small.
    op.drop_constraint("pk_idempotency_records", "idempotency_records", type_="primary")
    op.alter_column("idempotency_records", "person_id", nullable=True)
    op.add_column(
        "idempotency_records",
        sa.Column("service_account_id", postgresql.UUID(as_uuid=True), nullable=True),
    )
    op.create_foreign_key(
        op.f("fk_idempotency_records_service_account_id_service_accounts"),
        "idempotency_records",
        "service_accounts",
        ["service_account_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_check_constraint(
        op.f("ck_idempotency_records_one_owner"),
        "idempotency_records",
        "num_nonnulls(person_id, service_account_id) = 1",
    )
    op.add_column(
        "idempotency_records",
        sa.Column(
            "owner_id",
            postgresql.UUID(as_uuid=True),
            sa.Computed(OWNER, persisted=True),
            nullable=False,
        ),
    )
    op.create_primary_key("pk_idempotency_records", "idempotency_records", ["owner_id", "key"])


def downgrade() -> None:
    # What a service account owned has no person to belong to: it goes.
    op.execute("DELETE FROM idempotency_records WHERE service_account_id IS NOT NULL")
    op.execute("DELETE FROM webhook_subscriptions WHERE created_by_service_account_id IS NOT NULL")
    op.drop_constraint("pk_idempotency_records", "idempotency_records", type_="primary")
    op.drop_column("idempotency_records", "owner_id")
    op.drop_constraint(
        op.f("ck_idempotency_records_one_owner"), "idempotency_records", type_="check"
    )
    op.drop_constraint(
        op.f("fk_idempotency_records_service_account_id_service_accounts"),
        "idempotency_records",
        type_="foreignkey",
    )
    op.drop_column("idempotency_records", "service_account_id")
    op.alter_column("idempotency_records", "person_id", nullable=False)
    op.create_primary_key("pk_idempotency_records", "idempotency_records", ["person_id", "key"])

    op.drop_constraint(
        op.f("ck_webhook_subscriptions_one_creator"), "webhook_subscriptions", type_="check"
    )
    op.alter_column("webhook_subscriptions", "created_by_id", nullable=False)
    op.drop_constraint(
        op.f("fk_webhook_subscriptions_created_by_service_account_id_service_accounts"),
        "webhook_subscriptions",
        type_="foreignkey",
    )
    op.drop_column("webhook_subscriptions", "created_by_service_account_id")
