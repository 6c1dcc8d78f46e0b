"""The inbox (`/`): ready tasks of the user's roles (待办) and the tasks they completed (已办), from
the task projection through `views.inbox` / `views.completed` — never by loading workflows."""
from __future__ import annotations

import math

from flask import Blueprint, current_app, g, render_template, request, url_for

from engine import clock, queries
from engine.services import views
from web import params
from web.ui.auth import login_required

bp = Blueprint("inbox", __name__)
PER_PAGE = 20


def _page_arg() -> int:
    return params.int_arg("page", 1, 1, 100_000)


def _filters() -> queries.InboxFilter:
    process = params.text_arg("process", 80)
    known = current_app.extensions["govflow"].registry.get(g.user.jurisdiction).processes
    return queries.InboxFilter(process=process if process in known else None,
                               overdue=params.bool_arg("overdue"),
                               q=params.text_arg("q"),
                               sort=params.choice_arg("sort", ("due", "new"), "due"),
                               view=params.choice_arg("view", queries.INBOX_VIEWS, "all"),
                               page=_page_arg(), per_page=PER_PAGE)


def _page_url(page: int) -> str:
    args = {k: v for k, v in request.args.items() if v and k != "page"}
    return url_for("inbox.index", page=page, **args)


@bp.get("/")
@login_required
def index():
    ctx = current_app.extensions["govflow"]
    tab = params.choice_arg("tab", ("todo", "done"), "todo")
    flt = _filters()
    if tab == "done":
        tasks, total = views.completed(ctx, g.user.id, flt.page, PER_PAGE)
    else:
        tasks, total = views.inbox(ctx, g.user.id, flt)
    pages = max(1, math.ceil(total / PER_PAGE))
    jurisdiction = ctx.registry.get(g.user.jurisdiction)
    return render_template("ui/inbox.html", tab=tab, tasks=tasks, total=total, flt=flt, page=min(flt.page, pages),
                           pages=pages, page_url=_page_url, now=clock.now(), processes=jurisdiction.processes,
                           jurisdiction=jurisdiction)
