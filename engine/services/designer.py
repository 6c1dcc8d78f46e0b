"""Process designers (role `designer` of the process's jurisdiction, or `admin`: policy.can_design):
the deployed versions of a process and their files, validation and deployment of edited BPMN/DMN files
with the forms they use, the difference between two versions, and the migration of running projects
from one version to another. No Flask here; web/design_api.py translates HTTP to these calls.

Forms are versioned with the process: a deployment stores in ProcessVersion.forms every form its user
tasks and start form use (from the runtime's FormLibrary, or as given with the deployment), and the
running code reads a task's form from its instance's version (Context.forms_for).

Migration (SpiffWorkflow 3.2 has none): the instance's state is serialized without specs, every task's
spec reference is rewritten by the mapping (old element id → new; derived names such as
`<id>.BoundaryEventSplit` follow), and the state is restored onto the new version's parsed specs. Tasks
that were reached (completed, ready, waiting, started) keep their ids, data and internal data (a timer
keeps the deadline it was armed with); the predicted, not yet reached part of the tree is kept when it
still matches the new specs and otherwise dropped and predicted again from the new specs, as
SpiffWorkflow itself predicts. An instance is migrated only when every reached task's element exists in
the new version as the same kind of element, and when the restored workflow, serialized and loaded back,
has the same ready user tasks and pending timers (same ids) as before; anything else is refused with
a Chinese reason and the instance stays on its version."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import clock, policy
from engine import workflow as wfx
from engine.clocks import local_iso
from engine.errors import Conflict, DiagramInvalid, GovflowError, NotFound, PermissionDenied, ValidationFailed
from engine.models import HumanTask, ProcessInstance, ProcessVersion, Timer, User
from engine.registry import Jurisdiction
from engine.runtime_env import UI_SUFFIX, FormSnapshot, Runtime
from engine.services import deploy as deploy_service
from engine.services.context import Context
from engine.services.projection import audit, lock_instance, persist
from engine.services.runtime import DEFAULT_START_FORM

FILE_NAME = re.compile(r"^[^/\\\x00-\x1f]+\.(bpmn|dmn)$")
FORM_NAME = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)+$")
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


class DesignProblems(GovflowError):
    """422 with `problems: [{file, element, line, message}]` (Chinese `message`)."""

    status, code, title = 422, "diagram_invalid", "流程图校验未通过"

    def __init__(self, problems: list[dict], errors: dict | None = None):
        self.problems = problems
        lines = [f"{p['file'] or '?'}: {p['element'] or '?'}: {p['message']}" for p in problems]
        super().__init__("\n".join(lines), errors=errors, problems=problems)

    @classmethod
    def of_request(cls, exc: ValidationFailed) -> "DesignProblems":
        """A request body that does not load (web/schemas.py), told the same way."""
        return cls([_problem(None, None, f"{field}：{message}") for field, message in exc.errors.items()]
                   or [_problem(None, None, exc.detail)], errors=exc.errors)


def _problem(file: str | None, element: str | None, message: str, line: int | None = None) -> dict:
    return {"file": file, "element": element, "line": line, "message": message}


# --- who may design what ---------------------------------------------------------------------------

def _designable(ctx: Context, session: Session, user: User, process_key: str) -> Jurisdiction:
    """The process's jurisdiction, if the user may design it (403) and the process exists (404)."""
    try:
        jurisdiction = ctx.registry.jurisdiction_of(process_key)
    except NotFound:
        raise NotFound(f"流程不存在：{process_key}") from None
    if not policy.can_design(user, jurisdiction.key):
        raise PermissionDenied(f"只有{jurisdiction.name}的流程设计员或系统管理员可以设计该流程")
    if process_key not in jurisdiction.processes and deploy_service.latest_version(session, process_key) is None:
        raise NotFound(f"流程不存在：{process_key}")
    return jurisdiction


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户不存在：{user_id}")
    return user


def _version_row(session: Session, process_key: str, version: int) -> ProcessVersion:
    row = session.scalar(select(ProcessVersion).where(ProcessVersion.process_key == process_key,
                                                      ProcessVersion.version == version))
    if row is None:
        raise NotFound(f"流程 {process_key} 没有版本 {version}")
    return row


# --- versions and their files ----------------------------------------------------------------------

def list_versions(ctx: Context, user_id: int, process_key: str) -> list[dict]:
    """[{version, deployed_at, deployed_by, note, running_instances}], newest first."""
    with ctx.db.transaction() as session:
        _designable(ctx, session, _user(session, user_id), process_key)
        running = dict(session.execute(
            select(ProcessInstance.process_version_id, func.count(ProcessInstance.id))
            .where(ProcessInstance.process_key == process_key, ProcessInstance.status == "running")
            .group_by(ProcessInstance.process_version_id)).all())
        rows = session.execute(select(ProcessVersion.id, ProcessVersion.version, ProcessVersion.deployed_at,
                                      ProcessVersion.deployed_by, ProcessVersion.note)
                               .where(ProcessVersion.process_key == process_key)
                               .order_by(ProcessVersion.version.desc())).all()
        return [{"version": r.version, "deployed_at": local_iso(r.deployed_at), "deployed_by": r.deployed_by,
                 "note": r.note, "running_instances": running.get(r.id, 0)} for r in rows]


def _kind(name: str) -> str:
    return "dmn" if name.endswith(".dmn") else "bpmn"


def file_bytes(text: str) -> bytes:
    """A deployed file as stored (ProcessVersion.files holds each file's text, decoded from UTF-8 as
    uploaded, BOM and line ends included): its bytes again, identical to those deployed."""
    return text.encode("utf-8")


