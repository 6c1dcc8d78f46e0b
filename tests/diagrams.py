"""Tiny test diagrams: one pool, lanes ``lane_<role>``, a handful of shapes on a grid with simple DI.

Only what the tests (and benchmarks/timers_throughput.py) need — start, end (``properties=
{"outcome": …}``), user and script tasks, gateways, timer catch events and boundary timers::

    d = Diagram("yeji.test_wait", "定时器测试流程", [("applicant", "建设单位")])
    d.start("StartEvent", lane="applicant", col=0, name="开始")
    d.timer_catch("Wait", lane="applicant", col=1, name="等待", duration='"P1D"')
    d.end("EndEvent", lane="applicant", col=2, name="结束", properties={"outcome": "completed"})
    d.flow("StartEvent", "Wait")
    d.flow("Wait", "EndEvent")
    xml = d.to_xml()          # UTF-8 bytes; d.write(path) writes them

The real diagrams in bpmn_diagrams/ are edited in a modeler or by hand, never generated.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Definitions_{base}" '
        'targetNamespace="http://bpmn.io/schema/bpmn">\n')
POOL_X, POOL_Y, LANE_X, COL0, COL_W, ROW_H = 160, 80, 190, 280, 170, 130


def _attrs(**attrs) -> str:
    return "".join(f" {k}={quoteattr(str(v))}" for k, v in attrs.items() if v is not None)


@dataclass
class _Node:
    id: str
    tag: str
    lane: str
    col: int
    row: int
    name: str | None
    properties: dict
    body: str = ""                                  # script or event definition, after incoming/outgoing
    attrs: dict = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        if self.tag.endswith("Gateway"):
            return 50, 50
        return (36, 36) if self.tag.endswith("Event") else (100, 80)


@dataclass
class _Flow:
    id: str
    source: str
    target: str
    name: str | None
    condition: str | None


def _timer(date=None, duration=None, cycle=None) -> str:
    given = [(kind, e) for kind, e in (("timeDate", date), ("timeDuration", duration), ("timeCycle", cycle)) if e]
    if len(given) != 1:
        raise ValueError("a timer needs exactly one of date=, duration=, cycle=")
    kind, expression = given[0]
    return (f'<bpmn:timerEventDefinition><bpmn:{kind} xsi:type="bpmn:tFormalExpression">{escape(expression)}'
            f'</bpmn:{kind}></bpmn:timerEventDefinition>')


class Diagram:
    """A one-pool process laid out on a grid: `col` across the pool, `row` a sub-row of the lane."""

    def __init__(self, process_id: str, process_name: str, lanes: list[tuple[str, str]]):
        self.process_id, self.process_name, self.lanes = process_id, process_name, dict(lanes)
        self.nodes: dict[str, _Node] = {}
        self.flows: list[_Flow] = []
        self.defaults: dict[str, str] = {}

    def _add(self, tag, element_id, *, lane, col, row=0, name=None, properties=None, body="", **attrs):
        if lane not in self.lanes:
            raise ValueError(f"{element_id}: unknown lane {lane!r}")
        self.nodes[element_id] = _Node(element_id, tag, lane, col, row, name,
                                       {k: str(v) for k, v in (properties or {}).items()}, body, attrs)
        return element_id

    def start(self, element_id, **kw):
        return self._add("startEvent", element_id, **kw)

    def end(self, element_id, **kw):
        return self._add("endEvent", element_id, **kw)

    def user_task(self, element_id, **kw):
        return self._add("userTask", element_id, **kw)

    def script_task(self, element_id, *, script, **kw):
        return self._add("scriptTask", element_id, body=f"<bpmn:script>{escape(script)}</bpmn:script>", **kw)

    def exclusive(self, element_id, **kw):
        return self._add("exclusiveGateway", element_id, **kw)

    def parallel(self, element_id, **kw):
        return self._add("parallelGateway", element_id, **kw)

    def timer_catch(self, element_id, *, date=None, duration=None, cycle=None, **kw):
        return self._add("intermediateCatchEvent", element_id, body=_timer(date, duration, cycle), **kw)

    def boundary_timer(self, element_id, *, attached_to, name=None, date=None, duration=None, cycle=None,
                       interrupting=True, properties=None):
        host = self.nodes[attached_to]
        return self._add("boundaryEvent", element_id, lane=host.lane, col=host.col, row=host.row, name=name,
                         properties=properties, body=_timer(date, duration, cycle),
                         cancelActivity=str(bool(interrupting)).lower(), attachedToRef=attached_to)

    def flow(self, source, target, *, name=None, condition=None, default=False) -> str:
        flow_id = f"Flow_{source}_{target}"
        self.flows.append(_Flow(flow_id, source, target, name, condition))
        if default:
            self.defaults[source] = flow_id
        return flow_id

    # ------------------------------------------------------------------ output
    def write(self, path) -> Path:
        path = Path(path)
        path.write_bytes(self.to_xml())
        return path

    def to_xml(self) -> bytes:
        base = self.process_id.replace(".", "_")
        parts = [HEAD.format(base=base),
                 f'<bpmn:collaboration id="Collaboration_{base}"><bpmn:participant id="Participant_{base}"'
                 f'{_attrs(name=self.process_name, processRef=self.process_id)}/></bpmn:collaboration>\n',
                 f'<bpmn:process{_attrs(id=self.process_id, name=self.process_name)} isExecutable="true">\n',
                 f'<bpmn:laneSet id="LaneSet_{base}">']
        for key, label in self.lanes.items():
            refs = "".join(f"<bpmn:flowNodeRef>{n.id}</bpmn:flowNodeRef>" for n in self.nodes.values()
                           if n.lane == key)
            parts.append(f'<bpmn:lane{_attrs(id=f"lane_{key}", name=label)}>{refs}</bpmn:lane>')
        parts.append("</bpmn:laneSet>\n")
        parts += [self._node_xml(n) for n in self.nodes.values()]
        for f in self.flows:
            condition = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(f.condition)}'
                         "</bpmn:conditionExpression>" if f.condition is not None else "")
            parts.append(f"<bpmn:sequenceFlow{_attrs(id=f.id, name=f.name, sourceRef=f.source, targetRef=f.target)}>"
                         f"{condition}</bpmn:sequenceFlow>\n")
        parts.append("</bpmn:process>\n")
        parts.append(self._di_xml(base))
        parts.append("</bpmn:definitions>\n")
        return "".join(parts).encode()

    def _node_xml(self, n: _Node) -> str:
        inner = ""
        if n.properties:
            props = "".join(f"<spiffworkflow:property{_attrs(name=k, value=v)}/>" for k, v in n.properties.items())
            inner += f"<bpmn:extensionElements><spiffworkflow:properties>{props}</spiffworkflow:properties>" \
                     "</bpmn:extensionElements>"
        inner += "".join(f"<bpmn:incoming>{f.id}</bpmn:incoming>" for f in self.flows if f.target == n.id)
        inner += "".join(f"<bpmn:outgoing>{f.id}</bpmn:outgoing>" for f in self.flows if f.source == n.id)
        attrs = _attrs(id=n.id, name=n.name, default=self.defaults.get(n.id), **n.attrs)
        return f"<bpmn:{n.tag}{attrs}>{inner}{n.body}</bpmn:{n.tag}>\n"

    # ------------------------------------------------------------------ DI: a grid, elbow routes
    def _lane_tops(self) -> tuple[dict[str, tuple[int, int]], int]:
        tops, y = {}, POOL_Y
        for key in self.lanes:
            rows = 1 + max((n.row for n in self.nodes.values() if n.lane == key), default=0)
            tops[key] = (y, rows * ROW_H)
            y += rows * ROW_H
        return tops, y

    def _box(self, n: _Node, tops) -> tuple[int, int, int, int]:
        w, h = n.size
        if n.tag == "boundaryEvent":
            hx, hy, hw, hh = self._box(self.nodes[n.attrs["attachedToRef"]], tops)
            return hx + hw // 2 + 30 - 18, hy + hh - 18, 36, 36
        cx, cy = COL0 + n.col * COL_W, tops[n.lane][0] + n.row * ROW_H + ROW_H // 2
        return cx - w // 2, cy - h // 2, w, h

    def _di_xml(self, base: str) -> str:
        tops, bottom = self._lane_tops()
        boxes = {n.id: self._box(n, tops) for n in self.nodes.values()}
        right = max(x + w for x, _, w, _ in boxes.values()) + 60
        out = [f'<bpmndi:BPMNDiagram id="BPMNDiagram_{base}"><bpmndi:BPMNPlane id="BPMNPlane_{base}" '
               f'bpmnElement="Collaboration_{base}">\n', _shape(f"Participant_{base}", (POOL_X, POOL_Y,
                                                                   right - POOL_X, bottom - POOL_Y), horizontal=True)]
        for key, (top, height) in tops.items():
            out.append(_shape(f"lane_{key}", (LANE_X, top, right - LANE_X, height), horizontal=True))
        for n in sorted(self.nodes.values(), key=lambda n: n.tag == "boundaryEvent"):
            x, y, w, h = boxes[n.id]
            label = (x + w // 2 - 45, y + h + 4, 90, 14) if n.name and n.size != (100, 80) else None
            out.append(_shape(n.id, boxes[n.id], label))
        for f in self.flows:
            out.append(_edge(f.id, _route(boxes[f.source], boxes[f.target], self.nodes[f.source].tag)))
        out.append("</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n")
        return "".join(out)


def _route(s, t, source_tag) -> list[tuple[int, int]]:
    (sx, sy, sw, sh), (tx, ty, tw, th) = s, t
    scx, scy, tcx, tcy = sx + sw // 2, sy + sh // 2, tx + tw // 2, ty + th // 2
    if source_tag == "boundaryEvent":
        return [(scx, sy + sh), (scx, tcy), (tx, tcy)] if tx > scx else [(scx, sy + sh), (scx, ty + th)]
    if tx >= sx + sw:
        if scy == tcy:
            return [(sx + sw, scy), (tx, tcy)]
        mid = (sx + sw + tx) // 2
        return [(sx + sw, scy), (mid, scy), (mid, tcy), (tx, tcy)]
    below = max(sy + sh, ty + th) + 20                  # backwards: under both shapes
    return [(scx, sy + sh), (scx, below), (tcx, below), (tcx, ty + th)]


def _shape(element_id, box, label=None, horizontal=False) -> str:
    x, y, w, h = box
    extra = ' isHorizontal="true"' if horizontal else ""
    inner = f'<bpmndi:BPMNLabel><dc:Bounds{_attrs(x=label[0], y=label[1], width=label[2], height=label[3])}/>' \
            "</bpmndi:BPMNLabel>" if label else ""
    return (f'<bpmndi:BPMNShape id="{element_id}_di" bpmnElement="{element_id}"{extra}>'
            f"<dc:Bounds{_attrs(x=x, y=y, width=w, height=h)}/>{inner}</bpmndi:BPMNShape>\n")


def _edge(element_id, points) -> str:
    waypoints = "".join(f'<di:waypoint x="{x}" y="{y}"/>' for x, y in points)
    return f'<bpmndi:BPMNEdge id="{element_id}_di" bpmnElement="{element_id}">{waypoints}</bpmndi:BPMNEdge>\n'
