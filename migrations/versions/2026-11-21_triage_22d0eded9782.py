"""Triage: triager, SLA clocks, decisions, scores, links, settings and holidays.

Revision ID: 22d0eded9782
Revises: b0b7975a6633
Create Date: 2026-11-21 19:38:19.991878+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "22d0eded9782"
down_revision: str | None = "b0b7975a6633"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_holidays")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_by_id", sa.UUID(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["people.id"], name=op.f("fk_settings_updated_by_id_people")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "problem_links",
        sa.Column("from_problem_id", sa.UUID(), nullable=False),
        sa.Column("to_problem_id", sa.UUID(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "type IN ('related', 'blocks')", name=op.f("ck_problem_links_type_known")
        ),
        sa.CheckConstraint(
            "from_problem_id <> to_problem_id", name=op.f("ck_problem_links_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_problem_links_created_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["from_problem_id"],
            ["problems.id"],
            name=op.f("fk_problem_links_from_problem_id_problems"),
        ),
        sa.ForeignKeyConstraint(
            ["to_problem_id"], ["problems.id"], name=op.f("fk_problem_links_to_problem_id_problems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_links")),
        sa.UniqueConstraint(
            "from_problem_id",
            "to_problem_id",
            "type",
            name=op.f("uq_problem_links_from_problem_id"),
        ),
    )
    op.create_index(
        op.f("ix_problem_links_from_problem_id"), "problem_links", ["from_problem_id"], unique=False
    )
    op.create_index(
        op.f("ix_problem_links_to_problem_id"), "problem_links", ["to_problem_id"], unique=False
    )
    op.create_table(
        "problem_scores",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("scored_by_id", sa.UUID(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("ratings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("weights", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("breakdown", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_problem_scores_problem_id_problems")
        ),
        sa.ForeignKeyConstraint(
            ["scored_by_id"], ["people.id"], name=op.f("fk_problem_scores_scored_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_scores")),
    )
    op.create_index(
        op.f("ix_problem_scores_problem_id"), "problem_scores", ["problem_id"], unique=False
    )
    op.add_column("problems", sa.Column("triager_id", sa.UUID(), nullable=True))
    op.add_column("problems", sa.Column("team_id", sa.UUID(), nullable=True))
    op.add_column(
        "problems", sa.Column("team_assigned_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("problems", sa.Column("primary_problem_id", sa.UUID(), nullable=True))
    op.add_column("problems", sa.Column("redirected_to_department_id", sa.UUID(), nullable=True))
    op.add_column("problems", sa.Column("redirect_channel", sa.String(length=200), nullable=True))
    op.add_column("problems", sa.Column("held_from_status", sa.String(length=20), nullable=True))
    op.add_column(
        "problems", sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "problems", sa.Column("first_response_due_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("problems", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "problems", sa.Column("decision_due_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("problems", sa.Column("paused_since", sa.DateTime(timezone=True), nullable=True))
    op.add_column("problems", sa.Column("score", sa.SmallInteger(), nullable=True))
    op.create_index(op.f("ix_problems_team_id"), "problems", ["team_id"], unique=False)
    op.create_index(
        "ix_problems_triage_queue",
        "problems",
        ["decision_due_at", "score", "id"],
        unique=False,
        postgresql_where=sa.text("status IN ('submitted', 'triage', 'needs_info')"),
    )
    op.create_foreign_key(
        op.f("fk_problems_triager_id_people"), "problems", "people", ["triager_id"], ["id"]
    )
    op.create_foreign_key(
        op.f("fk_problems_team_id_teams"), "problems", "teams", ["team_id"], ["id"]
    )
    op.create_foreign_key(
        op.f("fk_problems_primary_problem_id_problems"),
        "problems",
        "problems",
        ["primary_problem_id"],
        ["id"],
    )
    op.create_foreign_key(
        op.f("fk_problems_redirected_to_department_id_departments"),
        "problems",
        "departments",
        ["redirected_to_department_id"],
        ["id"],
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_problems_redirected_to_department_id_departments"), "problems", type_="foreignkey"
    )
    op.drop_constraint(
        op.f("fk_problems_primary_problem_id_problems"), "problems", type_="foreignkey"
    )
    op.drop_constraint(op.f("fk_problems_team_id_teams"), "problems", type_="foreignkey")
    op.drop_constraint(op.f("fk_problems_triager_id_people"), "problems", type_="foreignkey")
    op.drop_index(
        "ix_problems_triage_queue",
        table_name="problems",
        postgresql_where=sa.text("status IN ('submitted', 'triage', 'needs_info')"),
    )
    op.drop_index(op.f("ix_problems_team_id"), table_name="problems")
    op.drop_column("problems", "score")
    op.drop_column("problems", "paused_since")
    op.drop_column("problems", "decision_due_at")
    op.drop_column("problems", "decided_at")
    op.drop_column("problems", "first_response_due_at")
    op.drop_column("problems", "first_response_at")
    op.drop_column("problems", "held_from_status")
    op.drop_column("problems", "redirect_channel")
    op.drop_column("problems", "redirected_to_department_id")
    op.drop_column("problems", "primary_problem_id")
    op.drop_column("problems", "team_assigned_at")
    op.drop_column("problems", "team_id")
    op.drop_column("problems", "triager_id")
    op.drop_index(op.f("ix_problem_scores_problem_id"), table_name="problem_scores")
    op.drop_table("problem_scores")
    op.drop_index(op.f("ix_problem_links_to_problem_id"), table_name="problem_links")
    op.drop_index(op.f("ix_problem_links_from_problem_id"), table_name="problem_links")
    op.drop_table("problem_links")
    op.drop_table("settings")
    op.drop_table("holidays")
