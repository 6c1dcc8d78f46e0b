"""Administration API: the holiday calendar, timer incidents and yearly cycles (managers and admins,
under /api/v1/admin), and every user's notifications (/api/v1/notifications). Routes translate HTTP
to the services in engine/services; the rules live there."""
from __future__ import annotations

from flask import Blueprint, g, request
from marshmallow import Schema, fields

from engine import clock, policy
from engine.errors import NotFound, PermissionDenied, ValidationFailed
from engine.models import User
from engine.services import calendar_admin, incidents, notifications, opinions, schedules, timers, users
from web import params, schemas
from web.api import _int_arg, authenticated, ctx, reply

bp = Blueprint("admin", __name__, url_prefix="/api/v1")


@bp.record_once
def _install_calendars(state) -> None:
    """The app loads the holiday calendar from the database when it is created."""
    calendar_admin.install(state.app.extensions["govflow"])


def _staff() -> tuple[bool, str]:
    """(is admin, jurisdiction) of the caller; 403 unless manager or admin."""
    with ctx().db.transaction() as session:
        user = session.get(User, g.user_id)
        if not policy.is_manager(user):
            raise PermissionDenied("仅管理员或主管可以访问")
        return policy.is_admin(user), user.jurisdiction


def _scope() -> str | None:
    """The jurisdiction a staff member looks at: managers their own, admins any (?jurisdiction=)."""
    is_admin, own = _staff()
    return params.text_arg("jurisdiction", 40) if is_admin else own


@bp.get("/admin/calendar/years")
@authenticated
def calendar_years():
    return reply(schemas.CalendarYearsSchema(), calendar_admin.list_years(ctx(), _scope()))


@bp.post("/admin/calendar/years")
@authenticated
def import_calendar_year():
    """Body: JSON {text, year?, jurisdiction?} or a multipart upload `file` (+ year, jurisdiction).
    Managers load local rules of their own jurisdiction; admins also the national calendar."""
    is_admin, own = _staff()
    upload = request.files.get("file")
    if upload is not None:
        text, fields = upload.read().decode("utf-8-sig", errors="replace"), request.form
    else:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise ValidationFailed("请提供节假日安排文本（text）或上传文件（file）", errors={"text": "必填"})
        text, fields = body["text"], body
    jurisdiction = fields.get("jurisdiction") or (None if is_admin else own)
    if jurisdiction is not None and not (isinstance(jurisdiction, str) and len(jurisdiction) <= 40):
        raise ValidationFailed("辖区应为辖区代码（如 yeji）", errors={"jurisdiction": "应为辖区代码"})
    if not is_admin and jurisdiction != own:
        raise PermissionDenied("主管只能导入本辖区的地方安排；全国安排由管理员导入")
    year = fields.get("year")
    try:
        if isinstance(year, (bool, float, list, dict)):
            raise TypeError(year)
        year = int(year) if year not in (None, "") else None
    except (TypeError, ValueError):
        raise ValidationFailed("年份应为整数", errors={"year": "应为整数"}) from None
    if year is not None and not 1900 <= year <= 2100:
        raise ValidationFailed("年份应在 1900 至 2100 之间", errors={"year": "应在 1900 至 2100 之间"})
    with ctx().db.transaction() as session:
        who = session.get(User, g.user_id).username
    result = calendar_admin.import_notice(ctx(), text, year=year, jurisdiction=jurisdiction, loaded_by=who)
    return reply(schemas.CalendarImportResponse(), result, 201)


@bp.get("/admin/timers/incidents")
@authenticated
def timer_incidents():
    retrying = params.bool_arg("all")
    return reply(schemas.TimerIncidentSchema(many=True), timers.incidents(ctx(), _scope(), include_retrying=retrying))


@bp.post("/admin/timers/<int:timer_id>/retry")
@authenticated
def retry_timer(timer_id: int):
    is_admin, own = _staff()
    fired = timers.retry(ctx(), timer_id, jurisdiction=None if is_admin else own, actor_id=g.user_id)
    return reply(schemas.TimerRetryResponse(), {"result": fired, "fired": any(f.kind == "timer" for f in fired)})


# --- incidents: failed steps and timers (CONTRACT.md: GET /manage/incidents) -----------------------
# The two response schemas live here rather than in web/schemas.py only because this change may not
# touch that file; web/openapi.py documents them from SCHEMAS below.

