"""marshmallow schemas: the one description of every request and response body. Request bodies are
loaded through them; responses are dumped through them (`dump`: only declared fields go out, and in
testing an undeclared field is an error); the OpenAPI document (web/openapi.py) is built from them.
So the document, the code and the answers cannot drift apart.

In a response schema `required=True` marks a field every answer has (it may still be null where
`allow_none=True`); a field without it appears only in some answers."""
from __future__ import annotations

import logging
from collections.abc import Mapping

from marshmallow import Schema, ValidationError, fields, validate

from engine.errors import ValidationFailed

log = logging.getLogger("govflow.web")
DATE_TIME = {"format": "date-time"}     # ISO-8601 with offset (Beijing time)


def _req(field_class, *args, **kwargs):
    """A field every answer has."""
    return field_class(*args, required=True, **kwargs)


# --- request bodies ---------------------------------------------------------------------------------

class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80),
                             metadata={"description": "用户名"})
    password = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata={"description": "密码"})


class StartRequest(Schema):
    process = fields.String(required=True, metadata={"description": "流程标识，如 yeji"})
    data = fields.Dict(required=True, metadata={"description": "项目事实（见 CONTRACT.md 项目事实表）"})
    parent_instance_id = fields.Integer(load_default=None, allow_none=True,
                                        metadata={"description": "由运行中的项目发起的子流程（如变更）"})


class CompleteRequest(Schema):
    data = fields.Dict(required=True, metadata={"description": "按任务表单 JSON Schema 填写的数据"})


class TerminateRequest(Schema):
    reason = fields.String(required=True, metadata={"description": "终止理由（必填）"})


class NotificationsReadRequest(Schema):
    ids = fields.List(fields.Integer(), metadata={"description": "要标记已读的消息；省略则全部标记已读"})


class CalendarImportRequest(Schema):
    text = fields.String(required=True, metadata={"description": "节假日安排通知（见 docs/clocks.md）；"
                                                                 "也可用 multipart 上传 file"})
    year = fields.Integer(allow_none=True, metadata={"description": "年度；省略则从通知中读取"})
    jurisdiction = fields.String(allow_none=True,
                                 metadata={"description": "地方安排的辖区；省略为全国安排（仅管理员）"})


# --- responses --------------------------------------------------------------------------------------

class TokenResponse(Schema):
    token = _req(fields.String)
    expires_at = _req(fields.String, metadata=DATE_TIME)


class TokenInfoSchema(Schema):
    """One of the caller's live API tokens, without its secret."""
    id = _req(fields.String, metadata={"description": "令牌编号（用于吊销，不是令牌本身）"})
    created_at = _req(fields.String, metadata=DATE_TIME)
    expires_at = _req(fields.String, metadata=DATE_TIME)
    current = _req(fields.Boolean, metadata={"description": "即本次请求所用的令牌"})


class ProcessSchema(Schema):
    key = _req(fields.String, metadata={"description": "流程标识"})
    name = _req(fields.String)
    jurisdiction = _req(fields.String)
    jurisdiction_name = _req(fields.String)
    version = _req(fields.Integer, metadata={"description": "最新部署版本"})
    deployed_at = _req(fields.String, metadata=DATE_TIME)


class TaskSchema(Schema):
    id = _req(fields.Integer)
    instance_id = _req(fields.Integer)
    name = _req(fields.String, metadata={"description": "BPMN 元素 id"})
    title = _req(fields.String, metadata={"description": "中文步骤名"})
    role = _req(fields.String, metadata={"description": "角色标识（CONTRACT.md 角色表）"})
    lane = _req(fields.String, allow_none=True, metadata={"description": "泳道名"})
    process = _req(fields.String)
    jurisdiction = _req(fields.String)
    project_name = _req(fields.String)
    state = _req(fields.String,
                 metadata={"description": "ready（待办）、completed、cancelled、suspended（项目暂停中）"})
    created_at = _req(fields.String, metadata=DATE_TIME)
    due_at = _req(fields.String, allow_none=True, metadata={**DATE_TIME, "description": "办理期限"})
    due_provisional = _req(fields.Boolean, metadata={"description": "该年度节假日安排未载入，期限为暂定"})
    overdue = _req(fields.Boolean)
    completed_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)
    completed_by = _req(fields.String, allow_none=True, metadata={"description": "办理人姓名"})
    # 签收 / 委托 (engine/services/claims.py): absent only from a completion's answer
    assignee = fields.String(allow_none=True, metadata={"description": "签收人用户名；未签收为 null"})
    assignee_name = fields.String(allow_none=True, metadata={"description": "签收人姓名"})
    claimed_at = fields.String(allow_none=True, metadata=DATE_TIME)
    delegated_to = fields.String(allow_none=True, metadata={"description": "受托人用户名（委托未结束时）；否则 null"})
    delegated_to_name = fields.String(allow_none=True, metadata={"description": "受托人姓名"})
    delegation = fields.String(allow_none=True, metadata={
        "enum": ["out", "back", None],
        "description": "out：受托人办理中；back：受托人已提交，待签收人确认；null：无委托"})
    has_draft = fields.Boolean(metadata={"description": "有暂存的表单"})


