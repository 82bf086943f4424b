"""The parts of a layered map's drawing: edge routes, arrowheads, edge labels, self-loops, legend.

Used by :mod:`~divergence.render.graphs` (process maps) and
:mod:`~divergence.render.diffmap` (difference maps) through ``_draw``.
"""

from __future__ import annotations

import numpy as np

from .layout import Layout
from .scene import Curve, Label, Polygon, Rect
from .style import BACK_EDGE, EDGE, PALETTE, text_size

EDGE_FONT = 7.5
LEGEND_FONT = 8.0
ARROW = 6.0
#: Dash pattern of loops (and target-only boxes), in multiples of the line width.
LOOP_DASH = (4.0, 2.5)
LOOP_BULGE = 16.0


def _edge_paths(lay: Layout, edges, pos, boxes, band, dx, dy) -> dict:
    """Bezier path per edge through its dummy points, ports spread along box sides.

    Returns ``{(u, v): (segments, arrow_base, label_point, points_up)}``;
    segments run from the upper end to the lower end; ``points_up`` marks
    back edges, whose arrowhead sits at the upper end.
    """
    drawn = [e for e in edges if e.u != e.v]
    info = {}
    ports: dict[tuple[str, str], list] = {}  # (node, "bottom"|"top") -> [(sort key, edge key)]
    for e in drawn:
        key = (e.u, e.v)
        up = key in lay.back_edges
        upper, lower = (e.v, e.u) if up else (e.u, e.v)
        route = [(x + dx, y + dy) for x, y in lay.routes[key]]
        if up:
            route = route[::-1]
        first = route[0] if route else pos[lower]
        last = route[-1] if route else pos[upper]
        ports.setdefault((upper, "bottom"), []).append(((first[0], up), key))
        ports.setdefault((lower, "top"), []).append(((last[0], up), key))
        info[key] = (upper, lower, route, up)
    offset: dict = {}
    for (node, side), items in ports.items():
        items.sort(key=lambda t: (t[0][0], t[0][1], str(t[1])))
        w = boxes[node][0]
        k = len(items)
        step = min(10.0, 0.7 * w / max(k - 1, 1)) if k > 1 else 0.0
        for i, (_, key) in enumerate(items):
            offset[(key, side)] = (i - (k - 1) / 2) * step
    out = {}
    for key, (upper, lower, route, up) in info.items():
        ux, uy = pos[upper]
        lx, ly = pos[lower]
        uh = boxes[upper][1] / 2
        lh = boxes[lower][1] / 2
        p0 = (ux + offset[(key, "bottom")], uy + uh + (ARROW if up else 0.0))
        p1 = (lx + offset[(key, "top")], ly - lh - (0.0 if up else ARROW))
        pts = [p0]
        for x, y in route:
            layer_half = band.get(round(y, 3), 0.0)
            pts += [(x, y - layer_half), (x, y + layer_half)]
        pts.append(p1)
        if up and not route:
            # a loop between adjacent layers: bow out to the right of the forward edge
            mx, my = (p0[0] + p1[0]) / 2 + 22, (p0[1] + p1[1]) / 2
            pts = [p0, (mx, my), p1]
        segments = [("M", pts[0])]
        segs = []
        for a, b in zip(pts, pts[1:]):
            if abs(a[0] - b[0]) < 1e-6 and _same_band(a, b, route):
                segments.append(("L", b))
            else:
                my = (a[1] + b[1]) / 2
                segments.append(("C", (a[0], my), (b[0], my), b))
            segs.append((a, b))
        inter = [s for s in segs if abs(s[1][1] - s[0][1]) > 1e-6 and not _same_band(s[0], s[1], route)] or segs
        a, b = inter[len(inter) // 2] if not up else inter[(len(inter) - 1) // 2]
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        out[key] = (tuple(segments), pts[0] if up else pts[-1], mid, up)
    return out


def _same_band(a, b, route) -> bool:
    """True for the straight segment of a dummy point inside its layer band."""
    return any(abs(a[0] - x) < 1e-6 and a[1] < y < b[1] for x, y in route) or any(
        abs(a[0] - x) < 1e-6 and b[1] < y < a[1] for x, y in route
    )


def _arrowhead(tip_base, up: bool, lw: float, colour) -> Polygon:
    x, y = tip_base
    half = 2.6 + 0.45 * lw
    tip = y - ARROW if up else y + ARROW
    return Polygon(((x - half, y), (x + half, y), (x, tip)), fill=colour, role="arrowhead")


def _label_items(cx: float, cy: float, text: str, w: float, h: float, align: str = "middle") -> list:
    x0 = cx - w / 2 if align == "middle" else cx - 2
    box = Rect(x0, cy - h / 2, w, h, fill="#ffffff", opacity=0.85, radius=2.0, role="edge-label-box")
    return [box, Label(cx, cy, text, EDGE_FONT, colour=PALETTE["black"], align=align, role="edge-label")]


def _place_label(text, mid, obstacles, placed) -> list:
    """``text`` at ``mid``, or the nearest shift that overlaps no box and fewest labels."""
    w, h = text_size(text, EDGE_FONT)
    w += 4
    h += 2
    shifts = np.array([0.0] + [d for s in range(1, 16) for d in (s * 7.0, -s * 7.0)])
    dxs = np.tile(shifts, 3)
    dys = np.repeat([0.0, -h * 0.6, h * 0.6], len(shifts))
    x0 = mid[0] + dxs - w / 2
    y0 = mid[1] + dys - h / 2
    cost = np.abs(dxs) * 0.01 + np.abs(dys) * 0.02
    for rects, weight in ((obstacles, 100.0), (placed, 1.0)):
        if rects:
            r = np.asarray(rects, dtype=float)
            ox = np.minimum(x0[:, None] + w, (r[:, 0] + r[:, 2])[None]) - np.maximum(x0[:, None], r[None, :, 0])
            oy = np.minimum(y0[:, None] + h, (r[:, 1] + r[:, 3])[None]) - np.maximum(y0[:, None], r[None, :, 1])
            cost = cost + weight * (np.clip(ox, 0, None) * np.clip(oy, 0, None)).sum(axis=1)
    k = int(np.argmin(cost))  # first minimum: the order above prefers small shifts
    placed.append((float(x0[k]), float(y0[k]), w, h))
    return _label_items(float(x0[k]) + w / 2, float(y0[k]) + h / 2, text, w, h)


def _self_loop(e, centre, box, placed, curves, heads, labels) -> None:
    x, y = centre
    w, h = box
    right = x + w / 2
    a, b = (right, y - h / 4), (right, y + h / 4)
    colour = BACK_EDGE if e.colour == EDGE else e.colour
    c = right + LOOP_BULGE * 1.4
    curves.append(Curve((("M", a), ("C", (c, a[1] - 4), (c, b[1] + 4), (b[0] + 5, b[1]))), stroke=colour,
                        lw=e.width, dash=LOOP_DASH, role="edge"))
    half = 2.6 + 0.45 * e.width
    heads.append(Polygon(((b[0] + 6, b[1] - half), (b[0] + 6, b[1] + half), (b[0], b[1])), fill=colour,
                         role="arrowhead"))
    if e.label:
        tw, th = text_size(e.label, EDGE_FONT)
        lx = right + LOOP_BULGE + 6
        placed.append((lx - 2, y - (th + 2) / 2, tw + 4, th + 2))
        labels += _label_items(lx, y, e.label, tw + 4, th + 2, align="start")


def _legend_rows(legend, width) -> list[list]:
    rows, cur, used = [], [], 0.0
    for item in legend:
        w = 30 + text_size(item[3], LEGEND_FONT)[0] + 16
        if cur and used + w > width:
            rows.append(cur)
            cur, used = [], 0.0
        cur.append((item, w))
        used += w
    if cur:
        rows.append(cur)
    return rows


def _legend_row(row, x, y) -> list:
    cy = y + LEGEND_FONT * 0.7
    out = []
    for (kind, face, edge, label), w in row:
        if kind == "box":
            out.append(Rect(x, cy - 5, 22, 10, fill=face, stroke=edge, lw=1.0, radius=3.0, role="legend-key"))
        else:
            out.append(Curve((("M", (x, cy)), ("L", (x + 22, cy))), stroke=face, lw=1.8,
                             dash=None if kind == "line" else LOOP_DASH, role="legend-key"))
        out.append(Label(x + 28, cy, label, LEGEND_FONT, colour=PALETTE["black"], role="legend-label"))
        x += w
    return out
