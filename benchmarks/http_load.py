"""Task completions per second over HTTP: gunicorn `web.app:create_app()` with 1, 2 and 4 sync workers,
1, 4 and 8 clients.

    python benchmarks/http_load.py [--backend postgresql|sqlite] [--workers 1 2 4] [--clients 1 4 8]
        [--completions 60] [--json]

A scratch database (benchmarks/common.py: PostgreSQL beside GOVFLOW_BENCH_PG_URL, dropped afterwards;
or a temporary SQLite file) holds one 叶集 applicant and, for every run, `--completions` projects
started through the services, each waiting on 项目申报. For each number of workers a gunicorn is
started (`gunicorn --workers N 'web.app:create_app()'`, the set-up of docs/production.md) and warmed
up (each worker parses 叶集 and connects); for each number of clients that many threads, each with a
token of its own, share the run's 项目申报 tasks and complete them with
`POST /api/v1/tasks/{id}/complete` (authentication, form check, row lock, engine step up to the six
parallel reviews, projection, audit). The two documents of each task are uploaded first (untimed).
The rate is the run's completions divided by its wall time; latencies are per request. Every answer
must be 200 (201 for the uploads), else the script fails. The clients run on the same machine as
gunicorn and the database, so on a small machine they compete with them for the cores. The issue's
target (PostgreSQL): 2 workers ≥ 1.8× 1 worker at 4 clients."""
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

from sqlalchemy import select  # noqa: E402

from benchmarks.common import backend_url, context, scratch_database  # noqa: E402
from engine import clock  # noqa: E402
from engine.models import HumanTask  # noqa: E402
from engine.services import calendar_admin  # noqa: E402
from engine.services.deploy import deploy  # noqa: E402
from engine.services.runtime import start_instance  # noqa: E402
from engine.services.users import hash_password, upsert_user  # noqa: E402

USER, PASSWORD = "bench_applicant", "bench-pass-1"
DECLARE = {"construction_basis": "依据", "construction_plan": "", "budget_estimate": 300,
           "feasibility_study": "", "leader": "甲", "contact": "乙", "phone": "0564-1234567"}
DOCUMENTS = ("construction_plan", "feasibility_study")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def seed(ctx, count: int) -> list[int]:
    """叶集 deployed, the applicant, `count` projects at 项目申报: their task ids."""
    calendar_admin.install(ctx)
    with ctx.db.transaction() as session:
        deploy(ctx.runtime, session, "yeji", deployed_by="benchmark")
        user_id = upsert_user(session, USER, PASSWORD, ctx.registry.get("yeji"), "区教育局", ["applicant"],
                              password_hash=hash_password(PASSWORD)).id
    year = clock.now().astimezone(clock.SHANGHAI).year
    facts = {"project_name": "负载测试项目", "project_type": "construction", "total_investment": 300,
             "plan_year": year, "urgent": True}
    ids = [start_instance(ctx, user_id, "yeji", facts) for _ in range(count)]
    with ctx.db.transaction() as session:
        tasks = list(session.scalars(select(HumanTask.id).where(HumanTask.instance_id.in_(ids),
                                                                HumanTask.state == "ready").order_by(HumanTask.id)))
    assert len(tasks) == count, (len(tasks), count)
    return tasks


