"""The managers' portfolio on a large data set: the dashboard (API and page), a table export, the
project search with several filters (API, page, CSV of a filtered search), each the median and p95
of N requests; and the scheduler's summary job once.

    python benchmarks/manage_pages.py [--backend sqlite|postgresql] [--projects 100000] [--runs 30] [--json]

A scratch database (benchmarks/common.py) is filled by benchmarks/dataset.py (`--projects` 叶集
projects, about ten task rows each, with the summary columns the steps keep: phase, investment,
预警 instants), a 叶集 manager is added, the dashboard's summary is computed once (timed:
`summary_s`, the scheduler's job every few minutes), then every call goes through Flask's test
client (query, template, response: the whole request but the network), 3 times untimed, then
`--runs` times:

- dashboard_api     GET /api/v1/manage/dashboard                 the manager's token
- dashboard_page    GET /manage                                  the manager's browser session (charts' data inline)
- table_csv         GET /api/v1/manage/dashboard/bureaus?format=csv
- search_filters    GET /api/v1/manage/instances?status=running&min_investment=100&max_investment=800
                        &overdue=1&sort=-investment               four filters and a sort
- search_waiting    GET /api/v1/manage/instances?q=智慧&waiting_at=finance&started_from=…&page=3
- search_phase      GET /api/v1/manage/instances?phase=PhaseReview&applicant_unit=教育&sort=due
- search_page       GET /manage/search?status=running&overdue=1&min_investment=500
- search_csv        GET /api/v1/manage/instances?…&format=csv     a filtered search as a file

Like the list pages, none may read a workflow state or a version's files. The dashboard's counts,
bureaus and durations come from the snapshot the scheduler computes (`summary_s` times that job once);
its overdue and 预警 lists are live. The search counts up to 1000 (X-Total-Capped beyond). The issue's
target: p95 < 50 ms at 100,000 projects on PostgreSQL for the dashboard and the searches (the CSV
files are whole exports: their time grows with their rows, and is printed for the record)."""
from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import bench_database, context, list_main, median_ms, p95_ms, record  # noqa: E402
from benchmarks.dataset import PASSWORD, seeded  # noqa: E402
from benchmarks.inbox_page import Statements, api, browser, measure  # noqa: E402
from engine import clock  # noqa: E402
from engine.services import portfolio  # noqa: E402
from engine.services.users import hash_password, upsert_user  # noqa: E402

MANAGER = "bench_manager"
TARGET_MS = 50.0


def pages(now) -> list[tuple[str, str, str]]:
    since = (now - timedelta(days=200)).astimezone(clock.SHANGHAI).date().isoformat()
    search = "/api/v1/manage/instances?status=running&min_investment=100&max_investment=800&overdue=1&sort=-investment"
    return [
        ("dashboard_api", "/api/v1/manage/dashboard", "api"),
        ("dashboard_page", "/manage", "browser"),
        ("table_csv", "/api/v1/manage/dashboard/bureaus?format=csv", "api"),
        ("search_filters", search, "api"),
        ("search_waiting", f"/api/v1/manage/instances?q=%E6%99%BA%E6%85%A7&waiting_at=finance&started_from={since}"
                           "&page=3", "api"),
        ("search_phase", "/api/v1/manage/instances?phase=PhaseReview&applicant_unit=%E6%95%99%E8%82%B2&sort=due",
         "api"),
        ("search_page", "/manage/search?status=running&overdue=1&min_investment=500", "browser"),
        ("search_csv", "/api/v1/manage/instances?status=running&overdue=1&min_investment=1500&format=csv", "api"),
    ]


def run(backend: str, projects: int, runs: int, say, url: str | None = None) -> dict:
    from web.app import create_app
    result = {"benchmark": "manage", "backend": backend, "projects": projects, "runs": runs}
    with bench_database(backend, url) as database:
        ctx = context(database)
        try:
            data = seeded(ctx, projects, say=say)
            with ctx.db.transaction() as session:
                upsert_user(session, MANAGER, PASSWORD, ctx.registry.get("yeji"), "区数据资源管理局", ["manager"],
                            password_hash=hash_password(PASSWORD))
            result.update(tasks=data.tasks, seed_s=round(data.seconds, 1))
            started = time.perf_counter()
            portfolio.refresh_all(ctx)
            result["summary_s"] = round(time.perf_counter() - started, 2)
            say(f"{backend}：{data.projects} 个项目，{data.tasks} 条任务，写入 {data.seconds:.1f} 秒；"
                f"总览汇总（定时任务）{result['summary_s']} 秒；每项 {runs} 次（另 3 次预热）")
            say(f"{'调用':<16}{'中位数':>10}{'p95':>10}{'SQL 语句':>10}  目标 p95 < {TARGET_MS:.0f} ms")
            app = create_app(ctx.settings, context=ctx)
            statements = Statements(ctx.db.engine)
            sessions = {"api": api(app, MANAGER), "browser": browser(app, MANAGER)}
            worst = 0.0
            for figure, path, who in pages(clock.now()):
                client, headers = sessions[who]
                times, sent = measure(client, headers, path, runs, statements)
                record(result, figure, times, sent)
                worst = max(worst, p95_ms(times))
                mark = "" if p95_ms(times) < TARGET_MS else "  超出目标"
                say(f"{figure:<16}{median_ms(times):>8.1f}ms{p95_ms(times):>8.1f}ms{sent:>10}{mark}")
            result["worst_p95_ms"] = round(worst, 2)
            if statements.bad:
                raise SystemExit("总览或查询读取了流程状态或版本文件：\n" + "\n".join(statements.bad[:3]))
        finally:
            ctx.db.dispose()
    return result


def main() -> None:
    list_main("项目总览与项目查询在大数据集上的响应时间", run, "postgresql")


if __name__ == "__main__":
    main()
