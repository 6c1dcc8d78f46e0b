"""The OpenAPI 3.1 document, built from the marshmallow schemas of web/schemas.py (the same ones the
API loads requests and dumps responses through) and served at /api/v1/openapi.json."""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, jsonify

from web import admin, claims_api, manage_schemas, notices_api, overlay_api, schemas

bp = Blueprint("openapi", __name__)

_PROBLEM_TEXTS = {401: "未登录或令牌无效", 403: "无权操作", 404: "不存在", 409: "状态已变化（如任务已不在待办状态）",
                  413: "文件或请求体过大", 422: "数据校验未通过（errors 按字段给出中文说明）",
                  429: "登录失败次数过多，暂时锁定（Retry-After 给出须等待的秒数）"}
_TOTAL = {"X-Total-Count": {"description": "符合条件的总数（分页前）", "schema": {"type": "integer"}}}
# the managers' lists count up to a cap (engine/portfolio_queries.py COUNT_CAP, overlay LIVE_COUNT_CAP)
_CAPPED_TOTAL = {
    "X-Total-Count": {"description": "符合条件的总数（分页前），最多计到 1000", "schema": {"type": "integer"}},
    "X-Total-Capped": {"description": "true：符合条件的超过 X-Total-Count（只计数到上限；之后的页仍可查看）",
                       "schema": {"type": "string", "enum": ["true"]}}}
_SECURED = [{"bearer": []}]


def _components() -> dict:
    """web/schemas.py's components, the incident schemas of web/admin.py, the notices', the claims' and the
    portfolio's (web/manage_schemas.py)."""
    # claims_api first: its Comment comes before the schemas nesting it
    return {**claims_api.SCHEMAS, **schemas.COMPONENTS, **admin.SCHEMAS, **notices_api.SCHEMAS,
            **manage_schemas.SCHEMAS,
            **overlay_api.SCHEMAS}


def _ref(name: str) -> dict:
    if name not in _components():
        raise KeyError(f"no schema {name} in web/schemas.py COMPONENTS")
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str, *, status: int = 200, array: bool = False, headers: dict | None = None) -> dict:
    """A JSON answer whose body is the component `name` (or an array of it)."""
    body = {"type": "array", "items": _ref(name)} if array else _ref(name)
    response = {"description": description, "content": {"application/json": {"schema": body}}}
    if headers:
        response["headers"] = headers
    return {str(status): response}


def _errors(*codes: int) -> dict:
    return {str(code): {"description": _PROBLEM_TEXTS[code],
                        "content": {"application/problem+json": {"schema": _ref("Problem")}}} for code in codes}


def _body(name: str, *, required: bool = True, multipart: dict | None = None) -> dict:
    content = {"application/json": {"schema": _ref(name)}}
    if multipart:
        content["multipart/form-data"] = {"schema": multipart}
    return {"required": required, "content": content}


def _path_id(name: str = "id", kind: str = "integer") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _query(name: str, kind: str, description: str) -> dict:
    return {"name": name, "in": "query", "schema": {"type": kind}, "description": description}


def _op(summary: str, responses: dict, *, secured: bool = True, body: dict | None = None,
        params: list | None = None) -> dict:
    op = {"summary": summary, "responses": responses}
    if secured:
        op["security"] = _SECURED
    if body:
        op["requestBody"] = body
    if params:
        op["parameters"] = params
    return op


