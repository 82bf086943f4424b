"""How sure is a change item? Case-level tests against the target, with false-discovery control.

Every candidate change item is backed by a case-level indicator whose rate
it claims differs between the unit and the target:

==========  ====================================  =========================
kind        indicator (share of cases that ...)   the unit's rate is ...
==========  ====================================  =========================
``add``     do X                                  lower than the target's
``drop``    do X                                  higher
``rework``  do X at least twice                   higher
``reorder`` do Y before X (target order X → Y)    higher
==========  ====================================  =========================

When the target is observed behaviour (a unit or the pooled behaviour) the
unit's and the target's case counts are compared with a one-sided Fisher
exact test (hypergeometric). When the target is a model file there are no
target cases; the test is then a one-sided exact binomial test that the
item's share of the unit's cases exceeds ``min_share`` (an occasional
deviation below that share is an exception, not a practice to change).

p-values of all candidate items of one process are adjusted together with
Benjamini-Hochberg (:func:`bh_adjust`); an item is *supported* when its
q-value is at most ``alpha``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom, hypergeom

__all__ = ["CaseIndicators", "fisher_one_sided", "fisher_one_sided_many", "binomial_above", "bh_adjust", "INDICATOR_OF"]

#: kind -> (indicator, direction of the unit's rate against the target's)
INDICATOR_OF = {
    "add": ("does", "lower"),
    "drop": ("does", "higher"),
    "rework": ("repeats", "higher"),
    "reorder": ("reversed", "higher"),
}


@dataclass(frozen=True)
class Rate:
    """``cases`` of ``total`` cases show an indicator."""

    cases: int
    total: int

    @property
    def share(self) -> float:
        return self.cases / self.total if self.total else 0.0


class CaseIndicators:
    """Case-level indicators of one stochastic language, vectorised over its variants.

    Parameters
    ----------
    variants : sequence of tuple of str
    cases : sequence of int
        Cases per variant.
    """

    def __init__(self, variants: Sequence[tuple[str, ...]], cases: Sequence[int]) -> None:
        self.cases = np.asarray(cases, dtype=np.int64)
        self.total = int(self.cases.sum())
        names = sorted({a for v in variants for a in v})
        self._col = {a: k for k, a in enumerate(names)}
        n, m = len(variants), len(names)
        lengths = np.fromiter((len(v) for v in variants), dtype=np.int64, count=n)
        col = np.fromiter((self._col[a] for v in variants for a in v), dtype=np.int64, count=int(lengths.sum()))
        row = np.repeat(np.arange(n, dtype=np.int64), lengths)
        pos = np.arange(len(col), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        key = row * max(m, 1) + col
        self._count = np.bincount(key, minlength=n * m).astype(np.int32).reshape(n, m)
        self._first = np.full(n * m, np.iinfo(np.int32).max, dtype=np.int32)
        self._last = np.full(n * m, -1, dtype=np.int32)
        # events are in (row, position) order: a key's first event holds its first position
        uniq, first_at = np.unique(key, return_index=True)
        self._first[uniq] = pos[first_at]
        uniq_r, last_at = np.unique(key[::-1], return_index=True)
        self._last[uniq_r] = pos[::-1][last_at]
        self._first = self._first.reshape(n, m)
        self._last = self._last.reshape(n, m)
        self._does: np.ndarray | None = None
        self._repeats: np.ndarray | None = None
        self._first_t = self._last_t = None  # item-major copies, made with the first rates()

    def rate(self, kind: str, activities: Sequence[str]) -> Rate:
        """The rate of the indicator of a change item of ``kind`` on ``activities``."""
        indicator = INDICATOR_OF[kind][0]
        mask = self._mask(indicator, tuple(activities))
        return Rate(int(self.cases[mask].sum()) if mask is not None else 0, self.total)

    def _mask(self, indicator: str, acts: tuple[str, ...]) -> np.ndarray | None:
        cols = [self._col.get(a) for a in acts]
        if indicator == "does":
            return None if cols[0] is None else self._count[:, cols[0]] > 0
        if indicator == "repeats":
            return None if cols[0] is None else self._count[:, cols[0]] >= 2
        # reversed: the target does X before Y; the indicator is "some Y before some X"
        x, y = cols[0], cols[1]
        if x is None or y is None:
            return None
        return self._first[:, y] < self._last[:, x]

    def rates(self, kinds: Sequence[str], activities: Sequence[Sequence[str]]) -> np.ndarray:
        """Cases showing the indicator of each item (``kinds[k]`` on ``activities[k]``), as int64.

        The same counts as :meth:`rate`, for many items at once.
        """
        out = np.zeros(len(kinds), dtype=np.int64)
        # weighted counts as float64 matrix-vector products (BLAS; exact: integer sums below 2**53),
        # several times faster than NumPy's integer matmul; items laid out as rows
        weights = self.cases.astype(np.float64)
        if self._does is None:
            self._does = _exact(weights @ (self._count > 0))
            self._repeats = _exact(weights @ (self._count >= 2))
            self._first_t = np.ascontiguousarray(self._first.T)
            self._last_t = np.ascontiguousarray(self._last.T)
        pairs_at, xs, ys = [], [], []
        for k, (kind, acts) in enumerate(zip(kinds, activities)):
            indicator = INDICATOR_OF[kind][0]
            c0 = self._col.get(acts[0])
            if indicator == "reversed":
                c1 = self._col.get(acts[1])
                if c0 is not None and c1 is not None:
                    pairs_at.append(k)
                    xs.append(c0)
                    ys.append(c1)
            elif c0 is not None:
                out[k] = (self._does if indicator == "does" else self._repeats)[c0]
        step = max(1, 4_000_000 // max(len(self.cases), 1))
        for s in range(0, len(pairs_at), step):
            x, y = np.asarray(xs[s : s + step]), np.asarray(ys[s : s + step])
            shows = (self._first_t[y] < self._last_t[x]).astype(np.float64)  # item x variant
            out[np.asarray(pairs_at[s : s + step])] = _exact(shows @ weights)
        return out


def _exact(sums: np.ndarray) -> np.ndarray:
    """Float sums of integer weights back to int64 (exact while every sum stays below 2**53)."""
    return np.rint(sums).astype(np.int64)


def fisher_one_sided(unit: Rate, target: Rate, direction: str) -> float:
    """One-sided Fisher exact p-value that the unit's rate is ``higher``/``lower`` than the target's.

    Examples
    --------
    >>> round(fisher_one_sided(Rate(8, 10), Rate(1, 10), "higher"), 6)
    0.002739
    """
    n = unit.total + target.total
    k = unit.cases + target.cases
    if direction == "higher":
        return float(hypergeom.sf(unit.cases - 1, n, k, unit.total))
    if direction == "lower":
        return float(hypergeom.cdf(unit.cases, n, k, unit.total))
    raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")


def fisher_one_sided_many(
    unit_cases: np.ndarray, unit_total: np.ndarray, target_cases: np.ndarray, target_total: np.ndarray,
    higher: np.ndarray,
) -> np.ndarray:
    """:func:`fisher_one_sided` for many items at once (the same values, bit for bit).

    ``higher[k]`` True tests that the unit's rate is higher, False lower.
    """
    uc, ut = np.asarray(unit_cases, dtype=np.int64), np.asarray(unit_total, dtype=np.int64)
    tc, tt = np.asarray(target_cases, dtype=np.int64), np.asarray(target_total, dtype=np.int64)
    higher = np.asarray(higher, dtype=bool)
    n, k = ut + tt, uc + tc
    out = np.empty(len(uc), dtype=float)
    if higher.any():
        out[higher] = hypergeom.sf(uc[higher] - 1, n[higher], k[higher], ut[higher])
    low = ~higher
    if low.any():
        out[low] = hypergeom.cdf(uc[low], n[low], k[low], ut[low])
    return out


def binomial_above(cases: int, total: int, share: float) -> float:
    """One-sided exact binomial p-value that the true share exceeds ``share``.

    Examples
    --------
    >>> round(binomial_above(10, 100, 0.05), 4)
    0.0282
    """
    if share <= 0:
        return 0.0 if cases > 0 else 1.0
    return float(binom.sf(cases - 1, total, share))


def bh_adjust(p: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order.

    Examples
    --------
    >>> bh_adjust([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(p, dtype=float)
    n = len(p)
    if n == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.clip(q, 0.0, 1.0)
    return out
