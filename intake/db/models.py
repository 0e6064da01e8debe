"""Every table Intake has, in one place. The migrations build them; these map them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    REAL,
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    Double,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import UserDefinedType

from intake.db.base import Base, Removable, Timestamps, UUIDPrimaryKey
from intake.vocabulary.states import STATES

ROLES = ("requester", "triager", "team_member", "leadership", "admin")
DISCIPLINES = ("product_management", "civic_design", "data", "software_engineering", "security")
DELIVERY_PHASES = ("alpha", "beta")
OUTCOME_RESULTS = ("achieved", "partially_achieved", "not_achieved", "not_measurable")
FINDING_KINDS = (
    "insight",
    "pain_point",
    "journey_step",
    "constraint",
    "opportunity",
    "decision",
)
UPDATE_STATUSES = ("on_track", "at_risk", "off_track")
METRIC_DIRECTIONS = ("increase", "decrease")
COMMENT_VISIBILITIES = ("all", "dti_internal")
NOTIFICATION_KINDS = (
    "mention",
    "state_change",
    "info_requested",
    "sla_breach",
    "status_update",
    "assigned",
)
# pending: may still be e-mailed; sent; failed: given up after retries or refused for good;
# skipped: not to be e-mailed (read first, e-mail off, no longer visible, or written before
# e-mail existed); dropped: still unsent after EMAIL_WINDOW (intake.mail.delivery).
EMAIL_STATES = ("pending", "sent", "failed", "skipped", "dropped")

# The text PostgreSQL indexes for full-text search, weighted: title first, then the problem
# statement and desired outcome, then the rest of the record. Kept in one expression so the
# model and the migration agree character for character.
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(problem_statement, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(desired_outcome, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(current_process, '') || ' ' || "
    "coalesce(workarounds, '') || ' ' || coalesce(impact_resident_burden, '')), 'C')"
)


class XID8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id (``xid8``), which SQLAlchemy has no type for.
    asyncpg reads and writes it as an int."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "XID8"


# So that reflection (``intake db check``, autogenerate) knows the type too.
ischema_names["xid8"] = XID8


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Department(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class CommunityList(Base):
    """One list of communities as the records name them, normalised: each name trimmed and
    lower-cased (``keys``, each once, in byte order) with the spelling shown for it
    (``labels``: the least, trimmed); a record naming none has the list of one NULL.

    Records share lists (a city names the same communities again and again), so the
    distribution view counts problems per list and then per community, without reading
    the records. The database keeps it: ``community_list_id(names)`` finds or adds a list,
    and the triggers on ``problems`` set each record's and its timeline's list whenever its
    communities are written (migration ``community_lists``). ``digest`` is the unique
    SHA-256 of both arrays: lists can be longer than an index entry may be.
    """

    __tablename__ = "community_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    keys: Mapped[list[str | None]] = mapped_column(ARRAY(Text))
    labels: Mapped[list[str | None]] = mapped_column(ARRAY(Text))


class Person(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "people"
    __table_args__ = (
        Index("uq_people_email_lower", func.lower(text("email")), unique=True),
        CheckConstraint(
            "roles <@ ARRAY['requester','triager','team_member','leadership','admin']::varchar[]",
            name="roles_known",
        ),
    )

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default="{}")
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # Whether their notifications are also e-mailed to them (their own choice, PATCH /me).
    email_notifications: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))

    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)


class Team(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "teams"
    __table_args__ = (
        CheckConstraint("wip_limit >= 1", name="wip_limit_positive"),
        CheckConstraint(
            "disciplines <@ ARRAY['product_management','civic_design','data',"
            "'software_engineering','security']::varchar[]",
            name="disciplines_known",
        ),
    )

    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, server_default="")
    disciplines: Mapped[list[str]] = mapped_column(ARRAY(String(30)), server_default="{}")
    focus_areas: Mapped[list[str]] = mapped_column(ARRAY(String(60)), server_default="{}")
    wip_limit: Mapped[int] = mapped_column(SmallInteger)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), primary_key=True)
    discipline: Mapped[str | None] = mapped_column(String(30))
    added_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Problem(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "problems"
    __table_args__ = (
        Index("ix_problems_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_problems_similar_terms", "similar_terms", postgresql_using="gin"),
        Index("ix_problems_created_at_id", "created_at", "id"),
        Index("ix_problems_department_id_status", "department_id", "status"),
        CheckConstraint(
            _in("status", STATES),
            name="status_known",
        ),
        CheckConstraint(
            "status IN ('draft', 'withdrawn') OR reference IS NOT NULL",
            name="reference_after_draft",
        ),
        CheckConstraint(_in("delivery_phase", DELIVERY_PHASES), name="delivery_phase_known"),
        CheckConstraint(_in("outcome_result", OUTCOME_RESULTS), name="outcome_result_known"),
        CheckConstraint(
            "status <> 'closed' OR outcome_result IS NOT NULL", name="closed_with_outcome"
        ),
    )

    reference: Mapped[str | None] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(20), server_default="draft")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"))
    submitter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    restricted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    title: Mapped[str] = mapped_column(String(200))
    problem_statement: Mapped[str | None] = mapped_column(Text)
    affected_groups: Mapped[list[str]] = mapped_column(ARRAY(String(30)), server_default="{}")
    affected_people_per_year: Mapped[int | None] = mapped_column(BigInteger)
    current_process: Mapped[str | None] = mapped_column(Text)
    workarounds: Mapped[str | None] = mapped_column(Text)
    impact_staff_hours_per_year: Mapped[int | None] = mapped_column(Integer)
    impact_cost_per_year: Mapped[int | None] = mapped_column(BigInteger)
    impact_risk: Mapped[str | None] = mapped_column(Text)
    impact_resident_burden: Mapped[str | None] = mapped_column(Text)
    urgency_deadline: Mapped[date | None] = mapped_column(Date)
    urgency_reason: Mapped[str | None] = mapped_column(String(30))
    urgency_notes: Mapped[str | None] = mapped_column(Text)
    desired_outcome: Mapped[str | None] = mapped_column(Text)
    success_measures: Mapped[str | None] = mapped_column(Text)
    systems_involved: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb")
    )
    data_sensitivity: Mapped[str | None] = mapped_column(String(20))
    equity_considerations: Mapped[str | None] = mapped_column(Text)
    communities_affected: Mapped[list[str]] = mapped_column(ARRAY(String(100)), server_default="{}")
    # The list of communities, normalised (``CommunityList``): set by the database whenever
    # ``communities_affected`` is written (trigger ``problems_community_list``), never here.
    community_list_id: Mapped[int] = mapped_column(
        ForeignKey("community_lists.id"), server_default=FetchedValue()
    )
    accessibility_needs: Mapped[str | None] = mapped_column(Text)
    language_access_needs: Mapped[str | None] = mapped_column(Text)

    submitted_at: Mapped[datetime | None]

    # Triage (owned by DTI): who triages it, SLA clocks, decision, pairing.
    triager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"), index=True)
    team_assigned_at: Mapped[datetime | None]
    primary_problem_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("problems.id"))
    redirected_to_department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id")
    )
    redirect_channel: Mapped[str | None] = mapped_column(String(200))
    held_from_status: Mapped[str | None] = mapped_column(String(20))
    first_response_at: Mapped[datetime | None]
    first_response_due_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decision_due_at: Mapped[datetime | None]
    paused_since: Mapped[datetime | None]
    score: Mapped[int | None] = mapped_column(SmallInteger)
    # When the SLA sweep recorded each clock's breach (once per clock).
    first_response_breached_at: Mapped[datetime | None]
    decision_breached_at: Mapped[datetime | None]

    # Discovery, delivery and outcome (owned by the problem's triager and team).
    delivery_phase: Mapped[str | None] = mapped_column(String(10))
    launched_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome_result: Mapped[str | None] = mapped_column(String(30))
    outcome_summary: Mapped[str | None] = mapped_column(Text)
    outcome_lessons: Mapped[str | None] = mapped_column(Text)

    # Its framing hints (intake.problems.framing) as computed on its last write, and the
    # version of the rules they were computed with (``framing.RULES_VERSION``): a read
    # computes them again only when the rules have changed since, until `intake problems
    # reframe` stores them again.
    framing_hints: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb")
    )
    framing_rules: Mapped[str | None] = mapped_column(String(64))

    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True), deferred=True
    )
    # When its similar problems were last computed and stored (problem_similarities); NULL
    # until then: problems from before that table are filled on first read or by
    # `intake similar backfill`. Setting it is not an edit: version and updated_at stay.
    similar_computed_at: Mapped[datetime | None]
    # Its terms and the length of their weights (intake.triage.words), once stored: the
    # search finds problems sharing its rarest terms (GIN index) and scores the cosine.
    similar_terms: Mapped[list[str] | None] = mapped_column(ARRAY(Text), deferred=True)
    similar_norm: Mapped[float | None] = mapped_column(REAL, deferred=True)
    # The model of its stored meaning (ProblemMeaning); NULL while it has none that fits its
    # words: the meaning worker (intake.triage.meanings) embeds those, newest first. Setting
    # it is not an edit.
    meaning_model: Mapped[str | None] = mapped_column(String(64))


# The triage queue's order (decision due first, paused last; then highest score, unscored
# last), so a page is a short index range scan; declared here because it needs the columns.
Index(
    "ix_problems_triage_queue",
    Problem.decision_due_at,
    Problem.score.desc().nulls_last(),
    Problem.id,
    postgresql_where=text("status IN ('submitted', 'triage', 'needs_info')"),
)

# The problems the meaning worker has to embed, newest first.
Index(
    "ix_problems_meaning_due",
    Problem.submitted_at.desc(),
    Problem.id,
    postgresql_where=text("reference IS NOT NULL AND meaning_model IS NULL"),
)


class ProblemMeaning(Base):
    """What a submitted problem means: its sentence-model vector (``intake.triage.meaning``,
    float32 little-endian), the model it came from, and the cosines of its nearest problems
    and their ids (``intake.triage.meanings``: how crowded its neighbourhood is)."""

    __tablename__ = "problem_meanings"

    problem_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    nearest: Mapped[list[float]] = mapped_column(ARRAY(REAL))
    nearest_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True))
    )  # whose, in that order
    # Its units (title and each sentence, embedded apart; NULL: stored before units), and its
    # best units scores among its nearest by the whole text, and whose.
    units: Mapped[bytes | None] = mapped_column(LargeBinary)
    units_nearest: Mapped[list[float] | None] = mapped_column(ARRAY(REAL))
    units_nearest_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(UUID(as_uuid=True)))
    # When the row last changed (its vector or its nearest), indexed: each process's matrix
    # of meanings reads what changed since it last looked.
    stored_at: Mapped[datetime] = mapped_column(index=True)


class ProblemSimilarity(Base):
    """One of a problem's similar problems, with its full-text similarity score.

    Computed when the problem is submitted or its words change, and stored whoever may see
    either problem: ``intake.triage.similar`` applies the reader's visibility when reading.
    Each match also lists the problem back, with the same score; a problem keeps its best
    ``similar.KEEP``.
    """

    __tablename__ = "problem_similarities"
    __table_args__ = (
        # A problem's best matches, in the order they are read (index-only).
        Index("ix_problem_similarities_best", "problem_id", text("score DESC"), "similar_id"),
        CheckConstraint("problem_id <> similar_id", name="not_self"),
    )

    problem_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed for the lists a problem appears in: recomputed when its words change.
    similar_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    score: Mapped[float] = mapped_column(REAL)  # the terms' cosine (intake.triage.similar)


class SimilarTermCount(Base):
    """How many stored problems hold a term (intake.triage.words); the row ``''`` holds how
    many problems are stored."""

    __tablename__ = "similar_term_counts"

    term: Mapped[str] = mapped_column(Text, primary_key=True)
    problems: Mapped[int]


class SimilarDictionary(Base):
    """One row: the dictionary (``words.dictionary_hash``) the stored matches were built with."""

    __tablename__ = "similar_dictionary"
    __table_args__ = (CheckConstraint("one", name="one_row"),)

    one: Mapped[bool] = mapped_column(primary_key=True, server_default=true())
    dictionary: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]


class ProblemCollaborator(UUIDPrimaryKey, Base):
    """A department or a person working with the owning department on a problem."""

    __tablename__ = "problem_collaborators"
    __table_args__ = (
        CheckConstraint(
            "(department_id IS NULL) <> (person_id IS NULL)", name="department_or_person"
        ),
        UniqueConstraint(
            "problem_id", "department_id", "person_id", postgresql_nulls_not_distinct=True
        ),
    )

    problem_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    added_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProblemWatcher(Base):
    __tablename__ = "problem_watchers"

    problem_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProblemEvent(Base):
    """Append-only history: a trigger in the migration refuses UPDATE and DELETE.

    The bigint id orders a problem's own events. The event feed publishes them through
    ``FeedEntry`` rows, which a trigger on this table writes whoever inserts an event.
    """

    __tablename__ = "problem_events"
    __table_args__ = (
        Index("ix_problem_events_problem_id_id", "problem_id", "id"),
        Index("ix_problem_events_xact_id_id", "xact_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    # DTI-internal events (internal comments) are shown to DTI roles only.
    internal: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # The transaction that wrote the event; always the default, never set by the app. (The
    # feed ordered events by it and its index before it had feed_entries; the release before
    # still does while it serves during a deploy.)
    xact_id: Mapped[int] = mapped_column(XID8, server_default=func.pg_current_xact_id())


class FeedAudience(Base):
    """Whom a publication in the event feed is for: readers that ``reach`` names, less those
    ``seen_by`` names (the readers who had the events already). Names are ``everyone``,
    ``privileged`` (DTI roles and leadership), ``department:<id>`` and ``person:<id>``; see
    ``intake.feed.service``. A handful of rows are shared by every entry (``digest``, the
    SHA-256 of both arrays, keeps them unique: arrays can be longer than an index entry)."""

    __tablename__ = "feed_audiences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    reach: Mapped[list[str]] = mapped_column(ARRAY(Text))
    seen_by: Mapped[list[str]] = mapped_column(ARRAY(Text))


class FeedReach(Base):
    """The audience a problem's events are published for now: who may see it, as
    ``feed_reach_of(problem)`` (migration ``feed_publication``) says. When that widens, the
    problem's earlier events are published again for the newcomers."""

    __tablename__ = "feed_reach"

    problem_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), primary_key=True
    )
    audience_id: Mapped[int] = mapped_column(ForeignKey("feed_audiences.id"))


