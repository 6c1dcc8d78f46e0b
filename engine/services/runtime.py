"""Start instances, complete tasks and fire timers. Each function owns one transaction, locks the
instance row before reading its state (so concurrent completions of parallel tasks serialize), and
saves state and projection together."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine import clock, policy
from engine import workflow as wfx
from engine.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from engine.jsonable import jsonable
from engine.models import HumanTask, ProcessInstance, User
from engine.registry import Jurisdiction, ProcessDef
from engine.sandbox import StepFailed
from engine.services import attachments, calendar_admin, confirmed_facts
from engine.services.context import Context
from engine.services.deploy import latest_version
from engine.services.projection import audit, lock_instance, persist, record_incident, terminate

DEFAULT_START_FORM = "common/project_facts"


def _local_today(now: datetime) -> date:
    return now.astimezone(clock.SHANGHAI).date()


def check_plan_year(jurisdiction: Jurisdiction, facts: dict, now: datetime,
                    process_key: str | None = None) -> dict:
    """Default `plan_year` to the first open year; refuse a closed year unless `urgent` (增列).
    The rule is the process's own (jurisdiction.json `processes.<key>.declaration`) or the
    jurisdiction's `declaration` (a `deadline` month-day or a yearly call `window`)."""
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
    if today > closes and not result.get("urgent"):
        text = rule.get("rule", "")
        raise ValidationFailed(
            f"{plan_year}年度的申报截止日期为{closes.year}年{closes.month}月{closes.day}日，已过期；"
            f"可申报{next_open}年度（{text}）。确需当年实施的紧急项目请勾选“紧急”按增列程序报批。",
            errors={"plan_year": f"已过申报截止日期（{closes.isoformat()}），可申报 {next_open} 年度"},
            deadline=closes.isoformat(), next_open_year=next_open)
    return result


def _lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    """Take the instance's row lock first: the state we read next is the newest committed one."""
    if session.get(ProcessInstance, instance_id) is None:
        raise NotFound(f"项目不存在：{instance_id}")
    return lock_instance(session, instance_id)