def version_files(ctx: Context, user_id: int, process_key: str, version: int) -> list[dict]:
    """[{name, kind, sha256}] of a deployed version, by name."""
    with ctx.db.transaction() as session:
        _designable(ctx, session, _user(session, user_id), process_key)
        row = _version_row(session, process_key, version)
        return [{"name": name, "kind": _kind(name), "sha256": hashlib.sha256(file_bytes(text)).hexdigest()}
                for name, text in sorted(row.files.items())]


def version_file(ctx: Context, user_id: int, process_key: str, version: int, name: str) -> bytes:
    """One file of a deployed version, byte for byte as deployed."""
    with ctx.db.transaction() as session:
        _designable(ctx, session, _user(session, user_id), process_key)
        row = _version_row(session, process_key, version)
        if name not in row.files:
            raise NotFound(f"版本 {version} 中没有文件 {name}")
        return file_bytes(row.files[name])


# --- validation and deployment ---------------------------------------------------------------------

def _given_files(files) -> dict[str, bytes]:
    """The files of a request ({name: text}), checked for names and XML syntax."""
    if files is None:
        return {}
    if not isinstance(files, dict):
        raise DesignProblems([_problem(None, None, "files 应为 {文件名: 文件内容} 的对象")])
    problems, result = [], {}
    for name, text in files.items():
        if not isinstance(name, str) or not FILE_NAME.match(name) or name.startswith("."):
            problems.append(_problem(str(name), None, "文件名应为不含目录的 .bpmn 或 .dmn 文件名"))
            continue
        if not isinstance(text, str):
            problems.append(_problem(name, None, "文件内容应为文本"))
            continue
        content = text.encode("utf-8")
        try:
            etree.fromstring(content)
        except etree.XMLSyntaxError as exc:
            problems.append(_problem(name, None, f"XML 语法错误：{exc.msg}", exc.lineno))
            continue
        result[name] = content
    if problems:
        raise DesignProblems(problems)
    return result


def _given_forms(forms) -> dict[str, dict]:
    """Forms given with a deployment ({name: JSON Schema object}), each checked as a JSON Schema."""
    if forms is None:
        return {}
    if not isinstance(forms, dict):
        raise DesignProblems([_problem(None, None, "forms 应为 {表单名: JSON Schema} 的对象")])
    problems = []
    for name, schema in forms.items():
        file = f"forms/{name}.schema.json"
        if not isinstance(name, str) or not FORM_NAME.match(name):
            problems.append(_problem(file, None,
                                     f"表单名 {name} 无效（应形如 yeji/review：小写字母、数字、下划线，以 / 分隔）"))
        elif not isinstance(schema, dict):
            problems.append(_problem(file, None, f"表单 {name} 应为 JSON Schema 对象"))
        else:
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                where = "/".join(str(p) for p in exc.absolute_path) or "根"
                problems.append(_problem(file, None, f"表单 {name} 不是有效的 JSON Schema（{where}）：{exc.message}"))
    if problems:
        raise DesignProblems(problems)
    return forms


def _runtime_with(runtime: Runtime, overrides: dict[str, dict]) -> Runtime:
    """The runtime whose forms are the library overlaid with the forms given (so a diagram may use a
    form that comes with it); registry, calendars and the parse cache are the same."""
    if not overrides:
        return runtime
    snapshot = FormSnapshot({name: dict(schema) for name, schema in overrides.items()}, fallback=runtime.forms)
    return dataclasses.replace(runtime, forms=snapshot)


def _base_files(session: Session, process_key: str) -> dict[str, bytes]:
    """The files left out of a request are those of the newest deployed version (none: the files in
    bpmn_diagrams/<jurisdiction>/, which deploy.bundle_for reads)."""
    latest = deploy_service.latest_version(session, process_key)
    return {name: file_bytes(text) for name, text in latest.files.items()} if latest is not None else {}


def _line_of(content: bytes | None, element: str | None) -> int | None:
    if not content or not element:
        return None
    try:
        root = etree.fromstring(content)
    except etree.XMLSyntaxError:
        return None
    found = root.xpath("//*[@id=$id]", id=element)
    return found[0].sourceline if found else None


def _as_problems(problems, files: dict[str, bytes]) -> list[dict]:
    """DiagramInvalid's problems ((file, element, reason) tuples, or dicts/objects with those and a
    line) as [{file, element, line, message}]; a missing line is looked up from the element's id."""
    result = []
    for item in problems:
        if isinstance(item, dict):
            file, element = item.get("file"), item.get("element")
            line, message = item.get("line"), item.get("message") or item.get("reason")
        elif hasattr(item, "file"):
            file, element = item.file, getattr(item, "element", None)
            line, message = getattr(item, "line", None), getattr(item, "message", None) or getattr(item, "reason", "")
        else:
            file, element, *rest = item
            line = next((r for r in rest if isinstance(r, int)), None)
            message = next((r for r in rest if isinstance(r, str)), "")
        element = None if element in (None, "?") else element
        file = None if file in (None, "?") else file
        if line is None:
            line = _line_of(files.get(file), element)
        result.append(_problem(file, element, str(message), line))
    return result


@dataclass
class Checked:
    """A bundle that passed validation: its files, the parsed version and the forms it would carry."""

    files: dict[str, bytes]
    version: wfx.LoadedVersion
    forms: dict[str, str]


def _start_form(runtime: Runtime, process_key: str) -> str:
    jurisdiction = runtime.registry.jurisdiction_of(process_key)
    pdef = jurisdiction.processes.get(process_key)
    return (pdef.start_form if pdef else None) or DEFAULT_START_FORM


