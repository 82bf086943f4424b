"""Process maps and difference maps: layered graphs of directly-follows behaviour.

A process map shows one profile's most frequent behaviour: the edges that
together cover a share of all directly-follows occurrences (the "frequency
slider" of interactive tools, fixed at ``coverage``), the activities on them,
an artificial start and end. Difference maps (``diffmap.py``) are drawn with
the same machinery.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from ..errors import OptionError
from ..profile import UnitProfile
from .layout import layered_layout
from .mapparts import (
    EDGE_FONT,
    LEGEND_FONT,
    LOOP_BULGE,
    LOOP_DASH,
    _arrowhead,
    _edge_paths,
    _legend_row,
    _legend_rows,
    _place_label,
    _self_loop,
)
from .scene import Circle, Curve, Label, Rect, Scene
from .style import (
    BACK_EDGE,
    EDGE,
    NODE,
    PALETTE,
    format_count,
    format_duration,
    text_size,
    tint,
    wrap_to_width,
)

__all__ = [
    "TargetGraph",
    "process_map",
    "process_map_scene",
    "select_behaviour",
]

START = "\x00start"  # control characters are stripped from activity names on input,
END = "\x00end"  # so these keys never collide with an activity

NODE_FONT = 9.0
TITLE_FONT = 12.5
CAPTION_FONT = 8.0
TERMINAL_FONT = 10.0
TARGET_DASH = (3.0, 2.0)
MARGIN = 18.0
MIN_WIDTH = 540.0
TERMINAL_R = 11.0
#: Hard ceilings of what a map may show: beyond them a layered drawing is
#: unreadable and its layout slow (hundreds of layers of dummy nodes).
MAX_ACTIVITIES = 150
MAX_EDGES = 400


@dataclass(frozen=True)
class TargetGraph:
    """A target process as plain directly-follows behaviour.

    ``activities``; ``edges`` as (source, target) pairs; ``start`` and ``end``:
    activities a case may start or end with.
    """

    activities: set[str] = field(default_factory=set)
    edges: set[tuple[str, str]] = field(default_factory=set)
    start: set[str] = field(default_factory=set)
    end: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Behaviour:
    """What :func:`select_behaviour` keeps of a profile.

    ``edges`` has ``source``, ``target``, ``events``, ``cases``,
    ``median_wait_s`` and includes edges from :data:`START` and to
    :data:`END`; ``activities`` has ``activity``, ``events``, ``cases``.
    """

    activities: pd.DataFrame
    edges: pd.DataFrame
    share: float
    total_activities: int
    total_edges: int


def select_behaviour(
    profile: UnitProfile,
    *,
    coverage: float = 0.9,
    max_activities: int = 60,
    max_edges: int = 150,
) -> Behaviour:
    """The most frequent edges covering ``coverage`` of directly-follows occurrences.

    Only the ``max_activities`` most frequent activities (by events) are
    candidates; edges are taken by occurrences, most frequent first, until
    their occurrences reach ``coverage`` of all occurrences (start and end
    transitions included) or ``max_edges`` edges are kept. Then every kept
    activity is made reachable from the start and able to reach the end,
    where possible, by adding the most frequent path over candidate edges.
    """
    _check_options(coverage, max_activities, max_edges)
    return _select(profile, _all_edges(profile), coverage, max_activities, max_edges)


def _check_options(coverage: float, max_activities: int, max_edges: int) -> None:
    if not 0 < coverage <= 1:
        raise OptionError(f"coverage must be in (0, 1], got {coverage!r}")
    if not 1 <= max_activities <= MAX_ACTIVITIES:
        raise OptionError(
            f"max_activities must be between 1 and {MAX_ACTIVITIES} (larger maps are unreadable "
            f"and slow to lay out), got {max_activities!r}"
        )
    if not 1 <= max_edges <= MAX_EDGES:
        raise OptionError(f"max_edges must be between 1 and {MAX_EDGES}, got {max_edges!r}")


def _select(profile: UnitProfile, edges: pd.DataFrame, coverage: float, max_activities: int, max_edges: int):
    """:func:`select_behaviour` on the profile's edges from :func:`_all_edges` (options checked)."""
    acts = profile.activities.sort_values(["events", "activity"], ascending=[False, True], kind="stable")
    candidates = set(acts["activity"].head(max_activities))
    total = float(edges["events"].sum()) or 1.0
    ok = edges["source"].isin(candidates | {START}) & edges["target"].isin(candidates | {END})
    cand = edges[ok].sort_values(
        ["events", "cases", "source", "target"], ascending=[False, False, True, True], kind="stable"
    )
    cum = cand["events"].cumsum().to_numpy()
    n_keep = int(np.searchsorted(cum, coverage * total - 1e-9) + 1) if len(cum) else 0
    n_keep = min(n_keep, len(cand), max_edges)
    kept = cand.head(n_keep)

    g_all = nx.DiGraph()
    for r in cand.itertuples(index=False):
        g_all.add_edge(r.source, r.target, w=math.log(total / r.events) + 1e-6)
    chosen = {(r.source, r.target) for r in kept.itertuples(index=False)}
    chosen |= _repair(g_all, chosen)
    kept = cand[[(s, t) in chosen for s, t in zip(cand["source"], cand["target"])]]
    kept = kept.sort_values(["source", "target"], kind="stable").reset_index(drop=True)
    names = (set(kept["source"]) | set(kept["target"])) - {START, END}
    a = acts[acts["activity"].isin(names)][["activity", "events", "cases"]].reset_index(drop=True)
    return Behaviour(
        activities=a,
        edges=kept,
        share=float(kept["events"].sum()) / total,
        total_activities=len(acts),
        total_edges=len(edges),
    )


