"""Describe a govflow process compactly in Python; write BPMN 2.0 XML with a laid-out diagram (BPMNDI).

The output follows docs/modelling.md (one collaboration, one pool whose process id is the process key,
lanes ``lane_<role_key>``, ``spiffworkflow:properties``), parses in SpiffWorkflow's ``SpiffBpmnParser``
with XSD validation and imports in bpmn-js based modelers, where designers keep editing the file::

    from tools.diagram_builder import Diagram

    d = Diagram(process_id="yeji", process_name="六安市叶集区政务信息化项目管理流程",
                lanes=[("applicant", "建设单位"), ("data_bureau", "区数管局")],
                documentation="叶政办〔2020〕19号")
    d.start("StartEvent", lane="applicant", col=0, name="开始")
    d.user_task("Declare", lane="applicant", col=1, name="项目申报",
                properties={"form": "yeji/declare", "legalBasis": "第六条", "dueIn": "10wd"})
    d.exclusive("GwScope", lane="data_bureau", col=2, name="10万元以下？", documentation="第二条")
    d.end("EndOut", lane="data_bureau", col=3, name="不适用", properties={"outcome": "out_of_scope"})
    d.user_task("Review", lane="data_bureau", col=3, row=1, name="审查", properties={...})
    d.boundary_timer("Overdue", attached_to="Review", name="逾期", duration='"P5D"', interrupting=False)
    d.flow("GwScope", "EndOut", name="是", condition="total_investment <= 10")
    d.flow("GwScope", "Review", name="否", default=True)
    d.write("bpmn_diagrams/yeji.bpmn")           # or d.to_xml() -> UTF-8 bytes

Also: manual_task, script_task (script=), business_rule_task (decision_id=), call_activity
(called_element=), parallel, inclusive, end(terminate=True), timer_catch / boundary_timer (one of
date= / duration= / cycle=, Python expressions), text_annotation(id, text, attached_to=).  Ids
``Start``, ``End``, ``Root`` are refused: SpiffWorkflow's internal task specs would shadow them.

Layout is a grid: lanes top to bottom, ``row`` a 0-based sub-row inside the lane, ``col`` a column of
the pool; one node per cell, so shapes never overlap.  Forward flows leave right and enter left with
one vertical segment in a gap between columns; flows within a column run vertically; backward flows
(loops) leave the source at the bottom, run along the corridor under the source's row and enter the
target from below (from above if it lies lower).  Boundary events sit on the host's bottom border.
Routing is a heuristic: a flow can still cross a shape in its way (a vertical run past an occupied
cell) -- move nodes, or tidy the edge in the modeler.  Mistakes (bad/duplicate id, unknown lane, two
nodes in one cell, unknown references, two defaults, bad timer) raise ValueError naming the element.

bpmnlint ``recommended``: the builder guarantees DI for every element, standard sizes, no overlapping
shapes, nodes inside the pool.  The designer must see to the rest:

* label-required: name every task, event, forking exclusive/inclusive gateway and conditional flow;
* conditional-flows: once one flow out of a node has a condition, the others need one or
  ``default=True``; superfluous-label: name only conditional/default flows and XOR/OR fork branches;
* fake-join / no-implicit-split: no task or event joins (a loop returns into an exclusive merge
  gateway) or forks; no-gateway-join-fork / superfluous-gateway: a gateway joins or forks, not both;
* no-implicit-start/-end, no-disconnected, start-/end-event-required, single-blank-start-event,
  superfluous-termination; no-inclusive-gateway warns on any inclusive gateway (avoid or disable).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import partialmethod
from pathlib import Path

from lxml import etree

NSMAP = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
POOL_X, POOL_Y, HEADER = 160, 80, 30               # pool origin; width of the pool's and lanes' label bands
COL0_CX, COL_W = POOL_X + 2 * HEADER + 100, 170    # centre x of column 0; column pitch
ROW_H, NODE_CY, CORRIDOR = 130, 55, 121            # sub-row height; node centre and loop corridor in a row
LABEL_W, LINE_H = 90, 14
RESERVED = ("Start", "End", "Root")                # SpiffWorkflow's internal task spec names
REQUIRED = {"scriptTask": "script", "businessRuleTask": "decision_id", "callActivity": "called_element"}
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NSMAP[prefix]}}}{local}"


def _sub(_parent, _tag, _text=None, **attrs):
    el = etree.SubElement(_parent, _q(_tag), {k: str(v) for k, v in attrs.items() if v is not None})
    if _text is not None:
        el.text = _text
    return el


def _expression(parent, tag, text):
    _sub(parent, tag, text).set(_q("xsi:type"), "bpmn:tFormalExpression")


def _text_w(text: str) -> int:
    return max(20, sum(12 if ord(ch) > 0x2000 else 7 for ch in text))


def _strings(properties) -> dict:
    return {k: str(v) for k, v in (properties or {}).items() if v is not None}


@dataclass
class _Box:
    x: int
    y: int
    w: int
    h: int
    cx = property(lambda self: self.x + self.w // 2)
    cy = property(lambda self: self.y + self.h // 2)
    right = property(lambda self: self.x + self.w)
    bottom = property(lambda self: self.y + self.h)


@dataclass
class _Node:
    id: str
    tag: str
    lane: str | None
    col: int
    row: int
    name: str | None = None
    properties: dict = field(default_factory=dict)
    documentation: str | None = None
    attrs: dict = field(default_factory=dict)
    script: str | None = None
    decision_id: str | None = None
    called_element: str | None = None
    timer: tuple[str, str] | None = None
    terminate: bool = False
    host: str | None = None

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
    default: bool


class Diagram:
    """A process under construction; see the module docstring."""

    def __init__(self, process_id, process_name, lanes, documentation=None):
        self.process_id, self.process_name, self.documentation = process_id, process_name, documentation
        self.lanes = dict(lanes)                      # key -> label, top to bottom
        self._nodes: dict[str, _Node] = {}
        self._flows: list[_Flow] = []
        self._annotations: list[tuple[str, str, str]] = []    # (id, text, attached_to)
        self._ids: set[str] = set()
        self._cells: dict[tuple, str] = {}
        self._base = process_id.replace(".", "_")
        for key in self.lanes:
            self._check_id(f"lane_{key}")

    def _check_id(self, element_id):
        if not isinstance(element_id, str) or not _ID.match(element_id):
            raise ValueError(f"{element_id!r}: an element id must be an XML name (letters, digits, _ . -)")
        if element_id in RESERVED or element_id == f"{self.process_id}.EndJoin":
            raise ValueError(f"{element_id}: id is reserved by SpiffWorkflow (internal task spec), the "
                             "element would be silently dropped; choose another id (e.g. StartEvent)")
        if element_id in self._ids:
            raise ValueError(f"{element_id}: duplicate element id")
        self._ids.add(element_id)

    # ------------------------------------------------------------------ nodes
    def _add(self, tag, element_id, *, lane, col, row=0, name=None, properties=None, documentation=None,
             **extra):
        missing = REQUIRED.get(tag)
        if missing and not extra.get(missing):
            raise ValueError(f"{element_id}: {missing}= is required")
        if lane not in self.lanes:
            raise ValueError(f"{element_id}: unknown lane {lane!r} (lanes: {', '.join(self.lanes)})")
        if not (isinstance(col, int) and isinstance(row, int) and col >= 0 and row >= 0):
            raise ValueError(f"{element_id}: col and row must be integers >= 0")
        if (lane, col, row) in self._cells:
            taken = self._cells[(lane, col, row)]
            raise ValueError(f"{element_id}: lane {lane!r} col {col} row {row} is already taken by {taken}")
        self._check_id(element_id)
        self._cells[(lane, col, row)] = element_id
        self._nodes[element_id] = _Node(element_id, tag, lane, col, row, name, _strings(properties),
                                        documentation, **extra)
        return element_id

    # node kinds; every one takes id, lane=, col=, row=0, name=, properties=, documentation=
    start = partialmethod(_add, "startEvent")
    end = partialmethod(_add, "endEvent")                          # terminate=True: terminate end event
    user_task = partialmethod(_add, "userTask")
    manual_task = partialmethod(_add, "manualTask")
    script_task = partialmethod(_add, "scriptTask")                # script=
    business_rule_task = partialmethod(_add, "businessRuleTask")   # decision_id=
    call_activity = partialmethod(_add, "callActivity")            # called_element=
    exclusive = partialmethod(_add, "exclusiveGateway")
    parallel = partialmethod(_add, "parallelGateway")
    inclusive = partialmethod(_add, "inclusiveGateway")

    def timer_catch(self, id, *, lane, col, date=None, duration=None, cycle=None, **kw):
        timer = _timer(id, date, duration, cycle)
        return self._add("intermediateCatchEvent", id, lane=lane, col=col, timer=timer, **kw)

    def boundary_timer(self, id, *, attached_to, name=None, date=None, duration=None, cycle=None,
                       interrupting=True, properties=None, documentation=None):
        timer = _timer(id, date, duration, cycle)
        self._check_id(id)
        attrs = {"cancelActivity": str(bool(interrupting)).lower(), "attachedToRef": attached_to}
        self._nodes[id] = _Node(id, "boundaryEvent", None, 0, 0, name, _strings(properties), documentation,
                                attrs=attrs, timer=timer, host=attached_to)
        return id

    # ------------------------------------------------------------------ connections
    def flow(self, source, target, *, name=None, condition=None, default=False, id=None) -> str:
        flow_id, n = id or f"Flow_{source}_{target}", 2
        while id is None and flow_id in self._ids:
            flow_id, n = f"Flow_{source}_{target}_{n}", n + 1
        self._check_id(flow_id)
        self._flows.append(_Flow(flow_id, source, target, name, condition, default))
        return flow_id

    def text_annotation(self, id, text, *, attached_to) -> str:
        if any(target == attached_to for _, _, target in self._annotations):
            raise ValueError(f"{id}: {attached_to} already has a text annotation")
        self._check_id(id)
        self._annotations.append((id, text, attached_to))
        return id

    # ------------------------------------------------------------------ output
    def write(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.to_xml())
        return path

    def to_xml(self) -> bytes:
        self._resolve_boundaries()
        self._check_references()
        layout = _Layout(self)
        root = etree.Element(_q("bpmn:definitions"), nsmap=NSMAP, attrib={
            "id": f"Definitions_{self._base}", "targetNamespace": "http://bpmn.io/schema/bpmn",
            "exporter": "govflow", "exporterVersion": "1.0"})
        collaboration = _sub(root, "bpmn:collaboration", id=f"Collaboration_{self._base}")
        _sub(collaboration, "bpmn:participant", id=f"Participant_{self._base}", name=self.process_name,
             processRef=self.process_id)
        self._write_process(root)
        self._write_di(root, collaboration.get("id"), layout)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def _resolve_boundaries(self):
        """A boundary event lies in its host's lane and cell."""
        for node in self._nodes.values():
            if node.host is not None:
                host = self._nodes.get(node.host)
                if host is None or host.host is not None or host.tag.endswith(("Event", "Gateway")):
                    raise ValueError(f"{node.id}: attached_to {node.host!r} is not a task of this diagram")
                node.lane, node.col, node.row = host.lane, host.col, host.row

    def _check_references(self):
        defaults = set()
        for f in self._flows:
            unknown = [ref for ref in (f.source, f.target) if ref not in self._nodes]
            if unknown:
                raise ValueError(f"{f.id}: unknown element {unknown[0]!r}")
            if self._nodes[f.target].host is not None:
                raise ValueError(f"{f.id}: a boundary event cannot have incoming flows")
            if f.default and f.source in defaults:
                raise ValueError(f"{f.id}: {f.source} already has a default flow")
            defaults.update([f.source] if f.default else [])
        for annotation_id, _text, target in self._annotations:
            if target not in self._nodes:
                raise ValueError(f"{annotation_id}: unknown element {target!r}")

    def _write_process(self, root):
        process = _sub(root, "bpmn:process", id=self.process_id, name=self.process_name, isExecutable="true")
        if self.documentation:
            _sub(process, "bpmn:documentation", self.documentation)
        lane_set = _sub(process, "bpmn:laneSet", id=f"LaneSet_{self._base}")
        for key, label in self.lanes.items():
            lane = _sub(lane_set, "bpmn:lane", id=f"lane_{key}", name=label)
            for node in self._nodes.values():
                if node.lane == key:
                    _sub(lane, "bpmn:flowNodeRef", node.id)
        for node in self._nodes.values():
            self._write_node(process, node)
        for f in self._flows:
            flow = _sub(process, "bpmn:sequenceFlow", id=f.id, name=f.name, sourceRef=f.source,
                        targetRef=f.target)
            if f.condition is not None:
                _expression(flow, "bpmn:conditionExpression", f.condition)
        for annotation_id, text, target in self._annotations:
            _sub(_sub(process, "bpmn:textAnnotation", id=annotation_id), "bpmn:text", text)
            _sub(process, "bpmn:association", id=f"Association_{annotation_id}", associationDirection="None",
                 sourceRef=target, targetRef=annotation_id)

    def _write_node(self, process, node):
        default = next((f.id for f in self._flows if f.source == node.id and f.default), None)
        el = _sub(process, f"bpmn:{node.tag}", id=node.id, name=node.name, default=default,
                  calledElement=node.called_element, **node.attrs)
        if node.documentation:
            _sub(el, "bpmn:documentation", node.documentation)
        if node.decision_id or node.properties:
            extensions = _sub(el, "bpmn:extensionElements")
            if node.decision_id:
                _sub(extensions, "spiffworkflow:calledDecisionId", node.decision_id)
            if node.properties:
                properties = _sub(extensions, "spiffworkflow:properties")
                for key, value in node.properties.items():
                    _sub(properties, "spiffworkflow:property", name=key, value=value)
        for f in self._flows:
            if f.target == node.id:
                _sub(el, "bpmn:incoming", f.id)
        for f in self._flows:
            if f.source == node.id:
                _sub(el, "bpmn:outgoing", f.id)
        _write_definitions(el, node)

    def _write_di(self, root, collaboration_id, layout):
        diagram = _sub(root, "bpmndi:BPMNDiagram", id=f"BPMNDiagram_{self._base}")
        plane = _sub(diagram, "bpmndi:BPMNPlane", id=f"BPMNPlane_{self._base}", bpmnElement=collaboration_id)
        _shape(plane, f"Participant_{self._base}", layout.pool, isHorizontal="true")
        for key in self.lanes:
            _shape(plane, f"lane_{key}", layout.lanes[key], isHorizontal="true")
        for node in sorted(self._nodes.values(), key=lambda n: n.host is not None):  # boundaries on top
            marker = "true" if node.tag == "exclusiveGateway" else None
            _shape(plane, node.id, layout.boxes[node.id], layout.labels.get(node.id), isMarkerVisible=marker)
        for annotation_id, _text, _target in self._annotations:
            _shape(plane, annotation_id, layout.boxes[annotation_id])
        for f in self._flows:
            _edge(plane, f.id, layout.routes[f.id], layout.labels.get(f.id))
        for annotation_id, _text, _target in self._annotations:
            _edge(plane, f"Association_{annotation_id}", layout.routes[annotation_id])


