"""Incidents: steps that failed and wait for a person, as a serious engine keeps them (Camunda's
incidents). A script, condition, timer / dueAt / subject expression or DMN cell that fails or
exceeds its bound (engine.sandbox) fails *that step*: the user's completion (or the applicant's
start) is recorded, the workflow is saved as the failure left it — the failed task in ERROR, or not
yet reached — and an `incidents` row names the element, the error (Chinese) and when
(engine.services.projection.record_incident). Other branches, other instances and other users are
not held up.

A manager of the jurisdiction sees the instance's incidents together with the timers that gave up
(timers.py keeps those: Timer rows in state `failed`) and retries one once the designer has fixed
the diagram (a new version and a migration) or the cause is gone: the failed element is run again
(`_rerun`) and the engine goes on from there. A retry that fails again leaves the incident open with
one more attempt; one that fails further on resolves it and opens the next."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine import clock
from engine import workflow as wfx
from engine.clocks import local_iso
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.models import Incident, ProcessInstance
from engine.sandbox import EngineRun
from engine.services import calendar_admin, timers
from engine.services.context import Context
from engine.services.projection import audit, lock_instance, persist, record_incident
from engine.services.runtime import stepping

KINDS = ("step", "timer")
PHASE_LABELS = {"run": "执行", "prescript": "前置脚本", "postscript": "后置脚本", "update": "到达时计算",
                "engine": "自动步骤", "due_at": "期限（dueAt）", "subject": "事项（subject）"}


def step_dict(row: Incident, inst: ProcessInstance) -> dict:
    return {"kind": "step", "id": row.id, "instance_id": row.instance_id, "project_name": inst.project_name,
            "process": inst.process_key, "jurisdiction": row.jurisdiction, "element": row.element_id,
            "title": row.title, "phase": row.phase, "phase_label": PHASE_LABELS.get(row.phase, row.phase),
            "error": row.error, "at": local_iso(row.failed_at), "attempts": row.attempts, "state": "failed",
            "state_label": "失败（待处理）"}


def _timer_incident(item: dict) -> dict:
    """timers.timer_dict in the shape of an incident."""
    return {"kind": "timer", "id": item["id"], "instance_id": item["instance_id"],
            "project_name": item["project_name"], "process": item["process"],
            "jurisdiction": item["jurisdiction"], "element": item["element"], "title": item["title"],
            "phase": "timer", "phase_label": "定时器触发", "error": item["last_error"] or "",
            "at": item["claimed_at"] or item["run_at"], "attempts": item["attempts"], "state": item["state"],
            "state_label": item["state_label"]}


def incidents(ctx: Context, jurisdiction: str | None = None, *, include_retrying: bool = False) -> list[dict]:
    """Open incidents of running instances and failed timers (with include_retrying, also timers
    still backing off), newest first."""
    with ctx.db.transaction() as session:
        stmt = (select(Incident, ProcessInstance).join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
                .where(Incident.state == "open", ProcessInstance.status == "running"))
        if jurisdiction:
            stmt = stmt.where(Incident.jurisdiction == jurisdiction)
        steps = [step_dict(row, inst) for row, inst in session.execute(stmt.order_by(Incident.id))]
    found = steps + [_timer_incident(t) for t in timers.incidents(ctx, jurisdiction, include_retrying=include_retrying)]
    return sorted(found, key=lambda item: item["at"] or "", reverse=True)


def open_incidents(ctx: Context, instance_id: int) -> list[dict]:
    """The open step incidents of one instance."""
    with ctx.db.transaction() as session:
        inst = session.get(ProcessInstance, instance_id)
        rows = session.scalars(select(Incident).where(Incident.instance_id == instance_id, Incident.state == "open")
                               .order_by(Incident.id))
        return [step_dict(row, inst) for row in rows]


def retry(ctx: Context, kind: str, incident_id: int, *, now: datetime | None = None,
          jurisdiction: str | None = None, actor_id: int | None = None) -> dict:
    """Retry an incident (of `jurisdiction`, when given): `{kind, id, instance_id, resolved, error}`
    — `error` is the new failure when it failed again."""
    now = now or clock.now()
    if kind == "timer":
        fired = timers.retry(ctx, incident_id, now, jurisdiction, actor_id)
        failed = [f for f in fired if f.kind == "failed"]
        return {"kind": kind, "id": incident_id, "instance_id": fired[0].instance_id if fired else None,
                "resolved": not failed, "error": failed[0].detail if failed else None}
    if kind != "step":
        raise ValidationFailed(f"未知的故障类型：{kind}", errors={"kind": "应为 step 或 timer"})
    return _retry_step(ctx, incident_id, now, jurisdiction, actor_id)


def _retry_step(ctx: Context, incident_id: int, now: datetime, jurisdiction: str | None,
                actor_id: int | None) -> dict:
    with ctx.db.transaction() as session, clock.frozen_at(now):
        found = session.get(Incident, incident_id)
        if found is None or (jurisdiction and found.jurisdiction != jurisdiction):
            raise NotFound(f"故障不存在：{incident_id}")
        inst = lock_instance(session, found.instance_id)     # first: two retries serialize here
        row = session.scalars(select(Incident).where(Incident.id == incident_id)
                              .execution_options(populate_existing=True)).one()
        if row.state != "open":
            raise Conflict(f"“{row.title}”的故障已处理")
        row.state = "retrying"
        audit(session, "incident_retried", instance_id=inst.id, actor_id=actor_id, element_id=row.element_id,
              data={"incident_id": row.id, "attempts": row.attempts}, at=now)
        if inst.status == "running":
            calendar_admin.sync(ctx, session)
            version = ctx.loaded_version(session, inst.process_version_id)
            workflow = wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction))
            workflow, failure = stepping(lambda: _rerun(workflow, row))
            persist(ctx, session, inst, version, workflow, now)     # may record a dueAt failure again
            if failure is not None:
                record_incident(session, inst, failure, now, actor_id=actor_id)
        session.flush()
        resolved = row.state == "retrying"
        if resolved:
            row.state, row.resolved_at, row.resolved_by_id = "resolved", now, actor_id
        return {"kind": "step", "id": row.id, "instance_id": inst.id, "resolved": resolved,
                "error": None if resolved else row.error}


def _rerun(workflow, row: Incident):
    """Run the failed element again as its phase requires, wake what the failure left unreached,
    and run the engine on."""
    task = wfx.find_task(workflow, row.task_guid) if row.task_guid else None
    with EngineRun(workflow):
        if task is not None and task.state == wfx.TaskState.ERROR:
            if row.phase == "postscript":
                task.complete()                     # the task's own work was done: its post-script again
            elif row.phase == "prescript":
                task.task_spec._update(task)        # reached again: the pre-script, then ready
            else:
                task._set_state(wfx.TaskState.READY)    # its own work again (script, conditions, DMN)
        # A failure while a task was being reached leaves it (and its siblings) FUTURE under a
        # completed parent: reach them again.
        for waiting in workflow.get_tasks(state=wfx.TaskState.FUTURE):
            if waiting.parent is not None and waiting.parent.state == wfx.TaskState.COMPLETED:
                waiting.task_spec._update(waiting)
    wfx.run_engine(workflow)
    return workflow
