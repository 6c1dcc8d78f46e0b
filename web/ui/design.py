"""流程设计 (the designer's studio in the browser): the process library, the modeler, the diff between
two versions and the migration of running projects. Thin page routes over engine/services/designer.py,
authenticated by the signed-in session (JSON calls carry the page's CSRF token in X-CSRF-Token).
Role `designer` of the jurisdiction, or `admin` (policy.can_design); others get the 403 page.

The modeler itself is the esbuild bundle web/ui/static/build/studio.js (web/ui/studio/, `npm run
build`); without it the pages still list and download versions and run migrations."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, current_app, g, jsonify, render_template, request, url_for
from sqlalchemy import select

from engine import policy, queries
from engine.errors import GovflowError, NotFound, PermissionDenied
from engine.modeling import extensions as modeling_extensions
from engine.models import ProcessInstance, ProcessVersion
from engine.registry import GENERIC_OUTCOMES, Jurisdiction
from engine.runtime_env import UI_SUFFIX
from engine.services import deploy as deploy_service
from engine.services import designer
from web.ui.auth import login_required

bp = Blueprint("design", __name__)
BUILD = "build/studio.js"
MAP_ROWS = 4


def _ctx():
    return current_app.extensions["govflow"]


def studio_built() -> bool:
    return (_static_dir() / BUILD).is_file()


def _static_dir() -> Path:
    return Path(current_app.blueprints["ui"].static_folder)


def _asset(filename: str) -> str:
    """The bundle's URL with its modification time, so a rebuilt bundle is not taken from a cache."""
    path = _static_dir() / filename
    stamp = int(path.stat().st_mtime) if path.is_file() else 0
    return url_for("ui.static", filename=filename, v=stamp)


def _may_design_somewhere() -> None:
    if not policy.can_design(g.user, g.user.jurisdiction):
        raise PermissionDenied("流程设计仅向本辖区的流程设计员和系统管理员开放。")


def _jurisdiction_of(key: str) -> Jurisdiction:
    try:
        jurisdiction = _ctx().registry.jurisdiction_of(key)
    except GovflowError:
        raise NotFound(f"流程不存在：{key}") from None
    if not policy.can_design(g.user, jurisdiction.key):
        raise PermissionDenied(f"只有{jurisdiction.name}的流程设计员或系统管理员可以设计该流程。")
    if key not in jurisdiction.processes:   # a key of the city's prefix that no process has (as the API answers)
        with _ctx().db.transaction() as session:
            if deploy_service.latest_version(session, key) is None:
                raise NotFound(f"流程不存在：{key}")
    return jurisdiction


def _process_name(jurisdiction: Jurisdiction, key: str) -> str:
    pdef = jurisdiction.processes.get(key)
    return pdef.name if pdef else key


def _main_file(files: dict, key: str) -> str | None:
    return next((n for n, c in files.items() if n.endswith(".bpmn") and deploy_service.main_process_key(
        c if isinstance(c, bytes) else c.encode("utf-8")) == key), None)


def _ordered(files: dict, key: str) -> list[str]:
    main = _main_file(files, key)
    return sorted(files, key=lambda n: (n != main, not n.endswith(".bpmn"), n))


def _versions(key: str) -> list[dict]:
    rows = designer.list_versions(_ctx(), g.user.id, key)
    for row in rows:
        row["files"] = designer.version_files(_ctx(), g.user.id, key, row["version"])
    return rows


# --- the process library ------------------------------------------------------------------------

@bp.get("/design")
@login_required
def library():
    _may_design_somewhere()
    registry = _ctx().registry
    choices = sorted(registry.jurisdictions().values(), key=lambda j: j.key) if policy.is_admin(g.user) else []
    wanted = request.args.get("jurisdiction") or g.user.jurisdiction
    if wanted not in registry.jurisdictions() or not policy.can_design(g.user, wanted):
        raise PermissionDenied("您只能设计本辖区的流程。") if wanted in registry.jurisdictions() \
            else NotFound(f"辖区不存在：{wanted}")
    jurisdiction = registry.get(wanted)
    processes = []
    for pdef in jurisdiction.processes.values():
        versions = _versions(pdef.key)
        processes.append({"key": pdef.key, "name": pdef.name, "versions": versions,
                          "called_only": not pdef.startable_by, "parent": pdef.parent,
                          "running": sum(v["running_instances"] for v in versions)})
    return render_template("ui/design_library.html", jurisdiction=jurisdiction, choices=choices,
                           processes=processes)


@bp.get("/design/<key>/versions/<int:version>/files/<name>")
@login_required
def download(key: str, version: int, name: str):
    _jurisdiction_of(key)
    content = designer.version_file(_ctx(), g.user.id, key, version, name)
    response = current_app.response_class(content, mimetype="application/xml")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@bp.get("/design/<key>/versions/<int:version>/files.zip")
