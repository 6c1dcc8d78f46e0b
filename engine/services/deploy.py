"""Validate and deploy BPMN/DMN bundles. A deployed version never changes: running instances stay
on the version they started with, new instances take the newest."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import workflow as wfx
from engine.clocks import parse_due_in
from engine.errors import DiagramInvalid, GovflowError
from engine.models import ProcessVersion
from engine.runtime_env import Runtime
from engine.sandbox import SandboxViolation, check_code

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NS_RE = re.compile(r'<(?:\w+:)?decision\s[^>]*id="([^"]+)"')


def _root(content: bytes):
    return etree.fromstring(content)


def main_process_key(content: bytes) -> str | None:
    root = _root(content)
    for proc in root.iter(f"{{{wfx.BPMN_NS}}}process"):
        if proc.get("isExecutable") == "true":
            return proc.get("id")
    return None


def _referenced(content: bytes) -> tuple[set[str], set[str]]:
    """(called process ids, called decision ids) of a BPMN file."""
    root = _root(content)
    called = {el.get("calledElement") for el in root.iter(f"{{{wfx.BPMN_NS}}}callActivity")}
    decisions = {el.text.strip() for el in root.iter(f"{{{SPIFF_NS}}}calledDecisionId") if el.text}
    return {c for c in called if c}, decisions


def _library(folder: Path | None, extra: dict[str, bytes]
             ) -> tuple[dict[str, tuple[str, bytes]], dict[str, tuple[str, bytes]]]:
    """Index process ids and decision ids to files: the given files win over the jurisdiction's
    folder bpmn_diagrams/<jurisdiction>/."""
    processes, decisions = {}, {}
    files = {}
    if folder is not None and folder.is_dir():
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".bpmn", ".dmn")}
    files.update(extra)
    for name, content in files.items():
        if name.endswith(".dmn"):
            for dec_id in DMN_NS_RE.findall(content.decode("utf-8", "replace")):
                decisions[dec_id] = (name, content)
        elif name.endswith(".bpmn"):
            try:
                root = _root(content)
            except etree.XMLSyntaxError:
                continue
            for proc in root.iter(f"{{{wfx.BPMN_NS}}}process"):
                processes[proc.get("id")] = (name, content)
    return processes, decisions


def _folder_of(runtime: Runtime, process_key: str) -> Path | None:
    try:
        return runtime.registry.jurisdiction_of(process_key).diagrams_dir
    except GovflowError:
        return None


def bundle_for(runtime: Runtime, process_key: str, extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The files one version needs: its BPMN, every process it calls, every decision it uses."""
    processes, decisions = _library(_folder_of(runtime, process_key), extra or {})
    if process_key not in processes:
        raise DiagramInvalid([(process_key, process_key, "找不到该流程的 BPMN 文件")])
    bundle: dict[str, bytes] = {}
    todo = [process_key]
    seen = set()
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        if key not in processes:
            raise DiagramInvalid([("?", key, "调用活动引用的流程不存在")])
        name, content = processes[key]
        bundle[name] = content
        called, used = _referenced(content)
        todo.extend(called)
        for dec in used:
            if dec not in decisions:
                raise DiagramInvalid([(name, dec, "业务规则任务引用的决策表不存在")])
            bundle[decisions[dec][0]] = decisions[dec][1]
    return bundle


def _check_elements(runtime: Runtime, file: str, version: wfx.LoadedVersion,
                    jurisdiction) -> list[tuple[str, str, str]]:
    problems = []
    for el in version.elements.values():
        if el.kind == "UserTask":
            problems += _check_user_task(runtime, file, el, jurisdiction)
        if el.kind == "EndEvent" and not el.properties.get("outcome"):
            problems.append((file, el.element_id, "结束事件缺少 outcome 属性"))
    return problems


def _check_user_task(runtime: Runtime, file, el, jurisdiction) -> list[tuple[str, str, str]]:
    reasons = (_lane_problems(el, jurisdiction) + _form_problems(runtime, el) + _basis_problems(el, jurisdiction)
               + _clock_problems(el))
    return [(file, el.element_id, reason) for reason in reasons]


def _lane_problems(el, jurisdiction) -> list[str]:
    if el.role is None:
        return ["用户任务不在按角色命名的泳道中（泳道 id 应为 lane_<角色> 或 <子流程id>_lane_<角色>）"]
    if el.role not in jurisdiction.roles:
        known = "、".join(jurisdiction.roles)
        return [f"泳道角色 {el.role} 未在 processes/{jurisdiction.key}/jurisdiction.json 的 roles 中声明（已声明：{known}）"]
    return []


def _form_problems(runtime: Runtime, el) -> list[str]:
    form = el.properties.get("form")
    if not form:
        return ["用户任务缺少 form 属性"]
    if not runtime.forms.exists(form):
        return [f"表单文件不存在：forms/{form}.schema.json"]
    return []


def _basis_problems(el, jurisdiction) -> list[str]:
    basis = el.properties.get("legalBasis")
    if not basis:
        return ["用户任务缺少 legalBasis（法律依据）属性"]
    return [f"法律依据 {item['article']} 未在辖区条文表中" for item in jurisdiction.legal_basis(basis)
            if not item["text"]]


