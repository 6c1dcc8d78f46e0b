"""The one diagram check, called by `govflow validate`, by deploy (CLI and HTTP) and by the web modeler
on every save. Given a bundle (file name → bytes) and the runtime (jurisdictions, forms) it answers a
list of problems — file, element id, line, Chinese message — from five checks, in this order, each
stopping only what it must:

1. encoding and well-formedness: UTF-8, XML syntax (line and column), not empty, no DOCTYPE, a BPMN or
   DMN `definitions` root, a size limit. A file failing here is checked no further.
2. schema validity: BPMN 2.0 against the XSD SpiffWorkflow bundles (with its spiffworkflow extension
   schema, as SpiffWorkflow's VALIDATOR does), DMN against the XSD of the version the file declares
   (1.1 and 1.3 as bundled with SpiffWorkflow; 1.2 from engine/modeling/schemas/dmn12, because the
   1.2 set inside SpiffWorkflow 3.2 does not compile). A file failing here is not handed to
   SpiffWorkflow; the rules of step 4 still run on it.
3. SpiffWorkflow parses it, exactly as a deployed version is loaded (engine.workflow.load_version, and
   every decision table of the bundle): its ValidationException becomes file, element, line and a
   Chinese message; an element SpiffWorkflow cannot execute is named by its tag.
4. govflow's rules (docs/modelling.md; the extension properties of engine/modeling/extensions.json):
   the process key belongs to a jurisdiction, lanes are its roles, forms and citations exist, every
   extension property is known and well-formed, exclusive gateways have a default flow or conditions,
   end events have an outcome, called processes and decisions exist, conditions and scripts use only
   names that exist, decision table cells parse as Python.
5. every expression compiles under the script sandbox (engine.sandbox.check_code).

bpmnlint's recommended rules (labels, disconnected shapes, …) run in CI and in the browser modeler and
are not repeated here."""
from __future__ import annotations

import ast
import builtins
import codecs
import difflib
import hashlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as SPIFF_DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import SPIFF_XSD

from engine import sandbox
from engine import workflow as wfx
from engine.errors import DiagramInvalid, GovflowError
from engine.forms import choice_problems, fields_with_choices
from engine.modeling import extensions
from engine.registry import GENERIC_OUTCOMES
from engine.script_helpers import _Helpers
from engine.spiff_ext import GovflowBpmnParser

BPMN_NS = wfx.BPMN_NS
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN11_NS = "http://www.omg.org/spec/DMN/20151101/dmn.xsd"
DMN12_NS = "http://www.omg.org/spec/DMN/20180521/MODEL/"
DMN13_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMN_VERSIONS = {DMN11_NS: "1.1", DMN12_NS: "1.2", DMN13_NS: "1.3"}
SCHEMA_DIR = Path(__file__).parent / "modeling" / "schemas"
DMN_XSD = {DMN11_NS: Path(SPIFF_DMN_SCHEMAS[DMN11_NS]), DMN12_NS: SCHEMA_DIR / "dmn12" / "DMN12.xsd",
           DMN13_NS: Path(SPIFF_DMN_SCHEMAS[DMN13_NS])}
MAX_BYTES = 8 * 1024 * 1024        # the largest shipped diagram has 260 kB
MAX_SCHEMA_PROBLEMS = 20           # per file; the rest is counted
DEFAULT_START_FORM = "common/project_facts"    # engine.services.runtime.DEFAULT_START_FORM
ENGINE_DATA = ("applicant_unit", "parent_instance_id", "parent_outcome", "plan_year",   # what the engine adds
               "parent_tasks",   # a side process: its project's answers by step (services/runtime._answers_of)
               "confirmed",      # the facts an office confirmed (engine/services/confirmed_facts.py)
               "unit_records",   # engine/services/orders.unit_records
               "unit_systems",   # the unit's projects as systems (engine/services/systems.py)
               "answers",        # the submission a `fieldCheck` expression checks (engine/services/field_checks.py)
               "records", "project_data")   # the other projects' steps a task `reads`; the data alone (same module)
PREFIXES = {BPMN_NS: "bpmn", "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi",
            "http://www.omg.org/spec/DD/20100524/DC": "dc", "http://www.omg.org/spec/DD/20100524/DI": "di",
            SPIFF_NS: "spiffworkflow", DMN11_NS: "dmn", DMN12_NS: "dmn", DMN13_NS: "dmn",
            "http://www.omg.org/spec/DMN/20180521/DMNDI/": "dmndi", "https://www.omg.org/spec/DMN/20191111/DMNDI/":
            "dmndi", "http://www.omg.org/spec/DMN/20180521/DC/": "dc", "http://www.omg.org/spec/DMN/20180521/DI/": "di",
            "http://camunda.org/schema/1.0/bpmn": "camunda", "http://www.w3.org/2001/XMLSchema-instance": "xsi"}
# Every flow node BPMN 2.0 defines; those the parser has no class for cannot be executed.
FLOW_NODES = ("task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "subProcess", "adHocSubProcess", "transaction", "callActivity", "startEvent",
              "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "implicitThrowEvent",
              "exclusiveGateway", "inclusiveGateway", "parallelGateway", "complexGateway", "eventBasedGateway",
              "choreographyTask", "subChoreography", "callChoreography")
EVENT_DEFINITIONS = ("cancel", "conditional", "error", "escalation", "terminate", "message", "signal", "timer",
                     "compensate", "link")
SUPPORTED_EVENTS = ("cancel", "conditional", "error", "escalation", "terminate", "message", "signal", "timer")


class Problem(tuple):
    """One problem: unpacks as (file, element, message) like the triples DiagramInvalid has always
    listed, and carries its `line` (None when the file has none, e.g. a missing file) and the number
    of the check (`stage`, 1–5) that found it."""

    def __new__(cls, file: str, element: str, message: str, line: int | None = None, stage: int = 4):
        problem = super().__new__(cls, (file, element or "-", message))
        problem.line = line if isinstance(line, int) and line > 0 else None
        problem.stage = stage
        return problem

    file = property(lambda self: self[0])
    element = property(lambda self: self[1])
    message = property(lambda self: self[2])

    def key(self) -> tuple:
        return (self[0], self[1], self.line, self[2])

    def as_dict(self) -> dict:
        return {"file": self[0], "element": self[1], "line": self.line, "message": self[2]}

    def __str__(self) -> str:
        where = f"{self[0]}:{self.line}" if self.line else self[0]
        return f"{where}: {self[1]}: {self[2]}"


class BundleInvalid(DiagramInvalid):
    """DiagramInvalid whose problem+json body also gives each problem's line and message."""

    def __init__(self, problems: list[Problem]):
        super().__init__(list(problems))
        self.extra["problems"] = [dict(p.as_dict(), reason=p.message) for p in problems]


@dataclass
class Result:
    problems: list[Problem]
    version: wfx.LoadedVersion | None = None


@dataclass
class Doc:
    """A file that passed check 1: its kind (`bpmn` / `dmn`), tree, and whether its schema holds."""

    name: str
    raw: bytes
    kind: str
    root: etree._Element
    namespace: str
    schema_ok: bool = True
    _by_id: dict | None = None

    def by_id(self) -> dict[str, etree._Element]:
        if self._by_id is None:
            self._by_id = {}
            for el in self.root.iter():
                if isinstance(el.tag, str) and el.get("id"):
                    self._by_id.setdefault(el.get("id"), el)
        return self._by_id

    def processes(self) -> list[etree._Element]:
        return self.root.findall(f"{{{BPMN_NS}}}process") if self.kind == "bpmn" else []