def process_map(
    profile: UnitProfile,
    path_stem: str | Path,
    *,
    coverage: float = 0.9,
    max_activities: int = 60,
    max_edges: int = 150,
    title: str | None = None,
    png: bool = True,
) -> list[Path]:
    """Draw a profile's most frequent behaviour as a layered process map.

    Parameters
    ----------
    profile : UnitProfile
        A unit's profile, or a merged (family-level) one.
    path_stem : str or Path
        Output path without suffix; ``.svg`` and ``.png`` are written.
    coverage : float, default 0.9
        Share of directly-follows occurrences the kept edges must cover.
    max_activities : int, default 60
        Most frequent activities considered (keeps large logs readable).
    max_edges : int, default 150
        Most edges drawn.
    title : str, optional
        Default: "Process map: <process> · <unit>".
    png : bool, default True
        Also write the PNG (most of the drawing time of a large map).

    Returns
    -------
    list of Path
        The SVG and PNG written (the SVG only without ``png``).
    """
    scene = process_map_scene(
        profile, coverage=coverage, max_activities=max_activities, max_edges=max_edges, title=title
    )
    return scene.write(path_stem, png=png)


def process_map_scene(
    profile: UnitProfile,
    *,
    coverage: float = 0.9,
    max_activities: int = 60,
    max_edges: int = 150,
    title: str | None = None,
) -> Scene:
    """The drawing :func:`process_map` writes (a notebook shows it as SVG)."""
    b = select_behaviour(profile, coverage=coverage, max_activities=max_activities, max_edges=max_edges)
    top = max([1] + b.activities["cases"].tolist())
    nodes = {START: _terminal(START), END: _terminal(END)}
    for r in b.activities.itertuples(index=False):
        share = r.cases / top
        nodes[r.activity] = _Node(
            label=f"{_wrap(r.activity)}\n{format_count(r.cases)} cases",
            face=tint(NODE, 0.10 + 0.40 * share),
            edge=NODE,
        )
    edges = _edges_from(b.edges, colour=EDGE)
    caption = (
        f"Shown: {len(b.activities)} of {b.total_activities} activities and "
        f"{len(b.edges)} of {b.total_edges} transitions, covering {b.share:.0%} of "
        f"{format_count(_total_occurrences(profile))} directly-follows occurrences "
        f"(kept the most frequent transitions up to {coverage:.0%}, "
        f"at most {max_activities} activities). Box: activity and cases; "
        "edge width ∝ cases; edge label: cases · median wait; ▶ start, ■ end."
    )
    legend = [
        ("box", tint(NODE, 0.3), NODE, "activity (darker: more cases)"),
        ("line", EDGE, None, "transition"),
        ("dash", BACK_EDGE, None, "loop back to an earlier step"),
    ]
    head = title or f"Process map: {profile.process} · {profile.unit}"
    sub = f"{format_count(profile.cases)} cases, {format_count(profile.events)} events"
    return _draw(nodes, edges, title=head, subtitle=sub, caption=caption, legend=legend)


# ---------------------------------------------------------------- selection


#: Per-profile tables kept for the next drawing of the same profile object
#: (a unit's process map and its difference map; the target side of every
#: difference map of a process): ``(kind, id) -> (profile, value)``. The
#: profile is held, so its id cannot be reused while the entry lives.
_MEMO: dict[tuple[str, int], tuple[object, object]] = {}
_MEMO_SIZE = 8


