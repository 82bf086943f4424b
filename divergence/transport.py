"""Exact optimal transport between two histograms, fast when the plan is local.

Both the ``language`` measure (:mod:`divergence.measures.emd`) and the
observed-target backlog (:mod:`divergence.harmonise.observed`) solve
balanced transport problems between the variants of two units, with a dense
R × C ground-cost matrix. POT's dense network simplex (``emd_c``) works on
all R × C arcs; on units that run the same process (BPIC 2015: 1,100 ×
1,300 variants, almost all singletons) it takes about 1 s a problem, while
an optimal plan only ever moves a variant to one of its nearer
counterparts.

:func:`solve` therefore runs *column generation* on POT's sparse network
simplex (``emd_c_sparse``, POT ≥ 0.9.7):

1. The graph starts with each row's :data:`START_ARCS` cheapest arcs, the
   arcs of a northwest-corner plan (so the restricted problem is always
   feasible) and every arc of the rows named in ``full_rows``.
2. The restricted problem is solved exactly; its dual potentials price
   every arc left out: reduced cost ``c_ij - alpha_i - beta_j``.
3. If none is negative, the restricted plan is optimal for the whole
   problem (LP duality) and is returned. Otherwise each row's most negative
   arcs join the graph and the problem is solved again, warm-started from
   the potentials.

The value is the exact optimum, as the dense solver's (to rounding). Where
several plans are equally cheap, the sparse solver may return another of
them than the dense one. Problems of at most :data:`DENSE_MAX_CELLS` cells
(or the caller's ``dense_max_cells``),
problems that have not converged after :data:`MAX_ROUNDS` rounds, and POT
versions without the sparse solver use the dense solver. Memory beyond the
cost matrix: one byte a cell (which arcs are in the graph) and row blocks
of reduced costs.

Measured on one core (``benchmarks``): BPIC 2015 backlog problems 0.6-1.1 s
dense, 0.06-0.17 s here; the benchmark's 1.5M-event log (ten units whose
variants share little, 1,100-2,500 × 3,300 variants) 0.6-3.1 s dense,
0.1-2.2 s here.
"""

from __future__ import annotations

import numpy as np

from .arrays import unique

__all__ = ["solve", "DENSE_MAX_CELLS", "START_ARCS", "MAX_ROUNDS"]

#: Problems with at most this many cells go straight to the dense solver (no rounds to pay for).
DENSE_MAX_CELLS = 250_000
#: Cheapest arcs per row in the first graph, and most arcs a row gains per round.
START_ARCS = 128
#: Rounds of column generation before falling back to the dense solver.
MAX_ROUNDS = 40
#: Rows of reduced costs computed at a time (bounds the temporary memory).
_BLOCK_CELLS = 2_000_000


def solve(a: np.ndarray, b: np.ndarray, cost: np.ndarray, *, full_rows: np.ndarray | None = None,
          plan: bool = True, dense_max_cells: int | None = None) -> tuple[np.ndarray | None, float, bool]:
    """Optimal transport of histogram ``a`` (rows) onto ``b`` (columns).

    Parameters
    ----------
    a, b : array
        Non-negative masses; ``b`` is rescaled to ``a``'s total.
    cost : array, R × C
        Ground costs (any real dtype; read, never copied whole).
    full_rows : array of int, optional
        Rows whose arcs all belong to the graph from the start (for
        example a zero-cost dummy row that holds spare capacity).
    plan : bool, default True
        Return the plan (R × C); else only the value.
    dense_max_cells : int, optional
        Problems with at most this many cells go to the dense solver
        (default :data:`DENSE_MAX_CELLS`).

    Returns
    -------
    plan : array or None
    value : float
        The optimal total cost.
    optimal : bool
        False only if the dense fallback stopped at its iteration limit.
    """
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    b = b * (a.sum() / b.sum())
    R, C = cost.shape
    if R * C > (DENSE_MAX_CELLS if dense_max_cells is None else dense_max_cells):
        try:
            from ot.lp.emd_wrap import emd_c_sparse
        except ImportError:  # POT before 0.9.7
            emd_c_sparse = None
        if emd_c_sparse is not None:
            found = _columns(emd_c_sparse, a, b, cost, full_rows, plan)
            if found is not None:
                return found
    return _dense(a, b, cost, plan)


