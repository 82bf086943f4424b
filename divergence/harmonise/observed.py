"""What a unit must change to run the target's *observed* behaviour.

When the target is a unit (or the behaviour most units share), the backlog
compares the unit's variants with the variants the target really runs, not
with a model discovered from them: a discovered model fits its own log at
only 0.65-0.80 on real logs, so a unit aligned to it would have to change to
adopt its own process.

The comparison is an optimal transport between the two stochastic languages
(unique variants with case counts):

1. **Case mix is not a change.** Units differ in case mix, so a unit may run
   each of the target's variants up to ``tolerance`` times as often as the
   target does (default 2) without that counting as a difference. In
   transport terms the target's variant j can receive up to ``tolerance ×
   share_j`` of the unit's cases; the unit's cases must all be placed.
2. **Identical behaviour stays in place.** The unit's cases that run a
   variant the target also runs are placed on it first, up to its capacity:
   with an edit distance (a metric) this is part of an optimal plan, and it
   makes the target map onto itself at zero cost by construction.
3. **The rest moves at least cost.** The remaining cases are transported to
   the target variants with capacity left, minimising the total number of
   edits (indel distance: steps inserted or deleted, a move counting as a
   deletion plus an insertion), solved exactly by a network simplex (POT)
   with column generation (:mod:`divergence.transport`).
4. **Each transported pair is decomposed into edits** (rapidfuzz's optimal
   indel edit script) and classified per activity: a step deleted and
   inserted in the same pair is a *reorder* (named by the step it jumps and
   the target's order); an extra execution of a step the target's case also
   does is *rework*; a step the target's case lacks is a deletion, a step
   the unit's case lacks an insertion.
5. **Deletions and insertions are netted per activity** over the whole
   unit: a unit that does X in other cases than the target, but as often,
   has nothing to change about X. A net excess of X is a candidate ``drop``,
   a net deficit a candidate ``add``. :mod:`divergence.harmonise.evidence` then keeps
   only what is statistically supported and practically large enough.

Limits: the decomposition names each move by one neighbour; the tolerance is
a planning assumption, not an estimate; variants are compared as sequences
(no timing). Above :data:`EXACT_MAX_CELLS` the residual transport problem is
solved greedily (each residual variant, largest first, to its nearest target
variant with capacity left), and :attr:`UnitTransport.exact` says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz.distance import Indel
from rapidfuzz.process import cdist

from ..errors import OptionError
from ..measures.emd import encode_many
from ..profile import UnitProfile

__all__ = [
    "UnitTransport",
    "PairEdits",
    "transport_unit",
    "variant_distances",
    "pair_edits",
    "DEFAULT_TOLERANCE",
    "EXACT_MAX_CELLS",
]

#: A unit may run each target variant up to this many times as often as the target.
DEFAULT_TOLERANCE = 2.0
#: Largest residual transport problem (unit variants × target variants) solved exactly.
EXACT_MAX_CELLS = 6_000_000

Variant = tuple[str, ...]


@dataclass(frozen=True)
class UnitTransport:
    """A unit's cases transported onto the target's observed variants.

    Attributes
    ----------
    unit, target : str
    fitness : float
        Case-weighted mean over transported pairs of ``1 - d / (|v| + |w|)``
        with ``d`` the indel distance between the unit's variant ``v`` and
        the target's variant ``w``: the share of the two cases' steps that
        match. 1.0 exactly when every case runs a target variant.
    pairs : DataFrame
        ``unit_variant``, ``target_variant`` (tuples), ``cases`` (float, the
        unit's cases moved along the pair), ``distance`` (int); sorted by
        cases descending, then the variants.
    exact : bool
        Whether the plan is optimal (False: greedy above :data:`EXACT_MAX_CELLS`).
    tolerance : float
    method : str
        ``"transport"``.
    """

    unit: str
    target: str
    fitness: float
    pairs: pd.DataFrame
    exact: bool
    tolerance: float = DEFAULT_TOLERANCE
    method: str = "transport"


@dataclass(frozen=True)
class PairEdits:
    """The edits turning one unit variant into one target variant, by activity.

    Attributes
    ----------
    reorders : dict
        ``(X, Y) -> occurrences``: X done at another position; X and Y in the
        target's order, Y the matched step next to where the target does X.
    rework : dict
        ``X -> occurrences`` of extra executions of a step the target's case
        also does.
    deleted : dict
        ``X -> occurrences`` of a step the target's case does not do at all.
    inserted : dict
        ``X -> occurrences`` of a step the unit's case does not do at all.
    repeated : dict
        ``X -> occurrences`` the target's case does more often than the
        unit's (which does X too).
    neighbours : dict
        ``X -> set`` of matched activities next to where an inserted X goes
        (whose staff would take the new step on).
    """

    reorders: dict = field(default_factory=dict)
    rework: dict = field(default_factory=dict)
    deleted: dict = field(default_factory=dict)
    inserted: dict = field(default_factory=dict)
    repeated: dict = field(default_factory=dict)
    neighbours: dict = field(default_factory=dict)


def transport_unit(
    unit: UnitProfile,
    target: UnitProfile,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    max_cells: int = EXACT_MAX_CELLS,
    workers: int = -1,
    distances: np.ndarray | None = None,
) -> UnitTransport:
    """Transport a unit's variants onto the target's at least total edit cost.

    Parameters
    ----------
    unit, target : UnitProfile
        Only ``variants`` (variant, cases) is read.
    tolerance : float, default 2.0
        Each target variant takes up to ``tolerance`` times its share of the
        target's cases, of the unit's cases (see the module notes). At least 1.
    max_cells : int
        Residual problems larger than this are solved greedily.
    workers : int, default -1
        Threads of the distance matrix (-1: all cores).
    distances : array, optional
        The indel distances between all the unit's variants (rows, in
        ``unit.variants`` order) and all the target's (columns), as
        :func:`variant_distances` gives them: read instead of computed.

    Returns
    -------
    UnitTransport

    Raises
    ------
    OptionError
        ``tolerance`` below 1 or the target has no cases.

    Notes
    -----
    Cost: the exact-match step is O(V); the residual problem needs an R × C
    indel distance matrix (bit-parallel, all cores) and a network simplex
    with column generation: about 0.1 s for BPIC 2015's 1,100 × 1,300
    variants (1 s for the dense simplex).
    """
    if not tolerance >= 1.0:
        raise OptionError(f"tolerance must be at least 1, got {tolerance!r}")
    uv = [tuple(v) for v in unit.variants["variant"]]
    uc = unit.variants["cases"].to_numpy(dtype=float)
    tv = [tuple(v) for v in target.variants["variant"]]
    tc = target.variants["cases"].to_numpy(dtype=float)
    if tc.sum() <= 0:
        raise OptionError(f"target {target.unit!r} has no cases")
    supply = uc.copy()
    cap = tolerance * tc / tc.sum() * uc.sum()
    rows: list[int] = []
    cols: list[int] = []
    mass: list[float] = []
    dists: list[int] = []
    # 2. identical behaviour stays in place (optimal under a metric ground cost)
    index = {v: j for j, v in enumerate(tv)}
    for i, v in enumerate(uv):
        j = index.get(v)
        if j is not None and supply[i] > 0:
            m = min(supply[i], cap[j])
            if m > 0:
                rows.append(i)
                cols.append(j)
                mass.append(m)
                dists.append(0)
                supply[i] -= m
                cap[j] -= m
    exact = True
    r_idx = np.flatnonzero(supply > 1e-9)
    c_idx = np.flatnonzero(cap > 1e-9)
    if len(r_idx):
        if distances is not None:
            dist_i = distances[np.ix_(r_idx, c_idx)]
        else:
            dist_i = _indel(uv, tv, r_idx, c_idx, workers)
        if len(r_idx) * len(c_idx) <= max_cells:
            plan = _solve(supply[r_idx], cap[c_idx], dist_i)
        else:
            plan, exact = _greedy(supply[r_idx], cap[c_idx], dist_i), False
        ri, ci = np.nonzero(plan > 1e-9)
        rows += list(r_idx[ri])
        cols += list(c_idx[ci])
        mass += list(plan[ri, ci])
        dists += list(dist_i[ri, ci])
    rows_a = np.asarray(rows, dtype=np.int64)
    cols_a = np.asarray(cols, dtype=np.int64)
    mass_a = np.asarray(mass, dtype=float)
    d = np.asarray(dists, dtype=np.int64)  # the indel distances of the pairs (0: identical)
    u_len = np.fromiter((len(v) for v in uv), dtype=np.int64, count=len(uv))
    t_len = np.fromiter((len(w) for w in tv), dtype=np.int64, count=len(tv))
    lengths = (u_len[rows_a] + t_len[cols_a]).astype(float)
    sim = np.where(lengths > 0, 1.0 - d / np.where(lengths > 0, lengths, 1.0), 1.0)
    fitness = float(mass_a @ sim / mass_a.sum()) if mass_a.sum() > 0 else 1.0
    pairs = pd.DataFrame(
        {
            "unit_variant": pd.Series([uv[i] for i in rows_a], dtype=object),
            "target_variant": pd.Series([tv[j] for j in cols_a], dtype=object),
            "cases": mass_a,
            "distance": d,
        }
    )
    if len(pairs):
        order = sorted(range(len(pairs)), key=lambda k: (-mass_a[k], uv[rows_a[k]], tv[cols_a[k]]))
        pairs = pairs.iloc[order].reset_index(drop=True)
    return UnitTransport(unit.unit, target.unit, fitness, pairs, exact, float(tolerance))


def variant_distances(unit: UnitProfile, target: UnitProfile, *, workers: int = -1) -> np.ndarray:
    """Indel distances (int32) between all the unit's variants and all the target's."""
    uv = [tuple(v) for v in unit.variants["variant"]]
    tv = [tuple(v) for v in target.variants["variant"]]
    return _indel(uv, tv, np.arange(len(uv)), np.arange(len(tv)), workers)


def _indel(uv: list, tv: list, r_idx: np.ndarray, c_idx: np.ndarray, workers: int) -> np.ndarray:
    book = _codebook(uv, tv)
    su = encode_many([uv[i] for i in r_idx], book)  # one character per activity
    st = encode_many([tv[j] for j in c_idx], book)
    return cdist(su, st, scorer=Indel.distance, dtype=np.int32, workers=workers)


def pair_edits(v: Sequence[str], w: Sequence[str]) -> PairEdits:
    """Decompose the optimal indel edit script from ``v`` (unit) to ``w`` (target).

    Parameters
    ----------
    v, w : sequence of str
        The unit's and the target's variant.

    Returns
    -------
    PairEdits

    Notes
    -----
    Per activity X with ``d`` unmatched executions in ``v`` and ``i`` in
    ``w``: ``min(d, i)`` are moves (reorders), each named ``(X, Y)`` or
    ``(Y, X)`` in the target's order, Y being the matched step next to the
    target's position of X on the side towards the unit's position. The
    ``d - min`` extra executions are rework when ``w`` does X at all, else
    deletions; the ``i - min`` missing ones are insertions when ``v`` does
    not do X at all, else target repeats.

    Examples
    --------
    >>> pair_edits(("A", "C", "B"), ("A", "B", "C")).reorders
    {('B', 'C'): 1}
    >>> pair_edits(("A", "B", "B", "C"), ("A", "B", "C")).rework
    {'B': 1}
    """
    v, w = tuple(v), tuple(w)
    if v == w:
        return PairEdits()
    # per activity, its unmatched positions with the matched steps before them
    # (editops come in position order, so the i-th deletion at p has p - i
    # matched steps of v before it; likewise for insertions in w)
    dels: dict[str, list[int]] = {}
    inss: dict[str, list[tuple[int, int]]] = {}
    iset = set()
    nd = ni = 0
    for tag, p, q in Indel.editops(v, w).as_list():
        if tag == "delete":
            x = v[p]
            if x in dels:
                dels[x].append(p - nd)
            else:
                dels[x] = [p - nd]
            nd += 1
        else:
            x = w[q]
            if x in inss:
                inss[x].append((q, q - ni))
            else:
                inss[x] = [(q, q - ni)]
            iset.add(q)
            ni += 1
    matched_w = [w[q] for q in range(len(w)) if q not in iset]
    n_matched, n_w = len(matched_w), len(w)
    reorders: dict = {}
    rework: dict = {}
    deleted: dict = {}
    inserted: dict = {}
    repeated: dict = {}
    neighbours: dict[str, set] = {}
    v_has = set(v)
    w_has = set(w)
    empty: list = []
    for x in sorted(dels.keys() | inss.keys()):
        ds, qs = dels.get(x, empty), inss.get(x, empty)
        k = min(len(ds), len(qs))
        # pair deletions and insertions in order (the i-th unmatched X of v moves
        # to the place of the i-th unmatched X of w)
        for a, (q, b) in zip(ds[:k], qs[:k]):  # a, b: matched steps before X in v and in w
            if a > b and b < n_matched:
                key = (x, matched_w[b])  # the target does X before the step it skipped
            elif a < b and b > 0:
                key = (matched_w[b - 1], x)  # the target does X after it
            else:  # no matched step to name the move by: the target's neighbour
                nb = w[q + 1] if q + 1 < n_w else (w[q - 1] if q > 0 else x)
                key = (x, nb) if q + 1 < n_w else (nb, x)
            reorders[key] = reorders.get(key, 0) + 1
        extra, missing = len(ds) - k, len(qs) - k
        if extra:
            table = rework if x in w_has else deleted
            table[x] = table.get(x, 0) + extra
        if missing:
            if x in v_has:
                repeated[x] = repeated.get(x, 0) + missing
            else:
                inserted[x] = inserted.get(x, 0) + missing
                for _, b in qs[k:]:
                    if b > 0:
                        neighbours.setdefault(x, set()).add(matched_w[b - 1])
                    if b < n_matched:
                        neighbours.setdefault(x, set()).add(matched_w[b])
    return PairEdits(reorders, rework, deleted, inserted, repeated, neighbours)


# ---------------------------------------------------------------- helpers


def _codebook(*variant_lists: Sequence[Variant]) -> dict[str, int]:
    names = sorted({a for vs in variant_lists for v in vs for a in v})
    return {a: i for i, a in enumerate(names)}


def _solve(supply: np.ndarray, cap: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Exact plan: all of ``supply`` placed within ``cap`` at least cost.

    Balanced by a zero-cost dummy source holding the spare capacity, whose
    arcs all stay in the graph of :func:`divergence.transport.solve`.
    """
    from ..transport import solve

    spare = cap.sum() - supply.sum()
    a = np.append(supply, max(spare, 0.0))
    m = np.vstack([cost, np.zeros((1, cost.shape[1]), dtype=cost.dtype)])
    g, _, optimal = solve(a, cap, m, full_rows=np.array([len(supply)]))
    if not optimal:  # the simplex stopped early: fall back to the greedy plan
        return _greedy(supply, cap, cost)
    return g[:-1]


