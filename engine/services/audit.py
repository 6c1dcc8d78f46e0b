"""The tamper-evident audit: every `audit_events` row is chained to the one before it by a SHA-256
hash, so a row edited, deleted or slipped in behind the application's back shows on `govflow audit
verify` (and on the project page of an instance whose rows were touched).

    row_hash = sha256(prev_hash + canonical(row))       canonical: sorted-key JSON of
                                                        seq, event, instance, actor, element, data, at

`append` adds a row to the session without a place in the chain yet; just before the outermost
transaction commits (a SQLAlchemy `before_commit` hook), the rows the transaction added are given
their chain position `seq`, `prev_hash` and `row_hash` under a row lock on the one-row `audit_head`
table (SELECT … FOR UPDATE on PostgreSQL; on SQLite every transaction already holds the write lock).
So concurrent writers append one after the other — the chain is the commit order, linear — and the
head lock is the last lock a transaction takes, so it cannot deadlock with the instance row locks
taken earlier: the rows of a project the transaction did not lock (a comment, a notice) first take
that project's row lock, in id order, then the head (`lock_instances`). Each instance row keeps its
own count and last hash (`process_instances.audit_*`), so the rows of one project can be verified
without walking the whole chain.

The chain detects changes made without recomputing it; someone who can write the database and
knows the scheme can rewrite the chain from the row they changed onward. `govflow audit verify`
prints the head hash: recorded elsewhere (a ticket, a daily report) it anchors the chain."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import event as sa_event
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.cn_dates import cn_datetime
from engine.db import dialect_insert
from engine.jsonable import jsonable
from engine.models import AuditEvent, AuditHead, ProcessInstance, User

GENESIS = "0" * 64
_PENDING = "govflow_audit_pending"   # session.info key: rows added by this transaction, in order
_LOCKED = "govflow_locked_instances"  # session.info key: ids of the instance rows this transaction locked


def canonical(seq: int, event: str, instance_id, actor_id, element_id, data, at: datetime) -> str:
    """The row's content as hashed: JSON with sorted keys, `at` in UTC with microseconds."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    body = {"seq": seq, "event": event, "instance": instance_id, "actor": actor_id, "element": element_id,
            "data": data, "at": at.astimezone(timezone.utc).isoformat(timespec="microseconds")}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def row_digest(row: AuditEvent, seq: int | None = None, prev_hash: str | None = None) -> str:
    """The hash the row should carry (with its stored seq and prev_hash unless others are given)."""
    seq = row.seq if seq is None else seq
    prev_hash = row.prev_hash if prev_hash is None else prev_hash
    return link(prev_hash or "", canonical(seq, row.event, row.instance_id, row.actor_id, row.element_id,
                                           row.data, row.at))


def _normalized(data):
    """The data as it reads back from the JSON column (tuples → lists, keys → strings …)."""
    if not data:
        return None
    return json.loads(json.dumps(jsonable(data), ensure_ascii=False))


def append(session: Session, event: str, *, instance_id=None, actor_id=None, element_id=None,
           human_task_id=None, data=None, at: datetime) -> AuditEvent:
    """Add an audit row; it is chained when the transaction commits."""
    row = AuditEvent(event=event, instance_id=instance_id, actor_id=actor_id, element_id=element_id,
                     human_task_id=human_task_id, data=_normalized(data), at=at)
    session.add(row)
    session.info.setdefault(_PENDING, []).append(row)
    return row


def extend(row: AuditEvent, **data) -> None:
    """More data on a row this transaction appended, before the commit chains it (what a step went
    through is known only once the engine has run: engine/services/projection.py)."""
    row.data = _normalized({**(row.data or {}), **data})


def holds_lock(session: Session, instance_id: int) -> None:
    """The transaction holds the instance's row lock (and read the row after taking it): its audit
    count can be advanced on the object, in the step's own UPDATE of the row."""
    session.info.setdefault(_LOCKED, set()).add(instance_id)


def lock_instances(session: Session, instance_ids, *, skip_locked: bool = False) -> set[int]:
    """Lock the instance rows (in id order, SELECT … FOR UPDATE) and answer the ids locked: with
    `skip_locked`, those another transaction holds are left out (a scheduler's batch leaves them for its
    next tick). An instance's row is the first lock a step takes: a transaction that will write task
    rows or audit rows of an instance it did not step takes the instance's row first, or a step holding
    the instance and waiting for one of those rows (or for the audit head) would deadlock with it."""
    asked, held = set(instance_ids), session.info.setdefault(_LOCKED, set())
    wanted = sorted(asked - held)
    if wanted:
        held.update(session.scalars(select(ProcessInstance.id).where(ProcessInstance.id.in_(wanted))
                                    .order_by(ProcessInstance.id).with_for_update(skip_locked=skip_locked)))
    return held & asked


