"""marshmallow schemas: request bodies are loaded through them, and the OpenAPI document is built
from them, so the document and the code cannot drift apart."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from engine.errors import ValidationFailed


class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80),
                             metadata={"description": "用户名"})
    password = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata={"description": "密码"})


class TokenResponse(Schema):
    token = fields.String(required=True)
    expires_at = fields.String(required=True, metadata={"format": "date-time"})


class StartRequest(Schema):
    process = fields.String(required=True, metadata={"description": "流程标识，如 yeji"})
    data = fields.Dict(required=True, metadata={"description": "项目事实（见 CONTRACT.md 项目事实表）"})
    parent_instance_id = fields.Integer(load_default=None, allow_none=True,
                                        metadata={"description": "由运行中的项目发起的子流程（如变更）"})


class CompleteRequest(Schema):
    data = fields.Dict(required=True, metadata={"description": "按任务表单 JSON Schema 填写的数据"})


class ProcessSchema(Schema):
    key = fields.String()
    name = fields.String()
    jurisdiction = fields.String()
    jurisdiction_name = fields.String()
    version = fields.Integer()
    deployed_at = fields.String()


class TaskSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    name = fields.String(metadata={"description": "BPMN 元素 id"})
    title = fields.String(metadata={"description": "中文步骤名"})
    role = fields.String()
    lane = fields.String()
    process = fields.String()
    project_name = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})
    due_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    due_provisional = fields.Boolean()
    overdue = fields.Boolean()


class TaskDetailSchema(TaskSchema):
    form = fields.Dict(metadata={"description": "{name, schema, ui_schema}"})
    legal_basis = fields.List(fields.Dict(), metadata={"description": "[{article, text, document}]"})
    facts = fields.Dict()
    can_complete = fields.Boolean()
    returns = fields.List(fields.Dict())


class WaitingSchema(Schema):
    name = fields.String()
    title = fields.String()
    fires_at = fields.String(metadata={"format": "date-time"})


class InstanceSchema(Schema):
    id = fields.Integer()
    process = fields.String()
    version = fields.Integer()
    status = fields.String(metadata={"enum": ["running", "completed", "terminated"]})
    outcome = fields.String(allow_none=True)
    outcome_label = fields.String(allow_none=True)
    outcome_reason = fields.String(allow_none=True)
    data = fields.Dict()
    created_at = fields.String(metadata={"format": "date-time"})
    ended_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    active_tasks = fields.List(fields.Nested(TaskSchema))
    waiting = fields.List(fields.Nested(WaitingSchema))
    history = fields.List(fields.Dict())


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.String())


def load(schema: Schema, payload) -> dict:
    """Load a request body, turning marshmallow's errors into our 422 with Chinese messages."""
    if not isinstance(payload, dict):
        raise ValidationFailed("请求体应为 JSON 对象", errors={"_body": "请求体应为 JSON 对象"})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        errors = {}
        for field, messages in exc.normalized_messages().items():
            errors[field] = "此项为必填项" if "Missing data" in str(messages) else "取值无效"
        raise ValidationFailed("请求数据不完整或格式有误", errors=errors) from exc
