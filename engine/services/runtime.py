"""Start instances, complete tasks and fire timers. Each function owns one transaction, locks the
instance row before reading its state (so concurrent completions of parallel tasks serialize), and
saves state and projection together."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine import clock, policy
from engine import workflow as wfx
from engine.cn_dates import cn_date
from engine.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from engine.jsonable import jsonable
from engine.models import HumanTask, ProcessInstance, User
from engine.registry import Jurisdiction, ProcessDef
from engine.sandbox import StepFailed
from engine.services import (
    attachments,
    calendar_admin,
    choices,
    confirmed_facts,
    documents,
    field_checks,
    holding,
    opinions,
    orders,
    systems,
    users,
    views,
)
from engine.services.audit import holds_lock
from engine.services.context import Context
from engine.services.deploy import latest_version
from engine.services.projection import audit, lock_instance, persist, record_incident, terminate
from engine.services.users import Principal

DEFAULT_START_FORM = "common/project_facts"


def _local_today(now: datetime) -> date:
    return now.astimezone(clock.SHANGHAI).date()


def check_plan_year(jurisdiction: Jurisdiction, facts: dict, now: datetime,
                    process_key: str | None = None) -> dict:
    """Default `plan_year` to the first open year; refuse a closed year unless the rule's exempting
    fact holds (`exempt_fact`, default `urgent`: 增列). The rule is the process's own
    (jurisdiction.json `processes.<key>.declaration`) or the jurisdiction's `declaration` (a
    `deadline` month-day or a yearly call `window`)."""
    rule = jurisdiction.declaration_rule(process_key)
    if not (rule.get("deadline") or rule.get("window")):
        return facts
    today = _local_today(now)

    def deadline(year: int) -> date:
        return jurisdiction.declaration_deadline(year, process_key)

    next_open = next((y for y in range(today.year, today.year + 5) if today <= deadline(y)), today.year + 1)
    result = dict(facts)
    plan_year = result.get("plan_year")
    if plan_year is None:
        result["plan_year"] = next_open
        return result
    closes = deadline(int(plan_year))
    if today > closes and not result.get(rule.get("exempt_fact", "urgent")):
        text = rule.get("rule", "")
        exempt = rule.get("exempt_label", "紧急")
        raise ValidationFailed(
            f"{plan_year}年度的申报截止日期为{closes.year}年{closes.month}月{closes.day}日，已过期；"
            f"可申报{next_open}年度（{text}）。确需当年实施的紧急项目请勾选“{exempt}”按增列程序报批。",
            errors={"plan_year": f"已过申报截止日期（{cn_date(closes)}），可申报 {next_open} 年度"},
            deadline=closes.isoformat(), next_open_year=next_open)
    return result


def investment_of(facts: dict) -> Decimal | None:
    """总投资 (万元) of the facts as the number the portfolio searches on."""
    value = facts.get("total_investment")
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    """Take the instance's row lock first: the state we read next is the newest committed one."""
    if session.get(ProcessInstance, instance_id) is None:
        raise NotFound(f"项目不存在：{instance_id}")
    return lock_instance(session, instance_id)


def terminate_instance(ctx: Context, user_id: int, instance_id: int, reason: str,
                       outcome: str = "terminated", now: datetime | None = None) -> None:
    """A manager ends a project (e.g. 终止项目 after failed 限期整改), with a recorded reason. Checked in
    the contract's order: 404/403 (not the caller's: audited), 409 (ended), then 422 (no reason)."""
    now = now or clock.now()
    with ctx.db.transaction() as session, clock.frozen_at(now):
        user = session.get(User, user_id)
        inst = session.get(ProcessInstance, instance_id)
        if inst is None or not policy.in_jurisdiction(user, inst.jurisdiction):
            raise NotFound(f"项目不存在：{instance_id}")
        if not policy.can_manage(user, inst.jurisdiction):
            raise PermissionDenied("只有管理者可以终止项目")
        inst = _lock_instance(session, instance_id)
        if inst.status != "running":
            raise Conflict(f"项目“{inst.project_name}”已结束")
        if not (reason or "").strip():
            raise ValidationFailed("终止项目须填写理由", errors={"reason": "请填写终止理由"})
        terminate(ctx, session, inst, outcome, reason.strip(), now, actor_id=user.id)


