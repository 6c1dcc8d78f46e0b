"""The jurisdiction registry: everything particular to a city, read by one typed loader from its folder
`processes/<key>/` — `jurisdiction.json` (name, document, roles, units, processes, outcomes, declaration
rules, schedules) and `citations.json` (article → text) — with its diagrams in `bpmn_diagrams/<key>/`
and its forms in `forms/<key>/`. A sixth city is three folders; no Python changes. The format is in
docs/adding-a-jurisdiction.md; a misspelt or unknown key is refused with the file and the key named."""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from engine.errors import GovflowError, NotFound

GENERIC_OUTCOMES = {
    "completed": "已完成", "rejected": "审查不通过", "out_of_scope": "不适用本办法",
    "not_registered": "不予登记", "not_in_plan": "未列入年度计划", "terminated": "已终止",
}
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Role:
    """A role a user may hold. `unit_scoped`: resolved inside the unit that started the instance
    (`applicant` and a unit's inner roles); otherwise any holder in the jurisdiction may act.
    `starter`: no one holds it; a task in its lane goes to the role the instance was started in
    (叶集 第二十六条: the supervising department that ordered the 限期整改 checks and decides).
    `unit_from`: a unit-scoped role resolved in the unit a fact of the project names instead of the
    applicant's (九江 `county`: a county's bureaus act on the projects declared for that county)."""

    key: str
    label: str
    unit_scoped: bool = False
    scope: str = "jurisdiction"     # "jurisdiction", or "global" for manager / designer / admin
    starter: bool = False
    unit_from: str | None = None


# The only roles no jurisdiction declares (CONTRACT.md, "Roles that are not a bureau").
GLOBAL_ROLES: dict[str, Role] = {
    "manager": Role("manager", "项目管理员", scope="global"),
    "designer": Role("designer", "流程设计员", scope="global"),
    "admin": Role("admin", "系统管理员", scope="global"),
    # sees every jurisdiction's portfolio (dashboard, search, exports) and projects, changes nothing
    "province_viewer": Role("province_viewer", "省级项目查看员", scope="global"),
}


class JurisdictionConfigError(GovflowError):
    """A jurisdiction folder that does not follow the format; the message names the file and the key."""

    status, code, title = 500, "jurisdiction_config", "辖区配置有误"


@dataclass(frozen=True)
class ProcessDef:
    key: str
    name: str
    file: str
    startable_by: tuple[str, ...] = ("applicant",)
    start_form: str | None = None
    # "required": started from a running project (变更, 整改 …); "ended": from a finished one too (停用);
    # "optional": on its own, or for a project, running or finished (九江 运维经费 for a built system)
    parent: str | None = None
    # the parent must be inside one of these elements of its diagram (its phases: 宿迁 第六条 monitors
    # only projects in 运维); empty: anywhere
    parent_inside: tuple[str, ...] = ()
    # which projects it may hang off (九江 运维经费: a system past its 竣工验收): one that ended with one of
    # `outcomes`, or a running one that completed one of the `reached` steps; `rule` says so in Chinese
    parent_in: dict | None = None
    declaration: dict | None = None     # this process's own yearly rule (overrides the jurisdiction's)
    # names of its workflow data the project publishes as its standing (ProcessInstance.standing), read
    # by the unit's later projects as `unit_systems` (宿迁 第六条、第三十六条: accepted, funds_withheld …)
    standing: tuple[str, ...] = ()
    diagrams_dir: Path | None = None    # bpmn_diagrams/<jurisdiction>/

    @property
    def path(self) -> Path:
        return (self.diagrams_dir or Path(".")) / self.file

    def accepts_parent(self, status: str, outcome: str | None, completed_elements) -> bool:
        """Whether a project of this status and outcome, having completed these steps, may have this
        side process (`parent_in`); any project without `parent_in`."""
        if not self.parent_in:
            return True
        if status != "running":
            return outcome in self.parent_in.get("outcomes", ())
        return bool(set(self.parent_in.get("reached", ())) & set(completed_elements))


# The official documents a procedure may issue (CONTRACT.md, "Documents a procedure issues").
DOCUMENT_KINDS = {
    "acceptance": "受理通知书", "non_acceptance": "不予受理通知书", "correction": "补正（退回修改）通知",
    "joint_opinions": "联合审查意见汇总", "approval": "批复",
}


