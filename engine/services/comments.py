"""Comments on a project or on one of its tasks: who, when, the text and an optional attachment (stored
by the attachment service), each audited as `comment_added` so the project's timeline shows it."""
from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

from engine import clock, policy, queries
from engine.errors import NotFound, PermissionDenied, ValidationFailed
from engine.models import Comment, HumanTask, ProcessInstance, User
from engine.services import attachments, views
from engine.services.context import Context
from engine.services.projection import audit

TEXT_MAX = 4000


def _instance_for(ctx: Context, session, user: User, instance_id: int | None, task_id: int | None):
    """(instance, task or None) the user may comment on: a project they may see; a task they may see
    (a holder of its role, its delegate, who completed it, a manager)."""
    task = None
    if task_id is not None:
        task = session.get(HumanTask, task_id)
        if task is None or not policy.in_jurisdiction(user, task.jurisdiction):
            raise NotFound(f"任务不存在：{task_id}")
        jurisdiction = ctx.registry.get(task.jurisdiction)
        if not (policy.can_act_on(user, jurisdiction, task.role_key, task.role_unit_id)
                or user.id in (task.completed_by_id, task.delegate_id, task.assignee_id)
                or policy.can_manage(user, task.jurisdiction)):
            raise PermissionDenied("该任务不属于您的角色或单位")
        instance_id = task.instance_id
    inst = session.get(ProcessInstance, instance_id)
    if inst is None or not policy.reads_jurisdiction(user, inst.jurisdiction):
        raise NotFound(f"项目不存在：{instance_id}")
    if task is None:
        involved = queries.user_involved(session, user, ctx.registry.get(inst.jurisdiction).unit_roles, inst.id)
        if not policy.can_view_instance(user, inst.jurisdiction, inst.applicant_unit_id, involved, inst.started_by_id):
            raise PermissionDenied("您无权查看该项目")
    return inst, task


def _text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("请填写意见内容", errors={"text": "请填写内容"})
    if len(text) > TEXT_MAX:
        raise ValidationFailed(f"意见不得超过 {TEXT_MAX} 个字", errors={"text": f"不得超过 {TEXT_MAX} 个字"})
    return text.strip()


def add(ctx: Context, user_id: int, text: object, *, instance_id: int | None = None, task_id: int | None = None,
        file: tuple[str | None, BinaryIO] | None = None, now: datetime | None = None) -> dict:
    """Comment on the project (instance_id) or the task (task_id); `file` (filename, stream) attached.
    404/403 first, then 422 (no text, a refused file)."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        inst, task = _instance_for(ctx, session, user, instance_id, task_id)
        if not policy.acts_in(user, inst.jurisdiction):
            raise PermissionDenied("省级项目查看员只能查看项目，不能发表意见")
        body = _text(text)
        inst_id, task_key = inst.id, task.id if task else None
    stored = attachments.save(ctx, user_id, inst_id, task_key, "comment", file[0], file[1]) if file else None
    with ctx.db.transaction() as session:
        row = Comment(instance_id=inst_id, human_task_id=task_key, author_id=user_id, text=body,
                      attachment_id=stored["id"] if stored else None, created_at=now)
        session.add(row)
        session.flush()
        task_row = session.get(HumanTask, task_key) if task_key else None
        audit(session, "comment_added", instance_id=inst_id, actor_id=user_id,
              element_id=task_row.element_id if task_row else None, human_task_id=task_key,
              data={"comment_id": row.id, "title": task_row.title if task_row else "项目", "text": body,
                    "attachment": {"id": stored["id"], "filename": stored["filename"]} if stored else None}, at=now)
        session.refresh(row)
        return views.comment_view(row)


def of(ctx: Context, user_id: int, *, instance_id: int | None = None, task_id: int | None = None) -> list[dict]:
    """The comments of a project (all of them, its tasks' included) or of one task, oldest first."""
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        inst, task = _instance_for(ctx, session, user, instance_id, task_id)
        return [views.comment_view(c) for c in queries.comments_of(session, inst.id, task.id if task else None)]