def _timer(element_id, date, duration, cycle):
    given = [(f"bpmn:{kind}", expression) for kind, expression in
             (("timeDate", date), ("timeDuration", duration), ("timeCycle", cycle)) if expression]
    if len(given) != 1:
        raise ValueError(f"{element_id}: a timer needs exactly one of date=, duration=, cycle=")
    return given[0]


def _write_definitions(el, node):
    """What follows incoming/outgoing in the schema: a script or an event definition."""
    if node.script is not None:
        _sub(el, "bpmn:script", node.script)
    if node.timer:
        _expression(_sub(el, "bpmn:timerEventDefinition", id=f"TimerEventDefinition_{node.id}"), *node.timer)
    if node.terminate:
        _sub(el, "bpmn:terminateEventDefinition", id=f"TerminateEventDefinition_{node.id}")


def _bounds(parent, box):
    _sub(parent, "dc:Bounds", x=box.x, y=box.y, width=box.w, height=box.h)


def _shape(plane, element_id, box, label=None, **attrs):
    shape = _sub(plane, "bpmndi:BPMNShape", id=f"{element_id}_di", bpmnElement=element_id, **attrs)
    _bounds(shape, box)
    if label is not None:
        _bounds(_sub(shape, "bpmndi:BPMNLabel"), label)


