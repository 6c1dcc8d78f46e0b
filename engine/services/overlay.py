"""The portfolio on the diagram: for a deployed version of a process, how many projects wait at each
user task and timer (and how many of them are overdue), and at each collapsed sub-process (a phase)
the projects waiting anywhere inside it — one grouped statement over the projection tables
(human_tasks ready rows, timers pending rows), never a workflow loaded. And the projects waiting at
one element (the overlay's click-through). Managers of the process's jurisdiction, and admins."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy import case, func, literal, literal_column, select, union_all

from engine import clock, policy
from engine import workflow as wfx
from engine.errors import NotFound, PermissionDenied
from engine.models import HumanTask, ProcessInstance, ProcessVersion, Timer, Unit, User
from engine.services.context import Context

BPMN = f"{{{wfx.BPMN_NS}}}"
WAITING_TIMERS = ("pending", "failed")      # a failed timer is still owed (定时器故障): it waits, overdue
PER_PAGE = 50


@dataclass(frozen=True)
class Shape:
    """A counted element of a version: a user task, a timer event or a sub-process holding them."""

    element: str
    title: str
    kind: str                 # user_task, timer, phase
    phase: str | None         # the sub-process it sits in (None: the top level)


def _version(ctx: Context, session, user_id: int, process_key: str, version: int | None) -> ProcessVersion:
    """The deployed version (newest unless `version`); 404 for an unknown process or version, 403 for
    someone who does not manage the process's jurisdiction."""
    try:
        jurisdiction = ctx.registry.jurisdiction_of(process_key)
    except NotFound:
        raise NotFound(f"流程不存在：{process_key}") from None
    user = session.get(User, user_id)
    if user is None or not policy.can_manage(user, jurisdiction.key):
        raise PermissionDenied("只有本辖区的项目管理员可以查看流程的在办统计")
    query = select(ProcessVersion).where(ProcessVersion.process_key == process_key)
    query = query.where(ProcessVersion.version == version) if version else query.order_by(ProcessVersion.version.desc())
    row = session.scalars(query.limit(1)).first()
    if row is None:
        raise NotFound(f"流程“{process_key}”没有{'第 %d 版' % version if version else '已部署的版本'}")
    return row


def _parents(files: dict) -> dict[str, str | None]:
    """element id → the id of the sub-process directly holding it (None on a process's top level)."""
    parents: dict[str, str | None] = {}
    for name, content in files.items():
        if not name.endswith(".bpmn"):
            continue
        root = etree.fromstring(content.encode("utf-8") if isinstance(content, str) else content)
        for node in root.iter(f"{BPMN}subProcess", f"{BPMN}process"):
            owner = node.get("id") if node.tag == f"{BPMN}subProcess" else None
            for child in node:
                if isinstance(child.tag, str) and child.get("id"):
                    parents.setdefault(child.get("id"), owner)
    return parents


def shapes(version: wfx.LoadedVersion, files: dict) -> list[Shape]:
    """The user tasks and timers of a version and the sub-processes that hold any of them."""
    parents = _parents(files)
    found: dict[str, Shape] = {}
    for process_spec in [version.spec, *version.subprocess_specs.values()]:
        for name, spec in process_spec.task_specs.items():
            if not getattr(spec, "bpmn_id", None) or name in found:
                continue
            timer = isinstance(getattr(spec, "event_definition", None), TimerEventDefinition)
            if type(spec).__name__ == "UserTask" or timer:
                found[name] = Shape(name, spec.bpmn_name or name, "timer" if timer else "user_task", parents.get(name))
    for shape in list(found.values()):
        phase = shape.phase
        while phase and phase not in found:
            info = version.element(phase)
            found[phase] = Shape(phase, (info.title if info else phase), "phase", parents.get(phase))
            phase = parents.get(phase)
    return list(found.values())