class CommentAttachmentSchema(Schema):
    id = _req(fields.Integer)
    name = _req(fields.String)
    size = _req(fields.Integer)


class CommentSchema(Schema):
    id = _req(fields.Integer)
    instance_id = _req(fields.Integer)
    task_id = _req(fields.Integer, allow_none=True, metadata={"description": "所评论的任务；对项目的评论为 null"})
    text = _req(fields.String)
    author = _req(fields.String, metadata={"description": "用户名"})
    author_name = _req(fields.String)
    author_unit = _req(fields.String)
    created_at = _req(fields.String, metadata=DATE_TIME)
    attachment = _req(fields.Nested, CommentAttachmentSchema, allow_none=True)


class CompletedTaskSchema(TaskSchema):
    """A task the user completed (GET /tasks/completed): what they decided and where the project stands."""
    decision = _req(fields.String, allow_none=True, metadata={
        "description": "办理决定（approve 通过、return 退回修改、reject 不通过…）；无决定的环节为 null（已提交）"})
    decision_label = _req(fields.String, allow_none=True,
                          metadata={"description": "办理决定的中文（按表单，如 予以受理）"})
    project_status = _req(fields.String, metadata={"enum": ["running", "completed", "terminated"],
                                                   "description": "项目当前状态"})
    project_outcome = _req(fields.String, allow_none=True, metadata={"description": "项目办结结果代码"})
    project_outcome_label = _req(fields.String, allow_none=True, metadata={"description": "项目办结结果"})


class FormSchema(Schema):
    name = _req(fields.String, allow_none=True, metadata={"description": "表单名，如 yeji/review；无表单为 null"})
    schema = _req(fields.Dict, metadata={"description": "JSON Schema"})
    ui_schema = _req(fields.Dict)


class LegalBasisSchema(Schema):
    article = _req(fields.String, metadata={"description": "条款，如 第六条"})
    text = _req(fields.String)
    document = _req(fields.String, metadata={"description": "所依据的办法"})


class ReturnSchema(Schema):
    """A return or rejection of material on the instance (newest first)."""
    by = _req(fields.String, allow_none=True)
    mine = _req(fields.Boolean, metadata={"description": "是否为当前用户本人（上一轮）提出的意见"})
    unit = _req(fields.String, allow_none=True)
    step = _req(fields.String, allow_none=True)
    decision = _req(fields.String, metadata={"enum": ["return", "reject"]})
    comment = _req(fields.String, allow_none=True)
    at = _req(fields.String, metadata=DATE_TIME)


class PassedStepSchema(Schema):
    """An automatic step the engine went through after the event (engine/steps_passed.py)."""
    element = _req(fields.String, metadata={"description": "BPMN 元素 id"})
    title = _req(fields.String)
    kind = _req(fields.String, metadata={"enum": ["script", "decision", "timer"],
                                         "description": "script 系统处理、decision 自动判断、timer 时间节点"})
    to = fields.List(fields.String(), metadata={"description": "自动判断选择的去向（网关）"})
    armed_at = fields.String(allow_none=True, metadata={**DATE_TIME, "description": "开始等待的时间（时间节点）"})
    fires_at = fields.String(allow_none=True, metadata={**DATE_TIME, "description": "等待至（时间节点）"})


