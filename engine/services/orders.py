"""Orders that act: a side process's decision takes effect on the project it belongs to.

An element of a side process (an end event or an intermediate throw event) carries the property
`parentEffect` — `suspend` (暂缓安排投资计划, 暂停项目建设), `resume` (恢复建设), `terminate` (终止项目,
with `parentOutcome` as the project's outcome; an end event with `parentOutcome` alone terminates
too), `hold` or `release` (暂缓拨付建设资金及运维经费, with `parentSteps`). When the side process passes that
element, engine/services/projection.persist applies the effect in the same transaction (each passage
once: the task is marked in its internal data).

- **suspend**: the project's ready tasks become `suspended` (they leave the inboxes; completing one is
  refused with 409 naming the order, who decided it and since when), its pending timers `paused` (the
  scheduler does not fire them, so statutory clocks stop); the instance keeps `status` running with
  `suspended_at`, `suspended_by_instance_id`, `suspended_by_id`, `suspension_order`, `suspension_reason`.
- **resume**: the tasks are ready again with the time paused added to their due dates, and so are
  the timers' deadlines (in the workflow's state and in their rows). A working-day clock (`dueIn` in
  `wd`, a `dueAt` or timer expression counting `add_workdays`) is moved by the working days the
  suspension took (held over 国庆, it loses none), any other clock by the time held
  (engine/clocks.extended); each held user task's data gets `held_workdays` added, for a post-script
  that measures lateness itself (九江 第二十七条: `workdays_late(prep_due) - held_workdays`).
- **hold** (宿迁 第三十六条 暂缓拨付建设资金及运维经费): only the steps `parentSteps` names stop — the project
  runs on. Their ready tasks become `suspended` with `held_since` (their clocks stop then), a task of
  theirs that becomes ready later is created so (projection._sync_tasks reads the holds from the
  instance row: no statement more on a completion), and completing one is refused with 409 naming the
  order. The holds live on the instance, `holds` [{steps, order, reason, since, by_instance_id, by_id}];
  several may hold one step.
- **release**: the holds the side process placed end (those on `parentSteps` only, when given). A step
  no hold is left on is free: its tasks are ready, each clock later by the time it stood still (from
  `held_since`, the same `clocks.extended` as a resumption). A suspended project keeps them suspended;
  resuming it frees the tasks no hold is on, and a held task's clock then counts from the earlier of
  its hold and the suspension. A side process that ends releases whatever it still holds
  (projection._release_at_end).
- **A project's own order on its own steps** (宿迁 第三十六条 in 运维: the yearly loop's 通报批评、暂缓拨付
  holds that cycle's `ArrangeOpsFunds` while the 整改 goes on): an intermediate throw event of the
  project's own diagram carrying `holdSteps` holds those user tasks of the same diagram, one carrying
  `releaseSteps` releases them — the same holds, placed by the project itself (`by_instance_id` its
  own id), applied by projection.persist before the step's task rows are made (a task of a held step
  that the same step makes ready is created held).
- A manager may suspend and resume a project too (`suspend_instance`, `resume_instance`).

Every suspension and resumption is an audit row of the project (`instance_suspended`,
`instance_resumed`), and so is every hold and release (`steps_held`, `steps_released`); termination
keeps `instance_terminated` (engine/services/projection.terminate).

An order may also weigh on the unit beyond the project (叶集 第二十七条: 下一年度相应压缩其申报项目支出预算规模):
a user task carrying `unitRecord` (a name, `budget_cut`) keeps its answers as a record about the
project's applicant unit; every later project the unit starts sees them in `unit_records`
({name: [answers + instance_id, recorded_at, project_name]}) — see `unit_records`."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import clock, clocks, policy
from engine import workflow as wfx
from engine.clocks import local_iso
from engine.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from engine.models import HumanTask, ProcessInstance, Timer, User
from engine.services import audit as audit_chain
from engine.services.context import Context
from engine.services.deploy import latest_version
from engine.workflow import TaskState

HELD_WORKDAYS = "held_workdays"   # added to a held user task's data: the working days it was held

SUSPEND, RESUME, TERMINATE, HOLD, RELEASE = "suspend", "resume", "terminate", "hold", "release"
EFFECTS = (SUSPEND, RESUME, TERMINATE, HOLD, RELEASE)
APPLIED = "govflow_parent_effect_applied"
EFFECT_LABELS = {SUSPEND: "暂停", RESUME: "恢复", TERMINATE: "终止", HOLD: "暂缓办理", RELEASE: "解除暂缓"}
STEPS = "parentSteps"      # the steps of the project a `hold` (or a partial `release`) names
RECORD = "unitRecord"


def effect_of(info: wfx.ElementInfo | None) -> str | None:
    """The effect on the parent an element names (`parentEffect`, or `parentOutcome` on an end event)."""
    if info is None:
        return None
    effect = (info.properties.get("parentEffect") or "").strip()
    if effect in EFFECTS:
        return effect
    return TERMINATE if info.kind == "EndEvent" and info.properties.get("parentOutcome") else None


def steps_named(info: wfx.ElementInfo, name: str = STEPS) -> list[str]:
    """The element ids an element's `parentSteps` (or `name`: `holdSteps`, `releaseSteps`) names, in order."""
    return list(dict.fromkeys(part.strip() for part in (info.properties.get(name) or "").split(",")
                              if part.strip()))


