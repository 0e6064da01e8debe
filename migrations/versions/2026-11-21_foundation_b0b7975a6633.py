"""Foundation: departments, people, teams, problems and their append-only history.

Revision ID: b0b7975a6633
Revises:
Create Date: 2026-11-21 19:23:49.555031+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b0b7975a6633"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("code", name=op.f("uq_departments_code")),
    )
    op.create_table(
        "reference_counters",
        sa.Column("year", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_reference_counters")),
    )
    op.create_table(
        "teams",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "disciplines",
            postgresql.ARRAY(sa.String(length=30)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "focus_areas",
            postgresql.ARRAY(sa.String(length=60)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("wip_limit", sa.SmallInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
            "disciplines <@ ARRAY['product_management','civic_design','data','software_engineering','security']::varchar[]",
            name=op.f("ck_teams_disciplines_known"),
        ),
        sa.CheckConstraint("wip_limit >= 1", name=op.f("ck_teams_wip_limit_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "people",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.UUID(), nullable=False),
        sa.Column(
            "roles", postgresql.ARRAY(sa.String(length=20)), server_default="{}", nullable=False
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
            "roles <@ ARRAY['requester','triager','team_member','leadership','admin']::varchar[]",
            name=op.f("ck_people_roles_known"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_people_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_index(op.f("ix_people_department_id"), "people", ["department_id"], unique=False)
    op.create_index(
        "uq_people_email_lower", "people", [sa.literal_column("lower(email)")], unique=True
    )
    op.create_table(
        "idempotency_records",
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column(
            "response_headers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_idempotency_records_person_id_people")
        ),
        sa.PrimaryKeyConstraint("person_id", "key", name=op.f("pk_idempotency_records")),
    )
    op.create_index(
        op.f("ix_idempotency_records_created_at"),
        "idempotency_records",
        ["created_at"],
        unique=False,
    )
    op.create_table(
        "problems",
        sa.Column("reference", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("department_id", sa.UUID(), nullable=False),
        sa.Column("submitter_id", sa.UUID(), nullable=False),
        sa.Column("restricted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("problem_statement", sa.Text(), nullable=True),
        sa.Column(
            "affected_groups",
            postgresql.ARRAY(sa.String(length=30)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("affected_people_per_year", sa.BigInteger(), nullable=True),
        sa.Column("current_process", sa.Text(), nullable=True),
        sa.Column("workarounds", sa.Text(), nullable=True),
        sa.Column("impact_staff_hours_per_year", sa.Integer(), nullable=True),
        sa.Column("impact_cost_per_year", sa.BigInteger(), nullable=True),
        sa.Column("impact_risk", sa.Text(), nullable=True),
        sa.Column("impact_resident_burden", sa.Text(), nullable=True),
        sa.Column("urgency_deadline", sa.Date(), nullable=True),
        sa.Column("urgency_reason", sa.String(length=30), nullable=True),
        sa.Column("urgency_notes", sa.Text(), nullable=True),
        sa.Column("desired_outcome", sa.Text(), nullable=True),
        sa.Column("success_measures", sa.Text(), nullable=True),
        sa.Column(
            "systems_involved",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("data_sensitivity", sa.String(length=20), nullable=True),
        sa.Column("equity_considerations", sa.Text(), nullable=True),
        sa.Column(
            "communities_affected",
            postgresql.ARRAY(sa.String(length=100)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("accessibility_needs", sa.Text(), nullable=True),
        sa.Column("language_access_needs", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(problem_statement, '')), 'B') || setweight(to_tsvector('english'::regconfig, coalesce(desired_outcome, '')), 'B') || setweight(to_tsvector('english'::regconfig, coalesce(current_process, '') || ' ' || coalesce(workarounds, '') || ' ' || coalesce(impact_resident_burden, '')), 'C')",
                persisted=True,
            ),
            nullable=False,
        ),
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
            "status IN ('draft', 'withdrawn') OR reference IS NOT NULL",
            name=op.f("ck_problems_reference_after_draft"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'triage', 'needs_info', 'declined', 'redirected', 'duplicate', 'accepted', 'discovery', 'delivery', 'live', 'closed', 'withdrawn', 'on_hold')",
            name=op.f("ck_problems_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_problems_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["submitter_id"], ["people.id"], name=op.f("fk_problems_submitter_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
        sa.UniqueConstraint("reference", name=op.f("uq_problems_reference")),
    )
    op.create_index("ix_problems_created_at_id", "problems", ["created_at", "id"], unique=False)
    op.create_index(
        "ix_problems_department_id_status", "problems", ["department_id", "status"], unique=False
    )
    op.create_index(
        "ix_problems_search_vector",
        "problems",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(op.f("ix_problems_submitter_id"), "problems", ["submitter_id"], unique=False)
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("discipline", sa.String(length=30), nullable=True),
        sa.Column(
            "added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_team_members_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_members_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "person_id", name=op.f("pk_team_members")),
    )
    op.create_table(
        "problem_collaborators",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("department_id", sa.UUID(), nullable=True),
        sa.Column("person_id", sa.UUID(), nullable=True),
        sa.Column(
            "added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "(department_id IS NULL) <> (person_id IS NULL)",
            name=op.f("ck_problem_collaborators_department_or_person"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_problem_collaborators_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_problem_collaborators_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_problem_collaborators_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_collaborators")),
        sa.UniqueConstraint(
            "problem_id",
            "department_id",
            "person_id",
            name=op.f("uq_problem_collaborators_problem_id"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        op.f("ix_problem_collaborators_problem_id"),
        "problem_collaborators",
        ["problem_id"],
        unique=False,
    )
    op.create_table(
        "problem_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "changes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_problem_events_actor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_problem_events_problem_id_problems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_events")),
    )
    op.create_index(
        "ix_problem_events_problem_id_id", "problem_events", ["problem_id", "id"], unique=False
    )
    # History is append-only: the database itself refuses to rewrite or erase it.
    op.execute(
        """
        CREATE FUNCTION problem_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'problem_events is append-only';
        END;
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER problem_events_append_only
        BEFORE UPDATE OR DELETE ON problem_events
        FOR EACH ROW EXECUTE FUNCTION problem_events_append_only()
        """
    )
    op.create_table(
        "problem_watchers",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column(
            "added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_problem_watchers_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_problem_watchers_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("problem_id", "person_id", name=op.f("pk_problem_watchers")),
    )


def downgrade() -> None:
    op.drop_table("problem_watchers")
    op.execute("DROP TRIGGER problem_events_append_only ON problem_events")
    op.execute("DROP FUNCTION problem_events_append_only()")
    op.drop_index("ix_problem_events_problem_id_id", table_name="problem_events")
    op.drop_table("problem_events")
    op.drop_index(op.f("ix_problem_collaborators_problem_id"), table_name="problem_collaborators")
    op.drop_table("problem_collaborators")
    op.drop_table("team_members")
    op.drop_index(op.f("ix_problems_submitter_id"), table_name="problems")
    op.drop_index("ix_problems_search_vector", table_name="problems", postgresql_using="gin")
    op.drop_index("ix_problems_department_id_status", table_name="problems")
    op.drop_index("ix_problems_created_at_id", table_name="problems")
    op.drop_table("problems")
    op.drop_index(op.f("ix_idempotency_records_created_at"), table_name="idempotency_records")
    op.drop_table("idempotency_records")
    op.drop_index("uq_people_email_lower", table_name="people")
    op.drop_index(op.f("ix_people_department_id"), table_name="people")
    op.drop_table("people")
    op.drop_table("teams")
    op.drop_table("reference_counters")
    op.drop_table("departments")
