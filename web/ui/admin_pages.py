"""Pages for managers and administrators: the holiday calendar (load a year's 国务院办公厅 notice;
provisional years), incidents — failed steps and timers — (retry). The notice list is web/ui/notice_pages.py."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from engine import policy
from engine.errors import GovflowError
from engine.services import calendar_admin
from engine.services import incidents as incident_service
from web.ui.auth import login_required

bp = Blueprint("admin_pages", __name__)


def _ctx():
    return current_app.extensions["govflow"]


def _manager_only():
    if not g.user.is_manager:
        abort(403)


@bp.get("/admin/calendar")
@login_required
def calendar():
    _manager_only()
    national = policy.can_edit_calendar(g.user, None)
    return render_template("ui/admin_calendar.html", data=calendar_admin.list_years(_ctx(), g.user.jurisdiction),
                           text="", scope="national" if national else "local", errors={},
                           may_edit_national=national)


@bp.post("/admin/calendar")
@login_required
def calendar_import():
    _manager_only()
    upload = request.files.get("file")
    text = request.form.get("text", "")
    if upload and upload.filename:
        text = upload.read().decode("utf-8", errors="replace")
    scope = "national" if request.form.get("scope") == "national" else "local"
    if not policy.can_edit_calendar(g.user, g.user.jurisdiction if scope == "local" else None):
        abort(403, "全国节假日安排只能由系统管理员导入；主管可导入本辖区的地方安排")
    try:
        result = calendar_admin.import_notice(_ctx(), text, loaded_by=g.user.username,
                                              jurisdiction=g.user.jurisdiction if scope == "local" else None)
    except GovflowError as exc:
        return render_template("ui/admin_calendar.html", data=calendar_admin.list_years(_ctx(), g.user.jurisdiction),
                               text=text, scope=scope, errors={"text": exc.detail},
                               may_edit_national=policy.can_edit_calendar(g.user, None)), 422
    flash(f"已导入{result['year']}年节假日安排（{result['jurisdiction_name']}），"
          f"重算暂定期限 {result['recomputed_tasks']} 项、定时器 {result['recomputed_timers']} 个。", "success")
    return redirect(url_for("admin_pages.calendar"), code=303)


@bp.get("/admin/incidents")
@login_required
def incidents():
    """故障: failed steps (scripts, conditions, expressions, the engine) and timers of the jurisdiction."""
    _manager_only()
    return render_template("ui/admin_incidents.html",
                           items=incident_service.incidents(_ctx(), g.user.jurisdiction, include_retrying=True))


@bp.post("/admin/incidents/<int:timer_id>/retry")
@login_required
def retry(timer_id: int):
    return retry_incident("timer", timer_id)


@bp.post("/admin/incidents/<kind>/<int:incident_id>/retry")
@login_required
def retry_incident(kind: str, incident_id: int):
    _manager_only()
    if kind not in incident_service.KINDS:
        abort(404)
    result = incident_service.retry(_ctx(), kind, incident_id, jurisdiction=g.user.jurisdiction, actor_id=g.user.id)
    if result["resolved"]:
        flash("已重试，流程已继续。" if kind == "step" else "已重试，定时器已触发。", "success")
    else:
        flash("重试仍失败：" + (result["error"] or ""), "error")
    return redirect(url_for("admin_pages.incidents"), code=303)