OWN_HOLD, OWN_RELEASE = "holdSteps", "releaseSteps"   # an element's order on steps of its own diagram


def own_steps(info: wfx.ElementInfo | None) -> tuple[str, list[str]] | None:
    """(HOLD or RELEASE, the element ids) of an element ordering steps of its own diagram, else None."""
    if info is None:
        return None
    for name, effect in ((OWN_HOLD, HOLD), (OWN_RELEASE, RELEASE)):
        steps = steps_named(info, name)
        if steps:
            return effect, steps
    return None


def orders_own_steps(version: wfx.LoadedVersion) -> bool:
    """Whether the diagram holds or releases steps of its own (read once per loaded version)."""
    found = version.__dict__.get("_orders_own_steps")
    if found is None:
        found = version.__dict__["_orders_own_steps"] = any(own_steps(i) for i in version.elements.values())
    return found


def pending_own_orders(version: wfx.LoadedVersion, workflow) -> list[tuple]:
    """(task, element info, effect, steps) of each `holdSteps` / `releaseSteps` element the workflow
    passed and whose order was not applied yet, in the order they were passed."""
    return [(task, info, *order) for task, info, order in _passed_unapplied(version, workflow, own_steps)]


def places_holds(version: wfx.LoadedVersion) -> bool:
    """Whether a side process's diagram has an element that holds steps of its project."""
    return any(effect_of(info) == HOLD for info in version.elements.values())


def pending_effects(version: wfx.LoadedVersion, workflow) -> list[tuple]:
    """(task, element info, effect) of each element with an effect on the parent the workflow passed
    and whose effect was not applied yet, in the order they were passed; each is marked applied."""
    return _passed_unapplied(version, workflow, effect_of)


def _passed_unapplied(version: wfx.LoadedVersion, workflow, order_of) -> list[tuple]:
    """(task, element info, order_of(info)) of each completed task whose element orders something
    (`order_of` answers it) and whose order was not applied yet, in the order they were passed."""
    found = []
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        info = version.element(task.task_spec.name)
        order = order_of(info)
        if order and not task.internal_data.get(APPLIED):
            found.append((task, info, order))
    found.sort(key=lambda item: item[0].last_state_change)
    return found


def mark_applied(task, now: datetime) -> None:
    task.internal_data[APPLIED] = now.isoformat()


