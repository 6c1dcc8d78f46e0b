#!/usr/bin/env python3
"""Layout check of BPMN diagrams, read from their DI (bpmndi), one plane at a time.

    python scripts/check_layout.py bpmn_diagrams/*/*.bpmn [--max-width 8000]

A file may hold several planes (one per collapsed sub-process); each is checked on its own for:

(a) a sequence flow, message flow or association segment passing through the interior of a shape
    it does not connect (flow nodes, boundary events, data objects/stores, text annotations;
    participants, lanes and an expanded sub-process holding the connection are containers, not
    obstacles). Touching a border is fine, and so is crossing the border of the host of the
    boundary event the connection leaves from.
(b) a label overlapping another label or a shape other than its own element. A label is a
    BPMNLabel's bounds of an element whose label bpmn-js draws outside (events, gateways, data
    objects/stores, flows); events, gateways and data objects with a name but no label bounds get
    bpmn-js's default label: 90 px wide, centred below the shape, its height estimated from the
    name (about 14 px per CJK character, 14 px a line).
(c) a plane wider than --max-width px (8,000 by default).

Problems are printed in Chinese (file, plane, element ids, what is wrong), then one summary line
per file. Exit status 1 when any problem was found, 0 otherwise. The geometry is in small pure
functions (convex polygons: rectangles, diamonds for gateways, circles as 32-gons for events).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

MAX_WIDTH = 8000
EPS = 1.0  # px: closer than this to a border counts as touching it
LABEL_WIDTH = 90  # bpmn-js DEFAULT_LABEL_SIZE.width
LINE_HEIGHT = 14
CJK_WIDTH = 14
LATIN_WIDTH = 7

Point = tuple[float, float]
Polygon = tuple[Point, ...]  # convex, counter-clockwise in screen coordinates does not matter

# --- element kinds -------------------------------------------------------------------------------

EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
            "complexGateway"}
DATA = {"dataObjectReference", "dataStoreReference", "dataInput", "dataOutput"}
SUB_PROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
CONTAINERS = {"participant", "lane", "group"}
CONNECTIONS = {"sequenceFlow": "顺序流", "messageFlow": "消息流", "association": "关联",
               "dataInputAssociation": "数据关联", "dataOutputAssociation": "数据关联"}
EXTERNAL_LABELS = EVENTS | GATEWAYS | DATA | {"sequenceFlow", "messageFlow"}
DEFAULT_LABELS = EVENTS | GATEWAYS | DATA  # bpmn-js places a label below them without DI bounds


# --- geometry (pure) -----------------------------------------------------------------------------

def rect_polygon(x: float, y: float, w: float, h: float) -> Polygon:
    return ((x, y), (x + w, y), (x + w, y + h), (x, y + h))


def diamond_polygon(x: float, y: float, w: float, h: float) -> Polygon:
    return ((x + w / 2, y), (x + w, y + h / 2), (x + w / 2, y + h), (x, y + h / 2))


def circle_polygon(x: float, y: float, w: float, h: float, sides: int = 32) -> Polygon:
    cx, cy, r = x + w / 2, y + h / 2, min(w, h) / 2
    return tuple((cx + r * math.cos(2 * math.pi * i / sides), cy + r * math.sin(2 * math.pi * i / sides))
                 for i in range(sides))


def _inward_edges(poly: Polygon) -> list[tuple[float, float, float]]:
    """Half-planes (nx, ny, c) with n·p <= c inside, n of unit length, for a convex polygon."""
    cx = sum(p[0] for p in poly) / len(poly)
    cy = sum(p[1] for p in poly) / len(poly)
    edges = []
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1], strict=True):
        nx, ny = y2 - y1, x1 - x2
        length = math.hypot(nx, ny)
        if length == 0:
            continue
        nx, ny = nx / length, ny / length
        c = nx * x1 + ny * y1
        if nx * cx + ny * cy > c:  # make the centre lie inside
            nx, ny, c = -nx, -ny, -c
        edges.append((nx, ny, c))
    return edges


def segment_crosses(a: Point, b: Point, poly: Polygon, eps: float = EPS) -> bool:
    """Does segment a–b pass through the interior of the convex polygon shrunk by eps?"""
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for nx, ny, c in _inward_edges(poly):
        start = nx * a[0] + ny * a[1] - (c - eps)  # <= 0 inside the shrunk half-plane
        slope = nx * dx + ny * dy
        if abs(slope) < 1e-12:
            if start >= 0:
                return False
            continue
        t = -start / slope
        if slope > 0:
            t1 = min(t1, t)
        else:
            t0 = max(t0, t)
        if t0 >= t1:
            return False
    return t1 - t0 > 1e-9


def polygons_overlap(p: Polygon, q: Polygon, eps: float = EPS) -> bool:
    """Do two convex polygons overlap by more than eps (separating axis theorem)?"""
    for poly in (p, q):
        for nx, ny, _ in _inward_edges(poly):
            pa = [nx * x + ny * y for x, y in p]
            qa = [nx * x + ny * y for x, y in q]
            if min(max(pa), max(qa)) - max(min(pa), min(qa)) <= eps:
                return False
    return True


def text_width(text: str) -> float:
    return sum(CJK_WIDTH if ord(ch) > 0x2E7F else LATIN_WIDTH for ch in text)


def default_label_bounds(x: float, y: float, w: float, h: float, name: str) -> tuple[float, float, float, float]:
    """bpmn-js's external label for a shape without label DI: centred below it, 90 px wide."""
    lines = 0
    for part in name.split("\n"):
        lines += max(1, math.ceil(text_width(part) / LABEL_WIDTH))
    return (x + w / 2 - LABEL_WIDTH / 2, y + h, LABEL_WIDTH, lines * LINE_HEIGHT)


