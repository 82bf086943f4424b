"""Families of one process: tiny units set aside, units grouped, the bootstrap started on the spare core."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import parallel
from ..errors import warn
from ..profile import UnitProfile
from .cluster import Families, find_families

__all__ = ["grouped_units", "group_units", "start_bootstrap", "BOOTSTRAP_MAX_VARIANTS"]

#: Variants per unit that the language measure uses inside the stability bootstrap.
BOOTSTRAP_MAX_VARIANTS = 50


def grouped_units(process: str, profiles: Mapping[str, UnitProfile], min_unit_cases: int) -> tuple[list[str], list[str]]:
    """(units that take part in families, waves and target choice; tiny units kept out), with warnings.

    Units with fewer than ``min_unit_cases`` cases stay in the tables but take
    no part; when every unit is that small, all take part (and a warning says so).
    """
    units = list(profiles)
    grouped = [u for u in units if profiles[u].cases >= min_unit_cases]
    if not grouped:
        warn("tiny_unit", f"process {process!r}: every unit has fewer than {min_unit_cases} cases; all take part in "
             "families and target choice anyway", None, len(units))
        grouped = list(units)
    excluded = [u for u in units if u not in grouped]
    if excluded:
        warn("tiny_unit", f"process {process!r}: {len(excluded)} unit(s) with fewer than {min_unit_cases} cases kept "
             f"out of families, waves and target choice: {', '.join(excluded)}", None, len(excluded))
    return grouped, excluded


def group_units(combined: np.ndarray, units: Sequence[str], grouped: Sequence[str], n_families: int | str) -> Families:
    """Families of the ``grouped`` units on their part of the combined matrix (over ``units``)."""
    gi = [list(units).index(u) for u in grouped]
    return find_families(combined[np.ix_(gi, gi)], list(grouped), n_families=n_families)


def start_bootstrap(profiles: Mapping[str, UnitProfile], models: Mapping[str, Any], units: Sequence[str],
                    grouped: Sequence[str], conformance_methods: Any, families: Families, *,
                    weights: Mapping[str, float] | None, n: int, seed: int):
    """The stability bootstrap of ``families`` as a background job (None when there is nothing to resample).

    It only scores the families, so it runs on the other core while this one
    chooses the target and prices the changes; ``job.result()`` is the
    :class:`~divergence.families.stability.FamilyStability`, ``job.close()``
    stops it.
    """
    if not n or len(grouped) < 2:
        return None
    from .resampling import ResampledDistance

    gi = [list(units).index(u) for u in grouped]
    gprofiles = [profiles[u] for u in grouped]
    gmodels = [models[u] for u in grouped]
    gmethods = None if conformance_methods is None else np.asarray(conformance_methods)[np.ix_(gi, gi)]

    def stability_of() -> Any:
        # resamples change only the counts of observed variants: everything
        # that depends on the variants is prepared once
        from .stability import bootstrap_families

        distance = ResampledDistance(gprofiles, gmodels, gmethods, weights=weights, head=BOOTSTRAP_MAX_VARIANTS)
        return bootstrap_families(gprofiles, distance, families, n=n, seed=seed)

    return parallel.background(stability_of)
