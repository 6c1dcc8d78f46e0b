"""Projects: declaring one (the project-facts form of the city's procedure), the list of the unit's
projects, and a project's page with its diagram, active steps, timeline, outcome and attachments."""
from __future__ import annotations

import math

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from engine import clock, queries, registry
from engine.errors import Conflict, ValidationFailed
from engine.models import ProcessInstance
from engine.services import audit, runtime, views
from engine.services import deploy as deploy_service
from web import params
from web.ui import details, formkit
from web.ui.auth import login_required

bp = Blueprint("projects", __name__)
PER_PAGE = 20


def _deployed_startable(side: bool = False) -> list[registry.ProcessDef]:
    with details.ctx().db.transaction() as session:
        deployed = {row.process_key for row in deploy_service.deployed_processes(session)}
    return [p for p in g.user.startable_processes(side) if p.key in deployed]


def _parent(parent_id: int | None) -> dict | None:
    """The project a side process (调整申请, 整改 …) is started from; 404/403 as for its page (id 0
    too: no project has it, as the API answers)."""
    return views.instance_detail(details.ctx(), g.user.id, parent_id) if parent_id is not None else None


def _render_start(processes, chosen, parent=None, values=None, errors=None, detail=None, status=200):
    schema = details.start_schema(chosen.key) if chosen else {}
    fields = formkit.group_checkboxes(formkit.build(schema, values, errors)) if chosen else []
    return render_template("ui/start.html", processes=processes, chosen=chosen, parent=parent, fields=fields,
                           form_title=schema.get("title"),
                           detail=detail, errors=errors or {},
                           unplaced=formkit.unplaced_errors(fields, errors or {})), status


@bp.get("/projects/new")
@login_required
def new():
    parent = _parent(params.id_arg("parent", label="项目"))
    if not g.user.startable_processes(side=parent is not None):
        abort(403)
    processes = _deployed_startable(side=parent is not None)
    wanted = request.args.get("process")
    chosen = next((p for p in processes if p.key == wanted), processes[0] if len(processes) == 1 else None)
    return _render_start(processes, chosen, parent)


@bp.post("/projects/new")
@login_required
def create():
    parent = _parent(params.id_arg("parent_instance_id", source=request.form, label="项目"))
    processes = _deployed_startable(side=parent is not None)
    chosen = next((p for p in processes if p.key == request.form.get("process")), None)
    if chosen is None:
        return _render_start(processes, None, parent, detail="请选择要发起的流程。", status=422)
    data, values = formkit.parse(details.start_schema(chosen.key), request.form)
    if formkit.edit_rows(values, request.form):
        return _render_start(processes, chosen, parent, values)
    try:
        instance_id = runtime.start_instance(details.ctx(), g.user.id, chosen.key, data,
                                             parent_instance_id=parent["id"] if parent else None)
    except (ValidationFailed, Conflict) as exc:
        return _render_start(processes, chosen, parent, values, exc.errors, exc.detail, status=exc.status)
    return _after_start(instance_id)


def _after_start(instance_id: int):
    """Straight on to the user's first step (项目申报 …) when there is one."""
    detail = views.instance_detail(details.ctx(), g.user.id, instance_id)
    mine = [t for t in detail["active_tasks"] if t["role"] in g.user.roles]
    name = details.ctx().registry.process_def(detail["process"]).name
    flash(f"已发起“{name}”：{detail['project_name']}（编号 {instance_id}）。", "success")
    if mine:
        return redirect(url_for("tasks.show", task_id=mine[0]["id"]), code=303)
    return redirect(url_for("projects.show", instance_id=instance_id), code=303)


