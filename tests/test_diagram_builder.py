"""Tests of tools/diagram_builder.py: SpiffWorkflow parses (XSD-validated) and runs what it writes,
and the diagram interchange is complete, orthogonal and free of overlapping shapes."""

import math
import re

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from tools.diagram_builder import NSMAP, Diagram

LANES = [("applicant", "建设单位"), ("data_bureau", "区数管局"), ("finance", "区财政局")]
REVIEWS = ["ReviewData", "ReviewTech", "ReviewFinance"]
FLOW_NODES = ("startEvent", "endEvent", "userTask", "manualTask", "scriptTask", "businessRuleTask",
              "callActivity", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
              "intermediateCatchEvent", "boundaryEvent")


def review_props(form):
    return {"form": f"test/{form}", "legalBasis": "第八条", "dueIn": "5wd"}


def sample_diagram():
    """Every element kind: start, user tasks in three lanes, exclusive gateways (default and
    conditions), a parallel fork/join with three branches, a loop back, a timer catch, a
    non-interrupting boundary timer, a script task, ends with outcomes and a terminate end."""
    d = Diagram(process_id="test_proc", process_name="测试流程", lanes=LANES, documentation="测试办法")
    d.start("StartEvent", lane="applicant", col=0, name="开始")
    d.exclusive("GwResubmit", lane="applicant", col=1)
    d.user_task("Declare", lane="applicant", col=2, name="项目申报", documentation="第六条 建设单位申报",
                properties={"form": "test/declare", "legalBasis": "第六条", "dueIn": "10wd"})
    d.text_annotation("NoteDeclare", "第六条", attached_to="Declare")
    d.exclusive("GwScope", lane="data_bureau", col=3, name="10万元以下？", documentation="第五条")
    d.end("EndOut", lane="data_bureau", col=4, row=1, name="无需论证", properties={"outcome": "out_of_scope"})
    d.parallel("ForkReview", lane="data_bureau", col=4)
    d.user_task("ReviewData", lane="data_bureau", col=5, name="数据审查", properties=review_props("data"))
    d.user_task("ReviewTech", lane="data_bureau", col=5, row=1, name="技术审查",
                properties=review_props("tech"))
    d.user_task("ReviewFinance", lane="finance", col=5, name="资金审查", properties=review_props("finance"))
    d.boundary_timer("Overdue", attached_to="ReviewFinance", name="审查逾期", duration='"P5D"',
                     interrupting=False)
    d.script_task("LogOverdue", lane="finance", col=6, row=1, name="记录逾期", script="overdue = True")
    d.end("EndOverdue", lane="finance", col=7, row=1, name="已记录", properties={"outcome": "completed"})
    d.parallel("JoinReview", lane="data_bureau", col=6)
    d.script_task("Tally", lane="data_bureau", col=7, name="汇总审查意见", script=(
        'passed = ReviewData == "approve" and ReviewTech == "approve" and ReviewFinance == "approve"\n'
        'rejected = "reject" in [ReviewData, ReviewTech, ReviewFinance]'))
    d.exclusive("GwPassed", lane="data_bureau", col=8, name="审查结论？")
    d.end("EndRejected", lane="data_bureau", col=9, name="论证不通过", terminate=True,
          properties={"outcome": "rejected"})
    d.user_task("Allocate", lane="finance", col=9, name="安排资金", properties=review_props("allocate"))
    d.timer_catch("WaitYear", lane="finance", col=10, name="等到计划年度", date='"2000-01-01T00:00:00+08:00"')
    d.end("EndDone", lane="finance", col=11, name="完成", properties={"outcome": "completed"})

    d.flow("StartEvent", "GwResubmit")
    d.flow("GwResubmit", "Declare")
    d.flow("Declare", "GwScope")
    d.flow("GwScope", "EndOut", name="是", condition="total_investment <= 10")
    d.flow("GwScope", "ForkReview", name="否", default=True)
    for review in REVIEWS:
        d.flow("ForkReview", review)
        d.flow(review, "JoinReview")
    d.flow("Overdue", "LogOverdue")
    d.flow("LogOverdue", "EndOverdue")
    d.flow("JoinReview", "Tally")
    d.flow("Tally", "GwPassed")
    d.flow("GwPassed", "Allocate", name="通过", condition="passed")
    d.flow("GwPassed", "EndRejected", name="否决", condition="rejected")
    d.flow("GwPassed", "GwResubmit", name="退回修改", default=True)
    d.flow("Allocate", "WaitYear")
    d.flow("WaitYear", "EndDone")
    return d


