"""Waiting times per directly-follows edge, as counts in fixed human bins.

A profile keeps, per edge, how many of its occurrences waited how long
(the time from the source event to the target event), counted in the bins
below. The bins are fixed, not derived from the data, so that every engine
computes exactly the same numbers (``numpy.searchsorted`` here, a ``CASE``
expression in SQL, :func:`wait_bin_sql`) and a profile stays small (at most
:data:`N_BINS` counts per edge, only the non-zero ones stored).

Bin ``0`` holds waits of zero (events at the same time); bin ``k`` >= 1 the
waits ``w`` with ``WAIT_BOUNDS_S[k-1] < w <= WAIT_BOUNDS_S[k]``; the last
bin everything above a year:

====  ===================  ====  ===================
bin   wait                 bin   wait
====  ===================  ====  ===================
0     0                    7     3 days – 1 week
1     0 – 1 minute         8     1 – 2 weeks
2     1 – 10 minutes       9     2 weeks – 30 days
3     10 minutes – 1 hour  10    30 – 90 days
4     1 – 4 hours          11    90 – 180 days
5     4 hours – 1 day      12    180 – 365 days
6     1 – 3 days           13    over 365 days
====  ===================  ====  ===================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["WAIT_BOUNDS_S", "N_BINS", "WAIT_BIN_LABELS", "wait_bins", "wait_bin_sql", "edge_wait_counts",
           "EDGE_WAIT_COLUMNS", "empty_edge_waits", "bin_upper_s"]

_MIN, _H, _D = 60, 3600, 86_400

#: Upper bounds (inclusive, seconds) of bins 0 .. N_BINS - 2; the last bin is open.
WAIT_BOUNDS_S = (0, _MIN, 10 * _MIN, _H, 4 * _H, _D, 3 * _D, 7 * _D, 14 * _D, 30 * _D, 90 * _D, 180 * _D, 365 * _D)

#: Number of wait bins.
N_BINS = len(WAIT_BOUNDS_S) + 1

#: A short label per bin, for tables.
WAIT_BIN_LABELS = ("0", "≤ 1 min", "≤ 10 min", "≤ 1 h", "≤ 4 h", "≤ 1 day", "≤ 3 days", "≤ 1 week", "≤ 2 weeks",
                   "≤ 30 days", "≤ 90 days", "≤ 180 days", "≤ 365 days", "> 365 days")

#: Columns of a profile's ``edge_waits`` table (per unit: without process and unit).
EDGE_WAIT_COLUMNS = ["source", "target", "bin", "events"]

_BOUNDS = np.asarray(WAIT_BOUNDS_S, dtype=float)


def wait_bins(wait_s) -> np.ndarray:
    """The bin (int64) of each wait in seconds.

    Examples
    --------
    >>> wait_bins([0.0, 0.5, 60.0, 60.5, 1e9]).tolist()
    [0, 1, 1, 2, 13]
    """
    return np.searchsorted(_BOUNDS, np.asarray(wait_s, dtype=float), side="left").astype(np.int64)


def wait_bin_sql(expr: str) -> str:
    """A SQL ``CASE`` expression giving the bin of the wait ``expr`` (seconds), as :func:`wait_bins` does."""
    whens = " ".join(f"WHEN {expr} <= {b} THEN {k}" for k, b in enumerate(WAIT_BOUNDS_S))
    return f"(CASE {whens} ELSE {N_BINS - 1} END)"


def bin_upper_s(k) -> np.ndarray:
    """The upper bound of bin ``k`` in seconds (the open last bin: its lower bound)."""
    k = np.asarray(k, dtype=np.int64)
    return _BOUNDS[np.minimum(k, len(_BOUNDS) - 1)]


def edge_wait_counts(edge_key, wait_s) -> pd.DataFrame:
    """Per edge, the number of waits in each bin (non-zero only): ``k`` (edge key), ``bin``, ``events``.

    ``edge_key`` (int64) and ``wait_s`` are per occurrence. One hash
    factorisation and one ``bincount``; rows sorted by key, then bin.
    """
    codes, keys = pd.factorize(np.asarray(edge_key, dtype=np.int64))
    order = np.argsort(keys, kind="stable")
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys))
    counts = np.bincount(rank[codes] * N_BINS + wait_bins(wait_s), minlength=len(keys) * N_BINS)
    nz = np.flatnonzero(counts)
    return pd.DataFrame({"k": np.asarray(keys, dtype=np.int64)[order][nz // N_BINS],
                         "bin": (nz % N_BINS).astype(np.int64), "events": counts[nz].astype(np.int64)})


def empty_edge_waits() -> pd.DataFrame:
    """An ``edge_waits`` table without rows, with its column types."""
    return pd.DataFrame({"source": pd.Series(dtype=object), "target": pd.Series(dtype=object),
                         "bin": pd.Series(dtype=np.int64), "events": pd.Series(dtype=np.int64)})