def local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def short(tag: str) -> str:
    """`{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask` → `bpmn:userTask`."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        prefix = PREFIXES.get(ns)
        return f"{prefix}:{name}" if prefix else name
    return tag


def checksum(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        content = files[name]
        digest.update(name.encode() + b"\0" + (content if isinstance(content, bytes) else content.encode()) + b"\0")
    return digest.hexdigest()


# --- 1. encoding and well-formedness -------------------------------------------------------------

_DECLARED = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"),
         (codecs.BOM_UTF16_BE, "UTF-16"))
_SYNTAX = [   # libxml2's message → Chinese; the groups fill the template
    (r"^Premature end of data in tag (\S+) line (\d+)",
     "文件在标签 {0}（第 {1} 行开始）结束之前就中断了（文件不完整？）"),
    (r"^EndTag: '</' not found", "文件不完整：缺少结束标签"),
    (r"^Opening and ending tag mismatch: (\S+) line (\d+) and (\S+)",
     "开始标签 {0}（第 {1} 行）与结束标签 {2} 不匹配"),
    (r"^Extra content at the end of the document", "根元素结束之后还有多余内容"),
    (r"^Start tag expected, '<' not found", "找不到开始标签 <（这不是 XML 文件）"),
    (r"^Document is empty", "文件为空"),
    (r"^Couldn't find end of Start Tag (\S+)", "标签 {0} 的开始标签没有结束（缺少 > ？）"),
    (r"^Attribute (\S+) redefined", "属性 {0} 重复出现"),
    (r"^Namespace prefix (\S+)(?: for (\S+))? on (\S+) is not defined", "命名空间前缀 {0} 未声明（元素 {2}）"),
    (r"^xmlParseEntityRef: no name", "& 未转义：在 XML 中应写作 &amp;"),
    (r"^EntityRef: expecting ';'", "& 未转义：在 XML 中应写作 &amp;"),
    (r"^Entity '([^']+)' not defined", "未定义的实体 &{0};"),
    (r"^Unescaped '<' not allowed in attributes values", "属性值中的 < 未转义（应写作 &lt;）"),
    (r"^AttValue: \" or ' expected", "属性值应以引号括起"),
    (r"^attributes construct error", "属性写法有误"),
    (r"^Specification mandates value for attribute (\S+)", "属性 {0} 缺少取值"),
    (r"^StartTag: invalid element name", "元素名不合法"),
    (r"^Char 0x([0-9A-Fa-f]+) out of allowed range", "含有 XML 不允许的字符 0x{0}"),
    (r"^PCDATA invalid Char value (\d+)", "含有 XML 不允许的字符（编码 {0}）"),
    (r"^Blank needed here", "此处缺少空格（如 XML 声明的两个属性之间）"),
    (r"^XML declaration allowed only at the start of the document", "XML 声明 <?xml …?> 只能出现在文件开头"),
    (r"^Comment not terminated", "注释没有结束（缺少 -->）"),
    (r"^(?:Excessive depth in document|Maximum nesting depth)", "元素嵌套过深"),
    (r"^xmlSAX2Characters: huge text node", "文本节点过大"),
    (r"^Input is not proper UTF-8", "不是 UTF-8 编码"),
]


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    text = re.sub(r", line \d+, column \d+$", "", (exc.msg or "").strip())
    for pattern, template in _SYNTAX:
        match = re.match(pattern, text)
        if match:
            return "XML 格式错误：" + template.format(*(g or "" for g in match.groups()))
    return f"XML 格式错误：{text}"


def _encoding_problem(raw: bytes) -> tuple[str, int | None] | None:
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return f"文件是 {name} 编码，应为 UTF-8（请另存为 UTF-8）", 1
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return (f"不是 UTF-8 编码：第 {line} 行有无法按 UTF-8 解读的字节 0x{raw[exc.start]:02x}"
                f"（文件可能是 GBK 等编码，请另存为 UTF-8）"), line
    declared = _DECLARED.match(raw.removeprefix(codecs.BOM_UTF8))
    if declared and declared.group(1).decode().lower().replace("-", "").replace("_", "") != "utf8":
        return f"XML 声明的编码为 {declared.group(1).decode()}，应为 UTF-8", 1
    return None


def _kind(name: str, root) -> tuple[str | None, str | None]:
    """(kind, problem) of a parsed file."""
    ns, tag = etree.QName(root).namespace or "", local(root)
    kind = "bpmn" if ns == BPMN_NS else "dmn" if ns in DMN_VERSIONS else None
    if kind is None or tag != "definitions":
        found = re.search(r"omg\.org/spec/DMN/(\d{8})", ns)
        if found and tag == "definitions":
            return None, (f"不支持的 DMN 版本（命名空间 {ns}）：请在建模器中另存为 DMN 1.3"
                          f"（{DMN13_NS}）")
        if "omg.org/spec/BPMN" in ns or "omg.org/bpmn20" in ns:
            return None, f"不是 BPMN 2.0 文件：根元素为 {short(root.tag)}（应为 {BPMN_NS} 的 definitions）"
        return None, (f"既不是 BPMN 也不是 DMN 文件：根元素为 {short(root.tag)}"
                      f"（应为 BPMN 2.0 或 DMN 1.1–1.3 的 definitions）")
    suffix = Path(name).suffix.lower()
    if suffix != f".{kind}":
        label = {"bpmn": "BPMN 流程图", "dmn": "DMN 决策表"}[kind]
        return None, f"文件内容是 {label}，扩展名却是 {suffix or '（无）'}（应为 .{kind}）"
    return kind, None


def _before_parsing(name: str, raw: bytes) -> tuple[str, int | None] | None:
    if Path(name).suffix.lower() not in (".bpmn", ".dmn"):
        return "只能校验 .bpmn（流程图）或 .dmn（决策表）文件", None
    if len(raw) > MAX_BYTES:
        return f"文件过大（{len(raw) / 1048576:.1f} MB，上限 {MAX_BYTES // 1048576} MB）", None
    encoding = _encoding_problem(raw)
    if encoding:
        return encoding
    if not raw.removeprefix(codecs.BOM_UTF8).strip():
        return "文件为空", None
    return None


def read(name: str, raw: bytes) -> tuple[Doc | None, list[Problem]]:
    """Check 1 on one file: the parsed document, or the problem that stops it."""
    def stop(message: str, line: int | None = None) -> tuple[None, list[Problem]]:
        return None, [Problem(name, "-", message, line, stage=1)]

    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    before = _before_parsing(name, raw)
    if before:
        return stop(*before)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        return stop(f"{_syntax_message(exc)}（第 {line} 行第 {column} 列）", line)
    if root is None:
        return stop("文件为空")
    if root.getroottree().docinfo.doctype:
        return stop("不允许 DOCTYPE 声明（BPMN/DMN 文件不需要它，实体声明可被用来撑爆解析器）", 1)
    kind, problem = _kind(name, root)
    if problem:
        return stop(problem, root.sourceline)
    return Doc(name, raw, kind, root, etree.QName(root).namespace), []


# --- 2. schema validity --------------------------------------------------------------------------

class _Schemas:
    """The XSDs, compiled once on first use; an XMLSchema's error log belongs to its last
    validation, so each schema validates one document at a time."""

    def __init__(self):
        self._lock = threading.Lock()
        self._compiled: dict[str, tuple[etree.XMLSchema, threading.Lock]] = {}

    def get(self, namespace: str):
        with self._lock:
            if namespace not in self._compiled:
                if namespace == BPMN_NS:
                    schema = BpmnValidator(imports={"spiffworkflow": SPIFF_XSD}).validator
                else:
                    schema = etree.XMLSchema(etree.parse(str(DMN_XSD[namespace])))
                self._compiled[namespace] = (schema, threading.Lock())
            return self._compiled[namespace]

    def errors(self, doc: Doc) -> list:
        schema, lock = self.get(doc.namespace)
        tree = doc.root.getroottree()
        if doc.kind == "bpmn":
            tree = _spiff_preprocessed(doc.root)
        with lock:
            if schema.validate(tree):
                return []
            return list(schema.error_log)


SCHEMAS = _Schemas()


def _spiff_preprocessed(root):
    """A copy as SpiffWorkflow's BpmnValidator sees it (it renames the formalExpression of correlation
    property retrieval expressions, which bpmn-js writes against the schema)."""
    found = root.findall(f".//{{{BPMN_NS}}}correlationPropertyRetrievalExpression/{{{BPMN_NS}}}formalExpression")
    if not found:
        return root.getroottree()
    copy = etree.fromstring(etree.tostring(root))
    for expr in copy.findall(f".//{{{BPMN_NS}}}correlationPropertyRetrievalExpression/{{{BPMN_NS}}}formalExpression"):
        expr.tag = f"{{{BPMN_NS}}}messagePath"
    return copy.getroottree()


_TYPES = {"xs:boolean": "true 或 false", "xs:ID": "以字母或下划线开头、不含空格的标识", "xs:QName": "限定名",
          "xs:integer": "整数", "xs:int": "整数", "xs:double": "数字", "xs:decimal": "数字", "xs:anyURI": "URI",
          "xs:IDREF": "已有元素的 id", "xs:dateTime": "日期时间", "xs:NCName": "不含冒号和空格的名称"}


def _names(text: str) -> str:
    tags = [short(t.strip()) for t in text.split(",") if t.strip()]
    tags = ["其他命名空间的元素" if t.startswith("##other") else t for t in tags]
    shown = "、".join(dict.fromkeys(tags[:6]))
    return shown + (f" 等 {len(tags)} 种" if len(tags) > 6 else "")


def _type_hint(type_name: str) -> str:
    name = type_name.replace("xsd:", "xs:")
    return _TYPES.get(name, short(type_name))


_XSD = [
    (r"^Element '([^']+)': This element is not expected\. Expected is (?:one of )?\( ?(.+?) ?\)\.$",
     lambda m: f"此处不应出现元素 {short(m[1])}（此处应为 {_names(m[2])}）"),
    (r"^Element '([^']+)': This element is not expected\.$",
     lambda m: f"此处不应出现元素 {short(m[1])}（未知的元素，或顺序不对）"),
    (r"^Element '([^']+)': The attribute '([^']+)' is required but missing\.$",
     lambda m: f"元素 {short(m[1])} 缺少必填属性 {m[2]}"),
    (r"^Element '([^']+)', attribute '([^']+)': The attribute '[^']+' is not allowed\.$",
     lambda m: f"元素 {short(m[1])} 不允许有属性 {short(m[2])}"),
    (r"^Element '([^']+)', attribute '([^']+)': \[facet 'enumeration'\] The value '(.*)' is not an element "
     r"of the set \{(.*)\}\.$",
     lambda m: f"元素 {short(m[1])} 的属性 {m[2]} 取值“{m[3]}”不在允许的取值 {m[4]} 之中"),
    (r"^Element '([^']+)', attribute '([^']+)': '(.*)' is not a valid value of the (?:local )?(?:atomic|union|list) "
     r"type '([^']+)'\.$",
     lambda m: f"元素 {short(m[1])} 的属性 {m[2]} 取值“{m[3]}”不合法（应为{_type_hint(m[4])}）"),
    (r"^Element '([^']+)': \[facet 'enumeration'\] The value '(.*)' is not an element of the set \{(.*)\}\.$",
     lambda m: f"元素 {short(m[1])} 的内容“{m[2]}”不在允许的取值 {m[3]} 之中"),
    (r"^Element '([^']+)': '(.*)' is not a valid value of the (?:local )?(?:atomic|union|list) type '([^']+)'\.$",
     lambda m: f"元素 {short(m[1])} 的内容“{m[2]}”不合法（应为{_type_hint(m[3])}）"),
    (r"^Element '([^']+)': Missing child element\(s\)\. Expected is (?:one of )?\( ?(.+?) ?\)\.$",
     lambda m: f"元素 {short(m[1])} 缺少子元素（应有 {_names(m[2])}）"),
    (r"^Element '([^']+)': No matching global declaration available for the validation root\.$",
     lambda m: f"根元素 {short(m[1])} 不是合法的根元素"),
    (r"^Element '([^']+)': Character content other than whitespace is not allowed because the content type is "
     r"'element-only'\.$", lambda m: f"元素 {short(m[1])} 中不允许直接写文本"),
    (r"^Element '([^']+)': Element content is not allowed, because the content type is a simple type",
     lambda m: f"元素 {short(m[1])} 只能包含文本，不能包含子元素"),
    (r"^Element '([^']+)', attribute '([^']+)': Warning: No precomputed value available",
     lambda m: f"元素 {short(m[1])} 的属性 {m[2]} 取值不合法"),
    (r"^Element '([^']+)': (.*)$", lambda m: f"元素 {short(m[1])} 不符合 XSD：{m[2]}"),
]


def _xsd_message(message: str) -> str:
    text = message.strip()
    for pattern, build in _XSD:
        match = re.match(pattern, text)
        if match:
            return build(match)
    return f"不符合 XSD：{text}"


def _element_on(doc: Doc, line: int) -> str:
    """The id of the element that starts on `line` (or of the nearest element around it with an id)."""
    best = None
    for el in doc.root.iter():
        if not isinstance(el.tag, str) or el.sourceline is None:
            continue
        if el.sourceline > line:
            break
        best = el
    while best is not None and not best.get("id"):
        best = best.getparent()
    return best.get("id") if best is not None else "-"


def schema_problems(doc: Doc) -> list[Problem]:
    """Check 2 on one file."""
    version = DMN_VERSIONS.get(doc.namespace)
    label = "BPMN 2.0" if doc.kind == "bpmn" else f"DMN {version}"
    try:
        errors = SCHEMAS.errors(doc)
    except (etree.XMLSchemaParseError, OSError) as exc:     # an XSD missing or not compiling
        return [Problem(doc.name, "-", f"无法载入 {label} 的 XSD：{exc}", None, stage=2)]
    problems = []
    seen = set()
    for error in errors:
        message = f"不符合 {label} 规范：{_xsd_message(error.message)}"
        if (error.line, message) in seen:
            continue
        seen.add((error.line, message))
        problems.append(Problem(doc.name, _element_on(doc, error.line), message, error.line, stage=2))
    if len(problems) > MAX_SCHEMA_PROBLEMS:
        rest = len(problems) - MAX_SCHEMA_PROBLEMS
        problems = problems[:MAX_SCHEMA_PROBLEMS] + [
            Problem(doc.name, "-", f"另有 {rest} 处不符合 {label} 规范，未一一列出", None, stage=2)]
    doc.schema_ok = not problems
    return problems


# --- the bundle: a process, the processes it calls, the decisions they use ------------------------

def _called(doc: Doc) -> tuple[list, list]:
    """(call activities, business rule tasks with their decision ids) of a BPMN file."""
    calls = list(doc.root.iter(f"{{{BPMN_NS}}}callActivity"))
    rules = [(el, (el.findtext(f".//{{{SPIFF_NS}}}calledDecisionId") or "").strip())
             for el in doc.root.iter(f"{{{BPMN_NS}}}businessRuleTask")]
    return calls, rules


def decision_ids(doc: Doc) -> list[str]:
    return [el.get("id") for el in doc.root if local(el) == "decision" and el.get("id")] if doc.kind == "dmn" else []


def executable_processes(doc: Doc) -> list[str]:
    return [p.get("id") for p in doc.processes() if p.get("isExecutable") == "true" and p.get("id")]


def main_process_key(content: bytes) -> str | None:
    """The first executable process of a BPMN file (None when it has none or does not parse)."""
    doc, _problems = read("file.bpmn", content)
    keys = executable_processes(doc) if doc is not None and doc.kind == "bpmn" else []
    return keys[0] if keys else None


@dataclass
class Library:
    """Every readable file of a jurisdiction's folder bpmn_diagrams/<key>/, the given files winning,
    indexed by process id and decision id."""

    docs: dict[str, Doc] = field(default_factory=dict)
    processes: dict[str, str] = field(default_factory=dict)      # process id → file name
    decisions: dict[str, str] = field(default_factory=dict)      # decision id → file name

    @classmethod
    def of(cls, folder: Path | None, extra: dict[str, bytes]) -> "Library":
        library = cls()
        if folder is not None and folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix in (".bpmn", ".dmn") and path.name not in extra:
                    library.add(path.name, path.read_bytes())
        for name, content in extra.items():
            library.add(name, content)
        return library

    def add(self, name: str, content: bytes) -> None:
        doc, _problems = read(name, content)
        if doc is None:
            return
        self.docs[name] = doc
        self.processes.update({p.get("id"): name for p in doc.processes()})
        self.decisions.update({dec: name for dec in decision_ids(doc)})

    def bundle(self, key: str) -> tuple[dict[str, bytes], list[Problem]]:
        """The files a version of `key` needs, and a problem for every called process or decision that
        none of the files has."""
        files: dict[str, bytes] = {}
        problems: list[Problem] = []
        todo, seen = [key], set()
        while todo:
            current = todo.pop(0)
            if current in seen or current not in self.processes:
                continue
            seen.add(current)
            doc = self.docs[self.processes[current]]
            files[doc.name] = doc.raw
            calls, rules = _called(doc)
            for call in calls:
                target = call.get("calledElement")
                if target and target not in self.processes:
                    problems.append(Problem(doc.name, call.get("id"), missing_process(target), call.sourceline))
                todo.append(target)
            for _task, dec in rules:
                if dec in self.decisions:
                    files[self.decisions[dec]] = self.docs[self.decisions[dec]].raw
        return files, problems

    def callers(self, key: str) -> list[str]:
        """Processes of the library whose call activities call `key`."""
        found = []
        for name, doc in self.docs.items():
            if doc.kind == "bpmn" and any(c.get("calledElement") == key for c in _called(doc)[0]):
                found += [pid for pid, file in self.processes.items() if file == name]
        return found


def missing_process(target: str) -> str:
    return f"调用活动引用的流程 {target} 不存在（同一辖区的 bpmn_diagrams 目录与所给文件中都没有）"


def folder_of(runtime, process_key: str) -> Path | None:
    try:
        return runtime.registry.jurisdiction_of(process_key).diagrams_dir
    except GovflowError:
        return None


def collect_bundle(runtime, process_key: str, extra: dict[str, bytes] | None = None
                   ) -> tuple[dict[str, bytes], list[Problem]]:
    """The bundle of `process_key` from the jurisdiction's folder and the given files, with a problem
    for everything it calls that is missing (an empty bundle when the process itself is missing)."""
    library = Library.of(folder_of(runtime, process_key), extra or {})
    if process_key not in library.processes:
        return {}, [Problem(f"{process_key}.bpmn", process_key, "找不到该流程的 BPMN 文件", None)]
    return library.bundle(process_key)


# --- 3. SpiffWorkflow parses it ------------------------------------------------------------------

_SPIFF = [
    (r"^There is no support implemented for this task type", "SpiffWorkflow 无法执行 {tag} 元素（不支持这种节点）"),
    (r"^No start event found", "流程没有开始事件"),
    (r"^Process (\S+) is not executable", "流程 {0} 未标记为可执行（应为 isExecutable=\"true\"）"),
    (r"^Non-default exclusive outgoing sequence flow without condition", "排他网关的非默认出口顺序流没有条件"),
    (r"^The process '([^']+)' was not found", "调用活动引用的流程 {0} 不存在"),
    (r"^No DMN Diagram available with id \"([^\"]*)\"", "业务规则任务引用的决策表 {0} 不存在"),
    (r"^Invalid Script Task", "脚本任务没有脚本"),
    (r"^(?:Time Specification Error|Unknown Time Specification)",
     "定时器缺少时间设置（timeDate、timeDuration 或 timeCycle 之一）"),
    (r"^Exactly one start event is required in a SubWorkflow Task; found (\d+)",
     "子流程须有且仅有一个开始事件（现有 {0} 个）"),
    (r"^A SubWorkflow Must contain an End event", "子流程缺少结束事件"),
    (r"^No \"calledElement\" attribute for Call Activity", "调用活动缺少 calledElement 属性"),
    (r"^Duplicate process ID: (\S+)", "流程 id {0} 重复"),
    (r"^Multiple decision tables are not current supported", "一个 DMN 文件只能有一个决策（decision）"),
    (r"^No decisions found", "DMN 文件中没有决策（decision）"),
    (r"^Malformed Output Expression '(.*)'", "决策表输出单元格“{0}”不是合法的 Python 表达式"),
    (r"^Unknown type in decision table: (.*)", "决策表中有无法识别的元素 {0}"),
    (r"^A multiinstance task must specify a cardinality or a (?:loop input data reference|collection)",
     "多实例任务须指定 loopCardinality 或 loopDataInputRef"),
    (r"^A multiinstance task must specify exactly one of",
     "多实例任务只能指定 loopCardinality 与 loopDataInputRef 之一"),
    (r"^The loop (input|output) data reference is missing from the IO specification",
     "多实例任务的循环{0}数据引用不在 ioSpecification 中"),
    (r"^A loopMaximum or loopCondition must be specified", "循环任务须指定 loopMaximum 或 loopCondition"),
    (r"^Cancel Events may only be used with transactions", "取消事件只能用于事务子流程（transaction）"),
    (r"^Could not find messageRef from message event definition", "消息事件定义缺少 messageRef"),
    (r"^Conditional event definition with missing condition", "条件事件缺少条件（condition）"),
    (r"^A Service Task must have an operator", "服务任务缺少 spiffworkflow:serviceTaskOperator"),
    (r"^Cannot resolve data(Input|Output)Association (\S*)", "无法解析数据关联 {1}"),
    (r"^(Message|Signal|Error|Escalation|Correlation|Data Store) (?:identifier|name) is missing",
     "{0} 定义缺少 id 或名称"),
    (r"^Data Store with name (\S+) has no implementation", "数据存储 {0} 没有实现（govflow 不支持数据存储）"),
    (r"^Ad hoc subprocesses may not contain start or end events",
     "特设子流程（adHocSubProcess）中不能有开始或结束事件"),
    (r"^Sequential ordering for ad hoc subprocesses not supported", "SpiffWorkflow 不支持顺序执行的特设子流程"),
    (r"^Expected an? (\w+) node", "引用的 {0} 定义不存在"),
    (r"^(?:RecursionError|maximum recursion depth)",
     "首尾相连的节点过多：SpiffWorkflow 逐个节点递归解析，超出了 Python 的递归深度（请把长链拆成子流程）"),
]


def _spiff_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    tag = getattr(exc, "tag", "") or "未知"
    for pattern, template in _SPIFF:
        match = re.match(pattern, text)
        if match:
            return template.format(*match.groups(), tag=short(tag) if tag.startswith("{") else tag)
    return f"SpiffWorkflow 无法解析：{text}"


def _locate(docs: dict[str, Doc], element: str, fallback: str) -> tuple[str, int | None]:
    for doc in docs.values():
        el = doc.by_id().get(element) if element else None
        if el is not None:
            return doc.name, el.sourceline
    return fallback, None


def _spiff_problem(docs: dict[str, Doc], exc: Exception, fallback: str) -> Problem:
    element = getattr(exc, "id", "") or ""
    file, line = _locate(docs, element, getattr(exc, "file_name", "") or fallback)
    if isinstance(getattr(exc, "line_number", None), int):
        line = exc.line_number
    return Problem(file, element or "-", _spiff_message(exc), line, stage=3)


def _supported_tags() -> set[str]:
    classes = {**GovflowBpmnParser.PARSER_CLASSES, **GovflowBpmnParser.OVERRIDE_PARSER_CLASSES}
    return {etree.QName(tag).localname for tag in classes}


SUPPORTED_NODES = _supported_tags() | {"businessRuleTask"}


def unsupported(doc: Doc, keys: set[str]) -> list[Problem]:
    """Elements of the processes `keys` that SpiffWorkflow has no parser for (it would refuse them when
    reached, or, for event definitions, silently run a plain event)."""
    problems = []
    for proc in doc.processes():
        if proc.get("id") not in keys:
            continue
        for el in proc.iter(f"{{{BPMN_NS}}}*"):
            tag = local(el)
            if tag in FLOW_NODES and tag not in SUPPORTED_NODES:
                problems.append(Problem(doc.name, el.get("id"), f"SpiffWorkflow 无法执行 bpmn:{tag}（不支持这种节点）",
                                        el.sourceline, stage=3))
            elif tag.endswith("EventDefinition") and tag[:-len("EventDefinition")] not in SUPPORTED_EVENTS:
                owner = el.getparent()
                problems.append(Problem(doc.name, owner.get("id"), f"SpiffWorkflow 不支持 bpmn:{tag}"
                                        "（该事件会被当作没有事件定义的普通事件）", el.sourceline, stage=3))
    return problems


def _dmn_layout(doc: Doc) -> list[Problem]:
    """What SpiffWorkflow's DMN parser assumes without checking: the DMN namespace is the default one
    (or has the prefix dmn), and a file holds one decision."""
    nsmap = doc.root.nsmap
    seen = nsmap[None] if None in nsmap else nsmap.get("dmn")
    if seen != doc.namespace:
        return [Problem(doc.name, "-", f"SpiffWorkflow 只按默认命名空间（或前缀 dmn:）读取 DMN：请把 {doc.namespace} "
                        "声明为默认命名空间（xmlns=\"…\"）", doc.root.sourceline, 3)]
    decisions = [el for el in doc.root if local(el) == "decision"]
    if not decisions:
        return [Problem(doc.name, "-", "DMN 文件中没有决策（decision），业务规则任务无法调用", doc.root.sourceline, 3)]
    if len(decisions) > 1:
        return [Problem(doc.name, decisions[1].get("id"), f"SpiffWorkflow 要求一个 DMN 文件只有一个决策（decision），"
                        f"此文件有 {len(decisions)} 个：请每个决策表存为一个文件", decisions[1].sourceline, 3)]
    if decisions[0].find(f"{{{doc.namespace}}}decisionTable") is None:
        return [Problem(doc.name, decisions[0].get("id"), "决策不是决策表（decisionTable）：SpiffWorkflow 只执行决策表",
                        decisions[0].sourceline, 3)]
    return []


def parse_dmn(doc: Doc) -> list[Problem]:
    """Check 3 on a decision table file: SpiffWorkflow reads its decision."""
    problems = _dmn_layout(doc)
    if problems or dmn_code(doc)[1]:
        return problems         # a cell that does not parse: check 4 names it
    try:
        parser = wfx.parse_bundle("", {doc.name: doc.raw}, validate=False)
        for dmn_parser in parser.dmn_parsers.values():
            dmn_parser.parse()
    except Exception as exc:  # noqa: BLE001 - the parser raises many kinds; all are the file's fault
        return [_spiff_problem({doc.name: doc}, exc, doc.name)]
    return []


def load(docs: dict[str, Doc], key: str, loader) -> tuple[wfx.LoadedVersion | None, list[Problem]]:
    """Check 3 on a bundle: the version as the engine would load it."""
    try:
        return loader(), []
    except etree.XMLSchemaParseError:
        dmn12 = [d.name for d in docs.values() if d.namespace == DMN12_NS]
        name = dmn12[0] if dmn12 else next(iter(docs))
        return None, [Problem(name, "-", "SpiffWorkflow 3.2 无法载入 DMN 1.2 决策表（它自带的 DMN 1.2 XSD 有误）："
                              "请在建模器中另存为 DMN 1.3", None, stage=3)]
    except Exception as exc:  # noqa: BLE001 - the parser raises many kinds; all are the diagram's fault
        main = next((d.name for d in docs.values() if key in executable_processes(d)), next(iter(docs)))
        return None, [_spiff_problem(docs, exc, main)]


# --- 4. govflow's rules --------------------------------------------------------------------------

PROPERTIES: dict = extensions()["properties"]
LANE_ID = re.compile(extensions()["lanes"]["id_pattern"])
TIMER_WORKDAYS = re.compile(extensions()["durations"]["timer_workdays"]["pattern"], re.IGNORECASE)
HELPERS = frozenset(_Helpers.NAMES)
_ISO_LIKE = re.compile(r"^(?:P(?:\d+WD|T?\d+[YMWDHS].*)|R\d*)$", re.IGNORECASE)


def _builtin_names() -> frozenset[str]:
    """The builtins an expression may call: the sandbox's whitelist when it publishes one, else every
    Python builtin (check 5 refuses the forbidden ones)."""
    safe = getattr(sandbox, "SAFE_BUILTINS", None)
    names = set(safe) if isinstance(safe, dict) and safe else set(dir(builtins))
    return frozenset(names | {"True", "False", "None", "Decimal", "date", "timedelta"})


def moddle_type(el) -> str:
    name = local(el)
    return f"bpmn:{name[:1].upper()}{name[1:]}"


def properties_of(el) -> list[etree._Element]:
    """The spiffworkflow:property elements an element carries in its own extensionElements."""
    ext = el.find(f"{{{BPMN_NS}}}extensionElements")
    if ext is None:
        return []
    return [p for props in ext.findall(f"{{{SPIFF_NS}}}properties") for p in props.findall(f"{{{SPIFF_NS}}}property")]


def property_map(el) -> dict[str, str]:
    return {p.get("name"): p.get("value") or "" for p in properties_of(el)}


@dataclass
class Code:
    """One piece of Python a diagram holds."""

    file: str
    element: str
    line: int | None
    source: str
    mode: str           # "eval" / "exec"
    what: str           # Chinese: 条件, 脚本, 定时器 …
    names: bool = True  # take part in the name check


_BPMN_CODE = {"conditionExpression": ("eval", "条件"), "script": ("exec", "脚本"), "timeDate": ("eval", "定时器"),
              "timeDuration": ("eval", "定时器"), "timeCycle": ("eval", "定时器"), "condition": ("eval", "条件事件"),
              "loopCardinality": ("eval", "多实例数量"), "completionCondition": ("eval", "多实例完成条件"),
              "loopCondition": ("eval", "循环条件")}
_SPIFF_CODE = {"preScript": ("exec", "前置脚本"), "postScript": ("exec", "后置脚本"),
               "messagePayload": ("eval", "消息内容")}
_OWNERS = set(FLOW_NODES) | {"sequenceFlow", "process"}


def owner_of(el):
    node = el.getparent()
    while node is not None and not (local(node) in _OWNERS and node.get("id")):
        node = node.getparent()
    return node


def _python(el) -> bool:
    """Is the code Python (SpiffWorkflow runs everything as Python; check 4 names other languages)?"""
    holder = el.getparent() if local(el) == "script" else el
    language = (holder.get("scriptFormat") if local(el) == "script" else el.get("language")) or "python"
    return language.strip().lower() in ("python", "text/python", "text/x-python", "py")


def bpmn_code(doc: Doc) -> list[Code]:
    pieces = []
    for el in doc.root.iter():
        ns = etree.QName(el).namespace if isinstance(el.tag, str) else None
        table = _BPMN_CODE if ns == BPMN_NS else _SPIFF_CODE if ns == SPIFF_NS else {}
        spec = table.get(local(el))
        if spec and (el.text or "").strip() and _python(el):
            owner = owner_of(el)
            pieces.append(Code(doc.name, owner.get("id") if owner is not None else "-", el.sourceline,
                               el.text.strip(), *spec))
    for el in doc.root.iter(f"{{{BPMN_NS}}}*"):
        for prop in properties_of(el):
            if PROPERTIES.get(prop.get("name"), {}).get("kind") == "expression" and (prop.get("value") or "").strip():
                pieces.append(Code(doc.name, el.get("id") or "-", prop.sourceline, prop.get("value").strip(), "eval",
                                   f"属性 {prop.get('name')} 的表达式"))
    return pieces


def _dmn_text(el) -> str:
    text = el.find(f"{{{etree.QName(el).namespace}}}text")
    return (text.text or "").strip() if text is not None else ""


def dmn_tables(doc: Doc):
    """(input clauses [(element, expression)], rules [(rule, [(entry, text, input expression)],
    [(entry, text)])]) of every decision table of a DMN file."""
    ns = doc.namespace
    for table in doc.root.iter(f"{{{ns}}}decisionTable"):
        inputs = []
        for clause in table.findall(f"{{{ns}}}input"):
            expr = clause.find(f"{{{ns}}}inputExpression")
            inputs.append((expr if expr is not None else clause, _dmn_text(expr) if expr is not None else ""))
        rules = []
        for rule in table.findall(f"{{{ns}}}rule"):
            entries = rule.findall(f"{{{ns}}}inputEntry")
            ins = [(e, _dmn_text(e), inputs[i][1] if i < len(inputs) else "") for i, e in enumerate(entries)]
            outs = [(e, _dmn_text(e)) for e in rule.findall(f"{{{ns}}}outputEntry")]
            rules.append((rule, ins, outs))
        yield table, inputs, rules


def dmn_outputs(doc: Doc) -> set[str]:
    ns = doc.namespace
    names = set()
    for out in doc.root.iter(f"{{{ns}}}output"):
        key = out.get("name") or out.get("label") or ""
        if key:
            names.add(key.split(".", 1)[0])
    return names


def _parses(source: str, mode: str = "eval") -> bool:
    try:
        ast.parse(source, mode=mode)
        return True
    except (SyntaxError, ValueError):
        return False


def cell_expression(entry: str, input_expr: str) -> str | None:
    """The Python SpiffWorkflow's DMN engine evaluates for an input cell (None: the cell matches
    anything, or cannot be read): `> 400` → `total > 400`, `"a"` → `(kind) == ("a")`, `? > 3` …"""
    if not entry or entry == "-":
        return None
    replaced = re.sub(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)', "dmninputexpr", entry)
    if "dmninputexpr" in replaced:
        return replaced if _parses(replaced) else None
    if _parses(entry):
        return f"({input_expr}) == ({entry})"
    if _parses(f"v {entry}"):
        return f"{input_expr}{entry}"
    return None


def dmn_code(doc: Doc) -> tuple[list[Code], list[Problem]]:
    """The Python of a decision table (input expressions, the expressions its cells make, output
    cells) and a problem for every cell that does not parse (check 4)."""
    pieces, problems = [], []
    for _table, inputs, rules in dmn_tables(doc):
        for expr_el, expr in inputs:
            if expr:
                pieces.append(Code(doc.name, expr_el.get("id") or "-", expr_el.sourceline, expr, "eval",
                                   "决策表输入表达式"))
        for rule, ins, outs in rules:
            for entry, text, input_expr in ins:
                _input_cell(doc, rule, entry, text, input_expr, pieces, problems)
            for entry, text in outs:
                _output_cell(doc, rule, entry, text, pieces, problems)
    return pieces, problems


def _input_cell(doc: Doc, rule, entry, text: str, input_expr: str, pieces: list, problems: list) -> None:
    made = cell_expression(text, input_expr or "v")
    element = entry.get("id") or rule.get("id") or "-"
    if text and text != "-" and made is None:
        problems.append(Problem(doc.name, element, f"决策表输入单元格“{text}”不是合法的 Python 表达式"
                                "（可写 > 400、<= 1000、\"approve\"、True 或 -）", entry.sourceline))
    elif made is not None and _parses(input_expr or "v"):
        pieces.append(Code(doc.name, element, entry.sourceline, made, "eval", "决策表输入单元格", names=False))


def _output_cell(doc: Doc, rule, entry, text: str, pieces: list, problems: list) -> None:
    element = entry.get("id") or rule.get("id") or "-"
    if text and not _parses(text):
        problems.append(Problem(doc.name, element, f"决策表输出单元格“{text}”不是合法的 Python 表达式"
                                "（文本须加引号，如 \"approve\"）", entry.sourceline))
    elif text:
        pieces.append(Code(doc.name, element, entry.sourceline, text, "eval", "决策表输出单元格", names=False))


class _Names(ast.NodeVisitor):
    """The names a piece of code reads without binding them itself, and the names it assigns at its
    top level (which stay in the task data)."""

    def __init__(self):
        self.free: list[str] = []
        self.assigned: set[str] = set()
        self._scopes: list[set[str]] = []

    def bound(self, name: str) -> bool:
        return any(name in scope for scope in self._scopes)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            if not self.bound(node.id):
                self.free.append(node.id)
        elif self._scopes:
            self._scopes[-1].add(node.id)
        else:
            self.assigned.add(node.id)

    def _comprehension(self, node, parts):
        scope = {n.id for gen in node.generators for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
        self._scopes.append(scope)
        for gen in node.generators:
            self.visit(gen.iter)
            for cond in gen.ifs:
                self.visit(cond)
        for part in parts:
            self.visit(part)
        self._scopes.pop()

    def visit_ListComp(self, node):
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node):
        self._comprehension(node, [node.key, node.value])

    def _function(self, node, body):
        if not isinstance(node, ast.Lambda):
            (self._scopes[-1] if self._scopes else self.assigned).add(node.name)
        args = node.args
        scope = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
        scope |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        scope |= {n.id for stmt in body for n in ast.walk(stmt) if isinstance(n, ast.Name)
                  and not isinstance(n.ctx, ast.Load)}
        self._scopes.append(scope)
        for stmt in body:
            self.visit(stmt)
        self._scopes.pop()

    def visit_FunctionDef(self, node):
        self._function(node, node.body)

    def visit_Lambda(self, node):
        self._function(node, [node.body])

    def visit_ExceptHandler(self, node):
        if node.name:
            (self._scopes[-1] if self._scopes else self.assigned).add(node.name)
        self.generic_visit(node)


def names_in(source: str, mode: str) -> _Names | None:
    try:
        tree = ast.parse(source, mode=mode)
    except (SyntaxError, ValueError):
        return None
    found = _Names()
    found.visit(tree)
    return found


def form_fields(schema: dict) -> set[str]:
    """The top-level fields of a JSON Schema form (merged into the task data), conditionals included."""
    fields = set((schema.get("properties") or {}).keys())
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key) or []:
            if isinstance(part, dict):
                fields |= form_fields(part)
    for key in ("then", "else", "if"):
        if isinstance(schema.get(key), dict):
            fields |= form_fields(schema[key])
    for part in (schema.get("dependentSchemas") or {}).values():
        if isinstance(part, dict):
            fields |= form_fields(part)
    return fields


@dataclass
class Context:
    """What the rules of one bundle need."""

    runtime: object
    docs: dict[str, Doc]
    key: str | None
    jurisdiction: object = None
    library: Library | None = None
    complete: bool = True       # every file of the bundle passed check 1
    problems: list[Problem] = field(default_factory=list)

    def add(self, doc: Doc | str, el, message: str, at=None) -> None:
        """A problem of element `el` (or an id), on the line of `at` (an element inside it) or its own."""
        name = doc.name if isinstance(doc, Doc) else doc
        element = el.get("id") if el is not None and not isinstance(el, str) else (el or "-")
        line = el.sourceline if el is not None and not isinstance(el, str) else None
        line = at.sourceline if at is not None else line
        self.problems.append(Problem(name, element or "-", message, line, stage=4))

    @property
    def bpmn(self) -> list[Doc]:
        return [d for d in self.docs.values() if d.kind == "bpmn"]

    def form_schema(self, form: str | None) -> dict:
        """The form's schema ({} for a missing or broken form: the form check's business, not the caller's)."""
        if not form or not self.runtime.forms.exists(form):
            return {}
        try:
            schema, _ui = self.runtime.forms.load(form)
        except Exception:  # noqa: BLE001 - a broken form is the form check's business, not the name check's
            return {}
        return schema if isinstance(schema, dict) else {}

    def form_fields(self, form: str | None) -> set[str]:
        return form_fields(self.form_schema(form))


