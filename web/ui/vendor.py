"""bpmn-js, installed by `npm ci` into node_modules/ (never committed, not in the wheel), served read-only
from there: only the navigated viewer bundle and its stylesheets and font.

In the checkout node_modules/ sits beside engine/ (`engine.config.ROOT`). An installed govflow has no
node_modules/ beside site-packages: point GOVFLOW_BPMN_JS_DIR at a bpmn-js `dist/` folder (e.g. after
`npm install bpmn-js@18.31.1` anywhere: `…/node_modules/bpmn-js/dist`). Without it every page still
works; the project page shows its notice in place of the diagram, and the files answer 503 with the
same advice."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

from engine.config import ROOT

bp = Blueprint("vendor", __name__)
BPMN_JS_DIST = ROOT / "node_modules" / "bpmn-js" / "dist"
SERVED = ("bpmn-navigated-viewer.production.min.js", "assets/")
MISSING = ("流程图组件 bpmn-js 未安装：在项目目录运行 npm ci；已安装的 govflow 请将环境变量 "
           "GOVFLOW_BPMN_JS_DIR 指向 bpmn-js 的 dist 目录（npm install bpmn-js@18.31.1）。")


def bpmn_js_dist() -> Path:
    configured = os.environ.get("GOVFLOW_BPMN_JS_DIR")
    return Path(configured).expanduser() if configured else BPMN_JS_DIST


def bpmn_js_installed() -> bool:
    return (bpmn_js_dist() / SERVED[0]).is_file()


@bp.get("/vendor/bpmn-js/<path:filename>")
def bpmn_js(filename: str):
    if not (filename == SERVED[0] or filename.startswith(SERVED[1])) or ".." in Path(filename).parts:
        abort(404)
    if not bpmn_js_installed():
        abort(503, description=MISSING)
    return send_from_directory(bpmn_js_dist(), filename, max_age=86400)
