"""The database schema (SQLAlchemy 2). Alembic migrations under engine/migrations mirror it."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from engine import clock

BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Stored in UTC, always read back timezone-aware (SQLite would otherwise drop the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: govflow stores timezone-aware instants only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict: JSON, list: JSON}


class Unit(Base):
    """A bureau or applicant unit (区数管局, 某某局 …) in a jurisdiction."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("jurisdiction", "name", name="uq_units_jurisdiction_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    display_name: Mapped[str] = mapped_column(String(120))
    jurisdiction: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    unit: Mapped[Unit] = relationship(lazy="joined")
    roles: Mapped[list["UserRole"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def role_keys(self) -> set[str]:
        return {r.role_key for r in self.roles}


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role_key: Mapped[str] = mapped_column(String(40), primary_key=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]


class UserSession(Base):
    """A signed-in browser: the signed cookie carries the secret, the row says it is still valid
    (logout deletes it, a password change deletes all of the user's)."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    address: Mapped[str | None] = mapped_column(String(64))


class LoginThrottle(Base):
    """Failed sign-ins counted per account name as typed (`kind` "user") and per client address
    ("addr"); too many in the window lock the key for a growing interval."""

    __tablename__ = "login_throttles"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    lock_level: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None]


class ProcessVersion(Base):
    """One deployed version of a process: its files as deployed, never changed afterwards."""

    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("process_key", "version", name="uq_process_versions_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(80), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    files: Mapped[dict] = mapped_column(JSON, deferred=True)
    checksum: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(default=clock.now)
    deployed_by: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)        # the designer's change note
    # {form name: schema JSON text} deployed with it; files and forms are deferred (loaded on access),
    # so the instance rows that join their version carry neither
    forms: Mapped[dict | None] = mapped_column(JSON, deferred=True)


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    __table_args__ = (Index("ix_instances_status_jurisdiction", "status", "jurisdiction"),
                      Index("ix_instances_waiting", "jurisdiction", "status", "earliest_due_at"),
                      # the portfolio (engine/services/portfolio.py): counts by procedure, phase and status;
                      # the search's amount range and newest-first pages
                      Index("ix_instances_portfolio", "jurisdiction", "process_key", "status", "phase"),
                      Index("ix_instances_investment", "jurisdiction", "investment"),
                      Index("ix_instances_created", "jurisdiction", "created_at"),
                      # the search's other sorts (0013), and the covering index its capped counts read on
                      # PostgreSQL (the filtered columns INCLUDEd: an index-only scan). On PostgreSQL with
                      # pg_trgm, 0013 also makes ix_instances_name_trgm (GIN, project_name gin_trgm_ops),
                      # which is not declared here: it exists only where the extension could be created.
                      Index("ix_instances_due", "jurisdiction", "earliest_due_at"),
                      Index("ix_instances_name", "jurisdiction", "project_name"),
                      Index("ix_instances_ended", "jurisdiction", "ended_at"),
                      Index("ix_instances_search", "jurisdiction", "status", "created_at",
                            postgresql_include=["process_key", "phase", "outcome", "applicant_unit_id", "investment",
                                                "earliest_due_at"]))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    process_key: Mapped[str] = mapped_column(String(80))
    jurisdiction: Mapped[str] = mapped_column(String(32))
    project_name: Mapped[str] = mapped_column(String(300))
    applicant_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    parent_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    status: Mapped[str] = mapped_column(String(16), default="running")
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    facts: Mapped[dict] = mapped_column(JSON)
    # the serialized workflow (tens of KB): deferred, so lists and overviews never carry it; the
    # services that step an instance read it with the row lock (runtime, projection.lock_instance, timers)
    state: Mapped[str] = mapped_column(Text, deferred=True)
    serializer_version: Mapped[str] = mapped_column(String(16))
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    # where it waits, kept by every step in its own transaction (engine/services/projection.py), so
    # overviews read it instead of aggregating every open task: ready tasks and the earliest due date
    open_tasks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    earliest_due_at: Mapped[datetime | None]
    # the phase (a collapsed sub-process of the main diagram: 项目申报, 立项审批 …) of its first ready task
    # and since when it is there, kept by the same steps in the same UPDATE of this row; the phase it
    # ended in stays after the end. `investment`: the facts' total_investment (万元), a number to search on
    phase: Mapped[str | None] = mapped_column(String(120))
    phase_title: Mapped[str | None] = mapped_column(String(200))
    phase_since: Mapped[datetime | None]
    investment: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # the instance's share of the audit chain (engine/services/audit.py): its row count and last row
    audit_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    audit_last_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    audit_last_hash: Mapped[str] = mapped_column(String(64), default="0" * 64, server_default="0" * 64)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    ended_at: Mapped[datetime | None]
    # An order of a side process (叶集 第二十六条 暂停建设 …) or a manager holds the project: its open
    # tasks are `suspended` and its timers `paused` until it is resumed (engine/services/orders.py).
    suspended_at: Mapped[datetime | None]
    suspended_by_instance_id: Mapped[int | None] = mapped_column(BigId)
    suspended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    suspension_order: Mapped[str | None] = mapped_column(String(200))
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    # Orders that hold named steps only (宿迁 第三十六条 暂缓拨付): [{steps, order, reason, since,
    # by_instance_id, by_id}]; the project runs on, the tasks of those steps are `suspended` meanwhile
    # (engine/services/orders.py). Read with the row, so a completion needs no statement more.
    holds: Mapped[list | None] = mapped_column(JSON)
    # what the project publishes about itself as a system for the unit's later projects: the values of
    # the workflow data its process declares in `standing` (宿迁: accepted, funds_withheld …), kept by
    # every step in the same UPDATE of this row (engine/services/projection.py, services/systems.py)
    standing: Mapped[dict | None] = mapped_column(JSON)

    version: Mapped[ProcessVersion] = relationship(lazy="joined")
    applicant_unit: Mapped[Unit] = relationship(lazy="joined")

    def set_waiting(self, ready: list) -> None:
        """The summary of where the instance waits: its ready task rows and their earliest due date,
        and the phase of the first of them (None: a step of the top level; kept while it waits on a timer
        or has ended)."""
        dues = [row.due_at for row in ready if row.due_at is not None]
        self.open_tasks, self.earliest_due_at = len(ready), min(dues) if dues else None
        first = min(ready, key=lambda row: (row.created_at, row.id or 0), default=None)
        if first is not None and (first.phase != self.phase or self.phase_since is None):
            self.phase, self.phase_title, self.phase_since = first.phase, first.phase_title, first.created_at


class HumanTask(Base):
    """The inbox projection: one row per user task that became ready (never rebuilt from states)."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_inbox", "state", "jurisdiction", "role_key", "due_at"),
        Index("ix_human_tasks_applicant", "state", "applicant_unit_id", "role_key"),
        Index("ix_human_tasks_completed_by", "completed_by_id", "completed_at"),
        # a jurisdiction's rows by state (the snapshot's queries, engine/portfolio_queries.py)
        Index("ix_human_tasks_due", "jurisdiction", "state", "due_at"),
        # the dashboard's live overdue and 预警 lists and their counts (ready rows only: 0013)
        Index("ix_human_tasks_ready_due", "jurisdiction", "due_at", "warn_at",
              postgresql_where=text("state = 'ready'"), sqlite_where=text("state = 'ready'")),
        # the search's "waiting at a bureau", read from the index alone
        Index("ix_human_tasks_ready_role", "jurisdiction", "role_key", "instance_id",
              postgresql_where=text("state = 'ready'"), sqlite_where=text("state = 'ready'")),
        Index("ix_human_tasks_done", "completed_by_id", "completed_at",   # the 已办 tab's count
              postgresql_where=text("state = 'completed'"), sqlite_where=text("state = 'completed'")),
        # the scheduler's outbox of 新任务 notices and its 预警 scan (engine/services/notices.py)
        Index("ix_human_tasks_unannounced", "id", postgresql_where=text("announced_at IS NULL"),
              sqlite_where=text("announced_at IS NULL")),
        Index("ix_human_tasks_warn", "warn_at", postgresql_where=text("warned_at IS NULL AND warn_at IS NOT NULL"),
              sqlite_where=text("warned_at IS NULL AND warn_at IS NOT NULL")),
        Index("ix_human_tasks_assignee", "assignee_id", "state"),      # 我已签收
        Index("ix_human_tasks_delegate", "delegate_id", "delegation"),  # 委托我的
        # the diagram's counts and the list behind one (an element's ready rows in due-date order)
        Index("ix_human_tasks_ready_element", "process_key", "element_id", "due_at", "instance_id",
              postgresql_where=text("state = 'ready'"), sqlite_where=text("state = 'ready'")),
        Index("ix_human_tasks_scope_unit", "scope_unit_id", "state",            # a role of another unit's
              postgresql_where=text("scope_unit_id IS NOT NULL"), sqlite_where=text("scope_unit_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"),
                                             index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    role_key: Mapped[str] = mapped_column(String(40))
    lane: Mapped[str | None] = mapped_column(String(120))
    jurisdiction: Mapped[str] = mapped_column(String(32))
    process_key: Mapped[str] = mapped_column(String(80))
    project_name: Mapped[str] = mapped_column(String(300))
    applicant_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # the unit a unit-scoped role with `unit_from` is resolved in, named by a fact of the project (九江: the
    # county it is declared for), when it is not the applicant's; NULL: the applicant's unit (role_unit_id)
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    form: Mapped[str | None] = mapped_column(String(200))
    legal_basis: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default="ready")   # ready, completed, cancelled, suspended
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    due_at: Mapped[datetime | None]
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    phase: Mapped[str | None] = mapped_column(String(120))        # the phase (sub-process) it belongs to
    phase_title: Mapped[str | None] = mapped_column(String(200))
    overdue_notified_at: Mapped[datetime | None]
    # notices (engine/services/notices.py): the 新任务 notice written (NULL: the scheduler's to do),
    # when the configured share of the clock's working time is used (预警: set with the due date,
    # engine.services.notices.warning_at; the dashboard lists them, engine/services/portfolio.py),
    # and the 预警 notice written
    announced_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None]
    data: Mapped[dict | None] = mapped_column(JSON)
    # 签收 / 委托 / 暂存 (engine/services/claims.py): the holder who claimed it, the colleague it was
    # last delegated to and where that delegation stands (`out`: with the delegate, `back`: submitted
    # back for the holder's 确认, None: none open), the saved draft of the form
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None]
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delegation: Mapped[str | None] = mapped_column(String(8))
    draft: Mapped[dict | None] = mapped_column(JSON)
    draft_saved_at: Mapped[datetime | None]
    # since when a `suspended` task's clock stands still, when it is not the project's suspended_at (a
    # step held by an order, engine/services/orders.py): its due date moves later by that much when released
    held_since: Mapped[datetime | None]

    completed_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[completed_by_id])
    # loaded only where shown (queries.with_holders): a completion reads the ids alone
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    delegate: Mapped[User | None] = relationship(foreign_keys=[delegate_id])

    @property
    def role_unit_id(self) -> int:
        """The unit a unit-scoped role of this task is held in (engine.policy.holds)."""
        return self.scope_unit_id if self.scope_unit_id is not None else self.applicant_unit_id

    def set_due(self, due_at: datetime | None, provisional: bool, warn_at: datetime | None) -> None:
        """The due date and with it the 预警 instant (engine.services.notices.warning_at)."""
        self.due_at, self.due_provisional, self.warn_at = due_at, provisional, warn_at


