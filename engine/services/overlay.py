"""The portfolio on the diagram: for a deployed version of a process, how many projects wait at each
user task and timer (and how many of them are overdue), and at each collapsed sub-process (a phase)
the projects waiting anywhere inside it; and the projects waiting at one element (the click-through).
Managers of the process's jurisdiction, and admins.

The counts are part of the jurisdiction's snapshot (engine/services/portfolio.py: computed by the
scheduler every few minutes, as of `computed_at`, never older than SUMMARY_MAX_AGE when answered): one
grouped statement per version over the projection tables (human_tasks ready rows, timers pending
rows), never a workflow loaded. The list behind a count is live: the element's ready rows in due-date
order from ix_human_tasks_ready_element, its total counted up to LIVE_COUNT_CAP."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, literal_column, select, union_all

from engine import clock, policy
from engine import portfolio_queries as pq
from engine.errors import NotFound, PermissionDenied
from engine.models import HumanTask, ProcessInstance, ProcessVersion, Timer, Unit, User
from engine.services import diagram_counts as dc
from engine.services import portfolio
from engine.services.context import Context

PER_PAGE = 50
LIVE_COUNT_CAP = 1_000      # the list behind a count counts its projects up to this many (as the search)


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


def statistics(ctx: Context, user_id: int, process_key: str, version: int | None = None,
               now: datetime | None = None) -> dict:
    """{process, name, version, versions, computed_at, elements: [{element, title, kind, phase, active,
    overdue}]}: the counts of the jurisdiction's snapshot as of `computed_at`."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        row = _version(ctx, session, user_id, process_key, version)
        all_shapes = dc.version_shapes(ctx, session, row)
        summary = portfolio.summary_of(ctx, session, row.jurisdiction, now)
        stored = summary.data.get("overlay", {}).get(str(row.id))
        if stored is None:       # deployed after the snapshot: counted now
            stored = dc.count_version(ctx, session, row, now)
            computed_at = now
        else:
            computed_at = summary.computed_at
        elements = [{"element": s.element, "title": s.title, "kind": s.kind, "phase": s.phase,
                     "active": stored.get(s.element, (0, 0))[0], "overdue": stored.get(s.element, (0, 0))[1]}
                    for s in all_shapes]
        return {"process": process_key, "name": row.name, "version": row.version,
                "versions": dc.versions_of(session, process_key), "jurisdiction": row.jurisdiction,
                "computed_at": computed_at, "elements": elements}


def waiting_projects(ctx: Context, user_id: int, process_key: str, version: int | None, element: str | None,
                     page: int = 1, now: datetime | None = None) -> dict:
    """The projects of the version waiting at `element` (a task, a timer, or anywhere inside a phase; every
    element when None), the most overdue first (by the due instant of what they wait at), live:
    {process, version, element, title, total (up to LIVE_COUNT_CAP), capped, projects: [...]}."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        row = _version(ctx, session, user_id, process_key, version)
        all_shapes = {s.element: s for s in dc.version_shapes(ctx, session, row)}
        if element is not None and element not in all_shapes:
            raise NotFound(f"流程图中没有任务或定时器：{element}")
        members = None if element is None else sorted(
            e for e, s in all_shapes.items()
            if s.kind != "phase" and (e == element or element in dc.ancestors(all_shapes, e)))
        only_version = dc.versions_of(session, process_key) == [row.version]
        pq.custom_plans(session)
        if members is not None and len(members) == 1 and all_shapes[members[0]].kind == "user_task":
            total, more, listed = _at_task(session, row, members[0], now, only_version, page)
        else:
            total, more, listed = _at_many(session, row, members, now, only_version, page)
        ids = [r[0] for r in listed]
        where = _where_each(session, row.id, ids, members, all_shapes, now)
        projects = [{"id": i, "project_name": name, "applicant_unit": unit, "created_at": created,
                     "earliest_due_at": due, "overdue": bool(late), "waiting_at": where.get(i, [])}
                    for i, name, created, due, unit, late in listed]
        shape = all_shapes.get(element) if element else None
        return {"process": process_key, "name": row.name, "version": row.version, "element": element,
                "title": shape.title if shape else None, "kind": shape.kind if shape else None,
                "total": total, "capped": more, "page": page, "per_page": PER_PAGE, "projects": projects}


def _listed_columns(late):
    return (ProcessInstance.id, ProcessInstance.project_name, ProcessInstance.created_at,
            ProcessInstance.earliest_due_at, Unit.name, late)


def _at_task(session, row: ProcessVersion, element: str, now: datetime, only_version: bool, page: int):
    """One user task: its ready rows are the projects (a project waits once at a task — no diagram has
    a multi-instance task), read in due-date order from ix_human_tasks_ready_element, a page at a time."""
    cond = [HumanTask.state == literal_column("'ready'"), HumanTask.process_key == row.process_key,
            HumanTask.element_id == element]
    rows = select(literal_column("1")).select_from(HumanTask)
    if not only_version:
        rows = rows.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        cond.append(ProcessInstance.process_version_id == row.id)
    total, more = pq.capped_count(session, rows.where(*cond), LIVE_COUNT_CAP)
    late = case((HumanTask.due_at < now, 1), else_=0)
    listed = session.execute(
        select(*_listed_columns(late))
        .select_from(HumanTask).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(Unit, Unit.id == ProcessInstance.applicant_unit_id)
        .where(*cond, *([] if only_version else [ProcessInstance.process_version_id == row.id]))
        .order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.instance_id)
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return total, more, listed


def _at_many(session, row: ProcessVersion, members, now: datetime, only_version: bool, page: int):
    """A phase, a timer or every element: the waiting rows grouped by project, the earliest due first."""
    waiting = dc.waiting_rows(row, now, only_version)
    inner = select(waiting.c.instance_id, func.max(waiting.c.late).label("late"),
                   func.min(waiting.c.due).label("due"))
    if members is not None:
        inner = inner.where(waiting.c.element_id.in_(members))
    inner = inner.group_by(waiting.c.instance_id).subquery("at")
    total, more = pq.capped_count(session, select(inner.c.instance_id), LIVE_COUNT_CAP)
    listed = session.execute(
        select(*_listed_columns(inner.c.late))
        .join(inner, inner.c.instance_id == ProcessInstance.id)
        .join(Unit, Unit.id == ProcessInstance.applicant_unit_id)
        .order_by(inner.c.late.desc(), inner.c.due.asc().nulls_last(), ProcessInstance.id)
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return total, more, listed


def _where_each(session, version_id: int, ids: list[int], members, all_shapes: dict, now: datetime) -> dict:
    """{instance id: [{element, title, since, due_at, overdue}]} for the listed projects (one statement)."""
    if not ids:
        return {}
    tasks = (select(HumanTask.instance_id, HumanTask.element_id, HumanTask.created_at, HumanTask.due_at)
             .where(HumanTask.instance_id.in_(ids), HumanTask.state == "ready"))
    timers = (select(Timer.instance_id, Timer.element_id, Timer.run_at, Timer.run_at)
              .where(Timer.instance_id.in_(ids), Timer.state.in_(dc.WAITING_TIMERS)))
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