def _parent_of(session: Session, user: User, jurisdiction: Jurisdiction, pdef: ProcessDef,
               parent_instance_id: int | None) -> ProcessInstance | None:
    """A side process (变更, 整改 …) hangs off a project of the same jurisdiction the user may see;
    its applicant is the project's applicant unit, whoever starts it."""
    if parent_instance_id is None:
        if pdef.parent in ("required", "ended"):
            raise ValidationFailed(f"“{pdef.name}”须从一个项目发起", errors={"parent_instance_id": "请指定所属项目"})
        return None
    if not pdef.parent:
        raise ValidationFailed(f"“{pdef.name}”不是项目的子流程", errors={"parent_instance_id": "不适用"})
    parent = session.get(ProcessInstance, parent_instance_id)
    if parent is None or not policy.in_jurisdiction(user, parent.jurisdiction):
        raise NotFound(f"项目不存在：{parent_instance_id}")
    # A supervising bureau (a shared role such as data_bureau) may act on any project of its
    # jurisdiction; a unit role (applicant …) only on its own unit's projects.
    if not policy.can_start_for(user, jurisdiction, pdef, parent.applicant_unit_id):
        raise PermissionDenied("您无权为该项目发起此流程")
    if parent.status != "running" and pdef.parent not in ("ended", "optional"):
        raise Conflict(f"项目“{parent.project_name}”已结束，不能再发起“{pdef.name}”")
    return parent


def parent_inside(ctx: Context, session: Session, parent: ProcessInstance, elements) -> bool:
    """Whether a project is now inside one of `elements` of its diagram (ProcessDef.parent_inside,
    a schedule's `instances.inside`): a running project whose workflow is in that phase."""
    if parent.status != "running":
        return False
    version = ctx.loaded_version(session, parent.process_version_id)
    return wfx.inside(wfx.loads(version, parent.state, ctx.helpers(parent.jurisdiction)), elements)


def _check_parent_stage(ctx: Context, session: Session, pdef: ProcessDef, parent: ProcessInstance,
                        answers: dict[str, dict]) -> None:
    """Where the project stands allows the side process: past one of its `parent_in` steps (or ended as
    it names; `answers`: the project's completed steps, _answers_of) and inside its `parent_inside` phases."""
    if not pdef.accepts_parent(parent.status, parent.outcome, answers):
        raise ValidationFailed(f"项目“{parent.project_name}”不能发起“{pdef.name}”：{pdef.parent_in['rule']}",
                               errors={"parent_instance_id": pdef.parent_in["rule"]})
    if not pdef.parent_inside or parent_inside(ctx, session, parent, pdef.parent_inside):
        return
    version = ctx.loaded_version(session, parent.process_version_id)
    phases = "、".join(f"“{version.element(e).title if version.element(e) else e}”" for e in pdef.parent_inside)
    raise Conflict(f"项目“{parent.project_name}”当前不在{phases}阶段，不能发起“{pdef.name}”")


