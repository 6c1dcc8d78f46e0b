"""A large 叶集 data set for the list-page benchmarks: N projects (default 100,000) with about ten task
rows each (about 1,000,000), written straight into the projection tables with Core bulk inserts.

    python benchmarks/dataset.py [--projects 100000] [--backend sqlite|postgresql] [--url URL] [--json]

From another script:

    from benchmarks.dataset import seed
    data = seed(ctx, projects=2_000)      # a Dataset: counts, the users, the reviewer to sign in as

Without --url the rows go into a scratch database (benchmarks/common.py), which is dropped afterwards
(the script then measures the generator itself); with --url they are added to that database (its
schema is created or upgraded first; never point it at a database that matters).

The mix, drawn with a fixed seed (the same rows every time): 80 % of the projects running — waiting
on 项目申报, on the six parallel reviews (some of them already done), or further down the procedure
(planning, procurement, implementation, acceptance, evaluation) —, 10 % completed (every step done,
outcome `completed`), 10 % terminated during review or planning (their open tasks `cancelled`). Every
task a project went through is a row: ready at its current stage, completed before it, with the role,
lane, form and legal basis of the deployed 叶集 diagram; completed ones have `completed_by` (one of two
users of the task's role, the unit's applicant for the applicant's steps), `completed_at` and a small
answer; about 70 % have a due date, so a part of the ready ones are overdue (and flagged as the
scheduler would have). Instances carry no workflow state (`state` empty): list pages must never need
it. Units and users are made through the services: per role of 叶集 `bench_<role>_1` and `_2`
(password PASSWORD), per applicant unit `bench_applicant_<n>`."""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text  # noqa: E402

from benchmarks.common import backend_url, context, scratch_database  # noqa: E402
from engine import clock  # noqa: E402
from engine.models import HumanTask, ProcessInstance  # noqa: E402
from engine.services.deploy import deploy  # noqa: E402
from engine.services.users import hash_password, upsert_user  # noqa: E402

PASSWORD = "bench-pass-1"
REVIEWER = "bench_data_bureau_1"     # the reviewer the inbox benchmark signs in as
PROCESS = "yeji"
# The main path of yeji.bpmn, one stage after the other; the tasks of a stage are open together.
STAGES: list[tuple[str, ...]] = [
    ("Declare",),
    ("ReviewDataBureau", "ReviewExperts", "ReviewFinance", "ReviewNdrc", "ReviewCrypto", "ReviewCac"),
    ("InvestmentPlan",), ("AnnualPlan",), ("FundAllocation",), ("GovernmentApproval",), ("ProjectStart",),
    ("ServiceUnits",), ("Procurement",), ("Contract",), ("Implement",), ("SecurityCheck", "CryptoCheck"),
    ("PreliminaryAcceptance",), ("AcceptanceApplication",), ("ExpertAcceptance",), ("AcceptanceOpinion",),
    ("Payment",), ("SelfEvaluation",), ("PostEvaluation",),
]
# Where running projects wait: declaring 20 %, in review 40 %, planning 22 %, later 18 %.
RUNNING_WEIGHTS = [20, 40] + [22 / 5] * 5 + [18 / 12] * 12
# The phases the dashboard groups by (yeji.bpmn draws its stages without sub-processes; the data set
# names them as a phased procedure would): (phase id, title, the first stage of it)
PHASES = [("PhaseDeclaration", "项目申报", 0), ("PhaseReview", "联合审查论证", 1), ("PhasePlan", "计划与资金", 2),
          ("PhaseImplementation", "采购与实施", 7), ("PhaseAcceptance", "验收", 12),
          ("PhaseEvaluation", "绩效评价", 17)]
TOPICS = ("智慧教育云平台", "医保便民服务系统", "市场监管综合执法平台", "数据共享交换平台", "应急指挥调度系统",
          "智慧社区管理平台", "政务服务一网通办", "城市运行管理中心", "视频监控共享平台", "电子证照库")
ANSWERS = {"decision": "approve", "opinion": "同意，按程序推进。"}
CHUNK = 2_000                       # projects per transaction


