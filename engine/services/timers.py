"""Timers and deadlines as rows, fired exactly once.

A scheduler (`tick`) claims a batch of instances in one query: it locks the instance rows of the
earliest due timers with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite serializes writers
with BEGIN IMMEDIATE), and for each one loads the workflow, fires what is due, and saves the new
state, the timer rows and the `timer_fired` audit rows in that same transaction (up to BATCH
instances, each in a savepoint, then one commit). Two schedulers therefore never fire a timer twice (the second one
skips the locked instance and, once it is committed, no longer finds the timer due), and a scheduler
killed mid-fire loses nothing (its transaction is rolled back, the timers stay pending). Every path
that touches timer rows locks the instance first, so schedulers and users never deadlock. A timer
that raises is retried with back-off; after MAX_ATTEMPTS it becomes an incident (state `failed`,
`last_error`) shown to the managers until someone retries it."""
from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, lazyload, undefer

from engine import clock
from engine import workflow as wfx
from engine.clocks import local_iso
from engine.cn_dates import cn_datetime
from engine.errors import Conflict, GovflowError, NotFound
from engine.models import HumanTask, ProcessInstance, Timer
from engine.services import attachments, calendar_admin, documents, notices, notifications, schedules
from engine.services.audit import holds_lock, lock_instances
from engine.services.context import Context
from engine.services.fired import Fired
from engine.services.projection import audit, persist

log = logging.getLogger("govflow.timers")
MAX_ATTEMPTS = 5
BATCH = 20          # instances advanced per transaction
STATE_LABELS = {"pending": "等待触发", "fired": "已触发", "done": "已结束", "failed": "失败（待处理）"}


class TimerNotFired(GovflowError):
    status, code, title = 409, "timer_not_fired", "定时器未能触发"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int) -> timedelta:
    """2, 4, 8, 16 … minutes after the 1st, 2nd, 3rd, 4th failed attempt."""
    return timedelta(minutes=2 ** max(attempts, 1))


# FOR UPDATE cannot lock the outer side of the instance's eager joins (and needs no version files).
_WITHOUT_JOINS = (lazyload(ProcessInstance.version), lazyload(ProcessInstance.applicant_unit),
                  undefer(ProcessInstance.state))


def _is_due(now: datetime):
    # Strictly before `now`, as SpiffWorkflow compares deadlines.
    return (Timer.state == "pending", Timer.run_at < now)


def _claim_instances(session: Session, now: datetime, limit: int, *, wait: bool) -> list[ProcessInstance]:
    """Lock and load the instances of the earliest due timers, up to `limit` of them in one query;
    skip instances another transaction holds unless `wait` (then only the first, waiting for it).
    (Ordered by `run_at` alone, so the `ix_timers_due` index serves it.)"""
    rows = session.scalars(
        select(ProcessInstance).join(Timer, Timer.instance_id == ProcessInstance.id)
        .where(*_is_due(now)).order_by(Timer.run_at).limit(1 if wait else limit)
        .with_for_update(of=ProcessInstance, skip_locked=not wait).options(*_WITHOUT_JOINS)
        .execution_options(populate_existing=True))
    instances = list(dict.fromkeys(rows))   # an instance with two due timers comes once
    for inst in instances:
        holds_lock(session, inst.id)
    return instances


def _any_due(session: Session, now: datetime) -> bool:
    return session.scalar(select(Timer.id).where(*_is_due(now)).limit(1)) is not None


def fire_due(ctx: Context, now: datetime, worker: str | None = None, batch: int = BATCH) -> list[Fired]:
    """Fire every timer due as of `now`: up to `batch` instances per transaction (one commit, one
    WAL flush), each instance in its own savepoint."""
    worker = worker or worker_name()
    fired: list[Fired] = []
    wait = finished = False
    while not finished:
        with ctx.db.transaction() as session, clock.frozen_at(now):
            # One query claims the batch (two schedulers take disjoint batches: SKIP LOCKED); an
            # instance whose timers another step moved meanwhile simply has none due any more.
            instances = _claim_instances(session, now, batch, wait=wait)
            for inst in instances:
                fired.extend(_fire_instance(ctx, session, inst, now, worker))
            claimed = len(instances)
            if claimed == 0:
                # Everything left is held by someone else (another scheduler, a user completing a
                # task, a scheduler that died and whose connection is being closed): wait for one.
                finished = wait or not _any_due(session, now)
                wait = not finished
            else:
                wait = False
    return fired


