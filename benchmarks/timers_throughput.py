"""Timers fired per second by one and by two schedulers (`govflow tick`-like worker processes).

    python benchmarks/timers_throughput.py [--backend postgresql|sqlite] [--count 2000] [--schedulers 1 2] [--json]

For each number of schedulers: a scratch database (benchmarks/common.py: PostgreSQL beside
GOVFLOW_BENCH_PG_URL, dropped afterwards; or a temporary SQLite file) with `--count` instances of a
one-timer process (开始 → 等待一天 → 结束, registered as a process of 叶集 on the context's own
runtime) whose timers are all due; one instance is started through the services, the others are
copies of its row and timer. Then that many scheduler processes, each fully started (imports,
connection, holiday calendar, parsed diagram) before a common start signal, each running
`engine.services.timers.tick` — what `govflow tick` runs — until nothing is due. The rate is the
count divided by the wall time from the signal until the last one reports; the script checks that
every timer fired exactly once (state `fired`, one `timer_fired` audit row per timer, distinct).
The issue's target (on PostgreSQL): two schedulers ≥ 1.6× one."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from benchmarks.common import backend_url, context, scratch_database  # noqa: E402
from engine import clock  # noqa: E402
from engine.models import AuditEvent, ProcessInstance, Timer  # noqa: E402
from engine.registry import ProcessDef  # noqa: E402

KEY = "yeji.benchmark_timer"
STARTED = "2026-03-01T10:00:00+08:00"
NOW = "2026-03-03T10:00:00+08:00"          # the one-day timers of instances started on STARTED are due
FACTS = {"project_name": "定时器吞吐量测试", "project_type": "construction", "total_investment": 100}


def diagram() -> bytes:
    from tests.diagrams import Diagram
    d = Diagram(KEY, "定时器吞吐量测试", [("applicant", "建设单位")])
    d.start("StartEvent", lane="applicant", col=0, name="开始")
    d.timer_catch("Wait", lane="applicant", col=1, name="等待一天", duration='"P1D"')
    d.end("EndEvent", lane="applicant", col=2, name="结束", properties={"outcome": "completed"})
    d.flow("StartEvent", "Wait")
    d.flow("Wait", "EndEvent")
    return d.to_xml()


def seed(url: str, count: int) -> None:
    """Schema, the one-timer process deployed, one instance started through the services, copied."""
    from engine.services.deploy import deploy
    from engine.services.runtime import start_instance
    from engine.services.users import hash_password, upsert_user

    ctx = context(url)
    ctx.registry.with_process("yeji", ProcessDef(key=KEY, name="定时器吞吐量测试", file=f"{KEY}.bpmn"))
    with ctx.db.transaction() as session:
        deploy(ctx.runtime, session, KEY, extra={f"{KEY}.bpmn": diagram()}, deployed_by="benchmark")
        user_id = upsert_user(session, "bench", "bench-pass-1", ctx.registry.get("yeji"), "区教育局", ["applicant"],
                              password_hash=hash_password("bench-pass-1")).id
    first = start_instance(ctx, user_id, KEY, FACTS, now=clock.parse_instant(STARTED))
    instances, timers = ProcessInstance.__table__, Timer.__table__
    with ctx.db.transaction() as session:
        row = dict(session.execute(select(instances).where(instances.c.id == first)).mappings().one())
        timer = dict(session.execute(select(timers).where(timers.c.instance_id == first)).mappings().one())
        row.pop("id")
        timer.pop("id")
        for start in range(1, count, 1000):
            ids = session.scalars(insert(instances).returning(instances.c.id),
                                  [row] * min(1000, count - start)).all()
            session.execute(insert(timers), [{**timer, "instance_id": i} for i in ids])
    ctx.db.dispose()


def worker(url: str) -> None:
    """A scheduler: get everything ready, say so, wait for the signal, tick, report."""
    from engine.services import calendar_admin
    from engine.services.timers import tick

    ctx = context(url, migrate=False)
    calendar_admin.install(ctx)
    with ctx.db.transaction() as session:       # connection open, diagram parsed and cached
        version_id = session.scalar(select(ProcessInstance.process_version_id).limit(1))
        ctx.loaded_version(session, version_id)
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    fired = tick(ctx, clock.parse_instant(NOW))
    print(f"{sum(f.kind == 'timer' for f in fired)} {time.perf_counter() - started:.3f}", flush=True)
    ctx.db.dispose()


def run(url: str, schedulers: int) -> tuple[float, list[int]]:
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", url], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(schedulers)]
    try:
        for p in procs:
            line = p.stdout.readline().strip()
            if line != "ready":
                raise SystemExit(f"调度进程未能启动：{line!r}")
        started = time.perf_counter()
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        shares = [int(p.stdout.readline().split()[0]) for p in procs]
        elapsed = time.perf_counter() - started
        for p in procs:
            p.wait(timeout=120)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return elapsed, shares


def check(url: str, count: int) -> None:
    """Every timer fired, each exactly once."""
    ctx = context(url, migrate=False)
    with ctx.db.transaction() as session:
        fired = session.scalar(select(func.count()).select_from(Timer).where(Timer.state == "fired"))
        ids = [a["timer_id"] for a in session.scalars(select(AuditEvent.data)
                                                      .where(AuditEvent.event == "timer_fired"))]
    ctx.db.dispose()
    if not (fired == count == len(ids) == len(set(ids))):
        raise SystemExit(f"并非恰好一次：count={count} fired={fired} audit={len(ids)} distinct={len(set(ids))}")


def measure(backend: str, count: int, schedulers: int) -> tuple[float, list[int]]:
    with scratch_database(backend_url(backend)) as url:
        seed(url, count)
        elapsed, shares = run(url, schedulers)
        check(url, count)
    return elapsed, shares


def main() -> None:
    parser = argparse.ArgumentParser(description="定时器吞吐量：一个与两个调度进程")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--count", type=int, default=2000, help="到期定时器数")
    parser.add_argument("--schedulers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", action="store_true", help="one JSON line instead of the text figures")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    if not args.json:
        print(f"{args.count} 个到期定时器，{args.backend}，{os.cpu_count()} 核")
    rates = {}
    for schedulers in args.schedulers:
        elapsed, shares = measure(args.backend, args.count, schedulers)
        rates[schedulers] = args.count / elapsed
        if not args.json:
            print(f"{schedulers} 个调度进程：{rates[schedulers]:7.1f} 个/秒"
                  f"（{elapsed:.2f} 秒；各进程触发 {'、'.join(map(str, shares))}；每个定时器恰好触发一次）")
    result = {"benchmark": "timers", "backend": args.backend, "count": args.count,
              **{f"timers_per_s_{n}": round(rate, 1) for n, rate in rates.items()}}
    if 1 in rates and 2 in rates:
        result["ratio_2_over_1"] = round(rates[2] / rates[1], 2)
    if args.json:
        print(json.dumps(result))
    elif "ratio_2_over_1" in result:
        print(f"两个 / 一个：{result['ratio_2_over_1']:.2f}×（目标 ≥ 1.6×，PostgreSQL）")


if __name__ == "__main__":
    main()
