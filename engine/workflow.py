"""The narrow facade over SpiffWorkflow 3.2: parse a deployed bundle once per version, start,
step, list ready user tasks, complete them, and (de)serialize state with its serializer version.
Nothing here knows about databases or the web."""
from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from SpiffWorkflow.util.task import TaskState

from engine import clock, script_helpers
from engine.sandbox import EngineRun, SandboxScriptEngine
from engine.spiff_ext import SERIALIZER_CONFIG, GovflowBpmnParser

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS}
INNER_ROLE_PREFIX = "lane_"
PASSED = "_govflow_passed"   # attribute of a workflow object: the automatic tasks its runs completed


class _CompactJSONEncoder(json.JSONEncoder):
    """States as compact JSON with Chinese text unescaped (a third of the size of \\u escapes)."""

    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, "ensure_ascii": False, "separators": (",", ":")})


def _build_serializer() -> BpmnWorkflowSerializer:
    """SpiffWorkflow's serializer configured with govflow's converters (engine.spiff_ext: a state
    leaves the specs out) and the data types forms produce."""
    registry = BpmnWorkflowSerializer.configure(SERIALIZER_CONFIG)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]), "Decimal")
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]), "date")
    registry.register(datetime, lambda v: {"value": v.isoformat()},
                      lambda d: datetime.fromisoformat(d["value"]), "datetime")
    return BpmnWorkflowSerializer(registry, json_encoder_cls=_CompactJSONEncoder)


SERIALIZER = _build_serializer()
SERIALIZER_VERSION = SERIALIZER.VERSION


@dataclass(frozen=True)
class ElementInfo:
    """What govflow needs to know about one BPMN element of a deployed version."""

    element_id: str
    title: str
    kind: str
    role: str | None
    lane: str | None
    properties: dict = field(default_factory=dict)
    documentation: str | None = None


@dataclass
class LoadedVersion:
    """A parsed bundle: the executable specs plus the element table (lanes → roles, properties)."""

    process_key: str
    spec: object
    subprocess_specs: dict
    elements: dict[str, ElementInfo]
    spec_dicts: dict

    def element(self, element_id: str) -> ElementInfo | None:
        return self.elements.get(element_id)


def parse_bundle(process_key: str, files: dict[str, bytes], *, validate: bool = True):
    """Parse BPMN and DMN files into a GovflowBpmnParser (a SpiffBpmnParser with govflow's parallel
    gateway and timers); raise SpiffWorkflow's ValidationException."""
    parser = GovflowBpmnParser(validator=VALIDATOR if validate else None)
    for name, content in sorted(files.items()):
        raw = content if isinstance(content, bytes) else content.encode("utf-8")
        if name.endswith(".dmn"):
            parser.add_dmn_str(raw, filename=name)
        else:
            parser.add_bpmn_str(raw, filename=name)
    return parser


def lane_roles(files: dict[str, bytes]) -> dict[str, tuple[str, str]]:
    """element id → (role key, lane name), read from the lanes' ids: `lane_<role>`, or in a sub-process
    (ids are unique in a file) `<SubProcessId>_lane_<role>` — the role is the part after the last `lane_`."""
    result: dict[str, tuple[str, str]] = {}
    for name, content in files.items():
        if not name.endswith(".bpmn"):
            continue
        root = etree.fromstring(content if isinstance(content, bytes) else content.encode())
        for lane in root.iter(f"{{{BPMN_NS}}}lane"):
            lane_id = lane.get("id", "")
            before, found, role = lane_id.rpartition(INNER_ROLE_PREFIX)
            if not found or not role or (before and not before.endswith("_")):
                role = None
            for ref in lane.findall("bpmn:flowNodeRef", NS):
                result[(ref.text or "").strip()] = (role, lane.get("name") or lane_id)
    return result


