"""Pairwise divergence measures between units' profiles of one process.

Every measure maps a list of N :class:`~divergence.profile.UnitProfile` to an
N×N matrix of values in [0, 1] with a zero diagonal (0: the units run the
process identically in this respect; 1: nothing in common). Measures live in
one registry, :data:`MEASURES`; :func:`register` adds one, and
:func:`compute_measures` runs a selection of them. :func:`combine` mixes
matrices (including the asymmetric ``conformance`` matrix computed by
:mod:`divergence.conformance`) into the one used to form families.

All measures read only ``profile.variants`` (unique variants with case
counts) and ``profile.durations``, never individual cases, so they also work
on resampled profiles (see :func:`divergence.families.bootstrap_stability`).

=============  ==============================================================
``language``   earth mover's distance between the stochastic languages
               (variant -> share of cases), normalised Levenshtein ground
               distance; equal to :func:`pm4py.compute_emd`
``flow``       Jensen-Shannon distance (base 2) between directly-follows edge
               frequencies, with artificial start ``▶`` and end ``■`` edges
``activities`` weighted Jaccard distance between the shares of cases that
               contain each activity
``performance`` Wasserstein-1 distance between throughput-time distributions
               on the log1p(seconds) scale, divided by the pooled range
=============  ==============================================================
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist
from scipy.special import rel_entr

from . import parallel
from .errors import DivergenceWarning, OptionError
from .profile import UnitProfile

__all__ = [
    "MEASURES",
    "DEFAULT_WEIGHTS",
    "MeasureResult",
    "register",
    "compute_measures",
    "combine",
    "language",
    "flow",
    "activities",
    "performance",
    "START",
    "END",
]

#: Artificial start and end activities of the ``flow`` measure's edges.
START = "▶"
END = "■"

#: The registry: measure name -> function ``f(profiles, **options) -> ndarray``.
MEASURES: dict[str, Callable[..., np.ndarray]] = {}

#: Weights of :func:`combine`, renormalised over the measures present.
#: ``language`` (what the cases do, end to end) weighs most; ``flow`` (how
#: steps hand over) and ``conformance`` (does one unit's practice fit the
#: other's model) next; ``activities`` (which steps exist) and
#: ``performance`` (how long cases take) least, as they are coarse or partly
#: outside a unit's control.
DEFAULT_WEIGHTS: dict[str, float] = {
    "language": 0.35,
    "flow": 0.25,
    "activities": 0.15,
    "conformance": 0.15,
    "performance": 0.10,
}

#: Names :func:`combine` accepts besides registered measures: computed elsewhere.
EXTERNAL_MEASURES = ("conformance",)


@dataclass(frozen=True)
class MeasureResult:
    """Divergence matrices over ``units`` (in that order) and how they were made.

    Attributes
    ----------
    units : tuple of str
        Unit names, the rows and columns of every matrix.
    matrices : dict
        Measure name -> N×N float array in [0, 1], zero diagonal.
    details : dict
        Measure name -> dict of facts about the computation, e.g. for
        ``language``: ``coverage`` (unit -> share of cases kept),
        ``variants_used`` (unit -> variants kept) and ``warnings``.
    """

    units: tuple[str, ...]
    matrices: dict[str, np.ndarray]
    details: dict[str, dict] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.matrices[name]

    def frame(self, name: str) -> pd.DataFrame:
        """The matrix ``name`` as a DataFrame labelled by unit on both axes."""
        return pd.DataFrame(self.matrices[name], index=list(self.units), columns=list(self.units))


def register(name: str) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Decorator adding a measure to :data:`MEASURES` under ``name``.

    The function takes ``(profiles, **options)`` and returns an N×N array in
    [0, 1] with a zero diagonal. It may accept a keyword ``details`` (a dict
    it fills with facts worth reporting).
    """

    def deco(func: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        MEASURES[name] = func
        return func

    return deco


def compute_measures(
    profiles: Sequence[UnitProfile], *, names: Sequence[str] | None = None, **opts
) -> MeasureResult:
    """Compute divergence matrices between units.

    Parameters
    ----------
    profiles : sequence of UnitProfile
        The units to compare, usually all units of one process; the matrices
        follow this order.
    names : sequence of str, optional
        Measures to compute, default all of :data:`MEASURES`.
    **opts
        Options passed to the measures that accept them (e.g.
        ``max_variants=`` and ``coverage=`` of :func:`language`).

    Returns
    -------
    MeasureResult

    Raises
    ------
    OptionError
        An unknown measure name or an option no measure accepts.
    """
    profiles = list(profiles)
    if not profiles:
        raise OptionError("no units to compare")
    names = list(MEASURES) if names is None else list(names)
    unknown = [n for n in names if n not in MEASURES]
    if unknown:
        raise OptionError(
            f"unknown measure(s) {', '.join(map(repr, unknown))}; valid: {', '.join(MEASURES)}"
        )
    accepted = {n: _keywords(f) for n, f in MEASURES.items()}
    stray = [k for k in opts if not any(k in a for a in accepted.values())]
    if stray:
        valid = sorted(set().union(*accepted.values()) - {"details"})
        raise OptionError(
            f"unknown measure option(s) {', '.join(map(repr, stray))}; valid: {', '.join(valid)}"
        )
    matrices: dict[str, np.ndarray] = {}
    details: dict[str, dict] = {}
    for name in names:
        kw = {k: v for k, v in opts.items() if k in accepted[name]}
        if "details" in accepted[name]:
            kw["details"] = details.setdefault(name, {})
        matrices[name] = MEASURES[name](profiles, **kw)
    return MeasureResult(tuple(p.unit for p in profiles), matrices, details)


def combine(
    matrices: Mapping[str, np.ndarray], weights: Mapping[str, float] | None = None
) -> np.ndarray:
    """Weighted mean of divergence matrices: the distance used for families.

    Parameters
    ----------
    matrices : mapping of str to ndarray
        Measure name -> N×N matrix in [0, 1]; asymmetric ones (``conformance``)
        are symmetrised as (M + Mᵀ)/2 first.
    weights : mapping of str to float, optional
        Non-negative weight per measure, default :data:`DEFAULT_WEIGHTS`.
        Given weights replace the defaults; measures present without a weight
        get 0. Weights are renormalised over the measures present.

    Returns
    -------
    ndarray
        Symmetric N×N matrix in [0, 1] with a zero diagonal.

    Raises
    ------
    OptionError
        Unknown measure names, negative weights, or no positive weight on any
        measure present.
    """
    known = set(MEASURES) | set(EXTERNAL_MEASURES)
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = sorted((set(w) | set(matrices)) - known)
    if unknown:
        raise OptionError(
            f"unknown measure(s) {', '.join(map(repr, unknown))}; valid: {', '.join(sorted(known))}"
        )
    if any(not np.isfinite(v) or v < 0 for v in w.values()):
        raise OptionError("measure weights must be non-negative numbers")
    if not matrices:
        raise OptionError("no divergence matrices to combine")
    total = sum(w.get(n, 0.0) for n in matrices)
    if total <= 0:
        raise OptionError(
            f"no positive weight on the measures present ({', '.join(sorted(matrices))})"
        )
    shapes = {np.shape(m) for m in matrices.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2 or len(set(next(iter(shapes)))) != 1:
        raise ValueError(f"matrices must be square and of one shape, got {sorted(shapes)}")
    out = np.zeros(next(iter(shapes)))
    for name, m in matrices.items():
        m = np.asarray(m, dtype=float)
        out += (w.get(name, 0.0) / total) * (m + m.T) / 2.0
    return _finish(out)


@register("language")
def language(
    profiles: Sequence[UnitProfile],
    *,
    max_variants: int = 500,
    coverage: float = 1.0,
    merge_tail: bool = True,
    n_jobs: int = -1,
    details: dict | None = None,
) -> np.ndarray:
    """Earth mover's distance between the units' stochastic languages.

    A unit's stochastic language maps each variant to its share of the unit's
    cases. The distance between two languages is the least total
    probability mass × ground distance needed to move one onto the other
    (Leemans et al., "Earth movers' stochastic conformance checking", 2019),
    with ground distance the Levenshtein distance between activity sequences
    divided by the longer length, exactly as :func:`pm4py.compute_emd`. The
    two empty sequences are at distance 0 (pm4py fails on them).

    Parameters
    ----------
    profiles : sequence of UnitProfile
    max_variants : int, default 500
        Most variants compared exactly per unit (the most frequent ones).
        500 keeps a 10-unit comparison within seconds; the coverage used is
        reported in ``details`` and warned about.
    coverage : float, default 1.0
        Keep the most frequent variants covering at least this share of a
        unit's cases (then at most ``max_variants``).
    merge_tail : bool, default True
        Move the cases of the variants beyond the kept ones to their nearest
        kept variant (same ground distance), so the distribution keeps all
        its mass; with ``False`` they are dropped and the kept shares
        renormalised.
    n_jobs : int, default -1
        Processes for the transport solves (-1: all available cores). Used
        only when the work is large (over about 4·10⁷ ground distances in
        all), on systems that can fork and from a single-threaded caller;
        otherwise the solves run in this process.
    details : dict, optional
        Filled with ``coverage`` and ``variants_used`` (unit -> value) and
        ``warnings`` (list of str, e.g. a transport solve that was stopped
        before optimality) and ``processes`` (how many ran the solves).

    Returns
    -------
    ndarray
        Symmetric N×N matrix in [0, 1].

    Notes
    -----
    Per pair with n and m kept variants: the ground distances take
    O(n·m·L) (bit-parallel Levenshtein in rapidfuzz, on all cores), the
    exact transport (network simplex, POT) about O(n·m·(n + m)) in the worst
    case; 3000 × 3000 takes 3-5 seconds, so 10 such units (45 pairs) take
    about 1-2 minutes on two cores. Activities are integer-coded once and
    variants become strings of one character per activity.
    """
    if not isinstance(max_variants, (int, np.integer)) or max_variants < 1:
        raise OptionError(f"max_variants must be a positive integer, got {max_variants!r}")
    if not 0.0 < coverage <= 1.0:
        raise OptionError(f"coverage must be in (0, 1], got {coverage!r}")
    book = _codebook(profiles)
    langs: list[tuple[list[str], np.ndarray]] = []
    info = {"coverage": {}, "variants_used": {}, "warnings": []}
    for p in profiles:
        cases = p.variants["cases"].to_numpy(dtype=float)
        keep = cases > 0
        variants = [v for v, k in zip(p.variants["variant"], keep) if k]
        cases = cases[keep]
        order = np.lexsort((np.arange(len(cases)), -cases))  # by cases desc, stable
        cases = cases[order]
        total = cases.sum()
        k = int(np.searchsorted(np.cumsum(cases) / total, coverage - 1e-12)) + 1
        k = min(k, int(max_variants), len(cases))
        kept = cases[:k].copy()
        strings = [_encode(variants[i], book) for i in order[:k]]
        covered = float(kept.sum() / total)
        if k < len(cases) and merge_tail:
            # every case keeps its mass: a tail variant's cases move to its
            # nearest kept variant under the same ground distance
            tail = [_encode(variants[i], book) for i in order[k:]]
            near = cdist(tail, strings, scorer=Levenshtein.normalized_distance, dtype=np.float64, workers=-1)
            np.add.at(kept, np.argmin(near, axis=1), cases[k:])
        langs.append((strings, kept / kept.sum()))
        info["coverage"][p.unit] = covered
        info["variants_used"][p.unit] = k
        if k == max_variants < len(cases):
            msg = (
                f"language: unit {p.unit!r} has {len(cases)} variants; compared exactly on its "
                f"{k} most frequent, covering {covered:.1%} of its cases"
                + (", the rest merged into their nearest kept variant" if merge_tail else "")
            )
            info["warnings"].append(msg)
            warnings.warn(msg, DivergenceWarning, stacklevel=2)
    n = len(profiles)
    out = np.zeros((n, n))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    results, info["processes"] = _solve_pairs(langs, pairs, n_jobs)
    for (i, j), (value, ok) in zip(pairs, results):
        if not ok:
            msg = (
                f"language: transport between {profiles[i].unit!r} and "
                f"{profiles[j].unit!r} stopped before optimality; value is an upper bound"
            )
            info["warnings"].append(msg)
            warnings.warn(msg, DivergenceWarning, stacklevel=2)
        out[i, j] = out[j, i] = value
    if details is not None:
        details.update(info)
    return _finish(out)


@register("flow")
def flow(profiles: Sequence[UnitProfile]) -> np.ndarray:
    """Jensen-Shannon distance between directly-follows edge frequencies.

    Each variant contributes, per occurrence of each consecutive pair of
    activities, its number of cases; ``START -> first`` and ``last -> END``
    are counted too (an empty variant gives ``START -> END``). Frequencies are
    normalised per unit, and the distance is the square root of the
    Jensen-Shannon divergence in bits, so it lies in [0, 1] and is a metric.

    Notes
    -----
    O(V·L) to count edges over V variants of length L, then O(N²·E) for E
    distinct edges.
    """
    book = _codebook(profiles)
    a = len(book)
    start, end = a, a + 1
    keys, weights, rows = [], [], []
    for r, p in enumerate(profiles):
        for v, c in zip(p.variants["variant"], p.variants["cases"].to_numpy(dtype=float)):
            seq = np.array([start, *(book[x] for x in v), end], dtype=np.int64)
            k = seq[:-1] * (a + 2) + seq[1:]
            keys.append(k)
            weights.append(np.full(len(k), c))
            rows.append(np.full(len(k), r))
    return _js_matrix(_table(len(profiles), rows, keys, weights))


@register("activities")
def activities(profiles: Sequence[UnitProfile]) -> np.ndarray:
    """Weighted Jaccard distance between activity presence shares.

    With x_a the share of a unit's cases containing activity a, the distance
    between units x and y is 1 − Σ min(x_a, y_a) / Σ max(x_a, y_a) (0 when
    neither has any activity).

    Notes
    -----
    O(V·L) over V variants of length L, then O(N²·A) for A activities.
    """
    book = _codebook(profiles)
    keys, weights, rows = [], [], []
    for r, p in enumerate(profiles):
        total = float(p.variants["cases"].sum())
        for v, c in zip(p.variants["variant"], p.variants["cases"].to_numpy(dtype=float)):
            k = np.unique(np.array([book[x] for x in v], dtype=np.int64))
            keys.append(k)
            weights.append(np.full(len(k), c / total if total else 0.0))
            rows.append(np.full(len(k), r))
    x = _table(len(profiles), rows, keys, weights)
    n = len(profiles)
    out = np.zeros((n, n))
    for i in range(n):
        lo = np.minimum(x[i], x).sum(axis=1)
        hi = np.maximum(x[i], x).sum(axis=1)
        out[i] = np.where(hi > 0, 1.0 - lo / np.where(hi > 0, hi, 1.0), 0.0)
    return _finish((out + out.T) / 2.0)


@register("performance")
def performance(profiles: Sequence[UnitProfile]) -> np.ndarray:
    """Normalised Wasserstein-1 distance between throughput-time distributions.

    Each unit's throughput times (``profile.durations``, weighted by cases)
    are put on the scale log1p(seconds), so that a day's difference matters
    more between short cases than between long ones. The Wasserstein-1
    distance (area between the two cumulative distributions) is divided by
    the pooled range: max − min of log1p(duration) over all units in the
    call. The result is in [0, 1]: 1 only when the two units sit at the
    opposite ends of that range. Values therefore depend on which units are
    compared together; all 0 when every case has the same duration.

    Notes
    -----
    O(D log D + N² · D) for D distinct durations over all units.
    """
    vals, wts = [], []
    for p in profiles:
        d = p.durations
        c = d["cases"].to_numpy(dtype=float)
        keep = c > 0
        vals.append(np.log1p(np.clip(d["duration_s"].to_numpy(dtype=float)[keep], 0.0, None)))
        wts.append(c[keep])
    return performance_matrix(vals, wts)


def performance_matrix(vals: Sequence[np.ndarray], wts: Sequence[np.ndarray]) -> np.ndarray:
    """:func:`performance` from each unit's log1p durations and their positive case counts."""
    n = len(vals)
    out = np.zeros((n, n))
    nonempty = [v for v in vals if len(v)]
    if not nonempty:
        return out
    span = max(v.max() for v in nonempty) - min(v.min() for v in nonempty)
    if span <= 0:
        return out
    # every unit's cumulative distribution on the pooled grid of values: W1 is
    # the area between two of them (what scipy's wasserstein_distance computes
    # pair by pair), here for all pairs at once
    grid = np.unique(np.concatenate(nonempty))
    width = np.diff(grid)
    cdf = np.zeros((n, max(len(grid) - 1, 0)))
    for i, (v, w) in enumerate(zip(vals, wts)):
        if len(v):
            mass = np.bincount(np.searchsorted(grid, v), weights=w, minlength=len(grid))
            cdf[i] = np.cumsum(mass)[:-1] / w.sum()
    has = np.array([len(v) > 0 for v in vals])
    for i in range(n):
        if has[i]:
            w1 = np.abs(cdf[i] - cdf[i + 1 :]) @ width
            out[i, i + 1 :] = np.where(has[i + 1 :], w1 / span, 0.0)
    out = np.triu(out, 1)
    return _finish(out + out.T)


# ----------------------------------------------------------------- helpers


def _keywords(func: Callable) -> set[str]:
    params = inspect.signature(func).parameters.values()
    return {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}


def _codebook(profiles: Sequence[UnitProfile]) -> dict[str, int]:
    """Activity name -> integer code, names sorted so codes are deterministic."""
    names = {a for p in profiles for v in p.variants["variant"] for a in v}
    return {a: i for i, a in enumerate(sorted(names))}


def _encode(variant: tuple[str, ...], book: Mapping[str, int]) -> str:
    """One character per activity, avoiding control and surrogate code points."""
    out = []
    for a in variant:
        c = book[a] + 0x100
        if c >= 0xD800:
            c += 0x800
        out.append(chr(c))
    return "".join(out)


#: Ground distances (summed n·m over pairs) above which solves run in a process pool.
_PARALLEL_CELLS = 2e6


def _solve_pairs(langs: list, pairs: list[tuple[int, int]], n_jobs: int) -> tuple[list, int]:
    """(value, optimal) per pair, in forked workers when the work is large."""
    if n_jobs == 0 or not isinstance(n_jobs, (int, np.integer)):
        raise OptionError(f"n_jobs must be a non-zero integer, got {n_jobs!r}")
    jobs = min(parallel.cores() if n_jobs < 0 else int(n_jobs), len(pairs))
    cells = sum(len(langs[i][0]) * len(langs[j][0]) for i, j in pairs)
    if jobs > 1 and cells >= _PARALLEL_CELLS and parallel.can_fork():
        # one thread per worker: the workers are the parallelism
        return parallel.fork_map(lambda k: _emd(*langs[pairs[k][0]], *langs[pairs[k][1]], workers=1), len(pairs), workers=jobs, chunks=1), jobs
    return [_emd(*langs[i], *langs[j]) for i, j in pairs], 1


def _emd(
    sa: list[str], pa: np.ndarray, sb: list[str], pb: np.ndarray, workers: int = -1
) -> tuple[float, bool]:
    """Exact EMD between two languages; returns (value, solved to optimality)."""
    if sa == sb and np.array_equal(pa, pb):
        return 0.0, True
    m = cdist(
        sa, sb, scorer=Levenshtein.normalized_distance, dtype=np.float64, workers=workers
    )
    if len(sa) == 1 or len(sb) == 1:  # all mass moves: no optimisation needed
        return float(pa @ m @ pb), True
    return transport(pa, pb, m)


def transport(a: np.ndarray, b: np.ndarray, cost: np.ndarray) -> tuple[float, bool]:
    """Exact optimal transport cost between histograms; returns (value, solved to optimality).

    POT's compiled network simplex (``ot.lp.emd_c``, what ``ot.emd2`` calls)
    without ``emd2``'s per-call backend checks, which cost more than the
    solve on small problems. ``b`` is rescaled to ``a``'s mass, as ``emd2``
    does.
    """
    from ot.lp.emd_wrap import emd_c

    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    b = b * (a.sum() / b.sum())
    m = np.ascontiguousarray(cost, dtype=np.float64)
    _, value, _, _, code = emd_c(a, b, m, max(1_000_000, 20 * m.size), 1)
    return float(value), code == 1


def _table(n: int, rows: list, keys: list, weights: list) -> np.ndarray:
    """Dense (n, distinct keys) table summing ``weights`` per (row, key)."""
    if not keys:
        return np.zeros((n, 0))
    k = np.concatenate(keys)
    r = np.concatenate(rows).astype(np.int64)
    w = np.concatenate(weights)
    uniq, col = np.unique(k, return_inverse=True)
    out = np.zeros((n, len(uniq)))
    np.add.at(out, (r, col), w)
    return out


def _js_matrix(counts: np.ndarray) -> np.ndarray:
    """Pairwise Jensen-Shannon distances (base 2) between rows of counts."""
    n = counts.shape[0]
    tot = counts.sum(axis=1, keepdims=True)
    p = np.divide(counts, tot, out=np.zeros_like(counts), where=tot > 0)
    out = np.zeros((n, n))
    for i in range(n):
        m = (p[i] + p) / 2.0
        js = (rel_entr(p[i], m).sum(axis=1) + rel_entr(p, m).sum(axis=1)) / (2.0 * np.log(2.0))
        out[i] = np.sqrt(np.clip(js, 0.0, 1.0))
    empty = tot[:, 0] == 0
    out[np.ix_(empty, empty)] = 0.0
    return _finish((out + out.T) / 2.0)


def _finish(m: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] and zero the diagonal."""
    m = np.clip(np.asarray(m, dtype=float), 0.0, 1.0)
    np.fill_diagonal(m, 0.0)
    return m
