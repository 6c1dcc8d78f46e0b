"""Tables as files: CSV (UTF-8 with a BOM, so Excel opens the Chinese right) and Excel (.xlsx,
openpyxl) — the project search and every table of the dashboard. A table is a list of (key, Chinese
header) columns over the rows the services answer."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from engine import clock

FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PROJECT_COLUMNS = [
    ("id", "项目编号"), ("jurisdiction_name", "辖区"), ("process_name", "流程"), ("project_name", "项目名称"),
    ("applicant_unit", "申报单位"), ("investment", "总投资（万元）"), ("status_label", "状态"),
    ("phase_title", "当前阶段"), ("open_tasks", "待办数"), ("earliest_due_at", "最早到期"),
    ("overdue", "逾期"), ("outcome_label", "办理结果"), ("created_at", "发起时间"), ("ended_at", "办结时间"),
]
_TASK_COLUMNS = [
    ("instance_id", "项目编号"), ("project_name", "项目名称"), ("applicant_unit", "申报单位"),
    ("phase_title", "阶段"), ("title", "待办事项"), ("role_label", "办理部门"), ("lane", "泳道"),
    ("created_at", "到达时间"), ("due_at", "办理期限"), ("overdue_days", "逾期天数"), ("clock_used", "已用时限比例"),
]
_PROCESS = [("process_name", "流程")]
_DURATIONS = [("count", "样本数"), ("avg_days", "平均（天）"), ("median_days", "中位数（天）"),
              ("p90_days", "90%分位（天）")]

# the dashboard's tables: name → (title, the part of the dashboard, columns)
TABLES: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "by_process": ("按流程统计", "by_process", [*_PROCESS, ("running", "办理中"), ("completed", "已办结"),
                                              ("terminated", "已终止"), ("total", "合计")]),
    "by_phase": ("在办项目所处阶段", "by_phase", [*_PROCESS, ("phase_title", "阶段"), ("running", "在办项目"),
                                                ("overdue", "其中逾期")]),
    "bureaus": ("各部门待办与等待时间", "bureaus", [
        ("role_label", "部门"), ("waiting", "待办"), ("overdue", "逾期"), ("median_wait_days", "等待中位数（天）"),
        ("oldest_wait_days", "最长等待（天）"), ("oldest_since", "最早到达")]),
    "overdue": ("逾期待办", "overdue.tasks", _TASK_COLUMNS),
    "warning": ("预警待办（已用时限≥80%）", "warning.tasks", _TASK_COLUMNS),
    "outcomes": ("办理结果", "outcomes", [*_PROCESS, ("outcome_label", "结果"), ("count", "项目数")]),
    "phase_durations": ("各阶段用时", "phase_durations", [*_PROCESS, ("phase_title", "阶段"), *_DURATIONS]),
    "end_to_end": ("全流程用时", "end_to_end", [*_PROCESS, ("status_label", "结束状态"), *_DURATIONS]),
    "clocked_steps": ("限时环节用时与法定时限", "clocked_steps", [
        *_PROCESS, ("phase_title", "阶段"), ("title", "环节"), ("clock", "法定时限"), *_DURATIONS,
        ("in_time", "按时办结"), ("in_time_share", "按时率")]),
    "months": ("月度趋势", "months", [("month", "月份"), ("started", "新发起"), ("completed", "办结"),
                                    ("terminated", "终止")]),
}


def table_rows(dashboard: dict, name: str) -> list[dict]:
    part = dashboard
    for key in TABLES[name][1].split("."):
        part = part[key]
    rows = list(part)
    if len(dashboard["jurisdictions"]) > 1:     # a province-wide view: say whose row it is
        names = {j["key"]: j["name"] for j in dashboard["jurisdictions"]}
        rows = [{**row, "jurisdiction_name": names.get(row.get("jurisdiction"), "")} for row in rows]
    return rows


def table_columns(dashboard: dict, name: str) -> list[tuple[str, str]]:
    columns = TABLES[name][2]
    if len(dashboard["jurisdictions"]) > 1 and name != "months":
        return [("jurisdiction_name", "辖区"), *columns]
    return columns


def cell(value):
    """A value as a spreadsheet shows it: instants in Beijing time, booleans 是/否, amounts as numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            moment = datetime.fromisoformat(value).astimezone(clock.SHANGHAI)
        except ValueError:
            return value
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value[:1] in _FORMULA:
        return "'" + value      # a name such as "=HYPERLINK(…)" stays text, never a formula
    return value


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _number(value):
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def to_csv(columns, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for _, header in columns])
    for row in rows:
        writer.writerow([cell(row.get(key)) for key, _ in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(columns, rows, title: str) -> bytes:
    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([header for _, header in columns])
    for c in sheet[1]:
        c.font = Font(bold=True)
    numeric = {"investment"}
    for row in rows:
        sheet.append([_number(cell(row.get(key))) if key in numeric else cell(row.get(key)) for key, _ in columns])
    for index, (_, header) in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(10, min(40, len(header) * 2 + 4))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(columns, rows, fmt: str, title: str) -> Response:
    stamp = clock.now().astimezone(clock.SHANGHAI).strftime("%Y%m%d-%H%M")
    name = f"{title}-{stamp}.{fmt}"
    body = to_csv(columns, rows) if fmt == "csv" else to_xlsx(columns, rows, title)
    mimetype = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    ascii_name = f"export-{stamp}.{fmt}"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})
