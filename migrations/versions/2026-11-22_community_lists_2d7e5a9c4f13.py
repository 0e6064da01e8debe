"""Community lists: each record's communities, normalised once into a shared list, and
carried on its timeline rows, so the distribution view counts problems per list.

- community_lists: one row per distinct normalised list (keys and the spelling shown for
  each; the list of one NULL for a record naming none), unique by the SHA-256 of both.
- community_list_id(names): finds or adds the list of a record's communities.
- problems.community_list_id: set by trigger problems_community_list on every insert and
  on every update of communities_affected, whatever writes it (the API, the demo's COPY).
- problem_timeline.community_list_id: copied by the timeline's rebuild (intake.portfolio
  .timeline), and by trigger problem_timeline_community_list when a record's list
  changes; the snapshot index carries it, so the view reads no record. A row inserted
  without it (by the release before this one, still serving beside the new one during a
  deploy, or a frozen rebuild in a later migration) gets its problem's from trigger
  problem_timeline_new_row_community_list, which runs only for such rows.
- ix_problems_communities goes: nothing reads it any more.

The existing rows are filled in the migration's transaction (one pass over problems, one
over the timeline, and the snapshot index built again): writes wait meanwhile, about a
minute at 100,000 problems on two cores (measured: 60-65 s). Downgrading drops all of it and restores the index.

Revision ID: 2d7e5a9c4f13
Revises: 6b8c98ae7601
Create Date: 2026-11-22 08:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2d7e5a9c4f13"
down_revision: str | None = "6b8c98ae7601"
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

# Finds a list by its digest, or adds it. Under READ COMMITTED (the app's level) a list
# another transaction is adding at the same moment is waited for by the INSERT and then
# seen by the second SELECT, which takes a new snapshot.
LIST_ID = """
CREATE FUNCTION community_list_id(names character varying[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    list_keys text[] := coalesce(portfolio_community_keys(names), '{}');
    list_labels text[] := coalesce(portfolio_community_labels(names), '{}');
    list_digest bytea;
    found integer;
BEGIN
    IF cardinality(list_keys) = 0 THEN
        list_keys := ARRAY[NULL]::text[];
        list_labels := ARRAY[NULL]::text[];
    END IF;
    list_digest := sha256(convert_to(ROW(list_keys, list_labels)::text, 'UTF8'));
    SELECT id INTO found FROM community_lists WHERE digest = list_digest;
    IF found IS NULL THEN
        INSERT INTO community_lists (digest, keys, labels)
        VALUES (list_digest, list_keys, list_labels)
        ON CONFLICT (digest) DO NOTHING
        RETURNING id INTO found;
    END IF;
    IF found IS NULL THEN
        SELECT id INTO found FROM community_lists WHERE digest = list_digest;
    END IF;
    RETURN found;
END
$$
"""
RECORD_TRIGGER = (
    """
CREATE FUNCTION problems_community_list() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.community_list_id := community_list_id(NEW.communities_affected);
    RETURN NEW;
END
$$
""",
    """
CREATE TRIGGER problems_community_list
BEFORE INSERT OR UPDATE OF communities_affected ON problems
FOR EACH ROW EXECUTE FUNCTION problems_community_list()
""",
)
TIMELINE_TRIGGER = (
    """
CREATE FUNCTION problem_timeline_community_list() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE problem_timeline SET community_list_id = NEW.community_list_id
    WHERE problem_id = NEW.id;
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER problem_timeline_community_list
AFTER UPDATE OF communities_affected ON problems
FOR EACH ROW WHEN (OLD.community_list_id IS DISTINCT FROM NEW.community_list_id)
EXECUTE FUNCTION problem_timeline_community_list()
""",
)

# The rebuild of the release before this one inserts timeline rows without the column:
# they take their problem's list (the WHEN leaves the current rebuild's rows alone).
NEW_ROW_TRIGGER = (
    """
CREATE FUNCTION problem_timeline_new_row_community_list() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT community_list_id INTO NEW.community_list_id
    FROM problems WHERE id = NEW.problem_id;
    RETURN NEW;
END
$$
""",
    """
CREATE TRIGGER problem_timeline_new_row_community_list
BEFORE INSERT ON problem_timeline
FOR EACH ROW WHEN (NEW.community_list_id IS NULL)
EXECUTE FUNCTION problem_timeline_new_row_community_list()
""",
)


def upgrade() -> None:
    op.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
    op.create_table(
        "community_lists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("keys", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("labels", sa.ARRAY(sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_lists")),
        sa.UniqueConstraint("digest", name=op.f("uq_community_lists_digest")),
    )
    op.execute(LIST_ID)
    op.add_column("problems", sa.Column("community_list_id", sa.Integer(), nullable=True))
    op.execute("UPDATE problems SET community_list_id = community_list_id(communities_affected)")
    op.alter_column("problems", "community_list_id", nullable=False)
    op.create_foreign_key(
        op.f("fk_problems_community_list_id_community_lists"),
        "problems",
        "community_lists",
        ["community_list_id"],
        ["id"],
    )
    op.add_column("problem_timeline", sa.Column("community_list_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE problem_timeline AS t SET community_list_id = p.community_list_id "
        "FROM problems AS p WHERE p.id = t.problem_id"
    )
    op.alter_column("problem_timeline", "community_list_id", nullable=False)
    _snapshot_index([*SNAPSHOT_COLUMNS, "community_list_id"])
    for statement in (*RECORD_TRIGGER, *TIMELINE_TRIGGER, *NEW_ROW_TRIGGER):
        op.execute(statement)
    op.drop_index("ix_problems_communities", table_name="problems")
    op.execute("ANALYZE community_lists")


def downgrade() -> None:
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
    op.execute("DROP TRIGGER problem_timeline_new_row_community_list ON problem_timeline")
    op.execute("DROP FUNCTION problem_timeline_new_row_community_list()")
    op.execute("DROP TRIGGER problem_timeline_community_list ON problems")
    op.execute("DROP FUNCTION problem_timeline_community_list()")
    op.execute("DROP TRIGGER problems_community_list ON problems")
    op.execute("DROP FUNCTION problems_community_list()")
    _snapshot_index(SNAPSHOT_COLUMNS)
    op.drop_column("problem_timeline", "community_list_id")
    op.drop_constraint(
        op.f("fk_problems_community_list_id_community_lists"), "problems", type_="foreignkey"
    )
    op.drop_column("problems", "community_list_id")
    op.execute("DROP FUNCTION community_list_id(character varying[])")
    op.drop_table("community_lists")


def _snapshot_index(include: list[str]) -> None:
    op.drop_index("ix_problem_timeline_snapshot", table_name="problem_timeline")
    op.create_index(
        "ix_problem_timeline_snapshot",
        "problem_timeline",
        ["status", NOT_ENDED, "department_id"],
        unique=False,
        postgresql_include=include,
        postgresql_where=sa.text("submitted_at IS NOT NULL"),
    )
