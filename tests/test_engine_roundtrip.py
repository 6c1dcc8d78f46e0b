"""Save and restore in the middle of every BPMN construct the procedures use.

Each scenario is run twice, step by step, on the engine facade: once in memory, once saved with
`engine.workflow.dumps` and restored with `engine.workflow.loads` after the start and after every
step (a user task answered, the clock moved and timers fired). After each step both runs must wait
on the same user tasks and timers, and at the end both must have reached the same end events with
the same data. The constructs were found in bpmn_diagrams/**/*.bpmn: user, script and business
rule tasks (DMN), exclusive and parallel gateways, the round-counting parallel join inside a review
loop (engine.joins), interrupting and non-interrupting boundary timers, intermediate timer catch
events, call activities with a timer inside the called process, terminate end events; and, as the
big procedures are moving phases into (collapsed) sub-processes, sub-processes with a boundary timer
inside and on them and with a review loop inside. Timer cycles, working-day durations (`P5WD`) and a
stored state of an older serializer version are covered as well. No inclusive or event-based
gateways, messages or signals are used by the procedures, so none are here.

The diagrams are written out as XML below (no builder), without diagram interchange."""
from __future__ import annotations

import json
from datetime import datetime
from xml.sax.saxutils import escape

from SpiffWorkflow.util.task import TaskState

from engine import clock
from engine import workflow as wfx

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=clock.SHANGHAI)


T0 = at("2026-06-01 09:00")            # a Monday; 端午节 2026 is Friday 6/19


# --- diagrams as XML ------------------------------------------------------------------------------

def definitions(*processes: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:spiffworkflow="{SPIFF_NS}" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_rt" '
            f'targetNamespace="http://govflow/test">\n' + "\n".join(processes) + "\n</bpmn:definitions>\n").encode()


def process(pid: str, *elements: str) -> str:
    return f'<bpmn:process id="{pid}" isExecutable="true">\n' + "\n".join(elements) + "\n</bpmn:process>"


def start(eid: str = "Begin") -> str:
    return f'<bpmn:startEvent id="{eid}"/>'


def end(eid: str, terminate: bool = False) -> str:
    inner = "<bpmn:terminateEventDefinition/>" if terminate else ""
    return f'<bpmn:endEvent id="{eid}">{inner}</bpmn:endEvent>'


def user(eid: str) -> str:
    return f'<bpmn:userTask id="{eid}" name="{eid}"/>'


def script(eid: str, code: str) -> str:
    return f'<bpmn:scriptTask id="{eid}"><bpmn:script>{escape(code)}</bpmn:script></bpmn:scriptTask>'


def rule(eid: str, decision: str) -> str:
    return (f'<bpmn:businessRuleTask id="{eid}"><bpmn:extensionElements>'
            f'<spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>'
            f'</bpmn:extensionElements></bpmn:businessRuleTask>')


def xgw(eid: str, default: str | None = None) -> str:
    return f'<bpmn:exclusiveGateway id="{eid}"' + (f' default="{default}"' if default else "") + "/>"


def pgw(eid: str) -> str:
    return f'<bpmn:parallelGateway id="{eid}"/>'


def call(eid: str, called: str) -> str:
    return f'<bpmn:callActivity id="{eid}" calledElement="{called}"/>'


def subprocess(eid: str, *elements: str) -> str:
    return f'<bpmn:subProcess id="{eid}">\n' + "\n".join(elements) + "\n</bpmn:subProcess>"


def timer(date: str | None = None, duration: str | None = None, cycle: str | None = None) -> str:
    kind, expression = next((k, e) for k, e in (("timeDate", date), ("timeDuration", duration),
                                                ("timeCycle", cycle)) if e is not None)
    return (f'<bpmn:timerEventDefinition><bpmn:{kind} xsi:type="bpmn:tFormalExpression">{escape(expression)}'
            f'</bpmn:{kind}></bpmn:timerEventDefinition>')


def boundary(eid: str, attached: str, definition: str, interrupting: bool = True) -> str:
    cancel = "true" if interrupting else "false"
    return (f'<bpmn:boundaryEvent id="{eid}" attachedToRef="{attached}" cancelActivity="{cancel}">'
            f'{definition}</bpmn:boundaryEvent>')


def catch(eid: str, definition: str) -> str:
    return f'<bpmn:intermediateCatchEvent id="{eid}">{definition}</bpmn:intermediateCatchEvent>'


