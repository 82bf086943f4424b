"""What a process model allows, computed on its Petri net without pm4py.

The net's reachability graph (:mod:`divergence.model.statespace`), the
directly-follows relation of its language (:func:`model_graph`), that
relation as an automaton, the shortest visible run and the bounded
enumeration of its language. Everything is cached per model (models hash
by identity) and reads only the net's places, transitions, arcs and
markings, so pm4py is not imported here.
"""

from __future__ import annotations

import heapq
import weakref
from collections import Counter, deque
from typing import TYPE_CHECKING

from . import statespace
from ..errors import ModelError

if TYPE_CHECKING:
    from .pm import Model

__all__ = [
    "model_graph",
    "model_graph_method",
    "exact_alignment_possible",
    "GRAPH_MAX_STATES",
    "EXACT_MAX_STATES",
]


#: Bounds of the language enumeration used by the alignment fallback.
LANGUAGE_MAX_TRACES = 20_000


LANGUAGE_MAX_STATES = 200_000


#: States explored to find the model's shortest visible path.
SHORTEST_MAX_STATES = 1_000_000


#: Reachable markings explored by :func:`model_graph` before it falls back to
#: the process tree (or the net's structure).
GRAPH_MAX_STATES = 50_000


#: Models with at most this many reachable markings are aligned exactly on
#: their state space (:mod:`divergence.model.statespace`); its distance matrix
#: takes ``4 * n^2`` bytes.
EXACT_MAX_STATES = 3_000


_MODEL_INFO: "weakref.WeakKeyDictionary[Model, dict]" = weakref.WeakKeyDictionary()


def _dfg_space(model: Model) -> statespace.StateSpace:
    """The model's directly-follows graph as an automaton (cached).

    State 0 is the start, states 1..k the activities (sorted; being in
    state ``a`` means ``a`` was the last step), state k+1 the end. An edge
    ``a -> b`` of the graph is a move labelled ``b`` into state ``b``; start
    activities are entered from state 0; end activities reach the end
    through a silent move (so does the start when the model accepts the
    empty trace).
    """
    g = _graph(model)
    ss = g.get("dfg_space")
    if ss is None:
        acts = sorted(set(g["activities"]).union(*g["edges"], g["start"], g["end"]))
        node = {a: i + 1 for i, a in enumerate(acts)}
        end = len(acts) + 1
        visible: list[list[tuple[str, int]]] = [[] for _ in range(end + 1)]
        silent: list[list[int]] = [[] for _ in range(end + 1)]
        visible[0] = [(b, node[b]) for b in sorted(g["start"])]
        for a, b in sorted(g["edges"]):
            visible[node[a]].append((b, node[b]))
        for a in sorted(g["end"]):
            silent[node[a]].append(end)
        if g.get("empty"):
            silent[0].append(end)
        ss = statespace.StateSpace(end + 1, end, acts, silent, visible)
        if ss.shortest >= statespace.BIG:
            raise ModelError(f"{model.name}: the model's directly-follows graph has no start-to-end path")
        g["dfg_space"] = ss
    return ss


def exact_alignment_possible(model: Model) -> bool:
    """Whether the model's state space is small enough for exact alignments (:data:`EXACT_MAX_STATES`)."""
    return _exact_space(model) is not None


def _model_info(model: Model) -> dict:
    """Per-model facts for alignments: shortest visible path, cached language."""
    info = _MODEL_INFO.get(model)
    if info is None:
        shortest = _shortest_path(model)
        if shortest is None:
            raise ModelError(f"{model.name}: the model's final marking is not reachable")
        info = {"shortest": shortest, "language": None}
        _MODEL_INFO[model] = info
    return info


def _compile(model: Model):
    """Places as indices; transitions as (label or None, pre, post) tuples."""
    places = {p: i for i, p in enumerate(sorted(model.net.places, key=lambda p: str(p.name)))}
    trans = []
    for t in sorted(model.net.transitions, key=lambda t: (str(t.name), str(t.label))):
        pre = Counter({places[a.source]: a.weight for a in t.in_arcs})
        post = Counter({places[a.target]: a.weight for a in t.out_arcs})
        trans.append((t.label, tuple(sorted(pre.items())), post))

    def marking(mk) -> tuple:
        return tuple(sorted((places[p], c) for p, c in mk.items() if c > 0))

    return trans, marking(model.initial_marking), marking(model.final_marking)


_enabled = statespace.successors


def _shortest_path(model: Model) -> int | None:
    """Fewest visible transitions from the initial to the final marking (0-1 BFS)."""
    trans, start, final = _compile(model)
    dist = {start: 0}
    dq = deque([(0, start)])
    expanded = 0
    while dq and expanded < SHORTEST_MAX_STATES:
        d, s = dq.popleft()
        if d > dist.get(s, d):
            continue
        if s == final:
            return d
        expanded += 1
        for label, nxt in _enabled(s, trans):
            nd = d + (label is not None)
            if nd < dist.get(nxt, nd + 1):
                dist[nxt] = nd
                (dq.append if label is not None else dq.appendleft)((nd, nxt))
    return None