def _fire_instance(ctx: Context, session: Session, inst: ProcessInstance, now: datetime,
                   worker: str) -> list[Fired]:
    """Fire the instance's due timers (the instance row is locked by the caller's transaction)."""
    rows = list(session.scalars(select(Timer).where(Timer.instance_id == inst.id, *_is_due(now))
                                .order_by(Timer.run_at, Timer.id).with_for_update()))
    if not rows:
        return []
    try:
        with session.begin_nested():
            return _advance(ctx, session, inst, rows, now, worker)
    except Exception as exc:  # noqa: BLE001 - whatever a diagram or the engine raises becomes a retry
        return _record_failure(session, rows, now, worker, exc)


def _advance(ctx: Context, session: Session, inst: ProcessInstance, rows: list[Timer], now: datetime,
             worker: str) -> list[Fired]:
    version = ctx.loaded_version(session, inst.process_version_id)
    workflow = wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction))
    before = {t["task_guid"]: t["fires_at"] for t in wfx.pending_timers(workflow)}
    due = []
    for row in rows:
        deadline = before.get(row.task_guid)
        if deadline is None:            # the workflow no longer waits on it (its activity ended)
            row.state, row.fired_at = "done", now
        elif deadline >= now:           # the row was early: its deadline was computed again
            row.run_at = deadline
        else:
            due.append(row)
    if not due:
        return []
    wfx.fire_timers(workflow)
    after = {t["task_guid"]: t["fires_at"] for t in wfx.pending_timers(workflow)}
    result, fired = [], None
    for row in due:
        outcome = _outcome(workflow, row.task_guid, before[row.task_guid], after)
        if outcome is None:
            raise TimerNotFired(f"定时器“{row.title}”已到期（{cn_datetime(before[row.task_guid])}）但流程未触发它")
        row.state, row.fired_at, row.last_error = outcome, now, None
        row.attempts, row.claimed_by, row.claimed_at = row.attempts + 1, worker, now
        if outcome == "fired":
            fired = audit(session, "timer_fired", instance_id=inst.id, element_id=row.element_id,
                          data={"timer_id": row.id, "title": row.title, "run_at": row.run_at, "worker": worker},
                          at=now)
            result.append(Fired("timer", inst.id, row.element_id, row.title))
    synced = persist(ctx, session, inst, version, workflow, now, step=fired)
    # documents a firing issues (叶集 第七条 受理), numbered at the end of the tick
    documents.issue_on_timers(ctx, session, inst, [f.element_id for f in result], synced.created, now)
    return result


def _outcome(workflow, guid: str, deadline: datetime, after: dict) -> str | None:
    """'fired', 'done' (cancelled by another timer that fired with it) or None (did not fire)."""
    if guid in after:
        return "fired" if after[guid] != deadline else None    # a cycle moves on to its next deadline
    task = wfx.find_task(workflow, guid)
    if task is not None and task.state & wfx.TaskState.CANCELLED:
        return "done"
    return "fired"


def _record_failure(session: Session, rows: list[Timer], now: datetime, worker: str,
                    exc: Exception) -> list[Fired]:
    """In the claiming transaction, after the savepoint of the attempt was rolled back."""
    message = (getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}")[:2000]
    log.warning("定时器触发失败（项目 %s）：%s", rows[0].instance_id, message)
    result = []
    for row in rows:
        row.attempts, row.claimed_by, row.claimed_at, row.last_error = row.attempts + 1, worker, now, message
        if row.attempts >= MAX_ATTEMPTS:
            row.state = "failed"
            inst = session.get(ProcessInstance, row.instance_id)
            notifications.notify_incident(session, inst.jurisdiction, instance_id=row.instance_id,
                                          title=row.title, error=message, attempts=row.attempts, now=now)
        else:
            row.run_at = now + backoff(row.attempts)
        audit(session, "timer_failed", instance_id=row.instance_id, element_id=row.element_id,
              data={"timer_id": row.id, "error": message, "attempts": row.attempts, "state": row.state}, at=now)
        result.append(Fired("failed", row.instance_id, row.element_id, row.title, message))
    return result