def check_process_key(ctx: Context) -> None:
    if ctx.key is None:
        return
    doc = next((d for d in ctx.bpmn if ctx.key in [p.get("id") for p in d.processes()]), None)
    proc = doc.by_id().get(ctx.key) if doc is not None else None
    if doc is None and ctx.complete:
        ctx.add(f"{ctx.key}.bpmn", ctx.key, f"找不到流程 {ctx.key} 的 BPMN 文件")
    elif doc is not None and ctx.key not in executable_processes(doc):
        ctx.add(doc, proc, f"流程 {ctx.key} 未标记为可执行（应为 isExecutable=\"true\"）")
    try:
        ctx.jurisdiction = ctx.runtime.registry.jurisdiction_of(ctx.key)
    except GovflowError:
        keys = "、".join(ctx.runtime.registry.jurisdictions())
        ctx.add(doc or f"{ctx.key}.bpmn", proc if proc is not None else ctx.key,
                f"流程标识 {ctx.key} 不属于任何辖区：应为 <辖区键> 或 <辖区键>.<名称>，辖区键为 {keys}")
        return
    pdef = ctx.jurisdiction.processes.get(ctx.key)
    start = pdef.start_form if pdef and pdef.start_form else DEFAULT_START_FORM
    if fields_with_choices(ctx.form_schema(start)):     # no project yet to take the choices from
        ctx.add(doc or f"{ctx.key}.bpmn", proc if proc is not None else ctx.key,
                f"开始表单 {start} 不能使用 x-choices（发起时尚无项目可供选择），请在任务表单中使用")