def flow(source: str, target: str, condition: str | None = None) -> str:
    fid = f"Flow_{source}_{target}"
    if condition is None:
        return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}"/>'
    return (f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">'
            f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
            f'</bpmn:conditionExpression></bpmn:sequenceFlow>')


def chain(*ids: str) -> list[str]:
    return [flow(a, b) for a, b in zip(ids, ids[1:], strict=False)]


def review_loop(prefix: str, entry: str, approved: str) -> list[str]:
    """entry → merge → reset the answers (as docs/modelling.md says) → fork → two reviewers → join →
    both approve? → `approved`; otherwise the applicant revises and the review starts again (退回修改)."""
    merge, reset, fork, join, decide = (f"{prefix}{n}" for n in ("Merge", "Reset", "Fork", "Join", "Decide"))
    a, b, revise = f"{prefix}ReviewA", f"{prefix}ReviewB", f"{prefix}Revise"
    both = f"{a}['decision'] == 'approve' and {b}['decision'] == 'approve'"
    return [xgw(merge), script(reset, f"{a} = {{}}\n{b} = {{}}"), pgw(fork), user(a), user(b), pgw(join),
            xgw(decide, default=f"Flow_{decide}_{revise}"), user(revise),
            *chain(entry, merge, reset, fork), flow(fork, a), flow(fork, b), flow(a, join), flow(b, join),
            flow(join, decide), flow(decide, approved, both), flow(decide, revise), flow(revise, merge)]


ROUTE_DMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Definitions_rt_route" name="route"
             namespace="http://govflow/dmn">
  <decision id="rt_route" name="route">
    <decisionTable id="Table_rt_route" hitPolicy="FIRST">
      <input id="Input_amount" label="amount">
        <inputExpression id="InputExpression_amount" typeRef="number"><text>amount</text></inputExpression>
      </input>
      <output id="Output_route" label="route" name="route" typeRef="string"/>
      <output id="Output_level" label="level" name="level" typeRef="number"/>
      <rule id="Rule_big">
        <inputEntry id="In_big"><text>&gt;= 400</text></inputEntry>
        <outputEntry id="Out_big_route"><text>"city"</text></outputEntry>
        <outputEntry id="Out_big_level"><text>2</text></outputEntry>
      </rule>
      <rule id="Rule_small">
        <inputEntry id="In_small"><text>-</text></inputEntry>
        <outputEntry id="Out_small_route"><text>"county"</text></outputEntry>
        <outputEntry id="Out_small_level"><text>1</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


# --- running a scenario twice ---------------------------------------------------------------------

def load(key: str, main: bytes, **extra: bytes) -> wfx.LoadedVersion:
    return wfx.load_version(key, {f"{key}.bpmn": main, **extra})


def do(element: str, answers: dict | None = None, when: str | None = None):
    """Answer the (first) ready user task of `element`."""
    return ("do", element, answers or {}, at(when) if when else None)


def tick(when: str):
    """Move the clock to `when` and fire the timers due."""
    return ("tick", None, None, at(when))


def waiting(workflow) -> tuple[list[str], list[tuple[str, str]]]:
    """What the workflow waits on: ready user tasks and pending timers (element, deadline)."""
    ready = sorted(t.task_spec.name for t in wfx.ready_user_tasks(workflow))
    timers = sorted((t["element_id"], t["fires_at"].isoformat()) for t in wfx.pending_timers(workflow))
    return ready, timers


def saved_and_restored(version, workflow):
    state = wfx.dumps(workflow)
    restored = wfx.loads(version, state, None)
    assert wfx.dumps(restored) == state                 # nothing lost or added on the way
    return restored


def step(workflow, action, now):
    kind, element, answers, _ = action
    with clock.frozen_at(now):
        if kind == "tick":
            wfx.fire_timers(workflow)
        else:
            task = next((t for t in wfx.ready_user_tasks(workflow) if t.task_spec.name == element), None)
            assert task is not None, f"{element} is not ready: {waiting(workflow)[0]}"
            wfx.complete(workflow, task, answers)