@bp.get("/instances")
@login_required
def index():
    status = params.choice_arg("status", ("running", "completed", "terminated"))
    page = params.int_arg("page", 1, 1, 100_000)
    with details.ctx().db.transaction() as session:
        rows, total = queries.instances(session, g.user.jurisdiction, status,
                                        None if g.user.is_manager else g.user.unit_id, PER_PAGE,
                                        (page - 1) * PER_PAGE)
        items = [{"id": r.id, "project_name": r.project_name, "process": r.process_key, "status": r.status,
                  "outcome": details.ctx().registry.get(r.jurisdiction).outcome_label(r.outcome),
                  "applicant_unit": r.applicant_unit.name, "created_at": r.created_at} for r in rows]
    pages = max(1, math.ceil(total / PER_PAGE))
    return render_template("ui/instances.html", items=items, total=total, page=min(page, pages), pages=pages,
                           status=status, processes=details.ctx().registry.get(g.user.jurisdiction).processes)


def _unit_of(jurisdiction: registry.Jurisdiction, role: str, applicant_unit: str) -> str:
    if role in jurisdiction.unit_roles:
        return applicant_unit
    unit = jurisdiction.units.get(role)
    return "、".join(unit) if isinstance(unit, list) else (unit or "")


def _diagram_state(detail: dict) -> dict:
    visited = set(detail["completed_elements"])
    visited.update(ev["element"] for ev in detail["history"]
                   if ev["event"] in ("timer_fired", "instance_ended", "task_completed") and ev["element"])
    # the timers, scripts and decisions each step went through (recorded with the step: engine/steps_passed.py)
    visited.update(step["element"] for ev in detail["history"] for step in ev.get("passed") or [])
    return {"url": url_for("api.diagram", key=detail["process"], version=detail["version"]),
            "completed": detail["completed_elements"], "visited": sorted(visited),
            "active": [{"name": t["name"], "title": t["title"], "overdue": t["overdue"]}
                       for t in detail["active_tasks"]],
            "waiting": [{"name": w["name"], "title": w["title"], "fires_at": w["fires_at"]}
                        for w in detail["waiting"]],
            "recent": next((ev["element"] for ev in reversed(detail["history"])
                            if ev["event"] in ("task_completed", "timer_fired") and ev["element"]), None),
            "ended": detail["status"] != "running"}


@bp.get("/instances/<int:instance_id>")
@login_required
def show(instance_id: int):
    detail = views.instance_detail(details.ctx(), g.user.id, instance_id)
    files, files_by_id = details.attachments_of(g.user.id, instance_id)
    forms = details.step_forms(instance_id)
    jurisdiction = details.ctx().registry.get(detail["jurisdiction"])
    for task in detail["active_tasks"]:
        task["unit"] = _unit_of(jurisdiction, task["role"], detail["applicant_unit"])
        task["mine"] = task["role"] in g.user.roles and (
            task["role"] not in jurisdiction.unit_roles or detail["applicant_unit"] == g.user.unit_name)
    return render_template(
        "ui/instance.html", inst=detail, files=files, now=clock.now(),
        facts=formkit.describe(details.start_schema(detail["process"]), detail["data"], files_by_id),
        timeline=details.timeline(detail["history"], forms, files_by_id),
        process_name=jurisdiction.processes[detail["process"]].name, diagram=_diagram_state(detail),
        side_processes=_side_processes(detail), history_warning=_history_warning(instance_id))


def _history_warning(instance_id: int) -> str | None:
    """Why the project's audit rows fail verification against the hash chain (None: they pass)."""
    with details.ctx().db.transaction() as session:
        broken = audit.verify_instance(session, instance_id)
    return broken.describe() if broken else None


def _side_processes(detail: dict) -> list[registry.ProcessDef]:
    """Processes the user may start from this project (a running one, or an ended one where the
    process says so)."""
    if detail.get("parent_instance_id"):
        return []
    found = [p for p in g.user.startable_processes(side=True)
             if (detail["status"] == "running" or getattr(p, "parent", None) == "ended")
             and p.accepts_parent(detail["status"], detail.get("outcome"), detail.get("completed_elements", ()))]
    if not any(p.parent_inside for p in found):
        return found
    # a process for one phase only (宿迁 建设期限期整改, 月度运行监测): offered while the project is in it
    with details.ctx().db.transaction() as session:
        inst = session.get(ProcessInstance, detail["id"])
        return [p for p in found
                if not p.parent_inside or runtime.parent_inside(details.ctx(), session, inst, p.parent_inside)]
