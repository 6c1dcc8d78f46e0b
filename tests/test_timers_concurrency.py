"""On PostgreSQL: real scheduler processes (`govflow tick --now …`) against 1,000 due timers. Two
started together fire each timer exactly once; one killed mid-batch (SIGKILL) loses nothing, and the
restarted one doubles nothing. Counted in the `timer_fired` audit rows."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from engine.config import ROOT
from engine.models import AuditEvent, ProcessInstance, Timer
from tests.conftest import at
from tests.test_timers_support import FACTS, install_process, timer_diagram

pytestmark = pytest.mark.skipif(os.environ.get("GOVFLOW_TEST_DB", "sqlite") != "postgresql",
                                reason="PostgreSQL only: row locks across processes")
KEY = "yeji.test_bulk"
COUNT = 1000
NOW = "2026-03-03T10:00:00+08:00"


def seed_due_timers(people, ctx, monkeypatch, count: int = COUNT) -> None:
    """One instance started through the services, copied `count - 1` times in SQL (state and timer
    row alike): `count` instances each waiting on one timer due on 2026-03-02."""
    install_process(monkeypatch, people, KEY, timer_diagram(KEY, duration='"P1D"'))
    first = people.start("alice", KEY, FACTS, now=at("2026-03-01 10:00"))
    columns = ", ".join(c.name for c in ProcessInstance.__table__.columns if c.name != "id")
    with ctx.db.transaction() as session:
        session.execute(text(f"INSERT INTO process_instances ({columns}) SELECT {columns} "
                             "FROM process_instances, generate_series(2, :n) WHERE id = :id"),
                        {"n": count, "id": first})
        session.execute(text(
            "INSERT INTO timers (instance_id, task_guid, element_id, title, run_at, state, attempts) "
            "SELECT p.id, t.task_guid, t.element_id, t.title, t.run_at, 'pending', 0 "
            "FROM process_instances p JOIN timers t ON t.instance_id = :id WHERE p.id <> :id"), {"id": first})
    assert _count(ctx, select(func.count(Timer.id)).where(Timer.state == "pending")) == count


def _count(ctx, stmt) -> int:
    with ctx.db.transaction() as session:
        return session.scalar(stmt)


def _fired_audit(ctx) -> tuple[int, int]:
    """(timer_fired rows, distinct timers they name)."""
    with ctx.db.transaction() as session:
        ids = [e.data["timer_id"] for e in session.scalars(select(AuditEvent).where(AuditEvent.event == "timer_fired"))]
    return len(ids), len(set(ids))


def _scheduler() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "web.cli", "tick", "--now", NOW], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def _assert_exactly_once(ctx) -> None:
    assert _fired_audit(ctx) == (COUNT, COUNT)
    assert _count(ctx, select(func.count(Timer.id)).where(Timer.state == "fired")) == COUNT
    assert _count(ctx, select(func.count(Timer.id)).where(Timer.state != "fired")) == 0
    assert _count(ctx, select(func.count(ProcessInstance.id)).where(ProcessInstance.status == "completed")) == COUNT
    assert _count(ctx, select(func.count(AuditEvent.id)).where(AuditEvent.event == "instance_ended")) == COUNT


def test_it_fires_each_of_1000_timers_exactly_once_with_two_schedulers(people, ctx, monkeypatch):
    seed_due_timers(people, ctx, monkeypatch)
    workers = [_scheduler(), _scheduler()]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err for _out, err in outputs]
    printed = [int(out.strip().splitlines()[-1].split()[1]) for out, _err in outputs]   # 共处理 N 项
    assert sum(printed) == COUNT
    _assert_exactly_once(ctx)
    with ctx.db.transaction() as session:
        shares = dict(session.execute(select(Timer.claimed_by, func.count(Timer.id)).group_by(Timer.claimed_by)).all())
    assert len(shares) == 2, shares   # both schedulers really worked on the batch


def test_it_loses_and_doubles_nothing_when_a_scheduler_is_killed_mid_batch(people, ctx, monkeypatch):
    seed_due_timers(people, ctx, monkeypatch)
    worker = _scheduler()
    deadline = time.monotonic() + 60
    while _fired_audit(ctx)[0] < COUNT // 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    done, distinct = _fired_audit(ctx)
    assert COUNT // 5 <= done < COUNT and done == distinct
    # Whatever committed is whole: every fired row has its audit row and its finished instance.
    assert _count(ctx, select(func.count(Timer.id)).where(Timer.state == "fired")) == done
    assert _count(ctx, select(func.count(ProcessInstance.id)).where(ProcessInstance.status == "completed")) == done

    restarted = _scheduler()
    out, err = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, err
    assert out.strip().splitlines()[-1] == f"共处理 {COUNT - done} 项"
    _assert_exactly_once(ctx)
