"""How reliably the families reappear when every unit's cases are resampled.

:func:`bootstrap_families` redraws each unit's cases, recomputes the
distance and groups the units again, twice per resample: once into the
chosen number of families (does each family reappear exactly?) and once by
the same rule that chose the families (how many families, and which
grouping?). :func:`divergence.families.cluster.bootstrap_stability` is the first
half alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import OptionError
from ..parallel import fork_map
from ..profile import UnitProfile

__all__ = ["FamilyStability", "bootstrap_families", "TENTATIVE_BELOW", "grouping_of"]

#: A family whose stability is below this is shown as tentative.
TENTATIVE_BELOW = 0.5

#: Resamples from which the bootstrap runs in forked workers (a pool costs ~0.1 s).
_PARALLEL_MIN_RESAMPLES = 8

#: A grouping: families as sorted tuples of units, largest first, then by first member.
Grouping = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class FamilyStability:
    """What the bootstrap says about the families as a whole.

    Attributes
    ----------
    n_resamples : int
    per_family : dict
        Family id -> share of resamples in which, cut into the chosen number
        of families, exactly its members form a family.
    family_counts : dict
        Number of families -> share of resamples in which the automatic rule
        (or the given number) chose it; sorted by number.
    chosen : Grouping
        The grouping found on the observed cases (:func:`grouping_of`).
    chosen_share : float
        Share of resamples whose grouping, chosen afresh, is exactly ``chosen``.
    runner_up : Grouping or None
        The most frequent other grouping (ties: fewer families, then by
        members); None when every resample gave ``chosen``.
    runner_up_share : float
        Its share (0 when None).
    """

    n_resamples: int
    per_family: dict[str, float]
    family_counts: dict[int, float]
    chosen: Grouping
    chosen_share: float
    runner_up: Grouping | None
    runner_up_share: float

    def tentative(self, family: str) -> bool:
        """Whether ``family`` reappears in fewer than :data:`TENTATIVE_BELOW` of the resamples."""
        return self.per_family.get(family, 1.0) < TENTATIVE_BELOW

    @property
    def tentative_families(self) -> tuple[str, ...]:
        return tuple(f for f in self.per_family if self.tentative(f))


def grouping_of(members: dict[str, Sequence[str]] | Sequence[Sequence[str]]) -> Grouping:
    """A canonical grouping: each family sorted, families by size desc then first member."""
    groups = members.values() if isinstance(members, dict) else members
    fams = [tuple(sorted(map(str, g))) for g in groups if len(g)]
    return tuple(sorted(fams, key=lambda g: (-len(g), g)))


def bootstrap_families(
    profiles: Sequence[UnitProfile],
    distance_fn: Callable[[list[UnitProfile]], np.ndarray],
    families,
    *,
    n: int = 50,
    seed: int = 0,
    workers: int | None = None,
) -> FamilyStability:
    """Bootstrap the families: per-family stability and the distribution of groupings.

    Each resample draws, for every unit, as many cases as it has from its
    own variants (multinomial on the variant counts) and, independently, from
    its throughput times (multinomial on ``durations``), and recomputes the
    distance with ``distance_fn``. On that distance the units are grouped
    twice: into ``families.n_families`` families (a family *reappears* when
    some resampled family has exactly its members), and by the rule that
    chose ``families`` (the automatic rule of
    :func:`divergence.families.cluster.find_families`, or the given number), whose
    grouping and number of families are counted.

    Parameters
    ----------
    profiles : sequence of UnitProfile
        The units of ``families`` (any order; matched by ``unit``).
    distance_fn : callable
        ``distance_fn(profiles) -> ndarray``, the distance the families were
        built on. It must read only ``variants`` and ``durations``. A
        :class:`divergence.families.resampling.ResampledDistance` over the same units
        is fed count vectors instead (the same draws, faster).
    families : Families
    n : int, default 50
        Number of resamples.
    seed : int, default 0
        Equal seeds give equal results; each resample has its own seed
        (``SeedSequence(seed).spawn(n)``), so the result does not depend on
        ``workers``.
    workers : int, optional
        Processes to split the resamples over (default: the cores, from
        :data:`_PARALLEL_MIN_RESAMPLES` resamples on).

    Returns
    -------
    FamilyStability

    Notes
    -----
    n calls of ``distance_fn`` plus 2n clusterings: O(n·(cost of the
    distance + N³)) for N units.
    """
    from .cluster import _redraw, _resample, find_families

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise OptionError(f"bootstrap resamples must be a positive integer, got {n!r}")
    by_unit = {p.unit: p for p in profiles}
    missing = [u for u in families.units if u not in by_unit]
    if missing:
        raise OptionError(f"no profile for unit(s) {', '.join(missing)}")
    ordered = [by_unit[u] for u in families.units]
    seeds = np.random.SeedSequence(seed).spawn(n)
    k = families.n_families
    rule_k = k if families.rule == "given" else "auto"

    fast = getattr(distance_fn, "combined_from_counts", None)
    if fast is not None and list(getattr(distance_fn, "units", [])) == list(families.units):
        observed = [(p.variants["cases"].to_numpy(dtype=float), p.durations["cases"].to_numpy(dtype=float)) for p in ordered]
    else:
        fast = None

    def replicate(r: int) -> tuple[Grouping, Grouping]:
        rng = np.random.default_rng(seeds[r])
        if fast is not None:
            # the same draws as _resample, kept as count vectors
            draws = [(_redraw(vc, rng), _redraw(dc, rng)) for vc, dc in observed]
            d = np.asarray(fast([v for v, _ in draws], [dd for _, dd in draws]), dtype=float)
        else:
            d = np.asarray(distance_fn([_resample(p, rng) for p in ordered]), dtype=float)
        cut = find_families(d, families.units, n_families=k)
        free = cut if rule_k == k else find_families(d, families.units, n_families=rule_k)
        return grouping_of(cut.members), grouping_of(free.members)

    if workers is None:
        workers = None if n >= _PARALLEL_MIN_RESAMPLES else 1
    found = fork_map(replicate, n, workers=workers)
    return summarise(families, [c for c, _ in found], [g for _, g in found])


def summarise(families, cut: Sequence[Grouping], free: Sequence[Grouping]) -> FamilyStability:
    """A :class:`FamilyStability` from each resample's grouping into k families (``cut``) and by the rule (``free``)."""
    n = len(free)
    per_family = {
        f: sum(tuple(sorted(m)) in g for g in cut) / n for f, m in families.members.items()
    }
    sizes = Counter(len(g) for g in free)
    chosen = grouping_of(families.members)
    counts = Counter(free)
    others = sorted((g for g in counts if g != chosen), key=lambda g: (-counts[g], len(g), g))
    runner = others[0] if others else None
    return FamilyStability(
        n_resamples=n,
        per_family=per_family,
        family_counts={s: sizes[s] / n for s in sorted(sizes)},
        chosen=chosen,
        chosen_share=counts.get(chosen, 0) / n,
        runner_up=runner,
        runner_up_share=counts[runner] / n if runner is not None else 0.0,
    )