def start_instance(ctx: Context, user_id: int, process_key: str, data: dict,
                   now: datetime | None = None, parent_instance_id: int | None = None) -> int:
    now = now or clock.now()
    pdef = ctx.registry.process_def(process_key)
    jurisdiction = ctx.registry.jurisdiction_of(process_key)
    with ctx.db.transaction() as session, clock.frozen_at(now):
        user = session.get(User, user_id)
        if not policy.can_start(user, jurisdiction, pdef):
            raise PermissionDenied(f"您无权在{jurisdiction.name}发起“{pdef.name}”")
        parent = _parent_of(session, user, jurisdiction, pdef, parent_instance_id)
        parent_answers = _answers_of(session, parent.id) if parent is not None else None
        if parent is not None:
            _check_parent_stage(ctx, session, pdef, parent, parent_answers)
        row = latest_version(session, process_key)
        if row is None:
            raise NotFound(f"流程尚未部署：{process_key}")
        # the start form as deployed with the version the instance will run on
        forms = ctx.forms_for(session, row.id)
        start_form = pdef.start_form or DEFAULT_START_FORM
        facts = forms.validate(start_form, _with_defaults(jurisdiction, forms.load(start_form)[0], data,
                                                          user.unit.name))
        calendar_admin.sync(ctx, session)
        if parent is None or pdef.declaration is not None:
            facts = check_plan_year(jurisdiction, facts, now, process_key)
        if parent is None:
            applicant_unit, project_name = user.unit, str(facts.get("project_name") or pdef.name)
        else:
            facts = {**parent.facts, **facts, "parent_instance_id": parent.id}
            applicant_unit, project_name = parent.applicant_unit, parent.project_name
        version = ctx.loaded_version(session, row.id)
        # records an order left about the unit (叶集 第二十七条 压缩申报预算规模, engine/services/orders.py)
        start_data = dict(facts, applicant_unit=applicant_unit.name, parent_outcome=parent.outcome if parent else None)
        if parent is None:
            start_data["unit_records"] = orders.unit_records(ctx, session, jurisdiction, applicant_unit.id)
            # the unit's earlier projects as systems, with their standing (宿迁 第六条、第三十六条, services/systems.py)
            start_data[systems.NAME] = systems.unit_systems(session, jurisdiction, applicant_unit.id)
        else:   # what the project's steps recorded (叶集 第二十二条: the contract's acceptance date)
            start_data["parent_tasks"] = parent_answers
        workflow, failure = stepping(lambda: wfx.start(version, start_data, ctx.helpers(jurisdiction.key)))
        inst = ProcessInstance(process_version_id=row.id, process_key=process_key,
                               jurisdiction=jurisdiction.key, project_name=project_name,
                               applicant_unit_id=applicant_unit.id, started_by_id=user.id,
                               parent_instance_id=parent.id if parent else None, status="running",
                               facts=jsonable(facts), state="", serializer_version=wfx.SERIALIZER_VERSION,
                               created_at=now, updated_at=now, investment=investment_of(facts))
        session.add(inst)
        session.flush()
        holds_lock(session, inst.id)    # its own new row: nobody else sees it before the commit
        started = audit(session, "instance_started", instance_id=inst.id, actor_id=user.id,
                        data={"process": process_key, "version": row.version, "facts": facts}, at=now)
        if parent is not None:
            audit(session, "child_started", instance_id=parent.id, actor_id=user.id,
                  data={"title": pdef.name, "child_instance_id": inst.id, "process": process_key}, at=now)
        persist(ctx, session, inst, version, workflow, now, step=started)
        if failure is not None:
            record_incident(session, inst, failure, now, actor_id=user.id)
        return inst.id


def _answers_of(session: Session, instance_id: int) -> dict[str, dict]:
    """{element id: the answers of its latest completion} of a project's completed user tasks: what a
    side process started from it reads as `parent_tasks`."""
    rows = session.execute(select(HumanTask.element_id, HumanTask.data)
                           .where(HumanTask.instance_id == instance_id, HumanTask.state == "completed")
                           .order_by(HumanTask.completed_at, HumanTask.id))
    return {element: dict(data or {}) for element, data in rows}


