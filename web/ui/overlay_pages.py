"""The managers' portfolio pages: a process version's diagram with the projects waiting at each task,
timer and phase (bpmn-js overlays, each a link), the list behind one count, and 比对各地流程 — the
five procedures side by side for one project's facts. Over engine/services/overlay.py and compare.py."""
from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, g, render_template, request, url_for

from engine import clock
from engine.services import compare, overlay, portfolio
from web import params
from web.overlay_api import element_arg, version_arg
from web.ui.auth import login_required

bp = Blueprint("overlay", __name__)


def _ctx():
    return current_app.extensions["govflow"]


@bp.get("/manage/processes/<key>/diagram")
@login_required
def diagram(key: str):
    """The version's diagram with the counts (the page reads them from the statistics call)."""
    stats = overlay.statistics(_ctx(), g.user.id, key, version_arg())
    top = [e for e in stats["elements"] if e["active"]]
    state = {"diagram_url": url_for("api.diagram", key=key, version=stats["version"]),
             "statistics_url": url_for("overlay_api.statistics", key=key, version=stats["version"]),
             "waiting_url": url_for("overlay.waiting", key=key, version=stats["version"])}
    return render_template("ui/manage_overlay.html", stats=stats, state=state, busiest=sorted(
        top, key=lambda e: (-e["overdue"], -e["active"]))[:12], now=clock.now(),
        refresh_minutes=int(portfolio.REFRESH_EVERY.total_seconds() // 60))


@bp.get("/manage/processes/<key>/waiting")
@login_required
def waiting(key: str):
    page = params.int_arg("page", 1, 1, 100_000)
    result = overlay.waiting_projects(_ctx(), g.user.id, key, version_arg(), element_arg(), page)
    pages = max(1, math.ceil(result["total"] / result["per_page"]))
    if result["capped"]:      # counted up to the cap only: one page further while pages come full
        pages = max(pages, page + (1 if len(result["projects"]) == result["per_page"] else 0))

    def page_url(number: int) -> str:
        args = {k: v for k, v in request.args.items() if v and k != "page"}
        return url_for("overlay.waiting", key=key, page=number, **args)

    return render_template("ui/manage_waiting.html", result=result, page=min(page, pages), pages=pages,
                           page_url=page_url, now=clock.now())


@bp.get("/manage/compare")
@login_required
def compare_page():
    """The facts form (the union of the five start forms) and, once asked, the five columns."""
    if not g.user.is_manager:
        abort(403)
    fields = compare.fact_fields(_ctx())
    asked = request.args.get("run") == "1"
    facts, errors = compare.facts_from_form(fields, request.args) if asked else ({}, {})
    result = compare.compare(_ctx(), g.user.id, facts) if asked and not errors else None
    values = facts if asked else {f["name"]: f["default"] for f in fields if f["default"] is not None}
    return render_template("ui/manage_compare.html", fields=fields, values=values, errors=errors,
                           result=result, asked=asked), 422 if errors else 200
