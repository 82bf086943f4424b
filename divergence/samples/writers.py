"""Deterministic writers: XES, CSV and Parquet logs, and BPMN 2.0 target models.

Every writer produces the same bytes for the same input, so a regenerated
``sample_logs/`` shows no spurious changes.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .spec import ProcessSpec

__all__ = ["write_xes", "write_csv", "write_parquet", "bpmn_xml", "write_bpmn"]


def write_xes(frame: pd.DataFrame, path: str | Path, *, log_name: str) -> None:
    """Write a canonical frame as an XES 1849-2016 log, one trace per case, in frame order.

    A ``path`` ending in ``.gz`` is gzip-compressed (deterministically).
    """
    ts = _iso(frame["timestamp"], "+00:00")
    lines = [
        '<?xml version="1.0" encoding="UTF-8" ?>',
        '<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">',
        '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>',
        '<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>',
        '<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>',
        '<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>',
        '<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>',
        '<global scope="event"><string key="concept:name" value="__INVALID__"/>'
        '<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>'
        '<string key="lifecycle:transition" value="complete"/></global>',
        '<classifier name="Activity" keys="concept:name"/>',
        f"<string key=\"concept:name\" value={quoteattr(log_name)}/>",
    ]
    prev = None
    for case, act, t, res, role in zip(frame["case"], frame["activity"], ts, frame["resource"], frame["role"]):
        if case != prev:
            if prev is not None:
                lines.append("</trace>")
            lines.append(f"<trace><string key=\"concept:name\" value={quoteattr(case)}/>")
            prev = case
        lines.append(
            f"<event><string key=\"concept:name\" value={quoteattr(act)}/>"
            f"<date key=\"time:timestamp\" value=\"{t}\"/>"
            f"<string key=\"org:resource\" value={quoteattr(res)}/>"
            f"<string key=\"org:role\" value={quoteattr(role)}/>"
            "<string key=\"lifecycle:transition\" value=\"complete\"/></event>"
        )
    if prev is not None:
        lines.append("</trace>")
    lines.append("</log>")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path = Path(path)
    if path.name.endswith(".gz"):
        # mtime=0 and no file name in the header: the same bytes on every run
        with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(data)
    else:
        path.write_bytes(data)


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``case_id,activity,timestamp,resource,role`` with ISO 8601 UTC ``Z`` timestamps."""
    out = pd.DataFrame(
        {
            "case_id": frame["case"].to_numpy(),
            "activity": frame["activity"].to_numpy(),
            "timestamp": _iso(frame["timestamp"], "Z"),
            "resource": frame["resource"].to_numpy(),
            "role": frame["role"].to_numpy(),
        }
    )
    out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Write pm4py-named columns; ``time:timestamp`` is ``timestamp[us, tz=UTC]``; no pandas metadata."""
    ts = frame["timestamp"].dt.tz_convert("UTC").dt.as_unit("us")
    table = pa.table(
        {
            "case:concept:name": pa.array(frame["case"].tolist(), pa.string()),
            "concept:name": pa.array(frame["activity"].tolist(), pa.string()),
            "time:timestamp": pa.array(ts.array.asi8, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "org:resource": pa.array(frame["resource"].tolist(), pa.string()),
            "org:role": pa.array(frame["role"].tolist(), pa.string()),
        }
    )
    pq.write_table(table, path, compression="zstd", use_dictionary=True, write_statistics=True)


def bpmn_xml(spec: ProcessSpec) -> str:
    """A BPMN 2.0 model of the standard: a sequence with XOR skips for optional steps
    and parallel gateways for ``spec.parallel`` pairs; ids are positional, so the
    text is deterministic. Includes a simple left-to-right BPMNDI layout."""
    b = _Bpmn()
    prev = b.node("startEvent", "start", "")
    par = {a: bb for a, bb in spec.parallel}
    skip_next = set()
    for i, s in enumerate(spec.steps):
        if s.name in skip_next:
            continue
        if s.name in par:
            split = b.node("parallelGateway", f"and_split_{i:02d}", "", gateway="Diverging")
            tasks = [b.node("task", f"task_{i + k:02d}", n, lane=k) for k, n in enumerate((s.name, par[s.name]))]
            join = b.node("parallelGateway", f"and_join_{i:02d}", "", gateway="Converging")
            b.flow(prev, split)
            for t in tasks:
                b.flow(split, t)
                b.flow(t, join)
            skip_next.add(par[s.name])
            prev = join
        elif s.optional < 1.0:
            split = b.node("exclusiveGateway", f"xor_split_{i:02d}", "", gateway="Diverging")
            t = b.node("task", f"task_{i:02d}", s.name, lane=0)
            join = b.node("exclusiveGateway", f"xor_join_{i:02d}", "", gateway="Converging")
            b.flow(prev, split)
            b.flow(split, t)
            b.flow(t, join)
            b.flow(split, join, lane=1)
            prev = join
        else:
            t = b.node("task", f"task_{i:02d}", s.name)
            b.flow(prev, t)
            prev = t
    end = b.node("endEvent", "end", "")
    b.flow(prev, end)
    return b.xml(spec)


def write_bpmn(spec: ProcessSpec, path: str | Path) -> None:
    """Write :func:`bpmn_xml` of ``spec`` to ``path``."""
    Path(path).write_text(bpmn_xml(spec), encoding="utf-8", newline="\n")


# --- helpers ------------------------------------------------------------------


def _iso(ts: pd.Series, utc_suffix: str) -> list[str]:
    s = ts.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S")
    return [v + utc_suffix for v in s.tolist()]


class _Bpmn:
    """Collects nodes, flows and a naive grid layout for :func:`bpmn_xml`."""

    W, H, DX, DY = 100, 60, 150, 110

    def __init__(self) -> None:
        self.nodes: list[tuple[str, str, str, str, int, int]] = []  # kind, id, name, gateway, col, lane
        self.flows: list[tuple[str, str, str, int]] = []
        self.x = 0

    def node(self, kind: str, nid: str, name: str, *, gateway: str = "", lane: int = 0) -> str:
        col = self.x
        if lane == 0 or kind != "task":
            self.x += 1
        else:
            col = self.x - 1
        self.nodes.append((kind, nid, name, gateway, col, lane))
        return nid

    def flow(self, src: str, dst: str, *, lane: int = 0) -> None:
        self.flows.append((f"flow_{len(self.flows) + 1:02d}", src, dst, lane))

    def xml(self, spec: ProcessSpec) -> str:
        inc: dict[str, list[str]] = {}
        out: dict[str, list[str]] = {}
        for fid, s, d, _ in self.flows:
            out.setdefault(s, []).append(fid)
            inc.setdefault(d, []).append(fid)
        pid = f"process_{spec.name}"
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
            ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"'
            ' xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
            ' xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'
            f' id="definitions_{spec.name}" targetNamespace="https://divergence.example/sample_logs">',
            f'  <process id="{pid}" name={quoteattr(spec.title)} isExecutable="false">',
        ]
        for kind, nid, name, gateway, _, _ in self.nodes:
            attrs = f' id="{nid}"' + (f" name={quoteattr(name)}" if name else "")
            attrs += f' gatewayDirection="{gateway}"' if gateway else ""
            lines.append(f"    <{kind}{attrs}>")
            lines += [f"      <incoming>{f}</incoming>" for f in inc.get(nid, [])]
            lines += [f"      <outgoing>{f}</outgoing>" for f in out.get(nid, [])]
            lines.append(f"    </{kind}>")
        for fid, s, d, _ in self.flows:
            lines.append(f'    <sequenceFlow id="{fid}" sourceRef="{s}" targetRef="{d}"/>')
        lines.append("  </process>")
        lines.append(f'  <bpmndi:BPMNDiagram id="diagram_{spec.name}">')
        lines.append(f'    <bpmndi:BPMNPlane id="plane_{spec.name}" bpmnElement="{pid}">')
        pos: dict[str, tuple[int, int, int, int]] = {}
        for kind, nid, _, _, col, lane in self.nodes:
            w, h = (self.W, self.H) if kind == "task" else (36, 36) if kind.endswith("Event") else (50, 50)
            cx, cy = 60 + col * self.DX, 120 + lane * self.DY
            pos[nid] = (cx - w // 2, cy - h // 2, w, h)
            x, y, _, _ = pos[nid]
            lines.append(f'      <bpmndi:BPMNShape id="{nid}_di" bpmnElement="{nid}">')
            lines.append(f'        <dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/>')
            lines.append("      </bpmndi:BPMNShape>")
        for fid, s, d, lane in self.flows:
            sx, sy, sw, sh = pos[s]
            dx, dy, dw, dh = pos[d]
            scy, dcy = sy + sh // 2, dy + dh // 2
            if lane:  # an XOR skip: under the optional task
                low = 120 + lane * self.DY
                pts = [(sx + sw // 2, sy + sh), (sx + sw // 2, low), (dx + dw // 2, low), (dx + dw // 2, dy + dh)]
            elif scy == dcy:
                pts = [(sx + sw, scy), (dx, dcy)]
            else:
                mid = (sx + sw + dx) // 2
                pts = [(sx + sw, scy), (mid, scy), (mid, dcy), (dx, dcy)]
            lines.append(f'      <bpmndi:BPMNEdge id="{fid}_di" bpmnElement="{fid}">')
            lines += [f'        <di:waypoint x="{x}" y="{y}"/>' for x, y in pts]
            lines.append("      </bpmndi:BPMNEdge>")
        lines += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>", "</definitions>", ""]
        return "\n".join(lines)