def used_forms(runtime: Runtime, process_key: str, version: wfx.LoadedVersion) -> set[str]:
    """The forms a version uses: its start form and the `form` of every user task."""
    return {_start_form(runtime, process_key)} | {
        el.properties["form"] for el in version.elements.values() if el.properties.get("form")}


def snapshot_forms(runtime: Runtime, process_key: str, version: wfx.LoadedVersion,
                   overrides: dict[str, dict] | None = None) -> dict[str, str]:
    """{form name: schema JSON text (and `<name>.uischema`: its layout)} of every form the version
    uses, from the runtime's FormLibrary unless given in `overrides`. Raises DesignProblems for a
    form that exists nowhere or an override no step uses."""
    overrides = overrides or {}
    library = runtime.forms
    used = used_forms(runtime, process_key, version)
    problems = [_problem(f"forms/{name}.schema.json", None, f"表单 {name} 未被该流程版本的任务或发起表单使用")
                for name in sorted(set(overrides) - used)]
    snapshot: dict[str, str] = {}
    for name in sorted(used):
        ui_path = library.root / f"{name}.uischema.json"
        if name in overrides:
            snapshot[name] = json.dumps(overrides[name], ensure_ascii=False, indent=2)
        elif library.exists(name):
            snapshot[name] = library.path(name).read_text(encoding="utf-8")
        else:
            problems.append(_problem(f"forms/{name}.schema.json", None, f"表单文件不存在：forms/{name}.schema.json"))
            continue
        if ui_path.is_file():
            snapshot[name + UI_SUFFIX] = ui_path.read_text(encoding="utf-8")
    if problems:
        raise DesignProblems(problems)
    return snapshot


def check(runtime: Runtime, session: Session, process_key: str, files: dict[str, bytes],
          overrides: dict[str, dict] | None = None) -> Checked:
    """Validate the process with `files` replacing those of its newest version (deploy.bundle_for and
    deploy.validate_bundle, with the given forms known), and compute the forms it would carry.
    Raises DesignProblems."""
    overrides = overrides or {}
    runtime_v = _runtime_with(runtime, overrides)
    library = {**_base_files(session, process_key), **files}
    try:
        bundle = deploy_service.bundle_for(runtime_v, process_key, library)
        version = deploy_service.validate_bundle(runtime_v, process_key, bundle)
    except DiagramInvalid as exc:
        raise DesignProblems(_as_problems(exc.problems, library)) from exc
    unused = [_problem(name, None, f"该文件不属于流程 {process_key} 的版本（既不是它的流程图，也未被它调用或引用），"
                                   "不会随版本部署")
              for name in sorted(set(files) - set(bundle))]
    if unused:
        raise DesignProblems(unused)
    return Checked(bundle, version, snapshot_forms(runtime, process_key, version, overrides))


def validate(ctx: Context, user_id: int, process_key: str, files, forms=None) -> list[dict]:
    """[] when the process with these files (and forms) would deploy; else raises DesignProblems."""
    with ctx.db.transaction() as session:
        _designable(ctx, session, _user(session, user_id), process_key)
        check(ctx.runtime, session, process_key, _given_files(files), _given_forms(forms))
        return []


def deploy_version(ctx: Context, user_id: int, process_key: str, files, note: str | None = None,
                   forms=None) -> dict:
    """Deploy the process with `files` (the others carried over from the newest version) and its forms
    as a new version: {version, created}. Nothing changed (same files, same forms): the newest version,
    created false. Raises DesignProblems (nothing deployed)."""
    try:
        with ctx.db.transaction() as session:
            user = _user(session, user_id)
            _designable(ctx, session, user, process_key)
            overrides = _given_forms(forms)
            checked = check(ctx.runtime, session, process_key, _given_files(files), overrides)
            note = (note or "").strip() or None
            latest = deploy_service.latest_version(session, process_key)
            row, created = deploy_service.deploy(_runtime_with(ctx.runtime, overrides), session, process_key,
                                                 checked.files, deployed_by=user.username)
            if created:
                row.note, row.forms = note, checked.forms
            elif latest is not None and latest.forms != checked.forms:
                row = _new_version(ctx.runtime, session, latest, user.username, note, checked.forms)
                created = True
            session.flush()
            return {"version": row.version, "created": created}
    except IntegrityError:
        raise Conflict(f"流程 {process_key} 正在被另一位设计人员部署，请刷新后重试") from None


def _new_version(runtime: Runtime, session: Session, latest: ProcessVersion, username: str, note: str | None,
                 forms: dict[str, str]) -> ProcessVersion:
    """A version with the newest one's files and other forms."""
    row = ProcessVersion(process_key=latest.process_key, jurisdiction=latest.jurisdiction, name=latest.name,
                         version=latest.version + 1, files=dict(latest.files), checksum=latest.checksum,
                         deployed_by=username, note=note, forms=forms)
    session.add(row)
    session.flush()
    return row


def attach_forms(runtime: Runtime, row: ProcessVersion) -> None:
    """Give a version just deployed by `govflow deploy` or `govflow demo` its forms, from forms/."""
    if row.forms is not None:
        return
    version = runtime.versions.get(f"{row.process_key}:{row.checksum}", lambda: wfx.load_version(
        row.process_key, {name: file_bytes(text) for name, text in row.files.items()}))
    row.forms = snapshot_forms(runtime, row.process_key, version)


# --- the difference between two versions -----------------------------------------------------------

@dataclass
class Element:
    """One element of a version as the diff sees it: identity and the facts compared."""

    id: str
    kind: str
    name: str | None
    process: str | None
    file: str
    facts: dict = field(default_factory=dict)     # (field, key) → value
    rules: list = field(default_factory=list)     # DMN: [{inputs, outputs, description}]
    columns: dict = field(default_factory=dict)   # DMN: {"input": [label…], "output": [label…]}


_CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}
_NOT_ELEMENTS = {"laneSet", "ioSpecification", "property", "documentation", "extensionElements"}
_FIELD_ORDER = ["kind", "name", "lane", "role", "documentation", "description", "hit_policy", "aggregation",
                "property", "attribute", "condition", "script", "timer", "event", "extension", "loop", "definition",
                "input_column", "output_column", "rule_added", "rule_removed", "rule_description", "input_entry",
                "output_entry", "incoming", "outgoing"]


def _local(node) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _text(node) -> str:
    return (node.text or "").strip() if node is not None else ""


def _norm(node) -> str:
    """A comparable rendering of an XML subtree (ids and whitespace ignored)."""
    attrs = " ".join(f"{etree.QName(k).localname}={v}" for k, v in sorted(node.attrib.items())
                     if etree.QName(k).localname != "id")
    inner = "".join(_norm(child) for child in node if isinstance(child.tag, str))
    return f"<{_local(node)} {attrs}>{_text(node)}{inner}</{_local(node)}>"


def _bpmn_facts(el, lanes: dict) -> dict:
    facts: dict = {("name", None): el.get("name")}
    role, lane = lanes.get(el.get("id"), (None, None))
    facts[("lane", None)], facts[("role", None)] = lane, role
    for attr, value in el.attrib.items():
        local = etree.QName(attr).localname
        if local not in ("id", "name"):
            facts[("attribute", local)] = value
    facts[("documentation", None)] = "\n".join(_text(d) for d in el if _local(d) == "documentation") or None
    facts[("incoming", None)] = sorted(_text(c) for c in el if _local(c) == "incoming")
    facts[("outgoing", None)] = sorted(_text(c) for c in el if _local(c) == "outgoing")
    definitions: dict[str, list[str]] = {}
    for child in el:
        local = _local(child)
        if not local or local in ("documentation", "incoming", "outgoing", "laneSet"):
            continue
        if _local(el) in _CONTAINERS and child.get("id") and local not in _NOT_ELEMENTS:
            continue                                     # an element of its own
        if not _child_facts(child, local, facts):
            definitions.setdefault(local, []).append(_norm(child))
    for local, items in definitions.items():
        facts[("definition", local)] = "".join(items)
    return facts


def _child_facts(child, local: str, facts: dict) -> bool:
    """The facts of one child of an element (extensions, condition, script, event definitions,
    loops); False for any other child."""
    if local == "extensionElements":
        _extension_facts(child, facts)
    elif local == "conditionExpression":
        facts[("condition", None)] = _text(child)
    elif local == "script":
        facts[("script", None)] = _text(child)
    elif local.endswith("EventDefinition"):
        facts[("event", local)] = " ".join(f"{etree.QName(k).localname}={v}" for k, v in sorted(child.attrib.items())
                                           if etree.QName(k).localname != "id")
        for timer in child if local == "timerEventDefinition" else ():
            if _local(timer):
                facts[("timer", _local(timer))] = _text(timer)
    elif local.endswith("LoopCharacteristics"):
        facts[("loop", local)] = _norm(child)
    else:
        return False
    return True


def _extension_facts(ext, facts: dict) -> None:
    for child in ext:
        local = _local(child)
        if local == "properties":
            for prop in child:
                if _local(prop) == "property":
                    facts[("property", prop.get("name"))] = prop.get("value") if prop.get("value") is not None \
                        else _text(prop)
        elif local:
            has_children = any(isinstance(c.tag, str) for c in child)
            facts[("extension", local)] = _norm(child) if has_children or child.attrib else _text(child)


def _bpmn_elements(name: str, content: bytes) -> dict[tuple, Element]:
    root = etree.fromstring(content)
    lanes = wfx.lane_roles({name: content})
    found: dict[tuple, Element] = {}

    def walk(container, process_id: str):
        for el in container:
            local = _local(el)
            if not local or not el.get("id") or local in _NOT_ELEMENTS or etree.QName(el).namespace != wfx.BPMN_NS:
                continue
            found[(process_id, el.get("id"))] = Element(el.get("id"), local, el.get("name"), process_id, name,
                                                        _bpmn_facts(el, lanes))
            if local in _CONTAINERS:
                walk(el, process_id)

    for proc in root.iter(f"{{{wfx.BPMN_NS}}}process"):
        pid = proc.get("id")
        found[(pid, pid)] = Element(pid, "process", proc.get("name"), pid, name, _bpmn_facts(proc, lanes))
        walk(proc, pid)
    return found


def _dmn_elements(name: str, content: bytes) -> dict[tuple, Element]:
    root = etree.fromstring(content)
    found: dict[tuple, Element] = {}
    for decision in (el for el in root.iter() if _local(el) == "decision"):
        facts = {("name", None): decision.get("name"),
                 ("description", None): next((_text(c) for c in decision if _local(c) == "description"), None)}
        element = Element(decision.get("id"), "decision", decision.get("name"), None, name, facts)
        table = next((c for c in decision if _local(c) == "decisionTable"), None)
        if table is not None:
            facts[("hit_policy", None)] = table.get("hitPolicy", "UNIQUE")
            facts[("aggregation", None)] = table.get("aggregation")
            inputs = [c for c in table if _local(c) == "input"]
            outputs = [c for c in table if _local(c) == "output"]
            element.columns = {"input": [i.get("label") or _input_expression(i) or i.get("id") for i in inputs],
                               "output": [o.get("label") or o.get("name") or o.get("id") for o in outputs]}
            facts[("input_column", None)] = [
                f"{i.get('label') or ''}：{_input_expression(i)}" for i in inputs]
            facts[("output_column", None)] = [f"{o.get('label') or ''}：{o.get('name') or ''}" for o in outputs]
            element.rules = [{"inputs": [_text(e.find("{*}text")) for e in rule if _local(e) == "inputEntry"],
                              "outputs": [_text(e.find("{*}text")) for e in rule if _local(e) == "outputEntry"],
                              "description": next((_text(d) for d in rule if _local(d) == "description"), None)}
                             for rule in table if _local(rule) == "rule"]
        found[("dmn", decision.get("id"))] = element
    return found


