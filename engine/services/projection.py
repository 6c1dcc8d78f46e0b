"""After every engine step: save the serialized state and bring the inbox projection, the timer
rows and the instance status in line with it — all in the caller's transaction, so a crash never
leaves state and projection disagreeing."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached, undefer

from engine import steps_passed
from engine import workflow as wfx
from engine.clocks import due_at_value, due_in, paused_clock_due
from engine.errors import ScriptError
from engine.models import AuditEvent, HumanTask, Incident, ProcessInstance, Timer, Unit
from engine.sandbox import StepFailed
from engine.services import audit as audit_chain
from engine.services import notices, notifications, orders
from engine.services.context import Context

log = logging.getLogger("govflow.incidents")


def audit(session: Session, event: str, *, instance_id=None, actor_id=None, element_id=None,
          human_task_id=None, data=None, at: datetime) -> AuditEvent:
    """An audit row, appended to the hash chain when the transaction commits (engine/services/audit.py)."""
    return audit_chain.append(session, event, instance_id=instance_id, actor_id=actor_id, element_id=element_id,
                              human_task_id=human_task_id, data=data, at=at)


def due_for(ctx: Context, session, inst: ProcessInstance, version, workflow, task, info: wfx.ElementInfo,
            now: datetime):
    props = info.properties
    if props.get("dueAt"):
        try:
            value = workflow.script_engine.evaluate(task, props["dueAt"])
        except ScriptError as exc:
            raise StepFailed(info.element_id, info.title, f"dueAt 计算失败：{getattr(exc, 'reason', exc.detail)}",
                             task_guid=str(task.id), phase="due_at") from exc
        return due_at_value(value, ctx.calendar(inst.jurisdiction))
    if props.get("dueIn") and props.get("clock"):
        return paused_clock_due(props["dueIn"], now, ctx.calendar(inst.jurisdiction),
                                _earlier_rounds(session, inst.id, version, props["clock"]))
    if props.get("dueIn"):
        return due_in(props["dueIn"], now, ctx.calendar(inst.jurisdiction))
    return None, False


def _earlier_rounds(session, instance_id: int, version, clock_name: str) -> list[tuple]:
    """(ready, completed, decision) of the instance's completed tasks on the clock, newest first."""
    elements = [e.element_id for e in version.elements.values() if e.properties.get("clock") == clock_name]
    rows = session.execute(select(HumanTask.created_at, HumanTask.completed_at, HumanTask.data)
                           .where(HumanTask.instance_id == instance_id, HumanTask.state == "completed",
                                  HumanTask.element_id.in_(elements))
                           .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()))
    return [(ready, done, (data or {}).get("decision")) for ready, done, data in rows]


def _subject(workflow, task, info: wfx.ElementInfo) -> str:
    """The title, followed by the value of the optional `subject` expression (the matter a reused
    call activity decides: 领导班子集体研究 — 招标文件)."""
    expression = info.properties.get("subject")
    if not expression:
        return info.title
    try:
        value = workflow.script_engine.evaluate(task, expression)
    except ScriptError as exc:
        raise StepFailed(info.element_id, info.title, f"subject 计算失败：{getattr(exc, 'reason', exc.detail)}",
                         task_guid=str(task.id), phase="subject") from exc
    return f"{info.title}（{value}）"[:200] if value else info.title