def decided_by(session: Session, instance_id: int) -> int | None:
    """Who completed the side process's latest task (the one whose decision reached the order)."""
    return session.scalar(select(HumanTask.completed_by_id).where(
        HumanTask.instance_id == instance_id, HumanTask.state == "completed")
        .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()).limit(1))


def reason_of(task, info: wfx.ElementInfo) -> str:
    data = task.data or {}
    return str(data.get("outcome_reason") or data.get("comment") or info.title)


def _audit(session: Session, event: str, inst: ProcessInstance, now: datetime, actor_id: int | None, data: dict):
    audit_chain.append(session, event, instance_id=inst.id, actor_id=actor_id, data=data, at=now)


def suspend(session: Session, inst: ProcessInstance, *, order: str, reason: str | None, now: datetime,
            by_instance_id: int | None = None, actor_id: int | None = None, cause: dict | None = None) -> bool:
    """Hold a running project (its row locked by the caller): tasks `suspended`, timers `paused`.
    A project already suspended stays so since the first order; the newer order is recorded."""
    if inst.status != "running":
        return False
    already = inst.suspended_at is not None
    if not already:
        inst.suspended_at = now
        session.execute(update(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.state == "ready")
                        .values(state="suspended"))
        session.execute(update(Timer).where(Timer.instance_id == inst.id, Timer.state == "pending")
                        .values(state="paused"))
        inst.set_waiting([])   # it waits on no one while held
    inst.suspended_by_instance_id, inst.suspended_by_id = by_instance_id, actor_id
    inst.suspension_order, inst.suspension_reason = order[:200], reason
    _audit(session, "instance_suspended", inst, now, actor_id,
           {"title": order, "order": order, "reason": reason, "already_suspended": already,
            "since": inst.suspended_at, **(cause or {})})
    return True


def resume(ctx: Context, session: Session, inst: ProcessInstance, *, order: str, reason: str | None,
           now: datetime, actor_id: int | None = None, cause: dict | None = None) -> bool:
    """Release a suspended project (its row locked by the caller): its tasks ready again and its timers
    pending, every due date and deadline later by the time it was held. A task of a step an order
    still holds (`hold`) stays `suspended`, its clock stopped since the suspension began."""
    if inst.status != "running" or inst.suspended_at is None:
        return False
    paused = max(now - inst.suspended_at, timedelta(0))
    since, cal = inst.suspended_at, ctx.calendar(inst.jurisdiction)
    version = ctx.loaded_version(session, inst.process_version_id)
    held_steps = steps_held(inst)
    rows = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id,
                                                        HumanTask.state == "suspended")))
    released = [row for row in rows if row.element_id not in held_steps]
    for row in rows:
        if row.element_id in held_steps:
            row.held_since = row.held_since or since
    workflow = wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction))
    _free(ctx, inst, version, workflow, released, since, now)
    wfx.shift_timers(workflow, lambda deadline, expression: clocks.extended(
        deadline, clocks.timer_unit(expression), since, now, cal))
    deadlines = {t["task_guid"]: t["fires_at"] for t in wfx.pending_timers(workflow)}
    inst.state = wfx.dumps(workflow)
    for row in session.scalars(select(Timer).where(Timer.instance_id == inst.id, Timer.state == "paused")):
        row.state = "pending"
        row.run_at = deadlines.get(row.task_guid, row.run_at + paused)
    inst.set_waiting(released)
    _audit(session, "instance_resumed", inst, now, actor_id,
           {"title": order, "order": order, "reason": reason, "suspended_at": since,
            "suspended_order": inst.suspension_order, "paused_seconds": int(paused.total_seconds()),
            "paused_days": round(paused.total_seconds() / 86400, 2),
            "paused_workdays": clocks.held_workdays(since, now, cal), **(cause or {})})
    inst.suspended_at = inst.suspended_by_instance_id = inst.suspended_by_id = None
    inst.suspension_order = inst.suspension_reason = None
    inst.updated_at = now
    return True


