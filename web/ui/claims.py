"""The task page's 签收 / 退签 / 转办 / 委托 / 收回委托 buttons and the comment boxes of the task and
project pages, over engine/services/claims.py and comments.py; each answers a redirect back with a
Chinese notice, or the page again with the reason (409/422)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for

from engine.errors import Conflict, ValidationFailed
from engine.services import claims, comments, views
from web import params
from web.ui import details
from web.ui.auth import login_required
from web.ui.tasks import render_task

bp = Blueprint("claims", __name__)
DONE = {"claim": "已签收“{title}”，该任务由您办理。", "unclaim": "已退签“{title}”，该任务回到待签收。",
        "recall": "已收回委托，“{title}”由您继续办理。", "assign": "已将“{title}”转办给{to}。",
        "delegate": "已将“{title}”委托{to}填报，其提交后请您确认。"}


@bp.post("/tasks/<int:task_id>/holding")
@login_required
def act(task_id: int):
    ctx = details.ctx()
    task = views.task_detail(ctx, g.user.id, task_id)    # 404/403 before anything else
    action = request.form.get("action")
    username = params.text_arg("username", 80, source=request.form)
    calls = {"claim": lambda: claims.claim(ctx, g.user.id, task_id),
             "unclaim": lambda: claims.unclaim(ctx, g.user.id, task_id),
             "recall": lambda: claims.recall(ctx, g.user.id, task_id),
             "assign": lambda: claims.assign(ctx, g.user.id, task_id, username),
             "delegate": lambda: claims.delegate(ctx, g.user.id, task_id, username)}
    if action not in calls:
        raise ValidationFailed("未知的操作", errors={"action": "未知的操作"})
    try:
        calls[action]()
    except Conflict as exc:
        return render_task(views.task_detail(ctx, g.user.id, task_id), notice=exc.detail, status=409)
    except ValidationFailed as exc:
        return render_task(task, notice=exc.detail, status=422)
    flash(DONE[action].format(title=task["title"], to=username), "success")
    return redirect(url_for("tasks.show", task_id=task_id), code=303)


def _add_comment(**where):
    upload = request.files.get("file")
    comments.add(details.ctx(), g.user.id, request.form.get("text"),
                 file=(upload.filename, upload.stream) if upload and upload.filename else None, **where)
    flash("意见已发表。", "success")


@bp.post("/tasks/<int:task_id>/comments")
@login_required
def task_comment(task_id: int):
    _add_comment(task_id=task_id)
    return redirect(url_for("tasks.show", task_id=task_id, _anchor="comments"), code=303)


@bp.post("/instances/<int:instance_id>/comments")
@login_required
def project_comment(instance_id: int):
    _add_comment(instance_id=instance_id)
    return redirect(url_for("projects.show", instance_id=instance_id, _anchor="comments"), code=303)
