"""The event feed publishes each event when it becomes visible: publication is its own record.

A reader following the feed's cursor passed a draft's events while only its department
could see them, and when the draft was submitted they were behind its cursor for good (a
full read showed them). Now an event is published, for whom may see it then, when it is
written, and again, after everything published before, for the readers who may see it
later: at submit, when a restricted problem is opened up, for a new collaborator.

- feed_audiences: whom a publication is for: the readers ``reach`` names, less those
  ``seen_by`` names. Names: 'everyone', 'privileged' (DTI roles and leadership),
  'department:<id>', 'person:<id>'. Few rows, shared; unique by ``digest``.
- feed_audience_id(reach, seen_by): finds or adds one.
- feed_reach_of(problem): who may see a problem now, as intake.problems.guards.visible_to
  says: a draft its department; a submitted problem everyone, or when restricted its
  department, DTI and leadership and its collaborators.
- feed_reach: per problem, the audience its events are published for now.
- feed_entries: one row per publication: (xact_id, id) is its position in the feed (the
  publishing transaction, then a sequence), ``audience_id`` whom it is for. Append-only.
- trigger feed_publish, after every statement that inserts into problem_events, whoever
  runs it (the API, the demo's load, the release before this one while it still serves
  during a deploy): for each problem of the new events whose reach has changed since its
  events were last published, the new reach, and if it is wider, its earlier events
  again, in their order, for the readers it reaches now less those it reached; then the
  new events, for the readers it reaches now. A change that widens a problem's reach holds its row lock (FOR UPDATE, as the API's
  changes do), and inserting an event waits for that lock (the foreign key's KEY SHARE), so
  an event is published either before the widening (and published again by it) or after.

The existing events are published where the feed had them, at (xact_id, id) with the
entry id equal to the event id, so cursors handed out before stay valid; each for whom may
see its problem now (a draft's for its department). The sequence then carries on above the
largest event id. This holds writes of history while it runs (creating the trigger locks
problem_events, and the entries are written in the migration's transaction): 17-45 s at
100,000 problems (1.1 million events) on two cores shared with other work.

ix_problem_events_xact_id_id stays: the release before this one reads the feed by it while
it still serves. Downgrading drops the trigger, the functions and the tables.

Revision ID: 9854e00867ed
Revises: 2d7e5a9c4f13
Create Date: 2026-12-07 09:00:00+00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import UserDefinedType

revision: str = "9854e00867ed"
down_revision: str | None = "2d7e5a9c4f13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class XID8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id, which SQLAlchemy has no type for."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "XID8"


# Under READ COMMITTED an audience another transaction is adding at the same moment is
# waited for by the INSERT and then seen by the second SELECT, which takes a new snapshot.
AUDIENCE_ID = """
CREATE FUNCTION feed_audience_id(for_reach text[], less text[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    audience_digest bytea := sha256(convert_to(ROW(for_reach, less)::text, 'UTF8'));
    found integer;
BEGIN
    SELECT id INTO found FROM feed_audiences WHERE digest = audience_digest;
    IF found IS NULL THEN
        INSERT INTO feed_audiences (digest, reach, seen_by)
        VALUES (audience_digest, for_reach, less)
        ON CONFLICT (digest) DO NOTHING
        RETURNING id INTO found;
    END IF;
    IF found IS NULL THEN
        SELECT id INTO found FROM feed_audiences WHERE digest = audience_digest;
    END IF;
    RETURN found;
END
$$
"""

# Who may see the problem now: intake.problems.guards.visible_to, as reader names
# (intake.feed.service.reader_names). The collaborators in a stable order, so the same
# reach is the same array. PL/pgSQL rather than SQL: its plan is kept from call to call.
REACH_OF = """
CREATE FUNCTION feed_reach_of(problem uuid) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT CASE
            WHEN p.reference IS NULL THEN ARRAY['department:' || p.department_id]
            WHEN NOT p.restricted THEN ARRAY['everyone']
            ELSE ARRAY['department:' || p.department_id, 'privileged'] || ARRAY(
                SELECT coalesce('department:' || c.department_id, 'person:' || c.person_id)
                FROM problem_collaborators AS c WHERE c.problem_id = p.id ORDER BY 1)
        END
        FROM problems AS p WHERE p.id = problem
    );
END
$$
"""

PUBLISH = (
    """
CREATE FUNCTION feed_publish() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    widened uuid;
    was text[];
    reach_now text[];
    newcomers integer;
BEGIN
    -- Problems whose reach changed since their events were last published. Each is locked,
    -- then judged again: of two transactions that see one change, one publishes it.
    FOR widened IN
        SELECT r.problem_id
        FROM feed_reach AS r JOIN feed_audiences AS a ON a.id = r.audience_id
        WHERE r.problem_id IN (SELECT problem_id FROM new_events)
          AND a.reach IS DISTINCT FROM feed_reach_of(r.problem_id)
        ORDER BY r.problem_id
    LOOP
        SELECT a.reach INTO was
        FROM feed_reach AS r JOIN feed_audiences AS a ON a.id = r.audience_id
        WHERE r.problem_id = widened
        FOR UPDATE OF r;
        reach_now := feed_reach_of(widened);
        CONTINUE WHEN reach_now = was;
        IF NOT 'everyone' = ANY (was)
           AND ('everyone' = ANY (reach_now) OR NOT reach_now <@ was) THEN
            -- Wider: every earlier event again, in its order, for those it did not reach.
            newcomers := feed_audience_id(reach_now, was);
            INSERT INTO feed_entries (event_id, audience_id)
            SELECT e.id, newcomers FROM problem_events AS e
            WHERE e.problem_id = widened AND e.id NOT IN (SELECT id FROM new_events)
            ORDER BY e.id;
        END IF;
        UPDATE feed_reach SET audience_id = feed_audience_id(reach_now, '{}')
        WHERE problem_id = widened;
    END LOOP;
    -- A problem's first events: the reach it has.
    WITH fresh AS (
        SELECT d.problem_id, feed_reach_of(d.problem_id) AS reach
        FROM (SELECT DISTINCT problem_id FROM new_events) AS d
        WHERE NOT EXISTS (SELECT FROM feed_reach AS r WHERE r.problem_id = d.problem_id)
    ), audiences AS (
        SELECT f.reach, feed_audience_id(f.reach, '{}') AS id
        FROM (SELECT DISTINCT reach FROM fresh) AS f
    )
    INSERT INTO feed_reach (problem_id, audience_id)
    SELECT fresh.problem_id, audiences.id FROM fresh JOIN audiences USING (reach)
    ON CONFLICT (problem_id) DO NOTHING;
    -- The new events, in their order, for the readers their problem reaches now.
    INSERT INTO feed_entries (event_id, audience_id)
    SELECT n.id, r.audience_id
    FROM new_events AS n JOIN feed_reach AS r ON r.problem_id = n.problem_id
    ORDER BY n.id;
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER feed_publish
AFTER INSERT ON problem_events
REFERENCING NEW TABLE AS new_events
FOR EACH STATEMENT EXECUTE FUNCTION feed_publish()
""",
)

APPEND_ONLY = (
    """
CREATE FUNCTION feed_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'feed_entries is append-only';
END
$$
""",
    """
CREATE TRIGGER feed_entries_append_only
BEFORE UPDATE OR DELETE ON feed_entries
FOR EACH ROW EXECUTE FUNCTION feed_entries_append_only()
""",
)


def upgrade() -> None:
    op.create_table(
        "feed_audiences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("reach", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("seen_by", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_audiences")),
        sa.UniqueConstraint("digest", name=op.f("uq_feed_audiences_digest")),
    )
    op.create_table(
        "feed_reach",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("audience_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["feed_audiences.id"],
            name=op.f("fk_feed_reach_audience_id_feed_audiences"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_feed_reach_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("problem_id", name=op.f("pk_feed_reach")),
    )
    op.create_table(
        "feed_entries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "xact_id", XID8(), server_default=sa.text("pg_current_xact_id()"), nullable=False
        ),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("audience_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["feed_audiences.id"],
            name=op.f("fk_feed_entries_audience_id_feed_audiences"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["problem_events.id"],
            name=op.f("fk_feed_entries_event_id_problem_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_entries")),
    )
    op.execute(AUDIENCE_ID)
    op.execute(REACH_OF)
    # From here on no event is written until this commits (the trigger's lock), so the
    # backfill below and the trigger between them publish every event once.
    for statement in PUBLISH:
        op.execute(statement)
    op.execute("SELECT set_config('work_mem', '256MB', true)")
    op.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
    op.execute(
        """
        WITH reaches AS (SELECT id AS problem_id, feed_reach_of(id) AS reach FROM problems),
        audiences AS (
            SELECT r.reach, feed_audience_id(r.reach, '{}') AS id
            FROM (SELECT DISTINCT reach FROM reaches) AS r
        )
        INSERT INTO feed_reach (problem_id, audience_id)
        SELECT reaches.problem_id, audiences.id FROM reaches JOIN audiences USING (reach)
        """
    )
    op.execute(
        """
        INSERT INTO feed_entries (id, xact_id, event_id, audience_id)
        SELECT e.id, e.xact_id, e.id, r.audience_id
        FROM problem_events AS e JOIN feed_reach AS r ON r.problem_id = e.problem_id
        """
    )
    op.execute(
        "SELECT setval(pg_get_serial_sequence('feed_entries', 'id'), "
        "coalesce((SELECT max(id) FROM feed_entries), 0) + 1, false)"
    )
    op.create_index(
        op.f("ix_feed_entries_xact_id_id"), "feed_entries", ["xact_id", "id"], unique=False
    )
    for statement in APPEND_ONLY:
        op.execute(statement)
    op.execute("ANALYZE feed_audiences, feed_reach, feed_entries")


def downgrade() -> None:
    op.execute("DROP TRIGGER feed_publish ON problem_events")
    op.execute("DROP FUNCTION feed_publish()")
    op.execute("DROP TRIGGER feed_entries_append_only ON feed_entries")
    op.execute("DROP FUNCTION feed_entries_append_only()")
    op.drop_index(op.f("ix_feed_entries_xact_id_id"), table_name="feed_entries")
    op.drop_table("feed_entries")
    op.drop_table("feed_reach")
    op.execute("DROP FUNCTION feed_reach_of(uuid)")
    op.execute("DROP FUNCTION feed_audience_id(text[], text[])")
    op.drop_table("feed_audiences")
