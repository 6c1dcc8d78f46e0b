"""What completing a task costs, against the floor: the same engine step plus govflow's own state
write and read.

    python benchmarks/completion.py [--backend sqlite|postgresql] [--rounds 60]

For each round a 叶集 project waits on 项目申报 (its two documents uploaded first, untimed). Measured:
- floor — the engine's own work on that very step: read the stored state (SELECT), restore the
  workflow onto the cached parsed diagram, complete the task and run the engine up to the six
  parallel reviews, serialize, write the state back (UPDATE) and commit; on a project of its own,
  so the completions below start from the same state;
- service — engine.services.runtime.complete_task (checks, row lock, form validation, attachments,
  engine step, projection, audit chain, commit);
- HTTP — POST /api/v1/tasks/{id}/complete through Flask with a bearer token (authentication, the
  service, the response), and the SQL statements it sends.
PostgreSQL runs in a scratch database beside GOVFLOW_BENCH_PG_URL (default: the local server), dropped
afterwards. Prints the figures and the ratios to the floor."""
from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, update  # noqa: E402

from benchmarks.common import StatementCounter, backend_url, context, median_ms, ms, scratch_database  # noqa: E402
from engine import workflow as wfx  # noqa: E402
from engine.models import HumanTask, ProcessInstance  # noqa: E402
from engine.services import runtime  # noqa: E402
from engine.services.deploy import deploy  # noqa: E402
from engine.services.users import hash_password, upsert_user  # noqa: E402
from web.app import create_app  # noqa: E402

FACTS = {"project_name": "基准项目", "project_type": "construction", "total_investment": 300,
         "plan_year": 2027, "urgent": True}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DECLARE = {"construction_basis": "依据", "construction_plan": "方案.pdf", "budget_estimate": 300,
           "feasibility_study": "可研.pdf", "leader": "甲", "contact": "乙", "phone": "0564-1234567"}
DOCUMENTS = ("construction_plan", "feasibility_study")


class Bench:
    def __init__(self, ctx, rounds: int):
        self.ctx = ctx
        self.rounds = rounds
        with ctx.db.transaction() as session:
            deploy(ctx.runtime, session, "yeji")
            self.user_id = upsert_user(session, "bench_applicant", "bench-pass", ctx.registry.get("yeji"), "区教育局",
                                       ["applicant"], password_hash=hash_password("bench-pass")).id
        self.app = create_app(ctx.settings, context=ctx)
        self.client = self.app.test_client()
        token = self.client.post("/api/v1/auth/token",
                                 json={"username": "bench_applicant", "password": "bench-pass"}).json["token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def waiting_task(self) -> tuple[int, int, dict]:
        """(instance id, task id, answers with the documents uploaded) of a new project."""
        instance_id = runtime.start_instance(self.ctx, self.user_id, "yeji", FACTS)
        with self.ctx.db.transaction() as session:
            task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                                HumanTask.state == "ready"))
        data = dict(DECLARE)
        for field in DOCUMENTS:
            upload = self.client.post(f"/api/v1/tasks/{task_id}/attachments", headers=self.headers,
                                      data={"file": (io.BytesIO(PDF + field.encode()), data[field])},
                                      content_type="multipart/form-data")
            data[field] = str(upload.json["id"])
        return instance_id, task_id, data

    def floor(self, instance_id: int, task_id: int, answers: dict) -> float:
        db = self.ctx.db
        with db.transaction() as session:
            guid, version_id = session.execute(
                select(HumanTask.task_guid, ProcessInstance.process_version_id)
                .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                .where(HumanTask.id == task_id)).one()
            version = self.ctx.loaded_version(session, version_id)
        helpers = self.ctx.helpers("yeji")
        started = time.perf_counter()
        with db.transaction() as session:
            state = session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == instance_id))
            workflow = wfx.loads(version, state, helpers)
            wfx.complete(workflow, wfx.find_task(workflow, guid), answers)
            session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                            .values(state=wfx.dumps(workflow)))
        return time.perf_counter() - started

    def run(self) -> dict:
        floor, service, http, statements = [], [], [], []
        counter = StatementCounter(self.ctx.db.engine)
        for _ in range(3):  # warm-up: caches filled, connections open
            self.floor(*self.waiting_task())
            _, task_id, data = self.waiting_task()
            runtime.complete_task(self.ctx, self.user_id, task_id, data)
        for _ in range(self.rounds):
            floor.append(self.floor(*self.waiting_task()))
            _, task_id, data = self.waiting_task()
            started = time.perf_counter()
            runtime.complete_task(self.ctx, self.user_id, task_id, data)
            service.append(time.perf_counter() - started)
            _, task_id, data = self.waiting_task()
            with counter.measure():
                started = time.perf_counter()
                response = self.client.post(f"/api/v1/tasks/{task_id}/complete", headers=self.headers,
                                            json={"data": data})
                http.append(time.perf_counter() - started)
            assert response.status_code == 200, response.get_data(as_text=True)
            statements.append(counter.count)
        self.last_statements = counter.statements
        self.last_body = len(response.get_data())
        return {"floor": floor, "service": service, "http": http, "statements": statements}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--show-sql", action="store_true", help="print the statements of the last completion")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of the text figures")
    args = parser.parse_args()
    with scratch_database(backend_url(args.backend)) as url:
        ctx = context(url)
        bench = Bench(ctx, args.rounds)
        figures = bench.run()
        ctx.db.dispose()
    floor = median_ms(figures["floor"])
    result = {"benchmark": "completion", "backend": args.backend, "rounds": args.rounds, "floor_ms": round(floor, 2),
              "service_ms": round(median_ms(figures["service"]), 2), "http_ms": round(median_ms(figures["http"]), 2),
              "http_over_floor": round(median_ms(figures["http"]) / floor, 2),
              "statements": max(figures["statements"]), "response_bytes": bench.last_body}
    if args.json:
        print(json.dumps(result))
        return
    print(f"database: {args.backend}, {args.rounds} rounds (叶集 项目申报 → six parallel reviews)")
    print(f"floor (read state, engine step, write state, commit): {ms(figures['floor'])}")
    print(f"service complete_task:                               {ms(figures['service'])} "
          f"({result['service_ms'] / floor:.2f}× the floor)")
    print(f"POST /api/v1/tasks/{{id}}/complete:                  {ms(figures['http'])} "
          f"({result['http_over_floor']:.2f}× the floor)")
    print(f"SQL statements per HTTP completion: {result['statements']}; response {bench.last_body} bytes")
    if args.show_sql:
        print("\n".join(f"  {line}" for line in bench.last_statements))


if __name__ == "__main__":
    main()