def _lanes(doc: Doc) -> dict[str, etree._Element]:
    """flow node id → the innermost lane listing it."""
    found = {}
    for lane in doc.root.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            found[(ref.text or "").strip()] = lane
    return found


def check_lanes(ctx: Context, doc: Doc) -> None:
    lanes = _lanes(doc)
    j = ctx.jurisdiction
    for task in doc.root.iter(f"{{{BPMN_NS}}}userTask"):
        lane = lanes.get(task.get("id"))
        match = LANE_ID.match(lane.get("id") or "") if lane is not None else None
        if lane is None:
            ctx.add(doc, task, "用户任务不在任何泳道中（泳道 id 应为 lane_<角色> 或 <子流程id>_lane_<角色>）")
        elif match is None:
            ctx.add(doc, task, f"用户任务所在泳道 {lane.get('id')} 不是按角色命名的泳道"
                               "（泳道 id 应为 lane_<角色> 或 <子流程id>_lane_<角色>）")
        elif j is not None and match.group(1) not in j.roles:
            known = "、".join(j.roles)
            ctx.add(doc, task, f"泳道角色 {match.group(1)} 未在 processes/{j.key}/jurisdiction.json 的 roles 中声明"
                               f"（已声明：{known}）")


def _known_outcome(ctx: Context, code: str) -> bool:
    return ctx.jurisdiction is None or code in ctx.jurisdiction.outcomes or code in GENERIC_OUTCOMES