class FeedEntry(Base):
    """One publication of a history event in the event feed, append-only: its position
    (the publishing transaction and a sequence, in ``(xact_id, id)`` order) and whom it is
    for. Trigger ``feed_publish`` on ``problem_events`` writes them: each event once when it
    is written, and again for the readers who may see it later (a draft submitted, a problem
    opened up, a new collaborator), after everything published before."""

    __tablename__ = "feed_entries"
    __table_args__ = (Index("ix_feed_entries_xact_id_id", "xact_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    xact_id: Mapped[int] = mapped_column(XID8, server_default=func.pg_current_xact_id())
    event_id: Mapped[int] = mapped_column(ForeignKey("problem_events.id"))
    audience_id: Mapped[int] = mapped_column(ForeignKey("feed_audiences.id"))


class ReferenceCounter(Base):
    """Last reference number handed out per year; the row lock makes numbers gapless."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class IdempotencyRecord(Base):
    """The first response to a creating POST, replayed for retries with the same key."""

    __tablename__ = "idempotency_records"

    __table_args__ = (
        CheckConstraint("num_nonnulls(person_id, service_account_id) = 1", name="one_owner"),
    )

    # Whoever sent the key: a person, or a service account (webhooks:manage creates webhooks).
    owner_id: Mapped[uuid.UUID] = mapped_column(
        Computed("coalesce(person_id, service_account_id)", persisted=True), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    service_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_accounts.id", ondelete="CASCADE")
    )
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    response_headers: Mapped[dict[str, str]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb")
    )
    response_body: Mapped[bytes | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)


class ProblemLink(UUIDPrimaryKey, Base):
    """A directed link between problems: ``related`` or ``blocks``."""

    __tablename__ = "problem_links"
    __table_args__ = (
        UniqueConstraint("from_problem_id", "to_problem_id", "type"),
        CheckConstraint("type IN ('related', 'blocks')", name="type_known"),
        CheckConstraint("from_problem_id <> to_problem_id", name="not_self"),
    )

    from_problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id"), index=True)
    to_problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProblemScore(UUIDPrimaryKey, Base):
    """Every score a problem was given, newest last; the problem keeps the current one."""

    __tablename__ = "problem_scores"

    problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id"), index=True)
    scored_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    score: Mapped[int] = mapped_column(SmallInteger)
    ratings: Mapped[dict[str, Any]] = mapped_column(JSONB)
    weights: Mapped[dict[str, Any]] = mapped_column(JSONB)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSONB)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Setting(Base):
    """Admin settings (SLA targets, scoring weights), one JSON document per key."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Holiday(Base):
    """A city holiday: not a business day for SLA clocks."""

    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class CalendarVersion(Base):
    """Which SLA calendar (the ``settings`` and the ``holidays``) is current: one row whose
    token triggers renew whenever either table changes, whoever writes it. A process keeps
    the calendar it loaded under that token, and a read that finds another loads again
    (``intake.triage.policy``); no row (deleted by hand) means: load it every time."""

    __tablename__ = "calendar_version"
    __table_args__ = (CheckConstraint("id", name="one_row"),)

    id: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    token: Mapped[uuid.UUID] = mapped_column(server_default=text("gen_random_uuid()"))


# -- discovery, delivery and outcomes -------------------------------------------------------


class Finding(UUIDPrimaryKey, Timestamps, Base):
    """What discovery learned. Journey steps are ordered; pain points may sit on a step."""

    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_problem_id_kind", "problem_id", "kind"),
        CheckConstraint(_in("kind", FINDING_KINDS), name="kind_known"),
        CheckConstraint(
            "(kind = 'journey_step') = (position IS NOT NULL)", name="position_for_steps"
        ),
        CheckConstraint(
            "journey_step_id IS NULL OR kind = 'pain_point'", name="only_pain_points_on_steps"
        ),
    )

    problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    # [{source, date, who}]: where the finding comes from.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb")
    )
    position: Mapped[int | None] = mapped_column(Integer)
    journey_step_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("findings.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class Milestone(UUIDPrimaryKey, Removable, Base):
    """A delivery milestone; a moved target date keeps its earlier values, so slips show.
    A removed milestone stays (``deleted_at``), so views of earlier moments still see it."""

    __tablename__ = "milestones"

    problem_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    target_date: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    # [{target_date, replaced_at, replaced_by_id, reason}], oldest first.
    earlier_targets: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb")
    )
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class StatusUpdate(UUIDPrimaryKey, Base):
    """A regular status update; the newest one shows on the problem."""

    __tablename__ = "status_updates"
    __table_args__ = (
        Index("ix_status_updates_problem_id_created_at", "problem_id", "created_at"),
        # A problem's latest update status at any moment: one index-only probe.
        Index(
            "ix_status_updates_latest",
            "problem_id",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_include=["status"],
        ),
        CheckConstraint(_in("status", UPDATE_STATUSES), name="status_known"),
    )

    problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12))
    summary: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Metric(UUIDPrimaryKey, Removable, Base):
    """An outcome metric: how the city will know the problem is solved. A removed metric
    stays (``deleted_at``), so views of earlier moments still see it."""

    __tablename__ = "metrics"
    __table_args__ = (
        # Names are unique among the problem's metrics that are not removed, so a removed
        # metric's name can be used again.
        Index(
            "uq_metrics_problem_id_name_present",
            "problem_id",
            "name",
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
        ),
        CheckConstraint(_in("direction", METRIC_DIRECTIONS), name="direction_known"),
    )

    problem_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(8))
    baseline: Mapped[float] = mapped_column(Double)
    target: Mapped[float] = mapped_column(Double)
    target_date: Mapped[date] = mapped_column(Date)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    review_date: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class Measurement(UUIDPrimaryKey, Base):
    """One value of a metric on a date."""

    __tablename__ = "measurements"
    __table_args__ = (
        Index("ix_measurements_metric_id_measured_on", "metric_id", "measured_on", "created_at"),
        # A metric's latest reading (at any moment) is one index-only probe, or one ordered scan.
        Index(
            "ix_measurements_latest",
            "metric_id",
            text("measured_on DESC"),
            text("created_at DESC"),
            postgresql_include=["value"],
        ),
    )

    metric_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Double)
    measured_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


