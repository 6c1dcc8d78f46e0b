"""Notices that reach people: a task arrived, material returned for revision, a project's outcome,
a manager's 催办, a deadline coming close (预警) — beside the overdue notices (督办) and timer
incidents of engine/services/notifications.py, which writes the rows and their e-mail copies.

A step (runtime.complete, a timer, a start) writes no notice itself: its own rows are the outbox,
and the scheduler's tick turns them into notices after the step committed, one transaction per batch,
so each event makes its notices exactly once and completion costs not one statement more:

* a task row with `announced_at` NULL (every task row a step inserts) → 新任务 to the holders of
  its role (in the applicant unit, for unit roles); the same transaction sets `announced_at` and
  `warn_at`, the instant the configured share of its clock is used. The instance rows and then the
  task rows are claimed with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite serializes
  writers) — the order every step locks in, so no deadlock — and two schedulers take disjoint rows;
  a committed row is never taken again.
* audit rows past the `notice_cursors` mark → 退回修改 (a `task_completed` with decision `return`)
  and 办理结果 (`instance_ended`, `instance_terminated`) to the applicant. The audit chain's `seq`
  is given under the chain's head lock at commit, so it is the commit order: every row below the mark
  is committed and seen, none can appear below it later. The mark is locked (SKIP LOCKED: a second
  scheduler skips the batch) and moved in the transaction that writes the notices.
* a ready task whose `warn_at` passed and `warned_at` is NULL → 预警 to its role's holders, claimed
  by a conditional UPDATE like the overdue flag.

A 催办 is a person's act and writes its notices in its own transaction (`urge`). The latency of the
scheduled kinds is one scheduler tick (30 s by default, `govflow serve` / `govflow scheduler`).

The share of the clock: `notices.due_soon_percent` in processes/<city>/jurisdiction.json, else the
environment variable GOVFLOW_DUE_SOON_PERCENT, else 80. It is measured in working time on the
jurisdiction's calendar (the hours of statutory working days between the task's arrival and its
deadline); a clock lying wholly in holidays is measured in calendar time."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, lazyload

from engine import clock, policy
from engine.clocks import warn_instant
from engine.config import env_int
from engine.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from engine.models import AuditEvent, HumanTask, NoticeCursor, NoticePreference, ProcessInstance, User
from engine.services import notifications
from engine.services.audit import append as audit
from engine.services.audit import insert_or_ignore, lock_instances
from engine.services.context import Context

# every kind of notice a user may choose to receive (in the list, by e-mail), in the settings' order
KINDS: dict[str, str] = {
    "task_arrived": "新任务送达",
    "task_returned": "退回修改",
    "instance_outcome": "办理结果（通过、不通过、终止）",
    "task_urged": "催办",
    "task_due_soon": "即将到期（预警）",
    "task_overdue": "逾期（督办）",
    "timer_incident": "定时器异常",
    "step_incident": "流程步骤故障",
    "schedule_failed": "周期任务未能发起",
}
DEFAULT_PERCENT = 80
TASK_BATCH = 200      # task rows announced (or warned) per transaction
AUDIT_BATCH = 500     # audit rows read per transaction
URGE_MAX = 500        # characters of a 催办 message
CURSOR = "audit"
_OUTBOX_EVENTS = ("task_completed", "instance_ended", "instance_terminated")


def due_soon_percent(ctx: Context, jurisdiction: str) -> int:
    """The share of a task's clock after which its holders are warned (jurisdiction.json
    `notices.due_soon_percent`, else GOVFLOW_DUE_SOON_PERCENT, else 80)."""
    own = ctx.registry.get(jurisdiction).notices.get("due_soon_percent")
    return int(own) if own is not None else env_int("GOVFLOW_DUE_SOON_PERCENT", DEFAULT_PERCENT)


def warning_at(ctx: Context, jurisdiction: str, start: datetime, due: datetime | None) -> datetime | None:
    """The 预警 instant of a task ready at `start` and due at `due`: the jurisdiction's share of the
    working time between them (engine.clocks.warn_instant). Kept with the due date, by the step that
    made the task ready and by every recomputation of its due date."""
    if due is None:
        return None
    return warn_instant(ctx.calendar(jurisdiction), start, due, due_soon_percent(ctx, jurisdiction))


def _fmt(value: datetime) -> str:
    return notifications.local_text(value)


def _holders(ctx: Context, session: Session, row: HumanTask, seen: dict | None = None) -> list[User]:
    """Who is told about a waiting task: once it is claimed (签收), the one who claimed it, and the
    colleague it is delegated to while it is with them (委托); before that every holder of its role
    (in the applicant unit, for unit roles), read once per batch (`seen`)."""
    if row.assignee_id is not None:
        ids = [row.assignee_id] + ([row.delegate_id] if row.delegation == "out" and row.delegate_id else [])
        return [u for u in (session.get(User, i) for i in ids) if u is not None and u.active]
    unit_scoped = row.role_key in ctx.registry.get(row.jurisdiction).unit_roles
    key = (row.jurisdiction, row.role_key, row.role_unit_id if unit_scoped else None)
    if seen is not None and key in seen:
        return seen[key]
    people = notifications.users_with_role(session, key[0], [key[1]], key[2])
    if seen is not None:
        seen[key] = people
    return people


def _applicants(ctx: Context, session: Session, inst: ProcessInstance) -> list[User]:
    """Who hears of a project's return and outcome: the user who started it and the holders of the
    unit roles that may start its process in the applicant unit."""
    jurisdiction = ctx.registry.get(inst.jurisdiction)
    pdef = jurisdiction.processes.get(inst.process_key)
    roles = [r for r in (pdef.startable_by if pdef else ()) if r in jurisdiction.unit_roles]
    people = notifications.users_with_role(session, inst.jurisdiction, roles, inst.applicant_unit_id) if roles else []
    starter = session.get(User, inst.started_by_id)
    return ([starter] if starter is not None and starter.active else []) + people


# --- the scheduler's part ---------------------------------------------------------------------------

def dispatch(ctx: Context, now: datetime | None = None, batch: int | None = None) -> dict[str, int]:
    """Turn every committed step since the last tick into its notices, a batch per transaction;
    answers how many of each kind were written."""
    now = now or clock.now()
    counts = {"task_arrived": 0, "task_returned": 0, "instance_outcome": 0, "task_due_soon": 0}
    while (done := announce_arrivals(ctx, now, batch or TASK_BATCH)) is not None:
        counts["task_arrived"] += done
    while (done := turn_audit(ctx, now, batch or AUDIT_BATCH)) is not None:
        counts["task_returned"] += done[0]
        counts["instance_outcome"] += done[1]
    while (done := warn_due_soon(ctx, now, batch or TASK_BATCH)) is not None:
        counts["task_due_soon"] += done
    return counts


def announce_arrivals(ctx: Context, now: datetime, batch: int = TASK_BATCH) -> int | None:
    """One batch of task rows not announced yet: 新任务 for those still open, `warn_at` for each.
    Answers the notices written, or None when there was nothing to take."""
    with ctx.db.transaction() as session:
        candidates = session.execute(select(HumanTask.id, HumanTask.instance_id)
                                     .where(HumanTask.announced_at.is_(None)).order_by(HumanTask.id).limit(batch)).all()
        if not candidates:
            return None
        # the instance rows first, as every step takes them (a notice's foreign key waits on a row a
        # timer batch holds FOR UPDATE): an instance held by a step is left for the next tick
        free = lock_instances(session, {c.instance_id for c in candidates}, skip_locked=True)
        ids = [c.id for c in candidates if c.instance_id in free]
        rows = list(session.scalars(
            select(HumanTask).where(HumanTask.id.in_(ids), HumanTask.announced_at.is_(None)).order_by(HumanTask.id)
            .with_for_update(of=HumanTask, skip_locked=True).options(lazyload(HumanTask.completed_by)))) if ids else []
        if not rows:
            return None
        written, seen = 0, {}
        for row in rows:
            row.announced_at = now
            if row.state != "ready":
                continue   # done, cancelled or held before the tick: nothing waits for anyone
            due = f"，办理期限{_fmt(row.due_at)}" if row.due_at else ""
            body = (f"项目“{row.project_name}”（编号 {row.instance_id}）的“{row.title}”已送达"
                    f"（{_fmt(row.created_at)}）{due}，请及时办理。")
            written += notifications.notify(session, _holders(ctx, session, row, seen), kind="task_arrived",
                                            title=f"新任务：{row.title}", body=body, now=now,
                                            instance_id=row.instance_id, human_task_id=row.id)
        return written


def _lock_cursor(session: Session) -> NoticeCursor | None:
    stmt = select(NoticeCursor).where(NoticeCursor.name == CURSOR).with_for_update(skip_locked=True)
    cursor = session.scalar(stmt)
    if cursor is None and session.get(NoticeCursor, CURSOR) is None:
        # a database created before any audit row (the migration places the mark at the chain's head)
        insert_or_ignore(session, NoticeCursor.__table__, {"name": CURSOR, "seq": 0, "updated_at": clock.now()})
        cursor = session.scalar(stmt.execution_options(populate_existing=True))
    return cursor


def turn_audit(ctx: Context, now: datetime, batch: int = AUDIT_BATCH) -> tuple[int, int] | None:
    """One batch of audit rows past the mark: (退回修改 notices, 办理结果 notices) written, or None
    when the mark is at the head (or another scheduler holds it)."""
    with ctx.db.transaction() as session:
        cursor = _lock_cursor(session)
        if cursor is None:
            return None
        marks = session.execute(select(AuditEvent.seq, AuditEvent.id, AuditEvent.event)
                                .where(AuditEvent.seq > cursor.seq).order_by(AuditEvent.seq).limit(batch)).all()
        if not marks:
            return None
        wanted = [m.id for m in marks if m.event in _OUTBOX_EVENTS]
        events = session.scalars(select(AuditEvent).where(AuditEvent.id.in_(wanted)).order_by(AuditEvent.seq)) \
            if wanted else []
        returned = ended = 0
        for ev in events:
            data = ev.data or {}
            if ev.event == "task_completed":
                if (data.get("answers") or {}).get("decision") == "return":
                    returned += _notify_return(ctx, session, ev, now)
            else:
                ended += _notify_outcome(ctx, session, ev, now)
        cursor.seq, cursor.updated_at = marks[-1].seq, now
        return returned, ended


def _notify_return(ctx: Context, session: Session, ev: AuditEvent, now: datetime) -> int:
    inst = session.get(ProcessInstance, ev.instance_id)
    if inst is None:
        return 0
    data = ev.data or {}
    comment = ((data.get("answers") or {}).get("comment") or "").strip()
    who = f"{ev.actor.unit.name}{ev.actor.display_name}" if ev.actor else "审核部门"
    said = f"意见：{comment}" if comment else "未填写意见"
    body = (f"项目“{inst.project_name}”（编号 {inst.id}）的“{data.get('title') or ev.element_id}”"
            f"由{who}于{_fmt(ev.at)}退回修改。{said}。请按意见修改申报材料后重新提交。")
    return notifications.notify(session, _applicants(ctx, session, inst), kind="task_returned",
                                title=f"退回修改：{inst.project_name}", body=body, now=now,
                                instance_id=inst.id, human_task_id=ev.human_task_id)


def _notify_outcome(ctx: Context, session: Session, ev: AuditEvent, now: datetime) -> int:
    inst = session.get(ProcessInstance, ev.instance_id)
    if inst is None:
        return 0
    data = ev.data or {}
    label = data.get("outcome_label") or ctx.registry.get(inst.jurisdiction).outcome_label(data.get("outcome"))
    reason = (data.get("reason") or "").strip()
    verb = "已办结" if ev.event == "instance_ended" else "已终止"
    body = (f"项目“{inst.project_name}”（编号 {inst.id}）于{_fmt(ev.at)}{verb}，结果：{label}。"
            + (f"理由：{reason}。" if reason else ""))
    return notifications.notify(session, _applicants(ctx, session, inst), kind="instance_outcome",
                                title=f"办理结果：{inst.project_name}（{label}）", body=body, now=now,
                                instance_id=inst.id)


def warn_due_soon(ctx: Context, now: datetime, batch: int = TASK_BATCH) -> int | None:
    """One batch of open tasks past their `warn_at` and not warned yet: 预警 to their holders (a task
    already overdue is only marked: its 督办 notice says more). Each task's instance row is locked
    first (SKIP LOCKED: an instance a step holds waits for the next tick), as every path that writes
    an instance's audit rows does, so a scheduler and a completion never deadlock. None when there
    was nothing to take."""
    with ctx.db.transaction() as session:
        candidates = session.execute(
            select(HumanTask.id, HumanTask.instance_id)
            .where(HumanTask.warned_at.is_(None), HumanTask.warn_at.is_not(None), HumanTask.warn_at <= now)
            .order_by(HumanTask.warn_at, HumanTask.id).limit(batch)).all()
        if not candidates:
            return None
        free = lock_instances(session, {c.instance_id for c in candidates}, skip_locked=True)
        taken = written = 0
        for task_id, instance_id in candidates:
            if instance_id not in free:
                continue
            done = session.execute(update(HumanTask).where(HumanTask.id == task_id, HumanTask.warned_at.is_(None))
                                   .values(warned_at=now), execution_options={"synchronize_session": False})
            if done.rowcount != 1:
                continue
            taken += 1
            row = session.get(HumanTask, task_id)
            if row.state != "ready" or row.due_at is None or row.due_at <= now:
                continue
            percent = due_soon_percent(ctx, row.jurisdiction)
            audit(session, "task_due_soon", instance_id=row.instance_id, element_id=row.element_id,
                  human_task_id=row.id, data={"title": row.title, "role": row.role_key, "due_at": row.due_at,
                                              "percent": percent}, at=now)
            body = (f"项目“{row.project_name}”（编号 {row.instance_id}）的“{row.title}”将于{_fmt(row.due_at)}到期，"
                    f"办理时限已用去{percent}%，请抓紧办理。")
            written += notifications.notify(session, _holders(ctx, session, row), kind="task_due_soon",
                                            title=f"即将到期：{row.title}", body=body, now=now,
                                            instance_id=row.instance_id, human_task_id=row.id)
        return written if taken else None


# --- 催办 ---------------------------------------------------------------------------------------------

def urge(ctx: Context, user_id: int, task_id: int, message: str, now: datetime | None = None) -> dict:
    """A manager presses 催办 on a waiting task: its holders get the message. 404 (no such task in the
    manager's jurisdiction), 403 (not a manager), 409 (no longer waiting), 422 (no message)."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        row = session.get(HumanTask, task_id)
        if row is None or not policy.acts_in(user, row.jurisdiction):
            raise NotFound(f"任务不存在：{task_id}")
        if not policy.can_manage(user, row.jurisdiction):
            raise PermissionDenied("只有管理者可以催办")
        if row.state != "ready":
            raise Conflict(f"“{row.title}”已不在待办状态，无需催办")
        text = (message or "").strip() if isinstance(message, str) else ""
        if not text or len(text) > URGE_MAX:
            raise ValidationFailed("请填写催办内容（不超过 500 字）",
                                   errors={"message": "请填写催办内容" if not text else "不超过 500 字"})
        people = _holders(ctx, session, row)
        audit(session, "task_urged", instance_id=row.instance_id, actor_id=user.id, element_id=row.element_id,
              human_task_id=row.id, data={"title": row.title, "role": row.role_key, "message": text,
                                          "notified": len(people)}, at=now)
        due = f"（办理期限{_fmt(row.due_at)}）" if row.due_at else ""
        body = (f"{user.unit.name}{user.display_name}于{_fmt(now)}催办项目“{row.project_name}”"
                f"（编号 {row.instance_id}）的“{row.title}”{due}：{text}")
        notified = notifications.notify(session, people, kind="task_urged", title=f"催办：{row.title}", body=body,
                                        now=now, instance_id=row.instance_id, human_task_id=row.id)
        return {"task_id": row.id, "notified": notified, "urged_at": now}


# --- the user's settings ----------------------------------------------------------------------------

def preferences(ctx: Context, user_id: int) -> list[dict]:
    """Every kind with the user's choice (both channels on unless the user turned one off)."""
    with ctx.db.transaction() as session:
        mine = {p.kind: p for p in session.scalars(select(NoticePreference).where(NoticePreference.user_id == user_id))}
    return [{"kind": kind, "label": label, "in_app": mine[kind].in_app if kind in mine else True,
             "email": mine[kind].email if kind in mine else True} for kind, label in KINDS.items()]


def set_preferences(ctx: Context, user_id: int, items: list, now: datetime | None = None) -> list[dict]:
    """Set the user's choice for the kinds given ([{kind, in_app, email}]); the others keep theirs."""
    now = now or clock.now()
    if not isinstance(items, list) or not items:
        raise ValidationFailed("请至少提供一项通知设置", errors={"preferences": "应为非空列表"})
    chosen: dict[str, tuple[bool, bool]] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("kind"), str) or item["kind"] not in KINDS:
            raise ValidationFailed(f"第 {i + 1} 项的通知类别无效", errors={f"preferences[{i}].kind": "未知的通知类别"})
        if not all(isinstance(item.get(k), bool) for k in ("in_app", "email")):
            raise ValidationFailed(f"第 {i + 1} 项应给出 in_app 与 email（true/false）",
                                   errors={f"preferences[{i}]": "in_app、email 应为 true 或 false"})
        chosen[item["kind"]] = (item["in_app"], item["email"])
    with ctx.db.transaction() as session:
        current = {p.kind: p for p in session.scalars(
            select(NoticePreference).where(NoticePreference.user_id == user_id))}
        changed = {}
        for kind, (in_app, email) in chosen.items():
            row = current.get(kind)
            before = (row.in_app, row.email) if row else (True, True)
            if before == (in_app, email):
                continue
            if row is None:
                session.add(NoticePreference(user_id=user_id, kind=kind, in_app=in_app, email=email, updated_at=now))
            else:
                row.in_app, row.email, row.updated_at = in_app, email, now
            changed[kind] = {"in_app": in_app, "email": email}
        if changed:
            audit(session, "notice_preferences_changed", actor_id=user_id, data={"changed": changed}, at=now)
    return preferences(ctx, user_id)