def _check_value(ctx: Context, doc: Doc, el, prop, spec: dict) -> None:  # noqa: C901 - one branch per kind
    name, value = prop.get("name"), (prop.get("value") or "").strip()
    kind, j = spec.get("kind"), ctx.jurisdiction
    if not value:
        ctx.add(doc, el, f"属性 {name}（{spec.get('label', '')}）的取值为空", prop)
    elif spec.get("pattern") and not re.match(spec["pattern"], value):
        hint = {"dueIn": "应写作 10wd（工作日）、30d（自然日）或 1m（月）"}.get(name, f"应符合 {spec['pattern']}")
        ctx.add(doc, el, f"属性 {name} 的取值“{value}”不合法：{hint}", prop)
    elif kind == "form" and not ctx.runtime.forms.exists(value):
        ctx.add(doc, el, f"表单文件不存在：forms/{value}.schema.json", prop)
    elif kind == "form":
        for problem in choice_problems(ctx.form_schema(value)):     # `x-choices` (engine/services/choices.py)
            ctx.add(doc, el, f"表单 {value}：{problem}", prop)
    elif kind == "citations" and j is not None:
        for item in j.legal_basis(value):
            if not item["text"]:
                ctx.add(doc, el, f"法律依据 {item['article']} 未在辖区条文表中"
                                 f"（processes/{j.key}/citations.json）", prop)
    elif kind == "outcome" and not _known_outcome(ctx, value):
        known = "、".join(dict.fromkeys([*j.outcomes, *GENERIC_OUTCOMES]))
        ctx.add(doc, el, f"属性 {name} 的结果代码 {value} 未知：应为本辖区 outcomes 或通用代码之一（{known}）", prop)