def shape_polygon(kind: str, x: float, y: float, w: float, h: float) -> Polygon:
    if kind in EVENTS:
        return circle_polygon(x, y, w, h)
    if kind in GATEWAYS:
        return diamond_polygon(x, y, w, h)
    return rect_polygon(x, y, w, h)


# --- reading the file ----------------------------------------------------------------------------

@dataclass
class Shape:
    id: str
    kind: str
    polygon: Polygon
    bounds: tuple[float, float, float, float]
    expanded: bool = False


@dataclass
class Label:
    owner: str
    bounds: tuple[float, float, float, float]
    polygon: Polygon


@dataclass
class Edge:
    id: str
    kind: str
    waypoints: list[Point]
    source: str | None
    target: str | None


@dataclass
class Plane:
    id: str
    element: str
    shapes: list[Shape] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    containers: list[tuple[float, float, float, float]] = field(default_factory=list)  # pools, lanes


def local(el) -> str:
    return etree.QName(el).localname


def _bounds(el) -> tuple[float, float, float, float] | None:
    b = el.find(f"{{{DC}}}Bounds")
    if b is None:
        return None
    return tuple(float(b.get(k, 0)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def _ends(sem) -> tuple[str | None, str | None]:
    kind = local(sem)
    if kind == "dataInputAssociation":
        src = sem.findtext(f"{{{BPMN}}}sourceRef")
        return (src.strip() if src else None), sem.getparent().get("id")
    if kind == "dataOutputAssociation":
        tgt = sem.findtext(f"{{{BPMN}}}targetRef")
        return sem.getparent().get("id"), (tgt.strip() if tgt else None)
    return sem.get("sourceRef"), sem.get("targetRef")


def _label(di, owner: str, kind: str, name: str, shape_bounds=None) -> Label | None:
    """The label bpmn-js draws outside the element, if any: its DI bounds, or the default one."""
    if not name or kind not in EXTERNAL_LABELS:
        return None
    label_el = di.find(f"{{{BPMNDI}}}BPMNLabel")
    bounds = _bounds(label_el) if label_el is not None else None
    if bounds is None and shape_bounds is not None and kind in DEFAULT_LABELS:
        bounds = default_label_bounds(*shape_bounds, name)
    return Label(owner, bounds, rect_polygon(*bounds)) if bounds is not None else None


def _read_shape(plane: Plane, di, ref: str, sem) -> None:
    bounds = _bounds(di)
    kind = local(sem) if sem is not None else "?"
    if bounds is None:
        return
    if kind in CONTAINERS:
        plane.containers.append(bounds)
        return
    expanded = kind in SUB_PROCESSES and di.get("isExpanded") == "true"
    plane.shapes.append(Shape(ref, kind, shape_polygon(kind, *bounds), bounds, expanded))
    label = _label(di, ref, kind, (sem.get("name") or "").strip() if sem is not None else "", bounds)
    if label:
        plane.labels.append(label)


def _read_edge(plane: Plane, di, ref: str, sem) -> None:
    kind = local(sem) if sem is not None else "?"
    points = [(float(w.get("x")), float(w.get("y"))) for w in di.iter(f"{{{DI}}}waypoint")]
    source, target = _ends(sem) if sem is not None else (None, None)
    plane.edges.append(Edge(ref, kind, points, source or di.get("sourceElement"), target or di.get("targetElement")))
    label = _label(di, ref, kind, (sem.get("name") or "").strip() if sem is not None else "")
    if label:
        plane.labels.append(label)


def read_planes(xml: bytes) -> tuple[list[Plane], dict]:
    """Planes of a BPMN file with their shapes, edges and labels, and the semantic index by id."""
    root = etree.fromstring(xml)
    index = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")
             and etree.QName(el).namespace == BPMN}
    planes = []
    for plane_el in root.iter(f"{{{BPMNDI}}}BPMNPlane"):
        plane = Plane(plane_el.get("id") or "?", plane_el.get("bpmnElement") or "")
        for di in plane_el:
            if not isinstance(di.tag, str):
                continue
            ref = di.get("bpmnElement")
            if local(di) == "BPMNShape":
                _read_shape(plane, di, ref, index.get(ref))
            elif local(di) == "BPMNEdge":
                _read_edge(plane, di, ref, index.get(ref))
        planes.append(plane)
    return planes, index


def _ancestors(index: dict, element_id: str | None) -> set[str]:
    found: set[str] = set()
    el = index.get(element_id) if element_id else None
    while el is not None:
        el = el.getparent()
        if el is not None and el.get("id"):
            found.add(el.get("id"))
    return found


# --- the rules -----------------------------------------------------------------------------------

def crossing_problems(plane: Plane, index: dict) -> list[str]:
    problems = []
    for edge in plane.edges:
        if edge.kind not in CONNECTIONS:
            continue
        ends = {edge.source, edge.target}
        source = index.get(edge.source) if edge.source else None
        host = source.get("attachedToRef") if source is not None and local(source) == "boundaryEvent" else None
        holders = _ancestors(index, edge.id) | _ancestors(index, edge.source) | _ancestors(index, edge.target)
        for shape in plane.shapes:
            if shape.id in ends or (shape.expanded and shape.id in holders):
                continue
            for i, (a, b) in enumerate(zip(edge.waypoints[:-1], edge.waypoints[1:], strict=True), start=1):
                if segment_crosses(a, b, shape.polygon):
                    what = "（所附边界事件的宿主）" if shape.id == host else ""
                    problems.append(f"{CONNECTIONS[edge.kind]} {edge.id} 第 {i} 段穿过了 {shape.id}{what}")
                    break
    return problems


def label_problems(plane: Plane, index: dict) -> list[str]:
    problems = []
    labels = plane.labels
    for i, label in enumerate(labels):
        for other in labels[i + 1:]:
            if polygons_overlap(label.polygon, other.polygon):
                problems.append(f"标签 {label.owner} 与标签 {other.owner} 重叠")
        holders = _ancestors(index, label.owner)
        for shape in plane.shapes:
            if shape.id == label.owner or (shape.expanded and shape.id in holders):
                continue
            if polygons_overlap(label.polygon, shape.polygon):
                problems.append(f"标签 {label.owner} 压在图形 {shape.id} 上")
    return problems


def plane_width(plane: Plane) -> float:
    xs: list[float] = []
    for shape in plane.shapes:
        xs += [shape.bounds[0], shape.bounds[0] + shape.bounds[2]]
    for bounds in [label.bounds for label in plane.labels] + plane.containers:
        xs += [bounds[0], bounds[0] + bounds[2]]
    for edge in plane.edges:
        xs += [p[0] for p in edge.waypoints]
    return max(xs) - min(xs) if xs else 0.0


def width_problems(plane: Plane, max_width: float) -> list[str]:
    width = plane_width(plane)
    if width > max_width:
        return [f"平面宽 {width:,.0f} px，超过上限 {max_width:,.0f} px"]
    return []


def check(xml: bytes, max_width: float = MAX_WIDTH) -> dict[str, list[str]]:
    """Problems per plane id ("<plane> (<element>)"), in Chinese; planes without problems omitted."""
    planes, index = read_planes(xml)
    found: dict[str, list[str]] = {}
    for plane in planes:
        problems = (crossing_problems(plane, index) + label_problems(plane, index)
                    + width_problems(plane, max_width))
        if problems:
            found[f"{plane.id}（{plane.element}）"] = problems
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="BPMN 图形布局检查（DI）")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--max-width", type=float, default=MAX_WIDTH, help="平面最大宽度（px），默认 8000")
    args = parser.parse_args(argv)
    failed = False
    summaries = []
    for path in args.files:
        try:
            xml = path.read_bytes()
            planes, _ = read_planes(xml)
            found = check(xml, args.max_width)
        except (OSError, etree.XMLSyntaxError) as exc:
            failed = True
            summaries.append(f"{path}: 无法读取（{exc}）")
            continue
        count = sum(len(p) for p in found.values())
        for plane, problems in found.items():
            for problem in problems:
                print(f"{path} [{plane}]: {problem}")
        if count:
            failed = True
            summaries.append(f"{path}: {count} 个问题（{len(planes)} 个平面）")
        else:
            summaries.append(f"{path}: 通过（{len(planes)} 个平面）")
    print("\n".join(summaries))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
