"""Attachment downloads: only for users who may see the project (the service decides; 403 else)."""
from __future__ import annotations

from flask import Blueprint, g, send_file

from engine.services import attachments as attachment_service
from web.ui import details
from web.ui.auth import login_required

bp = Blueprint("attachments", __name__)


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    info, path = attachment_service.open_for_download(details.ctx(), g.user.id, attachment_id)
    response = send_file(path, mimetype=info["content_type"], as_attachment=True,
                         download_name=info["filename"], conditional=False, etag=info["sha256"],
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