def _free(ctx: Context, inst: ProcessInstance, version: wfx.LoadedVersion, workflow, rows: list[HumanTask],
          since: datetime | None, now: datetime) -> None:
    """The held task rows `rows` ready again, each clock later by the time the task stood still (from
    its `held_since`, else `since`: the project's suspension), by working days for a working-day clock;
    the workflow task's data gets the working days added (`held_workdays`, for a post-script that
    measures lateness itself, 九江 第二十七条). The caller saves the workflow."""
    cal = ctx.calendar(inst.jurisdiction)
    tasks = {str(task.id): task for task in wfx.ready_user_tasks(workflow)}
    for row in rows:
        start = row.held_since or since or now
        row.state, row.held_since = "ready", None
        if row.due_at is not None:
            info = version.element(row.element_id)
            unit = clocks.unit_of(info.properties if info else {})
            row.due_at = clocks.extended(row.due_at, unit, start, now, cal)
            row.warn_at = clocks.extended(row.warn_at, unit, start, now, cal) if row.warn_at is not None else None
            if row.overdue_notified_at is not None and row.due_at >= now:
                row.overdue_notified_at = None      # no longer overdue: flag it again when it is
        task = tasks.get(row.task_guid)
        if task is not None:
            task.data[HELD_WORKDAYS] = int(task.data.get(HELD_WORKDAYS) or 0) + clocks.held_workdays(start, now, cal)


# --- holds on named steps (宿迁 第三十六条 暂缓拨付建设资金及运维经费) ---------------------------------------

def steps_held(inst: ProcessInstance) -> set[str]:
    """The element ids of the project's steps some order holds now (read from the row: no statement)."""
    return {step for entry in inst.holds or () for step in entry.get("steps") or ()}


def created_state(inst: ProcessInstance, held: set[str], element_id: str, now: datetime
                  ) -> tuple[str, datetime | None]:
    """(state, held_since) of a task row made now: `suspended` in a suspended project or for a held
    step (its clock stopped from now), else `ready`."""
    if element_id in held:
        return "suspended", now
    return ("suspended" if inst.suspended_at is not None else "ready"), None


def _titles(ctx: Context, session: Session, inst: ProcessInstance, steps) -> list[str]:
    version = ctx.loaded_version(session, inst.process_version_id)
    return [version.element(step).title if version.element(step) else step for step in steps]


def _titled(order: str, titles: list[str]) -> str:
    return f"{order}（" + "、".join(f"“{t}”" for t in titles) + "）"


def _open_rows(session: Session, inst: ProcessInstance) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id,
                                                        HumanTask.state.in_(("ready", "suspended")))))


def hold(ctx: Context, session: Session, inst: ProcessInstance, *, steps: list[str], order: str,
         reason: str | None, now: datetime, by_instance_id: int | None = None, actor_id: int | None = None,
         cause: dict | None = None) -> bool:
    """Hold the named steps of a running project (its row locked by the caller): their ready tasks
    become `suspended` with their clocks stopped, and a task of theirs that becomes ready later is made
    so (engine/services/projection.py); the rest of the project runs on. Several orders may hold the
    same step; one side process holding again adds the steps to its hold (since the first)."""
    if inst.status != "running" or not steps:
        return False
    holds = [dict(entry) for entry in inst.holds or ()]
    mine = next((entry for entry in holds if by_instance_id is not None
                 and entry.get("by_instance_id") == by_instance_id), None)
    if mine is not None:
        mine["steps"] = list(dict.fromkeys([*mine["steps"], *steps]))
    else:
        holds.append({"steps": list(steps), "order": order[:200], "reason": reason, "since": now.isoformat(),
                      "by_instance_id": by_instance_id, "by_id": actor_id})
    inst.holds = holds
    rows = _open_rows(session, inst)
    held = [row for row in rows if row.state == "ready" and row.element_id in steps]
    for row in held:
        row.state, row.held_since = "suspended", now
    inst.set_waiting([row for row in rows if row.state == "ready"])
    inst.updated_at = now
    titles = _titles(ctx, session, inst, steps)
    _audit(session, "steps_held", inst, now, actor_id,
           {"title": _titled(order, titles), "order": order, "reason": reason,
            "steps": list(steps), "step_titles": titles, "held_tasks": [row.id for row in held],
            "already_held": mine is not None, **(cause or {})})
    return True


