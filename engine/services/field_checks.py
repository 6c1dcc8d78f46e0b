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
confirms the year's funds beside the 概算评审 of the year's projects). Read when the page is shown and
again when the task is completed, never copied into the project's data."""
from __future__ import annotations

from sqlalchemy import select

from engine.clocks import local_iso
from engine.errors import ValidationFailed
from engine.models import HumanTask, ProcessInstance

PROPERTY = "fieldCheck"
READS = "reads"


def read_steps(info) -> list[tuple[str, str]]:
    """[(process key, element id)] a task's `reads` names."""
    value = ((info.properties.get(READS) if info else None) or "").strip()
    steps = []
    for item in (part.strip() for part in value.split(",")):
        if ":" in item:
            key, element = item.split(":", 1)
            steps.append((key.strip(), element.strip()))
    return steps


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


def records_view(ctx, session, jurisdiction: str, info) -> list[dict]:
    """[{element, title, rows: [{instance_id, project_name, plan_year, recorded_at, values: [{label, value}]}]}]
    for the task page: each row's answers that are numbers or short texts, labelled by their form."""
    found = records(session, jurisdiction, info)
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
    return view


def check(session, jurisdiction: str, workflow, task, info, answers: dict) -> None:
    """Refuse (ValidationFailed, beside the fields) answers the task's `fieldCheck` rejects; the steps it
    `reads` are read only for a task that has a check."""
    expression = ((info.properties.get(PROPERTY) if info else None) or "").strip()
    if not expression:
        return
    context = {**task.data, **(answers or {}), "answers": dict(answers or {}),
               "records": records(session, jurisdiction, info), "project_data": dict(task.data)}
    try:
        result = workflow.script_engine.environment.evaluate(expression, context)
    except Exception as exc:    # a check that cannot be computed refuses, it does not let the answer through
        raise ValidationFailed(f"“{info.title}”的校验无法计算：{exc}") from exc
    if not result:
        return
    errors = {str(k): str(v) for k, v in result.items() if v} if isinstance(result, dict) else {"": str(result)}
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors={k: v for k, v in errors.items() if k} or None)
