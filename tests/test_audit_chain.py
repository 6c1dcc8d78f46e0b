"""The tamper-evident audit (engine/services/audit.py) under attack: rows edited, deleted, forged or
re-hashed behind the application's back with plain SQL are found by `govflow audit verify` (naming the
first broken row) and by the project page; concurrent writers keep the chain linear; the migration
chains the rows that were there before. Each test says in its docstring what it attacks."""
from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select, text

from engine.db import Database
from engine.models import AuditEvent, AuditHead, ProcessInstance
from engine.services import attachments, audit, runtime, users
from tests.conftest import PG_ADMIN_URL, _backend, at
from tests.support import PASSWORD
from tests.test_timers_support import FACTS as TIMER_FACTS
from tests.test_timers_support import install_process, script_after_timer_diagram
from tests.web.helpers import form_token
from tests.yeji_walk import DECLARE, FACTS, OK, declared, in_review
from web.cli import main


def verdict(ctx) -> audit.Verdict:
    with ctx.db.transaction() as session:
        return audit.verify(session)


def rows(ctx, instance_id=None) -> list[AuditEvent]:
    with ctx.db.transaction() as session:
        stmt = select(AuditEvent).order_by(AuditEvent.seq)
        if instance_id is not None:
            stmt = stmt.where(AuditEvent.instance_id == instance_id)
        return list(session.scalars(stmt))


def behind_the_back(ctx, sql: str, **params) -> None:
    """Plain SQL on the database, outside every service."""
    with ctx.db.engine.begin() as conn:
        conn.execute(text(sql), params)


def json_param(ctx) -> str:
    return ":data" if ctx.db.is_sqlite else "CAST(:data AS json)"