def terminate_instance(ctx: Context, user_id: int, instance_id: int, reason: str,
                       outcome: str = "terminated", now: datetime | None = None) -> None:
    """A manager ends a project (e.g. 终止项目 after failed 限期整改), with a recorded reason."""
    now = now or clock.now()
    if not (reason or "").strip():
        raise ValidationFailed("终止项目须填写理由", errors={"reason": "请填写终止理由"})
    with ctx.db.transaction() as session, clock.frozen_at(now):
        user = session.get(User, user_id)
        inst = session.get(ProcessInstance, instance_id)
        if inst is None or inst.jurisdiction != user.jurisdiction:
            raise NotFound(f"项目不存在：{instance_id}")
        if not policy.can_manage(user, inst.jurisdiction):
            raise PermissionDenied("只有管理者可以终止项目")
        inst = _lock_instance(session, instance_id)
        if inst.status != "running":
            raise Conflict(f"项目“{inst.project_name}”已结束")
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
    if parent is None or parent.jurisdiction != user.jurisdiction:
        raise NotFound(f"项目不存在：{parent_instance_id}")
    # A supervising bureau (a shared role such as data_bureau) may act on any project of its
    # jurisdiction; a unit role (applicant …) only on its own unit's projects.
    if not policy.can_start_for(user, jurisdiction, pdef, parent.applicant_unit_id):
        raise PermissionDenied("您无权为该项目发起此流程")
    if parent.status != "running" and pdef.parent not in ("ended", "optional"):
        raise Conflict(f"项目“{parent.project_name}”已结束，不能再发起“{pdef.name}”")
    return parent


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
        row = latest_version(session, process_key)
        if row is None:
            raise NotFound(f"流程尚未部署：{process_key}")
        # the start form as deployed with the version the instance will run on
        facts = ctx.forms_for(session, row.id).validate(pdef.start_form or DEFAULT_START_FORM, data)
        calendar_admin.sync(ctx, session)
        if parent is None or pdef.declaration is not None:
            facts = check_plan_year(jurisdiction, facts, now, process_key)
        if parent is None:
            applicant_unit, project_name = user.unit, str(facts.get("project_name") or pdef.name)
        else:
            facts = {**parent.facts, **facts, "parent_instance_id": parent.id}
            applicant_unit, project_name = parent.applicant_unit, parent.project_name
        version = ctx.loaded_version(session, row.id)
        engine_data = {"applicant_unit": applicant_unit.name, "parent_outcome": parent.outcome if parent else None}
        workflow, failure = stepping(lambda: wfx.start(version, dict(facts, **engine_data),
                                                        ctx.helpers(jurisdiction.key)))
        inst = ProcessInstance(process_version_id=row.id, process_key=process_key,
                               jurisdiction=jurisdiction.key, project_name=project_name,
                               applicant_unit_id=applicant_unit.id, started_by_id=user.id,
                               parent_instance_id=parent.id if parent else None, status="running",
                               facts=jsonable(facts), state="", serializer_version=wfx.SERIALIZER_VERSION,
                               created_at=now, updated_at=now)
        session.add(inst)
        session.flush()
        audit(session, "instance_started", instance_id=inst.id, actor_id=user.id,
              data={"process": process_key, "version": row.version, "facts": facts}, at=now)
        if parent is not None:
            audit(session, "child_started", instance_id=parent.id, actor_id=user.id,
                  data={"title": pdef.name, "child_instance_id": inst.id, "process": process_key}, at=now)
        persist(ctx, session, inst, version, workflow, now)
        if failure is not None:
            record_incident(session, inst, failure, now, actor_id=user.id)
        return inst.id


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
    """Complete a ready task as the user. 403 not theirs, 409 no longer ready, 422 bad data."""
    now = now or clock.now()
    with ctx.db.transaction() as session, clock.frozen_at(now):
        user = session.get(User, user_id)
        row = session.get(HumanTask, task_id)
        if row is None or user.jurisdiction != row.jurisdiction:
            raise NotFound(f"任务不存在：{task_id}")
        if not policy.can_act_on(user, ctx.registry.get(row.jurisdiction), row.role_key, row.applicant_unit_id):
            raise PermissionDenied("该任务不属于您的角色或单位")
        if row.state != "ready":
            raise Conflict(_no_longer_ready(row))
        # the form as deployed with the instance's version (engine.runtime_env.FormSnapshot)
        version_id = session.get(ProcessInstance, row.instance_id).process_version_id
        answers = ctx.forms_for(session, version_id).validate(row.form, data) if row.form else dict(data or {})
        inst = _lock_instance(session, row.instance_id)
        if inst.process_version_id != version_id:
            # migrated to another version meanwhile (engine.services.designer): its form decides
            session.refresh(row)
            answers = ctx.forms_for(session, inst.process_version_id).validate(row.form, data) \
                if row.form else dict(data or {})
        attachments.check_answers(ctx, session, row, answers)  # files of this project and step only
        calendar_admin.sync(ctx, session)
        claimed = session.execute(update(HumanTask).where(HumanTask.id == task_id, HumanTask.state == "ready")
                                  .values(state="completed", completed_by_id=user.id, completed_at=now,
                                          data=jsonable(answers)))
        if claimed.rowcount != 1:
            raise Conflict("该任务已由他人办理")
        version = ctx.loaded_version(session, inst.process_version_id)
        workflow = wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction))
        task = wfx.find_task(workflow, row.task_guid)
        if task is None or not task.state & wfx.TaskState.READY:
            raise Conflict("该任务已不在待办状态")
        info = version.element(row.element_id)
        answers = confirmed_facts.apply(ctx, session, inst, info, task, answers, user, now)  # `confirms` tasks
        _, failure = stepping(lambda: wfx.complete(workflow, task, answers,
                                                   info.properties.get("outputKey") if info else None))
        audit(session, "task_completed", instance_id=inst.id, actor_id=user.id, element_id=row.element_id,
              human_task_id=row.id, data={"title": row.title, "role": row.role_key, "answers": answers}, at=now)
        persist(ctx, session, inst, version, workflow, now)
        if failure is not None:
            record_incident(session, inst, failure, now, actor_id=user.id)
        return inst.id


def _no_longer_ready(row: HumanTask) -> str:
    if row.state == "completed":
        who = row.completed_by.display_name if row.completed_by else "他人"
        return f"“{row.title}”已由{who}办理完毕"
    return f"“{row.title}”已不在待办状态"