def actor_id_of(session: Session, username: str | None) -> int | None:
    """The id of a user named in a `deployed_by` / `loaded_by` column (None for "cli" and the like)."""
    if not username:
        return None
    return session.scalar(select(User.id).where(User.username == username))


def audit_refusal(ctx, user_id: int | None, what, now: datetime | None = None) -> None:
    """A `refused` row: a signed-in user was answered 403/404 on something not theirs. `what` is a
    dict (method, path, status, detail) or a short text. Called by the web error handlers."""
    if not user_id:
        return
    data = what if isinstance(what, dict) else {"what": str(what)}
    with ctx.db.transaction() as session:
        if session.scalar(select(User.id).where(User.id == user_id)) is None:   # the id alone, not the user
            return
        append(session, "refused", actor_id=user_id, data=data, at=now or clock.now())


# --- chaining at commit -------------------------------------------------------------------------------

def _lock_head(session: Session) -> AuditHead:
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is not None:
        return head
    # First row ever (or the head row was removed): start from the table's last chained row.
    insert_or_ignore(session, AuditHead.__table__, {"id": 1, "seq": 0, "last_hash": GENESIS})
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()
                           .execution_options(populate_existing=True)).one()
    last = session.execute(select(AuditEvent.seq, AuditEvent.row_hash).where(AuditEvent.seq.is_not(None))
                           .order_by(AuditEvent.seq.desc()).limit(1)).first()
    if last is not None and head.seq == 0:
        head.seq, head.last_hash = last.seq, last.row_hash
    return head


def insert_or_ignore(session: Session, table, values: dict) -> None:
    """INSERT … ON CONFLICT DO NOTHING (a row two transactions may both create first)."""
    session.execute(dialect_insert(session, table).values(**values).on_conflict_do_nothing())


def chain_pending(session: Session) -> int:
    """Give the rows this transaction added their place in the chain. Returns how many."""
    rows = [r for r in session.info.pop(_PENDING, []) if r in session and r.seq is None]
    if not rows:
        return 0
    with session.no_autoflush:
        # the instance rows before the head (see the module's docstring): a transaction that audits a
        # project it did not step (a comment, a notice) waits here for the step holding it to commit
        lock_instances(session, {r.instance_id for r in rows if r.instance_id is not None})
        head = _lock_head(session)
        heads: dict[int, list] = {}   # instance id → [count added, last seq, last hash]
        for row in rows:
            seq = head.seq + 1
            row.seq, row.prev_hash = seq, head.last_hash
            row.row_hash = row_digest(row)
            head.seq, head.last_hash = seq, row.row_hash
            if row.instance_id is not None:
                mine = heads.setdefault(row.instance_id, [0, 0, GENESIS])
                mine[0], mine[1], mine[2] = mine[0] + 1, seq, row.row_hash
        _advance_instances(session, heads)
    return len(rows)


def _advance_instances(session: Session, heads: dict[int, list]) -> None:
    """Each instance's count and last hash: on the instance object when the transaction holds it (its
    UPDATE carries them with the step's state), else by an UPDATE of their own."""
    for instance_id, (added, last_seq, last_hash) in heads.items():
        inst = session.identity_map.get(session.identity_key(ProcessInstance, instance_id)) \
            if instance_id in session.info.get(_LOCKED, ()) else None
        if inst is not None and "audit_count" in inst.__dict__:
            inst.audit_count, inst.audit_last_seq, inst.audit_last_hash = \
                inst.audit_count + added, last_seq, last_hash
        else:
            session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                            .values(audit_count=ProcessInstance.audit_count + added, audit_last_seq=last_seq,
                                    audit_last_hash=last_hash), execution_options={"synchronize_session": False})


@sa_event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_PENDING) and not session.in_nested_transaction():
        chain_pending(session)


@sa_event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_LOCKED, None)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_LOCKED, None)


# --- verification -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Break:
    """The first row where the chain does not hold."""

    id: int | None        # the row's id (None: the row is missing)
    seq: int | None
    event: str | None
    at: datetime | None
    reason: str           # Chinese

    def describe(self) -> str:
        when = cn_datetime(self.at, seconds=True) if self.at else "—"
        row = f"记录 id={self.id}" if self.id is not None else f"第 {self.seq} 条记录"
        return f"{row}，事件 {self.event or '—'}，时间 {when}：{self.reason}"


@dataclass(frozen=True)
class Verdict:
    intact: bool
    count: int
    head_hash: str
    broken: Break | None = None