def _request(port: int, method: str, path: str, body: bytes, headers: dict) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _call(port: int, path: str, body: dict, token: str | None = None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return _request(port, "POST", path, json.dumps(body).encode(), headers)


def _upload(port: int, token: str, task_id: int, name: str) -> str:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n").encode() + PDF + name.encode() + \
        f"\r\n--{boundary}--\r\n".encode()
    status, text = _request(port, "POST", f"/api/v1/tasks/{task_id}/attachments", body, {
        "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    if status != 201:
        raise SystemExit(f"上传失败：{status} {text[:300]}")
    return str(json.loads(text)["id"])


def answers(port: int, token: str, task_id: int) -> dict:
    """项目申报's answers with its two documents uploaded for the task (untimed preparation)."""
    return {**DECLARE, **{field: _upload(port, token, task_id, field) for field in DOCUMENTS}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers_ok(port: int) -> bool:
    try:
        return _request(port, "GET", "/api/v1/openapi.json", b"", {})[0] == 200
    except OSError:
        return False


def start_gunicorn(ctx, workers: int, log) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = dict(os.environ, GOVFLOW_DATABASE_URL=ctx.settings.database_url, GOVFLOW_SECRET_KEY="benchmark-secret",
               GOVFLOW_INSTANCE_DIR=str(ctx.settings.instance_dir))
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
                             f"127.0.0.1:{port}", "--timeout", "120", "--no-control-socket", "web.app:create_app()"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if _answers_ok(port):
            return proc, port
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"gunicorn 未能启动（日志：{log.name}）")


def _token(port: int) -> str:
    status, body = _call(port, "/api/v1/auth/token", {"username": USER, "password": PASSWORD})
    if status != 200:
        raise SystemExit(f"登录失败：{status} {body[:300]}")
    return json.loads(body)["token"]


def run(port: int, clients: int, tasks: list[int]) -> tuple[float, list[float]]:
    """Complete `tasks` with `clients` threads: (wall time, latencies); fails unless every answer is 200."""
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
            status, body = _call(port, f"/api/v1/tasks/{task_id}/complete", {"data": data}, token)
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
        raise SystemExit(f"{len(failures)} 次办理未成功（应全部为 200），例如：{failures[0]}")
    return elapsed, latencies


def measure(ctx, args, say) -> dict[tuple[int, int], float]:
    """{(workers, clients): completions per second}."""
    runs = len(args.workers) * len(args.clients)
    say(f"准备 {runs} 轮 × {args.completions} 个待办（{args.backend}，{os.cpu_count()} 核）…")
    tasks = seed(ctx, runs * args.completions + sum(2 * w for w in args.workers))
    say("workers  clients  办理/秒   中位延迟   p90 延迟")
    rates = {}
    with open(Path(ctx.settings.instance_dir) / "http_load-gunicorn.log", "ab") as log:
        for workers in args.workers:
            proc, port = start_gunicorn(ctx, workers, log)
            try:
                warm, tasks = tasks[:2 * workers], tasks[2 * workers:]   # untimed: every worker parses and connects
                run(port, workers, warm)
                for clients in args.clients:
                    batch, tasks = tasks[:args.completions], tasks[args.completions:]
                    elapsed, lat = run(port, clients, batch)
                    rates[workers, clients] = len(batch) / elapsed
                    p90 = sorted(lat)[int(len(lat) * 0.9)]
                    say(f"{workers:7d}  {clients:7d}  {rates[workers, clients]:7.1f}  "
                        f"{statistics.median(lat) * 1000:7.0f} ms  {p90 * 1000:7.0f} ms")
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description="HTTP 办理吞吐量（gunicorn）")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--completions", type=int, default=60, help="每轮办理的任务数")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of the text figures")
    args = parser.parse_args()

    def say(line: str) -> None:
        if not args.json:
            print(line, flush=True)

    with scratch_database(backend_url(args.backend)) as url:
        ctx = context(url)
        try:
            rates = measure(ctx, args, say)
        finally:
            ctx.db.dispose()
    result = {"benchmark": "http", "backend": args.backend, "completions": args.completions,
              **{f"completions_per_s_w{w}_c{c}": round(r, 1) for (w, c), r in rates.items()}}
    if (1, 4) in rates and (2, 4) in rates:
        result["ratio_2w_over_1w_c4"] = round(rates[2, 4] / rates[1, 4], 2)
    if args.json:
        print(json.dumps(result))
    elif "ratio_2w_over_1w_c4" in result:
        print(f"4 个客户端：2 个 worker / 1 个 worker = {result['ratio_2w_over_1w_c4']:.2f}×"
              "（目标 ≥ 1.8×，PostgreSQL）")


if __name__ == "__main__":
    main()
