"""Pairwise divergence measures between units' profiles of one process.

Every measure maps a list of N :class:`~divergence.profile.UnitProfile` to an
N×N matrix of values in [0, 1] with a zero diagonal (0: the units run the
process identically in this respect; 1: nothing in common). Measures live in
one registry, :data:`MEASURES`; :func:`register` adds one, and
:func:`compute_measures` runs a selection of them. :func:`combine` mixes
matrices (including the asymmetric ``conformance`` matrix computed by
:mod:`divergence.measures.conformance`) into the one used to form families.

All measures read only ``profile.variants`` (unique variants with case
counts) and ``profile.durations``, never individual cases, so they also work
on resampled profiles (see :func:`divergence.families.cluster.bootstrap_stability`).

=============  ==============================================================
``language``   earth mover's distance between the stochastic languages
               (variant -> share of cases), normalised Levenshtein ground
               distance; equal to :func:`pm4py.compute_emd`; exact while
               all pairs need at most :data:`LANGUAGE_TOTAL_CELLS` ground
               distances together (else the largest pairs share the rest)
``flow``       Jensen-Shannon distance (base 2) between directly-follows edge
               frequencies, with artificial start ``▶`` and end ``■`` edges
``activities`` weighted Jaccard distance between the shares of cases that
               contain each activity
``performance`` Wasserstein-1 distance between throughput-time distributions
               on the log10(1 + seconds) scale, divided by
               :data:`PERFORMANCE_SCALE` (one decade) and capped at 1
=============  ==============================================================
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import rel_entr

from . import emd as _language
from ..arrays import unique
from ..errors import MatrixError, OptionError, check_matrix
from ..profile import UnitProfile

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
    "PERFORMANCE_SCALE",
    "LANGUAGE_MAX_CELLS",
    "LANGUAGE_TOTAL_CELLS",
    "log_duration",
]

#: Most cells of one pair's language cost matrix solved exactly (see :func:`language`).
LANGUAGE_MAX_CELLS = _language.LANGUAGE_MAX_CELLS
LANGUAGE_TOTAL_CELLS = _language.LANGUAGE_TOTAL_CELLS

#: The ``performance`` measure's scale, in decades of throughput time on the
#: log10(1 + seconds) scale: a whole distribution shifted by this much (10×
#: slower) scores 1; a 3× gap scores log10(3) ≈ 0.48, a 2× gap ≈ 0.30.
PERFORMANCE_SCALE = 1.0

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
        ``variants_used`` (unit -> variants kept), ``capped_pairs`` and
        ``warnings``.
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
        ``max_cells=``, ``max_total_cells=`` and ``coverage=`` of :func:`language`, ``scale=`` of
        :func:`performance`).

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
    if len(shapes) != 1:
        raise MatrixError(f"matrices must be of one shape, got {sorted(shapes)}")
    for name, m in matrices.items():
        check_matrix(m, what=f"matrix {name!r}")
    out = np.zeros(next(iter(shapes)))
    for name, m in matrices.items():
        m = np.asarray(m, dtype=float)
        out += (w.get(name, 0.0) / total) * (m + m.T) / 2.0
    return _finish(out)


#: The ``language`` measure; implemented in :mod:`divergence.measures.emd`.
language = register("language")(_language.language)


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
    for r, p in enumerate(profiles):  # every variant's edges at once, in variant order
        codes, lengths = flat_codes(list(p.variants["variant"]), book)
        cases = p.variants["cases"].to_numpy(dtype=float)
        # each variant as START, its codes, END, laid out variant after variant
        seq_len = lengths + 2
        seq = np.full(int(seq_len.sum()), end, dtype=np.int64)
        seq_start = np.cumsum(seq_len) - seq_len
        seq[seq_start] = start
        inner = np.repeat(seq_start + 1 - (np.cumsum(lengths) - lengths), lengths) + np.arange(len(codes))
        seq[inner] = codes
        follows = np.ones(len(seq), dtype=bool)  # an edge from every position but a variant's last
        follows[seq_start + seq_len - 1] = False
        at = np.flatnonzero(follows)
        keys.append(seq[at] * (a + 2) + seq[at + 1])
        weights.append(np.repeat(cases, lengths + 1))
        rows.append(np.full(len(at), r))
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
    a = max(len(book), 1)
    keys, weights, rows = [], [], []
    for r, p in enumerate(profiles):  # each variant's distinct activities, sorted, variant after variant
        total = float(p.variants["cases"].sum())
        codes, lengths = flat_codes(list(p.variants["variant"]), book)
        cases = p.variants["cases"].to_numpy(dtype=float)
        share = cases / total if total else np.zeros(len(cases))
        pairs = unique(np.repeat(np.arange(len(lengths), dtype=np.int64), lengths) * a + codes)
        variant, code = np.divmod(pairs, a)
        keys.append(code)
        weights.append(share[variant])
        rows.append(np.full(len(code), r))
    x = _table(len(profiles), rows, keys, weights)
    n = len(profiles)
    out = np.zeros((n, n))
    for i in range(n):
        lo = np.minimum(x[i], x).sum(axis=1)
        hi = np.maximum(x[i], x).sum(axis=1)
        out[i] = np.where(hi > 0, 1.0 - lo / np.where(hi > 0, hi, 1.0), 0.0)
    return _finish((out + out.T) / 2.0)


@register("performance")
def performance(profiles: Sequence[UnitProfile], *, scale: float = PERFORMANCE_SCALE) -> np.ndarray:
    """Wasserstein-1 distance between throughput-time distributions, in decades.

    Each unit's throughput times (``profile.durations``, weighted by cases)
    are put on the scale log10(1 + seconds) (:func:`log_duration`), so that a
    ratio of durations, not a difference, is what counts: 2 days against 6
    is as far apart as 20 against 60. The Wasserstein-1 distance (area
    between the two cumulative distributions; for two single durations the
    gap between their logs) is divided by ``scale`` and capped at 1.

    With the default ``scale`` = :data:`PERFORMANCE_SCALE` = 1 decade, a
    unit whose cases all take 3× as long as another's scores
    log10(3) ≈ 0.48, 2× ≈ 0.30, 10× or more 1. Unlike a range pooled over
    the units compared, the value of a pair does not depend on the other
    units. A unit without durations is at 0 from every unit.

    Parameters
    ----------
    profiles : sequence of UnitProfile
    scale : float, default :data:`PERFORMANCE_SCALE`
        Decades of throughput time that score 1; positive.

    Notes
    -----
    O(D log D + N² · D) for D distinct durations over all units.
    """
    vals, wts = [], []
    for p in profiles:
        d = p.durations
        c = d["cases"].to_numpy(dtype=float)
        keep = c > 0
        vals.append(log_duration(d["duration_s"].to_numpy(dtype=float)[keep]))
        wts.append(c[keep])
    return performance_matrix(vals, wts, scale=scale)


def log_duration(seconds: np.ndarray) -> np.ndarray:
    """log10(1 + seconds), negative durations taken as 0: the ``performance`` scale."""
    return np.log1p(np.clip(np.asarray(seconds, dtype=float), 0.0, None)) / np.log(10.0)


def performance_matrix(
    vals: Sequence[np.ndarray], wts: Sequence[np.ndarray], *, scale: float = PERFORMANCE_SCALE
) -> np.ndarray:
    """:func:`performance` from each unit's :func:`log_duration` values and their positive case counts."""
    if not (isinstance(scale, (int, float, np.number)) and np.isfinite(scale) and scale > 0):
        raise OptionError(f"performance scale must be a positive number of decades, got {scale!r}")
    n = len(vals)
    out = np.zeros((n, n))
    nonempty = [v for v in vals if len(v)]
    if not nonempty:
        return out
    # every unit's cumulative distribution on the pooled grid of values: W1 is
    # the area between two of them (what scipy's wasserstein_distance computes
    # pair by pair), here for all pairs at once
    grid = unique(np.concatenate(nonempty))
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
            out[i, i + 1 :] = np.where(has[i + 1 :], w1 / float(scale), 0.0)
    out = np.triu(out, 1)
    return _finish(out + out.T)


# ----------------------------------------------------------------- helpers


def _keywords(func: Callable) -> set[str]:
    params = inspect.signature(func).parameters.values()
    return {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}


_codebook = _language.codebook
_encode = _language.encode
flat_codes = _language.flat_codes
strings_of_codes = _language.strings_of_codes
transport = _language.transport


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
