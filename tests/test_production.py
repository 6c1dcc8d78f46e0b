"""The production set-up of docs/production.md, on PostgreSQL: gunicorn with two workers on a fresh
database loaded by `govflow demo`, four clients completing tasks over HTTP (parallel reviews of the
same projects, answered by both workers), two `govflow tick` at once firing a due timer once, and a
pg_dump of the database restored into another fresh database with the same row counts."""
from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from engine import clock
from engine.config import ROOT
from engine.models import AuditEvent, HumanTask, Timer
from tests.support import Personas
from tests.test_faults import (
    DECLARE,
    OK,
    POSTGRES,
    REVIEW_ELEMENTS,
    Server,
    call,
    check_projection,
    complete,
    fresh_database,
    login,
    open_context,
    scalar,
    server_env,
    urgent_facts,
    waiting_on_a_due_timer,
    with_uploads,
)

pytestmark = [pytest.mark.postgresql,
              pytest.mark.skipif(not POSTGRES, reason="PostgreSQL only (GOVFLOW_TEST_DB=postgresql): gunicorn "
                                 "workers and schedulers sharing one database, pg_dump/pg_restore")]
DEMO_PASSWORD = "demo2026"
REVIEWERS = {"yeji_data_bureau": "ReviewDataBureau", "yeji_experts": "ReviewExperts",
             "yeji_finance": "ReviewFinance", "yeji_ndrc": "ReviewNdrc"}
PROJECTS = 6


def _postgres_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    if not found:
        pytest.skip(f"{name} not installed")
    return str(found)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.scalars(text("SELECT table_name FROM information_schema.tables "
                                       "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")).all()
            return {t: conn.scalar(text(f'SELECT count(*) FROM "{t}"')) for t in sorted(tables)}
    finally:
        engine.dispose()