def run_both(version, data: dict, steps: list, *, expect: dict[int, list[str]] | None = None):
    """Run the scenario in memory and with a save/restore before every step; compare as it goes.
    `expect` maps a step index to the user tasks ready after it (checked on both runs)."""
    now = T0
    with clock.frozen_at(now):
        plain = wfx.start(version, dict(data), None)
        restored = wfx.start(version, dict(data), None)
    restored = saved_and_restored(version, restored)
    assert waiting(restored) == waiting(plain)
    for index, action in enumerate(steps):
        now = action[3] or now
        step(plain, action, now)
        step(restored, action, now)
        restored = saved_and_restored(version, restored)
        assert waiting(restored) == waiting(plain), f"after step {index} {action[:2]}"
        if expect and index in expect:
            assert waiting(plain)[0] == sorted(expect[index]), f"after step {index} {action[:2]}"
    assert plain.is_completed() and restored.is_completed()
    ends = [t.task_spec.name for t in wfx.reached_end_events(plain)]
    assert [t.task_spec.name for t in wfx.reached_end_events(restored)] == ends
    assert wfx.reached_end_events(restored)[-1].data == wfx.reached_end_events(plain)[-1].data
    assert restored.data == plain.data
    return ends, wfx.reached_end_events(restored)[-1].data


# --- tasks and gateways ---------------------------------------------------------------------------

def test_user_and_script_tasks_and_an_exclusive_gateway_survive_a_restore():
    version = load("rt_tasks", definitions(process(
        "rt_tasks", start(), user("Fill"),
        script("Score", "score = amount * 2\nlabel = '大项目' if score > 100 else '小项目'"),
        xgw("Size", default="Flow_Size_Small"), user("Big"), user("Small"), end("DoneBig"), end("DoneSmall"),
        *chain("Begin", "Fill", "Score", "Size"), flow("Size", "Big", "score > 100"), flow("Size", "Small"),
        flow("Big", "DoneBig"), flow("Small", "DoneSmall"))))
    ends, data = run_both(version, {"project_name": "测试"}, [
        do("Fill", {"amount": 80}), do("Big", {"ok": True}, "2026-06-02 10:00")], expect={0: ["Big"]})
    assert ends == ["DoneBig"]
    assert (data["score"], data["label"], data["Big"]["completed_at"]) == (160, "大项目", "2026-06-02T02:00:00+00:00")


def test_a_business_rule_task_with_its_decision_table_survives_a_restore():
    version = load("rt_rule", definitions(process(
        "rt_rule", start(), user("Fill"), rule("Route", "rt_route"), xgw("ByRoute", default="Flow_ByRoute_County"),
        user("City"), user("County"), end("DoneCity"), end("DoneCounty"),
        *chain("Begin", "Fill", "Route", "ByRoute"), flow("ByRoute", "City", "route == 'city'"),
        flow("ByRoute", "County"), flow("City", "DoneCity"), flow("County", "DoneCounty"))),
        **{"rt_route.dmn": ROUTE_DMN})
    ends, data = run_both(version, {}, [do("Fill", {"amount": 450}), do("City")], expect={0: ["City"]})
    assert ends == ["DoneCity"] and (data["route"], data["level"]) == ("city", 2)


def test_a_parallel_fork_and_join_survive_a_restore_in_every_branch_order():
    version = load("rt_parallel", definitions(process(
        "rt_parallel", start(), pgw("Fork"), user("A"), user("B"), user("C"), pgw("Join"), user("After"), end("Done"),
        flow("Begin", "Fork"), *[flow("Fork", x) for x in "ABC"], *[flow(x, "Join") for x in "ABC"],
        *chain("Join", "After", "Done"))))
    ends, data = run_both(version, {}, [do("B", {"b": 1}), do("A", {"a": 1}), do("C", {"c": 1}), do("After")],
                          expect={0: ["A", "C"], 1: ["C"], 2: ["After"]})
    assert ends == ["Done"] and (data["a"], data["b"], data["c"]) == (1, 1, 1)


def test_the_join_of_a_review_loop_counts_only_the_current_round_across_restores():
    version = load("rt_loop", definitions(process(
        "rt_loop", start(), user("Submit"), end("Approved"), flow("Begin", "Submit"),
        *review_loop("", "Submit", "Approved"))))
    approve, reject = {"decision": "approve"}, {"decision": "reject"}
    ends, data = run_both(version, {}, [
        do("Submit"), do("ReviewA", reject), do("ReviewB", approve), do("Revise"),
        do("ReviewB", approve),                    # round 2: stock SpiffWorkflow would pass the join here
        do("ReviewA", approve)],
        expect={2: ["Revise"], 3: ["ReviewA", "ReviewB"], 4: ["ReviewA"], 5: []})
    assert ends == ["Approved"] and data["ReviewA"]["decision"] == "approve"


