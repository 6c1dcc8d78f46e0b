"""签收 / 退签 / 转办 / 委托 / 暂存 / 确认 and comments over HTTP (`/api/v1`), over
engine/services/claims.py and engine/services/comments.py; their schemas and OpenAPI paths."""
from __future__ import annotations

from flask import Blueprint, g, request
from marshmallow import Schema, fields, validate

from engine.services import claims, comments, views
from web import schemas
from web.api import authenticated, ctx, reply

bp = Blueprint("claims_api", __name__, url_prefix="/api/v1")


class AssignRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(max=80),
                             metadata={"description": "转办：同一办理角色（单位角色为本项目申报单位）的人员；"
                                                      "委托：本单位同事"})


class DraftRequest(Schema):
    data = fields.Dict(required=True, metadata={"description": "表单当前内容（不校验；附件字段填已上传的附件编号）"})


class ConfirmRequest(Schema):
    data = fields.Dict(metadata={"description": "签收人修改后的答复；省略则按受托人提交的答复办理"})


class CommentRequest(Schema):
    text = fields.String(required=True, metadata={"description": "意见内容（≤4000字）"})


SCHEMAS = {"AssignRequest": AssignRequest, "DraftRequest": DraftRequest, "ConfirmRequest": ConfirmRequest,
           "CommentRequest": CommentRequest, "Comment": schemas.CommentSchema}


def _task(task_id: int):
    return reply(schemas.TaskDetailSchema(), views.task_detail(ctx(), g.user_id, task_id))


def _body() -> dict:
    payload = request.get_json(silent=True)
    return payload if isinstance(payload, dict) else {}


@bp.post("/tasks/<int:task_id>/claim")
@authenticated
def claim(task_id: int):
    """签收: 409 when another holder has it."""
    claims.claim(ctx(), g.user_id, task_id)
    return _task(task_id)


@bp.post("/tasks/<int:task_id>/unclaim")
@authenticated
def unclaim(task_id: int):
    """退签 by the holder, or a manager releasing it."""
    claims.unclaim(ctx(), g.user_id, task_id)
    return _task(task_id)


@bp.post("/tasks/<int:task_id>/assign")
@authenticated
def assign(task_id: int):
    """转办 to another holder of the task's role."""
    claims.assign(ctx(), g.user_id, task_id, _body().get("username"))
    return _task(task_id)


@bp.post("/tasks/<int:task_id>/delegate")
@authenticated
def delegate(task_id: int):
    """委托 to a colleague of the holder's unit."""
    claims.delegate(ctx(), g.user_id, task_id, _body().get("username"))
    return _task(task_id)


@bp.post("/tasks/<int:task_id>/recall")
@authenticated
def recall(task_id: int):
    """收回委托."""
    claims.recall(ctx(), g.user_id, task_id)
    return _task(task_id)


@bp.put("/tasks/<int:task_id>/draft")
@authenticated
def save_draft(task_id: int):
    """暂存 (claims the task if unclaimed)."""
    claims.save_draft(ctx(), g.user_id, task_id, _body().get("data", "missing"))
    return _task(task_id)


@bp.post("/tasks/<int:task_id>/submit")
@authenticated
def submit(task_id: int):
    """The delegate hands the filled-in form back to the holder (validated as a completion)."""
    claims.submit_delegated(ctx(), g.user_id, task_id, _body().get("data"))
    return _task(task_id)


@bp.post("/tasks/<int:task_id>/confirm")
@authenticated
def confirm(task_id: int):
    """确认: the holder completes with what the delegate submitted (or amended `data`)."""
    state = claims.confirm(ctx(), g.principal, task_id, _body().get("data"))
    return reply(schemas.CompleteResponse(), {"instance": state})


def _comment_args() -> tuple[object, tuple | None]:
    """(text, file) from JSON {text} or multipart (text, file)."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        return request.form.get("text"), (upload.filename, upload.stream) if upload and upload.filename else None
    return _body().get("text"), None


def _comments(**where):
    if request.method == "GET":
        return reply(schemas.CommentSchema(many=True), comments.of(ctx(), g.user_id, **where))
    text, upload = _comment_args()
    body = comments.add(ctx(), g.user_id, text, file=upload, **where)
    return reply(schemas.CommentSchema(), body, 201)


@bp.route("/tasks/<int:task_id>/comments", methods=["GET", "POST"])
@authenticated
def task_comments(task_id: int):
    return _comments(task_id=task_id)


@bp.route("/instances/<int:instance_id>/comments", methods=["GET", "POST"])
@authenticated
def instance_comments(instance_id: int):
    return _comments(instance_id=instance_id)


def paths(op, json, errors, body, path_id) -> dict:
    """The OpenAPI paths of these calls (web/openapi.py's helpers)."""
    task = [path_id()]
    detail = {**json("TaskDetail", "任务（含 assignee、delegated_to、draft、actions）")}

    def change(summary: str, codes=(401, 403, 404, 409), request_body=None) -> dict:
        return {"post": op(summary, {**detail, **errors(*codes)}, body=request_body, params=task)}

    multipart = {"type": "object", "required": ["text"], "properties": {
        "text": {"type": "string"}, "file": {"type": "string", "format": "binary", "description": "附件（可选）"}}}
    listing = {**json("Comment", "评论，时间先后", array=True), **errors(401, 403, 404)}
    added = {**json("Comment", "已发表", status=201), **errors(401, 403, 404, 413, 422)}
    comment_body = body("CommentRequest", multipart=multipart)
    return {
        "/api/v1/tasks/{id}/claim": change("签收：由本人办理（他人已签收时 409）"),
        "/api/v1/tasks/{id}/unclaim": change("退签：签收人退回待签收，或管理者解除签收"),
        "/api/v1/tasks/{id}/assign": change("转办给同一办理角色的其他人员（单位角色限本项目申报单位）",
                                            (401, 403, 404, 409, 422), body("AssignRequest")),
        "/api/v1/tasks/{id}/delegate": change("委托本单位同事填报，提交后由签收人确认", (401, 403, 404, 409, 422),
                                              body("AssignRequest")),
        "/api/v1/tasks/{id}/recall": change("收回委托"),
        "/api/v1/tasks/{id}/draft": {"put": op("暂存表单（不校验；未签收的任务随之签收）",
                                               {**detail, **errors(401, 403, 404, 409, 422)},
                                               body=body("DraftRequest"), params=task)},
        "/api/v1/tasks/{id}/submit": change("受托人提交填报结果给签收人确认（按表单校验）", (401, 403, 404, 409, 422),
                                            body("CompleteRequest")),
        "/api/v1/tasks/{id}/confirm": {"post": op(
            "签收人确认受托人的填报结果并办理（可带修改后的 data）",
            {**json("CompleteResponse", "已办理"), **errors(401, 403, 404, 409, 422)},
            body=body("ConfirmRequest", required=False), params=task)},
        "/api/v1/tasks/{id}/comments": {"get": op("任务的评论", listing, params=task),
                                        "post": op("评论任务（可附一个附件）", added, body=comment_body, params=task)},
        "/api/v1/instances/{id}/comments": {"get": op("项目的全部评论（含各任务的）", listing, params=task),
                                            "post": op("评论项目（可附一个附件）", added, body=comment_body,
                                                       params=task)},
    }