def _input_expression(node) -> str:
    expression = next((e for e in node if _local(e) == "inputExpression"), None)
    return _text(expression.find("{*}text")) if expression is not None and expression.find("{*}text") is not None \
        else ""


def elements_of(files: dict[str, bytes]) -> dict[tuple, Element]:
    """Every element of a version's files, by (process id, element id) — ("dmn", decision id) for the
    decisions of its DMN files."""
    found: dict[tuple, Element] = {}
    for name, content in sorted(files.items()):
        found.update(_dmn_elements(name, content) if name.endswith(".dmn") else _bpmn_elements(name, content))
    return found


def _change(field_: str, key=None, old=None, new=None, rule: int | None = None, column: str | None = None) -> dict:
    return {"field": field_, "key": key, "rule": rule, "column": column, "old": old, "new": new}


def _column_changes(kind: str, old: list, new: list) -> list[dict]:
    return [_change(f"{kind}_column", str(j + 1), old[j] if j < len(old) else None, new[j] if j < len(new) else None)
            for j in range(max(len(old), len(new)))
            if (old[j] if j < len(old) else None) != (new[j] if j < len(new) else None)]


def _rule_changes(old: Element, new: Element) -> list[dict]:
    changes = []
    for i in range(max(len(old.rules), len(new.rules))):
        before = old.rules[i] if i < len(old.rules) else None
        after = new.rules[i] if i < len(new.rules) else None
        if before is None or after is None:
            changes.append(_change("rule_added" if before is None else "rule_removed", None, before, after, rule=i + 1))
            continue
        if before["description"] != after["description"]:
            changes.append(_change("rule_description", None, before["description"], after["description"], rule=i + 1))
        for part in ("inputs", "outputs"):
            labels = new.columns.get(part[:-1]) or old.columns.get(part[:-1]) or []
            cells_old, cells_new = before[part], after[part]
            for j in range(max(len(cells_old), len(cells_new))):
                a = cells_old[j] if j < len(cells_old) else None
                b = cells_new[j] if j < len(cells_new) else None
                if a != b:
                    changes.append(_change(f"{part[:-1]}_entry", str(j + 1), a, b, rule=i + 1,
                                           column=labels[j] if j < len(labels) else None))
    return changes


def _element_changes(old: Element, new: Element) -> list[dict]:
    changes = [] if old.kind == new.kind else [_change("kind", None, old.kind, new.kind)]
    for fact in sorted(set(old.facts) | set(new.facts), key=lambda f: (_FIELD_ORDER.index(f[0]), f[1] or "")):
        before, after = old.facts.get(fact), new.facts.get(fact)
        if before in ([], "") and after is None or after in ([], "") and before is None or before == after:
            continue
        if fact[0] in ("input_column", "output_column"):
            changes += _column_changes(fact[0][:-len("_column")], before or [], after or [])
        else:
            changes.append(_change(fact[0], fact[1], before, after))
    if old.kind == "decision" or new.kind == "decision":
        changes += _rule_changes(old, new)
    changes.sort(key=lambda c: (_FIELD_ORDER.index(c["field"]), c["rule"] or 0, c["key"] or ""))
    return changes


def _summary(el: Element) -> dict:
    return {"id": el.id, "kind": el.kind, "name": el.name, "process": el.process, "file": el.file}


def diff_files(old_files: dict[str, bytes], new_files: dict[str, bytes]) -> dict:
    """{added, removed, changed} between two versions' files: elements by id (within their process;
    DMN decisions by decision id), each `changed` one with its `changes` — name, kind, lane and role,
    documentation, each extension property, attributes (flow source/target, default flow, called
    process …), condition expressions, scripts, timer expressions, event definitions, other extensions,
    incoming/outgoing flows; for decisions: hit policy, columns, rules added or removed and each rule's
    input/output cells by rule index (1-based) and column."""
    before, after = elements_of(old_files), elements_of(new_files)

    def order(key):
        return (key[0] == "dmn", key[0], key[1])

    return {
        "added": [_summary(after[k]) for k in sorted(set(after) - set(before), key=order)],
        "removed": [_summary(before[k]) for k in sorted(set(before) - set(after), key=order)],
        "changed": [{**_summary(after[k]), "changes": changes} for k in sorted(set(before) & set(after), key=order)
                    if (changes := _element_changes(before[k], after[k]))],
    }


def diff(ctx: Context, user_id: int, process_key: str, from_version: int, to_version: int) -> dict:
    with ctx.db.transaction() as session:
        _designable(ctx, session, _user(session, user_id), process_key)
        old = _version_row(session, process_key, from_version)
        new = _version_row(session, process_key, to_version)
        result = diff_files({n: file_bytes(t) for n, t in old.files.items()},
                            {n: file_bytes(t) for n, t in new.files.items()})
        return {"process": process_key, "from_version": from_version, "to_version": to_version, **result}


# --- migration of running instances ----------------------------------------------------------------

