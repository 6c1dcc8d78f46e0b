"""Checks of a task's answers against what the project (and the jurisdiction) already knows.

`fieldCheck`: a user task may carry an expression evaluated, when the task is completed, on the
project's data with the submitted answers over it (and, for a name that may be unset, the answers
alone as `answers` and the data alone as `project_data`). It answers {field: message} for each
answer the regulation refuses (or None / {} when all hold); a non-empty answer refuses the
completion with the messages beside their fields, like a form error (瑶海 三（二）: a 核减 amount
that is not below the amount applied for). The check runs before the workflow moves, so a refused
completion changes nothing.

`reads`: a user task may name steps of the jurisdiction's other projects (`process:Element`, e.g.
`huaian:BudgetReview`); their latest answers on each project that has not been terminated are
shown on the task page beside the form (`records` of the task detail) and given to `fieldCheck` as
`records` = {Element: [answers + instance_id, project_name, plan_year, recorded_at]} (淮安: finance
confirms the year's funds beside the 概算评审 of the year's projects). `reads` may also name
`unit_systems`: the applicant unit's systems with their standing (engine/services/systems.py) are shown
beside the form as one more group of `records` and given to `fieldCheck` as `unit_systems` (宿迁 第六条、
第三十六条: finance cannot arrange funds for a follow-up of a system eliminated, insecure or not accepted,
even one eliminated after the project's registration). Read when the page is shown and again when the
task is completed, never copied into the project's data."""
from __future__ import annotations

from sqlalchemy import select

from engine.clocks import local_iso
from engine.errors import ValidationFailed
from engine.models import HumanTask, ProcessInstance
from engine.services import systems

PROPERTY = "fieldCheck"
READS = "reads"
SOURCES = (systems.NAME,)    # what `reads` may name besides `process:Element`


def _read_items(info) -> list[str]:
    value = ((info.properties.get(READS) if info else None) or "").strip()
    return [part.strip() for part in value.split(",") if part.strip()]


def read_steps(info) -> list[tuple[str, str]]:
    """[(process key, element id)] a task's `reads` names."""
    steps = []
    for item in _read_items(info):
        if ":" in item:
            key, element = item.split(":", 1)
            steps.append((key.strip(), element.strip()))
    return steps


def reads_systems(info) -> bool:
    """Whether a task's `reads` names the applicant unit's systems (`unit_systems`)."""
    return systems.NAME in _read_items(info)


def records(session, jurisdiction: str, info) -> dict[str, list[dict]]:
    """{element id: the latest answers of that step on each of the jurisdiction's projects not
    terminated, oldest first}; {} (and no query) for a task that reads none."""
    steps = read_steps(info)
    if not steps:
        return {}
    result: dict[str, list[dict]] = {element: [] for _, element in steps}
    for key, element in steps:
        rows = session.execute(
            select(HumanTask.instance_id, HumanTask.data, HumanTask.completed_at, HumanTask.form, HumanTask.title,
                   ProcessInstance.project_name, ProcessInstance.facts)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.jurisdiction == jurisdiction, HumanTask.process_key == key,
                   HumanTask.element_id == element, HumanTask.state == "completed",
                   ProcessInstance.status != "terminated")
            .order_by(HumanTask.completed_at, HumanTask.id))
        latest: dict[int, dict] = {}
        for instance_id, data, done, form, title, project_name, facts in rows:
            latest.pop(instance_id, None)
            latest[instance_id] = {**(data or {}), "instance_id": instance_id, "project_name": project_name,
                                   "plan_year": (facts or {}).get("plan_year"), "recorded_at": local_iso(done),
                                   "form": form, "title": title}
        result[element] = list(latest.values())
    return result


def records_view(ctx, session, inst, info) -> list[dict]:
    """[{element, title, rows: [{instance_id, project_name, plan_year, recorded_at, values: [{label, value}]}]}]
    for the task page: each row's answers that are numbers or short texts, labelled by their form; then,
    for a task reading `unit_systems`, the unit's systems (element `unit_systems`, systems.view)."""
    found = records(session, inst.jurisdiction, info)
    view = []
    for element, rows in found.items():
        items = []
        for row in rows:
            props = ctx.runtime.forms.load(row["form"])[0].get("properties", {}) if row.get("form") else {}
            values = [{"label": spec.get("title") or key, "value": row[key], "unit": spec.get("x-unit")}
                      for key, spec in props.items()
                      if key in row and isinstance(row[key], (int, float, str)) and not isinstance(row[key], bool)
                      and spec.get("x-widget") not in ("attachment", "textarea")]
            items.append({"instance_id": row["instance_id"], "project_name": row["project_name"],
                          "plan_year": row["plan_year"], "recorded_at": row["recorded_at"], "values": values})
        title = rows[-1]["title"] if rows else ""
        view.append({"element": element, "title": title, "rows": items})
    if reads_systems(info):
        view.append(systems.view(ctx, session, inst, ctx.registry.get(inst.jurisdiction).outcome_label))
    return view


def check(ctx, session, inst, workflow, task, info, answers: dict) -> None:
    """Refuse (ValidationFailed, beside the fields) answers the task's `fieldCheck` rejects; the steps
    and the unit's systems it `reads` are read only for a task that has a check."""
    expression = ((info.properties.get(PROPERTY) if info else None) or "").strip()
    if not expression:
        return
    context = {**task.data, **(answers or {}), "answers": dict(answers or {}),
               "records": records(session, inst.jurisdiction, info), "project_data": dict(task.data)}
    if reads_systems(info):
        context[systems.NAME] = systems.of_instance(ctx, session, inst)
    try:
        result = workflow.script_engine.environment.evaluate(expression, context)
    except Exception as exc:    # a check that cannot be computed refuses, it does not let the answer through
        raise ValidationFailed(f"“{info.title}”的校验无法计算：{exc}") from exc
    if not result:
        return
    errors = {str(k): str(v) for k, v in result.items() if v} if isinstance(result, dict) else {"": str(result)}
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors={k: v for k, v in errors.items() if k} or None)
