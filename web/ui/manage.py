"""The managers' pages: the dashboard (`/manage`, web/ui/portfolio.py) and 项目监控 (`/manage/running`):
every running project of the jurisdiction, where it waits, with whom and by when, overdue ones first —
read from the projection tables through `views.dashboard`, never by loading workflows."""
from __future__ import annotations

import math
from pathlib import Path

from flask import Blueprint, abort, current_app, g, render_template, request, url_for

from engine import clock, policy
from engine.services import opinions, portfolio, views
from web import exports, params
from web.ui.auth import login_required

bp = Blueprint("manage", __name__)
PER_PAGE = 30
CHARTS = "build/dashboard.js"


def _bundle() -> str | None:
    """The charts' bundle (web/ui/studio/src/dashboard.js, `npm run build`) with its modification time
    in the URL, or None when it was not built (the page then shows the tables only)."""
    path = Path(current_app.blueprints["ui"].static_folder) / CHARTS
    if not path.is_file():
        return None
    return url_for("ui.static", filename=CHARTS, v=int(path.stat().st_mtime))


@bp.get("/manage")
@login_required
def index():
    """The dashboard: counts, bureaus, overdue and 预警 tasks, outcomes, durations, months (ECharts)."""
    if not g.user.sees_portfolio:
        abort(403)
    asked = params.text_arg("jurisdiction", 32)
    board = portfolio.dashboard(current_app.extensions["govflow"], g.user.id, asked)
    every = sorted(current_app.extensions["govflow"].registry.jurisdictions().values(), key=lambda j: j.key)
    known = current_app.extensions["govflow"].registry.jurisdictions()
    processes = known[g.user.jurisdiction].processes if g.user.is_manager and g.user.jurisdiction in known else {}
    return render_template("ui/dashboard.html", board=board, tables=exports.TABLES, asked=asked,
                           every=every if policy.sees_every_jurisdiction(g.user) else [],
                           script=_bundle(), processes=processes,
                           refresh_minutes=int(portfolio.REFRESH_EVERY.total_seconds() // 60))


@bp.get("/manage/running")
@login_required
def running():
    if not g.user.is_manager:
        abort(403)
    known = current_app.extensions["govflow"].registry.get(g.user.jurisdiction).processes
    process = params.text_arg("process", 80)
    process = process if process in known else None
    overdue_only = params.bool_arg("overdue")
    page = params.int_arg("page", 1, 1, 100_000)
    board = views.dashboard(current_app.extensions["govflow"], g.user.id, process=process,
                            overdue_only=overdue_only, page=page, per_page=PER_PAGE)
    pages = max(1, math.ceil(board["total"] / PER_PAGE))

    def page_url(number: int) -> str:
        args = {k: v for k, v in request.args.items() if v and k != "page"}
        return url_for("manage.running", page=number, **args)

    return render_template("ui/manage.html", board=board, processes=known, process=process,
                           overdue_only=overdue_only, page=min(page, pages), pages=pages, page_url=page_url,
                           now=clock.now())


@bp.get("/manage/overrides")
@login_required
def overrides():
    """不采纳审查意见的记录: negative opinions overruled with a stated reason (engine/services/opinions.py)."""
    if not g.user.is_manager:
        abort(403)
    rows = opinions.overrides(current_app.extensions["govflow"], g.user.id)
    return render_template("ui/manage_overrides.html", rows=rows)