def cli_verify(capsys) -> tuple[int, str]:
    code = main(["audit", "verify"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def walked(people, ctx) -> int:
    """A 叶集 project in its six parallel reviews, one of them done, plus sign-ins: rows of many kinds."""
    iid = in_review(people, ctx)
    people.do("dora", iid, "ReviewDataBureau", OK, now=at("2026-10-10 10:00"))
    users.login(ctx.db, "alice", PASSWORD, address="10.0.0.1", via="api", now=at("2026-10-10 11:00"))
    return iid


def test_the_chain_is_intact_after_real_work_and_the_cli_says_so(walked, ctx, capsys):
    """Baseline for the attacks below: every row written by the services is chained, in order."""
    chained = rows(ctx)
    assert len(chained) > 5 and [r.seq for r in chained] == list(range(1, len(chained) + 1))
    assert chained[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in zip(chained, chained[1:], strict=False))
    result = verdict(ctx)
    assert result.intact and result.count == len(chained) and result.head_hash == chained[-1].row_hash
    code, out = cli_verify(capsys)
    assert code == 0 and f"审计链完整：共 {len(chained)} 条记录" in out and chained[-1].row_hash in out


def test_an_edited_decision_is_found_naming_its_row(walked, ctx, capsys):
    """Attack: UPDATE a completed review's data (approve → reject) in the database. Verify fails at
    exactly that row, naming its id, event and time."""
    [row] = [r for r in rows(ctx, walked) if r.event == "task_completed" and r.element_id == "ReviewDataBureau"]
    forged = {**row.data, "answers": {"decision": "reject", "comment": "伪造"}}
    behind_the_back(ctx, f"UPDATE audit_events SET data = {json_param(ctx)} WHERE id = :id",
                    data=json.dumps(forged, ensure_ascii=False), id=row.id)
    result = verdict(ctx)
    assert not result.intact and result.broken.id == row.id and "内容被改动" in result.broken.reason
    code, out = cli_verify(capsys)
    assert code == 1
    assert f"记录 id={row.id}，事件 task_completed，时间 2026年10月10日 10:00:00" in out


def test_an_edited_actor_or_time_is_found_too(walked, ctx):
    """Attack: pin the step on someone else, or move it in time (columns outside `data`)."""
    row = [r for r in rows(ctx, walked) if r.event == "task_completed"][0]
    behind_the_back(ctx, "UPDATE audit_events SET actor_id = NULL WHERE id = :id", id=row.id)
    assert verdict(ctx).broken.id == row.id
    behind_the_back(ctx, "UPDATE audit_events SET actor_id = :a WHERE id = :id", a=row.actor_id, id=row.id)
    assert verdict(ctx).intact
    behind_the_back(ctx, "UPDATE audit_events SET event = 'task_cancelled' WHERE id = :id", id=row.id)
    assert verdict(ctx).broken.id == row.id


def test_a_deleted_row_is_found_at_the_row_after_it(walked, ctx, capsys):
    """Attack: DELETE an embarrassing row from the middle of the history. The row after the gap is
    named, with the position that is missing."""
    chained = rows(ctx)
    victim, after = chained[3], chained[4]
    behind_the_back(ctx, "DELETE FROM audit_events WHERE id = :id", id=victim.id)
    result = verdict(ctx)
    assert not result.intact and result.broken.id == after.id and f"第 {victim.seq} 条记录缺失" in result.broken.reason
    code, out = cli_verify(capsys)
    assert code == 1 and f"记录 id={after.id}" in out and "缺失" in out


def test_a_truncated_tail_is_found_against_the_head(walked, ctx, capsys):
    """Attack: DELETE the newest rows (no row after them to notice). The head row still names the
    last position, so verify reports what is missing."""
    chained = rows(ctx)
    behind_the_back(ctx, "DELETE FROM audit_events WHERE seq >= :s", s=chained[-2].seq)
    result = verdict(ctx)
    assert not result.intact and result.broken.id is None and result.broken.seq == chained[-2].seq
    assert f"链头为第 {len(chained)} 条，现存 {len(chained) - 2} 条" in result.broken.reason
    code, out = cli_verify(capsys)
    assert code == 1 and f"第 {chained[-2].seq} 条记录" in out


def test_a_forged_row_inserted_with_sql_is_found(walked, ctx, capsys):
    """Attack: INSERT a row that never happened (e.g. an approval) straight into the table."""
    behind_the_back(ctx, "INSERT INTO audit_events (instance_id, actor_id, event, element_id, at, data) "
                         f"VALUES (:iid, NULL, 'task_completed', 'ReviewFinance', :at, {json_param(ctx)})",
                    iid=walked, at="2026-10-11 02:00:00.000000" if ctx.db.is_sqlite else "2026-10-11T02:00:00+00:00",
                    data=json.dumps({"answers": {"decision": "approve"}}))
    with ctx.db.transaction() as session:
        forged = session.scalar(select(func.max(AuditEvent.id)))
    result = verdict(ctx)
    assert result.broken.id == forged and "不在审计链中" in result.broken.reason
    code, out = cli_verify(capsys)
    assert code == 1 and f"记录 id={forged}" in out


def test_a_row_rehashed_after_editing_breaks_the_link_to_the_next(walked, ctx):
    """Attack: an editor who recomputes the edited row's own hash (but not every hash after it): the
    next row's prev_hash no longer matches."""
    chained = rows(ctx)
    row, nxt = chained[2], chained[3]
    behind_the_back(ctx, "UPDATE audit_events SET element_id = 'Forged' WHERE id = :id", id=row.id)
    with ctx.db.transaction() as session:
        edited = session.get(AuditEvent, row.id)
        rehashed = audit.row_digest(edited)
    behind_the_back(ctx, "UPDATE audit_events SET row_hash = :h WHERE id = :id", h=rehashed, id=row.id)
    result = verdict(ctx)
    assert result.broken.id == nxt.id and "前一条记录被改动或删除" in result.broken.reason


def test_the_project_page_warns_when_its_history_fails_verification(walked, app, people, ctx):
    """Attack: the same edits seen by the people who read the project page: a Chinese warning shows
    when one of the project's rows was edited, or its newest row deleted, and not otherwise."""
    assert people.mona
    client = app.test_client()
    client.post("/login", data={"username": "mona", "password": PASSWORD,
                                "csrf_token": form_token(client.get("/login").get_data(as_text=True))})
    warning = "办理记录未通过完整性校验"
    assert warning not in client.get(f"/instances/{walked}").get_data(as_text=True)

    other = declared(people, project_name="另一个项目")
    last = rows(ctx, other)[-1]
    behind_the_back(ctx, "DELETE FROM audit_events WHERE id = :id", id=last.id)
    page = client.get(f"/instances/{other}").get_data(as_text=True)
    assert warning in page and "缺失" in page
    assert warning not in client.get(f"/instances/{walked}").get_data(as_text=True)

    row = rows(ctx, walked)[1]
    behind_the_back(ctx, f"UPDATE audit_events SET data = {json_param(ctx)} WHERE id = :id",
                    data=json.dumps({"forged": True}), id=row.id)
    page = client.get(f"/instances/{walked}").get_data(as_text=True)
    assert warning in page and f"记录 id={row.id}" in page and "内容被改动" in page


def test_verify_instance_sees_a_removed_middle_row_of_the_project(walked, ctx):
    """Attack: DELETE one of the project's rows whose neighbours in the chain belong to other
    activity: the project's row count no longer matches its head."""
    with ctx.db.transaction() as session:
        assert audit.verify_instance(session, walked) is None
    victim = rows(ctx, walked)[2]
    behind_the_back(ctx, "DELETE FROM audit_events WHERE id = :id", id=victim.id)
    with ctx.db.transaction() as session:
        assert audit.verify_instance(session, walked) is not None


def test_rows_of_a_rolled_back_timer_attempt_leave_the_chain_intact(people, ctx, monkeypatch):
    """Attack on the chain's own bookkeeping: rows added inside a savepoint that is rolled back (a
    failing timer) must not be chained, nor leave a hole."""
    from engine.services.timers import tick
    key = "yeji.test_chain_failure"
    install_process(monkeypatch, people, key, script_after_timer_diagram(key, "ratio = 1 / 0"))
    iid = people.start("alice", key, TIMER_FACTS, now=at("2026-01-10 09:00"))
    started = len(rows(ctx, iid))
    tick(ctx, at("2026-01-11 10:00"))
    assert len(rows(ctx, iid)) > started            # the failure is recorded …
    assert verdict(ctx).intact                      # … and what the rolled-back attempt added is not
    with ctx.db.transaction() as session:
        assert audit.verify_instance(session, iid) is None


def test_concurrent_writers_keep_the_chain_linear(people, ctx):
    """Attack: many transactions appending at the same moment (PostgreSQL: truly in parallel). Without
    the lock on audit_head two of them would take the same position (a fork, or a unique-index
    error): every completion must succeed and the chain must stay one line."""
    projects = [people.start("alice", "yeji", {**FACTS, "project_name": f"并发项目{i}"}, now=at("2026-08-01 10:00"))
                for i in range(8)]
    tasks = [people.task("alice", iid, "Declare")["id"] for iid in projects]
    # the documents 项目申报 names, uploaded beforehand (as people.do does)
    answers = {t: attachments.with_placeholders(ctx, people.alice, t, DECLARE) for t in tasks}
    barrier = threading.Barrier(len(tasks) + 2)
    results = []

    def complete(task_id: int) -> None:
        barrier.wait()
        try:
            runtime.complete_task(ctx, people.alice, task_id, answers[task_id], now=at("2026-08-02 10:00"))
            results.append("ok")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion
            results.append(repr(exc))

    def refuse() -> None:
        barrier.wait()
        try:
            for _ in range(3):
                audit.audit_refusal(ctx, people.bob, {"path": "/instances/1"}, now=at("2026-08-02 10:00"))
            results.append("ok")
        except Exception as exc:  # noqa: BLE001
            results.append(repr(exc))

    assert people.bob
    threads = [threading.Thread(target=complete, args=(t,)) for t in tasks] + \
              [threading.Thread(target=refuse) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == ["ok"] * len(threads)
    result = verdict(ctx)
    assert result.intact, result.broken
    chained = rows(ctx)
    assert [r.seq for r in chained] == list(range(1, len(chained) + 1))
    with ctx.db.transaction() as session:
        assert session.get(AuditHead, 1).seq == len(chained)
        for iid in projects:
            assert audit.verify_instance(session, iid) is None
            assert session.get(ProcessInstance, iid).audit_count == len([r for r in chained if r.instance_id == iid])


# --- the migration --------------------------------------------------------------------------------------

@pytest.fixture
def empty_database(tmp_path):
    """A database of its own (SQLite file, or a PostgreSQL database made for the test)."""
    if _backend() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    name = f"govflow_mig_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _table(name: str, *columns):
    return sa.table(name, *[sa.column(c, t) for c, t in columns])


def _old_rows(conn) -> None:
    """Rows as the application wrote them before revision 0005: one project, audit rows without a chain."""
    when = datetime(2026, 8, 1, 2, 0, 0, 123456, tzinfo=timezone.utc)
    dt, js = sa.DateTime(timezone=True), sa.JSON()
    conn.execute(_table("units", ("id", sa.Integer()), ("jurisdiction", sa.String()), ("name", sa.String()))
                 .insert().values(id=1, jurisdiction="yeji", name="区教育局"))
    conn.execute(_table("users", ("id", sa.Integer()), ("username", sa.String()), ("password_hash", sa.String()),
                        ("display_name", sa.String()), ("jurisdiction", sa.String()), ("unit_id", sa.Integer()),
                        ("active", sa.Boolean()), ("created_at", dt))
                 .insert().values(id=1, username="alice", password_hash="x", display_name="alice",
                                  jurisdiction="yeji", unit_id=1, active=True, created_at=when))
    conn.execute(_table("process_versions", ("id", sa.Integer()), ("process_key", sa.String()),
                        ("jurisdiction", sa.String()), ("name", sa.String()), ("version", sa.Integer()),
                        ("files", js), ("checksum", sa.String()), ("deployed_at", dt))
                 .insert().values(id=1, process_key="yeji", jurisdiction="yeji", name="叶集", version=1,
                                  files={}, checksum="0" * 64, deployed_at=when))
    conn.execute(_table("process_instances", ("id", sa.Integer()), ("process_version_id", sa.Integer()),
                        ("process_key", sa.String()), ("jurisdiction", sa.String()), ("project_name", sa.String()),
                        ("applicant_unit_id", sa.Integer()), ("started_by_id", sa.Integer()),
                        ("status", sa.String()), ("facts", js), ("state", sa.Text()),
                        ("serializer_version", sa.String()), ("lock_version", sa.Integer()),
                        ("created_at", dt), ("updated_at", dt))
                 .insert().values(id=7, process_version_id=1, process_key="yeji", jurisdiction="yeji",
                                  project_name="旧项目", applicant_unit_id=1, started_by_id=1, status="running",
                                  facts={}, state="{}", serializer_version="1", lock_version=0,
                                  created_at=when, updated_at=when))
    events = _table("audit_events", ("instance_id", sa.Integer()), ("actor_id", sa.Integer()),
                    ("event", sa.String()), ("element_id", sa.String()), ("at", dt), ("data", js))
    conn.execute(events.insert(), [
        {"instance_id": 7, "actor_id": 1, "event": "instance_started", "element_id": None, "at": when,
         "data": {"facts": {"project_name": "旧项目", "total_investment": 300.5, "tags": ["甲", 1]}}},
        {"instance_id": None, "actor_id": None, "event": "calendar_year_loaded", "element_id": None, "at": when,
         "data": {"year": 2027, "by": "cli"}},
        {"instance_id": 7, "actor_id": 1, "event": "task_completed", "element_id": "Declare", "at": when,
         "data": None},
    ])


def test_the_migration_chains_the_rows_already_there(empty_database):
    """Attack on the upgrade: rows written before the chain existed must end up chained (in id order)
    and verifiable, not left outside it where anything goes."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from engine.migrate import alembic_config
    engine = sa.create_engine(empty_database)
    with engine.begin() as conn:
        cfg = alembic_config(empty_database)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, ScriptDirectory.from_config(cfg).get_revision("0005").down_revision)
        _old_rows(conn)
        command.upgrade(cfg, "head")
    engine.dispose()
    db = Database(empty_database)
    try:
        with db.transaction() as session:
            result = audit.verify(session)
            assert result.intact and result.count == 3, result.broken
            assert [r.event for r in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))] == [
                "instance_started", "calendar_year_loaded", "task_completed"]
            assert audit.verify_instance(session, 7) is None
            assert session.get(ProcessInstance, 7).audit_count == 2
            audit.append(session, "after_upgrade", instance_id=7, at=datetime.now(timezone.utc))
        with db.transaction() as session:
            assert audit.verify(session).count == 4 and audit.verify_instance(session, 7) is None
    finally:
        db.dispose()


def test_the_models_match_the_migration_for_the_accounts_and_audit_tables(ctx):
    """Attack on the schema: a column in engine/models.py that no migration creates (or the reverse)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from engine.models import Base
    mine = {"user_sessions", "login_throttles", "audit_head", "audit_events"}

    def table_of(diff) -> str | None:
        item = diff[0] if isinstance(diff, list) else diff
        for part in item[1:]:
            name = getattr(part, "name", None) if hasattr(part, "columns") else None
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                return table.name
            if name:
                return name
            if isinstance(part, str) and part in mine:
                return part
        return None

    with ctx.db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert [d for d in diffs if table_of(d) in mine] == []
