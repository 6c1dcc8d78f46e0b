"""How long the inbox page (GET /) takes for a signed-in reviewer with 10,000 open tasks.

    python benchmarks/inbox_page.py                  # SQLite, in a temporary folder
    GOVFLOW_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python benchmarks/inbox_page.py

With a PostgreSQL URL the script creates a scratch database on that server (govflow_bench_…) and drops
it afterwards; it never writes into the database the URL names. The tasks are seeded by direct inserts
into the projection tables (one instance row per task, no workflow state): the page must never need
more than the projection. Besides the ready tasks, as many completed ones are seeded as history.
Times are wall-clock for the whole request through Flask (query, template, response), median of N runs
after a warm-up."""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import clock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.migrate import upgrade  # noqa: E402
from engine.models import HumanTask, ProcessInstance  # noqa: E402
from engine.services.context import Context  # noqa: E402
from engine.services.deploy import deploy  # noqa: E402
from engine.services.users import upsert_user  # noqa: E402

PASSWORD = "bench-pass-1"
REVIEW_STEPS = [("ReviewDataBureau", "区数管局：规划科学性、资源共享性审查", "data_bureau"),
                ("ReviewFinance", "区财政局：概算合理性审查", "finance"),
                ("ReviewNdrc", "区发改委：建设可行性审查", "ndrc")]
VARIANTS = [("待办，按到期时间", "/"), ("待办，最新在前", "/?sort=new"), ("第 250 页", "/?page=250"),
            ("项目名称搜索", "/?q=第4321号"), ("只看已逾期", "/?overdue=1"), ("已办", "/?tab=done")]


def scratch_database(url: str):
    """(database url, cleanup) — a fresh PostgreSQL database beside the one `url` names."""
    name = f"govflow_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name, drop


def seed(ctx: Context, count: int) -> None:
    now = clock.now()
    with ctx.db.transaction() as session:
        version, _created = deploy(session, "yeji", deployed_by="benchmark")
        reviewer = upsert_user(session, "bench_reviewer", PASSWORD, "yeji", "区数据资源管理局", ["data_bureau"])
        applicant = upsert_user(session, "bench_applicant", PASSWORD, "yeji", "区教育局", ["applicant"])
        version_id, reviewer_id, applicant_id, unit_id = version.id, reviewer.id, applicant.id, applicant.unit_id
    chunk = 1000
    for start in range(0, 2 * count, chunk):
        ids = range(start + 1, min(start + chunk, 2 * count) + 1)
        instances, tasks = [], []
        for i in ids:
            created = now - timedelta(hours=i % 2000)
            name = f"叶集区政务信息化项目第{i}号"
            instances.append(dict(id=i, process_version_id=version_id, process_key="yeji", jurisdiction="yeji",
                                  project_name=name, applicant_unit_id=unit_id, started_by_id=applicant_id,
                                  status="running", facts={}, state="", serializer_version="bench",
                                  lock_version=0, created_at=created, updated_at=created))
            ready = i <= count
            element, title, role = REVIEW_STEPS[0] if ready else REVIEW_STEPS[i % len(REVIEW_STEPS)]
            tasks.append(dict(instance_id=i, task_guid=str(uuid.UUID(int=i)), element_id=element, title=title,
                              role_key=role, lane=role, jurisdiction="yeji", process_key="yeji",
                              project_name=name, applicant_unit_id=unit_id, form="common/review",
                              legal_basis="第七条", state="ready" if ready else "completed", created_at=created,
                              due_at=None if i % 7 == 0 else now + timedelta(days=(i % 90) - 15),
                              due_provisional=i % 11 == 0,
                              completed_by_id=None if ready else reviewer_id,
                              completed_at=None if ready else created + timedelta(hours=3),
                              data=None if ready else {"decision": "approve"}))
        with ctx.db.transaction() as session:
            session.execute(insert(ProcessInstance), instances)
            session.execute(insert(HumanTask), tasks)
    if not ctx.db.is_sqlite:
        with ctx.db.transaction() as session:  # what autovacuum would soon do on a live server
            session.execute(text("ANALYZE human_tasks"))


def signed_in_client(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "bench_reviewer", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, "sign-in failed"
    return client


def measure(client, path: str, runs: int) -> list[float]:
    for _ in range(3):
        client.get(path)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


def run(database_url: str, count: int, runs: int) -> None:
    from web.app import create_app
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=database_url, secret_key="benchmark", timezone=ZoneInfo("Asia/Shanghai"),
                            instance_dir=Path(folder), upload_dir=Path(folder) / "uploads")
        ctx = Context.from_settings(settings)
        try:
            upgrade(ctx.db)
            started = time.perf_counter()
            seed(ctx, count)
            print(f"数据库：{ctx.db.engine.dialect.name}；已写入 {count} 条待办任务和 {count} 条已办任务，"
                  f"用时 {time.perf_counter() - started:.1f} 秒")
            client = signed_in_client(create_app(settings, context=ctx))
            total = re.search(r"共 <strong>(\d+)</strong> 项", client.get("/").get_data(as_text=True)).group(1)
            print(f"审查人员（区数管局）待办共 {total} 项；每种页面请求 {runs} 次（另有 3 次预热）")
            print(f"{'页面':<14}{'中位数':>10}{'P90':>10}{'最快':>10}")
            for label, path in VARIANTS:
                times = sorted(measure(client, path, runs))
                p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
                print(f"{label:<14}{statistics.median(times):>8.1f}ms{p90:>8.1f}ms{times[0]:>8.1f}ms")
        finally:
            ctx.db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description="收件箱页面在一万条待办下的响应时间")
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    url = os.environ.get("GOVFLOW_DATABASE_URL", "")
    if url.startswith("postgresql"):
        scratch, drop = scratch_database(url)
        try:
            run(scratch, args.tasks, args.runs)
        finally:
            drop()
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/bench.sqlite3", args.tasks, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
