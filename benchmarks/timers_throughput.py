"""Timers fired per second by one and by two schedulers on PostgreSQL.

    python benchmarks/timers_throughput.py [--count 2000] [--schedulers 1 2]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each number of schedulers: a fresh database (created beside --pg-url's, dropped afterwards) with
`--count` instances of a one-timer process all due, then that many scheduler processes, each fully
started (imports, connection, calendar) before a common start signal, each running `tick` to the end.
The rate is the count divided by the wall time from the signal until the last one exits; the script
also checks that every timer fired exactly once (one `timer_fired` audit row per timer)."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

KEY = "yeji.benchmark_timer"
NOW = "2026-03-03T10:00:00+08:00"
FACTS = {"project_name": "定时器吞吐量测试", "project_type": "construction", "total_investment": 100}


def _context(url: str):
    os.environ["GOVFLOW_DATABASE_URL"] = url
    from engine.config import Settings
    from engine.services.context import Context
    return Context.from_settings(Settings.from_env())


def seed(url: str, count: int) -> None:
    """Schema, the one-timer process, one instance started through the services, copied in SQL."""
    from engine import clock, registry
    from engine.migrate import upgrade
    from engine.models import ProcessInstance
    from engine.registry import ProcessDef
    from engine.services.deploy import deploy
    from engine.services.runtime import start_instance
    from engine.services.users import upsert_user
    from tests.diagrams import Diagram

    ctx = _context(url)
    upgrade(ctx.db)
    d = Diagram(KEY, "定时器吞吐量测试", [("applicant", "建设单位")])
    d.start("StartEvent", lane="applicant", col=0, name="开始")
    d.timer_catch("Wait", lane="applicant", col=1, name="等待一天", duration='"P1D"')
    d.end("EndEvent", lane="applicant", col=2, name="结束", properties={"outcome": "completed"})
    d.flow("StartEvent", "Wait")
    d.flow("Wait", "EndEvent")
    registry.get("yeji").processes[KEY] = ProcessDef(key=KEY, name="定时器吞吐量测试", file=f"{KEY}.bpmn")
    with ctx.db.transaction() as session:
        deploy(session, KEY, extra={f"{KEY}.bpmn": d.to_xml()})
        user_id = upsert_user(session, "bench", "bench-pass-1", "yeji", "区教育局", ["applicant"]).id
    first = start_instance(ctx, user_id, KEY, FACTS, now=clock.parse_instant("2026-03-01T10:00"))
    columns = ", ".join(c.name for c in ProcessInstance.__table__.columns if c.name != "id")
    with ctx.db.transaction() as session:
        session.execute(text(f"INSERT INTO process_instances ({columns}) SELECT {columns} "
                             "FROM process_instances, generate_series(2, :n) WHERE id = :id"),
                        {"n": count, "id": first})
        session.execute(text(
            "INSERT INTO timers (instance_id, task_guid, element_id, title, run_at, state, attempts) "
            "SELECT p.id, t.task_guid, t.element_id, t.title, t.run_at, 'pending', 0 "
            "FROM process_instances p JOIN timers t ON t.instance_id = :id WHERE p.id <> :id"), {"id": first})
    ctx.db.dispose()


def worker(url: str) -> None:
    """A scheduler: get everything ready, say so, wait for the signal, tick, report."""
    from engine import clock
    from engine.services import calendar_admin
    from engine.services.timers import tick
    ctx = _context(url)
    calendar_admin.install(ctx)
    with ctx.db.transaction() as session:
        session.execute(text("SELECT 1"))
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    fired = tick(ctx, clock.parse_instant(NOW))
    print(f"{sum(f.kind == 'timer' for f in fired)} {time.perf_counter() - started:.3f}", flush=True)


def run(url: str, schedulers: int) -> tuple[float, list[int]]:
    env = dict(os.environ, GOVFLOW_DATABASE_URL=url)
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", url], cwd=ROOT, env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(schedulers)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    shares = [int(p.stdout.readline().split()[0]) for p in procs]
    elapsed = time.perf_counter() - started
    for p in procs:
        p.wait(timeout=60)
    return elapsed, shares


def check(url: str, count: int) -> None:
    from engine.models import AuditEvent, Timer
    engine = create_engine(url)
    with engine.connect() as conn:
        fired = conn.scalar(select(func.count()).select_from(Timer).where(Timer.state == "fired"))
        audits = conn.execute(select(AuditEvent.data).where(AuditEvent.event == "timer_fired")).scalars().all()
    engine.dispose()
    ids = [a["timer_id"] for a in audits]
    if not (fired == count == len(ids) == len(set(ids))):
        raise SystemExit(f"并非恰好一次：fired={fired} audit={len(ids)} distinct={len(set(ids))}")


def main() -> None:
    parser = argparse.ArgumentParser(description="定时器吞吐量（PostgreSQL）")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--schedulers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--pg-url", default=os.environ.get("GOVFLOW_TEST_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    os.environ.setdefault("GOVFLOW_INSTANCE_DIR", str(Path("/tmp") / "govflow-benchmark"))
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    print(f"{args.count} 个到期定时器，PostgreSQL，{os.cpu_count()} 核")
    for schedulers in args.schedulers:
        name = f"govflow_bench_{uuid.uuid4().hex[:8]}"
        url = args.pg_url.rsplit("/", 1)[0] + "/" + name
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            seed(url, args.count)
            elapsed, shares = run(url, schedulers)
            check(url, args.count)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"{schedulers} 个调度进程：{args.count / elapsed:7.1f} 个/秒"
              f"（{elapsed:.2f} 秒；各进程触发 {'、'.join(map(str, shares))}）")
    admin.dispose()


if __name__ == "__main__":
    main()