def build_spec() -> dict:
    spec = APISpec(title="govflow API", version="1.0.0", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "政务信息化项目审批流程引擎的 REST 接口（见 CONTRACT.md）"})
    for name, schema in _components().items():
        spec.components.schema(name, schema=schema)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    paths = {**_core_paths(), **_auth_paths(), **_more_paths(), **_incident_paths(), **_design_paths(),
             **_notice_paths(), **claims_api.paths(_op, _json, _errors, _body, _path_id), **_portfolio_paths(),
             **_overlay_paths()}
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _core_paths() -> dict:
    """Tokens, processes, instances and tasks (CONTRACT.md: REST API)."""
    pages = [_query("page", "integer", "页码"), _query("per_page", "integer", "每页条数（≤200）")]
    inbox = [_query("process", "string", "按流程过滤"), _query("overdue", "boolean", "只看逾期"),
             _query("q", "string", "项目名称搜索"), _query("sort", "string", "due（默认，最早到期）或 new（最新）"),
             _query("view", "string", "all（默认）、unclaimed（待签收）、claimed（我已签收）或 delegated（委托我的）"),
             *pages]
    return {
        "/api/v1/auth/token": {"post": _op(
            "登录换取令牌（按账号与来源地址限制失败次数）",
            {**_json("TokenResponse", "令牌"), **_errors(401, 422, 429)}, secured=False,
            body=_body("TokenRequest")),
            "delete": _op("吊销本次请求所用的令牌（退出）", {"204": {"description": "已吊销"}, **_errors(401)})},
        "/api/v1/processes": {"get": _op("已部署流程（最新版本）", {**_json("Process", "流程列表", array=True),
                                                              **_errors(401)})},
        "/api/v1/instances": {
            "post": _op("发起项目", {**_json("Instance", "已创建（Location 为项目地址）", status=201,
                                          headers={"Location": {"schema": {"type": "string"}}}),
                                 **_errors(401, 403, 404, 422)}, body=_body("StartRequest")),
            "get": _op("项目列表（管理者看全辖区，其他人看本单位）",
                       {**_json("InstanceSummary", "项目列表", array=True, headers=_TOTAL), **_errors(401, 422)},
                       params=[_query("status", "string", "running、completed 或 terminated"), *pages])},
        "/api/v1/instances/{id}": {"get": _op("项目详情", {**_json("Instance", "项目"), **_errors(401, 403, 404)},
                                              params=[_path_id()])},
        "/api/v1/instances/{id}/terminate": {"post": _op(
            "管理者终止项目（须填写理由）", {**_json("Instance", "已终止的项目"), **_errors(401, 403, 404, 409, 422)},
            body=_body("TerminateRequest"), params=[_path_id()])},
        "/api/v1/instances/{id}/suspend": {"post": _op(
            "管理者暂停项目（须填写理由；待办移出、计时暂停）", {**_json("Instance", "已暂停的项目"),
                                                     **_errors(401, 403, 404, 409, 422)},
            body=_body("TerminateRequest"), params=[_path_id()])},
        "/api/v1/instances/{id}/resume": {"post": _op(
            "管理者恢复暂停的项目（须填写理由；暂停时间顺延）", {**_json("Instance", "已恢复的项目"),
                                                   **_errors(401, 403, 404, 409, 422)},
            body=_body("TerminateRequest"), params=[_path_id()])},
        "/api/v1/tasks": {"get": _op("我的待办", {**_json("Task", "待办", array=True, headers=_TOTAL),
                                                **_errors(401, 422)}, params=inbox)},
        "/api/v1/tasks/completed": {"get": _op("我已办理的任务", {**_json("CompletedTask", "已办", array=True,
                                                                         headers=_TOTAL),
                                                              **_errors(401, 422)}, params=pages)},
        "/api/v1/tasks/{id}": {"get": _op("任务详情（含表单与法律依据）", {**_json("TaskDetail", "任务"),
                                                                  **_errors(401, 403, 404)}, params=[_path_id()])},
        "/api/v1/tasks/{id}/attachments": {"post": _op(
            "上传附件（返回的 id 填入任务表单中 x-widget 为 attachment 的字段）",
            {**_json("AttachmentUploadResponse", "已保存（同一任务再次上传相同内容时返回已有附件）", status=201),
             **_errors(401, 403, 404, 409, 413, 422)},
            body={"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary",
                             "description": "PDF、Word、Excel、PowerPoint、WPS、OFD 或 PNG/JPEG"},
                    "field": {"type": "string", "maxLength": 120,
                              "description": "附件字段（可省略），如 construction_plan 或 quotes.0.file"}}}}}},
            params=[_path_id()])},
        "/api/v1/tasks/{id}/complete": {"post": _op(
            "办理任务", {**_json("CompleteResponse", "已办理"), **_errors(401, 403, 404, 409, 422)},
            body=_body("CompleteRequest"), params=[_path_id()])},
    }