def release(ctx: Context, session: Session, inst: ProcessInstance, *, by_instance_id: int,
            steps: list[str] | None = None, order: str, reason: str | None, now: datetime,
            actor_id: int | None = None, cause: dict | None = None, workflow=None) -> bool:
    """Release the holds the side process `by_instance_id` placed on the project (only on `steps` when
    given). A step no other order holds is free again: its tasks are ready (unless the whole project
    is suspended: its resumption frees them), each due date and 预警 later by the time it was held.
    `workflow`: the project's workflow a step of its own is running (the project releasing its own
    hold): the freed tasks' data is written there, and the caller saves it."""
    released, kept, since = [], [], None
    for entry in inst.holds or ():
        if entry.get("by_instance_id") != by_instance_id:
            kept.append(entry)
            continue
        remaining = [s for s in entry["steps"] if steps and s not in steps]
        released += [s for s in entry["steps"] if s not in remaining]
        since = since or entry.get("since")
        if remaining:
            kept.append({**entry, "steps": remaining})
    if not released:
        return False
    inst.holds = kept or None
    free = set(released) - steps_held(inst)
    freed: list[HumanTask] = []
    if inst.status == "running" and free and inst.suspended_at is None:
        rows = _open_rows(session, inst)
        freed = [row for row in rows if row.state == "suspended" and row.element_id in free]
        if freed:
            version = ctx.loaded_version(session, inst.process_version_id)
            live = workflow if workflow is not None else wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction))
            _free(ctx, inst, version, live, freed, None, now)
            if workflow is None:
                inst.state = wfx.dumps(live)
        inst.set_waiting([row for row in rows if row.state == "ready"])
    inst.updated_at = now
    titles = _titles(ctx, session, inst, released)
    started = datetime.fromisoformat(since) if since else now
    _audit(session, "steps_released", inst, now, actor_id,
           {"title": _titled(order, titles), "order": order, "reason": reason,
            "steps": released, "step_titles": titles, "held_since": since,
            "held_days": round(max(now - started, timedelta(0)).total_seconds() / 86400, 2),
            "released_tasks": [row.id for row in freed],
            "still_held": sorted(set(released) - free), **(cause or {})})
    return True


def clear(inst: ProcessInstance) -> None:
    """A project that ends is no longer suspended nor held (its history keeps both)."""
    inst.suspended_at = inst.suspended_by_instance_id = inst.suspended_by_id = None
    inst.suspension_order = inst.suspension_reason = None
    inst.holds = None


def acting_role(ctx: Context, session: Session, inst: ProcessInstance, role: str | None) -> str:
    """The role a task of lane role `role` goes to: the role itself, or for a `starter` role (jurisdiction
    roles) the role the instance's starter holds among the process's `startable_by` (a bureau role first)."""
    if not role:
        return "admin"
    jurisdiction = ctx.registry.get(inst.jurisdiction)
    declared = jurisdiction.role(role)
    if not (declared and declared.starter):
        return role
    starter = session.get(User, inst.started_by_id)
    pdef = jurisdiction.processes.get(inst.process_key)
    held = [r for r in (pdef.startable_by if pdef else ()) if starter and r in starter.role_keys]
    held.sort(key=lambda r: r in jurisdiction.unit_roles)
    return held[0] if held else role


# --- what people see --------------------------------------------------------------------------------