_TYPED = set(FLOW_NODES) | {"sequenceFlow", "process", "lane", "participant", "collaboration"}


def check_properties(ctx: Context, doc: Doc) -> None:
    for el in doc.root.iter(f"{{{BPMN_NS}}}*"):
        props = properties_of(el)
        kind = moddle_type(el)
        names = [p.get("name") for p in props]
        for prop in props:
            name = prop.get("name") or ""
            spec = PROPERTIES.get(name)
            if spec is None:
                hint = difflib.get_close_matches(name, list(PROPERTIES), n=1, cutoff=0.6)
                ctx.add(doc, el, f"未知的扩展属性 {name}" + (f"（是否应为 {hint[0]}？）" if hint else "")
                        + f"：govflow 认识的属性为 {'、'.join(PROPERTIES)}", prop)
                continue
            if kind not in spec.get("elements", []) and local(el) in _TYPED:
                ctx.add(doc, el, f"扩展属性 {name} 不适用于 {kind}（适用于 {'、'.join(spec.get('elements', []))}）",
                        prop)
                continue
            if names.count(name) > 1 and names.index(name) != props.index(prop):
                ctx.add(doc, el, f"扩展属性 {name} 重复出现", prop)
                continue
            _check_value(ctx, doc, el, prop, spec)
        for name, spec in PROPERTIES.items():
            required = spec.get("required") and kind in spec.get("elements", []) or kind in spec.get("required_on", [])
            if required and name not in names:
                ctx.add(doc, el, _missing(kind, name, spec))
        _check_clock(ctx, doc, el, property_map(el))
        _check_confirms(ctx, doc, el, property_map(el))


def _check_confirms(ctx: Context, doc: Doc, el, props: dict) -> None:
    """A task confirming facts: each a field of the start form, each with its 属实/不属实 field in the task's form."""
    keys = [k.strip() for k in (props.get("confirms") or "").split(",") if k.strip()]
    if not keys or ctx.jurisdiction is None or ctx.key is None:
        return
    pdef = ctx.jurisdiction.processes.get(ctx.key)
    start = ctx.form_fields(pdef.start_form if pdef and pdef.start_form else DEFAULT_START_FORM)
    fields = ctx.form_fields(props.get("form"))
    for key in keys:
        if start and key not in start:
            ctx.add(doc, el, f"核实的事实 {key} 不是开始表单的字段")
        elif fields and f"{key}_holds" not in fields:
            ctx.add(doc, el, f"核实事实 {key} 的任务表单 {props.get('form')} 缺少字段 {key}_holds（属实/不属实）")


def check_parent_effects(ctx: Context, doc: Doc) -> None:
    """`parentEffect` / `parentOutcome` act on the project a side process belongs to: only a process the
    jurisdiction declares with a `parent` has one, and `parentOutcome` goes with `terminate` only. A
    `hold` names the steps it holds (`parentSteps`, with `hold` or `release` only): each a user task of
    the project's diagram (the jurisdiction's processes without a `parent`) when that is known."""
    j = ctx.jurisdiction
    for process in doc.root.iter(f"{{{BPMN_NS}}}process"):
        pdef = j.processes.get(process.get("id")) if j is not None else None
        for el in process.iter(f"{{{BPMN_NS}}}*"):
            props = property_map(el)
            effect = (props.get("parentEffect") or "").strip()
            if not (effect or props.get("parentOutcome") or props.get("parentSteps")):
                continue
            if pdef is not None and not pdef.parent:
                ctx.add(doc, el, f"流程 {process.get('id')} 不是项目的子流程（jurisdiction.json 未设 parent），"
                                 "不能对所属项目产生效果（parentEffect、parentOutcome）")
            elif props.get("parentOutcome") and effect and effect != "terminate":
                ctx.add(doc, el, f"parentOutcome 只能与 parentEffect terminate 同用（此处为 {effect}）")
            _check_parent_steps(ctx, doc, el, effect, _id_list(props.get("parentSteps")))


def check_own_holds(ctx: Context, doc: Doc) -> None:
    """`holdSteps` / `releaseSteps` order steps of the diagram's own process (engine/services/orders.py):
    each a user task of that process (its sub-processes included), and not on an element that also acts
    on a parent project, nor both on one element."""
    for process in doc.root.iter(f"{{{BPMN_NS}}}process"):
        tasks = {t.get("id") for t in process.iter(f"{{{BPMN_NS}}}userTask")}
        for el in process.iter(f"{{{BPMN_NS}}}*"):
            props = property_map(el)
            named = [(name, _id_list(props.get(name))) for name in ("holdSteps", "releaseSteps") if props.get(name)]
            if not named:
                continue
            if len(named) > 1:
                ctx.add(doc, el, "holdSteps 与 releaseSteps 不能设在同一元素上")
            if props.get("parentEffect") or props.get("parentSteps"):
                ctx.add(doc, el, f"{named[0][0]}（本流程步骤）不能与 parentEffect、parentSteps（所属项目）同用")
            for name, steps in named:
                _check_steps_known(ctx, doc, el, name, steps, tasks, "本流程图")


def _check_parent_steps(ctx: Context, doc: Doc, el, effect: str, steps: list[str]) -> None:
    if effect == "hold" and not steps:
        ctx.add(doc, el, "parentEffect hold 须用 parentSteps 列出暂缓办理的所属项目步骤（用户任务 id，逗号分隔）")
    elif steps and effect not in ("hold", "release"):
        ctx.add(doc, el, f"parentSteps 只能与 parentEffect hold 或 release 同用（此处为 {effect or '未设置'}）")
        return
    tasks = _project_user_tasks(ctx) if steps else None
    if tasks is not None:
        _check_steps_known(ctx, doc, el, "parentSteps", steps, tasks, "所属项目流程图")


def _check_steps_known(ctx: Context, doc: Doc, el, name: str, steps: list[str], tasks: set[str], where: str) -> None:
    """Each of `steps` (named by the property `name`) a user task among `tasks` (of `where`), with a hint."""
    for step in steps:
        if step not in tasks:
            hint = difflib.get_close_matches(step, sorted(tasks), n=1, cutoff=0.6)
            ctx.add(doc, el, f"{name} 中的 {step} 不是{where}的用户任务"
                    + (f"（是否应为 {hint[0]}？）" if hint else ""))


