"""The order in which transactions take row locks on PostgreSQL: a project's row first, then its task
rows, then the audit head. A step (a completion, a timer) holds its project's row from its first
statement; anything else that writes a task row or an audit row of that project — the scheduler
flagging an overdue task, a comment on the project — takes the project's row before, or the step,
waiting for that task row or for the head, would deadlock with it (PostgreSQL then aborts one of the
two: a reviewer's completion answered with an error, as a CI run once saw).

Each test holds a project's row as a step does, runs the other writer beside it, and then does what
the step does next; a lock taken in the wrong order shows as a deadlock or a lock timeout."""
import os
import threading
import time

import pytest
from sqlalchemy import text

from engine.services import calendar_admin, comments, timers
from engine.services.audit import verify, verify_instance
from tests.conftest import at
from tests.test_calendar_admin import KEY, NOTICE_2027
from tests.test_timers_support import FACTS, install_process, review_diagram
from tests.yeji_walk import in_review

pytestmark = [pytest.mark.postgresql, pytest.mark.skipif(
    os.environ.get("GOVFLOW_TEST_DB", "sqlite") != "postgresql",
    reason="PostgreSQL only: row locks (SQLite lets one writer in at a time)")]

LATE = at("2027-03-01 10:00")   # every review of the project is overdue by then


class Step:
    """A transaction on a connection of its own that holds the project's row as a step does."""

    def __init__(self, ctx, instance_id: int):
        self.conn = ctx.db.engine.connect()
        self.tx = self.conn.begin()
        self.conn.execute(text("SET LOCAL lock_timeout = '5s'"))
        self.conn.execute(text("UPDATE process_instances SET lock_version = lock_version + 1 WHERE id = :i"),
                          {"i": instance_id})

    def then(self, sql: str, **params) -> None:
        self.conn.execute(text(sql), params)

    def commit(self) -> None:
        self.tx.commit()
        self.conn.close()

    def abandon(self) -> None:
        if self.tx.is_active:
            self.tx.rollback()
        self.conn.close()


def _beside(ctx, call) -> tuple[threading.Thread, dict]:
    """Run `call` in a thread; answer once it has finished or waits on a lock (within 10 s)."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = call()
        except Exception as exc:  # noqa: BLE001 - the test reads it
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    with ctx.db.engine.connect() as probe:
        while thread.is_alive() and time.monotonic() < deadline:
            if probe.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
                break
            time.sleep(0.02)
    return thread, outcome


def test_flagging_overdue_tasks_leaves_a_project_a_step_holds_for_the_next_tick(people, ctx):
    iid = in_review(people, ctx)
    task_id = people.ready_rows(iid)[0].id
    step = Step(ctx, iid)
    try:
        flagging, outcome = _beside(ctx, lambda: timers.flag_overdue(ctx, LATE))
        # what the completion does next: take the task row it completes (runtime._claim)
        step.then("UPDATE human_tasks SET data = data WHERE id = :t", t=task_id)
        step.commit()
    finally:
        step.abandon()
    flagging.join(timeout=30)
    assert "error" not in outcome, outcome
    assert [f for f in outcome["result"] if f.instance_id == iid] == []
    flagged = timers.flag_overdue(ctx, LATE)      # the next tick, the project free
    waiting = sorted(r.element_id for r in people.ready_rows(iid))
    assert sorted(f.element_id for f in flagged if f.instance_id == iid) == waiting


def test_a_comment_on_a_project_a_step_holds_waits_for_the_step_and_both_are_chained(people, ctx):
    iid = in_review(people, ctx)
    step = Step(ctx, iid)
    try:
        commenting, outcome = _beside(ctx, lambda: comments.add(ctx, people.alice, "材料已补充", instance_id=iid,
                                                                now=at("2026-10-02 10:00")))
        # what the step does at its commit: take the audit head to chain its rows (engine/services/audit.py)
        step.then("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
        step.commit()
    finally:
        step.abandon()
    commenting.join(timeout=30)
    assert "error" not in outcome, outcome
    assert outcome["result"]["text"] == "材料已补充"
    with ctx.db.transaction() as session:
        assert verify(session).intact and verify_instance(session, iid) is None


def test_loading_a_years_calendar_recomputes_a_due_date_a_step_is_about_to_complete(people, ctx, monkeypatch):
    """The State Council's notice for 2027 settles a provisional due date while the reviewer completes the
    task: the recomputation waits for the step, then reads the task as the step left it."""
    install_process(monkeypatch, people, KEY, review_diagram(KEY))
    ctx.runtime.calendars.reset()
    iid = people.start("alice", KEY, FACTS, now=at("2026-12-24 10:00"))
    [row] = people.ready_rows(iid)
    assert row.due_provisional
    step = Step(ctx, iid)
    try:
        loading, outcome = _beside(ctx, lambda: calendar_admin.import_notice(ctx, NOTICE_2027, loaded_by="cli",
                                                                             now=at("2026-12-28 10:00")))
        step.then("UPDATE human_tasks SET state = 'completed' WHERE id = :t", t=row.id)   # what _claim does
        step.commit()
    finally:
        step.abandon()
    loading.join(timeout=30)
    assert "error" not in outcome, outcome
    assert outcome["result"]["recomputed_tasks"] == 0           # completed meanwhile: nothing to settle