def _sync_tasks(ctx: Context, session, inst: ProcessInstance, version, workflow, now,
                ready_rows: list[HumanTask] | None = None) -> tuple[list[HumanTask], list[HumanTask]]:
    """(created, still open) task rows. `ready_rows`: the instance's open (ready or suspended) rows as
    the caller read them under the instance lock (saves reading them again)."""
    open_states = ("ready", "suspended")
    if ready_rows is None:
        ready_rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id,
                                                             HumanTask.state.in_(open_states)))
    existing = {row.task_guid: row for row in ready_rows if row.state in open_states}
    held = orders.steps_held(inst)      # a held project or step (services/orders.py), read from the row
    ready_guids, created = set(), []
    for task in wfx.ready_user_tasks(workflow):
        guid = str(task.id)
        ready_guids.add(guid)
        if guid in existing:
            continue
        info = version.element(task.task_spec.name)
        try:
            due_at, provisional = due_for(ctx, session, inst, version, workflow, task, info, now)
            title = _subject(workflow, task, info)
        except StepFailed as failure:
            # The task waits, unoffered, with an incident; a retry creates its row (engine.services.incidents).
            record_incident(session, inst, failure, now)
            continue
        phase, phase_title = phase_of(version, task)
        role_key = orders.acting_role(ctx, session, inst, info.role)
        state, held_since = orders.created_state(inst, held, info.element_id, now)
        row = HumanTask(instance_id=inst.id, task_guid=guid, element_id=info.element_id,
                        title=title,
                        role_key=role_key, lane=info.lane, scope_unit_id=_scope_unit(ctx, session, inst, role_key),
                        jurisdiction=inst.jurisdiction,
                        process_key=inst.process_key, project_name=inst.project_name,
                        applicant_unit_id=inst.applicant_unit_id, form=info.properties.get("form"),
                        legal_basis=info.properties.get("legalBasis"), state=state, created_at=now,
                        held_since=held_since, phase=phase, phase_title=phase_title)
        row.set_due(due_at, provisional, notices.warning_at(ctx, inst.jurisdiction, now, due_at))
        created.append(row)
    _insert_tasks(session, created)
    for guid, row in existing.items():
        if guid not in ready_guids:
            row.state = "cancelled"
            audit(session, "task_cancelled", instance_id=inst.id, element_id=row.element_id,
                  human_task_id=row.id, at=now)
    return created, [row for guid, row in existing.items() if guid in ready_guids]


def _scope_unit(ctx: Context, session, inst: ProcessInstance, role_key: str) -> int | None:
    """The unit a role with `unit_from` is held in for this project: the unit named by that fact of
    the project (made when no one of it has signed in yet); None for every other role, or when the
    project does not name one (the applicant's unit, HumanTask.role_unit_id)."""
    role = ctx.registry.get(inst.jurisdiction).role(role_key)
    name = (inst.facts or {}).get(role.unit_from) if role is not None and role.unit_from else None
    if not isinstance(name, str) or not name.strip():
        return None
    named = select(Unit.id).where(Unit.jurisdiction == inst.jurisdiction, Unit.name == name.strip())
    unit_id = session.scalar(named)
    if unit_id is None:
        # two projects naming the same new unit at once: one INSERT wins, the other finds its row
        audit_chain.insert_or_ignore(session, Unit.__table__, {"jurisdiction": inst.jurisdiction, "name": name.strip()})
        unit_id = session.scalar(named)
    return unit_id


def phase_of(version, task) -> tuple[str | None, str | None]:
    """(id, title) of the phase a task belongs to: the sub-process (or call activity) of the top-level
    diagram it runs inside, however deep (a reused 集体研究 inside 立项审批 belongs to 立项审批); none
    for a task of the top level itself."""
    workflow, phase = task.workflow, None
    top = getattr(workflow, "top_workflow", None)
    while top is not None and getattr(workflow, "parent_task_id", None) is not None:
        parent = top.get_task_from_id(workflow.parent_task_id)
        phase, workflow = parent.task_spec.name, parent.workflow
    if phase is None:
        return None, None
    info = version.element(phase)
    return phase, (info.title if info else phase)[:200]


_TASK_COLUMNS = [c.key for c in HumanTask.__table__.columns if c.key != "id"]


def _insert_tasks(session, rows: list[HumanTask]) -> None:
    """Add the new task rows, in one INSERT: the unit of work batches them on PostgreSQL, but on SQLite
    it inserts rows with database-made ids one by one (it cannot tell which returned id is whose), so
    there they go out in one INSERT … RETURNING id, task_guid (a task's guid is unique) and join the
    session as the rows they now are."""
    if len(rows) < 2 or session.get_bind().dialect.name != "sqlite":
        session.add_all(rows)
        return
    values = [{key: getattr(row, key) for key in _TASK_COLUMNS} for row in rows]
    returned = session.execute(insert(HumanTask).returning(HumanTask.id, HumanTask.task_guid), values)
    ids = {guid: task_id for task_id, guid in returned}
    for row, row_values in zip(rows, values, strict=True):
        for key, value in row_values.items():
            setattr(row, key, value)   # every column loaded, so reading one later queries nothing
        row.id = ids[row.task_guid]
        make_transient_to_detached(row)
        session.add(row)