def flag_overdue(ctx: Context, now: datetime) -> list[Fired]:
    """Mark each newly overdue task once, record it and tell its role's users and the managers."""
    flagged = []
    with ctx.db.transaction() as session:
        overdue = (HumanTask.state == "ready", HumanTask.due_at < now, HumanTask.overdue_notified_at.is_(None))
        candidates = session.execute(select(HumanTask.id, HumanTask.instance_id).where(*overdue)).all()
        # the instance rows first, as a step takes them (a completion holding its instance and waiting
        # for a task row this transaction flagged would deadlock with it): a project a step holds
        # now is flagged on the next tick; another scheduler's flags are read after the lock
        free = lock_instances(session, {c.instance_id for c in candidates}, skip_locked=True)
        ids = [c.id for c in candidates if c.instance_id in free]
        rows = list(session.scalars(select(HumanTask).where(HumanTask.id.in_(ids), *overdue)
                                    .order_by(HumanTask.due_at, HumanTask.id)
                                    .execution_options(populate_existing=True))) if ids else []
        for row in rows:
            row.overdue_notified_at = now
            audit(session, "task_overdue", instance_id=row.instance_id, element_id=row.element_id,
                  human_task_id=row.id, data={"title": row.title, "role": row.role_key,
                                              "due_at": row.due_at, "provisional": row.due_provisional}, at=now)
            notifications.notify_overdue(session, row, now,
                                         row.role_key in ctx.registry.get(row.jurisdiction).unit_roles)
            flagged.append(Fired("overdue", row.instance_id, row.element_id, row.title,
                                 local_iso(row.due_at)))
    return flagged


def tick(ctx: Context, now: datetime | None = None) -> list[Fired]:
    """Fire everything due as of `now`: timers, yearly cycles, then deadlines; return what happened."""
    now = now or clock.now()
    worker = worker_name()
    calendar_admin.refresh(ctx)
    fired = fire_due(ctx, now, worker)
    fired.extend(schedules.run_due(ctx, now, worker))
    fired.extend(flag_overdue(ctx, now))
    notices.dispatch(ctx, now)   # the steps committed since the last tick: their notices, once
    notifications.deliver_emails(ctx, now)
    attachments.clean_orphans(ctx, now)
    documents.number_pending(ctx, None, now)    # any a crash left unnumbered after its step
    return fired


# --- incidents ------------------------------------------------------------------------------------

def timer_dict(row: Timer, inst: ProcessInstance) -> dict:
    return {"id": row.id, "instance_id": row.instance_id, "project_name": inst.project_name,
            "process": inst.process_key, "jurisdiction": inst.jurisdiction, "element": row.element_id,
            "title": row.title, "state": row.state, "state_label": STATE_LABELS.get(row.state, row.state),
            "run_at": local_iso(row.run_at), "attempts": row.attempts, "last_error": row.last_error,
            "claimed_by": row.claimed_by, "claimed_at": local_iso(row.claimed_at), "fired_at": local_iso(row.fired_at)}


def incidents(ctx: Context, jurisdiction: str | None = None, *, include_retrying: bool = False) -> list[dict]:
    """Timers that failed for good (and, with include_retrying, those waiting for a retry)."""
    with ctx.db.transaction() as session:
        stmt = select(Timer, ProcessInstance).join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        if include_retrying:
            stmt = stmt.where((Timer.state == "failed") | ((Timer.state == "pending") & Timer.last_error.is_not(None)))
        else:
            stmt = stmt.where(Timer.state == "failed")
        if jurisdiction:
            stmt = stmt.where(ProcessInstance.jurisdiction == jurisdiction)
        return [timer_dict(t, i) for t, i in session.execute(stmt.order_by(Timer.run_at, Timer.id))]


def retry(ctx: Context, timer_id: int, now: datetime | None = None, jurisdiction: str | None = None,
          actor_id: int | None = None) -> list[Fired]:
    """Put a failed timer back (attempts from zero) and fire it at once; what happened is returned
    (a new failure too)."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        row = session.get(Timer, timer_id)
        inst = session.get(ProcessInstance, row.instance_id) if row else None
        if row is None or (jurisdiction and inst.jurisdiction != jurisdiction):
            raise NotFound(f"定时器不存在：{timer_id}")
        if row.state != "failed":
            raise Conflict(f"定时器“{row.title}”当前状态为{STATE_LABELS.get(row.state, row.state)}，无需重试")
        instance_id = row.instance_id
    with ctx.db.transaction() as session, clock.frozen_at(now):
        inst = session.scalar(select(ProcessInstance).where(ProcessInstance.id == instance_id)
                              .with_for_update().options(*_WITHOUT_JOINS).execution_options(populate_existing=True))
        reset = session.execute(update(Timer).where(Timer.id == timer_id, Timer.state == "failed").values(
            state="pending", attempts=0, run_at=now - timedelta(seconds=1)))
        if reset.rowcount != 1:
            raise Conflict("该定时器已由他人处理")
        audit(session, "timer_retried", instance_id=instance_id, actor_id=actor_id,
              data={"timer_id": timer_id}, at=now)
        return _fire_instance(ctx, session, inst, now, worker_name())
