"""`govflow demo`: migrate, deploy every procedure found in the registry, create one demo user per
role of every jurisdiction, and walk a few sample projects to different stages. Idempotent: users
are upserted, unchanged diagrams are not redeployed, a sample project is created only once.

Demo users are named `<jurisdiction>_<role>` (`yeji_data_bureau`), applicant units
`<jurisdiction>_applicant1`, `_applicant2` …, plus `<jurisdiction>_manager` and `_designer`, and one
`province_viewer` who sees every jurisdiction's dashboard; all share DEMO_PASSWORD. Each jurisdiction
also gets a history of projects started over the past months (web/demo_history.py). Sample projects
and their steps are demo data, apart from the legal configuration:
`processes/<jurisdiction>/demo.json`, read and checked by `load_demo`."""
from __future__ import annotations

import json

from sqlalchemy import select

from engine import clock, registry
from engine.errors import GovflowError
from engine.migrate import upgrade
from engine.models import ProcessInstance, User
from engine.services import attachments, runtime
from engine.services.context import Context
from engine.services.deploy import deploy
from engine.services.designer import attach_forms
from engine.services.timers import tick
from engine.services.users import hash_password, upsert_user
from web import demo_history

DEMO_PASSWORD = "demo2026"
PROVINCE_VIEWER = "province_viewer"


def demo_users(jurisdiction: registry.Jurisdiction) -> list[tuple[str, str, list[str], str]]:
    """(username, unit, roles, display name) for every role of the jurisdiction."""
    result = []
    for role, unit in jurisdiction.units.items():
        if isinstance(unit, list):
            for index, name in enumerate(unit, start=1):
                result.append((f"{jurisdiction.key}_{role}{index}", name, [role], f"{name}经办人"))
        else:
            result.append((f"{jurisdiction.key}_{role}", unit, [role], f"{unit}经办人"))
    manager_unit = jurisdiction.units.get("data_bureau") or jurisdiction.name
    manager_unit = manager_unit if isinstance(manager_unit, str) else manager_unit[0]
    result.append((f"{jurisdiction.key}_manager", manager_unit, ["manager"], f"{jurisdiction.name}项目管理员"))
    result.append((f"{jurisdiction.key}_designer", manager_unit, ["designer"], f"{jurisdiction.name}流程设计员"))
    return result


def _ensure_users(ctx: Context, jurisdiction) -> dict[str, int]:
    ids = {}
    shared_hash = hash_password(DEMO_PASSWORD)
    with ctx.db.transaction() as session:
        for username, unit, roles, display in demo_users(jurisdiction):
            user = upsert_user(session, username, DEMO_PASSWORD, jurisdiction, unit, roles, display,
                               password_hash=shared_hash)
            ids[username] = user.id
    return ids


def _province_viewer(ctx: Context) -> str:
    """One province-wide viewer (role province_viewer): every jurisdiction's dashboard, read only."""
    first = sorted(ctx.registry.jurisdictions().values(), key=lambda j: j.key)[0]
    with ctx.db.transaction() as session:
        upsert_user(session, PROVINCE_VIEWER, DEMO_PASSWORD, first, "省数字政府建设领导小组办公室",
                    ["province_viewer"], "省级项目查看员")
    return f"省级查看员 {PROVINCE_VIEWER}（看各辖区的项目总览与项目查询，只读）"


def _run_sample(ctx: Context, jurisdiction, sample: dict, ids: dict[str, int]) -> str:
    process, parent = sample.get("process", jurisdiction.key), None
    with ctx.db.transaction() as session:
        if sample.get("parent"):    # a side process of an earlier sample (九江 运维经费 for its system)
            parent = session.scalar(select(ProcessInstance.id).where(
                ProcessInstance.project_name == sample["parent"], ProcessInstance.jurisdiction == jurisdiction.key,
                ProcessInstance.parent_instance_id.is_(None)).order_by(ProcessInstance.id).limit(1))
            if parent is None:
                raise DemoDataError(f"{jurisdiction.key} demo.json: 所属项目“{sample['parent']}”应为前面的示例项目")
            exists = session.scalar(select(ProcessInstance.id).where(
                ProcessInstance.parent_instance_id == parent, ProcessInstance.process_key == process))
        else:
            exists = session.scalar(select(ProcessInstance.id).where(
                ProcessInstance.project_name == sample["facts"]["project_name"],
                ProcessInstance.jurisdiction == jurisdiction.key))
    if exists:
        return f"  示例项目已存在：{sample['facts']['project_name']}（#{exists}）"
    starter = ids[f"{jurisdiction.key}_{sample.get('starter', 'applicant1')}"]
    instance_id = runtime.start_instance(ctx, starter, process, sample["facts"], parent_instance_id=parent)
    for step in sample.get("steps", []):
        if "tick" in step:
            tick(ctx, clock.parse_instant(step["tick"]))
            continue
        user_id = ids[f"{jurisdiction.key}_{step['as']}"]
        _complete(ctx, user_id, instance_id, step["task"], step.get("data", {}))
    return f"  示例项目：{sample['facts']['project_name']}（#{instance_id}）— {sample.get('stage', '')}"