class Comment(Base):
    """A comment on a project or on one of its tasks (who, when, text, an optional attachment)."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"),
                                             index=True)
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id", ondelete="SET NULL"),
                                                      index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    author: Mapped[User] = relationship(lazy="joined")
    attachment: Mapped[Attachment | None] = relationship(lazy="joined")


class PortfolioSummary(Base):
    """The slow part of a jurisdiction's dashboard (durations per phase and end to end, months),
    computed by the scheduler from the task rows and read by the dashboard (engine/services/portfolio.py)."""

    __tablename__ = "portfolio_summaries"

    jurisdiction: Mapped[str] = mapped_column(String(32), primary_key=True)
    computed_at: Mapped[datetime]
    data: Mapped[dict] = mapped_column(JSON)


class Timer(Base):
    """A timer the engine waits on, as a row the scheduler claims atomically."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "state", "run_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"),
                                             index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    run_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="pending")   # pending, done, failed, paused
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None]
    fired_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Append-only: who did what, when, with what data; chained by hashes (engine/services/audit.py)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_seq", "seq", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"),
                                                    index=True)
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    event: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(default=clock.now)
    data: Mapped[dict | None] = mapped_column(JSON)
    # the hash chain (engine/services/audit.py): position, the previous row's hash, this row's hash
    seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship(lazy="joined")