def test_a_terminate_end_event_survives_a_restore():
    version = load("rt_terminate", definitions(process(
        "rt_terminate", start(), pgw("Fork"), user("Withdraw"), user("Work"), end("Withdrawn", terminate=True),
        end("Done"), flow("Begin", "Fork"), flow("Fork", "Withdraw"), flow("Fork", "Work"),
        flow("Withdraw", "Withdrawn"), flow("Work", "Done"))))
    ends, _ = run_both(version, {}, [do("Withdraw", {"reason": "撤回"})], expect={0: []})
    assert ends == ["Withdrawn"]


# --- timers ---------------------------------------------------------------------------------------

def test_an_interrupting_boundary_timer_fires_after_a_restore():
    version = load("rt_deadline", definitions(process(
        "rt_deadline", start(), user("Work"), boundary("Deadline", "Work", timer(date="add_workdays(2)")),
        user("Late"), end("DoneLate"), end("DoneInTime"),
        *chain("Begin", "Work", "DoneInTime"), *chain("Deadline", "Late", "DoneLate"))))
    ends, _ = run_both(version, {}, [
        tick("2026-06-03 23:59"),                  # the end of the second working day: not yet
        tick("2026-06-04 00:00:01"), do("Late")], expect={0: ["Work"], 1: ["Late"]})
    assert ends == ["DoneLate"]


def test_a_non_interrupting_boundary_timer_fires_after_a_restore_and_the_task_goes_on():
    version = load("rt_remind", definitions(process(
        "rt_remind", start(), user("Work"),
        boundary("Remind", "Work", timer(duration='"P1D"'), interrupting=False),
        user("Nudge"), end("Nudged"), end("Done"),
        *chain("Begin", "Work", "Done"), *chain("Remind", "Nudge", "Nudged"))))
    ends, _ = run_both(version, {}, [
        tick("2026-06-02 08:59"), tick("2026-06-02 09:00:01"), do("Nudge"), do("Work", {"done": True})],
        expect={0: ["Work"], 1: ["Nudge", "Work"], 2: ["Work"]})
    assert ends == ["Nudged", "Done"]


def test_intermediate_timer_catch_events_with_dates_and_working_days_survive_a_restore():
    version = load("rt_wait", definitions(process(
        "rt_wait", start(), user("Fill"), catch("WaitDate", timer(date="add_workdays(3, Fill['completed_at'])")),
        user("Check"), catch("WaitWorkdays", timer(duration='"P5WD"')), user("Close"), end("Done"),
        *chain("Begin", "Fill", "WaitDate", "Check", "WaitWorkdays", "Close", "Done"))))
    ends, data = run_both(version, {}, [
        do("Fill", when="2026-06-01 10:00"),
        tick("2026-06-04 12:00"), tick("2026-06-05 00:00:01"),            # 6/2, 6/3, 6/4
        do("Check", when="2026-06-15 10:00"),
        tick("2026-06-23 12:00"), tick("2026-06-24 00:00:01"),            # 6/16–6/18, (6/19 端午) 6/22, 6/23
        do("Close")],
        expect={1: [], 2: ["Check"], 4: [], 5: ["Close"]})
    assert ends == ["Done"]


def test_a_recurring_boundary_timer_survives_restores_between_its_cycles():
    version = load("rt_cycle", definitions(process(
        "rt_cycle", start(), user("Implement"),
        boundary("Weekly", "Implement", timer(cycle='"R2/P7D"'), interrupting=False),
        user("Report"), end("Reported"), end("Done"),
        *chain("Begin", "Implement", "Done"), *chain("Weekly", "Report", "Reported"))))
    ends, _ = run_both(version, {}, [
        tick("2026-06-08 08:59"), tick("2026-06-08 09:00:01"), do("Report", {"week": 1}),
        tick("2026-06-15 09:00:01"), tick("2026-06-22 09:00:01"), do("Report", {"week": 2}), do("Implement")],
        expect={0: ["Implement"], 1: ["Implement", "Report"], 4: ["Implement", "Report"]})
    assert ends == ["Reported", "Reported", "Done"]


