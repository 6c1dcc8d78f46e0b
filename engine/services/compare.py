"""比对各地流程: one set of project facts run through the newest deployed version of every
jurisdiction's main procedure (engine.dryrun), side by side. Read-only: the transaction reads the
deployed versions (and a fresh unit's records: none) and writes nothing; the workflows live in memory
only. Who may: a manager of any jurisdiction, or an admin (comparing needs no project of anyone)."""
from __future__ import annotations

from datetime import datetime

from engine import clock, dryrun, policy
from engine.clocks import local_iso
from engine.errors import PermissionDenied, ValidationFailed
from engine.models import User
from engine.registry import Jurisdiction
from engine.services import orders
from engine.services.context import Context
from engine.services.deploy import latest_version
from engine.services.runtime import DEFAULT_START_FORM, check_plan_year

# The facts every main procedure's start form knows (CONTRACT.md, "Project facts") and what the
# compare form offers; a city's start form may ask for more — those get a default and a note.
DEFAULT_NAME = "比对试算项目"
FACT_LIMIT = 60


def compare(ctx: Context, user_id: int, facts: object, now: datetime | None = None) -> dict:
    """{results: [one column per jurisdiction]}; 403 unless manager or admin, 422 unless `facts` is an
    object of at most FACT_LIMIT entries."""
    ensure_may_compare(ctx, user_id)
    return compare_facts(ctx, facts, now)


def ensure_may_compare(ctx: Context, user_id: int) -> None:
    """403 unless the user manages a jurisdiction (or is an admin): checked before the facts are read."""
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        if user is None or not policy.is_manager(user):
            raise PermissionDenied("只有项目管理员可以比对各地流程")


def compare_facts(ctx: Context, facts: object, now: datetime | None = None) -> dict:
    """The comparison itself, for whoever may ask (the API checks first; the command line is the
    operator's)."""
    now = now or clock.now()
    if not isinstance(facts, dict) or len(facts) > FACT_LIMIT:
        raise ValidationFailed("项目信息应为 JSON 对象（facts）", errors={"facts": "应为对象"})
    with ctx.db.transaction() as session:
        results = [_column(ctx, session, jurisdiction, facts, now)
                   for jurisdiction in ctx.registry.jurisdictions().values()
                   if jurisdiction.key in jurisdiction.processes]
        session.rollback()
    return {"results": results, "computed_at": local_iso(now)}


def _column(ctx: Context, session, jurisdiction: Jurisdiction, facts: dict, now: datetime) -> dict:
    key = jurisdiction.key
    pdef = jurisdiction.processes[key]
    column = {"jurisdiction": key, "jurisdiction_name": jurisdiction.name, "document": jurisdiction.document,
              "process": key, "process_name": pdef.name, "version": None, "steps": [], "parallel": [],
              "approvals": [], "bureaus": [], "clocks": [], "notes": [], "min_duration_days": None,
              "min_duration_workdays": None, "finished": False, "outcome": None, "outcome_label": None,
              "outcome_reason": None,
              "stopped": None}
    row = latest_version(session, key)
    if row is None:
        column["stopped"] = "该地流程尚未部署"
        return column
    column["version"] = row.version
    forms = ctx.forms_for(session, row.id)
    start_data = _start_data(ctx, session, jurisdiction, forms, pdef.start_form or DEFAULT_START_FORM, facts, now,
                             column["notes"])
    if start_data is None:
        column["stopped"] = "项目信息不符合该地申报要求，未能试算"
        return column
    procedure = dryrun.Procedure(key=key, version=ctx.loaded_version(session, row.id), forms=forms,
                                 helpers=ctx.helpers(key), calendar=ctx.calendar(key),
                                 role_label=jurisdiction.role_label)
    walk = dryrun.walk(procedure, start_data, now)
    _fill(column, jurisdiction, walk, now)
    return column


def _start_data(ctx: Context, session, jurisdiction: Jurisdiction, forms, form_name: str, facts: dict,
                now: datetime, notes: list[str]) -> dict | None:
    """The facts this procedure knows, the ones it requires but were not given defaulted (with a note),
    validated by its start form as deployed; the plan year defaulted or moved to the next open one."""
    schema, _ui = forms.load(form_name)
    props = schema.get("properties") or {}
    data = {k: v for k, v in facts.items() if k in props and v not in (None, "")}
    data.setdefault("project_name", DEFAULT_NAME)
    for name in schema.get("required") or []:
        if name not in data:
            prop = props.get(name) or {}
            data[name] = dryrun.happy_value(name, prop, {})
            notes.append(f"未提供：{prop.get('title', name)}，按默认值“{_shown(prop, data[name])}”试算")
    try:
        cleaned = forms.validate(form_name, data)
    except ValidationFailed as exc:
        for name, message in (exc.errors or {}).items():
            notes.append(f"{props.get(name, {}).get('title', name)}：{message}")
        return None
    try:
        cleaned = check_plan_year(jurisdiction, cleaned, now, jurisdiction.key)
    except ValidationFailed as exc:
        cleaned = dict(cleaned, plan_year=exc.extra["next_open_year"])
        notes.append(f"所填计划年度已过申报截止日期（{exc.extra['deadline']}），按 {cleaned['plan_year']} 年度试算")
    if "plan_year" in props and "plan_year" not in facts and cleaned.get("plan_year"):
        notes.append(f"未提供：计划年度，按最近可申报的 {cleaned['plan_year']} 年度试算")
    unit_records = orders.unit_records(ctx, session, jurisdiction, 0)
    return dict(cleaned, applicant_unit=dryrun.DEFAULT_UNIT, parent_outcome=None, unit_records=unit_records,
                unit_systems=[])