class HistoryItemSchema(Schema):
    event = _req(fields.String, metadata={"description": "如 instance_started、task_completed"})
    at = _req(fields.String, metadata=DATE_TIME)
    element = _req(fields.String, allow_none=True)
    title = _req(fields.String, allow_none=True)
    by = _req(fields.String, allow_none=True)
    unit = _req(fields.String, allow_none=True)
    role = _req(fields.String, allow_none=True, metadata={"description": "办理身份（task_completed）"})
    decision = _req(fields.String, allow_none=True)
    comment = _req(fields.String, allow_none=True)
    data = _req(fields.Dict, allow_none=True, metadata={"description": "办理时填写的数据，或事件数据"})
    passed = _req(fields.List, fields.Nested(PassedStepSchema),
                  metadata={"description": "该事件之后流程自动经过的环节（系统处理、自动判断、时间节点），按先后"})


class OpinionSchema(Schema):
    """One opinion a consolidating task consolidates (engine/services/opinions.py)."""
    element = _req(fields.String, metadata={"description": "审查任务的 BPMN 元素 id"})
    title = _req(fields.String)
    role = _req(fields.String, allow_none=True, metadata={"description": "审查部门的角色"})
    lane = _req(fields.String, allow_none=True)
    state = _req(fields.String, metadata={"description": "ready、completed、not_reached（本轮尚未送达）"})
    decision = _req(fields.String, allow_none=True)
    decision_label = _req(fields.String, allow_none=True)
    comment = _req(fields.String, allow_none=True)
    negative = _req(fields.Boolean, metadata={"description": "已办理且意见不是通过"})
    given = _req(fields.Boolean, metadata={"description": "本轮已出具意见"})
    effect = _req(fields.String, metadata={"enum": ["binding", "overridable", "advisory"],
                                           "description": "binding：约束结论；overridable：须说明理由方可不采纳"})
    effect_label = _req(fields.String)
    due_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)
    overdue = _req(fields.Boolean)
    completed_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)
    by = _req(fields.String, allow_none=True)
    unit = _req(fields.String, allow_none=True)


class OverruledSchema(Schema):
    element = _req(fields.String)
    title = _req(fields.String)
    role = _req(fields.String, allow_none=True)
    decision = _req(fields.String, allow_none=True)
    decision_label = _req(fields.String, allow_none=True)
    comment = _req(fields.String, allow_none=True)
    by = _req(fields.String, allow_none=True)
    unit = _req(fields.String, allow_none=True)


class OverrideSchema(Schema):
    """A negative opinion overruled with a stated reason (audit event `opinion_overridden`)."""
    instance_id = _req(fields.Integer)
    project_name = fields.String(metadata={"description": "仅 /manage/overrides"})
    element = _req(fields.String, metadata={"description": "作出结论的任务"})
    title = _req(fields.String, allow_none=True)
    decision = _req(fields.String, allow_none=True)
    decision_label = _req(fields.String, allow_none=True)
    reason = _req(fields.String, allow_none=True, metadata={"description": "不采纳的理由"})
    overruled = _req(fields.List, fields.Nested(OverruledSchema))
    by = _req(fields.String, allow_none=True)
    unit = _req(fields.String, allow_none=True)
    at = _req(fields.String, metadata=DATE_TIME)


class ClaimSchema(Schema):
    """A fact the applicant claimed that an office confirms (engine/services/confirmed_facts.py)."""
    key = _req(fields.String, metadata={"description": "开始表单字段，如 in_reserve"})
    label = _req(fields.String)
    claimed = _req(fields.Raw, allow_none=True, metadata={"description": "申报单位所报"})
    evidence_label = _req(fields.String, allow_none=True)
    evidence = _req(fields.Raw, allow_none=True, metadata={"description": "申报单位所附依据"})


class ConfirmedFactSchema(ClaimSchema):
    confirmed = _req(fields.Raw, allow_none=True, metadata={"description": "核实结果（未核实为 null）"})
    holds = _req(fields.Boolean, allow_none=True, metadata={"description": "所报属实"})
    confirmed_by = _req(fields.String, allow_none=True)
    confirmed_unit = _req(fields.String, allow_none=True)
    confirmed_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)
    comment = _req(fields.String, allow_none=True)


class RecordValueSchema(Schema):
    label = _req(fields.String)
    value = _req(fields.Raw)
    unit = _req(fields.String, allow_none=True)


class RecordRowSchema(Schema):
    instance_id = _req(fields.Integer)
    project_name = _req(fields.String)
    plan_year = _req(fields.Raw, allow_none=True)
    recorded_at = _req(fields.String, metadata=DATE_TIME)
    values = _req(fields.List, fields.Nested(RecordValueSchema))


