"""Optimal alignments on a model's state space, vectorised over variants.

A bounded Petri net is explored once into its reachability graph (markings
as states, transitions as labelled edges, silent ones unlabelled). An
optimal alignment of a trace with the standard costs (log move 1, visible
model move 1, synchronous and silent moves 0) is then a shortest path in
the product of the trace's positions and those states, ending in the final
marking after the last event.

The search is a dynamic programme over the trace's positions, done with
numpy: ``C[i, s]`` is the cheapest cost of having consumed the first ``i``
events and being in state ``s``. With ``D[s, t]`` the fewest visible
model moves from ``s`` to ``t`` (all pairs, computed once per model with
scipy), every ``C[i]`` is *closed* (``C[i, t] <= C[i, s] + D[s, t]``), so

``C[0] = D[init]``, and
``C[i+1, t] = min(C[i, t] + 1, min over edges u -a-> v of C[i, u] + D[v, t])``

where ``a`` is event ``i``'s activity. One step costs O(edges labelled
``a`` x states); unique variants are stepped together, position by
position, grouped by activity. The alignment cost is ``C[len, final]``;
the moves are recovered by walking the programme backwards.

This module knows nothing of pm4py: :mod:`divergence.model.behaviour` compiles a net into
``(label, pre, post)`` transitions and calls :func:`explore`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["StateSpace", "explore", "alignment_costs", "align", "align_many", "BIG"]

#: "Unreachable" in the integer cost arrays (far from overflow when added).
BIG = 1 << 28
#: Rows stepped at once (bounds the temporary ``rows x edges x states`` array).
_CHUNK_CELLS = 4_000_000


@dataclass(eq=False)
class StateSpace:
    """Reachability graph of a bounded net, with all-pairs model-move distances.

    Attributes
    ----------
    n : int
        Number of states (reachable markings); state 0 is the initial marking.
    final : int
        Index of the final marking, or -1 when it is not reachable.
    labels : list of str
        Visible labels, sorted; edges refer to them by index.
    silent : list of list of int
        Successors of each state through silent transitions.
    visible : list of list of (str, int)
        ``(label, successor)`` of each state through visible transitions.
    """

    n: int
    final: int
    labels: list[str]
    silent: list[list[int]]
    visible: list[list[tuple[str, int]]]
    _dist: np.ndarray | None = field(default=None, repr=False)
    _pred: np.ndarray | None = field(default=None, repr=False)
    _hop: dict | None = field(default=None, repr=False)
    _by_label: dict | None = field(default=None, repr=False)
    _paths: dict = field(default_factory=dict, repr=False)

    @property
    def dist(self) -> np.ndarray:
        """``(n, n)`` int32: fewest visible model moves from state s to t (:data:`BIG`: none)."""
        if self._dist is None:
            self._closure()
        return self._dist

    @property
    def shortest(self) -> int:
        """Fewest visible moves from the initial to the final marking (:data:`BIG`: unreachable)."""
        return BIG if self.final < 0 else int(self.dist[0, self.final])

    def label_index(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.labels)}

    def edges_of(self, label: int) -> "_Edges":
        """The edges labelled ``labels[label]``, grouped by target state."""
        if self._by_label is None:
            by: dict[int, list[tuple[int, int]]] = {}
            ix = self.label_index()
            for s, out in enumerate(self.visible):
                for a, t in out:
                    by.setdefault(ix[a], []).append((t, s))
            self._by_label = {k: _Edges.of(sorted(v)) for k, v in by.items()}
        return self._by_label.get(label, _NO_EDGES)

    def _closure(self) -> None:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import shortest_path

        n = self.n
        # visible edges weigh 1, silent ones eps with n * eps < 1: the
        # shortest weighted path has the fewest visible moves, and flooring
        # its weight gives that number exactly
        eps = 1.0 / (2 * n + 2)
        best: dict[tuple[int, int], tuple[float, str | None]] = {}
        for s in range(n):
            for t in self.silent[s]:
                if t != s:
                    best[(s, t)] = (eps, None)
            for a, t in sorted(self.visible[s]):
                if t != s and (s, t) not in best:
                    best[(s, t)] = (1.0, a)
        if best:
            keys = sorted(best)
            rows = [k[0] for k in keys]
            cols = [k[1] for k in keys]
            w = [best[k][0] for k in keys]
        else:
            rows, cols, w = [], [], []
        adj = csr_matrix((np.array(w, dtype=float), (rows, cols)), shape=(n, n))
        d, pred = shortest_path(adj, directed=True, return_predecessors=True)
        dist = np.where(np.isfinite(d), np.floor(d + 1e-9), BIG).astype(np.int32)
        self._dist = dist
        self._pred = pred.astype(np.int32)
        self._hop = {k: v[1] for k, v in best.items()}

    def path(self, u: int, v: int) -> tuple[str, ...]:
        """Visible labels on the recorded shortest path from state u to v (cached)."""
        self.dist  # noqa: B018 - computes the closure
        key = (u, v)
        if key not in self._paths:
            self._paths[key] = tuple(self._walk(u, v))
        return self._paths[key]

    def _walk(self, u: int, v: int) -> list[str]:
        pred, hop, out = self._pred, self._hop, []
        w = v
        while w != u:
            p = int(pred[u, w])
            if p < 0:
                raise ValueError(f"no path from state {u} to {v}")
            a = hop[(p, w)]
            if a is not None:
                out.append(a)
            w = p
        return out[::-1]


def successors(state: tuple, trans: Sequence):
    """``(label, next marking)`` for every transition enabled in a marking (see :func:`explore`)."""
    have = dict(state)
    for label, pre, post in trans:
        if all(have.get(p, 0) >= w for p, w in pre):
            nxt = Counter(have)
            for p, w in pre:
                nxt[p] -= w
            nxt.update(post)
            yield label, tuple(sorted((p, c) for p, c in nxt.items() if c > 0))


def explore(trans: Sequence, start: tuple, final: tuple, max_states: int) -> StateSpace | None:
    """Reachability graph of a net, or None when it has more than ``max_states`` markings.

    Parameters
    ----------
    trans : sequence of (label or None, pre, post)
        Transitions in a fixed order: ``pre`` a tuple of ``(place, weight)``,
        ``post`` a mapping place -> weight (see ``divergence.model.behaviour._compile``).
    start, final : tuple
        Markings as sorted ``(place, tokens)`` tuples.
    max_states : int
    """
    index = {start: 0}
    states = [start]
    silent: list[list[int]] = []
    visible: list[list[tuple[str, int]]] = []
    k = 0
    while k < len(states):
        sil, vis = [], []
        for label, m in successors(states[k], trans):
            j = index.get(m)
            if j is None:
                if len(states) >= max_states:
                    return None
                j = index[m] = len(states)
                states.append(m)
            (sil.append(j) if label is None else vis.append((label, j)))
        silent.append(sil)
        visible.append(vis)
        k += 1
    labels = sorted({a for out in visible for a, _ in out})
    return StateSpace(len(states), index.get(final, -1), labels, silent, visible)


@dataclass(frozen=True)
class _Edges:
    """Edges with one label, sorted by (target, source), as arrays.

    ``src``: source of each edge; ``group``: index of its target among
    ``targets``; ``starts``: first edge of each target (for ``reduceat``).
    """

    src: np.ndarray
    group: np.ndarray
    targets: np.ndarray
    starts: np.ndarray

    @staticmethod
    def of(pairs: list[tuple[int, int]]) -> "_Edges":
        dst = np.array([t for t, _ in pairs], dtype=np.int64)
        src = np.array([s for _, s in pairs], dtype=np.int64)
        targets, starts, group = np.unique(dst, return_index=True, return_inverse=True)
        return _Edges(src, group.astype(np.int64), targets, starts.astype(np.int64))


_NO_EDGES = _Edges(*(np.zeros(0, dtype=np.int64),) * 4)


def _encode(ss: StateSpace, traces: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Traces as a padded ``(n, max len)`` grid of label indices (-1 unknown, -2 padding) and lengths."""
    ix = ss.label_index()
    lengths = np.array([len(t) for t in traces], dtype=np.int64)
    grid = np.full((len(traces), int(lengths.max()) if len(traces) else 0), -2, dtype=np.int64)
    for i, t in enumerate(traces):
        grid[i, : len(t)] = [ix.get(a, -1) for a in t]
    return grid, lengths


