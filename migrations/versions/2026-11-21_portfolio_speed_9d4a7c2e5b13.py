"""Portfolio at city scale: the timeline carries the owning department and its stays, and
covering indexes let every view read what it needs index-only.

- problem_timeline: department_id (a copy of the problem's, which never changes),
  state_entered_at, last_of_stay, previous_stay_ended_at and next_stay_began_at; the
  snapshot index (by state, then by when a row stopped being valid) and the stays indexes
  replace the current-rows and GiST period indexes; statistics on the expression the
  indexes are keyed on, since the planner reads none from partial indexes.
- measurements and status_updates: the latest reading or update, index-only.
- problems: each record's communities normalised by two immutable functions, kept in an
  index for the distribution view.

The timeline is rebuilt from history (a frozen copy of intake.portfolio.timeline's SQL as
of this revision), so the new columns are filled for every row. Downgrading drops what was
added and restores the two indexes; the rows stay valid for the revision before.

Revision ID: 9d4a7c2e5b13
Revises: 3b8e6f0d2a91
Create Date: 2026-11-21 23:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4a7c2e5b13"
down_revision: str | None = "3b8e6f0d2a91"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_ENDED = sa.text("coalesce(valid_to, 'infinity'::timestamptz)")
SNAPSHOT_COLUMNS = [
    "valid_to",
    "valid_from",
    "problem_id",
    "triager_id",
    "team_id",
    "score",
    "delivery_phase",
    "outcome_result",
    "submitted_at",
    "first_response_at",
    "decided_at",
    "launched_at",
    "closed_at",
    "first_response_due_at",
    "decision_due_at",
    "state_entered_at",
]
STAY_COLUMNS = [
    "valid_to",
    "problem_id",
    "department_id",
    "submitted_at",
    "state_entered_at",
    "previous_stay_ended_at",
    "next_stay_began_at",
]

REBUILD_SQL = """
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
),
-- Each row's validity, the first times so far, and whether it begins or ends a stay (a run
-- of rows with one status); then each row learns when its stay began.
moments AS (
    SELECT filled.*,
           lead(occurred_at) OVER p AS valid_to,
           lead(status) OVER p IS DISTINCT FROM status AS last_of_stay,
           lag(status) OVER p IS DISTINCT FROM status AS enters_state,
           min(occurred_at) FILTER (WHERE status = 'submitted') OVER p AS submitted_at,
           min(occurred_at) FILTER (WHERE status IN ('triage', 'needs_info', 'accepted',
                                    'declined', 'redirected', 'duplicate')) OVER p
               AS first_response_at,
           min(occurred_at) FILTER (WHERE status IN ('accepted', 'declined', 'redirected',
                                    'duplicate')) OVER p AS decided_at,
           min(occurred_at) FILTER (WHERE status = 'live') OVER p AS launched_at,
           min(occurred_at) FILTER (WHERE status = 'closed') OVER p AS closed_at
    FROM filled
    WHERE status IS NOT NULL
    WINDOW p AS (PARTITION BY problem_id ORDER BY occurred_at, event_id)
),
stays AS (
    -- When the stay began: the latest row so far that entered a new status.
    SELECT moments.*,
           max(occurred_at) FILTER (WHERE enters_state) OVER p AS state_entered_at
    FROM moments
    WINDOW p AS (PARTITION BY problem_id ORDER BY occurred_at, event_id)
)
INSERT INTO problem_timeline (
    event_id, problem_id, department_id, valid_from, valid_to, status, triager_id, team_id,
    score, delivery_phase, outcome_result, submitted_at, first_response_at, decided_at,
    launched_at, closed_at, first_response_due_at, decision_due_at, state_entered_at,
    last_of_stay, previous_stay_ended_at, next_stay_began_at
)
SELECT s.event_id, s.problem_id, p.department_id, s.occurred_at, s.valid_to, s.status,
       s.triager_id, s.team_id, s.score, s.delivery_phase,
       CASE WHEN s.status = 'closed' THEN s.outcome_result END,
       s.submitted_at, s.first_response_at, s.decided_at, s.launched_at, s.closed_at,
       s.first_response_due_at, s.decision_due_at, s.state_entered_at, s.last_of_stay,
       CASE WHEN s.last_of_stay THEN lag(s.valid_to) OVER same_state END,
       CASE WHEN s.last_of_stay THEN lead(s.state_entered_at) OVER same_state END
FROM stays AS s
JOIN problems AS p ON p.id = s.problem_id
WINDOW same_state AS (PARTITION BY s.problem_id, s.status, s.last_of_stay
                      ORDER BY s.occurred_at, s.event_id)
"""

# A record's communities as the distribution view counts them: each name trimmed and
# lower-cased (the key), blanks dropped, each key once, in key order; and for each key the
# spelling shown (the least, trimmed, byte-wise). Immutable, so an index can keep them.
COMMUNITY_KEYS = """
CREATE FUNCTION portfolio_community_keys(names character varying[]) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(key ORDER BY key COLLATE "C"), '{}')
    FROM (SELECT DISTINCT lower(btrim(name)) AS key FROM unnest(names) AS name) AS keys
    WHERE key <> ''
