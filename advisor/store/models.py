"""The database tables, as SQLAlchemy 2 typed models.

Every row belongs to an athlete, so one database can hold a coach's fifty runners without a schema change.
Instants are stored in UTC (`UTCDateTime`); an activity keeps its local offset beside its start so weeks can be cut
in the runner's own time zone. The schema itself is created and changed only by the Alembic migrations in
`advisor/store/migrations`; a test checks that the migrations produce exactly these models.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which has no time zones) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Athlete(Base):
    """A runner. The profile columns are overrides of the config file's `[profile]` (NULL: as the config says), and
    `thresholds` is a JSON object of `[thresholds]` keys this athlete's physio changed; the default athlete of a
    single-runner install has none, so the config file alone describes them."""

    __tablename__ = "athletes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sex: Mapped[str | None] = mapped_column(String(20))
    flat_feet: Mapped[bool | None] = mapped_column(Boolean)
    orthotics: Mapped[bool | None] = mapped_column(Boolean)
    max_hr: Mapped[int | None] = mapped_column(Integer)
    resting_hr: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(Text)
    units: Mapped[str | None] = mapped_column(String(2))
    thresholds: Mapped[str | None] = mapped_column(Text)
    web_session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """The web page's login sessions carry the generation they were made in; logging out, or starting the page
    with another password, counts it up, which ends every session made before (the cookie itself stays signed and
    unexpired, so only the server can revoke it)."""
    web_password_mark: Mapped[str | None] = mapped_column(String(200))
    """A salted scrypt hash of the web page's password when the generation was last counted (None: no password),
    so a changed password is noticed at the next start even if it is later changed back."""


class SourceFile(Base):
    """A file whose content was stored (or recognised as an activity we already had): the idempotency key."""

    __tablename__ = "source_files"
    __table_args__ = (
        UniqueConstraint("athlete_id", "sha256", name="uq_source_files_athlete_sha256"),
        Index("ix_source_files_athlete_imported", "athlete_id", "imported_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    file_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(String(40))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("athlete_id", "activity_key", name="uq_activities_athlete_key"),
        Index("ix_activities_athlete_start", "athlete_id", "start_utc"),
        Index("ix_activities_source_file", "source_file_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    source_file_id: Mapped[int] = mapped_column(ForeignKey("source_files.id", ondelete="CASCADE"))
    activity_key: Mapped[str] = mapped_column(String(100))
    garmin_activity_id: Mapped[int | None] = mapped_column(BigInteger)
    sport: Mapped[str] = mapped_column(String(40))
    sub_sport: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(Text)
    start_utc: Mapped[datetime] = mapped_column(UTCDateTime)
    utc_offset_s: Mapped[int | None] = mapped_column(Integer)
    n_records: Mapped[int] = mapped_column(Integer)
    distance_m: Mapped[float] = mapped_column(Float)
    elapsed_s: Mapped[float] = mapped_column(Float)
    moving_s: Mapped[float] = mapped_column(Float)
    ascent_m: Mapped[float] = mapped_column(Float)
    descent_m: Mapped[float] = mapped_column(Float)
    descent_steep5_m: Mapped[float] = mapped_column(Float)
    distance_steep5_m: Mapped[float] = mapped_column(Float)
    descent_steep10_m: Mapped[float] = mapped_column(Float)
    distance_steep10_m: Mapped[float] = mapped_column(Float)
    avg_cadence_spm: Mapped[float | None] = mapped_column(Float)
    avg_heart_rate: Mapped[float | None] = mapped_column(Float)
    load: Mapped[float] = mapped_column(Float)
    load_method: Mapped[str] = mapped_column(String(20))
    session_distance_m: Mapped[float | None] = mapped_column(Float)
    session_elapsed_s: Mapped[float | None] = mapped_column(Float)
    session_timer_s: Mapped[float | None] = mapped_column(Float)
    session_ascent_m: Mapped[float | None] = mapped_column(Float)
    session_descent_m: Mapped[float | None] = mapped_column(Float)
    session_avg_heart_rate: Mapped[float | None] = mapped_column(Float)
    session_avg_cadence: Mapped[float | None] = mapped_column(Float)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Excluded by the runner (not a run of theirs, a broken recording): it counts nowhere, but stays stored so a
    re-import of its file is still a duplicate."""
    file_sport: Mapped[str | None] = mapped_column(String(40))
    """The file's own sport when the runner corrected `sport`; None means `sport` is the file's."""
    file_sub_sport: Mapped[str | None] = mapped_column(String(40))