def _edge(plane, element_id, points, label=None):
    edge = _sub(plane, "bpmndi:BPMNEdge", id=f"{element_id}_di", bpmnElement=element_id)
    for x, y in points:
        _sub(edge, "di:waypoint", x=x, y=y)
    if label is not None:
        _bounds(_sub(edge, "bpmndi:BPMNLabel"), label)


def _annotation_size(text):
    width = min(150, max(100, _text_w(text) + 10))
    return width, LINE_H * math.ceil(_text_w(text) / (width - 10)) + 6


class _Layout:
    """Grid geometry of a Diagram: rows, shape and label boxes, edge waypoints."""

    def __init__(self, d: Diagram):
        self.d, self.boxes, self.labels, self.routes = d, {}, {}, {}
        self.row_of, self.tops, self.bands, self.lanes = {}, [], [], {}
        self.bottom_used, self.corridor_use = set(), {}
        self._rows()
        cells = [n for n in d._nodes.values() if n.host is None]
        for node in cells:
            (w, h), cy = node.size, self._cy(node)
            self.boxes[node.id] = _Box(COL0_CX + node.col * COL_W - w // 2, cy - h // 2, w, h)
        self.occupied = {(self.g(n), n.col) for n in cells}
        self._boundaries()
        for f in d._flows:
            source = d._nodes[f.source]
            self.routes[f.id] = self._route(source, d._nodes[f.target])
            if f.name:
                self.labels[f.id] = _flow_label(f.name, self.routes[f.id], source)
        for node in cells:
            if node.name and node.tag.endswith(("Event", "Gateway")):
                self.labels[node.id] = self._node_label(node)
        self._annotations()
        self._pool()

    def _rows(self):
        bands = {}      # (lane, row) -> height of the annotation band on top of the row
        for _id, text, target in self.d._annotations:
            key = (self.d._nodes[target].lane, self.d._nodes[target].row)
            bands[key] = max(bands.get(key, 0), _annotation_size(text)[1] + 15)
        y = POOL_Y
        for key in self.d.lanes:
            lane_top = y
            for r in range(1 + max((n.row for n in self.d._nodes.values() if n.lane == key), default=0)):
                self.row_of[(key, r)] = len(self.tops)
                self.tops.append(y)
                self.bands.append(bands.get((key, r), 0))
                y += self.bands[-1] + ROW_H
            self.lanes[key] = _Box(POOL_X + HEADER, lane_top, 0, y - lane_top)
        self.bottom = y

    def g(self, node):
        """Global row index of a node (boundary events: their host's)."""
        return self.row_of[(node.lane, node.row)]

    def _cy(self, node):
        return self.tops[self.g(node)] + self.bands[self.g(node)] + NODE_CY

    def _corridor(self, g):
        """y of a fresh run along the corridor under row g (6 px above the previous one)."""
        k = self.corridor_use[g] = self.corridor_use.get(g, -1) + 1
        return self.tops[g] + self.bands[g] + CORRIDOR - 6 * k

    def _boundaries(self):
        count = {}
        for node in self.d._nodes.values():
            if node.host is not None:
                host, k = self.boxes[node.host], count.get(node.host, 0)
                count[node.host] = k + 1
                cx = host.cx + (30 if k == 0 else -30 - 40 * (k - 1))    # clear of flows at the centre
                self.boxes[node.id] = _Box(cx - 18, host.bottom - 18, 36, 36)
                if node.name:       # right of the event, under the host: clear of the outgoing flow
                    w = min(_text_w(node.name), LABEL_W)
                    self.labels[node.id] = _Box(cx + 20, host.bottom + 4, w, LINE_H)

    # ------------------------------------------------------------------ routing
    def _route(self, s, t):
        sb, tb = self.boxes[s.id], self.boxes[t.id]
        if t.col < s.col or (t.col == s.col and s.host is not None and tb.y <= sb.y):
            return self._backward(s, t, sb, tb)
        if t.col == s.col:
            return self._vertical(s, t, sb, tb)
        if s.host is not None:
            return self._from_boundary(s, t, sb, tb)
        if sb.cy == tb.cy:
            return [(sb.right, sb.cy), (tb.x, tb.cy)]
        x = self._gap_x(s, t)
        return [(sb.right, sb.cy), (x, sb.cy), (x, tb.cy), (tb.x, tb.cy)]

    def _vertical(self, s, t, sb, tb):
        if tb.y < sb.y:
            self.bottom_used.add(t.id)
            return [(sb.cx, sb.y), (tb.cx, tb.bottom)]
        self.bottom_used.add(s.id)
        if sb.cx == tb.cx or (tb.x < sb.cx < tb.right and t.tag.endswith("Task")):
            return [(sb.cx, sb.bottom), (sb.cx, tb.y)]
        mid = (sb.bottom + tb.y) // 2
        return [(sb.cx, sb.bottom), (sb.cx, mid), (tb.cx, mid), (tb.cx, tb.y)]

    def _free(self, g, cols):
        return not any((g, c) in self.occupied for c in cols)

    def _gap_x(self, s, t):
        """x of a forward flow's vertical segment: in the gap after which its horizontal run is free."""
        between = range(s.col + 1, t.col)
        if self._free(self.g(t), between):
            col = s.col
        elif self._free(self.g(s), between):
            col = t.col - 1
        else:
            col = (s.col + t.col) // 2
        return COL0_CX + col * COL_W + COL_W // 2

    def _from_boundary(self, s, t, sb, tb):
        g, gt, start = self.g(s), self.g(t), (sb.cx, sb.bottom)
        if tb.cy > sb.bottom and self._free(gt, range(s.col, t.col)) and all(
                self._free(r, [s.col]) for r in range(g + 1, gt)):
            return [start, (sb.cx, tb.cy), (tb.x, tb.cy)]
        y, x = self._corridor(g), COL0_CX + t.col * COL_W - COL_W // 2
        return [start, (sb.cx, y), (x, y), (x, tb.cy), (tb.x, tb.cy)]

    def _backward(self, s, t, sb, tb):
        y = self._corridor(self.g(s))
        x = sb.cx - 30 if sb.w == 100 else sb.cx   # tasks: clear of the flows at the bottom centre
        self.bottom_used.add(s.id)
        if tb.y > y:        # the target lies lower: come down into its top
            return [(x, sb.bottom), (x, y), (tb.cx, y), (tb.cx, tb.y)]
        self.bottom_used.add(t.id)
        return [(x, sb.bottom), (x, y), (tb.cx, y), (tb.cx, tb.bottom)]

    # ------------------------------------------------------------------ labels, annotations, pool
    def _node_label(self, node):
        box, text_w = self.boxes[node.id], _text_w(node.name)
        w, lines = min(text_w, LABEL_W), math.ceil(text_w / LABEL_W)
        h = LINE_H if lines == 1 else LINE_H * lines - 1
        y = box.y - 5 - h if node.id in self.bottom_used else box.bottom + 5
        return _Box(box.cx - w // 2, y, w, h)

    def _annotations(self):
        for annotation_id, text, target in self.d._annotations:
            box, (w, h), node = self.boxes[target], _annotation_size(text), self.d._nodes[target]
            top = self.tops[self.g(node)] + 8
            self.boxes[annotation_id] = _Box(box.cx - 50, top, w, h)
            self.routes[annotation_id] = [(box.cx, box.y), (box.cx, top + h)]

    def _pool(self):
        right = max(b.right for b in [*self.boxes.values(), *self.labels.values()])
        right = max(right + 40, COL0_CX + COL_W)
        self.pool = _Box(POOL_X, POOL_Y, right - POOL_X, self.bottom - POOL_Y)
        for lane in self.lanes.values():
            lane.w = right - lane.x


def _flow_label(name, points, source):
    (x0, y0), (x1, y1) = points[0], points[1]
    w = _text_w(name)
    if source.tag.endswith("Gateway") and len(points) == 4 and y0 == y1:
        return _Box(points[2][0] + 4, points[2][1] - LINE_H - 4, w, LINE_H)   # on the branch's own run
    if x0 == x1:
        return _Box(x0 + 4, (y0 + y1) // 2 - LINE_H // 2, w, LINE_H)
    return _Box(x0 + 4, y0 - LINE_H - 4, w, LINE_H)