@dataclass
class Dataset:
    projects: int = 0
    tasks: int = 0
    instances_by_status: Counter = field(default_factory=Counter)
    tasks_by_state: Counter = field(default_factory=Counter)
    overdue_ready: int = 0
    seconds: float = 0.0
    reviewer: str = REVIEWER
    password: str = PASSWORD
    users: dict[str, list[int]] = field(default_factory=dict)      # role → user ids

    def summary(self) -> dict:
        return {"projects": self.projects, "tasks": self.tasks, "seed_s": round(self.seconds, 1),
                "instances": dict(self.instances_by_status), "task_states": dict(self.tasks_by_state),
                "overdue_ready": self.overdue_ready}


@dataclass
class _Setting:
    """What every generated row refers to."""
    version_id: int
    elements: dict                  # element id → ElementInfo of the deployed version
    role_users: dict[str, list[int]]
    applicants: list[tuple[int, int]]   # (unit id, applicant user id)
    now: datetime
    instance_columns: frozenset
    next_task: int = 0


def _people(ctx, session) -> tuple[dict[str, list[int]], list[tuple[int, int]]]:
    """Two users per role of 叶集, in the unit jurisdiction.json names for it; one applicant per unit."""
    yeji = ctx.registry.get("yeji")
    digest = hash_password(PASSWORD)
    role_users: dict[str, list[int]] = {}
    for role in yeji.roles:
        if role == "applicant" or yeji.role(role).starter:   # a starter role is held by no user
            continue
        unit = yeji.units.get(role)
        unit = unit if isinstance(unit, str) else yeji.role_label(role)
        role_users[role] = [upsert_user(session, f"bench_{role}_{n}", PASSWORD, yeji, unit, [role],
                                        password_hash=digest).id for n in (1, 2)]
    applicants = []
    unit_names = yeji.units.get("applicant") or ["区教育局"]
    for n, unit in enumerate([unit_names] if isinstance(unit_names, str) else unit_names, 1):
        user = upsert_user(session, f"bench_applicant_{n}", PASSWORD, yeji, unit, ["applicant"], password_hash=digest)
        applicants.append((user.unit_id, user.id))
    role_users["applicant"] = [user_id for _unit, user_id in applicants]
    return role_users, applicants


def _setting(ctx, now: datetime) -> _Setting:
    with ctx.db.transaction() as session:
        version, _created = deploy(ctx.runtime, session, PROCESS, deployed_by="benchmark")
        loaded = ctx.loaded_version(session, version.id)
        role_users, applicants = _people(ctx, session)
        version_id = version.id
    missing = [e for stage in STAGES for e in stage if loaded.element(e) is None]
    if missing:
        raise SystemExit(f"yeji.bpmn 中没有这些用户任务：{', '.join(missing)}")
    return _Setting(version_id, loaded.elements, role_users, applicants, now,
                    frozenset(c.name for c in ProcessInstance.__table__.columns))


def _shape(rng: random.Random) -> tuple[str, int]:
    """(status, the stage it stopped at or waits on)."""
    draw = rng.random()
    if draw < 0.10:
        return "completed", len(STAGES) - 1
    if draw < 0.20:
        return "terminated", rng.randint(1, 5)
    return "running", rng.choices(range(len(STAGES)), weights=RUNNING_WEIGHTS)[0]


def phase_of_stage(index: int) -> tuple[str, str]:
    return next((key, title) for key, title, first in reversed(PHASES) if index >= first)


