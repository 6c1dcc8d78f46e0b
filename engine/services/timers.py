"""Timers and deadlines as rows. `fire_due` claims each due timer with one conditional UPDATE, so
two schedulers never fire a timer twice; a crash before commit leaves it pending, so none is lost.
A timer that raises is retried with back-off and, after MAX_ATTEMPTS, shown as an incident."""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from engine import clock
from engine import workflow as wfx
from engine.errors import GovflowError
from engine.models import HumanTask, Timer
from engine.services.context import Context
from engine.services.projection import audit, persist
from engine.services.runtime import _lock_instance

MAX_ATTEMPTS = 5


@dataclass
class Fired:
    kind: str          # "timer" | "overdue" | "failed"
    instance_id: int
    element_id: str
    title: str
    detail: str = ""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _due_ids(ctx: Context, now: datetime, limit: int) -> list[int]:
    with ctx.db.transaction() as session:
        return list(session.scalars(select(Timer.id).where(Timer.state == "pending", Timer.run_at <= now)
                                    .order_by(Timer.run_at, Timer.id).limit(limit)))


def fire_one(ctx: Context, timer_id: int, now: datetime, worker: str) -> Fired | None:
    try:
        with ctx.db.transaction() as session, clock.frozen_at(now):
            claimed = session.execute(update(Timer).where(Timer.id == timer_id, Timer.state == "pending",
                                                          Timer.run_at <= now)
                                      .values(state="firing", claimed_by=worker, claimed_at=now,
                                              attempts=Timer.attempts + 1))
            if claimed.rowcount != 1:
                return None  # another scheduler has it, or it was cancelled meanwhile
            timer = session.get(Timer, timer_id)
            inst = _lock_instance(session, timer.instance_id)
            version = ctx.loaded_version(session, inst.process_version_id)
            workflow = wfx.loads(version, inst.state, inst.jurisdiction)
            wfx.fire_timers(workflow)
            timer.state, timer.fired_at, timer.last_error = "fired", now, None
            persist(session, inst, version, workflow, now)
            audit(session, "timer_fired", instance_id=inst.id, element_id=timer.element_id,
                  data={"title": timer.title, "run_at": timer.run_at, "worker": worker}, at=now)
            return Fired("timer", inst.id, timer.element_id, timer.title)
    except (GovflowError, Exception) as exc:  # noqa: BLE001 - any failure becomes a retry/incident
        return _record_failure(ctx, timer_id, now, exc)


def _record_failure(ctx: Context, timer_id: int, now: datetime, exc: Exception) -> Fired:
    message = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
    with ctx.db.transaction() as session:
        timer = session.get(Timer, timer_id)
        attempts = timer.attempts + 1 if timer.state == "pending" else timer.attempts
        timer.attempts = attempts
        timer.last_error = message
        if attempts >= MAX_ATTEMPTS:
            timer.state = "failed"
        else:
            timer.state = "pending"
            timer.run_at = now + timedelta(minutes=2 ** attempts)
        audit(session, "timer_failed", instance_id=timer.instance_id, element_id=timer.element_id,
              data={"error": message, "attempts": attempts}, at=now)
        return Fired("failed", timer.instance_id, timer.element_id, timer.title, message)


def flag_overdue(ctx: Context, now: datetime) -> list[Fired]:
    """Mark each newly overdue task once and record it (escalation notices hang off this event)."""
    flagged = []
    with ctx.db.transaction() as session:
        rows = list(session.scalars(select(HumanTask).where(
            HumanTask.state == "ready", HumanTask.due_at < now, HumanTask.overdue_notified_at.is_(None))))
        for row in rows:
            done = session.execute(update(HumanTask).where(HumanTask.id == row.id,
                                                           HumanTask.overdue_notified_at.is_(None))
                                   .values(overdue_notified_at=now))
            if done.rowcount == 1:
                audit(session, "task_overdue", instance_id=row.instance_id, element_id=row.element_id,
                      human_task_id=row.id, data={"title": row.title, "role": row.role_key,
                                                  "due_at": row.due_at}, at=now)
                flagged.append(Fired("overdue", row.instance_id, row.element_id, row.title,
                                     row.due_at.isoformat()))
    return flagged


def tick(ctx: Context, now: datetime | None = None, batch: int = 500) -> list[Fired]:
    """Fire everything due as of `now` (timers first, then deadlines); return what happened."""
    now = now or clock.now()
    worker = worker_name()
    fired: list[Fired] = []
    while True:
        ids = _due_ids(ctx, now, batch)
        results = [fire_one(ctx, timer_id, now, worker) for timer_id in ids]
        results = [r for r in results if r is not None]
        fired.extend(results)
        if len(ids) < batch or not any(r.kind == "timer" for r in results):
            break
    fired.extend(flag_overdue(ctx, now))
    return fired