_KIND_LABELS = {"UserTask": "用户任务", "ManualTask": "人工任务", "ScriptTask": "脚本任务",
                "BusinessRuleTask": "业务规则任务", "CallActivity": "调用活动", "SubWorkflowTask": "子流程",
                "IntermediateCatchEvent": "中间捕获事件", "BoundaryEvent": "边界事件", "StartEvent": "开始事件",
                "EndEvent": "结束事件", "ExclusiveGateway": "排他网关", "ParallelGateway": "并行网关",
                "InclusiveGateway": "包容网关", "EventBasedGateway": "事件网关"}
_NOT_REACHED = TaskState.FUTURE | TaskState.PREDICTED_MASK
_REACHED_OPEN = TaskState.WAITING | TaskState.READY | TaskState.STARTED


def _label(kind: str) -> str:
    return _KIND_LABELS.get(kind, kind)


def renamer(mapping: dict[str, str]):
    """old spec name → new: the mapping, applied also to the names SpiffWorkflow derives from an
    element id (`<id>.BoundaryEventSplit`, `<subprocess id>.EndJoin` …)."""
    prefixes = sorted(mapping, key=len, reverse=True)

    def rename(name: str) -> str:
        if name in mapping:
            return mapping[name]
        for old in prefixes:
            if name.startswith(old + "."):
                return mapping[old] + name[len(old):]
        return name
    return rename


def _spec_of(version: wfx.LoadedVersion, name: str):
    found = version.spec.task_specs.get(name)
    if found is None:
        found = next((sub.task_specs[name] for sub in version.subprocess_specs.values() if name in sub.task_specs),
                     None)
    return found


@dataclass
class MigrationPlan:
    """What migrating one instance's state would do: reasons it cannot, or the restored workflow."""

    reasons: list[str]
    workflow: object = None
    rename: object = None
    moved: dict[str, str] = field(default_factory=dict)     # active element: old id → new id
    ready: dict[str, str] = field(default_factory=dict)     # ready user task guid → new element id

    @property
    def migratable(self) -> bool:
        return not self.reasons


def _active_reasons(old: wfx.LoadedVersion, new: wfx.LoadedVersion, workflow, mapping: dict, number: int,
                    moved: dict) -> list[str]:
    """Every active user task and pending timer must have an element of the same kind in the new version."""
    reasons = []
    active = [(t.task_spec.name, False) for t in wfx.ready_user_tasks(workflow)]
    active += [(t["element_id"], True) for t in wfx.pending_timers(workflow)]
    for old_id, is_timer in active:
        new_id = mapping.get(old_id, old_id)
        before, after = old.element(old_id), new.element(new_id)
        title = before.title if before else old_id
        via = f"（按映射对应 {new_id}）" if new_id != old_id else ""
        if after is None:
            reasons.append(f"“{title}”（{old_id}）在版本 {number} 中不存在{via}，请在 mapping 中给出对应的元素")
        elif before is not None and after.kind != before.kind:
            reasons.append(f"“{title}”（{old_id}）在版本 {number} 中对应的 {new_id} 是{_label(after.kind)}，"
                           f"不是{_label(before.kind)}")
        elif is_timer and not isinstance(getattr(_spec_of(new, new_id), "event_definition", None),
                                         TimerEventDefinition):
            reasons.append(f"等待中的定时器“{title}”（{old_id}）在版本 {number} 中对应的 {new_id} 不是定时事件")
        else:
            moved[old_id] = new_id
    return reasons


def _workflow_dicts(dct: dict) -> list[tuple[str | None, dict]]:
    return [(None, dct)] + list(dct.get("subprocesses", {}).items())


def _target_specs(dct: dict, new: wfx.LoadedVersion, reasons: list[str]) -> dict:
    """The new spec each serialized workflow (None: the top one; else its parent task's id) restores onto."""
    targets: dict = {None: new.spec}
    owner = {tid: key for key, w in _workflow_dicts(dct) for tid in w["tasks"]}
    pending = [key for key, _w in _workflow_dicts(dct) if key is not None]
    while pending:
        progressed = False
        for key in list(pending):
            parent_key = owner.get(key, "?")
            if parent_key not in targets:
                continue
            pending.remove(key)
            progressed = True
            holder = dct if parent_key is None else dct["subprocesses"][parent_key]
            parent_spec = targets[parent_key].task_specs.get(holder["tasks"][key]["task_spec"]) \
                if targets[parent_key] is not None else None
            name = getattr(parent_spec, "spec", None)
            targets[key] = new.subprocess_specs.get(name) if name else None
            if targets[key] is None:
                reasons.append(f"子流程 {name or holder['tasks'][key]['task_spec']} 在新版本中不存在")
        if not progressed:
            reasons.append("子流程结构无法识别")
            break
    return targets


def _check_tasks(old_classes: dict, titles, workflow_dct: dict, spec, number: int, reasons: list[str]) -> bool:
    """Reached tasks must exist as the same kind; answer whether the predicted part still fits."""
    fits = True
    tasks = workflow_dct["tasks"]
    for tid, td in tasks.items():
        task_spec = spec.task_specs.get(td["task_spec"]) if spec is not None else None
        same = task_spec is not None and type(task_spec).__name__ == old_classes.get(tid)
        if td["state"] & _NOT_REACHED:
            fits = fits and same
        elif task_spec is None:
            done = "已办理" if td["state"] & TaskState.FINISHED_MASK else "进行中"
            reasons.append(f"{done}的步骤“{titles(tid)}”在版本 {number} 中不存在，无法迁移"
                           "（可在 mapping 中给出对应的同类元素）")
        elif not same:
            reasons.append(f"步骤“{titles(tid)}”在版本 {number} 中是{_label(type(task_spec).__name__)}，"
                           f"不是{_label(old_classes.get(tid, '?'))}")
        if fits and task_spec is not None and td["children"] and not td["state"] & TaskState.FINISHED_MASK:
            children = {tasks[c]["task_spec"] for c in td["children"] if c in tasks}
            fits = children == {o.name for o in task_spec.outputs}
    return fits


