"""scripts/check_layout.py: each rule on small hand-written DI, and the check over every committed diagram."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_layout", ROOT / "scripts" / "check_layout.py")
layout = importlib.util.module_from_spec(_spec)
sys.modules["check_layout"] = layout
_spec.loader.exec_module(layout)

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="D" targetNamespace="http://bpmn.io/schema/bpmn">')


def bpmn(process: str, di: str, collaboration: str = "", planes: str = "") -> bytes:
    return (f'{HEAD}{collaboration}<bpmn:process id="P" isExecutable="true">{process}</bpmn:process>'
            f'<bpmndi:BPMNDiagram id="Dia"><bpmndi:BPMNPlane id="Plane" bpmnElement="{"C" if collaboration else "P"}">'
            f'{di}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>{planes}</bpmn:definitions>').encode()


def shape(element: str, x: int, y: int, w: int, h: int, label: tuple | None = None, extra: str = "") -> str:
    inner = ""
    if label:
        inner = '<bpmndi:BPMNLabel><dc:Bounds x="{}" y="{}" width="{}" height="{}"/></bpmndi:BPMNLabel>'.format(*label)
    return (f'<bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}" {extra}>'
            f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/>{inner}</bpmndi:BPMNShape>')


def edge(element: str, *points: tuple[int, int], label: tuple | None = None) -> str:
    inner = "".join(f'<di:waypoint x="{x}" y="{y}"/>' for x, y in points)
    if label:
        inner += '<bpmndi:BPMNLabel><dc:Bounds x="{}" y="{}" width="{}" height="{}"/></bpmndi:BPMNLabel>'.format(*label)
    return f'<bpmndi:BPMNEdge id="{element}_di" bpmnElement="{element}">{inner}</bpmndi:BPMNEdge>'


# Start (100,100)–(136,136) → Task (200,78)–(300,158) → End (400,100)–(436,136); a second task below.
LINE = ('<bpmn:startEvent id="Start" name="开始"/><bpmn:task id="Task" name="审核"/>'
        '<bpmn:task id="Other" name="另一个任务"/><bpmn:endEvent id="End" name="办结"/>'
        '<bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Task"/>'
        '<bpmn:sequenceFlow id="F2" sourceRef="Task" targetRef="End"/>')
LINE_SHAPES = (shape("Start", 100, 100, 36, 36, (96, 141, 44, 14)) + shape("Task", 200, 78, 100, 80)
               + shape("Other", 200, 300, 100, 80) + shape("End", 400, 100, 36, 36, (396, 141, 44, 14)))


def problems(xml: bytes, **kwargs) -> list[str]:
    return [p for found in layout.check(xml, **kwargs).values() for p in found]


# --- geometry --------------------------------------------------------------------------------------

def test_segment_through_a_rectangle_crosses_and_along_its_border_does_not():
    box = layout.rect_polygon(0, 0, 100, 80)
    assert layout.segment_crosses((-10, 40), (110, 40), box)
    assert layout.segment_crosses((50, 40), (50, 200), box)  # starting inside
    assert not layout.segment_crosses((-10, 0), (110, 0), box)  # along the top border
    assert not layout.segment_crosses((100, -10), (100, 90), box)  # along the right border
    assert not layout.segment_crosses((-10, -5), (110, -5), box)  # above it
    assert not layout.segment_crosses((100, 40), (200, 40), box)  # leaving from the border


def test_gateway_diamond_and_event_circle_leave_their_corners_free():
    diamond = layout.diamond_polygon(0, 0, 50, 50)
    assert not layout.segment_crosses((0, 5), (5, 0), diamond)  # the bounding box's corner
    assert layout.segment_crosses((0, 25), (50, 25), diamond)
    circle = layout.circle_polygon(0, 0, 36, 36)
    assert not layout.segment_crosses((0, 2), (2, 0), circle)
    assert layout.segment_crosses((18, -10), (18, 50), circle)


def test_overlap_needs_more_than_touching():
    a = layout.rect_polygon(0, 0, 90, 14)
    assert layout.polygons_overlap(a, layout.rect_polygon(80, 10, 90, 14))
    assert not layout.polygons_overlap(a, layout.rect_polygon(90, 0, 90, 14))  # side by side
    assert not layout.polygons_overlap(a, layout.rect_polygon(0, 14, 90, 14))  # one below the other
    assert not layout.polygons_overlap(layout.rect_polygon(0, 0, 10, 10), layout.diamond_polygon(8, 8, 50, 50))


def test_default_label_is_90_px_wide_centred_below_and_grows_with_the_name():
    assert layout.default_label_bounds(100, 100, 36, 36, "开始") == (73, 136, 90, 14)
    assert layout.default_label_bounds(100, 100, 36, 36, "须按规定重新履行审批手续")[3] == 28  # 12 × 14 px → 2 lines
    assert layout.default_label_bounds(0, 0, 50, 50, "x" * 30)[3] == 42  # 30 × 7 px → 3 lines


# --- (a) connections through shapes ----------------------------------------------------------------

def test_clean_diagram_passes():
    di = LINE_SHAPES + edge("F1", (136, 118), (200, 118)) + edge("F2", (300, 118), (400, 118))
    assert problems(bpmn(LINE, di)) == []


def test_flow_through_a_task_it_does_not_connect():
    process = LINE + '<bpmn:sequenceFlow id="Skip" sourceRef="Start" targetRef="End"/>'
    di = (LINE_SHAPES + edge("F1", (136, 118), (200, 118)) + edge("F2", (300, 118), (400, 118))
          + edge("Skip", (118, 136), (118, 340), (418, 340), (418, 136)))
    found = problems(bpmn(process, di))
    assert found == ["顺序流 Skip 第 2 段穿过了 Other"]


def test_flow_along_a_border_or_around_a_shape_is_fine():
    process = LINE + '<bpmn:sequenceFlow id="Skip" sourceRef="Start" targetRef="End"/>'
    di = (LINE_SHAPES + edge("F1", (136, 118), (200, 118)) + edge("F2", (300, 118), (400, 118))
          + edge("Skip", (118, 136), (118, 300), (418, 300), (418, 136)))  # along Other's top border
    assert problems(bpmn(process, di)) == []


def test_flow_through_its_own_source_is_not_a_crossing_of_another_shape_but_a_gateway_in_the_way_is():
    process = ('<bpmn:task id="A"/><bpmn:exclusiveGateway id="Gw" name="通过？"/><bpmn:task id="B"/>'
               '<bpmn:sequenceFlow id="AB" sourceRef="A" targetRef="B"/>')
    di = (shape("A", 0, 0, 100, 80) + shape("Gw", 150, 15, 50, 50, (220, 0, 40, 14), 'isMarkerVisible="true"')
          + shape("B", 300, 0, 100, 80))
    assert problems(bpmn(process, di + edge("AB", (100, 40), (300, 40)))) == ["顺序流 AB 第 1 段穿过了 Gw"]
    # passing the gateway's bounding-box corner, outside the diamond
    assert problems(bpmn(process, di + edge("AB", (100, 70), (148, 70), (148, 90), (300, 90), (300, 80)))) == []


def test_boundary_event_flow_may_touch_its_host_but_not_cross_it():
    process = ('<bpmn:task id="Host"/><bpmn:boundaryEvent id="Timer" attachedToRef="Host"/><bpmn:task id="Remind"/>'
               '<bpmn:sequenceFlow id="Esc" sourceRef="Timer" targetRef="Remind"/>')
    di = (shape("Host", 0, 0, 100, 80) + shape("Timer", 62, 62, 36, 36) + shape("Remind", 200, 150, 100, 80))
    assert problems(bpmn(process, di + edge("Esc", (80, 98), (80, 190), (200, 190)))) == []
    # from the event's centre on the host's bottom border, along that border, then away
    assert problems(bpmn(process, di + edge("Esc", (80, 80), (150, 80), (150, 190), (200, 190)))) == []
    # down, then back up through the host
    found = problems(bpmn(process, di + edge("Esc", (80, 98), (80, 110), (30, 110), (30, 40), (250, 40), (250, 150))))
    assert found == ["顺序流 Esc 第 3 段穿过了 Host（所附边界事件的宿主）"]


def test_pools_lanes_and_the_enclosing_expanded_sub_process_are_not_obstacles():
    collaboration = ('<bpmn:collaboration id="C"><bpmn:participant id="Pool" processRef="P"/>'
                     '<bpmn:participant id="Citizen"/>'
                     '<bpmn:messageFlow id="Msg" sourceRef="Citizen" targetRef="Inner"/></bpmn:collaboration>')
    process = ('<bpmn:laneSet id="LS"><bpmn:lane id="lane_a"/></bpmn:laneSet>'
               '<bpmn:subProcess id="Phase"><bpmn:task id="Inner"/><bpmn:task id="Inner2"/>'
               '<bpmn:sequenceFlow id="In" sourceRef="Inner" targetRef="Inner2"/></bpmn:subProcess>'
               '<bpmn:subProcess id="Elsewhere"/>')
    di = (shape("Pool", 0, 0, 1000, 400, extra='isHorizontal="true"')
          + shape("lane_a", 30, 0, 970, 400, extra='isHorizontal="true"')
          + shape("Citizen", 0, 500, 1000, 100, extra='isHorizontal="true"')
          + shape("Phase", 100, 50, 400, 200, extra='isExpanded="true"')
          + shape("Inner", 150, 100, 100, 80) + shape("Inner2", 350, 100, 100, 80)
          + edge("In", (250, 140), (350, 140)))
    clean = di + edge("Msg", (200, 500), (200, 180))
    assert problems(bpmn(process, clean, collaboration)) == []
    elsewhere = shape("Elsewhere", 600, 50, 300, 200, extra='isExpanded="true"')
    around = di + elsewhere + edge("Msg", (550, 500), (550, 300), (200, 300), (200, 180))
    assert problems(bpmn(process, around, collaboration)) == []
    # an expanded sub-process that does not hold the connection is in the way
    through = di + elsewhere + edge("Msg", (700, 500), (700, 20), (200, 20), (200, 100))
    assert problems(bpmn(process, through, collaboration)) == ["消息流 Msg 第 1 段穿过了 Elsewhere"]


def test_association_through_a_shape():
    process = (LINE + '<bpmn:textAnnotation id="Note"><bpmn:text>第七条</bpmn:text></bpmn:textAnnotation>'
               '<bpmn:association id="Assoc" sourceRef="Note" targetRef="End"/>')
    di = (LINE_SHAPES + shape("Note", 0, 20, 80, 30) + edge("F1", (136, 118), (200, 118))
          + edge("F2", (300, 118), (400, 118)))
    assert problems(bpmn(process, di + edge("Assoc", (80, 35), (418, 35), (418, 100)))) == []
    assert problems(bpmn(process, di + edge("Assoc", (80, 35), (250, 110), (400, 118)))) == [
        "关联 Assoc 第 1 段穿过了 Task"]


# --- (b) labels ------------------------------------------------------------------------------------

def test_flow_label_on_another_shape_and_two_labels_overlapping():
    process = LINE.replace('id="F2"', 'id="F2" name="同意"')
    di = LINE_SHAPES + edge("F1", (136, 118), (200, 118))
    assert problems(bpmn(process, di + edge("F2", (300, 118), (400, 118), label=(330, 100, 28, 14)))) == []
    assert problems(bpmn(process, di + edge("F2", (300, 118), (400, 118), label=(380, 100, 28, 14)))) == [
        "标签 F2 压在图形 End 上"]
    assert problems(bpmn(process, di + edge("F2", (300, 118), (400, 118), label=(400, 145, 28, 14)))) == [
        "标签 End 与标签 F2 重叠"]


def test_own_label_over_own_shape_and_unnamed_or_task_labels_do_not_count():
    process = LINE.replace('name="办结"', '')
    di = (shape("Start", 100, 100, 36, 36, (100, 100, 36, 36)) + shape("Task", 200, 78, 100, 80, (200, 78, 100, 80))
          + shape("Other", 200, 300, 100, 80) + shape("End", 400, 100, 36, 36, (200, 78, 44, 14))
          + edge("F1", (136, 118), (200, 118)) + edge("F2", (300, 118), (400, 118)))
    assert problems(bpmn(process, di)) == []


def test_default_label_of_an_event_without_label_bounds():
    process = ('<bpmn:endEvent id="End" name="须按规定重新履行审批手续"/><bpmn:task id="Below" name="下一步"/>'
               '<bpmn:endEvent id="Short" name="办结"/>')
    # End's default label spans y 136–164 (two lines); Below starts at 150, Short's at 136–150
    di = shape("End", 100, 100, 36, 36) + shape("Below", 70, 150, 100, 80)
    assert problems(bpmn(process, di)) == ["标签 End 压在图形 Below 上"]
    di = shape("Short", 100, 100, 36, 36) + shape("Below", 70, 150, 100, 80)
    assert problems(bpmn(process, di)) == []


# --- (c) width, planes, the command ----------------------------------------------------------------

def test_plane_too_wide():
    di = shape("Start", 100, 100, 36, 36, (96, 141, 44, 14)) + shape("End", 8200, 100, 36, 36, (8196, 141, 44, 14))
    process = '<bpmn:startEvent id="Start" name="开始"/><bpmn:endEvent id="End" name="办结"/>'
    assert problems(bpmn(process, di)) == ["平面宽 8,144 px，超过上限 8,000 px"]  # label 96 … End's label 8240
    assert problems(bpmn(process, di), max_width=9000) == []


def test_each_plane_of_a_collapsed_sub_process_is_checked_on_its_own():
    process = ('<bpmn:startEvent id="Start"/><bpmn:subProcess id="Phase">'
               '<bpmn:task id="A"/><bpmn:task id="B"/><bpmn:task id="C"/>'
               '<bpmn:sequenceFlow id="AC" sourceRef="A" targetRef="C"/></bpmn:subProcess>'
               '<bpmn:sequenceFlow id="SP" sourceRef="Start" targetRef="Phase"/>')
    # on the top plane Phase is collapsed; its content sits on its own plane, where A → C crosses B;
    # B's coordinates would also cross SP on the top plane, but B is not drawn there
    top = (shape("Start", 100, 100, 36, 36) + shape("Phase", 300, 78, 100, 80)
           + edge("SP", (136, 118), (300, 118)))
    inner = ('<bpmndi:BPMNDiagram id="DiaPhase"><bpmndi:BPMNPlane id="PlanePhase" bpmnElement="Phase">'
             + shape("A", 100, 100, 100, 80) + shape("B", 250, 100, 100, 80) + shape("C", 400, 100, 100, 80)
             + edge("AC", (200, 140), (400, 140)) + '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>')
    assert layout.check(bpmn(process, top, planes=inner)) == {"PlanePhase（Phase）": ["顺序流 AC 第 1 段穿过了 B"]}


def test_command_prints_problems_and_a_summary_per_file(tmp_path, capsys):
    good = tmp_path / "good.bpmn"
    good.write_bytes(bpmn(LINE, LINE_SHAPES + edge("F1", (136, 118), (200, 118)) + edge("F2", (300, 118), (400, 118))))
    assert layout.main([str(good)]) == 0
    assert capsys.readouterr().out.strip() == f"{good}: 通过（1 个平面）"
    wide = tmp_path / "wide.bpmn"
    wide.write_bytes(bpmn(LINE, LINE_SHAPES.replace('x="400"', 'x="9400"')
                          + edge("F1", (136, 118), (200, 118)) + edge("F2", (300, 118), (9400, 118))))
    assert layout.main([str(good), str(wide)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{wide} [Plane（P）]: 平面宽")
    assert out[-2:] == [f"{good}: 通过（1 个平面）", f"{wide}: 1 个问题（1 个平面）"]
    assert layout.main(["--max-width", "10000", str(wide)]) == 0


# --- every committed diagram -----------------------------------------------------------------------

DIAGRAMS = sorted((ROOT / "bpmn_diagrams").rglob("*.bpmn"))


def test_every_committed_diagram_passes_the_layout_check():
    assert DIAGRAMS
    found = {str(p.relative_to(ROOT)): layout.check(p.read_bytes()) for p in DIAGRAMS}
    assert {path: planes for path, planes in found.items() if planes} == {}
