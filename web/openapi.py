"""The OpenAPI 3.1 document, built from the marshmallow schemas and served at /api/v1/openapi.json."""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, jsonify

from web import schemas

bp = Blueprint("openapi", __name__)

_PROBLEMS = {code: {"description": text, "content": {"application/problem+json": {
    "schema": {"$ref": "#/components/schemas/Problem"}}}}
    for code, text in {401: "未登录或令牌无效", 403: "无权操作", 404: "不存在", 409: "任务已不在待办状态",
                       422: "数据校验未通过（errors 按字段给出中文说明）"}.items()}


def _ok(schema: str, description: str, array: bool = False, status: str = "200") -> dict:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {status: {"description": description, "content": {"application/json": {
        "schema": {"type": "array", "items": ref} if array else ref}}}}


def _body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _errors(*codes) -> dict:
    return {str(c): _PROBLEMS[c] for c in codes}


def build_spec() -> dict:
    spec = APISpec(title="govflow API", version="1.0.0", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "政务信息化项目审批流程引擎的 REST 接口（见 CONTRACT.md）"})
    for name in ("TokenRequest", "TokenResponse", "StartRequest", "CompleteRequest", "ProcessSchema",
                 "TaskSchema", "TaskDetailSchema", "InstanceSchema", "ProblemSchema"):
        spec.components.schema(name.replace("Schema", "") or name, schema=getattr(schemas, name))
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    paging = [{"name": n, "in": "query", "schema": {"type": t}, "description": d} for n, t, d in (
        ("process", "string", "按流程过滤"), ("overdue", "boolean", "只看逾期"), ("q", "string", "项目名称搜索"),
        ("sort", "string", "due（默认，最早到期）或 new（最新）"), ("page", "integer", "页码"),
        ("per_page", "integer", "每页条数（≤200）"))]
    secured = [{"bearer": []}]
    paths = {
        "/api/v1/auth/token": {"post": {"summary": "登录换取令牌", "requestBody": _body("TokenRequest"),
                                        "responses": {**_ok("TokenResponse", "令牌"), **_errors(401, 422)}}},
        "/api/v1/processes": {"get": {"summary": "已部署流程（最新版本）", "security": secured,
                                      "responses": {**_ok("Process", "流程列表", array=True), **_errors(401)}}},
        "/api/v1/instances": {"post": {"summary": "发起项目", "security": secured, "requestBody": _body("StartRequest"),
                                       "responses": {**_ok("Instance", "已创建", status="201"),
                                                     **_errors(401, 403, 404, 422)}},
                              "get": {"summary": "项目列表（管理者看全辖区，其他人看本单位）", "security": secured,
                                      "responses": {"200": {"description": "项目列表；总数在 X-Total-Count"},
                                                    **_errors(401)}}},
        "/api/v1/instances/{id}": {"get": {"summary": "项目详情", "security": secured,
                                           "parameters": [{"name": "id", "in": "path", "required": True,
                                                           "schema": {"type": "integer"}}],
                                           "responses": {**_ok("Instance", "项目"), **_errors(401, 403, 404)}}},
        "/api/v1/tasks": {"get": {"summary": "我的待办", "security": secured, "parameters": paging,
                                  "responses": {**_ok("Task", "待办；总数在 X-Total-Count", array=True),
                                                **_errors(401, 422)}}},
        "/api/v1/tasks/completed": {"get": {"summary": "我已办理的任务", "security": secured,
                                            "responses": {**_ok("Task", "已办", array=True), **_errors(401)}}},
        "/api/v1/tasks/{id}": {"get": {"summary": "任务详情（含表单与法律依据）", "security": secured,
                                       "parameters": [{"name": "id", "in": "path", "required": True,
                                                       "schema": {"type": "integer"}}],
                                       "responses": {**_ok("TaskDetail", "任务"), **_errors(401, 403, 404)}}},
        "/api/v1/tasks/{id}/complete": {"post": {"summary": "办理任务", "security": secured,
                                                 "parameters": [{"name": "id", "in": "path", "required": True,
                                                                 "schema": {"type": "integer"}}],
                                                 "requestBody": _body("CompleteRequest"),
                                                 "responses": {"200": {"description": "已办理"},
                                                               **_errors(401, 403, 404, 409, 422)}}},
    }
    paths.update(_more_paths(secured))
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _plain(summary: str, *codes, method: str = "get", body: dict | None = None, params=None) -> dict:
    op = {"summary": summary, "security": [{"bearer": []}],
          "responses": {"200": {"description": "成功"}, **_errors(*codes)}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return {method: op}


def _id(name: str = "id") -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}]


def _more_paths(secured) -> dict:
    """Diagrams, termination, notifications and the managers' administration calls."""
    reason = {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}
    notice = {"type": "object", "properties": {"text": {"type": "string",
                                                        "description": "节假日安排通知（见 docs/clocks.md）"},
                                               "jurisdiction": {"type": "string"}, "year": {"type": "integer"}}}
    return {
        "/api/v1/processes/{key}/diagram": {"get": {
            "summary": "流程图（BPMN XML），默认最新版本", "security": secured,
            "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"name": "version", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "BPMN 2.0 XML", "content": {"application/xml": {}}},
                          **_errors(401, 404)}}},
        "/api/v1/instances/{id}/terminate": _plain("管理者终止项目（须填写理由）", 401, 403, 404, 409, 422,
                                                   method="post", body=reason, params=_id()),
        "/api/v1/notifications": _plain("我的消息通知（逾期提醒等）", 401),
        "/api/v1/notifications/read": _plain("标记消息为已读", 401, method="post",
                                             body={"type": "object", "properties": {"ids": {"type": "array"}}}),
        "/api/v1/admin/calendar/years": {**_plain("已载入的节假日安排与暂定年度", 401, 403),
                                         **_plain("导入一个年度的节假日安排并重算暂定期限", 401, 403, 422,
                                                  method="post", body=notice)},
        "/api/v1/admin/timers/incidents": _plain("定时器故障（重试耗尽）", 401, 403),
        "/api/v1/admin/timers/{id}/retry": _plain("重试故障定时器", 401, 403, 404, method="post", params=_id()),
        "/api/v1/admin/schedules": _plain("年度周期任务（按辖区配置）", 401, 403),
    }


@bp.get("/api/v1/openapi.json")
def openapi_json():
    return jsonify(build_spec())
