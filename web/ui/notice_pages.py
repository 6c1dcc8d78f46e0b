"""The notice pages: the list (消息通知, with mark-read one by one or all, each linking to its task or
project), 通知设置 (which kinds arrive in the list and by e-mail), a manager's 催办 form on a task
page, and the unread count the page header shows (`unread_notices()` in every template)."""
from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from engine import clock
from engine.errors import GovflowError
from engine.services import notices, notifications
from web import params
from web.ui.auth import login_required

bp = Blueprint("notice_pages", __name__)
_LINK = re.compile(r"/(tasks|instances)/[0-9]{1,18}")


def _ctx():
    return current_app.extensions["govflow"]


@bp.app_context_processor
def _unread():
    def unread_notices() -> int:
        """The signed-in user's unread notices, counted once per page."""
        if g.get("user") is None:
            return 0
        if "unread_notices" not in g:
            with _ctx().db.transaction() as session:
                g.unread_notices = notifications.unread_count(session, g.user.id)
        return g.unread_notices
    return {"unread_notices": unread_notices, "NOTICE_KINDS": notices.KINDS}


@bp.get("/notifications")
@login_required
def notice_list():
    unread_only = request.args.get("unread") == "1"
    page = params.int_arg("page", 1, 1, 100_000)
    items, total, unread = notifications.list_for(_ctx(), g.user.id, unread_only=unread_only, page=page, per_page=20)
    return render_template("ui/notifications.html", items=items, total=total, unread=unread, page=page,
                           pages=max(1, (total + 19) // 20), unread_only=unread_only)


@bp.post("/notifications/<int:notice_id>/read")
@login_required
def read_one(notice_id: int):
    """Mark one notice read; with `go`, follow its link (the task, else the project) afterwards."""
    notifications.mark_one_read(_ctx(), g.user.id, notice_id, clock.now())
    target = request.form.get("go", "")
    if _LINK.fullmatch(target):     # only a task or project page of this site: no open redirect
        return redirect(target, code=303)
    return redirect(url_for("notice_pages.notice_list", page=request.form.get("page", 1)), code=303)


@bp.post("/notifications/read")
@login_required
def read_all():
    changed = notifications.mark_read(_ctx(), g.user.id, None, clock.now())
    flash(f"已全部标记为已读（{changed} 条）。" if changed else "没有未读消息。", "success")
    return redirect(url_for("notice_pages.notice_list"), code=303)


@bp.get("/notifications/settings")
@login_required
def settings():
    return render_template("ui/notice_settings.html", items=notices.preferences(_ctx(), g.user.id),
                           smtp=bool(_ctx().settings.smtp_host))


@bp.post("/notifications/settings")
@login_required
def save_settings():
    chosen = [{"kind": kind, "in_app": request.form.get(f"{kind}.in_app") == "on",
               "email": request.form.get(f"{kind}.email") == "on"} for kind in notices.KINDS]
    notices.set_preferences(_ctx(), g.user.id, chosen, clock.now())
    flash("通知设置已保存。", "success")
    return redirect(url_for("notice_pages.settings"), code=303)


@bp.post("/tasks/<int:task_id>/urge")
@login_required
def urge(task_id: int):
    """A manager's 催办 from the task page; a refusal is shown there in Chinese."""
    try:
        result = notices.urge(_ctx(), g.user.id, task_id, request.form.get("message", ""), clock.now())
    except GovflowError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.detail, "error")
    else:
        flash(f"已催办，{result['notified']} 位承办人将收到消息。" if result["notified"]
              else "已记录催办，但该角色目前没有承办人。", "success")
    return redirect(url_for("tasks.show", task_id=task_id), code=303)