def _auth_paths() -> dict:
    """The caller's tokens, and an administrator ending a user's tokens and sessions."""
    return {
        "/api/v1/auth/tokens": {"get": _op("我的有效令牌（不含令牌本身）",
                                           {**_json("TokenInfo", "令牌，最新在前", array=True), **_errors(401)})},
        "/api/v1/auth/tokens/{token_id}": {"delete": _op(
            "吊销我的某个令牌", {"204": {"description": "已吊销"}, **_errors(401, 404)},
            params=[_path_id("token_id", "string")])},
        "/api/v1/admin/users/{username}/tokens": {"delete": _op(
            "系统管理员吊销某用户的全部令牌与登录会话", {"204": {"description": "已吊销"}, **_errors(401, 403, 404)},
            params=[_path_id("username", "string")])},
    }


def _more_paths() -> dict:
    """Diagrams, notifications and the managers' administration calls."""
    upload = {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "contentMediaType": "text/plain"}, "year": {"type": "integer"},
        "jurisdiction": {"type": "string"}}}
    scope = [_query("jurisdiction", "string", "辖区（仅管理员；主管固定为本辖区）")]
    return {
        "/api/v1/processes/{key}/diagram": {"get": _op(
            "流程图（BPMN XML），默认最新版本",
            {"200": {"description": "BPMN 2.0 XML", "content": {"application/xml": {"schema": {"type": "string"}}}},
             **_errors(401, 404)},
            params=[_path_id("key", "string"), _query("version", "integer", "版本，默认最新")])},
        "/api/v1/documents/{document_id}": {"get": _op(
            "项目印发的公文（PDF）：项目可见者均可下载（其他人 403/404，并记入审计）",
            {"200": {"description": "公文 PDF", "content": {"application/pdf": {
                "schema": {"type": "string", "contentMediaType": "application/pdf"}}}},
             **_errors(401, 403, 404, 409)},
            params=[_path_id("document_id", "integer")])},
        "/api/v1/notifications": {"get": _op(
            "我的消息通知（逾期提醒等）",
            {**_json("Notification", "消息，最新在前", array=True, headers={
                **_TOTAL, "X-Unread-Count": {"description": "未读条数", "schema": {"type": "integer"}}}),
             **_errors(401, 422)},
            params=[_query("unread", "boolean", "只看未读"), _query("page", "integer", "页码"),
                    _query("per_page", "integer", "每页条数（≤200）")])},
        "/api/v1/notifications/read": {"post": _op(
            "标记消息为已读（省略 ids 则全部已读）",
            {**_json("NotificationsReadResponse", "已标记"), **_errors(401, 422)},
            body=_body("NotificationsReadRequest", required=False))},
        "/api/v1/admin/calendar/years": {
            "get": _op("已载入的节假日安排与暂定年度", {**_json("CalendarYears", "年度安排"), **_errors(401, 403)},
                       params=scope),
            "post": _op("导入一个年度的节假日安排并重算暂定期限",
                        {**_json("CalendarImportResponse", "已导入", status=201), **_errors(401, 403, 422)},
                        body=_body("CalendarImportRequest", multipart=upload))},
        "/api/v1/admin/timers/incidents": {"get": _op(
            "定时器故障（重试耗尽）", {**_json("TimerIncident", "故障", array=True), **_errors(401, 403)},
            params=[*scope, _query("all", "boolean", "也列出等待重试的")])},
        "/api/v1/admin/timers/{id}/retry": {"post": _op(
            "重试故障定时器",
            {**_json("TimerRetryResponse", "重试结果（可能再次失败）"), **_errors(401, 403, 404, 409)},
            params=[_path_id()])},
        "/api/v1/admin/schedules": {"get": _op("年度周期任务（按辖区配置）",
                                               {**_json("Schedule", "周期任务", array=True), **_errors(401, 403)},
                                               params=scope)},
    }


def _notice_paths() -> dict:
    """催办 and 通知设置 (web/notices_api.py)."""
    return {
        "/api/v1/tasks/{id}/urge": {"post": _op(
            "管理者催办待办任务（任务角色的承办人收到消息）",
            {**_json("UrgeResponse", "已催办"), **_errors(401, 403, 404, 409, 422)},
            body=_body("UrgeRequest"), params=[_path_id()])},
        "/api/v1/notifications/preferences": {
            "get": _op("我的通知设置（每类通知：站内消息、邮件）",
                       {**_json("NoticePreference", "各类通知的设置", array=True), **_errors(401)}),
            "put": _op("修改通知设置（未列出的类别不变）",
                       {**_json("NoticePreference", "修改后的全部设置", array=True), **_errors(401, 422)},
                       body=_body("NoticePreferencesRequest"))},
    }


