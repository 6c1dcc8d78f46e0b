"""The counts on the diagram at scale: GET /api/v1/manage/processes/yeji/statistics (every user task,
timer and phase of the deployed 叶集 version with the projects waiting there and the overdue ones) and
the list behind the busiest count, on the data set of benchmarks/dataset.py, each the median and p95 of
N requests through Flask's test client (3 untimed first).

    python benchmarks/overlay.py [--backend sqlite|postgresql] [--projects 100000] [--runs 30] [--json]

The data set has no timer rows; this script adds one pending 每年10月集中审查论证 (WaitReviewWindow)
timer for every 20th running project, so the statement also counts timers. Each request's SQL
statements are counted, and the script fails if one reads a workflow state or a version's files
(the counts live on the projection). The counts are the jurisdiction's snapshot, which the scheduler
computes every five minutes (timed once here: `summary_s`); the list behind a count is live, read in
due-date order from the index of the ready task rows. The issue's target: p95 < 50 ms at 100,000
projects on PostgreSQL."""
from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from benchmarks.common import bench_database, context, list_main, median_ms, p95_ms, record  # noqa: E402
from benchmarks.dataset import PASSWORD, seeded  # noqa: E402
from benchmarks.inbox_page import Statements, api  # noqa: E402
from engine import clock  # noqa: E402
from engine.models import ProcessInstance, Timer  # noqa: E402
from engine.services import portfolio  # noqa: E402
from engine.services.users import hash_password, upsert_user  # noqa: E402

MANAGER = "bench_overlay_manager"
CALLS = [("statistics", "/api/v1/manage/processes/yeji/statistics"),
         ("waiting_p1", "/api/v1/manage/processes/yeji/waiting?element=ReviewDataBureau"),
         ("page", "/manage/processes/yeji/diagram")]


def _timers(ctx) -> int:
    """A pending review-window timer for every 20th running project (those waiting on 1 October)."""
    with ctx.db.engine.begin() as conn:
        present = conn.execute(select(func.count()).select_from(Timer)
                               .where(Timer.element_id == "WaitReviewWindow")).scalar_one()
        if present:         # a database measured before (--url): its timers are there
            return present
        ids = conn.execute(select(ProcessInstance.id).where(ProcessInstance.status == "running")
                           .order_by(ProcessInstance.id)).scalars().all()[::20]
        run_at = clock.now().replace(month=10, day=1) if clock.now().month < 10 else clock.now()
        rows = [{"instance_id": i, "task_guid": str(uuid.uuid4()), "element_id": "WaitReviewWindow",
                 "title": "每年10月集中审查论证", "run_at": run_at, "state": "pending", "attempts": 0} for i in ids]
        for start in range(0, len(rows), 5000):
            conn.execute(insert(Timer.__table__), rows[start:start + 5000])
    return len(rows)


def _page_client(app, username: str):
    from benchmarks.inbox_page import browser
    return browser(app, username)


def measure(client, headers, path: str, runs: int, statements: Statements) -> tuple[list[float], int]:
    for _ in range(3):
        client.get(path, headers=headers)
    statements.count, statements.on = 0, True
    response = client.get(path, headers=headers)
    statements.on = False
    if response.status_code != 200:
        raise SystemExit(f"{path}：{response.status_code} {response.get_data(as_text=True)[:300]}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path, headers=headers)
        times.append(time.perf_counter() - started)
    return times, statements.count


def run(backend: str, projects: int, runs: int, say, url: str | None = None) -> dict:
    from web.app import create_app
    result = {"benchmark": "overlay", "backend": backend, "projects": projects, "runs": runs}
    with bench_database(backend, url) as database:
        ctx = context(database)
        try:
            data = seeded(ctx, projects, say=say)
            timers = _timers(ctx)
            if not ctx.db.is_sqlite:
                with ctx.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("ANALYZE timers")
            with ctx.db.transaction() as session:
                upsert_user(session, MANAGER, PASSWORD, ctx.registry.get("yeji"), "区数据资源管理局", ["manager"],
                            password_hash=hash_password(PASSWORD))
            started = time.perf_counter()
            portfolio.refresh_all(ctx)      # the scheduler's snapshot, which holds the diagram's counts
            result.update(tasks=data.tasks, timers=timers, summary_s=round(time.perf_counter() - started, 2))
            say(f"{backend}：{data.projects} 个项目，{data.tasks} 条任务，{timers} 个等待中的定时器；"
                f"统计快照（定时任务）{result['summary_s']} 秒；每项 {runs} 次")
            app = create_app(ctx.settings, context=ctx)
            statements = Statements(ctx.db.engine)
            clients = {"api": api(app, MANAGER), "page": _page_client(app, MANAGER)}
            say(f"{'调用':<14}{'中位数':>10}{'p95':>10}{'SQL 语句':>10}")
            for figure, path in CALLS:
                client, headers = clients["page" if figure == "page" else "api"]
                times, sent = measure(client, headers, path, runs, statements)
                record(result, figure, times, sent)
                say(f"{figure:<14}{median_ms(times):>8.1f}ms{p95_ms(times):>8.1f}ms{sent:>10}")
            if statements.bad:
                raise SystemExit("统计读取了流程状态或版本文件：\n" + "\n".join(statements.bad[:3]))
        finally:
            ctx.db.dispose()
    return result


def main() -> None:
    list_main("流程图在办统计在大数据集上的响应时间", run, "sqlite")


if __name__ == "__main__":
    main()
