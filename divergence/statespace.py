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

This module knows nothing of pm4py: :mod:`divergence.pm` compiles a net into
``(label, pre, post)`` transitions and calls :func:`explore`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["StateSpace", "explore", "alignment_costs", "align", "BIG"]

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

    def edges_of(self, label: int) -> tuple[np.ndarray, np.ndarray]:
        """``(sources, targets)`` of the edges labelled ``labels[label]``."""
        if self._by_label is None:
            by: dict[int, tuple[list[int], list[int]]] = {}
            ix = self.label_index()
            for s, out in enumerate(self.visible):
                for a, t in out:
                    src, dst = by.setdefault(ix[a], ([], []))
                    src.append(s)
                    dst.append(t)
            self._by_label = {k: (np.array(s, dtype=np.int64), np.array(d, dtype=np.int64)) for k, (s, d) in by.items()}
        empty = np.zeros(0, dtype=np.int64)
        return self._by_label.get(label, (empty, empty))

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

    def path(self, u: int, v: int) -> list[str]:
        """Visible labels on the recorded shortest path from state u to v."""
        self.dist  # noqa: B018 - computes the closure
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


def explore(trans: Sequence, start: tuple, final: tuple, max_states: int) -> StateSpace | None:
    """Reachability graph of a net, or None when it has more than ``max_states`` markings.

    Parameters
    ----------
    trans : sequence of (label or None, pre, post)
        Transitions in a fixed order: ``pre`` a tuple of ``(place, weight)``,
        ``post`` a mapping place -> weight (see ``divergence.pm._compile``).
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
        have = dict(states[k])
        sil, vis = [], []
        for label, pre, post in trans:
            if all(have.get(p, 0) >= w for p, w in pre):
                nxt = Counter(have)
                for p, w in pre:
                    nxt[p] -= w
                nxt.update(post)
                m = tuple(sorted((p, c) for p, c in nxt.items() if c > 0))
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


def _encode(ss: StateSpace, traces: Sequence[Sequence[str]]) -> list[np.ndarray]:
    ix = ss.label_index()
    return [np.array([ix.get(a, -1) for a in t], dtype=np.int64) for t in traces]


def _step(ss: StateSpace, prev: np.ndarray, label: int) -> np.ndarray:
    """``C[i+1]`` rows from ``C[i]`` rows (2-D) for one activity (-1: unknown, log moves only)."""
    nxt = prev + 1
    src, dst = ss.edges_of(label) if label >= 0 else (np.zeros(0, dtype=np.int64),) * 2
    if len(src):
        dist = ss.dist[dst]  # (edges, n)
        rows = max(1, _CHUNK_CELLS // max(1, len(src) * ss.n))
        for r in range(0, len(prev), rows):
            part = prev[r : r + rows, src]  # (rows, edges)
            cand = (part[:, :, None] + dist[None, :, :]).min(axis=1)
            np.minimum(nxt[r : r + rows], cand, out=nxt[r : r + rows])
    np.minimum(nxt, BIG, out=nxt)
    return nxt


def alignment_costs(ss: StateSpace, traces: Sequence[Sequence[str]]) -> np.ndarray:
    """Optimal alignment cost of each trace (log and visible model moves), vectorised.

    Returns
    -------
    ndarray of int64, shape (len(traces),)
        :data:`BIG` where the final marking is unreachable.
    """
    out = np.full(len(traces), BIG, dtype=np.int64)
    if ss.final < 0 or not len(traces):
        return out
    codes = _encode(ss, traces)
    lengths = np.array([len(c) for c in codes])
    width = int(lengths.max()) if len(lengths) else 0
    grid = np.full((len(codes), width), -2, dtype=np.int64)
    for i, c in enumerate(codes):
        grid[i, : len(c)] = c
    cost = np.repeat(ss.dist[0][None, :].astype(np.int64), len(codes), axis=0)
    done = lengths == 0
    out[done] = cost[done, ss.final]
    for pos in range(width):
        live = np.flatnonzero(lengths > pos)
        col = grid[live, pos]
        for label in np.unique(col):
            rows = live[col == label]
            cost[rows] = _step(ss, cost[rows], int(label))
        ending = live[lengths[live] == pos + 1]
        out[ending] = cost[ending, ss.final]
    return np.minimum(out, BIG)


def align(ss: StateSpace, trace: Sequence[str]) -> tuple[list[tuple[str, str]], int]:
    """One optimal alignment: ``([(kind, activity), ...], cost)``.

    ``kind`` is ``"sync"``, ``"log"`` or ``"model"``; silent moves are left
    out. Ties prefer a synchronous move, then the lowest-numbered edge.

    Raises
    ------
    ValueError
        If the final marking is unreachable.
    """
    if ss.final < 0 or ss.shortest >= BIG:
        raise ValueError("the final marking is not reachable")
    code = _encode(ss, [trace])[0]
    layers = [ss.dist[0].astype(np.int64)]
    for label in code:
        layers.append(_step(ss, layers[-1][None, :], int(label))[0])
    t = ss.final
    c = int(layers[-1][t])
    moves: list[tuple[str, str]] = []
    for i in range(len(code), 0, -1):
        prev, label, a = layers[i - 1], int(code[i - 1]), trace[i - 1]
        src, dst = ss.edges_of(label) if label >= 0 else ((), ())
        for u, v in zip(src, dst):
            if prev[u] + ss.dist[v, t] == c:
                moves.extend(("model", m) for m in reversed(ss.path(int(v), t)))
                moves.append(("sync", a))
                t, c = int(u), int(prev[u])
                break
        else:
            if prev[t] + 1 != c:  # pragma: no cover - the programme guarantees one of the two
                raise AssertionError("alignment backtracking failed")
            moves.append(("log", a))
            c -= 1
    moves.extend(("model", m) for m in reversed(ss.path(0, t)))
    moves.reverse()
    return moves, int(layers[-1][ss.final])
