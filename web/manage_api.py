"""The managers' portfolio API (/api/v1/manage/…): the dashboard, each of its tables as CSV or
Excel, and the project search (JSON, CSV, Excel). Managers read their jurisdiction; admins and
province-wide viewers every one (?jurisdiction= narrows). The rules live in engine/services
(portfolio.py, search.py); this module translates HTTP."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask import Blueprint, g, request

from engine import clock
from engine.errors import NotFound
from engine.services import portfolio, search
from web import exports, manage_schemas, params
from web.api import authenticated, ctx, reply

bp = Blueprint("manage_api", __name__, url_prefix="/api/v1")

SORTS = [f"{sign}{key}" for key in ("created", "investment", "name", "due", "ended", "id") for sign in ("", "-")]
STATUSES = ("running", "completed", "terminated")
MONEY_MAX = Decimal("1000000000")      # 万元: far beyond any project, inside the column


def _money(name: str, source) -> Decimal | None:
    raw = (source.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 <= value <= MONEY_MAX or len(raw) > 20:
        params._refuse(name, "应为 0 至 1000000000 之间的金额（万元）")
    return value


def _day(name: str, source) -> date | None:
    raw = (source.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        pass
    params._refuse(name, "应为日期，如 2026-12-01")


def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=clock.SHANGHAI) if day else None


def search_filter(source=None) -> search.SearchFilter:
    """The search's parameters (the API's and the search page's): 422 on malformed ones."""
    source = request.args if source is None else source
    sort = params.choice_arg("sort", SORTS, "-created", source=source)
    raw_overdue = (source.get("overdue") or "").strip()
    started_from, started_to = _day("started_from", source), _day("started_to", source)
    flt = search.SearchFilter(
        q=params.text_arg("q", source=source), process=params.text_arg("process", 80, source=source),
        status=params.choice_arg("status", STATUSES, source=source),
        outcome=params.text_arg("outcome", 40, source=source), phase=params.text_arg("phase", 120, source=source),
        applicant_unit=params.text_arg("applicant_unit", source=source),
        min_investment=_money("min_investment", source), max_investment=_money("max_investment", source),
        started_from=_start_of(started_from),
        started_before=_start_of(started_to + timedelta(days=1)) if started_to else None,
        overdue=params.bool_arg("overdue", source=source) if raw_overdue else None,
        waiting_at=params.text_arg("waiting_at", 40, source=source),
        jurisdiction=params.text_arg("jurisdiction", 32, source=source),
        sort=sort.lstrip("-"), descending=sort.startswith("-"),
        page=params.int_arg("page", 1, 1, 100_000, source=source),
        per_page=params.int_arg("per_page", 20, 1, 200, source=source))
    return flt


def _format() -> str | None:
    return params.choice_arg("format", ("json", *exports.FORMATS), "json")


@bp.get("/manage/dashboard")
@authenticated
def dashboard():
    """The dashboard of the caller's portfolio (managers: their jurisdiction; admins and province-wide
    viewers: every one, or ?jurisdiction=)."""
    body = portfolio.dashboard(ctx(), g.user_id, params.text_arg("jurisdiction", 32))
    return reply(manage_schemas.DashboardSchema(), body)


@bp.get("/manage/dashboard/<name>")
@authenticated
def dashboard_table(name: str):
    """One table of the dashboard as a file: ?format=csv (default) or xlsx."""
    if name not in exports.TABLES:
        raise NotFound(f"没有这张统计表：{name[:40]}")
    fmt = params.choice_arg("format", exports.FORMATS, "csv")
    body = portfolio.dashboard(ctx(), g.user_id, params.text_arg("jurisdiction", 32))
    return exports.download(exports.table_columns(body, name), exports.table_rows(body, name), fmt,
                            exports.TABLES[name][0])


@bp.get("/manage/instances")
@authenticated
def instances():
    """The project search; ?format=csv or xlsx answers the whole search as a file. The total is
    counted up to 1000 (X-Total-Count); beyond that X-Total-Capped: true."""
    flt = search_filter()
    fmt = _format()
    if fmt != "json":
        rows = search.export_rows(ctx(), g.user_id, flt)
        return exports.download(exports.PROJECT_COLUMNS, rows, fmt, "项目查询")
    rows, total, more = search.search(ctx(), g.user_id, flt)
    # counted up to COUNT_CAP: beyond it X-Total-Count is the cap and X-Total-Capped says there are more
    headers = {"X-Total-Count": str(total), **({"X-Total-Capped": "true"} if more else {})}
    return reply(manage_schemas.ProjectRowSchema(many=True), rows, 200, headers)
