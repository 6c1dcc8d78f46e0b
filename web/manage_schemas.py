"""Response schemas of the managers' portfolio (web/manage_api.py: the dashboard, its tables, the
project search), in the OpenAPI document through SCHEMAS (web/openapi.py), like web/admin.py's. Kept
beside web/schemas.py rather than in it so the managers' calls can grow without touching the shared
module; they use its helpers (`_req`, DATE_TIME)."""
from __future__ import annotations

from marshmallow import Schema, fields

from web.schemas import DATE_TIME, _req

_DAYS = {"description": "天（自然日，保留一位小数）"}


def _days(description: str):
    return _req(fields.Float, allow_none=True, metadata={"description": f"{description}，{_DAYS['description']}"})


class JurisdictionRefSchema(Schema):
    key = _req(fields.String)
    name = _req(fields.String)


class PortfolioCountsSchema(Schema):
    total = _req(fields.Integer)
    running = _req(fields.Integer)
    completed = _req(fields.Integer)
    terminated = _req(fields.Integer)


class _ProcessRef(Schema):
    jurisdiction = _req(fields.String)
    process = _req(fields.String, metadata={"description": "流程标识"})
    process_name = _req(fields.String)


class ProcessCountSchema(_ProcessRef):
    running = _req(fields.Integer)
    completed = _req(fields.Integer)
    terminated = _req(fields.Integer)
    total = _req(fields.Integer)


class PhaseCountSchema(_ProcessRef):
    phase = _req(fields.String, allow_none=True, metadata={"description": "阶段（子流程）id；不分阶段的流程为 null"})
    phase_title = _req(fields.String)
    running = _req(fields.Integer, metadata={"description": "在该阶段办理中的项目"})
    overdue = _req(fields.Integer, metadata={"description": "其中有逾期待办的项目"})


class OutcomeCountSchema(_ProcessRef):
    outcome = _req(fields.String, allow_none=True)
    outcome_label = _req(fields.String)
    count = _req(fields.Integer)


class BureauWaitingSchema(Schema):
    jurisdiction = _req(fields.String)
    role = _req(fields.String, metadata={"description": "角色（部门）标识"})
    role_label = _req(fields.String)
    waiting = _req(fields.Integer, metadata={"description": "待办任务数"})
    overdue = _req(fields.Integer, metadata={"description": "其中逾期"})
    median_wait_days = _days("等待时间中位数")
    oldest_wait_days = _days("最长等待时间")
    oldest_since = _req(fields.String, allow_none=True, metadata=DATE_TIME)


class PortfolioTaskSchema(Schema):
    id = _req(fields.Integer)
    instance_id = _req(fields.Integer)
    jurisdiction = _req(fields.String)
    project_name = _req(fields.String)
    process = _req(fields.String)
    element = _req(fields.String)
    title = _req(fields.String)
    role = _req(fields.String)
    role_label = _req(fields.String)
    lane = _req(fields.String, allow_none=True, metadata={"description": "泳道（办理部门）"})
    applicant_unit = _req(fields.String, metadata={"description": "申报单位"})
    phase_title = _req(fields.String, allow_none=True)
    created_at = _req(fields.String, metadata=DATE_TIME)
    due_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)
    due_provisional = _req(fields.Boolean)
    overdue_days = _req(fields.Float, metadata={"description": "已逾期天数（未逾期为 0）"})
    clock_used = _req(fields.Float, allow_none=True, metadata={"description": "已用时限比例（1 为到期）"})


class TaskListSchema(Schema):
    total = _req(fields.Integer, metadata={"description": "总数（实时，最多计到 10000；capped 为 true 时实际更多）"})
    capped = _req(fields.Boolean, metadata={"description": "实际数目超过 total（计数上限）"})
    tasks = fields.List(fields.Nested(PortfolioTaskSchema), required=True)


class _Durations(Schema):
    count = _req(fields.Integer)
    avg_days = _days("平均")
    median_days = _days("中位数")
    p90_days = _days("90% 分位")


