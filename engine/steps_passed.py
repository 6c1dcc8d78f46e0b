"""What the engine went through on its own in a step — 系统处理 (script, service and send tasks),
自动判断 (a business rule task, a named gateway choosing between branches) and 时间节点 (a timer,
with when it was reached and when it fell due) — as plain dicts recorded in the step's audit row
(engine/services/projection.py), so the project page shows the whole path from history alone."""
from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine import script_helpers
from engine.clocks import local_iso
from engine.workflow import PASSED

SCRIPT, DECISION, TIMER = "script", "decision", "timer"
_KINDS = {"ScriptTask": SCRIPT, "ServiceTask": SCRIPT, "SendTask": SCRIPT, "BusinessRuleTask": DECISION,
          "ExclusiveGateway": DECISION, "InclusiveGateway": DECISION}
_SHOWN_STATES = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


def _kind(spec) -> str | None:
    if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
        return TIMER
    for cls in type(spec).__mro__:
        if cls.__name__ in _KINDS:
            kind = _KINDS[cls.__name__]
            if cls.__name__.endswith("Gateway") and (not spec.bpmn_name or len(spec.outputs) < 2):
                return None   # a merge, or a split nobody named: nothing a reader would call a step
            return kind
    return None


def _iso(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        return local_iso(TimerEventDefinition.get_datetime(value))
    except (TypeError, ValueError):
        return None


def _describe(task, kind: str) -> dict:
    spec = task.task_spec
    item = {"element": spec.name, "title": spec.bpmn_name or spec.name, "kind": kind}
    if kind == TIMER:
        armed = task.internal_data.get(script_helpers.ARMED_AT)
        item["armed_at"] = local_iso(datetime.fromisoformat(armed)) if isinstance(armed, str) else None
        item["fires_at"] = _iso(task.internal_data.get("event_value"))
    elif spec.name and type(spec).__name__.endswith("Gateway"):
        item["to"] = _named_next(task)
    return item


def _named_next(task, depth: int = 3) -> list[str]:
    """The named steps a gateway's branch went to, looking through unnamed (merging) gateways."""
    names: list[str] = []
    for child in task.children:
        if not child.state & _SHOWN_STATES:
            continue
        if child.task_spec.bpmn_name:
            names.append(child.task_spec.bpmn_name)
        elif depth and type(child.task_spec).__name__.endswith("Gateway"):
            names += _named_next(child, depth - 1)
    return names


def take(workflow) -> list[dict]:
    """The automatic steps the workflow's engine runs completed since the last call, in order."""
    tasks = workflow.__dict__.pop(PASSED, [])
    seen, result = set(), []
    for task in tasks:
        if task.id in seen or not task.state & TaskState.COMPLETED:
            continue
        seen.add(task.id)
        kind = _kind(task.task_spec)
        if kind is not None:
            result.append(_describe(task, kind))
    return result