$$
"""
COMMUNITY_LABELS = """
CREATE FUNCTION portfolio_community_labels(names character varying[]) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(label ORDER BY key COLLATE "C"), '{}')
    FROM (
        SELECT lower(btrim(name)) AS key, min(btrim(name) COLLATE "C") AS label
        FROM unnest(names) AS name
        GROUP BY 1
    ) AS labels
    WHERE key <> ''
$$
"""


def upgrade() -> None:
    # Room for the rebuild's window sorts and the index builds (this migration only).
    op.execute("SELECT set_config('work_mem', '256MB', true)")
    op.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
    op.drop_index(
        "ix_problem_timeline_current",
        table_name="problem_timeline",
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.drop_index(
        "ix_problem_timeline_period", table_name="problem_timeline", postgresql_using="gist"
    )
    op.add_column("problem_timeline", sa.Column("department_id", sa.UUID(), nullable=True))
    op.add_column(
        "problem_timeline",
        sa.Column("state_entered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("problem_timeline", sa.Column("last_of_stay", sa.Boolean(), nullable=True))
    op.add_column(
        "problem_timeline",
        sa.Column("previous_stay_ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "problem_timeline",
        sa.Column("next_stay_began_at", sa.DateTime(timezone=True), nullable=True),
    )
    # Re-project the whole history with the new columns.
    op.execute("TRUNCATE problem_timeline")
    op.execute(REBUILD_SQL)
    for column in ("department_id", "state_entered_at", "last_of_stay"):
        op.alter_column("problem_timeline", column, nullable=False)
    op.create_index(
        "ix_problem_timeline_snapshot",
        "problem_timeline",
        ["status", NOT_ENDED, "department_id"],
        unique=False,
        postgresql_include=SNAPSHOT_COLUMNS,
        postgresql_where=sa.text("submitted_at IS NOT NULL"),
    )
    op.create_index(
        "ix_problem_timeline_stays",
        "problem_timeline",
        ["status", NOT_ENDED],
        unique=False,
        postgresql_include=STAY_COLUMNS,
        postgresql_where=sa.text("last_of_stay AND submitted_at IS NOT NULL"),
    )
    op.create_index(
        "ix_problem_timeline_repeated_stays",
        "problem_timeline",
        ["problem_id", "status"],
        unique=False,
        postgresql_include=STAY_COLUMNS,
        postgresql_where=sa.text(
            "last_of_stay AND submitted_at IS NOT NULL"
            " AND (previous_stay_ended_at IS NOT NULL OR next_stay_began_at IS NOT NULL)"
        ),
    )
    # The planner reads no statistics from partial indexes: without these it would guess how
    # many rows are current, and guess low.
    op.execute(
        "CREATE STATISTICS problem_timeline_valid_until "
        "ON (coalesce(valid_to, 'infinity'::timestamptz)) FROM problem_timeline"
    )
    op.execute("ANALYZE problem_timeline")
    op.create_index(
        "ix_status_updates_latest",
        "status_updates",
        ["problem_id", sa.text("created_at DESC"), sa.text("id DESC")],
        unique=False,
        postgresql_include=["status"],
    )
    op.execute(COMMUNITY_KEYS)
    op.execute(COMMUNITY_LABELS)
    op.create_index(
        "ix_problems_communities",
        "problems",
        [
            "id",
            sa.text("portfolio_community_keys(communities_affected)"),
            sa.text("portfolio_community_labels(communities_affected)"),
        ],
        unique=False,
        postgresql_include=["communities_affected"],
    )
    op.create_index(
        "ix_measurements_latest",
        "measurements",
        ["metric_id", sa.text("measured_on DESC"), sa.text("created_at DESC")],
        unique=False,
        postgresql_include=["value"],
    )


def downgrade() -> None:
    op.drop_index("ix_measurements_latest", table_name="measurements")
    op.drop_index("ix_problems_communities", table_name="problems")
    op.execute("DROP FUNCTION portfolio_community_labels(character varying[])")
    op.execute("DROP FUNCTION portfolio_community_keys(character varying[])")
    op.drop_index("ix_status_updates_latest", table_name="status_updates")
    op.execute("DROP STATISTICS problem_timeline_valid_until")
    op.drop_index("ix_problem_timeline_repeated_stays", table_name="problem_timeline")
    op.drop_index("ix_problem_timeline_stays", table_name="problem_timeline")
    op.drop_index("ix_problem_timeline_snapshot", table_name="problem_timeline")
    for column in (
        "next_stay_began_at",
        "previous_stay_ended_at",
        "last_of_stay",
        "state_entered_at",
        "department_id",
    ):
        op.drop_column("problem_timeline", column)
    op.create_index(
        "ix_problem_timeline_period",
        "problem_timeline",
        [sa.literal_column("tstzrange(valid_from, valid_to, '[)')")],
        unique=False,
        postgresql_using="gist",
    )
    op.create_index(
        "ix_problem_timeline_current",
        "problem_timeline",
        ["status"],
        unique=False,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