# --- call activities and sub-processes ------------------------------------------------------------

def test_a_call_activity_with_a_timer_inside_the_called_process_survives_restores():
    called = definitions(process(
        "rt_called", start("CalledBegin"), user("Rectify"),
        boundary("RectifyDeadline", "Rectify", timer(date="add_days(deadline_days)")),
        user("Escalate"), end("Rectified"), end("Expired"),
        *chain("CalledBegin", "Rectify", "Rectified"), *chain("RectifyDeadline", "Escalate", "Expired")))
    version = load("rt_call", definitions(process(
        "rt_call", start(), user("Prepare"), call("Rectification", "rt_called"), user("Archive"), end("Done"),
        *chain("Begin", "Prepare", "Rectification", "Archive", "Done"))), **{"rt_called.bpmn": called})
    ends, data = run_both(version, {}, [
        do("Prepare", {"deadline_days": 10}), tick("2026-06-11 23:00"), tick("2026-06-12 00:00:01"),
        do("Escalate", {"note": "逾期"}), do("Archive")],
        expect={0: ["Rectify"], 2: ["Escalate"], 3: ["Archive"]})
    assert ends == ["Expired", "Done"] and data["note"] == "逾期"


def test_a_sub_process_with_a_boundary_timer_inside_and_one_on_it_survives_restores():
    version = load("rt_phase", definitions(process(
        "rt_phase", start(),
        subprocess("Phase", start("PhaseBegin"), user("Prepare"),
                   boundary("PrepareLate", "Prepare", timer(date="add_workdays(2)")),
                   user("Explain"), xgw("PhaseMerge"), user("Confirm"), end("PhaseDone"),
                   *chain("PhaseBegin", "Prepare", "PhaseMerge"), *chain("PrepareLate", "Explain", "PhaseMerge"),
                   *chain("PhaseMerge", "Confirm", "PhaseDone")),
        boundary("PhaseOverdue", "Phase", timer(date="add_workdays(20)")),
        user("Archive"), user("Cancelled"), end("Done"), end("Overdue"),
        *chain("Begin", "Phase", "Archive", "Done"), *chain("PhaseOverdue", "Cancelled", "Overdue"))))
    ends, data = run_both(version, {}, [
        tick("2026-06-04 00:00:01"),               # the timer inside fires, the one on the phase waits
        do("Explain", {"why": "材料不全"}), do("Confirm"), do("Archive")],
        expect={0: ["Explain"], 1: ["Confirm"], 2: ["Archive"]})
    assert ends == ["PhaseDone", "Done"] and data["why"] == "材料不全"


def test_an_interrupting_timer_on_a_sub_process_cancels_it_after_a_restore():
    version = load("rt_phase_overdue", definitions(process(
        "rt_phase_overdue", start(),
        subprocess("Phase", start("PhaseBegin"), user("Prepare"), end("PhaseDone"),
                   *chain("PhaseBegin", "Prepare", "PhaseDone")),
        boundary("PhaseOverdue", "Phase", timer(date="add_workdays(2)")),
        user("Archive"), user("Cancelled"), end("Done"), end("Overdue"),
        *chain("Begin", "Phase", "Archive", "Done"), *chain("PhaseOverdue", "Cancelled", "Overdue"))))
    ends, _ = run_both(version, {}, [tick("2026-06-04 00:00:01"), do("Cancelled")], expect={0: ["Cancelled"]})
    assert ends == ["Overdue"]


def test_a_review_loop_inside_a_sub_process_counts_only_the_current_round_across_restores():
    version = load("rt_phase_review", definitions(process(
        "rt_phase_review", start(),
        subprocess("Review", start("ReviewBegin"), user("Submit"), end("ReviewDone"),
                   flow("ReviewBegin", "Submit"), *review_loop("In", "Submit", "ReviewDone")),
        boundary("ReviewReminder", "Review", timer(duration='"P10WD"'), interrupting=False),
        user("Hurry"), end("Hurried"), user("Publish"), end("Done"),
        *chain("Begin", "Review", "Publish", "Done"), *chain("ReviewReminder", "Hurry", "Hurried"))))
    approve, reject = {"decision": "approve"}, {"decision": "reject"}
    ends, data = run_both(version, {}, [
        do("Submit"), do("InReviewA", reject), do("InReviewB", approve), do("InRevise"),
        do("InReviewB", approve),                  # round 2: A has not answered yet
        tick("2026-06-16 00:00:01"),               # 10 working days (端午 not yet): the reminder
        do("Hurry"), do("InReviewA", approve), do("Publish")],
        expect={1: ["InReviewB"], 3: ["InReviewA", "InReviewB"], 4: ["InReviewA"], 5: ["Hurry", "InReviewA"],
                7: ["Publish"]})
    assert ends == ["Hurried", "ReviewDone", "Done"] and data["InReviewA"]["decision"] == "approve"


