"""BPMN 2.0 export with diagram layout: ``<process>/models/*.bpmn``.

The target and every unit's discovered model are converted to a BPMN
process graph (:func:`divergence.model.pm.bpmn_graph`) and laid out left to
right with the project's own layered layout
(:func:`divergence.render.layout.layered_layout`, run top to bottom on the
transposed sizes and turned): every node gets a ``BPMNShape`` with its
bounds, every sequence flow a ``BPMNEdge`` with waypoints through the
layout's routing points. Element ids are made from a canonical order of the
graph (not pm4py's random ids), so the same model gives the same bytes.
Modelling tools (Camunda Modeler, bpmn.io, Signavio) and pm4py open the
files.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from ..result import ProcessResult
from .safe import safe_name

__all__ = ["bpmn_xml", "write_models"]

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

#: (width, height) of each element kind, as modelling tools draw them.
SIZES = {"startEvent": (36, 36), "endEvent": (36, 36), "task": (100, 80), "exclusiveGateway": (50, 50),
         "parallelGateway": (50, 50), "inclusiveGateway": (50, 50)}
_PREFIX = {"startEvent": "StartEvent", "endEvent": "EndEvent", "task": "Activity", "exclusiveGateway": "Gateway",
           "parallelGateway": "Gateway", "inclusiveGateway": "Gateway"}
MARGIN = 20.0


def _canonical(nodes, flows) -> list:
    """Node keys in an order that depends on the graph only (not on pm4py's ids or set order)."""
    label = {k: f"{kind}|{name}" for k, kind, name in nodes}
    outs, ins = defaultdict(list), defaultdict(list)
    for a, b in flows:
        outs[a].append(b)
        ins[b].append(a)
    for _ in range(4):  # Weisfeiler-Lehman refinement: a node's label includes its neighbourhood
        label = {k: hashlib.sha256("|".join([label[k], *sorted(label[b] for b in outs[k]), "<",
                                             *sorted(label[a] for a in ins[k])]).encode()).hexdigest()
                 for k in label}
    kind_of = {k: kind for k, kind, _ in nodes}
    name_of = {k: name for k, _, name in nodes}
    starts = sorted((k for k in label if kind_of[k] == "startEvent"), key=lambda k: label[k])
    dist = {k: 0 for k in starts}
    frontier = list(starts)
    while frontier:  # breadth-first distance from the start
        nxt = []
        for a in frontier:
            for b in outs[a]:
                if b not in dist:
                    dist[b] = dist[a] + 1
                    nxt.append(b)
        frontier = nxt
    far = len(label) + 1
    return sorted(label, key=lambda k: (dist.get(k, far), kind_of[k] != "startEvent", name_of[k], label[k]))


def bpmn_xml(nodes, flows, *, process_name: str) -> bytes:
    """BPMN 2.0 XML with a BPMNDI diagram of the graph ``(nodes, flows)`` from :func:`bpmn_graph`."""
    from lxml import etree

    from ..render.layout import layered_layout

    order = _canonical(nodes, flows)
    kind_of = {k: kind for k, kind, _ in nodes}
    name_of = {k: name for k, _, name in nodes}
    ids = {k: f"{_PREFIX[kind_of[k]]}_{i + 1}" for i, k in enumerate(order)}
    rank = {k: i for i, k in enumerate(order)}
    edges = sorted(dict.fromkeys((a, b) for a, b in flows), key=lambda e: (rank[e[0]], rank[e[1]]))
    flow_ids = {e: f"Flow_{i + 1}" for i, e in enumerate(edges)}
    # laid out top to bottom on transposed sizes, then turned to run left to right
    sizes = {ids[k]: SIZES[kind_of[k]][::-1] for k in order}
    lay = layered_layout([ids[k] for k in order], [(ids[a], ids[b]) for a, b in edges if a != b], sizes=sizes,
                         roots=[ids[k] for k in order if kind_of[k] == "startEvent"],
                         sinks=[ids[k] for k in order if kind_of[k] == "endEvent"])

    def turn(p):
        return (round(p[1] + MARGIN, 1), round(p[0] + MARGIN, 1))

    root = etree.Element(f"{{{BPMN}}}definitions", nsmap={"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI},
                         id="Definitions_1", targetNamespace="http://divergence/bpmn", exporter="divergence",
                         exporterVersion="1")
    proc = etree.SubElement(root, f"{{{BPMN}}}process", id="Process_1", name=process_name, isExecutable="false")
    outgoing, incoming = defaultdict(list), defaultdict(list)
    for e in edges:
        outgoing[e[0]].append(flow_ids[e])
        incoming[e[1]].append(flow_ids[e])
    for k in order:
        attrs = {"id": ids[k]}
        if name_of[k] and kind_of[k] == "task":
            attrs["name"] = name_of[k]
        if kind_of[k].endswith("Gateway"):
            n_in, n_out = len(incoming[k]), len(outgoing[k])
            attrs["gatewayDirection"] = "Diverging" if n_out > 1 >= n_in else "Converging" if n_in > 1 >= n_out else (
                "Mixed" if n_in > 1 else "Unspecified")
        node = etree.SubElement(proc, f"{{{BPMN}}}{kind_of[k]}", attrs)
        for f in incoming[k]:
            etree.SubElement(node, f"{{{BPMN}}}incoming").text = f
        for f in outgoing[k]:
            etree.SubElement(node, f"{{{BPMN}}}outgoing").text = f
    for a, b in edges:
        etree.SubElement(proc, f"{{{BPMN}}}sequenceFlow", id=flow_ids[(a, b)], sourceRef=ids[a], targetRef=ids[b])
    diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id="BPMNDiagram_1")
    plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id="BPMNPlane_1", bpmnElement="Process_1")
    box = {}
    for k in order:
        cx, cy = turn(lay.pos[ids[k]])
        w, h = SIZES[kind_of[k]]
        box[k] = (cx - w / 2, cy - h / 2, w, h)
        shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", id=f"{ids[k]}_di", bpmnElement=ids[k])
        if kind_of[k] == "exclusiveGateway":
            shape.set("isMarkerVisible", "true")
        etree.SubElement(shape, f"{{{DC}}}Bounds", x=_n(cx - w / 2), y=_n(cy - h / 2), width=_n(w), height=_n(h))
    for a, b in edges:
        edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{flow_ids[(a, b)]}_di", bpmnElement=flow_ids[(a, b)])
        for x, y in _waypoints(box[a], box[b], [turn(p) for p in lay.routes.get((ids[a], ids[b]), ())]):
            etree.SubElement(edge, f"{{{DI}}}waypoint", x=_n(x), y=_n(y))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _n(x: float) -> str:
    return f"{round(float(x), 1):g}"