def _project_user_tasks(ctx: Context) -> set[str] | None:
    """The user task ids of the diagrams of the jurisdiction's projects (its processes without a
    `parent`, with what they call), read from its folder; None when unknown."""
    j = ctx.jurisdiction
    mains = [key for key, p in j.processes.items() if not p.parent] if j is not None else []
    if not mains:
        return None
    if ctx.library is None:
        ctx.library = Library.of(folder_of(ctx.runtime, mains[0]), {d.name: d.raw for d in ctx.docs.values()})
    found: set[str] = set()
    for key in mains:
        if key not in ctx.library.processes:
            return None
        files, _problems = ctx.library.bundle(key)
        for name in files:
            found |= {t.get("id") for t in ctx.library.docs[name].root.iter(f"{{{BPMN_NS}}}userTask")}
    return found


def _missing(kind: str, name: str, spec: dict) -> str:
    what = {"bpmn:UserTask": "用户任务", "bpmn:EndEvent": "结束事件"}.get(kind, kind)
    return f"{what}缺少 {name} 属性（{spec.get('label', '')}）"


def _check_clock(ctx: Context, doc: Doc, el, props: dict) -> None:
    if props.get("clock"):
        due = props.get("dueIn", "").strip()
        if props.get("dueAt") or not due.endswith(("wd", "d")):
            ctx.add(doc, el, "暂停计时（clock）需与 dueIn（工作日 wd 或自然日 d）一起使用，且不能同时设置 dueAt")


_CONSOLIDATION = ("consolidates", "binding", "overridable", "positiveDecisions", "decisionField")


def _id_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def check_consolidation(ctx: Context, doc: Doc) -> None:
    """Binding opinions (docs/modelling.md): a consolidating task names user tasks of the bundle, its
    `binding` and `overridable` ones among them (not both), has a `decision` field, and an
    `override_reason` field when some opinion is overridable."""
    user_tasks = {t.get("id") for d in ctx.bpmn for t in d.root.iter(f"{{{BPMN_NS}}}userTask")}
    for task in doc.root.iter(f"{{{BPMN_NS}}}userTask"):
        props = property_map(task)
        if not any(props.get(name) for name in _CONSOLIDATION):
            continue
        consolidated = _id_list(props.get("consolidates"))
        if not consolidated:
            ctx.add(doc, task, "binding、overridable、positiveDecisions、decisionField "
                               "须与 consolidates（汇总的审查任务）一起使用")
            continue
        _check_opinion_refs(ctx, doc, task, props, user_tasks, consolidated)
        both = set(_id_list(props.get("binding"))) & set(_id_list(props.get("overridable")))
        if both:
            ctx.add(doc, task, f"审查任务 {'、'.join(sorted(both))} 不能既有约束力（binding）又可不采纳（overridable）")
        fields_ = ctx.form_fields(props.get("form"))
        field_ = (props.get("decisionField") or "decision").strip()
        weighs = any(props.get(k) for k in ("binding", "overridable", "positiveDecisions", "decisionField"))
        # only opinions that bind or need a reason to overrule are checked against the decision; a task
        # that merely shows the opinions side by side (advisory) may have a form without one
        if weighs and props.get("form") and fields_ and field_ not in fields_:
            ctx.add(doc, task, f"汇总审查意见的任务，其表单须有 {field_} 字段（结论）")
        if props.get("overridable") and fields_ and "override_reason" not in fields_:
            ctx.add(doc, task, "有可不采纳的审查意见（overridable）时，"
                               "表单须有 override_reason 字段（不采纳意见的理由）")


def _check_opinion_refs(ctx: Context, doc: Doc, task, props: dict, user_tasks: set, consolidated: list) -> None:
    for name in ("consolidates", "binding", "overridable"):
        for ref in _id_list(props.get(name)):
            if ref not in user_tasks:
                ctx.add(doc, task, f"属性 {name} 引用的审查任务 {ref} 不是本流程（及其调用的流程）中的用户任务")
            elif name != "consolidates" and ref not in consolidated:
                ctx.add(doc, task, f"属性 {name} 中的 {ref} 须同时列在 consolidates 中")


def gateway_problems(doc: Doc) -> list[Problem]:
    """Exclusive gateways with two or more outgoing flows: a default flow, and a condition on every
    other one (SpiffWorkflow refuses a non-default flow without one)."""
    outgoing: dict[str, list] = {}
    for flow in doc.root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    problems = []
    for gw in doc.root.iter(f"{{{BPMN_NS}}}exclusiveGateway"):
        flows = outgoing.get(gw.get("id"), [])
        default = gw.get("default")
        message = None
        bare = [f.get("id") for f in flows if f.get("id") != default
                and not (f.findtext(f"{{{BPMN_NS}}}conditionExpression") or "").strip()]
        if default and default not in {f.get("id") for f in flows}:
            message = f"排他网关的默认出口 {default} 不是它的出口顺序流"
        elif len(flows) < 2 or not bare:
            continue
        elif not default and len(bare) == len(flows):
            message = "排他网关既没有默认出口，出口顺序流也都没有条件：请给每条出口写条件，或指定默认出口"
        else:
            message = f"排他网关的出口顺序流 {'、'.join(bare)} 没有条件" + (
                "，也不是默认出口" if default else "：请写条件，或把其中一条设为默认出口")
        problems.append(Problem(doc.name, gw.get("id"), message, gw.sourceline, stage=4))
    return problems


