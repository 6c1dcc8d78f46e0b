"""签收 / 退签 / 转办 / 委托 / 暂存 on human tasks.

A ready task of a role may be claimed (签收) by one holder of that role: from then on only that holder
completes it (others 409), gives it back (退签), reassigns it (转办) to another holder of the role (of the
same unit for unit roles) or delegates it (委托) to a colleague of their own unit. The delegate fills the
form in and submits it back (`submit_delegated`: validated, kept as the task's draft); only the holder's
确认 (`confirm`, a completion with those answers) runs the engine step, and while the task is out with
the delegate the holder cannot complete it. A manager of the jurisdiction may release a claim. A draft
(暂存) keeps the form without validation; saving one claims an unclaimed task.

Every change is one conditional UPDATE of the task row (two holders racing to claim: exactly one row
matches, the other is told who won) and an audit row (`task_claimed`, `task_unclaimed`,
`task_assigned`, `task_delegated`, `task_delegation_recalled`, `task_delegate_submitted`,
`task_draft_saved`) that notices can hook into. The completion itself reads only the columns of the task
row it already reads (`completion_refusal`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from engine import clock, policy
from engine.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from engine.jsonable import jsonable
from engine.models import HumanTask, ProcessInstance, User, UserRole
from engine.services import attachments, choices, runtime
from engine.services.context import Context
from engine.services.holding import BACK, OUT, completion_refusal, is_delegate, name_of
from engine.services.projection import audit, lock_instance
from engine.services.users import Principal


def _task(ctx: Context, session, user, task_id: int) -> HumanTask:
    """The task of the user's jurisdiction (404 otherwise), read again under its instance's row lock:
    the lock order of a completion (instance, then task row), so a change racing a completion waits for
    it rather than deadlocking with it, and sees what it left."""
    stmt = select(HumanTask).where(HumanTask.id == task_id).execution_options(populate_existing=True)
    row = session.scalar(stmt)
    if row is None or not policy.in_jurisdiction(user, row.jurisdiction):
        raise NotFound(f"任务不存在：{task_id}")
    lock_instance(session, row.instance_id)
    return session.scalar(stmt)


def _ready(row: HumanTask) -> None:
    if row.state == "suspended":
        raise Conflict(f"“{row.title}”所属项目已暂停办理或本环节已暂缓办理，暂不能签收、转办或委托")
    if row.state != "ready":
        raise Conflict(f"“{row.title}”已不在待办状态")


def _holds_role(ctx: Context, user, row: HumanTask) -> bool:
    return policy.can_act_on(user, ctx.registry.get(row.jurisdiction), row.role_key, row.role_unit_id)


def _change(session, row: HumanTask, expect: dict, values: dict, refusal) -> None:
    """One conditional UPDATE of the ready task row: `expect` its columns' current values (None: IS NULL);
    no row matched → someone changed it meanwhile: 409 with `refusal()` read afresh."""
    cond = [HumanTask.id == row.id, HumanTask.state == "ready"]
    for column, value in expect.items():
        attr = getattr(HumanTask, column)
        cond.append(attr.is_(None) if value is None else attr == value)
    done = session.execute(update(HumanTask).where(*cond).values(**values),
                           execution_options={"synchronize_session": False})
    if done.rowcount != 1:
        session.expire(row)
        raise Conflict(refusal())
    session.expire(row)


def _record(session, event: str, row: HumanTask, user, now: datetime, **data) -> None:
    audit(session, event, instance_id=row.instance_id, actor_id=user.id, element_id=row.element_id,
          human_task_id=row.id, data={"title": row.title, "role": row.role_key, **data}, at=now)


def _who(user: User) -> dict:
    return {"username": user.username, "name": user.display_name, "unit": user.unit.name}


def _held_elsewhere(row: HumanTask) -> str:
    if row.assignee_id:
        return f"“{row.title}”已由{name_of(row.assignee)}签收"
    return f"“{row.title}”的状态已变化，请刷新后重试"


def _role_holders_task(ctx: Context, session, user_id: int, task_id: int) -> tuple[User, HumanTask]:
    """The caller and the ready task (locked as `_task` does) of a role the caller holds; 403/404/409."""
    user = session.get(User, user_id)
    row = _task(ctx, session, user, task_id)
    if not _holds_role(ctx, user, row):
        raise PermissionDenied("该任务不属于您的角色或单位")
    _ready(row)
    return user, row


def claim(ctx: Context, user_id: int, task_id: int, now: datetime | None = None) -> None:
    """签收: the caller, a holder of the task's role, takes it. Claiming one's own task again is a no-op."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user, row = _role_holders_task(ctx, session, user_id, task_id)
        if row.assignee_id == user.id:
            return
        if row.assignee_id is not None:
            raise Conflict(_held_elsewhere(row))
        _change(session, row, {"assignee_id": None}, {"assignee_id": user.id, "claimed_at": now},
                lambda: _held_elsewhere(row))
        _record(session, "task_claimed", row, user, now, holder=_who(user))