@login_required
def download_zip(key: str, version: int):
    _jurisdiction_of(key)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in designer.version_files(_ctx(), g.user.id, key, version):
            archive.writestr(item["name"], designer.version_file(_ctx(), g.user.id, key, version, item["name"]))
    response = current_app.response_class(buffer.getvalue(), mimetype="application/zip")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(f'{key}-v{version}.zip')}"
    return response


# --- the modeler ----------------------------------------------------------------------------------

@bp.get("/design/<key>")
@login_required
def modeler(key: str):
    jurisdiction = _jurisdiction_of(key)
    versions = designer.list_versions(_ctx(), g.user.id, key)
    return render_template("ui/design_modeler.html", key=key, jurisdiction=jurisdiction,
                           name=_process_name(jurisdiction, key), versions=versions,
                           built=studio_built(), script=_asset(BUILD), style=_asset("build/studio.css"),
                           css=_asset("css/studio.css"))


def _newest(session, key: str) -> ProcessVersion | None:
    return deploy_service.latest_version(session, key)


def _form_entries(jurisdiction: Jurisdiction, snapshot: dict | None, used: set[str]) -> list[dict]:
    """The forms a user task may use (the city's and the common ones), each as the newest version
    carries it (else as in forms/), with its Chinese title."""
    library = _ctx().runtime.forms
    snapshot = snapshot or {}
    result = []
    for name in library.names(jurisdiction.key):
        if name in snapshot:
            schema = json.loads(snapshot[name]) if isinstance(snapshot[name], str) else snapshot[name]
        else:
            try:
                schema = library.load(name)[0]
            except GovflowError:
                continue
        result.append({"name": name, "title": schema.get("title") or name, "schema": schema, "used": name in used})
    for name, text in snapshot.items():     # a form deployed with a version that forms/ does not have
        if not name.endswith(UI_SUFFIX) and name not in {f["name"] for f in result}:
            schema = json.loads(text) if isinstance(text, str) else text
            result.append({"name": name, "title": schema.get("title") or name, "schema": schema, "used": name in used})
    return result


