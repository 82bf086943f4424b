"""Many transports at once: in forked workers, sharing distance matrices, results sent back slim.

:func:`transport_many` runs :func:`~divergence.harmonise.observed.transport_unit`
for every ``(unit, target)`` job of the automatic target's pricing. Three
things make it cheaper than one call after another, without changing a plan:

* units transported onto each other both ways share one indel distance
  matrix (the distance is symmetric), computed here on all cores before
  the workers fork;
* large work goes to forked workers, largest problems first;
* a worker sends its transport back with the pairs' variants as positions
  in the two profiles' variant tables, not as tuples of activity names
  (BPIC 2015: 41 MB of pickles, 1.1 s to write and read, become 5 MB
  with the backlog items); the parent puts the tuples back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..profile import UnitProfile
from .observed import DEFAULT_TOLERANCE, UnitTransport, transport_unit, variant_distances

__all__ = ["transport_many", "PARALLEL_MIN_CELLS", "REUSE_MAX_CELLS"]

#: :func:`transport_many` forks workers from this many variant pairs in all (a pool costs ~0.1 s).
PARALLEL_MIN_CELLS = 2_000_000
#: Most cells of the distance matrices shared by jobs transported both ways (int32, so 100 MB).
REUSE_MAX_CELLS = 25_000_000


def _mirrored(jobs: Sequence[tuple[UnitProfile, UnitProfile]]) -> dict[int, tuple[int, bool]]:
    """Jobs whose mirror (target onto unit) is also a job: job -> (the pair's first job, transposed).

    The indel distance is symmetric, so a pair's matrix serves both
    directions; pairs are kept while their matrices together stay within
    :data:`REUSE_MAX_CELLS`.
    """
    at = {(id(u), id(t)): k for k, (u, t) in enumerate(jobs)}
    out: dict[int, tuple[int, bool]] = {}
    cells = 0
    for k, (u, t) in enumerate(jobs):
        m = at.get((id(t), id(u)))
        if m is None or m <= k or u is t:
            continue
        size = len(u.variants) * len(t.variants)
        if cells + size > REUSE_MAX_CELLS:
            continue
        cells += size
        out[k] = (k, False)
        out[m] = (k, True)
    return out


def transport_many(
    jobs: Sequence[tuple[UnitProfile, UnitProfile]],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    then: Callable[[UnitProfile, UnitProfile, UnitTransport], Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list:
    """:func:`transport_unit` of each ``(unit, target)`` job, in forked workers when the work is large.

    The same plans as one call at a time (each problem is solved alone, by
    the same deterministic solver); only the wall time changes. Problems go
    to the workers largest first. With ``then``, each result is the pair
    ``(transport, then(unit, target, transport))``, the follow-up computed
    in the same worker. ``progress(done, total)`` is called as the problems
    finish (in the workers' order, largest first).
    """
    from .. import parallel

    report = progress or (lambda done, total: None)

    if not jobs:
        return []
    cells = [len(u.variants) * len(t.variants) for u, t in jobs]
    workers = min(parallel.cores(), len(jobs))

    # pairs transported both ways share one distance matrix, computed here (on all cores) before the workers fork
    mirror = _mirrored(jobs)
    shared = {k: variant_distances(*jobs[k]) for k in sorted({first for first, _ in mirror.values()})}

    def one(k: int, threads: int, slim: bool = False):
        u, t = jobs[k]
        d = None
        if k in mirror:
            first, transposed = mirror[k]
            d = shared[first].T if transposed else shared[first]
        tr = transport_unit(u, t, tolerance=tolerance, workers=threads, distances=d)
        found = tr if then is None else (tr, then(u, t, tr))
        return _slim(found, u, t) if slim else found

    out: list = [None] * len(jobs)
    if workers < 2 or sum(cells) < PARALLEL_MIN_CELLS or not parallel.can_fork():
        for k in range(len(jobs)):
            out[k] = one(k, -1)
            report(k + 1, len(jobs))
        return out
    order = sorted(range(len(jobs)), key=lambda k: (-cells[k], k))
    # one distance thread per worker: the workers are the parallelism
    for n, found in enumerate(parallel.fork_iter(lambda n: one(order[n], 1, slim=True), len(jobs), workers=workers)):
        k = order[n]
        out[k] = _fat(found, *jobs[k])
        report(n + 1, len(jobs))
    return out


def _slim(found: Any, unit: UnitProfile, target: UnitProfile) -> Any:
    """The result with its transport's variants as positions in the two variant tables."""
    tr = found[0] if isinstance(found, tuple) else found
    pairs = tr.pairs.copy()
    for column, profile in (("unit_variant", unit), ("target_variant", target)):
        at = {tuple(v): i for i, v in enumerate(profile.variants["variant"])}
        pairs[column] = np.fromiter((at[v] for v in pairs[column]), dtype=np.int64, count=len(pairs))
    tr = dataclasses.replace(tr, pairs=pairs)
    return (tr, *found[1:]) if isinstance(found, tuple) else tr


def _fat(found: Any, unit: UnitProfile, target: UnitProfile) -> Any:
    """:func:`_slim` undone: the positions back to the variants' tuples."""
    tr = found[0] if isinstance(found, tuple) else found
    pairs = tr.pairs.copy()
    for column, profile in (("unit_variant", unit), ("target_variant", target)):
        variants = [tuple(v) for v in profile.variants["variant"]]
        pairs[column] = pd.Series([variants[i] for i in pairs[column].to_numpy()], dtype=object, index=pairs.index)
    tr = dataclasses.replace(tr, pairs=pairs)
    return (tr, *found[1:]) if isinstance(found, tuple) else tr