def _task(s: _Setting, rng: random.Random, inst: dict, element_id: str, started: datetime, *,
          done_by: datetime | None, state: str, stage: int = 0) -> dict:
    """One task row; `done_by`: the latest it can have been completed (None: not completed)."""
    info = s.elements[element_id]
    phase, phase_title = phase_of_stage(stage)
    s.next_task += 1
    due = started + timedelta(days=rng.randint(10, 45)) if rng.random() < 0.7 else None
    completed = state == "completed"
    completed_at = started + (done_by - started) * rng.uniform(0.05, 1) if completed else None
    if info.role == "applicant":
        completed_by = inst["started_by_id"]
    else:
        completed_by = rng.choice(s.role_users.get(info.role) or [inst["started_by_id"]])
    overdue = state == "ready" and due is not None and due < s.now
    return dict(instance_id=inst["id"], task_guid=str(uuid.UUID(int=s.next_task)), element_id=element_id,
                title=info.title, role_key=info.role or "admin", lane=info.lane, jurisdiction="yeji",
                process_key=PROCESS, project_name=inst["project_name"], applicant_unit_id=inst["applicant_unit_id"],
                form=info.properties.get("form"), legal_basis=info.properties.get("legalBasis"), state=state,
                created_at=started, due_at=due, due_provisional=rng.random() < 0.05,
                warn_at=started + (due - started) * 0.8 if due else None,   # calendar time: synthetic rows
                phase=phase, phase_title=phase_title,
                overdue_notified_at=due + timedelta(hours=1) if overdue else None,
                completed_by_id=completed_by if completed else None, completed_at=completed_at,
                data=dict(ANSWERS) if completed else None)


def _stage_states(rng: random.Random, status: str, stage: tuple[str, ...], current: bool) -> list[str]:
    """The states of a stage's tasks: all completed before the current stage; at it, ready (some of
    a parallel stage already completed) while running, cancelled when terminated."""
    if not current or status == "completed":
        return ["completed"] * len(stage)
    open_state = "ready" if status == "running" else "cancelled"
    states = [open_state if rng.random() < 0.6 else "completed" for _ in stage]
    if open_state not in states:
        states[rng.randrange(len(states))] = open_state
    return states


def _project(s: _Setting, rng: random.Random, number: int, instance_id: int) -> tuple[dict, list[dict]]:
    status, last = _shape(rng)
    spans = [timedelta(days=rng.uniform(2, 25)) for _ in STAGES]
    reached = sum(spans[:last], timedelta())
    if status == "running":
        created = s.now - reached - timedelta(days=rng.uniform(0.1, 60))
    else:
        created = s.now - reached - spans[last] - timedelta(days=rng.uniform(1, 700))
    unit_id, applicant_id = rng.choice(s.applicants)
    name = f"叶集区{rng.choice(TOPICS)}（第{number}号）"
    inst = dict(id=instance_id, process_version_id=s.version_id, process_key=PROCESS, jurisdiction="yeji",
                project_name=name, applicant_unit_id=unit_id, started_by_id=applicant_id, status=status,
                outcome=None if status == "running" else status, facts={
                    "project_name": name, "project_type": "construction", "plan_year": created.year + 1,
                    "total_investment": rng.randint(20, 2000), "urgent": rng.random() < 0.3},
                state="", serializer_version="bench", lock_version=0, created_at=created)
    tasks, started = [], created
    for index, stage in enumerate(STAGES[:last + 1]):
        current = index == last
        done_by = s.now if current and status == "running" else started + spans[index]
        for element_id, state in zip(stage, _stage_states(rng, status, stage, current), strict=True):
            tasks.append(_task(s, rng, inst, element_id, started, done_by=done_by, state=state, stage=index))
        started += spans[index]
    _summarize(s, inst, tasks, status, started)
    phase, title = phase_of_stage(last)
    entered = min(t["created_at"] for t in tasks if t["phase"] == phase)
    portfolio = {"investment": inst["facts"]["total_investment"], "phase": phase, "phase_title": title,
                 "phase_since": entered}
    inst.update({k: v for k, v in portfolio.items() if k in s.instance_columns})
    return inst, tasks


def _summarize(s: _Setting, inst: dict, tasks: list[dict], status: str, ended: datetime) -> None:
    """The instance's summary columns (those the model has): open tasks, earliest due, end."""
    ready = [t for t in tasks if t["state"] == "ready"]
    dues = [t["due_at"] for t in ready if t["due_at"] is not None]
    extra = {"open_tasks": len(ready), "earliest_due_at": min(dues) if dues else None,
             "ended_at": None if status == "running" else min(ended, s.now), "outcome_reason": None}
    inst["updated_at"] = max([inst["created_at"], *(t["completed_at"] or t["created_at"] for t in tasks)])
    inst.update({k: v for k, v in extra.items() if k in s.instance_columns})