@bp.get("/design/<key>/context.json")
@login_required
def context(key: str):
    """Everything the modeler needs in one answer: the files of the newest version (or, before the
    first deployment, of bpmn_diagrams/<city>/), engine/modeling/extensions.json, the jurisdiction's
    roles, forms, citations and outcomes, and the URLs to call."""
    jurisdiction = _jurisdiction_of(key)
    ctx = _ctx()
    with ctx.db.transaction() as session:
        row = _newest(session, key)
        if row is not None:
            files = {n: designer.file_bytes(t) for n, t in row.files.items()}
            snapshot, version = row.forms, row.version
            loaded = ctx.loaded_version(session, row.id)
        else:
            files = deploy_service.bundle_for(ctx.runtime, key)
            snapshot, version, loaded = None, None, None
    used = designer.used_forms(ctx.runtime, key, loaded) if loaded is not None else set()
    outcomes = [{"code": c, "label": label} for c, label in jurisdiction.outcomes.items()]
    outcomes += [{"code": c, "label": label} for c, label in GENERIC_OUTCOMES.items() if c not in jurisdiction.outcomes]
    units = jurisdiction.units
    body = {
        "process": {"key": key, "name": _process_name(jurisdiction, key), "jurisdiction": jurisdiction.key,
                    "jurisdiction_name": jurisdiction.name, "document": jurisdiction.document},
        "version": version,
        "main": _main_file(files, key),
        "files": [{"name": n, "kind": "dmn" if n.endswith(".dmn") else "bpmn",
                   "text": files[n].decode("utf-8")} for n in _ordered(files, key)],
        "extensions": modeling_extensions(),
        "roles": [{"key": r.key, "label": r.label, "unit_scoped": r.unit_scoped,
                   "unit": units.get(r.key) if isinstance(units.get(r.key), str) else None}
                  for r in jurisdiction.roles.values()],
        "forms": _form_entries(jurisdiction, snapshot, used),
        "citations": [{"article": a, "text": t} for a, t in jurisdiction.citations.items()],
        "outcomes": outcomes,
        "urls": {"validate": url_for("design.validate", key=key), "deploy": url_for("design.deploy", key=key),
                 "library": url_for("design.library", jurisdiction=jurisdiction.key)},
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise designer.DesignProblems([{"file": None, "element": None, "line": None,
                                        "message": "请求内容应为 JSON 对象：{files, note, forms}"}])
    return body


@bp.post("/design/<key>/validate")
@login_required
def validate(key: str):
    _jurisdiction_of(key)
    body = _json_body()
    try:
        problems = designer.validate(_ctx(), g.user.id, key, body.get("files"), body.get("forms"))
    except designer.DesignProblems as exc:
        return jsonify({"problems": exc.problems}), 422
    return jsonify({"problems": problems})


@bp.post("/design/<key>/versions")
@login_required
def deploy(key: str):
    _jurisdiction_of(key)
    body = _json_body()
    note = body.get("note")
    if not isinstance(note, str) or not note.strip():
        return jsonify({"problems": [{"file": None, "element": None, "line": None,
                                      "message": "请填写变更说明：本次修改了什么、依据哪一条"}]}), 422
    try:
        result = designer.deploy_version(_ctx(), g.user.id, key, body.get("files"), note, body.get("forms"))
    except designer.DesignProblems as exc:
        return jsonify({"problems": exc.problems}), 422
    return jsonify(result), 201 if result.get("created") else 200


# --- the diff between two versions -------------------------------------------------------------

FIELD_LABELS = {
    "kind": "元素类型", "name": "名称", "lane": "泳道", "role": "办理角色", "documentation": "说明",
    "description": "说明", "hit_policy": "命中策略", "aggregation": "汇总方式", "property": "属性",
    "attribute": "属性", "condition": "条件", "script": "脚本", "timer": "定时器", "event": "事件定义",
    "extension": "扩展", "loop": "循环", "definition": "定义", "input_column": "输入列", "output_column": "输出列",
    "rule_added": "新增规则", "rule_removed": "删除规则", "rule_description": "规则说明",
    "input_entry": "条件单元格", "output_entry": "结果单元格", "incoming": "入口连线", "outgoing": "出口连线",
}
KIND_LABELS = {
    "userTask": "用户任务", "scriptTask": "脚本任务", "businessRuleTask": "业务规则任务", "serviceTask": "服务任务",
    "manualTask": "人工任务", "callActivity": "调用活动", "subProcess": "子流程", "task": "任务",
    "startEvent": "开始事件", "endEvent": "结束事件", "intermediateCatchEvent": "中间事件",
    "intermediateThrowEvent": "中间事件", "boundaryEvent": "边界事件", "exclusiveGateway": "排他网关",
    "parallelGateway": "并行网关", "inclusiveGateway": "包容网关", "eventBasedGateway": "事件网关",
    "sequenceFlow": "顺序流", "lane": "泳道", "process": "流程", "decision": "决策表",
    "textAnnotation": "注释", "association": "关联", "dataObjectReference": "数据对象", "dataObject": "数据对象",
}


ATTRIBUTE_LABELS = {
    "sourceRef": "连线起点", "targetRef": "连线终点", "default": "默认流", "calledElement": "调用的流程",
    "attachedToRef": "依附的环节", "cancelActivity": "中断所依附的环节", "isExecutable": "可执行",
    "processRef": "流程", "scriptFormat": "脚本语言", "isInterrupting": "中断", "triggeredByEvent": "事件子流程",
}


def _change_label(change: dict) -> str:
    field = FIELD_LABELS.get(change["field"], change["field"])
    if change["field"] == "attribute" and change.get("key") in ATTRIBUTE_LABELS:
        return f"{ATTRIBUTE_LABELS[change['key']]}（{change['key']}）"
    if change["field"] == "property" and change.get("key") in modeling_extensions()["properties"]:
        return f"{modeling_extensions()['properties'][change['key']]['label']}（{change['key']}）"
    if change["field"] == "timer":
        return {"timeDate": "定时器日期", "timeDuration": "定时器时长", "timeCycle": "定时器循环"}.get(
            change.get("key"), field)
    if change["field"] in ("input_entry", "output_entry"):
        column = change.get("column") or f"第 {change['key']} 列"
        return f"第 {change['rule']} 条规则 · {column}"
    if change["field"] in ("rule_added", "rule_removed", "rule_description"):
        return f"{field}（第 {change['rule']} 条）"
    if change["field"] in ("input_column", "output_column"):
        return f"{field}（第 {change['key']} 列）"
    if change.get("key"):
        return f"{field} {change['key']}"
    return field


def _show(value) -> str:
    if value is None or value == "" or value == []:
        return "（无）"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        parts = []
        if value.get("inputs"):
            parts.append("条件：" + " | ".join(value["inputs"]))
        if value.get("outputs"):
            parts.append("结果：" + " | ".join(value["outputs"]))
        return "；".join(parts) or json.dumps(value, ensure_ascii=False)
    return str(value)


@bp.get("/design/<key>/diff")
@login_required
def diff(key: str):
    jurisdiction = _jurisdiction_of(key)
    versions = designer.list_versions(_ctx(), g.user.id, key)
    numbers = [v["version"] for v in versions]
    to_v = request.args.get("to", type=int) or (numbers[0] if numbers else None)
    from_v = request.args.get("from", type=int) or next((n for n in numbers if to_v and n < to_v), None)
    result, files = None, {}
    if from_v and to_v:
        result = designer.diff(_ctx(), g.user.id, key, from_v, to_v)
        for side in (result["added"], result["removed"], result["changed"]):
            for item in side:
                item["kind_label"] = KIND_LABELS.get(item["kind"], item["kind"])
                for change in item.get("changes", []):
                    change["label"] = _change_label(change)
                    change["old_text"], change["new_text"] = _show(change["old"]), _show(change["new"])
        for number in (from_v, to_v):
            names = [f["name"] for f in designer.version_files(_ctx(), g.user.id, key, number)]
            files[number] = {"bpmn": [n for n in _ordered({n: b"" for n in names}, key) if n.endswith(".bpmn")]}
    state = None
    if result:
        def url(number, name):
            return url_for("design.download", key=key, version=number, name=name)
        shown = sorted(set(files[from_v]["bpmn"]) | set(files[to_v]["bpmn"]),
                       key=lambda n: (not n.startswith(key + ".bpmn") and n != f"{key}.bpmn", n))
        state = {"from": from_v, "to": to_v, "namespace": modeling_extensions()["namespace"],
                 "files": [{"name": n, "from": url(from_v, n) if n in files[from_v]["bpmn"] else None,
                            "to": url(to_v, n) if n in files[to_v]["bpmn"] else None} for n in shown],
                 "added": result["added"], "removed": result["removed"], "changed": result["changed"]}
    return render_template("ui/design_diff.html", key=key, jurisdiction=jurisdiction,
                           name=_process_name(jurisdiction, key), versions=versions, from_v=from_v, to_v=to_v,
                           result=result, state=state, built=studio_built(), script=_asset(BUILD),
                           style=_asset("build/studio.css"), css=_asset("css/studio.css"))


# --- migration of running projects -------------------------------------------------------------

def _mapping_rows() -> tuple[dict, list[tuple[str, str]]]:
    olds, news = request.form.getlist("map_old"), request.form.getlist("map_new")
    rows = [(o.strip(), n.strip()) for o, n in zip(olds, news, strict=False)]
    mapping = {o: n for o, n in rows if o and n and o != n}
    return mapping, [r for r in rows if r[0] or r[1]]


def _instances(ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    with _ctx().db.transaction() as session:
        rows = session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids)))
        return {r.id: {"project_name": r.project_name, "created_at": r.created_at,
                       "steps": "、".join(t.title for t in queries.ready_tasks_of(session, r.id))} for r in rows}


