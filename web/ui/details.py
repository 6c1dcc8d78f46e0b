"""Read-only pieces shared by the task and instance pages: the forms of an instance's steps (for
their Chinese labels), its attachments by id, and the timeline of its audit history."""
from __future__ import annotations

from flask import current_app

from engine import queries
from engine.errors import GovflowError
from engine.models import ProcessInstance
from engine.services import attachments as attachment_service
from engine.services.deploy import latest_version
from engine.services.runtime import DEFAULT_START_FORM
from web.ui import formkit


def ctx():
    return current_app.extensions["govflow"]


def step_forms(instance_id: int) -> dict[str, dict]:
    """{element id: form schema} of every step the instance has reached (the forms of its version)."""
    with ctx().db.transaction() as session:
        names = {t.element_id: t.form for t in queries.tasks_of(session, instance_id) if t.form}
        inst = session.get(ProcessInstance, instance_id)
        forms = ctx().forms_for(session, inst.process_version_id) if inst is not None else ctx().forms
    result = {}
    for element, name in names.items():
        try:
            result[element] = forms.load(name)[0]
        except GovflowError:  # a form removed since: the data is shown under its raw keys
            result[element] = {}
    return result


def start_schema(process_key: str) -> dict:
    """The start form of the process's newest deployed version (forms/ when none is deployed)."""
    pdef = ctx().registry.process_def(process_key)
    with ctx().db.transaction() as session:
        row = latest_version(session, process_key)
        forms = ctx().forms_for(session, row.id) if row is not None else ctx().forms
    schema = forms.load(pdef.start_form or DEFAULT_START_FORM)[0]
    return ctx().registry.jurisdiction_of(process_key).start_form_defaults(schema)


def attachments_of(user_id: int, instance_id: int) -> tuple[list[dict], dict[str, dict]]:
    files = attachment_service.list_for_instance(ctx(), user_id, instance_id)
    return files, {str(f["id"]): f for f in files}


def timeline(history: list[dict], forms: dict[str, dict], files_by_id: dict[str, dict]) -> list[dict]:
    """History items, each completed step with its answers described (attachments as links)."""
    items = []
    for ev in history:
        item = dict(ev)
        if ev["event"] == "task_completed":
            answers = {k: v for k, v in (ev.get("data") or {}).items() if k not in ("decision", "comment")}
            item["details"] = formkit.describe(forms.get(ev["element"], {}), answers, files_by_id)
            item["files"] = [d["file"] for d in item["details"] if d["kind"] == "file" and d["file"]]
        items.append(item)
    return items