@dataclass(frozen=True)
class DocumentRule:
    """Which step issues a document: a step that completes a task of one of `elements` (with one of
    `decisions`, when given) and, when given, reaches `reached` (a task of that element made ready by
    the step), ends the project with `outcome`, or completes the last open task of `elements`
    (`round_complete`: the whole joint review has answered)."""

    kind: str
    elements: tuple[str, ...]
    article: str
    decisions: tuple[str, ...] = ()
    reached: str | None = None
    outcome: str | None = None
    round_complete: bool = False
    title: str | None = None        # the document's title (default: the kind's)
    issuer: str | None = None       # the issuing bureau (default: the jurisdiction's)
    opinions: tuple[str, ...] = ()  # the opinion tasks a correction or summary quotes (default: `elements`)
    number_prefix: str | None = None  # a series of its own (叶发改 for the 发改委's 批复; default: the jurisdiction's)
    omit: tuple[str, ...] = ()      # fields of the deciding task's form not to print (a number typed by hand …)

    @property
    def label(self) -> str:
        return self.title or DOCUMENT_KINDS[self.kind]


@dataclass(frozen=True)
class DocumentRules:
    issuer: str                     # 发文机关 printed in the header
    number_prefix: str              # 叶数管 → 叶数管〔2026〕12号
    rules: tuple[DocumentRule, ...]
    templates: Path | None = None   # processes/<key>/documents/: this city's own templates


@dataclass(frozen=True)
class Jurisdiction:
    key: str
    name: str
    document: str
    processes: dict[str, ProcessDef]
    roles: dict[str, Role]
    units: dict[str, str | list[str]]
    citations: dict[str, str]
    outcomes: dict[str, str]
    declaration: dict = field(default_factory=dict)
    schedules: tuple[dict, ...] = ()
    notices: dict = field(default_factory=dict)   # {"due_soon_percent": 80} (engine/services/notices.py)
    level: str = "city"                 # "city" (市级) or "county" (县区级: 叶集区, 瑶海区)
    folder: Path | None = None
    diagrams_dir: Path | None = None
    documents: DocumentRules | None = None     # processes/<key>/documents.json (engine/services/documents.py)

    def fact_defaults(self, schema: dict) -> dict:
        """Facts the jurisdiction itself answers unless the applicant says otherwise — its level
        (`level`: a district declares 县区级 projects) — for the start form properties that take them."""
        props = (schema or {}).get("properties") or {}
        level = props.get("level") or {}
        return {"level": self.level} if self.level in (level.get("enum") or ()) else {}

    def start_form_defaults(self, schema: dict) -> dict:
        """The start form with the jurisdiction's own defaults (a copy; the form itself is left alone)."""
        defaults = self.fact_defaults(schema)
        if not defaults:
            return schema
        props = dict(schema["properties"])
        for key, value in defaults.items():
            props[key] = {**props[key], "default": value}
        return {**schema, "properties": props}

    def outcome_label(self, code: str | None) -> str | None:
        if code is None:
            return None
        return self.outcomes.get(code) or GENERIC_OUTCOMES.get(code) or code

    def role(self, key: str | None) -> Role | None:
        return self.roles.get(key or "") or GLOBAL_ROLES.get(key or "")

    def role_label(self, key: str | None) -> str:
        role = self.role(key)
        return role.label if role else (key or "")

    @property
    def unit_roles(self) -> frozenset[str]:
        return frozenset(k for k, r in self.roles.items() if r.unit_scoped)

    def legal_basis(self, keys: str | None) -> list[dict]:
        result = []
        for key in [k.strip() for k in (keys or "").replace("，", ",").split(",") if k.strip()]:
            result.append({"article": key, "text": self.citations.get(key, ""),
                           "document": self.document})
        return result

    def declaration_rule(self, process_key: str | None = None) -> dict:
        """The yearly declaration rule of a process: its own, else the jurisdiction's."""
        pdef = self.processes.get(process_key or "")
        if pdef is not None and pdef.declaration is not None:
            return pdef.declaration
        return self.declaration

    def declaration_deadline(self, plan_year: int, process_key: str | None = None) -> date | None:
        """The last day to declare for `plan_year` (e.g. 宿迁/叶集: 9月30日 of the year before;
        九江: the closing day of the call for that year)."""
        return declaration_window(self.declaration_rule(process_key), plan_year)[1]

    def declaration_opens(self, plan_year: int, process_key: str | None = None) -> date | None:
        """The first day declarations for `plan_year` are accepted (None: any time before the deadline)."""
        return declaration_window(self.declaration_rule(process_key), plan_year)[0]