def _element_table(specs: list, roles: dict[str, tuple[str, str]]) -> dict[str, ElementInfo]:
    elements: dict[str, ElementInfo] = {}
    for process_spec in specs:
        for name, task_spec in process_spec.task_specs.items():
            if not getattr(task_spec, "bpmn_id", None):
                continue
            role, lane = roles.get(name, (None, getattr(task_spec, "lane", None)))
            extensions = getattr(task_spec, "extensions", None) or {}
            elements[name] = ElementInfo(
                element_id=name,
                title=task_spec.bpmn_name or name,
                kind=type(task_spec).__name__,
                role=role,
                lane=lane,
                properties=dict(extensions.get("properties") or {}),
                documentation=getattr(task_spec, "documentation", None),
            )
    return elements


def load_version(process_key: str, files: dict[str, bytes]) -> LoadedVersion:
    parser = parse_bundle(process_key, files)
    spec = parser.get_spec(process_key)
    subprocess_specs = parser.get_subprocess_specs(process_key)
    elements = _element_table([spec, *subprocess_specs.values()], lane_roles(files))
    # The serialized specs, for SpiffWorkflow's migrations of states stored by an older serializer
    # (serializing them also checks that every spec class has a converter).
    spec_dicts = {"spec": SERIALIZER.to_dict(spec),
                  "subprocess_specs": {name: SERIALIZER.to_dict(sub) for name, sub in subprocess_specs.items()}}
    return LoadedVersion(process_key, spec, subprocess_specs, elements, spec_dicts)


class VersionCache:
    """Parsed versions by process key and checksum: parsing is the costly part, states are cheap."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items: dict[str, LoadedVersion] = {}

    def get(self, key: str, loader) -> LoadedVersion:
        with self._lock:
            item = self._items.get(key)
        if item is None:
            item = loader()
            with self._lock:
                self._items[key] = item
        return item

    def clear(self):
        with self._lock:
            self._items.clear()


def make_script_engine(helpers: dict | str | None = None) -> SandboxScriptEngine:
    """A sandboxed script engine offering `helpers` (the runtime's `helpers(jurisdiction)`; a
    jurisdiction key or None gives helpers on chinese-calendar's years only, for parsing)."""
    if not isinstance(helpers, dict):
        helpers = script_helpers.helpers_for(helpers)
    return SandboxScriptEngine(helpers)


def run_engine(workflow: BpmnWorkflow) -> None:
    """Advance every automatic step, bounded (engine.sandbox.EngineRun: steps and time, each script
    by its own deadline). A step that fails raises engine.sandbox.StepFailed (a ScriptError) naming
    the element, with the workflow as the failure left it: the failed task in ERROR (or, failing while
    it was being reached, not yet ready), everything before it done — the caller saves that and
    records an incident, or rolls back."""
    passed = workflow.__dict__.setdefault(PASSED, [])   # what the run went through (engine.steps_passed)

    with EngineRun(workflow) as run:
        def step(task) -> None:
            run.step(task)
            passed.append(task)

        workflow.do_engine_steps(will_complete_task=step)
        # A timer reached with a deadline already past becomes ready only in refresh_timers(), which
        # do_engine_steps calls last; run again so such a timer passes at once.
        for _ in range(100):
            if not any(not t.task_spec.manual for t in workflow.get_tasks(state=TaskState.READY)):
                break
            workflow.do_engine_steps(will_complete_task=step)


def start(version: LoadedVersion, data: dict, helpers: dict) -> BpmnWorkflow:
    workflow = BpmnWorkflow(version.spec, version.subprocess_specs,
                            script_engine=make_script_engine(helpers))
    start_task = workflow.get_tasks(state=TaskState.READY)[0]
    start_task.data.update(data)
    run_engine(workflow)
    return workflow


def ready_user_tasks(workflow: BpmnWorkflow) -> list:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def inside(workflow: BpmnWorkflow, element_ids) -> bool:
    """Whether the workflow is now inside one of the elements (a sub-process or call activity under way,
    or a task waiting or ready): a side process that may only act on a project in a given phase."""
    wanted = set(element_ids)
    return any(task.task_spec.name in wanted
               for task in workflow.get_tasks(state=TaskState.STARTED | TaskState.WAITING | TaskState.READY))


_UNSET = object()


def published(workflow: BpmnWorkflow, names) -> dict:
    """{name: value} of each of `names` as the newest completed task that set it left it (its value
    differs from its parent task's): a branch carrying an older copy of the data (a timer armed before
    the value changed) does not bring the old value back. A name no task set is left out."""
    found: dict = {}
    for task in sorted(workflow.get_tasks(state=TaskState.COMPLETED), key=lambda t: t.last_state_change):
        parent = task.parent.data if task.parent is not None else {}
        for name in names:
            value = task.data.get(name, _UNSET)
            if value is not _UNSET and parent.get(name, _UNSET) != value:
                found[name] = value
    return found


def find_task(workflow: BpmnWorkflow, task_guid: str):
    try:
        return workflow.get_task_from_id(UUID(task_guid))
    except (KeyError, ValueError, TypeError):
        return None


def complete(workflow: BpmnWorkflow, task, answers: dict, output_key: str | None = None) -> None:
    """Write the answers at the top level and under the element id (survives parallel joins)."""
    task.data.update(answers)
    task.data[output_key or task.task_spec.name] = dict(answers, completed_at=clock.now().isoformat())
    task.run()
    run_engine(workflow)


def pending_timers(workflow: BpmnWorkflow) -> list[dict]:
    """Timer events the workflow waits on: [{task_guid, element_id, title, fires_at}]."""
    timers = []
    for task in list(workflow.event_manager.tasks.values()):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition) or task.state & TaskState.FINISHED_MASK:
            continue
        value = task.internal_data.get("event_value")
        if isinstance(value, dict):
            value = value.get("next") if value.get("cycles") != 0 else None
        if value is None:
            continue
        timers.append({"task_guid": str(task.id), "element_id": task.task_spec.name,
                       "title": task.task_spec.bpmn_name or task.task_spec.name,
                       "fires_at": TimerEventDefinition.get_datetime(value)})
    return timers