def _files(description: str) -> dict:
    return {"description": description, "content": {
        "text/csv": {"schema": {"type": "string", "description": "UTF-8（带 BOM），首行为中文表头"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}}}}


def _portfolio_paths() -> dict:
    """The managers' dashboard, its tables and the project search (web/manage_api.py)."""
    scope = _query("jurisdiction", "string", "辖区（管理员与省级查看员可选；主管固定为本辖区）")
    search = [_query("q", "string", "项目名称或编号"), _query("process", "string", "流程标识"),
              _query("status", "string", "running、completed 或 terminated"),
              _query("outcome", "string", "办理结果代码"), _query("phase", "string", "当前阶段（子流程 id）"),
              _query("applicant_unit", "string", "申报单位名称（包含）"),
              _query("min_investment", "number", "总投资下限（万元）"),
              _query("max_investment", "number", "总投资上限（万元）"),
              _query("started_from", "string", "发起日期起（含，YYYY-MM-DD，北京时间）"),
              _query("started_to", "string", "发起日期止（含）"), _query("overdue", "boolean", "有无逾期待办"),
              _query("waiting_at", "string", "在某部门（角色标识）有待办"),
              _query("sort", "string", "created、investment、name、due、ended、id，前加 - 为倒序（默认 -created）"),
              _query("format", "string", "json（默认）、csv 或 xlsx（整个查询结果）"),
              _query("page", "integer", "页码"), _query("per_page", "integer", "每页条数（≤200）"), scope]
    answers = {**_json("ProjectRow", "项目（JSON）", array=True, headers=_CAPPED_TOTAL)}
    answers["200"]["content"].update(_files("")["content"])
    return {
        "/api/v1/manage/dashboard": {"get": _op(
            "项目总览：按流程、阶段、状态统计，各部门待办与等待时间，逾期与预警，办理结果，各阶段与全流程用时，月度趋势",
            {**_json("Dashboard", "总览"), **_errors(401, 403, 422)}, params=[scope])},
        "/api/v1/manage/dashboard/{name}": {"get": _op(
            "总览中的一张表导出为文件（by_process、by_phase、bureaus、overdue、warning、outcomes、phase_durations、"
            "end_to_end、clocked_steps、months）",
            {"200": _files("CSV 或 Excel 文件"), **_errors(401, 403, 404, 422)},
            params=[_path_id("name", "string"), _query("format", "string", "csv（默认）或 xlsx"), scope])},
        "/api/v1/manage/instances": {"get": _op(
            "项目查询（可排序、分页，X-Total-Count 为总数，最多计到 1000；format=csv/xlsx 导出）",
            {**answers, **_errors(401, 403, 422)}, params=search)},
    }


def _incident_paths() -> dict:
    """Failed steps and timers (CONTRACT.md: managers)."""
    return {
        "/api/v1/manage/incidents": {"get": _op(
            "故障：失败的流程步骤（脚本、条件、表达式、引擎）与重试耗尽的定时器，最新在前",
            {**_json("Incident", "故障", array=True), **_errors(401, 403)},
            params=[_query("jurisdiction", "string", "辖区（仅管理员；主管固定为本辖区）")])},
        "/api/v1/manage/overrides": {"get": _op(
            "不采纳审查意见的记录（说明理由后作出与审查意见相反的结论），最新在前",
            {**_json("Override", "不采纳记录", array=True), **_errors(401, 403)},
            params=[_query("jurisdiction", "string", "辖区（仅管理员；主管固定为本辖区）")])},
        "/api/v1/manage/incidents/{kind}/{incident_id}/retry": {"post": _op(
            "重试故障：重新执行失败的元素（流程步骤）或触发定时器",
            {**_json("IncidentRetryResponse", "重试结果（可能再次失败）"), **_errors(401, 403, 404, 409)},
            params=[_path_id("kind", "string"), _path_id("incident_id")])},
    }


def _design_problems(description: str = "文件有问题（problems 列出文件、元素、行与中文说明），未部署") -> dict:
    return {"422": {"description": description,
                    "content": {"application/problem+json": {"schema": _ref("DesignProblems")}}}}


