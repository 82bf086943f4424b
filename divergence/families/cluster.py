"""Process families: groups of units that run the process alike.

:func:`find_families` clusters units on a divergence matrix (average-linkage
agglomerative clustering) and chooses the number of families;
:func:`bootstrap_stability` measures how reliably each family reappears when
every unit's cases are resampled (:mod:`divergence.families.stability` has the whole
bootstrap: the number of families and the groupings it finds).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import cut_tree, leaves_list, linkage
from scipy.spatial.distance import squareform

from ..errors import OptionError, check_matrix
from ..profile import UnitProfile

__all__ = [
    "Families",
    "find_families",
    "bootstrap_stability",
    "SAME_THRESHOLD",
    "SILHOUETTE_THRESHOLD",
    "DISTINCT_THRESHOLD",
]

#: Every pairwise distance below this: all units run one process.
SAME_THRESHOLD = 0.10
#: Best silhouette below this counts as "no clear grouping".
SILHOUETTE_THRESHOLD = 0.25
#: With no clear grouping and every pairwise distance above this: each unit
#: is its own family.
DISTINCT_THRESHOLD = 0.35


@dataclass(frozen=True)
class Families:
    """Units grouped into process families.

    Family ids are ``"F1"``, ``"F2"``, ... ordered by size (largest first),
    then by the alphabetically first member.

    Attributes
    ----------
    units : tuple of str
        Unit names, in the order of the distance matrix given.
    labels : tuple of str
        Family id of each unit, aligned with ``units``.
    members : dict
        Family id -> tuple of member units, sorted by name.
    medoids : dict
        Family id -> the member with the least summed distance to the other
        members (ties: first by name).
    rule : str
        How the number of families was chosen: ``"given"``, ``"single unit"``,
        ``"all similar"``, ``"all distinct"``, ``"silhouette"`` or ``"two units"``.
    silhouette : float
        Mean silhouette of the chosen grouping (NaN when undefined: one
        family, or every unit alone).
    silhouettes : dict
        k -> mean silhouette for each k tried in automatic mode.
    linkage : ndarray
        SciPy linkage matrix ((N−1)×4) over ``units`` (indices into ``units``).
    leaf_order : tuple of str
        Units in dendrogram leaf order.
    cut_height : float
        Height at which the dendrogram is cut to give the families.
    """

    units: tuple[str, ...]
    labels: tuple[str, ...]
    members: dict[str, tuple[str, ...]]
    medoids: dict[str, str]
    rule: str
    silhouette: float
    silhouettes: dict[int, float]
    linkage: np.ndarray
    leaf_order: tuple[str, ...]
    cut_height: float

    @property
    def n_families(self) -> int:
        return len(self.members)

    def family_of(self, unit: str) -> str:
        """Family id of ``unit``."""
        return self.labels[self.units.index(unit)]

    def table(self) -> pd.DataFrame:
        """One row per unit: ``unit``, ``family``, ``medoid`` (bool); sorted by family, unit."""
        df = pd.DataFrame(
            {
                "unit": list(self.units),
                "family": list(self.labels),
                "medoid": [self.medoids[f] == u for u, f in zip(self.units, self.labels)],
            }
        )
        df["_k"] = df["family"].str[1:].astype(int)
        return df.sort_values(["_k", "unit"]).drop(columns="_k").reset_index(drop=True)


def find_families(
    distance: np.ndarray,
    units: Sequence[str],
    *,
    n_families: int | str = "auto",
    same_threshold: float = SAME_THRESHOLD,
    silhouette_threshold: float = SILHOUETTE_THRESHOLD,
    distinct_threshold: float = DISTINCT_THRESHOLD,
) -> Families:
    """Group units into process families.

    Average-linkage agglomerative clustering of the symmetric ``distance``
    matrix, cut into k families. With ``n_families="auto"``:

    1. one unit: one family;
    2. every pairwise distance below ``same_threshold`` (default 0.10): one
       family, all units run one process;
    3. otherwise the k in 2..N−1 with the best mean silhouette (ties: fewer
       families); if that silhouette is below ``silhouette_threshold``
       (default 0.25) and every pairwise distance exceeds
       ``distinct_threshold`` (default 0.35): every unit is its own family;
    4. otherwise the best-silhouette k. With two units (no k to score): two
       families if their distance exceeds ``distinct_threshold``, else one.

    Parameters
    ----------
    distance : ndarray
        N×N symmetric matrix in [0, 1] (e.g. :func:`divergence.measures.compute.combine`).
    units : sequence of str
        Unit names aligned with the matrix; distinct.
    n_families : int or "auto", default "auto"
        A given number of families, 1 ≤ n ≤ N.
    same_threshold, silhouette_threshold, distinct_threshold : float
        The rules above.

    Returns
    -------
    Families

    Raises
    ------
    OptionError
        A bad ``n_families``, or a matrix that does not match ``units``.

    Notes
    -----
    Units are processed in name order, so the result does not depend on the
    order given. O(N²) for the linkage, O(N³) for the silhouettes.
    """
    units = [str(u) for u in units]
    n = len(units)
    d = check_matrix(distance, n, what="distance matrix", finite=True)
    if len(set(units)) != n:
        raise OptionError("unit names must be distinct")
    if n == 0:
        raise OptionError("no units to group")
    order = sorted(range(n), key=lambda i: units[i])
    names = [units[i] for i in order]
    d = d[np.ix_(order, order)]
    d = (d + d.T) / 2.0
    np.fill_diagonal(d, 0.0)
    z = linkage(squareform(d, checks=False), "average") if n > 1 else np.zeros((0, 4))

    silhouettes: dict[int, float] = {}
    if n_families != "auto":
        if isinstance(n_families, bool) or not isinstance(n_families, (int, np.integer)):
            raise OptionError(f"families must be 'auto' or a whole number, got {n_families!r}")
        if not 1 <= n_families <= n:
            raise OptionError(f"families must be between 1 and {n} (the number of units), got {n_families}")
        k, rule = int(n_families), "given"
    elif n == 1:
        k, rule = 1, "single unit"
    else:
        off = d[~np.eye(n, dtype=bool)]
        if off.max() < same_threshold:
            k, rule = 1, "all similar"
        elif n == 2:
            k, rule = (2 if off.min() > distinct_threshold else 1), "two units"
        else:
            cuts = _cuts(z, n, range(2, n))  # one pass over the tree for every k
            for kk in range(2, n):
                silhouettes[kk] = _silhouette(d, cuts[kk])
            best = max(silhouettes, key=lambda kk: (silhouettes[kk], -kk))
            if silhouettes[best] < silhouette_threshold and off.min() > distinct_threshold:
                k, rule = n, "all distinct"
            else:
                k, rule = best, "silhouette"
    labels = _cut(z, n, k)
    ids = _family_ids(labels, names)
    fam = [ids[lab] for lab in labels]
    members = {f: tuple(u for u, g in zip(names, fam) if g == f) for f in sorted(set(fam), key=_fkey)}
    medoids = {}
    for f, mem in members.items():
        idx = [names.index(u) for u in mem]
        sums = d[np.ix_(idx, idx)].sum(axis=1)
        medoids[f] = min(zip(sums, mem))[1] if len(mem) > 1 else mem[0]
    sil = _silhouette(d, labels) if 1 < k < n else float("nan")
    by_unit = dict(zip(names, fam))
    leaf = tuple(names[i] for i in leaves_list(z)) if n > 1 else tuple(names)
    # express the linkage in the caller's unit order
    z_out = z.copy()
    if n > 1:
        pos = np.array([units.index(u) for u in names])
        leaves = z_out[:, :2] < n
        z_out[:, :2] = np.where(leaves, pos[np.minimum(z_out[:, :2], n - 1).astype(int)], z_out[:, :2])
    return Families(
        units=tuple(units),
        labels=tuple(by_unit[u] for u in units),
        members=members,
        medoids=medoids,
        rule=rule,
        silhouette=sil,
        silhouettes=silhouettes,
        linkage=z_out,
        leaf_order=leaf,
        cut_height=_cut_height(z, n, k),
    )


def bootstrap_stability(
    profiles: Sequence[UnitProfile],
    distance_fn: Callable[[list[UnitProfile]], np.ndarray],
    families: Families,
    *,
    n: int = 50,
    seed: int = 0,
    workers: int | None = None,
) -> dict[str, float]:
    """Share of bootstrap resamples in which each family reappears exactly.

    Each resample draws, for every unit, as many cases as it has from its
    own variants (multinomial on the variant counts) and, independently, from
    its throughput times (multinomial on ``durations``); recomputes the
    distance with ``distance_fn``; and re-clusters into the same number of
    families. A family *reappears* when some resampled family has exactly
    its members: they stay together and no other unit joins (for a
    one-unit family: the unit stays alone).

    Parameters
    ----------
    profiles : sequence of UnitProfile
        The units of ``families`` (any order; matched by ``unit``).
    distance_fn : callable
        ``distance_fn(profiles) -> ndarray``, the distance the families were
        built on, e.g. ``lambda ps: combine(compute_measures(ps).matrices)``.
        It must read only ``variants`` and ``durations`` of the profiles.
    families : Families
    n : int, default 50
        Number of resamples.
    seed : int, default 0
        Seed of the numpy Generator: equal seeds give equal results.
    workers : int, optional
        Processes to split the resamples over (default: the cores, from 8
        resamples on); the shares do not depend on it.

    Returns
    -------
    dict
        Family id -> share in [0, 1].

    Notes
    -----
    The ``per_family`` part of :func:`divergence.families.stability.bootstrap_families`,
    which also tells how often the automatic rule picks the same grouping.
    n calls of ``distance_fn`` plus 2n clusterings, split over the cores
    from 8 resamples on; each resample has its own seed
    (``SeedSequence(seed).spawn(n)``), so the result does not depend on the
    number of workers.
    """
    from .stability import bootstrap_families

    return bootstrap_families(profiles, distance_fn, families, n=n, seed=seed, workers=workers).per_family


# ----------------------------------------------------------------- helpers


def _cut(z: np.ndarray, n: int, k: int) -> np.ndarray:
    """Cluster labels (0..k−1) cutting the tree into exactly k clusters."""
    if n == 1 or k == n:
        return np.arange(n)
    if k == 1:
        return np.zeros(n, dtype=int)
    return cut_tree(z, n_clusters=k).ravel()


def _cuts(z: np.ndarray, n: int, ks: range) -> dict[int, np.ndarray]:
    """:func:`_cut` for every k in ``ks``, from one call of SciPy's ``cut_tree`` (same labels)."""
    inner = [k for k in ks if 1 < k < n]
    cols = cut_tree(z, n_clusters=inner) if inner else np.zeros((n, 0), dtype=int)
    out = {k: cols[:, i] for i, k in enumerate(inner)}
    out.update({k: _cut(z, n, k) for k in ks if k not in out})
    return out