# -- collaboration --------------------------------------------------------------------------


class Comment(UUIDPrimaryKey, Timestamps, Base):
    """A comment for everyone who can see the problem, or for DTI roles only."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_problem_id_created_at", "problem_id", "created_at"),
        CheckConstraint(_in("visibility", COMMENT_VISIBILITIES), name="visibility_known"),
    )

    problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(12))
    mentions: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID), server_default="{}")
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class CommentRevision(UUIDPrimaryKey, Base):
    """A comment's text before an edit, so edits stay visible."""

    __tablename__ = "comment_revisions"

    comment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    edited_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    replaced_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Notification(Base):
    """One person's inbox entry for one history event, and whether it was e-mailed.

    The ``email_*`` columns belong to the mail pass (``intake.mail.delivery``): a pending
    notification is claimed with a lease (``email_leased_until``) while one process sends it,
    and a failed attempt waits until ``email_next_at`` to be tried again.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("person_id", "event_id"),
        Index("ix_notifications_person_id_id", "person_id", "id"),
        # The mail pass reads the pending ones of the last day, oldest first.
        Index(
            "ix_notifications_email_pending",
            "created_at",
            postgresql_where=text("email_state = 'pending'"),
        ),
        CheckConstraint(_in("kind", NOTIFICATION_KINDS), name="kind_known"),
        CheckConstraint(_in("email_state", EMAIL_STATES), name="email_state_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("problem_events.id"))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    read_at: Mapped[datetime | None]
    email_state: Mapped[str] = mapped_column(String(10), server_default="pending")
    email_attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    email_next_at: Mapped[datetime | None]
    email_leased_until: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    # Why the last attempt failed (the server's answer, or what went wrong).
    email_error: Mapped[str | None] = mapped_column(String(500))


# -- portfolio ------------------------------------------------------------------------------

# What the portfolio indexes carry besides their keys, so views read them without the table.
SNAPSHOT_COLUMNS = (
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
    "community_list_id",
)
STAY_COLUMNS = (
    "valid_to",
    "problem_id",
    "department_id",
    "submitted_at",
    "state_entered_at",
    "previous_stay_ended_at",
    "next_stay_began_at",
)
MILESTONE_COLUMNS = (
    "problem_id",
    "department_id",
    "team_id",
    "submitted_at",
    "decided_at",
    "launched_at",
    "closed_at",
)
# When a timeline row stopped being valid: the current rows sit under 'infinity'.
VALID_UNTIL = "coalesce(valid_to, 'infinity'::timestamptz)"
# The row a problem's first decision, launch or close began: the one in force from that
# moment (events recorded in the same instant leave rows valid for no time before it).
MILESTONE_ROWS = (
    f"submitted_at IS NOT NULL AND {VALID_UNTIL} > valid_from"
    " AND (valid_from = decided_at OR valid_from = launched_at OR valid_from = closed_at)"
)


def _stays_index(name: str, also: str = "") -> Index:
    """The last row of each stay in a state (``also``: of those stays only), by state and by
    when it ended, carrying what time in state over a window reads."""
    return Index(
        name,
        "status",
        text(VALID_UNTIL),
        postgresql_include=list(STAY_COLUMNS),
        postgresql_where=text(f"last_of_stay AND submitted_at IS NOT NULL{also}"),
    )


class ProblemTimeline(Base):
    """A problem's portfolio attributes over time, projected from its history.

    One row per event that changed any of them, valid from that event until the next one
    (``valid_to`` is NULL for the current row). Nothing here is read from the problem's
    current columns: ``intake.portfolio.timeline`` rebuilds a problem's rows from its events
    whenever one is recorded, so "as of" any moment is one indexed lookup. The exceptions
    are ``department_id``, the owning department, which a problem never changes, and
    ``community_list_id``, the record's communities, which are read as they are now.

    A *stay* is a run of rows with the same status: ``state_entered_at`` is when it began,
    ``last_of_stay`` marks its last row (the current row included), and on that row
    ``previous_stay_ended_at`` and ``next_stay_began_at`` link the problem's other stays in
    the same status, so time in a state is summed without grouping by problem.
    """

    __tablename__ = "problem_timeline"
    __table_args__ = (
        Index("ix_problem_timeline_problem_id_valid_from", "problem_id", "valid_from"),
        # The snapshot at any moment, index-only: rows are found by state and by when they
        # stopped being valid (the current rows under 'infinity'), and carry every column a
        # view reads.
        Index(
            "ix_problem_timeline_snapshot",
            "status",
            text(VALID_UNTIL),
            "department_id",
            postgresql_include=list(SNAPSHOT_COLUMNS),
            postgresql_where=text("submitted_at IS NOT NULL"),
        ),
        _stays_index("ix_problem_timeline_stays"),
        # The few stays of a problem in a state it was in more than once.
        _stays_index(
            "ix_problem_timeline_repeated_stays",
            " AND (previous_stay_ended_at IS NOT NULL OR next_stay_began_at IS NOT NULL)",
        ),
        # Decisions, launches and closes by when they happened: lead times and throughput
        # over a window read only the milestones in it.
        Index(
            "ix_problem_timeline_milestones",
            "valid_from",
            postgresql_include=list(MILESTONE_COLUMNS),
            postgresql_where=text(MILESTONE_ROWS),
        ),
    )

    event_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("problem_events.id"), primary_key=True, autoincrement=False
    )
    problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    # A copy of the problem's (which never changes), so no view needs ``problems`` to filter;
    # no foreign key of its own: ``problems`` holds that one, and each check costs a write.
    department_id: Mapped[uuid.UUID]
    # The problem's list of communities, a copy kept by the database (trigger
    # ``problem_timeline_community_list``): as the record's own, its current one. A row
    # inserted without it (by the release before, during a deploy) gets the problem's
    # (trigger ``problem_timeline_new_row_community_list``).
    community_list_id: Mapped[int]
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))
    triager_id: Mapped[uuid.UUID | None]
    team_id: Mapped[uuid.UUID | None]
    score: Mapped[int | None] = mapped_column(SmallInteger)
    delivery_phase: Mapped[str | None] = mapped_column(String(10))
    outcome_result: Mapped[str | None] = mapped_column(String(30))
    submitted_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    launched_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    first_response_due_at: Mapped[datetime | None]
    decision_due_at: Mapped[datetime | None]
    state_entered_at: Mapped[datetime]
    last_of_stay: Mapped[bool] = mapped_column(Boolean)
    previous_stay_ended_at: Mapped[datetime | None]
    next_stay_began_at: Mapped[datetime | None]


# -- webhooks -------------------------------------------------------------------------------


class WebhookSubscription(UUIDPrimaryKey, Timestamps, Base):
    """A receiver the event feed is pushed to, one signed POST per event, in feed order.

    ``after_xact_id``/``after_event_id`` is the subscription's own position in the feed: every
    event up to it has been delivered or was not for this receiver. ``attempts`` counts the
    failed attempts at the next event, and ``retry_at`` says when to try it again. A delivery
    worker holds the subscription while it sends (``leased_until``, ``lease_id``), so one
    process at a time delivers for it, without a transaction open across the request.
    The secret signs the requests, so it is kept as it is; the API shows it only once.
    """

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        CheckConstraint("active = (disabled_at IS NULL)", name="disabled_when_inactive"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint(
            "num_nonnulls(created_by_id, created_by_service_account_id) = 1", name="one_creator"
        ),
    )

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), server_default="")
    # Only events of these types; empty: every type.
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret signs too, until ``previous_secret_until``.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    after_xact_id: Mapped[int] = mapped_column(XID8)
    after_event_id: Mapped[int] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    retry_at: Mapped[datetime | None]
    leased_until: Mapped[datetime | None]
    lease_id: Mapped[uuid.UUID | None]
    # An admin, or a service account with webhooks:manage.
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    created_by_service_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_accounts.id")
    )


class WebhookDelivery(Base):
    """One attempt to deliver one event to one subscription, for operators to see why a
    receiver fails. Kept for ``intake.webhooks.delivery.KEPT_FOR``."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_subscription_id_id", "subscription_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("problem_events.id"))
    attempt: Mapped[int] = mapped_column(SmallInteger)
    # The receiver's HTTP status, or null when there was none (timeout, connection refused).
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(index=True)


