"""Portfolio timeline: each problem's portfolio attributes over time, projected from its
history, so the portfolio can answer "as of" any moment.

Revision ID: 3b8e6f0d2a91
Revises: 7c3d9a41e2b8
Create Date: 2026-11-21 21:42:27.121385+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b8e6f0d2a91"
down_revision: str | None = "7c3d9a41e2b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


BACKFILL_SQL = """
WITH tracked AS (
    SELECT e.problem_id, e.id AS event_id, e.occurred_at, e.to_status,
           e.changes ? 'triager_id' AS sets_triager,
           (e.changes -> 'triager_id' ->> 'to')::uuid AS triager_id,
           e.changes ? 'team' AS sets_team,
           (e.changes -> 'team' ->> 'to')::uuid AS team_id,
           e.type = 'scored' AS sets_score,
           (e.changes -> 'score' ->> 'to')::smallint AS score,
           e.changes ? 'delivery_phase' AS sets_phase,
           e.changes -> 'delivery_phase' ->> 'to' AS delivery_phase,
           e.changes -> 'outcome_review' ->> 'result' AS outcome_result,
           e.changes ? 'sla' AS sets_sla,
           (e.changes -> 'sla' ->> 'first_response_due_at')::timestamptz
               AS first_response_due_at,
           (e.changes -> 'sla' ->> 'decision_due_at')::timestamptz AS decision_due_at
    FROM problem_events AS e
    WHERE true
      AND (e.to_status IS NOT NULL OR e.type = 'scored'
           OR e.changes ?| ARRAY['triager_id', 'team', 'delivery_phase', 'sla'])
),
grouped AS (
    SELECT tracked.*,
           count(to_status) OVER w AS g_status,
           count(*) FILTER (WHERE sets_triager) OVER w AS g_triager,
           count(*) FILTER (WHERE sets_team) OVER w AS g_team,
           count(*) FILTER (WHERE sets_score) OVER w AS g_score,
           count(*) FILTER (WHERE sets_phase) OVER w AS g_phase,
           count(*) FILTER (WHERE sets_sla) OVER w AS g_sla
    FROM tracked
    WINDOW w AS (PARTITION BY problem_id ORDER BY occurred_at, event_id)
),
filled AS (
    SELECT problem_id, event_id, occurred_at,
           first_value(to_status) OVER by_status AS status,
           first_value(outcome_result) OVER by_status AS outcome_result,
           first_value(triager_id) OVER by_triager AS triager_id,
           first_value(team_id) OVER by_team AS team_id,
           first_value(score) OVER by_score AS score,
           first_value(delivery_phase) OVER by_phase AS delivery_phase,
           first_value(first_response_due_at) OVER by_sla AS first_response_due_at,
           first_value(decision_due_at) OVER by_sla AS decision_due_at
    FROM grouped
    WINDOW by_status AS (PARTITION BY problem_id, g_status ORDER BY occurred_at, event_id),
           by_triager AS (PARTITION BY problem_id, g_triager ORDER BY occurred_at, event_id),
           by_team AS (PARTITION BY problem_id, g_team ORDER BY occurred_at, event_id),
           by_score AS (PARTITION BY problem_id, g_score ORDER BY occurred_at, event_id),
           by_phase AS (PARTITION BY problem_id, g_phase ORDER BY occurred_at, event_id),
           by_sla AS (PARTITION BY problem_id, g_sla ORDER BY occurred_at, event_id)
)
INSERT INTO problem_timeline (
    event_id, problem_id, valid_from, valid_to, status, triager_id, team_id, score,
    delivery_phase, outcome_result, submitted_at, first_response_at, decided_at,
    launched_at, closed_at, first_response_due_at, decision_due_at
)
SELECT event_id, problem_id, occurred_at, lead(occurred_at) OVER p, status, triager_id,
       team_id, score, delivery_phase,
       CASE WHEN status = 'closed' THEN outcome_result END,
       min(occurred_at) FILTER (WHERE status = 'submitted') OVER p,
       min(occurred_at) FILTER (WHERE status IN ('triage', 'needs_info', 'accepted', 'declined',
                                             'redirected', 'duplicate')) OVER p,
       min(occurred_at) FILTER (WHERE status IN ('accepted', 'declined', 'redirected',
                                             'duplicate')) OVER p,
       min(occurred_at) FILTER (WHERE status = 'live') OVER p,
       min(occurred_at) FILTER (WHERE status = 'closed') OVER p,
       first_response_due_at, decision_due_at
FROM filled
WHERE status IS NOT NULL
WINDOW p AS (PARTITION BY problem_id ORDER BY occurred_at, event_id)
"""


def upgrade() -> None:
    op.create_table(
        "problem_timeline",
        sa.Column("event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("triager_id", sa.UUID(), nullable=True),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("delivery_phase", sa.String(length=10), nullable=True),
        sa.Column("outcome_result", sa.String(length=30), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["problem_events.id"],
            name=op.f("fk_problem_timeline_event_id_problem_events"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_problem_timeline_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_problem_timeline")),
    )
    op.create_index(
        "ix_problem_timeline_current",
        "problem_timeline",
        ["status"],
        unique=False,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_index(
        "ix_problem_timeline_period",
        "problem_timeline",
        [sa.literal_column("tstzrange(valid_from, valid_to, '[)')")],
        unique=False,
        postgresql_using="gist",
    )
    op.create_index(
        "ix_problem_timeline_problem_id_valid_from",
        "problem_timeline",
        ["problem_id", "valid_from"],
        unique=False,
    )
    # Project the history recorded so far (a frozen copy of intake.portfolio.timeline's SQL).
    op.execute(BACKFILL_SQL)


def downgrade() -> None:
    op.drop_index("ix_problem_timeline_problem_id_valid_from", table_name="problem_timeline")
    op.drop_index(
        "ix_problem_timeline_period", table_name="problem_timeline", postgresql_using="gist"
    )
    op.drop_index(
        "ix_problem_timeline_current",
        table_name="problem_timeline",
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.drop_table("problem_timeline")