def _cut_height(z: np.ndarray, n: int, k: int) -> float:
    """A height between the merges that separate k clusters (midpoint)."""
    if n == 1:
        return 0.0
    h = z[:, 2]
    if k == 1:
        return float(h[-1] * 1.05 + 1e-9)
    if k == n:
        return float(h[0] / 2.0)
    return float((h[n - k - 1] + h[n - k]) / 2.0)


def _family_ids(labels: np.ndarray, names: list[str]) -> dict[int, str]:
    """Cluster label -> "F<i>", by size desc, then alphabetically first member."""
    groups: dict[int, list[str]] = {}
    for lab, u in zip(labels, names):
        groups.setdefault(int(lab), []).append(u)
    ranked = sorted(groups, key=lambda lab: (-len(groups[lab]), min(groups[lab])))
    return {lab: f"F{i + 1}" for i, lab in enumerate(ranked)}


def _fkey(f: str) -> int:
    return int(f[1:])


def _silhouette(d: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette width for a precomputed distance (singletons score 0)."""
    labels = np.asarray(labels)
    uniq = np.unique(labels)
    if len(uniq) < 2 or len(uniq) == len(labels):
        return float("nan")
    s = np.zeros(len(labels))
    for i in range(len(labels)):
        own = labels == labels[i]
        if own.sum() == 1:
            continue
        a = d[i, own].sum() / (own.sum() - 1)
        b = min(d[i, labels == c].mean() for c in uniq if c != labels[i])
        top = max(a, b)
        s[i] = (b - a) / top if top > 0 else 0.0
    return float(s.mean())


def _redraw(counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """As many cases as ``counts`` holds, redrawn in proportion to it (all zeros stay zero)."""
    if not len(counts):
        return counts
    return rng.multinomial(int(counts.sum()), counts / counts.sum())


def _resample(p: UnitProfile, rng: np.random.Generator) -> UnitProfile:
    """A bootstrap copy of a unit: its cases redrawn from variants and durations."""
    v = p.variants
    new = _redraw(v["cases"].to_numpy(dtype=float), rng)
    total = int(new.sum())
    keep = np.flatnonzero(new)
    # observed order (the measures sort as they need); built from arrays,
    # which is several times cheaper than indexing the frame
    v2 = pd.DataFrame({c: v[c].to_numpy()[keep] for c in v.columns})
    v2["cases"] = new[keep].astype(np.int64)
    v2["share"] = v2["cases"] / total
    # where each kept row was among the observed variants (read by ResampledDistance)
    v2.attrs = {"observed_rows": keep, "observed_n": len(v)}
    d = p.durations
    if len(d):
        dn = _redraw(d["cases"].to_numpy(dtype=float), rng)
        kept = np.flatnonzero(dn)
        d2 = pd.DataFrame({c: d[c].to_numpy()[kept] for c in d.columns})
        d2["cases"] = dn[kept].astype(np.int64)
    else:
        d2 = d
    return dataclasses.replace(p, variants=v2, durations=d2)