# --- stored states of an older serializer version ---------------------------------------------------

LOOP = definitions(process(
    "rt_old", start(),
    '<bpmn:userTask id="Collect"><bpmn:standardLoopCharacteristics loopMaximum="2"/></bpmn:userTask>',
    end("Done"), *chain("Begin", "Collect", "Done")))


def _as_version_1_3(state: str) -> dict:
    """The state as SpiffWorkflow's serializer 1.3 wrote it: a loop task that was reached waited
    (WAITING) where 1.4 on starts it (STARTED); the 1.3 → 1.4 migration (update_mi_states) moves it."""
    dct = json.loads(state)
    [loop_task] = [t for t in dct["tasks"].values() if t["task_spec"] == "Collect"]
    assert loop_task["state"] == TaskState.STARTED
    loop_task["state"] = TaskState.WAITING
    dct[wfx.SERIALIZER.VERSION_KEY] = "1.3"
    return dct


def test_a_state_stored_by_serializer_1_3_is_migrated_on_load_and_runs_to_the_end():
    version = load("rt_old", LOOP)
    with clock.frozen_at(T0):
        workflow = wfx.start(version, {"project_name": "旧项目"}, None)
    old = _as_version_1_3(wfx.dumps(workflow))

    restored = wfx.loads(version, json.dumps(old), None)
    [loop_task] = [t for t in restored.get_tasks() if t.task_spec.name == "Collect"]
    assert loop_task.state == TaskState.STARTED
    assert json.loads(wfx.dumps(restored))[wfx.SERIALIZER.VERSION_KEY] == wfx.SERIALIZER_VERSION
    with clock.frozen_at(T0):
        for week in (1, 2):
            [task] = wfx.ready_user_tasks(restored)
            wfx.complete(restored, task, {"week": week})
    assert restored.is_completed()
    assert [t.task_spec.name for t in wfx.reached_end_events(restored)] == ["Done"]
    assert wfx.reached_end_events(restored)[-1].data["project_name"] == "旧项目"


def test_without_the_migration_the_same_old_state_would_not_finish():
    """The test above is worth something: read as current, the 1.3 state gets stuck in the loop."""
    version = load("rt_old", LOOP)
    with clock.frozen_at(T0):
        workflow = wfx.start(version, {}, None)
    old = _as_version_1_3(wfx.dumps(workflow))
    old[wfx.SERIALIZER.VERSION_KEY] = wfx.SERIALIZER_VERSION
    misread = wfx.loads(version, json.dumps(old), None)
    with clock.frozen_at(T0):
        for week in (1, 2):
            wfx.complete(misread, wfx.ready_user_tasks(misread)[0], {"week": week})
    assert not misread.is_completed()


def test_a_state_stored_by_serializer_1_4_with_a_pending_timer_loads_and_fires():
    version = load("rt_old_timer", definitions(process(
        "rt_old_timer", start(), user("Work"), boundary("Deadline", "Work", timer(date="add_workdays(2)")),
        user("Late"), end("DoneLate"), end("DoneInTime"),
        *chain("Begin", "Work", "DoneInTime"), *chain("Deadline", "Late", "DoneLate"))))
    with clock.frozen_at(T0):
        workflow = wfx.start(version, {}, None)
    dct = json.loads(wfx.dumps(workflow))
    dct[wfx.SERIALIZER.VERSION_KEY] = "1.4"            # 1.4 → 1.5 rewrites event-based gateways' specs only
    restored = wfx.loads(version, json.dumps(dct), None)
    assert waiting(restored) == (["Work"], [("Deadline", "2026-06-03T15:59:59+00:00")])
    with clock.frozen_at(at("2026-06-04 00:00:01")):
        wfx.fire_timers(restored)
    assert waiting(restored) == (["Late"], [])