def _language(model: Model, max_len: int) -> tuple[list[tuple[str, ...]], bool]:
    """Visible traces of length <= max_len, shortest first; and whether complete.

    The enumeration is cached per model; it is redone for a longer
    ``max_len`` only when the cached one was complete (a truncated
    enumeration would stop at the same bound again).
    """
    info = _MODEL_INFO[model]
    cached = info["language"]
    if cached is not None and (cached[2] >= max_len or not cached[1]):
        lang, complete, _ = cached
        return ([t for t in lang if len(t) <= max_len] if complete else lang), complete
    if cached is not None:
        max_len = max(max_len, 2 * cached[2])
    trans, start, final = _compile(model)
    seen = {(start, ())}
    heap = [(0, (), start)]
    out: set[tuple[str, ...]] = set()
    complete = True
    expanded = 0
    while heap:
        if expanded >= LANGUAGE_MAX_STATES or len(out) >= LANGUAGE_MAX_TRACES:
            complete = False
            break
        _, prefix, s = heapq.heappop(heap)
        expanded += 1
        if s == final:
            out.add(prefix)
        for label, nxt in _enabled(s, trans):
            p2 = prefix if label is None else prefix + (label,)
            if len(p2) <= max_len and (nxt, p2) not in seen:
                seen.add((nxt, p2))
                heapq.heappush(heap, (len(p2), p2, nxt))
    lang = sorted(out, key=lambda t: (len(t), t))
    info["language"] = (lang, complete, max_len)
    return lang, complete


_GRAPH_CACHE: "weakref.WeakKeyDictionary[Model, dict]" = weakref.WeakKeyDictionary()


def model_graph(model: Model) -> dict:
    """Directly-follows relation of a model's language.

    Parameters
    ----------
    model : Model

    Returns
    -------
    dict
        ``{"activities": set[str], "edges": set[tuple[str, str]],
        "start": set[str], "end": set[str]}`` (fresh sets; the caller may
        modify them). ``(a, b)`` is an edge when ``b`` can fire right after
        ``a`` with only silent transitions between; ``start``: visible
        transitions reachable from the initial marking through silent ones;
        ``end``: visible transitions after which the final marking is
        reachable through silent ones.

    Notes
    -----
    Computed on the Petri net's reachability graph with silent-transition
    closure (exact), exploring at most :data:`GRAPH_MAX_STATES` markings.
    Beyond that (or for unbounded nets) it falls back to the process tree's
    directly-follows relation (``first``/``last``/``follows`` sets of each
    operator; parallel branches interleave freely), or, without a tree, to a
    structural approximation of the net (``a`` -> ``b`` when a place after
    ``a`` leads to ``b`` through silent transitions). Both fallbacks
    over-approximate the language's relation. The method used is given by
    :func:`model_graph_method`. Cached per model.
    """
    g = _graph(model)
    return {
        "activities": set(g["activities"]),
        "edges": set(g["edges"]),
        "start": set(g["start"]),
        "end": set(g["end"]),
    }


def model_graph_method(model: Model) -> str:
    """How :func:`model_graph` was computed: ``"reachability"``, ``"tree"`` or ``"structure"``."""
    return _graph(model)["method"]


_SPACE_CACHE: "weakref.WeakKeyDictionary[Model, object]" = weakref.WeakKeyDictionary()


def _state_space(model: Model) -> "statespace.StateSpace | None":
    """The model's reachability graph (cached), or None beyond :data:`GRAPH_MAX_STATES` markings."""
    if model not in _SPACE_CACHE:
        trans, start, final = _compile(model)
        _SPACE_CACHE[model] = statespace.explore(trans, start, final, GRAPH_MAX_STATES)
    return _SPACE_CACHE[model]


def _exact_space(model: Model) -> "statespace.StateSpace | None":
    """The state space when small enough for exact alignments (:data:`EXACT_MAX_STATES`)."""
    ss = _state_space(model)
    return ss if ss is not None and ss.n <= EXACT_MAX_STATES and ss.final >= 0 else None


def _graph(model: Model) -> dict:
    g = _GRAPH_CACHE.get(model)
    if g is None:
        g = _graph_reachability(model)
        if g is None and model.tree is not None:
            g = _graph_tree(model.tree)
        if g is None:
            g = _graph_structure(model)
        g["activities"] = frozenset(model.activities)
        for k in ("edges", "start", "end"):
            g[k] = frozenset(g[k])
        _GRAPH_CACHE[model] = g
    return g