def _who(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return f"{user.unit.name} {user.display_name}" if user else None


def _source(ctx: Context, session: Session, inst: ProcessInstance, by_instance_id: int | None,
            by_id: int | None) -> dict:
    """{by, by_unit, by_instance_id, by_process, by_process_name}: who decided an order, in which side process."""
    user = session.get(User, by_id) if by_id else None
    child = session.get(ProcessInstance, by_instance_id) if by_instance_id else None
    processes = ctx.registry.get(inst.jurisdiction).processes
    return {"by": user.display_name if user else None, "by_unit": user.unit.name if user else None,
            "by_instance_id": child.id if child else None, "by_process": child.process_key if child else None,
            "by_process_name": processes[child.process_key].name
            if child and child.process_key in processes else None}


def suspension_of(ctx: Context, session: Session, inst: ProcessInstance) -> dict | None:
    """{order, reason, since, by, by_unit, by_instance_id, by_process, by_process_name} of a suspended
    running project, else None."""
    if inst.suspended_at is None or inst.status != "running":
        return None
    return {"state": "suspended", "state_label": "已暂停", "order": inst.suspension_order,
            "reason": inst.suspension_reason, "since": local_iso(inst.suspended_at),
            **_source(ctx, session, inst, inst.suspended_by_instance_id, inst.suspended_by_id)}


def holds_of(ctx: Context, session: Session, inst: ProcessInstance) -> list[dict]:
    """The orders holding steps of a running project, oldest first: {state "held", steps, step_titles,
    order, reason, since, by, by_unit, by_instance_id, by_process, by_process_name}."""
    if inst.status != "running" or not inst.holds:
        return []
    return [{"state": "held", "state_label": "暂缓办理", "steps": list(entry["steps"]),
             "step_titles": _titles(ctx, session, inst, entry["steps"]), "order": entry.get("order"),
             "reason": entry.get("reason"), "since": local_iso(datetime.fromisoformat(entry["since"])),
             **_source(ctx, session, inst, entry.get("by_instance_id"), entry.get("by_id"))}
            for entry in inst.holds]


def _when(moment: datetime) -> str:
    local = moment.astimezone(clock.SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _cited(info: dict) -> str:
    """（宿迁市…限期整改，编号 N；市数据局 张三决定）: the side process and who decided, when known."""
    source = "；".join(filter(None, [
        f"{info['by_process_name']}，编号 {info['by_instance_id']}" if info.get("by_instance_id") else None,
        f"{info['by_unit']} {info['by']}决定" if info.get("by") else None]))
    return f"（{source}）" if source else ""


def refusal(ctx: Context, session: Session, row: HumanTask) -> str:
    """Why a suspended task cannot be done: which order, by whom, since when — the project's
    suspension, or the hold on its step."""
    inst = session.get(ProcessInstance, row.instance_id)
    holding_it = [h for h in holds_of(ctx, session, inst) if row.element_id in h["steps"]]
    if inst.suspended_at is None and holding_it:
        first = holding_it[0]
        reason = f"：{first['reason']}" if first.get("reason") else ""
        return (f"项目“{inst.project_name}”的“{row.title}”已依“{first.get('order') or '暂缓办理'}”{_cited(first)}"
                f"于{_when(datetime.fromisoformat(first['since']))}起暂缓办理{reason}。解除前不能办理。")
    info = suspension_of(ctx, session, inst) or {}
    when = _when(inst.suspended_at) if inst.suspended_at else ""
    reason = f"：{info['reason']}" if info.get("reason") else ""
    return (f"项目“{inst.project_name}”已于{when}依“{info.get('order') or '暂停'}”暂停"
            f"{_cited(info)}{reason}。恢复前不能办理“{row.title}”。")


# --- a manager's action -----------------------------------------------------------------------------

def _managed(session: Session, user_id: int, instance_id: int) -> tuple[User, ProcessInstance]:
    user = session.get(User, user_id)
    inst = session.get(ProcessInstance, instance_id)
    if inst is None or not policy.in_jurisdiction(user, inst.jurisdiction):
        raise NotFound(f"项目不存在：{instance_id}")
    if not policy.can_manage(user, inst.jurisdiction):
        raise PermissionDenied("只有管理者可以暂停或恢复项目")
    session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                    .values(lock_version=ProcessInstance.lock_version + 1))
    session.refresh(inst)
    if inst.status != "running":
        raise Conflict(f"项目“{inst.project_name}”已结束")
    return user, inst


def _reason(reason: str | None, what: str) -> str:
    if not (reason or "").strip():
        raise ValidationFailed(f"{what}项目须填写理由", errors={"reason": f"请填写{what}理由"})
    return reason.strip()


def suspend_instance(ctx: Context, user_id: int, instance_id: int, reason: str,
                     now: datetime | None = None) -> None:
    """A manager suspends a running project with a recorded reason."""
    now = now or clock.now()
    with ctx.db.transaction() as session, clock.frozen_at(now):
        user, inst = _managed(session, user_id, instance_id)     # 403/404 and 409 before 422 (CONTRACT.md)
        if inst.suspended_at is not None:
            raise Conflict(f"项目“{inst.project_name}”已暂停")
        reason = _reason(reason, "暂停")
        suspend(session, inst, order="管理者暂停项目", reason=reason, now=now, actor_id=user.id)


def resume_instance(ctx: Context, user_id: int, instance_id: int, reason: str,
                    now: datetime | None = None) -> None:
    """A manager resumes a suspended project (e.g. after 整改 was accepted), with a recorded reason."""
    now = now or clock.now()
    with ctx.db.transaction() as session, clock.frozen_at(now):
        user, inst = _managed(session, user_id, instance_id)     # 403/404 and 409 before 422 (CONTRACT.md)
        if inst.suspended_at is None:
            raise Conflict(f"项目“{inst.project_name}”未暂停，无需恢复")
        reason = _reason(reason, "恢复")
        resume(ctx, session, inst, order="管理者恢复项目", reason=reason, now=now, actor_id=user.id)


# --- records about a unit ---------------------------------------------------------------------------

def _record_elements(ctx: Context, session: Session, jurisdiction) -> dict[tuple[str, str], str]:
    """(process key, element id) → record name of the user tasks carrying `unitRecord` in the newest
    deployed version of each of the jurisdiction's processes."""
    found = {}
    for key in jurisdiction.processes:
        row = latest_version(session, key)
        if row is None:
            continue
        for info in ctx.loaded_version(session, row.id).elements.values():
            if (info.properties.get(RECORD) or "").strip():
                found[(key, info.element_id)] = info.properties[RECORD].strip()
    return found


def unit_records(ctx: Context, session: Session, jurisdiction, unit_id: int) -> dict[str, list[dict]]:
    """{record name: [the answers of each completed `unitRecord` task on the unit's projects, with
    `instance_id`, `recorded_at` and `project_name` (the project, or the system, it is about)]}, oldest
    first; {} when the jurisdiction keeps none."""
    elements = _record_elements(ctx, session, jurisdiction)
    if not elements:
        return {}
    rows = session.execute(select(HumanTask.process_key, HumanTask.element_id, HumanTask.data,
                                  HumanTask.instance_id, HumanTask.completed_at, HumanTask.project_name)
                           .where(HumanTask.jurisdiction == jurisdiction.key, HumanTask.applicant_unit_id == unit_id,
                                  HumanTask.state == "completed",
                                  HumanTask.element_id.in_(sorted({e for _, e in elements})))
                           .order_by(HumanTask.completed_at, HumanTask.id))
    result: dict[str, list[dict]] = {name: [] for name in elements.values()}
    for key, element, data, instance_id, done, project in rows:
        name = elements.get((key, element))
        if name:
            result[name].append({**(data or {}), "instance_id": instance_id, "recorded_at": local_iso(done),
                                 "project_name": project})
    return result