def parse(*diagrams, dmn=None, process_id="test_proc"):
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for d in diagrams:
        parser.add_bpmn_str(d.to_xml())
    if dmn:
        parser.add_dmn_str(dmn.encode())
    spec = parser.get_spec(process_id)
    return spec, parser.get_subprocess_specs(process_id)


def ready(wf):
    return {t.task_spec.name: t for t in wf.get_tasks(state=TaskState.READY, manual=True)}


def complete(wf, name, **data):
    task = ready(wf)[name]
    task.data.update(data)
    task.run()
    wf.do_engine_steps()


def start(d=None):
    spec, subprocesses = parse(d or sample_diagram())
    wf = BpmnWorkflow(spec, subprocesses)
    wf.do_engine_steps()
    return wf


def review_round(wf, data, tech, finance):
    assert set(ready(wf)) == set(REVIEWS)
    for name, decision in zip(REVIEWS, (data, tech, finance), strict=True):
        complete(wf, name, **{name: decision})


def finished_ends(wf):
    ends = {"EndOut", "EndOverdue", "EndRejected", "EndDone"}
    return {t.task_spec.name for t in wf.get_tasks(state=TaskState.COMPLETED)} & ends


def test_it_parses_with_xsd_validation_and_keeps_lanes_and_properties():
    spec, _ = parse(sample_diagram())
    declare = spec.task_specs["Declare"]
    assert declare.lane == "建设单位"
    assert declare.extensions["properties"] == {
        "form": "test/declare", "legalBasis": "第六条", "dueIn": "10wd"}
    assert spec.task_specs["ReviewData"].lane == "区数管局"
    assert spec.task_specs["ReviewFinance"].lane == "区财政局"
    assert spec.task_specs["ReviewFinance"].extensions["properties"]["form"] == "test/finance"
    assert spec.task_specs["EndRejected"].extensions["properties"] == {"outcome": "rejected"}
    assert spec.task_specs["Overdue"].lane == "区财政局"


def test_it_runs_a_loop_back_then_approval_to_the_end():
    wf = start()
    complete(wf, "Declare", total_investment=50)
    review_round(wf, "return", "approve", "approve")
    assert set(ready(wf)) == {"Declare"}
    for name in REVIEWS:   # SpiffWorkflow's join lets the last branch win on shared keys: drop old answers
        ready(wf)["Declare"].data.pop(name)
    complete(wf, "Declare", total_investment=60)
    review_round(wf, "approve", "approve", "approve")
    complete(wf, "Allocate")   # the timer's date lies in the past: it fires on the next refresh
    wf.refresh_timers()
    wf.do_engine_steps()
    assert wf.is_completed()
    assert finished_ends(wf) == {"EndDone"}
    assert wf.data["total_investment"] == 60


def test_it_runs_the_conditional_and_the_terminate_ends():
    wf = start()
    complete(wf, "Declare", total_investment=5)
    assert wf.is_completed() and finished_ends(wf) == {"EndOut"}
    wf = start()
    complete(wf, "Declare", total_investment=50)
    review_round(wf, "approve", "reject", "approve")
    assert wf.is_completed() and finished_ends(wf) == {"EndRejected"}


def tree(d):
    return etree.fromstring(d.to_xml())


def bounds_of(root):
    out = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NSMAP):
        b = shape.find("dc:Bounds", NSMAP)
        out[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return out


def on_border(point, box, kind):
    (px, py), (x, y, w, h) = point, box
    cx, cy = x + w / 2, y + h / 2
    if kind.endswith("Gateway"):
        return math.isclose(abs(px - cx) / (w / 2) + abs(py - cy) / (h / 2), 1)
    if kind.endswith("Event"):
        return math.isclose(math.hypot(px - cx, py - cy), w / 2)
    inside = x <= px <= x + w and y <= py <= y + h
    return inside and (px in (x, x + w) or py in (y, y + h))


def waypoints(edge):
    return [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NSMAP)]