def _shown(prop: dict, value) -> str:
    """A default as the form shows it: the enum's Chinese name, 是/否, or the value."""
    if isinstance(value, bool):
        return "是" if value else "否"
    names = prop.get("x-enumNames")
    if names and value in (prop.get("enum") or []):
        return names[prop["enum"].index(value)]
    return str(value)


def _fill(column: dict, jurisdiction: Jurisdiction, walk: dryrun.Walk, start: datetime) -> None:
    column["steps"] = [{k: s[k] for k in ("element", "title", "role", "role_label", "kind", "time_limit")}
                       for s in walk.steps]
    column["parallel"] = walk.parallel
    column["approvals"] = [s["title"] for s in walk.steps if s.get("decides")]
    bureaus: list[str] = []
    for step in walk.steps:
        if step["role_label"] and step["role_label"] not in bureaus:
            bureaus.append(step["role_label"])
    column["bureaus"] = bureaus
    column["clocks"] = [dict(c, **{"from": local_iso(c["from"]), "to": local_iso(c["to"])}) for c in walk.clocks]
    column["notes"] += walk.notes
    column["finished"] = walk.finished or bool(walk.recurring)
    column["stopped"] = walk.stopped
    if walk.end:
        column["outcome"] = walk.end["outcome"]
        column["outcome_label"] = jurisdiction.outcome_label(walk.end["outcome"])
        column["outcome_reason"] = walk.end["reason"]
    if walk.ended_at is not None:
        column["min_duration_days"] = dryrun.elapsed_days(start, walk.ended_at)
        column["min_duration_workdays"] = walk.workdays


def fact_fields(ctx: Context) -> list[dict]:
    """The project facts the compare form offers: the union of the start forms of every jurisdiction's
    main procedure as deployed (forms/ when not deployed yet), each with the cities that ask for it:
    [{name, title, type, enum, enum_names, default, description, required, cities}]."""
    fields: dict[str, dict] = {}
    with ctx.db.transaction() as session:
        for jurisdiction in ctx.registry.jurisdictions().values():
            pdef = jurisdiction.processes.get(jurisdiction.key)
            if pdef is None:
                continue
            row = latest_version(session, jurisdiction.key)
            forms = ctx.forms_for(session, row.id) if row else ctx.forms
            schema, _ui = forms.load(pdef.start_form or DEFAULT_START_FORM)
            required = set(schema.get("required") or [])
            for name, prop in (schema.get("properties") or {}).items():
                entry = fields.setdefault(name, {
                    "name": name, "title": prop.get("title", name), "type": prop.get("type", "string"),
                    "enum": prop.get("enum"), "enum_names": prop.get("x-enumNames") or prop.get("enum"),
                    "default": prop.get("default"), "description": prop.get("description"),
                    "unit": prop.get("x-unit"), "required": False, "cities": []})
                entry["cities"].append(jurisdiction.name)
                entry["required"] = entry["required"] or name in required
    return list(fields.values())


def facts_from_form(fields: list[dict], form) -> tuple[dict, dict]:
    """(facts, errors) from the compare form's values (`form.get(name)`): numbers parsed, a ticked box
    true and an unticked one false, empty fields left out (the procedures then note their default)."""
    facts, errors = {}, {}
    for field in fields:
        name, raw = field["name"], form.get(field["name"])
        if field["type"] == "boolean":
            facts[name] = raw in ("1", "on", "true")
            continue
        if raw is None or not str(raw).strip():
            continue
        raw = str(raw).strip()[:200]
        if field["type"] in ("number", "integer"):
            try:
                number = float(raw) if field["type"] == "number" else int(raw)
            except ValueError:
                errors[name] = "应为数字" if field["type"] == "number" else "应为整数"
                continue
            if not -1e9 < number < 1e9:
                errors[name] = "数值超出范围"
                continue
            facts[name] = int(number) if field["type"] == "number" and number == int(number) else number
        elif field["enum"] and raw not in field["enum"]:
            errors[name] = "请选择有效的选项"
        else:
            facts[name] = raw
    return facts, errors
