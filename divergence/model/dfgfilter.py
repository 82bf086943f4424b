"""Directly-follows graphs of variants and their noise filtering (plain Python, no pm4py).

Used by discovery in :mod:`.pm`: the directly-follows counts of a set of
variants, the infrequent-edge filter that keeps the graph connected, and the
projection of variants onto frequent activities.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

__all__ = ["dfg_counts", "filter_dfg", "project_frequent", "reach"]

def project_frequent(uvcl: Mapping[tuple[str, ...], int], share: float, noise: float):
    """Variants with activities found in fewer than ``share`` of the cases removed.

    Returns the projected variants (empty ones dropped unless they are more
    than ``noise`` of the cases; never all of them), the kept activities
    and the number of activities before.
    """
    n = sum(uvcl.values())
    in_cases: Counter = Counter()
    for var, c in uvcl.items():
        for a in set(var):
            in_cases[a] += c
    kept = {a for a, c in in_cases.items() if c >= share * n}
    if not kept and in_cases:  # keep at least the most frequent activity
        kept = {max(sorted(in_cases), key=in_cases.__getitem__)}
    out: Counter = Counter()
    for var, c in uvcl.items():
        out[tuple(a for a in var if a in kept)] += c
    if () in out and out[()] <= noise * n and len(out) > 1:
        del out[()]
    return out, kept, len(in_cases)


def dfg_counts(uvcl: Mapping[tuple[str, ...], int]) -> tuple[Counter, Counter, Counter]:
    """Directly-follows, start and end counts of variants."""
    graph: Counter = Counter()
    starts: Counter = Counter()
    ends: Counter = Counter()
    for var, c in uvcl.items():
        if not var:
            continue
        starts[var[0]] += c
        ends[var[-1]] += c
        for a, b in zip(var, var[1:]):
            graph[(a, b)] += c
    return graph, starts, ends


def filter_dfg(graph: Mapping, starts: Mapping, ends: Mapping, noise: float):
    """Directly-follows graph with infrequent edges dropped, kept connected.

    An edge ``a -> b`` is kept when its count reaches ``noise`` times the
    largest outgoing count of ``a`` (its end count included) and ``noise``
    times the largest incoming count of ``b`` (its start count included);
    start and end activities are kept against the most frequent start, and
    against the activity's own largest outgoing count. Then, while some
    activity is unreachable from a start activity (or cannot reach an end
    activity), its strongest dropped link from the reachable part is
    restored, so that every activity stays on a start-to-end path (IMd
    needs this). Returns new Counters (graph, starts, ends).
    """
    out_max: Counter = Counter()
    in_max: Counter = Counter()
    for (a, b), c in graph.items():
        out_max[a] = max(out_max[a], c)
        in_max[b] = max(in_max[b], c)
    for a, c in ends.items():
        out_max[a] = max(out_max[a], c)
    for a, c in starts.items():
        in_max[a] = max(in_max[a], c)
    kept = {e: c for e, c in graph.items() if c >= noise * out_max[e[0]] and c >= noise * in_max[e[1]]}
    s_max = max(starts.values(), default=0)
    s_kept = {a: c for a, c in starts.items() if c >= noise * s_max}
    e_kept = {a: c for a, c in ends.items() if c >= noise * out_max[a]}
    acts = set(starts) | set(ends) | {a for e in graph for a in e}
    for forward in (True, False):
        src, dst = (s_kept, starts) if forward else (e_kept, ends)
        while True:
            seen = reach(src, kept, forward)
            missing = acts - seen
            if not missing:
                break
            best: dict[str, tuple[int, tuple | None]] = {}
            for b in missing:
                if b in dst:
                    best[b] = (dst[b], None)
            for (a, b), c in graph.items():
                x, y = (a, b) if forward else (b, a)
                if x in seen and y in missing and c > best.get(y, (-1, None))[0]:
                    best[y] = (c, (a, b))
            if not best:  # cannot happen for variant-derived graphs
                break
            for b, (c, e) in best.items():
                if e is None:
                    src[b] = c
                else:
                    kept[e] = c
    return Counter(kept), Counter(s_kept), Counter(e_kept)


def reach(seeds: Iterable[str], edges: Mapping[tuple[str, str], int], forward: bool) -> set[str]:
    adj: dict[str, list[str]] = {}
    for a, b in edges:
        x, y = (a, b) if forward else (b, a)
        adj.setdefault(x, []).append(y)
    seen = set(seeds)
    stack = list(seen)
    while stack:
        for y in adj.get(stack.pop(), ()):
            if y not in seen:
                seen.add(y)
                stack.append(y)
    return seen