class IncidentSchema(Schema):
    kind = schemas._req(fields.String,
                        metadata={"description": "step（流程步骤：脚本、条件、表达式、引擎）或 timer（定时器）"})
    id = schemas._req(fields.Integer, metadata={"description": "故障编号（按 kind 区分）"})
    instance_id = schemas._req(fields.Integer)
    project_name = schemas._req(fields.String)
    process = schemas._req(fields.String)
    jurisdiction = schemas._req(fields.String)
    element = schemas._req(fields.String, metadata={"description": "出错的流程元素 id"})
    title = schemas._req(fields.String, metadata={"description": "元素名称"})
    phase = schemas._req(fields.String, metadata={
        "description": "run、prescript、postscript、update、engine、due_at、subject、timer"})
    phase_label = schemas._req(fields.String)
    error = schemas._req(fields.String, metadata={"description": "错误（中文，含元素）"})
    at = schemas._req(fields.String, allow_none=True,
                      metadata={**schemas.DATE_TIME, "description": "最近一次失败的时间"})
    attempts = schemas._req(fields.Integer)
    state = schemas._req(fields.String,
                         metadata={"description": "failed（待处理）；定时器还可能是 pending（等待自动重试）"})
    state_label = schemas._req(fields.String)


class IncidentRetryResponse(Schema):
    kind = schemas._req(fields.String)
    id = schemas._req(fields.Integer)
    instance_id = schemas._req(fields.Integer, allow_none=True)
    resolved = schemas._req(fields.Boolean, metadata={"description": "重试成功，流程已越过该元素"})
    error = schemas._req(fields.String, allow_none=True, metadata={"description": "再次失败时的错误"})


SCHEMAS = {"Incident": IncidentSchema, "IncidentRetryResponse": IncidentRetryResponse}


@bp.get("/manage/incidents")
@authenticated
def incident_list():
    """Failed steps and timers of the caller's jurisdiction (managers; admins any, ?jurisdiction=)."""
    return reply(IncidentSchema(many=True), incidents.incidents(ctx(), _scope()))


@bp.post("/manage/incidents/<kind>/<int:incident_id>/retry")
@authenticated
def retry_incident(kind: str, incident_id: int):
    is_admin, own = _staff()
    if kind not in incidents.KINDS:
        raise NotFound(f"故障不存在：{kind}/{incident_id}")
    result = incidents.retry(ctx(), kind, incident_id, jurisdiction=None if is_admin else own, actor_id=g.user_id)
    return reply(IncidentRetryResponse(), result)


@bp.get("/manage/overrides")
@authenticated
def override_list():
    """Negative opinions overruled with a stated reason in the caller's jurisdiction, newest first
    (engine/services/opinions.py; managers; admins any, ?jurisdiction=)."""
    return reply(schemas.OverrideSchema(many=True), opinions.overrides(ctx(), g.user_id, _scope()))


@bp.delete("/admin/users/<username>/tokens")
@authenticated
def revoke_user_tokens(username: str):
    """An administrator ends every API token (and browser session) of a user: 204."""
    with ctx().db.transaction() as session:
        if not policy.is_admin(session.get(User, g.user_id)):
            raise PermissionDenied("仅系统管理员可以吊销他人的令牌")
        users.revoke_all(session, username, g.user_id)
    return "", 204


@bp.get("/admin/schedules")
@authenticated
def schedule_list():
    return reply(schemas.ScheduleSchema(many=True), schedules.list_schedules(ctx(), _scope()))


@bp.get("/notifications")
@authenticated
def notification_list():
    unread_only = params.bool_arg("unread")
    items, total, unread = notifications.list_for(ctx(), g.user_id, unread_only=unread_only,
                                                  page=_int_arg("page", 1),
                                                  per_page=_int_arg("per_page", 20, 1, 200))
    return reply(schemas.NotificationSchema(many=True), items, 200,
                 {"X-Total-Count": str(total), "X-Unread-Count": str(unread)})


@bp.post("/notifications/read")
@authenticated
def notifications_read():
    """Body {ids: [...]} marks those read; no body (or {}) marks every unread notice read."""
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise ValidationFailed("请求体应为 JSON 对象（{\"ids\": [...]}），或不带请求体",
                               errors={"_body": "请求体应为 JSON 对象"})
    ids = body.get("ids") if isinstance(body, dict) else None
    if body is not None and not isinstance(body, dict):
        raise ValidationFailed("请求体应为 JSON 对象", errors={"_body": "请求体应为 JSON 对象"})
    if ids is not None and not (isinstance(ids, list) and len(ids) <= 1000
                                and all(isinstance(i, int) and not isinstance(i, bool) for i in ids)):
        raise ValidationFailed("ids 应为整数列表", errors={"ids": "应为整数列表"})
    return reply(schemas.NotificationsReadResponse(),
                 {"updated": notifications.mark_read(ctx(), g.user_id, ids, clock.now())})
