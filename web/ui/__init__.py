"""The browser app the bureau staff and applicants use every day: sign-in, the inbox, starting a
project, the task forms, attachments and the instance on its diagram. `register(app)` is called by
`web.app.create_app`; the JSON API works without this package."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, g, render_template, request

from web import errors
from web.ui import (
    admin_pages,
    attachments,
    auth,
    claims,
    csrf,
    design,
    documents,
    inbox,
    labels,
    manage,
    notice_pages,
    orders,
    overlay_pages,
    portfolio,
    projects,
    tasks,
    vendor,
)

log = logging.getLogger("govflow.web.ui")


def _error_page(status: int, title: str, detail: str, extra: dict):
    try:
        return render_template("ui/error.html", status=status, title=title, detail=detail,
                               errors=extra.get("errors") or {}), status
    except Exception:  # noqa: BLE001 - the site layout itself failed; the plain page still answers
        log.exception("error page failed to render")
        request.govflow_error_page = None
        return errors.respond(status, title, detail)


def _use_site_error_pages() -> None:
    if not request.path.startswith("/api/"):
        request.govflow_error_page = _error_page


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'")
    return response


def register(app: Flask) -> None:
    app.before_request(_use_site_error_pages)
    app.before_request(auth.load_user)
    csrf.register(app)
    labels.register(app)
    app.after_request(_security_headers)
    app.jinja_env.globals["bpmn_js_installed"] = vendor.bpmn_js_installed
    app.jinja_env.globals["current_user"] = lambda: g.get("user")
    ui = Blueprint("ui", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")
    app.register_blueprint(ui)
    for blueprint in (auth.bp, inbox.bp, projects.bp, tasks.bp, attachments.bp, documents.bp, vendor.bp, manage.bp,
                      admin_pages.bp, design.bp, orders.bp, notice_pages.bp, claims.bp, portfolio.bp, overlay_pages.bp):
        app.register_blueprint(blueprint)