def version_shapes(ctx: Context, session, row: ProcessVersion) -> list[Shape]:
    """The counted shapes of a deployed version, worked out once per runtime (a version never changes):
    the files are read and parsed only the first time."""
    def loader():
        files = session.scalar(select(ProcessVersion.files).where(ProcessVersion.id == row.id))
        return shapes(ctx.loaded_version(session, row.id), files)
    return ctx.versions.get(f"{row.process_key}:{row.checksum}:overlay-shapes", loader)


def _ancestors(shape_map: dict[str, Shape], element: str) -> list[str]:
    chain, phase = [], shape_map[element].phase
    while phase:
        chain.append(phase)
        phase = shape_map[phase].phase if phase in shape_map else None
    return chain


def _waiting(row: ProcessVersion, now: datetime, only_version: bool):
    """Rows (instance_id, element_id, late) of what projects of the version wait at. The ready task rows
    are read from ix_human_tasks_ready_element (the state a literal, so SQLite uses the partial index);
    when the process has no other deployed version they need no join to their instances."""
    tasks = (select(HumanTask.instance_id.label("instance_id"), HumanTask.element_id.label("element_id"),
                    case((HumanTask.due_at < now, 1), else_=0).label("late"))
             .where(HumanTask.state == literal_column("'ready'"), HumanTask.process_key == row.process_key))
    if not only_version:
        tasks = (tasks.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                 .where(ProcessInstance.process_version_id == row.id))
    timers = (select(Timer.instance_id, Timer.element_id,
                     case((Timer.state == "failed", 1), (Timer.run_at < now, 1), else_=0))
              .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
              .where(Timer.state.in_(WAITING_TIMERS), ProcessInstance.process_version_id == row.id,
                     ProcessInstance.status == "running"))
    return union_all(tasks, timers).subquery("waiting")


def _counts(session, row: ProcessVersion, all_shapes: list[Shape], now: datetime,
            only_version: bool) -> dict[str, tuple[int, int]]:
    """{element or phase: (active projects, overdue projects)} in one statement: per element, and per
    phase through a CASE mapping each element to its ancestor at every nesting depth."""
    shape_map = {s.element: s for s in all_shapes}
    waiting = _waiting(row, now, only_version)
    per_element = (select(waiting.c.element_id.label("key"), func.count(func.distinct(waiting.c.instance_id)),
                          func.count(func.distinct(case((waiting.c.late == 1, waiting.c.instance_id)))))
                   .group_by(waiting.c.element_id))
    selects = [per_element]
    chains = {s.element: _ancestors(shape_map, s.element) for s in all_shapes if s.kind != "phase"}
    for depth in range(max((len(c) for c in chains.values()), default=0)):
        mapping = {element: chain[-1 - depth] for element, chain in chains.items() if len(chain) > depth}
        phase = case(*((waiting.c.element_id == element, literal(owner)) for element, owner in mapping.items()),
                     else_=None).label("key")
        selects.append(select(phase, func.count(func.distinct(waiting.c.instance_id)),
                              func.count(func.distinct(case((waiting.c.late == 1, waiting.c.instance_id)))))
                       .where(waiting.c.element_id.in_(mapping)).group_by(phase))
    rows = session.execute(union_all(*selects)).all()
    return {key: (active, overdue) for key, active, overdue in rows if key is not None}


def _versions(session, process_key: str) -> list[int]:
    return list(session.scalars(select(ProcessVersion.version).where(ProcessVersion.process_key == process_key)
                                .order_by(ProcessVersion.version.desc())))