def _best_by_target(prev: np.ndarray, edges: _Edges) -> np.ndarray:
    """``(rows, targets)``: per row, the cheapest source cost of the edges into each target."""
    return np.minimum.reduceat(prev[:, edges.src], edges.starts, axis=1)


def _step(ss: StateSpace, prev: np.ndarray, label: int) -> np.ndarray:
    """``C[i+1]`` rows from ``C[i]`` rows (2-D int64) for one activity (-1: unknown, log moves only)."""
    nxt = prev + 1
    edges = ss.edges_of(label) if label >= 0 else _NO_EDGES
    if len(edges.src):
        best = _best_by_target(prev, edges)  # (rows, targets)
        dist = ss.dist[edges.targets]  # (targets, n)
        rows = max(1, _CHUNK_CELLS // max(1, len(edges.targets) * ss.n))
        for r in range(0, len(prev), rows):
            cand = (best[r : r + rows, :, None] + dist[None, :, :]).min(axis=1)
            np.minimum(nxt[r : r + rows], cand, out=nxt[r : r + rows])
    np.minimum(nxt, BIG, out=nxt)
    return nxt


def _forward(ss: StateSpace, grid: np.ndarray, lengths: np.ndarray, layers: np.ndarray | None) -> np.ndarray:
    """Run the programme over all rows; returns ``C[len]`` per row; fills ``layers`` if given."""
    cost = np.repeat(ss.dist[0][None, :].astype(np.int64), len(grid), axis=0)
    final = cost.copy()
    if layers is not None:
        layers[:, 0] = cost
    for pos in range(grid.shape[1]):
        live = np.flatnonzero(lengths > pos)
        col = grid[live, pos]
        for label in np.unique(col):
            rows = live[col == label]
            cost[rows] = _step(ss, cost[rows], int(label))
        if layers is not None:
            layers[live, pos + 1] = cost[live]
        ending = live[lengths[live] == pos + 1]
        final[ending] = cost[ending]
    return final


def alignment_costs(ss: StateSpace, traces: Sequence[Sequence[str]]) -> np.ndarray:
    """Optimal alignment cost of each trace (log and visible model moves), vectorised.

    Returns
    -------
    ndarray of int64, shape (len(traces),)
        :data:`BIG` where the final marking is unreachable.
    """
    if ss.final < 0 or not len(traces):
        return np.full(len(traces), BIG, dtype=np.int64)
    grid, lengths = _encode(ss, traces)
    return np.minimum(_forward(ss, grid, lengths, None)[:, ss.final], BIG)


def align(ss: StateSpace, trace: Sequence[str]) -> tuple[list[tuple[str, str]], int]:
    """One optimal alignment: ``([(kind, activity), ...], cost)``; see :func:`align_many`."""
    return align_many(ss, [trace])[0]


#: Cells of the stored programme (rows x (positions + 1) x states) per batch.
_LAYER_CELLS = 8_000_000


def align_many(ss: StateSpace, traces: Sequence[Sequence[str]]) -> list[tuple[list[tuple[str, str]], int]]:
    """Optimal alignments of many traces: ``[(moves, cost), ...]`` in order.

    ``moves`` is a list of ``(kind, activity)`` with ``kind`` ``"sync"``,
    ``"log"`` or ``"model"``; silent moves are left out. Traces are stepped
    together (sorted by length, in batches that bound the stored programme)
    and walked back together; when several moves are optimal a synchronous
    move is preferred, then the lowest-numbered target and source state, so
    the result is deterministic.

    Raises
    ------
    ValueError
        If the final marking is unreachable.
    """
    if ss.final < 0 or ss.shortest >= BIG:
        raise ValueError("the final marking is not reachable")
    out: list = [None] * len(traces)
    order = sorted(range(len(traces)), key=lambda i: (len(traces[i]), i))
    k = 0
    while k < len(order):
        rows = 1
        # grow the batch while the longest trace in it keeps the programme small
        while k + rows < len(order) and (rows + 1) * (len(traces[order[k + rows]]) + 1) * ss.n <= _LAYER_CELLS:
            rows += 1
        batch = order[k : k + rows]
        for i, res in zip(batch, _align_batch(ss, [traces[i] for i in batch])):
            out[i] = res
        k += rows
    return out


def _align_batch(ss: StateSpace, traces: Sequence[Sequence[str]]) -> list:
    grid, lengths = _encode(ss, traces)
    n, width = grid.shape
    layers = np.empty((n, width + 1, ss.n), dtype=np.int64)
    _forward(ss, grid, lengths, layers)
    every = np.arange(n)
    t = np.full(n, ss.final, dtype=np.int64)
    c = layers[every, lengths, ss.final].copy()
    cost = c.copy()
    synced = np.zeros((n, width), dtype=bool)
    # after a synchronous move at position p: the model moves from state
    # via[:, p] to state to[:, p]
    via = np.zeros((n, width), dtype=np.int64)
    to = np.zeros((n, width), dtype=np.int64)
    for pos in range(width, 0, -1):
        live = np.flatnonzero(lengths >= pos)
        col = grid[live, pos - 1]
        for label in np.unique(col):
            rows = live[col == label]
            edges = ss.edges_of(int(label)) if label >= 0 else _NO_EDGES
            if not len(edges.src):
                c[rows] -= 1  # a log move
                continue
            prev = layers[rows, pos - 1]
            best = _best_by_target(prev, edges)  # (rows, targets)
            ok = best + ss.dist[edges.targets][:, t[rows]].T == c[rows, None]
            sync = ok.any(axis=1)
            g = ok.argmax(axis=1)
            s_rows, s_g = rows[sync], g[sync]
            # the source: the first edge into that target with the best cost
            part = prev[sync][:, edges.src]
            hit = (edges.group[None, :] == s_g[:, None]) & (part == best[sync, s_g][:, None])
            src = edges.src[hit.argmax(axis=1)]
            synced[s_rows, pos - 1] = True
            via[s_rows, pos - 1] = edges.targets[s_g]
            to[s_rows, pos - 1] = t[s_rows]
            c[s_rows] = best[sync, s_g]
            t[s_rows] = src
            c[rows[~sync]] -= 1  # a log move: state unchanged
    if np.any(c != layers[every, 0, t]):  # pragma: no cover - the programme guarantees it
        raise AssertionError("alignment backtracking failed")
    out = []
    pair = _Pairs()
    for r, trace in enumerate(traces):
        moves = list(pair.path(ss, 0, int(t[r])))
        for p, a in enumerate(trace):
            if synced[r, p]:
                moves.append(pair[("sync", a)])
                moves.extend(pair.path(ss, int(via[r, p]), int(to[r, p])))
            else:
                moves.append(pair[("log", a)])
        out.append((moves, int(cost[r])))
    return out


class _Pairs(dict):
    """Shared ``(kind, activity)`` tuples and model-move runs while moves are assembled."""

    def __missing__(self, key):
        self[key] = key
        return key

    def path(self, ss: StateSpace, u: int, v: int) -> tuple:
        key = ("path", u, v)
        if key not in self:
            self[key] = tuple(self[("model", m)] for m in ss.path(u, v))
        return self[key]