def unclaim(ctx: Context, user_id: int, task_id: int, now: datetime | None = None) -> None:
    """退签 by the holder (not while delegated out), or a manager of the jurisdiction releasing a claim
    (an open delegation ends with it)."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        row = _task(ctx, session, user, task_id)
        manager = policy.can_manage(user, row.jurisdiction)
        if row.assignee_id != user.id and not manager:
            if not _holds_role(ctx, user, row):
                raise PermissionDenied("该任务不属于您的角色或单位")
            raise Conflict(_held_elsewhere(row) + "，只有签收人或管理者可以退签" if row.assignee_id
                           else f"“{row.title}”尚未签收")
        _ready(row)
        if row.assignee_id is None:
            raise Conflict(f"“{row.title}”尚未签收")
        if row.delegation == OUT and row.assignee_id == user.id and not manager:
            raise Conflict(f"“{row.title}”已委托{name_of(row.delegate)}办理，请先收回委托再退签")
        holder = row.assignee
        _change(session, row, {"assignee_id": holder.id},
                {"assignee_id": None, "claimed_at": None, "delegation": None}, lambda: _held_elsewhere(row))
        _record(session, "task_unclaimed", row, user, now, holder=_who(holder),
                released_by_manager=holder.id != user.id)


def _colleague(session, user, username: object) -> User:
    if not isinstance(username, str) or not username.strip():
        raise ValidationFailed("请指定人员", errors={"username": "请填写用户名"})
    target = session.scalar(select(User).where(User.username == username.strip(), User.active.is_(True)))
    if target is None or not policy.in_jurisdiction(user, target.jurisdiction):
        raise ValidationFailed(f"没有名为“{username.strip()}”的在职人员", errors={"username": "没有该人员"})
    return target


def assign(ctx: Context, user_id: int, task_id: int, username: object, now: datetime | None = None) -> None:
    """转办: the holder (or, for an unclaimed task, a holder of its role; or a manager) hands the task to
    another holder of its role — of the instance's unit for a unit role (422 otherwise)."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        row = _task(ctx, session, user, task_id)
        manager = policy.can_manage(user, row.jurisdiction)
        if not (_holds_role(ctx, user, row) or manager):
            raise PermissionDenied("该任务不属于您的角色或单位")
        _ready(row)
        if row.assignee_id not in (None, user.id) and not manager:
            raise Conflict(_held_elsewhere(row) + "，只有签收人可以转办")
        if row.delegation == OUT:
            raise Conflict(f"“{row.title}”已委托{name_of(row.delegate)}办理，请先收回委托再转办")
        target = _colleague(session, user, username)
        jurisdiction = ctx.registry.get(row.jurisdiction)
        if not policy.can_act_on(target, jurisdiction, row.role_key, row.role_unit_id):
            role = jurisdiction.role(row.role_key)
            scope = "本项目申报单位" if role and role.unit_scoped else ""
            label = jurisdiction.role_label(row.role_key)
            raise ValidationFailed(f"{target.display_name}不是{scope}“{label}”的办理人员，"
                                   "只能转办给同一办理角色的人员", errors={"username": "不是该任务办理角色的人员"})
        if target.id == row.assignee_id:
            raise ValidationFailed(f"该任务已由{target.display_name}签收", errors={"username": "已是签收人"})
        before = row.assignee
        _change(session, row, {"assignee_id": row.assignee_id, "delegation": row.delegation},
                {"assignee_id": target.id, "claimed_at": now}, lambda: _held_elsewhere(row))
        _record(session, "task_assigned", row, user, now, holder=_who(before) if before else None, to=_who(target))


