"""The counts on a deployed version's diagram (engine/services/overlay.py shows them, the portfolio's
snapshot keeps them: engine/services/portfolio.py): the user tasks and timers of a version and the
sub-processes holding them, and per element (and per phase, anywhere inside it) the projects waiting
there and how many of them are overdue — one grouped statement over the projection tables (human_tasks
ready rows, timers pending rows), never a workflow loaded."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy import case, func, literal, literal_column, select, union_all

from engine import workflow as wfx
from engine.models import HumanTask, ProcessInstance, ProcessVersion, Timer
from engine.services.context import Context

BPMN = f"{{{wfx.BPMN_NS}}}"
WAITING_TIMERS = ("pending", "failed")      # a failed timer is still owed (定时器故障): it waits, overdue

@dataclass(frozen=True)
class Shape:
    """A counted element of a version: a user task, a timer event or a sub-process holding them."""

    element: str
    title: str
    kind: str                 # user_task, timer, phase
    phase: str | None         # the sub-process it sits in (None: the top level)

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


def ancestors(shape_map: dict[str, Shape], element: str) -> list[str]:
    chain, phase = [], shape_map[element].phase
    while phase:
        chain.append(phase)
        phase = shape_map[phase].phase if phase in shape_map else None
    return chain


def waiting_rows(row: ProcessVersion, now: datetime, only_version: bool):
    """Rows (instance_id, element_id, late, due) of what projects of the version wait at. The ready task rows
    are read from ix_human_tasks_ready_element (the state a literal, so SQLite uses the partial index);
    when the process has no other deployed version they need no join to their instances."""
    tasks = (select(HumanTask.instance_id.label("instance_id"), HumanTask.element_id.label("element_id"),
                    case((HumanTask.due_at < now, 1), else_=0).label("late"), HumanTask.due_at.label("due"))
             .where(HumanTask.state == literal_column("'ready'"), HumanTask.process_key == row.process_key))
    if not only_version:
        tasks = (tasks.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                 .where(ProcessInstance.process_version_id == row.id))
    timers = (select(Timer.instance_id, Timer.element_id,
                     case((Timer.state == "failed", 1), (Timer.run_at < now, 1), else_=0), Timer.run_at)
              .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
              .where(Timer.state.in_(WAITING_TIMERS), ProcessInstance.process_version_id == row.id,
                     ProcessInstance.status == "running"))
    return union_all(tasks, timers).subquery("waiting")


def counts_of(session, row: ProcessVersion, all_shapes: list[Shape], now: datetime,
              only_version: bool) -> dict[str, tuple[int, int]]:
    """{element or phase: (active projects, overdue projects)} in one statement: per element, and per
    phase through a CASE mapping each element to its ancestor at every nesting depth."""
    shape_map = {s.element: s for s in all_shapes}
    waiting = waiting_rows(row, now, only_version)
    per_element = (select(waiting.c.element_id.label("key"), func.count(func.distinct(waiting.c.instance_id)),
                          func.count(func.distinct(case((waiting.c.late == 1, waiting.c.instance_id)))))
                   .group_by(waiting.c.element_id))
    selects = [per_element]
    chains = {s.element: ancestors(shape_map, s.element) for s in all_shapes if s.kind != "phase"}
    for depth in range(max((len(c) for c in chains.values()), default=0)):
        mapping = {element: chain[-1 - depth] for element, chain in chains.items() if len(chain) > depth}
        phase = case(*((waiting.c.element_id == element, literal(owner)) for element, owner in mapping.items()),
                     else_=None).label("key")
        selects.append(select(phase, func.count(func.distinct(waiting.c.instance_id)),
                              func.count(func.distinct(case((waiting.c.late == 1, waiting.c.instance_id)))))
                       .where(waiting.c.element_id.in_(mapping)).group_by(phase))
    rows = session.execute(union_all(*selects)).all()
    return {key: (active, overdue) for key, active, overdue in rows if key is not None}


def count_version(ctx: Context, session, row: ProcessVersion, now: datetime) -> dict[str, tuple[int, int]]:
    """The counts of one version as of `now` (the snapshot's part, engine/services/portfolio.py)."""
    only_version = versions_of(session, row.process_key) == [row.version]
    return counts_of(session, row, version_shapes(ctx, session, row), now, only_version)


def versions_of(session, process_key: str) -> list[int]:
    return list(session.scalars(select(ProcessVersion.version).where(ProcessVersion.process_key == process_key)
                                .order_by(ProcessVersion.version.desc())))