def _with_defaults(jurisdiction, schema: dict, data, unit_name: str | None = None):
    """The facts with what the jurisdiction answers itself where the applicant left it out (a district's
    projects are 县区级 unless declared otherwise: Jurisdiction.fact_defaults), and a field marked
    `"x-default": "applicant_unit"` the starter's unit when it is one of the field's choices (九江
    `county`: a county declares for itself)."""
    if not isinstance(data, dict):
        return data
    defaults = dict(jurisdiction.fact_defaults(schema))
    for key, spec in ((schema or {}).get("properties") or {}).items():
        if isinstance(spec, dict) and spec.get("x-default") == "applicant_unit" \
                and unit_name in (spec.get("enum") or ()):
            defaults[key] = unit_name
    missing = {k: v for k, v in defaults.items() if data.get(k) in (None, "")}
    return {**data, **missing} if missing else data


def stepping(run) -> tuple:
    """(run(), None); when a step inside run() fails, (the workflow as the failure left it, the
    failure): the caller saves the workflow and records an incident instead of losing what the user
    entered (the answers of a completed task, the facts of a start)."""
    try:
        return run(), None
    except StepFailed as failure:
        if failure.workflow is None:
            raise
        return failure.workflow, failure


def complete_task(ctx: Context, user_id: int, task_id: int, data: object,
                  now: datetime | None = None) -> int:
    """Complete a ready task as the user; answers the instance's id (see `complete`)."""
    return complete(ctx, user_id, task_id, data, now)["id"]


def complete(ctx: Context, who: int | Principal, task_id: int, data: object, now: datetime | None = None) -> dict:
    """Complete a ready task as the user (an id, or the Principal its request authenticated) and answer
    the instance's new state: {id, process, status, outcome, outcome_label, outcome_reason,
    active_tasks, waiting}. 404 no such task, 403 not theirs, 409 no longer ready, 422 bad data.

    One transaction and few statements: the instance row is locked and read in one (an UPDATE …
    RETURNING found through the task id, carrying the calendar's change signature), its ready task
    rows in one more; the parsed version and its forms come from the runtime's caches; the writes go
    out in the commit's one flush (task rows in one INSERT, audit rows already chained)."""
    now = now or clock.now()
    with ctx.db.transaction() as session, clock.frozen_at(now):
        user = who if isinstance(who, Principal) else users.principal_by_id(session, who)
        locked = _lock_instance_of_task(session, task_id)
        inst, signature = locked if locked else (None, None)
        rows = _task_rows(session, inst, task_id)
        row = rows.pop(task_id, None)
        if row is None or user.jurisdiction != row.jurisdiction:
            raise NotFound(f"任务不存在：{task_id}")
        if not policy.can_act_on(user, ctx.registry.get(row.jurisdiction), row.role_key, row.role_unit_id):
            raise PermissionDenied("该任务不属于您的角色或单位")
        if row.state == "suspended":    # the project is held by an order (engine/services/orders.py)
            raise Conflict(orders.refusal(ctx, session, row), suspended=True)
        if row.state != "ready":
            raise Conflict(_no_longer_ready(row))
        refusal = holding.completion_refusal(row, user)   # 签收/委托: the row's own columns
        if refusal:
            raise Conflict(refusal)
        # the form as deployed with the instance's version (engine.runtime_env.FormSnapshot)
        answers = choices.validate(ctx, session, inst, ctx.forms_for(session, inst.process_version_id), row.form,
                                   data) if row.form else dict(data or {})
        attachments.check_answers(ctx, session, row, answers, actor=user)  # files of this project and step only
        opinions.check_completion(ctx, session, inst, row, answers, user, now)  # binding opinions, overrides
        calendar_admin.sync_seen(ctx, session, signature)
        _claim(session, row, user, answers, now)
        version = ctx.loaded_version(session, inst.process_version_id)
        workflow = wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction))
        task = wfx.find_task(workflow, row.task_guid)
        if task is None or not task.state & wfx.TaskState.READY:
            raise Conflict("该任务已不在待办状态")
        info = version.element(row.element_id)
        field_checks.check(ctx, session, inst, workflow, task, info, answers)   # `fieldCheck`
        answers = confirmed_facts.apply(ctx, session, inst, info, task, answers, user, now)  # `confirms` tasks
        had_timers = bool(wfx.pending_timers(workflow))
        _, failure = stepping(lambda: wfx.complete(workflow, task, answers,
                                                   info.properties.get("outputKey") if info else None))
        completed = {"title": row.title, "role": row.role_key, "answers": answers}
        if row.delegation == holding.BACK:   # 确认 of what the delegate submitted (engine/services/claims.py)
            completed["confirms_delegate_id"] = row.delegate_id
        done = audit(session, "task_completed", instance_id=inst.id, actor_id=user.id, element_id=row.element_id,
                     human_task_id=row.id, data=completed, at=now)
        synced = persist(ctx, session, inst, version, workflow, now, ready_rows=list(rows.values()), flush=False,
                         had_timers=had_timers, step=done)
        if failure is not None:
            record_incident(session, inst, failure, now, actor_id=user.id)
        # official documents the step issues: rows in the commit's flush, numbered after it (services/documents.py)
        issued = documents.issue(ctx, session, inst, row, answers, rows.values(), synced.created, now)
        state = views.instance_state(ctx, inst, synced, now)
    if issued:
        documents.number_pending(ctx, state["id"], now)
    return state