def _design_paths() -> dict:
    """Process designers (CONTRACT.md: role designer of the process's jurisdiction, or admin; others 403)."""
    key = _path_id("key", "string")
    version = _path_id("version")
    return {
        "/api/v1/processes/{key}/versions": {
            "get": _op("流程的已部署版本（最新在前，含运行中项目数）",
                       {**_json("ProcessVersion", "版本列表", array=True), **_errors(401, 403, 404)}, params=[key]),
            "post": _op("部署新版本：给出的文件替换最新版本中的同名文件，其余沿用；表单随版本保存",
                        {**_json("DeployResponse", "已部署新版本", status=201),
                         **_json("DeployResponse", "文件与表单均未变化，未部署新版本"),
                         **_errors(401, 403, 404, 409), **_design_problems()},
                        body=_body("DeployRequest"), params=[key])},
        "/api/v1/processes/{key}/versions/{version}/files": {"get": _op(
            "版本的文件（名称、类型、SHA-256）",
            {**_json("VersionFile", "文件列表", array=True), **_errors(401, 403, 404)}, params=[key, version])},
        "/api/v1/processes/{key}/versions/{version}/files/{name}": {"get": _op(
            "版本中的一个文件，与部署时逐字节相同",
            {"200": {"description": "BPMN 或 DMN 文件", "content": {"application/xml": {"schema": {"type": "string"}}}},
             **_errors(401, 403, 404)},
            params=[key, version, _path_id("name", "string")])},
        "/api/v1/processes/{key}/validate": {"post": _op(
            "校验（不部署）：给出的文件替换最新版本中的同名文件",
            {**_json("ValidateResponse", "校验通过（problems 为空）"), **_errors(401, 403, 404),
             **_design_problems("校验未通过（problems 列出文件、元素、行与中文说明）")},
            body=_body("ValidateRequest"), params=[key])},
        "/api/v1/processes/{key}/diff": {"get": _op(
            "两个版本之间新增、删除和修改的元素（属性、条件、脚本、定时、决策表单元格 …）",
            {**_json("VersionDiff", "版本差异"), **_errors(401, 403, 404, 422)},
            params=[key, {**_query("from", "integer", "源版本"), "required": True},
                    {**_query("to", "integer", "目标版本"), "required": True}])},
        "/api/v1/migrations": {"post": _op(
            "把运行中的项目迁移到另一版本（dry_run 只检查）：待办任务与等待中的定时器须在目标版本中有同类元素",
            {**_json("MigrationResponse", "每个项目能否迁移、原因、是否已迁移"), **_errors(401, 403, 404, 422)},
            body=_body("MigrationRequest"))},
    }


def _overlay_paths() -> dict:
    """The portfolio on the diagram and the cities compared (CONTRACT.md: managers)."""
    key = _path_id("key", "string")
    version = _query("version", "integer", "版本，默认最新部署的版本")
    return {
        "/api/v1/manage/processes/{key}/statistics": {"get": _op(
            "流程图上的在办统计：每个用户任务、定时器和阶段（折叠子流程）上等待的项目数与逾期数",
            {**_json("ElementCount", "各元素的在办与逾期项目数（X-Process-Version 为统计的版本；统计快照，"
                                     "X-Counts-Computed-At 为数据截至时间）", array=True,
                     headers={"X-Process-Version": {"description": "统计的版本", "schema": {"type": "integer"}},
                              "X-Counts-Computed-At": {"description": "统计快照的计算时间（定时任务每 5 分钟重算，"
                                                                      "不早于 10 分钟前）",
                                                       "schema": {"type": "string", "format": "date-time"}}}),
             **_errors(401, 403, 404, 422)}, params=[key, version])},
        "/api/v1/manage/processes/{key}/waiting": {"get": _op(
            "在某一环节（或阶段内）等待的项目，逾期在前，每页 50 个",
            {**_json("WaitingProject", "项目（实时）", array=True, headers=_CAPPED_TOTAL),
             **_errors(401, 403, 404, 422)},
            params=[key, version, _query("element", "string", "元素 id；省略则为该版本所有在办项目"),
                    _query("page", "integer", "页码")])},
        "/api/v1/manage/compare": {"post": _op(
            "各地流程比对：同一组项目信息在五地最新部署的流程上试算（内存中运行，不保存任何数据）",
            {**_json("CompareResponse", "每个辖区的路径、审批环节、并联审查与最短法定用时"), **_errors(401, 403, 422)},
            body=_body("CompareRequest"))},
    }


@bp.get("/api/v1/openapi.json")
def openapi_json():
    return jsonify(build_spec())