def _first_id(ctx) -> int:
    with ctx.db.transaction() as session:
        return (session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1


def _after(ctx) -> None:
    """The state a live database is in once autovacuum has passed: statistics gathered and, on
    PostgreSQL, the visibility map set (VACUUM), so counts can be index-only scans as they are in
    steady use; and the id sequence past the explicit ids."""
    if ctx.db.is_sqlite:
        with ctx.db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        return
    with ctx.db.engine.begin() as conn:
        conn.execute(text("SELECT setval(pg_get_serial_sequence('process_instances', 'id'), "
                          "(SELECT max(id) FROM process_instances))"))
    with ctx.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE process_instances"))
        conn.execute(text("VACUUM ANALYZE human_tasks"))


def seed(ctx, projects: int = 100_000, *, random_seed: int = 16, now: datetime | None = None,
         say=None) -> Dataset:
    """Add `projects` generated 叶集 projects and their task rows to ctx's database (叶集 deployed and
    the bench users made first, if they are not yet); returns what was written."""
    started = time.perf_counter()
    s = _setting(ctx, now or clock.now())
    rng = random.Random(random_seed)
    data = Dataset(users=s.role_users)
    first = _first_id(ctx)
    instances_table, tasks_table = ProcessInstance.__table__, HumanTask.__table__
    for start in range(0, projects, CHUNK):
        rows, task_rows = [], []
        for n in range(start, min(start + CHUNK, projects)):
            inst, tasks = _project(s, rng, n + 1, first + n)
            rows.append(inst)
            task_rows.extend(tasks)
        with ctx.db.engine.begin() as conn:
            conn.execute(insert(instances_table), rows)
            conn.execute(insert(tasks_table), task_rows)
        data.projects += len(rows)
        data.tasks += len(task_rows)
        data.instances_by_status.update(r["status"] for r in rows)
        data.tasks_by_state.update(t["state"] for t in task_rows)
        data.overdue_ready += sum(t["overdue_notified_at"] is not None for t in task_rows)
        if say and (start // CHUNK) % 10 == 9:
            say(f"  {data.projects} 个项目，{data.tasks} 条任务…")
    _after(ctx)
    data.seconds = time.perf_counter() - started
    return data


def seeded(ctx, projects: int, *, say=None) -> Dataset:
    """The data set on ctx's database: what is missing of `projects` seeded (all of it in a fresh
    database), what is there counted (a database prepared by `--url`, measured again)."""
    with ctx.db.transaction() as session:
        present = session.scalar(select(func.count()).select_from(ProcessInstance)) or 0
    if present < projects:
        return seed(ctx, projects - present, say=say)
    with ctx.db.transaction() as session:
        data = Dataset(projects=present)
        data.tasks = session.scalar(select(func.count()).select_from(HumanTask)) or 0
        data.instances_by_status.update(dict(session.execute(
            select(ProcessInstance.status, func.count()).group_by(ProcessInstance.status)).all()))
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description="生成叶集大数据集（项目与任务投影行）")
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="add the rows to this database instead of a scratch one")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of the text figures")
    args = parser.parse_args()
    say = None if args.json else (lambda line: print(line, flush=True))
    if args.url:
        ctx = context(args.url)
        data = seed(ctx, args.projects, say=say)
        ctx.db.dispose()
    else:
        with scratch_database(backend_url(args.backend)) as url:
            ctx = context(url)
            data = seed(ctx, args.projects, say=say)
            ctx.db.dispose()
    result = {"benchmark": "dataset", "backend": "url" if args.url else args.backend, **data.summary()}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"{data.projects} 个项目（{dict(data.instances_by_status)}），{data.tasks} 条任务"
          f"（{dict(data.tasks_by_state)}；已逾期待办 {data.overdue_ready}），用时 {data.seconds:.1f} 秒"
          f"（{data.tasks / data.seconds:.0f} 条任务/秒）")
    print(f"审查人员：{data.reviewer} / {data.password}")


if __name__ == "__main__":
    main()
