"""The task page: the step's form drawn from its JSON Schema beside the project facts, the earlier
steps, the comments of whoever returned the material, the legal basis and the due date. Submitting
uploads the files, validates on the server (422 → the form again, nothing lost), completes the
task and goes back to the inbox; a task someone else completed meanwhile gets a clear message."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine import clock
from engine.errors import Conflict, PermissionDenied, ValidationFailed
from engine.forms import validate_against
from engine.services import attachments as attachment_service
from engine.services import claims, runtime, views
from web.ui import details, formkit
from web.ui.auth import login_required

bp = Blueprint("tasks", __name__)


def _files(instance_id: int) -> tuple[list[dict], dict[str, dict]]:
    try:
        return details.attachments_of(g.user.id, instance_id)
    except PermissionDenied:
        return [], {}


def render_task(task: dict, notice: str | None = None, status: int = 200):
    """The task page with a refusal (409/422 of a 签收/转办/委托 button) above it."""
    return _render(task, notice=notice, status=status)


def _render(task: dict, values=None, errors=None, detail=None, conflict=None, status=200, notice=None):
    files, files_by_id = _files(task["instance_id"])
    schema = task["form"]["schema"] or {}
    errors = errors or {}
    # a holder who may complete it, or the colleague it is delegated to (who submits it back)
    editable = (task["can_complete"] or "submit" in task["actions"]) and conflict is None
    if values is None:
        values = task["draft"]   # 暂存 (or what the delegate submitted, for the holder's 确认)
    people = claims.candidates(details.ctx(), g.user.id, task["id"]) \
        if {"assign", "delegate"} & set(task["actions"]) else {"assign": [], "delegate": []}
    fields = formkit.group_checkboxes(formkit.build(schema, values, errors, files_by_id)) if editable else []
    forms = details.step_forms(task["instance_id"])
    earlier = [dict(step, details=formkit.describe(forms.get(step["element"], {}),
                                                   {k: v for k, v in (step.get("data") or {}).items()
                                                    if k not in ("decision", "comment")}, files_by_id))
               for step in task["earlier_steps"]]
    returns = _with_replies(task["returns"], earlier, details.ctx().registry.get(task["jurisdiction"]).unit_roles)
    return render_template(
        "ui/task.html", task=task, returns=returns, editable=editable, fields=fields, errors=errors, detail=detail,
        conflict=conflict, notice=notice, people=people,
        unplaced=formkit.unplaced_errors(fields, errors), files=files, earlier=list(reversed(earlier)),
        facts=formkit.describe(details.start_schema(task["process"]), task["facts"], files_by_id),
        answers=formkit.describe(schema, task["data"], files_by_id) if task["data"] else [],
        max_upload_mb=details.ctx().settings.max_upload_mb, now=clock.now()), status


def _with_replies(returns: list[dict], earlier: list[dict], unit_roles: frozenset[str]) -> list[dict]:
    """Each return with the applicant's answer to it: the first step of the applicant unit's roles
    completed after it (修改申报材料 and its 修改说明), which the page shows open beside the objection."""
    result = []
    for item in returns:
        reply = next((step for step in earlier if step["at"] > item["at"] and step.get("role") in unit_roles), None)
        if reply is not None:
            reply["reply"] = True
        result.append(dict(item, reply=reply))
    return result


@bp.get("/tasks/<int:task_id>")
@login_required
def show(task_id: int):
    return _render(views.task_detail(details.ctx(), g.user.id, task_id))


def _store_uploads(task: dict, form) -> dict:
    """Save every chosen file; its attachment id goes into the field. Answers {field: message}."""
    schema = task["form"]["schema"] or {}
    errors = {}
    for key, storage in request.files.items(multi=True):
        path = key[:-len(formkit.FILE_SUFFIX)] if key.endswith(formkit.FILE_SUFFIX) else None
        if not path or not storage or not storage.filename or not formkit.attachment_paths(schema, path):
            continue
        try:
            info = attachment_service.store(details.ctx(), g.user.id, task["id"], path, storage.filename,
                                            storage.stream)
            form[path] = str(info["id"])
        except ValidationFailed as exc:
            errors[path] = exc.errors.get(path) or exc.detail
            form[path] = request.form.get(path, "")
    return errors


def _all_errors(task: dict, data: dict, known: dict) -> dict:
    """The form's own messages as well, so one round trip shows every problem."""
    errors = {}
    if task["form"]["name"]:
        try:   # the schema the task detail carries: its version's form, as the service will check it
            validate_against(task["form"]["schema"], data)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    errors.update(known)
    return errors


@bp.post("/tasks/<int:task_id>")
@login_required
def submit(task_id: int):
    """提交办理; 暂存 (`_draft`: no validation, claims an unclaimed task); the delegate's 提交签收人确认;
    the holder's 确认 of what the delegate submitted."""
    ctx = details.ctx()
    task = views.task_detail(ctx, g.user.id, task_id)
    if task["state"] != "ready":
        return _conflict(task_id, task.get("suspension_notice"))
    draft = bool(request.form.get("_draft"))
    delegated = "submit" in task["actions"]
    if not (task["can_complete"] or delegated or (draft and "save_draft" in task["actions"])):
        if task["refusal"]:
            return _conflict(task_id, task["refusal"])
        raise PermissionDenied("该任务不属于您的角色或单位")
    form = request.form.copy()
    try:
        problems = _store_uploads(task, form)
    except Conflict as exc:
        return _conflict(task_id, exc.detail)
    schema = task["form"]["schema"] or {}
    data, values = formkit.parse(schema, form)
    if formkit.edit_rows(values, form):
        return _render(task, values)
    try:
        if draft:
            claims.save_draft(ctx, g.user.id, task_id, data)
            flash(f"已暂存“{task['title']}”，可稍后继续填写。", "success")
            return redirect(url_for("tasks.show", task_id=task_id), code=303)
        # the service's rule (runtime.complete_task checks it too): files of this project and step only
        problems = {**attachment_service.invalid_for_task(ctx, task_id, data), **problems}
        if problems:
            errors = _all_errors(task, data, problems)
            return _render(task, values, errors, f"表单有 {len(errors)} 处需要修改", status=422)
        _finish(ctx, task, data, delegated)
    except ValidationFailed as exc:
        return _render(task, values, exc.errors, exc.detail, status=422)
    except Conflict as exc:
        return _conflict(task_id, exc.detail)
    return redirect(url_for("inbox.index"), code=303)


def _finish(ctx, task: dict, data: dict, delegated: bool) -> None:
    """The delegate hands the form back; the holder confirms what the delegate submitted; or a completion."""
    if delegated:
        claims.submit_delegated(ctx, g.user.id, task["id"], data)
        flash(f"已将“{task['title']}”的填报结果提交{task['assignee_name']}确认。", "success")
    elif task["delegation"] == "back":
        claims.confirm(ctx, g.user.id, task["id"], data)
        flash(f"已确认并提交“{task['title']}”（{task['project_name']}）。", "success")
    else:
        runtime.complete_task(ctx, g.user.id, task["id"], data)
        flash(f"已提交“{task['title']}”（{task['project_name']}）。", "success")


def _conflict(task_id: int, message: str | None):
    task = views.task_detail(details.ctx(), g.user.id, task_id)
    if message is None:
        who = task.get("completed_by") or "他人"
        message = (f"“{task['title']}”已由{who}办理完毕" if task["state"] == "completed"
                   else f"“{task['title']}”已不在待办状态")
    return _render(task, conflict=message + "，您的提交未被保存。", status=409)
