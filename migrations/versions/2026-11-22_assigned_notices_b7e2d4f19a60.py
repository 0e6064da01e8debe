"""A triager hears when a problem is handed to them: the ``assigned`` notification kind.

Downgrading deletes those notifications before restoring the earlier list of kinds.

Revision ID: b7e2d4f19a60
Revises: e5d19b7c3a40
Create Date: 2026-11-22 03:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7e2d4f19a60"
down_revision: str | None = "e5d19b7c3a40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("mention", "state_change", "info_requested", "sla_breach", "status_update")


def _kinds(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_notifications_kind_known"), "notifications", type_="check")
    op.create_check_constraint(
        op.f("ck_notifications_kind_known"), "notifications", _kinds((*KINDS, "assigned"))
    )


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind = 'assigned'")
    op.drop_constraint(op.f("ck_notifications_kind_known"), "notifications", type_="check")
    op.create_check_constraint(op.f("ck_notifications_kind_known"), "notifications", _kinds(KINDS))
