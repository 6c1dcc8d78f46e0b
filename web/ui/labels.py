"""What the pages say: Chinese names of roles, decisions, states and events, and how dates, waiting
times and sizes are written (2026年11月23日, 已等待3天, 1.2 MB)."""
from __future__ import annotations

from datetime import datetime

from engine import clock, cn_dates

DECISION_LABELS = {"approve": "通过", "return": "退回修改", "reject": "不通过"}
STATUS_LABELS = {"running": "办理中", "completed": "已办结", "terminated": "已终止"}
TASK_STATE_LABELS = {"ready": "待办", "completed": "已办", "cancelled": "已取消", "not_reached": "尚未送达",
                     "suspended": "暂停办理中"}
EVENT_LABELS = {
    "instance_started": "发起项目", "task_completed": "办理完成", "timer_fired": "时间节点到达",
    "timer_failed": "定时处理失败", "task_cancelled": "任务撤销", "instance_ended": "流程结束",
    "opinion_overridden": "不采纳审查意见（已说明理由）",
    "fact_confirmed": "核实申报事实",
    "task_urged": "催办", "task_due_soon": "即将到期预警", "task_overdue": "逾期督办",
    # engine/services/claims.py, comments.py
    "task_claimed": "签收", "task_unclaimed": "退签", "task_assigned": "转办", "task_delegated": "委托",
    "task_delegation_recalled": "收回委托", "task_delegate_submitted": "受托人提交填报结果", "task_draft_saved": "暂存",
    "comment_added": "发表意见",
    # engine/services/orders.py: orders that act on the project
    "instance_suspended": "项目暂停", "instance_resumed": "项目恢复", "instance_terminated": "项目终止",
    "steps_held": "暂缓办理", "steps_released": "解除暂缓",
}


def role_label(key: str | None, jurisdiction: str | None = None) -> str:
    """The Chinese name a jurisdiction gives a role (its jurisdiction.json `roles`): the signed-in
    user's jurisdiction unless another is named; the key itself for a role nobody declares."""
    from flask import current_app, g, has_app_context
    if not key or not has_app_context():
        return key or ""
    registry = current_app.extensions["govflow"].registry
    user = g.get("user")
    where = jurisdiction or (user.jurisdiction if user is not None else None)
    if where in registry.jurisdictions():
        return registry.get(where).role_label(key)
    role = registry.roles().get(key)
    return role.label if role else key


def _as_local(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(clock.SHANGHAI)


# the one way dates are written (engine/cn_dates.py), shared with the engine's notices and refusals
cn_date, cn_datetime = cn_dates.cn_date, cn_dates.cn_datetime


def waited(since, now: datetime | None = None) -> str:
    """已等待3天 / 已等待5小时 / 刚刚送达."""
    start = _as_local(since)
    if start is None:
        return ""
    seconds = max(0, int(((now or clock.now()) - start).total_seconds()))
    if seconds >= 86400:
        return f"已等待{seconds // 86400}天"
    if seconds >= 3600:
        return f"已等待{seconds // 3600}小时"
    if seconds >= 60:
        return f"已等待{seconds // 60}分钟"
    return "刚刚送达"


def due_hint(due, now: datetime | None = None) -> str:
    """剩余5天 / 今日到期 / 已逾期2天 (calendar days in Beijing time)."""
    local = _as_local(due)
    if local is None:
        return ""
    today = (now or clock.now()).astimezone(clock.SHANGHAI).date()
    days = (local.date() - today).days
    if days > 0:
        return f"剩余{days}天"
    if days == 0:
        return "今日到期" if local > (now or clock.now()) else "今日已到期"
    return f"已逾期{-days}天"


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def number(value) -> str:
    """300 not 300.0; 1234.5 stays 1234.5."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def register(app) -> None:
    app.jinja_env.filters.update(cn_date=cn_date, cn_datetime=cn_datetime, waited=waited, due_hint=due_hint,
                                 role_label=role_label, file_size=file_size, number=number)
    app.jinja_env.globals.update(DECISION_LABELS=DECISION_LABELS, STATUS_LABELS=STATUS_LABELS,
                                 EVENT_LABELS=EVENT_LABELS, TASK_STATE_LABELS=TASK_STATE_LABELS)
