"""Start instances, complete tasks and fire timers. Each function owns one transaction, locks the
instance row before reading its state (so concurrent completions of parallel tasks serialize), and
saves state and projection together."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import clock, registry
from engine import workflow as wfx
from engine.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from engine.jsonable import jsonable
from engine.models import HumanTask, ProcessInstance, User
from engine.services.context import Context
from engine.services.deploy import latest_version
from engine.services.projection import audit, persist
from engine.services.users import can_act_on
from forms import validation

DEFAULT_START_FORM = "common/project_facts"


def _local_today(now: datetime) -> date:
    return now.astimezone(clock.SHANGHAI).date()


def check_plan_year(jurisdiction: registry.Jurisdiction, facts: dict, now: datetime) -> dict:
    """Default `plan_year` to the first open year; refuse a closed year unless `urgent` (增列)."""
    if not jurisdiction.declaration.get("deadline"):
        return facts
    today = _local_today(now)
    next_open = today.year + 1 if today <= jurisdiction.declaration_deadline(today.year + 1) else today.year + 2
    result = dict(facts)
    plan_year = result.get("plan_year")
    if plan_year is None:
        result["plan_year"] = next_open
        return result
    deadline = jurisdiction.declaration_deadline(int(plan_year))
    if today > deadline and not result.get("urgent"):
        rule = jurisdiction.declaration.get("rule", "")
        raise ValidationFailed(
            f"{plan_year}年度的申报截止日期为{deadline.year}年{deadline.month}月{deadline.day}日，已过期；"
            f"可申报{next_open}年度（{rule}）。确需当年实施的紧急项目请勾选“紧急”按增列程序报批。",
            errors={"plan_year": f"已过申报截止日期（{deadline.isoformat()}），可申报 {next_open} 年度"},
            deadline=deadline.isoformat(), next_open_year=next_open)
    return result


def _lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    """Take the instance's row lock first: the state we read next is the newest committed one."""
    result = session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                             .values(lock_version=ProcessInstance.lock_version + 1))
    if result.rowcount != 1:
        raise NotFound(f"项目不存在：{instance_id}")
    return session.scalars(select(ProcessInstance).where(ProcessInstance.id == instance_id)
                           .execution_options(populate_existing=True)).one()


def start_instance(ctx: Context, user_id: int, process_key: str, data: dict,
                   now: datetime | None = None, parent_instance_id: int | None = None) -> int:
    now = now or clock.now()
    pdef = registry.process_def(process_key)
    jurisdiction = registry.jurisdiction_of(process_key)
    with ctx.db.transaction() as session, clock.frozen_at(now):
        user = session.get(User, user_id)
        if user.jurisdiction != jurisdiction.key or not (user.role_keys & set(pdef.startable_by)):
            raise PermissionDenied(f"您无权在{jurisdiction.name}发起“{pdef.name}”")
        facts = validation.validate(pdef.start_form or DEFAULT_START_FORM, data)
        if parent_instance_id is None:
            facts = check_plan_year(jurisdiction, facts, now)
        row = latest_version(session, process_key)
        if row is None:
            raise NotFound(f"流程尚未部署：{process_key}")
        version = ctx.loaded_version(session, row.id)
        workflow = wfx.start(version, dict(facts, applicant_unit=user.unit.name), jurisdiction.key)
        inst = ProcessInstance(process_version_id=row.id, process_key=process_key,
                               jurisdiction=jurisdiction.key,
                               project_name=str(facts.get("project_name") or pdef.name),
                               applicant_unit_id=user.unit_id, started_by_id=user.id,
                               parent_instance_id=parent_instance_id, status="running",
                               facts=jsonable(facts), state="", serializer_version=wfx.SERIALIZER_VERSION,
                               created_at=now, updated_at=now)
        session.add(inst)
        session.flush()
        audit(session, "instance_started", instance_id=inst.id, actor_id=user.id,
              data={"process": process_key, "version": row.version, "facts": facts}, at=now)
        persist(session, inst, version, workflow, now)
        return inst.id


def complete_task(ctx: Context, user_id: int, task_id: int, data: object,
                  now: datetime | None = None) -> int:
    """Complete a ready task as the user. 403 not theirs, 409 no longer ready, 422 bad data."""
    now = now or clock.now()
    with ctx.db.transaction() as session, clock.frozen_at(now):
        user = session.get(User, user_id)
        row = session.get(HumanTask, task_id)
        if row is None or user.jurisdiction != row.jurisdiction:
            raise NotFound(f"任务不存在：{task_id}")
        if not can_act_on(user, row.jurisdiction, row.role_key, row.applicant_unit_id):
            raise PermissionDenied("该任务不属于您的角色或单位")
        if row.state != "ready":
            raise Conflict(_no_longer_ready(row))
        answers = validation.validate(row.form, data) if row.form else dict(data or {})
        inst = _lock_instance(session, row.instance_id)
        claimed = session.execute(update(HumanTask).where(HumanTask.id == task_id, HumanTask.state == "ready")
                                  .values(state="completed", completed_by_id=user.id, completed_at=now,
                                          data=jsonable(answers)))
        if claimed.rowcount != 1:
            raise Conflict("该任务已由他人办理")
        version = ctx.loaded_version(session, inst.process_version_id)
        workflow = wfx.loads(version, inst.state, inst.jurisdiction)
        task = wfx.find_task(workflow, row.task_guid)
        if task is None or not task.state & wfx.TaskState.READY:
            raise Conflict("该任务已不在待办状态")
        info = version.element(row.element_id)
        wfx.complete(workflow, task, answers, info.properties.get("outputKey") if info else None)
        audit(session, "task_completed", instance_id=inst.id, actor_id=user.id, element_id=row.element_id,
              human_task_id=row.id, data={"title": row.title, "role": row.role_key, "answers": answers}, at=now)
        persist(session, inst, version, workflow, now)
        return inst.id


def _no_longer_ready(row: HumanTask) -> str:
    if row.state == "completed":
        who = row.completed_by.display_name if row.completed_by else "他人"
        return f"“{row.title}”已由{who}办理完毕"
    return f"“{row.title}”已不在待办状态"
