"""Discovery, delivery, outcomes and collaboration: findings, milestones, status updates,
metrics and measurements, comments and notifications; phase and outcome columns on problems.

Revision ID: 7c3d9a41e2b8
Revises: 5e1f0c2a9b7d
Create Date: 2026-11-21 21:16:57.889218+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7c3d9a41e2b8"
down_revision: str | None = "5e1f0c2a9b7d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=12), nullable=False),
        sa.Column("mentions", postgresql.ARRAY(sa.UUID()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
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
            "visibility IN ('all', 'dti_internal')", name=op.f("ck_comments_visibility_known")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["people.id"], name=op.f("fk_comments_author_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_comments_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index(
        "ix_comments_problem_id_created_at", "comments", ["problem_id", "created_at"], unique=False
    )
    op.create_table(
        "findings",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column(
            "evidence",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("journey_step_id", sa.UUID(), nullable=True),
        sa.Column("created_by_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
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
            "(kind = 'journey_step') = (position IS NOT NULL)",
            name=op.f("ck_findings_position_for_steps"),
        ),
        sa.CheckConstraint(
            "journey_step_id IS NULL OR kind = 'pain_point'",
            name=op.f("ck_findings_only_pain_points_on_steps"),
        ),
        sa.CheckConstraint(
            "kind IN ('insight', 'pain_point', 'journey_step', 'constraint', 'opportunity', 'decision')",
            name=op.f("ck_findings_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_findings_created_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["journey_step_id"],
            ["findings.id"],
            name=op.f("fk_findings_journey_step_id_findings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_findings_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index(
        op.f("ix_findings_journey_step_id"), "findings", ["journey_step_id"], unique=False
    )
    op.create_index("ix_findings_problem_id_kind", "findings", ["problem_id", "kind"], unique=False)
    op.create_table(
        "metrics",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("baseline", sa.Double(), nullable=False),
        sa.Column("target", sa.Double(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
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
            "direction IN ('increase', 'decrease')", name=op.f("ck_metrics_direction_known")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_metrics_created_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["people.id"], name=op.f("fk_metrics_owner_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_metrics_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics")),
        sa.UniqueConstraint("problem_id", "name", name=op.f("uq_metrics_problem_id")),
    )
    op.create_index(op.f("ix_metrics_problem_id"), "metrics", ["problem_id"], unique=False)
    op.create_table(
        "milestones",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column(
            "earlier_targets",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
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
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_milestones_created_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_milestones_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    op.create_index(op.f("ix_milestones_problem_id"), "milestones", ["problem_id"], unique=False)
    op.create_table(
        "status_updates",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "status IN ('on_track', 'at_risk', 'off_track')",
            name=op.f("ck_status_updates_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["people.id"], name=op.f("fk_status_updates_author_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_status_updates_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_updates")),
    )
    op.create_index(
        "ix_status_updates_problem_id_created_at",
        "status_updates",
        ["problem_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "comment_revisions",
        sa.Column("comment_id", sa.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("edited_by_id", sa.UUID(), nullable=False),
        sa.Column(
            "replaced_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_comment_revisions_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["edited_by_id"], ["people.id"], name=op.f("fk_comment_revisions_edited_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_revisions")),
    )
    op.create_index(
        op.f("ix_comment_revisions_comment_id"), "comment_revisions", ["comment_id"], unique=False
    )
    op.create_table(
        "measurements",
        sa.Column("metric_id", sa.UUID(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metrics.id"],
            name=op.f("fk_measurements_metric_id_metrics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_measurements_recorded_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurements")),
    )
    op.create_index(
        "ix_measurements_metric_id_measured_on",
        "measurements",
        ["metric_id", "measured_on", "created_at"],
        unique=False,
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('mention', 'state_change', 'info_requested', 'sla_breach')",
            name=op.f("ck_notifications_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["problem_events.id"],
            name=op.f("fk_notifications_event_id_problem_events"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_notifications_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("person_id", "event_id", name=op.f("uq_notifications_person_id")),
    )
    op.create_index(
        "ix_notifications_person_id_id", "notifications", ["person_id", "id"], unique=False
    )
    op.add_column(
        "problem_events",
        sa.Column("internal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "problems",
        sa.Column("first_response_breached_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "problems", sa.Column("decision_breached_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("problems", sa.Column("delivery_phase", sa.String(length=10), nullable=True))
    op.add_column("problems", sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("problems", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("problems", sa.Column("outcome_result", sa.String(length=30), nullable=True))
    op.add_column("problems", sa.Column("outcome_summary", sa.Text(), nullable=True))
    op.add_column("problems", sa.Column("outcome_lessons", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_problems_delivery_phase_known"),
        "problems",
        "delivery_phase IN ('alpha', 'beta')",
    )
    op.create_check_constraint(
        op.f("ck_problems_outcome_result_known"),
        "problems",
        "outcome_result IN ('achieved', 'partially_achieved', 'not_achieved', 'not_measurable')",
    )
    op.create_check_constraint(
        op.f("ck_problems_closed_with_outcome"),
        "problems",
        "status <> 'closed' OR outcome_result IS NOT NULL",
    )


def downgrade() -> None:
    for name in ("closed_with_outcome", "outcome_result_known", "delivery_phase_known"):
        op.drop_constraint(op.f(f"ck_problems_{name}"), "problems", type_="check")
    op.drop_column("problems", "outcome_lessons")
    op.drop_column("problems", "outcome_summary")
    op.drop_column("problems", "outcome_result")
    op.drop_column("problems", "closed_at")
    op.drop_column("problems", "launched_at")
    op.drop_column("problems", "delivery_phase")
    op.drop_column("problems", "decision_breached_at")
    op.drop_column("problems", "first_response_breached_at")
    op.drop_index("ix_notifications_person_id_id", table_name="notifications")
    op.drop_table("notifications")
    # Older code shows every event to everyone: internal ones must not outlive the column.
    op.execute("ALTER TABLE problem_events DISABLE TRIGGER problem_events_append_only")
    op.execute("DELETE FROM problem_events WHERE internal")
    op.execute("ALTER TABLE problem_events ENABLE TRIGGER problem_events_append_only")
    op.drop_column("problem_events", "internal")
    op.drop_index("ix_measurements_metric_id_measured_on", table_name="measurements")
    op.drop_table("measurements")
    op.drop_index(op.f("ix_comment_revisions_comment_id"), table_name="comment_revisions")
    op.drop_table("comment_revisions")
    op.drop_index("ix_status_updates_problem_id_created_at", table_name="status_updates")
    op.drop_table("status_updates")
    op.drop_index(op.f("ix_milestones_problem_id"), table_name="milestones")
    op.drop_table("milestones")
    op.drop_index(op.f("ix_metrics_problem_id"), table_name="metrics")
    op.drop_table("metrics")
    op.drop_index("ix_findings_problem_id_kind", table_name="findings")
    op.drop_index(op.f("ix_findings_journey_step_id"), table_name="findings")
    op.drop_table("findings")
    op.drop_index("ix_comments_problem_id_created_at", table_name="comments")
    op.drop_table("comments")
