"""bpmn-js, installed by `npm ci` into node_modules/ (never committed), served read-only from there:
only the navigated viewer bundle and its stylesheets and font."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

from engine.config import ROOT

bp = Blueprint("vendor", __name__)
BPMN_JS_DIST = ROOT / "node_modules" / "bpmn-js" / "dist"
SERVED = ("bpmn-navigated-viewer.production.min.js", "assets/")


def bpmn_js_installed() -> bool:
    return (BPMN_JS_DIST / SERVED[0]).is_file()


@bp.get("/vendor/bpmn-js/<path:filename>")
def bpmn_js(filename: str):
    if not (filename == SERVED[0] or filename.startswith(SERVED[1])) or ".." in Path(filename).parts:
        abort(404)
    return send_from_directory(BPMN_JS_DIST, filename, max_age=86400)