class AuditHead(Base):
    """The one row naming the chain's last position and hash; appends lock it (engine/services/audit.py)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class Attachment(Base):
    """An uploaded file (建设方案, 可研报告, 验收报告 …), stored outside the web root by checksum."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"),
                                             index=True)
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id", ondelete="SET NULL"))
    field: Mapped[str | None] = mapped_column(String(120))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    uploaded_by: Mapped[User] = relationship(lazy="joined")


class Document(Base):
    """An official document a step issued (受理通知书, 补正通知, 批复 …; engine/services/documents.py). The
    step adds the row (number and snapshot still empty); the issuance right after its commit gives it
    the next number of its jurisdiction and year and freezes what it says (`snapshot`); the PDF is made
    from the snapshot when first asked for and kept (`pdf`)."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("jurisdiction", "series", "year", "sequence", name="uq_documents_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"),
                                             index=True)
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id", ondelete="SET NULL"))
    jurisdiction: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(120))  # the task completed or the timer fired
    rule: Mapped[int] = mapped_column(Integer)          # the index of its rule in documents.json
    issued_at: Mapped[datetime]
    series: Mapped[str] = mapped_column(String(40))     # the number's prefix (叶数管): one sequence per series
    year: Mapped[int] = mapped_column(Integer)          # the year of the number (Asia/Shanghai)
    sequence: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(100))
    snapshot: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))


class DocumentCounter(Base):
    """The last number given in a series (叶数管) of a jurisdiction's year (one upsert takes the next: race-free)."""

    __tablename__ = "document_counters"

    jurisdiction: Mapped[str] = mapped_column(String(32), primary_key=True)
    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class Notification(Base):
    """An in-app notice (a task became overdue, …); e-mailed too when SMTP is configured."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    # the channels the user's notice settings chose (engine/services/notices.py): the list, the e-mail
    in_app: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    email: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class NoticeCursor(Base):
    """How far the scheduler has turned audit rows (returns, outcomes) into notices: the last `seq`."""

    __tablename__ = "notice_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class NoticePreference(Base):
    """A user's choice for one kind of notice: in the list and/or by e-mail (absent: both)."""

    __tablename__ = "notice_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    in_app: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