def _greedy(supply: np.ndarray, cap: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Each row (largest first) to its cheapest columns with capacity left.

    Per row, the columns in cost order (index order on ties) are filled in
    full while the row's need exceeds their capacity, the last one in part;
    the need left after each column is one sequential subtraction
    (``np.subtract.accumulate``), so the plan is the one of the column-by-
    column loop to the last bit.
    """
    cap = cap.astype(float, copy=True)
    plan = np.zeros(cost.shape, dtype=float)
    cols = np.arange(cost.shape[1])
    for i in np.lexsort((np.arange(len(supply)), -supply)):
        need = float(supply[i])
        if need <= 1e-12:
            continue
        order = np.lexsort((cols, cost[i]))
        order = order[cap[order] > 0]
        if len(order) == 0:
            continue
        c = cap[order]
        rem = np.subtract.accumulate(np.concatenate(([need], c)))  # need left before each column
        stop = np.flatnonzero((rem[:-1] <= 1e-12) | (c >= rem[:-1]))
        k = int(stop[0]) if len(stop) else len(c)
        full = order[:k]
        plan[i, full] = c[:k]
        cap[full] = 0.0
        if k < len(c) and rem[k] > 1e-12:
            j = order[k]
            plan[i, j] = rem[k]
            cap[j] -= rem[k]
    return plan
