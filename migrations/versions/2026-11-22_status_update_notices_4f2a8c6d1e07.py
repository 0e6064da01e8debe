"""Watchers hear of status updates: the ``status_update`` notification kind.

Downgrading deletes those notifications before restoring the earlier list of kinds.

Revision ID: 4f2a8c6d1e07
Revises: 9d4a7c2e5b13
Create Date: 2026-11-22 01:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "4f2a8c6d1e07"
down_revision: str | None = "9d4a7c2e5b13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("mention", "state_change", "info_requested", "sla_breach")


def _kinds(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_notifications_kind_known"), "notifications", type_="check")
    op.create_check_constraint(
        op.f("ck_notifications_kind_known"), "notifications", _kinds((*KINDS, "status_update"))
    )


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind = 'status_update'")
    op.drop_constraint(op.f("ck_notifications_kind_known"), "notifications", type_="check")
    op.create_check_constraint(op.f("ck_notifications_kind_known"), "notifications", _kinds(KINDS))