class CalendarYear(Base):
    """One year's official holiday arrangement (国务院办公厅通知), national ('') or local."""

    __tablename__ = "calendar_years"
    __table_args__ = (UniqueConstraint("jurisdiction", "year", name="uq_calendar_years_jurisdiction_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(32), default="")
    year: Mapped[int] = mapped_column(Integer)
    holidays: Mapped[list] = mapped_column(JSON)
    workdays: Mapped[list] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(300))
    loaded_at: Mapped[datetime] = mapped_column(default=clock.now)
    loaded_by: Mapped[str | None] = mapped_column(String(80))


class Schedule(Base):
    """A recurring start of a side process (淮安 增资, 九江 运维经费, 宿迁 年度自评价), claimed like a timer."""

    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_due", "active", "next_run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(32))
    process_key: Mapped[str] = mapped_column(String(80))
    rule: Mapped[str] = mapped_column(String(80))
    config: Mapped[dict | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None]


class Incident(Base):
    """A step that failed (a script, a condition, a timer expression, a dueAt, a DMN cell, the engine)
    and waits for a person: the instance stays at `element_id` (its SpiffWorkflow task `task_guid`,
    failed in `phase`) until a retry gets past it. Failed timers are incidents of their own (Timer
    rows in state `failed`); engine/services/incidents.py lists both."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_state_instance", "state", "instance_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(32))
    element_id: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    task_guid: Mapped[str | None] = mapped_column(String(36))
    phase: Mapped[str] = mapped_column(String(16))   # run, prescript, postscript, update, engine, due_at, subject
    error: Mapped[str] = mapped_column(Text)         # Chinese, names the element
    state: Mapped[str] = mapped_column(String(16), default="open")   # open, retrying, resolved
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    failed_at: Mapped[datetime] = mapped_column(default=clock.now)  # the latest failure
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
