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

from engine.forms import CHOICE_SOURCES, CHOICES, CHOICES_FILTER, fields_with_choices, validate_against
from engine.models import ProcessInstance
from engine.services import systems

LIMIT = 300          # the most options a field offers (a unit has tens of projects, not hundreds)


def _passes(facts: dict | None, status: str, outcome: str | None, where: dict) -> bool:
    if where.get("status") and status not in where["status"]:
        return False
    if where.get("outcome") and outcome not in where["outcome"]:
        return False
    return all((facts or {}).get(fact) in allowed for fact, allowed in (where.get("facts") or {}).items())


def unit_projects(ctx, session, inst: ProcessInstance, where: dict) -> list[tuple[int, str]]:
    """[(project number, "名称（编号 N，状态）")] of the applicant unit's other projects, newest first."""
    jurisdiction = ctx.registry.get(inst.jurisdiction)
    options = []
    for instance_id, name, status, outcome, _phase, _standing, _updated, facts in systems.unit_projects(
            session, jurisdiction, inst.applicant_unit_id, exclude=inst.id, newest_first=True, limit=LIMIT * 4):
        if _passes(facts, status, outcome, where):
            state = (jurisdiction.outcomes.get(outcome) if status != "running" and outcome else None) \
                or systems.STATUS_LABELS.get(status, status)
            options.append((instance_id, f"{name}（编号 {instance_id}，{state}）"))
    return options[:LIMIT]


SOURCES = {"unit_projects": unit_projects}
assert set(SOURCES) == set(CHOICE_SOURCES)


def expand(ctx, session, inst: ProcessInstance | None, schema: dict, only: set[str] | None = None) -> dict:
    """The schema with each `x-choices` field's options as `enum`/`x-enumNames` for this project (the
    schema itself when it has none). Without a project (a form shown before any exists) a field offers
    none. `only`: expand just these fields (the others keep no list)."""
    named = {name: prop for name, prop in fields_with_choices(schema).items() if only is None or name in only}
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
    `x-choices` fields that were answered (one query for each; none for a field left empty or another form)."""
    schema = forms.load(form)[0]
    given = {name for name in fields_with_choices(schema)     # a field left empty needs no list to check
             if isinstance(data, dict) and data.get(name) not in (None, "")}
    if not given:
        return forms.validate(form, data)
    return validate_against(expand(ctx, session, inst, schema, only=given), data)