class RecordsSchema(Schema):
    """The answers of another project's step a task reads (`reads`, engine/services/field_checks.py)."""
    element = _req(fields.String, metadata={"description": "所读的环节（任务 id），如 BudgetReview"})
    title = _req(fields.String, metadata={"description": "该环节的名称"})
    rows = _req(fields.List, fields.Nested(RecordRowSchema))


class TaskDetailSchema(TaskSchema):
    form = _req(fields.Nested, FormSchema)
    legal_basis = _req(fields.List, fields.Nested(LegalBasisSchema))
    facts = _req(fields.Dict, metadata={"description": "项目事实"})
    applicant_unit = _req(fields.String)
    can_complete = _req(fields.Boolean)
    suspension_notice = _req(fields.String, allow_none=True,
                             metadata={"description": "项目暂停时：暂停依据的决定、决定者和起始时间（任务暂不能办理）"})
    data = _req(fields.Dict, allow_none=True, metadata={"description": "已办理的答复"})
    returns = _req(fields.List, fields.Nested(ReturnSchema))
    earlier_steps = _req(fields.List, fields.Nested(HistoryItemSchema))
    opinions = _req(fields.List, fields.Nested(OpinionSchema),
                    metadata={"description": "汇总环节：各方审查意见并列（其他任务为空列表）"})
    confirms = _req(fields.List, fields.Nested(ClaimSchema), metadata={"description": "本任务核实的申报事实"})
    records = _req(fields.List, fields.Nested(RecordsSchema),
                   metadata={"description": "本任务读取的本辖区其他项目的办理记录（reads；其他任务为空列表）"})
    refusal = _req(fields.String, allow_none=True,
                   metadata={"description": "角色人员此刻不能办理的原因（他人已签收、已委托）"})
    actions = _req(fields.List, fields.String(), metadata={
        "description": "调用者此刻可做的操作：claim、unclaim、assign、delegate、recall、save_draft、submit、"
                       "confirm、complete"})
    draft = _req(fields.Dict, allow_none=True, metadata={"description": "暂存的表单（或受托人提交待确认的答复）"})
    draft_saved_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)
    comments = _req(fields.List, fields.Nested(CommentSchema), metadata={"description": "对本任务的评论，时间先后"})


class WaitingSchema(Schema):
    name = _req(fields.String)
    title = _req(fields.String)
    fires_at = _req(fields.String, metadata=DATE_TIME)
    state = _req(fields.String,
                 metadata={"description": "pending（等待）、failed（故障，待重试）、paused（项目暂停中）"})
    last_error = _req(fields.String, allow_none=True)


class ChildInstanceSchema(Schema):
    id = _req(fields.Integer)
    process = _req(fields.String)
    name = _req(fields.String, metadata={"description": "流程名"})
    status = _req(fields.String, metadata={"enum": ["running", "completed", "terminated"]})
    outcome = _req(fields.String, allow_none=True)
    outcome_label = _req(fields.String, allow_none=True)
    created_at = _req(fields.String, metadata=DATE_TIME)


class _OrderSchema(Schema):
    """What an order that acts on a project says of itself (engine/services/orders.py)."""

    state_label = _req(fields.String)
    reason = _req(fields.String, allow_none=True)
    since = _req(fields.String, metadata=DATE_TIME)
    by = _req(fields.String, allow_none=True, metadata={"description": "作出决定的人"})
    by_unit = _req(fields.String, allow_none=True)
    by_instance_id = _req(fields.Integer, allow_none=True, metadata={"description": "作出决定的子流程（如 限期整改）"})
    by_process = _req(fields.String, allow_none=True)
    by_process_name = _req(fields.String, allow_none=True)


class SuspensionSchema(_OrderSchema):
    state = _req(fields.String, metadata={"enum": ["suspended"]})
    order = _req(fields.String, allow_none=True, metadata={"description": "暂停依据的决定（如 暂停项目建设）"})


class HoldSchema(_OrderSchema):
    state = _req(fields.String, metadata={"enum": ["held"]})
    steps = _req(fields.List, fields.String(), metadata={"description": "暂缓办理的步骤（元素 id，如 Payment）"})
    step_titles = _req(fields.List, fields.String(), metadata={"description": "暂缓办理的步骤名称"})
    order = _req(fields.String, allow_none=True,
                 metadata={"description": "暂缓办理依据的决定（如 暂缓拨付建设资金及运维经费）"})