def _complete(ctx: Context, user_id: int, instance_id: int, element: str, data: dict) -> None:
    from engine import queries
    with ctx.db.transaction() as session:
        rows = [t for t in queries.ready_tasks_of(session, instance_id) if t.element_id == element]
    if not rows:
        raise RuntimeError(f"demo step {element} is not ready on instance {instance_id}")
    # demo.json names documents by file name (建设方案.pdf): a placeholder of that name is uploaded
    runtime.complete_task(ctx, user_id, rows[0].id, attachments.with_placeholders(ctx, user_id, rows[0].id, data))


def run_demo(ctx: Context):
    upgrade(ctx.db)
    yield "数据库已迁移"
    for jurisdiction in ctx.registry.jurisdictions().values():
        samples = load_demo(jurisdiction)
        yield f"{jurisdiction.name}（{jurisdiction.key}）"
        with ctx.db.transaction() as session:
            for key, pdef in jurisdiction.processes.items():
                if not pdef.path.is_file():
                    yield f"  跳过未建模的流程：{key}"
                    continue
                row, created = deploy(ctx.runtime, session, key, deployed_by="demo")
                if created:
                    attach_forms(ctx.runtime, row)
                yield f"  流程 {key} v{row.version}{'（新部署）' if created else ''}"
        ids = _ensure_users(ctx, jurisdiction)
        yield f"  演示用户 {len(ids)} 个，密码均为 {DEMO_PASSWORD}"
        for sample in samples:
            yield _run_sample(ctx, jurisdiction, sample, ids)
        yield from demo_history.run_history(ctx, jurisdiction, samples, ids)
    yield _province_viewer(ctx)
    with ctx.db.transaction() as session:
        total = len(list(session.scalars(select(User.id))))
    yield f"完成：共 {total} 个用户。运行 govflow serve 后用浏览器打开 http://127.0.0.1:5000/"


_PROJECT_KEYS = {"facts", "parent", "process", "stage", "starter", "steps"}
_STEP_KEYS = ({"task", "as", "data"}, {"tick"})


class DemoDataError(GovflowError):
    status, code, title = 500, "demo_data", "演示数据有误"


def load_demo(jurisdiction: registry.Jurisdiction) -> list[dict]:
    """The sample projects of `processes/<key>/demo.json` (none when the file is absent), checked:
    a misspelt key is named with its file."""
    path = jurisdiction.folder / "demo.json" if jurisdiction.folder else None
    if path is None or not path.is_file():
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DemoDataError(f"{path}: 不是有效的 UTF-8 JSON（{exc}）") from None
    problems = []
    if not isinstance(raw, dict) or set(raw) - {"projects"} or not isinstance(raw.get("projects", []), list):
        problems.append(f"{path}: 应为 {{\"projects\": [...]}}")
        raw = {"projects": []}
    for i, project in enumerate(raw.get("projects", [])):
        where = f"{path}: projects[{i}]"
        if not isinstance(project, dict) or not isinstance(project.get("facts"), dict):
            problems.append(f"{where}: 应为含 facts 的对象")
            continue
        problems += [f"{where}.{key}: 未知的键" for key in sorted(set(project) - _PROJECT_KEYS)]
        for j, step in enumerate(project.get("steps", [])):
            if not isinstance(step, dict) or not any(set(step) <= keys and set(step) >= keys - {"data"}
                                                     for keys in _STEP_KEYS):
                problems.append(f"{where}.steps[{j}]: 应为 {{task, as, data}} 或 {{tick}}")
    if problems:
        raise DemoDataError("\n".join(problems))
    return raw.get("projects", [])