def _lock_instance_of_task(session: Session, task_id: int) -> tuple[ProcessInstance, tuple] | None:
    """(the instance of the task, locked and read; the calendar rows' signature) in one statement:
    UPDATE … RETURNING takes the row lock (as SELECT … FOR UPDATE would) and reads the row."""
    of_task = select(HumanTask.instance_id).where(HumanTask.id == task_id).scalar_subquery()
    stmt = (update(ProcessInstance).where(ProcessInstance.id == of_task)
            .values(lock_version=ProcessInstance.lock_version + 1)
            .returning(ProcessInstance, ProcessInstance.state, *calendar_admin.signature_columns()))
    found = session.execute(stmt, execution_options={"synchronize_session": False,
                                                     "populate_existing": True}).first()
    if found is None:
        return None
    inst, state, *signature = found
    set_committed_value(inst, "state", state)   # deferred on the model, read here with the lock
    holds_lock(session, inst.id)
    return inst, tuple(signature)


def _task_rows(session: Session, inst: ProcessInstance | None, task_id: int) -> dict[int, HumanTask]:
    """The task and the instance's open task rows (ready, or held by an order: a held step's row is
    kept, not made again), by id (read under the instance lock)."""
    if inst is None:
        return {}
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id,
                                                   or_(HumanTask.state.in_(("ready", "suspended")),
                                                       HumanTask.id == task_id)))
    return {row.id: row for row in rows}


def _claim(session: Session, row: HumanTask, user, answers: dict, now: datetime) -> None:
    """Mark the task completed by the user (a conditional UPDATE: the instance lock already makes it
    the only one, the condition keeps it so should a path ever change a task without that lock)."""
    values = {"state": "completed", "completed_by_id": user.id, "completed_at": now, "data": jsonable(answers)}
    # nobody else claimed it, nor delegated it out, since the row was read (engine/services/claims.py)
    held = or_(HumanTask.assignee_id.is_(None), HumanTask.assignee_id == user.id)
    not_out = or_(HumanTask.delegation.is_(None), HumanTask.delegation != holding.OUT)
    claimed = session.execute(update(HumanTask).where(HumanTask.id == row.id, HumanTask.state == "ready", held, not_out)
                              .values(**values), execution_options={"synchronize_session": False})
    if claimed.rowcount != 1:
        raise Conflict("该任务已由他人签收或办理")
    for key, value in values.items():
        set_committed_value(row, key, value)


def _no_longer_ready(row: HumanTask) -> str:
    if row.state == "completed":
        who = row.completed_by.display_name if row.completed_by else "他人"
        return f"“{row.title}”已由{who}办理完毕"
    return f"“{row.title}”已不在待办状态"
