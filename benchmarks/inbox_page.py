"""List pages on a large data set: the inbox of a reviewer, the 已办 tab, the overdue filter, the task
API, and the managers' lists, each the median and p95 of N requests.

    python benchmarks/inbox_page.py [--backend sqlite|postgresql] [--projects 100000] [--runs 30] [--json]

A scratch database (benchmarks/common.py) is filled by benchmarks/dataset.py (`--projects` 叶集
projects, about ten task rows each, no workflow state), then every page is requested through Flask's
test client (query, template, response: the whole request but the network), 3 times untimed, then
`--runs` times:

- inbox_p1      GET /                      signed in as bench_data_bureau_1 (区数管局; ready tasks by due date)
- inbox_p100    GET /?page=100
- done          GET /?tab=done             the 已办 tab (the reviewer's completed tasks)
- overdue       GET /?overdue=1            only overdue ready tasks
- api_tasks_p100  GET /api/v1/tasks?page=100   bearer token of the same reviewer
- instances_50  GET /api/v1/instances?per_page=50   a 叶集 manager (a page of 50 projects)
- manage        GET /manage                the managers' overview of running projects

For each page also the SQL statements it sends; the script fails if one of them reads the workflow
state (process_instances.state) or a version's files (process_versions.files): list pages must live
on the projection. The issue's target: p95 < 50 ms at 100,000 projects. With the default size the
data set takes a few minutes to write; try --projects 2000 first."""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from benchmarks.common import bench_database, context, list_main, median_ms, p95_ms, record  # noqa: E402
from benchmarks.dataset import PASSWORD, seeded  # noqa: E402
from engine.services.users import hash_password, upsert_user  # noqa: E402

MANAGER = "bench_manager"
# (figure, path, who): "browser" the reviewer's browser session, "api" the reviewer's token,
# "manager_api" / "manager_browser" the manager's
PAGES = [("inbox_p1", "/", "browser"), ("inbox_p100", "/?page=100", "browser"), ("done", "/?tab=done", "browser"),
         ("overdue", "/?overdue=1", "browser"), ("api_tasks_p100", "/api/v1/tasks?page=100", "api"),
         ("instances_50", "/api/v1/instances?per_page=50", "manager_api"), ("manage", "/manage", "manager_browser")]
FORBIDDEN = re.compile(r"process_instances\.state\b|process_versions\.files\b")


class Statements:
    """The SQL statements sent while `on`; those that read a state or a version's files."""

    def __init__(self, engine):
        self.on, self.count, self.bad = False, 0, []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if self.on and not statement.startswith("BEGIN"):
            self.count += 1
            if FORBIDDEN.search(statement):
                self.bad.append(statement[:300])


def browser(app, username: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 303:
        raise SystemExit(f"{username} 登录失败：{response.status_code}")
    return client, {}


def api(app, username: str):
    client = app.test_client()
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    if response.status_code != 200:
        raise SystemExit(f"{username} 取令牌失败：{response.status_code}")
    return client, {"Authorization": f"Bearer {response.json['token']}"}


def clients(app, reviewer: str) -> dict:
    return {"browser": browser(app, reviewer), "api": api(app, reviewer),
            "manager_browser": browser(app, MANAGER), "manager_api": api(app, MANAGER)}


def measure(client, headers: dict, path: str, runs: int, statements: Statements) -> tuple[list[float], int]:
    """(seconds of each run, statements of one request)."""
    for _ in range(3):
        client.get(path, headers=headers)
    statements.count, statements.on = 0, True
    response = client.get(path, headers=headers)
    statements.on = False
    if response.status_code != 200:
        raise SystemExit(f"{path}：{response.status_code}")
    sent = statements.count
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path}：{response.status_code}")
    return times, sent


def run(backend: str, projects: int, runs: int, say, url: str | None = None) -> dict:
    from web.app import create_app
    result = {"benchmark": "lists", "backend": backend, "projects": projects, "runs": runs}
    with bench_database(backend, url) as database:
        ctx = context(database)
        try:
            data = seeded(ctx, projects, say=say)
            with ctx.db.transaction() as session:
                upsert_user(session, MANAGER, PASSWORD, ctx.registry.get("yeji"), "区数据资源管理局", ["manager"],
                            password_hash=hash_password(PASSWORD))
            result.update(tasks=data.tasks, seed_s=round(data.seconds, 1))
            say(f"{backend}：{data.projects} 个项目，{data.tasks} 条任务（{dict(data.tasks_by_state)}），"
                f"写入 {data.seconds:.1f} 秒；每页 {runs} 次（另 3 次预热）")
            say(f"{'页面':<16}{'中位数':>10}{'p95':>10}{'SQL 语句':>10}")
            statements = Statements(ctx.db.engine)
            sessions = clients(create_app(ctx.settings, context=ctx), data.reviewer)
            for figure, path, who in PAGES:
                client, headers = sessions[who]
                times, sent = measure(client, headers, path, runs, statements)
                record(result, figure, times, sent)
                say(f"{figure:<16}{median_ms(times):>8.1f}ms{p95_ms(times):>8.1f}ms{sent:>10}")
            if statements.bad:
                raise SystemExit("列表页读取了流程状态或版本文件：\n" + "\n".join(statements.bad[:3]))
        finally:
            ctx.db.dispose()
    return result


def main() -> None:
    list_main("列表页在大数据集上的响应时间", run, "sqlite")


if __name__ == "__main__":
    main()