def assert_di_is_complete_and_orthogonal(d):
    root = tree(d)
    shapes = bounds_of(root)
    process = root.find("bpmn:process", NSMAP)
    kinds = {el.get("id"): etree.QName(el).localname for el in process}
    kinds = {key: kind for key, kind in kinds.items() if kind in FLOW_NODES}
    assert set(kinds) <= set(shapes)
    assert {f"Participant_{d._base}"} | {f"lane_{key}" for key in d.lanes} <= set(shapes)
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NSMAP)}
    flows = process.findall("bpmn:sequenceFlow", NSMAP)
    for flow in flows:
        edge = edges[flow.get("id")]
        points = waypoints(edge)
        assert len(points) >= 2
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            assert x0 == x1 or y0 == y1, flow.get("id")
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        assert on_border(points[0], shapes[source], kinds[source]), flow.get("id")
        assert on_border(points[-1], shapes[target], kinds[target]), flow.get("id")
        assert (edge.find("bpmndi:BPMNLabel/dc:Bounds", NSMAP) is not None) == bool(flow.get("name"))
    return root, kinds, flows, shapes, edges


def test_it_gives_every_element_a_shape_or_edge_with_orthogonal_waypoints_on_the_borders():
    root, kinds, flows, shapes, edges = assert_di_is_complete_and_orthogonal(sample_diagram())
    assert len(kinds) == 19 and len(flows) == 20
    gateway = root.find(".//bpmndi:BPMNShape[@bpmnElement='GwScope']", NSMAP)
    assert gateway.get("isMarkerVisible") == "true"
    assert gateway.find("bpmndi:BPMNLabel/dc:Bounds", NSMAP) is not None
    assert "Association_NoteDeclare" in edges and "NoteDeclare" in shapes
    assert_di_is_complete_and_orthogonal(other_kinds()[0])


def routing_diagram():
    """Loops into a lower lane, a flow up the same column, boundary flows down and along a corridor."""
    d = Diagram("routing", "走线", lanes=[("a", "甲"), ("b", "乙")])
    d.start("StartEvent", lane="a", col=0, name="开始")
    d.user_task("Revise", lane="a", col=4, name="修改")
    d.boundary_timer("Remind", attached_to="Revise", name="提醒", duration='"P1D"', interrupting=False)
    d.end("EndRemind", lane="a", col=5, name="已提醒")
    d.exclusive("Merge", lane="b", col=1)
    d.user_task("Work", lane="b", col=2, name="办理")
    d.boundary_timer("Late", attached_to="Work", name="超时", duration='"P1D"', interrupting=False)
    d.user_task("Chase", lane="b", col=2, row=1, name="催办")
    d.end("EndLate", lane="b", col=3, row=1, name="已催办")
    d.exclusive("Gw", lane="b", col=4, name="结果？")
    d.end("EndOk", lane="b", col=6, name="完成")
    for source, target in [("StartEvent", "Merge"), ("Merge", "Work"), ("Work", "Gw"), ("Revise", "Merge"),
                           ("Remind", "EndRemind"), ("Late", "Chase"), ("Chase", "EndLate")]:
        d.flow(source, target)
    d.flow("Gw", "Revise", name="退回", condition="back")
    d.flow("Gw", "EndOk", name="通过", default=True)
    return d


def test_it_routes_loops_columns_and_boundary_flows_around_the_shapes():
    root, _kinds, _flows, shapes, edges = assert_di_is_complete_and_orthogonal(routing_diagram())

    def points(flow_id):
        return waypoints(edges[flow_id])

    lane_a = shapes["lane_a"]
    revise_loop = points("Flow_Revise_Merge")      # runs under lane a's row, comes down into the merge
    assert revise_loop[1][1] < lane_a[1] + lane_a[3] and revise_loop[-1][1] == shapes["Merge"][1]
    assert points("Flow_Gw_Revise")[-1][1] == shapes["Revise"][1] + shapes["Revise"][3]
    assert revise_loop[0][0] != points("Flow_Gw_Revise")[-1][0]     # does not run on the incoming flow
    assert len(points("Flow_Late_Chase")) == 2                        # straight down from the boundary
    assert len(points("Flow_Remind_EndRemind")) == 5                  # down to the corridor, then across
    spec, _ = parse(routing_diagram(), process_id="routing")
    assert spec.task_specs["Late"].lane == "乙"