def statistics(ctx: Context, user_id: int, process_key: str, version: int | None = None,
               now: datetime | None = None) -> dict:
    """{process, name, version, versions, elements: [{element, title, kind, phase, active, overdue}]}."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        row = _version(ctx, session, user_id, process_key, version)
        all_shapes = version_shapes(ctx, session, row)
        versions = _versions(session, process_key)
        counts = _counts(session, row, all_shapes, now, versions == [row.version])
        elements = [{"element": s.element, "title": s.title, "kind": s.kind, "phase": s.phase,
                     "active": counts.get(s.element, (0, 0))[0], "overdue": counts.get(s.element, (0, 0))[1]}
                    for s in all_shapes]
        return {"process": process_key, "name": row.name, "version": row.version, "versions": versions,
                "jurisdiction": row.jurisdiction, "elements": elements}


def waiting_projects(ctx: Context, user_id: int, process_key: str, version: int | None, element: str | None,
                     page: int = 1, now: datetime | None = None) -> dict:
    """The projects of the version waiting at `element` (a task, a timer, or anywhere inside a phase; every
    element when None), overdue first: {process, version, element, title, total, projects: [...]}."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        row = _version(ctx, session, user_id, process_key, version)
        all_shapes = {s.element: s for s in version_shapes(ctx, session, row)}
        if element is not None and element not in all_shapes:
            raise NotFound(f"流程图中没有任务或定时器：{element}")
        members = None if element is None else sorted(
            e for e, s in all_shapes.items()
            if s.kind != "phase" and (e == element or element in _ancestors(all_shapes, e)))
        waiting = _waiting(row, now, _versions(session, process_key) == [row.version])
        inner = select(waiting.c.instance_id, func.max(waiting.c.late).label("late"))
        if members is not None:
            inner = inner.where(waiting.c.element_id.in_(members))
        inner = inner.group_by(waiting.c.instance_id).subquery("at")
        total = session.scalar(select(func.count()).select_from(inner))
        listed = session.execute(
            select(ProcessInstance.id, ProcessInstance.project_name, ProcessInstance.created_at,
                   ProcessInstance.earliest_due_at, Unit.name, inner.c.late)
            .join(inner, inner.c.instance_id == ProcessInstance.id)
            .join(Unit, Unit.id == ProcessInstance.applicant_unit_id)
            .order_by(inner.c.late.desc(), ProcessInstance.earliest_due_at.is_(None),
                      ProcessInstance.earliest_due_at, ProcessInstance.id)
            .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
        ids = [r[0] for r in listed]
        where = _where_each(session, row.id, ids, members, all_shapes, now)
        projects = [{"id": i, "project_name": name, "applicant_unit": unit, "created_at": created,
                     "earliest_due_at": due, "overdue": bool(late), "waiting_at": where.get(i, [])}
                    for i, name, created, due, unit, late in listed]
        shape = all_shapes.get(element) if element else None
        return {"process": process_key, "name": row.name, "version": row.version, "element": element,
                "title": shape.title if shape else None, "kind": shape.kind if shape else None,
                "total": total, "page": page, "per_page": PER_PAGE, "projects": projects}


def _where_each(session, version_id: int, ids: list[int], members, all_shapes: dict, now: datetime) -> dict:
    """{instance id: [{element, title, since, due_at, overdue}]} for the listed projects (one statement)."""
    if not ids:
        return {}
    tasks = (select(HumanTask.instance_id, HumanTask.element_id, HumanTask.created_at, HumanTask.due_at)
             .where(HumanTask.instance_id.in_(ids), HumanTask.state == "ready"))
    timers = (select(Timer.instance_id, Timer.element_id, Timer.run_at, Timer.run_at)
              .where(Timer.instance_id.in_(ids), Timer.state.in_(WAITING_TIMERS)))
    if members is not None:
        tasks, timers = tasks.where(HumanTask.element_id.in_(members)), timers.where(Timer.element_id.in_(members))
    result: dict[int, list[dict]] = {}
    for iid, element, since, due in session.execute(union_all(tasks, timers)).all():
        shape = all_shapes.get(element)
        due = clock_aware(due)
        result.setdefault(iid, []).append({"element": element, "title": shape.title if shape else element,
                                           "since": since, "due_at": due, "overdue": bool(due and due < now)})
    return result


def clock_aware(value: datetime | None) -> datetime | None:
    """SQLite answers naive datetimes (stored in UTC): make them aware to compare with now."""
    if value is not None and value.tzinfo is None:
        from datetime import timezone
        return value.replace(tzinfo=timezone.utc)
    return value
