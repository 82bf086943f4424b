"""Layered (Sugiyama-style) layout of directed graphs, top to bottom, without Graphviz.

Why our own implementation rather than grandalf's ``SugiyamaLayout``:
grandalf works, but it is slow on graphs with 100+ nodes and many long edges
(pure-Python loops over dummy vertices on every sweep), its output depends
on set and dict iteration in places we do not control, and its treatment of
cycles and dummy nodes is hard to steer (we need reversed edges to be known,
so they can be drawn as loops, and dummy chains per original edge, so edges
can be routed around boxes). The four classic phases are short enough to own:

1. **Cycle breaking**: depth-first search from the given roots (the
   artificial start), following heavier edges first; an edge to a node on
   the DFS stack is a feedback arc and is reversed. Heavy edges thus become
   tree edges and point down; rarer return edges become the loops.
2. **Layering**: longest path from the sources over the acyclic graph;
   ``sinks`` (the artificial end) are put on the last layer. Edges spanning
   more than one layer get one dummy node per crossed layer.
3. **Crossing reduction**: barycentre heuristic, alternating down and up
   sweeps, keeping the ordering with the fewest crossings (counted exactly).
4. **Coordinates**: layers stacked from the box heights; within a layer,
   x is pulled towards the weighted mean of its neighbours (dummy chains
   pulled hardest, so long edges run straight) while boxes keep their widths
   plus a gap apart. That constrained least-squares problem is solved exactly
   per layer by pool-adjacent-violators.

Everything is ordered by node index, weights and names, never by hashing, so
the same input gives the same coordinates. The cost is roughly
O(sweeps · (V + D + E)) with crossing counts O(E_layer²) per layer pair, well
under a second for a few hundred nodes.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Hashable, Mapping, Sequence

import numpy as np

__all__ = ["Layout", "layered_layout"]

Node = Hashable
Point = tuple[float, float]


@dataclass(frozen=True)
class Layout:
    """Result of :func:`layered_layout`; coordinates in points, y grows downwards.

    Attributes
    ----------
    pos : dict
        Centre of every node.
    size : dict
        ``(width, height)`` of every node, as given.
    layer : dict
        Layer index of every node (0 at the top).
    routes : dict
        For every non-loop edge ``(u, v)`` as given, the dummy points between
        ``u`` and ``v`` in the direction ``u`` to ``v`` (empty for edges
        between adjacent layers).
    back_edges : frozenset
        Edges reversed to break cycles (drawn as loops, pointing upwards).
    self_loops : tuple
        Edges ``(u, u)``, not laid out.
    width, height : float
        Extent of the drawing; every box lies in ``[0, width] x [0, height]``.
    crossings : int
        Edge crossings of the chosen ordering (dummy segments included).
    """

    pos: dict
    size: dict
    layer: dict
    routes: dict
    back_edges: frozenset
    self_loops: tuple
    width: float
    height: float
    crossings: int


def layered_layout(
    nodes: Sequence[Node],
    edges: Sequence[tuple[Node, Node]],
    *,
    sizes: Mapping[Node, tuple[float, float]],
    weights: Mapping[tuple[Node, Node], float] | None = None,
    roots: Sequence[Node] = (),
    sinks: Sequence[Node] = (),
    node_gap: float = 24.0,
    dummy_width: float = 12.0,
    layer_gap: float = 48.0,
    sweeps: int = 12,
) -> Layout:
    """Lay out a directed graph in layers, top to bottom.

    Parameters
    ----------
    nodes : sequence
        Nodes in a meaningful order (ties are broken by it).
    edges : sequence of (u, v)
        Directed edges; duplicates are ignored, self-loops returned apart.
    sizes : mapping
        ``node -> (width, height)`` in points.
    weights : mapping, optional
        Edge weights (e.g. cases); heavier edges are kept pointing down and
        straighter. Default 1.
    roots, sinks : sequence
        Nodes to start the cycle-breaking search from (the artificial start)
        and nodes to put on the last layer (the artificial end).
    node_gap, dummy_width, layer_gap : float, default 24, 12, 48
        Horizontal gap between boxes, width reserved for a long edge passing
        through a layer, vertical gap between layers (room for edge labels).
    sweeps : int, default 12
        Barycentre sweeps (each down then up).

    Returns
    -------
    Layout
    """
    nodes = list(dict.fromkeys(nodes))
    index = {n: i for i, n in enumerate(nodes)}
    w = dict(weights or {})
    seen: set = set()
    plain: list[tuple[Node, Node]] = []
    loops: list[tuple[Node, Node]] = []
    for u, v in edges:
        if (u, v) in seen:
            continue
        seen.add((u, v))
        if u not in index or v not in index:
            raise ValueError(f"edge {(u, v)!r} has an endpoint that is not a node")
        (loops if u == v else plain).append((u, v))

    back = _feedback_arcs(nodes, index, plain, w, roots)
    dag = [(v, u) if (u, v) in back else (u, v) for u, v in plain]
    layer = _longest_path_layers(nodes, index, dag, sinks)

    # proper layered graph: dummy chains for long edges
    n_layers = max(layer.values(), default=-1) + 1
    vid: list[Node] = list(nodes)  # vertex ids: real nodes, then dummies as ("dummy", k)
    vlayer = [layer[n] for n in nodes]
    vw = [float(sizes[n][0]) for n in nodes]
    segs: list[tuple[int, int, float]] = []  # (upper vertex, lower vertex, weight)
    chains: dict[tuple[Node, Node], list[int]] = {}
    for (u, v), (a, b) in zip(plain, dag):
        ew = float(w.get((u, v), 1.0))
        prev = index[a]
        chain = []
        for lay in range(layer[a] + 1, layer[b]):
            k = len(vid)
            vid.append(("dummy", k))
            vlayer.append(lay)
            vw.append(dummy_width)
            chain.append(k)
            segs.append((prev, k, ew))
            prev = k
        segs.append((prev, index[b], ew))
        chains[(u, v)] = chain if (u, v) == (a, b) else chain[::-1]
    is_dummy = np.array([i >= len(nodes) for i in range(len(vid))])

    order = _initial_order(len(vid), vlayer, n_layers, segs, index, roots)
    order, crossings = _reduce_crossings(order, segs, vlayer, sweeps)
    x = _coordinates(order, segs, vw, is_dummy, node_gap)

    # y from layer heights
    heights = [0.0] * n_layers
    for n in nodes:
        heights[layer[n]] = max(heights[layer[n]], float(sizes[n][1]))
    heights = [h if h > 0 else dummy_width for h in heights]
    y_lay, y = [], 0.0
    for h in heights:
        y_lay.append(y + h / 2)
        y += h + layer_gap
    height = y - layer_gap if heights else 0.0

    left = min((x[i] - vw[i] / 2 for i in range(len(vid))), default=0.0)
    right = max((x[i] + vw[i] / 2 for i in range(len(vid))), default=0.0)
    pos = {n: (x[index[n]] - left, y_lay[layer[n]]) for n in nodes}
    routes = {e: [(x[k] - left, y_lay[vlayer[k]]) for k in ch] for e, ch in chains.items()}
    return Layout(
        pos=pos,
        size={n: (float(sizes[n][0]), float(sizes[n][1])) for n in nodes},
        layer=dict(layer),
        routes=routes,
        back_edges=frozenset(back),
        self_loops=tuple(loops),
        width=right - left,
        height=height,
        crossings=crossings,
    )


# ---------------------------------------------------------------- phases


def _feedback_arcs(nodes, index, edges, w, roots) -> set:
    """Edges closing a cycle in a DFS from ``roots`` that follows heavy edges first."""
    succ: dict = {n: [] for n in nodes}
    indeg = {n: 0 for n in nodes}
    for u, v in edges:
        succ[u].append(v)
        indeg[v] += 1
    for u in succ:
        succ[u].sort(key=lambda v: (-float(w.get((u, v), 1.0)), index[v]))
    state = dict.fromkeys(nodes, 0)  # 0 new, 1 on stack, 2 done
    back: set = set()
    starts = [r for r in roots if r in index]
    starts += sorted(nodes, key=lambda n: (indeg[n] > 0, index[n]))
    for s in starts:
        if state[s]:
            continue
        state[s] = 1
        stack = [(s, iter(succ[s]))]
        while stack:
            u, it = stack[-1]
            for v in it:
                if state[v] == 1:
                    back.add((u, v))
                elif state[v] == 0:
                    state[v] = 1
                    stack.append((v, iter(succ[v])))
                    break
            else:
                state[u] = 2
                stack.pop()
    return back


def _longest_path_layers(nodes, index, dag, sinks) -> dict:
    """Layer = length of the longest path from a source; ``sinks`` on the last layer."""
    succ: dict = {n: [] for n in nodes}
    indeg = dict.fromkeys(nodes, 0)
    for a, b in dag:
        succ[a].append(b)
        indeg[b] += 1
    layer = dict.fromkeys(nodes, 0)
    heap = [(index[n], n) for n in nodes if indeg[n] == 0]
    heapq.heapify(heap)
    while heap:
        _, a = heapq.heappop(heap)
        for b in succ[a]:
            layer[b] = max(layer[b], layer[a] + 1)
            indeg[b] -= 1
            if indeg[b] == 0:
                heapq.heappush(heap, (index[b], b))
    sink_set = {s for s in sinks if s in layer}
    if sink_set:
        last = max([layer[n] for n in nodes if n not in sink_set] + [-1]) + 1
        for s in sink_set:
            if not succ[s]:
                layer[s] = max(layer[s], last)
    return layer


def _initial_order(nv, vlayer, n_layers, segs, index, roots) -> list[list[int]]:
    """Order within layers by a BFS over the layered graph from the roots."""
    down: list[list[int]] = [[] for _ in range(nv)]
    for a, b, _ in sorted(segs, key=lambda s: (-s[2], s[1])):
        down[a].append(b)
    visited = [False] * nv
    seq: list[int] = []
    starts = [index[r] for r in roots if r in index] + sorted(range(nv), key=lambda i: (vlayer[i], i))
    for s in starts:
        if visited[s]:
            continue
        visited[s] = True
        queue = [s]
        while queue:
            u = queue.pop(0)
            seq.append(u)
            for v in down[u]:
                if not visited[v]:
                    visited[v] = True
                    queue.append(v)
    order: list[list[int]] = [[] for _ in range(n_layers)]
    for v in seq:
        order[vlayer[v]].append(v)
    return order


def _reduce_crossings(order, segs, vlayer, sweeps):
    """Barycentre sweeps; returns the best ordering seen and its crossing count."""
    n_layers = len(order)
    up_nb: dict[int, list[int]] = {}
    down_nb: dict[int, list[int]] = {}
    by_gap: list[list[tuple[int, int]]] = [[] for _ in range(max(n_layers - 1, 0))]
    for a, b, _ in segs:
        down_nb.setdefault(a, []).append(b)
        up_nb.setdefault(b, []).append(a)
        by_gap[vlayer[a]].append((a, b))

    def count(order) -> int:
        pos = {v: i for lay in order for i, v in enumerate(lay)}
        total = 0
        for gap in by_gap:
            if len(gap) < 2:
                continue
            p = np.array([pos[a] for a, _ in gap])
            q = np.array([pos[b] for _, b in gap])
            total += int(np.sum((p[:, None] < p[None, :]) & (q[:, None] > q[None, :])))
        return total

    def sweep(order, layers, nb) -> list[list[int]]:
        order = [list(lay) for lay in order]
        pos = {v: i for lay in order for i, v in enumerate(lay)}
        for li in layers:
            lay = order[li]
            keys = []
            for i, v in enumerate(lay):
                ps = [pos[u] for u in nb.get(v, ())]
                keys.append((sum(ps) / len(ps) if ps else float(i), i))
            lay = [v for _, v in sorted(zip(keys, lay))]
            order[li] = lay
            for i, v in enumerate(lay):
                pos[v] = i
        return order

    best, best_c = order, count(order)
    cur = order
    for _ in range(sweeps):
        if best_c == 0:
            break
        cur = sweep(cur, range(1, n_layers), up_nb)
        c = count(cur)
        if c < best_c:
            best, best_c = cur, c
        cur = sweep(cur, range(n_layers - 2, -1, -1), down_nb)
        c = count(cur)
        if c < best_c:
            best, best_c = cur, c
    return best, best_c


def _coordinates(order, segs, vw, is_dummy, gap) -> list[float]:
    """x per vertex: pulled to neighbours, kept apart by widths, solved per layer."""
    nv = len(vw)
    x = [0.0] * nv
    for lay in order:
        acc = 0.0
        for i, v in enumerate(lay):
            if i:
                acc += (vw[lay[i - 1]] + vw[v]) / 2 + gap
            x[v] = acc
        shift = acc / 2
        for v in lay:
            x[v] -= shift
    up: dict[int, list[tuple[int, float]]] = {}
    down: dict[int, list[tuple[int, float]]] = {}
    for a, b, _ in segs:
        pull = 8.0 if (is_dummy[a] and is_dummy[b]) else (2.0 if (is_dummy[a] or is_dummy[b]) else 1.0)
        down.setdefault(a, []).append((b, pull))
        up.setdefault(b, []).append((a, pull))

    def place(lay, nbs_of):
        targets, wts = [], []
        for v in lay:
            nbs = nbs_of(v)
            tw = sum(p for _, p in nbs)
            targets.append(sum(x[u] * p for u, p in nbs) / tw if tw else x[v])
            wts.append(max(tw, 0.5))
        seps = [(vw[lay[i]] + vw[lay[i + 1]]) / 2 + gap for i in range(len(lay) - 1)]
        for v, xv in zip(lay, _pav(targets, wts, seps)):
            x[v] = float(xv)

    n_layers = len(order)
    for it in range(8):
        for li in range(1, n_layers):
            place(order[li], lambda v: up.get(v, []))
        for li in range(n_layers - 2, -1, -1):
            place(order[li], lambda v: down.get(v, []))
    for li in range(n_layers):  # final balanced pass: both directions
        place(order[li], lambda v: up.get(v, []) + down.get(v, []))
    return x


def _pav(target, weight, sep) -> list[float]:
    """Minimise sum w (x - t)^2 subject to x[i+1] - x[i] >= sep[i] (pool adjacent violators).

    Plain Python: layers hold a handful of vertices, where numpy's per-call
    overhead costs more than the loop.
    """
    n = len(target)
    if n == 0:
        return []
    c = [0.0] * n
    for i in range(1, n):
        c[i] = c[i - 1] + sep[i - 1]
    blocks: list[list[float]] = []  # [sum w*y, sum w, count]
    for yi, wi in zip((t - ci for t, ci in zip(target, c)), weight):
        blocks.append([wi * yi, wi, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, ww, k = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += ww
            blocks[-1][2] += k
    out: list[float] = []
    for s, ww, k in blocks:
        out += [s / ww] * int(k)
    return [v + ci for v, ci in zip(out, c)]