def _clock_problems(el) -> list[str]:
    problems = []
    if el.properties.get("dueIn"):
        try:
            parse_due_in(el.properties["dueIn"])
        except ValueError as exc:
            problems.append(str(exc))
    for key in ("dueAt", "subject"):
        if el.properties.get(key):
            try:
                check_code(el.properties[key], "eval")
            except SandboxViolation as exc:
                problems.append(f"{key}：{exc}")
    if el.properties.get("clock"):
        due = (el.properties.get("dueIn") or "").strip()
        if el.properties.get("dueAt") or not due.endswith(("wd", "d")):
            problems.append("暂停计时（clock）需与 dueIn（工作日 wd 或自然日 d）一起使用，且不能同时设置 dueAt")
    return problems


def _check_code(files: dict[str, bytes]) -> list[tuple[str, str, str]]:
    problems = []
    tags = {"conditionExpression": "eval", "script": "exec", "timeDate": "eval",
            "timeDuration": "eval", "timeCycle": "eval"}
    for name, content in files.items():
        if not name.endswith(".bpmn"):
            continue
        for el in _root(content).iter():
            tag = etree.QName(el).localname if isinstance(el.tag, str) else ""
            if tag in tags and (el.text or "").strip():
                try:
                    check_code(el.text.strip(), tags[tag])
                except SandboxViolation as exc:
                    owner = el.getparent()
                    while owner is not None and owner.get("id") is None:
                        owner = owner.getparent()
                    problems.append((name, owner.get("id") if owner is not None else "?", str(exc)))
    return problems


def validate_bundle(runtime: Runtime, process_key: str, files: dict[str, bytes]) -> wfx.LoadedVersion:
    """Parse (XSD-validated) and check govflow's conventions; raise DiagramInvalid listing problems."""
    main_file = next((n for n, c in files.items() if n.endswith(".bpmn") and
                      main_process_key(c) == process_key), process_key)
    try:
        jurisdiction = runtime.registry.jurisdiction_of(process_key)
    except GovflowError:
        known = "、".join(runtime.registry.jurisdictions())
        raise DiagramInvalid([(main_file, process_key, f"流程标识不属于任何已知辖区（流程标识应以辖区键开头：{known}）")]) from None
    try:
        # Parsing is the costly part and depends only on the files: share it with the runtime's cache.
        version = runtime.versions.get(f"{process_key}:{checksum(files)}",
                                      lambda: wfx.load_version(process_key, files))
    except ValidationException as exc:
        raise DiagramInvalid([(exc.file_name or main_file, exc.id or "?", str(exc).splitlines()[0])]) from exc
    except etree.XMLSyntaxError as exc:
        raise DiagramInvalid([(main_file, "?", f"XML 语法错误：{exc}")]) from exc
    except Exception as exc:  # noqa: BLE001 - the parser raises many kinds; all are the diagram's fault
        raise DiagramInvalid([(main_file, "?", f"{type(exc).__name__}: {exc}")]) from exc
    problems = _check_elements(runtime, main_file, version, jurisdiction) + _check_code(files)
    if problems:
        raise DiagramInvalid(problems)
    return version


def validate_files(runtime: Runtime, paths: list[Path]) -> list[tuple[str, str, str]]:
    """`govflow validate`: every problem of every executable BPMN among the files."""
    extra = {p.name: p.read_bytes() for p in paths}
    problems = []
    for p in paths:
        if not p.name.endswith(".bpmn"):
            continue
        try:
            key = main_process_key(extra[p.name])
        except etree.XMLSyntaxError as exc:
            problems.append((p.name, "?", f"XML 语法错误：{exc}"))
            continue
        if key is None:
            problems.append((p.name, "?", "没有可执行的流程（isExecutable=\"true\"）"))
            continue
        try:
            validate_bundle(runtime, key, bundle_for(runtime, key, extra))
        except DiagramInvalid as exc:
            problems += exc.problems
    return problems


def checksum(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def deploy(runtime: Runtime, session: Session, process_key: str, extra: dict[str, bytes] | None = None,
           deployed_by: str | None = None) -> tuple[ProcessVersion, bool]:
    """Deploy the process as a new version unless the newest one has the same files.
    Returns (version row, created)."""
    files = bundle_for(runtime, process_key, extra)
    validate_bundle(runtime, process_key, files)
    digest = checksum(files)
    latest = latest_version(session, process_key)
    if latest is not None and latest.checksum == digest:
        return latest, False
    jurisdiction = runtime.registry.jurisdiction_of(process_key)
    pdef = jurisdiction.processes.get(process_key)
    number = (session.scalar(select(func.max(ProcessVersion.version))
                             .where(ProcessVersion.process_key == process_key)) or 0) + 1
    row = ProcessVersion(process_key=process_key, jurisdiction=jurisdiction.key,
                         name=pdef.name if pdef else process_key, version=number,
                         files={n: c.decode("utf-8") for n, c in files.items()},
                         checksum=digest, deployed_by=deployed_by)
    session.add(row)
    session.flush()
    return row, True


def latest_version(session: Session, process_key: str) -> ProcessVersion | None:
    return session.scalar(select(ProcessVersion).where(ProcessVersion.process_key == process_key)
                          .order_by(ProcessVersion.version.desc()).limit(1))


def deployed_processes(session: Session) -> list[ProcessVersion]:
    newest = (select(ProcessVersion.process_key, func.max(ProcessVersion.version).label("v"))
              .group_by(ProcessVersion.process_key).subquery())
    return list(session.scalars(select(ProcessVersion).join(
        newest, (ProcessVersion.process_key == newest.c.process_key) & (ProcessVersion.version == newest.c.v))
        .order_by(ProcessVersion.process_key)))


def files_json(row: ProcessVersion) -> str:
    return json.dumps(row.files, ensure_ascii=False)