def delegate(ctx: Context, user_id: int, task_id: int, username: object, now: datetime | None = None) -> None:
    """委托: the holder (an unclaimed task is claimed by it) gives the task to a colleague of their own unit
    to fill in; it comes back for the holder's 确认."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user, row = _role_holders_task(ctx, session, user_id, task_id)
        if row.assignee_id not in (None, user.id):
            raise Conflict(_held_elsewhere(row) + "，只有签收人可以委托")
        if row.delegation == OUT:
            raise Conflict(f"“{row.title}”已委托{name_of(row.delegate)}办理")
        target = _colleague(session, user, username)
        if target.id == user.id:
            raise ValidationFailed("不能委托给自己", errors={"username": "不能委托给自己"})
        if target.unit_id != user.unit_id:
            raise ValidationFailed(f"{target.display_name}不是本单位（{user.unit.name}）人员，只能委托本单位同事",
                                   errors={"username": "只能委托本单位同事"})
        claimed = row.assignee_id is None
        _change(session, row, {"assignee_id": row.assignee_id, "delegation": row.delegation},
                {"assignee_id": user.id, "claimed_at": now if claimed else row.claimed_at,
                 "delegate_id": target.id, "delegation": OUT}, lambda: _held_elsewhere(row))
        if claimed:
            _record(session, "task_claimed", row, user, now, holder=_who(user))
        _record(session, "task_delegated", row, user, now, holder=_who(user), to=_who(target))


def recall(ctx: Context, user_id: int, task_id: int, now: datetime | None = None) -> None:
    """收回委托: the holder takes a task delegated out back (the delegate's draft is kept)."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user, row = _role_holders_task(ctx, session, user_id, task_id)
        if row.assignee_id != user.id or row.delegation != OUT:
            raise Conflict(f"“{row.title}”没有您委托出去的办理")
        target = row.delegate
        _change(session, row, {"assignee_id": user.id, "delegation": OUT}, {"delegation": None},
                lambda: f"“{row.title}”的委托状态已变化，请刷新后重试")
        _record(session, "task_delegation_recalled", row, user, now, holder=_who(user), to=_who(target))


def _draft_data(data: object) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationFailed("data 须为对象", errors={"data": "须为 JSON 对象"})
    return jsonable(data)


def save_draft(ctx: Context, user_id: int, task_id: int, data: object, now: datetime | None = None) -> None:
    """暂存: the form as it stands, without validation (its attachment ids kept). By the holder — saving
    claims an unclaimed task — or by the colleague it is delegated to."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        row = _task(ctx, session, user, task_id)
        delegate_saves = is_delegate(row, user)
        if not delegate_saves and not _holds_role(ctx, user, row):
            raise PermissionDenied("该任务不属于您的角色或单位")
        _ready(row)
        if not delegate_saves:
            refusal = completion_refusal(row, user)
            if refusal:
                raise Conflict(refusal)
        draft = _draft_data(data)
        claimed = row.assignee_id is None
        values = {"draft": draft, "draft_saved_at": now}
        if claimed:
            values.update(assignee_id=user.id, claimed_at=now)
        _change(session, row, {"assignee_id": row.assignee_id, "delegation": row.delegation}, values,
                lambda: _held_elsewhere(row))
        if claimed:
            _record(session, "task_claimed", row, user, now, holder=_who(user), by_draft=True)
        _record(session, "task_draft_saved", row, user, now, fields=sorted(draft), by_delegate=delegate_saves)


def submit_delegated(ctx: Context, user_id: int, task_id: int, data: object, now: datetime | None = None) -> None:
    """The delegate hands the filled-in form back to the holder: validated as a completion would be
    (422 with the fields' messages), kept as the task's draft, the task back with the holder for 确认."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        row = _task(ctx, session, user, task_id)
        if row.delegate_id != user.id and not _holds_role(ctx, user, row):
            raise PermissionDenied("该任务不属于您的角色或单位，也未委托给您")
        _ready(row)
        if not is_delegate(row, user):
            raise Conflict(f"“{row.title}”没有委托给您办理（或已提交、已收回）")
        inst = session.get(ProcessInstance, row.instance_id)
        answers = choices.validate(ctx, session, inst, ctx.forms_for(session, inst.process_version_id), row.form,
                                   data) if row.form else _draft_data(data)
        attachments.check_answers(ctx, session, row, answers, actor=user)
        holder = row.assignee
        _change(session, row, {"delegate_id": user.id, "delegation": OUT},
                {"draft": jsonable(answers), "draft_saved_at": now, "delegation": BACK},
                lambda: f"“{row.title}”的委托状态已变化，请刷新后重试")
        _record(session, "task_delegate_submitted", row, user, now, holder=_who(holder), to=_who(holder),
                delegate=_who(user))


def confirm(ctx: Context, who: int | Principal, task_id: int, data: object = None,
            now: datetime | None = None) -> dict:
    """确认: the holder completes a task the delegate submitted back, with the delegate's answers (or
    `data`, the holder's amended answers). Answers what `runtime.complete` answers."""
    user_id = who.id if isinstance(who, Principal) else who
    with ctx.db.transaction() as session:
        user, row = _role_holders_task(ctx, session, user_id, task_id)
        if row.assignee_id != user.id or row.delegation != BACK:
            raise Conflict(f"“{row.title}”没有待您确认的委托办理结果")
        answers = row.draft if data is None else data
    return runtime.complete(ctx, who, task_id, answers, now)


def candidates(ctx: Context, user_id: int, task_id: int) -> dict[str, list[dict]]:
    """Whom the caller could name: `assign` the other holders of the task's role (of the instance's unit
    for a unit role), `delegate` the caller's colleagues of their own unit; each {username, name, unit}."""
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        row = session.get(HumanTask, task_id)
        if row is None or not policy.in_jurisdiction(user, row.jurisdiction):
            raise NotFound(f"任务不存在：{task_id}")
        jurisdiction = ctx.registry.get(row.jurisdiction)
        people = session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                                 .where(User.jurisdiction == row.jurisdiction, User.active.is_(True),
                                        UserRole.role_key == row.role_key).order_by(User.username)).unique()
        holders = [u for u in people if u.id not in (user.id, row.assignee_id)
                   and policy.can_act_on(u, jurisdiction, row.role_key, row.role_unit_id)]
        colleagues = session.scalars(select(User).where(User.unit_id == user.unit_id, User.active.is_(True),
                                                        User.id != user.id).order_by(User.username))

        def item(u: User) -> dict:
            return {"username": u.username, "name": u.display_name, "unit": u.unit.name}
        return {"assign": [item(u) for u in holders], "delegate": [item(u) for u in colleagues]}
