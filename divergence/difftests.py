"""Are the differences real? Statistical tests of how two behaviours differ.

A *behaviour* is one unit's profile, the target's observed behaviour or a
pool of units. Two behaviours are compared item by item, each with a test
suited to it, all on the aggregates (unique variants with case counts, the
edge and activity tables, the throughput-time distribution with counts, each
edge's waits counted in the fixed bins of :mod:`divergence.waits`); nothing
loops over cases:

============  =============================  ===============================  ===========================
kind          item                           test                             effect
============  =============================  ===============================  ===========================
activity      share of cases doing X         Fisher exact, two-sided          share difference (a - b)
edge          share of cases with X → Y      Fisher exact, two-sided          share difference (a - b)
variant       share of cases following v     Fisher exact, two-sided          share difference (a - b)
throughput    case throughput time           Mann-Whitney U (ties, normal)    rank-biserial r (> 0: a slower)
edge_wait     waiting time on edge X → Y     Mann-Whitney U on the wait bins  rank-biserial r (> 0: a slower)
============  =============================  ===============================  ===========================

Waiting times are tested per edge seen in both behaviours, on its
occurrences (``a_cases`` = ``a_total`` = waits observed), ranked by wait bin
(ties within a bin, corrected for); ``a_value``/``b_value`` are the upper
bound in seconds of the bin holding the median wait. A behaviour without
binned waits (a profile file written before they existed) gets no
edge-wait tests: :func:`process_tests` warns (``edge_waits_unknown``).

The two-sided Fisher p-value is twice the smaller one-sided hypergeometric
tail (capped at 1; the "doubling" rule, slightly conservative), the same
hypergeometric as :func:`divergence.harmonise.evidence.fisher_one_sided`,
vectorised over items. Items that can never be significant whatever the
data, because too few cases show them (the smallest p-value their margins
allow exceeds ``alpha``; Tarone's rule), are listed with their p-value but
left out of the false-discovery control, so rare variants do not dilute the
power of the others; likewise an edge's waiting-time test whose smallest
possible p-value (the first behaviour's waits all in the lowest, or all in
the highest, bins the pooled waits fill) exceeds ``alpha``. The remaining
p-values are adjusted together with
Benjamini-Hochberg (:func:`~divergence.harmonise.evidence.bh_adjust`); a
difference is *significant* when its q-value is at most ``alpha``.

Per process (:func:`process_tests`), every unit is compared with the
target's observed behaviour (a unit or the pooled behaviour); with a model
file as the target, which has no cases, every unit is compared with the
pool of all *other* units instead (column ``reference``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import gammaln
from scipy.stats import hypergeom, norm

from .arrays import unique
from .errors import warn
from .harmonise.evidence import bh_adjust
from .profile import UnitProfile
from .waits import N_BINS, bin_upper_s

__all__ = ["Behaviour", "behaviour_of", "pool", "compare_units", "compare_behaviours", "process_tests",
           "fisher_two_sided", "mann_whitney_weighted", "mann_whitney_binned", "COLUMNS"]

#: Columns of every test table, in order (:func:`compare_units`, :func:`process_tests` add ``unit``, ``reference``).
COLUMNS = ["kind", "item", "activities", "a_cases", "a_total", "b_cases", "b_total", "a_value", "b_value",
           "statistic", "p_value", "q_value", "effect", "effect_measure", "testable", "significant"]


@dataclass(frozen=True)
class Behaviour:
    """Case counts of one behaviour: per activity, edge and variant, and the throughput times.

    ``activities``, ``edges``, ``variants``: Series of cases indexed by the
    item (activity name, ``(source, target)``, variant tuple); ``durations``:
    Series of cases indexed by throughput time in seconds (empty when
    unknown); ``waits``: per edge (index as ``edges``) the waits in each bin
    of :mod:`divergence.waits` (columns ``0 .. N_BINS - 1``), None when
    unknown.
    """

    name: str
    cases: int
    activities: pd.Series
    edges: pd.Series
    variants: pd.Series
    durations: pd.Series
    waits: pd.DataFrame | None = None


def behaviour_of(profile: UnitProfile) -> Behaviour:
    """The case counts of a unit profile."""
    a = pd.Series(profile.activities["cases"].to_numpy(dtype=np.int64), index=list(profile.activities["activity"]),
                  dtype=np.int64)
    e = profile.edges
    edges = pd.Series(e["cases"].to_numpy(dtype=np.int64), dtype=np.int64, index=pd.Index(
        list(zip(e["source"].to_numpy(dtype=object), e["target"].to_numpy(dtype=object))), tupleize_cols=False))
    v = profile.variants
    variants = pd.Series(v["cases"].to_numpy(dtype=np.int64), index=pd.Index(list(v["variant"]), tupleize_cols=False),
                         dtype=np.int64)
    d = profile.durations
    durations = pd.Series(d["cases"].to_numpy(dtype=np.int64), index=d["duration_s"].to_numpy(dtype=float),
                          dtype=np.int64)
    return Behaviour(profile.unit, int(profile.cases), a, edges, variants, durations, _wait_matrix(profile.edge_waits))


def _wait_matrix(w: pd.DataFrame | None) -> pd.DataFrame | None:
    """Binned waits per edge as an edges x bins matrix (one ``bincount``)."""
    if w is None:
        return None
    cs, us = pd.factorize(w["source"].to_numpy(dtype=object))
    ct, ut = pd.factorize(w["target"].to_numpy(dtype=object))
    codes, pairs = pd.factorize(cs * max(len(ut), 1) + ct)
    keys = list(zip(np.asarray(us, dtype=object)[pairs // max(len(ut), 1)], np.asarray(ut, dtype=object)[pairs % max(len(ut), 1)]))
    flat = np.bincount(codes * N_BINS + w["bin"].to_numpy(dtype=np.int64), weights=w["events"].to_numpy(dtype=float),
                       minlength=len(keys) * N_BINS)
    return pd.DataFrame(flat.reshape(len(keys), N_BINS).astype(np.int64),
                        index=pd.Index(keys, tupleize_cols=False, dtype=object))


def pool(behaviours: Sequence[Behaviour], name: str = "pooled") -> Behaviour:
    """Several behaviours as one (case counts and binned waits added); durations, waits only if every part has them."""
    def add(attr: str) -> pd.Series:
        parts = [getattr(b, attr) for b in behaviours if len(getattr(b, attr))]
        if not parts:
            return pd.Series(dtype=np.int64)
        s = pd.concat(parts)
        return s.groupby(level=0, sort=False).sum().astype(np.int64)

    has_durations = all(len(b.durations) for b in behaviours)
    waits = None
    if behaviours and all(b.waits is not None for b in behaviours):
        waits = pd.concat([b.waits for b in behaviours]).groupby(level=0, sort=False).sum().astype(np.int64)
    return Behaviour(name, int(sum(b.cases for b in behaviours)), add("activities"), add("edges"), add("variants"),
                     add("durations") if has_durations else pd.Series(dtype=np.int64), waits)


def compare_units(a: UnitProfile, b: UnitProfile, alpha: float = 0.05) -> pd.DataFrame:
    """Test every difference between two units' behaviour (see the module doc).

    Parameters
    ----------
    a, b : UnitProfile
    alpha : float, default 0.05
        False-discovery level of the Benjamini-Hochberg control over the tests.

    Returns
    -------
    DataFrame
        One row per test, columns :data:`COLUMNS`: ``kind`` (activity, edge,
        variant, throughput, edge_wait), ``item`` (text), ``activities`` (tuple),
        ``a_cases``/``b_cases`` of ``a_total``/``b_total`` cases showing it,
        ``a_value``/``b_value`` (share of cases, median throughput in
        seconds, or the median wait's bin bound), ``statistic`` (log odds ratio with 0.5 added to each cell;
        Mann-Whitney U of ``a``), ``p_value``, ``q_value`` (NaN where not
        ``testable``), ``effect`` and ``effect_measure``, ``significant``.
        Sorted by q-value, then kind and item.
    """
    return compare_behaviours(behaviour_of(a), behaviour_of(b), alpha)


def compare_behaviours(a: Behaviour, b: Behaviour, alpha: float = 0.05, *, adjust: bool = True) -> pd.DataFrame:
    """:func:`compare_units` on :class:`Behaviour` objects (``adjust=False``: q-values left NaN, rows unordered)."""
    parts = [
        _share_tests("activity", a.activities, b.activities, a.cases, b.cases, alpha),
        _share_tests("edge", a.edges, b.edges, a.cases, b.cases, alpha),
        _share_tests("variant", a.variants, b.variants, a.cases, b.cases, alpha),
        _throughput_test(a.durations, b.durations, alpha),
        _edge_wait_tests(a.waits, b.waits, alpha),
    ]
    parts = [p for p in parts if len(p)]
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    df = df.reindex(columns=COLUMNS)
    if not adjust:  # left for the caller to adjust and order (process_tests)
        return df
    _adjust(df, alpha)
    return _order(df)


def process_tests(profiles: Mapping[str, UnitProfile], target: UnitProfile | None, *, target_name: str | None = None,
                  alpha: float = 0.05) -> pd.DataFrame:
    """Every unit of a process against the target's observed behaviour, BH over all the process's tests.

    Parameters
    ----------
    profiles : Mapping[str, UnitProfile]
    target : UnitProfile or None
        The target's observed behaviour; None (a model-file target): each
        unit is compared with the pool of the other units.
    target_name : str, optional
        A unit that is the target is not compared with itself.
    alpha : float

    Returns
    -------
    DataFrame
        ``unit``, ``reference`` and :data:`COLUMNS`; q-values are adjusted
        over all rows.
    """
    own = {u: behaviour_of(p) for u, p in profiles.items()}
    ref = None if target is None else own[target_name] if profiles.get(target_name) is target else behaviour_of(target)
    unknown = sorted(u for u, b in own.items() if b.waits is None and u != target_name)
    if ref is not None and ref.waits is None:
        unknown = sorted(own)
    if unknown:
        warn("edge_waits_unknown", f"per-edge waiting-time tests skipped for {len(unknown)} unit(s) "
             f"({', '.join(unknown[:5])}{', ...' if len(unknown) > 5 else ''}): their profiles (or the target's) have "
             "no binned waits (profile files written by an older divergence)", None, len(unknown))
    parts = []
    for u, beh in own.items():
        if target is not None and u == target_name:
            continue
        if ref is not None:
            other, name = ref, f"target: {target_name or target.unit}"
        else:
            rest = [b for v, b in own.items() if v != u]
            if not rest:
                continue
            other, name = pool(rest, "other units"), "other units"
        df = compare_behaviours(beh, other, alpha, adjust=False)
        df.insert(0, "reference", name)
        df.insert(0, "unit", u)
        parts.append(df)
    cols = ["unit", "reference", *COLUMNS]
    if not parts:
        return pd.DataFrame(columns=cols)
    df = pd.concat(parts, ignore_index=True)[cols]
    _adjust(df, alpha)
    out = df.sort_values(["unit", "q_value", "kind", "item"], kind="stable", na_position="last").reset_index(drop=True)
    out.attrs["alpha"] = alpha  # the level "significant" was judged at, for the views
    return out


# ---------------------------------------------------------------- tests


def fisher_two_sided(a_cases, a_total, b_cases, b_total) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided Fisher exact p-values (doubling rule) and the smallest p-value each table's margins allow.

    Vectorised over items: ``a_cases`` of ``a_total`` against ``b_cases``
    of ``b_total``.

    Examples
    --------
    >>> p, pmin = fisher_two_sided([8], [10], [1], [10])
    >>> round(float(p[0]), 6), round(float(pmin[0]), 8)
    (0.005477, 0.00011908)
    """
    x = np.asarray(a_cases, dtype=np.int64)
    n1 = np.asarray(a_total, dtype=np.int64)
    k = x + np.asarray(b_cases, dtype=np.int64)
    m = n1 + np.asarray(b_total, dtype=np.int64)
    x, n1, k, m = np.broadcast_arrays(x, n1, k, m)
    xmin = np.maximum(0, n1 - (m - k))
    xmax = np.minimum(n1, k)
    lower, upper = _hypergeom_tails(x, m, k, n1, xmin, xmax)
    p = np.minimum(1.0, 2.0 * np.minimum(lower, upper))
    pmin = np.minimum(1.0, 2.0 * np.exp(np.minimum(_log_pmf(xmin, m, k, n1), _log_pmf(xmax, m, k, n1))))
    return p, pmin