SERVICE_SCOPES = ("feed:read", "portfolio:read", "problems:read", "webhooks:manage")


class ServiceAccount(UUIDPrimaryKey, Timestamps, Base):
    """An integration (the data platform's feed reader, a dashboard) that reads Intake with
    API tokens, within its scopes and, when set, one department's problems. Never a person."""

    __tablename__ = "service_accounts"
    __table_args__ = (
        Index("uq_service_accounts_name_lower", func.lower(text("name")), unique=True),
        CheckConstraint(
            "scopes <@ ARRAY['feed:read','portfolio:read','problems:read',"
            "'webhooks:manage']::varchar[]",
            name="scopes_known",
        ),
    )

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), server_default="")
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    # Only this department's problems (feed, problems, portfolio); null: the whole city.
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"))


class ServiceToken(UUIDPrimaryKey, Base):
    """An API token of a service account. Only the SHA-256 of its secret is kept; the token
    itself is shown once, when it is issued."""

    __tablename__ = "service_tokens"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_accounts.id", ondelete="CASCADE"), index=True
    )
    secret_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    # Written at most once a minute per token (intake.accounts.service.LAST_USED_EVERY).
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A browser's session with the pages: who signed in, its CSRF token, when it ends.

    The cookie holds a random token; only its SHA-256 is stored, so a read of this table
    cannot be replayed as a cookie. A row without a person is a visitor who has not signed in
    yet (the sign-in form's CSRF token, an OIDC sign-in under way); signing in replaces it
    with a new row, so the session id changes at sign-in. Signing out deletes the row.
    """

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    # An OIDC sign-in under way: the state, PKCE verifier and nonce it must come back with.
    oidc_state: Mapped[str | None] = mapped_column(String(128))
    oidc_verifier: Mapped[str | None] = mapped_column(String(128))
    oidc_nonce: Mapped[str | None] = mapped_column(String(128))
    next_path: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(index=True)