def _memo(kind: str, obj, fn):
    """``fn(obj)``, reused while ``obj`` is one of the last few objects asked about; callers must not change it."""
    key = (kind, id(obj))
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is obj:
        return hit[1]
    value = fn(obj)
    while len(_MEMO) >= _MEMO_SIZE:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = (obj, value)
    return value


def _all_edges(profile: UnitProfile) -> pd.DataFrame:
    """Every transition of ``profile``, from :data:`START` and to :data:`END` included (shared: do not change it)."""
    return _memo("edges", profile, _all_edges_of)


def _all_edges_of(profile: UnitProfile) -> pd.DataFrame:
    cols = ["source", "target", "events", "cases", "median_wait_s"]
    e = profile.edges[cols].copy()
    s = profile.start_activities()
    t = profile.end_activities()
    starts = pd.DataFrame(
        {"source": START, "target": s.index.astype(str), "events": s.values, "cases": s.values,
         "median_wait_s": np.nan}
    )
    ends = pd.DataFrame(
        {"source": t.index.astype(str), "target": END, "events": t.values, "cases": t.values,
         "median_wait_s": np.nan}
    )
    out = pd.concat([x for x in (e, starts, ends) if len(x)], ignore_index=True) if len(e) + len(s) else e
    return out.astype({"events": np.int64, "cases": np.int64, "median_wait_s": float})


def _total_occurrences(profile: UnitProfile) -> int:
    return int(profile.edges["events"].sum()) + 2 * int(profile.cases)


def _repair(g: nx.DiGraph, chosen: set) -> set:
    """Edges to add so kept activities are reachable from START and reach END."""
    added: set = set()
    if START not in g:
        return added

    def kept_graph() -> nx.DiGraph:
        k = nx.DiGraph()
        k.add_nodes_from([START, END])
        k.add_edges_from(chosen | added)
        return k

    k = kept_graph()
    reached = nx.descendants(k, START)  # recomputed only when edges are added
    for a in sorted(n for n in k if n not in (START, END)):
        if a not in reached and nx.has_path(g, START, a):
            p = nx.dijkstra_path(g, START, a, weight="w")
            added |= set(zip(p, p[1:]))
            k = kept_graph()
            reached = nx.descendants(k, START)
    if END in g:
        reaching = nx.ancestors(k, END)
        for a in sorted(n for n in k if n not in (START, END)):
            if a not in reaching and nx.has_path(g, a, END):
                p = nx.dijkstra_path(g, a, END, weight="w")
                added |= set(zip(p, p[1:]))
                k = kept_graph()
                reaching = nx.ancestors(k, END)
    return added


# ---------------------------------------------------------------- drawing


@dataclass
class _Node:
    label: str
    face: object
    edge: object
    dash: tuple[float, ...] | None = None
    linewidth: float = 1.0
    terminal: str | None = None


@dataclass
class _Edge:
    u: str
    v: str
    label: str | None
    width: float
    colour: object


def _terminal(key: str) -> _Node:
    return _Node(label="▶" if key == START else "■", face="white", edge=PALETTE["grey"], terminal=key)


def _wrap(name: str, width: int = 26, lines: int = 3) -> str:
    parts = textwrap.wrap(str(name), width=width, break_long_words=True, break_on_hyphens=True) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1] + "…"
    return "\n".join(parts)


def _edges_from(kept: pd.DataFrame, *, colour) -> list[_Edge]:
    top = max([1] + kept["cases"].tolist())
    out = []
    for r in kept.itertuples(index=False):
        if r.source == START or r.target == END:
            label = format_count(r.cases)
        else:
            label = f"{format_count(r.cases)} · {format_duration(r.median_wait_s)}"
        out.append(_Edge(r.source, r.target, label, 0.8 + 3.7 * r.cases / top, colour))
    return out