#: Supports longer than this are summed by scipy (:func:`_hypergeom_tails`).
_LONG_SUPPORT = 4096


def _hypergeom_tails(x, m, k, n, xmin, xmax) -> tuple[np.ndarray, np.ndarray]:
    """P(X <= x) and P(X >= x) of the hypergeometric per item, vectorised over items.

    Each item's probabilities over its whole support come from the first one
    (log-gamma) and the ratio of consecutive terms, summed along rows of a
    matrix; items are grouped by support length (powers of two) so padding
    stays below half. Several times faster than ``scipy.stats.hypergeom``
    on the many short supports of an event log's items; supports longer
    than :data:`_LONG_SUPPORT` go to scipy.
    """
    lower, upper = np.empty(len(x)), np.empty(len(x))
    size = xmax - xmin + 1
    long_ = size > _LONG_SUPPORT
    if long_.any():
        lower[long_] = hypergeom.cdf(x[long_], m[long_], k[long_], n[long_])
        upper[long_] = hypergeom.sf(x[long_] - 1, m[long_], k[long_], n[long_])
    width = 1 << np.ceil(np.log2(np.maximum(size, 1))).astype(np.int64)
    for w in unique(width[~long_]):
        j = np.flatnonzero((width == w) & ~long_)
        i = xmin[j, None] + np.arange(w)[None, :]
        valid = i <= xmax[j, None]
        kk, nn, mm = k[j, None].astype(float), n[j, None].astype(float), m[j, None].astype(float)
        step = valid[:, 1:] & valid[:, :-1]
        fi = i[:, :-1].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.log((kk - fi) * (nn - fi)) - np.log((fi + 1.0) * (mm - kk - nn + fi + 1.0))
        log_p = np.zeros(i.shape)
        log_p[:, 1:] = np.cumsum(np.where(step, ratio, 0.0), axis=1)
        log_p += _log_pmf(xmin[j].astype(float), m[j].astype(float), k[j].astype(float), n[j].astype(float))[:, None]
        pmf = np.where(valid, np.exp(log_p), 0.0)
        xj = x[j, None]
        lower[j] = np.minimum(1.0, (pmf * (i <= xj)).sum(axis=1))
        upper[j] = np.minimum(1.0, (pmf * (i >= xj)).sum(axis=1))
    return lower, upper