@bp.route("/design/<key>/migrate", methods=["GET", "POST"])
@login_required
def migrate(key: str):
    jurisdiction = _jurisdiction_of(key)
    versions = designer.list_versions(_ctx(), g.user.id, key)
    numbers = [v["version"] for v in versions]
    source = request.values.get("from", type=int) or next((v["version"] for v in reversed(versions)
                                                           if v["running_instances"] and v["version"] != numbers[0]),
                                                          numbers[1] if len(numbers) > 1 else None)
    target = request.values.get("to", type=int) or (numbers[0] if numbers else None)
    mapping, rows = _mapping_rows() if request.method == "POST" else ({}, [])
    results, error, errors, action = None, None, {}, request.form.get("action")
    suggestions = {"old": [], "new": []}
    if source and target and source != target:
        try:
            change = designer.diff(_ctx(), g.user.id, key, source, target)
            suggestions = {"old": change["removed"], "new": change["added"]}
        except GovflowError:
            pass
    if request.method == "POST":
        try:
            chosen = None
            if action == "migrate":
                chosen = [int(i) for i in request.form.getlist("instance_id") if i.isdigit()]
            if action == "migrate" and not chosen:
                error = "没有选择要迁移的项目。"
            else:
                results = designer.migrate(_ctx(), g.user.id, key, source, target, instance_ids=chosen,
                                           mapping=mapping or None, dry_run=action != "migrate")
        except GovflowError as exc:
            if exc.status not in (404, 409, 422):
                raise
            error, errors = exc.detail, exc.errors
    if results is not None:
        info = _instances([r["instance_id"] for r in results])
        for r in results:
            r.update(info.get(r["instance_id"], {"project_name": f"编号 {r['instance_id']}", "steps": ""}))
    rows = rows + [("", "")] * max(MAP_ROWS - len(rows), 1)
    return render_template("ui/design_migrate.html", key=key, jurisdiction=jurisdiction,
                           name=_process_name(jurisdiction, key), versions=versions, source=source, target=target,
                           rows=rows, results=results, action=action, error=error, errors=errors,
                           suggestions=suggestions), 422 if error else 200
