"""govflow's extensions of SpiffWorkflow 3.2, plugged in through SpiffWorkflow's own extension points
rather than by changing it:

* `GovflowBpmnParser`, a SpiffBpmnParser whose `OVERRIDE_PARSER_CLASSES` (tag → (parser class, spec
  class)) parse `bpmn:parallelGateway` into engine.joins.ParallelGateway (a join counts the current
  round of its review loop only) and give start, intermediate catch and boundary events parsers whose
  timer-definition factory (`parse_timer_event`) makes the timer definitions below.
* The timer definitions read the time from the workflow's script engine (`script_engine.now()`, see
  engine.sandbox; engine.clock.now() by default, so clock.frozen_at moves them), and a timeDate or
  timeDuration timer is "armed" when first reached (engine.script_helpers.arm: working days `P10WD`,
  `govflow_armed_at`, `govflow_provisional`).
* `SERIALIZER_CONFIG`, the configuration for `BpmnWorkflowSerializer.configure`: converters for every
  class added here, and `StateConverter` for BpmnWorkflow, which leaves the specs out of a workflow's
  state (they are stored once per deployed version) and restores a state onto already-parsed specs.

The classes keep the names of the SpiffWorkflow classes they extend, so the serialized typenames are
unchanged (SpiffWorkflow's own spiff package does the same with UserTask, ScriptTask …): a spec dict
or state written before these extensions restores into them."""
from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from SpiffWorkflow.bpmn.parser.task_parsers import GatewayParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.task_spec import ParallelGatewayConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, IntermediateCatchEvent, StartEvent
from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway as BpmnParallelGateway
from SpiffWorkflow.bpmn.specs.event_definitions import timer as bpmn_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG as SPIFF_CONFIG

from engine import script_helpers
from engine.joins import ParallelGateway
from engine.script_helpers import now_of

# --- timer event definitions ----------------------------------------------------------------------


class _ArmedTimer:
    """has_fired for a one-shot timer: arm the deadline when first reached (engine.script_helpers.arm),
    then compare it with the workflow's time. `deadline` reads the armed value."""

    def has_fired(self, my_task):
        data = my_task.internal_data
        if data.get("event_value") is None:
            script_helpers.arm(self, my_task)
        if self.deadline(data["event_value"]) < now_of(my_task):
            data["event_fired"] = True
        return data.get("event_fired", False)


class TimeDateEventDefinition(_ArmedTimer, bpmn_timer.TimeDateEventDefinition):
    """A timer at a date (the expression answers an ISO date-time, or `P10WD`)."""

    @staticmethod
    def deadline(value):
        return TimerEventDefinition.parse_time_or_duration(value)


class DurationTimerEventDefinition(_ArmedTimer, bpmn_timer.DurationTimerEventDefinition):
    """A timer after a duration from the moment it is reached (ISO 8601, or `P10WD`)."""

    @staticmethod
    def deadline(value):
        return TimerEventDefinition.get_datetime(value)


class CycleTimerEventDefinition(bpmn_timer.CycleTimerEventDefinition):
    """A recurring timer (`R3/P7D`, `R/2026-05-04T09:00:00+08:00/P1M` …): SpiffWorkflow's, with the
    workflow's time."""

    def cycle_complete(self, my_task):
        now = now_of(my_task)
        data = my_task.internal_data
        event_value = data.get("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = recurring_interval(expression, now)
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}

        # When the next timer event passes, return True so that the task makes another child; once
        # every cycle has run, the timer has fired and its task can complete.
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event < now:
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            data["event_fired"] = True
        data["event_value"] = event_value
        return ready


def recurring_interval(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """(cycles, first firing, period) of an ISO 8601 repeating interval, `now` being the moment the
    timer is reached: TimerEventDefinition.parse_iso_recurring_interval with the workflow's time."""
    components = expression.upper().replace("--", "/").strip("R").split("/")
    cycles = int(components[0]) if components[0] else -1
    start_or_duration = TimerEventDefinition.parse_time_or_duration(components[1])
    end_or_duration = TimerEventDefinition.parse_time_or_duration(components[2]) if len(components) == 3 else None
    if isinstance(start_or_duration, datetime):             # start + period
        start = start_or_duration
        duration = TimerEventDefinition.get_timedelta_from_start(end_or_duration, start_or_duration)
    elif isinstance(end_or_duration, datetime):             # period + end
        duration = TimerEventDefinition.get_timedelta_from_end(start_or_duration, end_or_duration)
        start = end_or_duration - duration
    elif end_or_duration is None:                           # period only: the first one from now
        duration = TimerEventDefinition.get_timedelta_from_start(start_or_duration, now)
        start = now + duration
    else:
        raise ValueError("Invalid recurring interval")
    return cycles, start, duration


TIMER_DEFINITIONS = {
    bpmn_timer.TimeDateEventDefinition: TimeDateEventDefinition,
    bpmn_timer.DurationTimerEventDefinition: DurationTimerEventDefinition,
    bpmn_timer.CycleTimerEventDefinition: CycleTimerEventDefinition,
}


# --- parser ---------------------------------------------------------------------------------------


class TimerParsing:
    """Mixed into the event parsers: the timer definition SpiffWorkflow parsed (and validated),
    made one of ours."""

    def parse_timer_event(self, event):
        parsed = super().parse_timer_event(event)
        ours = TIMER_DEFINITIONS[type(parsed)]
        return ours(parsed.name, parsed.expression, description=parsed.description)


class StartEventParser(TimerParsing, SpiffStartEventParser):
    pass


class IntermediateCatchEventParser(TimerParsing, SpiffIntermediateCatchEventParser):
    pass


class BoundaryEventParser(TimerParsing, SpiffBoundaryEventParser):
    pass


class GovflowBpmnParser(SpiffBpmnParser):
    """SpiffBpmnParser with govflow's parallel gateway and timer definitions."""

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("parallelGateway"): (GatewayParser, ParallelGateway),
        full_tag("startEvent"): (StartEventParser, StartEvent),
        full_tag("intermediateCatchEvent"): (IntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("boundaryEvent"): (BoundaryEventParser, BoundaryEvent),
    }


# --- serializer -----------------------------------------------------------------------------------


class StateConverter(BpmnWorkflowConverter):
    """The converter of BpmnWorkflow: a workflow's state without its specs. `from_dict` restores a
    state onto the specs it is given (`registry.restore(dct, spec=…, subprocess_specs=…)`) instead
    of rebuilding them from their serialized form, which would cost more than the rest of a load;
    without specs it restores a complete serialization (specs included), as SpiffWorkflow's does."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        if spec is None:
            return super().from_dict(dct)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow



SERIALIZER_CONFIG = dict(SPIFF_CONFIG)
SERIALIZER_CONFIG.pop(BpmnParallelGateway)
SERIALIZER_CONFIG.pop(bpmn_timer.TimeDateEventDefinition)
SERIALIZER_CONFIG.pop(bpmn_timer.DurationTimerEventDefinition)
SERIALIZER_CONFIG.pop(bpmn_timer.CycleTimerEventDefinition)
SERIALIZER_CONFIG.update({
    BpmnWorkflow: StateConverter,
    ParallelGateway: ParallelGatewayConverter,
    TimeDateEventDefinition: TimerConditionalEventDefinitionConverter,
    DurationTimerEventDefinition: TimerConditionalEventDefinitionConverter,
    CycleTimerEventDefinition: TimerConditionalEventDefinitionConverter,
})