def _log_pmf(x, m, k, n):
    """Hypergeometric log-probability of ``x`` successes in ``n`` draws from ``m`` holding ``k`` (scipy's is slow)."""
    def lchoose(a, b):
        return gammaln(a + 1.0) - gammaln(b + 1.0) - gammaln(a - b + 1.0)

    return lchoose(k, x) + lchoose(m - k, n - x) - lchoose(m, n)


def mann_whitney_weighted(a_values, a_counts, b_values, b_counts) -> tuple[float, float, float]:
    """Mann-Whitney U of sample ``a`` against ``b``, each given as distinct values with counts.

    Returns ``(U_a, two-sided p, rank-biserial r)``: normal approximation
    with the tie correction and a continuity correction; r = 2 U / (n_a n_b)
    - 1, positive when ``a`` tends to be larger.
    """
    av, ac = np.asarray(a_values, float), np.asarray(a_counts, float)
    bv, bc = np.asarray(b_values, float), np.asarray(b_counts, float)
    na, nb = ac.sum(), bc.sum()
    if na == 0 or nb == 0:
        return float("nan"), float("nan"), float("nan")
    values, inv = np.unique(np.concatenate([av, bv]), return_inverse=True)
    ca = np.bincount(inv[: len(av)], weights=ac, minlength=len(values))
    cb = np.bincount(inv[len(av):], weights=bc, minlength=len(values))
    t = ca + cb
    below = np.cumsum(t) - t
    rank = below + (t + 1) / 2.0  # average rank of each distinct value
    u = float((ca * rank).sum() - na * (na + 1) / 2.0)
    n = na + nb
    tie = float((t ** 3 - t).sum())
    var = na * nb / 12.0 * ((n + 1) - tie / (n * (n - 1))) if n > 1 else 0.0
    mu = na * nb / 2.0
    if var <= 0:
        return u, 1.0, 2.0 * u / (na * nb) - 1.0
    z = max(abs(u - mu) - 0.5, 0.0) / np.sqrt(var)
    return u, float(min(1.0, 2.0 * norm.sf(z))), 2.0 * u / (na * nb) - 1.0