def _prune(workflow_dct: dict, reasons: list[str]) -> set[str]:
    """Drop the not yet reached tasks; answer the ids of the reached ones to predict again from."""
    tasks = workflow_dct["tasks"]
    gone = {tid for tid, td in tasks.items() if td["state"] & _NOT_REACHED}
    again = set()
    for tid in gone:
        parent = tasks[tid]["parent"]
        if parent in gone or parent is None:
            continue
        if tasks[parent]["state"] & TaskState.FINISHED_MASK:
            reasons.append("流程状态中有已结束步骤的未到达后继，无法安全迁移")
            return set()
        tasks[parent]["children"].remove(tid)
        again.add(parent)
    for tid in gone:
        del tasks[tid]
    if workflow_dct.get("last_task") in gone:
        workflow_dct["last_task"] = None
    return again


def _all_tasks(workflow) -> list:
    return [t for w in [workflow, *workflow.subprocesses.values()] for t in w.tasks.values()]


def _snapshot(workflow) -> tuple[dict, dict, dict]:
    """(ready user tasks, pending timers, reached open tasks) of a workflow, by task id."""
    ready = {str(t.id): t.task_spec.name for t in wfx.ready_user_tasks(workflow)}
    timers = {t["task_guid"]: (t["element_id"], t["fires_at"]) for t in wfx.pending_timers(workflow)}
    open_ = {str(t.id): (t.task_spec.name, t.state) for t in _all_tasks(workflow) if t.state & _REACHED_OPEN}
    return ready, timers, open_


def plan_migration(old: wfx.LoadedVersion, new: wfx.LoadedVersion, state: str, helpers, mapping: dict[str, str],
                   number: int) -> MigrationPlan:
    """Carry one instance's state from `old` onto `new` (see the module docstring); nothing is stored."""
    workflow = wfx.loads(old, state, helpers)
    moved: dict[str, str] = {}
    reasons = _active_reasons(old, new, workflow, mapping, number, moved)
    if reasons:
        return MigrationPlan(reasons)
    rename = renamer(mapping)
    old_tasks = {str(t.id): t for t in _all_tasks(workflow)}
    old_classes = {tid: type(t.task_spec).__name__ for tid, t in old_tasks.items()}

    def titles(tid):
        task = old_tasks.get(tid)
        info = old.element(task.task_spec.name) if task else None
        return f"{info.title}（{info.element_id}）" if info else (task.task_spec.name if task else tid)

    dct = wfx.SERIALIZER.to_dict(workflow)
    for _key, w in _workflow_dicts(dct):
        for td in w["tasks"].values():
            td["task_spec"] = rename(td["task_spec"])
        if isinstance(w.get("spec"), str):
            w["spec"] = rename(w["spec"])
    targets = _target_specs(dct, new, reasons)
    fits = all([_check_tasks(old_classes, titles, w, targets.get(key), number, reasons)
                for key, w in _workflow_dicts(dct)])
    again = {} if fits or reasons else {key: _prune(w, reasons) for key, w in _workflow_dicts(dct)}
    if reasons:
        return MigrationPlan(reasons)
    try:
        migrated = _restore(dct, again, new, helpers)
    except Exception as exc:  # noqa: BLE001 - any failure to rebuild means: not safely migratable
        return MigrationPlan([f"无法在版本 {number} 上重建项目状态：{type(exc).__name__}: {exc}"])
    problem = _verify(workflow, migrated, rename)
    if problem:
        return MigrationPlan([f"迁移后的流程状态校验未通过：{problem}"])
    ready = {guid: name for guid, name in _snapshot(migrated)[0].items()}
    return MigrationPlan([], migrated, rename, moved, ready)


def _restore(dct: dict, again: dict, new: wfx.LoadedVersion, helpers):
    """The rewritten state restored onto the new specs, the dropped prediction made again from the
    reached tasks it hung off, then serialized and loaded back (what will be stored)."""
    restored = wfx.SERIALIZER.from_dict(dct, spec=new.spec, subprocess_specs=new.subprocess_specs)
    restored.script_engine = wfx.make_script_engine(helpers)
    by_id = {str(t.id): t for t in _all_tasks(restored)}
    for ids in again.values():
        for tid in ids:
            by_id[tid].task_spec._predict(by_id[tid], mask=TaskState.NOT_FINISHED_MASK)
    return wfx.loads(new, wfx.dumps(restored), helpers)


def _verify(before, after, rename) -> str | None:
    """The same ready user tasks, pending timers and reached open tasks (same ids), on the renamed specs."""
    ready0, timers0, open0 = _snapshot(before)
    ready1, timers1, open1 = _snapshot(after)
    if {g: rename(n) for g, n in ready0.items()} != ready1:
        return "待办任务不一致"
    if {g: (rename(e), at) for g, (e, at) in timers0.items()} != timers1:
        return "等待中的定时器不一致"
    if {g: (rename(n), s) for g, (n, s) in open0.items()} != open1:
        return "进行中的步骤不一致"
    if any(t.task_spec is None for t in _all_tasks(after)):
        return "有步骤找不到对应的元素"
    done0 = sorted(str(t.id) for t in _all_tasks(before) if t.state & TaskState.FINISHED_MASK)
    done1 = sorted(str(t.id) for t in _all_tasks(after) if t.state & TaskState.FINISHED_MASK)
    return "已办理的步骤不一致" if done0 != done1 else None