def check_timers(ctx: Context, doc: Doc) -> None:
    """Timer expressions that are plain strings: ISO 8601 (or govflow's working days, `"P10WD"`)."""
    for el in doc.root.iter(f"{{{BPMN_NS}}}timeDuration", f"{{{BPMN_NS}}}timeDate", f"{{{BPMN_NS}}}timeCycle"):
        try:
            value = ast.literal_eval((el.text or "").strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue        # an expression (helpers, names): checks 4 (names) and 5 look at it
        if not isinstance(value, str):
            continue
        owner = owner_of(el)
        problem = _timer_value(local(el), value.strip())
        if problem:
            ctx.add(doc, owner if owner is not None else el, problem)


def _timer_value(tag: str, value: str) -> str | None:
    try:
        if tag == "timeDuration":
            if not TIMER_WORKDAYS.match(value):
                TimerEventDefinition.parse_iso_duration(value)
        elif tag == "timeCycle":
            TimerEventDefinition.parse_iso_recurring_interval(value)
        else:
            TimerEventDefinition.parse_time_or_duration(value)
        return None
    except Exception:  # noqa: BLE001 - SpiffWorkflow's parsers raise ValueError, IndexError, AttributeError …
        examples = {"timeDuration": "时长，如 \"P30D\"、\"PT2H\" 或工作日 \"P10WD\"",
                    "timeCycle": "重复周期，如 \"R3/P7D\"",
                    "timeDate": "带时区的日期时间，如 \"2026-09-30T17:00:00+08:00\""}
        return f"定时器的取值“{value}”不合法：应为 ISO 8601 {examples[tag]}"


def check_languages(ctx: Context, doc: Doc) -> None:
    """SpiffWorkflow runs every script and condition as Python."""
    for el in doc.root.iter(f"{{{BPMN_NS}}}script", f"{{{BPMN_NS}}}conditionExpression"):
        if (el.text or "").strip() and not _python(el):
            holder = el.getparent() if local(el) == "script" else el
            language = holder.get("scriptFormat") if local(el) == "script" else el.get("language")
            owner = owner_of(el)
            ctx.add(doc, owner if owner is not None else el,
                    f"{'脚本' if local(el) == 'script' else '条件'}的语言为 {language}：SpiffWorkflow 只执行 Python")


def check_references(ctx: Context) -> None:
    """Every call activity's process and business rule task's decision is in the bundle."""
    decisions = {dec for d in ctx.docs.values() for dec in decision_ids(d)}
    processes = {p.get("id") for d in ctx.bpmn for p in d.processes()}
    for doc in ctx.bpmn:
        for call in _called(doc)[0]:
            target = call.get("calledElement")
            if not target:
                ctx.add(doc, call, "调用活动缺少 calledElement 属性（被调用流程的 id）")
            elif target not in processes:
                ctx.add(doc, call, missing_process(target))
        for task, dec in _called(doc)[1]:
            if not dec:
                ctx.add(doc, task, "业务规则任务缺少 spiffworkflow:calledDecisionId（决策表 id）")
            elif dec not in decisions:
                hint = difflib.get_close_matches(dec, sorted(decisions | set(ctx.library.decisions if ctx.library
                                                                                else ())), n=1, cutoff=0.6)
                ctx.add(doc, task, f"业务规则任务引用的决策表 {dec} 不存在"
                        + (f"（是否应为 {hint[0]}？）" if hint else ""))


def known_names(ctx: Context, seen: set[str] | None = None) -> set[str]:
    """Every name an expression of the bundle may read: the start form's fields (a side process also
    has its project's), every user task's form fields and element id (its answers are kept there) and
    outputKey, the names scripts assign, decision table outputs, the engine's data, helpers and
    builtins; a process only ever called also sees what its callers know."""
    names = set(HELPERS) | _builtin_names() | set(ENGINE_DATA)
    names |= _bundle_names(ctx)
    j, key = ctx.jurisdiction, ctx.key
    pdef = j.processes.get(key) if j is not None and key else None
    names |= ctx.form_fields(pdef.start_form if pdef and pdef.start_form else DEFAULT_START_FORM)
    if pdef is not None and pdef.parent:
        for other in j.processes.values():
            if not other.parent:
                names |= ctx.form_fields(other.start_form or DEFAULT_START_FORM)
    seen = (seen or set()) | {key}
    if key and (pdef is None or not pdef.start_form):
        if ctx.library is None:
            ctx.library = Library.of(folder_of(ctx.runtime, key), {d.name: d.raw for d in ctx.docs.values()})
        for caller in ctx.library.callers(key):
            if caller not in seen:
                files, _problems = ctx.library.bundle(caller)
                docs = {n: ctx.library.docs[n] for n in files}
                names |= known_names(Context(ctx.runtime, docs, caller, j, ctx.library), seen)
    return names


def _bundle_names(ctx: Context) -> set[str]:
    names = set()
    for doc in ctx.docs.values():
        if doc.kind == "dmn":
            names |= dmn_outputs(doc)
            continue
        for task in doc.root.iter(f"{{{BPMN_NS}}}userTask"):
            props = property_map(task)
            names |= {task.get("id"), props.get("outputKey")} | ctx.form_fields(props.get("form"))
        for piece in bpmn_code(doc):
            if piece.mode == "exec":
                found = names_in(piece.source, "exec")
                names |= found.assigned if found else set()
        for el in doc.root.iter(f"{{{BPMN_NS}}}dataObject", f"{{{BPMN_NS}}}dataInput", f"{{{BPMN_NS}}}dataOutput",
                                f"{{{BPMN_NS}}}inputDataItem", f"{{{BPMN_NS}}}outputDataItem"):
            names |= {el.get("id"), el.get("name")}
        for el in doc.root.iter(f"{{{BPMN_NS}}}loopDataInputRef", f"{{{BPMN_NS}}}loopDataOutputRef"):
            names.add((el.text or "").strip())
    names.discard(None)
    return names


def _unknown_name_message(what: str, name: str, known: set[str]) -> str:
    if name in ("true", "false", "null", "none"):
        fixed = {"true": "True", "false": "False", "null": "None", "none": "None"}[name]
        return f"{what}使用了未定义的名称 {name}：Python 中应写作 {fixed}"
    if what == "定时器" and _ISO_LIKE.match(name):
        return f"定时器表达式是 Python：时长须加引号，写作 \"{name}\""
    hint = difflib.get_close_matches(name, sorted(n for n in known if isinstance(n, str)), n=1, cutoff=0.75)
    return (f"{what}使用了未定义的名称 {name}：它不是表单字段、脚本赋值的变量、任务结果（任务 id）、决策表输出，"
            f"也不是辅助函数" + (f"（是否应为 {hint[0]}？）" if hint else ""))


def check_names(ctx: Context, pieces: list[Code]) -> None:
    """Names the expressions read that nothing sets. Not judged without the jurisdiction (its start
    form, hence the facts, are unknown) nor while something the bundle calls is missing (what the
    missing table or process would set is unknown)."""
    if ctx.jurisdiction is None or ctx.key is None or not _resolved(ctx.docs, ctx.key):
        return
    known = known_names(ctx)
    for piece in pieces:
        if not piece.names:
            continue
        found = names_in(piece.source, piece.mode)
        if found is None:
            continue    # a syntax error: check 5 names it
        for name in dict.fromkeys(found.free):
            if name not in known and not name.startswith("__"):      # dunder names: check 5
                ctx.problems.append(Problem(piece.file, piece.element, _unknown_name_message(piece.what, name, known),
                                            piece.line, stage=4))


def rules(ctx: Context, pieces: list[Code]) -> None:
    """Check 4 on a bundle."""
    check_process_key(ctx)
    for doc in ctx.bpmn:
        if ctx.key is not None and not executable_processes(doc) and doc.by_id().get(ctx.key) is None:
            ctx.add(doc, doc.root, "没有可执行的流程（bpmn:process 应有 isExecutable=\"true\"）")
        check_lanes(ctx, doc)
        check_properties(ctx, doc)
        check_consolidation(ctx, doc)
        check_parent_effects(ctx, doc)
        check_own_holds(ctx, doc)
        ctx.problems += gateway_problems(doc)
        check_timers(ctx, doc)
        check_languages(ctx, doc)
    check_references(ctx)
    check_names(ctx, pieces)


# --- 5. the sandbox ------------------------------------------------------------------------------

def sandbox_problems(pieces: list[Code]) -> list[Problem]:
    problems = []
    for piece in pieces:
        try:
            sandbox.check_code(piece.source, piece.mode)
        except sandbox.SandboxViolation as exc:
            message = str(exc)
            if piece.source.lstrip().startswith(("${", "#{")):
                message = (f"{message}：这是 Camunda/JUEL 的 ${{…}} 写法，"
                           "govflow 的表达式是 Python（如 approved == True）")
            if piece.what not in ("脚本", "条件") and not message.startswith(piece.what):
                message = f"{piece.what}：{message}"
            problems.append(Problem(piece.file, piece.element, message, piece.line, stage=5))
    return problems


# --- the checks together -------------------------------------------------------------------------

def _main_keys(docs: dict[str, Doc]) -> list[str]:
    """The executable processes of a bundle that no other process of it calls."""
    executable = [k for d in docs.values() for k in executable_processes(d)]
    called = {c.get("calledElement") for d in docs.values() if d.kind == "bpmn" for c in _called(d)[0]}
    return [k for k in executable if k not in called] or executable[:1]


def check_bundle(runtime, files: dict[str, bytes], process_key: str | None = None, *,
                 library: Library | None = None, use_cache: bool = False) -> Result:
    """Every problem of a bundle, in the order of the checks. `process_key` is the process being
    deployed (default: each executable process of the bundle that no other one calls); `use_cache`
    shares the parsed version with the runtime's cache (deploy), which validation alone should not
    fill with every draft a modeler saves."""
    problems: list[Problem] = []
    docs: dict[str, Doc] = {}
    for name, raw in files.items():
        doc, found = read(name, raw)
        problems += found
        if doc is not None:
            docs[name] = doc
    for doc in docs.values():
        problems += schema_problems(doc)
    keys = [process_key] if process_key else _main_keys(docs)
    version = None
    pieces = [p for d in docs.values() if d.kind == "bpmn" for p in bpmn_code(d)]
    dmn_pieces, cell_problems = [], []
    for doc in (d for d in docs.values() if d.kind == "dmn"):
        found_pieces, found = dmn_code(doc)
        dmn_pieces += found_pieces
        cell_problems += found
    for key in keys:
        parsed, found = _parse(runtime, files, docs, key, use_cache)
        version = version or parsed
        problems += found
    if not keys:
        problems += [p for d in docs.values() if d.kind == "dmn" and d.schema_ok for p in parse_dmn(d)]
    for key in keys or [None]:
        ctx = Context(runtime, docs, key, library=library, complete=len(docs) == len(files))
        rules(ctx, pieces + [p for p in dmn_pieces if p.what == "决策表输入表达式"])
        problems += ctx.problems
    if not keys:
        for doc in (d for d in docs.values() if d.kind == "bpmn"):
            problems.append(Problem(doc.name, "-", "没有可执行的流程（bpmn:process 应有 isExecutable=\"true\"）",
                                    doc.root.sourceline, stage=4))
    problems += cell_problems
    problems += sandbox_problems(pieces + dmn_pieces)
    return Result(ordered(problems), version if not problems else None)


def _parse(runtime, files, docs, key, use_cache) -> tuple[wfx.LoadedVersion | None, list[Problem]]:
    """Check 3 for one process of the bundle, when checks 1 and 2 let every file through and the
    bundle has everything SpiffWorkflow needs."""
    if len(docs) < len(files) or not all(d.schema_ok for d in docs.values()):
        return None, []
    problems = [p for d in docs.values() if d.kind == "dmn" for p in parse_dmn(d)]
    problems += [p for d in docs.values() if d.kind == "bpmn" for p in unsupported(d, _reachable(docs, key))]
    gateways = [p for d in docs.values() if d.kind == "bpmn" for p in gateway_problems(d)]   # check 4 names them
    if problems or gateways or not _resolved(docs, key):
        return None, problems
    raw = {name: docs[name].raw for name in files}

    def loader():
        return wfx.load_version(key, raw)

    if use_cache:
        return load(docs, key, lambda: runtime.versions.get(f"{key}:{checksum(raw)}", loader))
    return load(docs, key, loader)


def _reachable(docs: dict[str, Doc], key: str) -> set[str]:
    keys, todo = set(), [key]
    by_process = {p.get("id"): d for d in docs.values() for p in d.processes()}
    while todo:
        current = todo.pop()
        if current in keys or current not in by_process:
            continue
        keys.add(current)
        todo += [c.get("calledElement") for c in _called(by_process[current])[0]]
    return keys


def _resolved(docs: dict[str, Doc], key: str) -> bool:
    """The process exists, is executable, and what it calls is in the bundle (check 4 names what is not)."""
    processes = {p.get("id"): p for d in docs.values() for p in d.processes()}
    decisions = {dec for d in docs.values() for dec in decision_ids(d)}
    if key not in processes or processes[key].get("isExecutable") != "true":
        return False
    for doc in (d for d in docs.values() if d.kind == "bpmn"):
        calls, rules_ = _called(doc)
        if any(c.get("calledElement") not in processes for c in calls) or any(d not in decisions for _t, d in rules_):
            return False
    return True


def ordered(problems: list[Problem]) -> list[Problem]:
    """By check, in the order found; each problem once."""
    seen, result = set(), []
    for problem in sorted(problems, key=lambda p: p.stage):
        if problem.key() not in seen:
            seen.add(problem.key())
            result.append(problem)
    return result


def check_files(runtime, files: dict[str, bytes]) -> list[Problem]:
    """`govflow validate` and the modeler's save: every given BPMN with what it calls (from the
    jurisdiction's folder, the given files winning), every given DMN not called by one of them on
    its own."""
    problems: list[Problem] = []
    covered: set[str] = set()
    for name, raw in files.items():
        doc, _found = read(name, raw)
        keys = executable_processes(doc) if doc is not None and doc.kind == "bpmn" else []
        if not keys:
            continue
        library = Library.of(folder_of(runtime, keys[0]), files)
        bundle, _missing = library.bundle(keys[0])      # check 4 names what is missing
        covered |= set(bundle)
        problems += check_bundle(runtime, bundle, keys[0], library=library).problems
    for name, raw in files.items():
        if name not in covered:
            problems += check_bundle(runtime, {name: raw}).problems
    return ordered(problems)
