"""Task completions per second over HTTP: gunicorn with 1, 2 and 4 workers, 1 to 8 clients, PostgreSQL.

    python benchmarks/http_load.py [--workers 1 2 4] [--clients 1 2 4 8] [--completions 60]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

A fresh database (created beside --pg-url's, dropped afterwards) holds one 叶集 applicant and, for
every run, `--completions` projects started through the services, each waiting on 项目申报. For each
number of workers a gunicorn (`gunicorn -w N 'web.app:create_app()'`, sync workers) is started; for
each number of clients that many threads, each with a token of its own, share the run's 项目申报
tasks and complete them with `POST /api/v1/tasks/{id}/complete` (form check, row lock, load, run the
engine up to the six parallel reviews, save state and projection, audit). The two documents of each
task are uploaded first (untimed). The rate is the run's completions divided by its wall time;
latencies are per request. Every answer must be 200. The clients run on the same machine as gunicorn
and PostgreSQL, so on a small machine they compete with them for the cores. Not part of the test
suite."""
from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

USER, PASSWORD = "bench_applicant", "bench-pass-1"
DECLARE = {"construction_basis": "依据", "construction_plan": "", "budget_estimate": 300,
           "feasibility_study": "", "leader": "甲", "contact": "乙", "phone": "0564-1234567"}


def _context(url: str):
    os.environ["GOVFLOW_DATABASE_URL"] = url
    from engine.config import Settings
    from engine.services.context import Context
    return Context.from_settings(Settings.from_env())


def seed(url: str, count: int) -> list[int]:
    """Schema, 叶集 deployed, the applicant, `count` projects at 项目申报: their task ids."""
    from sqlalchemy import select

    from engine import clock
    from engine.migrate import upgrade
    from engine.models import HumanTask
    from engine.services import calendar_admin
    from engine.services.deploy import deploy
    from engine.services.runtime import start_instance
    from engine.services.users import upsert_user

    ctx = _context(url)
    upgrade(ctx.db)
    calendar_admin.install(ctx)
    with ctx.db.transaction() as session:
        deploy(ctx.runtime, session, "yeji")
        user_id = upsert_user(session, USER, PASSWORD, ctx.registry.get("yeji"), "区教育局", ["applicant"]).id
    year = clock.now().astimezone(clock.SHANGHAI).year
    facts = {"project_name": "负载测试项目", "project_type": "construction", "total_investment": 300,
             "plan_year": year, "urgent": True}
    ids = [start_instance(ctx, user_id, "yeji", facts) for _ in range(count)]
    with ctx.db.transaction() as session:
        tasks = list(session.scalars(select(HumanTask.id).where(HumanTask.instance_id.in_(ids),
                                                                HumanTask.state == "ready").order_by(HumanTask.id)))
    ctx.db.dispose()
    assert len(tasks) == count
    return tasks


def _call(port: int, method: str, path: str, body: dict, token: str | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=json.dumps(body).encode(), headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _upload(port: int, token: str, task_id: int, name: str) -> str:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n").encode() + PDF + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", f"/api/v1/tasks/{task_id}/attachments", body=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
        resp = conn.getresponse()
        text_ = resp.read().decode("utf-8", "replace")
    finally:
        conn.close()
    if resp.status == 404 and "code" not in json.loads(text_):
        return f"{name}.pdf"       # a build without the upload route: it takes file names
    if resp.status != 201:
        raise SystemExit(f"上传失败：{resp.status} {text_}")
    return str(json.loads(text_)["id"])


def answers(port: int, token: str, task_id: int) -> dict:
    """项目申报's answers with its two documents uploaded for the task (untimed preparation)."""
    return {**DECLARE, **{field: _upload(port, token, task_id, field)
                          for field in ("construction_plan", "feasibility_study")}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, workers: int, log) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = dict(os.environ, GOVFLOW_DATABASE_URL=url, GOVFLOW_SECRET_KEY="benchmark-secret")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
                             f"127.0.0.1:{port}", "--no-control-socket", "web.app:create_app()"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/openapi.json")
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn 未能启动")


def _token(port: int) -> str:
    status, body = _call(port, "POST", "/api/v1/auth/token", {"username": USER, "password": PASSWORD})
    if status != 200:
        raise SystemExit(f"登录失败：{status} {body}")
    return json.loads(body)["token"]


def run(port: int, clients: int, tasks: list[int]) -> tuple[float, list[float]]:
    tokens = [_token(port) for _ in range(clients)]
    work: queue.Queue = queue.Queue()
    for task_id in tasks:
        work.put((task_id, answers(port, tokens[0], task_id)))
    latencies: list[float] = []
    failures: list[str] = []

    def client(token: str) -> None:
        while True:
            try:
                task_id, data = work.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            status, body = _call(port, "POST", f"/api/v1/tasks/{task_id}/complete", {"data": data}, token)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                failures.append(f"{status} {body[:200]}")

    threads = [threading.Thread(target=client, args=(t,)) for t in tokens]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} 次办理未成功，例如：{failures[0]}")
    return elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description="HTTP 办理吞吐量（gunicorn + PostgreSQL）")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--completions", type=int, default=60, help="每轮办理的任务数")
    parser.add_argument("--pg-url", default=os.environ.get("GOVFLOW_TEST_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    os.environ.setdefault("GOVFLOW_INSTANCE_DIR", "/tmp/govflow-benchmark")
    name = f"govflow_bench_http_{uuid.uuid4().hex[:8]}"
    url = args.pg_url.rsplit("/", 1)[0] + "/" + name
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    log_path = Path(os.environ["GOVFLOW_INSTANCE_DIR"]) / "http_load-gunicorn.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        runs = len(args.workers) * len(args.clients)
        print(f"准备 {runs} 轮 × {args.completions} 个待办（PostgreSQL，{os.cpu_count()} 核）…", flush=True)
        warmups = [2 * w for w in args.workers]     # untimed: each worker parses 叶集 and connects first
        tasks = seed(url, runs * args.completions + sum(warmups))
        print("workers  clients  办理/秒   中位延迟   p90 延迟", flush=True)
        with open(log_path, "ab") as log:
            for workers in args.workers:
                proc, port = start_gunicorn(url, workers, log)
                try:
                    warm, tasks = tasks[:2 * workers], tasks[2 * workers:]
                    run(port, workers, warm)
                    for clients in args.clients:
                        batch, tasks = tasks[:args.completions], tasks[args.completions:]
                        elapsed, lat = run(port, clients, batch)
                        p90 = sorted(lat)[int(len(lat) * 0.9)]
                        print(f"{workers:7d}  {clients:7d}  {len(batch) / elapsed:7.1f}  "
                              f"{statistics.median(lat) * 1000:7.0f} ms  {p90 * 1000:7.0f} ms", flush=True)
                finally:
                    proc.terminate()
                    proc.wait(timeout=30)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
