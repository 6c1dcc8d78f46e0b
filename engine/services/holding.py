"""Who holds a task now (签收, 委托), read from the task row's own columns: what the completion, the
uploads and the task page ask without another statement (engine/services/claims.py changes it)."""
from __future__ import annotations

from engine import policy
from engine.models import HumanTask, User
from engine.registry import Jurisdiction

OUT, BACK = "out", "back"     # HumanTask.delegation: with the delegate / submitted back for 确认


def name_of(user: User | None) -> str:
    return user.display_name if user is not None else "他人"


def completion_refusal(row: HumanTask, user) -> str | None:
    """Why `user` may not complete the ready task `row` now (None: they may). The holder's name is
    read only to say it (the refusal path)."""
    if row.delegation == OUT:
        if row.assignee_id == user.id:
            return f"“{row.title}”已委托{name_of(row.delegate)}办理，待其提交后由您确认；如需自行办理请先收回委托"
        return f"“{row.title}”已由{name_of(row.assignee)}签收并委托他人办理，您不能提交"
    if row.assignee_id is not None and row.assignee_id != user.id:
        return f"“{row.title}”已由{name_of(row.assignee)}签收，只有签收人可以办理"
    return None


def is_delegate(row: HumanTask, user) -> bool:
    """The colleague the task is delegated out to (who need not hold its role)."""
    return row.delegation == OUT and row.delegate_id == user.id


def may_fill(user, jurisdiction: Jurisdiction, row: HumanTask) -> bool:
    """May fill in the task's form (upload its files, save a draft): a holder of its role, or the
    colleague it is delegated out to."""
    return is_delegate(row, user) or policy.can_act_on(user, jurisdiction, row.role_key, row.role_unit_id)