def _share_tests(kind: str, a: pd.Series, b: pd.Series, na: int, nb: int, alpha: float) -> pd.DataFrame:
    if na == 0 or nb == 0:
        return pd.DataFrame(columns=COLUMNS)
    keys = a.index.union(b.index, sort=False) if len(a) and len(b) else (a.index if len(a) else b.index)
    ca = a.reindex(keys, fill_value=0).to_numpy(dtype=np.int64)
    cb = b.reindex(keys, fill_value=0).to_numpy(dtype=np.int64)
    p, pmin = fisher_two_sided(ca, na, cb, nb)
    sa, sb = ca / na, cb / nb
    lor = np.log((ca + 0.5) * (nb - cb + 0.5) / ((na - ca + 0.5) * (cb + 0.5)))
    acts = [k if isinstance(k, tuple) else (k,) for k in keys]
    return pd.DataFrame({
        "kind": kind, "item": [" → ".join(t) for t in acts], "activities": acts,
        "a_cases": ca, "a_total": na, "b_cases": cb, "b_total": nb, "a_value": sa, "b_value": sb,
        "statistic": lor, "p_value": p, "effect": sa - sb, "effect_measure": "share difference",
        "testable": pmin <= alpha,
    })


def _throughput_test(a: pd.Series, b: pd.Series, alpha: float) -> pd.DataFrame:
    if not len(a) or not len(b):
        return pd.DataFrame(columns=COLUMNS)
    u, p, r = mann_whitney_weighted(a.index, a.to_numpy(), b.index, b.to_numpy())
    return pd.DataFrame([{
        "kind": "throughput", "item": "case throughput time", "activities": (),
        "a_cases": int(a.sum()), "a_total": int(a.sum()), "b_cases": int(b.sum()), "b_total": int(b.sum()),
        "a_value": _weighted_median(a), "b_value": _weighted_median(b), "statistic": u, "p_value": p,
        "effect": r, "effect_measure": "rank-biserial r (> 0: slower)", "testable": bool(np.isfinite(p)),
    }])


