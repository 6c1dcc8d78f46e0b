"""The project search page (`/manage/search`) of managers, admins and province-wide viewers: the
filters of `GET /api/v1/manage/instances` as a form, sortable columns, pages, and the same search as
CSV or Excel (links to the API, which the browser's session signs)."""
from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, g, render_template, request, url_for

from engine import policy
from engine.errors import ValidationFailed
from engine.services import search as search_service
from web import manage_api
from web.ui.auth import login_required

bp = Blueprint("portfolio", __name__)
COLUMNS = [("id", "编号"), ("name", "项目名称"), (None, "申报单位"), (None, "流程"), ("investment", "总投资（万元）"),
           (None, "当前阶段"), ("due", "最早期限"), (None, "状态"), ("created", "发起时间"), ("ended", "结束时间")]


def _roles_and_processes(keys: list[str]) -> tuple[list, list, list]:
    """(process choices, bureau choices, phase choices) of the jurisdictions searched."""
    registry = current_app.extensions["govflow"].registry
    processes, roles = [], []
    for key in keys:
        jurisdiction = registry.get(key)
        prefix = f"{jurisdiction.name}·" if len(keys) > 1 else ""
        processes += [(p.key, prefix + p.name) for p in jurisdiction.processes.values()]
        roles += [(r.key, prefix + r.label) for r in jurisdiction.roles.values() if not r.unit_scoped]
    seen, unique_roles = set(), []
    for key, label in roles:
        if key not in seen:
            seen.add(key)
            unique_roles.append((key, label))
    return processes, unique_roles


@bp.get("/manage/search")
@login_required
def search():
    if not g.user.sees_portfolio:
        abort(403)
    ctx = current_app.extensions["govflow"]
    errors = {}
    try:
        flt = manage_api.search_filter()
    except ValidationFailed as refused:
        flt, errors = search_service.SearchFilter(), refused.errors or {"_": refused.detail}
    rows, total, more = search_service.search(ctx, g.user.id, flt)
    every = sorted(ctx.registry.jurisdictions()) if policy.sees_every_jurisdiction(g.user) else [g.user.jurisdiction]
    keys = [flt.jurisdiction] if flt.jurisdiction in every else every
    processes, roles = _roles_and_processes(keys)
    pages = max(1, math.ceil(total / max(1, flt.per_page)))
    if more:      # counted up to the cap only: one page further while pages come full
        pages = max(pages, flt.page + (1 if len(rows) == flt.per_page else 0))
    args = {k: v for k, v in request.args.items() if v and k not in ("page", "format")}

    def page_url(number: int) -> str:
        return url_for("portfolio.search", **{**args, "page": number})

    def sort_url(key: str) -> str:
        current = request.args.get("sort") or "-created"
        return url_for("portfolio.search", **{**args, "sort": key if current == f"-{key}" else f"-{key}"})

    def export_url(fmt: str) -> str:
        return url_for("manage_api.instances", **{**args, "format": fmt})

    names = {key: ctx.registry.get(key).name for key in every}
    return render_template("ui/portfolio_search.html", rows=rows, total=total, more=more, flt=flt, args=args,
                           errors=errors, page=min(flt.page, pages), pages=pages, page_url=page_url, sort_url=sort_url,
                           export_url=export_url, columns=COLUMNS, processes=processes, roles=roles,
                           jurisdictions=names if len(every) > 1 else {}, sort=request.args.get("sort") or "-created")
