"""The ``language`` measure: earth mover's distance between stochastic languages.

Kept apart from :mod:`divergence.measures.compute` (which registers it) because of
its size: the cost-matrix budget, the tail merge of a capped pair and the
exact transport solver live here, and :mod:`divergence.families.resampling` reuses
the solver and the activity encoding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import chain

import numpy as np
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist

from .. import parallel
from ..errors import OptionError, warn
from ..profile import UnitProfile

__all__ = ["LANGUAGE_MAX_CELLS", "LANGUAGE_TOTAL_CELLS", "language", "transport", "pair_caps", "pair_budgets"]

#: Most cells (ground distances, variants of one unit × variants of the
#: other) of one pair's cost matrix solved exactly. 15 million cells are
#: about 3900 × 3900 variants: some 120 MB per matrix and 5-10 s for the
#: distances and the transport on one core. Pairs above it are compared on
#: their most frequent variants (see :func:`pair_caps`), with a warning.
LANGUAGE_MAX_CELLS = 15_000_000

#: Most cells of all pairs' cost matrices together. Within it every pair is
#: exact; above it the budget is shared out by water-filling
#: (:func:`pair_budgets`): pairs below the common level stay exact, the
#: larger ones are compared on their most frequent variants, with a warning.
#: All ten pairs of the five BPIC 2015 municipalities need 12.2 million cells
#: (exact, about 10 s of one core); the 45 pairs of the benchmark's
#: 1.5M-event long-tail log need 212 million (several minutes of both
#: cores) and get about 355,000 each (0.1 s a pair), for values within 1%
#: of the exact ones there. Capping a log whose variants are nearly all
#: singletons moves values more (up to 8% on BPIC 2015 at 6 million), so
#: the budget is set to keep such logs of that size exact.
LANGUAGE_TOTAL_CELLS = 16_000_000

#: Language problems with at most this many cells go to POT's dense simplex
#: rather than column generation (:mod:`divergence.transport`). Languages of
#: similar units have many near-equal ground distances, so column generation
#: needs several rounds: at 596 × 596 variants (the 1.5M-event benchmark's
#: capped pairs) dense takes half the time, at BPIC 2015's 1,170 × 1,349 the
#: two are level.
DENSE_MAX_CELLS = 2_000_000

#: Capped pairs warned about one by one; more are summed up in one warning.
_WARN_EACH = 3

#: Ground distances (summed n·m over pairs) above which solves run in a process pool.
_PARALLEL_CELLS = 2e6

#: Tail variants compared with the kept ones at a time when merging a capped tail.
_MERGE_CHUNK_CELLS = 4_000_000


def language(
    profiles: Sequence[UnitProfile],
    *,
    max_cells: int = LANGUAGE_MAX_CELLS,
    max_total_cells: int = LANGUAGE_TOTAL_CELLS,
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

    Every pair is compared exactly on all its variants when all pairs'
    cost matrices (variants × variants) together have at most
    ``max_total_cells`` cells and the pair's own at most ``max_cells``.
    Otherwise each pair gets its share of the budget (:func:`pair_budgets`)
    and a pair over its share is compared on each unit's most frequent
    variants, as many as fit (:func:`pair_caps`), the others' cases merged
    into their nearest kept variant, with a :class:`DivergenceWarning`
    naming the pair, the cap and the share of cases kept.

    Parameters
    ----------
    profiles : sequence of UnitProfile
    max_cells : int, default :data:`LANGUAGE_MAX_CELLS` (15 million)
        Largest cost matrix of one pair solved exactly.
    max_total_cells : int, default :data:`LANGUAGE_TOTAL_CELLS` (16 million)
        Most cells of all pairs' cost matrices together.
    coverage : float, default 1.0
        Keep only the most frequent variants covering at least this share of
        a unit's cases (before the budget).
    merge_tail : bool, default True
        Move the cases of the variants beyond the kept ones to their nearest
        kept variant (same ground distance), so the distribution keeps all
        its mass; with ``False`` they are dropped and the kept shares
        renormalised.
    n_jobs : int, default -1
        Processes for the transport solves (-1: all available cores). Used
        only when the work is large (over :data:`_PARALLEL_CELLS` ground
        distances in all), on systems that can fork and from a
        single-threaded caller; otherwise the solves run in this process.
    details : dict, optional
        Filled with ``max_cells``; ``coverage`` and ``variants_used`` (unit
        -> the least share of its cases and number of variants it kept in
        any pair; 1.0 and all its variants when never capped);
        ``capped_pairs`` (list of dicts: ``units``, ``variants``, ``kept``,
        ``coverage``, ``cells``); ``warnings`` (list of str) and
        ``processes`` (how many ran the solves).

    Returns
    -------
    ndarray
        Symmetric N×N matrix in [0, 1].

    Notes
    -----
    Per pair with n and m kept variants: the ground distances take
    O(n·m·L) (bit-parallel Levenshtein in rapidfuzz), the exact transport
    (network simplex, POT) about O(n·m·(n + m)) in the worst case; 3000 ×
    3000 takes 3-5 seconds. Activities are integer-coded once and variants
    become strings of one character per activity.
    """
    for label, value in (("max_cells", max_cells), ("max_total_cells", max_total_cells)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise OptionError(f"{label} must be a positive integer, got {value!r}")
    if not 0.0 < coverage <= 1.0:
        raise OptionError(f"coverage must be in (0, 1], got {coverage!r}")
    if n_jobs == 0 or isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)):
        raise OptionError(f"n_jobs must be a non-zero integer, got {n_jobs!r}")
    book = codebook(profiles)
    units = []  # per unit: encoded variants and their cases, most frequent first; usable count
    for p in profiles:
        cases = p.variants["cases"].to_numpy(dtype=float)
        keep = np.flatnonzero(cases > 0)
        cases = cases[keep]
        order = np.lexsort((np.arange(len(cases)), -cases))  # by cases desc, stable
        cases = cases[order]
        variants = list(p.variants["variant"])
        strings = encode_many([variants[keep[i]] for i in order], book)
        total = cases.sum()
        k = int(np.searchsorted(np.cumsum(cases) / total, coverage - 1e-12)) + 1 if len(cases) else 0
        units.append((strings, cases, min(k, len(cases))))
    names = [p.unit for p in profiles]
    info = {
        "max_cells": int(max_cells),
        "coverage": {u: float(units[i][1][: units[i][2]].sum() / max(units[i][1].sum(), 1e-300)) for i, u in enumerate(names)},
        "variants_used": {u: units[i][2] for i, u in enumerate(names)},
        "capped_pairs": [],
        "warnings": [],
    }
    heads: dict[tuple[int, int], tuple[list[str], np.ndarray]] = {}

    def head(i: int, k: int) -> tuple[list[str], np.ndarray]:
        if (i, k) not in heads:
            heads[i, k] = _head(*units[i][:2], k, merge_tail)
        return heads[i, k]

    n = len(profiles)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    langs = []
    capped: list[tuple[str, int]] = []
    budgets = pair_budgets([units[i][2] * units[j][2] for i, j in pairs], int(max_total_cells), int(max_cells))
    info["max_total_cells"] = int(max_total_cells)
    for (i, j), budget in zip(pairs, budgets):
        ni, nj = units[i][2], units[j][2]
        ki, kj = pair_caps(ni, nj, budget)
        langs.append((head(i, ki), head(j, kj)))
        if (ki, kj) != (ni, nj):
            cov = [float(units[x][1][:k].sum() / units[x][1].sum()) for x, k in ((i, ki), (j, kj))]
            for x, k, c in ((i, ki, cov[0]), (j, kj, cov[1])):
                info["coverage"][names[x]] = min(info["coverage"][names[x]], c)
                info["variants_used"][names[x]] = min(info["variants_used"][names[x]], k)
            info["capped_pairs"].append(
                {"units": [names[i], names[j]], "variants": [ni, nj], "kept": [ki, kj], "coverage": cov, "cells": ni * nj}
            )
            capped.append((
                f"language: {names[i]!r} ({ni} variants) × {names[j]!r} ({nj} variants) needs {ni * nj:,} ground "
                f"distances, over the budget of {budget:,} (LANGUAGE_MAX_CELLS for one pair, LANGUAGE_TOTAL_CELLS "
                f"shared by all); compared on their "
                f"{ki} and {kj} most frequent variants, covering {cov[0]:.1%} and {cov[1]:.1%} of their cases"
                + (", the rest merged into their nearest kept variant" if merge_tail else "")
                + "; the value is approximate", ni * nj))
    if len(capped) > _WARN_EACH:  # one line for many pairs; each pair stays in details["capped_pairs"]
        kept = min(min(c["coverage"]) for c in info["capped_pairs"])
        capped = [(
            f"language: {len(capped)} of {len(pairs)} unit pairs need more ground distances than their share of the "
            f"budget ({int(max_total_cells):,} for all pairs, LANGUAGE_TOTAL_CELLS); compared on their most frequent "
            f"variants (at least {kept:.1%} of each unit's cases kept"
            + (", the rest merged into their nearest kept variant" if merge_tail else "")
            + "); the values are approximate (pairs listed in the language details)", len(capped))]
    for msg, count in capped:
        info["warnings"].append(msg)
        warn("language_cap", msg, count=count)
    heads.clear()
    out = np.zeros((n, n))
    results, info["processes"] = _solve_pairs(langs, n_jobs)
    for (i, j), (value, ok) in zip(pairs, results):
        if not ok:
            msg = (
                f"language: transport between {names[i]!r} and {names[j]!r} "
                "stopped before optimality; value is an upper bound"
            )
            info["warnings"].append(msg)
            warn("language_bound", msg)
        out[i, j] = out[j, i] = value
    if details is not None:
        details.update(info)
    return np.clip(out, 0.0, 1.0)