def _govflow(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "web.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _declare_projects(port: int) -> list[int]:
    """The applicant starts PROJECTS 叶集 projects over HTTP and completes 项目申报 on each."""
    token = login(port, "yeji_applicant1", DEMO_PASSWORD)
    ids = []
    for n in range(PROJECTS):
        started = call(port, "POST", "/api/v1/instances", {"process": "yeji", "data": urgent_facts(f"生产部署测试{n}")},
                       token)
        assert started.status == 201, started.text
        iid = started.json()["id"]
        inbox = call(port, "GET", "/api/v1/tasks?per_page=200", token=token)
        declare = [t for t in inbox.json() if t["instance_id"] == iid and t["name"] == "Declare"]
        assert len(declare) == 1, inbox.text[:500]
        reply = complete(port, token, declare[0]["id"], with_uploads(port, token, declare[0]["id"], DECLARE))
        assert reply.status == 200, reply.text
        ids.append(iid)
    return ids


def _four_reviewers(port: int, ids: list[int]) -> list:
    """Four clients at once, each completing its review on every project (the same instances)."""
    tokens = {who: login(port, who, DEMO_PASSWORD) for who in REVIEWERS}
    results: list = []

    def client(who: str) -> None:
        inbox = call(port, "GET", "/api/v1/tasks?per_page=200", token=tokens[who]).json()
        mine = [t["id"] for t in inbox if t["instance_id"] in ids and t["name"] == REVIEWERS[who]]
        results.append((who, "inbox", len(mine)))
        for task_id in mine:
            reply = complete(port, tokens[who], task_id, OK)
            results.append((who, reply.status, reply.text[:200] if reply.status != 200 else ""))

    threads = [threading.Thread(target=client, args=(who,)) for who in REVIEWERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _workers_of(server: Server) -> set[int]:
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
    return {int(p) for p in children.read_text().split()} if children.exists() else set()


def test_gunicorn_workers_schedulers_and_a_restored_backup_on_one_postgresql(tmp_path):
    with fresh_database("govflow_prod") as url, fresh_database("govflow_restore") as restore_url:
        env = server_env(url, tmp_path / "instance", GOVFLOW_SECURE_COOKIES="1")
        demo = _govflow(env, "demo")
        assert demo.returncode == 0, demo.stderr
        with Server.gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
            assert len(_workers_of(server)) == 2, server.log()
            ids = _declare_projects(server.port)
            results = _four_reviewers(server.port, ids)
            access_log = server.log()
        assert sorted(r for r in results if r[1] == "inbox") == sorted((who, "inbox", PROJECTS) for who in REVIEWERS)
        completions = [r for r in results if r[1] != "inbox"]
        assert [r for r in completions if r[1] != 200] == [] and len(completions) == 4 * PROJECTS, completions
        answered_by = {line.split()[0] for line in access_log.splitlines() if "/complete HTTP" in line}
        assert len(answered_by) == 2, access_log[-2000:]          # both workers completed tasks

        ctx = open_context(url, tmp_path / "instance")
        try:
            assert check_projection(ctx, ids) == {iid: ["ReviewCac", "ReviewCrypto"] for iid in ids}
            _two_ticks_fire_a_due_timer_once(ctx, env)
            snapshot = _row_counts(url)
            _dump_and_restore(url, restore_url, tmp_path / "govflow.dump")
            assert _row_counts(restore_url) == snapshot
            assert snapshot["process_instances"] > PROJECTS and snapshot["audit_events"] > 0
            restored = open_context(restore_url, tmp_path / "restored")
            try:
                check_projection(restored, ids)               # the restored copy is consistent too
            finally:
                restored.db.dispose()
        finally:
            ctx.db.dispose()


def _two_ticks_fire_a_due_timer_once(ctx, env: dict) -> None:
    # the demo's applicant, as a persona (its password is set to the personas' one: HTTP is done)
    people = Personas(ctx, table={"yeji_applicant1": ("区教育局", ["applicant"])})
    iid = waiting_on_a_due_timer(people, "yeji_applicant1")
    now = clock.now()
    timer_id = scalar(ctx, select(Timer.id).where(Timer.instance_id == iid, Timer.state == "pending"))
    due = scalar(ctx, select(func.count(Timer.id)).where(Timer.state == "pending", Timer.run_at < now))
    assert timer_id is not None and due >= 1
    before = scalar(ctx, select(func.count(AuditEvent.id)).where(AuditEvent.event == "timer_fired"))
    ticks = [subprocess.Popen([sys.executable, "-m", "web.cli", "tick"], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [t.communicate(timeout=120) for t in ticks]
    assert [t.returncode for t in ticks] == [0, 0], [err for _out, err in outputs]
    with ctx.db.transaction() as session:
        fired = [e.data["timer_id"] for e in session.scalars(
            select(AuditEvent).where(AuditEvent.event == "timer_fired"))]
        row = session.get(Timer, timer_id)
        still_due = session.scalar(select(func.count(Timer.id)).where(Timer.state == "pending", Timer.run_at < now))
        ready = sorted(session.scalars(select(HumanTask.element_id).where(HumanTask.instance_id == iid,
                                                                          HumanTask.state == "ready")))
    assert Counter(fired)[timer_id] == 1 and row.state == "fired"
    assert len(fired) == len(set(fired)) and still_due == 0
    assert ready == REVIEW_ELEMENTS
    printed = sum(out.count("定时器触发：") for out, _err in outputs)
    assert printed == len(fired) - before >= 1         # what the two printed is what was recorded, once


def _dump_and_restore(url: str, restore_url: str, dump: Path) -> None:
    dumped = subprocess.run([_postgres_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(dump),
                             _libpq(url)], capture_output=True, text=True, timeout=120)
    assert dumped.returncode == 0, dumped.stderr
    restored = subprocess.run([_postgres_tool("pg_restore"), "--no-owner", "--exit-on-error", "--dbname",
                               _libpq(restore_url), str(dump)], capture_output=True, text=True, timeout=120)
    assert restored.returncode == 0, restored.stderr