def _waypoints(src, dst, via):
    """From the side of ``src`` facing the next point to the side of ``dst`` facing the previous one."""
    def centre(b):
        return (b[0] + b[2] / 2, b[1] + b[3] / 2)

    def side(b, towards):
        cx, cy = centre(b)
        dx, dy = towards[0] - cx, towards[1] - cy
        if abs(dx) * b[3] >= abs(dy) * b[2]:  # leaves through the left or right side
            return (b[0] + b[2], cy) if dx >= 0 else (b[0], cy)
        return (cx, b[1] + b[3]) if dy >= 0 else (cx, b[1])

    first = via[0] if via else centre(dst)
    last = via[-1] if via else centre(src)
    return [side(src, first), *via, side(dst, last)]


def write_models(pr: ProcessResult, folder: Path) -> dict[str, Path]:
    """Write the target's and every unit's model as laid-out BPMN into ``folder``; name -> path.

    The target is ``target.bpmn`` (when the target has a model), each unit
    ``unit-<unit>.bpmn``. Units without a model, and models pm4py cannot
    convert, are skipped.
    """
    from ..errors import ModelError
    from ..model.pm import bpmn_graph

    out: dict[str, Path] = {}
    wanted = []
    if pr.target.model is not None:
        wanted.append(("target" if "target" not in pr.units else "(target)", "target", pr.target.model))
    for u in pr.units:
        if pr.models.get(u) is not None:
            wanted.append((u, f"unit-{safe_name(u)}", pr.models[u]))
    if not wanted:
        return out
    folder.mkdir(parents=True, exist_ok=True)
    taken = set()
    for name, stem, model in wanted:
        while stem in taken:
            stem += "_"
        taken.add(stem)
        try:
            nodes, flows = bpmn_graph(model)
        except ModelError:
            continue  # a model pm4py cannot turn into BPMN is left out, the rest written
        path = folder / f"{stem}.bpmn"
        path.write_bytes(bpmn_xml(nodes, flows, process_name=f"{pr.process}: {name}"))
        out[name] = path
    return out