def _dense(a: np.ndarray, b: np.ndarray, cost: np.ndarray, plan: bool) -> tuple[np.ndarray | None, float, bool]:
    from ot.lp.emd_wrap import emd_c

    m = np.ascontiguousarray(cost, dtype=np.float64)
    g, value, _, _, code = emd_c(a, b, m, max(1_000_000, 50 * m.size), 1)
    return (g if plan else None), float(value), code == 1


def _columns(emd_c_sparse, a, b, cost, full_rows, plan):
    """Column generation; None when it does not settle within :data:`MAX_ROUNDS`."""
    R, C = cost.shape
    k = min(START_ARCS, C)
    have = np.zeros((R, C), dtype=bool)
    step = max(1, _BLOCK_CELLS // C)
    for s in range(0, R, step):  # each row's k cheapest arcs
        block = cost[s : s + step]
        near = np.argpartition(block, k - 1, axis=1)[:, :k] if k < C else np.broadcast_to(np.arange(C), (len(block), C))
        have[np.repeat(np.arange(s, s + len(block)), near.shape[1]), near.ravel()] = True
    have[_northwest(a, b)] = True
    if full_rows is not None:
        have[np.asarray(full_rows, dtype=np.int64)] = True
    scale = float(max(1.0, np.abs(cost).max()))
    tol = 1e-9 * scale
    # POT drops zero-mass rows and columns, whose potentials then mean nothing: never price their arcs
    idle_rows = a <= 0
    idle_cols = b <= 0
    alpha = beta = None
    for _ in range(MAX_ROUNDS):
        ri, ci = np.nonzero(have)
        args = (a, b, ri.astype(np.uint64), ci.astype(np.uint64), cost[ri, ci].astype(np.float64), max(1_000_000, 50 * len(ri)))
        if alpha is not None:
            args += (alpha, beta)
        fs, ft, fv, value, alpha, beta, code = emd_c_sparse(*args)
        if code != 1:
            return None
        # idle rows and columns price at +inf: their potential is taken as -inf
        out_a = np.where(idle_rows, -np.inf, alpha)
        out_b = np.where(idle_cols, -np.inf, beta)
        added = 0
        for s in range(0, R, step):  # price the arcs left out
            rc = np.subtract(cost[s : s + step], out_a[s : s + step, None], dtype=np.float64)
            rc -= out_b[None, :]
            neg = rc < -tol
            neg &= ~have[s : s + step]  # arcs in the graph are priced already
            rows = np.flatnonzero(neg.any(axis=1))
            if not len(rows):
                continue
            sub = rc[rows]
            sub[have[s + rows]] = np.inf
            pick = np.argpartition(sub, k - 1, axis=1)[:, :k] if k < C else np.broadcast_to(np.arange(C), (len(rows), C))
            rr = np.repeat(rows, pick.shape[1])
            cc = pick.ravel()
            ok = sub[np.repeat(np.arange(len(rows)), pick.shape[1]), cc] < -tol
            have[s + rr[ok], cc[ok]] = True
            added += int(ok.sum())
        if not added:
            if not plan:
                return None, float(value), True
            g = np.zeros((R, C))
            g[fs.astype(np.int64), ft.astype(np.int64)] = fv
            return g, float(value), True
    return None


def _northwest(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The arcs of the northwest-corner plan: a feasible basis, so the first graph is solvable."""
    sa = np.concatenate([[0.0], np.cumsum(a)])
    sb = np.concatenate([[0.0], np.cumsum(b)])
    sb[-1] = sa[-1] = max(sa[-1], sb[-1])
    cuts = unique(np.concatenate([sa, sb]))
    mids = (cuts[:-1] + cuts[1:]) / 2
    rows = np.clip(np.searchsorted(sa, mids, side="right") - 1, 0, len(a) - 1)
    cols = np.clip(np.searchsorted(sb, mids, side="right") - 1, 0, len(b) - 1)
    return rows, cols