def shift_timers(workflow: BpmnWorkflow, moved) -> None:
    """Move every pending timer's deadline (and when it was armed) later by what `moved(deadline,
    expression)` answers: the time a project was suspended does not count (engine.services.orders;
    a working-day timer is moved by working days, engine.clocks.extended)."""
    for task in list(workflow.event_manager.tasks.values()):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition) or task.state & TaskState.FINISHED_MASK:
            continue
        expression = getattr(definition, "expression", None)
        data = task.internal_data
        value = data.get("event_value")
        if isinstance(value, dict) and value.get("next"):
            value["next"] = moved(datetime.fromisoformat(value["next"]), expression).isoformat()
        elif isinstance(value, str):
            deadline = TimerEventDefinition.parse_time_or_duration(value)
            if isinstance(deadline, datetime):
                data["event_value"] = moved(deadline, expression).isoformat()
        if isinstance(data.get(script_helpers.ARMED_AT), str):
            armed = datetime.fromisoformat(data[script_helpers.ARMED_AT])
            data[script_helpers.ARMED_AT] = moved(armed, expression).isoformat()


def fire_timers(workflow: BpmnWorkflow) -> None:
    workflow.refresh_timers()
    run_engine(workflow)


def reached_end_events(workflow: BpmnWorkflow) -> list:
    ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if type(t.task_spec).__name__ == "EndEvent" and t.task_spec.bpmn_id]
    return sorted(ends, key=lambda t: t.last_state_change)


def dumps(workflow: BpmnWorkflow) -> str:
    """Serialize without the specs (they are stored once per deployed version), with the serializer
    version."""
    return SERIALIZER.serialize_json(workflow)


def loads(version: LoadedVersion, state: str, helpers: dict) -> BpmnWorkflow:
    """Restore a workflow onto the version's already-parsed specs (rebuilding the specs from their
    serialized form on every load would cost more than everything else together; see
    spiff_ext.StateConverter). A state written by an older serializer is first brought up to date by
    SpiffWorkflow's migrations, which read and rewrite the serialized specs too."""
    dct = json.loads(state)
    if SERIALIZER.get_version(dct) != SERIALIZER_VERSION:
        dct.update(copy.deepcopy(version.spec_dicts))
        SERIALIZER.migrate(dct)
    else:
        dct.pop(SERIALIZER.VERSION_KEY)
    workflow = SERIALIZER.from_dict(dct, spec=version.spec, subprocess_specs=version.subprocess_specs)
    workflow.script_engine = make_script_engine(helpers)
    return workflow