@pytest.mark.parametrize("build", [sample_diagram, lambda: other_kinds()[0], routing_diagram])
def test_it_places_no_two_shapes_on_top_of_each_other_and_all_inside_the_pool(build):
    d = build()
    root = tree(d)
    shapes = bounds_of(root)
    hosts = {b.get("id"): b.get("attachedToRef") for b in root.iterfind(".//bpmn:boundaryEvent", NSMAP)}
    px, py, pw, ph = shapes.pop(f"Participant_{d._base}")
    for key in d.lanes:
        assert shapes.pop(f"lane_{key}")[0] == px + 30
    items = sorted(shapes.items())
    for i, (a, (ax, ay, aw, ah)) in enumerate(items):
        assert px <= ax and ax + aw <= px + pw and py <= ay and ay + ah <= py + ph, a
        for b, (bx, by, bw, bh) in items[i + 1:]:
            touching = ax <= bx + bw and bx <= ax + aw and ay <= by + bh and by <= ay + ah   # as bpmnlint
            assert not touching or hosts.get(a) == b or hosts.get(b) == a, (a, b)


def test_it_writes_the_structure_of_the_modelling_conventions(tmp_path):
    d = sample_diagram()
    path = d.write(tmp_path / "out" / "test_proc.bpmn")
    data = path.read_bytes()
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(data)
    assert root.get("id") == "Definitions_test_proc" and root.get("exporter") == "govflow"
    participant = root.find("bpmn:collaboration/bpmn:participant", NSMAP)
    assert participant.get("processRef") == "test_proc" and participant.get("name") == "测试流程"
    process = root.find("bpmn:process", NSMAP)
    assert process.get("isExecutable") == "true"
    lanes = {lane.get("id"): [r.text for r in lane] for lane in process.iterfind(".//bpmn:lane", NSMAP)}
    assert "Overdue" in lanes["lane_finance"] and "Declare" in lanes["lane_applicant"]
    gateway = process.find("bpmn:exclusiveGateway[@id='GwScope']", NSMAP)
    assert gateway.get("default") == "Flow_GwScope_ForkReview"
    condition = process.find("bpmn:sequenceFlow[@id='Flow_GwScope_EndOut']/bpmn:conditionExpression", NSMAP)
    assert condition.text == "total_investment <= 10"
    assert condition.get(f"{{{NSMAP['xsi']}}}type") == "bpmn:tFormalExpression"
    assert process.find("bpmn:endEvent[@id='EndRejected']/bpmn:terminateEventDefinition", NSMAP) is not None
    overdue = process.find("bpmn:boundaryEvent[@id='Overdue']", NSMAP)
    assert overdue.get("cancelActivity") == "false" and overdue.get("attachedToRef") == "ReviewFinance"
    assert overdue.find("bpmn:timerEventDefinition/bpmn:timeDuration", NSMAP).text == '"P5D"'
    assert process.find("bpmn:scriptTask[@id='LogOverdue']/bpmn:script", NSMAP).text == "overdue = True"


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Definitions_t" name="t"
             namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="test_threshold" name="门槛">
    <decisionTable id="DecisionTable_t" hitPolicy="FIRST">
      <input id="Input_1" label="总投资"><inputExpression id="InputExpression_1" typeRef="number">
        <text>amount</text></inputExpression></input>
      <output id="Output_1" label="需要会审" name="collective" typeRef="boolean" />
      <rule id="Rule_1"><inputEntry id="In_1"><text>&gt; 400</text></inputEntry>
        <outputEntry id="Out_1"><text>True</text></outputEntry></rule>
      <rule id="Rule_2"><inputEntry id="In_2"><text>-</text></inputEntry>
        <outputEntry id="Out_2"><text>False</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


