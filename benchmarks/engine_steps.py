"""Measures the 叶集 procedure through the real stack and prints the figures:
parse of a deployed version, starting an instance, completing a task through the REST API, and the
size of the stored state. Uses GOVFLOW_DATABASE_URL (default: a fresh SQLite file in a temp dir;
point it only at a scratch database: it creates the schema and rows there).

    python benchmarks/engine_steps.py [--rounds 50]
"""
from __future__ import annotations

import argparse
import gzip
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from engine import workflow as wfx  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.migrate import upgrade  # noqa: E402
from engine.models import ProcessInstance  # noqa: E402
from engine.services import runtime  # noqa: E402
from engine.services.context import Context  # noqa: E402
from engine.services.deploy import bundle_for, deploy  # noqa: E402
from engine.services.users import hash_password, upsert_user  # noqa: E402
from web.app import create_app  # noqa: E402

FACTS = {"project_name": "基准项目", "project_type": "construction", "total_investment": 300,
         "plan_year": 2027, "urgent": True}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DECLARE = {"construction_basis": "依据", "construction_plan": "方案.pdf", "budget_estimate": 300,
           "feasibility_study": "可研.pdf", "leader": "甲", "contact": "乙", "phone": "0564-1234567"}


def ms(samples: list[float]) -> str:
    p90 = sorted(samples)[int(len(samples) * .9)]
    return f"median {statistics.median(samples) * 1000:.2f} ms, p90 {p90 * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    os.environ.setdefault("GOVFLOW_INSTANCE_DIR", tmp)
    os.environ.setdefault("GOVFLOW_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    settings = Settings.from_env()
    ctx = Context.from_settings(settings)
    upgrade(ctx.db)
    print(f"database: {ctx.db.engine.dialect.name}")

    files = bundle_for("yeji")
    parse = []
    for _ in range(10):
        t = time.perf_counter()
        wfx.load_version("yeji", files)
        parse.append(time.perf_counter() - t)
    print(f"parse + validate yeji.bpmn (62 elements): {ms(parse)}")

    pw = hash_password("bench-pass")
    with ctx.db.transaction() as session:
        deploy(session, "yeji")
        user = upsert_user(session, "bench_applicant", "bench-pass", "yeji", "基准单位", ["applicant"],
                           password_hash=pw)
        user_id = user.id
    starts, ids = [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        ids.append(runtime.start_instance(ctx, user_id, "yeji", FACTS))
        starts.append(time.perf_counter() - t)
    print(f"start instance (service, incl. commit): {ms(starts)}")

    app = create_app(settings, context=ctx)
    client = app.test_client()
    credentials = {"username": "bench_applicant", "password": "bench-pass"}
    token = client.post("/api/v1/auth/token", json=credentials).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    tasks = client.get(f"/api/v1/tasks?per_page={args.rounds}", headers=headers).json
    completes = []
    for task in tasks:
        data = dict(DECLARE)
        for field in ("construction_plan", "feasibility_study"):  # the documents, uploaded first (not timed)
            upload = client.post(f"/api/v1/tasks/{task['id']}/attachments", headers=headers,
                                 data={"file": (io.BytesIO(PDF + field.encode()), data[field])},
                                 content_type="multipart/form-data")
            data[field] = str(upload.json["id"])
        t = time.perf_counter()
        response = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=headers, json={"data": data})
        completes.append(time.perf_counter() - t)
        assert response.status_code == 200, response.json
    print(f"complete a task via POST /api/v1/tasks/{{id}}/complete (6 parallel reviews open after it): {ms(completes)}")

    with ctx.db.transaction() as session:
        state = session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == ids[0]))
    print(f"stored state after declaration: {len(state.encode()) / 1024:.1f} KB "
          f"({len(gzip.compress(state.encode())) / 1024:.1f} KB gzipped); specs stored once per version")
    ctx.db.dispose()


if __name__ == "__main__":
    main()