class PhaseDurationSchema(_ProcessRef, _Durations):
    phase = _req(fields.String)
    phase_title = _req(fields.String)


class EndToEndSchema(_ProcessRef, _Durations):
    status = _req(fields.String)
    status_label = _req(fields.String)


class ClockedStepSchema(_ProcessRef, _Durations):
    phase_title = _req(fields.String, allow_none=True)
    element = _req(fields.String)
    title = _req(fields.String)
    clock = _req(fields.String, allow_none=True, metadata={"description": "法定时限，如 10个工作日"})
    in_time = _req(fields.Integer, metadata={"description": "按时办结数"})
    in_time_share = _req(fields.Float, allow_none=True)


class MonthSchema(Schema):
    month = _req(fields.String, metadata={"description": "YYYY-MM（北京时间）"})
    started = _req(fields.Integer)
    completed = _req(fields.Integer)
    terminated = _req(fields.Integer)


class DashboardSchema(Schema):
    jurisdictions = fields.List(fields.Nested(JurisdictionRefSchema), required=True)
    now = _req(fields.String, metadata=DATE_TIME)
    counts = fields.Nested(PortfolioCountsSchema, required=True)
    by_process = fields.List(fields.Nested(ProcessCountSchema), required=True)
    by_phase = fields.List(fields.Nested(PhaseCountSchema), required=True)
    outcomes = fields.List(fields.Nested(OutcomeCountSchema), required=True)
    bureaus = fields.List(fields.Nested(BureauWaitingSchema), required=True)
    overdue = fields.Nested(TaskListSchema, required=True, metadata={"description": "逾期待办（最久的 20 条与总数）"})
    warning = fields.Nested(TaskListSchema, required=True,
                   metadata={"description": "预警待办：已用时限 ≥ 80% 且未到期（最近到期的 20 条与总数）"})
    incidents = _req(fields.Integer, metadata={"description": "未处理的流程故障"})
    summary_computed_at = _req(fields.String, metadata={
        **DATE_TIME, "description": "统计快照的计算时间（数据截至）：counts、by_process、by_phase、outcomes、bureaus、"
                                    "用时与月度趋势均为此刻的数字，定时任务每 5 分钟重算，不早于 10 分钟前；"
                                    "overdue、warning、incidents 为实时"})
    phase_durations = fields.List(fields.Nested(PhaseDurationSchema), required=True)
    end_to_end = fields.List(fields.Nested(EndToEndSchema), required=True)
    clocked_steps = fields.List(fields.Nested(ClockedStepSchema), required=True)
    months = fields.List(fields.Nested(MonthSchema), required=True)


class ProjectRowSchema(Schema):
    id = _req(fields.Integer)
    jurisdiction = _req(fields.String)
    jurisdiction_name = _req(fields.String)
    process = _req(fields.String)
    process_name = _req(fields.String)
    project_name = _req(fields.String)
    applicant_unit = _req(fields.String)
    investment = _req(fields.String, allow_none=True, metadata={"description": "总投资（万元，十进制字符串）"})
    status = _req(fields.String)
    status_label = _req(fields.String)
    outcome = _req(fields.String, allow_none=True)
    outcome_label = _req(fields.String, allow_none=True)
    phase = _req(fields.String, allow_none=True)
    phase_title = _req(fields.String, allow_none=True)
    open_tasks = _req(fields.Integer)
    earliest_due_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)
    overdue = _req(fields.Boolean)
    created_at = _req(fields.String, metadata=DATE_TIME)
    ended_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)
    parent_instance_id = _req(fields.Integer, allow_none=True)


# leaves first: a schema registered after one nesting it would be registered twice
SCHEMAS = {cls.__name__.removesuffix("Schema"): cls for cls in (
    JurisdictionRefSchema, PortfolioCountsSchema, ProcessCountSchema, PhaseCountSchema, OutcomeCountSchema,
    BureauWaitingSchema, PortfolioTaskSchema, TaskListSchema, PhaseDurationSchema, EndToEndSchema, ClockedStepSchema,
    MonthSchema, DashboardSchema, ProjectRowSchema)}