class DocumentSummarySchema(Schema):
    id = _req(fields.Integer)
    kind = _req(fields.String, metadata={"enum": ["acceptance", "non_acceptance", "correction", "joint_opinions",
                                                  "approval"],
                                         "description": "受理通知书、不予受理通知书、补正通知、联合审查意见汇总、批复"})
    title = _req(fields.String)
    number = _req(fields.String, allow_none=True, metadata={"description": "文号（如 叶数管〔2026〕12号）；"
                                                                            "刚印发、尚未编号时为 null"})
    created_at = _req(fields.String, metadata=DATE_TIME)


class InstanceSchema(Schema):
    id = _req(fields.Integer)
    process = _req(fields.String)
    version = _req(fields.Integer)
    jurisdiction = _req(fields.String)
    jurisdiction_name = _req(fields.String)
    project_name = _req(fields.String)
    applicant_unit = _req(fields.String)
    status = _req(fields.String, metadata={"enum": ["running", "completed", "terminated"]})
    outcome = _req(fields.String, allow_none=True)
    outcome_label = _req(fields.String, allow_none=True)
    outcome_reason = _req(fields.String, allow_none=True)
    data = _req(fields.Dict, metadata={"description": "项目事实"})
    created_at = _req(fields.String, metadata=DATE_TIME)
    ended_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)
    parent_instance_id = _req(fields.Integer, allow_none=True)
    standing = _req(fields.Dict, allow_none=True, metadata={
        "description": "项目作为信息系统公布的情况（流程在 jurisdiction.json 中声明的 standing，如宿迁 accepted、"
                       "funds_withheld、funds_withheld_reason），本单位后续项目据以核对；未公布的为 null"})
    children = _req(fields.List, fields.Nested(ChildInstanceSchema), metadata={"description": "由本项目发起的子流程"})
    active_tasks = _req(fields.List, fields.Nested(TaskSchema), metadata={"description": "待人办理的任务"})
    suspension = _req(fields.Nested, SuspensionSchema, allow_none=True,
                      metadata={"description": "项目被暂停（暂缓、暂停建设）时：依据的决定、决定者、起始时间；"
                                               "否则为 null"})
    holds = _req(fields.List, fields.Nested(HoldSchema),
                 metadata={"description": "暂缓办理部分步骤的决定（宿迁 第三十六条 暂缓拨付）：其余步骤照常办理"})
    suspended_tasks = _req(fields.List, fields.Nested(TaskSchema),
                           metadata={"description": "因暂停或暂缓办理而搁置的任务"})
    completed_elements = _req(fields.List, fields.String(), metadata={"description": "已办理的步骤（元素 id）"})
    waiting = _req(fields.List, fields.Nested(WaitingSchema), metadata={"description": "等待中的定时器"})
    history = _req(fields.List, fields.Nested(HistoryItemSchema))
    comments = _req(fields.List, fields.Nested(CommentSchema),
                    metadata={"description": "对项目及其任务的评论，时间先后"})
    overrides = _req(fields.List, fields.Nested(OverrideSchema),
                     metadata={"description": "说明理由后不采纳的审查意见"})
    facts = _req(fields.List, fields.Nested(ConfirmedFactSchema), metadata={"description": "申报事实与核实结果"})
    documents = _req(fields.List, fields.Nested(DocumentSummarySchema),
                     metadata={"description": "本项目印发的公文（GET /documents/{id} 取 PDF）"})


class InstanceSummarySchema(Schema):
    id = _req(fields.Integer)
    process = _req(fields.String)
    project_name = _req(fields.String)
    status = _req(fields.String, metadata={"enum": ["running", "completed", "terminated"]})
    outcome = _req(fields.String, allow_none=True)
    applicant_unit = _req(fields.String)
    created_at = _req(fields.String, metadata=DATE_TIME)


class InstanceStateSchema(Schema):
    """The instance right after a step; the full detail is GET /instances/{id}."""
    id = _req(fields.Integer)
    process = _req(fields.String)
    status = _req(fields.String, metadata={"enum": ["running", "completed", "terminated"]})
    outcome = _req(fields.String, allow_none=True)
    outcome_label = _req(fields.String, allow_none=True)
    outcome_reason = _req(fields.String, allow_none=True)
    active_tasks = _req(fields.List, fields.Nested(TaskSchema), metadata={"description": "待人办理的任务"})
    waiting = _req(fields.List, fields.Nested(WaitingSchema), metadata={"description": "等待中的定时器"})