def _check_mapping(mapping, old: wfx.LoadedVersion, new: wfx.LoadedVersion, source: int, target: int) -> dict:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise ValidationFailed("mapping 应为 {旧元素 id: 新元素 id}", errors={"mapping": "应为字符串到字符串的对象"})
    errors = {}
    for old_id, new_id in mapping.items():
        if old.element(old_id) is None and _spec_of(old, old_id) is None:
            errors[f"mapping.{old_id}"] = f"版本 {source} 中没有元素 {old_id}"
        elif new.element(new_id) is None and _spec_of(new, new_id) is None:
            errors[f"mapping.{old_id}"] = f"版本 {target} 中没有元素 {new_id}"
    if errors:
        raise ValidationFailed("mapping 中有不存在的元素", errors=errors)
    return dict(mapping)


def _retitle(title: str, before: wfx.ElementInfo | None, after: wfx.ElementInfo) -> str:
    """The task's title on the new version, keeping the matter a `subject` added to it."""
    if before is not None and title.startswith(before.title):
        return (after.title + title[len(before.title):])[:200]
    return after.title


def _apply(ctx: Context, session: Session, inst: ProcessInstance, target: ProcessVersion, old: wfx.LoadedVersion,
           new: wfx.LoadedVersion, plan: MigrationPlan) -> str | None:
    """Store a planned migration: projection rows mapped, the instance on the new version, its state
    saved. Answers a reason when the projection does not match the state (nothing then changes)."""
    rows = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id)))
    open_states = ("ready", "suspended")      # a suspended project's tasks (engine/services/orders.py)
    if {r.task_guid for r in rows if r.state in open_states} != set(plan.ready):
        return "待办记录与流程状态不一致，未迁移"
    for row in rows:
        new_id = plan.rename(row.element_id)
        if row.state in open_states:
            info = new.element(new_id)
            row.title = _retitle(row.title, old.element(row.element_id), info)
            row.role_key, row.lane = info.role or "admin", info.lane
            row.form, row.legal_basis = info.properties.get("form"), info.properties.get("legalBasis")
        row.element_id = new_id
    for timer in session.scalars(select(Timer).where(Timer.instance_id == inst.id)):
        new_id = plan.rename(timer.element_id)
        info = new.element(new_id)
        if timer.state in ("pending", "failed", "paused") and info is not None:
            timer.title = info.title
        timer.element_id = new_id
    inst.process_version_id, inst.version = target.id, target
    persist(ctx, session, inst, new, plan.workflow, clock.now())
    return None


def _result(instance_id: int, migratable: bool, reason: str | None, migrated: bool = False) -> dict:
    return {"instance_id": instance_id, "migratable": migratable, "reason": reason, "migrated": migrated}


def migrate(ctx: Context, user_id: int, process_key: str, from_version: int, to_version: int,
            instance_ids: list[int] | None = None, mapping: dict | None = None, dry_run: bool = True,
            now: datetime | None = None) -> list[dict]:
    """For each running instance on `from_version` (or each of `instance_ids`): whether it can move to
    `to_version` and why not; unless `dry_run`, move those that can, each in its own transaction with
    the instance row locked (as runtime.complete_task takes it), with an `instance_migrated` audit event."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user = _user(session, user_id)
        _designable(ctx, session, user, process_key)
        source = _version_row(session, process_key, from_version)
        target = _version_row(session, process_key, to_version)
        if source.id == target.id:
            raise ValidationFailed("源版本与目标版本相同", errors={"to_version": "应与 from_version 不同"})
        mapping = _check_mapping(mapping, ctx.loaded_version(session, source.id),
                                 ctx.loaded_version(session, target.id), from_version, to_version)
        if instance_ids is None:
            instance_ids = list(session.scalars(
                select(ProcessInstance.id).where(ProcessInstance.process_version_id == source.id,
                                                 ProcessInstance.status == "running").order_by(ProcessInstance.id)))
        source_id, target_id = source.id, target.id
    return [_migrate_one(ctx, user_id, process_key, int(iid), source_id, target_id, from_version, to_version,
                         mapping, dry_run, now) for iid in dict.fromkeys(instance_ids)]


def _migrate_one(ctx: Context, user_id: int, process_key: str, instance_id: int, source_id: int, target_id: int,
                 from_version: int, to_version: int, mapping: dict, dry_run: bool, now: datetime) -> dict:
    with ctx.db.transaction() as session, clock.frozen_at(now):
        inst = session.get(ProcessInstance, instance_id)
        if inst is None or inst.process_key != process_key:
            return _result(instance_id, False, f"流程 {process_key} 没有项目 {instance_id}")
        if not dry_run:
            inst = lock_instance(session, instance_id)      # then the state read below is the newest committed
        if inst.status != "running":
            return _result(instance_id, False, f"项目“{inst.project_name}”已结束")
        if inst.process_version_id != source_id:
            return _result(instance_id, False, f"项目“{inst.project_name}”当前在版本 {inst.version.version} 上，"
                                               f"不在版本 {from_version} 上")
        old, new = ctx.loaded_version(session, source_id), ctx.loaded_version(session, target_id)
        plan = plan_migration(old, new, inst.state, ctx.helpers(inst.jurisdiction), mapping, to_version)
        if not plan.migratable:
            return _result(instance_id, False, "；".join(plan.reasons))
        if dry_run:
            return _result(instance_id, True, None)
        reason = _apply(ctx, session, inst, session.get(ProcessVersion, target_id), old, new, plan)
        if reason:
            return _result(instance_id, False, reason)
        audit(session, "instance_migrated", instance_id=inst.id, actor_id=user_id,
              data={"title": f"迁移到版本 {to_version}", "process": process_key, "from_version": from_version,
                    "to_version": to_version, "mapping": mapping, "moved": plan.moved}, at=now)
        return _result(instance_id, True, None, migrated=True)
