"""A project held by an order (engine/services/orders.py): the managers' 暂停 / 恢复 buttons on the
project page (the banner itself is ui/_suspension.html)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for

from engine.errors import Conflict, ValidationFailed
from engine.services import orders
from web.ui import details
from web.ui.auth import login_required

bp = Blueprint("orders", __name__)
REASON_MAX = 2000


def _act(instance_id: int, action, done: str):
    reason = (request.form.get("reason") or "")[:REASON_MAX]
    try:
        action(details.ctx(), g.user.id, instance_id, reason)
    except (ValidationFailed, Conflict) as exc:
        flash(exc.detail, "error")
    else:
        flash(done, "success")
    return redirect(url_for("projects.show", instance_id=instance_id), code=303)


@bp.post("/instances/<int:instance_id>/suspend")
@login_required
def suspend(instance_id: int):
    return _act(instance_id, orders.suspend_instance, "项目已暂停：待办移出、计时暂停。")


@bp.post("/instances/<int:instance_id>/resume")
@login_required
def resume(instance_id: int):
    return _act(instance_id, orders.resume_instance, "项目已恢复：暂停的时间已顺延到各环节的时限。")