def record_incident(session: Session, inst: ProcessInstance, failure: StepFailed, now: datetime,
                    actor_id: int | None = None) -> Incident:
    """The step `failure` names failed and the instance waits there: open an incident (or count one
    more failure of the open one at that element and phase) in the caller's transaction; the
    jurisdiction's managers hear of a new one."""
    row = session.scalar(select(Incident).where(
        Incident.instance_id == inst.id, Incident.state.in_(("open", "retrying")),
        Incident.element_id == failure.element_id, Incident.phase == failure.phase))
    error = failure.detail[:4000]
    log.warning("流程步骤故障（项目 %s）：%s", inst.id, error)
    if row is None:
        row = Incident(instance_id=inst.id, jurisdiction=inst.jurisdiction, element_id=failure.element_id,
                       title=failure.title[:200], task_guid=failure.task_guid, phase=failure.phase, error=error,
                       state="open", attempts=1, created_at=now, failed_at=now)
        session.add(row)
        session.flush()
        notifications.notify(session, notifications.managers(session, inst.jurisdiction), kind="step_incident",
                             title=f"流程故障：{failure.title}"[:300], now=now, instance_id=inst.id,
                             body=f"项目“{inst.project_name}”（编号 {inst.id}）停在“{failure.title}”：{error}。"
                                  "请在“故障”页面查看，修正流程后重试。")
    else:
        row.state, row.error, row.failed_at, row.attempts = "open", error, now, row.attempts + 1
        row.task_guid = failure.task_guid or row.task_guid
    audit(session, "step_failed", instance_id=inst.id, actor_id=actor_id, element_id=failure.element_id,
          data={"incident_id": row.id, "title": failure.title, "phase": failure.phase, "error": error}, at=now)
    return row


def _sync_timers(session, inst: ProcessInstance, workflow, now, had_timers: bool = True) -> list[Timer]:
    """The timer rows in line with the workflow; answers those still waiting. `had_timers=False`: the
    caller saw the workflow wait on no timer before its step, so it has no timer rows to read."""
    pending = {t["task_guid"]: t for t in wfx.pending_timers(workflow)}
    open_states = ("pending", "failed", "paused")
    # (the states as this transaction left them: a row it fired is no longer open, flushed or not)
    rows = {row.task_guid: row for row in session.scalars(
        select(Timer).where(Timer.instance_id == inst.id, Timer.state.in_(open_states)))
        if row.state in open_states} if had_timers or pending else {}
    waiting = []
    for guid, info in pending.items():
        row = rows.get(guid)
        if row is None:
            row = Timer(instance_id=inst.id, task_guid=guid, element_id=info["element_id"],
                        title=info["title"], run_at=info["fires_at"],
                        state="paused" if inst.suspended_at is not None else "pending")
            session.add(row)
        elif row.run_at != info["fires_at"] and row.state == "pending":
            row.run_at = info["fires_at"]  # a cycle timer moved on to its next occurrence
        waiting.append(row)
    for guid, row in rows.items():
        if guid not in pending:
            row.state = "done"
            row.fired_at = row.fired_at or now
    return sorted(waiting, key=lambda r: r.run_at)


def _finish(ctx: Context, session, inst: ProcessInstance, version, workflow, now) -> None:
    ends = wfx.reached_end_events(workflow)
    last = ends[-1] if ends else None
    outcome = "completed"
    reason = None
    if last is not None:
        info = version.element(last.task_spec.name)
        outcome = (info.properties.get("outcome") if info else None) or "completed"
        reason = last.data.get("outcome_reason") or (last.data.get("comment") if outcome != "completed" else None)
    inst.status = "completed" if outcome == "completed" else "terminated"
    inst.outcome = outcome
    inst.outcome_reason = reason
    inst.ended_at = now
    label = ctx.registry.get(inst.jurisdiction).outcome_label(outcome)
    audit(session, "instance_ended", instance_id=inst.id, element_id=last.task_spec.name if last else None,
          data={"outcome": outcome, "outcome_label": label, "reason": reason}, at=now)