def pair_budgets(cells: Sequence[int], total: int, per_pair: int) -> list[int]:
    """Each pair's cell budget: all of its cells when they fit, else a water-filled share of ``total``.

    With ``level`` the largest number such that ``sum(min(c, level))`` is at
    most ``total`` (at least 1), a pair gets ``min(c, level, per_pair)``:
    pairs below the level keep all their cells, the larger ones share what
    is left equally.
    """
    cells = [min(int(c), per_pair) for c in cells]
    if sum(cells) <= total:
        return cells
    order = sorted(cells)
    left, level = total, 1
    for k, c in enumerate(order):
        share = left // (len(order) - k)
        if c > share:
            level = max(1, share)
            break
        left -= c
    return [max(1, min(c, level)) for c in cells]


def pair_caps(n: int, m: int, max_cells: int) -> tuple[int, int]:
    """Variants kept of a pair with ``n`` and ``m`` variants under a cell budget.

    All of both when n·m ≤ ``max_cells``. Otherwise the smaller unit keeps
    all its variants if its square fits the budget, and the larger one as
    many as fit beside them (``max_cells // smaller``); else both keep
    ``isqrt(max_cells)``. At least one variant each.
    """
    if n * m <= max_cells:
        return n, m
    small = min(n, m)
    if small * small <= max_cells:
        other = max(1, max_cells // small)
        return (n, other) if n <= m else (other, m)
    s = max(1, math.isqrt(max_cells))
    return s, s


def _head(strings: list[str], cases: np.ndarray, k: int, merge_tail: bool) -> tuple[list[str], np.ndarray]:
    """The ``k`` most frequent variants and their shares, the tail merged or dropped."""
    kept_s = strings[:k]
    kept = cases[:k].copy()
    if k < len(cases) and merge_tail:
        # every case keeps its mass: a tail variant's cases move to its
        # nearest kept variant under the same ground distance (first on ties)
        tail = strings[k:]
        step = max(1, _MERGE_CHUNK_CELLS // max(k, 1))
        for s in range(0, len(tail), step):
            near = cdist(tail[s : s + step], kept_s, scorer=Levenshtein.normalized_distance, dtype=np.float64, workers=-1)
            np.add.at(kept, np.argmin(near, axis=1), cases[k + s : k + s + step])
    total = kept.sum()
    return kept_s, kept / total if total > 0 else kept


def _solve_pairs(langs: list, n_jobs: int) -> tuple[list, int]:
    """(value, optimal) per pair of languages, in forked workers when the work is large."""
    jobs = min(parallel.cores() if n_jobs < 0 else int(n_jobs), len(langs))
    cells = sum(len(a[0]) * len(b[0]) for a, b in langs)
    if jobs > 1 and cells >= _PARALLEL_CELLS and parallel.can_fork():
        # one thread per worker: the workers are the parallelism
        return parallel.fork_map(lambda k: _emd(*langs[k][0], *langs[k][1], workers=1), len(langs), workers=jobs, chunks=1), jobs
    return [_emd(*a, *b) for a, b in langs], 1


def _emd(
    sa: list[str], pa: np.ndarray, sb: list[str], pb: np.ndarray, workers: int = -1
) -> tuple[float, bool]:
    """Exact EMD between two languages; returns (value, solved to optimality)."""
    if not sa or not sb:
        return 0.0, True
    if sa == sb and np.array_equal(pa, pb):
        return 0.0, True
    m = cdist(sa, sb, scorer=Levenshtein.normalized_distance, dtype=np.float64, workers=workers)
    if len(sa) == 1 or len(sb) == 1:  # all mass moves: no optimisation needed
        return float(pa @ m @ pb), True
    return transport(pa, pb, m)


def transport(a: np.ndarray, b: np.ndarray, cost: np.ndarray) -> tuple[float, bool]:
    """Exact optimal transport cost between histograms; returns (value, solved to optimality).

    POT's compiled network simplex, called without ``ot.emd2``'s per-call
    backend checks (which cost more than the solve on small problems), with
    column generation on large problems (:func:`divergence.transport.solve`).
    ``b`` is rescaled to ``a``'s mass, as ``emd2`` does.
    """
    from ..transport import solve

    _, value, optimal = solve(a, b, cost, plan=False, dense_max_cells=DENSE_MAX_CELLS)
    return value, optimal


def codebook(profiles: Sequence[UnitProfile]) -> dict[str, int]:
    """Activity name -> integer code, names sorted so codes are deterministic."""
    names = {a for p in profiles for v in p.variants["variant"] for a in v}
    return {a: i for i, a in enumerate(sorted(names))}


def flat_codes(variants: Sequence[Sequence[str]], book: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Every activity's code, variant after variant, and each variant's length (int64 arrays)."""
    lengths = np.fromiter(map(len, variants), dtype=np.int64, count=len(variants))
    flat = list(chain.from_iterable(variants))
    codes = np.fromiter(map(book.__getitem__, flat), dtype=np.int64, count=len(flat))
    return codes, lengths


def encode_many(variants: Sequence[Sequence[str]], book: Mapping[str, int]) -> list[str]:
    """``[encode(v, book) for v in variants]``, the characters made in one array and decoded at once."""
    return strings_of_codes(*flat_codes(variants, book))


def strings_of_codes(codes: np.ndarray, lengths: np.ndarray) -> list[str]:
    """One string per variant from its activities' codes (laid out variant after variant), as :func:`encode`."""
    chars = codes + 0x100
    chars[chars >= 0xD800] += 0x800
    text = chars.astype("<u4").tobytes().decode("utf-32-le")
    ends = np.cumsum(lengths).tolist()
    starts = [0, *ends[:-1]]
    return [text[a:b] for a, b in zip(starts, ends)]


def encode(variant: tuple[str, ...], book: Mapping[str, int]) -> str:
    """One character per activity, avoiding control and surrogate code points."""
    out = []
    for a in variant:
        c = book[a] + 0x100
        if c >= 0xD800:
            c += 0x800
        out.append(chr(c))
    return "".join(out)
