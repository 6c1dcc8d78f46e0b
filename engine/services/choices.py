"""Choices a form field takes from the records, not from a fixed list: `"x-choices": "<source>"`.

A field of a task's form (or of a side process's start form) may name a source of choices instead of an
`enum`: the person picks one of the records the source lists, by its number, and never types a name that
another record may share or that may be mistyped (叶集 第二十四条: the 运维 project names the system it
maintains among the unit's accepted projects; 宿迁 第六条: 市数据局 names the system a project continues).

Sources (engine-defined, so a diagram cannot read what its project may not see):
- `unit_projects`: the projects (main procedure instances, not side processes) of the project's applicant
  unit in the same jurisdiction, other than the project itself, newest first; an option is the project's
  number (`instance_id`, an integer) labelled "名称（编号 N，状态）".

`"x-choices-filter"` narrows them: `{"status": ["completed"], "outcome": ["completed"], "facts":
{"project_type": ["construction"]}}` (each key optional; a record passes when each named value is one of
the listed ones).

When a form is shown or validated for a project, `expand` writes the choices into the field as `enum` and
`x-enumNames` (a select in the browser, the same list in the API's task detail), so an answer that is not
one of them is refused beside the field like any other choice ("请选择有效的选项", or the field's
`x-messages.enum`). A form without such a field is returned as it is, and nothing is queried."""
from __future__ import annotations

import copy

from sqlalchemy import select

from engine.forms import CHOICE_SOURCES, CHOICES, CHOICES_FILTER, fields_with_choices, validate_against
from engine.models import ProcessInstance

LIMIT = 300          # the most options a field offers (a unit has tens of projects, not hundreds)
_STATUS = {"running": "在办", "completed": "已办结", "terminated": "已终止", "rejected": "未通过"}


def _passes(row: ProcessInstance, where: dict) -> bool:
    if where.get("status") and row.status not in where["status"]:
        return False
    if where.get("outcome") and row.outcome not in where["outcome"]:
        return False
    return all((row.facts or {}).get(fact) in allowed for fact, allowed in (where.get("facts") or {}).items())


def _label(ctx, row: ProcessInstance) -> str:
    if row.status == "running":
        state = "在办"
    else:
        outcomes = ctx.registry.get(row.jurisdiction).outcomes if ctx is not None else {}
        state = outcomes.get(row.outcome) or _STATUS.get(row.status, row.status)
    return f"{row.project_name}（编号 {row.id}，{state}）"


def unit_projects(ctx, session, inst: ProcessInstance, where: dict) -> list[tuple[int, str]]:
    """[(project number, label)] of the applicant unit's other projects in the jurisdiction."""
    rows = session.scalars(select(ProcessInstance).where(
        ProcessInstance.jurisdiction == inst.jurisdiction, ProcessInstance.applicant_unit_id == inst.applicant_unit_id,
        ProcessInstance.parent_instance_id.is_(None), ProcessInstance.id != inst.id)
        .order_by(ProcessInstance.id.desc()).limit(LIMIT * 4))
    return [(row.id, _label(ctx, row)) for row in rows if _passes(row, where)][:LIMIT]


SOURCES = {"unit_projects": unit_projects}
assert set(SOURCES) == set(CHOICE_SOURCES)


def expand(ctx, session, inst: ProcessInstance | None, schema: dict) -> dict:
    """The schema with each `x-choices` field's options as `enum`/`x-enumNames` for this project (the
    schema itself when it has none). Without a project (a form shown before any exists) a field offers
    none."""
    named = fields_with_choices(schema)
    if not named:
        return schema
    result = copy.deepcopy(schema)
    for name, prop in named.items():
        source = SOURCES.get(prop[CHOICES])
        options = source(ctx, session, inst, prop.get(CHOICES_FILTER) or {}) if source and inst is not None else []
        target = result["properties"][name]
        target["enum"] = [value for value, _ in options]
        target["x-enumNames"] = [label for _, label in options]
        target.setdefault("x-widget", "select")
        target.setdefault("x-messages", {}).setdefault("enum", f"“{prop.get('title') or name}”请从列出的项目中选择")
    return result


def validate(ctx, session, inst: ProcessInstance, forms, form: str, data) -> dict:
    """The cleaned answers of `form` for this project: like `forms.validate`, with the choices of its
    `x-choices` fields (one query for each such field, none for any other form)."""
    schema = forms.load(form)[0]
    if not fields_with_choices(schema):
        return forms.validate(form, data)
    return validate_against(expand(ctx, session, inst, schema), data)