def _check_row(row: AuditEvent, expected_seq: int, prev_hash: str) -> str | None:
    """Why the row breaks the chain at this position (None when it holds)."""
    if row.seq is None or row.row_hash is None:
        return "记录不在审计链中（可能是绕过系统插入的）"
    if row.seq != expected_seq:
        return f"其前的第 {expected_seq} 条记录缺失（可能已被删除）" if row.seq > expected_seq else "链序号重复"
    if row.prev_hash != prev_hash:
        return "与前一条记录的哈希链接不符（前一条记录被改动或删除）"
    if row.row_hash != row_digest(row):
        return "记录内容与其哈希不符（内容被改动）"
    return None


def _broken(row: AuditEvent, reason: str) -> Break:
    return Break(row.id, row.seq, row.event, row.at, reason)


def verify(session: Session) -> Verdict:
    """Walk the whole chain in order; the first row that breaks it, if any."""
    expected, prev_hash, count = 1, GENESIS, 0
    stmt = select(AuditEvent).order_by(AuditEvent.seq.is_(None), AuditEvent.seq, AuditEvent.id)
    result = session.execute(stmt.execution_options(yield_per=1000))   # streamed (a server-side cursor)
    try:
        for row in result.scalars():
            reason = _check_row(row, expected, prev_hash)
            if reason:
                return Verdict(False, count, prev_hash, _broken(row, reason))
            expected, prev_hash, count = expected + 1, row.row_hash, count + 1
    finally:
        result.close()
    head = session.get(AuditHead, 1)
    if head is None:
        if count:
            return Verdict(False, count, prev_hash, Break(None, None, None, None, "审计链头记录缺失"))
        return Verdict(True, 0, GENESIS)
    if head.seq != count or head.last_hash != prev_hash:
        reason = f"链尾记录缺失（链头为第 {head.seq} 条，现存 {count} 条）" if head.seq > count else \
            "链头与最后一条记录不符"
        return Verdict(False, count, prev_hash, Break(None, count + 1, None, None, reason))
    return Verdict(True, count, prev_hash)


def verify_instance(session: Session, instance_id: int) -> Break | None:
    """The instance's rows against the chain: each row's own hash, its links with the rows before and
    after it in the chain, and the instance's count and last hash (so a removed row shows too)."""
    rows = list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.seq.is_(None), AuditEvent.seq, AuditEvent.id)))
    head = session.execute(select(ProcessInstance.audit_count, ProcessInstance.audit_last_hash)
                           .where(ProcessInstance.id == instance_id)).first()
    neighbours = _neighbours(session, {s for r in rows if r.seq is not None for s in (r.seq - 1, r.seq + 1)})
    chain_seq = session.scalar(select(AuditHead.seq).where(AuditHead.id == 1)) or 0
    for row in rows:
        reason = _check_instance_row(row, neighbours, chain_seq)
        if reason:
            return _broken(row, reason)
    count, last_hash = (head.audit_count, head.audit_last_hash) if head else (0, GENESIS)
    if len(rows) != count or (rows and rows[-1].row_hash != last_hash):
        missing = count - len(rows)
        reason = f"本项目有 {missing} 条办理记录缺失（可能已被删除）" if missing > 0 else \
            "本项目的记录数与审计链不符"
        return Break(None, None, None, None, reason)
    return None


def _neighbours(session: Session, seqs: set[int]) -> dict[int, tuple[str | None, str | None]]:
    """{seq: (row_hash, prev_hash)} of the chain rows at those positions, read in a few queries."""
    wanted, found = sorted(s for s in seqs if s > 0), {0: (GENESIS, None)}
    for i in range(0, len(wanted), 500):
        found.update({seq: (row_hash, prev_hash) for seq, row_hash, prev_hash in session.execute(
            select(AuditEvent.seq, AuditEvent.row_hash, AuditEvent.prev_hash)
            .where(AuditEvent.seq.in_(wanted[i:i + 500])))})
    return found


def _check_instance_row(row: AuditEvent, neighbours: dict, chain_seq: int) -> str | None:
    if row.seq is None or row.row_hash is None:
        return "记录不在审计链中（可能是绕过系统插入的）"
    if row.row_hash != row_digest(row):
        return "记录内容与其哈希不符（内容被改动）"
    before = neighbours.get(row.seq - 1)
    if before is None or before[0] != row.prev_hash:
        return "与前一条记录的哈希链接不符（前一条记录被改动或删除）"
    after = neighbours.get(row.seq + 1)
    if after is not None and after[1] != row.row_hash:
        return "与后一条记录的哈希链接不符"
    if after is None and chain_seq > row.seq:
        return "其后的记录缺失（可能已被删除）"
    return None