def other_kinds():
    """A dotted process id calling another process, with a business rule task, an inclusive gateway,
    a manual task and a cycle timer."""
    d = Diagram("suqian.change_request", "变更申请",
                lanes=[("applicant", "建设单位"), ("leadership", "领导班子")])
    d.start("StartEvent", lane="applicant", col=0, name="开始")
    d.user_task("Apply", lane="applicant", col=1, name="提出变更", properties=review_props("apply"))
    d.business_rule_task("Decide", lane="applicant", col=2, name="判断是否会审", decision_id="test_threshold")
    d.inclusive("GwWhich", lane="applicant", col=3, name="需要哪些环节？")
    d.manual_task("Archive", lane="applicant", col=4, name="归档", properties={"legalBasis": "第九条"})
    d.call_activity("Collective", lane="leadership", col=4, name="集体研究", called_element="test.sub")
    d.boundary_timer("Remind", attached_to="Collective", name="每周提醒", cycle='"R2/PT1H"',
                     interrupting=False)
    d.end("EndRemind", lane="leadership", col=5, row=1, name="已提醒", properties={"outcome": "completed"})
    d.inclusive("GwJoin", lane="applicant", col=5)
    d.end("EndDone", lane="applicant", col=6, name="结束", properties={"outcome": "completed"})
    d.flow("StartEvent", "Apply")
    d.flow("Apply", "Decide")
    d.flow("Decide", "GwWhich")
    d.flow("GwWhich", "Archive", name="归档", default=True)
    d.flow("GwWhich", "Collective", name="会审", condition="collective")
    d.flow("Remind", "EndRemind")
    d.flow("Archive", "GwJoin")
    d.flow("Collective", "GwJoin")
    d.flow("GwJoin", "EndDone")
    sub = Diagram("test.sub", "集体研究", lanes=[("leadership", "领导班子")])
    sub.start("SubStart", lane="leadership", col=0, name="开始")
    sub.user_task("Meet", lane="leadership", col=1, name="会议研究", properties=review_props("meet"))
    sub.end("SubEnd", lane="leadership", col=2, name="结束", properties={"outcome": "completed"})
    sub.flow("SubStart", "Meet")
    sub.flow("Meet", "SubEnd")
    return d, sub


def test_it_supports_call_activities_business_rules_inclusive_gateways_and_dotted_ids():
    d, sub = other_kinds()
    root = tree(d)
    assert root.get("id") == "Definitions_suqian_change_request"
    assert root.find("bpmn:collaboration", NSMAP).get("id") == "Collaboration_suqian_change_request"
    spec, subprocesses = parse(d, sub, dmn=DMN, process_id="suqian.change_request")
    assert spec.task_specs["Decide"].extensions["calledDecisionId"] == "test_threshold"
    assert set(subprocesses) == {"test.sub"}
    wf = BpmnWorkflow(spec, subprocesses)
    wf.do_engine_steps()
    complete(wf, "Apply", amount=500)
    assert set(ready(wf)) == {"Meet"}
    complete(wf, "Meet")
    assert wf.is_completed() and wf.data["collective"] is True
    wf = BpmnWorkflow(spec, subprocesses)
    wf.do_engine_steps()
    complete(wf, "Apply", amount=5)
    complete(wf, "Archive")
    assert wf.is_completed() and wf.data["collective"] is False


@pytest.mark.parametrize("build, message", [
    (lambda d: d.user_task("X", lane="nobody", col=9), "X: unknown lane 'nobody'"),
    (lambda d: d.user_task("X", lane="applicant", col=2),
     "X: lane 'applicant' col 2 row 0 is already taken by Declare"),
    (lambda d: d.user_task("X", lane="applicant", col=-1), "X: col and row must be integers >= 0"),
    (lambda d: d.script_task("X", lane="applicant", col=20), "X: script= is required"),
    (lambda d: d.flow("ForkReview", "Overdue") and d.to_xml(), "a boundary event cannot have incoming flows"),
    (lambda d: d.user_task("Declare", lane="applicant", col=20), "Declare: duplicate element id"),
    (lambda d: d.start("Start", lane="applicant", col=20), "Start: id is reserved by SpiffWorkflow"),
    (lambda d: d.user_task("1x", lane="applicant", col=20), "'1x': an element id must be an XML name"),
    (lambda d: d.timer_catch("T", lane="applicant", col=20), "T: a timer needs exactly one of"),
    (lambda d: d.flow("Declare", "Nope") and d.to_xml(), "Flow_Declare_Nope: unknown element 'Nope'"),
    (lambda d: d.flow("GwPassed", "EndDone", default=True) and d.to_xml(), "GwPassed already has a default"),
    (lambda d: d.boundary_timer("B", attached_to="StartEvent", duration='"P1D"') and d.to_xml(),
     "B: attached_to 'StartEvent' is not a task"),
])
def test_it_refuses_mistakes_with_a_clear_message(build, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build(sample_diagram())


def test_it_dedupes_flow_ids():
    d = sample_diagram()
    assert d.flow("StartEvent", "GwResubmit") == "Flow_StartEvent_GwResubmit_2"