def _parent_effects(ctx: Context, session, inst: ProcessInstance, version, workflow, now) -> None:
    """Orders that act (engine/services/orders.py): the side process passed an element naming an
    effect on its project (`parentEffect` suspend / resume / terminate / hold / release, e.g. 叶集
    第二十六条 暂停项目建设, 宿迁 第三十六条 暂缓拨付建设资金及运维经费); a side process that ends releases
    the holds it still has on the project."""
    if not inst.parent_instance_id:
        return
    for task, info, effect in orders.pending_effects(version, workflow):
        orders.mark_applied(task, now)
        parent = lock_instance(session, inst.parent_instance_id)
        actor = orders.decided_by(session, inst.id)
        reason = orders.reason_of(task, info)
        cause = {"child_instance_id": inst.id, "process": inst.process_key, "element": info.element_id}
        if effect == orders.TERMINATE:
            if parent.status == "running":
                terminate(ctx, session, parent, info.properties.get("parentOutcome") or "terminated", reason, now,
                          actor_id=actor, cause={**cause, "order": info.title})
        elif effect == orders.SUSPEND:
            orders.suspend(session, parent, order=info.title, reason=reason, now=now, by_instance_id=inst.id,
                           actor_id=actor, cause=cause)
        elif effect == orders.HOLD:
            orders.hold(ctx, session, parent, steps=orders.steps_named(info), order=info.title, reason=reason,
                        now=now, by_instance_id=inst.id, actor_id=actor, cause=cause)
        elif effect == orders.RELEASE:
            orders.release(ctx, session, parent, by_instance_id=inst.id, steps=orders.steps_named(info) or None,
                           order=info.title, reason=reason, now=now, actor_id=actor, cause=cause)
        else:
            orders.resume(ctx, session, parent, order=info.title, reason=reason, now=now, actor_id=actor,
                          cause=cause)
    if (workflow.is_completed() or inst.status != "running") and orders.places_holds(version):
        _release_at_end(ctx, session, inst, now)


def _own_orders(ctx: Context, session, inst: ProcessInstance, version, workflow, now) -> None:
    """The project's own orders on its own steps (`holdSteps` / `releaseSteps`, engine/services/orders.py:
    宿迁 第三十六条 运维 暂缓拨付), applied before the step's task rows are made: a task of a held step the
    same step makes ready is created held."""
    for task, info, effect, steps in orders.pending_own_orders(version, workflow):
        orders.mark_applied(task, now)
        if inst.status != "running":
            continue
        actor = orders.decided_by(session, inst.id)
        reason = orders.reason_of(task, info)
        cause = {"element": info.element_id, "own": True}
        if effect == orders.HOLD:
            orders.hold(ctx, session, inst, steps=steps, order=info.title, reason=reason, now=now,
                        by_instance_id=inst.id, actor_id=actor, cause=cause)
        else:
            orders.release(ctx, session, inst, by_instance_id=inst.id, steps=steps, order=info.title,
                           reason=reason, now=now, actor_id=actor, cause=cause, workflow=workflow)


def _release_at_end(ctx: Context, session, inst: ProcessInstance, now) -> None:
    """A side process that ends (at an end event without `release`, ended by a manager, or ending its
    project) takes its remaining holds with it."""
    parent = lock_instance(session, inst.parent_instance_id)
    if not any(entry.get("by_instance_id") == inst.id for entry in parent.holds or ()):
        return
    pdef = ctx.registry.get(inst.jurisdiction).processes.get(inst.process_key)
    name = pdef.name if pdef else inst.process_key
    orders.release(ctx, session, parent, by_instance_id=inst.id, order=f"“{name}”已结束",
                   reason=inst.outcome_reason, now=now, actor_id=orders.decided_by(session, inst.id),
                   cause={"child_instance_id": inst.id, "process": inst.process_key, "at_end": True})


def lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                    .values(lock_version=ProcessInstance.lock_version + 1))
    inst = session.scalars(select(ProcessInstance).where(ProcessInstance.id == instance_id)
                           .options(undefer(ProcessInstance.state))
                           .execution_options(populate_existing=True)).one()
    audit_chain.holds_lock(session, instance_id)
    return inst


