"""The portfolio timeline: each problem's portfolio attributes over time, from its history.

Every history event that changes a portfolio attribute (state, triager, team, score,
delivery phase, SLA due times) starts a new timeline row, valid until the next one. The
rows are computed from ``problem_events`` alone, never from the problem's current columns,
so "as of" any past moment reads exactly what the history says. ``refresh`` recomputes one
problem's rows in the same transaction as each such event; ``rebuild`` recomputes every
problem's (after bulk loads, and from the CLI). ``REBUILD_SQL`` is the one definition of
the projection: both run it, and the migrations freeze a copy of it when its shape changes.

Each row also carries what lets the views read it without other tables or per-problem
work: the problem's department (which never changes) and list of communities (kept by the
database when the record's communities change), and its place in a *stay* (a run of
rows with one status): when the stay began, whether the row ends it, and (on the row that
ends it) when the problem's previous stay in that status ended and its next one began.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db.models import ProblemEvent, ProblemTimeline
from intake.problems.subscribers import Rows

# The keys in an event's ``changes`` that carry portfolio attributes.
TRACKED_CHANGES = frozenset({"triager_id", "team", "delivery_phase", "sla"})
# A value is carried forward from the latest event (so far) that set it: each row is grouped
# with the last row whose flag was true (a running count), and takes that group's first value.
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
    WHERE (CAST(:everything AS boolean) OR e.problem_id = ANY(CAST(:problem_ids AS uuid[])))
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
    event_id, problem_id, department_id, community_list_id, valid_from, valid_to, status,
    triager_id, team_id, score, delivery_phase, outcome_result, submitted_at, first_response_at,
    decided_at, launched_at, closed_at, first_response_due_at, decision_due_at, state_entered_at,
    last_of_stay, previous_stay_ended_at, next_stay_began_at
)
SELECT s.event_id, s.problem_id, p.department_id, p.community_list_id, s.occurred_at,
       s.valid_to, s.status, s.triager_id, s.team_id, s.score, s.delivery_phase,
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


# Every column but the key: what a refreshed row may change.
_COLUMNS = [
    column.name for column in ProblemTimeline.__table__.columns if column.name != "event_id"
]
# A problem's rows computed again, in one statement: history is append-only, so each of its
# rows is computed again (updated where it changed) and its new events add theirs.
REFRESH_SQL = (
    REBUILD_SQL
    + "ON CONFLICT (event_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS)
    + "\nWHERE ("
    + ", ".join(f"problem_timeline.{name}" for name in _COLUMNS)
    + ") IS DISTINCT FROM ("
    + ", ".join(f"excluded.{name}" for name in _COLUMNS)
    + ")"
)


def tracks(event: ProblemEvent) -> bool:
    """Whether the event changes a portfolio attribute (and so the timeline)."""
    changes: dict[str, Any] = event.changes or {}
    return (
        event.to_status is not None
        or event.type == "scored"
        or not TRACKED_CHANGES.isdisjoint(changes)
    )


async def on_event(
    session: AsyncSession, event: ProblemEvent, mentions: tuple[uuid.UUID, ...]
) -> None:
    """The history's subscriber: an event that changes a portfolio attribute moves the
    problem's timeline on, in the event's transaction."""
    if tracks(event):
        await refresh(session, [event.problem_id])


def rows(
    session: AsyncSession | None, event: ProblemEvent, mentions: tuple[uuid.UUID, ...]
) -> Rows | None:
    """``on_event`` as a clause of the statement that writes the event
    (``intake.problems.numbering``, ``drafting``): the refresh, reading the new event and its
    problem from that statement."""
    if not tracks(event):
        return Rows()
    return Rows(_REFRESH_WITH_EVENT, {"everything": False, "problem_ids": [event.problem_id]})


async def refresh(session: AsyncSession, problem_ids: list[uuid.UUID]) -> None:
    """Recompute these problems' timelines from their history."""
    if not problem_ids:
        return
    await session.execute(_REFRESH, {"everything": False, "problem_ids": problem_ids})


async def rebuild(session: AsyncSession) -> int:
    """Recompute every problem's timeline from the whole history; returns the row count."""
    # Room for the window functions' sorts over the whole history (this transaction only).
    await session.execute(text("SELECT set_config('work_mem', '256MB', true)"))
    await session.execute(text("DELETE FROM problem_timeline"))
    await session.execute(text(REBUILD_SQL), {"everything": True, "problem_ids": []})
    return int(await session.scalar(text("SELECT count(*) FROM problem_timeline")) or 0)


_REFRESH = text(REFRESH_SQL)
# REFRESH_SQL reading the history and the event its statement writes (the clause ``event``),
# and the problem from the clause ``problem``, which the statement's other clauses cannot
# read from problem_events and problems (a draft's statement writes the problem too).
_EVENTS = "FROM problem_events AS e\n"
_WITH_EVENT = (
    "FROM (SELECT problem_id, id, occurred_at, to_status, type, changes FROM problem_events\n"
    "      UNION ALL\n"
    "      SELECT problem_id, id, occurred_at, to_status, type, changes FROM event) AS e\n"
)
_PROBLEMS = "JOIN problems AS p ON p.id = s.problem_id\n"
_WITH_PROBLEM = "JOIN problem AS p ON p.id = s.problem_id\n"
assert REFRESH_SQL.count(_EVENTS) == 1 and REFRESH_SQL.count(_PROBLEMS) == 1
_REFRESH_WITH_EVENT = (
    f"timeline AS ({REFRESH_SQL.replace(_EVENTS, _WITH_EVENT).replace(_PROBLEMS, _WITH_PROBLEM)})"
)