def _graph_reachability(model: Model) -> dict | None:
    ss = _state_space(model)
    if ss is None:
        return None
    silent, visible, n = ss.silent, ss.visible, ss.n
    # nxt[s]: visible labels that can fire from s after silent steps only
    nxt_labels = [set(lbl for lbl, _ in visible[s]) for s in range(n)]
    rev: list[list[int]] = [[] for _ in range(n)]
    for s in range(n):
        for j in silent[s]:
            rev[j].append(s)
    work = deque(range(n))
    queued = [True] * n
    while work:
        j = work.popleft()
        queued[j] = False
        for s in rev[j]:
            if not nxt_labels[j] <= nxt_labels[s]:
                nxt_labels[s] |= nxt_labels[j]
                if not queued[s]:
                    queued[s] = True
                    work.append(s)
    # fin[s]: the final marking is reachable from s through silent steps only
    fin = [False] * n
    if ss.final >= 0:
        f = ss.final
        fin[f] = True
        stack = [f]
        while stack:
            for s in rev[stack.pop()]:
                if not fin[s]:
                    fin[s] = True
                    stack.append(s)
    edges, ends = set(), set()
    for s in range(n):
        for a, j in visible[s]:
            edges.update((a, b) for b in nxt_labels[j])
            if fin[j]:
                ends.add(a)
    return {
        "edges": edges,
        "start": set(nxt_labels[0]),
        "end": ends,
        "empty": fin[0],
        "method": "reachability",
    }


def _graph_tree(tree) -> dict:
    """Directly-follows relation of a process tree (over-approximated for +, O, <>)."""
    # operators by name: pm4py's Operator enum without importing pm4py
    def walk(t):
        # returns (nullable, first, last, edges, activities)
        if not t.children:
            if t.label is None:
                return True, set(), set(), set(), set()
            return False, {t.label}, {t.label}, set(), {t.label}
        parts = [walk(c) for c in t.children]
        op = getattr(t.operator, "name", t.operator)
        edges = set().union(*(p[3] for p in parts))
        acts = set().union(*(p[4] for p in parts))
        if op == "SEQUENCE":
            first, last, nullable = set(), set(), True
            for p in parts:
                if nullable:
                    first |= p[1]
                nullable = nullable and p[0]
            nullable_r = True
            for p in reversed(parts):
                if nullable_r:
                    last |= p[2]
                nullable_r = nullable_r and p[0]
            for i, p in enumerate(parts):
                for q in parts[i + 1 :]:
                    edges.update((a, b) for a in p[2] for b in q[1])
                    if not q[0]:
                        break
            return nullable, first, last, edges, acts
        if op == "XOR":
            return (
                any(p[0] for p in parts),
                set().union(*(p[1] for p in parts)),
                set().union(*(p[2] for p in parts)),
                edges,
                acts,
            )
        if op == "LOOP":
            do, redo = parts[0], parts[1:]
            r_first = set().union(*(p[1] for p in redo))
            r_last = set().union(*(p[2] for p in redo))
            r_null = any(p[0] for p in redo)
            edges.update((a, b) for a in do[2] for b in r_first)
            edges.update((a, b) for a in r_last for b in do[1])
            if r_null or do[0]:
                edges.update((a, b) for a in do[2] | r_last for b in do[1] | r_first)
            first = set(do[1]) | (r_first if do[0] else set())
            last = set(do[2]) | (r_last if do[0] else set())
            return do[0], first, last, edges, acts
        # parallel, interleaving, or, partial order: any interleaving of the branches
        for i, p in enumerate(parts):
            for j, q in enumerate(parts):
                if i != j:
                    edges.update((a, b) for a in p[4] for b in q[4])
        nullable = any(p[0] for p in parts) if op == "OR" else all(p[0] for p in parts)
        return (
            nullable,
            set().union(*(p[1] for p in parts)),
            set().union(*(p[2] for p in parts)),
            edges,
            acts,
        )

    nullable, first, last, edges, _ = walk(tree)
    return {"edges": edges, "start": first, "end": last, "empty": nullable, "method": "tree"}


def _graph_structure(model: Model) -> dict:
    """Structural approximation: visible successors through places and silent transitions."""
    net = model.net

    def visible_after_places(places) -> set[str]:
        out, seen_t, stack = set(), set(), list(places)
        seen_p = set(stack)
        while stack:
            p = stack.pop()
            for arc in p.out_arcs:
                t = arc.target
                if t.label is not None:
                    out.add(t.label)
                elif t not in seen_t:
                    seen_t.add(t)
                    for a2 in t.out_arcs:
                        if a2.target not in seen_p:
                            seen_p.add(a2.target)
                            stack.append(a2.target)
        return out

    def reaches_final(places) -> bool:
        final = set(model.final_marking)
        seen, stack = set(places), list(places)
        while stack:
            p = stack.pop()
            if p in final:
                return True
            for arc in p.out_arcs:
                if arc.target.label is None:
                    for a2 in arc.target.out_arcs:
                        if a2.target not in seen:
                            seen.add(a2.target)
                            stack.append(a2.target)
        return False

    edges, ends = set(), set()
    for t in net.transitions:
        if t.label is None:
            continue
        post = [a.target for a in t.out_arcs]
        edges.update((t.label, b) for b in visible_after_places(post))
        if reaches_final(post):
            ends.add(t.label)
    start = visible_after_places(list(model.initial_marking))
    empty = reaches_final(list(model.initial_marking))
    return {"edges": edges, "start": start, "end": ends, "empty": empty, "method": "structure"}