def terminate(ctx: Context, session: Session, inst: ProcessInstance, outcome: str, reason: str | None, now,
              actor_id: int | None = None, cause: dict | None = None) -> None:
    """End a running instance from outside (a supervising process, a manager): its open tasks are
    cancelled, its timers dropped, and it keeps the outcome and reason given."""
    version = ctx.loaded_version(session, inst.process_version_id)
    workflow = wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction))
    inst.status, inst.outcome, inst.outcome_reason, inst.ended_at = "terminated", outcome, reason, now
    orders.clear(inst)
    workflow.cancel()
    persist(ctx, session, inst, version, workflow, now)
    label = ctx.registry.get(inst.jurisdiction).outcome_label(outcome)
    audit(session, "instance_terminated", instance_id=inst.id, actor_id=actor_id,
          data={"outcome": outcome, "outcome_label": label, "reason": reason, **(cause or {})}, at=now)


@dataclass(frozen=True)
class Synced:
    """What a step left: the task rows it created, every ready task row, the timer rows waiting."""

    created: list[HumanTask]
    ready: list[HumanTask]
    waiting: list[Timer]


def persist(ctx: Context, session: Session, inst: ProcessInstance, version: wfx.LoadedVersion, workflow, now,
            ready_rows: list[HumanTask] | None = None, flush: bool = True, had_timers: bool = True,
            step: AuditEvent | None = None) -> Synced:
    """Save the workflow and sync everything derived from it. `ready_rows`: the instance's ready task
    rows, when the caller read them under the instance lock; `had_timers=False`: the workflow waited
    on no timer before the step; `flush=False` leaves the writes to the commit (one flush: the audit
    rows go out already chained, engine.services.audit). `step`: the audit row of what moved the
    workflow (a completion, a start, a timer): the automatic steps the engine then went through are
    recorded in its data (`passed`, engine.steps_passed) — in a row of their own when there is none."""
    _record_passed(session, inst, workflow, now, step)
    with session.no_autoflush:   # a due date's query must not flush half-made rows one by one
        if orders.orders_own_steps(version):
            _own_orders(ctx, session, inst, version, workflow, now)
        created, kept = _sync_tasks(ctx, session, inst, version, workflow, now, ready_rows)
        waiting = _sync_timers(session, inst, workflow, now, had_timers)
    _parent_effects(ctx, session, inst, version, workflow, now)
    _publish_standing(ctx, inst, workflow)
    inst.state = wfx.dumps(workflow)
    inst.serializer_version = wfx.SERIALIZER_VERSION
    inst.updated_at = now
    if workflow.is_completed() and inst.status == "running":
        _finish(ctx, session, inst, version, workflow, now)
    ready = [row for row in kept + created if row.state == "ready"]
    inst.set_waiting(ready)
    if flush:
        session.flush()
    return Synced(created, kept + created, waiting if inst.status == "running" else [])


def _publish_standing(ctx: Context, inst: ProcessInstance, workflow) -> None:
    """The project's standing as a system (engine/services/systems.py): the values of the workflow data
    its process declares in `standing`, written only when they change (a column of the UPDATE the step
    makes of this row anyway, no statement more)."""
    pdef = ctx.registry.get(inst.jurisdiction).processes.get(inst.process_key)
    names = pdef.standing if pdef is not None else ()
    if names:
        standing = wfx.published(workflow, names)
        if standing != (inst.standing or {}):
            inst.standing = standing


def _record_passed(session: Session, inst: ProcessInstance, workflow, now, step: AuditEvent | None) -> None:
    passed = steps_passed.take(workflow)
    if not passed:
        return
    if step is not None:
        audit_chain.extend(step, passed=passed)   # folded into the step's own row: no statement more
    else:
        audit(session, "steps_passed", instance_id=inst.id, data={"passed": passed}, at=now)


def refresh_waiting(session: Session, instance_ids) -> None:
    """ProcessInstance.set_waiting from the task rows, for instances whose tasks changed outside a step
    (a due date recomputed when a calendar year was imported)."""
    ids = sorted(set(instance_ids))
    if not ids:
        return
    ready = (HumanTask.instance_id == ProcessInstance.id) & (HumanTask.state == "ready")
    session.execute(update(ProcessInstance).where(ProcessInstance.id.in_(ids)).values(
        open_tasks=select(func.count(HumanTask.id)).where(ready).scalar_subquery(),
        earliest_due_at=select(func.min(HumanTask.due_at)).where(ready).scalar_subquery()),
        execution_options={"synchronize_session": False})