def _draw(nodes: dict, edges: list[_Edge], *, title, subtitle, caption, legend) -> Scene:
    sizes, boxes = {}, {}
    loops = {e.u: e for e in edges if e.u == e.v}
    for k, n in nodes.items():
        if n.terminal:
            w = h = 2 * TERMINAL_R
        else:
            tw, th = text_size(n.label, NODE_FONT)
            w, h = max(tw + 16, 64.0), th + 10
        boxes[k] = (w, h)
        extra = 0.0
        if k in loops:
            lw = text_size(loops[k].label or "", EDGE_FONT)[0] if loops[k].label else 0
            extra = 2 * (LOOP_BULGE + 6 + lw)
        sizes[k] = (w + extra, h)
    weights = {(e.u, e.v): e.width for e in edges}
    label_h = text_size("0", EDGE_FONT)[1]
    lay = layered_layout(
        list(nodes),
        [(e.u, e.v) for e in edges],
        sizes=sizes,
        weights=weights,
        roots=[START],
        sinks=[END],
        node_gap=26.0,
        layer_gap=max(46.0, 2 * label_h + 30),
    )

    # page geometry, all in points (y down)
    width = max(lay.width + 2 * MARGIN, MIN_WIDTH)
    inner = width - 2 * MARGIN
    title_lines = wrap_to_width(title, TITLE_FONT, inner, weight="bold")
    head = MARGIN + len(title_lines) * TITLE_FONT * 1.25
    if subtitle:
        head += LEGEND_FONT * 1.5
    legend_rows = _legend_rows(legend, inner)
    head += 6 + len(legend_rows) * LEGEND_FONT * 1.9 + 14
    cap_lines = wrap_to_width(caption, CAPTION_FONT, inner)
    foot = 16 + len(cap_lines) * CAPTION_FONT * 1.3 + MARGIN
    height = head + lay.height + foot
    dx = MARGIN + (inner - lay.width) / 2
    dy = head

    # painted in this order: frame (title, legend, caption), edges, arrowheads,
    # boxes, box text, edge labels on a white ground
    frame, curves, heads, shapes, texts, labels = [], [], [], [], [], []
    y = MARGIN
    for line in title_lines:
        frame.append(Label(MARGIN, y, line, TITLE_FONT, bold=True, valign="top", role="title"))
        y += TITLE_FONT * 1.25
    if subtitle:
        frame.append(Label(MARGIN, y + 1, subtitle, LEGEND_FONT, colour=PALETTE["grey"], valign="top",
                           role="subtitle"))
        y += LEGEND_FONT * 1.5
    y += 6
    for row in legend_rows:
        frame += _legend_row(row, MARGIN, y)
        y += LEGEND_FONT * 1.9
    y = dy + lay.height + 16
    for line in cap_lines:
        frame.append(Label(MARGIN, y, line, CAPTION_FONT, colour=PALETTE["grey"], valign="top", role="caption"))
        y += CAPTION_FONT * 1.3

    pos = {k: (x + dx, yy + dy) for k, (x, yy) in lay.pos.items()}
    rects = {k: (pos[k][0] - boxes[k][0] / 2, pos[k][1] - boxes[k][1] / 2, boxes[k][0], boxes[k][1]) for k in pos}
    band: dict[float, float] = {}  # layer centre y -> half height of its tallest box
    for k, (_, yy) in pos.items():
        band[round(yy, 3)] = max(band.get(round(yy, 3), 0.0), boxes[k][1] / 2)

    paths = _edge_paths(lay, edges, pos, boxes, band, dx, dy)
    placed: list[tuple[float, float, float, float]] = []
    obstacles = [(x - 2, y - 2, w + 4, h + 4) for x, y, w, h in rects.values()]
    for e in edges:
        if e.u == e.v:
            _self_loop(e, pos[e.u], boxes[e.u], placed, curves, heads, labels)
            continue
        segments, tip, mid, up = paths[(e.u, e.v)]
        back = (e.u, e.v) in lay.back_edges
        colour = BACK_EDGE if back and e.colour == EDGE else e.colour
        curves.append(Curve(segments, stroke=colour, lw=e.width, dash=LOOP_DASH if back else None, role="edge"))
        heads.append(_arrowhead(tip, up, e.width, colour))
        if e.label:
            labels += _place_label(e.label, mid, obstacles, placed)

    for k, n in nodes.items():
        x, yy, w, h = rects[k]
        if n.terminal:
            shapes.append(Circle(pos[k][0], pos[k][1], TERMINAL_R, fill="#ffffff", stroke=n.edge, lw=1.2,
                                 role="node-box"))
            texts.append(Label(pos[k][0] + (1.0 if k == START else 0.0), pos[k][1] - 0.6, n.label,
                               TERMINAL_FONT, align="middle", role="terminal-label"))
            continue
        shapes.append(Rect(x, yy, w, h, fill=n.face, stroke=n.edge, lw=n.linewidth, radius=5.0,
                           dash=n.dash, role="node-box"))
        texts.append(Label(pos[k][0], pos[k][1], n.label, NODE_FONT, align="middle", role="node-label"))
    return Scene(width, height, frame + curves + heads + shapes + texts + labels, title=title)