class DailyStairs(Base):
    """Floors climbed and descended on one local day, per source (garmin, fit_monitoring, manual)."""

    __tablename__ = "daily_stairs"

    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    floors_up: Mapped[float | None] = mapped_column(Float)
    floors_down: Mapped[float | None] = mapped_column(Float)
    steps: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PainEntryRow(Base):
    __tablename__ = "pain_entries"
    __table_args__ = (Index("ix_pain_entries_athlete_day", "athlete_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    when: Mapped[str] = mapped_column(String(10))
    score: Mapped[int] = mapped_column(Integer)
    swelling: Mapped[bool] = mapped_column(Boolean, default=False)
    locking: Mapped[bool] = mapped_column(Boolean, default=False)
    giving_way: Mapped[bool] = mapped_column(Boolean, default=False)
    rest_or_night_pain: Mapped[bool] = mapped_column(Boolean, default=False)
    hot_red_or_fever: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    injury_swelling: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    calf_pain: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    numbness: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    no_red_flags: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SyncState(Base):
    """How far a source (e.g. Garmin) has been synced: moves only past activities that were stored."""

    __tablename__ = "sync_state"

    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    synced_up_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retry_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class JobRun(Base):
    """The daemon's record of each job: shown by `advisor daemon status`."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    """The job, and for any athlete but the default one, whose: `inbox`, `inbox:ana`."""
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_result: Mapped[str | None] = mapped_column(Text)
    """The last successful run's one-sentence outcome ("2 files imported")."""


class OutboxMail(Base):
    """A weekly summary written before sending and marked sent once the server accepted it."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("athlete_id", "week", name="uq_outbox_athlete_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    message: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When a sender claimed the row (status `sending`): the database, not a local lock, decides who sends."""
    claimed_by: Mapped[str | None] = mapped_column(Text)
    """host:pid of the claiming sender, for the runner reading `daemon status` after a crash."""


class ClinicianAssessment(Base):
    """A clinician's assessment the runner recorded: a clearance ends a red-flag pause and starts return_to_run."""

    __tablename__ = "clinician_assessments"
    __table_args__ = (Index("ix_clinician_assessments_athlete_day", "athlete_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    cleared: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RehabSessionRow(Base):
    """One session of the rehab routine: the strength part, the mobility part (stretches, rolling), or both."""

    __tablename__ = "rehab_sessions"
    __table_args__ = (Index("ix_rehab_sessions_athlete_day", "athlete_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    strength: Mapped[bool] = mapped_column(Boolean)
    mobility: Mapped[bool] = mapped_column(Boolean)
    band: Mapped[bool] = mapped_column(Boolean, default=False)
    pain: Mapped[int | None] = mapped_column(Integer)
    """Knee pain during the session, 0-10 (None when not given)."""
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StoredReport(Base):
    """Each athlete's report for their today, kept until their data, their settings, the engine or the day changes
    (advisor.store.stored_reports).

    `data_version` is counted up by database triggers on every write of a row the report reads (activities, pain,
    stairs, assessments, rehab: advisor.store.report_triggers), in the writer's own transaction; the stored report
    is current only while `computed_version` equals it. No foreign key: the triggers also fire while an athlete's
    rows are deleted with them, and a new athlete's insert counts the version up, so a leftover row is never
    current.
    """

    __tablename__ = "stored_reports"

    athlete_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    computed_version: Mapped[int | None] = mapped_column(Integer)
    day: Mapped[date | None] = mapped_column(Date)
    """The athlete's local date the report is for."""
    engine: Mapped[str | None] = mapped_column(String(64))
    """A fingerprint of the advice engine's code: a new release recomputes every report."""
    settings_key: Mapped[str | None] = mapped_column(String(64))
    """A fingerprint of the profile and thresholds the report was made with."""
    report: Mapped[str | None] = mapped_column(Text)
    """The `KneeReport`, as JSON."""
    line: Mapped[str | None] = mapped_column(Text)
    """What a coach's list shows beside the report (this week's distance, the last pain score), as JSON."""
    chart: Mapped[str | None] = mapped_column(Text)
    """The 12-week chart's points for the same day and data, as JSON (None until a page or a mail asks for it)."""
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WeekEndRow(Base):
    """What the engine said at the end of one day, as much as a chart needs, under a digest of all it read
    (advisor.store.week_ends). No foreign key, like `stored_reports`: a row whose inputs are gone can never match."""

    __tablename__ = "week_ends"
    __table_args__ = (UniqueConstraint("athlete_id", "day", name="uq_week_ends_athlete_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    digest: Mapped[str] = mapped_column(String(64))
    facts: Mapped[str] = mapped_column(Text)


class Notification(Base):
    """One event the runner is (or was) told about on their phone (advisor.services.notify): a run to log, a
    morning prompt, a red flag, a change of phase. The row is the claim: whoever inserts `(athlete_id, event_key)`
    first sends it, so several daemons on one database send each event once (advisor.store.notifications)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("athlete_id", "event_key", name="uq_notifications_athlete_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(String(100))
    """`run:<activity id>`, `morning:<local date>`, `red_flag:<pain id>`, `phase:<local date>:<from>-<to>`."""
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    """The very line every attempt sends (empty for a phase only noted, never sent)."""
    state: Mapped[str] = mapped_column(String(10))
    """claimed (being sent), sent, failed (retried at `next_try`), given_up, or noted (remembered, not sent)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_try: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(Text)
    """host:pid of the sender holding it, for `notify status` after a crash."""
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CalendarToken(Base):
    """The secret in an athlete's calendar feed URL (`/calendar/TOKEN.ics`, advisor.services.calendar): a calendar
    app cannot log in, so the URL itself is the credential, one per athlete, replaced whole by `calendar reset`.

    Looked up by its SHA-256 (`token_sha256`, unique), so the index comparison the lookup makes leaks nothing about
    the token itself; the token is kept too, because `advisor calendar url` prints the same URL again."""

    __tablename__ = "calendar_tokens"
    __table_args__ = (UniqueConstraint("token_sha256", name="uq_calendar_tokens_sha256"),)

    athlete_id: Mapped[int] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    token: Mapped[str] = mapped_column(String(64))
    token_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