def _month_day(text: str, year: int) -> date:
    month, day = (int(p) for p in text.split("-"))
    return date(year, month, day)


def declaration_window(rule: dict, plan_year: int) -> tuple[date | None, date | None]:
    """(first day, last day) of the declaration for `plan_year` under a rule of jurisdiction.json:

    * ``{"deadline": "09-30"}`` — until that day of the year before, no opening day;
    * ``{"window": {"opens": "08-31", "closes": "09-30", "calls": {"2027": {"opens": "2026-08-20",
      "closes": "2026-09-20"}}}}`` — the yearly call: the dates configured for that plan year when
      the call is published, otherwise the default month-days of the year before.
    """
    if rule.get("deadline"):
        return None, _month_day(rule["deadline"], plan_year - 1)
    window = rule.get("window")
    if not window:
        return None, None
    call = (window.get("calls") or {}).get(str(plan_year))
    if call:
        return date.fromisoformat(call["opens"]), date.fromisoformat(call["closes"])
    opens = _month_day(window["opens"], plan_year - 1) if window.get("opens") else None
    return opens, _month_day(window["closes"], plan_year - 1)


# --- the typed loader ---------------------------------------------------------------------------------

_MONTH_DAY = re.compile(r"^\d{2}-\d{2}$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Which keys each object of jurisdiction.json may have: key → (kind, required).
_DECLARATION = {"deadline": ("month_day", False), "rule": ("text", False), "window": ("window", False),
                "exempt_fact": ("key", False), "exempt_label": ("text", False)}
_SHAPES: dict[str, dict[str, tuple[str, bool]]] = {
    "jurisdiction": {"key": ("key", True), "name": ("text", True), "document": ("text", True),
                     "roles": ("roles", True), "units": ("units", False), "processes": ("processes", True),
                     "outcomes": ("labels", False), "declaration": ("declaration", False),
                     "schedules": ("schedules", False), "notices": ("notices", False),
                     "level": ("level", False)},
    "notices": {"due_soon_percent": ("percent", False)},
    "role": {"label": ("text", True), "unit_scoped": ("bool", False), "starter": ("bool", False),
             "unit_from": ("key", False)},
    "process": {"name": ("text", True), "file": ("text", True), "startable_by": ("role_list", False),
                "start_form": ("text", False), "parent": ("parent", False), "parent_inside": ("text_list", False),
                "parent_in": ("parent_in", False), "declaration": ("declaration", False),
                "standing": ("text_list", False)},
    "parent_in": {"outcomes": ("text_list", False), "reached": ("text_list", False), "rule": ("text", True)},
    "declaration": _DECLARATION,
    "window": {"opens": ("month_day", False), "closes": ("month_day", True), "calls": ("calls", False)},
    "call": {"opens": ("iso_day", True), "closes": ("iso_day", True)},
    "schedule": {"name": ("text", True), "process": ("text", True), "rule": ("text", True),
                 "for_each": ("text", False), "start_as": ("text", False), "facts": ("object", False),
                 "instances": ("instances", False)},
    "instances": {"process": ("text", False), "status": ("text", False), "inside": ("text_list", False)},
    "documents": {"issuer": ("text", True), "number_prefix": ("text", True), "documents": ("document_rules", True)},
    "document_rule": {"kind": ("document_kind", True), "element": ("text_list", True), "article": ("text", True),
                      "decision": ("text_list", False), "reached": ("text", False), "outcome": ("key", False),
                      "round_complete": ("bool", False), "title": ("text", False), "issuer": ("text", False),
                      "opinions": ("text_list", False), "number_prefix": ("text", False),
                      "omit": ("text_list", False)},
}
_PARENTS = ("required", "ended", "optional")
_LEVELS = ("city", "county")


class _Reader:
    """Checks one jurisdiction.json against `_SHAPES`, collecting every problem as `file: key: reason`."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[str] = []

    def fail(self, path: str, reason: str) -> None:
        self.problems.append(f"{self.file}: {path}: {reason}")

    def check(self, shape: str, value, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(path or "(根)", "应为对象")
            return
        allowed = _SHAPES[shape]
        for key in value:
            if key not in allowed:
                hint = _closest(key, allowed)
                self.fail(_join(path, key), "未知的键" + (f"（是否应为 {hint}？）" if hint else ""))
        for key, (kind, required) in allowed.items():
            if key not in value:
                if required:
                    self.fail(_join(path, key), "缺少必填项")
                continue
            self.value(kind, value[key], _join(path, key))

    def value(self, kind: str, value, path: str) -> None:  # noqa: C901 - one branch per kind
        if kind in _SHAPES:
            self.check(kind, value, path)
        elif kind in ("text", "key"):
            if not isinstance(value, str) or not value.strip():
                self.fail(path, "应为非空文本")
            elif kind == "key" and not KEY_RE.match(value):
                self.fail(path, "应为小写字母、数字和下划线")
        elif kind == "bool":
            if not isinstance(value, bool):
                self.fail(path, "应为 true 或 false")
        elif kind in ("month_day", "iso_day"):
            pattern, example = (_MONTH_DAY, "09-30") if kind == "month_day" else (_ISO_DAY, "2026-08-20")
            if not isinstance(value, str) or not pattern.match(value):
                self.fail(path, f"应为日期，例如 {example}")
        elif kind == "level":
            if value not in _LEVELS:
                self.fail(path, f"应为 {'、'.join(_LEVELS)} 之一")
        elif kind == "parent":
            if value not in _PARENTS:
                self.fail(path, f"应为 {'、'.join(_PARENTS)} 之一")
        elif kind == "percent":
            if not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 99):
                self.fail(path, "应为 1 至 99 的整数（百分比）")
        elif kind == "object":
            if not isinstance(value, dict):
                self.fail(path, "应为对象")
        elif kind == "document_kind":
            if value not in DOCUMENT_KINDS:
                self.fail(path, f"应为 {'、'.join(DOCUMENT_KINDS)} 之一")
        else:
            self.collection(kind, value, path)

    def collection(self, kind: str, value, path: str) -> None:
        if kind in ("schedules", "role_list", "text_list", "document_rules"):
            if not isinstance(value, list):
                self.fail(path, "应为列表")
                return
            if not value and kind in ("text_list", "document_rules"):
                self.fail(path, "应为非空列表")
                return
            item_kind = {"schedules": "schedule", "role_list": "key", "text_list": "text",
                         "document_rules": "document_rule"}[kind]
            for i, item in enumerate(value):
                self.value(item_kind, item, f"{path}[{i}]")
            return
        if not isinstance(value, dict):
            self.fail(path, "应为对象")
            return
        for key, item in value.items():
            self.entry(kind, key, item, _join(path, key))

    def entry(self, kind: str, key: str, item, where: str) -> None:
        """One entry of a keyed collection (roles, processes, calls, labels, units)."""
        if kind == "roles" and not KEY_RE.match(key):
            self.fail(where, "角色键应为小写字母、数字和下划线")
        shape = {"roles": "role", "processes": "process", "calls": "call"}.get(kind)
        if shape:
            self.check(shape, item, where)
        elif kind == "labels" and not (isinstance(item, str) and item):
            self.fail(where, "应为非空文本")
        elif kind == "units" and not (isinstance(item, str) or (
                isinstance(item, list) and item and all(isinstance(u, str) for u in item))):
            self.fail(where, "应为单位名称或单位名称列表")


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _closest(key: str, allowed) -> str | None:
    import difflib
    found = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.7)
    return found[0] if found else None


def _read_json(path: Path, problems: list[str]):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path}: 文件不存在")
    except UnicodeDecodeError:
        problems.append(f"{path}: 不是 UTF-8 编码")
    except json.JSONDecodeError as exc:
        problems.append(f"{path}: 第 {exc.lineno} 行第 {exc.colno} 列 JSON 格式有误")
    return None


def _check_process(reader: _Reader, key: str, pkey: str, proc: dict, roles: set[str], diagrams_dir: Path) -> None:
    if pkey != key and not str(pkey).startswith(f"{key}."):
        reader.fail(f"processes.{pkey}", f"流程键应为 {key} 或 {key}.<名称>")
    if not (diagrams_dir / proc["file"]).is_file():
        reader.fail(f"processes.{pkey}.file", f"找不到 bpmn_diagrams/{diagrams_dir.name}/{proc['file']}")
    for i, role in enumerate(proc.get("startable_by") or []):
        if role not in roles and role not in GLOBAL_ROLES:
            reader.fail(f"processes.{pkey}.startable_by[{i}]", f"角色 {role} 未在 roles 中声明")


def _cross_check(reader: _Reader, raw: dict, folder: Path, diagrams_dir: Path) -> None:
    """What the shapes cannot say: process keys of this jurisdiction, files that exist, roles declared
    (called once the shapes are right)."""
    key = raw["key"]
    if key != folder.name:
        reader.fail("key", f"应与文件夹名 {folder.name} 相同")
    roles = set(raw["roles"])
    for role in sorted(roles & set(GLOBAL_ROLES)):
        reader.fail(f"roles.{role}", "manager、designer、admin、province_viewer 是全局角色，不应在辖区中声明")
    for pkey, proc in raw["processes"].items():
        _check_process(reader, key, pkey, proc, roles, diagrams_dir)
    for role in (raw.get("units") or {}):
        if role not in roles:
            reader.fail(f"units.{role}", f"角色 {role} 未在 roles 中声明")
    for i, entry in enumerate(raw.get("schedules") or []):
        start_as = entry.get("start_as") if isinstance(entry, dict) else None
        if start_as and start_as not in roles:
            reader.fail(f"schedules[{i}].start_as", f"角色 {start_as} 未在 roles 中声明")


def load_jurisdiction(folder: Path, diagrams_root: Path) -> Jurisdiction:
    """Read and check one jurisdiction folder; raise JurisdictionConfigError listing every problem."""
    file = folder / "jurisdiction.json"
    problems: list[str] = []
    raw = _read_json(file, problems)
    citations = _read_json(folder / "citations.json", problems) if (folder / "citations.json").exists() else {}
    if raw is not None:
        reader = _Reader(str(file))
        reader.check("jurisdiction", raw, "")
        if not reader.problems:
            _cross_check(reader, raw, folder, diagrams_root / folder.name)
        problems += reader.problems
    if citations is not None and not (isinstance(citations, dict)
                                      and all(isinstance(v, str) for v in citations.values())):
        problems.append(f"{folder / 'citations.json'}: 应为「条款: 原文」的对象")
    documents = _load_documents(folder, citations or {}, diagrams_root / folder.name, problems)
    if problems:
        raise JurisdictionConfigError("\n".join(problems), problems=problems)
    return replace(_build(raw, citations or {}, folder, diagrams_root / folder.name), documents=documents)


_IDS: dict[tuple, frozenset[str]] = {}   # (path, mtime, size) → the element ids of a diagram file


def _element_ids(bpmn: Path) -> frozenset[str]:
    """The ids of a diagram file, read again only when the file changed (every runtime loads every
    jurisdiction: a test run or the studio's drafts make many)."""
    stat = bpmn.stat()
    key = (str(bpmn), stat.st_mtime_ns, stat.st_size)
    if key not in _IDS:
        _IDS[key] = frozenset(re.findall(r'\sid="([^"]+)"', bpmn.read_text(encoding="utf-8")))
    return _IDS[key]


def _cross_check_documents(reader: _Reader, raw: dict, citations: dict, diagrams_dir: Path) -> None:
    """Each element a BPMN element of the city's diagrams, each article a key of citations.json."""
    ids = set()
    for bpmn in sorted(diagrams_dir.glob("*.bpmn")):
        ids |= _element_ids(bpmn)
    for i, rule in enumerate(raw["documents"]):
        named = [(f"{key}[{j}]", e) for key in ("element", "opinions") for j, e in enumerate(rule.get(key) or [])]
        if rule.get("reached"):
            named.append(("reached", rule["reached"]))
        for where, element in named:
            if element not in ids:
                reader.fail(f"documents[{i}].{where}", f"{diagrams_dir.name} 的流程图中没有元素 {element}")
        for article in [a.strip() for a in rule["article"].replace("，", ",").split(",")]:
            if article not in citations:
                reader.fail(f"documents[{i}].article", f"citations.json 中没有 {article}")


def _load_documents(folder: Path, citations: dict, diagrams_dir: Path, problems: list[str]) -> DocumentRules | None:
    """processes/<key>/documents.json (optional): which steps issue which official document. Each
    element must be a BPMN element of the city's diagrams and each article a key of citations.json."""
    file = folder / "documents.json"
    if not file.exists():
        return None
    raw = _read_json(file, problems)
    if raw is None:
        return None
    reader = _Reader(str(file))
    reader.check("documents", raw, "")
    if not reader.problems:
        _cross_check_documents(reader, raw, citations, diagrams_dir)
    problems += reader.problems
    if reader.problems:
        return None
    rules = tuple(DocumentRule(kind=r["kind"], elements=tuple(r["element"]), article=r["article"],
                               decisions=tuple(r.get("decision") or ()), reached=r.get("reached"),
                               outcome=r.get("outcome"), round_complete=bool(r.get("round_complete", False)),
                               title=r.get("title"), issuer=r.get("issuer"), opinions=tuple(r.get("opinions") or ()),
                               number_prefix=r.get("number_prefix"), omit=tuple(r.get("omit") or ()))
                  for r in raw["documents"])
    templates = folder / "documents"
    return DocumentRules(issuer=raw["issuer"], number_prefix=raw["number_prefix"], rules=rules,
                         templates=templates if templates.is_dir() else None)


def _build(raw: dict, citations: dict, folder: Path, diagrams_dir: Path) -> Jurisdiction:
    processes = {key: ProcessDef(key=key, name=p["name"], file=p["file"],
                                 startable_by=tuple(p.get("startable_by", ["applicant"])),
                                 start_form=p.get("start_form"), declaration=p.get("declaration"),
                                 parent=p.get("parent"), parent_inside=tuple(p.get("parent_inside") or ()),
                                 parent_in=p.get("parent_in"), standing=tuple(p.get("standing") or ()),
                                 diagrams_dir=diagrams_dir)
                 for key, p in raw["processes"].items()}
    roles = {key: Role(key, r["label"], bool(r.get("unit_scoped", False)), starter=bool(r.get("starter", False)),
                       unit_from=r.get("unit_from"))
             for key, r in raw["roles"].items()}
    return Jurisdiction(key=raw["key"], name=raw["name"], document=raw["document"], processes=processes,
                        roles=roles, units=raw.get("units", {}), citations=citations,
                        outcomes=raw.get("outcomes", {}), declaration=raw.get("declaration", {}),
                        schedules=tuple(raw.get("schedules") or ()), notices=raw.get("notices") or {},
                        level=raw.get("level", "city"), folder=folder, diagrams_dir=diagrams_dir)


class Registry:
    """Every jurisdiction found under `processes_dir` (one folder each), loaded on first use."""

    def __init__(self, processes_dir: Path, diagrams_dir: Path):
        self.processes_dir = Path(processes_dir)
        self.diagrams_dir = Path(diagrams_dir)
        self._lock = threading.Lock()
        self._items: dict[str, Jurisdiction] | None = None
        self._extra: dict[str, dict[str, ProcessDef]] = {}

    def jurisdictions(self) -> dict[str, Jurisdiction]:
        with self._lock:
            if self._items is None:
                found = {}
                for folder in sorted(self.processes_dir.iterdir()):
                    if (folder / "jurisdiction.json").is_file():
                        found[folder.name] = load_jurisdiction(folder, self.diagrams_dir)
                self._items = found
            return self._items

    def get(self, key: str) -> Jurisdiction:
        try:
            return self.jurisdictions()[key]
        except KeyError:
            raise NotFound(f"未知的辖区：{key}") from None

    def jurisdiction_of(self, process_key: str) -> Jurisdiction:
        return self.get(process_key.split(".", 1)[0])

    def process_def(self, process_key: str) -> ProcessDef:
        j = self.jurisdiction_of(process_key)
        try:
            return j.processes[process_key]
        except KeyError:
            raise NotFound(f"未知的流程：{process_key}") from None

    def roles(self) -> dict[str, Role]:
        """Every role any jurisdiction declares, plus the global ones (the first label wins)."""
        found: dict[str, Role] = {}
        for j in self.jurisdictions().values():
            for key, role in j.roles.items():
                found.setdefault(key, role)
        return {**found, **GLOBAL_ROLES}

    def with_process(self, jurisdiction: str, pdef: ProcessDef) -> None:
        """Add a process to a loaded jurisdiction (a deployment's own process without a folder entry;
        tests). The jurisdiction object is replaced, never mutated."""
        j = self.get(jurisdiction)
        updated = Jurisdiction(**{**j.__dict__, "processes": {**j.processes, pdef.key: pdef}})
        with self._lock:
            self._items[jurisdiction] = updated