class CompleteResponse(Schema):
    instance = _req(fields.Nested, InstanceStateSchema,
                    metadata={"description": "办理后的项目状态（完整详情见 GET /instances/{id}）"})


class NotificationSchema(Schema):
    id = _req(fields.Integer)
    kind = _req(fields.String, metadata={"description": "如 task_overdue、timer_incident"})
    title = _req(fields.String)
    body = _req(fields.String, allow_none=True)
    instance_id = _req(fields.Integer, allow_none=True)
    task_id = _req(fields.Integer, allow_none=True)
    created_at = _req(fields.String, metadata=DATE_TIME)
    read = _req(fields.Boolean)
    read_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)


class NotificationsReadResponse(Schema):
    updated = _req(fields.Integer, metadata={"description": "标记为已读的条数"})


class CalendarYearSchema(Schema):
    id = _req(fields.Integer)
    jurisdiction = _req(fields.String, allow_none=True, metadata={"description": "地方安排的辖区；全国安排为 null"})
    jurisdiction_name = _req(fields.String)
    year = _req(fields.Integer)
    source = _req(fields.String)
    holidays = _req(fields.List, fields.String(metadata={"format": "date"}))
    workdays = _req(fields.List, fields.String(metadata={"format": "date"}), metadata={"description": "调休上班日"})
    holiday_count = _req(fields.Integer)
    workday_count = _req(fields.Integer)
    builtin = _req(fields.Boolean, metadata={"description": "来自 chinese-calendar 的内置年度"})
    loaded_by = _req(fields.String, allow_none=True)
    loaded_at = _req(fields.String, metadata=DATE_TIME)


class CalendarYearsSchema(Schema):
    years = _req(fields.List, fields.Nested(CalendarYearSchema))
    provisional_years = _req(fields.List, fields.Integer(), metadata={"description": "尚未载入、按暂定规则计算的年度"})
    provisional_rule = _req(fields.String)


class CalendarImportResponse(CalendarYearSchema):
    replaced = _req(fields.Boolean, metadata={"description": "替换了已载入的同一年度"})
    recomputed_tasks = _req(fields.Integer)
    recomputed_timers = _req(fields.Integer)


class TimerIncidentSchema(Schema):
    id = _req(fields.Integer)
    instance_id = _req(fields.Integer)
    project_name = _req(fields.String)
    process = _req(fields.String)
    jurisdiction = _req(fields.String)
    element = _req(fields.String)
    title = _req(fields.String)
    state = _req(fields.String, metadata={"description": "pending、fired、done、failed"})
    state_label = _req(fields.String)
    run_at = _req(fields.String, metadata=DATE_TIME)
    attempts = _req(fields.Integer)
    last_error = _req(fields.String, allow_none=True)
    claimed_by = _req(fields.String, allow_none=True)
    claimed_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)
    fired_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)


class FiredSchema(Schema):
    """One thing a tick or a retry did (engine.services.fired.Fired)."""
    kind = _req(fields.String, metadata={"description": "timer、overdue、failed、schedule、schedule_failed"})
    instance_id = _req(fields.Integer, allow_none=True)
    element = _req(fields.String, attribute="element_id")
    title = _req(fields.String)
    detail = _req(fields.String)


class TimerRetryResponse(Schema):
    result = _req(fields.List, fields.Nested(FiredSchema))
    fired = _req(fields.Boolean, metadata={"description": "定时器已触发"})


class ScheduleSchema(Schema):
    id = _req(fields.Integer)
    jurisdiction = _req(fields.String)
    name = _req(fields.String, allow_none=True)
    process = _req(fields.String)
    rule = _req(fields.String, metadata={"description": "yearly MM-DD [HH:MM]、quarterly D 或 monthly D"})
    active = _req(fields.Boolean)
    next_run_at = _req(fields.String, metadata=DATE_TIME)
    last_run_at = _req(fields.String, allow_none=True, metadata=DATE_TIME)


class AttachmentUploadResponse(Schema):
    id = _req(fields.Integer, metadata={"description": "附件编号：填入任务表单的附件字段（x-widget: attachment）"})
    name = _req(fields.String, metadata={"description": "清理后的文件名"})
    size = _req(fields.Integer, metadata={"description": "字节数"})
    sha256 = _req(fields.String, metadata={"description": "内容的 SHA-256"})