def mann_whitney_binned(a, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`mann_whitney_weighted` for many pairs of samples on the same ordered bins at once.

    ``a``, ``b``: counts (items x bins). Returns ``(U_a, p, r)`` per item,
    equal to :func:`mann_whitney_weighted` with the bin index as value
    (NaN where a side is empty).
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    t = a + b
    rank = np.cumsum(t, axis=1) - t + (t + 1) / 2.0
    na, nb = a.sum(axis=1), b.sum(axis=1)
    n = na + nb
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (a * rank).sum(axis=1) - na * (na + 1) / 2.0
        tie = (t ** 3 - t).sum(axis=1)
        var = np.where(n > 1, na * nb / 12.0 * ((n + 1) - tie / (n * (n - 1))), 0.0)
        z = np.maximum(np.abs(u - na * nb / 2.0) - 0.5, 0.0) / np.sqrt(var)
        p = np.where(var > 0, np.minimum(1.0, 2.0 * norm.sf(z)), 1.0)
        r = 2.0 * u / (na * nb) - 1.0
    empty = (na == 0) | (nb == 0)
    return np.where(empty, np.nan, u), np.where(empty, np.nan, p), np.where(empty, np.nan, r)


def _edge_wait_tests(a: pd.DataFrame | None, b: pd.DataFrame | None, alpha: float) -> pd.DataFrame:
    if a is None or b is None or not len(a) or not len(b):
        return pd.DataFrame(columns=COLUMNS)
    keys = a.index.intersection(b.index, sort=False)
    if not len(keys):
        return pd.DataFrame(columns=COLUMNS)
    ca, cb = a.loc[keys].to_numpy(dtype=np.int64), b.loc[keys].to_numpy(dtype=np.int64)
    u, p, r = mann_whitney_binned(ca, cb)
    # smallest p the pooled bins allow (Tarone): a's waits all in the lowest, or all in the highest, bins
    t, na = ca + cb, ca.sum(axis=1, keepdims=True)
    low = np.clip(na - (np.cumsum(t, axis=1) - t), 0, t)
    high = np.clip(na - (np.cumsum(t[:, ::-1], axis=1) - t[:, ::-1]), 0, t[:, ::-1])[:, ::-1]
    pmin = np.minimum(mann_whitney_binned(low, t - low)[1], mann_whitney_binned(high, t - high)[1])
    sa, sb = ca.sum(axis=1), cb.sum(axis=1)
    acts = [tuple(k) for k in keys]
    return pd.DataFrame({
        "kind": "edge_wait", "item": [" → ".join(k) for k in acts], "activities": acts,
        "a_cases": sa, "a_total": sa, "b_cases": sb, "b_total": sb,
        "a_value": bin_upper_s(_median_bin(ca)), "b_value": bin_upper_s(_median_bin(cb)),
        "statistic": u, "p_value": p, "effect": r, "effect_measure": "rank-biserial r (> 0: a waits longer)",
        "testable": np.isfinite(p) & (pmin <= alpha),
    })


def _median_bin(counts: np.ndarray) -> np.ndarray:
    """Per row, the bin holding the (lower) median."""
    c = np.cumsum(counts, axis=1)
    return np.argmax(2 * c >= c[:, -1:], axis=1)


def _weighted_median(s: pd.Series) -> float:
    s = s.sort_index()
    c = np.cumsum(s.to_numpy())
    i = int(np.searchsorted(c, c[-1] / 2.0))
    v = s.index.to_numpy(dtype=float)
    return float(v[i]) if c[i] * 2 != c[-1] or i + 1 >= len(v) else float((v[i] + v[i + 1]) / 2)


def _adjust(df: pd.DataFrame, alpha: float) -> None:
    """BH q-values over the testable rows; significant = q <= alpha."""
    df["testable"] = df["testable"].astype(bool)
    q = np.full(len(df), np.nan)
    mask = df["testable"].to_numpy() & np.isfinite(df["p_value"].to_numpy(dtype=float))
    if mask.any():
        q[mask] = bh_adjust(df.loc[mask, "p_value"].to_numpy(dtype=float))
    df["q_value"] = q
    df["significant"] = np.nan_to_num(q, nan=np.inf) <= alpha


def _order(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["q_value", "kind", "item"], kind="stable", na_position="last").reset_index(drop=True)
