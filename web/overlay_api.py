"""Managers' calls on the portfolio (CONTRACT.md, "Managers"): the counts on a version's diagram, the
projects waiting at one of its elements, and the five procedures compared on one project's facts.
Routes only translate HTTP to engine/services/overlay.py and compare.py; their schemas live here and
web/openapi.py documents them from SCHEMAS."""
from __future__ import annotations

from flask import Blueprint, g, request
from marshmallow import Schema, fields

from engine.clocks import local_iso
from engine.errors import ValidationFailed
from engine.services import compare, overlay
from web import params, schemas
from web.api import authenticated, ctx, reply

bp = Blueprint("overlay_api", __name__, url_prefix="/api/v1")


def version_arg() -> int | None:
    """?version=N (a positive integer), or None for the newest deployed version."""
    raw = request.args.get("version")
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= params.INT32_MAX:
        raise ValidationFailed("参数 version 应为版本号（正整数）", errors={"version": "应为版本号（正整数）"})
    return int(raw)


def element_arg() -> str | None:
    return params.text_arg("element", 120)


@bp.get("/manage/processes/<key>/statistics")
@authenticated
def statistics(key: str):
    """Per user task, timer and phase of the version: projects waiting there, and how many overdue — the
    jurisdiction's snapshot, as of X-Counts-Computed-At (at most 10 minutes before)."""
    result = overlay.statistics(ctx(), g.user_id, key, version_arg())
    headers = {"X-Process-Version": str(result["version"]),
               "X-Counts-Computed-At": local_iso(result["computed_at"])}
    return reply(ElementCountSchema(many=True), result["elements"], headers=headers)


@bp.get("/manage/processes/<key>/waiting")
@authenticated
def waiting(key: str):
    """The projects waiting at ?element= (a task, a timer, or inside a phase), overdue first."""
    page = params.int_arg("page", 1, 1, 100_000)
    result = overlay.waiting_projects(ctx(), g.user_id, key, version_arg(), element_arg(), page)
    headers = {"X-Total-Count": str(result["total"]), **({"X-Total-Capped": "true"} if result["capped"] else {})}
    return reply(WaitingProjectSchema(many=True), result["projects"], headers=headers)


@bp.post("/manage/compare")
@authenticated
def compare_cities():
    """The path one project would take under each jurisdiction's newest deployed procedure (a dry run)."""
    compare.ensure_may_compare(ctx(), g.user_id)     # 403 before 422
    body = schemas.load(CompareRequest(), request.get_json(silent=True))
    return reply(CompareResponse(), compare.compare(ctx(), g.user_id, body["facts"]))


# --- schemas (the OpenAPI document is built from these) --------------------------------------------

class ElementCountSchema(Schema):
    element = schemas._req(fields.String, metadata={"description": "BPMN 元素 id（用户任务、定时器或阶段子流程）"})
    title = schemas._req(fields.String, metadata={"description": "中文名称"})
    kind = schemas._req(fields.String, metadata={"description": "user_task、timer 或 phase（折叠子流程，计其内部）"})
    phase = fields.String(allow_none=True, metadata={"description": "所在阶段（子流程）的 id；顶层为 null"})
    active = schemas._req(fields.Integer, metadata={"description": "在此等待的在办项目数"})
    overdue = schemas._req(fields.Integer, metadata={"description": "其中已逾期的项目数（按工作日历计算的期限已过）"})


class WaitingAtSchema(Schema):
    element = schemas._req(fields.String)
    title = schemas._req(fields.String)
    since = fields.DateTime(allow_none=True, metadata={"description": "任务就绪时间（定时器为到期时间）"})
    due_at = fields.DateTime(allow_none=True)
    overdue = schemas._req(fields.Boolean)


class WaitingProjectSchema(Schema):
    id = schemas._req(fields.Integer)
    project_name = schemas._req(fields.String)
    applicant_unit = schemas._req(fields.String)
    created_at = schemas._req(fields.DateTime)
    earliest_due_at = fields.DateTime(allow_none=True)
    overdue = schemas._req(fields.Boolean)
    waiting_at = fields.List(fields.Nested(WaitingAtSchema),
                             metadata={"description": "项目在该元素（阶段内）等待的环节"})


class CompareRequest(Schema):
    facts = schemas._req(fields.Dict, keys=fields.String(), metadata={
        "description": "项目信息（CONTRACT.md “Project facts”：total_investment 万元、project_type、level、"
                       "is_classified 等）；某地申报表没有的项目信息该地忽略，该地必填而未提供的按默认值"
                       "并在 notes 中说明"})


class CompareStepSchema(Schema):
    element = schemas._req(fields.String)
    title = schemas._req(fields.String)
    role = fields.String(allow_none=True, metadata={"description": "角色键（定时器为 null）"})
    role_label = fields.String(metadata={"description": "该地的部门/角色名称"})
    kind = schemas._req(fields.String, metadata={"description": "user_task 或 timer"})
    time_limit = fields.String(allow_none=True, metadata={"description": "规定办理时限（如 10个工作日）"})


class CompareClockSchema(Schema):
    element = schemas._req(fields.String)
    title = schemas._req(fields.String)
    days = schemas._req(fields.Integer, metadata={"description": "等待的自然日"})
    workdays = schemas._req(fields.Integer, metadata={"description": "其中的工作日（法定节假日与调休按日历）"})
    from_ = fields.String(data_key="from", attribute="from", metadata={"description": "开始计时（ISO-8601）"})
    to = fields.String(metadata={"description": "到期（ISO-8601）"})


class CompareResultSchema(Schema):
    jurisdiction = schemas._req(fields.String)
    jurisdiction_name = schemas._req(fields.String)
    document = fields.String()
    process = schemas._req(fields.String)
    process_name = fields.String()
    version = fields.Integer(allow_none=True, metadata={"description": "试算所用的已部署版本"})
    steps = fields.List(fields.Nested(CompareStepSchema), required=True)
    parallel = fields.List(fields.List(fields.String()), required=True,
                           metadata={"description": "同时办理的环节（并联审查），每组为部门名称"})
    approvals = fields.List(fields.String(), required=True, metadata={"description": "作出审查结论的环节"})
    bureaus = fields.List(fields.String(), metadata={"description": "经过的部门，按首次出现的顺序"})
    clocks = fields.List(fields.Nested(CompareClockSchema), metadata={"description": "使流程等待的时间节点"})
    notes = fields.List(fields.String(), metadata={"description": "说明（未提供的项目信息按默认值等）"})
    min_duration_days = fields.Integer(allow_none=True, required=True,
                                       metadata={"description": "最短法定用时（自然日）：各环节即办、"
                                                                "定时器按规定时间到期"})
    min_duration_workdays = fields.Integer(allow_none=True)
    finished = fields.Boolean(metadata={"description": "试算走到流程终点（或进入周期性运维）"})
    outcome = fields.String(allow_none=True)
    outcome_label = fields.String(allow_none=True)
    outcome_reason = fields.String(allow_none=True)
    stopped = fields.String(allow_none=True, metadata={"description": "试算未能完成的原因（超过步数上限、步骤失败等）"})


class CompareResponse(Schema):
    results = fields.List(fields.Nested(CompareResultSchema), required=True)
    computed_at = fields.String(metadata={"description": "试算的起始时间（ISO-8601，北京时间）"})


SCHEMAS = {"ElementCount": ElementCountSchema, "WaitingProject": WaitingProjectSchema,
           "CompareRequest": CompareRequest, "CompareResponse": CompareResponse}