class ProblemSchema(Schema):
    """application/problem+json (RFC 9457) with govflow's members."""
    type = _req(fields.String)
    title = _req(fields.String)
    status = _req(fields.Integer)
    detail = _req(fields.String)
    code = fields.String(metadata={"description": "稳定的错误代码，如 validation_failed"})
    errors = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "字段 → 中文说明"})
    element = fields.String(metadata={"description": "出错的流程元素（script_error）"})
    problems = fields.List(fields.Raw(), metadata={"description": "流程图或辖区配置的问题"})
    retry_after = fields.Integer(metadata={"description": "登录被暂时锁定时，须等待的秒数（同 Retry-After）"})


# Every schema the OpenAPI document lists, by component name (the class name without "Schema").
COMPONENTS = {cls.__name__.removesuffix("Schema"): cls for cls in (
    TokenRequest, StartRequest, CompleteRequest, TerminateRequest, NotificationsReadRequest, CalendarImportRequest,
    TokenResponse, ProcessSchema, TaskSchema, OverrideSchema, TaskDetailSchema, InstanceSchema, InstanceSummarySchema,
    CompleteResponse, NotificationSchema, NotificationsReadResponse, CalendarYearsSchema, CalendarImportResponse,
    TimerIncidentSchema, TimerRetryResponse, ScheduleSchema, AttachmentUploadResponse, ProblemSchema)}
COMPONENTS["TokenInfo"] = TokenInfoSchema
COMPONENTS["CompletedTask"] = CompletedTaskSchema


# --- process designers (web/design_api.py, engine/services/designer.py) -----------------------------

_FILES = {"description": "{文件名: 文件内容}：.bpmn/.dmn 文件的完整文本（原样保存，含 BOM 与换行符）；"
                         "未给出的文件沿用最新部署版本（尚未部署时取 bpmn_diagrams/<辖区>/）"}
_FORMS = {"description": "{表单名: JSON Schema 对象}：随版本部署的表单（覆盖 forms/ 中的同名表单）"}


class ValidateRequest(Schema):
    files = fields.Dict(required=True, keys=fields.String(), values=fields.String(), metadata=_FILES)
    forms = fields.Dict(keys=fields.String(), values=fields.Dict(), load_default=None, allow_none=True,
                        metadata=_FORMS)


class DeployRequest(ValidateRequest):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000),
                         metadata={"description": "变更说明"})


class MigrationRequest(Schema):
    process = fields.String(required=True, metadata={"description": "流程标识"})
    from_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10**9))
    to_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10**9))
    instance_ids = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1, max=2**63 - 1)),
                               load_default=None, allow_none=True,
                               metadata={"description": "只迁移这些项目；省略则为源版本上所有运行中的项目"})
    mapping = fields.Dict(keys=fields.String(), values=fields.String(), load_default=None, allow_none=True,
                          metadata={"description": "旧元素 id → 新元素 id（改名的任务、定时器）"})
    dry_run = fields.Boolean(required=True, metadata={"description": "true：只检查能否迁移，不作改动"})


class ProcessVersionSchema(Schema):
    version = _req(fields.Integer)
    deployed_at = _req(fields.String, metadata=DATE_TIME)
    deployed_by = _req(fields.String, allow_none=True, metadata={"description": "部署人用户名（cli、demo 为命令行）"})
    note = _req(fields.String, allow_none=True, metadata={"description": "变更说明"})
    running_instances = _req(fields.Integer, metadata={"description": "该版本上运行中的项目数"})


class VersionFileSchema(Schema):
    name = _req(fields.String, metadata={"description": "文件名（不含目录）"})
    kind = _req(fields.String, metadata={"enum": ["bpmn", "dmn"]})
    sha256 = _req(fields.String, metadata={"description": "文件字节的 SHA-256（十六进制）"})


class DesignProblemItemSchema(Schema):
    file = _req(fields.String, allow_none=True)
    element = _req(fields.String, allow_none=True, metadata={"description": "元素 id"})
    line = _req(fields.Integer, allow_none=True, metadata={"description": "所在行（可确定时）"})
    message = _req(fields.String, metadata={"description": "中文说明"})


class ValidateResponse(Schema):
    problems = _req(fields.List, fields.Nested(DesignProblemItemSchema), metadata={"description": "校验通过时为空"})


class DesignProblemsSchema(ProblemSchema):
    """422 of validate and deploy: the problems of the files (nothing deployed)."""
    problems = _req(fields.List, fields.Nested(DesignProblemItemSchema))


