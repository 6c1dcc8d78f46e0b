"""Official documents of a project (受理通知书, 补正通知, 批复 …) as PDF: only for users who may see the
project (the service decides; 403/404 else, audited by the error handlers)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app, g

from engine.services import documents as document_service
from web.ui import details
from web.ui.auth import login_required

bp = Blueprint("documents", __name__)


@bp.get("/documents/<int:document_id>")
@login_required
def download(document_id: int):
    info, content = document_service.pdf_for(details.ctx(), g.user.id, document_id)
    response = current_app.response_class(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(info['filename'])}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
