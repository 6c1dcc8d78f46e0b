"""Notices over HTTP (CONTRACT.md, "Notices"): a manager's 催办 of a waiting task and each user's
通知设置. The list and mark-read calls are in web/admin.py. Routes only translate HTTP to
engine/services/notices.py; its schemas live here and web/openapi.py documents them from SCHEMAS."""
from __future__ import annotations

from flask import Blueprint, g, request
from marshmallow import Schema, fields

from engine import clock
from engine.errors import ValidationFailed
from engine.services import notices
from web import schemas
from web.api import authenticated, ctx, reply

bp = Blueprint("notices", __name__, url_prefix="/api/v1")
_KINDS = {"enum": list(notices.KINDS)}


class UrgeRequest(Schema):
    message = fields.String(required=True, metadata={"description": "催办内容（必填，不超过 500 字）"})


class UrgeResponse(Schema):
    task_id = schemas._req(fields.Integer)
    notified = schemas._req(fields.Integer, metadata={"description": "收到催办的人数（任务角色的承办人）"})
    urged_at = schemas._req(fields.String, metadata=schemas.DATE_TIME)


class NoticePreferenceSchema(Schema):
    kind = schemas._req(fields.String, metadata={**_KINDS, "description": "通知类别"})
    label = schemas._req(fields.String, metadata={"description": "类别名称"})
    in_app = schemas._req(fields.Boolean, metadata={"description": "在“消息通知”中接收"})
    email = schemas._req(fields.Boolean, metadata={"description": "接收邮件（配置了 SMTP 时）"})


class NoticePreferenceItem(Schema):
    kind = fields.String(required=True, metadata=_KINDS)
    in_app = fields.Boolean(required=True)
    email = fields.Boolean(required=True)


class NoticePreferencesRequest(Schema):
    preferences = fields.List(fields.Nested(NoticePreferenceItem), required=True,
                              metadata={"description": "要修改的类别；未列出的保持原设置"})


SCHEMAS = {"UrgeRequest": UrgeRequest, "UrgeResponse": UrgeResponse, "NoticePreference": NoticePreferenceSchema,
           "NoticePreferenceItem": NoticePreferenceItem, "NoticePreferencesRequest": NoticePreferencesRequest}


def _json_object() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("请求体应为 JSON 对象", errors={"_body": "请求体应为 JSON 对象"})
    return body


@bp.post("/tasks/<int:task_id>/urge")
@authenticated
def urge(task_id: int):
    """A manager's 催办: 200 {task_id, notified, urged_at}; 403 not a manager, 404, 409 not waiting, 422."""
    body = request.get_json(silent=True)
    message = body.get("message") if isinstance(body, dict) else None
    result = notices.urge(ctx(), g.user_id, task_id, message, clock.now())
    return reply(UrgeResponse(), {**result, "urged_at": result["urged_at"].astimezone(clock.SHANGHAI).isoformat()})


@bp.get("/notifications/preferences")
@authenticated
def preferences():
    return reply(NoticePreferenceSchema(many=True), notices.preferences(ctx(), g.user_id))


@bp.put("/notifications/preferences")
@authenticated
def set_preferences():
    """Body {preferences: [{kind, in_app, email}]}: answers every kind with the choice now in force."""
    body = _json_object()
    return reply(NoticePreferenceSchema(many=True),
                 notices.set_preferences(ctx(), g.user_id, body.get("preferences"), clock.now()))