class DeployResponse(Schema):
    version = _req(fields.Integer, metadata={"description": "新部署的版本号（未变化时为最新版本）"})
    created = _req(fields.Boolean, metadata={"description": "false：文件与表单都与最新版本相同，未部署新版本（200）"})


class DiffChangeSchema(Schema):
    field = _req(fields.String, metadata={"description": (
        "kind、name、lane、role、documentation、property（key 为属性名）、attribute（key 为属性名，如 sourceRef）、"
        "condition、script、timer（key 为 timeDate/timeDuration/timeCycle）、event、extension、loop、definition、"
        "incoming、outgoing；决策表：description、hit_policy、aggregation、input_column、output_column（key 为列号）、"
        "rule_added、rule_removed、rule_description、input_entry、output_entry（rule 为规则序号，key 为列号）")})
    key = _req(fields.String, allow_none=True)
    rule = _req(fields.Integer, allow_none=True, metadata={"description": "决策表规则序号（从 1 起）"})
    column = _req(fields.String, allow_none=True, metadata={"description": "决策表列名"})
    old = _req(fields.Raw, allow_none=True)
    new = _req(fields.Raw, allow_none=True)


class DiffElementSchema(Schema):
    id = _req(fields.String)
    kind = _req(fields.String, metadata={"description": "BPMN 元素类型（userTask、sequenceFlow …）或 decision"})
    name = _req(fields.String, allow_none=True)
    process = _req(fields.String, allow_none=True, metadata={"description": "所在流程；决策为 null"})
    file = _req(fields.String)


class DiffChangedElementSchema(DiffElementSchema):
    changes = _req(fields.List, fields.Nested(DiffChangeSchema))


class VersionDiffSchema(Schema):
    process = _req(fields.String)
    from_version = _req(fields.Integer)
    to_version = _req(fields.Integer)
    added = _req(fields.List, fields.Nested(DiffElementSchema))
    removed = _req(fields.List, fields.Nested(DiffElementSchema))
    changed = _req(fields.List, fields.Nested(DiffChangedElementSchema))


class MigrationResultSchema(Schema):
    instance_id = _req(fields.Integer)
    migratable = _req(fields.Boolean)
    reason = _req(fields.String, allow_none=True, metadata={"description": "不能迁移的中文原因"})
    migrated = _req(fields.Boolean, metadata={"description": "已迁移（dry_run 时总为 false）"})


class MigrationResponse(Schema):
    results = _req(fields.List, fields.Nested(MigrationResultSchema))


COMPONENTS.update({cls.__name__.removesuffix("Schema"): cls for cls in (
    ValidateRequest, DeployRequest, MigrationRequest, ProcessVersionSchema, VersionFileSchema, ValidateResponse,
    DesignProblemsSchema, DeployResponse, VersionDiffSchema, MigrationResponse)})


class UndeclaredFields(RuntimeError):
    """A response carries a field its schema does not declare (so the OpenAPI document misses it)."""


def _nested(field) -> Schema | None:
    if isinstance(field, fields.List):
        field = field.inner
    return field.schema if isinstance(field, fields.Nested) else None


def undeclared(schema: Schema, obj, path: str = "") -> list[str]:
    """The paths of keys in `obj` (dicts, lists of dicts, nested) that `schema` does not declare."""
    if isinstance(obj, (list, tuple)):
        return [p for i, item in enumerate(obj) for p in undeclared(schema, item, f"{path}[{i}]")]
    if not isinstance(obj, Mapping):
        return []
    by_attribute = {f.attribute or name: f for name, f in schema.dump_fields.items()}
    found = [f"{path}.{key}".lstrip(".") for key in obj if key not in by_attribute]
    for key, field in by_attribute.items():
        inner = _nested(field)
        if inner is not None and obj.get(key) is not None:
            found += undeclared(inner, obj[key], f"{path}.{key}")
    return found


def dump(schema: Schema, obj, *, strict: bool = False):
    """The response body: `obj` dumped through `schema`. A key the schema does not declare is left out
    (and logged); with `strict` (the app in testing) it raises UndeclaredFields instead."""
    extra = undeclared(schema, obj)
    if extra:
        message = (f"{type(schema).__name__} in web/schemas.py does not declare {', '.join(sorted(set(extra)))}: "
                   "declare it there (the OpenAPI document is built from it)")
        if strict:
            raise UndeclaredFields(message)
        log.warning(message)
    return schema.dump(obj)


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
